use fixgate_domain::{Finding, RunInfo, Severity};

use super::*;
use crate::{Collected, formats};

fn parse_text(text: &str) -> Result<Collected, ParseError> {
    let mut sink = Collected::default();
    parse(&mut text.as_bytes(), &Options::default(), &mut sink)?;
    assert_eq!(sink.runs.len(), 1, "one run per report");
    Ok(sink)
}

fn findings(text: &str) -> Vec<Finding> {
    parse_text(text).unwrap().findings
}

const IMAGE: &str = r##"{
  "SchemaVersion": 2,
  "Trivy": {"Version": "0.58.1"},
  "ArtifactName": "shop:1.4",
  "ArtifactType": "container_image",
  "Metadata": {"OS": {"Family": "alpine", "Name": "3.19.1"}, "ImageConfig": {"os": "linux"},
               "RepoURL": "https://github.com/acme/shop", "Branch": "main", "Commit": "abc123"},
  "Results": [
    {"Target": "shop:1.4 (alpine 3.19.1)", "Class": "os-pkgs", "Type": "alpine",
     "Packages": [{"Name": "openssl", "Version": "3.1.4-r5"}],
     "Vulnerabilities": [
      {"VulnerabilityID": "CVE-2024-0727", "VendorIDs": ["GHSA-9v9h-cgj8-h64p"],
       "PkgID": "openssl@3.1.4-r5", "PkgName": "openssl",
       "PkgIdentifier": {"PURL": "pkg:apk/alpine/openssl@3.1.4-r5?distro=3.19.1"},
       "InstalledVersion": "3.1.4-r5", "FixedVersion": "3.1.4-r6", "Status": "fixed",
       "SeveritySource": "redhat", "PrimaryURL": "https://avd.aquasec.com/nvd/cve-2024-0727",
       "Title": "openssl: denial of service via null dereference",
       "Description": "Processing a maliciously formatted PKCS12 file may crash OpenSSL.",
       "Severity": "MEDIUM", "CweIDs": ["CWE-476"],
       "VendorSeverity": {"nvd": 2, "redhat": 1},
       "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", "V3Score": 5.5},
                "redhat": {"V3Vector": "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:L", "V3Score": 3.3}},
       "References": ["https://nvd.nist.gov/vuln/detail/CVE-2024-0727", " ", "https://nvd.nist.gov/vuln/detail/CVE-2024-0727"]},
      {"VulnerabilityID": "CVE-2023-9999", "PkgName": "busybox", "InstalledVersion": "1.36.1-r15",
       "Severity": "UNKNOWN", "Status": "will_not_fix"}
     ]},
    {"Target": "Dockerfile", "Class": "config", "Type": "dockerfile",
     "MisconfSummary": {"Successes": 20, "Failures": 2},
     "Misconfigurations": [
      {"Type": "Dockerfile Security Check", "ID": "DS002", "AVDID": "AVD-DS-0002",
       "Title": "Image user should not be 'root'",
       "Description": "Running containers with 'root' user can lead to a container escape situation.",
       "Message": "Specify at least 1 USER command in Dockerfile with non-root user as argument",
       "Resolution": "Add 'USER <non root user name>' line to the Dockerfile",
       "Severity": "HIGH", "PrimaryURL": "https://avd.aquasec.com/misconfig/ds002",
       "References": ["https://docs.docker.com/develop/develop-images/dockerfile_best-practices/"],
       "Status": "FAIL",
       "CauseMetadata": {"Provider": "Dockerfile", "Service": "general", "StartLine": 3, "EndLine": 4,
         "Code": {"Lines": [
           {"Number": 2, "Content": "# base", "IsCause": false},
           {"Number": 3, "Content": "FROM alpine:3.19", "IsCause": true},
           {"Number": 4, "Content": "RUN apk add curl", "IsCause": true}]}}},
      {"ID": "DS001", "Title": "':latest' tag used", "Severity": "MEDIUM", "Status": "PASS"},
      {"ID": "DS026", "Title": "No HEALTHCHECK defined", "Severity": "LOW", "Status": "EXCEPTION"}
     ]},
    {"Target": "app/config.env", "Class": "secret",
     "Secrets": [
      {"RuleID": "aws-access-key-id", "Category": "AWS", "Severity": "CRITICAL",
       "Title": "AWS Access Key ID", "StartLine": 7, "EndLine": 7,
       "Code": {"Lines": [{"Number": 7, "Content": "AWS_KEY=********************", "IsCause": true}]},
       "Match": "AWS_KEY=********************"}
     ]},
    {"Target": "Python", "Class": "lang-pkgs", "Type": "python-pkg",
     "Licenses": [
      {"Severity": "HIGH", "Category": "restricted", "PkgName": "chardet",
       "FilePath": "usr/lib/python3/site-packages/chardet/METADATA", "Name": "LGPL-2.1",
       "Confidence": 1, "Link": "https://spdx.org/licenses/LGPL-2.1.html"}
     ]}
  ]
}"##;

