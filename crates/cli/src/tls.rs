//! Serving HTTPS: the certificate chain and private key read from PEM files,
//! and a listener that completes each TLS handshake before axum sees the
//! connection.
//!
//! rustls runs on ring, the provider the HTTP client already uses, with TLS
//! 1.3 and 1.2 only. The server speaks HTTP/1.1, so that is the one protocol
//! offered through ALPN.

use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use axum::serve::Listener;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::{CertifiedKey, SigningKey, SingleCertAndKey};
use rustls::{InconsistentKeys, ServerConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A client that has not finished its handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A certificate chain or key file is a few kilobytes; a larger file is the
/// wrong file, and is not read whole into memory.
const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// The TLS acceptor for `--tls-cert` and `--tls-key`, or none when neither
/// is given. Every problem with the files is an error naming the file.
pub fn acceptor(cert: Option<&Path>, key: Option<&Path>) -> anyhow::Result<Option<TlsAcceptor>> {
    let (cert, key) = match (cert, key) {
        (None, None) => return Ok(None),
        (Some(cert), Some(key)) => (cert, key),
        // The command line already refuses one without the other.
        _ => bail!("--tls-cert and --tls-key go together: give both or neither"),
    };
    let config = server_config(cert, key)?;
    Ok(Some(TlsAcceptor::from(Arc::new(config))))
}

fn server_config(cert: &Path, key: &Path) -> anyhow::Result<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certified = certified_key(cert, key, &provider)?;

    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("the TLS library refused TLS 1.2 and 1.3")?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The chain and the key, checked to belong together.
fn certified_key(
    cert: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> anyhow::Result<CertifiedKey> {
    let chain = certificates(cert)?;
    let signing_key = signing_key(key, provider)?;

    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        Ok(()) => Ok(certified),
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => bail!(
            "the private key in {} does not belong to the certificate in {}",
            key.display(),
            cert.display()
        ),
        // A key that cannot tell its public half is used as it is, as rustls does.
        Err(rustls::Error::InconsistentKeys(_)) => Ok(certified),
        Err(err) => Err(err).with_context(|| {
            format!("the first certificate in {} is not a valid X.509 certificate", cert.display())
        }),
    }
}

fn signing_key(path: &Path, provider: &CryptoProvider) -> anyhow::Result<Arc<dyn SigningKey>> {
    provider.key_provider.load_private_key(private_key(path)?).with_context(|| {
        format!(
            "the private key in {} cannot be used (fixgate takes RSA, ECDSA P-256 or P-384, \
             and Ed25519 keys)",
            path.display()
        )
    })
}

/// Every certificate in the file, in its order.
fn certificates(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let text = read_pem(path, "TLS certificate")?;
    let chain =
        CertificateDer::pem_slice_iter(&text).collect::<Result<Vec<_>, _>>().map_err(|err| {
            anyhow!(
                "the TLS certificate {} is not valid PEM: {}",
                path.display(),
                pem_problem(&err)
            )
        })?;
    if chain.is_empty() {
        bail!(
            "the TLS certificate {} holds no certificate (a block starting \
             -----BEGIN CERTIFICATE-----)",
            path.display()
        );
    }
    Ok(chain)
}

/// The first private key in the file: PKCS#8, PKCS#1 or SEC1.
fn private_key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    let text = read_pem(path, "TLS private key")?;
    match PrivateKeyDer::from_pem_slice(&text) {
        Ok(key) => Ok(key),
        Err(pem::Error::NoItemsFound) => bail!(
            "the TLS private key {} holds no private key (a block starting -----BEGIN \
             PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY; an encrypted key must be \
             decrypted first)",
            path.display()
        ),
        Err(err) => {
            bail!("the TLS private key {} is not valid PEM: {}", path.display(), pem_problem(&err))
        }
    }
}

fn read_pem(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read the {what} {}", path.display()))?;
    let mut text = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut text)
        .with_context(|| format!("cannot read the {what} {}", path.display()))?;
    if text.len() as u64 > MAX_PEM_BYTES {
        bail!("the {what} {} is larger than 1 MiB: not a PEM file", path.display());
    }
    Ok(text)
}

/// What is wrong with a PEM file, in words (the library's own message
/// prints the offending line as a list of byte values).
fn pem_problem(err: &pem::Error) -> String {
    match err {
        pem::Error::MissingSectionEnd { end_marker } => {
            format!("the line {} is missing", String::from_utf8_lossy(end_marker))
        }
        pem::Error::IllegalSectionStart { line } => {
            format!("malformed line {}", String::from_utf8_lossy(line))
        }
        pem::Error::Base64Decode(_) => "a block is not valid base64".to_string(),
        other => other.to_string(),
    }
}

/// Accepts TCP connections and completes their TLS handshakes side by side,
/// so a slow or silent client holds up no other.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: JoinSet<Option<(TlsStream<TcpStream>, SocketAddr)>>,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, acceptor: TlsAcceptor) -> Self {
        Self { tcp, acceptor, handshakes: JoinSet::new() }
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // Both branches can be cancelled at any await: a connection is kept
        // in the set until it is handed out.
        loop {
            tokio::select! {
                // axum's own accept retries and logs failed accepts.
                (tcp, addr) = Listener::accept(&mut self.tcp) => {
                    self.handshakes.spawn(handshake(self.acceptor.clone(), tcp, addr));
                }
                Some(done) = self.handshakes.join_next() => {
                    if let Ok(Some(connection)) = done {
                        return connection;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// The TLS stream, or none when the client did not complete a handshake in
/// time (a plain HTTP request, an untrusting client, a port scan).
async fn handshake(
    acceptor: TlsAcceptor,
    tcp: TcpStream,
    addr: SocketAddr,
) -> Option<(TlsStream<TcpStream>, SocketAddr)> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(stream)) => Some((stream, addr)),
        Ok(Err(err)) => {
            tracing::debug!(%addr, error = %err, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!(%addr, "TLS handshake timed out");
            None
        }
    }
}
