//! npm audit JSON reports (`npm audit --json`), in both shapes npm has
//! written.
//!
//! - npm 6: `advisories`, an object of advisories keyed by their id, each
//!   with the installed versions and dependency paths it was found at
//!   (`findings`); `actions` lists the installs that would resolve them.
//! - npm 7 and later: `auditReportVersion: 2` and `vulnerabilities`, an
//!   object keyed by package name. A package's `via` holds the advisories
//!   that affect the package itself (objects) and the names of vulnerable
//!   packages it depends on (strings).
//!
//! Counting: one finding per advisory. npm 6 puts every installed version
//! of the advisory's module in one finding (fixgate's identity ignores the
//! version, so one finding per version would collapse anyway). npm 7+: one
//! finding per advisory object in a package's `via`. A package that is
//! vulnerable only through its dependencies (names only in `via`) is no
//! finding of its own: the advisory is the problem, and it is reported at
//! the package it belongs to; those names, and the packages a vulnerable
//! package makes vulnerable (`effects`), are written into the message.
//!
//! Severity: npm's own words, `critical`, `high`, `moderate` (medium),
//! `low` and `info` (kept as info); a missing or unknown word is medium.
//!
//! Mapping: rule id is the advisory's GHSA id (from npm 7's advisory URL,
//! npm 6's `github_advisory_id` or URL), else `npm-` and npm's advisory
//! number; title is the advisory's title; CVEs and the GHSA id are advisory
//! ids; CWEs, CVSS (npm 7, later npm 6), the package (name, installed
//! version for npm 6, `pkg:npm` purl, fixed version) and the location
//! `package-lock.json`, the file npm audit reads (the report does not say
//! which folder it was in).

use std::fmt;
use std::io::Read;
use std::marker::PhantomData;

use fixgate_domain::{Cvss, Finding, Location, Package, RunInfo, Severity};
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::common::{emit, non_blank, severity_word};
use crate::purl::purl;
use crate::{Options, ParseError, Shape, Sink, ids, json};

pub(crate) const NAME: &str = "npm-audit";
const TOOL: &str = "npm audit";
const LOCK_FILE: &str = "package-lock.json";
/// How many dependency paths or node locations a message lists.
const LISTED: usize = 10;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    audit_report_version: Option<u32>,
    /// npm 7+.
    vulnerabilities: Option<Values<Vulnerability>>,
    /// npm 6.
    advisories: Option<Values<Advisory6>>,
    actions: Option<Vec<Action>>,
    /// What npm writes instead of a report when the audit failed.
    error: Option<NpmError>,
}

/// npm 7+: one vulnerable package.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vulnerability {
    name: Option<String>,
    severity: Option<String>,
    is_direct: Option<bool>,
    via: Option<Vec<Via>>,
    effects: Option<Vec<String>>,
    nodes: Option<Vec<String>>,
    fix_available: Option<FixAvailable>,
}

/// npm 7+: why a package is vulnerable.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Via {
    /// A vulnerable package it depends on.
    Dependency(String),
    Advisory(Box<Advisory7>),
}

#[derive(Debug, Deserialize)]
struct Advisory7 {
    source: Option<u64>,
    name: Option<String>,
    title: Option<String>,
    url: Option<String>,
    severity: Option<String>,
    cwe: Option<OneOrMany>,
    cvss: Option<NpmCvss>,
    range: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum FixAvailable {
    Flag(bool),
    Upgrade {
        name: Option<String>,
        version: Option<String>,
        #[serde(rename = "isSemVerMajor")]
        is_semver_major: Option<bool>,
    },
}

/// npm 6: one advisory with where it was found.
#[derive(Debug, Deserialize)]
struct Advisory6 {
    id: Option<u64>,
    title: Option<String>,
    module_name: Option<String>,
    severity: Option<String>,
    cwe: Option<OneOrMany>,
    cves: Option<Vec<String>>,
    vulnerable_versions: Option<String>,
    patched_versions: Option<String>,
    overview: Option<String>,
    recommendation: Option<String>,
    /// Markdown: links and bare URLs, one a line.
    references: Option<String>,
    url: Option<String>,
    findings: Option<Vec<Installed>>,
    github_advisory_id: Option<String>,
    cvss: Option<NpmCvss>,
}

/// npm 6: one installed version of a vulnerable module.
#[derive(Debug, Deserialize)]
struct Installed {
    version: Option<String>,
    paths: Option<Vec<String>>,
    dev: Option<bool>,
}

/// npm 6: an install or update that resolves advisories.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Action {
    action: Option<String>,
    module: Option<String>,
    target: Option<String>,
    is_major: Option<bool>,
    resolves: Option<Vec<Resolves>>,
}

