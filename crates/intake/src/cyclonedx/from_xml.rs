//! CycloneDX XML: serde types that mirror the XML schema (spec 1.4 to 1.6,
//! and the vulnerability extension `http://cyclonedx.org/schema/ext/vulnerability/1.0`
//! that BOMs of spec 1.0 to 1.3 carry), converted into the JSON model.
//!
//! Element names are matched without their namespace prefix, so `v:id` of
//! the extension reads like `id`. In the extension a vulnerability sits
//! either inside the component it affects or in the BOM's own list with a
//! `ref` attribute naming the component's `bom-ref`; its score is a `base`
//! element, its advisories are bare URLs and its recommendations a list.
//!
//! The text is read once and checked (`xml::check`); then the `bom` element
//! is walked with serde visitors: `metadata` and `components` are read
//! whole, into types that borrow their text, and each vulnerability of the
//! BOM's list is converted and handed on as soon as it is read. The
//! extension's vulnerabilities inside components come first, as they always
//! did. The schema puts `vulnerabilities` last; in a BOM that puts it before
//! `metadata` or `components`, the list is skipped and the document is
//! walked a second time for it, which costs time but no memory.

use std::borrow::Cow;
use std::fmt;
use std::io::Read;

use fixgate_domain::{Finding, RunInfo};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::model::{self, Text};
use super::{Context, NAME};
use crate::lenient::Cwe;
use crate::{Options, ParseError, Sink, SinkError, ids, input, json, xml};

/// Reads an XML BOM from `reader` and hands its findings to `sink`.
pub(super) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let limits = &options.limits;
    let text = input::read_all(reader, limits.max_bytes).map_err(|e| json::io_error(e, limits))?;
    xml::check(&text, limits)?;
    let mut walk = Walk::new(sink);

    walk.pass(&text, Pass::All)?;
    if walk.skipped {
        walk.pass(&text, Pass::Vulnerabilities)?;
    }
    walk.finish()
}

/// What one walk over the document reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    All,
    /// Only the vulnerabilities, which the first walk skipped.
    Vulnerabilities,
}

/// The state of a parse, shared by all visitors and both walks.
struct Walk<'de, 's> {
    sink: &'s mut dyn Sink,
    /// Why a visitor stopped the walk, when it was not an XML error.
    failure: Option<ParseError>,
    pass: Pass,
    seen: Seen,
    metadata: Option<model::Metadata<'de>>,
    components: Vec<model::Component<'de>>,
    /// The extension's vulnerabilities nested in components, handed on
    /// before the BOM's own list.
    nested: Vec<model::Vulnerability<'de>>,
    /// Known once `metadata` and `components` have been read.
    context: Option<Context<'de>>,
    /// Whether the first walk skipped the vulnerabilities.
    skipped: bool,
}

/// The children of `bom` read so far in this walk.
#[derive(Default)]
struct Seen {
    metadata: bool,
    components: bool,
    vulnerabilities: bool,
}

impl<'de, 's> Walk<'de, 's> {
    fn new(sink: &'s mut dyn Sink) -> Walk<'de, 's> {
        Walk {
            sink,
            failure: None,
            pass: Pass::All,
            seen: Seen::default(),
            metadata: None,
            components: Vec::new(),
            nested: Vec::new(),
            context: None,
            skipped: false,
        }
    }

    /// Walks the document once, as a whole-document parse would read it.
    fn pass(&mut self, text: &'de str, pass: Pass) -> Result<(), ParseError> {
        self.pass = pass;
        self.seen = Seen::default();
        let mut xml = quick_xml::de::Deserializer::from_str(text);

        let Err(error) = BomSeed(&mut *self).deserialize(&mut xml) else { return Ok(()) };
        Err(match self.failure.take() {
            Some(failure) => failure,
            None => located(text, pass, error),
        })
    }

    /// Hands on the nested vulnerabilities and reports the run.
    fn finish(mut self) -> Result<(), ParseError> {
        self.open()?;
        match self.context {
            Some(context) => context.finish(self.sink),
            None => Ok(()),
        }
    }

    /// Whether the BOM's vulnerabilities can be converted as they are read.
    fn ready(&self) -> bool {
        self.context.is_some() || (self.seen.metadata && self.seen.components)
    }

    /// Makes the context from what has been read, and hands on the
    /// vulnerabilities nested in components.
    fn open(&mut self) -> Result<(), ParseError> {
        if self.context.is_none() {
            let components = std::mem::take(&mut self.components);
            self.context = Some(Context::new(self.metadata.take(), components));
        }
        let Some(context) = &self.context else { return Ok(()) };
        for vulnerability in std::mem::take(&mut self.nested) {
            context.emit(self.sink, &vulnerability)?;
        }
        Ok(())
    }

