//! OWASP Dependency-Check reports, JSON (report schema 1.1) and XML (root
//! `analysis`, schemas `dependency-check.1.x` to `4.x`). The parser looks at
//! the first non-blank byte to tell JSON from XML; `model` mirrors the JSON,
//! `from_xml` converts the XML into it, and this module turns it into
//! findings.
//!
//! # Counting
//!
//! One finding per vulnerability of each dependency, and one per
//! suppressed vulnerability, kept with its suppression (kind `external`:
//! Dependency-Check suppresses from a suppression file). Related
//! dependencies (the same library found again elsewhere) carry no findings
//! of their own.
//!
//! # Severity
//!
//! The vulnerability's `severity` word (`CRITICAL`, `HIGH`, `MEDIUM` or
//! `MODERATE`, `LOW`, `INFO`), which Dependency-Check takes from the newest
//! CVSS version it has or from the advisory; else the CVSS v4, v3 and v2
//! severity words, in that order; else their base scores by the CVSS bands.
//! A vulnerability with none of these (`Unknown`) is info, and kept.
//!
//! # Fields
//!
//! `name` (a CVE, GHSA, OSS Index or NPM id, or a CWE's name) is the rule
//! and, unless it is a CWE or a bare number, the advisory; `cwes` (or the
//! old single `cwe`, or the CWE the name is) the CWEs; `description` (and
//! `notes`) the message; `references[].url` the references, the first as
//! the help link; the CVSS v3 rating (its vector rebuilt from the metric
//! fields), else v4 (its `vectorString`), else v2, the CVSS; the matched
//! vulnerable software's `versionEndExcluding` the fixed version. The
//! package is the dependency's first package URL, else its Maven identifier,
//! else the product and version evidence of the highest confidence, else its
//! file name; the location is the dependency's `fileName` (relative to the
//! scanned archive or directory), else its `filePath`.

mod from_xml;
mod model;

use std::io::Read;

use fixgate_domain::{Cvss, Finding, Location, Package, RunInfo, Severity, Suppression};

use crate::common::{emit, non_blank, severity_word};
use crate::purl::Purl;
use crate::syntax::{self, Syntax};
use crate::{Options, ParseError, Shape, Sink, ids, json, xml};
use model::{Dependency, EvidenceItem, Report, Vulnerability};

pub(crate) const NAME: &str = "dependency-check";

const TOOL: &str = "Dependency-Check";

pub(crate) fn sniff(shape: &Shape) -> bool {
    if shape.is_json() {
        return shape.has("scanInfo.engineVersion")
            && (shape.has("reportSchema") || shape.has("projectInfo"));
    }
    shape.is_xml_root("analysis") && shape.text.to_ascii_lowercase().contains("dependency-check")
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let report = read(reader, options)?;
    for dependency in report.dependencies.iter().flatten() {
        let place = Place::of(dependency);
        for vulnerability in &dependency.vulnerabilities {
            emit(sink, finding(vulnerability, &place))?;
        }
        for vulnerability in &dependency.suppressed_vulnerabilities {
            let mut finding = finding(vulnerability, &place);
            finding.suppression = Some(Suppression {
                kind: "external".into(),
                justification: non_blank(vulnerability.notes.as_deref()),
            });
            emit(sink, finding)?;
        }
    }
    let tool_version = report.scan_info.and_then(|s| non_blank(s.engine_version.as_deref()));
    let run = RunInfo { tool: TOOL.into(), tool_version, ..RunInfo::default() };
    sink.run(0, run).map_err(ParseError::Sink)
}

/// Reads the report as JSON or XML, whichever it is.
fn read(reader: &mut dyn Read, options: &Options) -> Result<Report, ParseError> {
    let mut peeked = syntax::peek(reader)?;
    match peeked.syntax {
        Syntax::Json => {
            let report: Report = json::document(&mut peeked.reader, &options.limits, NAME)?;
            if report.scan_info.is_none() && report.dependencies.is_none() {
                return Err(wrong_shape("a JSON document without scanInfo or dependencies"));
            }
            Ok(report)
        }
        Syntax::Xml => {
            let root = peeked.shape().xml_root;
            if let Some(root) = root.filter(|r| r != "analysis") {
                return Err(wrong_shape(&format!("an XML document whose root is <{root}>")));
            }
            let report: from_xml::Analysis =
                xml::document(&mut peeked.reader, &options.limits, NAME)?;
            Ok(report.into_model())
        }
        Syntax::Empty => Err(wrong_shape("an empty file")),
        Syntax::Other => Err(wrong_shape("neither JSON nor XML")),
    }
}

