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
