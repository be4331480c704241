//! The second stage: one SARIF result, with what its run says, into a
//! [`Finding`].

use std::collections::BTreeMap;

use fixgate_domain::{Finding, Fingerprint, Suppression};
use serde_json::Value;

use super::location;
use super::model::{DescriptorReference, Properties, Rule, SarifResult};
use super::run::{ResolvedRule, RunContext};
use super::severity::{self, Grade, Kind};
use super::text::{self, non_blank};
use crate::ids::{collect_advisories, cwe_in, cwe_number};

/// Property names under which tools list CWEs (Semgrep, Snyk, mobsfscan).
const CWE_KEYS: &[&str] = &["cwe", "cwes", "cwe_id", "cwe_ids"];

/// What a rule gives each of its findings, worked out once per run rather
/// than once per result.
#[derive(Debug, Default)]
pub(crate) struct RuleFacts {
    /// The short description, else the name, on one line; neither when it
    /// only repeats the rule id.
    title: Option<String>,
    name: Option<String>,
    help: Option<String>,
    help_uri: Option<String>,
    /// CWEs in the rule's tags and properties.
    cwes: Vec<u32>,
    /// Advisory ids in the rule's name and properties.
    advisories: Vec<String>,
    pub(super) score: Option<Grade>,
    pub(super) severity: Option<Grade>,
}

impl RuleFacts {
    pub fn of(rule: &Rule) -> RuleFacts {
        let name = owned(rule.name.as_ref());
        let mut advisories = Vec::new();
        if let Some(name) = &name {
            collect_advisories(name, &mut advisories);
        }
        advisories_in_properties(&rule.properties, &mut advisories);
        let mut cwes = Vec::new();
        cwes_in_properties(&rule.properties, &mut cwes);

        RuleFacts {
            title: rule_title(rule),
            name,
            help: rule.help.as_ref().and_then(|h| {
                let text = non_blank(h.text.as_deref()).or(non_blank(h.markdown.as_deref()));
                text.map(|t| t.trim().to_string())
            }),
            help_uri: owned(rule.help_uri.as_ref()),
            cwes,
            advisories,
            score: severity::from_properties(&rule.properties, severity::SCORE_KEYS),
            severity: severity::from_properties(&rule.properties, severity::SEVERITY_KEYS),
        }
    }
}

/// The short description, else the name, unless it only repeats the id. A
/// name that is one identifier (Bandit's `hardcoded_sql_expressions`) tells
/// less than the message does, so it gives way too.
fn rule_title(rule: &Rule) -> Option<String> {
    let telling = |text: &&str| rule.id.as_deref().is_none_or(|id| !only_names(text, id));
    let worded = |text: &&str| text.trim().contains(char::is_whitespace);
    let short = rule.short_description.as_ref().and_then(|d| non_blank(d.text.as_deref()));
    let name = non_blank(rule.name.as_deref());
    short.filter(telling).or(name.filter(telling).filter(worded)).map(text::one_line)
}

/// Whether a rule's text only repeats its id: the name of many rules, and
/// Semgrep's short description "Semgrep Finding: <rule id>".
fn only_names(text: &str, id: &str) -> bool {
    let text = text.trim();
    text == id || text.strip_suffix(id).is_some_and(|label| label.trim_end().ends_with(':'))
}

/// Converts one result; `None` for results that are not findings: kind
/// `pass` or `notApplicable`, or `baselineState` `absent` (the tool says the
/// problem is gone since its baseline).
pub(crate) fn finding(run: &RunContext, mut result: SarifResult) -> Option<Finding> {
    let kind = Kind::of(result.kind.as_deref());
    if kind == Kind::NotAFinding || result.baseline_state.as_deref() == Some("absent") {
        return None;
    }
    let resolved = run.resolve(&result);
    let facts = resolved.map(|r| r.facts);

    let rule_id = rule_id(&result, resolved.map(|r| r.rule));
    let message = message(&result, resolved);
    let grade = severity::grade(&result, resolved, kind);
    let location = result.locations.first().and_then(|l| location::convert(l, &run.artifacts));
    let tool_fingerprints = tool_fingerprints(&mut result);
    let fingerprint = Fingerprint::compute(
        &rule_id,
        &tool_fingerprints,
        location.as_ref().and_then(|l| l.path.as_deref()),
        location.as_ref().and_then(|l| l.snippet.as_deref()),
        &message,
    );

    Some(Finding {
        run: run.index,
        tool: run.tool_name().to_string(),
        title: title(facts, &message, &rule_id),
        rule_name: facts.and_then(|f| f.name.clone()),
        cwes: cwes(run, &result, resolved),
        advisories: advisories(&rule_id, facts, &result, &message),
        trace: location::trace(&result, &run.artifacts),
        remediation: remediation(&result, facts),
        help_uri: facts.and_then(|f| f.help_uri.clone()),
        suppression: suppression(&result),
        severity: grade.severity,
        tool_severity: grade.tool_severity,
        rule_id,
        message,
        location,
        tool_fingerprints,
        fingerprint,
        package: None,
        cvss: None,
        references: Vec::new(),
        secret: None,
        vex: None,
    })
}

fn owned(text: Option<&String>) -> Option<String> {
    non_blank(text.map(String::as_str)).map(str::to_string)
}

/// `ruleId`, else `rule.id`, else the id of the rule found by index.
fn rule_id(result: &SarifResult, rule: Option<&Rule>) -> String {
    owned(result.rule_id.as_ref())
        .or_else(|| owned(result.rule.as_ref().and_then(|r| r.id.as_ref())))
        .or_else(|| owned(rule.and_then(|r| r.id.as_ref())))
        .unwrap_or_default()
}

