//! Checkov JSON reports (`checkov -o json`, versions 1 and 2 and later): one
//! object per framework (`check_type`: terraform, dockerfile, kubernetes,
//! ...) with `results.failed_checks` and `results.skipped_checks`, or an
//! array of such objects when several frameworks ran. A scan that checked
//! nothing is written as a bare summary object; it reads as a clean scan.
//!
//! Mapping: one finding per failed check, and one per skipped check, marked
//! suppressed in source with the skip comment as its justification. Passed
//! checks are not findings. The severity is Checkov's own (`CRITICAL`,
//! `HIGH`, `MEDIUM`, `LOW`, `INFO`) when it gives one; open-source Checkov
//! only rates checks when it is connected to the Bridgecrew / Prisma Cloud
//! platform and writes `null` otherwise, which means "not rated", not "not
//! serious": a failed misconfiguration check is then medium, the middle of
//! the scale, until a policy says otherwise.
//!
//! Fields: `check_id` → rule, `check_name` → title, `description` and
//! `details` → message, `file_path` (without its leading `/`) and
//! `file_line_range` → location, `code_block` → snippet (which also gives the
//! fingerprint: the resource's first line), `resource` → logical location,
//! `guideline` → help link. Whole-file checks (Dockerfile) write the range
//! `[0, 0]`; line 0 is no line, so such findings have none.

use std::io::Read;

use fixgate_domain::{Finding, Location, RunInfo, Severity, Suppression};
use serde::Deserialize;

use crate::common::{emit, non_blank, severity_word};
use crate::{Options, ParseError, Shape, Sink, json};

pub(crate) const NAME: &str = "checkov";

/// The most snippet lines kept of a flagged block: Checkov repeats the whole
/// resource for every check on it, and the first lines say which it is.
const SNIPPET_LINES: usize = 50;

