//! pip-audit JSON reports (`pip-audit --format json`): `dependencies`, each
//! with its `name`, `version` and `vulns` (`id`, `fix_versions`, `aliases`,
//! `description`) or a `skip_reason`, and the `fixes` that `--fix` applied;
//! early versions wrote only the array of dependencies.
//!
//! Counting: one finding per vulnerability of a dependency. A dependency
//! pip-audit skipped (not on the index, could not be resolved) is no
//! finding: nothing is known to be wrong with it.
//!
//! Severity: pip-audit reports none (neither the PyPI nor the OSV service
//! gives it one), so every finding is medium, with no tool severity. A known
//! vulnerability in a dependency has to be triaged and routed like any
//! other, which info would not do; high would claim what the report does
//! not say. A policy can raise it by advisory id.
//!
//! Mapping: rule id is the vulnerability id (`PYSEC-…`, `GHSA-…`); it and
//! the `aliases` (CVE, GHSA) are advisories; title the first line of the
//! description, else `<id> in <name> <version>`; the package (name, version,
//! ecosystem `pypi`, purl, `fix_versions`). No location: the report does
//! not say whether an environment, a requirements file or a project was
//! audited, and a guessed path would link to a file that may not exist; the
//! identity is the advisory and the package within the scan's scope.

use std::io::Read;

use fixgate_domain::{Finding, Package, RunInfo, Severity};
use serde::Deserialize;

use crate::common::{self, emit, non_blank};
use crate::purl::purl;
use crate::{Options, ParseError, Shape, Sink, json};

pub(crate) const NAME: &str = "pip-audit";
const TOOL: &str = "pip-audit";

#[derive(Debug, Deserialize)]
struct Report {
    dependencies: Option<Vec<Dependency>>,
    fixes: Option<Vec<Fix>>,
}

#[derive(Debug, Deserialize)]
struct Dependency {
    name: Option<String>,
    version: Option<String>,
    vulns: Option<Vec<Vuln>>,
}

#[derive(Debug, Deserialize)]
struct Vuln {
    id: Option<String>,
    fix_versions: Option<Vec<String>>,
    aliases: Option<Vec<String>>,
    description: Option<String>,
}

/// What `--fix` did for a dependency.
#[derive(Debug, Deserialize)]
struct Fix {
    name: Option<String>,
    new_version: Option<String>,
}

pub(crate) fn sniff(shape: &Shape) -> bool {
    match shape.kind {
        crate::shape::Kind::Object => {
            shape.has("dependencies[].vulns") || shape.has_all(&["dependencies", "fixes"])
        }
        crate::shape::Kind::Array => shape.has_all(&["name", "version", "vulns"]),
        _ => false,
    }
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let report = read(reader, options)?;
    let fixes = report.fixes.unwrap_or_default();
    for dependency in report.dependencies.into_iter().flatten() {
        let fixed = fixes.iter().find(|f| f.name.is_some() && f.name == dependency.name);
        for vuln in dependency.vulns.iter().flatten() {
            emit(sink, finding(&dependency, vuln, fixed))?;
        }
    }
    sink.run(0, RunInfo { tool: TOOL.into(), ..RunInfo::default() }).map_err(ParseError::Sink)
}

/// The report object, or the bare array of dependencies early versions wrote.
fn read(reader: &mut dyn Read, options: &Options) -> Result<Report, ParseError> {
    let limits = &options.limits;
    let text = json::read_text(reader, limits)?;
    if text.trim_start().starts_with('[') {
        let dependencies = json::from_str(&text, NAME)?;
        return Ok(Report { dependencies: Some(dependencies), fixes: None });
    }
    let report: Report = json::from_str(&text, NAME)?;
    if report.dependencies.is_none() {
        let found = "no `dependencies`".into();
        return Err(ParseError::WrongShape { format: NAME, found });
    }
    Ok(report)
}

