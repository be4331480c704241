//! Decisions out to the scanners: the false positives and accepted risks
//! people decided in fixgate, written in the files scanners read, so the
//! next scan in CI does not raise them again. Four kinds: an OpenVEX
//! document and a CycloneDX VEX BOM (Trivy, Grype and other VEX consumers),
//! Trivy's `.trivyignore` and Gitleaks' `.gitleaksignore`.
//!
//! Only decisions still in force count: a decision whose expiry has passed
//! is left out, and so is a ticket that was reopened. The builders are pure:
//! they take the decisions and the time and return the file's text.

mod cyclonedx;
mod ignore;
mod openvex;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use fixgate_domain::Package;
use fixgate_domain::TicketState::RiskAccepted;
use fixgate_intake::purl::package_purl;
use fixgate_store::Decision;
use jiff::Timestamp;

use crate::{Fixgate, ServiceError};

/// fixgate's version, as the documents name their tool.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A kind of file `fixgate export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// A CycloneDX 1.5 JSON BOM with `vulnerabilities[].analysis`.
    CycloneDxVex,
    /// An OpenVEX 0.2.0 document.
    OpenVex,
    /// Trivy's ignore file.
    TrivyIgnore,
    /// Gitleaks' ignore file.
    GitleaksIgnore,
}

impl ExportKind {
    pub const ALL: [ExportKind; 4] = [
        ExportKind::CycloneDxVex,
        ExportKind::OpenVex,
        ExportKind::TrivyIgnore,
        ExportKind::GitleaksIgnore,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::CycloneDxVex => "vex",
            ExportKind::OpenVex => "openvex",
            ExportKind::TrivyIgnore => "trivyignore",
            ExportKind::GitleaksIgnore => "gitleaksignore",
        }
    }

    /// The media type of the file.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportKind::CycloneDxVex => "application/vnd.cyclonedx+json",
            ExportKind::OpenVex => "application/json",
            ExportKind::TrivyIgnore | ExportKind::GitleaksIgnore => "text/plain; charset=utf-8",
        }
    }

    /// The name the scanner looks for, or a descriptive one for VEX files.
    pub fn file_name(self) -> &'static str {
        match self {
            ExportKind::CycloneDxVex => "fixgate.vex.cdx.json",
            ExportKind::OpenVex => "fixgate.openvex.json",
            ExportKind::TrivyIgnore => ".trivyignore",
            ExportKind::GitleaksIgnore => ".gitleaksignore",
        }
    }
}

impl fmt::Display for ExportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExportKind {
    type Err = String;

    fn from_str(name: &str) -> Result<ExportKind, String> {
        let name = name.trim().to_ascii_lowercase();
        ExportKind::ALL.into_iter().find(|kind| kind.as_str() == name).ok_or_else(|| {
            format!("unknown export {name:?}: use vex, openvex, trivyignore or gitleaksignore")
        })
    }
}

/// What to export, and for which repository.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub kind: ExportKind,
    /// The repository URL, as scans name it.
    pub repository: String,
    /// Only this application's tickets, when given.
    pub application: Option<String>,
    /// An identifier of the scanned artifact (`pkg:oci/shop?...`) that VEX
    /// statements also name as their product, with the package as its
    /// subcomponent; Grype matches statements only so.
    pub product: Option<String>,
}

/// A written export.
#[derive(Debug, Clone)]
pub struct Export {
    pub kind: ExportKind,
    /// The file's text.
    pub body: String,
    /// Statements, vulnerabilities or ignore lines written.
    pub entries: usize,
    /// Decided findings the file cannot name, each with the ticket and why.
    pub left_out: Vec<String>,
}

/// What every builder is given besides the decisions.
#[derive(Debug, Clone, Copy)]
struct Context<'a> {
    repository: &'a str,
    application: Option<&'a str>,
    product: Option<&'a str>,
    now: Timestamp,
}

