//! A JSON BOM, walked property by property with serde visitors: the text is
//! read once, `metadata` and `components` are read into borrowed types, and
//! each vulnerability is converted and handed on as soon as it is read, so
//! no list of vulnerabilities or findings is ever built.
//!
//! A vulnerability needs the BOM's tool, subject and components. Writers put
//! `bomFormat`, `metadata` and `components` first; when a BOM puts its
//! `vulnerabilities` before any of them, each vulnerability is checked as it
//! is read and kept as a slice of the text, then converted at the end.
//!
//! Each vulnerability is first taken as raw JSON, then read into its serde
//! type; only when that fails is it read again with its path tracked. Errors
//! name the same path, line and column as a parse of the whole document
//! would.

use std::fmt;
use std::io::Read;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::error::Category;
use serde_json::value::RawValue;

use super::model::{Component, Components, Metadata, Text, Vulnerability};
use super::{Context, NAME, wrong_shape};
use crate::{Options, ParseError, Sink, input, json};

/// Reads a JSON BOM from `reader` and hands its findings to `sink`.
pub(super) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let limits = &options.limits;
    let text = input::read_all(reader, limits.max_bytes).map_err(|e| json::io_error(e, limits))?;
    let mut walk = Walk::new(&text, sink);
    let mut json = serde_json::Deserializer::from_str(&text);

    let outcome = BomSeed(&mut walk).deserialize(&mut json).and_then(|()| json.end());
    if let Err(error) = outcome {
        return Err(match walk.failure.take() {
            Some(failure) => failure,
            None if error.classify() == Category::Io => json::io_error(error.into(), limits),
            None => json::classify(error, NAME, walk.path.take().unwrap_or_default()),
        });
    }
    walk.finish()
}

/// The state of one walk, shared by all visitors.
struct Walk<'de, 's> {
    text: &'de str,
    sink: &'s mut dyn Sink,
    /// Why a visitor stopped the walk, when it was not a JSON error.
    failure: Option<ParseError>,
    /// The innermost path at which a value had the wrong shape.
    path: Option<String>,
    seen: Seen,
    format: Option<Text<'de>>,
    metadata: Option<Metadata<'de>>,
    components: Vec<Component<'de>>,
    /// Known once `bomFormat`, `metadata` and `components` have been read.
    context: Option<Context<'de>>,
    /// Where the vulnerabilities are: `vulnerabilities`, or `[3]` in the
    /// array form of a BOM.
    vulnerabilities_at: &'static str,
    /// Vulnerabilities read before the context was known, in order.
    waiting: Vec<&'de RawValue>,
}

/// The top-level properties read so far.
#[derive(Default)]
struct Seen {
    format: bool,
    metadata: bool,
    components: bool,
    vulnerabilities: bool,
}

impl<'de, 's> Walk<'de, 's> {
    fn new(text: &'de str, sink: &'s mut dyn Sink) -> Walk<'de, 's> {
        Walk {
            text,
            sink,
            failure: None,
            path: None,
            seen: Seen::default(),
            format: None,
            metadata: None,
            components: Vec::new(),
            context: None,
            vulnerabilities_at: "vulnerabilities",
            waiting: Vec::new(),
        }
    }

    /// Converts what waited for the end, and reports the run.
    fn finish(mut self) -> Result<(), ParseError> {
        if !self.is_cyclonedx() {
            return Err(wrong_shape(match self.format.as_deref().map(str::trim) {
                Some(other) => format!("bomFormat is {other:?}, not \"CycloneDX\""),
                None => "a JSON document without bomFormat".into(),
            }));
        }
        let context = match self.context.take() {
            Some(context) => context,
            None => Context::new(self.metadata.take(), std::mem::take(&mut self.components)),
        };
        for (position, raw) in std::mem::take(&mut self.waiting).into_iter().enumerate() {
            let vulnerability = self.read(position, raw)?;
            context.emit(self.sink, &vulnerability)?;
        }
        context.finish(self.sink)
    }

