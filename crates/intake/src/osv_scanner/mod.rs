//! OSV-Scanner JSON output (`osv-scanner --format json`, versions 1 and 2):
//! for each scanned source (a lock file, an SBOM, an image), the packages
//! with known vulnerabilities, their OSV records, and the groups OSV-Scanner
//! forms of records that are aliases of one another.
//!
//! # Counting
//!
//! One finding per group per package: the ids of a group (`GHSA-…`,
//! `PYSEC-…`) name one problem. A record that no group lists is a group of
//! its own. A clean scan is `{"results": []}`; an empty file is refused (see
//! [`parse`]).
//!
//! # Severity
//!
//! The group's `max_severity` (the highest CVSS base score of its records)
//! by the CVSS bands; else the highest severity word of its records
//! (`database_specific.severity`, GitHub's `CRITICAL`/`HIGH`/`MODERATE`/
//! `LOW`, or a non-CVSS `severity[]` entry such as Ubuntu's); else critical
//! for a malicious package (a `MAL-` id: the OpenSSF malicious-packages
//! database rates none, and a compromised dependency is the worst case);
//! else info, kept.
//!
//! # Fields
//!
//! The group's first id is the rule; its ids, its aliases and its records'
//! aliases are the advisories; the first record's `summary` and `details`
//! the message; `database_specific.cwe_ids` and the affected entries'
//! `database_specific.cwes` the CWEs; the records' `references[].url` the
//! references and `https://osv.dev/vulnerability/<id>` the help link; the
//! CVSS vector of a `severity[]` entry (v3, then v4, then v2) with the
//! group's `max_severity` as the score; the package's name, version (or
//! commit) and ecosystem, with the `fixed` versions of the records' ranges
//! for that package; the source's `path` as the location. When call
//! analysis says no record of the group is called, or marks one
//! unimportant, the finding is suppressed (kind `analysis`).

mod model;

use std::io::Read;

use fixgate_domain::{Cvss, Finding, Location, Package, RunInfo, Severity, Suppression, Vex};

use crate::common::{emit, non_blank, severity_word};
use crate::syntax::{self, Syntax};
use crate::{Options, ParseError, Shape, Sink, json};
use model::{Group, Output, PackageInfo, PackageVulns, Record};

pub(crate) const NAME: &str = "osv-scanner";

const TOOL: &str = "OSV-Scanner";

pub(crate) fn sniff(shape: &Shape) -> bool {
    shape.kind == crate::shape::Kind::Object
        && shape.has("results")
        && (shape.has("results[].packages") || shape.has("experimental_config"))
        && (shape.has("results[].source") || !shape.has("results[].packages"))
}

/// Reads an OSV-Scanner report.
///
/// An empty file is an error, not a clean scan: OSV-Scanner writes
/// `{"results": []}` when it finds nothing, so an empty upload means the
/// scan did not run or its output was lost, and taking it for a clean scan
/// would close every open finding of the scope as verified.
pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let mut peeked = syntax::peek(reader)?;
    match peeked.syntax {
        Syntax::Json => {}
        Syntax::Empty => return Err(wrong_shape(EMPTY)),
        Syntax::Xml | Syntax::Other => return Err(wrong_shape("not JSON")),
    }
    let output: Output = json::document(&mut peeked.reader, &options.limits, NAME)?;
    let Some(results) = output.results else {
        return Err(wrong_shape("a JSON document without results"));
    };

    for result in results.iter().flatten() {
        let path = result.source.as_ref().and_then(|s| non_blank(s.path.as_deref()));
        for package in &result.packages {
            for finding in findings(package, path.as_deref()) {
                emit(sink, finding)?;
            }
        }
    }
    sink.run(0, RunInfo { tool: TOOL.into(), ..RunInfo::default() }).map_err(ParseError::Sink)
}

const EMPTY: &str = "an empty file. OSV-Scanner writes {\"results\": []} when it finds \
                     nothing, so an empty file means the scan did not run or its output was \
                     lost; upload the report it wrote";

fn wrong_shape(found: &str) -> ParseError {
    ParseError::WrongShape { format: NAME, found: found.into() }
}