    /// Converts one vulnerability of the BOM's list and hands it on.
    fn emit<E: de::Error>(&mut self, vulnerability: Vulnerability<'de>) -> Result<(), E> {
        let target = vulnerability.target.clone();
        let vulnerability = vulnerability.into_model(target);
        let outcome = match &self.context {
            Some(context) => context.emit(self.sink, &vulnerability),
            None => Ok(()),
        };
        outcome.map_err(|failure| self.fail(failure))
    }

    /// Records why the walk stops and returns the error that unwinds serde.
    fn fail<E: de::Error>(&mut self, failure: ParseError) -> E {
        let error = E::custom(&failure);
        self.failure.get_or_insert(failure);
        error
    }

    /// Keeps the components, taking out the extension's vulnerabilities
    /// nested in them. Those nested in a component without a `bom-ref` get
    /// a reference made up for them, which no real `bom-ref` can equal (it
    /// starts with a control character).
    fn components(&mut self, components: Option<Components<'de>>) {
        let mut made_up = 0;
        let nested = &mut self.nested;
        let mut take_nested = |component: &mut Component<'de>| {
            let Some(vulnerabilities) = component.vulnerabilities.take() else { return };
            let bom_ref = component.bom_ref.get_or_insert_with(|| {
                made_up += 1;
                Text(Cow::Owned(format!("\u{1}nested-{made_up}")))
            });
            for vulnerability in vulnerabilities.vulnerability {
                nested.push(vulnerability.into_model(Some(bom_ref.clone())));
            }
        };
        let mut components = components.map(|c| c.component).unwrap_or_default();
        for component in &mut components {
            visit(component, &mut take_nested);
        }
        self.components = components.into_iter().map(Component::into_model).collect();
    }
}

/// The error a walk stopped at, with the path of the element it is about.
/// Tracking the path costs too much to do in every parse, so the walk that
/// failed is repeated with the path tracked and its findings dropped.
fn located(text: &str, pass: Pass, error: quick_xml::DeError) -> ParseError {
    let mut discard = Discard;
    let mut probe = Walk::new(&mut discard);
    probe.pass = pass;
    let mut xml = quick_xml::de::Deserializer::from_str(text);
    let mut track = serde_path_to_error::Track::new();
    let tracked = serde_path_to_error::Deserializer::new(&mut xml, &mut track);

    let error = BomSeed(&mut probe).deserialize(tracked).err().unwrap_or(error);
    let path = track.path().to_string();
    ParseError::Report {
        format: NAME,
        path: if path.is_empty() { ".".into() } else { path },
        message: error.to_string(),
    }
}

/// A sink that drops what it is given.
struct Discard;

impl Sink for Discard {
    fn finding(&mut self, _: Finding) -> Result<(), SinkError> {
        Ok(())
    }

    fn run(&mut self, _: usize, _: RunInfo) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Marks an element read, failing as serde does when it comes twice.
fn once<E: de::Error>(seen: &mut bool, key: &'static str) -> Result<(), E> {
    if std::mem::replace(seen, true) {
        return Err(E::duplicate_field(key));
    }
    Ok(())
}

/// The `bom` element.
struct BomSeed<'a, 'de, 's>(&'a mut Walk<'de, 's>);

/// The children of `bom` fixgate reads.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Key {
    Metadata,
    Components,
    Vulnerabilities,
    #[serde(other)]
    Other,
}

impl<'de> DeserializeSeed<'de> for BomSeed<'_, 'de, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_struct("Bom", &["metadata", "components", "vulnerabilities"], self)
    }
}

impl<'de> Visitor<'de> for BomSeed<'_, 'de, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("struct Bom")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let walk = self.0;
        let everything = walk.pass == Pass::All;
        while let Some(key) = map.next_key()? {
            match key {
                Key::Metadata if everything => {
                    once(&mut walk.seen.metadata, "metadata")?;
                    let metadata: Option<Metadata> = map.next_value()?;
                    walk.metadata = metadata.map(Metadata::into_model);
                }
                Key::Components if everything => {
                    once(&mut walk.seen.components, "components")?;
                    walk.components(map.next_value()?);
                }
                Key::Vulnerabilities if everything && !walk.ready() => {
                    once(&mut walk.seen.vulnerabilities, "vulnerabilities")?;
                    walk.skipped = true;
                    map.next_value::<IgnoredAny>()?;
                }
                Key::Vulnerabilities => {
                    once(&mut walk.seen.vulnerabilities, "vulnerabilities")?;
                    walk.open().map_err(|failure| walk.fail::<A::Error>(failure))?;
                    map.next_value_seed(List(&mut *walk))?;
                }
                Key::Metadata | Key::Components | Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The BOM's `vulnerabilities`: each `vulnerability` is handed on as soon
/// as it is read.
struct List<'a, 'de, 's>(&'a mut Walk<'de, 's>);

/// The children of `vulnerabilities` fixgate reads.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum ListKey {
    Vulnerability,
    #[serde(other)]
    Other,
}