#[test]
fn a_vulnerability_carries_its_package_advisories_and_rating() {
    let all = findings(IMAGE);
    let f = &all[0];
    assert_eq!(f.tool, "Trivy");
    assert_eq!(f.rule_id, "CVE-2024-0727");
    assert_eq!(f.title, "CVE-2024-0727 in openssl: denial of service via null dereference");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.tool_severity.as_deref(), Some("MEDIUM"));
    assert_eq!(f.advisories, ["CVE-2024-0727", "GHSA-9v9h-cgj8-h64p"]);
    assert_eq!(f.cwes, [476]);
    assert!(f.message.starts_with("Processing a maliciously formatted PKCS12"));
    assert_eq!(f.help_uri.as_deref(), Some("https://avd.aquasec.com/nvd/cve-2024-0727"));
    assert_eq!(f.references, ["https://nvd.nist.gov/vuln/detail/CVE-2024-0727"]);
    // SeveritySource names redhat, so redhat's rating wins over nvd's.
    let cvss = f.cvss.as_ref().unwrap();
    assert_eq!(cvss.score, Some(3.3));
    assert_eq!(cvss.vector.as_deref(), Some("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:L"));
    let package = f.package.as_ref().unwrap();
    assert_eq!(package.name, "openssl");
    assert_eq!(package.version.as_deref(), Some("3.1.4-r5"));
    assert_eq!(package.purl.as_deref(), Some("pkg:apk/alpine/openssl@3.1.4-r5?distro=3.19.1"));
    assert_eq!(package.ecosystem.as_deref(), Some("alpine"));
    assert_eq!(package.fixed_version.as_deref(), Some("3.1.4-r6"));
    assert_eq!(f.remediation.as_deref(), Some("Upgrade openssl to 3.1.4-r6."));
    let location = f.location.as_ref().unwrap();
    assert_eq!(location.path.as_deref(), Some("shop (alpine)"));
    assert!(f.suppression.is_none() && f.vex.is_none());
}

#[test]
fn unknown_severity_is_kept_as_info() {
    let all = findings(IMAGE);
    let f = &all[1];
    assert_eq!((f.severity, f.tool_severity.as_deref()), (Severity::Info, Some("UNKNOWN")));
    assert_eq!(f.title, "CVE-2023-9999 in busybox");
    assert!(f.message.ends_with("Trivy status: will_not_fix"), "{}", f.message);
    assert!(f.cvss.is_none() && f.remediation.is_none());
}

#[test]
fn severities_map_one_to_one() {
    let cases = [
        ("CRITICAL", Severity::Critical),
        ("HIGH", Severity::High),
        ("MEDIUM", Severity::Medium),
        ("low", Severity::Low),
        ("UNKNOWN", Severity::Info),
        ("", Severity::Info),
    ];
    for (word, severity) in cases {
        assert_eq!(convert::severity(Some(word)), severity, "{word}");
    }
    assert_eq!(convert::severity(None), Severity::Info);
}

#[test]
fn failed_checks_are_findings_and_passed_ones_are_not() {
    let all = findings(IMAGE);
    let checks: Vec<_> = all.iter().filter(|f| f.rule_id.starts_with("DS")).collect();
    assert_eq!(checks.len(), 2, "the PASS is skipped");
    let f = checks[0];
    assert_eq!(f.rule_id, "DS002");
    assert_eq!(f.title, "Image user should not be 'root'");
    assert_eq!(f.severity, Severity::High);
    assert!(f.message.starts_with("Specify at least 1 USER command"));
    assert!(f.message.contains("container escape"));
    assert_eq!(
        f.remediation.as_deref(),
        Some("Add 'USER <non root user name>' line to the Dockerfile")
    );
    let location = f.location.as_ref().unwrap();
    assert_eq!(location.path.as_deref(), Some("Dockerfile"));
    assert_eq!((location.start_line, location.end_line), (Some(3), Some(4)));
    // Only the lines Trivy marks as the cause, not the context before them.
    assert_eq!(location.snippet.as_deref(), Some("FROM alpine:3.19\nRUN apk add curl"));
    assert!(f.package.is_none());

    let excepted = checks[1];
    assert_eq!(excepted.rule_id, "DS026");
    assert_eq!(excepted.severity, Severity::Low);
    assert!(excepted.suppression.is_some());
}

