//! A scan's context, its scope and the counts an import reports.

use serde::{Deserialize, Serialize};

/// What the caller says about a report: where the code came from and what
/// kind of scan it is. Missing values are filled from the report itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanContext {
    pub application: Option<String>,
    pub repository: Option<String>,
    pub branch: Option<String>,
    pub commit: Option<String>,
    pub environment: Option<String>,
    pub category: Option<String>,
    /// Who uploaded it: a user or a token's name.
    pub uploader: Option<String>,
}

/// What one run of a report says about itself (SARIF `tool`,
/// `versionControlProvenance`, `automationDetails`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub tool: String,
    pub tool_version: Option<String>,
    pub repository: Option<String>,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub category: Option<String>,
    /// The run says it is not a complete scan (a SARIF run without a
    /// `results` array): it proves nothing absent.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

/// What one kind of scan is authoritative for: a later complete scan of the
/// same scope can prove a finding absent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScopeKey {
    pub application: String,
    pub repository: String,
    pub branch: String,
    pub tool: String,
    pub category: String,
}

impl ScopeKey {
    /// One string for indexing and locking: the parts joined by a separator
    /// no part can contain.
    pub fn canonical(&self) -> String {
        [&self.application, &self.repository, &self.branch, &self.tool, &self.category]
            .map(|p| p.replace('\u{1f}', " "))
            .join("\u{1f}")
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    /// Tickets this scan opened.
    pub opened: u64,
    /// Findings the previous scan of the scope saw too.
    pub seen_again: u64,
    /// Findings the scope had seen before but not in its previous scan.
    pub reappeared: u64,
    /// Findings the previous scan saw that this one did not.
    pub no_longer_seen: u64,
    /// Findings of a report identical to the scope's previous one: nothing
    /// was changed.
    pub unchanged: u64,
    /// Suppressed results: recorded, no ticket.
    pub suppressed: u64,
    /// Tickets this scan closed because no finding of theirs is seen any more.
    pub verified: u64,
    /// Closed tickets whose finding this scan saw again.
    pub reopened: u64,
    /// Tickets marked fixed whose finding this scan still saw.
    pub verification_failed: u64,
    /// Findings added to a ticket that already tracked another finding: a
    /// package upgrade, a rule's group, or the same problem from another tool.
    pub grouped: u64,
    /// Findings recognised by the content layer (their tool fingerprint changed).
    pub matched_by_content: u64,
    /// Findings recognised by the location layer (nothing else stable).
    pub matched_by_location: u64,
}