#[derive(Debug, Deserialize)]
struct Resolves {
    id: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NpmCvss {
    score: Option<f64>,
    vector_string: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NpmError {
    code: Option<String>,
    summary: Option<String>,
}

/// A CWE written as one string (npm 6) or a list (npm 7).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn cwes(&self) -> impl Iterator<Item = u32> + '_ {
        let all = match self {
            OneOrMany::One(one) => std::slice::from_ref(one),
            OneOrMany::Many(many) => many.as_slice(),
        };
        all.iter().filter_map(|c| ids::cwe_number(c))
    }
}

/// The values of a JSON object, in report order. npm keys advisories by id
/// and packages by name, and the values repeat their keys.
#[derive(Debug)]
struct Values<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Values<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Values<T>, D::Error> {
        struct Each<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for Each<T> {
            type Value = Values<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Values<T>, A::Error> {
                let mut values = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
                while let Some((_, value)) = map.next_entry::<IgnoredAny, T>()? {
                    values.push(value);
                }
                Ok(Values(values))
            }
        }

        deserializer.deserialize_map(Each(PhantomData))
    }
}

pub(crate) fn sniff(shape: &Shape) -> bool {
    shape.kind == crate::shape::Kind::Object
        && (shape.has_all(&["auditReportVersion", "vulnerabilities"])
            || (shape.has("advisories") && (shape.has("actions") || shape.has("muted"))))
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let report: Report = json::document(reader, &options.limits, NAME)?;
    match (report.vulnerabilities, report.advisories) {
        (Some(Values(packages)), _) => emit_v7(packages, sink)?,
        (None, Some(Values(advisories))) => {
            let actions = report.actions.unwrap_or_default();
            for advisory in advisories {
                emit(sink, finding_v6(advisory, &actions))?;
            }
        }
        (None, None) if report.audit_report_version.is_some() => {}
        (None, None) => return Err(wrong_shape(report.error)),
    }
    sink.run(0, RunInfo { tool: TOOL.into(), ..RunInfo::default() }).map_err(ParseError::Sink)
}

fn wrong_shape(error: Option<NpmError>) -> ParseError {
    let found = match error {
        Some(error) => format!(
            "npm reported an error instead ({}: {})",
            error.code.as_deref().unwrap_or("no code"),
            error.summary.as_deref().unwrap_or("no summary").trim()
        ),
        None => "neither `vulnerabilities` (npm 7+) nor `advisories` (npm 6)".into(),
    };
    ParseError::WrongShape { format: NAME, found }
}

fn emit_v7(packages: Vec<Vulnerability>, sink: &mut dyn Sink) -> Result<(), ParseError> {
    for package in packages {
        let via = package.via.as_deref().unwrap_or_default();
        for advisory in via.iter().filter_map(|v| match v {
            Via::Advisory(advisory) => Some(advisory),
            Via::Dependency(_) => None,
        }) {
            emit(sink, finding_v7(&package, advisory))?;
        }
    }
    Ok(())
}