#[test]
fn a_secret_keeps_trivys_mask_and_its_identity_when_it_moves() {
    let before = findings(IMAGE);
    let moved =
        IMAGE.replace("\"StartLine\": 7, \"EndLine\": 7", "\"StartLine\": 9, \"EndLine\": 9");
    let after = findings(&moved);
    let secret = |all: &[Finding]| all.iter().find(|f| f.rule_id == "aws-access-key-id").cloned();
    let (before, after) = (secret(&before).unwrap(), secret(&after).unwrap());
    assert_eq!(before.severity, Severity::Critical);
    assert_eq!(before.cwes, [798]);
    assert_eq!(before.message, "AWS Access Key ID (AWS)");
    let location = before.location.as_ref().unwrap();
    assert_eq!(location.path.as_deref(), Some("app/config.env"));
    assert_eq!(location.start_line, Some(7));
    assert_eq!(location.snippet.as_deref(), Some("AWS_KEY=********************"));
    assert_eq!(after.location.as_ref().unwrap().start_line, Some(9));
    assert_eq!(before.fingerprint, after.fingerprint);
}

#[test]
fn a_licence_names_its_package_and_file() {
    let all = findings(IMAGE);
    let f = all.last().unwrap();
    assert_eq!(f.rule_id, "LGPL-2.1");
    assert_eq!(f.title, "chardet: restricted license LGPL-2.1");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.package.as_ref().unwrap().name, "chardet");
    assert_eq!(f.package.as_ref().unwrap().ecosystem.as_deref(), Some("python-pkg"));
    assert_eq!(
        f.location.as_ref().unwrap().path.as_deref(),
        Some("usr/lib/python3/site-packages/chardet/METADATA")
    );
    assert_eq!(f.help_uri.as_deref(), Some("https://spdx.org/licenses/LGPL-2.1.html"));
    assert!(f.message.contains("confidence 1"), "{}", f.message);
}

#[test]
fn the_run_says_which_trivy_and_which_commit() {
    let collected = parse_text(IMAGE).unwrap();
    assert_eq!(
        collected.runs[0],
        RunInfo {
            tool: "Trivy".into(),
            tool_version: Some("0.58.1".into()),
            repository: Some("https://github.com/acme/shop".into()),
            commit: Some("abc123".into()),
            branch: Some("main".into()),
            category: Some("container_image:shop".into()),
            partial: false,
        }
    );
}

#[test]
fn an_upgrade_or_another_target_keeps_the_identity() {
    let upgraded = IMAGE.replace("3.1.4-r5", "3.1.4-r5a");
    assert_ne!(IMAGE, upgraded);
    assert_eq!(findings(IMAGE)[0].fingerprint, findings(&upgraded)[0].fingerprint);
    let moved = IMAGE.replace("\"Target\": \"shop:1.4 (alpine 3.19.1)\"", "\"Target\": \"other\"");
    assert_eq!(findings(IMAGE)[0].fingerprint, findings(&moved)[0].fingerprint);
}

#[test]
fn cvss_falls_back_to_nvd_then_the_first_source_and_to_v4() {
    let rated = |cvss: &str, source: &str| {
        let report = format!(
            r#"[{{"Target": "t", "Vulnerabilities": [{{"VulnerabilityID": "CVE-2024-1",
               "SeveritySource": "{source}", "CVSS": {cvss}}}]}}]"#
        );
        let f = findings(&report).remove(0);
        f.cvss.map(|c| (c.score, c.vector.unwrap_or_default()))
    };
    let both = r#"{"ghsa": {"V3Score": 7.5, "V3Vector": "CVSS:3.1/G"}, "nvd": {"V3Score": 9.8, "V3Vector": "CVSS:3.1/N"}}"#;
    assert_eq!(rated(both, "debian"), Some((Some(9.8), "CVSS:3.1/N".into())));
    assert_eq!(rated(both, "ghsa"), Some((Some(7.5), "CVSS:3.1/G".into())));
    let no_nvd = r#"{"redhat": {"V2Score": 5.0}, "ghsa": {"V3Score": 6.1}}"#;
    assert_eq!(rated(no_nvd, "redhat"), Some((Some(6.1), String::new())));
    let v4 = r#"{"ghsa": {"V40Score": 6.3, "V40Vector": "CVSS:4.0/AV:N"}}"#;
    assert_eq!(rated(v4, "ghsa"), Some((Some(6.3), "CVSS:4.0/AV:N".into())));
    assert_eq!(rated(r#"{"nvd": {"V2Score": 4.3}}"#, "nvd"), None);
}

#[test]
fn legacy_reports_are_arrays_or_null() {
    let legacy = r#"[{"Target": "package-lock.json", "Type": "npm", "Vulnerabilities": [
        {"VulnerabilityID": "CVE-2021-23337", "PkgName": "lodash", "InstalledVersion": "4.17.15",
         "Severity": "HIGH"}]}, {"Target": "yarn.lock", "Type": "yarn", "Vulnerabilities": null}]"#;
    let all = findings(legacy);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].location.as_ref().unwrap().path.as_deref(), Some("package-lock.json"));
    assert_eq!(all[0].package.as_ref().unwrap().ecosystem.as_deref(), Some("npm"));
    assert!(findings("null").is_empty());
    // `null` names nothing scanned: it proves nothing absent.
    assert!(parse_text("null").unwrap().runs[0].partial);
    assert!(!parse_text("[]").map(|c| c.runs[0].partial).unwrap_or(false));
    assert!(findings("[]").is_empty());
}

