//! The second stage: one Trivy item into one fixgate finding.

use fixgate_domain::{Cvss, Finding, Location, Package, Severity, Suppression, Vex};

use super::TOOL;
use super::model::Vulnerability;
use super::model::{Code, CvssEntry, License, Misconfiguration, Modified, Secret, Sources};
use super::stream::Target;
use crate::ids;

/// Trivy's severities; `UNKNOWN` (no rating yet) and anything else is info.
pub(super) fn severity(word: Option<&str>) -> Severity {
    crate::common::severity_band(word)
}

pub(super) fn vulnerability(target: &Target, item: Vulnerability) -> Finding {
    let id = given(item.id).unwrap_or_else(|| "trivy-vulnerability".into());
    let name = given(item.pkg_name);
    let title = vulnerability_title(&id, name.as_deref(), item.title.as_deref());
    let mut finding = Finding::new(TOOL, id, title, severity(item.severity.as_deref()));
    let id = finding.rule_id.clone();
    finding.add_advisory(&id);
    for vendor_id in item.vendor_ids.iter().flatten() {
        finding.add_advisory(vendor_id);
    }
    for cwe in item.cwe_ids.iter().flatten() {
        if let Some(cwe) = ids::cwe_number(cwe) {
            finding.add_cwe(cwe);
        }
    }
    finding.cvss = cvss(item.cvss, item.severity_source.as_deref());
    finding.tool_severity = given(item.severity);
    finding.message = item.description.unwrap_or_default();
    finding.help_uri = given(item.primary_url);
    for url in item.references.iter().flatten() {
        finding.add_reference(url);
    }

    let status = given(item.status);
    if let Some(status) = status.as_deref().filter(|s| !matches!(*s, "fixed" | "affected")) {
        finding.message.push_str(&format!("\n\nTrivy status: {status}"));
    }
    if status.as_deref() == Some("not_affected") {
        finding.vex = Some(Vex { state: "not_affected".into(), justification: None, detail: None });
        finding.suppression = Some(Suppression {
            kind: "external".into(),
            justification: Some("Trivy status not_affected".into()),
        });
    }

    let fixed_version = given(item.fixed_version);
    if let (Some(name), Some(fixed)) = (&name, &fixed_version) {
        finding.remediation = Some(format!("Upgrade {name} to {fixed}."));
    }
    let version = given(item.installed_version);
    // Older Trivy reports give no purl; one built from the target's kind lets
    // another tool's finding on the same package be recognised as the same.
    let purl = given(item.pkg_identifier.and_then(|p| p.purl)).or_else(|| {
        let (kind, name) = (target.kind.as_deref()?, name.as_deref()?);
        crate::purl::package_purl(kind, name, version.as_deref())
    });
    finding.package = name.map(|name| Package {
        name,
        version,
        purl,
        ecosystem: target.kind.clone(),
        fixed_version,
    });
    finding.location = Some(Location {
        path: given(Some(target.name.clone())),
        logical: given(item.pkg_path),
        ..Location::default()
    });
    finding
}

/// `CVE-2020-15999 in freetype: Heap-based buffer overflow ...`; Trivy's
/// titles often repeat the package name first, which is left out.
fn vulnerability_title(id: &str, package: Option<&str>, title: Option<&str>) -> String {
    let mut out = match package {
        Some(package) => format!("{id} in {package}"),
        None => id.to_string(),
    };
    if let Some(title) = title.map(str::trim).filter(|t| !t.is_empty()) {
        let rest = package
            .and_then(|p| title.strip_prefix(p))
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::trim_start)
            .filter(|rest| !rest.is_empty());
        out.push_str(": ");
        out.push_str(rest.unwrap_or(title));
    }
    out
}

/// The rating of the source Trivy took the severity from, else NVD's, else
/// the first source's: its CVSS v3 score and vector, or v4 when it has
/// only v4.
fn cvss(sources: Option<Sources<CvssEntry>>, preferred: Option<&str>) -> Option<Cvss> {
    let sources = sources?.0;
    let of = |name: &str| sources.iter().find(|(source, _)| source == name).and_then(rating);
    preferred.and_then(of).or_else(|| of("nvd")).or_else(|| sources.iter().find_map(rating))
}

fn rating((_, entry): &(String, CvssEntry)) -> Option<Cvss> {
    if entry.v3_score.is_some() || entry.v3_vector.is_some() {
        Some(Cvss { score: entry.v3_score, vector: given(entry.v3_vector.clone()) })
    } else if entry.v40_score.is_some() || entry.v40_vector.is_some() {
        Some(Cvss { score: entry.v40_score, vector: given(entry.v40_vector.clone()) })
    } else {
        None
    }
}

