//! SonarQube issues, in three JSON shapes read by one format:
//!
//! - the Web API's `api/issues/search` response: `total`, `p`, `ps`,
//!   `paging`, `issues`, `components`, and `rules` when asked for
//!   (`additionalFields=rules`). SonarQube 7.9 to 10.x and SonarCloud,
//!   with the newer `impacts` and `issueStatus` when present.
//! - the Web API's `api/hotspots/search` response: `paging`, `hotspots`,
//!   `components`.
//! - the `sonar-report` tool's JSON: `sonarBaseURL`, `sonarComponent`,
//!   `rules` (a map with each rule's `name` and `htmlDesc`), `issues`,
//!   `hotspotKeys`.
//!
//! Severity: `BLOCKER` → critical, `CRITICAL` → high, `MAJOR` → medium,
//! `MINOR` → low, `INFO` → info. When an issue has `impacts` (SonarQube 10),
//! the highest impact severity wins: `BLOCKER` → critical, `HIGH` → high,
//! `MEDIUM` → medium, `LOW` → low, `INFO` → info. A hotspot's
//! `vulnerabilityProbability` `HIGH`, `MEDIUM`, `LOW` → high, medium, low.
//! Anything else → info.
//!
//! Which issues are findings: a `CLOSED` issue, and one resolved `FIXED` or
//! `REMOVED` (or with `issueStatus` `FIXED`), is gone and skipped. One
//! resolved `FALSE-POSITIVE` or `WONTFIX` (`issueStatus` `FALSE_POSITIVE`,
//! `ACCEPTED`), and a hotspot reviewed `SAFE`, is kept as an external
//! suppression. Everything else (open, confirmed, reopened, hotspots to
//! review or acknowledged) is a finding.
//!
//! Mapping: `rule` (`ruleKey`) → rule id, the rule's name → rule name;
//! `message` → title and message, with the type, status, tags and issue key;
//! `component` → path, from `components[].path`, else without the
//! `project:` prefix; `textRange` (else `line`) → lines and columns (the
//! offsets count from 0); CWEs from `tags` and from the rule's description;
//! the description's links → references; `hash` (SonarQube's hash of the
//! flagged line) with the path → tool fingerprint `sonarqube/lineHash`, so a
//! finding keeps its identity when lines move. With `sonarBaseURL`, the
//! rule's page is the help link and the issue's page a reference.
//!
//! Limits: `flows` (secondary locations and taint paths) are not read into
//! the trace. The Web API is paginated: a file holding one page of a larger
//! result (`total` above what it holds) is a partial scan, which nothing in
//! [`RunInfo`] can say yet.

use std::collections::BTreeMap;
use std::io::Read;

use fixgate_domain::{Finding, Location, RunInfo, Severity, Suppression};
use serde::Deserialize;

use crate::common::{emit, non_blank};
use crate::ids::cwe_in;
use crate::{Options, ParseError, Shape, Sink, json};