fn finding(dependency: &Dependency, vuln: &Vuln, fixed: Option<&Fix>) -> Finding {
    let name = non_blank(dependency.name.as_deref()).unwrap_or_default();
    let version = non_blank(dependency.version.as_deref());
    let rule_id = non_blank(vuln.id.as_deref()).unwrap_or_else(|| "pip-audit".into());
    let installed = format!("{name} {}", version.as_deref().unwrap_or("(unknown version)"));
    let description = non_blank(vuln.description.as_deref());
    let title = description
        .as_deref()
        .and_then(common::title)
        .unwrap_or_else(|| format!("{rule_id} in {installed}"));
    let mut finding = Finding::new(TOOL, rule_id, title, Severity::Medium);

    let id = finding.rule_id.clone();
    finding.add_advisory(&id);
    vuln.aliases.iter().flatten().for_each(|alias| finding.add_advisory(alias));
    let fix_versions = vuln.fix_versions.as_deref().unwrap_or_default();
    finding.package = Some(Package {
        purl: purl("pypi", &name, version.as_deref()),
        version,
        ecosystem: Some("pypi".into()),
        fixed_version: (!fix_versions.is_empty()).then(|| fix_versions.join(", ")),
        name: name.clone(),
    });
    finding.message = message(description, &installed, &finding);
    finding.remediation = remediation(&name, fix_versions, fixed);
    if id.starts_with("PYSEC-") || id.starts_with("GHSA-") {
        finding.help_uri = Some(format!("https://osv.dev/vulnerability/{id}"));
    }
    finding
}

fn message(description: Option<String>, installed: &str, finding: &Finding) -> String {
    let mut lines = vec![description.unwrap_or_else(|| finding.title.clone()), String::new()];
    lines.push(format!("Installed: {installed}"));
    let aliases: Vec<&str> =
        finding.advisories.iter().filter(|a| **a != finding.rule_id).map(String::as_str).collect();
    if !aliases.is_empty() {
        lines.push(format!("Also known as: {}", aliases.join(", ")));
    }
    lines.join("\n")
}

