//! SARIF 2.1.0: the format of GitHub code scanning, CodeQL, Semgrep, Trivy
//! and most other SAST tools.
//!
//! [`parse`] streams a log: it reads one result at a time, converts it into a
//! [`fixgate_domain::Finding`] and hands it to the [`Sink`], so an 80 MB
//! report with 100,000 results never sits in memory as a whole. The two
//! stages are `model` (serde types that mirror SARIF) with `stream`
//! (visitors over the log, its runs and their results), then `convert`.
//!
//! # Counting
//!
//! One finding per result, whatever its number of locations (the first
//! location is the finding's place). Suppressed results are findings too,
//! marked suppressed. Results of kind `pass` or `notApplicable`, and results
//! whose `baselineState` is `absent`, are not findings and are only counted
//! in [`Summary::skipped`].
//!
//! # Limits
//!
//! A run's `artifacts` and `taxonomies` are used for the results that come
//! after them, which is where tools write them; a report that puts them after
//! `results` loses artifact paths given only by index and CWE taxa referred to
//! only by index. Buffering results until the run ends would fix that at the
//! cost of memory, as is already done for results that come before `tool`.
//! A `version` written after `runs` is checked only at the end, when the
//! sink has already received that log's findings.

mod convert;
mod location;
mod model;
mod run;
mod severity;
mod stream;
mod text;

#[cfg(test)]
mod tests;

use std::io::Read;

use serde::de::DeserializeSeed;
use serde_json::error::Category;

use crate::{Limits, ParseError, Sink, input};

/// What a parse read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Runs reported to [`Sink::run`].
    pub runs: usize,
    /// Findings handed to [`Sink::finding`].
    pub results: usize,
    /// Results that are not findings (kind `pass` or `notApplicable`, or
    /// `baselineState` `absent`).
    pub skipped: usize,
}

/// Reads a SARIF 2.1.0 log from `reader` and hands each finding, then each
/// run, to `sink`.
///
/// On an error, `sink` keeps what it received before it: the caller decides
/// whether a partly read report counts (an importer drops it).
pub fn parse<R: Read>(
    reader: R,
    limits: &Limits,
    sink: &mut dyn Sink,
) -> Result<Summary, ParseError> {
    let input = input::open_json(reader, limits).map_err(|e| io_error(e, limits))?;
    let mut parse = stream::Parse::new(sink);
    let mut json = serde_json::Deserializer::from_reader(input);

    let outcome = stream::Log(&mut parse).deserialize(&mut json).and_then(|()| json.end());
    match outcome {
        Ok(()) => Ok(parse.summary),
        Err(error) => Err(classify(error, &mut parse, limits)),
    }
}

/// Turns the JSON parser's error into the cause it stands for.
fn classify(error: serde_json::Error, parse: &mut stream::Parse, limits: &Limits) -> ParseError {
    let (line, column) = (error.line(), error.column());
    match parse.failure.take() {
        // Nested too deep inside a result: the JSON parser stands where that
        // result ends.
        Some(ParseError::TooDeep { .. }) => return ParseError::TooDeep { line, column },
        Some(failure) => return failure,
        None => {}
    }
    match error.classify() {
        Category::Io => io_error(error.into(), limits),
        Category::Eof => {
            ParseError::Json { line, column, message: "unexpected end of file".into() }
        }
        Category::Syntax if is_recursion_limit(&error) => ParseError::TooDeep { line, column },
        Category::Syntax => {
            ParseError::Json { line, column, message: format!("invalid JSON: {}", bare(&error)) }
        }
        Category::Data => ParseError::Invalid {
            path: parse.path.take().unwrap_or_else(|| ".".to_string()),
            message: error.to_string(),
        },
    }
}

fn io_error(error: std::io::Error, limits: &Limits) -> ParseError {
    crate::json::io_error(error, limits)
}

fn is_recursion_limit(error: &serde_json::Error) -> bool {
    error.classify() == Category::Syntax
        && error.to_string().starts_with("recursion limit exceeded")
}

/// serde_json's message without the position it appends.
fn bare(error: &serde_json::Error) -> String {
    let full = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    full.strip_suffix(&suffix).map(str::to_string).unwrap_or(full)
}

/// Cheap check used by format detection: does this prefix of a file look
/// like SARIF? True for a JSON object whose `$schema` mentions SARIF, or that
/// has a `runs` array, within the prefix.
pub fn sniff(prefix: &[u8]) -> bool {
    let text = String::from_utf8_lossy(prefix);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if !text.starts_with('{') {
        return false;
    }
    let schema_says_sarif = string_value_after(text, "\"$schema\"")
        .is_some_and(|schema| schema.to_ascii_lowercase().contains("sarif"));
    schema_says_sarif || key_opens(text, "\"runs\"", '[')
}

/// The start of the string value that follows `key` and a colon.
fn string_value_after<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    let after = text.get(text.find(key)? + key.len()..)?;
    let value = after.trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    Some(value.split('"').next().unwrap_or(value))
}

/// Whether `key` occurs followed by a colon and `opener`.
fn key_opens(text: &str, key: &str, opener: char) -> bool {
    text.match_indices(key).any(|(at, _)| {
        let after = text.get(at + key.len()..).unwrap_or("");
        after.trim_start().strip_prefix(':').is_some_and(|v| v.trim_start().starts_with(opener))
    })
}