pub(crate) const NAME: &str = "sonarqube";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    issues: Option<Vec<Issue>>,
    hotspots: Option<Vec<Hotspot>>,
    #[serde(default)]
    components: Vec<Component>,
    rules: Option<Rules>,
    #[serde(rename = "sonarBaseURL")]
    base_url: Option<String>,
    sonar_component: Option<String>,
    #[serde(default)]
    hotspot_keys: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Issue {
    key: Option<String>,
    rule: Option<String>,
    severity: Option<String>,
    component: Option<String>,
    project: Option<String>,
    line: Option<u32>,
    hash: Option<String>,
    text_range: Option<TextRange>,
    message: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    status: Option<String>,
    resolution: Option<String>,
    issue_status: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    impacts: Vec<Impact>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Hotspot {
    key: Option<String>,
    component: Option<String>,
    project: Option<String>,
    security_category: Option<String>,
    vulnerability_probability: Option<String>,
    status: Option<String>,
    resolution: Option<String>,
    line: Option<u32>,
    message: Option<String>,
    rule_key: Option<String>,
    text_range: Option<TextRange>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TextRange {
    start_line: Option<u32>,
    end_line: Option<u32>,
    start_offset: Option<u32>,
    end_offset: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Impact {
    software_quality: Option<String>,
    severity: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Component {
    key: Option<String>,
    path: Option<String>,
}

/// `sonar-report` writes the rules as a map by key, the Web API as a list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Rules {
    Map(BTreeMap<String, Rule>),
    List(Vec<Rule>),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    key: Option<String>,
    name: Option<String>,
    html_desc: Option<String>,
}

/// What the report's own fields say about where its issues live.
struct Context<'a> {
    rules: BTreeMap<&'a str, &'a Rule>,
    paths: BTreeMap<&'a str, &'a str>,
    base_url: Option<&'a str>,
    project: Option<&'a str>,
    hotspot_keys: &'a [String],
}

/// The Web API: `issues` or `hotspots` with `paging.pageIndex`, or an issue
/// with `rule`, `component` and `key`; `sonar-report`: `sonarBaseURL` or
/// `sonarComponent`, which it writes before its (possibly long) rules.
pub(crate) fn sniff(shape: &Shape) -> bool {
    if shape.kind != crate::shape::Kind::Object {
        return false;
    }
    let paged = shape.has("paging.pageIndex");
    let issues = (shape.has("issues") && paged)
        || shape.has_all(&["issues[].rule", "issues[].component", "issues[].key"]);
    let hotspots = (shape.has("hotspots") && paged)
        || shape.has_all(&["hotspots[].vulnerabilityProbability", "hotspots[].key"]);
    let sonar_report = (shape.has("issues")
        && (shape.has("sonarBaseURL") || shape.has("sonarComponent")))
        || shape.has_all(&["sonarBaseURL", "sonarComponent"]);
    issues || hotspots || sonar_report
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let report: Report = json::document(reader, &options.limits, NAME)?;
    if report.issues.is_none() && report.hotspots.is_none() {
        return Err(ParseError::WrongShape {
            format: NAME,
            found: "a JSON object with neither `issues` nor `hotspots`".into(),
        });
    }
    let context = Context::of(&report);
    for issue in report.issues.iter().flatten() {
        if let Some(finding) = issue_finding(issue, &context) {
            emit(sink, finding)?;
        }
    }
    for hotspot in report.hotspots.iter().flatten() {
        if let Some(finding) = hotspot_finding(hotspot, &context) {
            emit(sink, finding)?;
        }
    }
    sink.run(0, RunInfo { tool: "SonarQube".into(), ..RunInfo::default() })
        .map_err(ParseError::Sink)
}

impl<'a> Context<'a> {
    fn of(report: &'a Report) -> Context<'a> {
        let rules = match &report.rules {
            Some(Rules::Map(map)) => map.iter().map(|(key, rule)| (key.as_str(), rule)).collect(),
            Some(Rules::List(list)) => {
                list.iter().filter_map(|rule| Some((rule.key.as_deref()?, rule))).collect()
            }
            None => BTreeMap::new(),
        };
        let paths = report
            .components
            .iter()
            .filter_map(|c| Some((c.key.as_deref()?, c.path.as_deref()?)))
            .collect();
        Context {
            rules,
            paths,
            base_url: report.base_url.as_deref().map(|u| u.trim_end_matches('/')),
            project: report.sonar_component.as_deref(),
            hotspot_keys: &report.hotspot_keys,
        }
    }

    /// The file a component key names: its `path` in `components`, else the
    /// key without its `project:` prefix.
    fn path(&self, component: Option<&str>, project: Option<&str>) -> Option<String> {
        let component = component?;
        if let Some(path) = self.paths.get(component) {
            return non_blank(Some(path));
        }
        let project = project.or(self.project);
        let path = project
            .and_then(|p| component.strip_prefix(p))
            .and_then(|rest| rest.strip_prefix(':'))
            .unwrap_or(component);
        non_blank(Some(path))
    }
}

/// Whether SonarQube still counts an issue, and whether someone set it aside.
enum Standing {
    Gone,
    SetAside(String),
    Open,
}

fn standing(
    status: Option<&str>,
    resolution: Option<&str>,
    issue_status: Option<&str>,
) -> Standing {
    let upper = |text: Option<&str>| text.map(|t| t.trim().to_ascii_uppercase());
    match upper(issue_status).as_deref() {
        Some("FIXED") => return Standing::Gone,
        Some("FALSE_POSITIVE") => return Standing::SetAside("marked false positive".into()),
        Some("ACCEPTED") => return Standing::SetAside("accepted".into()),
        _ => {}
    }
    if upper(status).as_deref() == Some("CLOSED") {
        return Standing::Gone;
    }
    match upper(resolution).as_deref() {
        Some("FIXED" | "REMOVED") => Standing::Gone,
        Some("FALSE-POSITIVE") => Standing::SetAside("marked false positive".into()),
        Some("WONTFIX") => Standing::SetAside("marked won't fix".into()),
        Some("SAFE") => Standing::SetAside("reviewed as safe".into()),
        _ => Standing::Open,
    }
}

fn issue_finding(issue: &Issue, context: &Context) -> Option<Finding> {
    let standing = standing(
        issue.status.as_deref(),
        issue.resolution.as_deref(),
        issue.issue_status.as_deref(),
    );
    if matches!(standing, Standing::Gone) {
        return None;
    }
    let rule_id = non_blank(issue.rule.as_deref()).unwrap_or_else(|| "sonarqube".into());
    let (severity, tool_severity) = issue_severity(issue);
    let title = non_blank(issue.message.as_deref()).unwrap_or_default();
    let mut finding = Finding::new("SonarQube", rule_id, title, severity);
    finding.tool_severity = tool_severity;
    let is_hotspot = issue.kind.as_deref() == Some("SECURITY_HOTSPOT")
        || issue.key.as_ref().is_some_and(|k| context.hotspot_keys.contains(k));

    let mut facts = Vec::new();
    if let Some(kind) = non_blank(issue.kind.as_deref()) {
        facts.push(format!("Type: {kind}"));
    } else if is_hotspot {
        facts.push("Type: SECURITY_HOTSPOT".into());
    }
    let status = [issue.status.as_deref(), issue.resolution.as_deref()];
    let status: Vec<&str> = status.into_iter().flatten().filter(|s| !s.trim().is_empty()).collect();
    if !status.is_empty() {
        facts.push(format!("Status: {}", status.join(" ")));
    }
    if !issue.tags.is_empty() {
        facts.push(format!("Tags: {}", issue.tags.join(", ")));
    }
    for tag in &issue.tags {
        finding.add_cwe(cwe_in(tag).unwrap_or(0));
    }
    describe(&mut finding, facts, issue.key.as_deref(), context);
    add_rule(&mut finding, context);
    add_links(&mut finding, issue.key.as_deref(), is_hotspot, issue.project.as_deref(), context);
    set_aside(&mut finding, standing);

    let path = context.path(issue.component.as_deref(), issue.project.as_deref());
    if let (Some(path), Some(hash)) = (&path, non_blank(issue.hash.as_deref())) {
        finding.tool_fingerprints.insert("sonarqube/lineHash".into(), format!("{path}:{hash}"));
    }
    finding.location = Some(location(path, issue.text_range.as_ref(), issue.line));
    Some(finding)
}

fn hotspot_finding(hotspot: &Hotspot, context: &Context) -> Option<Finding> {
    let standing = standing(hotspot.status.as_deref(), hotspot.resolution.as_deref(), None);
    if matches!(standing, Standing::Gone) {
        return None;
    }
    let rule_id = non_blank(hotspot.rule_key.as_deref()).unwrap_or_else(|| "sonarqube".into());
    let probability = non_blank(hotspot.vulnerability_probability.as_deref());
    let severity = match probability.as_deref().map(str::to_ascii_uppercase).as_deref() {
        Some("HIGH") => Severity::High,
        Some("MEDIUM") => Severity::Medium,
        Some("LOW") => Severity::Low,
        _ => Severity::Info,
    };
    let title = non_blank(hotspot.message.as_deref()).unwrap_or_default();
    let mut finding = Finding::new("SonarQube", rule_id, title, severity);
    finding.tool_severity = probability;

    let mut facts = vec!["Type: SECURITY_HOTSPOT".to_string()];
    if let Some(category) = non_blank(hotspot.security_category.as_deref()) {
        facts.push(format!("Security category: {category}"));
    }
    let status = [hotspot.status.as_deref(), hotspot.resolution.as_deref()];
    let status: Vec<&str> = status.into_iter().flatten().filter(|s| !s.trim().is_empty()).collect();
    if !status.is_empty() {
        facts.push(format!("Status: {}", status.join(" ")));
    }
    describe(&mut finding, facts, hotspot.key.as_deref(), context);
    add_rule(&mut finding, context);
    add_links(&mut finding, hotspot.key.as_deref(), true, hotspot.project.as_deref(), context);
    set_aside(&mut finding, standing);
    let path = context.path(hotspot.component.as_deref(), hotspot.project.as_deref());
    finding.location = Some(location(path, hotspot.text_range.as_ref(), hotspot.line));
    Some(finding)
}

/// The severity and the value it came from: the highest impact when the
/// issue has impacts, else the classic severity.
fn issue_severity(issue: &Issue) -> (Severity, Option<String>) {
    let impacts = issue.impacts.iter().filter_map(|impact| {
        let written = non_blank(impact.severity.as_deref())?;
        let severity = match written.to_ascii_uppercase().as_str() {
            "BLOCKER" => Severity::Critical,
            "HIGH" => Severity::High,
            "MEDIUM" => Severity::Medium,
            "LOW" => Severity::Low,
            _ => Severity::Info,
        };
        let quality = impact.software_quality.as_deref().unwrap_or("").trim();
        let written = if quality.is_empty() { written } else { format!("{quality}:{written}") };
        Some((severity, written))
    });
    if let Some((severity, written)) = impacts.max_by_key(|(severity, _)| *severity) {
        return (severity, Some(written));
    }
    let written = non_blank(issue.severity.as_deref());
    let severity = match written.as_deref().map(str::to_ascii_uppercase).as_deref() {
        Some("BLOCKER") => Severity::Critical,
        Some("CRITICAL") => Severity::High,
        Some("MAJOR") => Severity::Medium,
        Some("MINOR") => Severity::Low,
        _ => Severity::Info,
    };
    (severity, written)
}

/// The message: SonarQube's message, then the facts, one a line. An issue
/// without a message is titled by its rule's name, else its rule id.
fn describe(finding: &mut Finding, mut facts: Vec<String>, key: Option<&str>, context: &Context) {
    let rule_name =
        context.rules.get(finding.rule_id.as_str()).and_then(|r| non_blank(r.name.as_deref()));
    if let Some(name) = &rule_name {
        facts.insert(0, format!("Rule: {name} ({})", finding.rule_id));
    }
    if finding.title.is_empty() {
        finding.title = rule_name.unwrap_or_else(|| finding.rule_id.clone());
    }
    if let Some(key) = non_blank(key) {
        facts.push(format!("SonarQube key: {key}"));
    }
    finding.message = finding.title.clone();
    if !facts.is_empty() {
        if !finding.message.is_empty() {
            finding.message.push_str("\n\n");
        }
        finding.message.push_str(&facts.join("\n"));
    }
}

/// The rule's name, and the CWEs and links of its description.
fn add_rule(finding: &mut Finding, context: &Context) {
    let Some(rule) = context.rules.get(finding.rule_id.as_str()) else { return };
    finding.rule_name = non_blank(rule.name.as_deref());
    let Some(html) = rule.html_desc.as_deref() else { return };
    for (at, _) in html.match_indices("CWE-") {
        finding.add_cwe(html.get(at..).and_then(cwe_in).unwrap_or(0));
    }
    for link in html.split("href=\"").skip(1) {
        let url = link.split('"').next().unwrap_or("");
        if url.starts_with("http://") || url.starts_with("https://") {
            finding.add_reference(url);
        }
    }
}

/// With the server's address: the rule's page as help, the issue's page as
/// a reference.
fn add_links(
    finding: &mut Finding,
    key: Option<&str>,
    is_hotspot: bool,
    project: Option<&str>,
    context: &Context,
) {
    let Some(base) = context.base_url.filter(|b| !b.is_empty()) else { return };
    finding.help_uri = Some(format!("{base}/coding_rules?open={}", finding.rule_id));
    let (Some(key), Some(project)) = (non_blank(key), project.or(context.project)) else { return };
    let page = if is_hotspot {
        format!("{base}/security_hotspots?id={project}&hotspots={key}")
    } else {
        format!("{base}/project/issues?id={project}&open={key}")
    };
    finding.add_reference(&page);
}

fn set_aside(finding: &mut Finding, standing: Standing) {
    if let Standing::SetAside(why) = standing {
        finding.suppression = Some(Suppression {
            kind: "external".into(),
            justification: Some(format!("{why} in SonarQube")),
        });
    }
}

fn location(path: Option<String>, range: Option<&TextRange>, line: Option<u32>) -> Location {
    let start_line = range.and_then(|r| r.start_line).or(line);
    Location {
        path,
        start_line,
        end_line: range.and_then(|r| r.end_line).or(start_line),
        start_column: range.and_then(|r| r.start_offset).map(|c| c.saturating_add(1)),
        end_column: range.and_then(|r| r.end_offset).map(|c| c.saturating_add(1)),
        ..Location::default()
    }
}

#[cfg(test)]
mod tests;
