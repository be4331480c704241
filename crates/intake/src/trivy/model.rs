//! Serde types that mirror Trivy's JSON: the report's metadata and the four
//! kinds of item a result (target) holds. Every field is optional, since
//! Trivy leaves out empty ones and older versions wrote fewer.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// `Metadata`: only what a run says about itself; image configuration,
/// layers and OS are not read.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Metadata {
    #[serde(rename = "RepoURL")]
    pub repo_url: Option<String>,
    #[serde(rename = "Branch")]
    pub branch: Option<String>,
    #[serde(rename = "Commit")]
    pub commit: Option<String>,
}

/// `Trivy`: the version that wrote the report (Trivy 0.5x and later).
#[derive(Debug, Default, Deserialize)]
pub(super) struct Producer {
    #[serde(rename = "Version")]
    pub version: Option<String>,
}

/// One entry of a result's `Vulnerabilities`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Vulnerability {
    #[serde(rename = "VulnerabilityID")]
    pub id: Option<String>,
    #[serde(rename = "VendorIDs")]
    pub vendor_ids: Option<Vec<String>>,
    #[serde(rename = "PkgName")]
    pub pkg_name: Option<String>,
    #[serde(rename = "PkgPath")]
    pub pkg_path: Option<String>,
    #[serde(rename = "PkgIdentifier")]
    pub pkg_identifier: Option<PkgIdentifier>,
    #[serde(rename = "InstalledVersion")]
    pub installed_version: Option<String>,
    #[serde(rename = "FixedVersion")]
    pub fixed_version: Option<String>,
    #[serde(rename = "Status")]
    pub status: Option<String>,
    #[serde(rename = "Severity")]
    pub severity: Option<String>,
    #[serde(rename = "SeveritySource")]
    pub severity_source: Option<String>,
    #[serde(rename = "PrimaryURL")]
    pub primary_url: Option<String>,
    #[serde(rename = "Title")]
    pub title: Option<String>,
    #[serde(rename = "Description")]
    pub description: Option<String>,
    #[serde(rename = "CweIDs")]
    pub cwe_ids: Option<Vec<String>>,
    #[serde(rename = "CVSS")]
    pub cvss: Option<Sources<CvssEntry>>,
    #[serde(rename = "References")]
    pub references: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct PkgIdentifier {
    #[serde(rename = "PURL")]
    pub purl: Option<String>,
}

/// One source's rating in a vulnerability's `CVSS` map.
#[derive(Debug, Default, Deserialize)]
pub(super) struct CvssEntry {
    #[serde(rename = "V3Score")]
    pub v3_score: Option<f64>,
    #[serde(rename = "V3Vector")]
    pub v3_vector: Option<String>,
    #[serde(rename = "V40Score")]
    pub v40_score: Option<f64>,
    #[serde(rename = "V40Vector")]
    pub v40_vector: Option<String>,
}

/// One entry of a result's `Misconfigurations`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Misconfiguration {
    #[serde(rename = "ID")]
    pub id: Option<String>,
    #[serde(rename = "AVDID")]
    pub avd_id: Option<String>,
    #[serde(rename = "Title")]
    pub title: Option<String>,
    #[serde(rename = "Description")]
    pub description: Option<String>,
    #[serde(rename = "Message")]
    pub message: Option<String>,
    #[serde(rename = "Resolution")]
    pub resolution: Option<String>,
    #[serde(rename = "Severity")]
    pub severity: Option<String>,
    #[serde(rename = "PrimaryURL")]
    pub primary_url: Option<String>,
    #[serde(rename = "References")]
    pub references: Option<Vec<String>>,
    #[serde(rename = "Status")]
    pub status: Option<String>,
    #[serde(rename = "CauseMetadata")]
    pub cause: Option<Cause>,
}

/// Where a misconfiguration is: the resource and its lines.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Cause {
    #[serde(rename = "Resource")]
    pub resource: Option<String>,
    #[serde(rename = "StartLine")]
    pub start_line: Option<u32>,
    #[serde(rename = "EndLine")]
    pub end_line: Option<u32>,
    #[serde(rename = "Code")]
    pub code: Option<Code>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Code {
    #[serde(rename = "Lines")]
    pub lines: Option<Vec<CodeLine>>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct CodeLine {
    #[serde(rename = "Content")]
    pub content: Option<String>,
    #[serde(rename = "IsCause")]
    pub is_cause: Option<bool>,
}

/// One entry of a result's `Secrets`. Trivy masks the secret itself with
/// `*` in `Match` and in the code lines.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Secret {
    #[serde(rename = "RuleID")]
    pub rule_id: Option<String>,
    #[serde(rename = "Category")]
    pub category: Option<String>,
    #[serde(rename = "Severity")]
    pub severity: Option<String>,
    #[serde(rename = "Title")]
    pub title: Option<String>,
    #[serde(rename = "StartLine")]
    pub start_line: Option<u32>,
    #[serde(rename = "EndLine")]
    pub end_line: Option<u32>,
    #[serde(rename = "Match")]
    pub matched: Option<String>,
    #[serde(rename = "Code")]
    pub code: Option<Code>,
}

/// One entry of a result's `Licenses`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct License {
    #[serde(rename = "Severity")]
    pub severity: Option<String>,
    #[serde(rename = "Category")]
    pub category: Option<String>,
    #[serde(rename = "PkgName")]
    pub pkg_name: Option<String>,
    #[serde(rename = "FilePath")]
    pub file_path: Option<String>,
    #[serde(rename = "Name")]
    pub name: Option<String>,
    #[serde(rename = "Confidence")]
    pub confidence: Option<f64>,
    #[serde(rename = "Link")]
    pub link: Option<String>,
}

/// One entry of `ExperimentalModifiedFindings` (`--show-suppressed`): an
/// item that `.trivyignore` or a VEX document set aside, with the item
/// itself in `Finding`, shaped as its `Type` says.
#[derive(Debug, Deserialize)]
pub(super) struct Modified {
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    #[serde(rename = "Status")]
    pub status: Option<String>,
    #[serde(rename = "Statement")]
    pub statement: Option<String>,
    #[serde(rename = "Source")]
    pub source: Option<String>,
    #[serde(rename = "Finding")]
    pub finding: Option<Box<RawValue>>,
}

/// A JSON object read as its entries in document order, for maps whose
/// first entry matters (`CVSS` by source).
#[derive(Debug)]
pub(super) struct Sources<T>(pub Vec<(String, T)>);

impl<T> Default for Sources<T> {
    fn default() -> Self {
        Sources(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sources<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(SourcesVisitor(PhantomData))
    }
}

struct SourcesVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for SourcesVisitor<T> {
    type Value = Sources<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of ratings by source")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Sources<T>, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(2));
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Sources(entries))
    }
}
