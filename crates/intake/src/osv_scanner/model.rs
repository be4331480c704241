//! Serde types that mirror OSV-Scanner's JSON output (`--format json`,
//! versions 1 and 2) and the OSV records in it, only the parts fixgate reads.
//! `database_specific` is free-form in OSV, so its fields are read leniently:
//! an unexpected shape there never fails the report.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::lenient::{Cwe, cwes, flag, or_default, present, text};

#[derive(Debug, Default, Deserialize)]
pub(super) struct Output {
    /// Required, the one key every OSV-Scanner output has; `null` when
    /// nothing was found.
    #[serde(default, deserialize_with = "present")]
    pub results: Option<Option<Vec<SourceResult>>>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct SourceResult {
    pub source: Option<Source>,
    #[serde(default, deserialize_with = "or_default")]
    pub packages: Vec<PackageVulns>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Source {
    pub path: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct PackageVulns {
    pub package: Option<PackageInfo>,
    #[serde(default, deserialize_with = "or_default")]
    pub vulnerabilities: Vec<Record>,
    #[serde(default, deserialize_with = "or_default")]
    pub groups: Vec<Group>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct PackageInfo {
    pub name: Option<String>,
    pub version: Option<String>,
    pub ecosystem: Option<String>,
    /// For a package found by its git commit rather than a version.
    pub commit: Option<String>,
}

/// Records that are aliases of one another: one problem.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Group {
    #[serde(default, deserialize_with = "or_default")]
    pub ids: Vec<String>,
    #[serde(default, deserialize_with = "or_default")]
    pub aliases: Vec<String>,
    /// The highest CVSS base score of the group's records, as text.
    #[serde(default, deserialize_with = "text")]
    pub max_severity: Option<String>,
    /// Call analysis per record id (`--call-analysis`).
    #[serde(rename = "experimentalAnalysis", default, deserialize_with = "or_default")]
    pub analysis: BTreeMap<String, Analysis>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Analysis {
    #[serde(default, deserialize_with = "flag")]
    pub called: bool,
    #[serde(default, deserialize_with = "flag")]
    pub unimportant: bool,
}

/// An OSV record (schema 1.x).
#[derive(Debug, Default, Deserialize)]
pub(super) struct Record {
    pub id: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    pub details: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    pub severity: Vec<SeverityScore>,
    #[serde(default, deserialize_with = "or_default")]
    pub affected: Vec<Affected>,
    #[serde(default, deserialize_with = "or_default")]
    pub references: Vec<Reference>,
    pub database_specific: Option<DatabaseSpecific>,
}

/// `{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/..."}`; for other types
/// (`Ubuntu`) the score is a word.
#[derive(Debug, Default, Deserialize)]
pub(super) struct SeverityScore {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub score: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct DatabaseSpecific {
    /// GitHub's `CRITICAL`, `HIGH`, `MODERATE`, `LOW`.
    #[serde(default, deserialize_with = "text")]
    pub severity: Option<String>,
    #[serde(default, deserialize_with = "cwes")]
    pub cwe_ids: Vec<Cwe>,
    #[serde(default, deserialize_with = "cwes")]
    pub cwes: Vec<Cwe>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Affected {
    pub package: Option<AffectedPackage>,
    #[serde(default, deserialize_with = "or_default")]
    pub ranges: Vec<Range>,
    pub database_specific: Option<DatabaseSpecific>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct AffectedPackage {
    pub name: Option<String>,
    pub ecosystem: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Range {
    #[serde(default, deserialize_with = "or_default")]
    pub events: Vec<Event>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Event {
    pub fixed: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Reference {
    pub url: Option<String>,
}
