//! Importing a report: parse it on a blocking thread while hashing it,
//! resolve the scan's context from the caller and the report, then record
//! the scan in one transaction.

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use fixgate_domain::fingerprint::Occurrences;
use fixgate_domain::{Finding, ImportCounts, RunInfo, ScanContext};
use fixgate_intake::formats::{self, Format};
use fixgate_intake::{Collected, Sink, SinkError};
use fixgate_store::{ImportSession, ScanEnd, ScanScope, ScanStart};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Fixgate, ServiceError};

/// Bytes of the report read so far, for progress bars.
pub type Progress = Arc<AtomicU64>;

/// What the caller says about a report.
#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    pub context: ScanContext,
    /// Skip detection and use this format.
    pub format: Option<String>,
    /// The scan covered only some paths or rules: it proves nothing absent.
    pub partial: bool,
    /// The repository's default branch, when the caller knows it.
    pub default_branch: Option<String>,
    pub progress: Option<Progress>,
}

/// What an import did, with the context it resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportReport {
    pub scan_id: i64,
    /// The report is the one the scope's latest scan already imported.
    pub duplicate: bool,
    /// The branch opens and closes tickets (the default branch, or one the
    /// policy tracks); other branches' scans only record what they saw.
    pub tracked: bool,
    pub partial: bool,
    #[serde(flatten)]
    pub counts: ImportCounts,
    pub findings: u64,
    pub opened_tickets: Vec<String>,
    pub application: String,
    pub repository: Option<String>,
    pub branch: String,
    pub commit: Option<String>,
    pub category: String,
    pub tools: Vec<String>,
    pub format: String,
    pub report_sha256: String,
    pub duration_ms: u64,
}

/// Findings travel from the parser to the store in chunks of this many.
const CHUNK: usize = 4096;

/// What the parsing thread reports once the whole report has been read.
struct Parsed {
    format: &'static str,
    runs: Vec<RunInfo>,
    sha256: String,
    bytes: u64,
}

impl Fixgate {
    /// Imports one report read from `reader`.
    ///
    /// When the caller names the application and the repository, findings
    /// are recorded while the report is still being parsed; otherwise they
    /// wait until the report has told its repository.
    pub async fn import<R>(
        &self,
        reader: R,
        request: ImportRequest,
    ) -> Result<ImportReport, ServiceError>
    where
        R: Read + Send + 'static,
    {
        let started = Instant::now();
        let forced = match request.format.as_deref() {
            Some(name) => Some(formats::by_name(name).ok_or_else(|| {
                ServiceError::Invalid(format!(
                    "unknown format {name:?}; supported formats: {}",
                    formats::names()
                ))
            })?),
            None => None,
        };
        let (sender, mut chunks) = tokio::sync::mpsc::channel::<Vec<Finding>>(2);
        let options = self.parse_options().await?;
        let progress = request.progress.clone();
        let parsing =
            tokio::task::spawn_blocking(move || parse(reader, forced, options, progress, sender));

        let context = &request.context;
        // A CI variable that was not set must not turn a feature branch's
        // scan into one of the default branch.
        if context.branch.as_deref().is_some_and(|b| b.trim().is_empty()) {
            return Err(ServiceError::Invalid(
                "the branch is empty: name the branch scanned (--branch, `branch`) or leave \
                 it out to take it from the report"
                    .into(),
            ));
        }
        let now = self.clock.now();
        let policy = self.import_policy().await?;
        let begin = |identity, branch: String| ScanStart {
            branch,
            default_branch: given(&request.default_branch),
            partial: request.partial,
            policy: policy.clone(),
            ..start_of(identity, context, now)
        };
        // Findings are recorded as they are parsed when the caller named the
        // repository and the branch; otherwise they wait for the report to
        // tell them.
        let mut session = match (identity(context, &[]), given(&context.branch)) {
            (Some(start), Some(branch)) if context.repository.is_some() => {
                Some(self.begin_triaged(begin(start, branch), context).await?)
            }
            _ => None,
        };
        let mut waiting: Vec<Vec<Finding>> = Vec::new();
        let mut occurrences = Occurrences::default();
        let mut repeats = 0;
        while let Some(mut chunk) = chunks.recv().await {
            repeats += occurrences.assign(&mut chunk);
            match session.as_mut() {
                Some(session) => session.add(chunk).await?,
                None => waiting.push(chunk),
            }
        }
        let parsed = parsing.await.map_err(ServiceError::Task)??;
        if repeats > 0 {
            tracing::info!(
                repeats,
                "the report listed results twice at the same place; kept one each"
            );
        }

        let mut session = match session {
            Some(session) => session,
            None => {
                let (application, repository) =
                    identity(context, &parsed.runs).ok_or_else(|| {
                        ServiceError::Invalid(
                            "the scan needs an application: name it (--app on the command line, \
                         `application` in the API) or give a repository URL (--repo, \
                         `repository`) to name it after"
                                .into(),
                        )
                    })?;
                let branch = branch_of(context, &parsed.runs);
                self.begin_triaged(begin((application, repository), branch), context).await?
            }
        };
        let findings: u64 = session_findings(&mut session, waiting).await?;
        let end = end_of(&parsed, context);
        let summary = (branch_of(context, &parsed.runs), end.commit.clone(), end.category.clone());
        let tools: Vec<String> = end.scopes.iter().map(|s| s.tool.clone()).collect();
        let outcome = session.finish(end).await?;

        let report = ImportReport {
            scan_id: outcome.scan_id,
            duplicate: outcome.duplicate,
            tracked: outcome.tracked,
            partial: outcome.partial,
            findings,
            counts: outcome.counts,
            opened_tickets: outcome.opened_tickets,
            application: identity(context, &parsed.runs).map(|(a, _)| a).unwrap_or_default(),
            repository: identity(context, &parsed.runs).and_then(|(_, r)| r),
            branch: summary.0,
            commit: summary.1,
            category: summary.2,
            tools,
            format: parsed.format.into(),
            report_sha256: parsed.sha256,
            duration_ms: started.elapsed().as_millis() as u64,
        };
        log_import(&report);
        Ok(report)
    }
}

