//! The SCA and container scanners' reports of the shared corpus (Trivy,
//! Grype, Anchore Engine, Clair) against the manifest.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test by panicking, like the tests themselves"
)]

mod support;

use support::{CountPin, FieldPin, check_format};

/// Why a Trivy vulnerability's path is not the peer's.
const PKG_PATH: &str = "the peer's path is PkgPath, which carries the installed version \
    (`app/libs/freetype-2.9.1-r2`); ours is the result's Target, the image or lock file, so an \
    upgrade that is still vulnerable keeps its identity; PkgPath is our logical location";

#[test]
fn trivy() {
    const COUNTS: &[CountPin] = &[];
    const FIELDS: &[FieldPin] = &[
        (
            "trivy-json/license_scheme.json",
            0,
            "file_path",
            "the licence of an OS package has no FilePath; our place is the result's Target \
             (`OS Packages`), the peer leaves it empty",
        ),
        ("trivy-json/scheme_2_many_vulns.json", 0, "file_path", PKG_PATH),
        ("trivy-json/scheme_2_many_vulns.json", 1, "file_path", PKG_PATH),
    ];
    let files = check_format("trivy-json", "trivy", COUNTS, FIELDS);
    let file = |name: &str| &files.iter().find(|(path, _)| path.ends_with(name)).unwrap().1;

    // The rating comes from the source Trivy took the severity from: GHSA,
    // which has only CVSS v4 here, not Red Hat's v3.
    let tomcat = file("cvssv4_severity_source.json");
    let cvss = tomcat[0].cvss.as_ref().unwrap();
    assert_eq!(cvss.score, Some(6.3));
    assert!(cvss.vector.as_deref().unwrap().starts_with("CVSS:4.0/"));
    assert_eq!(tomcat[0].advisories, ["CVE-2025-66614", "GHSA-fpj8-gq4v-p354"]);

    // Legacy reports name the image's OS as the target.
    let legacy = file("legacy_many_vulns.json");
    assert!(
        legacy
            .iter()
            .all(|f| f.location.as_ref().unwrap().path.as_deref() == Some("debian (debian)"))
    );
    assert!(
        legacy.iter().all(|f| f.package.as_ref().unwrap().ecosystem.as_deref() == Some("debian"))
    );

    // Loose licence files are placed at the file, package licences at the target.
    let licences = file("license_scheme.json");
    let loose: Vec<_> = licences.iter().filter(|f| f.package.is_none()).collect();
    assert_eq!(loose.len(), 2);
    assert_eq!(loose[0].location.as_ref().unwrap().path.as_deref(), Some("/etc/ssl/misc/CA.pl"));
    assert!(licences.iter().all(|f| f.tool == "Trivy"));
}

