//! `fixgate tickets create`, `assign`, `move` and `bulk`, run as processes on
//! a store with the example app's tickets.

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

fn ok(data: &Path, args: &[&str]) -> String {
    let output = fixgate(data, args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{args:?}: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

fn json(data: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(data, args)).unwrap()
}

fn refused(data: &Path, args: &[&str]) -> String {
    let output = fixgate(data, args);
    assert_eq!(output.status.code(), Some(2), "{args:?} was not refused");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The example app's 21 tickets, and alice, a developer of the team that
/// owns it.
fn store() -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    let report = format!("{}/../../examples/reports/v1/bandit.sarif", env!("CARGO_MANIFEST_DIR"));
    let repo = "https://example.invalid/acme/vulnshop";
    ok(data.path(), &["import", &report, "--app", "vulnshop", "--repo", repo, "--branch", "main"]);
    ok(data.path(), &["admin", "create-user", "alice", "--role", "developer", "--team", "shop"]);
    ok(data.path(), &["admin", "add-owner", "--app", "vulnshop", "--team", "shop"]);
    data
}

fn total(data: &Path, filter: &[&str]) -> u64 {
    let mut args = vec!["tickets", "list", "--json"];
    args.extend_from_slice(filter);
    json(data, &args)["total"].as_u64().unwrap()
}

#[test]
fn tickets_assign_gives_a_ticket_to_a_person_or_to_nobody() {
    let data = store();
    let data = data.path();
    let said = ok(data, &["tickets", "assign", "sec-1", "alice"]);
    assert_eq!(said, "SEC-1 is assigned to alice\n");
    let ticket = json(data, &["tickets", "show", "SEC-1", "--json"]);
    assert_eq!(ticket["assignee"], "alice");
    let event = ticket["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(event["kind"], "assigned");
    assert!(event["actor"].as_str().unwrap().starts_with("cli"), "{event}");
    assert_eq!(
        ok(data, &["tickets", "assign", "SEC-1", "alice"]),
        "SEC-1 was assigned to alice already\n"
    );
    assert_eq!(total(data, &["--assignee", "alice"]), 1);
    assert!(ok(data, &["tickets", "show", "SEC-1"]).contains("assignee    alice"));

    let stderr = refused(data, &["tickets", "assign", "SEC-1", "mallory"]);
    assert!(stderr.contains("there is no user named \"mallory\""), "{stderr}");
    let stderr = refused(data, &["tickets", "assign", "SEC-1"]);
    assert!(stderr.contains("--none"), "{stderr}");
    ok(data, &["tickets", "assign", "SEC-1", "--none"]);
    assert_eq!(total(data, &["--assignee", "none"]), 21);
}

#[test]
fn tickets_bulk_changes_every_matching_ticket_and_reports_the_rest() {
    let data = store();
    let data = data.path();
    let high = total(data, &["--severity", "high"]);
    assert!(high > 0 && high < 21, "{high}");

    let dry = json(
        data,
        &[
            "tickets",
            "bulk",
            "--severity",
            "high",
            "--assign",
            "alice",
            "--label",
            "Triage",
            "--dry-run",
            "--json",
        ],
    );
    assert_eq!(
        (dry["matched"].as_u64(), dry["changed"].as_u64()),
        (Some(high), Some(high)),
        "{dry}"
    );
    assert_eq!(dry["dry_run"], true);
    assert_eq!(total(data, &["--label", "triage"]), 0, "a dry run changes nothing");

    let done = json(
        data,
        &[
            "tickets",
            "bulk",
            "--severity",
            "high",
            "--assign",
            "alice",
            "--label",
            "Triage",
            "--json",
        ],
    );
    assert_eq!(done["changed"].as_u64(), Some(high), "{done}");
    assert_eq!(total(data, &["--label", "triage", "--assignee", "alice"]), high);

    // new → fixed is no move of the workflow: every ticket is skipped, with the reason.
    let text = ok(
        data,
        &["tickets", "bulk", "--app", "vulnshop", "--in-state", "new", "--state", "fixed"],
    );
    assert!(text.starts_with("21 tickets matched; changed 0, skipped 21\n"), "{text}");
    assert!(
        text.contains("skipped SEC-1: a vulnerability ticket cannot move from new to fixed"),
        "{text}"
    );
    assert_eq!(total(data, &["--state", "new"]), 21);

    let moved = json(
        data,
        &[
            "tickets",
            "bulk",
            "--with-label",
            "triage",
            "--state",
            "in_progress",
            "--unlabel",
            "triage",
            "--comment",
            "picked up in the sprint",
            "--json",
        ],
    );
    assert_eq!(moved["changed"].as_u64(), Some(high), "{moved}");
    assert_eq!(total(data, &["--state", "in_progress"]), high);
    assert_eq!(total(data, &["--label", "triage"]), 0);

    let stderr = refused(data, &["tickets", "bulk", "--comment", "everything"]);
    assert!(stderr.contains("no filter given") && stderr.contains("--all"), "{stderr}");
    let stderr = refused(data, &["tickets", "bulk", "--all", "--label", "a,b"]);
    assert!(stderr.contains("comma"), "{stderr}");
    let everything = json(data, &["tickets", "bulk", "--all", "--comment", "audit", "--json"]);
    assert_eq!(everything["changed"].as_u64(), Some(21));
}

#[test]
fn a_ticket_opened_by_hand_is_triaged_by_the_policy() {
    let data = store();
    let data = data.path();
    let base = ["tickets", "create", "--type", "incident", "--title", "Admin panel exposed"];

    let mut args = base.to_vec();
    args.extend(["--app", "vulnshop", "--severity", "high", "--json"]);
    let created = json(data, &args);
    assert_eq!(created["key"], "INC-1");
    assert_eq!(
        (created["owner"].as_str(), created["priority"].as_str()),
        (Some("shop"), Some("high"))
    );
    assert_eq!(created["routed_by"], "owning team of vulnshop");
    assert_eq!(created["sla"], "on_track", "{created}");
    assert!(created["due"].is_string(), "{created}");

    let mut args = base.to_vec();
    args.extend(["--owner", "platform", "--priority", "critical", "--due", "2099-01-31"]);
    let shown = ok(data, &args);
    assert!(shown.contains("owner       platform"), "{shown}");
    assert!(shown.contains("routed by   set by cli"), "{shown}");
    assert!(shown.contains("priority    critical (set by cli"), "{shown}");
    assert!(shown.contains("due         2099-01-31, on track"), "{shown}");

    let mut args = base.to_vec();
    args.extend(["--priority", "urgent"]);
    assert!(refused(data, &args).contains("--priority: unknown priority \"urgent\""));
}

#[test]
fn tickets_move_follows_the_policy_s_workflow() {
    let data = store();
    let data = data.path();
    let stderr = refused(data, &["tickets", "move", "SEC-1", "triaged"]);
    assert!(stderr.contains("moving to triaged needs an owner (`owner`)"), "{stderr}");
    let stderr = refused(data, &["tickets", "move", "SEC-1", "investigating"]);
    assert!(stderr.contains("unknown state \"investigating\""), "{stderr}");
    let triage = ["tickets", "move", "sec-1", "triaged", "--owner", "shop", "--due", "2030-01-31"];
    assert_eq!(ok(data, &triage), "SEC-1 is now Triaged\n");

    // Starting work on a vulnerability now needs someone assigned.
    let policy = data.join("policy.toml");
    let narrowing = "[[workflow.vulnerability.transition]]\nfrom = \"triaged\"\n\
                     to = \"in_progress\"\nrequires = [\"assignee\"]\n";
    std::fs::write(&policy, narrowing).unwrap();
    ok(data, &["policy", "load", policy.to_str().unwrap()]);
    let stderr = refused(data, &["tickets", "move", "SEC-1", "in_progress"]);
    assert!(
        stderr.contains("moving a vulnerability from triaged to in_progress needs an assignee"),
        "{stderr}"
    );
    ok(data, &["tickets", "assign", "SEC-1", "alice"]);
    let moved = json(data, &["tickets", "move", "SEC-1", "in_progress", "--json"]);
    assert_eq!((moved["state"].as_str(), moved["status"].as_str()), (Some("in_progress"), None));
    let event = moved["events"].as_array().unwrap().last().unwrap().clone();
    assert!(event["actor"].as_str().unwrap().starts_with("cli"), "{event}");
}
