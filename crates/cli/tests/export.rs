//! `fixgate export`, run as a process on a store a real Gitleaks report was
//! imported into and one of whose leaks was marked a false positive.

// A failed set-up is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use fixgate_domain::Role;
use fixgate_service::testkit::principal;
use fixgate_service::testkit::shared_corpus;
use fixgate_service::{Fixgate, MoveTicket, SystemClock};
use fixgate_store::{ConnectOptions, Store};

const REPO: &str = "https://github.com/acme/shop";
const LEAK_42: &str =
    "b718aa975b79d141225d928ba2822ea010b74d2b:docker-compose-playwright.yml:generic-api-key:42";

fn fixgate(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fixgate"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap()
}

/// Marks the leak at line 42 a false positive, as a person would on the
/// ticket's page.
async fn mark_line_42(data: &Path) {
    let url = format!("sqlite://{}", data.join("fixgate.db").display());
    let store = Store::connect(&url, ConnectOptions::default()).await.unwrap();
    let fixgate = Fixgate::new(store.clone(), Arc::new(SystemClock));
    for key in ["SEC-1", "SEC-2", "SEC-3"] {
        let ticket = fixgate.ticket(key).await.unwrap();
        if ticket.findings[0].finding.location.as_ref().unwrap().start_line == Some(42) {
            let decision = MoveTicket {
                state: "false_positive".into(),
                reason: Some("a fixture of the end-to-end tests".into()),
                owner: None,
                due_at: None,
                approver: None,
                expires_at: None,
                duplicate_of: None,
            };
            fixgate.move_ticket(key, decision, &principal("ana", Role::Security)).await.unwrap();
        }
    }
    store.close().await;
}

#[tokio::test]
async fn export_writes_the_gitleaks_fingerprint_of_a_false_positive() {
    let Some(corpus) = shared_corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let report = corpus.join("gitleaks-json/gitleaks.git.json");
    let imported =
        fixgate(&data, &["import", report.to_str().unwrap(), "--app", "shop", "--repo", REPO]);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    mark_line_42(&data).await;

    let out = dir.path().join(".gitleaksignore");
    let args = ["export", "gitleaksignore", "--repo", REPO, "--out", out.to_str().unwrap()];
    let written = fixgate(&data, &args);
    let stderr = String::from_utf8_lossy(&written.stderr);
    assert_eq!(written.status.code(), Some(0), "{stderr}");
    assert!(written.stdout.is_empty());
    assert!(stderr.contains("wrote 1 entries to"), "{stderr}");
    let file = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = file.lines().filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    assert_eq!(lines, [LEAK_42], "{file}");
    assert!(file.contains("# False positive in fixgate SEC-"), "{file}");

    let printed = fixgate(&data, &["export", "gitleaksignore", "--repo", REPO]);
    assert!(String::from_utf8_lossy(&printed.stdout).contains(LEAK_42));

    let wrong = fixgate(&data, &["export", "csaf", "--repo", REPO]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("use vex, openvex"));
}
