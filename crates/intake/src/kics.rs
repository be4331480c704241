//! KICS JSON reports (`kics scan --report-formats json`, `results.json`),
//! versions 1 and 2: a summary (`kics_version`, `files_scanned`,
//! `severity_counters`, ...) and `queries`, each query with the `files` it
//! matched.
//!
//! Mapping: one finding per matched file entry of a query. KICS writes
//! `CRITICAL` (from 1.7.13), `HIGH`, `MEDIUM`, `LOW`, `INFO` and `TRACE`;
//! TRACE (KICS' lowest level) is info, like INFO, and kept. An unknown
//! severity is medium. The `bill_of_materials` section (`--bom`) lists
//! resources, not problems, and is not read.
//!
//! Fields: `query_id` → rule, `query_name` → title, `description`,
//! `category`, `platform`, the resource and the expected and actual values →
//! message, `expected_value` → remediation, `cwe` → CWE, `query_url` → help
//! link, `file_name` and `line` → location, `search_key` → logical location.
//! KICS' `similarity_id` is its own identity for a match and holds no line
//! number, so it is the tool fingerprint; several matches of one query can
//! share it (KICS leaves the expected value out of it), so the expected
//! value is part of the fingerprint too.

use std::io::Read;

use fixgate_domain::{Finding, Location, RunInfo, Severity};
use serde::Deserialize;

use crate::common::{emit, non_blank, severity_word};
use crate::ids::cwe_number;
use crate::{Options, ParseError, Shape, Sink, json};

pub(crate) const NAME: &str = "kics";

#[derive(Debug, Deserialize)]
struct Report {
    kics_version: Option<String>,
    /// Required, though it may be empty: a report without it is not KICS'.
    #[serde(deserialize_with = "Option::deserialize")]
    queries: Option<Vec<Query>>,
}

/// One query and what it matched.
#[derive(Debug, Deserialize)]
struct Query {
    query_name: Option<String>,
    query_id: Option<String>,
    query_url: Option<String>,
    severity: Option<String>,
    platform: Option<String>,
    cwe: Option<String>,
    category: Option<String>,
    description: Option<String>,
    files: Option<Vec<Match>>,
}

/// One place a query matched.
#[derive(Debug, Deserialize)]
struct Match {
    file_name: Option<String>,
    similarity_id: Option<String>,
    line: Option<i64>,
    issue_type: Option<String>,
    search_key: Option<String>,
    expected_value: Option<String>,
    actual_value: Option<String>,
    resource_type: Option<String>,
    resource_name: Option<String>,
}

pub(crate) fn sniff(shape: &Shape) -> bool {
    shape.kind == crate::shape::Kind::Object
        && shape.has("queries")
        && (shape.has("kics_version")
            || shape.has("queries_total")
            || shape.has_all(&["queries[].query_id", "queries[].files"]))
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let report: Report = json::document(reader, &options.limits, NAME)?;
    for query in report.queries.iter().flatten() {
        for matched in query.files.iter().flatten() {
            emit(sink, finding(query, matched))?;
        }
    }
    let info =
        RunInfo { tool: "KICS".into(), tool_version: report.kics_version, ..RunInfo::default() };
    sink.run(0, info).map_err(ParseError::Sink)
}

fn finding(query: &Query, matched: &Match) -> Finding {
    let rule = non_blank(query.query_id.as_deref()).unwrap_or_else(|| "kics".into());
    let title = non_blank(query.query_name.as_deref()).unwrap_or_else(|| rule.clone());
    let tool_severity = non_blank(query.severity.as_deref());
    let severity = tool_severity.as_deref().map_or(Severity::Medium, severity_of);

    let mut finding = Finding::new("KICS", rule, title, severity);
    finding.tool_severity = tool_severity;
    finding.message = message(query, matched, &finding.title);
    finding.remediation = non_blank(matched.expected_value.as_deref());
    if let Some(cwe) = query.cwe.as_deref().and_then(cwe_number) {
        finding.add_cwe(cwe);
    }
    if let Some(url) = non_blank(query.query_url.as_deref()) {
        finding.add_reference(&url);
        finding.help_uri = Some(url);
    }
    if let Some(id) = non_blank(matched.similarity_id.as_deref()) {
        finding.tool_fingerprints.insert("kics/similarityId".into(), id);
        if let Some(expected) = non_blank(matched.expected_value.as_deref()) {
            finding.tool_fingerprints.insert("kics/expectedValue".into(), expected);
        }
    }
    finding.location = Some(Location {
        path: non_blank(matched.file_name.as_deref()),
        start_line: matched.line.and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0),
        logical: non_blank(matched.search_key.as_deref()),
        ..Location::default()
    });
    finding
}