#[test]
fn an_empty_report_is_a_clean_scan() {
    let clean = r#"{"SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem"}"#;
    let collected = parse_text(clean).unwrap();
    assert!(collected.findings.is_empty());
    assert_eq!(collected.runs[0].tool, "Trivy");
    assert!(findings(r#"{"SchemaVersion": 2, "Results": [{"Target": "x"}]}"#).is_empty());
}

#[test]
fn missing_optional_fields_in_a_later_item_do_not_fail() {
    let report = r#"{"SchemaVersion": 2, "Results": [{"Target": "go.sum", "Type": "gomod",
        "Vulnerabilities": [
          {"VulnerabilityID": "CVE-2024-1", "PkgName": "a", "Severity": "LOW", "CweIDs": ["CWE-79"]},
          {"VulnerabilityID": "CVE-2024-2", "CweIDs": null, "References": null, "CVSS": null},
          {}
        ],
        "Misconfigurations": [{}], "Secrets": [{}], "Licenses": [{}]}]}"#;
    let all = findings(report);
    assert_eq!(all.len(), 6);
    assert!(all[1].package.is_none());
    assert_eq!(all[2].rule_id, "trivy-vulnerability");
    assert_eq!(all[3].rule_id, "trivy-config");
    assert_eq!(all[4].rule_id, "trivy-secret");
    assert_eq!(all[5].rule_id, "unknown");
    assert!(all.iter().all(|f| !f.title.is_empty()));
}

#[test]
fn items_written_before_their_target_wait_for_it() {
    let report = r#"{"SchemaVersion": 2, "Results": [{"Vulnerabilities": [
        {"VulnerabilityID": "CVE-2024-1", "PkgName": "a"}], "Type": "npm", "Target": "web/package-lock.json"}]}"#;
    let all = findings(report);
    assert_eq!(all[0].location.as_ref().unwrap().path.as_deref(), Some("web/package-lock.json"));
    assert_eq!(all[0].package.as_ref().unwrap().ecosystem.as_deref(), Some("npm"));
}

#[test]
fn items_set_aside_are_kept_suppressed() {
    let report = r#"{"SchemaVersion": 2, "ArtifactName": "x", "Results": [{"Target": "go.mod",
      "Type": "gomod", "ExperimentalModifiedFindings": [
        {"Type": "vulnerability", "Status": "not_affected", "Statement": "vulnerable_code_not_in_execute_path",
         "Source": "openvex.json", "Finding": {"VulnerabilityID": "CVE-2024-3", "PkgName": "x/net",
         "Severity": "HIGH"}},
        {"Type": "secret", "Status": "ignored", "Source": ".trivyignore",
         "Finding": {"RuleID": "github-pat", "Severity": "CRITICAL", "Title": "GitHub PAT"}},
        {"Type": "something-new", "Status": "ignored", "Finding": {}}
      ]}]}"#;
    let all = findings(report);
    assert_eq!(all.len(), 2, "unknown types are skipped");
    let vex = all[0].vex.as_ref().unwrap();
    assert_eq!(vex.state, "not_affected");
    assert_eq!(vex.detail.as_deref(), Some("vulnerable_code_not_in_execute_path"));
    let why = all[0].suppression.as_ref().unwrap().justification.clone().unwrap();
    assert_eq!(why, "not_affected: vulnerable_code_not_in_execute_path (openvex.json)");
    assert_eq!(all[1].rule_id, "github-pat");
    assert!(all[1].vex.is_none());
    assert_eq!(
        all[1].suppression.as_ref().unwrap().justification.as_deref(),
        Some("ignored (.trivyignore)")
    );
}

