//! Importing a report: parse it on a blocking thread while hashing it,
//! resolve the scan's context from the caller and the report, then record
//! the scan in one transaction.

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use fixgate_domain::fingerprint::assign_occurrences;
use fixgate_domain::{ImportCounts, RunInfo, ScanContext};
use fixgate_intake::{Collected, sarif};
use fixgate_store::{NewScan, ScanFinding, ScanScope};
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
    pub progress: Option<Progress>,
}

/// What an import did, with the context it resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportReport {
    pub scan_id: i64,
    /// The report is the one the scope's latest scan already imported.
    pub duplicate: bool,
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

/// The formats fixgate reads, by name.
pub const FORMATS: &[&str] = &["sarif"];

/// A parsed report, before its context is resolved.
struct Parsed {
    collected: Collected,
    sha256: String,
    bytes: u64,
}

impl Fixgate {
    /// Imports one report read from `reader`.
    pub async fn import<R>(
        &self,
        reader: R,
        request: ImportRequest,
    ) -> Result<ImportReport, ServiceError>
    where
        R: Read + Send + 'static,
    {
        let started = Instant::now();
        if let Some(format) = request.format.as_deref().filter(|f| !FORMATS.contains(f)) {
            return Err(ServiceError::Invalid(format!(
                "unknown format {format:?}; supported formats: {}",
                FORMATS.join(", ")
            )));
        }
        let limits = self.limits;
        let progress = request.progress.clone();
        let parsed = tokio::task::spawn_blocking(move || parse(reader, limits, progress))
            .await
            .map_err(ServiceError::Task)??;

        tracing::debug!(ms = started.elapsed().as_millis() as u64, "parsed");
        let scan = resolve(parsed, &request.context, self.clock.now())?;
        let outcome = self.store.record_scan(&scan).await?;
        let report = ImportReport {
            scan_id: outcome.scan_id,
            duplicate: outcome.duplicate,
            counts: outcome.counts,
            findings: scan.findings.len() as u64,
            opened_tickets: outcome.opened_tickets,
            application: scan.application,
            repository: scan.repository,
            branch: scan.branch,
            commit: scan.commit,
            category: scan.category,
            tools: scan.scopes.into_iter().map(|s| s.tool).collect(),
            format: scan.format,
            report_sha256: scan.report_sha256,
            duration_ms: started.elapsed().as_millis() as u64,
        };
        tracing::info!(
            scan_id = report.scan_id,
            application = %report.application,
            findings = report.findings,
            opened = report.counts.opened,
            seen_again = report.counts.seen_again,
            no_longer_seen = report.counts.no_longer_seen,
            duplicate = report.duplicate,
            duration_ms = report.duration_ms,
            "imported report"
        );
        Ok(report)
    }
}

fn parse<R: Read>(
    reader: R,
    limits: fixgate_intake::Limits,
    progress: Option<Progress>,
) -> Result<Parsed, ServiceError> {
    let hashing = HashingReader {
        inner: reader,
        hasher: Sha256::new(),
        bytes: 0,
        progress,
    };
    let mut buffered = BufReader::with_capacity(256 * 1024, hashing);
    let prefix = buffered.fill_buf().map_err(ServiceError::Io)?;
    if !sarif::sniff(prefix) {
        return Err(ServiceError::UnknownFormat {
            found: describe(prefix),
            supported: FORMATS.join(", "),
        });
    }

    let mut collected = Collected::default();
    sarif::parse(&mut buffered, &limits, &mut collected)?;
    // Whatever the parser left unread still belongs to the report's hash.
    std::io::copy(&mut buffered, &mut std::io::sink()).map_err(ServiceError::Io)?;
    let hashing = buffered.into_inner();
    Ok(Parsed {
        collected,
        sha256: hex::encode(hashing.hasher.finalize()),
        bytes: hashing.bytes,
    })
}

