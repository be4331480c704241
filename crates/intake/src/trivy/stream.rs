//! The walking half of the first stage: serde visitors over the report
//! object (or the legacy array of results), each result and its item lists,
//! so that every item is converted and handed to the sink as soon as it is
//! read and no list of items is ever built.
//!
//! Each item is first taken as raw JSON (a slice of the report's text), then
//! read into its serde type; only when that fails is it read again with its
//! path tracked, which would cost too much for every item. serde's errors carry only a message, so what a
//! visitor learns about a failure is kept in [`Parse`] and turned into a
//! [`ParseError`] once the JSON parser has unwound.

use std::fmt;
use std::marker::PhantomData;

use fixgate_domain::{Finding, RunInfo};
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess};
use serde::de::{SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::model::{Metadata, Misconfiguration, Modified, Producer, Secret, Vulnerability};
use super::{NAME, TOOL, convert, model::License};
use crate::common::emit;
use crate::{ParseError, Sink, json};

/// The state of one parse, shared by all visitors.
pub(super) struct Parse<'s> {
    sink: &'s mut dyn Sink,
    /// Why a visitor stopped the parse, when it was not a JSON error.
    pub failure: Option<ParseError>,
    /// The innermost path at which a value had the wrong shape.
    pub path: Option<String>,
    metadata: Option<Metadata>,
    version: Option<String>,
    artifact_name: Option<String>,
    artifact_type: Option<String>,
    /// The whole report was `null`: it names nothing it scanned.
    bare_null: bool,
}

impl<'s> Parse<'s> {
    pub fn new(sink: &'s mut dyn Sink) -> Parse<'s> {
        Parse {
            sink,
            failure: None,
            path: None,
            metadata: None,
            version: None,
            artifact_name: None,
            artifact_type: None,
            bare_null: false,
        }
    }

    /// Reports the run, once the whole report has been read.
    pub fn finish(mut self) -> Result<(), ParseError> {
        let info = self.run_info();
        self.sink.run(0, info).map_err(ParseError::Sink)
    }

    /// What the report says about the run.
    fn run_info(&mut self) -> RunInfo {
        let metadata = self.metadata.take().unwrap_or_default();
        let given = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
        RunInfo {
            tool: TOOL.into(),
            tool_version: given(self.version.take()),
            repository: given(metadata.repo_url),
            commit: given(metadata.commit),
            branch: given(metadata.branch),
            // An image scan and a file-system scan of one repository are
            // scans of different things: neither may prove the other's
            // findings gone. A new tag of the same image is the same thing.
            category: given(self.artifact_name.take()).map(|name| {
                let kind = given(self.artifact_type.take()).unwrap_or_else(|| "artifact".into());
                format!("{kind}:{}", without_tag(&name))
            }),
            // Old Trivy wrote `null` for a clean scan, but so does a broken
            // step that lost the report: it shows no target was scanned, so
            // it proves nothing absent.
            partial: self.bare_null,
        }
    }

    /// Records why the parse stops and returns the error that unwinds serde.
    fn fail<E: de::Error>(&mut self, failure: ParseError) -> E {
        let error = E::custom(&failure);
        self.failure.get_or_insert(failure);
        error
    }

    /// Records where a shape error happened, unless a deeper visitor already did.
    fn note_path(&mut self, path: impl FnOnce() -> String) {
        if self.path.is_none() {
            self.path = Some(path());
        }
    }

    /// Reads, converts and hands on one item.
    fn item<E: de::Error>(
        &mut self,
        target: &Target,
        at: &ItemAt,
        raw: &RawValue,
    ) -> Result<(), E> {
        match finding(target, at, raw) {
            Ok(Some(finding)) => emit(self.sink, finding).map_err(|e| self.fail(e)),
            Ok(None) => Ok(()),
            Err(failure) => Err(self.fail(failure)),
        }
    }
}

/// One item as a finding; `None` for an item that is not one (a passed
/// check).
fn finding(target: &Target, at: &ItemAt, raw: &RawValue) -> Result<Option<Finding>, ParseError> {
    let path = || at.path();
    Ok(match at.kind {
        Kind::Vulnerabilities => Some(convert::vulnerability(target, read(raw, path)?)),
        Kind::Misconfigurations => convert::misconfiguration(target, read(raw, path)?),
        Kind::Secrets => Some(convert::secret(target, read(raw, path)?)),
        Kind::Licenses => Some(convert::license(target, read(raw, path)?)),
        Kind::Modified => modified(target, read(raw, path)?, path)?,
    })
}

/// An item that `.trivyignore` or VEX set aside: the item as its `Type`
/// says, marked suppressed. Types this parser does not know are skipped.
fn modified(
    target: &Target,
    modified: Modified,
    at: impl Fn() -> String,
) -> Result<Option<Finding>, ParseError> {
    let Some(raw) = modified.finding.as_deref() else { return Ok(None) };
    let inner = || format!("{}.Finding", at());
    let finding = match modified.kind.as_deref().unwrap_or("") {
        "vulnerability" => Some(convert::vulnerability(target, read::<Vulnerability>(raw, inner)?)),
        "misconfiguration" => {
            convert::misconfiguration(target, read::<Misconfiguration>(raw, inner)?)
        }
        "secret" => Some(convert::secret(target, read::<Secret>(raw, inner)?)),
        "license" => Some(convert::license(target, read::<License>(raw, inner)?)),
        _ => None,
    };
    Ok(finding.map(|mut finding| {
        convert::set_aside(&mut finding, &modified);
        finding
    }))
}

/// Reads one item from its raw JSON; on a shape error reads it again to name
/// the path of the offending field.
fn read<T: DeserializeOwned>(raw: &RawValue, at: impl Fn() -> String) -> Result<T, ParseError> {
    let error = match serde_json::from_str(raw.get()) {
        Ok(item) => return Ok(item),
        Err(error) => error,
    };
    let mut json = serde_json::Deserializer::from_str(raw.get());
    let (path, error) = match serde_path_to_error::deserialize::<_, T>(&mut json) {
        Err(tracked) => (join_path(at(), &tracked.path().to_string()), tracked.into_inner()),
        Ok(_) => (at(), error),
    };
    Err(ParseError::Report { format: NAME, path, message: json::bare(&error) })
}

/// `Results[0].Vulnerabilities[3]` and `CVSS.nvd` into
/// `Results[0].Vulnerabilities[3].CVSS.nvd`.
fn join_path(prefix: String, inner: &str) -> String {
    match inner {
        "." | "" => prefix,
        _ if inner.starts_with('[') => prefix + inner,
        _ => format!("{prefix}.{inner}"),
    }
}

/// The item lists a result holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Vulnerabilities,
    Misconfigurations,
    Secrets,
    Licenses,
    Modified,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Kind::Vulnerabilities => "Vulnerabilities",
            Kind::Misconfigurations => "Misconfigurations",
            Kind::Secrets => "Secrets",
            Kind::Licenses => "Licenses",
            Kind::Modified => "ExperimentalModifiedFindings",
        }
    }
}