#[test]
fn wrong_shapes_are_named() {
    let err = parse_text(r#"{"name": "not trivy"}"#).unwrap_err();
    assert!(matches!(err, ParseError::WrongShape { format: "trivy", .. }), "{err}");
    let err = parse_text(r#""text""#).unwrap_err();
    assert_eq!(err.to_string(), "not a trivy report: a JSON string");

    let err = parse_text(r#"{"SchemaVersion": 2, "Results": {"Target": "x"}}"#).unwrap_err();
    assert!(err.to_string().starts_with("invalid trivy report at `Results`"), "{err}");

    let bad_item = r#"{"SchemaVersion": 2, "Results": [{"Target": "x"}, {"Target": "y",
        "Vulnerabilities": [{"VulnerabilityID": "CVE-1"}, {"CVSS": {"nvd": {"V3Score": "high"}}}]}]}"#;
    let err = parse_text(bad_item).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "invalid trivy report at `Results[1].Vulnerabilities[1].CVSS.nvd.V3Score`: invalid type"
        ),
        "{err}"
    );

    let err = parse_text(r#"[{"Target": "x", "Secrets": [{"StartLine": -1}]}]"#).unwrap_err();
    assert!(
        err.to_string().starts_with("invalid trivy report at `[0].Secrets[0].StartLine`"),
        "{err}"
    );

    let err =
        parse_text(r#"{"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": ["#)
            .unwrap_err();
    assert!(matches!(err, ParseError::Json { line: 1, .. }), "{err}");
}

#[test]
fn a_report_over_the_limit_is_refused() {
    let options = Options {
        limits: crate::Limits { max_bytes: 64, ..crate::Limits::default() },
        ..Options::default()
    };
    let err = parse(&mut IMAGE.as_bytes(), &options, &mut Collected::default()).unwrap_err();
    assert!(matches!(err, ParseError::TooLarge { limit: 64 }), "{err}");
}

#[test]
fn detection_takes_trivy_and_leaves_other_formats() {
    let detected = |text: &str| formats::detect(text.as_bytes()).map(|f| f.name);
    assert_eq!(detected(IMAGE), Some("trivy"));
    assert_eq!(
        detected(r#"[{"Target": "a", "Type": "npm", "Vulnerabilities": []}]"#),
        Some("trivy")
    );
    assert_eq!(detected("null\n"), Some("trivy"));
    let sarif = r#"{"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{"tool": {"driver": {"name": "Trivy"}}, "results": []}]}"#;
    assert_eq!(detected(sarif), Some("sarif"));
    assert_ne!(detected(r#"[{"RuleID": "x", "Secret": "y", "Target": "z"}]"#), Some("trivy"));
    assert_ne!(detected(r#"{"SchemaVersion": 2, "other": 1}"#), Some("trivy"));
}

#[test]
fn an_image_target_keeps_its_place_across_tags_and_os_patches() {
    use super::stream::{place_of, without_tag};
    assert_eq!(
        place_of("registry.example/shop:1.4 (alpine 3.19.1)"),
        "registry.example/shop (alpine)"
    );
    assert_eq!(
        place_of("registry.example/shop:1.5 (alpine 3.19.2)"),
        "registry.example/shop (alpine)"
    );
    assert_eq!(
        place_of("localhost:5000/shop@sha256:abc (debian 12.5)"),
        "localhost:5000/shop (debian)"
    );
    assert_eq!(place_of("package-lock.json"), "package-lock.json");
    assert_eq!(place_of("Node.js"), "Node.js");
    assert_eq!(without_tag("localhost:5000/shop"), "localhost:5000/shop");
    assert_eq!(without_tag("alpine:3.10"), "alpine");
}

#[test]
fn the_artifact_names_the_scan_category_without_its_tag() {
    let report = r#"{"SchemaVersion": 2, "ArtifactName": "registry.example/shop:1.4",
        "ArtifactType": "container_image", "Results": []}"#;
    let mut sink = crate::Collected::default();
    super::parse(&mut report.as_bytes(), &crate::Options::default(), &mut sink).unwrap();
    assert_eq!(sink.runs[0].category.as_deref(), Some("container_image:registry.example/shop"));
}
