//! Serde types that mirror a Dependency-Check JSON report (report schema
//! 1.1), only the parts fixgate reads. The XML reader converts its own types
//! into these, so the conversion into findings is written once.
//!
//! Dependency-Check's own templates spelled some keys oddly over the years
//! (`authenticationr`, `authenticationr>`, `baseSeverity>`); the aliases
//! accept every spelling.

use serde::Deserialize;

use crate::lenient::{Cwe, flag, or_default, score};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Report {
    pub scan_info: Option<ScanInfo>,
    pub dependencies: Option<Vec<Dependency>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ScanInfo {
    pub engine_version: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Dependency {
    pub file_name: Option<String>,
    pub file_path: Option<String>,
    /// Package URLs and other software identifiers.
    #[serde(default, deserialize_with = "or_default")]
    pub packages: Vec<PackageId>,
    /// Identifiers of reports before package URLs (`maven` `group:artifact:version`).
    #[serde(default, deserialize_with = "or_default")]
    pub identifiers: Vec<Identifier>,
    pub evidence_collected: Option<Evidence>,
    #[serde(default, deserialize_with = "or_default")]
    pub vulnerabilities: Vec<Vulnerability>,
    #[serde(default, deserialize_with = "or_default")]
    pub suppressed_vulnerabilities: Vec<Vulnerability>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct PackageId {
    pub id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Identifier {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Evidence {
    #[serde(default, deserialize_with = "or_default")]
    pub product_evidence: Vec<EvidenceItem>,
    #[serde(default, deserialize_with = "or_default")]
    pub version_evidence: Vec<EvidenceItem>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct EvidenceItem {
    pub confidence: Option<String>,
    pub name: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Vulnerability {
    pub name: Option<String>,
    pub severity: Option<String>,
    pub cvssv2: Option<CvssV2>,
    pub cvssv3: Option<CvssV3>,
    pub cvssv4: Option<CvssV4>,
    #[serde(default, deserialize_with = "or_default")]
    pub cwes: Vec<Cwe>,
    pub description: Option<String>,
    pub notes: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    pub references: Vec<Reference>,
    #[serde(default, deserialize_with = "or_default")]
    pub vulnerable_software: Vec<VulnerableSoftware>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CvssV2 {
    #[serde(default, deserialize_with = "score")]
    pub score: Option<f64>,
    pub access_vector: Option<String>,
    pub access_complexity: Option<String>,
    #[serde(alias = "authenticationr", alias = "authenticationr>")]
    pub authentication: Option<String>,
    #[serde(alias = "confidentialImpact")]
    pub confidentiality_impact: Option<String>,
    pub integrity_impact: Option<String>,
    pub availability_impact: Option<String>,
    pub severity: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CvssV3 {
    #[serde(default, deserialize_with = "score")]
    pub base_score: Option<f64>,
    pub attack_vector: Option<String>,
    pub attack_complexity: Option<String>,
    pub privileges_required: Option<String>,
    pub user_interaction: Option<String>,
    pub scope: Option<String>,
    pub confidentiality_impact: Option<String>,
    pub integrity_impact: Option<String>,
    pub availability_impact: Option<String>,
    #[serde(alias = "baseSeverity>")]
    pub base_severity: Option<String>,
    pub version: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CvssV4 {
    pub vector_string: Option<String>,
    #[serde(default, deserialize_with = "score")]
    pub base_score: Option<f64>,
    pub base_severity: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Reference {
    pub url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct VulnerableSoftware {
    pub software: Option<Software>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Software {
    /// Set on the entry the vulnerability was matched by.
    #[serde(default, deserialize_with = "flag")]
    pub vulnerability_id_matched: bool,
    pub version_end_excluding: Option<String>,
}
