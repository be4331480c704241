//! Snyk Open Source and Snyk Container JSON reports (`snyk test --json`,
//! `snyk container test --json`): one project object with `vulnerabilities`,
//! `packageManager`, `displayTargetFile`, `projectName`, ...; or, with
//! `--all-projects`, an array of them. A container project's `applications`
//! (with `--app-vulns`) are read as projects too.
//!
//! Counting: Snyk lists a vulnerability once per dependency path (`from`).
//! The entries of one project with the same issue id and package are one
//! finding, with every path, version and upgrade in it (`uniqueCount` is
//! this count); the same issue in two projects is two findings, one per
//! manifest. Licence issues (`type: license`) are findings like
//! vulnerabilities. Issues the project's policy ignores
//! (`filtered.ignore`) or that a Snyk patch fixed (`filtered.patch`) are
//! kept, marked suppressed, unless the same issue is also listed as open.
//! A project that Snyk could not test (`error`) makes the whole report
//! refused: a report that silently misses a project would prove its
//! findings gone.
//!
//! Severity: `severityWithCritical` when present (older CLIs write `high`
//! in `severity` for critical issues), else `severity`: `critical`, `high`,
//! `medium`, `low`; a missing or unknown word is medium.
//!
//! Mapping: rule id is Snyk's issue id; title, description (message, with
//! the dependency paths), CVE, GHSA and other `identifiers` plus the Snyk id
//! as advisories, CWEs, `cvssScore` and `CVSSv3`, the package (name,
//! version, `packageManager` as ecosystem, a purl for language ecosystems,
//! `fixedIn`), upgrade paths as remediation, `references`; the location path
//! is the project's `displayTargetFile` (else `targetFile`, else its
//! `path`, which for a container is the image).

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use fixgate_domain::{Cvss, Finding, Location, Package, RunInfo, Severity, Suppression};
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::common::{emit, non_blank, severity_word};
use crate::purl::purl;
use crate::{Options, ParseError, Shape, Sink, ids, json};

pub(crate) const NAME: &str = "snyk";
/// How many dependency paths a message lists.
const LISTED: usize = 10;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Project {
    vulnerabilities: Option<Vec<Issue>>,
    package_manager: Option<String>,
    display_target_file: Option<String>,
    target_file: Option<String>,
    project_name: Option<String>,
    path: Option<String>,
    /// Present in Snyk Container reports.
    docker: Option<IgnoredAny>,
    filtered: Option<Filtered>,
    applications: Option<Vec<Project>>,
    error: Option<Text>,
}

#[derive(Debug, Deserialize)]
struct Filtered {
    ignore: Option<Vec<Issue>>,
    patch: Option<Vec<Issue>>,
}

/// One vulnerability or licence issue at one dependency path.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Issue {
    id: Option<String>,
    title: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    severity: Option<String>,
    severity_with_critical: Option<String>,
    cvss_score: Option<f64>,
    #[serde(rename = "CVSSv3")]
    cvss_v3: Option<String>,
    identifiers: Option<BTreeMap<String, Identifiers>>,
    package_name: Option<String>,
    name: Option<String>,
    version: Option<String>,
    from: Option<Vec<String>>,
    upgrade_path: Option<Vec<Step>>,
    is_patchable: Option<bool>,
    fixed_in: Option<Vec<String>>,
    description: Option<String>,
    references: Option<Vec<Reference>>,
    package_manager: Option<String>,
    license: Option<String>,
    filtered: Option<IssueFiltered>,
}

/// Why an ignored issue is ignored.
#[derive(Debug, Deserialize)]
struct IssueFiltered {
    ignored: Option<Vec<Ignore>>,
}

#[derive(Debug, Deserialize)]
struct Ignore {
    reason: Option<String>,
    expires: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Reference {
    url: Option<String>,
}

/// One step of an upgrade path: `false` where nothing changes, else the
/// `name@version` to upgrade to.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Step {
    Upgrade(String),
    Keep(IgnoredAny),
}

/// The ids of one kind (`CVE`, `CWE`, `GHSA`, ...): a list, as Snyk writes
/// them, or anything else, which is ignored.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Identifiers {
    Many(Vec<Text>),
    Other(IgnoredAny),
}