/// Where an item is in the report, for error messages.
struct ItemAt {
    /// A legacy report is an array of results, not an object with `Results`.
    legacy: bool,
    result: usize,
    kind: Kind,
    position: usize,
}

impl ItemAt {
    fn path(&self) -> String {
        format!("{}.{}[{}]", result_path(self.legacy, self.result), self.kind.key(), self.position)
    }
}

fn result_path(legacy: bool, result: usize) -> String {
    if legacy { format!("[{result}]") } else { format!("Results[{result}]") }
}

/// What the items of one result are about.
#[derive(Debug, Default)]
pub(super) struct Target {
    /// Where the target's findings are: the scanned file
    /// (`package-lock.json`, `Dockerfile`), or for an image's OS packages
    /// the image without its tag and the OS without its version
    /// (`registry.example/shop (alpine)`), so the next tag of the image and
    /// a patch release of its OS keep every finding's identity.
    pub name: String,
    /// `Target` as written (`registry.example/shop:1.4 (alpine 3.19.1)`).
    pub full: String,
    /// `Type`: the package ecosystem (`npm`, `alpine`, `jar`) or the kind of
    /// configuration (`dockerfile`).
    pub kind: Option<String>,
}

/// A target's place: an image target `name:tag (os version)` becomes
/// `name (os)`; anything else stays as it is.
pub(super) fn place_of(target: &str) -> String {
    let Some((image, os)) = target.strip_suffix(')').and_then(|t| t.rsplit_once(" (")) else {
        return target.to_string();
    };
    let os = os.split_whitespace().next().unwrap_or(os);
    format!("{} ({os})", without_tag(image))
}

