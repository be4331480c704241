//! Semgrep JSON reports, in two shapes read by one format:
//!
//! - the CLI's report (`semgrep scan --json`, `semgrep ci --json`): `results`
//!   with `check_id`, `path`, `start`, `end` and `extra`, beside `errors`,
//!   `paths` and `version`. Code results and Supply Chain results (those
//!   with `extra.sca_info`) alike; Semgrep 0.x and 1.x.
//! - the Semgrep AppSec Platform's Supply Chain export (the deployments API's
//!   `vulns` list): one vulnerable dependency per item, with its `advisory`,
//!   `matchedDependency`, `dependencyFileLocation` and `triage`. Its findings
//!   are reported by the tool `Semgrep Supply Chain`, so a code scan never
//!   counts as a new scan of them.
//!
//! Severity, CLI: `extra.severity` `ERROR` → high, `WARNING` → medium,
//! `INFO` → low (Semgrep's own reading of its legacy levels), and the newer
//! `CRITICAL`, `HIGH`, `MEDIUM`, `LOW` as written; anything else
//! (`INVENTORY`, `EXPERIMENT`) → info. Export: `advisory.severity`
//! (`CRITICAL`, `HIGH`, `MEDIUM`, `LOW`) as written, anything else → info.
//!
//! Mapping, CLI: `check_id` → rule id; the message's first sentence → title;
//! `extra.message` and the rule's metadata (`category`, `confidence`,
//! `likelihood`, `impact`, `owasp`) → message; `metadata.cwe` (text or list)
//! → CWEs; `metadata.references` → references; `metadata.source` (else
//! `shortlink`) → help link; `extra.lines` → snippet; `extra.fingerprint`
//! → tool fingerprint `matchBasedId/v1`, the key Semgrep's SARIF uses, so
//! both reports of one scan agree (Semgrep writes `requires login` in both
//! fields without a login; that placeholder is not kept); `extra.fix` or
//! `fix_regex` → remediation; `is_ignored` (a `nosemgrep` comment) →
//! suppression in source. `sca_info` gives the package and the CVE
//! (`metadata.sca-vuln-database-identifier`).
//!
//! Mapping, export: `advisory.ruleId` → rule id; `title` → title;
//! `advisory.description`, reachability and the code that uses the
//! dependency → message; `cveIds`, and GHSA ids in the advisory's URLs →
//! advisories; `cweIds` → CWEs; `matchedDependency` → package, with
//! `closestSafeDependency` as its fixed version; `dependencyFileLocation` →
//! location (the API writes its numbers as text, `0` for none); a `triage`
//! status of `IGNORED`, `CLOSED` or `FIXED` → an external suppression with
//! the status and the dismiss reason.
//!
//! Limits: the export is paginated (`hasMore`, `cursor`), and a page read
//! alone is a partial scan, which nothing in [`RunInfo`] can say yet; a run
//! flag for partial scans would fix that. An export spanning several
//! repositories is read as one scan. The CLI's `dataflow_trace` is not read
//! into the finding's trace.

use std::io::Read;

use fixgate_domain::{Finding, Location, Package, RunInfo, Severity, Suppression};
use serde::Deserialize;

use crate::common::{emit, non_blank, severity_word};
use crate::ids::{collect_advisories, cwe_in};
use crate::lenient::{Texts, number};
use crate::{Options, ParseError, Shape, Sink, json};

pub(crate) const NAME: &str = "semgrep";

/// Either shape; which one it is shows in which list it has.
#[derive(Debug, Deserialize)]
struct Report {
    results: Option<Vec<SemgrepResult>>,
    version: Option<String>,
    vulns: Option<Vec<Vuln>>,
}

#[derive(Debug, Deserialize)]
struct SemgrepResult {
    check_id: Option<String>,
    path: Option<String>,
    start: Option<Position>,
    end: Option<Position>,
    #[serde(default)]
    extra: Extra,
}