/// A text, or a value of another type that is ignored.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Text {
    Text(String),
    Other(IgnoredAny),
}

impl Text {
    fn as_str(&self) -> Option<&str> {
        match self {
            Text::Text(text) => Some(text),
            Text::Other(_) => None,
        }
    }
}

pub(crate) fn sniff(shape: &Shape) -> bool {
    let issues =
        shape.has("vulnerabilities[].upgradePath") || shape.has("vulnerabilities[].isUpgradable");
    let project = shape.has_all(&["vulnerabilities", "packageManager"])
        && (shape.has("dependencyCount") || shape.has("displayTargetFile"));
    shape.is_json() && (issues || project)
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let projects = read_projects(reader, options)?;
    let container = projects.iter().any(|p| p.docker.is_some());
    let tool = if container { "Snyk Container" } else { "Snyk Open Source" };
    for project in &projects {
        check(project)?;
    }
    for project in projects {
        emit_project(project, tool, sink)?;
    }
    sink.run(0, RunInfo { tool: tool.into(), ..RunInfo::default() }).map_err(ParseError::Sink)
}

/// One project object, or the array `--all-projects` writes.
fn read_projects(reader: &mut dyn Read, options: &Options) -> Result<Vec<Project>, ParseError> {
    let limits = &options.limits;
    let text = json::read_text(reader, limits)?;
    if text.trim_start().starts_with('[') {
        json::from_str(&text, NAME)
    } else {
        Ok(vec![json::from_str(&text, NAME)?])
    }
}

/// Refuses a report with a project Snyk could not test.
fn check(project: &Project) -> Result<(), ParseError> {
    if let Some(error) = project.error.as_ref().filter(|_| project.vulnerabilities.is_none()) {
        let name = project.project_name.as_deref().or(project.path.as_deref()).unwrap_or("");
        let error = error.as_str().unwrap_or("no message").trim();
        return Err(ParseError::WrongShape {
            format: NAME,
            found: format!("Snyk could not test the project {name:?}: {error}"),
        });
    }
    project.applications.iter().flatten().try_for_each(check)
}

fn emit_project(project: Project, tool: &str, sink: &mut dyn Sink) -> Result<(), ParseError> {
    let target = non_blank(project.display_target_file.as_deref())
        .or_else(|| non_blank(project.target_file.as_deref()))
        .or_else(|| non_blank(project.path.as_deref()));
    let ecosystem = project.package_manager.as_deref();
    let mut problems = Problems::default();
    for issue in project.vulnerabilities.into_iter().flatten() {
        problems.add(issue, None);
    }
    let filtered = project.filtered.map(|f| (f.ignore, f.patch));
    let (ignored, patched) = filtered.unwrap_or_default();
    for issue in ignored.into_iter().flatten() {
        let why = ignore_reason(&issue);
        problems.add(issue, Some(why));
    }
    for issue in patched.into_iter().flatten() {
        problems.add(issue, Some("patched with a Snyk patch".into()));
    }
    for problem in problems.all {
        emit(sink, finding(problem, tool, ecosystem, target.as_deref()))?;
    }
    for application in project.applications.into_iter().flatten() {
        emit_project(application, tool, sink)?;
    }
    Ok(())
}

fn ignore_reason(issue: &Issue) -> String {
    let ignore = issue.filtered.as_ref().and_then(|f| f.ignored.as_ref()?.first());
    let reason = ignore.and_then(|i| non_blank(i.reason.as_deref()));
    let expires = ignore.and_then(|i| non_blank(i.expires.as_deref()));
    match (reason, expires) {
        (Some(reason), Some(expires)) => format!("ignored in Snyk until {expires}: {reason}"),
        (Some(reason), None) => format!("ignored in Snyk: {reason}"),
        (None, Some(expires)) => format!("ignored in Snyk until {expires}"),
        (None, None) => "ignored in Snyk".into(),
    }
}

