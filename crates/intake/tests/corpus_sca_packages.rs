//! The package scanners' reports of the shared corpus (npm audit, Snyk,
//! GitHub alerts) against the manifest.
//!
//! Our counting rule for these: one finding per advisory and package in a
//! manifest. Where a peer counts packages, dependency paths or closed alerts
//! instead, our count is pinned here with the reason.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test by panicking, like the tests themselves"
)]

mod support;

use fixgate_domain::Severity;
use support::{CountPin, FieldPin, check_format};

#[test]
fn npm_audit() {
    const COUNTS: &[CountPin] = &[
        (
            "npm-audit-json/many_vulns.json",
            3,
            "6 vulnerable packages, 3 advisories (debug, semver, undici); DefectDojo makes a \
             finding of each package, also of @vercel/fun, @vercel/node and vercel, which are \
             vulnerable only because they depend on those three; we report each advisory once, \
             at its own package, and name the dependents in its message",
        ),
        (
            "npm-audit-json/npm_audit_7_plus__one_vuln.json",
            2,
            "one vulnerable package (debug) with two advisories, GHSA-gxpj-cx7g-858c and \
             GHSA-9vvw-cc9w-f27h; DefectDojo makes one finding of the package, we one of each \
             advisory (each has its own severity, CWE and fix)",
        ),
    ];
    const FIELDS: &[FieldPin] = &[
        (
            "npm-audit-json/many_vulns.json",
            0,
            "cwe",
            "DefectDojo writes CWE-1035 (known-vulnerable component) for @vercel/fun, which has \
             no advisory of its own; we make no finding of it",
        ),
        (
            "npm-audit-json/npm_audit_7_plus__one_vuln.json",
            0,
            "severity",
            "DefectDojo takes the package's severity (high, from GHSA-9vvw-cc9w-f27h) with the \
             first advisory's CWE and CVSS; our finding for that first advisory, \
             GHSA-gxpj-cx7g-858c, has its own severity, moderate",
        ),
    ];
    let files = check_format("npm-audit-json", "npm-audit", COUNTS, FIELDS);
    for (path, findings) in &files {
        for finding in findings {
            let package = finding.package.as_ref().unwrap();
            assert!(package.purl.as_deref().unwrap().starts_with("pkg:npm/"), "{path}");
            let location = finding.location.as_ref().unwrap();
            assert_eq!(location.path.as_deref(), Some("package-lock.json"), "{path}");
        }
    }
    let seven =
        &files.iter().find(|(p, _)| p.ends_with("npm_audit_7_plus__one_vuln.json")).unwrap().1;
    let rules: Vec<(&str, Severity)> =
        seven.iter().map(|f| (f.rule_id.as_str(), f.severity)).collect();
    assert_eq!(
        rules,
        [("GHSA-gxpj-cx7g-858c", Severity::Medium), ("GHSA-9vvw-cc9w-f27h", Severity::High)]
    );
    assert!(seven[0].message.contains("Also vulnerable through its dependencies: ms"));
}

#[test]
fn snyk() {
    const COUNTS: &[CountPin] = &[(
        "snyk-json/all_containers_target_output.json",
        17,
        "40 entries are 17 issues in their packages (the projects' uniqueCount: 6 + 5 + 6), \
         each listed once per dependency path; DefectDojo keeps one finding per path, we one \
         per issue and package in each manifest, with every path in its message",
    )];
    let files = check_format("snyk-json", "snyk", COUNTS, &[]);
    let containers =
        &files.iter().find(|(p, _)| p.ends_with("all_containers_target_output.json")).unwrap().1;
    let lxml = containers.iter().find(|f| f.rule_id == "SNYK-PYTHON-LXML-2940874").unwrap();
    assert_eq!(lxml.advisories, ["CVE-2022-2309", "SNYK-PYTHON-LXML-2940874"]);
    assert_eq!(lxml.package.as_ref().unwrap().purl.as_deref(), Some("pkg:pypi/lxml@4.8.0"));
    let paths = lxml.message.matches("\n- Mobile-Security-Framework-MobSF@0.0.0 > ").count();
    assert_eq!(paths, 3, "{}", lxml.message);
    let location = lxml.location.as_ref().unwrap().path.as_deref();
    assert_eq!(location, Some("Mobile-Security-Framework-MobSF/requirements.txt"));
    let manifests: std::collections::BTreeSet<&str> =
        containers.iter().filter_map(|f| f.location.as_ref()?.path.as_deref()).collect();
    assert_eq!(manifests.len(), 3, "{manifests:?}");
}

