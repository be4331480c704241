//! `fixgate serve` over HTTPS, run as a process with a self-signed
//! certificate for 127.0.0.1 made by the test: a client that trusts it gets
//! its answers, a plain HTTP request to the port gets none, and every
//! mistake in `--tls-cert` and `--tls-key` is an error that names the file.

// A failed set-up is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use ureq::tls::{Certificate, RootCerts, TlsConfig};

/// A certificate for 127.0.0.1 and localhost, its key, and the PEM files.
struct SelfSigned {
    cert_pem: String,
    cert: PathBuf,
    key: PathBuf,
}

fn self_signed(dir: &Path, name: &str) -> SelfSigned {
    let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(names).unwrap();
    let (cert_path, key_path) = (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, signing_key.serialize_pem()).unwrap();
    SelfSigned { cert_pem: cert.pem(), cert: cert_path, key: key_path }
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn fixgate(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fixgate"))
        .args(["--data-dir", path(data), "serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("FIXGATE_TLS_CERT")
        .env_remove("FIXGATE_TLS_KEY")
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A server this test started; killed when dropped.
struct Server(std::process::Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve_https(data: &Path, tls: &SelfSigned) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fixgate"))
        .args(["--data-dir", path(data), "serve", "--listen", "127.0.0.1:0"])
        .args(["--tls-cert", path(&tls.cert), "--tls-key", path(&tls.key)])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(data.join("server.log")).unwrap())
        .spawn()
        .unwrap();
    // The server prints its address once it listens: no fixed sleep.
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address = line.trim().strip_prefix("fixgate is listening on https://127.0.0.1:");
    let port = address.and_then(|rest| rest.strip_suffix('/')).unwrap_or_else(|| {
        let log = std::fs::read_to_string(data.join("server.log")).unwrap_or_default();
        panic!("unexpected first line {line:?}\nserver: {log}")
    });
    Server(child, format!("127.0.0.1:{port}"))
}

/// An HTTP client that trusts only the given certificate.
fn client(cert_pem: &str) -> ureq::Agent {
    let cert = Certificate::from_pem(cert_pem.as_bytes()).unwrap();
    let tls = TlsConfig::builder().root_certs(RootCerts::new_with_certs(&[cert])).build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

#[test]
fn the_server_answers_over_https_with_the_given_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let tls = self_signed(dir.path(), "server");
    let server = serve_https(dir.path(), &tls);
    let agent = client(&tls.cert_pem);

    for host in [server.1.clone(), server.1.replace("127.0.0.1", "localhost")] {
        let mut response = agent.get(&format!("https://{host}/healthz")).call().unwrap();
        let hsts = response.headers().get("strict-transport-security").unwrap();
        assert_eq!(hsts.to_str().unwrap(), "max-age=31536000");
        assert_eq!(response.body_mut().read_to_string().unwrap(), "ok", "{host}");
    }

    let plain = agent.get(&format!("http://{}/healthz", server.1)).call();
    assert!(plain.is_err(), "a plain HTTP request was answered: {plain:?}");

    // The server is still there for a client that speaks TLS.
    let mut again = agent.get(&format!("https://{}/healthz", server.1)).call().unwrap();
    assert_eq!(again.body_mut().read_to_string().unwrap(), "ok");
}

#[test]
fn a_client_that_does_not_trust_the_certificate_gets_no_answer() {
    let dir = tempfile::tempdir().unwrap();
    let tls = self_signed(dir.path(), "server");
    let other = self_signed(dir.path(), "other");
    let server = serve_https(dir.path(), &tls);

    let refused = client(&other.cert_pem).get(&format!("https://{}/healthz", server.1)).call();
    assert!(refused.is_err(), "an untrusted certificate was accepted: {refused:?}");
}

#[test]
fn a_certificate_without_its_key_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let tls = self_signed(dir.path(), "server");

    let output = fixgate(dir.path(), &["--tls-cert", path(&tls.cert)]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--tls-key <FILE>"), "{}", stderr(&output));

    let output = fixgate(dir.path(), &["--tls-key", path(&tls.key)]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--tls-cert <FILE>"), "{}", stderr(&output));
}

#[test]
fn a_bad_certificate_or_key_file_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let tls = self_signed(dir.path(), "server");
    let other = self_signed(dir.path(), "other");
    let missing = dir.path().join("missing.crt");
    let broken = dir.path().join("broken.crt");
    std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\nMIIB\n").unwrap();

    let cases = [
        (&missing, &tls.key, format!("cannot read the TLS certificate {}", path(&missing))),
        (&broken, &tls.key, format!("the TLS certificate {} is not valid PEM", path(&broken))),
        (
            &tls.key,
            &tls.key,
            format!("the TLS certificate {} holds no certificate", path(&tls.key)),
        ),
        (
            &tls.cert,
            &tls.cert,
            format!("the TLS private key {} holds no private key", path(&tls.cert)),
        ),
        (
            &tls.cert,
            &other.key,
            format!(
                "the private key in {} does not belong to the certificate in {}",
                path(&other.key),
                path(&tls.cert)
            ),
        ),
    ];
    for (cert, key, expected) in cases {
        let output = fixgate(dir.path(), &["--tls-cert", path(cert), "--tls-key", path(key)]);
        assert_eq!(output.status.code(), Some(2), "{expected}: {}", stderr(&output));
        assert!(stderr(&output).contains(&expected), "{expected}: {}", stderr(&output));
        assert!(
            output.stdout.is_empty(),
            "{expected}: {}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
}
