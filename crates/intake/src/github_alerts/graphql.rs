//! The GraphQL export of Dependabot alerts: a repository's
//! `vulnerabilityAlerts` connection, or a `search` whose nodes are alerts
//! or repositories with their alerts. Connections are read as `nodes` or
//! `edges[].node`.

use serde::Deserialize;

use super::dependabot::{self, Alert};
use super::{DEPENDABOT, NAME, Runs, State, cvss, dismissal, emit};
use crate::{ParseError, Sink, json};

#[derive(Debug, Deserialize)]
struct Response {
    data: Option<Data>,
    errors: Option<Vec<GraphQlError>>,
    /// What GitHub answers instead of data (`Bad credentials`).
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GraphQlError {
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Data {
    repository: Option<Node>,
    search: Option<Connection>,
}

#[derive(Debug, Deserialize)]
struct Connection {
    nodes: Option<Vec<Option<Node>>>,
    edges: Option<Vec<Option<Edge>>>,
}

impl Connection {
    fn nodes(&self) -> impl Iterator<Item = &Node> {
        let nodes = self.nodes.iter().flatten().flatten();
        nodes.chain(self.edges.iter().flatten().flatten().filter_map(|e| e.node.as_ref()))
    }
}

#[derive(Debug, Deserialize)]
struct Edge {
    node: Option<Node>,
}

/// An alert, or (in a search, and as `data.repository`) a repository.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Node {
    id: Option<String>,
    number: Option<u64>,
    state: Option<String>,
    vulnerable_manifest_path: Option<String>,
    vulnerable_requirements: Option<String>,
    dependency_scope: Option<String>,
    dismiss_reason: Option<String>,
    dismiss_comment: Option<String>,
    security_vulnerability: Option<Vulnerability>,
    security_advisory: Option<Advisory>,
    dependabot_update: Option<Update>,
    /// The alert's repository.
    repository: Option<RepositoryRef>,
    /// A repository's URL.
    url: Option<String>,
    /// A repository's alerts.
    vulnerability_alerts: Option<Connection>,
}

#[derive(Debug, Deserialize)]
struct RepositoryRef {
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vulnerability {
    severity: Option<String>,
    package: Option<PackageRef>,
    advisory: Option<Advisory>,
    first_patched_version: Option<Version>,
    vulnerable_version_range: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PackageRef {
    name: Option<String>,
    ecosystem: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Version {
    identifier: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Advisory {
    ghsa_id: Option<String>,
    summary: Option<String>,
    description: Option<String>,
    severity: Option<String>,
    permalink: Option<String>,
    identifiers: Option<Vec<Identifier>>,
    references: Option<Vec<Reference>>,
    cvss: Option<AdvisoryCvss>,
    cwes: Option<CweConnection>,
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
#[serde(rename_all = "camelCase")]
struct AdvisoryCvss {
    score: Option<f64>,
    vector_string: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CweConnection {
    nodes: Option<Vec<Option<Cwe>>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cwe {
    cwe_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Update {
    pull_request: Option<PullRequest>,
}

#[derive(Debug, Deserialize)]
struct PullRequest {
    permalink: Option<String>,
}

pub(super) fn parse(text: &str, runs: &mut Runs, sink: &mut dyn Sink) -> Result<(), ParseError> {
    let response: Response = json::from_str(text, NAME)?;
    let Some(data) = response.data else {
        return Err(refused(response.errors, response.message));
    };
    let mut alerts: Vec<(&Node, Option<&str>)> = Vec::new();
    let mut found = false;
    if let Some(repository) = &data.repository {
        alerts.extend(alerts_of(repository, &mut found));
    }
    for node in data.search.iter().flat_map(Connection::nodes) {
        if node.security_vulnerability.is_some() {
            found = true;
            alerts.push((node, None));
        } else {
            alerts.extend(alerts_of(node, &mut found));
        }
    }
    if !found && data.search.is_none() {
        return Err(refused(response.errors, None));
    }
    let run = runs.of(DEPENDABOT);
    for (node, repository) in alerts {
        let repository = node.repository.as_ref().and_then(|r| r.url.as_deref()).or(repository);
        runs.saw_repository(repository.map(str::to_string));
        if let Some(alert) = alert(node) {
            emit(sink, dependabot::finding(alert), run)?;
        }
    }
    Ok(())
}

/// A repository's alerts, each with the repository's URL.
fn alerts_of<'a>(
    repository: &'a Node,
    found: &mut bool,
) -> impl Iterator<Item = (&'a Node, Option<&'a str>)> {
    *found |= repository.vulnerability_alerts.is_some();
    let url = repository.url.as_deref();
    repository.vulnerability_alerts.iter().flat_map(Connection::nodes).map(move |n| (n, url))
}

/// Why a response holds no alerts.
fn refused(errors: Option<Vec<GraphQlError>>, message: Option<String>) -> ParseError {
    let errors: Vec<String> = errors.iter().flatten().filter_map(|e| e.message.clone()).collect();
    let found = match (errors.is_empty(), message) {
        (false, _) => format!("GitHub answered with errors: {}", errors.join("; ")),
        (true, Some(message)) => format!("GitHub answered: {message}"),
        (true, None) => "no `data.repository.vulnerabilityAlerts` or `data.search`".into(),
    };
    ParseError::WrongShape { format: NAME, found }
}

/// The alert, unless it is fixed.
fn alert(node: &Node) -> Option<Alert<'_>> {
    let why = || dismissal(node.dismiss_reason.as_deref(), node.dismiss_comment.as_deref());
    let state = State::of(node.state.as_deref(), why);
    if matches!(state, State::Gone) {
        return None;
    }
    let vulnerability = node.security_vulnerability.as_ref();
    let advisory =
        vulnerability.and_then(|v| v.advisory.as_ref()).or(node.security_advisory.as_ref());
    let package = vulnerability.and_then(|v| v.package.as_ref());
    let mut alert = Alert {
        number: node.number,
        id: node.id.as_deref(),
        severity: vulnerability
            .and_then(|v| v.severity.as_deref())
            .or(advisory.and_then(|a| a.severity.as_deref())),
        package: package.and_then(|p| p.name.as_deref()),
        ecosystem: package.and_then(|p| p.ecosystem.as_deref()),
        requirement: node.vulnerable_requirements.as_deref(),
        range: vulnerability.and_then(|v| v.vulnerable_version_range.as_deref()),
        first_patched: vulnerability
            .and_then(|v| v.first_patched_version.as_ref()?.identifier.as_deref()),
        manifest: node.vulnerable_manifest_path.as_deref(),
        scope: node.dependency_scope.as_deref(),
        pull_request: node
            .dependabot_update
            .as_ref()
            .and_then(|u| u.pull_request.as_ref()?.permalink.as_deref()),
        suppression: state.suppression(),
        ..Alert::default()
    };
    if let Some(advisory) = advisory {
        read_advisory(advisory, &mut alert);
    }
    Some(alert)
}

fn read_advisory<'a>(advisory: &'a Advisory, alert: &mut Alert<'a>) {
    alert.summary = advisory.summary.as_deref();
    alert.description = advisory.description.as_deref();
    alert.advisories.extend(advisory.ghsa_id.as_deref());
    let identifiers = advisory.identifiers.iter().flatten();
    alert.advisories.extend(identifiers.filter_map(|i| i.value.as_deref()));
    let cwes = advisory.cwes.as_ref().and_then(|c| c.nodes.as_ref());
    alert.cwes.extend(cwes.into_iter().flatten().flatten().filter_map(|c| c.cwe_id.as_deref()));
    alert.cvss = advisory.cvss.as_ref().and_then(|c| cvss(c.score, c.vector_string.as_deref()));
    alert.references.extend(advisory.references.iter().flatten().filter_map(|r| r.url.as_deref()));
    alert.help_uri = advisory.permalink.clone();
}

#[cfg(test)]
mod tests {
    use fixgate_domain::Severity;

    use super::super::tests::{parse_err, parse_text};

    const ALERT: &str = r#"{
        "id": "RVA_1", "number": 3, "state": "OPEN", "createdAt": "2024-01-26T02:42:32Z",
        "vulnerableManifestPath": "api/pom.xml", "vulnerableRequirements": "= 5.3.29",
        "dependencyScope": "RUNTIME",
        "dependabotUpdate": {"pullRequest": {"permalink": "https://github.com/o/r/pull/1"}},
        "securityVulnerability": {
          "severity": "MODERATE",
          "package": {"name": "org.springframework:spring-web", "ecosystem": "MAVEN"},
          "firstPatchedVersion": {"identifier": "6.0.0"},
          "vulnerableVersionRange": "< 6.0.0",
          "advisory": {
            "description": "Spring deserializes untrusted data.",
            "summary": "Unsafe deserialization in Spring",
            "identifiers": [{"value": "GHSA-4wrc-f8pq-fpqp", "type": "GHSA"},
                            {"value": "CVE-2016-1000027", "type": "CVE"}],
            "references": [{"url": "https://nvd.nist.gov/vuln/detail/CVE-2016-1000027"}],
            "cvss": {"score": 9.8, "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
            "cwes": {"nodes": [{"cweId": "CWE-502"}]}
          }
        }
    }"#;

    fn export(nodes: &[&str]) -> String {
        format!(
            r#"{{"data": {{"repository": {{"url": "https://github.com/o/r",
                "vulnerabilityAlerts": {{"nodes": [{}]}}}}}}}}"#,
            nodes.join(",")
        )
    }