fn wrong_shape(found: &str) -> ParseError {
    ParseError::WrongShape { format: NAME, found: found.into() }
}

/// What the findings of one dependency share: the package and where it is.
struct Place {
    package: Package,
    location: Option<Location>,
}

impl Place {
    fn of(dependency: &Dependency) -> Place {
        let file = non_blank(dependency.file_name.as_deref())
            .or_else(|| non_blank(dependency.file_path.as_deref()));
        let package = package_of(dependency).unwrap_or_else(|| Package {
            name: file.clone().unwrap_or_else(|| "unknown".into()),
            ..Package::default()
        });
        let location = file.map(|path| Location { path: Some(path), ..Location::default() });
        Place { package, location }
    }
}

/// The package a dependency is: its first package URL, else its Maven
/// identifier, else its evidence.
fn package_of(dependency: &Dependency) -> Option<Package> {
    let purl = dependency.packages.iter().filter_map(|p| p.id.as_deref()).find_map(|id| {
        Purl::parse(id).map(|purl| Package {
            name: purl.package_name(),
            version: purl.version.clone(),
            purl: Some(id.trim().to_string()),
            ecosystem: Some(purl.kind),
            fixed_version: None,
        })
    });
    purl.or_else(|| maven_identifier(dependency)).or_else(|| from_evidence(dependency))
}

/// A `maven` identifier's `group:artifact:version`.
fn maven_identifier(dependency: &Dependency) -> Option<Package> {
    let identifier = dependency.identifiers.iter().find(|i| {
        i.kind.as_deref().is_some_and(|k| k.eq_ignore_ascii_case("maven")) && i.name.is_some()
    })?;
    let coordinates = non_blank(identifier.name.as_deref())?;
    let (name, version) = match coordinates.matches(':').count() {
        0 | 1 => (coordinates.clone(), None),
        _ => coordinates
            .rsplit_once(':')
            .map(|(name, version)| (name.to_string(), Some(version.to_string())))?,
    };
    Some(Package { name, version, ecosystem: Some("maven".into()), ..Package::default() })
}

/// The product and version evidence Dependency-Check is most confident of.
fn from_evidence(dependency: &Dependency) -> Option<Package> {
    let evidence = dependency.evidence_collected.as_ref()?;
    let name = best(&evidence.product_evidence)?;
    Some(Package { name, version: best(&evidence.version_evidence), ..Package::default() })
}

/// The value of the most confident item; among equals a `version` named
/// item, then the first.
fn best(items: &[EvidenceItem]) -> Option<String> {
    let rank = |item: &EvidenceItem| {
        let confidence = match item.confidence.as_deref().map(str::trim) {
            Some(c) if c.eq_ignore_ascii_case("HIGHEST") => 0,
            Some(c) if c.eq_ignore_ascii_case("HIGH") => 1,
            Some(c) if c.eq_ignore_ascii_case("MEDIUM") => 2,
            _ => 3,
        };
        (confidence, item.name.as_deref() != Some("version"))
    };
    let usable = items.iter().filter(|item| non_blank(item.value.as_deref()).is_some());
    usable.min_by_key(|item| rank(item)).and_then(|item| non_blank(item.value.as_deref()))
}

fn finding(vulnerability: &Vulnerability, place: &Place) -> Finding {
    let name = non_blank(vulnerability.name.as_deref()).unwrap_or_else(|| "unknown".into());
    let (severity, tool_severity) = severity(vulnerability);
    let mut package = place.package.clone();
    package.fixed_version = fixed_version(vulnerability);
    let title = match &package.version {
        Some(version) => format!("{name} in {} {version}", package.name),
        None => format!("{name} in {}", package.name),
    };

    let mut finding = Finding::new(TOOL, name.clone(), title, severity);
    finding.tool_severity = tool_severity;
    finding.message = message(vulnerability);
    finding.cvss = cvss(vulnerability);
    let names_a_cwe = name.get(..4).is_some_and(|head| head.eq_ignore_ascii_case("cwe-"));
    if names_a_cwe {
        finding.add_cwe(ids::cwe_number(&name).unwrap_or(0));
    } else if !name.bytes().all(|b| b.is_ascii_digit()) {
        finding.add_advisory(&name);
    }
    for cwe in vulnerability.cwes.iter().filter_map(|c| c.0) {
        finding.add_cwe(cwe);
    }
    for url in vulnerability.references.iter().filter_map(|r| r.url.as_deref()) {
        finding.add_reference(url);
    }
    finding.help_uri = finding.references.first().cloned();
    finding.package = Some(package);
    finding.location = place.location.clone();
    finding
}

