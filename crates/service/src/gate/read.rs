//! Reading a whole report for the gate: the same format detection as an
//! import, on a blocking thread, with fingerprints made unique the way an
//! import makes them, so the gate's identities are the store's.

use std::io::{BufRead, BufReader, Read};

use fixgate_domain::fingerprint::Occurrences;
use fixgate_domain::{Finding, RunInfo};
use fixgate_intake::formats::{self, Format};
use fixgate_intake::{Collected, Options};

use crate::ServiceError;

/// A report as the gate compares it.
#[derive(Debug)]
pub(crate) struct ReadReport {
    pub format: &'static str,
    pub findings: Vec<Finding>,
    pub runs: Vec<RunInfo>,
}

impl ReadReport {
    /// The report's tools, clean runs included, in report order.
    pub fn tools(&self) -> Vec<String> {
        let mut tools: Vec<String> = Vec::new();
        let named = self.runs.iter().map(|r| &r.tool).chain(self.findings.iter().map(|f| &f.tool));
        for tool in named.filter(|t| !t.trim().is_empty()) {
            if !tools.contains(tool) {
                tools.push(tool.clone());
            }
        }
        tools
    }

    /// The first value a run of the report gives for `pick`.
    pub fn run_value(&self, pick: fn(&RunInfo) -> Option<&String>) -> Option<String> {
        self.runs.iter().find_map(|r| pick(r).filter(|v| !v.trim().is_empty()).cloned())
    }
}

/// The format named by `--format` / `format=`, if any.
pub(crate) fn forced_format(name: Option<&str>) -> Result<Option<&'static Format>, ServiceError> {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    formats::by_name(name).map(Some).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "unknown format {name:?}; supported formats: {}",
            formats::names()
        ))
    })
}

/// Reads all of `reader`.
pub(crate) async fn read_report<R>(
    reader: R,
    forced: Option<&'static Format>,
    options: Options,
) -> Result<ReadReport, ServiceError>
where
    R: Read + Send + 'static,
{
    tokio::task::spawn_blocking(move || read_blocking(reader, forced, &options))
        .await
        .map_err(ServiceError::Task)?
}

fn read_blocking<R: Read>(
    reader: R,
    forced: Option<&'static Format>,
    options: &Options,
) -> Result<ReadReport, ServiceError> {
    let mut buffered = BufReader::with_capacity(256 * 1024, reader);
    let prefix = buffered.fill_buf().map_err(ServiceError::Io)?;
    let format =
        forced.or_else(|| formats::detect(prefix)).ok_or_else(|| ServiceError::UnknownFormat {
            found: formats::describe(prefix),
            supported: formats::names(),
        })?;
    let mut collected = Collected::default();
    (format.parse)(&mut buffered, options, &mut collected)?;
    let mut findings = collected.findings;
    let dropped = Occurrences::default().assign(&mut findings);
    if dropped > 0 {
        tracing::debug!(dropped, "the report listed results twice at the same place");
    }
    Ok(ReadReport { format: format.name, findings, runs: collected.runs })
}