fn finding_v7(package: &Vulnerability, advisory: &Advisory7) -> Finding {
    let url = non_blank(advisory.url.as_deref());
    let mut advisories = Vec::new();
    ids::collect_advisories(url.as_deref().unwrap_or(""), &mut advisories);
    let rule_id = rule_id(&advisories, advisory.source);
    let tool_severity = non_blank(advisory.severity.as_deref().or(package.severity.as_deref()));
    let title = non_blank(advisory.title.as_deref()).unwrap_or_else(|| rule_id.clone());
    let mut finding = Finding::new(TOOL, rule_id, title, severity(tool_severity.as_deref()));
    finding.tool_severity = tool_severity;

    advisories.iter().for_each(|id| finding.add_advisory(id));
    advisory.cwe.iter().flat_map(OneOrMany::cwes).for_each(|cwe| finding.add_cwe(cwe));
    finding.cvss = advisory.cvss.as_ref().and_then(cvss);
    let name = non_blank(advisory.name.as_deref().or(package.name.as_deref())).unwrap_or_default();
    finding.package = Some(Package {
        purl: purl("npm", &name, None),
        ecosystem: Some("npm".into()),
        fixed_version: own_fix(package.fix_available.as_ref(), &name),
        name,
        version: None,
    });
    finding.location = Some(Location { path: Some(LOCK_FILE.into()), ..Location::default() });
    finding.message = message_v7(package, advisory, &finding.title);
    finding.remediation = package.fix_available.as_ref().map(|fix| remediation_v7(fix, package));
    if let Some(url) = url {
        finding.add_reference(&url);
        finding.help_uri = Some(url);
    }
    finding
}

/// The GHSA id, else npm's own advisory number.
fn rule_id(advisories: &[String], number: Option<u64>) -> String {
    match (advisories.iter().find(|id| id.starts_with("GHSA-")), number) {
        (Some(ghsa), _) => ghsa.clone(),
        (None, Some(number)) => format!("npm-{number}"),
        (None, None) => "npm-audit".into(),
    }
}

fn severity(word: Option<&str>) -> Severity {
    word.and_then(severity_word).unwrap_or(Severity::Medium)
}

/// npm writes a score of 0 and no vector for advisories without CVSS.
fn cvss(cvss: &NpmCvss) -> Option<Cvss> {
    let score = cvss.score.filter(|s| *s > 0.0);
    let vector = non_blank(cvss.vector_string.as_deref());
    (score.is_some() || vector.is_some()).then_some(Cvss { score, vector })
}

/// The fixed version when npm's fix is an upgrade of the package itself.
fn own_fix(fix: Option<&FixAvailable>, name: &str) -> Option<String> {
    match fix? {
        FixAvailable::Upgrade { name: Some(fixed), version, .. } if fixed == name => {
            non_blank(version.as_deref())
        }
        _ => None,
    }
}

fn message_v7(package: &Vulnerability, advisory: &Advisory7, title: &str) -> String {
    let mut lines = vec![title.to_string(), String::new()];
    if let Some(range) = non_blank(advisory.range.as_deref()) {
        lines.push(format!("Vulnerable versions: {range}"));
    }
    let nodes = package.nodes.as_deref().unwrap_or_default();
    if !nodes.is_empty() {
        lines.push(format!("Installed at: {}", listed(nodes)));
    }
    match package.is_direct {
        Some(true) => lines.push("A direct dependency.".into()),
        Some(false) => lines.push("A transitive dependency.".into()),
        None => {}
    }
    let through: Vec<String> = package
        .via
        .iter()
        .flatten()
        .filter_map(|v| match v {
            Via::Dependency(name) => Some(name.clone()),
            Via::Advisory(_) => None,
        })
        .collect();
    if !through.is_empty() {
        lines.push(format!("Also vulnerable through its dependencies: {}", listed(&through)));
    }
    let effects = package.effects.as_deref().unwrap_or_default();
    if !effects.is_empty() {
        lines.push(format!("Makes these packages vulnerable: {}", listed(effects)));
    }
    lines.join("\n").trim_end().to_string()
}