impl Fixgate {
    /// Begins recording a scan whose new tickets the triage policy routes.
    async fn begin_triaged(
        &self,
        mut start: ScanStart,
        context: &ScanContext,
    ) -> Result<ImportSession, ServiceError> {
        let router = self
            .router(
                &start.application,
                start.repository.as_deref(),
                context.environment.as_deref(),
                start.imported_at,
            )
            .await?;
        start.triage = Some(router);
        Ok(self.store.begin_scan(start).await?)
    }
}

/// Records findings that waited for the report's context; returns how many
/// findings the scan has in all.
async fn session_findings(
    session: &mut ImportSession,
    waiting: Vec<Vec<Finding>>,
) -> Result<u64, ServiceError> {
    for chunk in waiting {
        session.add(chunk).await?;
    }
    Ok(session.findings())
}

fn log_import(report: &ImportReport) {
    tracing::info!(
        scan_id = report.scan_id,
        application = %report.application,
        findings = report.findings,
        opened = report.counts.opened,
        seen_again = report.counts.seen_again,
        no_longer_seen = report.counts.no_longer_seen,
        verified = report.counts.verified,
        reopened = report.counts.reopened,
        verification_failed = report.counts.verification_failed,
        tracked = report.tracked,
        duplicate = report.duplicate,
        duration_ms = report.duration_ms,
        "imported report"
    );
}

/// Hands findings to the importer in chunks as the parser produces them.
struct ChunkSink {
    chunk: Vec<Finding>,
    sender: tokio::sync::mpsc::Sender<Vec<Finding>>,
    runs: Collected,
}

impl ChunkSink {
    fn flush(&mut self) -> Result<(), SinkError> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        self.sender
            .blocking_send(chunk)
            .map_err(|_| SinkError("the import stopped before the report was read".into()))
    }
}

