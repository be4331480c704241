//! `fixgate audit head|verify`, run as processes: exit code 0 and the head
//! when the chain holds, 1 naming the first bad event when it does not, 2
//! for a malformed pin.

// A failed set-up is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use sqlx::Connection;

fn fixgate(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fixgate"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("FIXGATE_DATABASE_URL")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The example application's Bandit report, imported once.
fn imported() -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    let file = format!("{}/../../examples/reports/v1/bandit.sarif", env!("CARGO_MANIFEST_DIR"));
    let repo = "https://example.invalid/acme/vulnshop";
    let output = fixgate(data.path(), &["import", &file, "--repo", repo, "--branch", "main"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    data
}

/// Changes an event's data behind fixgate's back.
async fn tamper(data: &Path, seq: i64) {
    let url = format!("sqlite://{}", data.join("fixgate.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("DROP TRIGGER ticket_events_no_update").execute(&mut conn).await.unwrap();
    sqlx::query("UPDATE ticket_events SET data = '{}' WHERE chain_seq = $1")
        .bind(seq)
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn verify_exits_0_while_the_chain_holds_and_1_naming_the_changed_event() {
    let data = imported();
    let head = fixgate(data.path(), &["audit", "head"]);
    assert_eq!(head.status.code(), Some(0), "{}", text(&head.stderr));
    let head = text(&head.stdout).trim().to_string();
    let (seq, hash) = head.split_once(':').unwrap();
    assert!(seq.parse::<i64>().unwrap() > 2, "{head}");
    assert_eq!(hash.len(), 64);

    let json = fixgate(data.path(), &["audit", "head", "--json"]);
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(format!("{}:{}", json["seq"], json["hash"].as_str().unwrap()), head);

    let ok = fixgate(data.path(), &["audit", "verify", "--pin", &head]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let out = text(&ok.stdout);
    assert!(out.contains(&format!("{seq} events checked, head {head}")), "{out}");

    tamper(data.path(), 2).await;
    let bad = fixgate(data.path(), &["audit", "verify"]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad.stderr));
    let out = text(&bad.stdout);
    assert!(out.contains("broken at seq 2, event id"), "{out}");
    assert!(out.contains("kind opened") && out.contains("ticket "), "{out}");
    assert!(out.contains("content changed"), "{out}");

    let bad = fixgate(data.path(), &["audit", "verify", "--json"]);
    assert_eq!(bad.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(report["broken"]["problem"], "content_changed");
    assert_eq!(report["broken"]["seq"], 2);
    assert_eq!(report["checked"], 1);
}

#[test]
fn a_malformed_pin_is_an_error() {
    let data = imported();
    let output = fixgate(data.path(), &["audit", "verify", "--pin", "12:nothex"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("64 hex digits"), "{}", text(&output.stderr));
}
