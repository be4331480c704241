//! Why a report could not be read: one variant per cause, each with a message
//! that names the cause and, where there is one, the position in the report.

use crate::SinkError;

/// A report that could not be parsed, or a parse that was stopped.
///
/// Findings handed to the sink before the error stay with the sink: a
/// streaming parse finds a broken tail only when it gets there, so the caller
/// decides whether to keep or drop what it received.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The bytes are not valid JSON, or the file ends early.
    #[error("{message} at line {line} column {column}")]
    Json { line: usize, column: usize, message: String },

    /// Valid JSON, but not a SARIF log; says what was found instead.
    #[error("not a SARIF report, found {0}")]
    NotSarif(String),

    /// A SARIF version other than 2.1.0.
    #[error("SARIF version {0} is not supported: fixgate reads SARIF 2.1.0")]
    UnsupportedVersion(String),

    /// The report is larger than [`crate::Limits::max_bytes`].
    #[error("the report is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },

    /// Nested deeper than the JSON parser's recursion limit (128 levels).
    #[error("the report is nested deeper than 128 levels at line {line} column {column}")]
    TooDeep { line: usize, column: usize },

    /// A SARIF property has the wrong shape, such as `locations` that is not
    /// an array; `path` names the property, `message` what is wrong and where.
    #[error("invalid SARIF at `{path}`: {message}")]
    Invalid { path: String, message: String },

    /// Valid JSON or XML, but not the report the format expects; says what
    /// was found instead.
    #[error("not {} {format} report: {found}", article(format))]
    WrongShape { format: &'static str, found: String },

    /// A field of a report has the wrong type or a required one is missing;
    /// `path` names the field (`Results[3].Vulnerabilities[0].Severity`).
    #[error("invalid {format} report at `{path}`: {message}")]
    Report { format: &'static str, path: String, message: String },

    /// The bytes are not well-formed XML.
    #[error("{message} at line {line}")]
    Xml { line: u64, message: String },

    /// An XML report with a document type declaration that could define
    /// entities or pull in an external file. fixgate reads XML without
    /// them, so neither entity expansion (billion laughs) nor external
    /// entities (file reads) can happen; a DTD of element and attribute
    /// declarations only (as Burp Suite writes) is read.
    #[error(
        "the report declares a DTD that fixgate does not read (<!DOCTYPE ...> at line {line}): fixgate reads XML without entity definitions, external DTDs or references in a DTD; only element and attribute declarations are allowed"
    )]
    Doctype { line: u64 },

    /// XML nested deeper than [`crate::Limits::max_depth`].
    #[error("the report is nested deeper than {limit} levels at line {line}")]
    TooDeepXml { limit: usize, line: u64 },

    /// A line of a JSON-lines report is not valid.
    #[error("line {line}: {source}")]
    Line {
        line: usize,
        #[source]
        source: Box<ParseError>,
    },

    /// A CSV report that cannot be read.
    #[error("{message} at line {line}")]
    Csv { line: u64, message: String },

    /// Reading the report failed.
    #[error("could not read the report")]
    Io(#[source] std::io::Error),

    /// The sink refused a finding or a run, which stops the parse.
    #[error("the parse was stopped by its receiver")]
    Sink(#[source] SinkError),
}

/// `a` or `an` before a format's name, by its first letter.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
}