/// The issues of one project, one per issue id and package, in the order
/// they first appear.
#[derive(Default)]
struct Problems {
    all: Vec<Problem>,
    index: HashMap<(String, String), usize>,
}

/// One issue in one package, with every dependency path it was found at.
struct Problem {
    issue: Issue,
    versions: Vec<String>,
    paths: Vec<String>,
    upgrades: Vec<String>,
    suppressed: Option<String>,
}

impl Problems {
    /// Adds one entry; `suppressed` says why, for ignored and patched ones.
    /// An entry for a problem already listed adds its path to it.
    fn add(&mut self, mut issue: Issue, suppressed: Option<String>) {
        let package = issue.package_name.as_deref().or(issue.name.as_deref()).unwrap_or("");
        let key = (issue.id.clone().unwrap_or_default(), package.to_string());
        let version = non_blank(issue.version.as_deref());
        let path = issue.from.as_deref().map(|from| from.join(" > ")).filter(|p| !p.is_empty());
        let upgrade = upgrade_target(&mut issue);
        let at = match self.index.get(&key) {
            Some(at) => *at,
            None => {
                self.index.insert(key, self.all.len());
                let (versions, paths, upgrades) = Default::default();
                self.all.push(Problem { issue, versions, paths, upgrades, suppressed });
                self.all.len() - 1
            }
        };
        if let Some(problem) = self.all.get_mut(at) {
            push_new(&mut problem.versions, version);
            push_new(&mut problem.paths, path);
            push_new(&mut problem.upgrades, upgrade);
        }
    }
}

fn push_new(list: &mut Vec<String>, item: Option<String>) {
    if let Some(item) = item.filter(|i| !list.contains(i)) {
        list.push(item);
    }
}

/// The direct dependency to upgrade: the first `name@version` of the
/// upgrade path after the project itself.
fn upgrade_target(issue: &mut Issue) -> Option<String> {
    let steps = issue.upgrade_path.take()?;
    steps.into_iter().skip(1).find_map(|step| match step {
        Step::Upgrade(target) => non_blank(Some(&target)),
        Step::Keep(_) => None,
    })
}

fn finding(problem: Problem, tool: &str, ecosystem: Option<&str>, target: Option<&str>) -> Finding {
    let Problem { issue, versions, paths, upgrades, suppressed } = problem;
    let rule_id = non_blank(issue.id.as_deref()).unwrap_or_else(|| "snyk".into());
    let tool_severity =
        non_blank(issue.severity_with_critical.as_deref().or(issue.severity.as_deref()));
    let severity = tool_severity.as_deref().and_then(severity_word).unwrap_or(Severity::Medium);
    let title = non_blank(issue.title.as_deref()).unwrap_or_else(|| rule_id.clone());
    let mut finding = Finding::new(tool, rule_id, title, severity);
    finding.tool_severity = tool_severity;

    add_identifiers(&mut finding, issue.identifiers.as_ref());
    if issue.kind.as_deref() != Some("license") {
        let id = finding.rule_id.clone();
        finding.add_advisory(&id);
    }
    let vector = non_blank(issue.cvss_v3.as_deref());
    if issue.cvss_score.is_some() || vector.is_some() {
        finding.cvss = Some(Cvss { score: issue.cvss_score, vector });
    }
    let ecosystem = non_blank(issue.package_manager.as_deref().or(ecosystem));
    finding.package = Some(package(&issue, &versions, ecosystem));
    finding.location = Some(Location { path: target.map(str::to_string), ..Location::default() });
    finding.message = message(&issue, &finding.title, &paths);
    finding.remediation = remediation(&issue, &upgrades);
    for url in issue.references.iter().flatten().filter_map(|r| r.url.as_deref()) {
        finding.add_reference(url);
    }
    if finding.rule_id.starts_with("SNYK-") {
        finding.help_uri = Some(format!("https://security.snyk.io/vuln/{}", finding.rule_id));
    }
    finding.suppression =
        suppressed.map(|why| Suppression { kind: "external".into(), justification: Some(why) });
    finding
}