#[test]
fn github_alerts() {
    const SHIRO: &str = "github-vulnerability-json/github_shiro.json";
    const FIXED: &str = "its only alert is FIXED: GitHub no longer sees the problem, so it is no \
                         finding (this scan then verifies the ticket); DefectDojo imports it \
                         inactive and mitigated. The fields are checked on the alert read as \
                         open below";
    const COUNTS: &[CountPin] = &[(SHIRO, 0, FIXED)];
    const FIELDS: &[FieldPin] = &[
        (SHIRO, 0, "severity", FIXED),
        (SHIRO, 0, "len(vuln_ids)", FIXED),
        (SHIRO, 0, "vuln_ids[0]", FIXED),
        (SHIRO, 0, "component_name", FIXED),
        (SHIRO, 0, "cvss3_vector", FIXED),
        (SHIRO, 0, "cvss3_score", FIXED),
        (SHIRO, 0, "cwe", FIXED),
        (SHIRO, 0, "file_path", FIXED),
        (SHIRO, 0, "vuln_ids[1]", FIXED),
        (SHIRO, 0, "is_mitigated", FIXED),
    ];
    let files = check_format("github-vulnerability-json", "github-alerts", COUNTS, FIELDS);
    let Some(dir) = support::corpus_dir() else { return };

    // The fixed alert, read as if it were still open, carries what the peer asserts.
    let text = std::fs::read_to_string(dir.join(SHIRO)).unwrap().replace("\"FIXED\"", "\"OPEN\"");
    let parser = fixgate_intake::formats::by_name("github-alerts").unwrap();
    let mut sink = fixgate_intake::Collected::default();
    (parser.parse)(&mut text.as_bytes(), &fixgate_intake::Options::default(), &mut sink).unwrap();
    let open = &sink.findings[0];
    assert_eq!(open.severity, Severity::Critical);
    assert_eq!(open.advisories, ["GHSA-f6jp-j6w3-w9hm", "CVE-2021-41303"]);
    assert_eq!(open.package.as_ref().unwrap().name, "org.apache.shiro:shiro-core");
    let cvss = open.cvss.as_ref().unwrap();
    assert_eq!(cvss.vector.as_deref(), Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));
    assert_eq!(cvss.score, Some(9.8));
    assert_eq!(open.cwes, [287]);
    let path = open.location.as_ref().unwrap().path.as_deref();
    assert_eq!(path, Some("apache/cxf/cxf-shiro/pom.xml"));

    // Two alerts of one package and advisory, exported without their manifests.
    let search = &files.iter().find(|(p, _)| p.ends_with("github_search.json")).unwrap().1;
    assert_ne!(search[0].fingerprint, search[1].fingerprint);
    let code = &files.iter().find(|(p, _)| p.ends_with("issue_9582.json")).unwrap().1;
    assert_eq!(code[1].cwes, [22, 23, 36, 73, 99]);
    assert_eq!(code[1].location.as_ref().unwrap().display(), "Path Traversal/file2.py:78");
}

/// Our formats' detection claims no other corpus file.
#[test]
fn no_other_report_is_taken_for_ours() {
    const OURS: &[(&str, &str)] = &[
        ("npm-audit", "npm-audit-json"),
        ("snyk", "snyk-json"),
        ("github-alerts", "github-vulnerability-json"),
        ("pip-audit", ""),
    ];
    let Some(dir) = support::corpus_dir() else { return };
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    for line in manifest.lines().skip(1) {
        let mut cells = line.split('\t');
        let (path, corpus_format) = (cells.next().unwrap(), cells.next().unwrap());
        let bytes = std::fs::read(dir.join(path)).unwrap();
        let prefix = &bytes[..bytes.len().min(256 * 1024)];
        let Some(detected) = fixgate_intake::formats::detect(prefix).map(|f| f.name) else {
            continue;
        };
        if let Some((_, home)) = OURS.iter().find(|(ours, _)| *ours == detected) {
            assert_eq!(*home, corpus_format, "{path} is detected as {detected}");
        }
    }
}
