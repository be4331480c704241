//! GitHub alert exports: what GitHub's APIs return for a repository's
//! Dependabot and code scanning alerts, saved as JSON.
//!
//! - The GraphQL export of Dependabot alerts:
//!   `data.repository.vulnerabilityAlerts.nodes[]` (or `edges[].node`),
//!   and the variant under `data.search.nodes[]`, whose nodes are alerts or
//!   repositories with their alerts ([`graphql`]).
//! - The REST list of Dependabot alerts (`GET /repos/{owner}/{repo}/dependabot/alerts`)
//!   and of code scanning alerts (`.../code-scanning/alerts`): an array of
//!   alerts ([`rest`]).
//!
//! Alert states: an open alert is a finding; a dismissed one (by a person
//! or by Dependabot's auto-triage) is a finding marked suppressed, with the
//! reason and comment. A fixed alert (and a closed code scanning alert) is
//! not a finding at all: GitHub says its latest analysis of the branch no
//! longer sees the problem, so reading it as a finding would keep a ticket
//! open for a problem that is gone; left out, it lets this scan, a complete
//! scan of its scope, verify the ticket as fixed. An alert without a state
//! is open.
//!
//! Severity: Dependabot's advisory severity (`CRITICAL`, `HIGH`,
//! `MODERATE`, `LOW`; any case) maps to critical, high, medium, low; code
//! scanning's `security_severity_level` (`critical`, `high`, `medium`,
//! `low`) when the rule has one, else the rule's `severity` (`error` high,
//! `warning` medium, `note` low, `none` info). Missing or unknown is medium.
//!
//! Runs: Dependabot alerts are a run of the tool `GitHub Dependabot`, code
//! scanning alerts of `GitHub code scanning` (each finding names the
//! analysis tool, such as CodeQL), so a later export proves absence only for
//! its own kind of alert. A report holding both kinds has one run of each.

mod dependabot;
mod graphql;
mod rest;

use std::io::Read;

use fixgate_domain::{Cvss, Finding, RunInfo, Severity, Suppression};

use crate::common::{non_blank, severity_word};
use crate::{Options, ParseError, Shape, Sink, json};

pub(crate) const NAME: &str = "github-alerts";
const DEPENDABOT: &str = "GitHub Dependabot";
const CODE_SCANNING: &str = "GitHub code scanning";

pub(crate) fn sniff(shape: &Shape) -> bool {
    match shape.kind {
        crate::shape::Kind::Object => {
            shape.has("data.repository.vulnerabilityAlerts")
                || shape.has("data.search.nodes[].vulnerabilityAlerts")
                || shape.has("data.search.nodes[].securityVulnerability")
        }
        crate::shape::Kind::Array => {
            shape.has_all(&["security_advisory", "security_vulnerability"])
                || shape.has_all(&["rule", "tool", "most_recent_instance"])
        }
        _ => false,
    }
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let limits = &options.limits;
    let text = json::read_text(reader, limits)?;
    let mut runs = Runs::default();
    if text.trim_start().starts_with('[') {
        rest::parse(&text, &mut runs, sink)?;
    } else {
        graphql::parse(&text, &mut runs, sink)?;
    }
    runs.report(sink)
}

/// An alert's state, as far as fixgate is concerned.
enum State {
    Open,
    Dismissed(String),
    /// Fixed or closed: not a finding.
    Gone,
}

impl State {
    /// Reads `OPEN`, `dismissed`, `AUTO_DISMISSED`, `fixed`, `closed`, ...;
    /// `why` gives the dismissal's reason and comment.
    fn of(state: Option<&str>, why: impl FnOnce() -> String) -> State {
        match state.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            Some("fixed" | "closed") => State::Gone,
            Some("dismissed") => State::Dismissed(why()),
            Some("auto_dismissed") => State::Dismissed(format!("auto-{}", why())),
            _ => State::Open,
        }
    }

    fn suppression(self) -> Option<Suppression> {
        match self {
            State::Dismissed(why) => {
                Some(Suppression { kind: "external".into(), justification: Some(why) })
            }
            State::Open | State::Gone => None,
        }
    }
}

/// `dismissed on GitHub as tolerable risk: only in tests`.
fn dismissal(reason: Option<&str>, comment: Option<&str>) -> String {
    // The anonymized corpus writes Python's `None` for missing values.
    let given = |text: Option<&str>| non_blank(text).filter(|t| t != "None");
    let mut text = String::from("dismissed on GitHub");
    if let Some(reason) = given(reason) {
        text.push_str(&format!(" as {}", reason.replace('_', " ").to_ascii_lowercase()));
    }
    if let Some(comment) = given(comment) {
        text.push_str(&format!(": {comment}"));
    }
    text
}

