//! `fixgate import --json` and `fixgate policy`, run as processes: the counts
//! scripts rely on, and the policy that decides which branches open tickets.

// A failed set-up is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn fixgate(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fixgate"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("FIXGATE_DATABASE_URL")
        .output()
        .unwrap()
}

fn report(version: &str) -> String {
    format!("{}/../../examples/reports/{version}/bandit.sarif", env!("CARGO_MANIFEST_DIR"))
}

fn import(data: &Path, version: &str, extra: &[&str]) -> Value {
    let repo = "https://example.invalid/acme/vulnshop";
    let file = report(version);
    let mut args = vec!["import", file.as_str(), "--repo", repo, "--json"];
    args.extend_from_slice(extra);
    let output = fixgate(data, &args);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn import_json_counts_what_the_scan_proved() {
    let data = tempfile::tempdir().unwrap();
    let first = import(data.path(), "v1", &["--branch", "main"]);
    assert_eq!((first["opened"].as_u64(), first["tracked"].as_bool()), (Some(21), Some(true)));

    // A partial scan of v2 closes nothing; the complete one verifies.
    let partial = import(data.path(), "v2", &["--branch", "main", "--partial"]);
    assert_eq!(partial["partial"], true);
    assert_eq!(
        (partial["verified"].as_u64(), partial["no_longer_seen"].as_u64()),
        (Some(0), Some(0))
    );
    let complete = import(data.path(), "v2", &["--branch", "main", "--commit", "2"]);
    assert_eq!(complete["verified"], 3, "{complete}");
    assert_eq!(
        (complete["reopened"].as_u64(), complete["verification_failed"].as_u64()),
        (Some(0), Some(0))
    );

    // v1 again: what v2 fixed is back.
    let back = import(data.path(), "v1", &["--branch", "main", "--commit", "3"]);
    assert_eq!(back["reopened"], 3, "{back}");
}

#[test]
fn the_policy_decides_which_branches_open_tickets() {
    let data = tempfile::tempdir().unwrap();
    let feature = import(data.path(), "v1", &["--branch", "release/1"]);
    assert_eq!((feature["tracked"].as_bool(), feature["opened"].as_u64()), (Some(false), Some(0)));

    let refused = fixgate(data.path(), &["policy", "set", "grouping.code", "upgrade"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("only SCA findings"));
    let set = fixgate(data.path(), &["policy", "set", "tracked_branches", "release/*"]);
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    let shown = fixgate(data.path(), &["policy", "show", "--json"]);
    let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["tracked_branches"], serde_json::json!(["release/*"]));
    assert_eq!(shown["grouping.sca"], "upgrade");

    let release = import(data.path(), "v1", &["--branch", "release/1", "--commit", "2"]);
    assert_eq!((release["tracked"].as_bool(), release["opened"].as_u64()), (Some(true), Some(21)));
}
