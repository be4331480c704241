//! The secrets scanners' reports of the shared corpus against the manifest.

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
fn gitleaks() {
    const COUNTS: &[CountPin] = &[(
        "gitleaks-json/gitleaks8_many.json",
        4,
        "4 leaks; DefectDojo merges two leaks of the same secret at the same file and line \
         into one finding with 2 occurrences, we keep both (the import numbers them)",
    )];
    const FIELDS: &[FieldPin] = &[
        (
            "gitleaks-json/gitleaks.dir.json",
            0,
            "severity",
            "SecObserve says medium; a leaked credential is high for us",
        ),
        (
            "gitleaks-json/gitleaks.git.json",
            0,
            "severity",
            "SecObserve says medium; a leaked credential is high for us",
        ),
    ];
    let files = check_format("gitleaks-json", "gitleaks", COUNTS, FIELDS);
    for (path, findings) in &files {
        for finding in findings {
            assert!(finding.secret.is_some(), "{path}: {} has no secret reference", finding.title);
            assert_eq!(finding.cwes, [798], "{path}");
        }
    }
}