/// The description, and the notes when there are any.
fn message(vulnerability: &Vulnerability) -> String {
    let description = non_blank(vulnerability.description.as_deref()).unwrap_or_default();
    match non_blank(vulnerability.notes.as_deref()) {
        Some(notes) if description.is_empty() => format!("Notes: {notes}"),
        Some(notes) => format!("{description}\n\nNotes: {notes}"),
        None => description,
    }
}

/// The severity and the tool's own value for it.
fn severity(vulnerability: &Vulnerability) -> (Severity, Option<String>) {
    let words = [
        vulnerability.severity.as_deref(),
        vulnerability.cvssv4.as_ref().and_then(|c| c.base_severity.as_deref()),
        vulnerability.cvssv3.as_ref().and_then(|c| c.base_severity.as_deref()),
        vulnerability.cvssv2.as_ref().and_then(|c| c.severity.as_deref()),
    ];
    for word in words.into_iter().flatten() {
        if let Some(severity) = severity_word(word) {
            return (severity, Some(word.trim().to_string()));
        }
    }
    let scores = [
        vulnerability.cvssv4.as_ref().and_then(|c| c.base_score),
        vulnerability.cvssv3.as_ref().and_then(|c| c.base_score),
        vulnerability.cvssv2.as_ref().and_then(|c| c.score),
    ];
    match scores.into_iter().flatten().next() {
        Some(score) => (Severity::from_score(score), Some(score.to_string())),
        None => (Severity::Info, non_blank(vulnerability.severity.as_deref())),
    }
}

/// CVSS v3 first, then v4, then v2.
fn cvss(vulnerability: &Vulnerability) -> Option<Cvss> {
    let v3 =
        vulnerability.cvssv3.as_ref().map(|c| Cvss { score: c.base_score, vector: v3_vector(c) });
    let v4 = vulnerability
        .cvssv4
        .as_ref()
        .map(|c| Cvss { score: c.base_score, vector: non_blank(c.vector_string.as_deref()) });
    let v2 = vulnerability.cvssv2.as_ref().map(|c| Cvss { score: c.score, vector: v2_vector(c) });
    [v3, v4, v2].into_iter().flatten().find(|c| c.score.is_some() || c.vector.is_some())
}

/// `CVSS:3.1/AV:N/...` from the metric fields, which Dependency-Check writes
/// as words (`NETWORK`) or letters (`N`); the first letter is the metric's
/// value either way. Without a version the prefix is left out.
fn v3_vector(cvss: &model::CvssV3) -> Option<String> {
    let metrics = [
        ("AV", &cvss.attack_vector),
        ("AC", &cvss.attack_complexity),
        ("PR", &cvss.privileges_required),
        ("UI", &cvss.user_interaction),
        ("S", &cvss.scope),
        ("C", &cvss.confidentiality_impact),
        ("I", &cvss.integrity_impact),
        ("A", &cvss.availability_impact),
    ];
    let body = vector(&metrics)?;
    Some(match non_blank(cvss.version.as_deref()) {
        Some(version) => format!("CVSS:{version}/{body}"),
        None => body,
    })
}

/// `AV:N/AC:L/Au:N/C:P/I:P/A:P` from the metric fields.
fn v2_vector(cvss: &model::CvssV2) -> Option<String> {
    vector(&[
        ("AV", &cvss.access_vector),
        ("AC", &cvss.access_complexity),
        ("Au", &cvss.authentication),
        ("C", &cvss.confidentiality_impact),
        ("I", &cvss.integrity_impact),
        ("A", &cvss.availability_impact),
    ])
}

/// The metrics joined as a vector; `None` unless every metric has a value.
fn vector(metrics: &[(&str, &Option<String>)]) -> Option<String> {
    let parts: Option<Vec<String>> = metrics
        .iter()
        .map(|(key, value)| {
            let letter = value.as_deref()?.trim().chars().next()?.to_ascii_uppercase();
            Some(format!("{key}:{letter}"))
        })
        .collect();
    Some(parts?.join("/"))
}

/// The first version outside the range the vulnerability was matched by.
fn fixed_version(vulnerability: &Vulnerability) -> Option<String> {
    vulnerability
        .vulnerable_software
        .iter()
        .filter_map(|v| v.software.as_ref())
        .filter(|s| s.vulnerability_id_matched)
        .find_map(|s| non_blank(s.version_end_excluding.as_deref()))
}

#[cfg(test)]
mod tests;
