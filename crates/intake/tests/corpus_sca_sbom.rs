//! The SCA and SBOM reports of the shared corpus (CycloneDX, OWASP
//! Dependency-Check, OSV-Scanner) against the manifest.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test by panicking, like the tests themselves"
)]

mod support;

use support::{FieldPin, check_format};

#[test]
fn cyclonedx_json() {
    const FIELDS: &[FieldPin] = &[
        (
            "cyclonedx-json/grype.json",
            2,
            "severity",
            "SecObserve leaves the severity empty and lets CVSS speak; ours is the rating's \
             own `medium` (CVSS v3.1 6.5)",
        ),
        (
            "cyclonedx-json/trivy.json",
            0,
            "severity",
            "SecObserve leaves the severity empty; ours is the CVSS v3.1 rating's `medium` (5.9)",
        ),
        (
            "cyclonedx-json/trivy.json",
            1,
            "severity",
            "SecObserve leaves the severity empty; ours is the CVSS v3.1 rating's `medium` (5.9), \
             preferred over the CVSS v4 rating's `high`",
        ),
        (
            "cyclonedx-json/trivy.json",
            1,
            "cvss4_score",
            "a finding carries one CVSS rating: the v3.1 one (5.9), preferred over v4 (8.8)",
        ),
        (
            "cyclonedx-json/trivy.json",
            1,
            "cvss4_vector",
            "a finding carries one CVSS rating: the v3.1 vector, preferred over the v4 one",
        ),
    ];
    let files = check_format("cyclonedx-json", "cyclonedx", &[], FIELDS);
    for (path, findings) in &files {
        for finding in findings {
            let resolved = !path.ends_with("no-severity.json");
            assert_eq!(finding.package.is_some(), resolved, "{path}: {}", finding.title);
        }
    }
    if let Some((_, findings)) = files.iter().find(|(p, _)| p.ends_with("grype.json")) {
        assert!(findings.iter().all(|f| f.tool == "grype"), "the tool comes from metadata.tools");
        let path = findings[0].location.as_ref().and_then(|l| l.path.as_deref());
        assert_eq!(path, Some("example/example:dev"), "the BOM's subject is the place");
    }
    if let Some((_, findings)) =
        files.iter().find(|(p, _)| p.ends_with("valid-vulnerability-1.4.json"))
    {
        let vex = findings[0].vex.as_ref().unwrap();
        assert_eq!(vex.state, "not_affected");
        assert_eq!(findings[0].suppression.as_ref().unwrap().kind, "vex");
    }
}

#[test]
fn cyclonedx_xml() {
    let files = check_format("cyclonedx-xml", "cyclonedx", &[], &[]);
    for (path, findings) in &files {
        for finding in findings {
            assert!(finding.package.is_some(), "{path}: {}", finding.title);
        }
    }
    if let Some((_, findings)) =
        files.iter().find(|(p, _)| p.ends_with("valid-vulnerability-1.4.xml"))
    {
        assert_eq!(findings[0].vex.as_ref().unwrap().state, "not_affected");
        assert!(findings[0].suppression.is_some());
    }
}

/// Dependency-Check's own SARIF output stays SARIF.
#[test]
fn sarif_reports_stay_sarif() {
    let Some(dir) = support::corpus_dir() else { return };
    for entry in std::fs::read_dir(dir.join("sarif")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let detected = fixgate_intake::formats::detect(&bytes[..bytes.len().min(256 * 1024)]);
        assert_eq!(detected.map(|f| f.name), Some("sarif"), "{}", path.display());
    }
}

