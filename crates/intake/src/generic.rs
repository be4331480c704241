//! fixgate's own report formats, for tools without a parser of their own:
//! a JSON document (`fixgate`) and a CSV table (`fixgate-csv`). Both are
//! strict: an unknown field or column, a missing title or an unknown
//! severity is an error that names the finding and the field, so a typo in
//! a home-grown exporter shows up at once instead of as quietly lost data.
//!
//! The formats are documented in `docs/formats.md`; the JSON shape is
//!
//! ```json
//! {"fixgate": 1, "tool": {"name": "acme-scan", "version": "2.1"},
//!  "findings": [{"rule": "ACME-7", "title": "SQL injection", "severity": "high",
//!                "file": "app/db.py", "line": 10, "cwe": [89]}]}
//! ```
//!
//! Severity: `critical`, `high`, `medium`, `low`, `info`, in any case, with
//! the common synonyms (`moderate`, `warning`, `informational`, ...), or a
//! 0-10 score read with the CVSS bands.

use std::collections::BTreeMap;
use std::io::Read;

use fixgate_domain::{Cvss, Finding, Location, Package, RunInfo, Severity, Suppression};
use serde::Deserialize;

use crate::common::{emit, non_blank};
use crate::ids::{collect_advisories, cwe_number};
use crate::secrets::scrub_in;
use crate::shape::Kind;
use crate::{Options, ParseError, Shape, Sink, input, json};

pub(crate) const JSON_NAME: &str = "fixgate";
pub(crate) const CSV_NAME: &str = "fixgate-csv";

/// The JSON document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    /// The format's version; 1.
    fixgate: u32,
    tool: Tool,
    #[serde(default)]
    findings: Vec<Item>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tool {
    name: String,
    version: Option<String>,
}

/// One finding, in JSON; CSV columns have the same names, flattened
/// (`package`, `package_version`, `cvss_score`, ...).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    rule: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    severity: SeverityValue,
    description: Option<String>,
    #[serde(default)]
    cwe: Ids,
    #[serde(default)]
    advisories: Ids,
    cvss: Option<CvssItem>,
    file: Option<String>,
    line: Option<u32>,
    end_line: Option<u32>,
    column: Option<u32>,
    snippet: Option<String>,
    /// A place that is not a file: a URL, an image, a host.
    location: Option<String>,
    package: Option<PackageItem>,
    remediation: Option<String>,
    #[serde(default)]
    references: Ids,
    /// The tool's stable id for the problem (no line numbers in it).
    id: Option<String>,
    /// A secret the tool found; fixgate keeps only a preview and a keyed hash.
    secret: Option<String>,
    /// Set when the tool or a person marked the finding as not to act on.
    suppressed: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum SeverityValue {
    Score(f64),
    Word(String),
    #[default]
    Missing,
}

