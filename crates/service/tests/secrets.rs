//! Leaked secrets: the value never reaches the store, and the same secret in
//! two places is known to be the same.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::Arc;

use fixgate_service::testkit as common;
use fixgate_service::{FixedClock, Fixgate, ImportRequest};
use fixgate_store::{ConnectOptions, Store};

use common::{context, each_backend, import_bytes};

const SECRET: &str = "ghp_R4nd0mLooking7okenValue0123456789ab";

/// A Gitleaks report: the secret in two files, and another secret.
fn gitleaks() -> Vec<u8> {
    let leak = |file: &str, line: u32, secret: &str| {
        serde_json::json!({
            "RuleID": "github-pat", "Description": "GitHub personal access token",
            "StartLine": line, "EndLine": line, "StartColumn": 1, "EndColumn": 50,
            "Match": format!("token = \"{secret}\""), "Secret": secret, "File": file,
            "Commit": "", "Fingerprint": format!("{file}:github-pat:{line}")
        })
    };
    serde_json::to_vec(&serde_json::json!([
        leak("deploy/ci.env", 3, SECRET),
        leak("scripts/release.sh", 12, SECRET),
        leak("docs/example.md", 7, "ghp_AnotherTokenEntirely000000000000000x"),
    ]))
    .unwrap()
}

#[tokio::test]
async fn the_same_secret_in_two_files_is_recognised() {
    each_backend("same_secret", |env| async move {
        let report = import_bytes(&env, gitleaks(), context("shop")).await;
        assert_eq!(report.counts.opened, 3, "{}", env.backend);
        assert_eq!(report.format, "gitleaks");
        let [ci, release, docs] = &report.opened_tickets[..] else { panic!() };

        let ticket = env.fixgate.ticket(ci).await.unwrap();
        let finding = &ticket.findings[0];
        assert_eq!(finding.same_secret_in, vec![release.clone()], "{}", env.backend);
        let secret = finding.finding.secret.as_ref().unwrap();
        assert_eq!(secret.preview, "ghp…9ab (39 chars)");
        let other = env.fixgate.ticket(docs).await.unwrap();
        assert!(other.findings[0].same_secret_in.is_empty());
        // Nothing a reader gets back holds the value.
        let all = serde_json::to_string(&[&ticket, &other]).unwrap();
        assert!(!all.contains(SECRET), "{}", env.backend);
    })
    .await;
}

#[tokio::test]
async fn the_secret_value_is_nowhere_in_the_database_files() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fixgate.db").display());
    let store = Store::connect(&url, ConnectOptions::default()).await.unwrap();
    let clock = Arc::new(FixedClock::new("2026-12-01T09:00:00Z".parse().unwrap()));
    let fixgate = Fixgate::new(store.clone(), clock);
    let request = ImportRequest { context: context("shop"), ..ImportRequest::default() };
    let report = fixgate.import(std::io::Cursor::new(gitleaks()), request).await.unwrap();
    assert_eq!(report.findings, 3);
    store.close().await;

    let mut scanned = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        scanned += bytes.len();
        let needle = SECRET.as_bytes();
        assert!(!bytes.windows(needle.len()).any(|w| w == needle), "the secret is on disk");
        // Not even a long piece of it.
        let middle = &needle[8..24];
        assert!(!bytes.windows(middle.len()).any(|w| w == middle), "part of the secret is on disk");
    }
    assert!(scanned > 10_000, "the database files were read ({scanned} bytes)");
}
