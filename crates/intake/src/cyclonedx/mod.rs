//! CycloneDX BOMs with vulnerabilities (VEX/VDR), JSON and XML, spec 1.4 to
//! 1.6, and the vulnerability extension of spec 1.0 to 1.3 XML BOMs (as
//! Grype wrote them). The parser looks at the first non-blank byte to tell
//! JSON from XML; `model` mirrors the JSON, `from_xml` converts the XML into
//! it, and this module turns it into findings.
//!
//! The report's text is read once and walked (`stream` for JSON, `from_xml`
//! for XML): the components are indexed by `bom-ref`, and each vulnerability
//! is converted and handed on as soon as it is read, so a parse needs little
//! memory beyond the text and the components, however many vulnerabilities
//! the BOM lists.
//!
//! # Counting
//!
//! One finding per vulnerability and affected component (`affects[].ref`,
//! resolved through the `bom-ref` of components nested at any depth and of
//! `metadata.component`). A vulnerability that affects nothing listed is one
//! finding without a package. A BOM without vulnerabilities is a clean scan.
//!
//! # Severity
//!
//! From the ratings, CVSS v3.1 first, then v3.0, then v4, then the others
//! in report order: the first rating's severity word (`critical`, `high`,
//! `medium`, `low`, `info`/`none` as info), else its score by the CVSS bands
//! (9.0 critical, 7.0 high, 4.0 medium, above 0 low). A vulnerability with
//! no usable rating (`unknown`, or none at all) is info, and kept.
//!
//! # Fields
//!
//! `id` is the rule and the first advisory, `references[].id` (aliases such
//! as a GHSA's CVE) further advisories; `cwes`, `description` (+ `detail`)
//! as the message, `recommendation` (+ `workaround`) as the remediation,
//! `source.url` as the help link, `advisories[].url` as references; the CVSS
//! rating (with a `CVSS:3.x/` prefix added from its method when the vector
//! lacks one) as the CVSS; the component's name (or `group/name` when it
//! has no purl), version, purl and the purl's type as the package; the BOM's
//! subject (`metadata.component.name`) as the location. `analysis` becomes
//! the VEX; states `not_affected`, `false_positive`, `resolved` and
//! `resolved_with_pedigree` also suppress the finding.

mod from_xml;
mod model;
mod stream;

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::Read;

use fixgate_domain::{Cvss, Finding, Location, Package, RunInfo, Severity, Suppression, Vex};

use crate::common::{emit, non_blank, severity_word};
use crate::purl::Purl;
use crate::syntax::{self, Syntax};
use crate::{Options, ParseError, Shape, Sink};
use model::{Component, Metadata, Rating, Tools, Vulnerability};

pub(crate) const NAME: &str = "cyclonedx";

/// The tool named when the BOM names none.
const DEFAULT_TOOL: &str = "CycloneDX";

/// VEX states that say the finding needs no work.
const SUPPRESSING_STATES: &[&str] =
    &["not_affected", "false_positive", "resolved", "resolved_with_pedigree"];

pub(crate) fn sniff(shape: &Shape) -> bool {
    if shape.is_json() {
        return shape.has("bomFormat") && shape.text.contains("CycloneDX");
    }
    shape.is_xml_root("bom") && shape.text.contains("cyclonedx.org/schema/bom")
}

/// Reads the BOM as JSON or XML, whichever it is.
pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let mut peeked = syntax::peek(reader)?;
    match peeked.syntax {
        Syntax::Json => stream::parse(&mut peeked.reader, options, sink),
        Syntax::Xml => {
            let root = peeked.shape().xml_root;
            if let Some(root) = root.filter(|r| r != "bom") {
                return Err(wrong_shape(format!("an XML document whose root is <{root}>")));
            }
            from_xml::parse(&mut peeked.reader, options, sink)
        }
        Syntax::Empty => Err(wrong_shape("an empty file".into())),
        Syntax::Other => Err(wrong_shape("neither JSON nor XML".into())),
    }
}