fn remediation_v7(fix: &FixAvailable, package: &Vulnerability) -> String {
    match fix {
        FixAvailable::Flag(true) => "`npm audit fix` resolves it.".into(),
        FixAvailable::Flag(false) => "npm knows no fix yet.".into(),
        FixAvailable::Upgrade { name, version, is_semver_major } => {
            let name = name.as_deref().unwrap_or("the package");
            let version = version.as_deref().unwrap_or("a fixed version");
            let how = if *is_semver_major == Some(true) {
                "a major version change: `npm audit fix --force`"
            } else {
                "`npm audit fix`"
            };
            if package.name.as_deref() == Some(name) {
                format!("Upgrade {name} to {version} ({how}).")
            } else {
                format!("Upgrade {name} to {version}, which resolves it ({how}).")
            }
        }
    }
}

fn finding_v6(advisory: Advisory6, actions: &[Action]) -> Finding {
    let url = non_blank(advisory.url.as_deref());
    let mut advisories = Vec::new();
    for cve in advisory.cves.iter().flatten() {
        ids::collect_advisories(cve, &mut advisories);
    }
    let ghsa = advisory.github_advisory_id.as_deref().or(url.as_deref()).unwrap_or("");
    ids::collect_advisories(ghsa, &mut advisories);
    let rule_id = rule_id(&advisories, advisory.id);
    let tool_severity = non_blank(advisory.severity.as_deref());
    let title = non_blank(advisory.title.as_deref()).unwrap_or_else(|| rule_id.clone());
    let mut finding = Finding::new(TOOL, rule_id, title, severity(tool_severity.as_deref()));
    finding.tool_severity = tool_severity;

    advisories.iter().for_each(|id| finding.add_advisory(id));
    advisory.cwe.iter().flat_map(OneOrMany::cwes).for_each(|cwe| finding.add_cwe(cwe));
    finding.cvss = advisory.cvss.as_ref().and_then(cvss);
    finding.package = Some(package_v6(&advisory));
    finding.location = Some(Location { path: Some(LOCK_FILE.into()), ..Location::default() });
    finding.message = message_v6(&advisory, &finding.title);
    finding.remediation = remediation_v6(&advisory, actions);
    if let Some(url) = url {
        finding.add_reference(&url);
        finding.help_uri = Some(url);
    }
    for url in urls_in(advisory.references.as_deref().unwrap_or("")) {
        finding.add_reference(url);
    }
    finding
}

/// Every installed version, in one package: `2.2.0, 3.0.1` when npm found
/// several (the purl then has no version).
fn package_v6(advisory: &Advisory6) -> Package {
    let name = non_blank(advisory.module_name.as_deref()).unwrap_or_default();
    let mut versions: Vec<&str> = Vec::new();
    for version in advisory.findings.iter().flatten().filter_map(|f| f.version.as_deref()) {
        if !version.trim().is_empty() && !versions.contains(&version) {
            versions.push(version);
        }
    }
    let single = match versions.as_slice() {
        [one] => Some(*one),
        _ => None,
    };
    // npm writes `<0.0.0` for an advisory that no version fixes.
    let fixed_version =
        non_blank(advisory.patched_versions.as_deref()).filter(|p| p.as_str() != "<0.0.0");
    Package {
        purl: purl("npm", &name, single),
        version: (!versions.is_empty()).then(|| versions.join(", ")),
        ecosystem: Some("npm".into()),
        fixed_version,
        name,
    }
}