    #[test]
    fn an_open_alert_carries_the_advisory_and_the_package() {
        let sink = parse_text(&export(&[ALERT]));
        assert_eq!(sink.runs[0].repository.as_deref(), Some("https://github.com/o/r"));
        let finding = &sink.findings[0];
        assert_eq!(finding.tool, "GitHub Dependabot");
        assert_eq!(finding.rule_id, "GHSA-4wrc-f8pq-fpqp");
        assert_eq!(finding.title, "Unsafe deserialization in Spring");
        assert_eq!(finding.severity, Severity::Medium);
        assert_eq!(finding.tool_severity.as_deref(), Some("MODERATE"));
        assert_eq!(finding.advisories, ["GHSA-4wrc-f8pq-fpqp", "CVE-2016-1000027"]);
        assert_eq!(finding.cwes, [502]);
        assert_eq!(finding.cvss.as_ref().unwrap().score, Some(9.8));
        let package = finding.package.as_ref().unwrap();
        assert_eq!(package.version.as_deref(), Some("5.3.29"));
        assert_eq!(
            package.purl.as_deref(),
            Some("pkg:maven/org.springframework/spring-web@5.3.29")
        );
        assert_eq!(package.fixed_version.as_deref(), Some("6.0.0"));
        assert_eq!(finding.location.as_ref().unwrap().path.as_deref(), Some("api/pom.xml"));
        assert_eq!(
            finding.message,
            "Spring deserializes untrusted data.\n\nVulnerable versions: < 6.0.0\n\
             Required in the manifest: = 5.3.29\nDependency scope: RUNTIME"
        );
        assert_eq!(
            finding.remediation.as_deref(),
            Some(
                "Upgrade org.springframework:spring-web to 6.0.0 or later. Dependabot opened \
                 a pull request for it: https://github.com/o/r/pull/1"
            )
        );
        assert_eq!(
            finding.help_uri.as_deref(),
            Some("https://github.com/advisories/GHSA-4wrc-f8pq-fpqp")
        );
    }

