//! The SAST scanners' reports of the shared corpus against the manifest.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test by panicking, like the tests themselves"
)]

mod support;

use support::{CountPin, FieldPin, check_format};

#[test]
fn bandit() {
    const COUNTS: &[CountPin] = &[(
        "bandit-json/many_vulns.json",
        213,
        "214 results, two of them identical (B608 at migrate_surveys.py line 51, same code, \
         no column: Bandit visited two nodes of one statement); the same result at the same \
         place is one finding for us",
    )];
    const FIELDS: &[FieldPin] = &[
        (
            "bandit-json/many_vulns.json",
            0,
            "rule_id",
            "DefectDojo joins test_name and test_id (`try_except_pass:B110`); our rule id is \
             Bandit's test_id (`B110`), as in Bandit's SARIF, and test_name is the rule name",
        ),
        (
            "bandit-json/one_vuln.json",
            0,
            "rule_id",
            "DefectDojo joins test_name and test_id (`assert_used:B101`); our rule id is \
             Bandit's test_id (`B101`), as in Bandit's SARIF, and test_name is the rule name",
        ),
    ];
    let files = check_format("bandit-json", "bandit", COUNTS, FIELDS);
    for (path, findings) in &files {
        for finding in findings {
            assert!(finding.rule_id.starts_with('B'), "{path}: {}", finding.rule_id);
            assert!(finding.rule_name.is_some(), "{path}: {} has no test name", finding.rule_id);
            let snippet = finding.location.as_ref().and_then(|l| l.snippet.as_deref());
            assert!(
                snippet.is_some_and(|s| !s.starts_with(char::is_numeric)),
                "{path}: {snippet:?}"
            );
        }
    }
}

#[test]
fn semgrep() {
    const FIELDS: &[FieldPin] = &[(
        "semgrep-json/sca-deployments-vulns.json",
        0,
        "line",
        "the manifest keeps the line as the API wrote it, the text \"222\"; ours is the \
         number 222 (checked by hand below)",
    )];
    let files = check_format("semgrep-json", "semgrep", &[], FIELDS);
    for (path, findings) in &files {
        for finding in findings {
            assert!(!finding.rule_id.is_empty(), "{path}");
        }
    }
    let Some((_, export)) =
        files.iter().find(|(path, _)| path.ends_with("sca-deployments-vulns.json"))
    else {
        return;
    };
    // 22 items; four repeat an earlier item at the same place exactly.
    let first = &export[0];
    assert_eq!(first.tool, "Semgrep Supply Chain");
    assert_eq!(first.location.as_ref().unwrap().start_line, Some(222));
    assert_eq!(first.advisories, ["CVE-2023-1428", "GHSA-6628-q6j9-w8vg"]);
    assert_eq!(first.package.as_ref().unwrap().fixed_version.as_deref(), Some("1.53.0"));
    let closed: Vec<_> = export.iter().filter(|f| f.suppression.is_some()).collect();
    assert_eq!(closed.len(), 1, "the url-parse item is triaged CLOSED");
    assert_eq!(closed[0].severity, fixgate_domain::Severity::Critical);
}

#[test]
fn gosec() {
    const FIELDS: &[FieldPin] = &[(
        "gosec-json/many_vulns.json",
        2,
        "cwe",
        "the peer writes null for an issue without a CWE, which no number matches; ours has \
         no CWE either (checked below)",
    )];
    let files = check_format("gosec-json", "gosec", &[], FIELDS);
    let Some((_, findings)) = files.first() else { return };
    let third = &findings[2];
    assert_eq!((third.rule_id.as_str(), third.cwes.len()), ("G104", 0));
    assert_eq!(third.location.as_ref().unwrap().start_line, Some(66));
    let ranged = findings.iter().find(|f| f.rule_id == "G201").unwrap();
    let location = ranged.location.as_ref().unwrap();
    assert_eq!((location.start_line, location.end_line), (Some(36), Some(39)));
}

#[test]
fn sonarqube() {
    let files = check_format("sonarqube-json", "sonarqube", &[], &[]);
    let Some((_, six)) = files.iter().find(|(path, _)| path.ends_with("sonar-6-findings.json"))
    else {
        return;
    };
    // Six security hotspots to review; five of one rule in one file with the
    // same message are told apart by their order, not merged.
    let fingerprints: std::collections::BTreeSet<_> = six.iter().map(|f| &f.fingerprint).collect();
    assert_eq!(fingerprints.len(), 6);
    let csrf = &six[0];
    assert_eq!(csrf.rule_id, "python:S4502");
    assert_eq!(csrf.severity, fixgate_domain::Severity::High);
    assert_eq!(csrf.cwes, [352]);
    assert!(csrf.message.contains("Type: SECURITY_HOTSPOT"));
    assert!(six.iter().skip(1).all(|f| f.cwes == [117, 532] && f.suppression.is_none()));
}