impl Fixgate {
    /// The decisions in force on `request.repository`'s tickets, written as
    /// `request.kind`.
    pub async fn export(&self, request: &ExportRequest) -> Result<Export, ServiceError> {
        let repository = request.repository.trim();
        if repository.is_empty() {
            return Err(ServiceError::Invalid("an export needs the repository's URL".into()));
        }
        let application = request.application.as_deref().map(str::trim).filter(|a| !a.is_empty());
        let product = request.product.as_deref().map(str::trim).filter(|p| !p.is_empty());
        let now = self.clock.now();
        let decisions = self.store.decisions(repository, application, now).await?;

        let context = Context { repository, application, product, now };
        Ok(match request.kind {
            ExportKind::OpenVex => openvex::document(&decisions, &context),
            ExportKind::CycloneDxVex => {
                cyclonedx::document(&decisions, &context, &cyclonedx::random_serial()?)
            }
            ExportKind::TrivyIgnore => ignore::trivy(&decisions, &context),
            ExportKind::GitleaksIgnore => ignore::gitleaks(&decisions, &context),
        })
    }
}

/// One vulnerability of one package a decision covers: what a VEX
/// statement is about.
struct VexEntry<'a> {
    advisory: &'a str,
    /// The other ids of the same finding (a GHSA's CVE).
    aliases: Vec<&'a str>,
    /// The purl as the report gave it, or as fixgate built it.
    purl: String,
    /// The purl without qualifiers and subpath, which matches the package
    /// whatever architecture or distribution release a scanner adds.
    product: String,
    package: &'a Package,
    decision: &'a Decision,
}

/// The (advisory, package) pairs of the decided SCA findings, each once,
/// and the findings left out because their package has no purl. When two
/// tickets decided one pair differently (the package at two paths), the
/// accepted risk wins: it claims less than a false positive does.
fn vex_entries(decisions: &[Decision]) -> (Vec<VexEntry<'_>>, Vec<String>) {
    let mut entries: Vec<VexEntry> = Vec::new();
    let mut left_out = Vec::new();
    let mut seen = HashMap::new();
    for decision in decisions {
        for finding in &decision.findings {
            let Some(package) = &finding.package else { continue };
            if finding.advisories.is_empty() {
                continue;
            }
            let Some(purl) = purl_of(package) else {
                left_out.push(format!(
                    "{}: {} has no package URL, so no VEX statement can name it",
                    decision.key,
                    describe(package)
                ));
                continue;
            };
            let product = without_qualifiers(&purl).to_string();
            for advisory in &finding.advisories {
                if let Some(&at) = seen.get(&(advisory.as_str(), product.clone())) {
                    let earlier: Option<&mut VexEntry> = entries.get_mut(at);
                    if let Some(earlier) = earlier.filter(|_| decision.state == RiskAccepted) {
                        earlier.decision = decision;
                    }
                    continue;
                }
                seen.insert((advisory.as_str(), product.clone()), entries.len());
                let aliases =
                    finding.advisories.iter().filter(|a| *a != advisory).map(String::as_str);
                entries.push(VexEntry {
                    advisory,
                    aliases: aliases.collect(),
                    purl: purl.clone(),
                    product: product.clone(),
                    package,
                    decision,
                });
            }
        }
    }
    (entries, left_out)
}

fn purl_of(package: &Package) -> Option<String> {
    let given = package.purl.as_deref().map(str::trim).filter(|p| p.starts_with("pkg:"));
    match given {
        Some(purl) => Some(purl.to_string()),
        None => package_purl(
            package.ecosystem.as_deref().unwrap_or(""),
            &package.name,
            package.version.as_deref(),
        ),
    }
}

/// `lodash 4.17.15 (npm)` for messages.
fn describe(package: &Package) -> String {
    let mut out = package.name.clone();
    if let Some(version) = &package.version {
        out.push(' ');
        out.push_str(version);
    }
    if let Some(ecosystem) = &package.ecosystem {
        out.push_str(&format!(" ({ecosystem})"));
    }
    out
}

