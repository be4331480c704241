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
    /// The third-party component the finding is about (SCA, containers,
    /// licences).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<Cvss>,
    /// Links to advisories and write-ups, deduplicated, in report order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// A leaked secret, as fixgate keeps it: never the value itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretRef>,
    /// What the report's own exploitability analysis (VEX) says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vex: Option<Vex>,
}

impl Finding {
    /// A finding with the given identity and nothing else; the parser fills
    /// in what its report says, then computes the fingerprint with
    /// [`Fingerprint::of`].
    pub fn new(
        tool: impl Into<String>,
        rule_id: impl Into<String>,
        title: impl Into<String>,
        severity: Severity,
    ) -> Finding {
        Finding {
            run: 0,
            tool: tool.into(),
            rule_id: rule_id.into(),
            rule_name: None,
            title: title.into(),
            message: String::new(),
            severity,
            tool_severity: None,
            cwes: Vec::new(),
            advisories: Vec::new(),
            location: None,
            trace: Vec::new(),
            tool_fingerprints: BTreeMap::new(),
            fingerprint: Fingerprint::from_stored(String::new()),
            remediation: None,
            help_uri: None,
            suppression: None,
            package: None,
            cvss: None,
            references: Vec::new(),
            secret: None,
            vex: None,
        }
    }

    /// Adds an advisory id (CVE, GHSA, OSV, vendor ids) unless it is blank or
    /// already listed; CVE ids are uppercased, GHSA ids keep GitHub's form.
    pub fn add_advisory(&mut self, id: &str) {
        let id = normalize_advisory(id);
        if !id.is_empty() && !self.advisories.contains(&id) {
            self.advisories.push(id);
        }
    }

    /// Adds a CWE number unless it is zero or already listed.
    pub fn add_cwe(&mut self, cwe: u32) {
        if cwe > 0 && !self.cwes.contains(&cwe) {
            self.cwes.push(cwe);
        }
    }

    /// Adds a reference link unless it is blank or already listed.
    pub fn add_reference(&mut self, url: &str) {
        let url = url.trim();
        if !url.is_empty() && !self.references.iter().any(|r| r == url) {
            self.references.push(url.to_string());
        }
    }
}

/// `cve-2021-44228` → `CVE-2021-44228`, `ghsa-AAAA-bbbb-cccc` →
/// `GHSA-aaaa-bbbb-cccc`; other ids are trimmed and kept as written.
pub fn normalize_advisory(id: &str) -> String {
    let id = id.trim();
    match id.get(..5) {
        Some(head) if head.eq_ignore_ascii_case("ghsa-") => {
            format!("GHSA-{}", id.get(5..).unwrap_or("").to_ascii_lowercase())
        }
        _ if id.get(..4).is_some_and(|head| head.eq_ignore_ascii_case("cve-")) => {
            id.to_ascii_uppercase()
        }
        _ => id.to_string(),
    }
}

/// A third-party component: a library, an OS package, a container layer's
/// package.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The package URL (`pkg:npm/lodash@4.17.15`), when the tool gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// `npm`, `pypi`, `maven`, `deb`, ... as the tool names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    /// The version or versions that fix the finding, as the tool wrote them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
}

impl Package {
    /// The package's ecosystem as a package URL type (`npm`, `pypi`,
    /// `maven`): the purl's type, else the ecosystem the tool named.
    pub fn purl_type(&self) -> Option<&str> {
        self.purl
            .as_deref()
            .and_then(|purl| purl.strip_prefix("pkg:"))
            .and_then(|rest| rest.split('/').next())
            .or(self.ecosystem.as_deref())
    }
}

/// A CVSS rating.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// The base score, 0 to 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The vector, such as `CVSS:3.1/AV:N/AC:L/...`; its prefix says the
    /// version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
}

/// A leaked secret as fixgate keeps it: a preview that shows a few characters
/// at each end, and a keyed hash of the value, so the same secret found in two
/// places is known to be the same without storing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecretRef {
    pub preview: String,
    /// `hmac-sha256:` and 32 hex characters, keyed per installation.
    pub hash: String,
}

/// A VEX analysis: whether the component's vulnerability affects the product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vex {
    /// As the report writes it: `not_affected`, `exploitable`, `in_triage`, ...
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
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