/// CVE and GHSA ids first, then the other kinds (`CWE` gives CWEs).
fn add_identifiers(finding: &mut Finding, identifiers: Option<&BTreeMap<String, Identifiers>>) {
    let Some(identifiers) = identifiers else { return };
    let texts = |kind: &str| -> Vec<&str> {
        match identifiers.get(kind) {
            Some(Identifiers::Many(all)) => all.iter().filter_map(Text::as_str).collect(),
            _ => Vec::new(),
        }
    };
    texts("CWE").into_iter().filter_map(ids::cwe_number).for_each(|cwe| finding.add_cwe(cwe));
    texts("CVE").into_iter().chain(texts("GHSA")).for_each(|id| finding.add_advisory(id));
    for kind in identifiers.keys().filter(|k| !matches!(k.as_str(), "CVE" | "CWE" | "GHSA")) {
        texts(kind).into_iter().for_each(|id| finding.add_advisory(id));
    }
}

/// The package, with its versions joined when the paths reached several.
fn package(issue: &Issue, versions: &[String], ecosystem: Option<String>) -> Package {
    let name = non_blank(issue.package_name.as_deref().or(issue.name.as_deref()));
    let name = name.unwrap_or_default();
    let single = match versions {
        [one] => Some(one.as_str()),
        _ => None,
    };
    let fixed_in = issue.fixed_in.as_deref().unwrap_or_default();
    Package {
        purl: ecosystem.as_deref().and_then(|e| purl(e, &name, single)),
        version: (!versions.is_empty()).then(|| versions.join(", ")),
        ecosystem,
        fixed_version: (!fixed_in.is_empty()).then(|| fixed_in.join(", ")),
        name,
    }
}

fn message(issue: &Issue, title: &str, paths: &[String]) -> String {
    let mut message = non_blank(issue.description.as_deref()).unwrap_or_else(|| title.into());
    if let Some(license) = non_blank(issue.license.as_deref()) {
        message.push_str(&format!("\n\nLicence: {license}"));
    }
    if !paths.is_empty() {
        let shown: Vec<&str> = paths.iter().take(LISTED).map(String::as_str).collect();
        message.push_str(&format!("\n\nIntroduced through:\n- {}", shown.join("\n- ")));
        if paths.len() > LISTED {
            message.push_str(&format!("\n- and {} more paths", paths.len() - LISTED));
        }
    }
    message
}