fn wrong_shape(found: String) -> ParseError {
    ParseError::WrongShape { format: NAME, found }
}

/// What every finding of a BOM shares: known once its metadata and its
/// components have been read.
struct Context<'a> {
    tool: String,
    tool_version: Option<String>,
    /// What the BOM describes (`metadata.component.name`): an image, an
    /// application, a lock file.
    subject: Option<String>,
    index: ComponentIndex<'a>,
}

impl<'a> Context<'a> {
    fn new(metadata: Option<Metadata<'a>>, components: Vec<Component<'a>>) -> Context<'a> {
        let metadata = metadata.unwrap_or_default();
        let (tool, tool_version) = tool_of(metadata.tools.as_ref());
        let subject = metadata.component.as_ref().and_then(|c| non_blank(c.name.as_deref()));
        let index = ComponentIndex::of(metadata.component, components);
        Context { tool, tool_version, subject, index }
    }

    /// Converts one vulnerability and hands on its findings.
    fn emit(&self, sink: &mut dyn Sink, vulnerability: &Vulnerability) -> Result<(), ParseError> {
        let base = self.finding(vulnerability);
        let mut targets = vulnerability.affects.iter().filter_map(|a| a.target.as_deref());
        let Some(mut target) = targets.next() else { return emit(sink, base) };
        for next in targets {
            let mut finding = base.clone();
            affect(&mut finding, target, self.index.get(target));
            emit(sink, finding)?;
            target = next;
        }
        let mut finding = base;
        affect(&mut finding, target, self.index.get(target));
        emit(sink, finding)
    }

    /// Reports the run, after every finding.
    fn finish(self, sink: &mut dyn Sink) -> Result<(), ParseError> {
        // A BOM of one image or application is not a scan of another: its
        // subject, without an image's tag, is the scan's category.
        let category =
            self.subject.as_deref().map(|s| format!("bom:{}", crate::trivy::without_tag(s)));
        let info = RunInfo {
            tool: self.tool,
            tool_version: self.tool_version,
            category,
            ..RunInfo::default()
        };
        sink.run(0, info).map_err(ParseError::Sink)
    }

    /// The finding without its component.
    fn finding(&self, vulnerability: &Vulnerability) -> Finding {
        let id = non_blank(vulnerability.id.as_deref()).unwrap_or_else(|| "unknown".into());
        let (severity, tool_severity) = severity(&vulnerability.ratings);
        let mut finding = Finding::new(self.tool.as_str(), id.clone(), id.clone(), severity);
        finding.tool_severity = tool_severity;
        finding.message = message(vulnerability);
        finding.remediation = remediation(vulnerability);
        finding.cvss = cvss(&vulnerability.ratings);
        finding.add_advisory(&id);
        for alias in &vulnerability.references {
            finding.add_advisory(alias.id.as_deref().unwrap_or(""));
        }
        for cwe in vulnerability.cwes.iter().filter_map(|c| c.0) {
            finding.add_cwe(cwe);
        }
        let source_url = vulnerability.source.as_ref().and_then(|s| non_blank(s.url.as_deref()));
        let alias_urls = vulnerability.references.iter().filter_map(|a| a.source.as_ref());
        let urls = source_url
            .as_deref()
            .into_iter()
            .chain(vulnerability.advisories.iter().filter_map(|a| a.url.as_deref()))
            .chain(alias_urls.filter_map(|s| s.url.as_deref()));
        for url in urls {
            finding.add_reference(url);
        }
        finding.help_uri = source_url;
        if let Some(analysis) = &vulnerability.analysis {
            apply_analysis(&mut finding, analysis);
        }
        finding.location =
            self.subject.clone().map(|path| Location { path: Some(path), ..Location::default() });
        finding
    }
}

