//! The first stage's streaming half: serde visitors over the log object, the
//! `runs` array and each run's `results`, so that each result is converted
//! and handed to the sink as soon as it is read, and memory does not grow
//! with the report.
//!
//! serde's errors carry only a message, so what a visitor learns about a
//! failure (the report is not SARIF, the sink gave up, which SARIF path was
//! malformed) is kept in [`Parse`] and turned into a [`ParseError`] once the
//! JSON parser has unwound.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::Summary;
use super::convert;
use super::model::{Artifact, SarifResult, Taxonomy, VersionControl};
use super::run::RunContext;
use crate::{ParseError, Sink};

/// The one version fixgate reads.
const VERSION: &str = "2.1.0";

/// The state of one parse, shared by all visitors.
pub(crate) struct Parse<'s> {
    sink: &'s mut dyn Sink,
    /// Why a visitor stopped the parse, when it was not a JSON error.
    pub failure: Option<ParseError>,
    /// The innermost SARIF path at which a value had the wrong shape.
    pub path: Option<String>,
    pub summary: Summary,
    version: Option<String>,
    schema: Option<String>,
    has_runs: bool,
}

impl<'s> Parse<'s> {
    pub fn new(sink: &'s mut dyn Sink) -> Parse<'s> {
        Parse {
            sink,
            failure: None,
            path: None,
            summary: Summary::default(),
            version: None,
            schema: None,
            has_runs: false,
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

    fn check_version<E: de::Error>(&mut self, version: Value) -> Result<(), E> {
        match version.as_str() {
            Some(VERSION) => {
                self.version = Some(VERSION.to_string());
                Ok(())
            }
            Some(other) => Err(self.fail(ParseError::UnsupportedVersion(format!("{other:?}")))),
            None => Err(self.fail(ParseError::UnsupportedVersion(version.to_string()))),
        }
    }

    /// Checks what the whole log object said, once it has been read.
    fn check_log<E: de::Error>(&mut self) -> Result<(), E> {
        if !self.has_runs {
            return Err(self.fail(ParseError::NotSarif("an object without `runs`".into())));
        }
        let schema_says_version = self.schema.as_deref().is_some_and(|s| s.contains(VERSION));
        if self.version.is_none() && !schema_says_version {
            return Err(self.fail(ParseError::NotSarif("no `version`".into())));
        }
        Ok(())
    }

    /// Reads one result of run `run` from its JSON text. On a shape error
    /// the result is read again, this time tracking the path, which costs
    /// too much to do for every result.
    fn read_result<E: de::Error>(
        &mut self,
        run: usize,
        position: usize,
        raw: &RawValue,
    ) -> Result<SarifResult, E> {
        let error = match serde_json::from_str(raw.get()) {
            Ok(result) => return Ok(result),
            Err(error) => error,
        };
        let prefix = || format!("runs[{run}].results[{position}]");
        let mut json = serde_json::Deserializer::from_str(raw.get());
        let failure = match serde_path_to_error::deserialize::<_, SarifResult>(&mut json) {
            Err(tracked) => {
                let path = join_path(prefix(), &tracked.path().to_string());
                result_failure(path, tracked.into_inner())
            }
            Ok(_) => result_failure(prefix(), error),
        };
        Err(self.fail(failure))
    }

    /// Converts a result and hands it to the sink.
    fn emit<E: de::Error>(&mut self, run: &RunContext, result: SarifResult) -> Result<(), E> {
        let Some(finding) = convert::finding(run, result) else {
            self.summary.skipped += 1;
            return Ok(());
        };
        match self.sink.finding(finding) {
            Ok(()) => {
                self.summary.results += 1;
                Ok(())
            }
            Err(refused) => Err(self.fail(ParseError::Sink(refused))),
        }
    }

    fn end_run<E: de::Error>(&mut self, run: &RunContext) -> Result<(), E> {
        match self.sink.run(run.index, run.info()) {
            Ok(()) => {
                self.summary.runs += 1;
                Ok(())
            }
            Err(refused) => Err(self.fail(ParseError::Sink(refused))),
        }
    }
}

/// The top-level value, which must be a SARIF log object.
pub(crate) struct Log<'a, 's>(pub &'a mut Parse<'s>);

impl<'de> DeserializeSeed<'de> for Log<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// The log object's properties fixgate reads.
#[derive(Deserialize)]
enum LogKey {
    #[serde(rename = "version")]
    Version,
    #[serde(rename = "$schema")]
    Schema,
    #[serde(rename = "runs")]
    Runs,
    #[serde(other)]
    Other,
}

impl<'de> Visitor<'de> for Log<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a SARIF log object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key()? {
            match key {
                LogKey::Version => self.0.check_version(map.next_value()?)?,
                LogKey::Schema => {
                    self.0.schema = map.next_value::<Value>()?.as_str().map(str::to_string);
                }
                LogKey::Runs => {
                    self.0.has_runs = true;
                    map.next_value_seed(Runs(&mut *self.0))?;
                }
                LogKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        self.0.check_log()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.0.fail(ParseError::NotSarif("a JSON array".into())))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(self.0.fail(ParseError::NotSarif("a JSON string".into())))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(self.0.fail(ParseError::NotSarif("a JSON boolean".into())))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(self.0.fail(ParseError::NotSarif("a JSON number".into())))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(self.0.fail(ParseError::NotSarif("a JSON number".into())))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(self.0.fail(ParseError::NotSarif("a JSON number".into())))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(self.0.fail(ParseError::NotSarif("JSON null".into())))
    }
}

/// `runs`: an array of runs, or `null` for none.
struct Runs<'a, 's>(&'a mut Parse<'s>);

impl<'de> DeserializeSeed<'de> for Runs<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let parse = self.0;
        deserializer
            .deserialize_any(RunsVisitor(&mut *parse))
            .inspect_err(|_| parse.note_path(|| "runs".to_string()))
    }
}