fn without_qualifiers(purl: &str) -> &str {
    purl.split(['?', '#']).next().unwrap_or(purl)
}

/// The decision in one line, for people: who decided what, until when, why.
fn summary(decision: &Decision) -> String {
    let reason =
        decision.reason.as_deref().map(one_line).unwrap_or_else(|| "no reason given".into());
    let mut out = match decision.state {
        RiskAccepted => format!("Risk accepted in fixgate {}", decision.key),
        _ => format!("False positive in fixgate {}", decision.key),
    };
    if let Some(approver) = &decision.approver {
        out.push_str(&format!(", approved by {}", one_line(approver)));
    }
    if let Some(expires_at) = decision.expires_at {
        out.push_str(&format!(", until {expires_at}"));
    }
    out.push_str(&format!(": {reason}"));
    out
}

/// Text on one line, its runs of white space (line breaks too) as one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use fixgate_domain::{Finding, Severity, TicketState};

    use super::*;

    #[test]
    fn kinds_are_named_as_the_command_takes_them() {
        for kind in ExportKind::ALL {
            assert_eq!(kind.as_str().parse::<ExportKind>(), Ok(kind));
        }
        assert_eq!(" OpenVEX ".parse::<ExportKind>(), Ok(ExportKind::OpenVex));
        let err = "csaf".parse::<ExportKind>().unwrap_err();
        assert!(err.contains("use vex, openvex"), "{err}");
    }

    #[test]
    fn qualifiers_and_subpaths_are_left_out_of_the_product() {
        assert_eq!(
            without_qualifiers("pkg:deb/debian/bash@5.0-4?arch=amd64"),
            "pkg:deb/debian/bash@5.0-4"
        );
        assert_eq!(without_qualifiers("pkg:npm/a@1#lib"), "pkg:npm/a@1");
        assert_eq!(without_qualifiers("pkg:npm/a@1"), "pkg:npm/a@1");
    }

    fn decided(key: &str, state: TicketState, purl: &str) -> Decision {
        let mut finding = Finding::new("Grype", "CVE-2021-33574", "libc6", Severity::High);
        finding.add_advisory("CVE-2021-33574");
        finding.package =
            Some(Package { name: "libc6".into(), purl: Some(purl.into()), ..Package::default() });
        Decision {
            key: key.into(),
            title: "libc6".into(),
            state,
            application: None,
            reason: Some("why".into()),
            approver: None,
            expires_at: None,
            decided_at: Timestamp::UNIX_EPOCH,
            findings: vec![finding],
        }
    }

    #[test]
    fn one_package_decided_twice_is_one_entry_and_the_acceptance_wins() {
        let decisions = [
            decided("SEC-1", TicketState::FalsePositive, "pkg:deb/debian/libc6@2.28?arch=amd64"),
            decided("SEC-2", TicketState::RiskAccepted, "pkg:deb/debian/libc6@2.28?arch=arm64"),
            decided("SEC-3", TicketState::FalsePositive, "pkg:deb/debian/libc6@2.28"),
        ];
        let (entries, left_out) = vex_entries(&decisions);
        assert!(left_out.is_empty());
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].product, "pkg:deb/debian/libc6@2.28");
        assert_eq!(entries[0].decision.key, "SEC-2");
    }

    #[test]
    fn a_package_without_a_purl_is_left_out_and_said_so() {
        let mut decision = decided("SEC-4", TicketState::FalsePositive, "");
        decision.findings[0].package = Some(Package {
            name: "libfoo".into(),
            ecosystem: Some("nix".into()),
            ..Package::default()
        });
        let (entries, left_out) = vex_entries(std::slice::from_ref(&decision));
        assert!(entries.is_empty());
        assert_eq!(
            left_out,
            ["SEC-4: libfoo (nix) has no package URL, so no VEX statement can name it"]
        );
    }

    #[test]
    fn a_reason_over_several_lines_becomes_one() {
        assert_eq!(one_line(" only in\n  tests\t"), "only in tests");
    }
}