/// The first tool of `metadata.tools` that has a name, with its version.
fn tool_of(tools: Option<&Tools>) -> (String, Option<String>) {
    let tools = match tools {
        Some(Tools::List(tools)) => tools.iter().collect(),
        Some(Tools::Grouped { components, services }) => {
            components.iter().chain(services).collect()
        }
        Some(Tools::Other(_)) | None => Vec::new(),
    };
    tools
        .into_iter()
        .find_map(|t| Some((non_blank(t.name.as_deref())?, non_blank(t.version.as_deref()))))
        .unwrap_or_else(|| (DEFAULT_TOOL.into(), None))
}

/// Every component by its `bom-ref`, nested ones and the BOM's subject
/// included, built once per BOM.
struct ComponentIndex<'a> {
    components: Vec<Component<'a>>,
    by_ref: HashMap<Cow<'a, str>, usize>,
}

impl<'a> ComponentIndex<'a> {
    /// When two components share a `bom-ref`, the one found first wins,
    /// searching the list from its end and each component before the ones
    /// nested in it; the subject comes last.
    fn of(subject: Option<Component<'a>>, components: Vec<Component<'a>>) -> ComponentIndex<'a> {
        let mut index = ComponentIndex { components: Vec::new(), by_ref: HashMap::new() };
        let mut pending: Vec<Component<'a>> = subject.into_iter().chain(components).collect();
        while let Some(mut component) = pending.pop() {
            let nested = std::mem::take(&mut component.components);
            if let Some(bom_ref) = component.bom_ref.take()
                && let Entry::Vacant(slot) = index.by_ref.entry(bom_ref.0)
            {
                slot.insert(index.components.len());
                index.components.push(component);
            }
            pending.extend(nested);
        }
        index
    }

    fn get(&self, bom_ref: &str) -> Option<&Component<'a>> {
        self.components.get(*self.by_ref.get(bom_ref)?)
    }
}

/// Sets the package and title of `finding` for the component `target` names.
fn affect(finding: &mut Finding, target: &str, component: Option<&Component>) {
    let package = match component {
        Some(component) => package(component),
        None => Purl::parse(target).map(|purl| Package {
            name: purl.package_name(),
            version: purl.version.clone(),
            ecosystem: Some(purl.kind.clone()),
            purl: Some(target.to_string()),
            fixed_version: None,
        }),
    };
    match package {
        Some(package) => {
            finding.title = match &package.version {
                Some(version) => format!("{} in {} {version}", finding.rule_id, package.name),
                None => format!("{} in {}", finding.rule_id, package.name),
            };
            finding.package = Some(package);
        }
        None => {
            finding.message.push_str(&format!(
                "\n\nThe BOM lists no component with the bom-ref {target:?} this vulnerability affects."
            ));
        }
    }
}

/// The component as a package; `None` for a component without a name.
fn package(component: &Component) -> Option<Package> {
    let name = non_blank(component.name.as_deref())?;
    let purl = non_blank(component.purl.as_deref());
    let parsed = purl.as_deref().and_then(Purl::parse);
    let group = non_blank(component.group.as_deref());
    let name = match (&group, &parsed) {
        (Some(group), None) => format!("{group}/{name}"),
        _ => name,
    };
    Some(Package {
        name,
        version: non_blank(component.version.as_deref())
            .or_else(|| parsed.as_ref().and_then(|p| p.version.clone())),
        ecosystem: parsed.map(|p| p.kind),
        purl,
        fixed_version: None,
    })
}

/// The description, and the detail when it adds something.
fn message(vulnerability: &Vulnerability) -> String {
    let description = non_blank(vulnerability.description.as_deref());
    let detail = non_blank(vulnerability.detail.as_deref());
    match (description, detail) {
        (Some(description), Some(detail)) if detail != description => {
            format!("{description}\n\n{detail}")
        }
        (Some(text), _) | (None, Some(text)) => text,
        (None, None) => String::new(),
    }
}