/// A few words on what a report that no parser took looks like.
fn describe(prefix: &[u8]) -> String {
    let text = String::from_utf8_lossy(prefix.get(..prefix.len().min(512)).unwrap_or(prefix));
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.is_empty() {
        return "an empty file".into();
    }
    let kind = match trimmed.chars().next() {
        Some('{') => "a JSON object",
        Some('[') => "a JSON array",
        Some('<') => "an XML or HTML document",
        _ if prefix.contains(&0) => "binary data",
        _ => "text",
    };
    let start: String = trimmed
        .chars()
        .take(60)
        .collect::<String>()
        .replace(['\n', '\r'], " ");
    format!("{kind} starting {start:?}")
}

/// Fills the scan's context from the caller first, then from the report.
fn resolve(
    parsed: Parsed,
    context: &ScanContext,
    now: jiff::Timestamp,
) -> Result<NewScan, ServiceError> {
    let Parsed {
        collected,
        sha256,
        bytes,
    } = parsed;
    let Collected { mut findings, runs } = collected;
    let from_runs = |pick: fn(&RunInfo) -> Option<&String>| {
        runs.iter()
            .find_map(|r| pick(r).filter(|v| !v.trim().is_empty()).cloned())
    };
    let given = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());

    let repository = given(&context.repository).or_else(|| from_runs(|r| r.repository.as_ref()));
    let application = given(&context.application)
        .or_else(|| repository.as_deref().and_then(repository_name))
        .ok_or_else(|| {
            ServiceError::Invalid(
                "the scan needs an application: give one (--app, or `application`), or a \
                 repository URL it can be named after"
                    .into(),
            )
        })?;
    let branch = given(&context.branch)
        .or_else(|| from_runs(|r| r.branch.as_ref()))
        .unwrap_or_else(|| "main".into());
    let commit = given(&context.commit).or_else(|| from_runs(|r| r.commit.as_ref()));
    let category = given(&context.category);

    let mut scopes: Vec<ScanScope> = Vec::new();
    let mut scope_of_run = Vec::with_capacity(runs.len());
    for run in &runs {
        let scope = ScanScope {
            tool: if run.tool.is_empty() {
                "unknown".into()
            } else {
                run.tool.clone()
            },
            category: category
                .clone()
                .or_else(|| run.category.clone())
                .unwrap_or_default(),
        };
        let index = scopes.iter().position(|s| *s == scope).unwrap_or_else(|| {
            scopes.push(scope);
            scopes.len() - 1
        });
        scope_of_run.push(index);
    }

    assign_occurrences(&mut findings);
    let findings = findings
        .into_iter()
        .map(|finding| {
            let scope = scope_of_run.get(finding.run).copied().ok_or_else(|| {
                ServiceError::Invalid(format!(
                    "a finding names run {} the report lacks",
                    finding.run
                ))
            })?;
            Ok(ScanFinding { scope, finding })
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;

    let scan_category = category
        .or_else(|| from_runs(|r| r.category.as_ref()))
        .unwrap_or_default();
    Ok(NewScan {
        application,
        repository,
        branch,
        commit,
        environment: given(&context.environment),
        category: scan_category,
        format: "sarif".into(),
        report_sha256: sha256,
        report_bytes: bytes as i64,
        uploader: given(&context.uploader).unwrap_or_else(|| "anonymous".into()),
        imported_at: now,
        scopes,
        findings,
    })
}

/// `shop` for `https://github.com/acme/shop.git`.
fn repository_name(url: &str) -> Option<String> {
    let web = fixgate_domain::link::web_url(url);
    web.rsplit('/')
        .next()
        .filter(|name| !name.is_empty())
        .map(str::to_string)
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
    fn describes_what_no_parser_took() {
        assert_eq!(describe(b""), "an empty file");
        assert!(describe(b"[1, 2]").starts_with("a JSON array"));
        assert!(describe(b"<html>").starts_with("an XML or HTML document"));
        assert!(describe(b"hello world").starts_with("text"));
    }

    #[test]
    fn application_defaults_to_the_repository_name() {
        assert_eq!(
            repository_name("git@github.com:acme/shop.git").as_deref(),
            Some("shop")
        );
    }
}