fn message_v6(advisory: &Advisory6, title: &str) -> String {
    let overview = non_blank(advisory.overview.as_deref()).unwrap_or_else(|| title.to_string());
    let mut lines = vec![overview, String::new()];
    if let Some(range) = non_blank(advisory.vulnerable_versions.as_deref()) {
        lines.push(format!("Vulnerable versions: {range}"));
    }
    if let Some(range) = non_blank(advisory.patched_versions.as_deref()) {
        lines.push(format!("Patched versions: {range}"));
    }
    for installed in advisory.findings.iter().flatten() {
        let version = installed.version.as_deref().unwrap_or("unknown version");
        let paths = installed.paths.as_deref().unwrap_or_default();
        let dev = if installed.dev == Some(true) { " (a dev dependency)" } else { "" };
        lines.push(format!("Installed: {version} at {}{dev}", listed(paths)));
    }
    lines.join("\n").trim_end().to_string()
}

/// The advisory's recommendation, then the actions npm 6 proposes for it.
fn remediation_v6(advisory: &Advisory6, actions: &[Action]) -> Option<String> {
    let mut parts: Vec<String> =
        non_blank(advisory.recommendation.as_deref()).into_iter().collect();
    let resolving: Vec<String> = actions
        .iter()
        .filter(|action| {
            action.resolves.iter().flatten().any(|r| r.id.is_some() && r.id == advisory.id)
        })
        .map(describe_action)
        .collect();
    if !resolving.is_empty() {
        parts.push(format!("npm audit proposes: {}.", resolving.join("; ")));
    }
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

/// `install express@4.16.3`, `update debug`, `review growl`.
fn describe_action(action: &Action) -> String {
    let verb = action.action.as_deref().unwrap_or("update");
    let module = action.module.as_deref().unwrap_or("a dependency");
    let mut text = match non_blank(action.target.as_deref()) {
        Some(target) => format!("{verb} {module}@{target}"),
        None => format!("{verb} {module}"),
    };
    if action.is_major == Some(true) {
        text.push_str(" (a major version change)");
    }
    text
}

/// The URLs in npm 6's Markdown references: `[text](url)` and bare URLs.
fn urls_in(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '<' | '>' | '[' | ']'))
        .filter(|word| word.starts_with("https://") || word.starts_with("http://"))
}

