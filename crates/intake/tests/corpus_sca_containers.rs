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
            .all(|f| f.location.as_ref().unwrap().path.as_deref() == Some("debian (debian 10.8)"))
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