impl<'de> DeserializeSeed<'de> for List<'_, 'de, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for List<'_, 'de, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("struct Vulnerabilities")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_struct("Vulnerabilities", &["vulnerability"], self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let walk = self.0;
        let mut seen = false;
        while let Some(key) = map.next_key()? {
            match key {
                ListKey::Vulnerability => {
                    once(&mut seen, "vulnerability")?;
                    map.next_value_seed(Each(&mut *walk))?;
                }
                ListKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The `vulnerability` elements of the BOM's list.
struct Each<'a, 'de, 's>(&'a mut Walk<'de, 's>);

impl<'de> DeserializeSeed<'de> for Each<'_, 'de, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Each<'_, 'de, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(vulnerability) = seq.next_element::<Vulnerability>()? {
            self.0.emit(vulnerability)?;
        }
        Ok(())
    }
}

#[derive(Debug, Default, Deserialize)]
struct Metadata<'a> {
    #[serde(borrow)]
    tools: Option<Tools<'a>>,
    #[serde(borrow)]
    component: Option<Component<'a>>,
}

/// `tool` elements (spec 1.4), or `components` (1.5+).
#[derive(Debug, Default, Deserialize)]
struct Tools<'a> {
    #[serde(default)]
    tool: Vec<model::Tool>,
    #[serde(borrow)]
    components: Option<Components<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Components<'a> {
    #[serde(default, borrow)]
    component: Vec<Component<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Component<'a> {
    #[serde(rename = "@bom-ref", borrow)]
    bom_ref: Option<Text<'a>>,
    #[serde(borrow)]
    group: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    version: Option<Text<'a>>,
    #[serde(borrow)]
    purl: Option<Text<'a>>,
    #[serde(borrow)]
    components: Option<Components<'a>>,
    /// The vulnerability extension's vulnerabilities of this component.
    #[serde(borrow)]
    vulnerabilities: Option<Vulnerabilities<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Vulnerabilities<'a> {
    #[serde(default, borrow)]
    vulnerability: Vec<Vulnerability<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Vulnerability<'a> {
    /// The extension's reference to the affected component.
    #[serde(rename = "@ref", borrow)]
    target: Option<Text<'a>>,
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    source: Option<Source<'a>>,
    #[serde(borrow)]
    references: Option<Aliases<'a>>,
    #[serde(borrow)]
    ratings: Option<Ratings<'a>>,
    #[serde(borrow)]
    cwes: Option<Cwes<'a>>,
    #[serde(borrow)]
    description: Option<Text<'a>>,
    #[serde(borrow)]
    detail: Option<Text<'a>>,
    #[serde(borrow)]
    recommendation: Option<Text<'a>>,
    #[serde(borrow)]
    recommendations: Option<Recommendations<'a>>,
    #[serde(borrow)]
    workaround: Option<Text<'a>>,
    #[serde(borrow)]
    advisories: Option<Advisories<'a>>,
    #[serde(borrow)]
    analysis: Option<Analysis<'a>>,
    #[serde(borrow)]
    affects: Option<Affects<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Source<'a> {
    #[serde(borrow)]
    url: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Aliases<'a> {
    #[serde(default, borrow)]
    reference: Vec<Alias<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Alias<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    source: Option<Source<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Ratings<'a> {
    #[serde(default, borrow)]
    rating: Vec<Rating<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Rating<'a> {
    #[serde(borrow)]
    score: Option<Score<'a>>,
    #[serde(borrow)]
    severity: Option<Text<'a>>,
    #[serde(borrow)]
    method: Option<Text<'a>>,
    #[serde(borrow)]
    vector: Option<Text<'a>>,
}

/// `<score>9.8</score>`, or the extension's `<score><base>9.8</base>...`.
#[derive(Debug, Default, Deserialize)]
struct Score<'a> {
    #[serde(rename = "$text", borrow)]
    value: Option<Text<'a>>,
    #[serde(borrow)]
    base: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Cwes<'a> {
    #[serde(default, borrow)]
    cwe: Vec<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Recommendations<'a> {
    #[serde(default, borrow)]
    recommendation: Vec<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Advisories<'a> {
    #[serde(default, borrow)]
    advisory: Vec<Advisory<'a>>,
}