/// The result's message; for a result without one, the rule's description.
fn message(result: &SarifResult, rule: Option<ResolvedRule<'_>>) -> String {
    let template = |id: &str| rule.and_then(|r| r.template(id));
    text::message(&result.message, template)
        .or_else(|| {
            let rule = rule?.rule;
            let descriptions = [&rule.full_description, &rule.short_description];
            let description =
                descriptions.into_iter().flatten().find_map(|d| non_blank(d.text.as_deref()));
            description.map(str::to_string)
        })
        .unwrap_or_default()
}

/// The rule's short description, else its name, else the first sentence of
/// the message, else the rule id.
fn title(facts: Option<&RuleFacts>, message: &str, rule_id: &str) -> String {
    if let Some(title) = facts.and_then(|f| f.title.clone()) {
        return title;
    }
    let sentence = text::first_sentence(message);
    if !sentence.is_empty() {
        sentence
    } else if !rule_id.is_empty() {
        text::one_line(rule_id)
    } else {
        "Untitled result".to_string()
    }
}

/// `fingerprints` when the tool gave any, else `partialFingerprints`.
fn tool_fingerprints(result: &mut SarifResult) -> BTreeMap<String, String> {
    if result.fingerprints.is_empty() {
        std::mem::take(&mut result.partial_fingerprints)
    } else {
        std::mem::take(&mut result.fingerprints)
    }
}

/// CWEs from the result's tags, properties and taxa, then the rule's tags,
/// properties and relationships; deduplicated in that order.
fn cwes(run: &RunContext, result: &SarifResult, rule: Option<ResolvedRule<'_>>) -> Vec<u32> {
    let mut found = Vec::new();
    cwes_in_properties(&result.properties, &mut found);
    cwes_in_references(run, &result.taxa, &mut found);
    if let Some(rule) = rule {
        found.extend_from_slice(&rule.facts.cwes);
        let targets = rule.rule.relationships.iter().filter_map(|r| r.target.as_ref());
        cwes_in_references(run, targets, &mut found);
    }

    let mut unique = Vec::with_capacity(found.len());
    for cwe in found {
        if !unique.contains(&cwe) {
            unique.push(cwe);
        }
    }
    unique
}

fn cwes_in_properties(properties: &Properties, found: &mut Vec<u32>) {
    for tag in strings(properties.get("tags")) {
        found.extend(cwe_in(tag));
    }
    for (key, value) in properties {
        if CWE_KEYS.iter().any(|k| key.eq_ignore_ascii_case(k)) {
            found.extend(cwe_values(value));
        }
    }
}

/// The CWEs of a `cwe` property: a number, a text, or a list of either.
fn cwe_values(value: &Value) -> Vec<u32> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()).into_iter().collect(),
        Value::String(text) => cwe_number(text).into_iter().collect(),
        Value::Array(items) => items.iter().flat_map(cwe_values).collect(),
        _ => Vec::new(),
    }
}

fn cwes_in_references<'a>(
    run: &RunContext,
    references: impl IntoIterator<Item = &'a DescriptorReference>,
    found: &mut Vec<u32>,
) {
    for reference in references {
        if run.is_cwe(reference.tool_component.as_ref()) {
            found.extend(reference.id.as_deref().and_then(cwe_number));
        }
    }
}

/// CVE and GHSA ids in the rule id, the rule's name and properties, the
/// result's properties and its message; deduplicated in that order.
fn advisories(
    rule_id: &str,
    facts: Option<&RuleFacts>,
    result: &SarifResult,
    message: &str,
) -> Vec<String> {
    let mut found = Vec::new();
    collect_advisories(rule_id, &mut found);
    for advisory in facts.map(|f| f.advisories.as_slice()).unwrap_or_default() {
        if !found.contains(advisory) {
            found.push(advisory.clone());
        }
    }
    advisories_in_properties(&result.properties, &mut found);
    collect_advisories(message, &mut found);
    found
}

fn advisories_in_properties(properties: &Properties, found: &mut Vec<String>) {
    for value in properties.values() {
        for text in strings(Some(value)) {
            collect_advisories(text, found);
        }
    }
}

/// The text of a property that is a string or a list of strings. Nested
/// objects are not searched: tools put code samples and commit logs there.
fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(text)) => vec![text.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The descriptions of proposed fixes, then the rule's help.
fn remediation(result: &SarifResult, facts: Option<&RuleFacts>) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    let fixes =
        result.fixes.iter().filter_map(|f| non_blank(f.description.as_ref()?.text.as_deref()));
    for fix in fixes.map(str::trim) {
        if !parts.contains(&fix) {
            parts.push(fix);
        }
    }
    if parts.is_empty() {
        return facts.and_then(|f| f.help.clone());
    }
    parts.extend(facts.and_then(|f| f.help.as_deref()));
    Some(parts.join("\n\n"))
}

/// The first suppression, unless it was rejected or is still under review.
fn suppression(result: &SarifResult) -> Option<Suppression> {
    let first = result.suppressions.first()?;
    if matches!(first.status.as_deref(), Some("rejected" | "underReview")) {
        return None;
    }
    Some(Suppression {
        kind: owned(first.kind.as_ref()).unwrap_or_else(|| "external".to_string()),
        justification: owned(first.justification.as_ref()),
    })
}
