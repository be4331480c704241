//! Intake: report parsers that turn a scanner's report into fixgate findings,
//! and the readers of the exploit signal files users load ([`exploits`]).
//!
//! A parser reads its report as a stream and hands each finding to a
//! [`Sink`] as soon as it is complete, so memory does not grow with the size
//! of the report. Parsers work in two stages: serde types that mirror the
//! format and only validate, then a conversion into [`fixgate_domain::Finding`].

mod anchore;
mod bandit;
mod burp;
mod checkov;
mod clair;
mod code;
mod common;
mod cyclonedx;
mod dast;
mod dependency_check;
mod detect_secrets;
pub mod error;
pub mod exploits;
pub mod formats;
mod generic;
mod github_alerts;
mod gitleaks;
mod gosec;
mod grype;
mod html;
mod ids;
mod input;
mod json;
mod kics;
mod lenient;
pub mod limits;
mod npm_audit;
mod nuclei;
mod osv_scanner;
mod pip_audit;
pub mod purl;
pub mod sarif;
pub mod secrets;
mod semgrep;
pub mod shape;
mod snyk;
mod sonarqube;
mod syntax;
mod tfsec;
mod trivy;
mod trufflehog;
mod xml;
mod zap;

pub use error::ParseError;
pub use limits::Limits;
pub use secrets::SecretKey;
pub use shape::Shape;

/// What every parse is given besides the report: its limits and the key that
/// hashes leaked secrets.
#[derive(Debug, Clone)]
pub struct Options {
    pub limits: Limits,
    pub secret_key: SecretKey,
}

impl Default for Options {
    /// Default limits and a random key, for a parse whose secret hashes need
    /// only agree with each other (`fixgate parse`, tests).
    fn default() -> Options {
        Options { limits: Limits::default(), secret_key: SecretKey::random() }
    }
}

use fixgate_domain::{Finding, RunInfo};

/// Receives what a parser reads.
pub trait Sink {
    /// One finding; `finding.run` says which run it belongs to. An error stops
    /// the parse (for example when the importer gave up).
    fn finding(&mut self, finding: Finding) -> Result<(), SinkError>;

    /// Called once per run, after all of its findings, with what the run says
    /// about itself. Runs without results are reported too: a clean run is
    /// evidence that its tool found nothing.
    fn run(&mut self, index: usize, info: RunInfo) -> Result<(), SinkError>;
}

/// The sink refused a finding; the parse stops with this message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

/// A sink that keeps everything in memory: for tests and `fixgate parse`.
#[derive(Debug, Default)]
pub struct Collected {
    pub findings: Vec<Finding>,
    pub runs: Vec<RunInfo>,
}

impl Sink for Collected {
    fn finding(&mut self, finding: Finding) -> Result<(), SinkError> {
        self.findings.push(finding);
        Ok(())
    }

    fn run(&mut self, index: usize, info: RunInfo) -> Result<(), SinkError> {
        if self.runs.len() <= index {
            self.runs.resize(index + 1, RunInfo::default());
        }
        if let Some(slot) = self.runs.get_mut(index) {
            *slot = info;
        }
        Ok(())
    }
}
