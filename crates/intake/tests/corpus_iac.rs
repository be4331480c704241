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

#[test]
fn tfsec() {
    const COUNTS: &[CountPin] = &[(
        "tfsec-json/many_findings_current.json",
        18,
        "19 failed results; DefectDojo merges results of one rule at one file and line range \
         (13). We keep the six `aws-vpc-no-public-egress-sgr` results at \
         security-group/main.tf:72 apart: they are six module instances, each description \
         names its own resource. We also keep the pairs at resources.tf:155/156 and 207/208: \
         one rule flags two lines. The two `ingress_with_cidr_blocks[0]` and `[1]` results at \
         main.tf:40 are count instances of one block at one line: one problem, so 18",
    )];
    let files = check_format("tfsec-json", "tfsec", COUNTS, &[]);
    let (_, many) =
        files.iter().find(|(path, _)| path.ends_with("many_findings_current.json")).unwrap();
    let count =
        |word: &str| many.iter().filter(|f| f.tool_severity.as_deref() == Some(word)).count();
    assert_eq!((count("CRITICAL"), count("HIGH"), count("MEDIUM"), count("LOW")), (13, 3, 1, 1));
    let egress: Vec<_> =
        many.iter().filter(|f| f.rule_id == "aws-vpc-no-public-egress-sgr").collect();
    assert_eq!(egress.len(), 6);
    assert!(egress.iter().all(|f| !f.fingerprint.as_str().contains(':')), "one fingerprint each");
}

/// DefectDojo's component_name for a KICS finding is the query's platform.
const KICS_PLATFORM: &str = "DefectDojo puts the query's platform (Common, Terraform, \
     Kubernetes) in component_name; it is no third-party package, we keep it in the message";

#[test]
fn kics() {
    const MANY: &str = "kics-json/many_findings.json";
    const FIELDS: &[FieldPin] = &[
        (MANY, 0, "component_name", KICS_PLATFORM),
        (MANY, 1, "component_name", KICS_PLATFORM),
        (MANY, 2, "component_name", KICS_PLATFORM),
        (MANY, 3, "component_name", KICS_PLATFORM),
        (MANY, 4, "component_name", KICS_PLATFORM),
        (MANY, 5, "component_name", KICS_PLATFORM),
    ];
    let files = check_format("kics-json", "kics", &[], FIELDS);
    let (_, many) = files.iter().find(|(path, _)| path == MANY).unwrap();
    assert!(many.iter().all(|f| f.tool_fingerprints.contains_key("kics/similarityId")));
    assert!(many.iter().all(|f| f.message.contains("Platform: ")));
    // The four RBAC wildcard matches share one similarity id and one line;
    // each flags another list, so they are four findings.
    let rbac: Vec<_> = many.iter().filter(|f| f.title == "RBAC Wildcard In Rule").collect();
    assert_eq!(rbac.len(), 4);
    assert!(rbac.iter().all(|f| !f.fingerprint.as_str().contains(':')));
}
