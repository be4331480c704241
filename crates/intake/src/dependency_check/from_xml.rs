//! Dependency-Check XML (root `analysis`, schemas `dependency-check.1.x` to
//! `dependency-check.4.x`): serde types that mirror it, converted into the
//! JSON model.
//!
//! Schemas before 2.0 wrote CVSS v2 as flat `cvssScore`, `cvssAccessVector`,
//! ... elements and one `cwe`; later ones write `cvssV2`, `cvssV3` and
//! `cvssV4` elements and a `cwes` list. Identifiers are `package` elements
//! (package URLs) or, before them, `identifier` elements with a type.

use serde::Deserialize;

use super::model;
use crate::ids;
use crate::lenient::Cwe;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Analysis {
    scan_info: Option<ScanInfo>,
    dependencies: Option<Dependencies>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScanInfo {
    engine_version: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Dependencies {
    #[serde(default)]
    dependency: Vec<Dependency>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    file_name: Option<String>,
    file_path: Option<String>,
    evidence_collected: Option<EvidenceCollected>,
    identifiers: Option<Identifiers>,
    vulnerabilities: Option<Vulnerabilities>,
    suppressed_vulnerabilities: Option<Vulnerabilities>,
}

#[derive(Debug, Default, Deserialize)]
struct EvidenceCollected {
    #[serde(default)]
    evidence: Vec<Evidence>,
}

#[derive(Debug, Default, Deserialize)]
struct Evidence {
    #[serde(rename = "@type")]
    kind: Option<String>,
    #[serde(rename = "@confidence")]
    confidence: Option<String>,
    name: Option<String>,
    value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Identifiers {
    #[serde(default)]
    package: Vec<model::PackageId>,
    #[serde(default)]
    identifier: Vec<Identifier>,
    /// Some reports nest an `identifiers` element in another.
    identifiers: Option<Box<Identifiers>>,
}

#[derive(Debug, Default, Deserialize)]
struct Identifier {
    #[serde(rename = "@type")]
    kind: Option<String>,
    name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vulnerabilities {
    #[serde(default)]
    vulnerability: Vec<Vulnerability>,
    #[serde(default)]
    suppressed_vulnerability: Vec<Vulnerability>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vulnerability {
    name: Option<String>,
    severity: Option<String>,
    cvss_score: Option<String>,
    cvss_access_vector: Option<String>,
    cvss_access_complexity: Option<String>,
    #[serde(alias = "cvssAuthenticationr")]
    cvss_authentication: Option<String>,
    cvss_confidential_impact: Option<String>,
    cvss_integrity_impact: Option<String>,
    cvss_availability_impact: Option<String>,
    #[serde(rename = "cvssV2")]
    cvss_v2: Option<CvssV2>,
    #[serde(rename = "cvssV3")]
    cvss_v3: Option<CvssV3>,
    #[serde(rename = "cvssV4")]
    cvss_v4: Option<CvssV4>,
    cwe: Option<String>,
    cwes: Option<Cwes>,
    description: Option<String>,
    notes: Option<String>,
    references: Option<References>,
    vulnerable_software: Option<VulnerableSoftware>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CvssV2 {
    score: Option<String>,
    access_vector: Option<String>,
    access_complexity: Option<String>,
    #[serde(alias = "authenticationr")]
    authentication: Option<String>,
    #[serde(alias = "confidentialImpact")]
    confidentiality_impact: Option<String>,
    integrity_impact: Option<String>,
    availability_impact: Option<String>,
    severity: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CvssV3 {
    base_score: Option<String>,
    attack_vector: Option<String>,
    attack_complexity: Option<String>,
    privileges_required: Option<String>,
    user_interaction: Option<String>,
    scope: Option<String>,
    confidentiality_impact: Option<String>,
    integrity_impact: Option<String>,
    availability_impact: Option<String>,
    base_severity: Option<String>,
    version: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CvssV4 {
    vector_string: Option<String>,
    base_score: Option<String>,
    base_severity: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Cwes {
    #[serde(default)]
    cwe: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct References {
    #[serde(default)]
    reference: Vec<model::Reference>,
}

#[derive(Debug, Default, Deserialize)]
struct VulnerableSoftware {
    #[serde(default)]
    software: Vec<Software>,
}

#[derive(Debug, Default, Deserialize)]
struct Software {
    #[serde(rename = "@vulnerabilityIdMatched")]
    vulnerability_id_matched: Option<String>,
    /// The name suppressed vulnerabilities use for the same flag.
    #[serde(rename = "@matched")]
    matched: Option<String>,
    #[serde(rename = "@versionEndExcluding")]
    version_end_excluding: Option<String>,
}

impl Analysis {
    /// The report in the JSON model.
    pub fn into_model(self) -> model::Report {
        let dependencies = self.dependencies.map(|d| d.dependency).unwrap_or_default();
        model::Report {
            scan_info: self.scan_info.map(|s| model::ScanInfo { engine_version: s.engine_version }),
            dependencies: Some(dependencies.into_iter().map(Dependency::into_model).collect()),
        }
    }
}

impl Dependency {
    fn into_model(self) -> model::Dependency {
        let mut packages = Vec::new();
        let mut identifiers = Vec::new();
        let mut pending = self.identifiers.map(Box::new);
        while let Some(group) = pending {
            let group = *group;
            packages.extend(group.package);
            identifiers.extend(
                group
                    .identifier
                    .into_iter()
                    .map(|i| model::Identifier { kind: i.kind, name: i.name }),
            );
            pending = group.identifiers;
        }
        let (vulnerabilities, mut suppressed) = match self.vulnerabilities {
            Some(v) => (v.vulnerability, v.suppressed_vulnerability),
            None => (Vec::new(), Vec::new()),
        };
        if let Some(more) = self.suppressed_vulnerabilities {
            suppressed.extend(more.suppressed_vulnerability);
            suppressed.extend(more.vulnerability);
        }

        model::Dependency {
            file_name: self.file_name,
            file_path: self.file_path,
            packages,
            identifiers,
            evidence_collected: self.evidence_collected.map(EvidenceCollected::into_model),
            vulnerabilities: vulnerabilities.into_iter().map(Vulnerability::into_model).collect(),
            suppressed_vulnerabilities: suppressed
                .into_iter()
                .map(Vulnerability::into_model)
                .collect(),
        }
    }
}

impl EvidenceCollected {
    fn into_model(self) -> model::Evidence {
        let mut evidence = model::Evidence::default();
        for item in self.evidence {
            let list = match item.kind.as_deref() {
                Some("product") => &mut evidence.product_evidence,
                Some("version") => &mut evidence.version_evidence,
                _ => continue,
            };
            list.push(model::EvidenceItem {
                confidence: item.confidence,
                name: item.name,
                value: item.value,
            });
        }
        evidence
    }
}

impl Vulnerability {
    fn into_model(self) -> model::Vulnerability {
        let legacy_v2 = self.cvss_score.as_ref().map(|score| model::CvssV2 {
            score: number(Some(score)),
            access_vector: self.cvss_access_vector.clone(),
            access_complexity: self.cvss_access_complexity.clone(),
            authentication: self.cvss_authentication.clone(),
            confidentiality_impact: self.cvss_confidential_impact.clone(),
            integrity_impact: self.cvss_integrity_impact.clone(),
            availability_impact: self.cvss_availability_impact.clone(),
            severity: None,
        });
        let cwes = self.cwe.into_iter().chain(self.cwes.map(|c| c.cwe).unwrap_or_default());
        let software = self.vulnerable_software.map(|v| v.software).unwrap_or_default();

        model::Vulnerability {
            name: self.name,
            severity: self.severity,
            cvssv2: self.cvss_v2.map(CvssV2::into_model).or(legacy_v2),
            cvssv3: self.cvss_v3.map(CvssV3::into_model),
            cvssv4: self.cvss_v4.map(|v| model::CvssV4 {
                vector_string: v.vector_string,
                base_score: number(v.base_score.as_ref()),
                base_severity: v.base_severity,
            }),
            cwes: cwes.map(|cwe| Cwe(ids::cwe_number(&cwe))).collect(),
            description: self.description,
            notes: self.notes,
            references: self.references.map(|r| r.reference).unwrap_or_default(),
            vulnerable_software: software.into_iter().map(Software::into_model).collect(),
        }
    }
}

impl CvssV2 {
    fn into_model(self) -> model::CvssV2 {
        model::CvssV2 {
            score: number(self.score.as_ref()),
            access_vector: self.access_vector,
            access_complexity: self.access_complexity,
            authentication: self.authentication,
            confidentiality_impact: self.confidentiality_impact,
            integrity_impact: self.integrity_impact,
            availability_impact: self.availability_impact,
            severity: self.severity,
        }
    }
}

impl CvssV3 {
    fn into_model(self) -> model::CvssV3 {
        model::CvssV3 {
            base_score: number(self.base_score.as_ref()),
            attack_vector: self.attack_vector,
            attack_complexity: self.attack_complexity,
            privileges_required: self.privileges_required,
            user_interaction: self.user_interaction,
            scope: self.scope,
            confidentiality_impact: self.confidentiality_impact,
            integrity_impact: self.integrity_impact,
            availability_impact: self.availability_impact,
            base_severity: self.base_severity,
            version: self.version,
        }
    }
}

impl Software {
    fn into_model(self) -> model::VulnerableSoftware {
        let is_true = |flag: &Option<String>| {
            flag.as_deref().is_some_and(|f| f.trim().eq_ignore_ascii_case("true"))
        };
        model::VulnerableSoftware {
            software: Some(model::Software {
                vulnerability_id_matched: is_true(&self.vulnerability_id_matched)
                    || is_true(&self.matched),
                version_end_excluding: self.version_end_excluding,
            }),
        }
    }
}

/// A number written as element text; `None` when blank or not a number.
fn number(text: Option<&String>) -> Option<f64> {
    text?.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}