fn remediation(issue: &Issue, upgrades: &[String]) -> Option<String> {
    let mut parts = Vec::new();
    if !upgrades.is_empty() {
        parts.push(format!("Upgrade {}.", upgrades.join(", ")));
    }
    let fixed_in = issue.fixed_in.as_deref().unwrap_or_default();
    if let (false, Some(name)) = (fixed_in.is_empty(), issue.package_name.as_deref()) {
        parts.push(format!("Fixed in {name} {}.", fixed_in.join(", ")));
    }
    if issue.is_patchable == Some(true) {
        parts.push("Snyk has a patch for it.".into());
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Collected;

    fn parse_text(text: &str) -> (Vec<Finding>, RunInfo) {
        let mut sink = Collected::default();
        parse(&mut text.as_bytes(), &Options::default(), &mut sink).unwrap();
        assert_eq!(sink.runs.len(), 1);
        (sink.findings, sink.runs.remove(0))
    }

    fn issue(id: &str, from: &str, upgrade: &str) -> String {
        format!(
            r#"{{"id": "{id}", "title": "Prototype Pollution", "severity": "high",
              "severityWithCritical": "critical", "cvssScore": 9.8,
              "CVSSv3": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
              "identifiers": {{"CWE": ["CWE-1321"], "GHSA": ["GHSA-p6mc-m468-83gw"],
                               "CVE": ["CVE-2020-8203"], "NSP": [1523], "ALTERNATIVE": null}},
              "packageName": "lodash", "version": "4.17.15", "from": {from},
              "upgradePath": {upgrade}, "isUpgradable": true, "isPatchable": false,
              "fixedIn": ["4.17.19"], "description": "Lodash is vulnerable.",
              "references": [{{"title": "GitHub", "url": "https://github.com/lodash/lodash/pull/4874"}}],
              "packageManager": "npm", "language": "js"}}"#
        )
    }

    fn project(issues: &[String], extra: &str) -> String {
        format!(
            r#"{{"vulnerabilities": [{}], "ok": false, "dependencyCount": 3, "packageManager": "npm",
              "displayTargetFile": "web/package-lock.json", "projectName": "web"{extra}}}"#,
            issues.join(",")
        )
    }

    #[test]
    fn one_finding_per_issue_and_package_with_every_path() {
        let report = project(
            &[
                issue(
                    "SNYK-JS-LODASH-590103",
                    r#"["web@1.0.0", "lodash@4.17.15"]"#,
                    r#"[false, "lodash@4.17.19"]"#,
                ),
                issue(
                    "SNYK-JS-LODASH-590103",
                    r#"["web@1.0.0", "a@1.0.0", "lodash@4.17.15"]"#,
                    r#"[false, "a@2.0.0", "lodash@4.17.19"]"#,
                ),
                issue("SNYK-JS-LODASH-590103", r#"["web@1.0.0", "lodash@4.17.15"]"#, "[]"),
            ],
            "",
        );
        let (findings, run) = parse_text(&report);
        assert_eq!(run.tool, "Snyk Open Source");
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.rule_id, "SNYK-JS-LODASH-590103");
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(finding.tool_severity.as_deref(), Some("critical"));
        assert_eq!(
            finding.advisories,
            ["CVE-2020-8203", "GHSA-p6mc-m468-83gw", "SNYK-JS-LODASH-590103"]
        );
        assert_eq!(finding.cwes, [1321]);
        assert_eq!(finding.cvss.as_ref().unwrap().score, Some(9.8));
        let package = finding.package.as_ref().unwrap();
        assert_eq!(package.version.as_deref(), Some("4.17.15"));
        assert_eq!(package.purl.as_deref(), Some("pkg:npm/lodash@4.17.15"));
        assert_eq!(package.fixed_version.as_deref(), Some("4.17.19"));
        let location = finding.location.as_ref().unwrap();
        assert_eq!(location.path.as_deref(), Some("web/package-lock.json"));
        assert!(finding.message.starts_with("Lodash is vulnerable."));
        assert!(finding.message.ends_with(
            "Introduced through:\n- web@1.0.0 > lodash@4.17.15\n- web@1.0.0 > a@1.0.0 > lodash@4.17.15"
        ));
        assert_eq!(
            finding.remediation.as_deref(),
            Some("Upgrade lodash@4.17.19, a@2.0.0. Fixed in lodash 4.17.19.")
        );
        assert_eq!(
            finding.help_uri.as_deref(),
            Some("https://security.snyk.io/vuln/SNYK-JS-LODASH-590103")
        );
        assert!(finding.suppression.is_none());
    }

    #[test]
    fn projects_of_all_projects_are_separate_findings_of_one_problem() {
        let a = project(&[issue("SNYK-1", "[]", "[]")], "");
        let b = a.replace("web/package-lock.json", "api/package-lock.json");
        let (findings, _) = parse_text(&format!("[{a}, {b}]"));
        assert_eq!(findings.len(), 2);
        assert_eq!(
            findings[0].fingerprint, findings[1].fingerprint,
            "an import numbers the second"
        );
    }

    #[test]
    fn ignored_and_patched_issues_are_kept_suppressed() {
        let ignored = issue("SNYK-2", "[]", "[]").replacen(
            "{",
            r#"{"filtered": {"ignored": [{"reason": "not reachable", "expires": "2030-01-01", "source": "cli"}]},"#,
            1,
        );
        let extra = format!(
            r#", "filtered": {{"ignore": [{ignored}, {open}], "patch": [{patched}]}}"#,
            open = issue("SNYK-1", "[]", "[]"),
            patched = issue("SNYK-3", "[]", "[]"),
        );
        let (findings, _) = parse_text(&project(&[issue("SNYK-1", "[]", "[]")], &extra));
        let states: Vec<(&str, Option<&str>)> = findings
            .iter()
            .map(|f| {
                let why = f.suppression.as_ref().and_then(|s| s.justification.as_deref());
                (f.rule_id.as_str(), why)
            })
            .collect();
        assert_eq!(
            states,
            [
                ("SNYK-1", None),
                ("SNYK-2", Some("ignored in Snyk until 2030-01-01: not reachable")),
                ("SNYK-3", Some("patched with a Snyk patch")),
            ]
        );
    }

    #[test]
    fn licence_issues_and_sparse_entries() {
        let licence = r#"{"id": "snyk:lic:npm:gpl-lib:GPL-3.0", "type": "license",
            "title": "GPL-3.0 license", "severity": "medium", "license": "GPL-3.0",
            "packageName": "gpl-lib", "version": "1.0.0", "from": ["web@1.0.0", "gpl-lib@1.0.0"]}"#;
        let sparse = r#"{"id": "SNYK-X", "severity": "none-such"}"#;
        let (findings, _) = parse_text(&project(&[licence.into(), sparse.into()], ""));
        assert_eq!(findings[0].title, "GPL-3.0 license");
        assert_eq!(findings[0].severity, Severity::Medium);
        assert!(findings[0].advisories.is_empty());
        assert!(findings[0].message.contains("Licence: GPL-3.0"));
        assert_eq!(
            (findings[1].title.as_str(), findings[1].severity),
            ("SNYK-X", Severity::Medium)
        );
        assert_eq!(findings[1].package.as_ref().unwrap().name, "");
    }

    #[test]
    fn container_reports_and_their_applications() {
        let os = r#"{"id": "SNYK-DEBIAN10-OPENSSL-1", "title": "Overflow", "severity": "low",
            "packageName": "openssl/libssl1.1", "version": "1.1.1d-0", "from": ["docker-image|app@latest", "openssl/libssl1.1@1.1.1d-0"],
            "packageManager": "deb:10"}"#;
        let app = project(&[issue("SNYK-JS-LODASH-590103", "[]", "[]")], "")
            .replace("web/package-lock.json", "/srv/app/package-lock.json");
        let report = format!(
            r#"{{"vulnerabilities": [{os}], "ok": false, "dependencyCount": 90, "packageManager": "deb",
               "docker": {{"baseImage": "debian:10"}}, "path": "app:latest",
               "projectName": "docker-image|app", "applications": [{app}]}}"#
        );
        let (findings, run) = parse_text(&report);
        assert_eq!(run.tool, "Snyk Container");
        assert_eq!(findings[0].location.as_ref().unwrap().path.as_deref(), Some("app:latest"));
        assert_eq!(findings[0].package.as_ref().unwrap().purl, None);
        assert_eq!(findings[0].severity, Severity::Low);
        let path = findings[1].location.as_ref().unwrap().path.as_deref();
        assert_eq!(path, Some("/srv/app/package-lock.json"));
        assert_eq!(findings[1].tool, "Snyk Container");
    }

    #[test]
    fn clean_scans_errors_and_wrong_shapes() {
        let (findings, _) = parse_text(&project(&[], ""));
        assert!(findings.is_empty());
        let refuse = |text: &str| {
            parse(&mut text.as_bytes(), &Options::default(), &mut Collected::default())
                .unwrap_err()
                .to_string()
        };
        let err = refuse(
            r#"{"ok": false, "error": "Could not detect supported target files", "path": "/src"}"#,
        );
        assert_eq!(
            err,
            "not a snyk report: Snyk could not test the project \"/src\": Could not detect supported target files"
        );
        let err = refuse(r#"{"vulnerabilities": [{"id": 7}]}"#);
        assert!(err.starts_with("invalid snyk report at `vulnerabilities[0].id`"), "{err}");
    }

    #[test]
    fn detection() {
        assert!(sniff(&Shape::of(project(&[issue("a", "[]", "[]")], "").as_bytes())));
        assert!(sniff(&Shape::of(project(&[], "").as_bytes())));
        assert!(!sniff(&Shape::of(br#"{"vulnerabilities": [{"id": "x"}]}"#)));
        assert!(!sniff(&Shape::of(br#"{"auditReportVersion": 2, "vulnerabilities": {}}"#)));
    }
}
