//! The report formats fixgate reads, in one list. Adding a format is one
//! parser module and one entry here; detection, `--format`, the error for an
//! unknown report and the docs all read this list.

use std::io::Read;

use crate::{Limits, ParseError, Sink, sarif};

/// One report format.
pub struct Format {
    /// The name `--format` and the API's `format` take.
    pub name: &'static str,
    /// What the format is, for people.
    pub description: &'static str,
    /// Whether the first bytes of a report look like this format.
    pub sniff: fn(&[u8]) -> bool,
    /// Reads a whole report, handing findings to the sink.
    pub parse: fn(&mut dyn Read, &Limits, &mut dyn Sink) -> Result<(), ParseError>,
}

/// Every format, in the order detection tries them.
pub const FORMATS: &[Format] = &[Format {
    name: "sarif",
    description: "SARIF 2.1.0 (CodeQL, Semgrep, Snyk Code, Trivy, Gitleaks, Checkov, KICS, Bandit, ESLint, ...)",
    sniff: sarif::sniff,
    parse: |reader, limits, sink| sarif::parse(reader, limits, sink).map(|_| ()),
}];

/// The format whose name is `name`.
pub fn by_name(name: &str) -> Option<&'static Format> {
    FORMATS.iter().find(|f| f.name.eq_ignore_ascii_case(name.trim()))
}

/// The first format that recognises the report's first bytes.
pub fn detect(prefix: &[u8]) -> Option<&'static Format> {
    FORMATS.iter().find(|f| (f.sniff)(prefix))
}

/// Whether `text` starts like a JSON value (what follows a `[`); a TOML or
/// INI section header does not.
fn looks_like_json_value(text: &str) -> bool {
    text.trim_start().chars().next().is_none_or(|c| "{[\"-0123456789tfn]".contains(c))
}

/// The formats' names, for messages: `sarif, …`.
pub fn names() -> String {
    FORMATS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}

/// A few words on what a report that no parser took looks like.
pub fn describe(prefix: &[u8]) -> String {
    let text = String::from_utf8_lossy(prefix.get(..prefix.len().min(512)).unwrap_or(prefix));
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.is_empty() {
        return "an empty file".into();
    }
    let kind = match trimmed.chars().next() {
        Some('{') => "a JSON object",
        Some('[') if looks_like_json_value(trimmed.get(1..).unwrap_or("")) => "a JSON array",
        Some('<') => "an XML or HTML document",
        _ if prefix.contains(&0) => "binary data",
        _ => "text",
    };
    let start: String = trimmed.chars().take(60).collect::<String>().replace(['\n', '\r'], " ");
    format!("{kind} starting {start:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sarif_is_detected_and_named() {
        let report = br#"{"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": []}"#;
        assert_eq!(detect(report).map(|f| f.name), Some("sarif"));
        assert_eq!(by_name(" SARIF ").map(|f| f.name), Some("sarif"));
        assert!(detect(b"[1, 2]").is_none());
        assert!(by_name("cyclonedx").is_none());
        assert!(names().contains("sarif"));
    }

    #[test]
    fn describes_what_no_parser_took() {
        assert_eq!(describe(b""), "an empty file");
        assert!(describe(b"[1, 2]").starts_with("a JSON array"));
        assert!(describe(b"<html>").starts_with("an XML or HTML document"));
        assert!(describe(b"hello world").starts_with("text"));
        assert!(describe(b"[workspace]\nmembers = []").starts_with("text"));
    }
}