    /// Whether vulnerabilities can be converted as they are read: the BOM
    /// is CycloneDX and its metadata and components are known.
    fn ready(&mut self) -> bool {
        if self.context.is_some() {
            return true;
        }
        if !(self.is_cyclonedx() && self.seen.metadata && self.seen.components) {
            return false;
        }
        let components = std::mem::take(&mut self.components);
        self.context = Some(Context::new(self.metadata.take(), components));
        true
    }

    /// Whether `bomFormat` says the document is a CycloneDX BOM.
    fn is_cyclonedx(&self) -> bool {
        let format = self.format.as_deref().map(str::trim);
        format.is_some_and(|f| f.eq_ignore_ascii_case("CycloneDX"))
    }

    /// Reads, converts and hands on one vulnerability.
    fn convert<E: de::Error>(&mut self, position: usize, raw: &'de RawValue) -> Result<(), E> {
        let outcome = self.read(position, raw).and_then(|vulnerability| match &self.context {
            Some(context) => context.emit(self.sink, &vulnerability),
            None => Ok(()),
        });
        outcome.map_err(|failure| self.fail(failure))
    }

    /// Checks one vulnerability and keeps it for the end.
    fn wait<E: de::Error>(&mut self, position: usize, raw: &'de RawValue) -> Result<(), E> {
        match self.read(position, raw) {
            Ok(_) => {
                self.waiting.push(raw);
                Ok(())
            }
            Err(failure) => Err(self.fail(failure)),
        }
    }

    /// Reads one vulnerability from its raw JSON; on an error reads it again
    /// to name the path of the offending field.
    fn read(&self, position: usize, raw: &'de RawValue) -> Result<Vulnerability<'de>, ParseError> {
        let text: &'de str = raw.get();
        let error = match serde_json::from_str(text) {
            Ok(vulnerability) => return Ok(vulnerability),
            Err(error) => error,
        };
        let mut json = serde_json::Deserializer::from_str(text);
        let (inner, error) = match serde_path_to_error::deserialize::<_, Vulnerability>(&mut json) {
            Err(tracked) => (tracked.path().to_string(), tracked.into_inner()),
            Ok(_) => (String::new(), error),
        };
        let path = join_path(format!("{}[{position}]", self.vulnerabilities_at), &inner);
        Err(self.in_report(text, &error, path))
    }

    /// An error in the text `part` of the report, placed in the whole report.
    fn in_report(&self, part: &str, error: &serde_json::Error, path: String) -> ParseError {
        let offset = (part.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        let before = self.text.get(..offset).unwrap_or("");
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        let (line, column) = match error.line() {
            1 => (1 + before.matches('\n').count(), offset - line_start + error.column()),
            line => (before.matches('\n').count() + line, error.column()),
        };
        let message = json::bare(error);
        match error.classify() {
            Category::Data => ParseError::Report {
                format: NAME,
                path,
                message: format!("{message} at line {line} column {column}"),
            },
            _ => ParseError::Json { line, column, message: format!("invalid JSON: {message}") },
        }
    }

    /// Records why the walk stops and returns the error that unwinds serde.
    fn fail<E: de::Error>(&mut self, failure: ParseError) -> E {
        let error = E::custom(&failure);
        self.failure.get_or_insert(failure);
        error
    }

    /// Records where a shape error happened, unless a deeper visitor did.
    fn note_path(&mut self, path: impl FnOnce() -> String) {
        if self.path.is_none() {
            self.path = Some(path());
        }
    }
}

/// Marks a property read, failing as serde does when it comes twice.
fn once<E: de::Error>(seen: &mut bool, key: &'static str) -> Result<(), E> {
    if std::mem::replace(seen, true) {
        return Err(E::duplicate_field(key));
    }
    Ok(())
}

/// `vulnerabilities[3]` and `ratings[0].score` into
/// `vulnerabilities[3].ratings[0].score`.
fn join_path(prefix: String, inner: &str) -> String {
    match inner {
        "." | "" => prefix,
        _ if inner.starts_with('[') => prefix + inner,
        _ => format!("{prefix}.{inner}"),
    }
}

/// The BOM: an object, or (as serde reads any struct) an array of its
/// properties in order.
struct BomSeed<'a, 'de, 's>(&'a mut Walk<'de, 's>);

/// The BOM's properties fixgate reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum Key {
    BomFormat,
    Metadata,
    Components,
    Vulnerabilities,
    #[serde(other)]
    Other,
}

