//! tfsec JSON reports (`tfsec --format json`): `{"results": [...]}`, where
//! `results` is `null` for a clean scan. Three generations are read: tfsec
//! 1.x (`rule_id` is the Aqua id `AVD-AWS-0086`, `long_id` the readable
//! name, `status` a number), the late 0.x reports (`rule_id` is the
//! readable name, `legacy_rule_id` the old code, `status` a word) and the
//! early 0.x reports (`rule_id` such as `AWS044`, one `link`).
//!
//! Mapping: one finding per result. Passed results (`status` 1 or
//! `passed`, written with `--include-passed`) are not findings; ignored
//! ones (`status` 2 or `ignored`, written with `--include-ignored`) are
//! kept, suppressed in source. tfsec writes `CRITICAL`, `HIGH`, `MEDIUM`,
//! `LOW` (early reports `ERROR`, `WARNING`, `INFO`), mapped through the shared
//! severity words; a missing or unknown severity is medium.
//!
//! Fields: the readable rule name (`long_id`, else `rule_id`) → rule, the
//! Aqua `AVD-` id → advisory (Trivy reports the same checks by that id),
//! `rule_description` → title, `description` and `impact` → message,
//! `resolution` → remediation, `links` → references, `location` → location,
//! `resource` → logical location. tfsec gives no code, so the fingerprint
//! comes from the rule, the file and the description, which names the
//! resource: two module instances of one file are two findings, while the
//! count instances of one block (`rule[0]`, `rule[1]`) reported at one line
//! are one (digits in the message do not count towards identity).

use std::io::Read;

use fixgate_domain::{Finding, Location, RunInfo, Severity, Suppression};
use serde::Deserialize;

use crate::common::{emit, non_blank, severity_word};
use crate::{Options, ParseError, Shape, Sink, json};

pub(crate) const NAME: &str = "tfsec";

#[derive(Debug, Deserialize)]
struct Report {
    /// Required, though it may be `null`: a report without it is not tfsec's.
    #[serde(deserialize_with = "Option::deserialize")]
    results: Option<Vec<TfsecResult>>,
}

/// One check on one block.
#[derive(Debug, Deserialize)]
struct TfsecResult {
    rule_id: Option<String>,
    long_id: Option<String>,
    legacy_rule_id: Option<String>,
    rule_description: Option<String>,
    rule_provider: Option<String>,
    rule_service: Option<String>,
    impact: Option<String>,
    resolution: Option<String>,
    links: Option<Vec<String>>,
    /// Early reports' single link.
    link: Option<String>,
    description: Option<String>,
    severity: Option<String>,
    status: Option<Status>,
    resource: Option<String>,
    location: Option<TfsecLocation>,
}

/// `0`/`failed`, `1`/`passed`, `2`/`ignored`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Status {
    Code(i64),
    Word(String),
}

#[derive(Debug, Deserialize)]
struct TfsecLocation {
    filename: Option<String>,
    start_line: Option<i64>,
    end_line: Option<i64>,
}

pub(crate) fn sniff(shape: &Shape) -> bool {
    if shape.kind != crate::shape::Kind::Object {
        return false;
    }
    let current = shape.has_all(&["results[].rule_description", "results[].rule_provider"]);
    let early = shape.has_all(&["results[].rule_id", "results[].link", "results[].location"]);
    current || early || is_clean_scan(shape)
}

