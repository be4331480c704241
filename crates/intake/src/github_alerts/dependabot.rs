//! A Dependabot alert, read from either API, into a finding.
//!
//! Mapping: rule id is the advisory's GHSA id (else its CVE, else
//! `dependabot-<alert number>`); title the advisory's summary; message its
//! description with the vulnerable range, the manifest's requirement and the
//! dependency's scope; GHSA, CVE and other identifiers as advisories; CWEs;
//! CVSS; the package (name, ecosystem, version when the requirement pins one
//! with `=`, purl, first patched version); location path the manifest. An
//! export that leaves out the manifest (some GraphQL queries do) gets the
//! alert as its logical location instead, so two alerts of one package and
//! advisory, which GitHub raises only for two manifests, stay two findings.

use fixgate_domain::{Cvss, Finding, Location, Package, Suppression};

use super::{DEPENDABOT, severity};
use crate::common::non_blank;
use crate::ids;
use crate::purl::purl;

/// What fixgate reads from a Dependabot alert.
#[derive(Default)]
pub(super) struct Alert<'a> {
    pub number: Option<u64>,
    /// The GraphQL node id.
    pub id: Option<&'a str>,
    pub summary: Option<&'a str>,
    pub description: Option<&'a str>,
    pub severity: Option<&'a str>,
    /// GHSA, CVE and other ids, in the order the export gives them.
    pub advisories: Vec<&'a str>,
    pub cwes: Vec<&'a str>,
    pub cvss: Option<Cvss>,
    pub package: Option<&'a str>,
    pub ecosystem: Option<&'a str>,
    /// What the manifest requires, such as `= 5.3.29` (GraphQL only).
    pub requirement: Option<&'a str>,
    pub range: Option<&'a str>,
    pub first_patched: Option<&'a str>,
    pub manifest: Option<&'a str>,
    pub scope: Option<&'a str>,
    pub references: Vec<&'a str>,
    pub help_uri: Option<String>,
    pub pull_request: Option<&'a str>,
    pub suppression: Option<Suppression>,
}

pub(super) fn finding(alert: Alert<'_>) -> Finding {
    let rule_id = rule_id(&alert);
    let title = non_blank(alert.summary).unwrap_or_else(|| rule_id.clone());
    let mut finding = Finding::new(DEPENDABOT, rule_id, title, severity(alert.severity));
    finding.tool_severity = non_blank(alert.severity);

    alert.advisories.iter().for_each(|id| finding.add_advisory(id));
    alert.cwes.iter().filter_map(|c| ids::cwe_number(c)).for_each(|cwe| finding.add_cwe(cwe));
    finding.cvss = alert.cvss.clone();
    finding.package = Some(package(&alert));
    finding.location = Some(location(&alert));
    finding.message = message(&alert, &finding.title);
    finding.remediation = remediation(&alert);
    alert.references.iter().for_each(|url| finding.add_reference(url));
    finding.help_uri = alert.help_uri.clone().or_else(|| {
        let ghsa = finding.advisories.iter().find(|id| id.starts_with("GHSA-"))?;
        Some(format!("https://github.com/advisories/{ghsa}"))
    });
    finding.suppression = alert.suppression;
    finding
}

fn rule_id(alert: &Alert<'_>) -> String {
    let mut ids = Vec::new();
    alert.advisories.iter().for_each(|id| ids::collect_advisories(id, &mut ids));
    let ghsa = ids.iter().find(|id| id.starts_with("GHSA-"));
    let cve = ids.iter().find(|id| id.starts_with("CVE-"));
    match (ghsa.or(cve), alert.number) {
        (Some(id), _) => id.clone(),
        (None, Some(number)) => format!("dependabot-{number}"),
        (None, None) => "dependabot".into(),
    }
}

fn package(alert: &Alert<'_>) -> Package {
    let name = non_blank(alert.package).unwrap_or_default();
    let version = alert.requirement.and_then(pinned);
    Package {
        purl: alert.ecosystem.and_then(|e| purl(e, &name, version.as_deref())),
        version,
        ecosystem: non_blank(alert.ecosystem),
        fixed_version: non_blank(alert.first_patched),
        name,
    }
}

/// `5.3.29` from `= 5.3.29`; `None` for a range.
fn pinned(requirement: &str) -> Option<String> {
    let version = requirement.trim().strip_prefix('=')?.trim();
    let exact = !version.is_empty()
        && !version.contains(|c: char| c.is_whitespace() || "<>=~^,|*".contains(c));
    exact.then(|| version.to_string())
}

fn location(alert: &Alert<'_>) -> Location {
    let path = non_blank(alert.manifest);
    let logical = match (&path, alert.number, alert.id) {
        (Some(_), ..) => None,
        (None, Some(number), _) => Some(format!("Dependabot alert {number}")),
        (None, None, Some(id)) => Some(format!("Dependabot alert {id}")),
        (None, None, None) => None,
    };
    Location { path, logical, ..Location::default() }
}

fn message(alert: &Alert<'_>, title: &str) -> String {
    let mut lines = vec![non_blank(alert.description).unwrap_or_else(|| title.into())];
    let facts = [
        ("Vulnerable versions", alert.range),
        ("Required in the manifest", alert.requirement),
        ("Dependency scope", alert.scope),
    ];
    let facts: Vec<String> = facts
        .iter()
        .filter_map(|(label, value)| Some(format!("{label}: {}", non_blank(*value)?)))
        .collect();
    if !facts.is_empty() {
        lines.push(String::new());
        lines.extend(facts);
    }
    lines.join("\n")
}

fn remediation(alert: &Alert<'_>) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(version) = non_blank(alert.first_patched) {
        let name = non_blank(alert.package).unwrap_or_else(|| "the package".into());
        parts.push(format!("Upgrade {name} to {version} or later."));
    }
    if let Some(url) = non_blank(alert.pull_request) {
        parts.push(format!("Dependabot opened a pull request for it: {url}"));
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_exact_requirement_is_a_version() {
        assert_eq!(pinned("= 5.3.29").as_deref(), Some("5.3.29"));
        assert_eq!(pinned("=1.0"), Some("1.0".into()));
        assert_eq!(pinned(">= 1.0"), None);
        assert_eq!(pinned("= 1.0, < 2"), None);
        assert_eq!(pinned("1.0"), None);
    }

    #[test]
    fn the_rule_is_the_ghsa_id_else_the_cve_else_the_alert() {
        let alert = |advisories: Vec<&'static str>| Alert {
            number: Some(4),
            advisories,
            ..Alert::default()
        };
        assert_eq!(
            rule_id(&alert(vec!["CVE-2021-1", "ghsa-aaaa-bbbb-cccc"])),
            "GHSA-aaaa-bbbb-cccc"
        );
        assert_eq!(rule_id(&alert(vec!["CVE-2021-12345"])), "CVE-2021-12345");
        assert_eq!(rule_id(&alert(vec![])), "dependabot-4");
    }
}