/// An image reference without its tag or digest: `registry:5000/shop:1.4`
/// → `registry:5000/shop`.
pub(crate) fn without_tag(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    let name_start = image.rfind('/').map_or(0, |at| at + 1);
    match image.get(name_start..).and_then(|name| name.rfind(':')) {
        Some(colon) => image.get(..name_start + colon).unwrap_or(image),
        None => image,
    }
}

/// The top-level value: a schema 2 report object, or (before Trivy 0.20) an
/// array of results or `null`.
pub(super) struct Report<'a, 's>(pub &'a mut Parse<'s>);

impl<'de> DeserializeSeed<'de> for Report<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// The report properties fixgate reads.
#[derive(Deserialize)]
enum ReportKey {
    SchemaVersion,
    ArtifactName,
    ArtifactType,
    Metadata,
    Trivy,
    Results,
    #[serde(other)]
    Other,
}

impl<'de> Visitor<'de> for Report<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Trivy report object or an array of Trivy results")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let parse = self.0;
        let mut is_report = false;
        while let Some(key) = map.next_key()? {
            match key {
                ReportKey::SchemaVersion => {
                    is_report = true;
                    map.next_value::<IgnoredAny>()?;
                }
                ReportKey::ArtifactName => {
                    is_report = true;
                    parse.artifact_name = map.next_value::<Option<String>>()?;
                }
                ReportKey::ArtifactType => {
                    is_report = true;
                    parse.artifact_type = map.next_value::<Option<String>>()?;
                }
                ReportKey::Metadata => {
                    parse.metadata = map.next_value_seed(Tracked::new(parse, "Metadata"))?;
                }
                ReportKey::Trivy => {
                    let producer: Option<Producer> =
                        map.next_value_seed(Tracked::new(parse, "Trivy"))?;
                    parse.version = producer.and_then(|p| p.version);
                }
                ReportKey::Results => {
                    is_report = true;
                    map.next_value_seed(Results(&mut *parse))?;
                }
                ReportKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !is_report {
            let found = "a JSON object without `SchemaVersion` or `Results`".into();
            return Err(parse.fail(ParseError::WrongShape { format: NAME, found }));
        }
        Ok(())
    }

    /// A legacy report: the results themselves.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        for index in 0.. {
            let seed = ResultSeed { parse: &mut *self.0, index, legacy: true };
            if seq.next_element_seed(seed)?.is_none() {
                break;
            }
        }
        Ok(())
    }

    /// A legacy report of a clean scan, or of nothing at all.
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.bare_null = true;
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(self.0.fail(wrong_shape("a JSON string")))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(self.0.fail(wrong_shape("a JSON boolean")))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(self.0.fail(wrong_shape("a JSON number")))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(self.0.fail(wrong_shape("a JSON number")))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(self.0.fail(wrong_shape("a JSON number")))
    }
}

fn wrong_shape(found: &str) -> ParseError {
    ParseError::WrongShape { format: NAME, found: found.into() }
}

/// `Results`: an array of results, or `null` for none.
struct Results<'a, 's>(&'a mut Parse<'s>);

impl<'de> DeserializeSeed<'de> for Results<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let parse = self.0;
        deserializer
            .deserialize_any(ResultsVisitor(&mut *parse))
            .inspect_err(|_| parse.note_path(|| "Results".into()))
    }
}

struct ResultsVisitor<'a, 's>(&'a mut Parse<'s>);

impl<'de> Visitor<'de> for ResultsVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of Trivy results")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        for index in 0.. {
            let seed = ResultSeed { parse: &mut *self.0, index, legacy: false };
            if seq.next_element_seed(seed)?.is_none() {
                break;
            }
        }
        Ok(())
    }
}

/// One result: a target and its items.
struct ResultSeed<'a, 's> {
    parse: &'a mut Parse<'s>,
    index: usize,
    legacy: bool,
}

/// The result properties fixgate reads.
#[derive(Deserialize)]
enum ResultKey {
    Target,
    Type,
    Vulnerabilities,
    Misconfigurations,
    Secrets,
    Licenses,
    ExperimentalModifiedFindings,
    #[serde(other)]
    Other,
}

