//! A result's severity, from the most specific thing the tool said:
//! `security-severity` (a CVSS-like score), a severity property of the
//! tool's own (Bandit's `issue_severity`, Dependency-Check's `severity`),
//! the SARIF `level`, then `rank`.

use std::str::FromStr;

use fixgate_domain::Severity;
use serde_json::Value;

use super::model::{Properties, Rule, SarifResult};
use super::run::ResolvedRule;

/// Properties holding a 0-10 score, as GitHub code scanning reads them.
pub(crate) const SCORE_KEYS: &[&str] = &["security-severity"];

/// Properties in which tools put a severity name or score of their own.
pub(crate) const SEVERITY_KEYS: &[&str] = &["issue_severity", "severity", "cvssv3_baseSeverity"];

/// What a SARIF `kind` makes of a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `fail`, or no kind: a problem.
    Fail,
    /// `open` or `review`: the tool could not decide; a person should look.
    Undecided,
    /// `informational`: kept, at severity info.
    Informational,
    /// `pass` or `notApplicable`: not a finding at all.
    NotAFinding,
}

impl Kind {
    pub fn of(kind: Option<&str>) -> Kind {
        match kind.map(str::trim) {
            Some("pass" | "notApplicable") => Kind::NotAFinding,
            Some("informational") => Kind::Informational,
            Some("open" | "review") => Kind::Undecided,
            _ => Kind::Fail,
        }
    }
}

/// A severity and the tool's own value it came from, as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Grade {
    pub severity: Severity,
    pub tool_severity: Option<String>,
}

/// Grades a result; the result's own properties win over its rule's.
pub(crate) fn grade(result: &SarifResult, rule: Option<ResolvedRule<'_>>, kind: Kind) -> Grade {
    let facts = rule.map(|r| r.facts);
    let graded = from_properties(&result.properties, SCORE_KEYS)
        .or_else(|| facts.and_then(|f| f.score.clone()))
        .or_else(|| from_properties(&result.properties, SEVERITY_KEYS))
        .or_else(|| facts.and_then(|f| f.severity.clone()))
        .or_else(|| from_level(result, rule.map(|r| r.rule), kind))
        .or_else(|| from_rank(result, rule.map(|r| r.rule)))
        .unwrap_or_else(|| by_default(kind));

    match kind {
        Kind::Informational => Grade { severity: Severity::Info, ..graded },
        _ => graded,
    }
}

/// The first of `keys` in `properties` that holds a score or severity name.
pub(crate) fn from_properties(properties: &Properties, keys: &[&str]) -> Option<Grade> {
    keys.iter().filter_map(|key| property(properties, key)).find_map(graded)
}

/// A property by name, ignoring ASCII case (`Severity`, `severity`).
fn property<'a>(properties: &'a Properties, key: &str) -> Option<&'a Value> {
    properties.get(key).or_else(|| {
        properties.iter().find(|(name, _)| name.eq_ignore_ascii_case(key)).map(|(_, value)| value)
    })
}

/// A score (number or numeric text) or a severity name.
fn graded(value: &Value) -> Option<Grade> {
    let (severity, written) = match value {
        Value::Number(number) => (score(number.as_f64()?)?, number.to_string()),
        Value::String(text) => {
            let trimmed = text.trim();
            let severity = match trimmed.parse::<f64>() {
                Ok(number) => score(number)?,
                Err(_) => Severity::from_str(trimmed).ok()?,
            };
            (severity, text.clone())
        }
        _ => return None,
    };
    Some(Grade { severity, tool_severity: Some(written) })
}

fn score(value: f64) -> Option<Severity> {
    (0.0..=10.0).contains(&value).then(|| Severity::from_score(value))
}

/// The result's `level`, else (for `fail` results) its rule's default level.
fn from_level(result: &SarifResult, rule: Option<&Rule>, kind: Kind) -> Option<Grade> {
    let rule_level = || match kind {
        Kind::Fail => rule?.default_configuration.as_ref()?.level.as_deref(),
        _ => None,
    };
    let written = result.level.as_deref().or_else(rule_level)?;
    let severity = match written.trim().to_ascii_lowercase().as_str() {
        "error" => Severity::High,
        "warning" => Severity::Medium,
        "note" => Severity::Low,
        "none" => Severity::Info,
        // Not a SARIF level, but some tools write their own scale here.
        other => Severity::from_str(other).ok()?,
    };
    Some(Grade { severity, tool_severity: Some(written.to_string()) })
}

/// `rank` (0-100, higher is worse) read as a score of `rank / 10`.
fn from_rank(result: &SarifResult, rule: Option<&Rule>) -> Option<Grade> {
    let rule_rank = || rule?.default_configuration.as_ref()?.rank;
    let rank = result.rank.or_else(rule_rank).filter(|r| (0.0..=100.0).contains(r))?;
    Some(Grade {
        severity: Severity::from_score(rank / 10.0),
        tool_severity: Some(rank.to_string()),
    })
}

/// SARIF's defaults: `warning` for a `fail` result, `none` for other kinds.
fn by_default(kind: Kind) -> Grade {
    let severity = match kind {
        Kind::Fail => Severity::Medium,
        _ => Severity::Info,
    };
    Grade { severity, tool_severity: None }
}
