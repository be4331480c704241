//! Bandit JSON reports (`bandit -r . -f json`): Python SAST results in
//! `results`, with `errors` (files Bandit could not read) and `metrics`
//! beside them. Bandit 1.6 and later are read; `issue_cwe`, `col_offset`
//! and `end_col_offset` (1.7 and later) are used when present.
//!
//! Severity is Bandit's `issue_severity`: `HIGH` → high, `MEDIUM` → medium,
//! `LOW` → low, `UNDEFINED` (and anything else) → info. The confidence
//! (`issue_confidence`) goes into the message: it says how sure the test is,
//! not how bad the problem would be.
//!
//! Mapping: one finding per result. `test_id` (`B101`) is the rule id and
//! `test_name` (`assert_used`, an identifier) the rule name; `issue_text` is
//! the title; `more_info` the help link; `issue_cwe.id` the CWE. The location
//! is `filename`, `line_range` (else `line_number`) and the columns, which
//! Bandit counts from 0 and fixgate from 1. `code` holds the flagged lines
//! with a few lines around them, each prefixed by its number; the snippet is
//! the flagged lines alone without the numbers, so the fingerprint (built
//! from the snippet's first line) does not change when a neighbouring line
//! does.

use std::io::Read;

use fixgate_domain::{Finding, Location, RunInfo, Severity};
use serde::Deserialize;

use crate::code::numbered_snippet;
use crate::common::{emit, non_blank, severity_word};
use crate::{Options, ParseError, Shape, Sink, json};

pub(crate) const NAME: &str = "bandit";

#[derive(Debug, Deserialize)]
struct Report {
    results: Vec<Issue>,
}