/// One finding per group of the package; a record no group lists is a
/// group of its own.
fn findings(package: &PackageVulns, path: Option<&str>) -> Vec<Finding> {
    let info = package.package.as_ref();
    let is_grouped = |id: &String| package.groups.iter().any(|g| g.ids.contains(id));
    let ungrouped: Vec<Group> = package
        .vulnerabilities
        .iter()
        .filter_map(|r| r.id.as_ref())
        .filter(|id| !is_grouped(id))
        .map(|id| Group { ids: vec![id.clone()], ..Group::default() })
        .collect();
    package
        .groups
        .iter()
        .chain(&ungrouped)
        .map(|group| {
            let records: Vec<&Record> = package
                .vulnerabilities
                .iter()
                .filter(|r| r.id.as_ref().is_some_and(|id| group.ids.contains(id)))
                .collect();
            finding(group, &records, info, path)
        })
        .collect()
}

fn finding(
    group: &Group,
    records: &[&Record],
    info: Option<&PackageInfo>,
    path: Option<&str>,
) -> Finding {
    let id = group
        .ids
        .iter()
        .find_map(|id| non_blank(Some(id)))
        .or_else(|| records.iter().find_map(|r| non_blank(r.id.as_deref())))
        .unwrap_or_else(|| "unknown".into());
    let (severity, tool_severity) = severity(&id, group, records);
    let package = package(info, records);
    let title = match (&package.version, package.name.is_empty()) {
        (_, true) => id.clone(),
        (Some(version), false) => format!("{id} in {} {version}", package.name),
        (None, false) => format!("{id} in {}", package.name),
    };

    let mut finding = Finding::new(TOOL, id.clone(), title, severity);
    finding.tool_severity = tool_severity;
    finding.message = message(records);
    finding.help_uri = Some(format!("https://osv.dev/vulnerability/{id}"));
    finding.cvss = cvss(group, records);
    let aliases = records.iter().flat_map(|r| r.id.iter().chain(&r.aliases));
    for advisory in group.ids.iter().chain(&group.aliases).chain(aliases) {
        finding.add_advisory(advisory);
    }
    for cwe in records.iter().flat_map(|r| cwes(r)) {
        finding.add_cwe(cwe);
    }
    for url in records.iter().flat_map(|r| &r.references).filter_map(|r| r.url.as_deref()) {
        finding.add_reference(url);
    }
    finding.suppression = suppression(group);
    if finding.suppression.as_ref().is_some_and(|s| s.kind == "analysis") && !is_called(group) {
        finding.vex = Some(Vex {
            state: "not_affected".into(),
            justification: Some("vulnerable_code_not_in_execute_path".into()),
            detail: Some(NOT_CALLED.into()),
        });
    }
    finding.package = (!package.name.is_empty()).then_some(package);
    finding.location = path.map(|path| Location { path: Some(path.into()), ..Location::default() });
    finding
}

const NOT_CALLED: &str = "OSV-Scanner's call analysis found no call to the vulnerable code";

/// The summary and details of the first record that has them.
fn message(records: &[&Record]) -> String {
    let summary = records.iter().find_map(|r| non_blank(r.summary.as_deref()));
    let details = records.iter().find_map(|r| non_blank(r.details.as_deref()));
    match (summary, details) {
        (Some(summary), Some(details)) => format!("{summary}\n\n{details}"),
        (Some(text), None) | (None, Some(text)) => text,
        (None, None) => String::new(),
    }
}

/// The severity and the tool's own value for it.
fn severity(id: &str, group: &Group, records: &[&Record]) -> (Severity, Option<String>) {
    let max = non_blank(group.max_severity.as_deref());
    if let Some(score) = max.as_deref().and_then(|m| m.parse::<f64>().ok()) {
        return (Severity::from_score(score), max);
    }
    let words = records.iter().flat_map(|r| {
        let database = r.database_specific.as_ref().and_then(|d| d.severity.as_deref());
        let other = r
            .severity
            .iter()
            .filter(|s| !s.kind.as_deref().is_some_and(|k| k.starts_with("CVSS")))
            .filter_map(|s| s.score.as_deref());
        database.into_iter().chain(other)
    });
    let rated = words.filter_map(|w| Some((severity_word(w)?, w.trim().to_string())));
    if let Some((severity, word)) = rated.max_by_key(|(severity, _)| *severity) {
        return (severity, Some(word));
    }
    let malicious = std::iter::once(id)
        .chain(group.ids.iter().map(String::as_str))
        .any(|id| id.starts_with("MAL-"));
    (if malicious { Severity::Critical } else { Severity::Info }, None)
}

