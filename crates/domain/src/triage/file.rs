//! The triage policy file as an administrator writes it: serde types that
//! mirror the TOML and keep every value's place in the text, so the checks
//! that run after reading can still say which line is wrong.
//!
//! These types only read; turning them into rules (and refusing what makes
//! no sense) is the job of each rule's own module.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::PolicyFileError;

/// A value and where it stands in the file.
pub(super) type At<T> = Spanned<T>;

/// A list whose entries each know their place.
pub(super) type List<T> = Vec<At<T>>;

/// A table whose keys and values each know their place.
pub(super) type Table<T> = BTreeMap<At<String>, At<T>>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    #[serde(default)]
    pub sla: RawSla,
    #[serde(default)]
    pub priority: RawPriority,
    #[serde(default)]
    pub applications: Table<RawApplication>,
    #[serde(default)]
    pub route: List<RawRoute>,
    #[serde(default)]
    pub workflow: Table<RawWorkflow>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSla {
    pub days: Option<Table<i64>>,
    pub due_soon: Option<Table<i64>>,
    pub calendar: Option<At<String>>,
    pub time_zone: Option<At<String>>,
    pub weekend: Option<At<List<String>>>,
    /// Strings or TOML dates, so `2026-12-25` reads with or without quotes.
    pub holidays: Option<List<toml::Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPriority {
    pub base: Option<Table<String>>,
    #[serde(default)]
    pub rule: List<RawPriorityRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPriorityRule {
    pub name: Option<At<String>>,
    pub when: Option<At<RawWhen>>,
    pub set: Option<At<String>>,
    pub raise: Option<At<i64>>,
    pub lower: Option<At<i64>>,
    pub at_least: Option<At<String>>,
    pub at_most: Option<At<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWhen {
    pub severity: Option<At<List<String>>>,
    pub tier: Option<At<List<i64>>>,
    pub production: Option<bool>,
    pub internet_facing: Option<bool>,
    pub kev: Option<bool>,
    pub epss_at_least: Option<At<f64>>,
    pub epss_below: Option<At<f64>>,
    pub kind: Option<At<List<String>>>,
    pub application: Option<At<List<String>>>,
    #[serde(rename = "type")]
    pub ticket_type: Option<At<List<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawApplication {
    pub tier: Option<At<i64>>,
    pub production: Option<bool>,
    pub internet_facing: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoute {
    pub name: Option<At<String>>,
    pub application: Option<At<List<String>>>,
    pub repository: Option<At<List<String>>>,
    pub path: Option<At<List<String>>>,
    pub ecosystem: Option<At<List<String>>>,
    pub kind: Option<At<List<String>>>,
    #[serde(rename = "type")]
    pub ticket_type: Option<At<List<String>>>,
    pub cwe: Option<At<List<i64>>>,
    pub team: Option<At<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWorkflow {
    pub initial: Option<At<String>>,
    pub state: Option<List<RawState>>,
    #[serde(default)]
    pub transition: List<RawTransition>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawState {
    pub name: Option<At<String>>,
    pub label: Option<At<String>>,
    pub means: Option<At<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTransition {
    /// `"*"`, one state's name, or a list of names.
    pub from: Option<At<toml::Value>>,
    pub to: Option<At<String>>,
    pub roles: Option<At<List<String>>>,
    pub requires: Option<At<List<String>>>,
}

/// The policy's text, to turn a byte span into a line and a column.
#[derive(Debug, Clone, Copy)]
pub(super) struct Source<'a> {
    text: &'a str,
}

impl<'a> Source<'a> {
    pub fn new(text: &'a str) -> Source<'a> {
        Source { text }
    }

    /// An error about what stands at `span`.
    pub fn error(&self, span: Range<usize>, message: impl Into<String>) -> PolicyFileError {
        let (line, column) = self.position(span.start);
        PolicyFileError { line, column, message: message.into() }
    }

    /// The 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.position(offset).0
    }

    /// The 1-based line and column (in characters) of a byte offset.
    fn position(&self, offset: usize) -> (usize, usize) {
        let mut end = offset.min(self.text.len());
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let before = self.text.get(..end).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        let column = before.get(line_start..).map_or(0, |text| text.chars().count()) + 1;
        (line, column)
    }
}

/// Refuses an empty list: a condition that lists nothing can never hold,
/// which is never what its author meant.
pub(super) fn non_empty<'l, T>(
    source: &Source<'_>,
    key: &str,
    list: &'l At<List<T>>,
) -> Result<&'l List<T>, PolicyFileError> {
    if list.get_ref().is_empty() {
        return Err(source.error(
            list.span(),
            format!(
                "`{key}` is an empty list, which matches nothing; \
                 leave `{key}` out to match anything"
            ),
        ));
    }
    Ok(list.get_ref())
}

/// Parses every entry of a list with `parse`, naming the entry that fails.
pub(super) fn each<T, U>(
    source: &Source<'_>,
    key: &str,
    list: &At<List<T>>,
    parse: impl Fn(&T) -> Result<U, String>,
) -> Result<Vec<U>, PolicyFileError> {
    non_empty(source, key, list)?
        .iter()
        .map(|entry| parse(entry.get_ref()).map_err(|message| source.error(entry.span(), message)))
        .collect()
}
