//! gosec JSON reports (`gosec -fmt json ./...`): Go SAST issues in
//! `Issues`, beside `Golang errors` (packages gosec could not build),
//! `Stats` and `GosecVersion`. gosec 2.x is read, old reports (without
//! `column`, `nosec`, `suppressions`, with bare one-line `code`) and new
//! ones alike.
//!
//! Severity is gosec's `severity`: `HIGH` → high, `MEDIUM` → medium, `LOW`
//! → low, anything else → info. The `confidence` goes into the message.
//!
//! Mapping: one finding per issue. `rule_id` (`G104`) → rule id; `details`
//! → title and message; `cwe.id` (a number as text) → CWE, `cwe.url` →
//! reference; `file`, `line` (`"12"` or a range `"12-14"`) and `column` (as
//! text) → location; `code` → snippet (newer gosec prints numbered lines
//! with context around them; the snippet is the flagged lines without the
//! numbers); `autofix` → remediation. An issue with `nosec: true` or with
//! `suppressions` (`-track-suppressions`) → suppression, kind and
//! justification from the first suppression, else `inSource` and `#nosec`.
//!
//! Limits: gosec writes absolute paths, which are kept, so the same problem
//! scanned in checkouts at two different directories has two fingerprints.
//! A shared step that makes paths relative to the repository root would fix
//! that for every tool that writes absolute paths.

use std::io::Read;

use fixgate_domain::{Finding, Location, RunInfo, Severity, Suppression};
use serde::Deserialize;

use crate::code::numbered_snippet;
use crate::common::{emit, non_blank};
use crate::ids::cwe_number;
use crate::lenient::{Texts, number};
use crate::{Options, ParseError, Shape, Sink, json};

pub(crate) const NAME: &str = "gosec";