    #[test]
    fn fixed_alerts_are_left_out_and_dismissed_ones_suppressed() {
        let fixed = ALERT.replace("\"OPEN\"", "\"FIXED\"");
        let dismissed = ALERT.replace(
            "\"state\": \"OPEN\"",
            r#""state": "DISMISSED", "dismissReason": "tolerable_risk", "dismissComment": "internal only""#,
        );
        let auto = ALERT.replace("\"OPEN\"", "\"AUTO_DISMISSED\"");
        let sink = parse_text(&export(&[&fixed, &dismissed, &auto]));
        let reasons: Vec<&str> = sink
            .findings
            .iter()
            .map(|f| f.suppression.as_ref().unwrap().justification.as_deref().unwrap())
            .collect();
        assert_eq!(
            reasons,
            ["dismissed on GitHub as tolerable risk: internal only", "auto-dismissed on GitHub"]
        );
    }

    #[test]
    fn search_results_and_sparse_alerts() {
        let sparse = r#"{"id": "A", "securityVulnerability": {"package": {"name": "x"}}}"#;
        let other = r#"{"id": "B", "securityVulnerability": {"package": {"name": "x"}}}"#;
        let repo = format!(
            r#"{{"url": "https://github.com/o/s", "vulnerabilityAlerts": {{"edges": [{{"node": {ALERT}}}, null]}}}}"#
        );
        let text =
            format!(r#"{{"data": {{"search": {{"nodes": [{sparse}, {other}, {repo}, null]}}}}}}"#);
        let sink = parse_text(&text);
        assert_eq!(sink.findings.len(), 3);
        // Without a manifest, the alert stands in for the place.
        let place = |i: usize| sink.findings[i].location.as_ref().unwrap().logical.clone();
        assert_eq!(place(0).as_deref(), Some("Dependabot alert A"));
        // One advisory on one package is one problem wherever it is; an import
        // numbers the second occurrence.
        assert_eq!(sink.findings[0].fingerprint, sink.findings[1].fingerprint);
        assert_eq!(sink.findings[0].severity, Severity::Medium);
        assert_eq!(sink.findings[0].rule_id, "dependabot");
        assert_eq!(sink.runs[0].repository.as_deref(), Some("https://github.com/o/s"));
    }

    #[test]
    fn errors_and_other_queries_are_refused() {
        let err = parse_err(
            r#"{"data": null, "errors": [{"message": "Could not resolve to a Repository"}]}"#,
        );
        assert_eq!(
            err,
            "not a github-alerts report: GitHub answered with errors: Could not resolve to a Repository"
        );
        let err = parse_err(r#"{"message": "Bad credentials"}"#);
        assert_eq!(err, "not a github-alerts report: GitHub answered: Bad credentials");
        let err = parse_err(r#"{"data": {"viewer": {"login": "me"}}}"#);
        assert!(err.contains("no `data.repository.vulnerabilityAlerts`"), "{err}");
        let err = parse_err(
            r#"{"data": {"repository": {"vulnerabilityAlerts": {"nodes": [{"number": "x"}]}}}}"#,
        );
        assert!(
            err.starts_with(
                "invalid github-alerts report at `data.repository.vulnerabilityAlerts.nodes[0]"
            ),
            "{err}"
        );
    }
}