/// `a, b, c and 7 more`.
fn listed(items: &[String]) -> String {
    let shown: Vec<&str> = items.iter().take(LISTED).map(String::as_str).collect();
    match items.len().saturating_sub(LISTED) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Collected;

    fn parse_text(text: &str) -> Vec<Finding> {
        let mut sink = Collected::default();
        parse(&mut text.as_bytes(), &Options::default(), &mut sink).unwrap();
        assert_eq!(sink.runs.len(), 1);
        assert_eq!(sink.runs[0].tool, "npm audit");
        sink.findings
    }

    const V7: &str = r#"{"auditReportVersion": 2, "vulnerabilities": {
      "debug": {"name": "debug", "severity": "high", "isDirect": true,
        "via": [
          {"source": 1094222, "name": "debug", "dependency": "debug",
           "title": "ReDoS in debug", "url": "https://github.com/advisories/GHSA-gxpj-cx7g-858c",
           "severity": "moderate", "cwe": ["CWE-400"],
           "cvss": {"score": 5.3, "vectorString": "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"},
           "range": "<2.6.9"},
          {"source": 1, "name": "debug", "title": "An info advisory", "url": "", "severity": "info",
           "cwe": [], "cvss": {"score": 0, "vectorString": null}, "range": "*"},
          "ms"],
        "effects": ["express"], "range": "<=2.6.8", "nodes": ["node_modules/debug"],
        "fixAvailable": {"name": "debug", "version": "2.6.9", "isSemVerMajor": false}},
      "ms": {"name": "ms", "severity": "low", "isDirect": false,
        "via": [{"source": 7, "name": "ms", "title": "ms ReDoS", "severity": "low"}],
        "effects": ["debug"], "nodes": ["node_modules/ms"], "fixAvailable": true},
      "express": {"name": "express", "severity": "high", "isDirect": true, "via": ["debug"],
        "effects": [], "nodes": ["node_modules/express"],
        "fixAvailable": {"name": "express", "version": "5.0.0", "isSemVerMajor": true}}
    }, "metadata": {"vulnerabilities": {"total": 3}}}"#;

    #[test]
    fn npm_7_gives_one_finding_per_advisory_and_none_for_transitive_packages() {
        let findings = parse_text(V7);
        let rules: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(rules, ["GHSA-gxpj-cx7g-858c", "npm-1", "npm-7"]);

        let first = &findings[0];
        assert_eq!(first.title, "ReDoS in debug");
        assert_eq!(first.severity, Severity::Medium);
        assert_eq!(first.tool_severity.as_deref(), Some("moderate"));
        assert_eq!(first.advisories, ["GHSA-gxpj-cx7g-858c"]);
        assert_eq!(first.cwes, [400]);
        let cvss = first.cvss.as_ref().unwrap();
        assert_eq!(cvss.score, Some(5.3));
        let package = first.package.as_ref().unwrap();
        assert_eq!(package.name, "debug");
        assert_eq!(package.purl.as_deref(), Some("pkg:npm/debug"));
        assert_eq!(package.fixed_version.as_deref(), Some("2.6.9"));
        assert_eq!(first.location.as_ref().unwrap().path.as_deref(), Some("package-lock.json"));
        assert!(first.message.contains("Vulnerable versions: <2.6.9"), "{}", first.message);
        assert!(first.message.contains("Also vulnerable through its dependencies: ms"));
        assert!(first.message.contains("Makes these packages vulnerable: express"));
        assert_eq!(first.remediation.as_deref(), Some("Upgrade debug to 2.6.9 (`npm audit fix`)."));
        assert_eq!(
            first.help_uri.as_deref(),
            Some("https://github.com/advisories/GHSA-gxpj-cx7g-858c")
        );

        // An informational advisory is kept, and a zero score is no CVSS.
        assert_eq!(findings[1].severity, Severity::Info);
        assert!(findings[1].cvss.is_none());
        assert_eq!(findings[2].remediation.as_deref(), Some("`npm audit fix` resolves it."));
    }

    #[test]
    fn npm_7_identity_is_advisory_package_and_lock_file() {
        let findings = parse_text(V7);
        let again = parse_text(&V7.replace("\"range\": \"<2.6.9\"", "\"range\": \"<2.7\""));
        assert_eq!(findings[0].fingerprint, again[0].fingerprint);
        assert_ne!(findings[0].fingerprint, findings[1].fingerprint);
    }

    const V6: &str = r#"{"actions": [
        {"action": "install", "module": "express", "target": "4.16.3", "isMajor": false,
         "resolves": [{"id": 534, "path": "express>debug"}]},
        {"action": "install", "module": "debug", "target": "3.1.0", "isMajor": true,
         "resolves": [{"id": 534, "path": "debug"}]},
        {"action": "review", "module": "growl", "resolves": [{"id": 146}]}],
      "advisories": {
        "534": {"findings": [{"version": "2.2.0", "paths": ["express>debug", "debug"], "dev": false},
                             {"version": "3.0.0", "paths": ["mocha>debug"], "dev": true}],
          "id": 534, "title": "Regular Expression Denial of Service", "module_name": "debug",
          "cves": ["CVE-2017-16137"], "vulnerable_versions": "<= 2.6.8",
          "patched_versions": ">= 2.6.9", "overview": "debug is vulnerable to ReDoS.",
          "recommendation": "Upgrade to 2.6.9.", "references": "- [Issue](https://github.com/visionmedia/debug/issues/501)\nhttps://example.com/x",
          "severity": "low", "cwe": "CWE-400", "url": "https://npmjs.com/advisories/534",
          "github_advisory_id": "GHSA-gxpj-cx7g-858c"},
        "146": {"findings": [{"version": "1.9.2", "paths": ["mocha>growl"]}], "id": 146,
          "title": "Command Injection", "module_name": "growl", "severity": "critical",
          "cwe": ["CWE-94", "CWE-78"], "patched_versions": "<0.0.0"},
        "9": {"id": 9, "module_name": "x"}
      }, "muted": [], "metadata": {}}"#;

    #[test]
    fn npm_6_gives_one_finding_per_advisory_in_report_order() {
        let findings = parse_text(V6);
        assert_eq!(findings.len(), 3);
        let debug = &findings[0];
        assert_eq!(debug.rule_id, "GHSA-gxpj-cx7g-858c");
        assert_eq!(debug.advisories, ["CVE-2017-16137", "GHSA-gxpj-cx7g-858c"]);
        assert_eq!(debug.severity, Severity::Low);
        assert_eq!(debug.cwes, [400]);
        let package = debug.package.as_ref().unwrap();
        assert_eq!(package.version.as_deref(), Some("2.2.0, 3.0.0"));
        assert_eq!(package.purl.as_deref(), Some("pkg:npm/debug"));
        assert_eq!(package.fixed_version.as_deref(), Some(">= 2.6.9"));
        assert!(debug.message.starts_with("debug is vulnerable to ReDoS."));
        assert!(debug.message.contains("Installed: 3.0.0 at mocha>debug (a dev dependency)"));
        assert_eq!(
            debug.remediation.as_deref(),
            Some(
                "Upgrade to 2.6.9.\n\nnpm audit proposes: install express@4.16.3; \
                 install debug@3.1.0 (a major version change)."
            )
        );
        assert_eq!(
            debug.references,
            [
                "https://npmjs.com/advisories/534",
                "https://github.com/visionmedia/debug/issues/501",
                "https://example.com/x"
            ]
        );

        let growl = &findings[1];
        assert_eq!((growl.rule_id.as_str(), growl.severity), ("npm-146", Severity::Critical));
        assert_eq!(growl.cwes, [94, 78]);
        let package = growl.package.as_ref().unwrap();
        assert_eq!(package.purl.as_deref(), Some("pkg:npm/growl@1.9.2"));
        assert_eq!(package.fixed_version, None);
        assert_eq!(growl.remediation.as_deref(), Some("npm audit proposes: review growl."));

        // Nothing but an id and a module: medium, titled by its id.
        assert_eq!((findings[2].title.as_str(), findings[2].severity), ("npm-9", Severity::Medium));
    }

    #[test]
    fn clean_audits_are_clean_scans() {
        assert!(
            parse_text(r#"{"auditReportVersion": 2, "vulnerabilities": {}, "metadata": {}}"#)
                .is_empty()
        );
        assert!(parse_text(r#"{"actions": [], "advisories": {}, "muted": []}"#).is_empty());
    }

    #[test]
    fn wrong_shapes_are_named() {
        let parse_err = |text: &str| {
            parse(&mut text.as_bytes(), &Options::default(), &mut Collected::default())
                .unwrap_err()
                .to_string()
        };
        let err = parse_err(r#"{"auditReportVersion": 2, "vulnerabilities": []}"#);
        assert!(err.starts_with("invalid npm-audit report at `vulnerabilities`"), "{err}");
        let err = parse_err(r#"{"advisories": {"1": {"id": "one"}}}"#);
        assert!(err.starts_with("invalid npm-audit report at `advisories.1.id`"), "{err}");
        let err = parse_err(r#"{"error": {"code": "ENOLOCK", "summary": "no lock file"}}"#);
        assert_eq!(
            err,
            "not a npm-audit report: npm reported an error instead (ENOLOCK: no lock file)"
        );
    }

    #[test]
    fn detection_needs_npm_marks() {
        assert!(sniff(&Shape::of(br#"{"auditReportVersion": 2, "vulnerabilities": {}}"#)));
        assert!(sniff(&Shape::of(br#"{"actions": [], "advisories": {}, "muted": []}"#)));
        assert!(!sniff(&Shape::of(br#"{"vulnerabilities": [], "ok": true}"#)));
        assert!(!sniff(&Shape::of(br#"{"advisories": []}"#)));
    }
}