#[test]
fn grype() {
    const COUNTS: &[CountPin] = &[(
        "grype-json/same_cve_different_paths.json",
        2,
        "one CVE of libc6 found at two paths; DefectDojo's default mode merges them into one \
         finding with 2 occurrences, we keep one finding per path (as its detailed mode does)",
    )];
    let files = check_format("grype-json", "grype", COUNTS, &[]);
    let file = |name: &str| &files.iter().find(|(path, _)| path.ends_with(name)).unwrap().1;

    let paths = file("same_cve_different_paths.json");
    let mut places: Vec<_> =
        paths.iter().map(|f| f.location.as_ref().unwrap().path.clone().unwrap()).collect();
    places.sort();
    assert_eq!(places, ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6"]);

    // Matches keep the report's order, and EPSS reaches the message.
    let epss = file("many_vulns_with_epss_values.json");
    assert_eq!(epss[0].rule_id, "CVE-2022-28391");
    assert_eq!(epss[14].rule_id, "CVE-2025-46394");
    assert!(epss[0].message.contains("EPSS 0.0719 (percentile 0.91123)"), "{}", epss[0].message);
    // NVD's v3 rating wins over the v2 one listed with it.
    assert_eq!(epss[0].cvss.as_ref().unwrap().score, Some(8.8));

    // A GHSA match names its CVE alias, which becomes its identity.
    let newer = file("many_vulns4.json");
    let ghsa = newer.iter().find(|f| f.rule_id == "GHSA-8v27-2fg9-7h62").unwrap();
    assert_eq!(ghsa.advisories, ["GHSA-8v27-2fg9-7h62", "CVE-2021-23334"]);

    // Grype 0.7: Negligible and Unknown are kept as info.
    let early = file("many_vulns3.json");
    let info = early.iter().filter(|f| f.severity == fixgate_domain::Severity::Info).count();
    assert_eq!(info, 106 + 10);
    assert!(early.iter().all(|f| f.package.is_some() && f.location.is_some()));
}

#[test]
fn anchore() {
    const FIELDS: &[FieldPin] = &[(
        "anchore-engine-json/new_format_issue_11552.json",
        50,
        "component_name",
        "the export writes name and version as one `package`; the peer keeps \
         `openssl-libs-1:1.1.1k-14.el8_6` as the name, we split it into `openssl-libs` and \
         `1:1.1.1k-14.el8_6` so an upgrade keeps the identity",
    )];
    let files = check_format("anchore-engine-json", "anchore", &[], FIELDS);
    let file = |name: &str| &files.iter().find(|(path, _)| path.ends_with(name)).unwrap().1;

    let export = file("new_format_issue_11552.json");
    let openssl = export
        .iter()
        .find(|f| {
            f.rule_id == "CVE-2023-0466" && f.package.as_ref().unwrap().name == "openssl-libs"
        })
        .unwrap();
    let package = openssl.package.as_ref().unwrap();
    assert_eq!(package.version.as_deref(), Some("1:1.1.1k-14.el8_6"));
    assert_eq!(package.ecosystem.as_deref(), Some("RPM"));
    assert_eq!(openssl.location.as_ref().unwrap().path.as_deref(), Some("pkgdb"));
    assert_eq!(openssl.cvss.as_ref().unwrap().score, Some(5.3));

    // A GHSA entry names its CVE, which is its identity; `N/A` is no score.
    let ghsa = export.iter().find(|f| f.rule_id == "GHSA-5j33-cvvr-w245").unwrap();
    assert_eq!(ghsa.advisories, ["GHSA-5j33-cvvr-w245", "CVE-2024-50379"]);
    assert!(ghsa.cvss.is_none());
    assert_eq!(export.iter().filter(|f| f.severity == fixgate_domain::Severity::Info).count(), 1);
}

#[test]
fn clair() {
    let files = check_format("clair-json", "clair", &[], &[]);
    let file = |name: &str| &files.iter().find(|(path, _)| path.ends_with(name)).unwrap().1;

    // clair-scanner: every id is unapproved, so nothing is suppressed; the
    // place is the namespace, so a new image tag keeps the identities.
    let scanner = file("clair_many_vul.json");
    assert!(scanner.iter().all(|f| f.suppression.is_none()));
    let first = &scanner[0];
    assert_eq!(first.title, "CVE-2018-20839 in systemd");
    assert_eq!(first.location.as_ref().unwrap().logical.as_deref(), Some("ubuntu:18.04"));
    assert_eq!(first.package.as_ref().unwrap().version.as_deref(), Some("237-3ubuntu10.29"));
    let negligible = scanner.iter().filter(|f| f.tool_severity.as_deref() == Some("Negligible"));
    assert!(negligible.clone().all(|f| f.severity == fixgate_domain::Severity::Info));
    assert_eq!(negligible.count(), 11);

    // klar: one list per severity; Red Hat advisories name their CVEs.
    let klar = file("clairklar_mixed.json");
    let severities: Vec<_> = klar.iter().map(|f| f.severity.as_str()).collect();
    assert_eq!(severities, ["critical", "critical", "high", "medium", "low", "info"]);
    let systemd = klar.iter().find(|f| f.rule_id == "RHSA-2019:0049").unwrap();
    assert_eq!(
        systemd.advisories,
        ["RHSA-2019:0049", "CVE-2018-15688", "CVE-2018-16864", "CVE-2018-16865"]
    );
}
