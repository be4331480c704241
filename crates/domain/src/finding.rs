//! The normalized finding every parser produces, whatever the report format.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Fingerprint, Severity};

/// One normalized result of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Index of the run (SARIF) or section of the report the finding came from.
    pub run: usize,
    /// The scanner that reported it, e.g. `CodeQL`.
    pub tool: String,
    pub rule_id: String,
    pub rule_name: Option<String>,
    pub title: String,
    /// What the tool said about this occurrence.
    pub message: String,
    pub severity: Severity,
    /// The tool's own severity, as it wrote it (`error`, `9.8`, `HIGH`).
    pub tool_severity: Option<String>,
    pub cwes: Vec<u32>,
    /// Advisory ids: CVE, GHSA, OSV and similar, deduplicated, in report order.
    pub advisories: Vec<String>,
    pub location: Option<Location>,
    /// Source-to-sink steps, first step first; empty when the tool gave none.
    pub trace: Vec<TraceStep>,
    /// The tool's own fingerprints (SARIF `fingerprints` and `partialFingerprints`).
    pub tool_fingerprints: BTreeMap<String, String>,
    /// fixgate's identity for the problem; see [`crate::fingerprint`].
    pub fingerprint: Fingerprint,
    pub remediation: Option<String>,
    pub help_uri: Option<String>,
    /// Set when the source or the tool suppressed the result: it is recorded
    /// but opens no ticket.
    pub suppression: Option<Suppression>,
}

/// Where a finding is: a file region, or only a logical location.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_column: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// A function, class or other named place, when the tool names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logical: Option<String>,
}

impl Location {
    /// `path:line` (or the logical name) for people to read.
    pub fn display(&self) -> String {
        match (&self.path, self.start_line, &self.logical) {
            (Some(path), Some(line), _) => format!("{path}:{line}"),
            (Some(path), None, _) => path.clone(),
            (None, _, Some(logical)) => logical.clone(),
            (None, _, None) => String::new(),
        }
    }
}

/// One step of a source-to-sink trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceStep {
    pub location: Location,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Why a result is not to be acted on, as the report says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suppression {
    /// `inSource` or `external` for SARIF.
    pub kind: String,
    pub justification: Option<String>,
}