fn severity(word: Option<&str>) -> Severity {
    word.and_then(severity_word).unwrap_or(Severity::Medium)
}

/// A CVSS rating, unless it is empty (GitHub writes a score of 0 and no
/// vector for advisories without one).
fn cvss(score: Option<f64>, vector: Option<&str>) -> Option<Cvss> {
    let score = score.filter(|s| *s > 0.0);
    let vector = non_blank(vector);
    (score.is_some() || vector.is_some()).then_some(Cvss { score, vector })
}

/// Which runs the report holds, and the repository its alerts belong to.
#[derive(Default)]
struct Runs {
    /// The tools in the order their first alert came.
    tools: Vec<&'static str>,
    repositories: Vec<String>,
}

impl Runs {
    /// The run index of `tool`'s alerts.
    fn of(&mut self, tool: &'static str) -> usize {
        match self.tools.iter().position(|t| *t == tool) {
            Some(index) => index,
            None => {
                self.tools.push(tool);
                self.tools.len() - 1
            }
        }
    }

    fn saw_repository(&mut self, url: Option<String>) {
        if let Some(url) = url.filter(|u| !self.repositories.contains(u)) {
            self.repositories.push(url);
        }
    }

    /// One run per kind of alert; a report without alerts is a clean run of
    /// Dependabot (both exports list only what GitHub found).
    fn report(mut self, sink: &mut dyn Sink) -> Result<(), ParseError> {
        if self.tools.is_empty() {
            self.tools.push(DEPENDABOT);
        }
        // Alerts of several repositories (an organisation's export) name none.
        let repository = match self.repositories.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        };
        for (index, tool) in self.tools.iter().enumerate() {
            let info = RunInfo {
                tool: (*tool).into(),
                repository: repository.clone(),
                ..RunInfo::default()
            };
            sink.run(index, info).map_err(ParseError::Sink)?;
        }
        Ok(())
    }
}

/// `https://github.com/o/r` from an alert's `https://github.com/o/r/security/...`.
fn repository_of(html_url: Option<&str>) -> Option<String> {
    let url = html_url?;
    let at = url.find("/security/")?;
    url.get(..at).map(str::to_string)
}

/// Hands the finding on with its run index.
fn emit(sink: &mut dyn Sink, mut finding: Finding, run: usize) -> Result<(), ParseError> {
    finding.run = run;
    crate::common::emit(sink, finding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Collected;

    pub(super) fn parse_text(text: &str) -> Collected {
        let mut sink = Collected::default();
        parse(&mut text.as_bytes(), &Options::default(), &mut sink).unwrap();
        sink
    }

    pub(super) fn parse_err(text: &str) -> String {
        parse(&mut text.as_bytes(), &Options::default(), &mut Collected::default())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn empty_exports_are_clean_dependabot_runs() {
        for text in ["[]", r#"{"data": {"repository": {"vulnerabilityAlerts": {"nodes": []}}}}"#] {
            let sink = parse_text(text);
            assert!(sink.findings.is_empty());
            assert_eq!(sink.runs.len(), 1);
            assert_eq!(sink.runs[0].tool, "GitHub Dependabot");
        }
    }

    #[test]
    fn detection() {
        let graphql =
            br#"{"data": {"repository": {"vulnerabilityAlerts": {"nodes": [{"id": "x"}]}}}}"#;
        assert!(sniff(&Shape::of(graphql)));
        let search = br#"{"data": {"search": {"nodes": [{"securityVulnerability": {}}]}}}"#;
        assert!(sniff(&Shape::of(search)));
        let dependabot = br#"[{"number": 1, "state": "open", "dependency": {}, "security_advisory": {}, "security_vulnerability": {}}]"#;
        assert!(sniff(&Shape::of(dependabot)));
        let code = br#"[{"number": 1, "rule": {}, "tool": {}, "most_recent_instance": {}}]"#;
        assert!(sniff(&Shape::of(code)));
        assert!(!sniff(&Shape::of(br#"[{"rule": {}, "tool": {}}]"#)));
        assert!(!sniff(&Shape::of(br#"{"data": {"viewer": {"login": "x"}}}"#)));
    }

    #[test]
    fn dismissals_read_plainly() {
        assert_eq!(
            dismissal(Some("tolerable_risk"), Some("only in tests")),
            "dismissed on GitHub as tolerable risk: only in tests"
        );
        assert_eq!(dismissal(Some("None"), None), "dismissed on GitHub");
        assert_eq!(
            repository_of(Some("https://github.com/o/r/security/dependabot/3")).as_deref(),
            Some("https://github.com/o/r")
        );
    }
}