fn remediation(name: &str, fix_versions: &[String], fixed: Option<&Fix>) -> Option<String> {
    let mut parts = Vec::new();
    match fix_versions {
        [] => {}
        [one] => parts.push(format!("Upgrade {name} to {one} or later.")),
        many => parts.push(format!("Upgrade {name} to one of {}.", many.join(", "))),
    }
    if let Some(new) = fixed.and_then(|f| non_blank(f.new_version.as_deref())) {
        parts.push(format!("pip-audit --fix upgraded it to {new}."));
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Collected;

    fn parse_text(text: &str) -> Vec<Finding> {
        let mut sink = Collected::default();
        parse(&mut text.as_bytes(), &Options::default(), &mut sink).unwrap();
        assert_eq!(sink.runs.len(), 1);
        assert_eq!(sink.runs[0].tool, "pip-audit");
        sink.findings
    }

    /// The shape `pip-audit -r requirements.txt --format json --fix` writes.
    const REPORT: &str = r#"{"dependencies": [
        {"name": "jinja2", "version": "2.10", "vulns": [
          {"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"],
           "aliases": ["CVE-2019-10906", "GHSA-462w-v97r-4m45"],
           "description": "In Pallets Jinja before 2.10.1, str.format_map allows a sandbox escape."},
          {"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3", "2.11.3"], "aliases": []}]},
        {"name": "flask", "version": "3.0.0", "vulns": []},
        {"name": "internal-lib", "skip_reason": "Dependency not found on PyPI and could not be audited: internal-lib (0.1)"}
      ],
      "fixes": [{"name": "jinja2", "old_version": "2.10", "new_version": "2.10.1"},
                {"name": "internal-lib", "version": "0.1", "skip_reason": "not on PyPI"}]}"#;

    #[test]
    fn one_finding_per_vulnerability_at_medium() {
        let findings = parse_text(REPORT);
        assert_eq!(findings.len(), 2);
        let first = &findings[0];
        assert_eq!(first.rule_id, "PYSEC-2019-217");
        assert_eq!(
            first.title,
            "In Pallets Jinja before 2.10.1, str.format_map allows a sandbox escape."
        );
        assert_eq!((first.severity, first.tool_severity.as_deref()), (Severity::Medium, None));
        assert_eq!(first.advisories, ["PYSEC-2019-217", "CVE-2019-10906", "GHSA-462w-v97r-4m45"]);
        let package = first.package.as_ref().unwrap();
        assert_eq!(package.purl.as_deref(), Some("pkg:pypi/jinja2@2.10"));
        assert_eq!(package.fixed_version.as_deref(), Some("2.10.1"));
        assert!(first.location.is_none());
        assert!(first.message.ends_with(
            "Installed: jinja2 2.10\nAlso known as: CVE-2019-10906, GHSA-462w-v97r-4m45"
        ));
        assert_eq!(
            first.remediation.as_deref(),
            Some("Upgrade jinja2 to 2.10.1 or later. pip-audit --fix upgraded it to 2.10.1.")
        );
        assert_eq!(first.help_uri.as_deref(), Some("https://osv.dev/vulnerability/PYSEC-2019-217"));

        let second = &findings[1];
        assert_eq!(second.title, "GHSA-h5c8-rqwp-cp95 in jinja2 2.10");
        assert!(
            second
                .remediation
                .as_deref()
                .unwrap()
                .starts_with("Upgrade jinja2 to one of 3.1.3, 2.11.3.")
        );
        assert_ne!(first.fingerprint, second.fingerprint);
    }

    #[test]
    fn identity_prefers_the_cve_and_ignores_the_version() {
        let upgraded = REPORT.replace("\"version\": \"2.10\"", "\"version\": \"2.10.0.post1\"");
        assert_eq!(parse_text(REPORT)[0].fingerprint, parse_text(&upgraded)[0].fingerprint);
    }

    #[test]
    fn the_early_array_and_sparse_entries() {
        let findings = parse_text(
            r#"[{"name": "requests", "version": "2.19.0", "vulns": [{"id": "PYSEC-2018-28"}]},
                {"name": "x", "version": "1", "vulns": [{}]}]"#,
        );
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].title, "PYSEC-2018-28 in requests 2.19.0");
        assert_eq!(findings[0].remediation, None);
        assert_eq!(findings[1].rule_id, "pip-audit");
    }

    #[test]
    fn clean_audits_and_wrong_shapes() {
        assert!(parse_text(r#"{"dependencies": [{"name": "flask", "version": "3.0.0", "vulns": []}], "fixes": []}"#).is_empty());
        assert!(parse_text("[]").is_empty());
        let refuse = |text: &str| {
            parse(&mut text.as_bytes(), &Options::default(), &mut Collected::default())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(refuse(r#"{"fixes": []}"#), "not a pip-audit report: no `dependencies`");
        let err = refuse(
            r#"{"dependencies": [{"name": "a", "vulns": [{"id": "X", "aliases": "CVE-1"}]}]}"#,
        );
        assert!(
            err.starts_with("invalid pip-audit report at `dependencies[0].vulns[0].aliases`"),
            "{err}"
        );
    }

    #[test]
    fn detection() {
        assert!(sniff(&Shape::of(REPORT.as_bytes())));
        assert!(sniff(&Shape::of(br#"{"dependencies": [], "fixes": []}"#)));
        assert!(sniff(&Shape::of(br#"[{"name": "a", "version": "1", "vulns": []}]"#)));
        let cyclonedx =
            br#"{"bomFormat": "CycloneDX", "dependencies": [{"ref": "a", "dependsOn": []}]}"#;
        assert!(!sniff(&Shape::of(cyclonedx)));
    }
}
