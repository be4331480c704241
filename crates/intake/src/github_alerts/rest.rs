//! The REST lists of a repository's (or organisation's) Dependabot alerts
//! and code scanning alerts: an array of alerts. Each alert is read by what
//! it has: `security_advisory` or `dependency` make a Dependabot alert,
//! `rule` a code scanning alert.
//!
//! Code scanning mapping: rule id and name, title the rule's description,
//! message the most recent instance's message, CWEs from the rule's tags,
//! the instance's file region as location, the rule's help as remediation,
//! the alert's page as help URI. The alert's page (`html_url`) is kept as
//! the tool's fingerprint: GitHub already tracks the alert across line
//! moves, and the export carries no code to fingerprint.

use fixgate_domain::{Cvss, Finding, Location};
use serde::Deserialize;

use super::dependabot::{self, Alert};
use super::{
    CODE_SCANNING, DEPENDABOT, NAME, Runs, State, cvss, dismissal, emit, repository_of, severity,
};
use crate::common::non_blank;
use crate::{ParseError, Sink, ids, json};

/// A Dependabot or code scanning alert.
#[derive(Debug, Deserialize)]
struct RestAlert {
    number: Option<u64>,
    state: Option<String>,
    html_url: Option<String>,
    dismissed_reason: Option<String>,
    dismissed_comment: Option<String>,
    repository: Option<Repository>,
    // Dependabot
    dependency: Option<Dependency>,
    security_advisory: Option<Advisory>,
    security_vulnerability: Option<Vulnerability>,
    // Code scanning
    rule: Option<Rule>,
    tool: Option<Tool>,
    most_recent_instance: Option<Instance>,
}