fn remediation(vulnerability: &Vulnerability) -> Option<String> {
    let recommendation = non_blank(vulnerability.recommendation.as_deref());
    let workaround = non_blank(vulnerability.workaround.as_deref());
    match (recommendation, workaround) {
        (Some(recommendation), Some(workaround)) => {
            Some(format!("{recommendation}\n\nWorkaround: {workaround}"))
        }
        (Some(recommendation), None) => Some(recommendation),
        (None, Some(workaround)) => Some(format!("Workaround: {workaround}")),
        (None, None) => None,
    }
}

fn apply_analysis(finding: &mut Finding, analysis: &model::Analysis) {
    let Some(state) = non_blank(analysis.state.as_deref()) else { return };
    let justification = non_blank(analysis.justification.as_deref());
    let mut detail = non_blank(analysis.detail.as_deref());
    let responses: Vec<&str> =
        analysis.response.iter().map(|r| r.trim()).filter(|r| !r.is_empty()).collect();
    if !responses.is_empty() {
        // fixgate's VEX has no field of its own for the response.
        let line = format!("Response: {}", responses.join(", "));
        detail = Some(match detail {
            Some(detail) => format!("{detail}\n{line}"),
            None => line,
        });
    }
    if SUPPRESSING_STATES.contains(&state.as_str()) {
        let why = match (&justification, non_blank(analysis.detail.as_deref())) {
            (Some(code), Some(text)) => format!("{state} ({code}): {text}"),
            (Some(code), None) => format!("{state} ({code})"),
            (None, Some(text)) => format!("{state}: {text}"),
            (None, None) => state.clone(),
        };
        finding.suppression = Some(Suppression { kind: "vex".into(), justification: Some(why) });
    }
    finding.vex = Some(Vex { state, justification, detail });
}

/// How much a rating's method is trusted for severity and CVSS: lower first.
fn method_rank(rating: &Rating) -> u8 {
    match rating.method.as_deref().map(str::trim) {
        Some(m) if m.eq_ignore_ascii_case("CVSSv31") => 0,
        Some(m) if m.eq_ignore_ascii_case("CVSSv3") => 1,
        Some(m) if m.eq_ignore_ascii_case("CVSSv4") => 2,
        _ => 3,
    }
}

/// The ratings, most trusted first, report order among equals.
fn ranked<'r, 'a>(ratings: &'r [Rating<'a>]) -> Vec<&'r Rating<'a>> {
    let mut ranked: Vec<&Rating> = ratings.iter().collect();
    ranked.sort_by_key(|r| method_rank(r));
    ranked
}

/// The severity and the tool's own value for it.
fn severity(ratings: &[Rating]) -> (Severity, Option<String>) {
    for rating in ranked(ratings) {
        let word = non_blank(rating.severity.as_deref());
        if let Some(severity) = word.as_deref().and_then(severity_word) {
            return (severity, word);
        }
        if let Some(score) = rating.score {
            return (Severity::from_score(score), Some(score.to_string()));
        }
    }
    let unknown = ratings.iter().find_map(|r| non_blank(r.severity.as_deref()));
    (Severity::Info, unknown)
}

/// The most trusted CVSS rating (v3.1, v3.0, v4, then v2).
fn cvss(ratings: &[Rating]) -> Option<Cvss> {
    let is_cvss = |r: &&Rating| {
        r.method.as_deref().is_some_and(|m| m.trim().to_ascii_lowercase().starts_with("cvss"))
    };
    let rating = ranked(ratings)
        .into_iter()
        .filter(is_cvss)
        .find(|r| r.score.is_some() || non_blank(r.vector.as_deref()).is_some())?;
    let vector = non_blank(rating.vector.as_deref()).map(|vector| {
        let prefix = match method_rank(rating) {
            0 => "CVSS:3.1/",
            1 => "CVSS:3.0/",
            2 => "CVSS:4.0/",
            _ => "",
        };
        if vector.starts_with("CVSS:") { vector } else { format!("{prefix}{vector}") }
    });
    Some(Cvss { score: rating.score, vector })
}

#[cfg(test)]
mod tests;
