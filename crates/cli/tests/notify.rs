//! `fixgate notify …` run as a process against a receiver on 127.0.0.1: a
//! webhook channel's secret, printed once, signs the test notice; a failed
//! test exits 2 with the receiver's answer; the queue keeps it.

// A failed set-up is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::mpsc;

use fixgate_domain::hook::{HookHeaders, verify};
use serde_json::Value;

fn fixgate(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fixgate"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("FIXGATE_SMTP_URL")
        .env_remove("FIXGATE_SMTP_FROM")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One request a receiver took: its headers (names in lowercase) and body.
struct Taken {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Taken {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Takes `statuses.len()` requests on 127.0.0.1, answering each with the
/// next status, and hands each over as it arrives.
fn receiver(statuses: Vec<u16>) -> (String, mpsc::Receiver<Taken>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/fixgate", listener.local_addr().unwrap());
    let (send, taken) = mpsc::channel();
    std::thread::spawn(move || {
        for status in statuses {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut headers = Vec::new();
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                let Some((name, value)) = line.trim_end().split_once(':') else { break };
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
            let length = headers.iter().find(|(n, _)| n == "content-length").unwrap().1.clone();
            let mut body = vec![0; length.parse().unwrap()];
            reader.read_exact(&mut body).unwrap();
            let mut stream = stream;
            write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope"
            )
            .unwrap();
            send.send(Taken { headers, body }).unwrap();
        }
    });
    (url, taken)
}

#[test]
fn a_webhook_channel_is_added_tested_and_listed() {
    let data = tempfile::tempdir().unwrap();
    let (url, taken) = receiver(vec![200]);
    let output = fixgate(
        data.path(),
        &["notify", "add-channel", "secops", "--kind", "webhook", "--target", &url, "--json"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let added: Value = serde_json::from_slice(&output.stdout).unwrap();
    let secret = added["secret"].as_str().unwrap().to_string();
    assert_eq!(added["channel"]["digest"], "none");

    let output = fixgate(data.path(), &["notify", "test", "secops"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "test notice delivered to secops\n");
    let request = taken.recv().unwrap();
    let timestamp = request.header("x-fixgate-timestamp").unwrap();
    let headers = HookHeaders {
        timestamp: Some(timestamp),
        signature: request.header("x-fixgate-signature"),
        delivery: request.header("x-fixgate-delivery"),
    };
    verify(secret.as_bytes(), &headers, &request.body, timestamp.parse().unwrap()).unwrap();
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["notices"][0]["kind"], "test");

    let output = fixgate(data.path(), &["notify", "channels"]);
    let listed = text(&output.stdout);
    assert!(listed.starts_with("secops ") && listed.contains("webhook"), "{listed}");
    assert!(!listed.contains("/fixgate"), "the URL is shown up to its host: {listed}");
}

#[test]
fn a_failed_test_exits_2_and_stays_in_the_queue_with_its_error() {
    let data = tempfile::tempdir().unwrap();
    let (url, _taken) = receiver(vec![500]);
    let add = ["notify", "add-channel", "chat", "--kind", "slack", "--target", &url];
    let output = fixgate(data.path(), &[&add[..], &["--events", "breached,due_soon"]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(!text(&output.stdout).contains("secret"), "only webhooks have one");

    let output = fixgate(data.path(), &["notify", "test", "chat"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("not delivered") && stderr.contains("HTTP 500: nope"), "{stderr}");

    let output = fixgate(data.path(), &["notify", "queue", "--json"]);
    let queue: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(queue[0]["state"], "gave_up");
    assert_eq!(queue[0]["attempts"], 1);
    let output = fixgate(data.path(), &["notify", "deliver"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).starts_with("delivered 0 notices"), "{}", text(&output.stdout));

    let output = fixgate(data.path(), &["notify", "remove-channel", "chat"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&fixgate(data.path(), &["notify", "channels"]).stdout),
        "no channels: `fixgate notify add-channel` creates one\n"
    );
}

#[test]
fn wrong_options_are_refused_with_what_is_wrong() {
    let data = tempfile::tempdir().unwrap();
    for (args, expected) in [
        (
            vec!["--kind", "pager", "--target", "http://127.0.0.1:9"],
            "unknown channel kind \"pager\"",
        ),
        (vec!["--kind", "email", "--target", "not-an-address"], "is not an email address"),
        (vec!["--kind", "slack", "--target", "http://127.0.0.1:9", "--digest", "weekly"], "weekly"),
        (vec!["--kind", "slack", "--target", "http://127.0.0.1:9", "--events", "late"], "breached"),
    ] {
        let output = fixgate(data.path(), &[&["notify", "add-channel", "x"][..], &args].concat());
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let output = fixgate(data.path(), &["notify", "test", "nosuch"]);
    assert!(
        text(&output.stderr).contains("channel \"nosuch\" not found"),
        "{}",
        text(&output.stderr)
    );
}