#[derive(Debug, Deserialize)]
struct Report {
    #[serde(rename = "Issues")]
    issues: Option<Vec<Issue>>,
    #[serde(rename = "GosecVersion")]
    version: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Issue {
    severity: Option<String>,
    confidence: Option<String>,
    cwe: Option<Cwe>,
    rule_id: Option<String>,
    details: Option<String>,
    file: Option<String>,
    code: Option<String>,
    #[serde(default)]
    line: Texts,
    #[serde(default, deserialize_with = "number")]
    column: Option<u32>,
    #[serde(default)]
    nosec: bool,
    suppressions: Option<Vec<GosecSuppression>>,
    autofix: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Cwe {
    #[serde(default)]
    id: Texts,
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GosecSuppression {
    kind: Option<String>,
    justification: Option<String>,
}

/// A JSON object with `Issues` and one of gosec's other marks: an issue's
/// `rule_id` and `details`, `Golang errors`, or `Stats.found`.
pub(crate) fn sniff(shape: &Shape) -> bool {
    shape.kind == crate::shape::Kind::Object
        && shape.has("Issues")
        && (shape.has_all(&["Issues[].rule_id", "Issues[].details"])
            || shape.has("Golang errors")
            || shape.has("Stats.found"))
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let report: Report = json::document(reader, &options.limits, NAME)?;
    let Some(issues) = report.issues else {
        return Err(ParseError::WrongShape {
            format: NAME,
            found: "a JSON object without `Issues`".into(),
        });
    };
    for issue in issues {
        emit(sink, finding(issue))?;
    }
    let info = RunInfo { tool: "gosec".into(), tool_version: report.version, ..RunInfo::default() };
    sink.run(0, info).map_err(ParseError::Sink)
}

fn finding(issue: Issue) -> Finding {
    let rule = non_blank(issue.rule_id.as_deref()).unwrap_or_else(|| "gosec".into());
    let title = non_blank(issue.details.as_deref()).unwrap_or_default();
    let mut finding = Finding::new("gosec", rule, title, severity(issue.severity.as_deref()));
    finding.tool_severity = non_blank(issue.severity.as_deref());
    finding.message = finding.title.clone();
    if let Some(confidence) = non_blank(issue.confidence.as_deref()) {
        finding.message.push_str(&format!("\n\nConfidence: {confidence}."));
    }
    if let Some(cwe) = &issue.cwe {
        finding.add_cwe(cwe.id.first().and_then(|id| cwe_number(&id)).unwrap_or(0));
        finding.add_reference(cwe.url.as_deref().unwrap_or(""));
    }
    finding.remediation = non_blank(issue.autofix.as_deref());
    finding.suppression = suppression(&issue);

    let (start_line, end_line) = issue.line.first().map_or((None, None), |l| line_range(&l));
    finding.location = Some(Location {
        path: non_blank(issue.file.as_deref()),
        start_line,
        end_line,
        start_column: issue.column,
        snippet: issue
            .code
            .as_deref()
            .and_then(|code| numbered_snippet(code, start_line, end_line)),
        ..Location::default()
    });
    finding
}

fn severity(text: Option<&str>) -> Severity {
    match text.map(|t| t.trim().to_ascii_uppercase()).as_deref() {
        Some("HIGH") => Severity::High,
        Some("MEDIUM") => Severity::Medium,
        Some("LOW") => Severity::Low,
        _ => Severity::Info,
    }
}

/// `"12"` → 12 to 12, `"12-14"` → 12 to 14; anything else → none.
fn line_range(text: &str) -> (Option<u32>, Option<u32>) {
    let (first, last) = text.split_once('-').unwrap_or((text, text));
    let first = first.trim().parse::<u32>().ok().filter(|n| *n > 0);
    let last = last.trim().parse::<u32>().ok().filter(|n| *n > 0).or(first);
    (first, last)
}

/// The first suppression gosec tracked, else `#nosec` when the issue says
/// it was suppressed in source.
fn suppression(issue: &Issue) -> Option<Suppression> {
    if let Some(first) = issue.suppressions.as_ref().and_then(|all| all.first()) {
        return Some(Suppression {
            kind: non_blank(first.kind.as_deref()).unwrap_or_else(|| "inSource".into()),
            justification: non_blank(first.justification.as_deref()),
        });
    }
    issue.nosec.then(|| Suppression {
        kind: "inSource".into(),
        justification: Some("#nosec comment".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Collected;

    fn parse_text(text: &str) -> Collected {
        let mut sink = Collected::default();
        parse(&mut text.as_bytes(), &Options::default(), &mut sink).unwrap();
        assert_eq!(sink.runs.len(), 1);
        assert_eq!(sink.runs[0].tool, "gosec");
        sink
    }

    const REPORT: &str = r#"{
      "Golang errors": {"/src/broken/x.go": [{"line": 3, "column": 1, "error": "expected ';'"}]},
      "Issues": [
        {"severity": "MEDIUM", "confidence": "HIGH",
         "cwe": {"id": "22", "url": "https://cwe.mitre.org/data/definitions/22.html"},
         "rule_id": "G304", "details": "Potential file inclusion via variable",
         "file": "/src/app/main.go",
         "code": "27: func load(p string) {\n28: \tdata, err := os.ReadFile(p)\n29: \tuse(data, err)\n",
         "line": "28", "column": "15", "nosec": false, "suppressions": null,
         "autofix": "Clean the path with filepath.Clean and check it stays in the base directory."},
        {"severity": "HIGH", "confidence": "LOW", "cwe": {"id": "89", "url": ""},
         "rule_id": "G201", "details": "SQL string formatting", "file": "/src/app/db.go",
         "code": "fmt.Sprintf(`SELECT *\n\tFROM t\n\tWHERE id=%s`, id)", "line": "36-38"},
        {"severity": "LOW", "confidence": "HIGH", "rule_id": "G104", "details": "Errors unhandled.",
         "file": "/src/app/main.go", "code": "40: \tf.Close()\n", "line": "40", "column": "2",
         "nosec": true, "suppressions": [{"kind": "inSource", "justification": "closing a read-only file"}]},
        {"severity": "LOW", "rule_id": "G107", "details": "Url provided to HTTP request as taint input",
         "file": "/src/app/get.go", "line": "9", "nosec": true},
        {"severity": "WHATEVER", "rule_id": "G999"}
      ],
      "Stats": {"files": 3, "lines": 120, "nosec": 2, "found": 5},
      "GosecVersion": "2.21.4"
    }"#;

    #[test]
    fn fields_map_to_the_finding() {
        let collected = parse_text(REPORT);
        assert_eq!(collected.runs[0].tool_version.as_deref(), Some("2.21.4"));
        let first = &collected.findings[0];
        assert_eq!(first.rule_id, "G304");
        assert_eq!(first.title, "Potential file inclusion via variable");
        assert_eq!(first.message, "Potential file inclusion via variable\n\nConfidence: HIGH.");
        assert_eq!(first.severity, Severity::Medium);
        assert_eq!(first.tool_severity.as_deref(), Some("MEDIUM"));
        assert_eq!(first.cwes, [22]);
        assert_eq!(first.references, ["https://cwe.mitre.org/data/definitions/22.html"]);
        assert!(first.remediation.as_deref().unwrap().starts_with("Clean the path"));
        assert_eq!(first.suppression, None);
        let location = first.location.as_ref().unwrap();
        assert_eq!(location.path.as_deref(), Some("/src/app/main.go"));
        assert_eq!((location.start_line, location.end_line), (Some(28), Some(28)));
        assert_eq!(location.start_column, Some(15));
        assert_eq!(location.snippet.as_deref(), Some("\tdata, err := os.ReadFile(p)"));
    }

    #[test]
    fn line_ranges_and_unnumbered_code() {
        let findings = parse_text(REPORT).findings;
        let location = findings[1].location.as_ref().unwrap();
        assert_eq!((location.start_line, location.end_line), (Some(36), Some(38)));
        assert!(location.snippet.as_deref().unwrap().starts_with("fmt.Sprintf(`SELECT *\n"));
        assert_eq!(findings[1].references, Vec::<String>::new());
        assert_eq!(line_range("7 - 9"), (Some(7), Some(9)));
        assert_eq!(line_range("x"), (None, None));
    }

    #[test]
    fn severities_map_and_unknown_is_kept_as_info() {
        let severities: Vec<Severity> =
            parse_text(REPORT).findings.iter().map(|f| f.severity).collect();
        use Severity::*;
        assert_eq!(severities, [Medium, High, Low, Low, Info]);
    }

    #[test]
    fn nosec_and_tracked_suppressions_suppress() {
        let findings = parse_text(REPORT).findings;
        let tracked = findings[2].suppression.as_ref().unwrap();
        assert_eq!(tracked.kind, "inSource");
        assert_eq!(tracked.justification.as_deref(), Some("closing a read-only file"));
        let nosec = findings[3].suppression.as_ref().unwrap();
        assert_eq!(nosec.justification.as_deref(), Some("#nosec comment"));
    }

    #[test]
    fn missing_optional_fields_do_not_fail_the_report() {
        let findings = parse_text(REPORT).findings;
        let bare = &findings[4];
        assert_eq!(bare.title, "G999");
        assert_eq!(bare.location.as_ref().unwrap().path, None);
        assert!(bare.cwes.is_empty());
    }

    #[test]
    fn an_empty_report_is_a_clean_scan() {
        let empty = r#"{"Golang errors": {}, "Issues": [], "Stats": {"files": 1, "lines": 9, "nosec": 0, "found": 0}, "GosecVersion": "dev"}"#;
        assert!(parse_text(empty).findings.is_empty());
        assert!(sniff(&Shape::of(empty.as_bytes())));
        assert!(!sniff(&Shape::of(br#"{"Issues": []}"#)));
    }

    #[test]
    fn a_report_of_another_shape_is_refused_with_the_reason() {
        let mut sink = Collected::default();
        let err = parse(&mut &b"{\"issues\": []}"[..], &Options::default(), &mut sink).unwrap_err();
        assert!(err.to_string().contains("without `Issues`"), "{err}");
        let wrong = br#"{"Issues": [{"nosec": "yes"}]}"#;
        let err = parse(&mut &wrong[..], &Options::default(), &mut sink).unwrap_err();
        assert!(err.to_string().contains("Issues[0].nosec"), "{err}");
    }
}