impl Sink for ChunkSink {
    fn finding(&mut self, finding: Finding) -> Result<(), SinkError> {
        self.chunk.push(finding);
        if self.chunk.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn run(&mut self, index: usize, info: RunInfo) -> Result<(), SinkError> {
        self.runs.run(index, info)
    }
}

fn parse<R: Read>(
    reader: R,
    forced: Option<&'static Format>,
    options: fixgate_intake::Options,
    progress: Option<Progress>,
    sender: tokio::sync::mpsc::Sender<Vec<Finding>>,
) -> Result<Parsed, ServiceError> {
    let hashing = HashingReader { inner: reader, hasher: Sha256::new(), bytes: 0, progress };
    let mut buffered = BufReader::with_capacity(256 * 1024, hashing);
    let prefix = buffered.fill_buf().map_err(ServiceError::Io)?;
    let format =
        forced.or_else(|| formats::detect(prefix)).ok_or_else(|| ServiceError::UnknownFormat {
            found: formats::describe(prefix),
            supported: formats::names(),
        })?;

    let mut sink =
        ChunkSink { chunk: Vec::with_capacity(CHUNK), sender, runs: Collected::default() };
    (format.parse)(&mut buffered, &options, &mut sink)?;
    sink.flush().map_err(fixgate_intake::ParseError::Sink)?;
    // Whatever the parser left unread still belongs to the report's hash.
    std::io::copy(&mut buffered, &mut std::io::sink()).map_err(ServiceError::Io)?;
    let hashing = buffered.into_inner();
    Ok(Parsed {
        format: format.name,
        runs: sink.runs.runs,
        sha256: hex::encode(hashing.hasher.finalize()),
        bytes: hashing.bytes,
    })
}

fn given(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.trim().is_empty())
}

fn from_runs(runs: &[RunInfo], pick: fn(&RunInfo) -> Option<&String>) -> Option<String> {
    runs.iter().find_map(|r| pick(r).filter(|v| !v.trim().is_empty()).cloned())
}

/// The application and repository, from the caller first, then the report.
fn identity(context: &ScanContext, runs: &[RunInfo]) -> Option<(String, Option<String>)> {
    let repository =
        given(&context.repository).or_else(|| from_runs(runs, |r| r.repository.as_ref()));
    let application =
        given(&context.application).or_else(|| repository.as_deref().and_then(repository_name))?;
    Some((application, repository))
}

fn start_of(
    (application, repository): (String, Option<String>),
    context: &ScanContext,
    now: jiff::Timestamp,
) -> ScanStart {
    ScanStart {
        application,
        repository,
        branch: String::new(),
        default_branch: None,
        partial: false,
        policy: Default::default(),
        triage: None,
        uploader: given(&context.uploader).unwrap_or_else(|| "anonymous".into()),
        imported_at: now,
    }
}

/// The branch, from the caller first, then the report, else `main`.
fn branch_of(context: &ScanContext, runs: &[RunInfo]) -> String {
    given(&context.branch)
        .or_else(|| from_runs(runs, |r| r.branch.as_ref()))
        .unwrap_or_else(|| "main".into())
}

/// The rest of the scan's context, from the caller first, then the report.
fn end_of(parsed: &Parsed, context: &ScanContext) -> ScanEnd {
    let runs = &parsed.runs;
    let category = given(&context.category);
    let mut scopes: Vec<ScanScope> = Vec::new();
    let mut scope_of_run = Vec::with_capacity(runs.len());
    for run in runs {
        let scope = ScanScope {
            tool: if run.tool.is_empty() { "unknown".into() } else { run.tool.clone() },
            category: category.clone().or_else(|| run.category.clone()).unwrap_or_default(),
        };
        let index = scopes.iter().position(|s| *s == scope).unwrap_or_else(|| {
            scopes.push(scope);
            scopes.len() - 1
        });
        scope_of_run.push(index);
    }
    ScanEnd {
        commit: given(&context.commit).or_else(|| from_runs(runs, |r| r.commit.as_ref())),
        environment: given(&context.environment),
        category: category.or_else(|| from_runs(runs, |r| r.category.as_ref())).unwrap_or_default(),
        format: parsed.format.into(),
        report_sha256: parsed.sha256.clone(),
        report_bytes: parsed.bytes as i64,
        scopes,
        scope_of_run,
        partial: runs.iter().any(|r| r.partial),
    }
}

/// `shop` for `https://github.com/acme/shop.git`.
fn repository_name(url: &str) -> Option<String> {
    let web = fixgate_domain::link::web_url(url);
    web.rsplit('/').next().filter(|name| !name.is_empty()).map(str::to_string)
}

/// Hashes and counts what passes through.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
    progress: Option<Progress>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let read = buf.get(..n).unwrap_or_default();
        self.hasher.update(read);
        self.bytes += n as u64;
        if let Some(progress) = &self.progress {
            progress.store(self.bytes, Ordering::Relaxed);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_defaults_to_the_repository_name() {
        assert_eq!(repository_name("git@github.com:acme/shop.git").as_deref(), Some("shop"));
    }
}
