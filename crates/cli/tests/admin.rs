//! `fixgate admin create-hook`, run as a process: the secret it prints
//! once signs deliveries the store then takes, and a name is taken once.

// A failed set-up is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use fixgate_domain::hook::{HookHeaders, sign};
use fixgate_service::{Clock, Fixgate, SystemClock};
use fixgate_store::{ConnectOptions, Store};
use serde_json::Value;

fn fixgate(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fixgate"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn create_hook_prints_a_secret_that_signs_deliveries() {
    let data = tempfile::tempdir().unwrap();
    let output = fixgate(data.path(), &["admin", "create-hook", "github", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let secret = json["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 64, "{json}");

    let url = format!("sqlite://{}", data.path().join("fixgate.db").display());
    let store = Store::connect(&url, ConnectOptions::default()).await.unwrap();
    let service = Fixgate::new(store.clone(), Arc::new(SystemClock));
    let timestamp = SystemClock.now().as_second().to_string();
    let signature = sign(secret.as_bytes(), &timestamp, b"{}");
    let headers =
        HookHeaders { timestamp: Some(&timestamp), signature: Some(&signature), delivery: None };
    service.receive_hook("github", &headers, b"{}").await.unwrap();
    store.close().await;
}

#[test]
fn create_hook_in_text_shows_the_secret_and_a_name_is_taken_once() {
    let data = tempfile::tempdir().unwrap();
    let output = fixgate(data.path(), &["admin", "create-hook", "jira"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let secret = stdout.lines().find_map(|l| l.strip_prefix("secret: ")).unwrap();
    assert_eq!(secret.len(), 64, "{stdout}");
    assert!(stdout.contains("POST /api/v1/hooks/jira"), "{stdout}");

    let again = fixgate(data.path(), &["admin", "create-hook", "jira"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(again.stdout.is_empty());
    let stderr = text(&again.stderr);
    assert!(stderr.contains("a hook named \"jira\" already exists"), "{stderr}");

    let bad = fixgate(data.path(), &["admin", "create-hook", "../etc"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("a hook's name is"), "{}", text(&bad.stderr));
}