/// One framework's results, or a bare summary.
#[derive(Debug, Deserialize)]
struct Report {
    check_type: Option<String>,
    results: Option<Results>,
    summary: Option<Summary>,
    /// Set when the whole report is a bare summary (nothing was checked).
    checkov_version: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Results {
    failed_checks: Option<Vec<Check>>,
    skipped_checks: Option<Vec<Check>>,
}

#[derive(Debug, Deserialize)]
struct Summary {
    checkov_version: Option<String>,
}

/// One check's outcome on one resource.
#[derive(Debug, Deserialize)]
struct Check {
    check_id: Option<String>,
    bc_check_id: Option<String>,
    check_name: Option<String>,
    check_result: Option<CheckResult>,
    /// `[line, text]` pairs.
    code_block: Option<Vec<(i64, String)>>,
    file_path: Option<String>,
    repo_file_path: Option<String>,
    file_line_range: Option<Vec<i64>>,
    resource: Option<String>,
    guideline: Option<String>,
    severity: Option<String>,
    description: Option<String>,
    short_description: Option<String>,
    details: Option<Vec<String>>,
    bc_category: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CheckResult {
    suppress_comment: Option<String>,
}

pub(crate) fn sniff(shape: &Shape) -> bool {
    let framework = shape.has("check_type")
        && (shape.has("results.failed_checks") || shape.has("results.passed_checks"));
    let bare_summary = shape.kind == crate::shape::Kind::Object
        && shape.has_all(&["passed", "failed", "skipped", "parsing_errors", "checkov_version"]);
    shape.is_json() && (framework || bare_summary)
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let limits = &options.limits;
    let text = json::read_text(reader, limits)?;
    let reports: Vec<Report> = if text.trim_start().starts_with('[') {
        json::from_str(&text, NAME)?
    } else {
        vec![json::from_str(&text, NAME)?]
    };

    let mut version = None;
    for report in reports {
        if report.results.is_none() && report.summary.is_none() && report.checkov_version.is_none()
        {
            return Err(ParseError::WrongShape {
                format: NAME,
                found: "an object without Checkov's `results` or `summary`".into(),
            });
        }
        version = version.or(report.checkov_version.clone());
        version = version.or(report.summary.as_ref().and_then(|s| s.checkov_version.clone()));
        emit_report(report, sink)?;
    }

    let info = RunInfo { tool: "Checkov".into(), tool_version: version, ..RunInfo::default() };
    sink.run(0, info).map_err(ParseError::Sink)
}

fn emit_report(report: Report, sink: &mut dyn Sink) -> Result<(), ParseError> {
    let Some(results) = report.results else { return Ok(()) };
    let framework = report.check_type.as_deref();
    for check in results.failed_checks.unwrap_or_default() {
        emit(sink, finding(check, framework, false))?;
    }
    for check in results.skipped_checks.unwrap_or_default() {
        emit(sink, finding(check, framework, true))?;
    }
    Ok(())
}

fn finding(check: Check, framework: Option<&str>, skipped: bool) -> Finding {
    let rule = non_blank(check.check_id.as_deref())
        .or_else(|| non_blank(check.bc_check_id.as_deref()))
        .unwrap_or_else(|| "checkov".into());
    let title = non_blank(check.check_name.as_deref())
        .or_else(|| non_blank(check.short_description.as_deref()))
        .unwrap_or_else(|| rule.clone());
    let tool_severity = non_blank(check.severity.as_deref());
    let severity = tool_severity.as_deref().and_then(severity_word).unwrap_or(Severity::Medium);

    let mut finding = Finding::new("Checkov", rule, title, severity);
    finding.tool_severity = tool_severity;
    finding.message = message(&check, &finding.title, framework);
    finding.location = Some(location(&check));
    if let Some(guideline) = non_blank(check.guideline.as_deref()) {
        finding.add_reference(&guideline);
        finding.help_uri = Some(guideline);
    }
    if skipped {
        let comment = check.check_result.and_then(|r| r.suppress_comment);
        finding.suppression = Some(Suppression {
            kind: "inSource".into(),
            justification: non_blank(comment.as_deref()),
        });
    }
    finding
}

/// The description (or the check's name), the resource, the platform's
/// category and check id, and Checkov's details, one per line.
fn message(check: &Check, title: &str, framework: Option<&str>) -> String {
    let mut message = non_blank(check.description.as_deref()).unwrap_or_else(|| title.to_string());
    if let Some(resource) = non_blank(check.resource.as_deref()) {
        message.push_str(&format!("\n\nResource: {resource}"));
        if let Some(framework) = non_blank(framework) {
            message.push_str(&format!(" ({framework})"));
        }
    }
    if let Some(category) = non_blank(check.bc_category.as_deref()) {
        message.push_str(&format!("\nCategory: {category}"));
    }
    if let Some(id) = non_blank(check.bc_check_id.as_deref()) {
        message.push_str(&format!("\nPlatform check id: {id}"));
    }
    for detail in check.details.iter().flatten().filter_map(|d| non_blank(Some(d.as_str()))) {
        message.push_str(&format!("\n{detail}"));
    }
    message
}

fn location(check: &Check) -> Location {
    let path = non_blank(check.file_path.as_deref())
        .or_else(|| non_blank(check.repo_file_path.as_deref()))
        .map(|p| p.trim_start_matches('/').to_string());
    let range = check.file_line_range.as_deref().unwrap_or_default();
    let line = |i: usize| range.get(i).and_then(|n| u32::try_from(*n).ok()).filter(|n| *n > 0);
    Location {
        path,
        start_line: line(0),
        end_line: line(1),
        snippet: snippet(check.code_block.as_deref().unwrap_or_default()),
        logical: non_blank(check.resource.as_deref()),
        ..Location::default()
    }
}

/// The flagged block's text, at most [`SNIPPET_LINES`] lines.
fn snippet(block: &[(i64, String)]) -> Option<String> {
    let text: String = block.iter().take(SNIPPET_LINES).map(|(_, line)| line.as_str()).collect();
    let text = text.trim_end();
    (!text.trim().is_empty()).then(|| text.to_string())
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

    const TERRAFORM: &str = r#"{
      "check_type": "terraform",
      "results": {
        "passed_checks": [{"check_id": "CKV_AWS_1", "check_name": "passes",
          "check_result": {"result": "PASSED"}, "file_path": "/a.tf"}],
        "failed_checks": [{
          "check_id": "CKV_AWS_18", "bc_check_id": "BC_AWS_S3_13",
          "check_name": "Ensure the S3 bucket has access logging enabled",
          "check_result": {"result": "FAILED", "evaluated_keys": ["logging"]},
          "code_block": [[3, "resource \"aws_s3_bucket\" \"shop\" {\n"], [4, "  acl = \"public-read\"\n"], [5, "}\n"]],
          "file_path": "/infra/s3.tf", "file_line_range": [3, 5],
          "resource": "aws_s3_bucket.shop", "severity": "HIGH", "bc_category": "Logging",
          "guideline": "https://docs.example/s3-13", "details": ["logging is off"]
        }, {
          "check_id": "CKV_AWS_19", "check_name": "Ensure encryption", "severity": null,
          "check_result": {"result": "FAILED"}, "code_block": [],
          "file_path": "/infra/s3.tf", "file_line_range": [3, 5], "resource": "aws_s3_bucket.shop"
        }],
        "skipped_checks": [{
          "check_id": "CKV_AWS_20", "check_name": "No public read ACL",
          "check_result": {"result": "SKIPPED", "suppress_comment": "public website"},
          "file_path": "/infra/s3.tf", "file_line_range": [3, 5], "resource": "aws_s3_bucket.shop"
        }],
        "parsing_errors": []
      },
      "summary": {"passed": 1, "failed": 2, "skipped": 1, "checkov_version": "2.3.1"}
    }"#;

