//! The IaC scanners' reports of the shared corpus against the manifest.
//!
//! Our rule for IaC tools: one finding per failed check at each place it
//! was reported; nothing is merged beyond exact repeats of one problem at
//! one place.

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
fn checkov() {
    const COUNTS: &[CountPin] = &[];
    const FIELDS: &[FieldPin] = &[
        (
            "checkov-json/checkov-report-multiple-check_type.json",
            0,
            "component_name",
            "DefectDojo puts the Terraform resource in component_name; it is no third-party \
             package, we keep it as the location's logical name",
        ),
        (
            "checkov-json/checkov-report-multiple-check_type.json",
            11,
            "component_name",
            "DefectDojo puts the resource (here the Dockerfile) in component_name; it is no \
             third-party package, we keep it as the location's logical name",
        ),
        (
            "checkov-json/checkov-report-multiple-check_type.json",
            11,
            "line",
            "a whole-file Dockerfile check has file_line_range [0, 0]; lines count from 1, so \
             we give it no line where DefectDojo says 0",
        ),
    ];
    let files = check_format("checkov-json", "checkov", COUNTS, FIELDS);
    for (path, findings) in &files {
        for finding in findings {
            assert_eq!(finding.tool, "Checkov", "{path}");
            let location = finding.location.as_ref().unwrap();
            assert!(location.path.as_deref().is_some_and(|p| !p.starts_with('/')), "{path}");
        }
    }
    let (_, multi) = files
        .iter()
        .find(|(path, _)| path.ends_with("multiple-check_type.json"))
        .expect("the multi-framework report");
    let docker = multi.iter().find(|f| f.rule_id == "CKV_DOCKER_3").unwrap();
    let location = docker.location.as_ref().unwrap();
    assert_eq!(location.path.as_deref(), Some("aws/resources/Dockerfile"));
    assert_eq!(location.snippet.as_deref(), Some("FROM python:3.7-slim"));
}
