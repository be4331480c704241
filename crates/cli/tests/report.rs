//! `fixgate report kpis|rebuild`, run as processes: the JSON's shape, which
//! dashboards and scripts read, the CSV's long format, and errors that say
//! what is wrong.

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

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The example application's Bandit report, v1 then v2: 24 tickets opened,
/// 3 of them verified by the second scan.
fn imported() -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    let repo = "https://example.invalid/acme/vulnshop";
    for (version, commit) in [("v1", "1"), ("v2", "2")] {
        let file =
            format!("{}/../../examples/reports/{version}/bandit.sarif", env!("CARGO_MANIFEST_DIR"));
        let args = ["import", &file, "--repo", repo, "--branch", "main", "--commit", commit];
        let output = fixgate(data.path(), &args);
        assert!(output.status.success(), "{}", text(&output.stderr));
    }
    data
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[test]
fn kpis_json_has_every_figure_in_its_documented_shape() {
    let data = imported();
    let output = fixgate(data.path(), &["report", "kpis", "--json", "--by", "severity"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let k: Value = serde_json::from_slice(&output.stdout).unwrap();

    assert_eq!(
        keys(&k),
        [
            "backlog",
            "closures",
            "coverage",
            "mttr",
            "mttt",
            "open",
            "opened_vs_verified",
            "reopen_rate",
            "sla",
            "top",
            "warnings",
            "window"
        ]
    );
    assert_eq!(
        keys(&k["window"]),
        ["as_of", "by", "period", "since", "stale_days", "time_zone", "until"]
    );
    assert_eq!((&k["window"]["by"], &k["window"]["period"]), (&"severity".into(), &"week".into()));
    for figure in ["mttt", "mttr", "closures", "sla", "reopen_rate"] {
        assert_eq!(keys(&k[figure]), ["all", "groups", "periods"], "{figure}");
        assert_eq!(k[figure]["periods"].as_array().unwrap().len(), 13, "{figure}: 90 days");
    }
    assert_eq!(keys(&k["mttr"]["all"]), ["count", "median_hours", "p90_hours"]);
    assert_eq!(k["mttr"]["all"]["count"], 3, "v2 fixed three findings");
    assert_eq!(keys(&k["mttr"]["groups"][0]), ["count", "group", "median_hours", "p90_hours"]);
    assert_eq!(
        keys(&k["closures"]["all"]),
        [
            "closed",
            "duplicate",
            "false_positive",
            "overrides",
            "risk_accepted",
            "total",
            "verified"
        ]
    );
    assert_eq!(keys(&k["sla"]["all"]), ["adherence", "closed", "met", "missed", "no_due_date"]);
    assert_eq!(
        keys(&k["reopen_rate"]["all"]),
        ["acceptances_expired", "by_person", "by_scan", "closed", "rate", "reopened"]
    );
    assert_eq!(
        keys(&k["open"]["all"]),
        ["age", "breached", "due_within_7_days", "no_due_date", "on_track", "open", "paused"]
    );
    assert_eq!(keys(&k["open"]["all"]["age"]), ["0-7", "31-90", "8-30", "91-180", "over-180"]);
    assert_eq!(k["open"]["all"]["open"], 21);
    assert_eq!(keys(&k["opened_vs_verified"][0]), ["opened", "verified", "week"]);
    assert_eq!(k["backlog"].as_array().unwrap().len(), 90);
    assert_eq!(keys(&k["backlog"][0]), ["day", "open"]);
    assert_eq!(k["backlog"][89]["open"], 21);
    assert_eq!(keys(&k["top"]), ["cwes", "repositories", "rules"]);
    assert_eq!(keys(&k["top"]["rules"][0]), ["name", "open"]);
    assert_eq!(
        keys(&k["coverage"][0]),
        [
            "age_days",
            "application",
            "last_complete_scan_at",
            "last_complete_scan_id",
            "repository",
            "stale",
            "tool"
        ]
    );
    assert_eq!(k["coverage"][0]["stale"], false);
}

#[test]
fn kpis_csv_is_one_figure_per_row_and_text_is_tables() {
    let data = imported();
    let output = fixgate(data.path(), &["report", "kpis", "--csv", "--period", "month"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let csv = text(&output.stdout);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("figure,group,period,value"));
    assert!(lines.all(|l| l.split(',').count() == 4), "{csv}");
    assert!(csv.contains("\nclosures_verified,all,all,3\n"), "{csv}");
    assert!(csv.contains("\nopen_total,all,now,21\n"), "{csv}");

    let output = fixgate(data.path(), &["report", "kpis"]);
    let tables = text(&output.stdout);
    assert!(tables.starts_with("Figures from "), "{tables}");
    for title in ["Time to triage", "Closings by closing date", "Open now", "Scanner coverage"] {
        assert!(tables.contains(title), "{title} missing from\n{tables}");
    }
}

#[test]
fn kpis_are_narrowed_by_severity_and_application() {
    let data = imported();
    let open = |args: &[&str]| -> u64 {
        let output = fixgate(data.path(), &[&["report", "kpis", "--json"], args].concat());
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", text(&output.stderr));
        let k: Value = serde_json::from_slice(&output.stdout).unwrap();
        k["open"]["all"]["open"].as_u64().unwrap()
    };
    assert_eq!(open(&[]), 21);
    // Each ticket has one severity: the severities' counts add up.
    let severities = ["critical", "high", "medium", "low", "info"];
    let per_severity: Vec<u64> = severities.iter().map(|s| open(&["--severity", s])).collect();
    assert_eq!(per_severity.iter().sum::<u64>(), 21, "{per_severity:?}");
    assert!(per_severity.iter().all(|n| *n < 21), "one severity is not all: {per_severity:?}");
    assert_eq!(open(&["--app", "nowhere"]), 0);
    assert_eq!(open(&["--team", "nobody"]), 0);

    let output = fixgate(data.path(), &["report", "kpis", "--severity", "urgent"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
}

#[test]
fn rebuild_recomputes_the_facts_and_wrong_options_are_errors() {
    let data = imported();
    let before = fixgate(data.path(), &["report", "kpis", "--json"]).stdout;
    let output = fixgate(data.path(), &["report", "rebuild"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "recomputed the facts of 24 security tickets from their events\n"
    );
    let mut after: Value =
        serde_json::from_slice(&fixgate(data.path(), &["report", "kpis", "--json"]).stdout)
            .unwrap();
    let mut before: Value = serde_json::from_slice(&before).unwrap();
    // Only the moment of measuring differs.
    for k in [&mut before, &mut after] {
        k["window"]["as_of"] = Value::Null;
        for row in k["coverage"].as_array_mut().unwrap() {
            row["age_days"] = Value::Null;
        }
    }
    assert_eq!(after, before);

    let output = fixgate(data.path(), &["report", "kpis", "--by", "color"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("unknown grouping \"color\""),
        "{}",
        text(&output.stderr)
    );
    let output =
        fixgate(data.path(), &["report", "kpis", "--since", "2026-12-10", "--until", "2026-12-01"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("is after until"), "{}", text(&output.stderr));
}

#[test]
fn evidence_writes_each_format_to_a_file_or_standard_output() {
    let data = imported();
    let out = data.path().join("pack.json");
    let out_arg = out.to_str().unwrap();
    // The imports ran today: the default window (90 days up to today) holds them.
    let args = ["report", "evidence", "--app", "vulnshop", "--format", "json", "--out", out_arg];
    let output = fixgate(data.path(), &args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty(), "the pack went to the file");
    let pack: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(
        keys(&pack),
        ["chain", "generated_at", "scope", "summary", "tickets", "version", "warnings", "window"]
    );
    assert_eq!(pack["summary"]["tickets"], 24, "{}", pack["summary"]);
    assert_eq!(pack["summary"]["outcomes"]["verified"], 3);
    assert_eq!(pack["summary"]["outcomes"]["open"], 21);
    let verified: Vec<&Value> =
        pack["tickets"].as_array().unwrap().iter().filter(|t| t["outcome"] == "verified").collect();
    assert_eq!(verified[0]["closure"]["scan"]["commit"], "2", "{}", verified[0]);

    let html = data.path().join("pack.html");
    let args = ["report", "evidence", "--format", "html", "--out", html.to_str().unwrap()];
    let output = fixgate(data.path(), &args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!doctype html>"), "{page}");
    assert!(page.contains("Verified by"), "the proof is on the page");

    let output = fixgate(data.path(), &["report", "evidence", "--format", "csv", "--out", "-"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let csv = text(&output.stdout);
    let rows = csv.split("\r\n").filter(|l| !l.is_empty() && !l.starts_with('#')).count();
    assert_eq!(rows, 1 + 24, "a header and a row per ticket: {csv}");

    let output = fixgate(data.path(), &["report", "evidence", "--format", "pdf"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("not one of json, csv or html"));
    let missing = data.path().join("no/such/dir/pack.json");
    let args = ["report", "evidence", "--out", missing.to_str().unwrap()];
    let output = fixgate(data.path(), &args);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("creating the evidence pack"),
        "{}",
        text(&output.stderr)
    );
}