    #[test]
    fn failed_and_skipped_checks_are_findings_and_passed_ones_are_not() {
        let sink = collect(TERRAFORM).unwrap();
        assert_eq!(sink.findings.len(), 3);
        assert_eq!(sink.runs.len(), 1);
        assert_eq!(sink.runs[0].tool, "Checkov");
        assert_eq!(sink.runs[0].tool_version.as_deref(), Some("2.3.1"));

        let first = &sink.findings[0];
        assert_eq!(first.rule_id, "CKV_AWS_18");
        assert_eq!(first.title, "Ensure the S3 bucket has access logging enabled");
        assert_eq!(
            (first.severity, first.tool_severity.as_deref()),
            (Severity::High, Some("HIGH"))
        );
        assert!(first.message.contains("Resource: aws_s3_bucket.shop (terraform)"));
        assert!(first.message.contains("Platform check id: BC_AWS_S3_13"));
        assert!(first.message.ends_with("logging is off"), "{}", first.message);
        assert_eq!(first.help_uri.as_deref(), Some("https://docs.example/s3-13"));
        let location = first.location.as_ref().unwrap();
        assert_eq!(location.path.as_deref(), Some("infra/s3.tf"));
        assert_eq!((location.start_line, location.end_line), (Some(3), Some(5)));
        assert_eq!(location.logical.as_deref(), Some("aws_s3_bucket.shop"));
        assert_eq!(
            location.snippet.as_deref(),
            Some("resource \"aws_s3_bucket\" \"shop\" {\n  acl = \"public-read\"\n}")
        );
        assert!(first.suppression.is_none());

        let skipped = sink.findings[2].suppression.as_ref().unwrap();
        assert_eq!(skipped.kind, "inSource");
        assert_eq!(skipped.justification.as_deref(), Some("public website"));
    }

    #[test]
    fn an_unrated_check_is_medium() {
        let sink = collect(TERRAFORM).unwrap();
        let unrated = &sink.findings[1];
        assert_eq!((unrated.severity, unrated.tool_severity.as_deref()), (Severity::Medium, None));
        assert_eq!(unrated.location.as_ref().unwrap().snippet, None);
        assert_eq!(
            unrated.message,
            "Ensure encryption\n\nResource: aws_s3_bucket.shop (terraform)"
        );
    }

