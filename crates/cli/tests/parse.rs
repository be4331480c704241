//! `fixgate parse`, run as a process on a real scanner report.

// A failed set-up is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::process::Command;

fn fixgate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fixgate")).args(args).output().unwrap()
}

#[test]
fn parse_prints_the_normalized_findings_as_json() {
    let report = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/reports/v1/semgrep.sarif");
    let output = fixgate(&["parse", report, "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let parsed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(parsed["format"], "sarif");
    let findings = parsed["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 24);
    assert!(findings.iter().any(|f| f["cwes"].as_array().unwrap().contains(&89.into())));
    assert_eq!(findings.iter().filter(|f| !f["suppression"].is_null()).count(), 1);
}

#[test]
fn parse_names_what_it_cannot_read() {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let output = fixgate(&["parse", manifest]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no parser recognises this report (text starting"), "{stderr}");
    assert!(stderr.contains("supported formats: sarif, trivy, grype"), "{stderr}");
    assert!(output.stdout.is_empty());

    let output = fixgate(&["parse", manifest, "--format", "nessus"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown format \"nessus\""));

    // Forced to a format it is not, the parser says why.
    let output = fixgate(&["parse", manifest, "--format", "cyclonedx"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("reading") && stderr.contains("as cyclonedx"), "{stderr}");
}

#[test]
fn parse_lists_every_format() {
    let output = fixgate(&["parse", "--list-formats"]);
    assert_eq!(output.status.code(), Some(0));
    let listed = String::from_utf8_lossy(&output.stdout);
    let names: Vec<&str> = listed.lines().filter_map(|l| l.split('\t').next()).collect();
    assert_eq!(names.len(), 27, "{listed}");
    for name in ["sarif", "cyclonedx", "npm-audit", "gitleaks", "zap", "burp", "fixgate-csv"] {
        assert!(names.contains(&name), "{name} missing from {listed}");
    }
}