struct RunsVisitor<'a, 's>(&'a mut Parse<'s>);

impl<'de> Visitor<'de> for RunsVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of runs")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        for index in 0.. {
            let seed = RunSeed { parse: &mut *self.0, index };
            if seq.next_element_seed(seed)?.is_none() {
                break;
            }
        }
        Ok(())
    }
}

/// One run: its tool, its results and what it says about itself.
struct RunSeed<'a, 's> {
    parse: &'a mut Parse<'s>,
    index: usize,
}

/// The run properties fixgate reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum RunKey {
    Tool,
    Results,
    Artifacts,
    Taxonomies,
    AutomationDetails,
    VersionControlProvenance,
    #[serde(other)]
    Other,
}

impl<'de> DeserializeSeed<'de> for RunSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let index = self.index;
        let parse: &mut Parse = self.parse;
        let outcome = deserializer.deserialize_map(RunVisitor { parse: &mut *parse, index });
        outcome.inspect_err(|_| parse.note_path(|| format!("runs[{index}]")))
    }
}

struct RunVisitor<'a, 's> {
    parse: &'a mut Parse<'s>,
    index: usize,
}

impl<'de> Visitor<'de> for RunVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a SARIF run object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let index = self.index;
        let parse = self.parse;
        let mut run = RunContext::new(index);
        // Results read before `tool` wait here for the rules they refer to.
        let mut waiting = Vec::new();

        while let Some(key) = map.next_key()? {
            let at = |name: &'static str| move || format!("runs[{index}].{name}");
            match key {
                RunKey::Tool => {
                    run.set_tool(map.next_value_seed(Tracked::new(parse, at("tool")))?);
                }
                RunKey::Results => {
                    let seed = Results { parse: &mut *parse, run: &run, waiting: &mut waiting };
                    run.results_read = map.next_value_seed(seed)?;
                }
                RunKey::Artifacts => {
                    let artifacts: Option<Vec<Artifact>> =
                        map.next_value_seed(Tracked::new(parse, at("artifacts")))?;
                    run.set_artifacts(artifacts.unwrap_or_default());
                }
                RunKey::Taxonomies => {
                    let taxonomies: Option<Vec<Taxonomy>> =
                        map.next_value_seed(Tracked::new(parse, at("taxonomies")))?;
                    run.set_taxonomies(taxonomies.unwrap_or_default());
                }
                RunKey::AutomationDetails => {
                    run.automation =
                        map.next_value_seed(Tracked::new(parse, at("automationDetails")))?;
                }
                RunKey::VersionControlProvenance => {
                    let provenance: Option<Vec<VersionControl>> =
                        map.next_value_seed(Tracked::new(parse, at("versionControlProvenance")))?;
                    run.version_control = provenance.unwrap_or_default().into_iter().next();
                }
                RunKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }

        for (position, raw) in waiting.iter().enumerate() {
            let result = parse.read_result(index, position, raw)?;
            parse.emit(&run, result)?;
        }
        parse.end_run(&run)
    }
}

