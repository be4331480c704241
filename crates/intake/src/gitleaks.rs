//! Gitleaks JSON reports (`gitleaks detect --report-format json`): an array
//! of leaks. Version 8 writes `RuleID`, `File`, `Secret`, ...; version 7
//! wrote `rule`, `file`, `offender`, ...; both are read.
//!
//! Mapping: one finding per leak. Gitleaks gives no severity; a leaked
//! credential can be used as it is, so every leak is high. CWE-798 (use of
//! hard-coded credentials). The secret is replaced by its preview in every
//! text kept and stored only as a keyed hash. Gitleaks' own `Fingerprint`
//! (`commit:file:rule:line`) holds the line number, so it is kept in the
//! message's context, not used as identity: fixgate's secret fingerprint
//! (rule, file, keyed hash) survives the line moving.

use std::io::Read;

use fixgate_domain::{Finding, Location, RunInfo, Severity};
use serde::Deserialize;

use crate::common::{emit, non_blank};
use crate::secrets::scrub_in;
use crate::{Options, ParseError, Shape, Sink, json};

pub(crate) const NAME: &str = "gitleaks";

/// One leak, in either version's field names.
#[derive(Debug, Deserialize)]
struct Leak {
    #[serde(alias = "RuleID", alias = "rule")]
    rule: Option<String>,
    #[serde(rename = "Description")]
    description: Option<String>,
    #[serde(alias = "File", alias = "file")]
    file: Option<String>,
    #[serde(rename = "StartLine", alias = "lineNumber")]
    start_line: Option<u32>,
    #[serde(rename = "EndLine")]
    end_line: Option<u32>,
    #[serde(rename = "StartColumn")]
    start_column: Option<u32>,
    #[serde(rename = "EndColumn")]
    end_column: Option<u32>,
    /// The text that matched (v8), or the whole line (v7 `line`).
    #[serde(rename = "Match", alias = "line")]
    matched: Option<String>,
    #[serde(rename = "Secret", alias = "offender")]
    secret: Option<String>,
    #[serde(rename = "Commit", alias = "commit")]
    commit: Option<String>,
    #[serde(rename = "Author", alias = "author")]
    author: Option<String>,
    #[serde(rename = "Date", alias = "date")]
    date: Option<String>,
    #[serde(rename = "Message", alias = "commitMessage")]
    commit_message: Option<String>,
    #[serde(rename = "Fingerprint")]
    fingerprint: Option<String>,
    #[serde(rename = "leakURL")]
    leak_url: Option<String>,
}

pub(crate) fn sniff(shape: &Shape) -> bool {
    shape.kind == crate::shape::Kind::Array
        && (shape.has_all(&["RuleID", "Secret"]) || shape.has_all(&["offender", "rule", "leakURL"]))
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let leaks: Option<Vec<Leak>> = json::document(reader, &options.limits, NAME)?;
    for leak in leaks.unwrap_or_default() {
        emit(sink, finding(leak, options))?;
    }
    sink.run(0, RunInfo { tool: "Gitleaks".into(), ..RunInfo::default() }).map_err(ParseError::Sink)
}