/// KICS' levels; TRACE is below INFO.
fn severity_of(word: &str) -> Severity {
    if word.trim().eq_ignore_ascii_case("trace") {
        return Severity::Info;
    }
    severity_word(word).unwrap_or(Severity::Medium)
}

/// The query's description, then what was matched: the resource, where
/// KICS files the query, and the expected and actual values.
fn message(query: &Query, matched: &Match, title: &str) -> String {
    let mut message = non_blank(query.description.as_deref()).unwrap_or_else(|| title.to_string());
    message.push('\n');
    let resource = [&matched.resource_type, &matched.resource_name]
        .into_iter()
        .filter_map(|part| non_blank(part.as_deref()))
        .collect::<Vec<_>>()
        .join(" ");
    let lines = [
        ("Resource", Some(resource)),
        ("Platform", non_blank(query.platform.as_deref())),
        ("Category", non_blank(query.category.as_deref())),
        ("Issue", non_blank(matched.issue_type.as_deref())),
        ("Expected", non_blank(matched.expected_value.as_deref())),
        ("Actual", non_blank(matched.actual_value.as_deref())),
    ];
    for (label, value) in lines {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            message.push_str(&format!("\n{label}: {value}"));
        }
    }
    message.trim_end().to_string()
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

    const REPORT: &str = r#"{
      "kics_version": "v1.7.13", "files_scanned": 2, "queries_total": 900,
      "queries": [{
        "query_name": "RBAC Wildcard In Rule", "query_id": "6b896afb-ca07-467a-b256-1a0077a1c08e",
        "query_url": "https://kubernetes.io/docs/reference/access-authn-authz/rbac/",
        "severity": "LOW", "platform": "Kubernetes", "cwe": "284", "category": "Access Control",
        "description": "Roles should not use wildcards in rules",
        "files": [{
          "file_name": "charts/rbac.yaml", "similarity_id": "493c98bd", "line": 20,
          "resource_type": "Role", "resource_name": "example",
          "issue_type": "IncorrectValue", "search_key": "metadata.name={{example}}.rules",
          "expected_value": "rules[0].verbs shouldn't contain value: '*'",
          "actual_value": "rules[0].verbs contains value: '*'"
        }, {
          "file_name": "charts/rbac.yaml", "similarity_id": "493c98bd", "line": 20,
          "issue_type": "IncorrectValue", "search_key": "metadata.name={{example}}.rules",
          "expected_value": "rules[0].resources shouldn't contain value: '*'",
          "actual_value": "rules[0].resources contains value: '*'"
        }]
      }, {
        "query_name": "Bill of materials item", "query_id": "q-trace", "severity": "TRACE",
        "files": [{"file_name": "main.tf", "line": 1}]
      }],
      "severity_counters": {"LOW": 2, "TRACE": 1}, "total_counter": 3
    }"#;

    #[test]
    fn each_matched_file_entry_is_a_finding() {
        let sink = collect(REPORT).unwrap();
        assert_eq!(sink.findings.len(), 3);
        assert_eq!(sink.runs.len(), 1);
        assert_eq!(
            (sink.runs[0].tool.as_str(), sink.runs[0].tool_version.as_deref()),
            ("KICS", Some("v1.7.13"))
        );

        let first = &sink.findings[0];
        assert_eq!(first.rule_id, "6b896afb-ca07-467a-b256-1a0077a1c08e");
        assert_eq!(first.title, "RBAC Wildcard In Rule");
        assert_eq!((first.severity, first.tool_severity.as_deref()), (Severity::Low, Some("LOW")));
        assert_eq!(first.cwes, [284]);
        assert_eq!(
            first.message,
            "Roles should not use wildcards in rules\n\nResource: Role example\n\
             Platform: Kubernetes\nCategory: Access Control\nIssue: IncorrectValue\n\
             Expected: rules[0].verbs shouldn't contain value: '*'\n\
             Actual: rules[0].verbs contains value: '*'"
        );
        assert_eq!(
            first.remediation.as_deref(),
            Some("rules[0].verbs shouldn't contain value: '*'")
        );
        assert_eq!(
            first.help_uri.as_deref(),
            Some("https://kubernetes.io/docs/reference/access-authn-authz/rbac/")
        );
        let location = first.location.as_ref().unwrap();
        assert_eq!(location.path.as_deref(), Some("charts/rbac.yaml"));
        assert_eq!(location.start_line, Some(20));
        assert_eq!(location.logical.as_deref(), Some("metadata.name={{example}}.rules"));
        assert_eq!(first.tool_fingerprints["kics/similarityId"], "493c98bd");
    }

    #[test]
    fn matches_sharing_a_similarity_id_stay_apart_and_survive_a_line_shift() {
        let before = collect(REPORT).unwrap();
        assert_ne!(before.findings[0].fingerprint, before.findings[1].fingerprint);
        let after = collect(&REPORT.replace("\"line\": 20", "\"line\": 31")).unwrap();
        assert_eq!(before.findings[0].fingerprint, after.findings[0].fingerprint);
        assert_eq!(before.findings[1].fingerprint, after.findings[1].fingerprint);
    }

    #[test]
    fn severities_map_and_trace_is_kept_as_info() {
        for (word, severity) in [
            ("CRITICAL", Severity::Critical),
            ("HIGH", Severity::High),
            ("MEDIUM", Severity::Medium),
            ("LOW", Severity::Low),
            ("INFO", Severity::Info),
            ("TRACE", Severity::Info),
            ("ODD", Severity::Medium),
        ] {
            let report =
                REPORT.replace("\"LOW\", \"platform\"", &format!("\"{word}\", \"platform\""));
            assert_eq!(collect(&report).unwrap().findings[0].severity, severity, "{word}");
        }
        assert_eq!(collect(REPORT).unwrap().findings[2].severity, Severity::Info);
    }

    #[test]
    fn sparse_and_empty_reports_are_read() {
        let sink = collect(r#"{"queries": [{"files": [{}]}, {"files": null}, {}]}"#).unwrap();
        assert_eq!(sink.findings.len(), 1);
        assert_eq!(sink.findings[0].rule_id, "kics");
        assert_eq!(sink.findings[0].severity, Severity::Medium);
        assert!(sink.findings[0].tool_fingerprints.is_empty());
        for empty in [r#"{"queries": [], "total_counter": 0}"#, r#"{"queries": null}"#] {
            let sink = collect(empty).unwrap();
            assert!(sink.findings.is_empty());
            assert_eq!(sink.runs.len(), 1);
        }
    }

    #[test]
    fn wrong_shapes_are_named() {
        let err = collect(r#"{"results": []}"#).unwrap_err();
        assert!(
            err.to_string().starts_with("invalid kics report at `.`: missing field `queries`"),
            "{err}"
        );
        let err = collect(r#"{"queries": [{"files": [{"line": "20"}]}]}"#).unwrap_err();
        assert!(
            err.to_string().starts_with("invalid kics report at `queries[0].files[0].line`"),
            "{err}"
        );
    }

    #[test]
    fn detection_wants_kics_keys() {
        assert!(sniff(&Shape::of(REPORT.as_bytes())));
        assert!(sniff(&Shape::of(br#"{"files_scanned": 1, "queries_total": 235, "queries": []}"#)));
        assert!(!sniff(&Shape::of(br#"{"queries": []}"#)));
        assert!(!sniff(&Shape::of(br#"[{"queries": [], "kics_version": "x"}]"#)));
    }
}