#[derive(Debug, Deserialize)]
struct Position {
    line: Option<u32>,
    col: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
struct Extra {
    message: Option<String>,
    severity: Option<String>,
    #[serde(default)]
    metadata: Metadata,
    lines: Option<String>,
    fingerprint: Option<String>,
    fix: Option<String>,
    fix_regex: Option<FixRegex>,
    #[serde(default)]
    is_ignored: bool,
    sca_info: Option<ScaInfo>,
}

/// A rule's metadata is written by the rule's author: every field is read
/// leniently ([`Texts`]), so an odd custom rule cannot fail the report.
#[derive(Debug, Default, Deserialize)]
struct Metadata {
    #[serde(default)]
    cwe: Texts,
    #[serde(default)]
    owasp: Texts,
    #[serde(default)]
    references: Texts,
    #[serde(default)]
    confidence: Texts,
    #[serde(default)]
    likelihood: Texts,
    #[serde(default)]
    impact: Texts,
    #[serde(default)]
    category: Texts,
    #[serde(default)]
    source: Texts,
    #[serde(default)]
    shortlink: Texts,
    #[serde(rename = "sca-vuln-database-identifier", default)]
    sca_id: Texts,
}

#[derive(Debug, Deserialize)]
struct FixRegex {
    regex: Option<String>,
    replacement: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ScaInfo {
    reachable: Option<bool>,
    dependency_match: Option<DependencyMatch>,
}

#[derive(Debug, Deserialize)]
struct DependencyMatch {
    found_dependency: Option<FoundDependency>,
    lockfile: Option<String>,
}

#[derive(Debug, Deserialize)]
struct FoundDependency {
    package: Option<String>,
    version: Option<String>,
    ecosystem: Option<String>,
    transitivity: Option<String>,
}

/// One item of the Supply Chain export.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vuln {
    title: Option<String>,
    #[serde(default)]
    advisory: Advisory,
    exposure_type: Option<String>,
    repository_name: Option<String>,
    matched_dependency: Option<Dependency>,
    closest_safe_dependency: Option<Dependency>,
    dependency_file_location: Option<FileLocation>,
    #[serde(default)]
    usages: Vec<Usage>,
    triage: Option<Triage>,
    transitivity: Option<String>,
    package_manager: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Advisory {
    rule_id: Option<String>,
    title: Option<String>,
    description: Option<String>,
    ecosystem: Option<String>,
    severity: Option<String>,
    #[serde(default)]
    references: AdvisoryReferences,
    #[serde(default)]
    vulnerable_dependencies: Vec<Dependency>,
    reachable_if: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdvisoryReferences {
    #[serde(default)]
    cve_ids: Texts,
    #[serde(default)]
    cwe_ids: Texts,
    #[serde(default)]
    urls: Texts,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    name: Option<String>,
    version_specifier: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileLocation {
    path: Option<String>,
    #[serde(default, deserialize_with = "number")]
    start_line: Option<u32>,
    #[serde(default, deserialize_with = "number")]
    start_col: Option<u32>,
    #[serde(default, deserialize_with = "number")]
    end_line: Option<u32>,
    #[serde(default, deserialize_with = "number")]
    end_col: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct Usage {
    location: Option<FileLocation>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Triage {
    status: Option<String>,
    dismiss_reason: Option<String>,
}

/// The CLI report: a result with `check_id` or `extra.severity`, or (an
/// empty report) only Semgrep's top-level keys with `results` and `errors`.
/// The export: an item with an `advisory`, or only its top-level keys.
pub(crate) fn sniff(shape: &Shape) -> bool {
    if shape.kind != crate::shape::Kind::Object {
        return false;
    }
    let cli = shape.has("results[].check_id")
        || shape.has("results[].extra.severity")
        || (shape.has_all(&["results", "errors"]) && only_keys(shape, CLI_KEYS));
    let export = shape.has("vulns[].advisory")
        || (shape.has_all(&["vulns", "hasMore"])
            && only_keys(shape, &["vulns", "hasMore", "cursor"]));
    cli || export
}

/// The top-level keys Semgrep's CLI writes.
const CLI_KEYS: &[&str] = &[
    "version",
    "results",
    "errors",
    "paths",
    "time",
    "explanations",
    "interfile_languages_used",
    "skipped_rules",
    "engine_requested",
];

fn only_keys(shape: &Shape, keys: &[&str]) -> bool {
    shape.paths.iter().filter(|p| !p.contains(['.', '['])).all(|p| keys.contains(&p.as_str()))
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let report: Report = json::document(reader, &options.limits, NAME)?;
    let tool = match (report.results, report.vulns) {
        (Some(results), _) => {
            for result in results {
                emit(sink, code_finding(result))?;
            }
            "Semgrep"
        }
        (None, Some(vulns)) => {
            for vuln in vulns {
                emit(sink, export_finding(vuln))?;
            }
            EXPORT_TOOL
        }
        (None, None) => {
            return Err(ParseError::WrongShape {
                format: NAME,
                found: "a JSON object with neither `results` (CLI report) nor `vulns` \
                        (Supply Chain export)"
                    .into(),
            });
        }
    };
    let info = RunInfo { tool: tool.into(), tool_version: report.version, ..RunInfo::default() };
    sink.run(0, info).map_err(ParseError::Sink)
}

const EXPORT_TOOL: &str = "Semgrep Supply Chain";

fn code_finding(result: SemgrepResult) -> Finding {
    let extra = result.extra;
    let metadata = &extra.metadata;
    let rule = non_blank(result.check_id.as_deref()).unwrap_or_else(|| "semgrep".into());
    let message = non_blank(extra.message.as_deref()).unwrap_or_default();
    let title = first_sentence(&message);
    let mut finding =
        Finding::new("Semgrep", rule, title, code_severity(extra.severity.as_deref()));
    finding.tool_severity = non_blank(extra.severity.as_deref());
    finding.message = with_metadata(message, metadata);
    for cwe in &metadata.cwe.0 {
        finding.add_cwe(cwe_in(cwe).unwrap_or(0));
    }
    for url in &metadata.references.0 {
        finding.add_reference(url);
    }
    finding.help_uri = metadata.source.first().or_else(|| metadata.shortlink.first());
    finding.remediation = remediation(&extra);
    let fingerprint = non_blank(extra.fingerprint.as_deref()).filter(|f| !is_placeholder(f));
    if let Some(fingerprint) = fingerprint {
        finding.tool_fingerprints.insert("matchBasedId/v1".into(), fingerprint);
    }
    if extra.is_ignored {
        finding.suppression = Some(Suppression {
            kind: "inSource".into(),
            justification: Some("nosemgrep comment".into()),
        });
    }
    if let Some(sca) = &extra.sca_info {
        add_dependency(&mut finding, sca, metadata);
    }

    let snippet = extra.lines.filter(|l| !l.trim().is_empty() && !is_placeholder(l));
    finding.location = Some(Location {
        path: non_blank(result.path.as_deref()),
        start_line: result.start.as_ref().and_then(|p| p.line),
        end_line: result.end.as_ref().and_then(|p| p.line),
        start_column: result.start.as_ref().and_then(|p| p.col),
        end_column: result.end.as_ref().and_then(|p| p.col),
        snippet: snippet.map(|s| s.trim_end().to_string()),
        logical: None,
    });
    finding
}

fn code_severity(text: Option<&str>) -> Severity {
    match text.map(|t| t.trim().to_ascii_uppercase()).as_deref() {
        Some("ERROR" | "HIGH") => Severity::High,
        Some("WARNING" | "MEDIUM") => Severity::Medium,
        Some("INFO" | "LOW") => Severity::Low,
        Some("CRITICAL") => Severity::Critical,
        _ => Severity::Info,
    }
}

/// The message, then what the rule's metadata says about the finding, one
/// line each: `Category: security`, `Confidence: HIGH`, ...
fn with_metadata(mut message: String, metadata: &Metadata) -> String {
    let facts = [
        ("Category", &metadata.category),
        ("Confidence", &metadata.confidence),
        ("Likelihood", &metadata.likelihood),
        ("Impact", &metadata.impact),
        ("OWASP", &metadata.owasp),
    ];
    let lines: Vec<String> = facts
        .iter()
        .filter(|(_, values)| !values.0.is_empty())
        .map(|(name, values)| format!("{name}: {}", values.0.join("; ")))
        .collect();
    if !lines.is_empty() {
        if !message.is_empty() {
            message.push_str("\n\n");
        }
        message.push_str(&lines.join("\n"));
    }
    message
}

/// Semgrep's autofix, said in words.
fn remediation(extra: &Extra) -> Option<String> {
    if let Some(fix) = non_blank(extra.fix.as_deref()) {
        return Some(format!("Semgrep's suggested fix replaces the match with:\n{fix}"));
    }
    let regex = extra.fix_regex.as_ref()?;
    let pattern = non_blank(regex.regex.as_deref())?;
    let replacement = regex.replacement.as_deref().unwrap_or("");
    Some(format!(
        "Semgrep's suggested fix replaces the regular expression `{pattern}` with `{replacement}`."
    ))
}

/// The dependency of a Supply Chain result of the CLI report.
fn add_dependency(finding: &mut Finding, sca: &ScaInfo, metadata: &Metadata) {
    for id in metadata.sca_id.0.iter().chain(&metadata.references.0) {
        let mut found = Vec::new();
        collect_advisories(id, &mut found);
        found.iter().for_each(|id| finding.add_advisory(id));
    }
    let matched = sca.dependency_match.as_ref();
    if let Some(dependency) = matched.and_then(|m| m.found_dependency.as_ref()) {
        finding.package = non_blank(dependency.package.as_deref()).map(|name| Package {
            name,
            version: non_blank(dependency.version.as_deref()),
            ecosystem: non_blank(dependency.ecosystem.as_deref()),
            ..Package::default()
        });
        if let Some(transitivity) = non_blank(dependency.transitivity.as_deref()) {
            finding.message.push_str(&format!("\nDependency: {transitivity}"));
        }
    }
    if let Some(lockfile) = matched.and_then(|m| non_blank(m.lockfile.as_deref())) {
        finding.message.push_str(&format!("\nLockfile: {lockfile}"));
    }
    match sca.reachable {
        Some(true) => finding.message.push_str("\nReachable: the code uses the vulnerable part."),
        Some(false) => {
            finding.message.push_str("\nReachable: no use of the vulnerable part found.")
        }
        None => {}
    }
}

fn export_finding(vuln: Vuln) -> Finding {
    let advisory = &vuln.advisory;
    let mut advisories = Vec::new();
    for id in advisory.references.cve_ids.0.iter().chain(&advisory.references.urls.0) {
        collect_advisories(id, &mut advisories);
    }
    let rule = non_blank(advisory.rule_id.as_deref())
        .or_else(|| advisories.first().cloned())
        .unwrap_or_else(|| "semgrep-supply-chain".into());
    let title = non_blank(vuln.title.as_deref())
        .or_else(|| non_blank(advisory.title.as_deref()))
        .unwrap_or_default();
    let severity = match advisory.severity.as_deref().map(str::trim) {
        Some(text) => severity_word(text).unwrap_or(Severity::Info),
        None => Severity::Info,
    };
    let mut finding = Finding::new(EXPORT_TOOL, rule, title, severity);
    finding.tool_severity = non_blank(advisory.severity.as_deref());
    advisories.iter().for_each(|id| finding.add_advisory(id));
    for cwe in &advisory.references.cwe_ids.0 {
        finding.add_cwe(cwe_in(cwe).unwrap_or(0));
    }
    for url in &advisory.references.urls.0 {
        finding.add_reference(url);
    }
    finding.message = export_message(&vuln);
    finding.package = export_package(&vuln);
    finding.suppression = vuln.triage.as_ref().and_then(triage_suppression);
    finding.location = vuln.dependency_file_location.as_ref().map(|at| Location {
        path: non_blank(at.path.as_deref()),
        start_line: at.start_line,
        end_line: at.end_line.or(at.start_line),
        start_column: at.start_col,
        end_column: at.end_col,
        snippet: None,
        logical: None,
    });
    finding
}

/// The advisory's description, then whether and where the code reaches the
/// vulnerable part, and the repository the export names.
fn export_message(vuln: &Vuln) -> String {
    let advisory = &vuln.advisory;
    let mut lines = Vec::new();
    if let Some(exposure) = non_blank(vuln.exposure_type.as_deref()) {
        let transitivity = non_blank(vuln.transitivity.as_deref())
            .map(|t| format!(", {} dependency", t.to_ascii_lowercase()))
            .unwrap_or_default();
        lines.push(format!("Exposure: {exposure}{transitivity}."));
    }
    if let Some(condition) = non_blank(advisory.reachable_if.as_deref()) {
        lines.push(format!("Reachable if {condition}"));
    }
    for usage in vuln.usages.iter().filter_map(|u| u.location.as_ref()) {
        if let Some(path) = non_blank(usage.path.as_deref()) {
            let line = usage.start_line.map(|l| format!(":{l}")).unwrap_or_default();
            lines.push(format!("Used at {path}{line}"));
        }
    }
    if let Some(repository) = non_blank(vuln.repository_name.as_deref()) {
        lines.push(format!("Repository: {repository}"));
    }
    let description = non_blank(advisory.description.as_deref()).unwrap_or_default();
    match (description.is_empty(), lines.is_empty()) {
        (_, true) => description,
        (true, false) => lines.join("\n"),
        (false, false) => format!("{description}\n\n{}", lines.join("\n")),
    }
}

/// The matched dependency. The advisory's ecosystem is that of its first
/// vulnerable package, which need not be the matched one (a `gem` advisory
/// matched a `grpcio` requirement), so it is taken only when the advisory
/// names the matched package; else the package manager, when there is one.
fn export_package(vuln: &Vuln) -> Option<Package> {
    let matched = vuln.matched_dependency.as_ref()?;
    let name = non_blank(matched.name.as_deref())?;
    let advisory = &vuln.advisory;
    let names_it =
        advisory.vulnerable_dependencies.iter().any(|d| d.name.as_deref() == Some(name.as_str()));
    let manager = non_blank(vuln.package_manager.as_deref()).filter(|m| m != "no_package_manager");
    let ecosystem =
        if names_it { non_blank(advisory.ecosystem.as_deref()).or(manager) } else { manager };
    Some(Package {
        version: non_blank(matched.version_specifier.as_deref()),
        ecosystem,
        fixed_version: vuln
            .closest_safe_dependency
            .as_ref()
            .and_then(|d| non_blank(d.version_specifier.as_deref())),
        name,
        ..Package::default()
    })
}

/// Findings triaged as ignored, closed or fixed in Semgrep open no ticket.
fn triage_suppression(triage: &Triage) -> Option<Suppression> {
    let status = non_blank(triage.status.as_deref())?;
    if !["IGNORED", "CLOSED", "FIXED"].contains(&status.to_ascii_uppercase().as_str()) {
        return None;
    }
    let reason = non_blank(triage.dismiss_reason.as_deref()).filter(|r| r != "UNKNOWN_REASON");
    let justification = match reason {
        Some(reason) => format!("triaged in Semgrep as {status}: {reason}"),
        None => format!("triaged in Semgrep as {status}"),
    };
    Some(Suppression { kind: "external".into(), justification: Some(justification) })
}

/// Semgrep without a login writes `requires login` where the matched lines
/// and the fingerprint would be.
fn is_placeholder(text: &str) -> bool {
    text.trim().eq_ignore_ascii_case("requires login")
}

/// The first sentence of the first line of `text`.
fn first_sentence(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    match line.find(". ") {
        Some(end) => line.get(..=end).unwrap_or(line).to_string(),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests;