/// A CVSS vector of the group's records (v3, then v4, then v2), with the
/// group's highest score.
fn cvss(group: &Group, records: &[&Record]) -> Option<Cvss> {
    let score = group.max_severity.as_deref().and_then(|m| m.trim().parse::<f64>().ok());
    let vector_of = |kind: &str| {
        records
            .iter()
            .flat_map(|r| &r.severity)
            .filter(|s| s.kind.as_deref() == Some(kind))
            .find_map(|s| non_blank(s.score.as_deref()))
    };
    let vector =
        vector_of("CVSS_V3").or_else(|| vector_of("CVSS_V4")).or_else(|| vector_of("CVSS_V2"));
    (score.is_some() || vector.is_some()).then_some(Cvss { score, vector })
}

fn cwes(record: &Record) -> impl Iterator<Item = u32> + '_ {
    let own = record.database_specific.iter().flat_map(|d| d.cwe_ids.iter().chain(&d.cwes));
    let affected = record
        .affected
        .iter()
        .filter_map(|a| a.database_specific.as_ref())
        .flat_map(|d| d.cwe_ids.iter().chain(&d.cwes));
    own.chain(affected).filter_map(|c| c.0)
}

/// The package as scanned, with the versions that fix the group's records
/// for it.
fn package(info: Option<&PackageInfo>, records: &[&Record]) -> Package {
    let name = info.and_then(|i| non_blank(i.name.as_deref())).unwrap_or_default();
    let ecosystem = info.and_then(|i| non_blank(i.ecosystem.as_deref()));
    let version = info
        .and_then(|i| non_blank(i.version.as_deref()).or_else(|| non_blank(i.commit.as_deref())));
    let mut fixed: Vec<String> = Vec::new();
    for affected in records.iter().flat_map(|r| &r.affected) {
        let target = affected.package.as_ref();
        let same_name = target.and_then(|p| p.name.as_deref()).map(str::trim) == Some(&name);
        let same_ecosystem = match (target.and_then(|p| p.ecosystem.as_deref()), &ecosystem) {
            (Some(theirs), Some(ours)) => {
                ecosystem_base(theirs).eq_ignore_ascii_case(ecosystem_base(ours))
            }
            _ => true,
        };
        if !same_name || !same_ecosystem {
            continue;
        }
        let events = affected.ranges.iter().flat_map(|r| &r.events);
        for version in events.filter_map(|e| non_blank(e.fixed.as_deref())) {
            if !fixed.contains(&version) {
                fixed.push(version);
            }
        }
    }
    Package {
        name,
        version,
        ecosystem,
        purl: None,
        fixed_version: (!fixed.is_empty()).then(|| fixed.join(", ")),
    }
}

/// `Debian:11` → `Debian`: OSV qualifies some ecosystems with a release.
fn ecosystem_base(ecosystem: &str) -> &str {
    ecosystem.split(':').next().unwrap_or(ecosystem).trim()
}

/// Whether call analysis, where it was run, found a call into any of the
/// group's records.
fn is_called(group: &Group) -> bool {
    group.analysis.is_empty() || group.analysis.values().any(|a| a.called)
}

fn suppression(group: &Group) -> Option<Suppression> {
    let why = if !is_called(group) {
        NOT_CALLED
    } else if group.analysis.values().any(|a| a.unimportant) {
        "OSV-Scanner marks it unimportant"
    } else {
        return None;
    };
    Some(Suppression { kind: "analysis".into(), justification: Some(why.into()) })
}

#[cfg(test)]
mod tests;