#[test]
fn dependency_check_xml() {
    const MULTIPLE: &str =
        "dependency-check-xml/multiple_vulnerabilities_has_multiple_findings.xml";
    const V2_ONLY: &str = "the report has no CVSS v3 for it (the peer's null); ours is its CVSS v2 \
                           rating, 7.5 AV:N/AC:L/Au:N/C:P/I:P/A:P";
    const NO_CVSS: &str = "the peer asserts null and ours is none too, but the shared check \
                           cannot compare a null";
    const NO_IDS: &str = "the peer asserts no advisory ids (null) and ours are none too, but the \
                          shared check cannot compare a null";
    const FIELDS: &[FieldPin] = &[
        (MULTIPLE, 0, "cvss3_score", V2_ONLY),
        (MULTIPLE, 0, "cvss3_vector", V2_ONLY),
        (MULTIPLE, 1, "cvss3_score", NO_CVSS),
        (MULTIPLE, 1, "cvss3_vector", NO_CVSS),
        (MULTIPLE, 1, "vuln_ids", NO_IDS),
        (MULTIPLE, 3, "vuln_ids", NO_IDS),
        (MULTIPLE, 4, "cvss3_score", V2_ONLY),
        (MULTIPLE, 4, "cvss3_vector", V2_ONLY),
        (MULTIPLE, 5, "cvss3_score", V2_ONLY),
        (MULTIPLE, 5, "cvss3_vector", V2_ONLY),
    ];
    let files = check_format("dependency-check-xml", "dependency-check", &[], FIELDS);
    for (path, findings) in &files {
        assert!(
            findings.iter().all(|f| f.package.is_some() && f.tool == "Dependency-Check"),
            "{path}"
        );
    }
    if let Some((_, findings)) = files.iter().find(|(p, _)| p == MULTIPLE) {
        let suppressed: Vec<&str> = findings
            .iter()
            .filter(|f| f.suppression.as_ref().is_some_and(|s| s.kind == "external"))
            .map(|f| f.rule_id.as_str())
            .collect();
        assert_eq!(suppressed, ["CVE-2019-7238", "CVE-2017-1000487"]);
    }
}

/// Checked by hand rather than with `check_format`, which cannot express
/// that we refuse a file the peer accepts.
#[test]
fn osv_scanner_json() {
    let Some(dir) = support::corpus_dir() else { return };
    let rows = support::rows(&dir, "osv-scanner-json");
    assert_eq!(rows.len(), 2, "new corpus files need their checks here");
    for row in &rows {
        let path = dir.join(&row.path);
        if row.path == "osv-scanner-json/no_findings.json" {
            // The peer counts a zero-byte file as a clean scan. OSV-Scanner
            // writes `{"results": []}` when it finds nothing, so an empty
            // upload is a broken pipeline, and a clean scan would close every
            // open finding of the scope: we refuse it with a clear error.
            assert_eq!(row.count, 0);
            let bytes = std::fs::read(&path).unwrap();
            assert!(bytes.is_empty());
            let parser = fixgate_intake::formats::by_name("osv-scanner").unwrap();
            let mut sink = fixgate_intake::Collected::default();
            let options = fixgate_intake::Options::default();
            let err = (parser.parse)(&mut bytes.as_slice(), &options, &mut sink).unwrap_err();
            assert!(err.to_string().contains("an empty file"), "{err}");
            continue;
        }
        let findings = support::parse_file(&path, "osv-scanner").findings;
        assert_eq!(findings.len(), row.count, "{}", row.path);
        let peer = &row.details["findings"]["0"];
        let ours = &findings[0];
        assert_eq!(peer["vuln_ids[0]"], ours.rule_id.as_str());
        assert_eq!(peer["cwe"], format!("CWE-{}", ours.cwes[0]));
        // The peer rates a finding without a rating Low; a malicious package
        // (MAL- id) without one is critical for us.
        assert_eq!(peer["severity"], "Low");
        assert_eq!(ours.severity, fixgate_domain::Severity::Critical);
        let package = ours.package.as_ref().unwrap();
        assert_eq!(
            (package.name.as_str(), package.ecosystem.as_deref()),
            ("flot-axis", Some("npm"))
        );
        let place = ours.location.as_ref().and_then(|l| l.path.as_deref());
        assert_eq!(place, Some("/tmp/components/yarn.lock"));
    }
}