    #[test]
    fn severities_map_one_to_one() {
        for (word, severity) in [
            ("CRITICAL", Severity::Critical),
            ("HIGH", Severity::High),
            ("MEDIUM", Severity::Medium),
            ("LOW", Severity::Low),
            ("INFO", Severity::Info),
            ("SOMETHING", Severity::Medium),
        ] {
            let report = TERRAFORM.replace("\"HIGH\"", &format!("\"{word}\""));
            assert_eq!(collect(&report).unwrap().findings[0].severity, severity, "{word}");
        }
    }

    #[test]
    fn a_fix_inside_the_resource_keeps_the_fingerprint() {
        let before = collect(TERRAFORM).unwrap();
        let fixed = TERRAFORM.replace("public-read", "private").replace("[3, 5]", "[13, 15]");
        let after = collect(&fixed).unwrap();
        assert_eq!(before.findings[0].fingerprint, after.findings[0].fingerprint);
        assert_eq!(before.findings[1].fingerprint, after.findings[1].fingerprint);
        assert_ne!(before.findings[0].fingerprint, before.findings[1].fingerprint);
    }

    #[test]
    fn several_frameworks_are_one_run() {
        let dockerfile = r#"{"check_type": "dockerfile", "results": {"failed_checks": [
            {"check_id": "CKV_DOCKER_3", "check_name": "user", "code_block": [[0, "FROM python:3.7\n"]],
             "file_path": "/Dockerfile", "file_line_range": [0, 0], "resource": "/Dockerfile."}]},
            "summary": {"checkov_version": "2.0.209"}}"#;
        let sink = collect(&format!("[{TERRAFORM}, {dockerfile}]")).unwrap();
        assert_eq!(sink.findings.len(), 4);
        assert_eq!(sink.runs.len(), 1);
        let whole_file = sink.findings[3].location.as_ref().unwrap();
        assert_eq!(whole_file.path.as_deref(), Some("Dockerfile"));
        assert_eq!((whole_file.start_line, whole_file.end_line), (None, None));
    }

    #[test]
    fn missing_fields_and_empty_reports_are_read() {
        let sparse = r#"{"check_type": "kubernetes", "results": {"failed_checks": [{}], "skipped_checks": null}}"#;
        let sink = collect(sparse).unwrap();
        assert_eq!(sink.findings[0].rule_id, "checkov");
        assert_eq!(sink.findings[0].location.as_ref().unwrap().path, None);

        let bare = r#"{"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0,
            "resource_count": 0, "checkov_version": "3.2.0"}"#;
        let sink = collect(bare).unwrap();
        assert!(sink.findings.is_empty());
        assert_eq!(sink.runs[0].tool_version.as_deref(), Some("3.2.0"));
        assert!(collect("[]").unwrap().findings.is_empty());
        assert_eq!(collect("[]").unwrap().runs.len(), 1);
    }

    #[test]
    fn wrong_shapes_are_named() {
        let err = collect(r#"{"runs": []}"#).unwrap_err();
        assert!(err.to_string().starts_with("not a checkov report"), "{err}");
        let err =
            collect(r#"{"results": {"failed_checks": [{"file_line_range": "x"}]}}"#).unwrap_err();
        assert!(
            err.to_string().starts_with("invalid checkov report at `results.failed_checks[0]"),
            "{err}"
        );
    }

    #[test]
    fn detection_wants_checkov_keys() {
        assert!(sniff(&Shape::of(TERRAFORM.as_bytes())));
        assert!(sniff(&Shape::of(format!("[{TERRAFORM}]").as_bytes())));
        assert!(sniff(&Shape::of(
            br#"{"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "checkov_version": "3"}"#
        )));
        assert!(!sniff(&Shape::of(br#"{"results": {"failed_checks": []}}"#)));
        assert!(!sniff(&Shape::of(br#"{"check_type": "x", "results": []}"#)));
    }
}