/// A list written as an array or as one string (`"CWE-79, CWE-80"`).
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum Ids {
    #[default]
    None,
    One(String),
    Number(u32),
    Many(Vec<IdItem>),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum IdItem {
    Text(String),
    Number(u32),
}

impl Ids {
    fn items(&self) -> Vec<String> {
        match self {
            Ids::None => Vec::new(),
            Ids::One(text) => split_list(text),
            Ids::Number(n) => vec![n.to_string()],
            Ids::Many(items) => items
                .iter()
                .map(|i| match i {
                    IdItem::Text(t) => t.trim().to_string(),
                    IdItem::Number(n) => n.to_string(),
                })
                .filter(|t| !t.is_empty())
                .collect(),
        }
    }
}

fn split_list(text: &str) -> Vec<String> {
    text.split([',', ';', '\n', ' '])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CvssItem {
    score: Option<f64>,
    vector: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackageItem {
    name: String,
    version: Option<String>,
    purl: Option<String>,
    ecosystem: Option<String>,
    fixed_version: Option<String>,
}

pub(crate) fn sniff_json(shape: &Shape) -> bool {
    shape.kind == Kind::Object && shape.has("fixgate") && shape.has("findings")
}

pub(crate) fn parse_json(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let document: Document = json::document(reader, &options.limits, JSON_NAME)?;
    if document.fixgate != 1 {
        return Err(ParseError::Report {
            format: JSON_NAME,
            path: "fixgate".into(),
            message: format!(
                "version {} is not supported; fixgate reads version 1",
                document.fixgate
            ),
        });
    }
    let tool = non_blank(Some(&document.tool.name)).ok_or_else(|| ParseError::Report {
        format: JSON_NAME,
        path: "tool.name".into(),
        message: "the tool needs a name".into(),
    })?;
    for (index, item) in document.findings.into_iter().enumerate() {
        let finding =
            convert(item, &tool, options).map_err(|(field, message)| ParseError::Report {
                format: JSON_NAME,
                path: format!("findings[{index}].{field}"),
                message,
            })?;
        emit(sink, finding)?;
    }
    let info = RunInfo { tool, tool_version: document.tool.version, ..RunInfo::default() };
    sink.run(0, info).map_err(ParseError::Sink)
}

/// The CSV columns, as the header names them.
const COLUMNS: &[&str] = &[
    "tool",
    "rule",
    "title",
    "severity",
    "description",
    "cwe",
    "advisories",
    "cvss_score",
    "cvss_vector",
    "file",
    "line",
    "end_line",
    "column",
    "snippet",
    "location",
    "package",
    "package_version",
    "purl",
    "ecosystem",
    "fixed_version",
    "remediation",
    "references",
    "id",
    "secret",
    "suppressed",
];

pub(crate) fn sniff_csv(shape: &Shape) -> bool {
    if shape.kind != Kind::Text {
        return false;
    }
    let header = shape.text.lines().next().unwrap_or("");
    let names: Vec<String> =
        header.split(',').map(|c| c.trim().trim_matches('"').to_ascii_lowercase()).collect();
    names.iter().any(|n| n == "title")
        && names.iter().any(|n| n == "severity")
        && names.iter().all(|n| COLUMNS.contains(&n.as_str()))
}

pub(crate) fn parse_csv(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let input = input::open(reader, options.limits.max_bytes)
        .map_err(|e| json::io_error(e, &options.limits))?;
    let mut csv = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(input);
    let headers: Vec<String> = csv
        .headers()
        .map_err(|e| csv_error(e, &options.limits))?
        .iter()
        .map(str::to_ascii_lowercase)
        .collect();
    for name in &headers {
        if !COLUMNS.contains(&name.as_str()) {
            return Err(ParseError::Csv {
                line: 1,
                message: format!("unknown column {name:?}; the columns are {}", COLUMNS.join(", ")),
            });
        }
    }
    for required in ["title", "severity"] {
        if !headers.iter().any(|h| h == required) {
            return Err(ParseError::Csv {
                line: 1,
                message: format!("the column {required:?} is missing"),
            });
        }
    }

    let mut tools: Vec<String> = Vec::new();
    for record in csv.records() {
        let record = record.map_err(|e| csv_error(e, &options.limits))?;
        let line = record.position().map_or(0, csv::Position::line);
        let cell = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .and_then(|v| non_blank(Some(v)))
        };
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let number = |name: &str| -> Result<Option<u32>, ParseError> {
            cell(name)
                .map(|v| {
                    v.parse::<u32>().map_err(|_| ParseError::Csv {
                        line,
                        message: format!("column {name}: {v:?} is not a whole number"),
                    })
                })
                .transpose()
        };
        let score = cell("cvss_score")
            .map(|v| {
                v.parse::<f64>().map_err(|_| ParseError::Csv {
                    line,
                    message: format!("column cvss_score: {v:?} is not a number"),
                })
            })
            .transpose()?;
        let item = Item {
            rule: cell("rule"),
            title: cell("title").unwrap_or_default(),
            severity: cell("severity").map_or(SeverityValue::Missing, SeverityValue::Word),
            description: cell("description"),
            cwe: cell("cwe").map_or(Ids::None, Ids::One),
            advisories: cell("advisories").map_or(Ids::None, Ids::One),
            cvss: (score.is_some() || cell("cvss_vector").is_some())
                .then(|| CvssItem { score, vector: cell("cvss_vector") }),
            file: cell("file"),
            line: number("line")?,
            end_line: number("end_line")?,
            column: number("column")?,
            snippet: cell("snippet"),
            location: cell("location"),
            package: cell("package").map(|name| PackageItem {
                name,
                version: cell("package_version"),
                purl: cell("purl"),
                ecosystem: cell("ecosystem"),
                fixed_version: cell("fixed_version"),
            }),
            remediation: cell("remediation"),
            references: cell("references").map_or(Ids::None, Ids::One),
            id: cell("id"),
            secret: cell("secret"),
            suppressed: cell("suppressed"),
        };
        let tool = cell("tool").unwrap_or_else(|| "CSV import".into());
        if !tools.contains(&tool) {
            tools.push(tool.clone());
        }
        let finding = convert(item, &tool, options).map_err(|(field, message)| {
            ParseError::Csv { line, message: format!("column {field}: {message}") }
        })?;
        emit(sink, finding)?;
    }
    let tool = if tools.is_empty() { "CSV import".to_string() } else { tools.join(", ") };
    sink.run(0, RunInfo { tool, ..RunInfo::default() }).map_err(ParseError::Sink)
}

fn csv_error(error: csv::Error, limits: &crate::Limits) -> ParseError {
    let line = error.position().map_or(0, csv::Position::line);
    match error.into_kind() {
        csv::ErrorKind::Io(io) => json::io_error(io, limits),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => ParseError::Csv {
            line,
            message: format!("{len} cells where the header has {expected_len}"),
        },
        other => ParseError::Csv { line, message: format!("{other:?}") },
    }
}

/// One item into a finding; an error names the field and what is wrong.
fn convert(item: Item, tool: &str, options: &Options) -> Result<Finding, (&'static str, String)> {
    let title =
        non_blank(Some(&item.title)).ok_or(("title", "a finding needs a title".to_string()))?;
    let (severity, written) = match &item.severity {
        SeverityValue::Score(score) if (0.0..=10.0).contains(score) => {
            (Severity::from_score(*score), score.to_string())
        }
        SeverityValue::Score(score) => {
            return Err(("severity", format!("{score} is not a score from 0 to 10")));
        }
        SeverityValue::Word(word) => match word.trim().parse::<f64>() {
            Ok(score) if (0.0..=10.0).contains(&score) => {
                (Severity::from_score(score), word.clone())
            }
            _ => (
                word.parse::<Severity>().map_err(|_| {
                    (
                        "severity",
                        format!(
                            "unknown severity {word:?}; use critical, high, medium, low or info"
                        ),
                    )
                })?,
                word.clone(),
            ),
        },
        SeverityValue::Missing => return Err(("severity", "a finding needs a severity".into())),
    };
    let rule = item.rule.and_then(|r| non_blank(Some(&r))).unwrap_or_else(|| title.clone());
    let mut finding = Finding::new(tool, rule, title, severity);
    finding.tool_severity = Some(written);
    finding.message = item.description.unwrap_or_default();
    for cwe in item.cwe.items() {
        let number = cwe_number(&cwe).ok_or(("cwe", format!("{cwe:?} is not a CWE id")))?;
        finding.add_cwe(number);
    }
    let mut advisories = Vec::new();
    for id in item.advisories.items() {
        collect_advisories(&id, &mut advisories);
        finding.add_advisory(&id);
    }
    for url in item.references.items() {
        finding.add_reference(&url);
    }
    finding.cvss = item.cvss.map(|c| Cvss { score: c.score, vector: c.vector });
    if let Some(score) = finding.cvss.as_ref().and_then(|c| c.score)
        && !(0.0..=10.0).contains(&score)
    {
        return Err(("cvss", format!("score {score} is not from 0 to 10")));
    }
    let mut snippet = item.snippet;
    if item.file.is_some() || item.location.is_some() || snippet.is_some() {
        finding.location = Some(Location {
            path: item.file,
            start_line: item.line,
            end_line: item.end_line.or(item.line),
            start_column: item.column,
            end_column: None,
            snippet: None,
            logical: item.location,
        });
    }
    finding.package = item.package.map(|p| Package {
        name: p.name,
        version: p.version,
        purl: p.purl,
        ecosystem: p.ecosystem,
        fixed_version: p.fixed_version,
    });
    finding.remediation = item.remediation;
    if let Some(id) = item.id.and_then(|id| non_blank(Some(&id))) {
        finding.tool_fingerprints = BTreeMap::from([("id".to_string(), id)]);
    }
    if let Some(secret) = item.secret.filter(|s| !s.trim().is_empty()) {
        if let Some(text) = snippet.as_mut() {
            scrub_in(text, &secret);
        }
        scrub_in(&mut finding.message, &secret);
        scrub_in(&mut finding.title, &secret);
        finding.secret = Some(options.secret_key.protect(&secret));
    }
    if let Some(location) = finding.location.as_mut() {
        location.snippet = snippet;
    }
    finding.suppression = item.suppressed.filter(|s| !is_false(s)).map(|reason| Suppression {
        kind: "external".into(),
        justification: non_blank(Some(&reason)).filter(|r| !is_true(r)),
    });
    Ok(finding)
}

fn is_false(text: &str) -> bool {
    matches!(text.trim().to_ascii_lowercase().as_str(), "" | "false" | "no" | "0")
}

fn is_true(text: &str) -> bool {
    matches!(text.trim().to_ascii_lowercase().as_str(), "true" | "yes" | "1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Collected;

    fn json_findings(text: &str) -> Result<Collected, ParseError> {
        let mut sink = Collected::default();
        parse_json(&mut text.as_bytes(), &Options::default(), &mut sink)?;
        Ok(sink)
    }

    fn csv_findings(text: &str) -> Result<Collected, ParseError> {
        let mut sink = Collected::default();
        parse_csv(&mut text.as_bytes(), &Options::default(), &mut sink)?;
        Ok(sink)
    }

    #[test]
    fn every_json_field_lands_where_it_belongs() {
        let report = r#"{"fixgate": 1, "tool": {"name": "acme-scan", "version": "2.1"}, "findings": [
          {"rule": "ACME-7", "title": "SQL injection", "severity": "HIGH", "description": "Built from input",
           "cwe": ["CWE-89", 564], "advisories": "CVE-2024-1234 GHSA-abcd-efgh-ijkl",
           "cvss": {"score": 8.1, "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"},
           "file": "app/db.py", "line": 10, "end_line": 12, "column": 4, "snippet": "cursor.execute(q)",
           "remediation": "Bind parameters", "references": ["https://example.com/a"], "id": "acme-123"},
          {"title": "Outdated lodash", "severity": 5.3, "package": {"name": "lodash", "version": "4.17.15",
           "purl": "pkg:npm/lodash@4.17.15", "fixed_version": "4.17.21"}, "location": "package-lock.json"},
          {"title": "Token in config", "severity": "info", "file": "a.env", "snippet": "TOKEN=abcdefgh12345678",
           "secret": "abcdefgh12345678", "suppressed": "test fixture"}
        ]}"#;
        let sink = json_findings(report).unwrap();
        assert_eq!(sink.runs[0].tool, "acme-scan");
        assert_eq!(sink.runs[0].tool_version.as_deref(), Some("2.1"));
        let [sql, lodash, token] = &sink.findings[..] else { panic!("{:?}", sink.findings) };
        assert_eq!((sql.rule_id.as_str(), sql.severity), ("ACME-7", Severity::High));
        assert_eq!(sql.cwes, [89, 564]);
        assert_eq!(sql.advisories, ["CVE-2024-1234", "GHSA-abcd-efgh-ijkl"]);
        assert_eq!(sql.cvss.as_ref().unwrap().score, Some(8.1));
        let location = sql.location.as_ref().unwrap();
        assert_eq!(
            (location.start_line, location.end_line, location.start_column),
            (Some(10), Some(12), Some(4))
        );
        assert_eq!(sql.tool_fingerprints.get("id").map(String::as_str), Some("acme-123"));
        assert_eq!(lodash.severity, Severity::Medium);
        assert_eq!(lodash.rule_id, "Outdated lodash");
        assert_eq!(lodash.package.as_ref().unwrap().fixed_version.as_deref(), Some("4.17.21"));
        assert_eq!(token.severity, Severity::Info);
        assert_eq!(
            token.suppression.as_ref().unwrap().justification.as_deref(),
            Some("test fixture")
        );
        assert!(token.secret.is_some());
        assert!(!serde_json::to_string(&sink.findings).unwrap().contains("abcdefgh12345678"));
    }

    #[test]
    fn mistakes_are_named_by_finding_and_field() {
        let err = |findings: &str| {
            json_findings(&format!(
                r#"{{"fixgate": 1, "tool": {{"name": "t"}}, "findings": [{findings}]}}"#
            ))
            .unwrap_err()
            .to_string()
        };
        assert!(
            err(r#"{"title": "a", "severity": "bad"}"#)
                .contains("`findings[0].severity`: unknown severity \"bad\"")
        );
        assert!(
            err(r#"{"title": "a", "severity": "low"}, {"title": " ", "severity": "low"}"#)
                .contains("`findings[1].title`")
        );
        assert!(
            err(r#"{"title": "a"}"#).contains("`findings[0].severity`: a finding needs a severity")
        );
        assert!(
            err(r#"{"title": "a", "severity": "low", "sevrity": "x"}"#)
                .contains("unknown field `sevrity`")
        );
        assert!(err(r#"{"title": "a", "severity": 11}"#).contains("not a score from 0 to 10"));
        assert!(
            err(r#"{"title": "a", "severity": "low", "cwe": "XSS"}"#).contains("is not a CWE id")
        );
        let version =
            json_findings(r#"{"fixgate": 2, "tool": {"name": "t"}, "findings": []}"#).unwrap_err();
        assert!(version.to_string().contains("version 2 is not supported"), "{version}");
    }

    #[test]
    fn an_empty_report_is_a_clean_scan() {
        let sink =
            json_findings(r#"{"fixgate": 1, "tool": {"name": "t"}, "findings": []}"#).unwrap();
        assert!(sink.findings.is_empty());
        assert_eq!(sink.runs.len(), 1);
    }

    #[test]
    fn csv_rows_become_findings() {
        let report = "tool,rule,title,severity,file,line,cwe,advisories,package,package_version,cvss_score\n\
                      acme,R1,\"Bad, very bad\",High,src/a.py,10,CWE-79,,,,\n\
                      acme,R2,Old lib,moderate,,,,\"CVE-2020-1, CVE-2020-2\",lodash,4.17.15,5.3\n\
                      ,,,,,,,,,,\n";
        let sink = csv_findings(report).unwrap();
        assert_eq!(sink.findings.len(), 2);
        assert_eq!(sink.findings[0].title, "Bad, very bad");
        assert_eq!(sink.findings[0].cwes, [79]);
        assert_eq!(sink.findings[0].location.as_ref().unwrap().start_line, Some(10));
        assert_eq!(sink.findings[1].severity, Severity::Medium);
        assert_eq!(sink.findings[1].advisories, ["CVE-2020-1", "CVE-2020-2"]);
        assert_eq!(sink.findings[1].package.as_ref().unwrap().version.as_deref(), Some("4.17.15"));
        assert_eq!(sink.runs[0].tool, "acme");
    }

    #[test]
    fn csv_mistakes_name_the_line_and_column() {
        let err = csv_findings("title,severity,line\na,low,ten\n").unwrap_err().to_string();
        assert_eq!(err, "column line: \"ten\" is not a whole number at line 2");
        let err = csv_findings("title,severity\na,urgent\n").unwrap_err().to_string();
        assert!(err.starts_with("column severity: unknown severity \"urgent\""), "{err}");
        let err = csv_findings("title,severity,colour\n").unwrap_err().to_string();
        assert!(err.starts_with("unknown column \"colour\""), "{err}");
        let err = csv_findings("title,line\n").unwrap_err().to_string();
        assert!(err.contains("\"severity\" is missing"), "{err}");
        let err = csv_findings("title,severity\na,low,extra\n").unwrap_err().to_string();
        assert_eq!(err, "3 cells where the header has 2 at line 2");
    }

    #[test]
    fn detection_tells_the_generic_formats_apart() {
        assert!(sniff_json(&Shape::of(
            br#"{"fixgate": 1, "tool": {"name": "t"}, "findings": []}"#
        )));
        assert!(!sniff_json(&Shape::of(br#"{"findings": []}"#)));
        assert!(sniff_csv(&Shape::of(b"Title,Severity,File\n")));
        assert!(!sniff_csv(&Shape::of(b"title,severity,whatever\n")));
        assert!(!sniff_csv(&Shape::of(b"name,age\n")));
    }
}