/// A failed check; `None` for a passed one. An `EXCEPTION` (a check the
/// policy excepts) is kept, suppressed.
pub(super) fn misconfiguration(target: &Target, item: Misconfiguration) -> Option<Finding> {
    let status = item.status.as_deref().unwrap_or("FAIL").trim();
    if status.eq_ignore_ascii_case("PASS") {
        return None;
    }
    let exception = status.eq_ignore_ascii_case("EXCEPTION");
    let rule = given(item.id).or(given(item.avd_id)).unwrap_or_else(|| "trivy-config".into());
    let title = given(item.title).unwrap_or_default();
    let mut finding = Finding::new(TOOL, rule, title, severity(item.severity.as_deref()));
    finding.tool_severity = given(item.severity);
    finding.message = paragraphs(item.message, item.description);
    finding.remediation = given(item.resolution);
    finding.help_uri = given(item.primary_url);
    for url in item.references.iter().flatten() {
        finding.add_reference(url);
    }
    let cause = item.cause.unwrap_or_default();
    finding.location = Some(Location {
        path: given(Some(target.name.clone())),
        start_line: cause.start_line.filter(|l| *l > 0),
        end_line: cause.end_line.filter(|l| *l > 0),
        snippet: cause.code.and_then(snippet),
        logical: given(cause.resource),
        ..Location::default()
    });
    if exception {
        finding.suppression = Some(Suppression {
            kind: "external".into(),
            justification: Some("Trivy policy exception".into()),
        });
    }
    Some(finding)
}

/// A secret Trivy found; it has already masked the value with `*` in
/// `Match` and in the code lines, so there is nothing left to protect.
pub(super) fn secret(target: &Target, item: Secret) -> Finding {
    let rule = given(item.rule_id).unwrap_or_else(|| "trivy-secret".into());
    let title = given(item.title).unwrap_or_else(|| format!("{rule} secret"));
    let mut finding = Finding::new(TOOL, rule, title, severity(item.severity.as_deref()));
    finding.tool_severity = given(item.severity);
    finding.add_cwe(798);
    finding.message = match given(item.category) {
        Some(category) => format!("{} ({category})", finding.title),
        None => finding.title.clone(),
    };
    finding.location = Some(Location {
        path: given(Some(target.name.clone())),
        start_line: item.start_line.filter(|l| *l > 0),
        end_line: item.end_line.filter(|l| *l > 0),
        snippet: given(item.matched).or_else(|| item.code.and_then(snippet)),
        ..Location::default()
    });
    finding
}

/// A licence of a package (`PkgName`) or of a loose file (`FilePath`).
pub(super) fn license(target: &Target, item: License) -> Finding {
    let name = given(item.name).unwrap_or_else(|| "unknown".into());
    let package = given(item.pkg_name);
    let file = given(item.file_path);
    let category = given(item.category);
    let holder = package.as_deref().or(file.as_deref()).unwrap_or(&target.name);
    let kind = category.as_deref().map(|c| format!("{c} ")).unwrap_or_default();
    let title = format!("{holder}: {kind}license {name}");
    let mut message = format!("Trivy found the {kind}license {name} in {holder}");
    if let Some(confidence) = item.confidence {
        message.push_str(&format!(" (confidence {confidence})"));
    }
    message.push('.');

    let mut finding = Finding::new(TOOL, name, title, severity(item.severity.as_deref()));
    finding.tool_severity = given(item.severity);
    finding.message = message;
    finding.help_uri = given(item.link);
    finding.package =
        package.map(|name| Package { name, ecosystem: target.kind.clone(), ..Package::default() });
    finding.location = Some(Location {
        path: file.or_else(|| given(Some(target.name.clone()))),
        ..Location::default()
    });
    finding
}

/// Marks an item `.trivyignore` or a VEX document set aside.
pub(super) fn set_aside(finding: &mut Finding, modified: &Modified) {
    let status = modified.status.as_deref().unwrap_or("ignored");
    let mut why = status.to_string();
    if let Some(statement) = modified.statement.as_deref().filter(|s| !s.trim().is_empty()) {
        why.push_str(&format!(": {statement}"));
    }
    if let Some(source) = modified.source.as_deref().filter(|s| !s.trim().is_empty()) {
        why.push_str(&format!(" ({source})"));
    }
    finding.suppression = Some(Suppression { kind: "external".into(), justification: Some(why) });
    if matches!(status, "not_affected" | "affected" | "fixed" | "under_investigation") {
        finding.vex = Some(Vex {
            state: status.to_string(),
            justification: None,
            detail: modified.statement.clone().filter(|s| !s.trim().is_empty()),
        });
    }
}

/// The lines Trivy marks as the cause, else all of them, one per line.
fn snippet(code: Code) -> Option<String> {
    let lines = code.lines.unwrap_or_default();
    let any_cause = lines.iter().any(|l| l.is_cause == Some(true));
    let kept: Vec<String> = lines
        .into_iter()
        .filter(|l| !any_cause || l.is_cause == Some(true))
        .filter_map(|l| l.content)
        .collect();
    given(Some(kept.join("\n")))
}

/// Two texts as paragraphs, either of which may be missing.
fn paragraphs(first: Option<String>, second: Option<String>) -> String {
    match (given(first), given(second)) {
        (Some(first), Some(second)) if first != second => format!("{first}\n\n{second}"),
        (Some(first), _) => first,
        (None, second) => second.unwrap_or_default(),
    }
}

/// The value unless it is missing or blank.
fn given(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}