#[derive(Debug, Deserialize)]
struct Repository {
    html_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Dependency {
    package: Option<PackageRef>,
    manifest_path: Option<String>,
    scope: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PackageRef {
    ecosystem: Option<String>,
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Advisory {
    ghsa_id: Option<String>,
    cve_id: Option<String>,
    summary: Option<String>,
    description: Option<String>,
    severity: Option<String>,
    identifiers: Option<Vec<Identifier>>,
    references: Option<Vec<Reference>>,
    cvss: Option<RestCvss>,
    cvss_severities: Option<CvssSeverities>,
    cwes: Option<Vec<Cwe>>,
}

#[derive(Debug, Deserialize)]
struct Identifier {
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Reference {
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RestCvss {
    score: Option<f64>,
    vector_string: Option<String>,
}

impl RestCvss {
    fn rating(&self) -> Option<Cvss> {
        cvss(self.score, self.vector_string.as_deref())
    }
}

#[derive(Debug, Deserialize)]
struct CvssSeverities {
    cvss_v3: Option<RestCvss>,
    cvss_v4: Option<RestCvss>,
}

#[derive(Debug, Deserialize)]
struct Cwe {
    cwe_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Vulnerability {
    package: Option<PackageRef>,
    severity: Option<String>,
    vulnerable_version_range: Option<String>,
    first_patched_version: Option<Version>,
}

#[derive(Debug, Deserialize)]
struct Version {
    identifier: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Rule {
    id: Option<String>,
    name: Option<String>,
    severity: Option<String>,
    security_severity_level: Option<String>,
    description: Option<String>,
    full_description: Option<String>,
    help: Option<String>,
    tags: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct Tool {
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Instance {
    message: Option<Message>,
    location: Option<InstanceLocation>,
}

#[derive(Debug, Deserialize)]
struct Message {
    text: Option<String>,
}

#[derive(Debug, Deserialize)]
struct InstanceLocation {
    path: Option<String>,
    start_line: Option<u32>,
    end_line: Option<u32>,
    start_column: Option<u32>,
    end_column: Option<u32>,
}

/// Reads the array, or the arrays one after another that `gh api
/// --paginate` writes, one per page.
pub(super) fn parse(text: &str, runs: &mut Runs, sink: &mut dyn Sink) -> Result<(), ParseError> {
    let mut json = serde_json::Deserializer::from_str(text);
    while json.end().is_err() {
        let page: Vec<RestAlert> =
            serde_path_to_error::deserialize(&mut json).map_err(|error| {
                let path = error.path().to_string();
                json::classify(error.into_inner(), NAME, path)
            })?;
        read_page(&page, runs, sink)?;
    }
    Ok(())
}

fn read_page(alerts: &[RestAlert], runs: &mut Runs, sink: &mut dyn Sink) -> Result<(), ParseError> {
    for (index, alert) in alerts.iter().enumerate() {
        let repository = alert.repository.as_ref().and_then(|r| r.html_url.clone());
        runs.saw_repository(repository.or_else(|| repository_of(alert.html_url.as_deref())));
        let why =
            || dismissal(alert.dismissed_reason.as_deref(), alert.dismissed_comment.as_deref());
        let state = State::of(alert.state.as_deref(), why);
        if alert.rule.is_some() {
            let run = runs.of(CODE_SCANNING);
            if !matches!(state, State::Gone) {
                emit(sink, code_scanning(alert, state), run)?;
            }
        } else if alert.security_advisory.is_some() || alert.dependency.is_some() {
            let run = runs.of(DEPENDABOT);
            if !matches!(state, State::Gone) {
                emit(sink, dependabot::finding(dependabot_alert(alert, state)), run)?;
            }
        } else {
            return Err(ParseError::Report {
                format: NAME,
                path: format!("[{index}]"),
                message: "neither a Dependabot alert (`security_advisory`) nor a code \
                          scanning alert (`rule`)"
                    .into(),
            });
        }
    }
    Ok(())
}

fn dependabot_alert(alert: &RestAlert, state: State) -> Alert<'_> {
    let advisory = alert.security_advisory.as_ref();
    let vulnerability = alert.security_vulnerability.as_ref();
    let dependency = alert.dependency.as_ref();
    let package = dependency
        .and_then(|d| d.package.as_ref())
        .or(vulnerability.and_then(|v| v.package.as_ref()));
    let mut read = Alert {
        number: alert.number,
        severity: vulnerability
            .and_then(|v| v.severity.as_deref())
            .or(advisory.and_then(|a| a.severity.as_deref())),
        package: package.and_then(|p| p.name.as_deref()),
        ecosystem: package.and_then(|p| p.ecosystem.as_deref()),
        range: vulnerability.and_then(|v| v.vulnerable_version_range.as_deref()),
        first_patched: vulnerability
            .and_then(|v| v.first_patched_version.as_ref()?.identifier.as_deref()),
        manifest: dependency.and_then(|d| d.manifest_path.as_deref()),
        scope: dependency.and_then(|d| d.scope.as_deref()),
        help_uri: non_blank(alert.html_url.as_deref()),
        suppression: state.suppression(),
        ..Alert::default()
    };
    if let Some(advisory) = advisory {
        read_advisory(advisory, &mut read);
    }
    read
}

fn read_advisory<'a>(advisory: &'a Advisory, alert: &mut Alert<'a>) {
    alert.summary = advisory.summary.as_deref();
    alert.description = advisory.description.as_deref();
    alert.advisories.extend(advisory.ghsa_id.as_deref());
    alert.advisories.extend(advisory.cve_id.as_deref());
    let identifiers = advisory.identifiers.iter().flatten();
    alert.advisories.extend(identifiers.filter_map(|i| i.value.as_deref()));
    alert.cwes.extend(advisory.cwes.iter().flatten().filter_map(|c| c.cwe_id.as_deref()));
    // CVSS v3 first, the version most tools and policies still rate by.
    let severities = advisory.cvss_severities.as_ref();
    alert.cvss = severities
        .and_then(|s| s.cvss_v3.as_ref()?.rating())
        .or_else(|| advisory.cvss.as_ref()?.rating())
        .or_else(|| severities?.cvss_v4.as_ref()?.rating());
    alert.references.extend(advisory.references.iter().flatten().filter_map(|r| r.url.as_deref()));
}

fn code_scanning(alert: &RestAlert, state: State) -> Finding {
    let rule = alert.rule.as_ref();
    let rule_id =
        non_blank(rule.and_then(|r| r.id.as_deref())).unwrap_or_else(|| "code-scanning".into());
    let tool_severity = non_blank(
        rule.and_then(|r| r.security_severity_level.as_deref().or(r.severity.as_deref())),
    );
    let title =
        non_blank(rule.and_then(|r| r.description.as_deref())).unwrap_or_else(|| rule_id.clone());
    let tool = non_blank(alert.tool.as_ref().and_then(|t| t.name.as_deref()));
    let tool = tool.unwrap_or_else(|| CODE_SCANNING.into());
    let mut finding = Finding::new(tool, rule_id, title, severity(tool_severity.as_deref()));
    finding.tool_severity = tool_severity;

    finding.rule_name =
        non_blank(rule.and_then(|r| r.name.as_deref())).filter(|n| *n != finding.rule_id);
    for tag in rule.and_then(|r| r.tags.as_ref()).into_iter().flatten() {
        if let Some(cwe) = ids::cwe_in(tag) {
            finding.add_cwe(cwe);
        }
    }
    let instance = alert.most_recent_instance.as_ref();
    let message = instance.and_then(|i| non_blank(i.message.as_ref()?.text.as_deref()));
    let described = rule.and_then(|r| non_blank(r.full_description.as_deref()));
    finding.message = message.or(described).unwrap_or_else(|| finding.title.clone());
    finding.location = instance.and_then(|i| i.location.as_ref()).map(|l| Location {
        path: non_blank(l.path.as_deref()),
        start_line: l.start_line,
        end_line: l.end_line,
        start_column: l.start_column,
        end_column: l.end_column,
        ..Location::default()
    });
    finding.remediation = rule.and_then(|r| non_blank(r.help.as_deref()));
    if let Some(url) = non_blank(alert.html_url.as_deref()) {
        finding.tool_fingerprints.insert("githubAlertUrl".into(), url.clone());
        finding.help_uri = Some(url);
    }
    finding.suppression = state.suppression();
    finding
}

#[cfg(test)]
mod tests {
    use fixgate_domain::Severity;

    use super::super::tests::{parse_err, parse_text};

    const DEPENDABOT: &str = r#"{
        "number": 2, "state": "open",
        "dependency": {"package": {"ecosystem": "pip", "name": "Django"},
                       "manifest_path": "path/to/requirements.txt", "scope": "runtime"},
        "security_advisory": {
          "ghsa_id": "GHSA-rf4j-j272-fj86", "cve_id": "CVE-2018-6188",
          "summary": "Django allows remote attackers to gain sensitive information",
          "description": "django.contrib.auth.forms.AuthenticationForm leaks.",
          "severity": "high",
          "identifiers": [{"value": "GHSA-rf4j-j272-fj86", "type": "GHSA"},
                          {"value": "CVE-2018-6188", "type": "CVE"}],
          "references": [{"url": "https://nvd.nist.gov/vuln/detail/CVE-2018-6188"}],
          "cvss": {"vector_string": "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "score": 7.5},
          "cvss_severities": {"cvss_v3": {"vector_string": null, "score": 0.0},
                              "cvss_v4": {"vector_string": "CVSS:4.0/AV:N", "score": 8.7}},
          "cwes": [{"cwe_id": "CWE-200", "name": "Exposure of Sensitive Information"}]
        },
        "security_vulnerability": {"package": {"ecosystem": "pip", "name": "django"},
          "severity": "high", "vulnerable_version_range": ">= 2.0.0, < 2.0.2",
          "first_patched_version": {"identifier": "2.0.2"}},
        "url": "https://api.github.com/repos/octo/hello/dependabot/alerts/2",
        "html_url": "https://github.com/octo/hello/security/dependabot/2",
        "dismissed_reason": null, "dismissed_comment": null, "fixed_at": null
    }"#;

    const CODE: &str = r#"{
        "number": 35, "state": "open", "html_url": "https://github.com/XX/YY/security/code-scanning/35",
        "dismissed_reason": "None", "dismissed_comment": "None",
        "rule": {"id": "py/clear-text-storage-sensitive-data", "severity": "error",
                 "description": "Clear-text storage of sensitive information",
                 "name": "py/clear-text-storage-sensitive-data",
                 "tags": ["external/cwe/cwe-312", "external/cwe/cwe-315", "security"],
                 "security_severity_level": "high"},
        "tool": {"name": "CodeQL", "guid": null, "version": "2.16.2"},
        "most_recent_instance": {"ref": "refs/heads/main", "state": "open",
          "message": {"text": "This expression stores sensitive data (secret) as clear text."},
          "location": {"path": "app/file.py", "start_line": 42, "end_line": 42,
                       "start_column": 17, "end_column": 23}}
    }"#;

    #[test]
    fn a_dependabot_alert_from_the_rest_api() {
        let sink = parse_text(&format!("[{DEPENDABOT}]"));
        assert_eq!(sink.runs.len(), 1);
        assert_eq!(sink.runs[0].tool, "GitHub Dependabot");
        assert_eq!(sink.runs[0].repository.as_deref(), Some("https://github.com/octo/hello"));
        let finding = &sink.findings[0];
        assert_eq!(finding.rule_id, "GHSA-rf4j-j272-fj86");
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.advisories, ["GHSA-rf4j-j272-fj86", "CVE-2018-6188"]);
        assert_eq!(finding.cwes, [200]);
        // The empty v3 rating gives way to the legacy `cvss`.
        assert_eq!(finding.cvss.as_ref().unwrap().score, Some(7.5));
        let package = finding.package.as_ref().unwrap();
        assert_eq!((package.name.as_str(), package.version.as_deref()), ("Django", None));
        assert_eq!(package.purl.as_deref(), Some("pkg:pypi/django"));
        assert_eq!(package.fixed_version.as_deref(), Some("2.0.2"));
        let path = finding.location.as_ref().unwrap().path.as_deref();
        assert_eq!(path, Some("path/to/requirements.txt"));
        assert!(finding.message.contains("Vulnerable versions: >= 2.0.0, < 2.0.2"));
        assert!(finding.message.contains("Dependency scope: runtime"));
        assert_eq!(
            finding.help_uri.as_deref(),
            Some("https://github.com/octo/hello/security/dependabot/2")
        );
        assert!(finding.tool_fingerprints.is_empty());
    }

    #[test]
    fn a_code_scanning_alert_from_the_rest_api() {
        let sink = parse_text(&format!("[{CODE}]"));
        assert_eq!(sink.runs[0].tool, "GitHub code scanning");
        let finding = &sink.findings[0];
        assert_eq!(finding.tool, "CodeQL");
        assert_eq!(finding.rule_id, "py/clear-text-storage-sensitive-data");
        assert_eq!(finding.rule_name, None);
        assert_eq!(finding.title, "Clear-text storage of sensitive information");
        assert_eq!(
            finding.message,
            "This expression stores sensitive data (secret) as clear text."
        );
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.cwes, [312, 315]);
        let location = finding.location.as_ref().unwrap();
        assert_eq!(location.display(), "app/file.py:42");
        assert_eq!((location.start_column, location.end_column), (Some(17), Some(23)));
        assert!(finding.suppression.is_none());
        assert!(finding.package.is_none());

        // The alert keeps its identity when its line moves.
        let moved =
            parse_text(&format!("[{}]", CODE.replace("\"start_line\": 42", "\"start_line\": 50")));
        assert_eq!(finding.fingerprint, moved.findings[0].fingerprint);
    }

    #[test]
    fn states_severities_and_mixed_exports() {
        let dismissed = CODE.replace(
            r#""state": "open", "html_url""#,
            r#""state": "dismissed", "html_url""#,
        )
        .replace(r#""dismissed_reason": "None", "dismissed_comment": "None""#,
                 r#""dismissed_reason": "false positive", "dismissed_comment": "sanitized upstream""#)
        .replace("code-scanning/35", "code-scanning/36");
        let fixed = DEPENDABOT.replace("\"open\"", "\"fixed\"");
        let note = r#"{"number": 9, "state": "open", "rule": {"id": "js/x", "severity": "note"}}"#;
        let sink = parse_text(&format!("[{CODE}, {fixed}, {dismissed}, {note}, {DEPENDABOT}]"));
        assert_eq!(sink.findings.len(), 4);
        let why = sink.findings[1].suppression.as_ref().unwrap().justification.as_deref();
        assert_eq!(why, Some("dismissed on GitHub as false positive: sanitized upstream"));
        assert_eq!(sink.findings[2].severity, Severity::Low);
        assert_eq!(sink.findings[2].tool, "GitHub code scanning");
        let runs: Vec<(usize, &str)> =
            sink.findings.iter().map(|f| (f.run, f.tool.as_str())).collect();
        assert_eq!(
            runs,
            [(0, "CodeQL"), (0, "CodeQL"), (0, "GitHub code scanning"), (1, "GitHub Dependabot")]
        );
        let tools: Vec<&str> = sink.runs.iter().map(|r| r.tool.as_str()).collect();
        assert_eq!(tools, ["GitHub code scanning", "GitHub Dependabot"]);
    }

    #[test]
    fn pages_written_one_after_another_are_read() {
        let second = CODE.replace("code-scanning/35", "code-scanning/37");
        let sink = parse_text(&format!("[{CODE}]\n[{second}]\n[]\n"));
        assert_eq!(sink.findings.len(), 2);
        let err = parse_err(&format!("[{CODE}] [{{\"rule\": 1}}]"));
        assert!(err.starts_with("invalid github-alerts report at `[0].rule`"), "{err}");
        let err = parse_err(&format!("[{CODE}] {{"));
        assert!(err.contains("at line"), "{err}");
    }

    #[test]
    fn other_arrays_are_refused() {
        let err = parse_err(r#"[{"number": 1, "secret_type": "github_pat", "secret": "ghp_x"}]"#);
        assert_eq!(
            err,
            "invalid github-alerts report at `[0]`: neither a Dependabot alert \
             (`security_advisory`) nor a code scanning alert (`rule`)"
        );
        assert!(!err.contains("ghp_x"));
        let err = parse_err(r#"[{"number": 1, "rule": {"tags": "security"}}]"#);
        assert!(err.starts_with("invalid github-alerts report at `[0].rule.tags`"), "{err}");
    }
}