fn finding(leak: Leak, options: &Options) -> Finding {
    let rule = non_blank(leak.rule.as_deref()).unwrap_or_else(|| "gitleaks".into());
    let title = non_blank(leak.description.as_deref()).unwrap_or_else(|| format!("{rule} leaked"));
    let mut finding = Finding::new("Gitleaks", rule, title, Severity::High);
    finding.tool_severity = None;
    finding.add_cwe(798);

    let secret = leak.secret.filter(|s| !s.trim().is_empty());
    let mut snippet = leak.matched.filter(|m| !m.trim().is_empty());
    let mut message = finding.title.clone();
    if let Some(commit) = non_blank(leak.commit.as_deref()) {
        message.push_str(&format!("\n\nCommit {commit}"));
        if let Some(author) = non_blank(leak.author.as_deref()) {
            message.push_str(&format!(" by {author}"));
        }
        if let Some(date) = non_blank(leak.date.as_deref()) {
            message.push_str(&format!(" on {date}"));
        }
        if let Some(text) = non_blank(leak.commit_message.as_deref()) {
            message.push_str(&format!(": {}", text.lines().next().unwrap_or("")));
        }
    }
    if let Some(fingerprint) = non_blank(leak.fingerprint.as_deref()) {
        message.push_str(&format!("\nGitleaks fingerprint: {fingerprint}"));
    }
    if let Some(secret) = &secret {
        if let Some(snippet) = snippet.as_mut() {
            scrub_in(snippet, secret);
        }
        scrub_in(&mut message, secret);
        finding.secret = Some(options.secret_key.protect(secret));
    }
    finding.message = message;
    finding.location = Some(Location {
        path: non_blank(leak.file.as_deref()),
        start_line: leak.start_line,
        end_line: leak.end_line.or(leak.start_line),
        start_column: leak.start_column,
        end_column: leak.end_column,
        snippet,
        logical: None,
    });
    if let Some(url) = leak.leak_url {
        finding.add_reference(&url);
    }
    finding
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Collected;

    fn parse_text(text: &str, options: &Options) -> Vec<Finding> {
        let mut sink = Collected::default();
        parse(&mut text.as_bytes(), options, &mut sink).unwrap();
        assert_eq!(sink.runs.len(), 1);
        sink.findings
    }

    const V8: &str = r#"[
      {"RuleID": "aws-access-token", "Description": "AWS access key", "StartLine": 3, "EndLine": 3,
       "StartColumn": 9, "EndColumn": 28, "Match": "key = AKIAIOSFODNN7EXAMPLE",
       "Secret": "AKIAIOSFODNN7EXAMPLE", "File": "conf/aws.tf", "Commit": "abc123",
       "Author": "Dev", "Date": "2024-01-01T00:00:00Z", "Message": "add key\nmore",
       "Fingerprint": "abc123:conf/aws.tf:aws-access-token:3"},
      {"RuleID": "aws-access-token", "Description": "AWS access key", "StartLine": 9,
       "Match": "other = AKIAIOSFODNN7EXAMPLE", "Secret": "AKIAIOSFODNN7EXAMPLE", "File": "b.tf"}
    ]"#;

    #[test]
    fn the_secret_never_leaves_the_parser() {
        let options = Options::default();
        let findings = parse_text(V8, &options);
        assert_eq!(findings.len(), 2);
        let all = serde_json::to_string(&findings).unwrap();
        assert!(!all.contains("AKIAIOSFODNN7EXAMPLE"), "{all}");
        let first = &findings[0];
        assert_eq!(first.rule_id, "aws-access-token");
        assert_eq!(first.severity, Severity::High);
        assert_eq!(first.cwes, [798]);
        let location = first.location.as_ref().unwrap();
        assert_eq!(location.path.as_deref(), Some("conf/aws.tf"));
        assert_eq!((location.start_line, location.end_line), (Some(3), Some(3)));
        assert_eq!(location.snippet.as_deref(), Some("key = AKI…PLE (20 chars)"));
        assert!(first.message.contains("Commit abc123 by Dev on 2024-01-01T00:00:00Z: add key"));
        // The same secret in two files is recognisably the same.
        let hashes: Vec<_> =
            findings.iter().map(|f| f.secret.as_ref().unwrap().hash.clone()).collect();
        assert_eq!(hashes[0], hashes[1]);
    }

    #[test]
    fn a_leak_keeps_its_identity_when_its_line_moves() {
        let options = Options::default();
        let moved =
            V8.replace("\"StartLine\": 3, \"EndLine\": 3", "\"StartLine\": 7, \"EndLine\": 7");
        let before = parse_text(V8, &options);
        let after = parse_text(&moved, &options);
        assert_eq!(after[0].location.as_ref().unwrap().start_line, Some(7));
        assert_eq!(before[0].fingerprint, after[0].fingerprint);
        assert_ne!(before[0].fingerprint, before[1].fingerprint);
    }

    #[test]
    fn version_7_reports_are_read() {
        let v7 = r#"[{"line": "aws = \"AKIAIOSFODNN7EXAMPLE\"", "lineNumber": 13,
            "offender": "AKIAIOSFODNN7EXAMPLE", "commit": "6d12", "repo": ".", "repoURL": "",
            "leakURL": "", "rule": "AWS Access Key", "commitMessage": "m", "author": "a",
            "email": "e", "file": "x.json", "date": "2021-01-01", "tags": "key, AWS"}]"#;
        let findings = parse_text(v7, &Options::default());
        assert_eq!(findings[0].rule_id, "AWS Access Key");
        assert_eq!(findings[0].location.as_ref().unwrap().start_line, Some(13));
        assert!(!serde_json::to_string(&findings).unwrap().contains("AKIAIOSFODNN7EXAMPLE"));
    }

    #[test]
    fn an_empty_report_is_a_clean_scan() {
        assert!(parse_text("[]", &Options::default()).is_empty());
        assert!(parse_text("null", &Options::default()).is_empty());
    }
}