/// A run's `results`: each is handed on as soon as it is read, or kept in
/// `waiting` while the run's `tool` has not been read yet.
struct Results<'a, 'r, 's> {
    parse: &'a mut Parse<'s>,
    run: &'r RunContext,
    waiting: &'r mut Vec<Box<RawValue>>,
}

impl<'de> DeserializeSeed<'de> for Results<'_, '_, '_> {
    /// Whether the value was an array of results (else `null`).
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        let index = self.run.index;
        let parse: &mut Parse = self.parse;
        let visitor = ResultsVisitor { parse: &mut *parse, run: self.run, waiting: self.waiting };
        deserializer
            .deserialize_any(visitor)
            .inspect_err(|_| parse.note_path(|| format!("runs[{index}].results")))
    }
}

struct ResultsVisitor<'a, 'r, 's> {
    parse: &'a mut Parse<'s>,
    run: &'r RunContext,
    waiting: &'r mut Vec<Box<RawValue>>,
}

impl<'de> Visitor<'de> for ResultsVisitor<'_, '_, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of results")
    }

    /// `"results": null`: the tool produced none, and did not say it
    /// finished a scan.
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        for position in 0.. {
            let Some(raw) = seq.next_element::<Box<RawValue>>()? else {
                break;
            };
            if self.run.has_tool() {
                let result = self.parse.read_result(self.run.index, position, &raw)?;
                self.parse.emit(self.run, result)?;
            } else {
                self.waiting.push(raw);
            }
        }
        Ok(true)
    }
}

/// Deserializes a `T` and, when its shape is wrong, records the SARIF path of
/// the offending property, `prefix` followed by the path inside `T`.
struct Tracked<'a, 's, T, P> {
    parse: &'a mut Parse<'s>,
    prefix: P,
    value: PhantomData<T>,
}

impl<'a, 's, T, P: FnOnce() -> String> Tracked<'a, 's, T, P> {
    fn new(parse: &'a mut Parse<'s>, prefix: P) -> Self {
        Tracked { parse, prefix, value: PhantomData }
    }
}

impl<'de, T, P> DeserializeSeed<'de> for Tracked<'_, '_, T, P>
where
    T: Deserialize<'de>,
    P: FnOnce() -> String,
{
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        serde_path_to_error::deserialize(deserializer).map_err(|error| {
            let inner = error.path().to_string();
            self.parse.note_path(|| join_path((self.prefix)(), &inner));
            error.into_inner()
        })
    }
}

/// `runs[0].results[3]` and `locations[0].region` into
/// `runs[0].results[3].locations[0].region`.
fn join_path(prefix: String, inner: &str) -> String {
    match inner {
        "." | "" => prefix,
        _ if inner.starts_with('[') => prefix + inner,
        _ => format!("{prefix}.{inner}"),
    }
}

/// What a result's own JSON error means. Its position is within the
/// result's text, so it is left out of a shape error, whose path says more;
/// a nesting error takes the position of the report at large later.
fn result_failure(path: String, error: serde_json::Error) -> ParseError {
    if super::is_recursion_limit(&error) {
        return ParseError::TooDeep { line: 0, column: 0 };
    }
    ParseError::Invalid { path, message: super::bare(&error) }
}