impl<'de> DeserializeSeed<'de> for ResultSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let (index, legacy) = (self.index, self.legacy);
        let parse: &mut Parse = self.parse;
        deserializer
            .deserialize_map(ResultVisitor { parse: &mut *parse, index, legacy })
            .inspect_err(|_| parse.note_path(|| result_path(legacy, index)))
    }
}

struct ResultVisitor<'a, 's> {
    parse: &'a mut Parse<'s>,
    index: usize,
    legacy: bool,
}

impl<'de> Visitor<'de> for ResultVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Trivy result object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let parse = self.parse;
        let mut target = Target::default();
        let mut has_target = false;
        // Items read before `Target` wait here for it.
        let mut waiting: Vec<(ItemAt, &'de RawValue)> = Vec::new();
        let at = |kind| {
            move |position| ItemAt { legacy: self.legacy, result: self.index, kind, position }
        };

        while let Some(key) = map.next_key()? {
            let kind = match key {
                ResultKey::Target => {
                    target.full = map.next_value::<Option<String>>()?.unwrap_or_default();
                    target.name = place_of(&target.full);
                    has_target = true;
                    continue;
                }
                ResultKey::Type => {
                    target.kind = map.next_value::<Option<String>>()?.filter(|t| !t.is_empty());
                    continue;
                }
                ResultKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
                ResultKey::Vulnerabilities => Kind::Vulnerabilities,
                ResultKey::Misconfigurations => Kind::Misconfigurations,
                ResultKey::Secrets => Kind::Secrets,
                ResultKey::Licenses => Kind::Licenses,
                ResultKey::ExperimentalModifiedFindings => Kind::Modified,
            };
            let waiting = (!has_target).then_some(&mut waiting);
            let seed = Items { parse: &mut *parse, target: &target, at: &at(kind), waiting };
            map.next_value_seed(seed)?;
        }

        for (at, raw) in &waiting {
            parse.item(&target, at, raw)?;
        }
        Ok(())
    }
}

/// One of a result's item lists: each item is handed on as soon as it is
/// read, or kept in `waiting` while the result's `Target` is not known yet.
struct Items<'a, 'r, 's, 'de, F> {
    parse: &'a mut Parse<'s>,
    target: &'r Target,
    at: &'r F,
    waiting: Option<&'r mut Vec<(ItemAt, &'de RawValue)>>,
}

impl<'de, F: Fn(usize) -> ItemAt> DeserializeSeed<'de> for Items<'_, '_, '_, 'de, F> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let at = self.at;
        let parse: &mut Parse = self.parse;
        let visitor =
            ItemsVisitor { parse: &mut *parse, target: self.target, at, waiting: self.waiting };
        deserializer.deserialize_any(visitor).inspect_err(|_| {
            parse.note_path(|| {
                let first = at(0);
                format!("{}.{}", result_path(first.legacy, first.result), first.kind.key())
            })
        })
    }
}

struct ItemsVisitor<'a, 'r, 's, 'de, F> {
    parse: &'a mut Parse<'s>,
    target: &'r Target,
    at: &'r F,
    waiting: Option<&'r mut Vec<(ItemAt, &'de RawValue)>>,
}

impl<'de, F: Fn(usize) -> ItemAt> Visitor<'de> for ItemsVisitor<'_, '_, '_, 'de, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of Trivy items")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        for position in 0.. {
            let Some(raw) = seq.next_element::<&'de RawValue>()? else { break };
            let at = (self.at)(position);
            match self.waiting.as_deref_mut() {
                Some(waiting) => waiting.push((at, raw)),
                None => self.parse.item(self.target, &at, raw)?,
            }
        }
        Ok(())
    }
}

/// Deserializes a `T` and, when its shape is wrong, records the path of
/// the offending property, `prefix` followed by the path inside `T`.
struct Tracked<'a, 's, T> {
    parse: &'a mut Parse<'s>,
    prefix: &'static str,
    value: PhantomData<T>,
}

impl<'a, 's, T> Tracked<'a, 's, T> {
    fn new(parse: &'a mut Parse<'s>, prefix: &'static str) -> Self {
        Tracked { parse, prefix, value: PhantomData }
    }
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Tracked<'_, '_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        serde_path_to_error::deserialize(deserializer).map_err(|error| {
            let inner = error.path().to_string();
            self.parse.note_path(|| join_path(self.prefix.to_string(), &inner));
            error.into_inner()
        })
    }
}