/// tfsec's clean scan is exactly `{"results": null}` (or an empty array).
fn is_clean_scan(shape: &Shape) -> bool {
    let compact: String = shape.text.chars().filter(|c| !c.is_whitespace()).collect();
    shape.paths == ["results"]
        && (compact == r#"{"results":null}"# || compact == r#"{"results":[]}"#)
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let limits = &options.limits;
    let text = json::read_text(reader, limits)?;
    if !text.trim_start().starts_with('{') {
        let found = "not a JSON object; tfsec writes an object with `results`".into();
        return Err(ParseError::WrongShape { format: NAME, found });
    }
    let report: Report = json::from_str(&text, NAME)?;
    for result in report.results.unwrap_or_default() {
        let status = result.status.as_ref().map_or(StatusKind::Failed, StatusKind::of);
        if status == StatusKind::Passed {
            continue;
        }
        emit(sink, finding(result, status == StatusKind::Ignored))?;
    }
    sink.run(0, RunInfo { tool: "tfsec".into(), ..RunInfo::default() }).map_err(ParseError::Sink)
}

#[derive(Debug, PartialEq, Eq)]
enum StatusKind {
    Failed,
    Passed,
    Ignored,
}

impl StatusKind {
    fn of(status: &Status) -> StatusKind {
        match status {
            Status::Code(1) => StatusKind::Passed,
            Status::Code(2) => StatusKind::Ignored,
            Status::Word(word) if word.eq_ignore_ascii_case("passed") => StatusKind::Passed,
            Status::Word(word) if word.eq_ignore_ascii_case("ignored") => StatusKind::Ignored,
            _ => StatusKind::Failed,
        }
    }
}

fn finding(result: TfsecResult, ignored: bool) -> Finding {
    let avd_id = non_blank(result.rule_id.as_deref()).filter(|id| id.starts_with("AVD-"));
    let rule = non_blank(result.long_id.as_deref())
        .or_else(|| non_blank(result.rule_id.as_deref()))
        .or_else(|| non_blank(result.legacy_rule_id.as_deref()))
        .unwrap_or_else(|| "tfsec".into());
    let title = non_blank(result.rule_description.as_deref())
        .or_else(|| non_blank(result.description.as_deref()))
        .unwrap_or_else(|| rule.clone());
    let tool_severity = non_blank(result.severity.as_deref());
    let severity = tool_severity.as_deref().and_then(severity_word).unwrap_or(Severity::Medium);

    let mut finding = Finding::new("tfsec", rule, title, severity);
    finding.tool_severity = tool_severity;
    if let Some(id) = avd_id {
        finding.add_advisory(&id);
    }
    finding.message = message(&result, &finding.title);
    finding.remediation = non_blank(result.resolution.as_deref());
    for link in result.links.iter().flatten().chain(&result.link) {
        finding.add_reference(link);
    }
    finding.help_uri = finding.references.first().cloned();
    finding.location = Some(location(&result));
    if ignored {
        finding.suppression = Some(Suppression { kind: "inSource".into(), justification: None });
    }
    finding
}

/// The description (or the title), its impact, and where tfsec files the
/// rule.
fn message(result: &TfsecResult, title: &str) -> String {
    let mut message = non_blank(result.description.as_deref()).unwrap_or_else(|| title.to_string());
    if let Some(impact) = non_blank(result.impact.as_deref()) {
        message.push_str(&format!("\n\nImpact: {impact}"));
    }
    let filed: Vec<String> = [&result.rule_provider, &result.rule_service]
        .into_iter()
        .filter_map(|part| non_blank(part.as_deref()))
        .collect();
    if !filed.is_empty() {
        message.push_str(&format!("\nProvider: {}", filed.join(" / ")));
    }
    message
}

fn location(result: &TfsecResult) -> Location {
    let at = result.location.as_ref();
    let line = |n: Option<i64>| n.and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0);
    Location {
        path: at.and_then(|l| non_blank(l.filename.as_deref())),
        start_line: line(at.and_then(|l| l.start_line)),
        end_line: line(at.and_then(|l| l.end_line)),
        logical: non_blank(result.resource.as_deref()),
        ..Location::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Collected;

    fn collect(text: &str) -> Result<Collected, ParseError> {
        let mut sink = Collected::default();
        parse(&mut text.as_bytes(), &Options::default(), &mut sink)?;
        Ok(sink)
    }

    const V1: &str = r#"{"results": [
      {"rule_id": "AVD-AWS-0086", "long_id": "aws-s3-block-public-acls",
       "rule_description": "S3 Access block should block public ACL", "rule_provider": "aws",
       "rule_service": "s3", "impact": "PUT calls with public ACLs specified can make objects public",
       "resolution": "Enable blocking any PUT calls with a public ACL specified",
       "links": ["https://aquasecurity.github.io/tfsec/v1.28.1/checks/aws/s3/block-public-acls/",
                 "https://registry.terraform.io/providers/hashicorp/aws/latest/docs"],
       "description": "No public access block so not blocking public acls", "severity": "HIGH",
       "warning": false, "status": 0, "resource": "aws_s3_bucket.shop",
       "location": {"filename": "/src/infra/s3.tf", "start_line": 3, "end_line": 9}},
      {"rule_id": "AVD-AWS-0088", "long_id": "aws-s3-enable-bucket-encryption", "severity": "LOW",
       "status": 1, "description": "passed"},
      {"rule_id": "AVD-AWS-0089", "long_id": "aws-s3-enable-bucket-logging", "severity": "MEDIUM",
       "status": 2, "description": "Bucket does not have logging enabled",
       "location": {"filename": "s3.tf", "start_line": 3, "end_line": 9}}
    ]}"#;

    #[test]
    fn version_1_results_are_read_and_passed_ones_skipped() {
        let sink = collect(V1).unwrap();
        assert_eq!(sink.findings.len(), 2);
        assert_eq!(sink.runs.len(), 1);
        let first = &sink.findings[0];
        assert_eq!(first.rule_id, "aws-s3-block-public-acls");
        assert_eq!(first.advisories, ["AVD-AWS-0086"]);
        assert_eq!(first.title, "S3 Access block should block public ACL");
        assert_eq!(
            (first.severity, first.tool_severity.as_deref()),
            (Severity::High, Some("HIGH"))
        );
        assert_eq!(
            first.message,
            "No public access block so not blocking public acls\n\n\
             Impact: PUT calls with public ACLs specified can make objects public\n\
             Provider: aws / s3"
        );
        assert_eq!(
            first.remediation.as_deref(),
            Some("Enable blocking any PUT calls with a public ACL specified")
        );
        assert_eq!(first.references.len(), 2);
        assert_eq!(first.help_uri.as_deref(), first.references.first().map(String::as_str));
        let location = first.location.as_ref().unwrap();
        assert_eq!(location.path.as_deref(), Some("/src/infra/s3.tf"));
        assert_eq!((location.start_line, location.end_line), (Some(3), Some(9)));
        assert_eq!(location.logical.as_deref(), Some("aws_s3_bucket.shop"));
        assert!(first.suppression.is_none());
        assert_eq!(sink.findings[1].suppression.as_ref().unwrap().kind, "inSource");
    }

    #[test]
    fn earlier_reports_are_read() {
        let late_0x = r#"{"results": [{"rule_id": "aws-vpc-no-public-ingress-sgr",
            "legacy_rule_id": "AWS006", "rule_description": "An ingress rule allows traffic from /0.",
            "rule_provider": "aws", "severity": "CRITICAL", "status": "failed",
            "description": "Resource 'x' defines a fully open ingress security group rule.",
            "location": {"filename": "main.tf", "start_line": 40, "end_line": 40}},
            {"rule_id": "aws-vpc-no-public-egress-sgr", "severity": "LOW", "status": "passed"}]}"#;
        let sink = collect(late_0x).unwrap();
        assert_eq!(sink.findings.len(), 1);
        assert_eq!(sink.findings[0].rule_id, "aws-vpc-no-public-ingress-sgr");
        assert_eq!(sink.findings[0].severity, Severity::Critical);
        assert!(sink.findings[0].advisories.is_empty());

        let early = r#"{"results": [{"rule_id": "AWS044", "link": "https://github.com/tfsec/tfsec/wiki/AWS044",
            "location": {"filename": "provider.tf", "start_line": 9, "end_line": 9},
            "description": "Provider 'provider.aws' has an access key specified.", "severity": "ERROR"}]}"#;
        let sink = collect(early).unwrap();
        let finding = &sink.findings[0];
        assert_eq!((finding.rule_id.as_str(), finding.severity), ("AWS044", Severity::High));
        assert_eq!(finding.title, "Provider 'provider.aws' has an access key specified.");
        assert_eq!(finding.help_uri.as_deref(), Some("https://github.com/tfsec/tfsec/wiki/AWS044"));
    }

    #[test]
    fn severities_map_through_the_shared_words() {
        for (word, severity) in [
            ("CRITICAL", Severity::Critical),
            ("HIGH", Severity::High),
            ("MEDIUM", Severity::Medium),
            ("LOW", Severity::Low),
            ("WARNING", Severity::Medium),
            ("INFO", Severity::Info),
            ("", Severity::Medium),
        ] {
            let report = format!(r#"{{"results": [{{"rule_id": "r", "severity": "{word}"}}]}}"#);
            assert_eq!(collect(&report).unwrap().findings[0].severity, severity, "{word}");
        }
    }

    #[test]
    fn module_instances_of_one_file_are_told_apart_and_survive_a_line_shift() {
        let result = |resource: &str, line: u32| {
            format!(
                r#"{{"rule_id": "aws-vpc-no-public-egress-sgr", "description": "Resource '{resource}' is open.",
                "location": {{"filename": "sg/main.tf", "start_line": {line}, "end_line": {line}}}}}"#
            )
        };
        let before = collect(&format!(
            r#"{{"results": [{}, {}]}}"#,
            result("module.a:aws_security_group_rule.e[0]", 72),
            result("module.b:aws_security_group_rule.e[0]", 72)
        ))
        .unwrap();
        let after = collect(&format!(
            r#"{{"results": [{}]}}"#,
            result("module.a:aws_security_group_rule.e[0]", 80)
        ))
        .unwrap();
        assert_ne!(before.findings[0].fingerprint, before.findings[1].fingerprint);
        assert_eq!(before.findings[0].fingerprint, after.findings[0].fingerprint);
    }

    #[test]
    fn clean_scans_and_sparse_results_are_read() {
        for clean in [r#"{"results": null}"#, r#"{"results": []}"#] {
            let sink = collect(clean).unwrap();
            assert!(sink.findings.is_empty());
            assert_eq!(sink.runs.len(), 1);
        }
        let sink = collect(r#"{"results": [{}]}"#).unwrap();
        assert_eq!(sink.findings[0].rule_id, "tfsec");
        assert_eq!(sink.findings[0].severity, Severity::Medium);
    }

    #[test]
    fn wrong_shapes_are_named() {
        let err = collect(r#"{"results": {"failed_checks": []}}"#).unwrap_err();
        assert!(err.to_string().starts_with("invalid tfsec report at `results`"), "{err}");
        let err = collect("{}").unwrap_err();
        assert!(
            err.to_string().starts_with("invalid tfsec report at `.`: missing field `results`")
        );
        let err = collect(r#"[{"results": []}]"#).unwrap_err();
        assert!(err.to_string().starts_with("not a tfsec report: not a JSON object"), "{err}");
        let err = collect(r#"{"results": [{"location": {"start_line": "x"}}]}"#).unwrap_err();
        assert!(err.to_string().contains("`results[0].location.start_line`"), "{err}");
    }

    #[test]
    fn detection_wants_tfsec_keys() {
        assert!(sniff(&Shape::of(V1.as_bytes())));
        assert!(sniff(&Shape::of(b"{\n\t\"results\": null\n}")));
        assert!(sniff(&Shape::of(
            br#"{"results": [{"rule_id": "AWS044", "link": "l", "location": {}}]}"#
        )));
        assert!(!sniff(&Shape::of(br#"{"results": [], "errors": []}"#)));
        assert!(!sniff(&Shape::of(br#"{"results": [{"check_id": "x"}]}"#)));
        assert!(!sniff(&Shape::of(br#"[{"results": null}]"#)));
    }
}