#[derive(Debug, Deserialize)]
struct Issue {
    code: Option<String>,
    filename: Option<String>,
    issue_confidence: Option<String>,
    issue_severity: Option<String>,
    issue_cwe: Option<Cwe>,
    issue_text: Option<String>,
    line_number: Option<u32>,
    #[serde(default)]
    line_range: Vec<u32>,
    more_info: Option<String>,
    test_id: Option<String>,
    test_name: Option<String>,
    col_offset: Option<u32>,
    end_col_offset: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct Cwe {
    id: Option<u32>,
    link: Option<String>,
}

/// A JSON object with Bandit's `generated_at` and either its per-file
/// `metrics._totals` or a result with `test_id` and `issue_severity`.
pub(crate) fn sniff(shape: &Shape) -> bool {
    // `generated_at` is not required: reports kept for comparison often
    // have their time stamp removed.
    shape.kind == crate::shape::Kind::Object
        && (shape.has("metrics._totals")
            || shape.has_all(&["results[].test_id", "results[].issue_severity"]))
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let report: Report = json::document(reader, &options.limits, NAME)?;
    // Bandit's hard-coded password tests quote the password they found.
    let sink = &mut crate::secrets::GuardSecrets { sink, key: &options.secret_key };
    for issue in report.results {
        emit(sink, finding(issue))?;
    }
    sink.run(0, RunInfo { tool: "Bandit".into(), ..RunInfo::default() }).map_err(ParseError::Sink)
}

fn finding(issue: Issue) -> Finding {
    let rule = non_blank(issue.test_id.as_deref())
        .or_else(|| non_blank(issue.test_name.as_deref()))
        .unwrap_or_else(|| "bandit".into());
    let title = non_blank(issue.issue_text.as_deref()).unwrap_or_default();
    let mut finding =
        Finding::new("Bandit", rule, title, severity(issue.issue_severity.as_deref()));
    finding.tool_severity = non_blank(issue.issue_severity.as_deref());
    finding.rule_name = non_blank(issue.test_name.as_deref());
    finding.message = finding.title.clone();
    if let Some(confidence) = non_blank(issue.issue_confidence.as_deref()) {
        finding.message.push_str(&format!("\n\nConfidence: {confidence}."));
    }
    if let Some(cwe) = issue.issue_cwe {
        finding.add_cwe(cwe.id.unwrap_or(0));
        finding.add_reference(cwe.link.as_deref().unwrap_or(""));
    }
    finding.help_uri = non_blank(issue.more_info.as_deref());

    let start_line = issue.line_range.iter().copied().min().or(issue.line_number);
    let end_line = issue.line_range.iter().copied().max().or(start_line);
    finding.location = Some(Location {
        path: non_blank(issue.filename.as_deref()),
        start_line,
        end_line,
        start_column: issue.col_offset.map(|c| c.saturating_add(1)),
        end_column: issue.end_col_offset.map(|c| c.saturating_add(1)),
        snippet: issue
            .code
            .as_deref()
            .and_then(|code| numbered_snippet(code, start_line, end_line)),
        logical: None,
    });
    finding
}

fn severity(text: Option<&str>) -> Severity {
    match text.map(|t| t.trim().to_ascii_uppercase()).as_deref() {
        Some("HIGH") => Severity::High,
        Some("MEDIUM") => Severity::Medium,
        Some("LOW") => Severity::Low,
        Some(other) => severity_word(other).unwrap_or(Severity::Info),
        None => Severity::Info,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Collected;

    fn parse_text(text: &str) -> Vec<Finding> {
        let mut sink = Collected::default();
        parse(&mut text.as_bytes(), &Options::default(), &mut sink).unwrap();
        assert_eq!(sink.runs.len(), 1);
        assert_eq!(sink.runs[0].tool, "Bandit");
        sink.findings
    }

    const REPORT: &str = r#"{
      "errors": [{"filename": "broken.py", "reason": "syntax error while parsing AST from file"}],
      "generated_at": "2024-05-02T10:00:00Z",
      "metrics": {"_totals": {"loc": 40, "nosec": 0}},
      "results": [
        {"code": "25         save(x)\n26     except:\n27         pass\n28 \n",
         "col_offset": 4, "end_col_offset": 12, "filename": "app/views.py",
         "issue_confidence": "HIGH",
         "issue_cwe": {"id": 703, "link": "https://cwe.mitre.org/data/definitions/703.html"},
         "issue_severity": "LOW", "issue_text": "Try, Except, Pass detected.",
         "line_number": 26, "line_range": [26, 27],
         "more_info": "https://bandit.readthedocs.io/en/latest/plugins/b110_try_except_pass.html",
         "test_id": "B110", "test_name": "try_except_pass"},
        {"code": "3 subprocess.call(cmd, shell=True)\n", "filename": "run.py",
         "issue_confidence": "MEDIUM", "issue_severity": "HIGH",
         "issue_text": "subprocess call with shell=True identified, security issue.",
         "line_number": 3, "line_range": [3], "test_id": "B602",
         "test_name": "subprocess_popen_with_shell_equals_true"},
        {"filename": "x.py", "issue_severity": "MEDIUM", "test_id": "B108"},
        {"filename": "y.py", "issue_severity": "UNDEFINED", "issue_text": "Odd.", "test_id": "B999"}
      ]
    }"#;

    #[test]
    fn fields_map_to_the_finding() {
        let findings = parse_text(REPORT);
        assert_eq!(findings.len(), 4);
        let first = &findings[0];
        assert_eq!(first.rule_id, "B110");
        assert_eq!(first.rule_name.as_deref(), Some("try_except_pass"));
        assert_eq!(first.title, "Try, Except, Pass detected.");
        assert_eq!(first.message, "Try, Except, Pass detected.\n\nConfidence: HIGH.");
        assert_eq!(first.severity, Severity::Low);
        assert_eq!(first.tool_severity.as_deref(), Some("LOW"));
        assert_eq!(first.cwes, [703]);
        assert_eq!(first.references, ["https://cwe.mitre.org/data/definitions/703.html"]);
        assert!(first.help_uri.as_deref().unwrap().ends_with("b110_try_except_pass.html"));
        let location = first.location.as_ref().unwrap();
        assert_eq!(location.path.as_deref(), Some("app/views.py"));
        assert_eq!((location.start_line, location.end_line), (Some(26), Some(27)));
        assert_eq!((location.start_column, location.end_column), (Some(5), Some(13)));
        assert_eq!(location.snippet.as_deref(), Some("    except:\n        pass"));
    }

    #[test]
    fn severities_map_and_undefined_is_kept_as_info() {
        let severities: Vec<Severity> = parse_text(REPORT).iter().map(|f| f.severity).collect();
        assert_eq!(severities, [Severity::Low, Severity::High, Severity::Medium, Severity::Info]);
    }

    #[test]
    fn missing_optional_fields_do_not_fail_the_report() {
        let findings = parse_text(REPORT);
        let bare = &findings[2];
        assert_eq!(bare.rule_id, "B108");
        assert_eq!(bare.title, "B108");
        assert_eq!(bare.location.as_ref().unwrap().snippet, None);
        assert!(bare.cwes.is_empty());
    }

    #[test]
    fn a_neighbouring_line_does_not_change_the_fingerprint() {
        let before = parse_text(REPORT);
        let after = parse_text(&REPORT.replace("25         save(x)", "31         save(y, z)"));
        assert_eq!(before[0].fingerprint, after[0].fingerprint);
        let edited = parse_text(&REPORT.replace("26     except:", "26     except Exception:"));
        assert_ne!(before[0].fingerprint, edited[0].fingerprint);
    }

    #[test]
    fn an_empty_report_is_a_clean_scan() {
        let empty = r#"{"errors": [], "generated_at": "2024-05-02T10:00:00Z",
            "metrics": {"_totals": {"loc": 0}}, "results": []}"#;
        assert!(parse_text(empty).is_empty());
        assert!(sniff(&Shape::of(empty.as_bytes())));
    }

    #[test]
    fn a_report_of_another_shape_is_refused_with_the_reason() {
        let mut sink = Collected::default();
        let err = parse(&mut &b"{\"issues\": []}"[..], &Options::default(), &mut sink);
        let message = err.unwrap_err().to_string();
        assert!(
            message.contains("invalid bandit report") && message.contains("results"),
            "{message}"
        );
        let err = parse(
            &mut &br#"{"results": [{"line_number": "x"}]}"#[..],
            &Options::default(),
            &mut sink,
        );
        assert!(err.unwrap_err().to_string().contains("results[0].line_number"));
    }
}