/// `<advisory><url>...</url></advisory>`, or the extension's bare URL.
#[derive(Debug, Default, Deserialize)]
struct Advisory<'a> {
    #[serde(rename = "$text", borrow)]
    text: Option<Text<'a>>,
    #[serde(borrow)]
    url: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Analysis<'a> {
    #[serde(borrow)]
    state: Option<Text<'a>>,
    #[serde(borrow)]
    justification: Option<Text<'a>>,
    #[serde(borrow)]
    responses: Option<Responses<'a>>,
    #[serde(borrow)]
    detail: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Responses<'a> {
    #[serde(default, borrow)]
    response: Vec<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Affects<'a> {
    #[serde(default, borrow)]
    target: Vec<Target<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Target<'a> {
    #[serde(rename = "ref", borrow)]
    target: Option<Text<'a>>,
}

/// Calls `each` on `component` and every component nested in it.
fn visit<'a>(component: &mut Component<'a>, each: &mut dyn FnMut(&mut Component<'a>)) {
    each(component);
    for nested in component.components.iter_mut().flat_map(|c| c.component.iter_mut()) {
        visit(nested, each);
    }
}

impl<'a> Metadata<'a> {
    fn into_model(self) -> model::Metadata<'a> {
        model::Metadata {
            tools: self.tools.map(Tools::into_model),
            component: self.component.map(Component::into_model),
        }
    }
}

impl Tools<'_> {
    fn into_model(self) -> model::Tools {
        let mut tools = self.tool;
        for component in self.components.map(|c| c.component).unwrap_or_default() {
            tools.push(model::Tool {
                name: component.name.map(|t| t.0.into_owned()),
                version: component.version.map(|t| t.0.into_owned()),
            });
        }
        model::Tools::List(tools)
    }
}

impl<'a> Component<'a> {
    fn into_model(self) -> model::Component<'a> {
        model::Component {
            bom_ref: self.bom_ref,
            group: self.group,
            name: self.name,
            version: self.version,
            purl: self.purl,
            components: self
                .components
                .map(|c| c.component.into_iter().map(Component::into_model).collect())
                .unwrap_or_default(),
        }
    }
}

impl<'a> Vulnerability<'a> {
    /// The vulnerability in the JSON model; `extension_target` is the
    /// component an extension vulnerability affects.
    fn into_model(self, extension_target: Option<Text<'a>>) -> model::Vulnerability<'a> {
        let mut affects: Vec<model::Affects> = self
            .affects
            .map(|a| a.target)
            .unwrap_or_default()
            .into_iter()
            .map(|t| model::Affects { target: t.target })
            .collect();
        if affects.is_empty() && extension_target.is_some() {
            affects.push(model::Affects { target: extension_target });
        }
        let recommendations = self.recommendations.map(|r| r.recommendation).unwrap_or_default();
        let recommendation = self.recommendation.or_else(|| {
            let joined: Vec<&str> =
                recommendations.iter().map(|r| r.trim()).filter(|r| !r.is_empty()).collect();
            (!joined.is_empty()).then(|| Text(Cow::Owned(joined.join("\n"))))
        });

        model::Vulnerability {
            id: self.id,
            source: self.source.map(Source::into_model),
            references: self
                .references
                .map(|r| r.reference)
                .unwrap_or_default()
                .into_iter()
                .map(|a| model::Alias { id: a.id, source: a.source.map(Source::into_model) })
                .collect(),
            ratings: self
                .ratings
                .map(|r| r.rating)
                .unwrap_or_default()
                .into_iter()
                .map(Rating::into_model)
                .collect(),
            cwes: self
                .cwes
                .map(|c| c.cwe)
                .unwrap_or_default()
                .iter()
                .map(|cwe| Cwe(ids::cwe_number(cwe)))
                .collect(),
            description: self.description,
            detail: self.detail,
            recommendation,
            workaround: self.workaround,
            advisories: self
                .advisories
                .map(|a| a.advisory)
                .unwrap_or_default()
                .into_iter()
                .map(|a| model::Advisory { url: a.url.or(a.text) })
                .collect(),
            analysis: self.analysis.map(|a| model::Analysis {
                state: a.state,
                justification: a.justification,
                response: a.responses.map(|r| r.response).unwrap_or_default(),
                detail: a.detail,
            }),
            affects,
        }
    }
}

impl<'a> Source<'a> {
    fn into_model(self) -> model::Source<'a> {
        model::Source { url: self.url }
    }
}

impl<'a> Rating<'a> {
    fn into_model(self) -> model::Rating<'a> {
        model::Rating {
            score: self
                .score
                .and_then(|s| number(s.value.as_deref()).or(number(s.base.as_deref()))),
            severity: self.severity,
            method: self.method,
            vector: self.vector,
        }
    }
}

/// A number written as element text; `None` when blank or not a number.
fn number(text: Option<&str>) -> Option<f64> {
    text?.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}
