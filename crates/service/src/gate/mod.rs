//! The CI gate (`fixgate check`): compares a report with what fixgate
//! tracks for its repository (or with a baseline report) and says what the
//! change brings: new findings, findings still open, findings it fixes and
//! suppressed ones. A check only reads; it stores nothing, so a pipeline can
//! run it on every push of a pull request.

mod classify;
mod policy;
mod read;
mod render;
mod sarif;

pub use classify::{Group, Groups, Item, Known, Standing, classify};
pub use policy::{FailOn, Verdict, verdict};
pub use render::{MARKDOWN_ROWS, markdown, text};
pub use sarif::to_sarif;

use std::io::Read;

use fixgate_intake::{Options, SecretKey};
use serde::{Deserialize, Serialize};

use crate::{Fixgate, ServiceError};
use read::{ReadReport, forced_format, read_report};

/// What a check compares and with what context.
#[derive(Debug, Clone, Default)]
pub struct CheckRequest {
    /// The repository's URL as fixgate knows it (default: the report's
    /// `versionControlProvenance`).
    pub repository: Option<String>,
    /// The branch of the change (default: from the report).
    pub branch: Option<String>,
    /// Compare with this application's findings only (default: every
    /// application of the repository).
    pub application: Option<String>,
    /// Skip detection and read the report as this format.
    pub format: Option<String>,
}

/// What a check found, by group; what the API answers and `--json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub repository: Option<String>,
    pub branch: Option<String>,
    pub application: Option<String>,
    pub format: String,
    pub tools: Vec<String>,
    /// `store` (what fixgate tracks) or `baseline` (an earlier report).
    pub against: String,
    /// How many earlier findings the report was compared with.
    pub compared_with: usize,
    pub counts: Counts,
    #[serde(flatten)]
    pub groups: Groups,
}

/// The size of each group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub new: usize,
    pub still_open: usize,
    pub fixed: usize,
    pub suppressed: usize,
}

impl Counts {
    pub fn of(groups: &Groups) -> Counts {
        Counts {
            new: groups.new.len(),
            still_open: groups.still_open.len(),
            fixed: groups.fixed.len(),
            suppressed: groups.suppressed.len(),
        }
    }
}

impl Fixgate {
    /// Checks a report against what fixgate tracks for its repository.
    pub async fn check<R>(
        &self,
        reader: R,
        request: CheckRequest,
    ) -> Result<Classification, ServiceError>
    where
        R: Read + Send + 'static,
    {
        let forced = forced_format(request.format.as_deref())?;
        let options = self.read_only_options().await?;
        let report = read_report(reader, forced, options).await?;
        let repository = given(&request.repository)
            .or_else(|| report.run_value(|r| r.repository.as_ref()))
            .ok_or_else(|| {
                ServiceError::Invalid(
                    "the check needs the repository to compare with: give its URL (--repo on \
                     the command line, `repository` in the API)"
                        .into(),
                )
            })?;
        let application = given(&request.application);
        let tracked = self.store.tracked_findings(application.as_deref(), &repository).await?;
        let now = self.clock.now();
        let known: Vec<Known> = tracked.into_iter().map(|t| Known::tracked(t, now)).collect();
        let request = CheckRequest { repository: Some(repository), application, ..request };
        Ok(classification(&report, known, &request, "store"))
    }

    /// The parse options of an import, without creating the secret hash key
    /// when the installation has none yet (then it has no secrets to match).
    async fn read_only_options(&self) -> Result<Options, ServiceError> {
        let secret_key = match self.store.setting("secret_hash_key").await? {
            Some(stored) => SecretKey::from_hex(&stored).ok_or_else(|| {
                ServiceError::Invalid("the stored secret hash key is not 64 hex characters".into())
            })?,
            None => SecretKey::random(),
        };
        Ok(Options { limits: self.limits, secret_key })
    }
}

/// Checks a report against a baseline report, offline: every finding of the
/// baseline counts as tracked and open, and there are no decisions.
pub async fn check_against_baseline<R, B>(
    reader: R,
    baseline: B,
    request: CheckRequest,
) -> Result<Classification, ServiceError>
where
    R: Read + Send + 'static,
    B: Read + Send + 'static,
{
    let forced = forced_format(request.format.as_deref())?;
    // One key for both, so a leaked secret hashes the same in each.
    let options = Options::default();
    let report = read_report(reader, forced, options.clone()).await?;
    let baseline = read_report(baseline, None, options).await.map_err(|err| match err {
        ServiceError::Parse(err) => ServiceError::Invalid(format!("the baseline: {err}")),
        ServiceError::UnknownFormat { found, supported } => ServiceError::Invalid(format!(
            "the baseline: unrecognised report format: {found}; supported formats: {supported}"
        )),
        other => other,
    })?;
    let known: Vec<Known> = baseline.findings.iter().map(Known::baseline).collect();
    Ok(classification(&report, known, &request, "baseline"))
}

fn classification(
    report: &ReadReport,
    known: Vec<Known>,
    request: &CheckRequest,
    against: &str,
) -> Classification {
    let compared_with = known.len();
    let tools = report.tools();
    let groups = classify(&report.findings, known, &tools);
    Classification {
        repository: given(&request.repository)
            .or_else(|| report.run_value(|r| r.repository.as_ref())),
        branch: given(&request.branch).or_else(|| report.run_value(|r| r.branch.as_ref())),
        application: given(&request.application),
        format: report.format.to_string(),
        tools,
        against: against.to_string(),
        compared_with,
        counts: Counts::of(&groups),
        groups,
    }
}

fn given(value: &Option<String>) -> Option<String> {
    value.as_ref().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}