const FIELDS: &[&str] = &["bomFormat", "metadata", "components", "vulnerabilities"];

/// How serde names a BOM written as an array that is too short.
const AS_ARRAY: &str = "struct Bom with 4 elements";

impl<'de> DeserializeSeed<'de> for BomSeed<'_, 'de, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_struct("Bom", FIELDS, self)
    }
}

impl<'de> Visitor<'de> for BomSeed<'_, 'de, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("struct Bom")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let walk = self.0;
        while let Some(key) = map.next_key()? {
            match key {
                Key::BomFormat => {
                    once(&mut walk.seen.format, "bomFormat")?;
                    walk.format = map.next_value_seed(Tracked::new(walk, "bomFormat"))?;
                }
                Key::Metadata => {
                    once(&mut walk.seen.metadata, "metadata")?;
                    walk.metadata = map.next_value_seed(Tracked::new(walk, "metadata"))?;
                }
                Key::Components => {
                    once(&mut walk.seen.components, "components")?;
                    let components: Components =
                        map.next_value_seed(Tracked::new(walk, "components"))?;
                    walk.components = components.0;
                }
                Key::Vulnerabilities => {
                    once(&mut walk.seen.vulnerabilities, "vulnerabilities")?;
                    map.next_value_seed(Vulnerabilities(&mut *walk))?;
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    /// The properties in the order of [`FIELDS`]; `bomFormat` and
    /// `metadata` must be there.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let walk = self.0;
        let missing = |at| de::Error::invalid_length(at, &AS_ARRAY);
        walk.seen.format = true;
        walk.format =
            seq.next_element_seed(Tracked::new(walk, "[0]"))?.ok_or_else(|| missing(0))?;
        walk.seen.metadata = true;
        walk.metadata =
            seq.next_element_seed(Tracked::new(walk, "[1]"))?.ok_or_else(|| missing(1))?;
        walk.seen.components = true;
        let components: Option<Components> = seq.next_element_seed(Tracked::new(walk, "[2]"))?;
        walk.components = components.unwrap_or_default().0;
        walk.vulnerabilities_at = "[3]";
        seq.next_element_seed(Vulnerabilities(&mut *walk))?;
        Ok(())
    }
}

/// `vulnerabilities`: an array, or `null` for none.
struct Vulnerabilities<'a, 'de, 's>(&'a mut Walk<'de, 's>);

impl<'de> DeserializeSeed<'de> for Vulnerabilities<'_, 'de, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let walk = self.0;
        let at = walk.vulnerabilities_at;
        deserializer
            .deserialize_option(Vulnerabilities(&mut *walk))
            .inspect_err(|_| walk.note_path(|| at.into()))
    }
}

impl<'de> Visitor<'de> for Vulnerabilities<'_, 'de, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let walk = self.0;
        let ready = walk.ready();
        for position in 0.. {
            let Some(raw) = seq.next_element::<&'de RawValue>()? else { break };
            if ready {
                walk.convert(position, raw)?;
            } else {
                walk.wait(position, raw)?;
            }
        }
        Ok(())
    }
}

/// Deserializes a `T` and, when its shape is wrong, records the path of
/// the offending property, `prefix` followed by the path inside `T`.
struct Tracked<'a, 'de, 's, T> {
    walk: &'a mut Walk<'de, 's>,
    prefix: &'static str,
    value: PhantomData<T>,
}

impl<'a, 'de, 's, T> Tracked<'a, 'de, 's, T> {
    fn new(walk: &'a mut Walk<'de, 's>, prefix: &'static str) -> Self {
        Tracked { walk, prefix, value: PhantomData }
    }
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Tracked<'_, 'de, '_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        serde_path_to_error::deserialize(deserializer).map_err(|error| {
            let inner = error.path().to_string();
            self.walk.note_path(|| join_path(self.prefix.to_string(), &inner));
            error.into_inner()
        })
    }
}
