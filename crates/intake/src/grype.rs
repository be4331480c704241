//! Grype JSON reports (`grype <image or dir> -o json`): the `matches` of
//! vulnerabilities to packages, with `source`, `distro` and `descriptor`.
//! Grype 0.7 and later are read: early versions rate with `cvssV2`/`cvssV3`
//! and write `fixedInVersion` and `links`; later ones write a `cvss` list,
//! `fix.versions` and `urls`. `ignoredMatches` (matches an ignore rule set
//! aside) are kept, suppressed.
//!
//! Severity, from `vulnerability.severity`: `Critical`, `High`, `Medium`,
//! `Low` map to the same names; `Negligible`, `Unknown` and a missing
//! severity are info.
//!
//! Mapping: one finding per match. `vulnerability.id` is the rule and first
//! advisory, the `relatedVulnerabilities` ids (usually the CVE of a GHSA or
//! distro advisory) more advisories; `description` (else a related one's) is
//! the message, with EPSS when Grype gives it. CVSS: the NVD v3 rating of the
//! vulnerability or a related one, else any v3 rating, else v4. The package
//! is the `artifact` (`name`, `version`, `purl`, `type` as the ecosystem)
//! with the `fix.versions` of a `fixed` fix; the place is the artifact's
//! first location (`/var/lib/dpkg/status`, a lock file, a jar).
//!
//! Grype reports the same vulnerable package found at several paths as
//! separate matches; each is a finding here, at its own path.

use std::io::Read;

use fixgate_domain::{Cvss, Finding, Location, Package, RunInfo, Severity, Suppression, Vex};
use serde::{Deserialize, Deserializer};

use crate::common::emit;
use crate::{Options, ParseError, Shape, Sink, json};

pub(crate) const NAME: &str = "grype";

const TOOL: &str = "Grype";

#[derive(Debug, Deserialize)]
struct Report {
    /// Required, though it may be `null`: an object without it is not a
    /// Grype report, and must not pass for a clean scan.
    #[serde(deserialize_with = "nullable")]
    matches: Option<Vec<Match>>,
    #[serde(rename = "ignoredMatches")]
    ignored_matches: Option<Vec<Match>>,
    descriptor: Option<Descriptor>,
    source: Option<Source>,
}

/// What was scanned: an image (`target` an object with `userInput`), a
/// directory or a file (`target` its path).
#[derive(Debug, Deserialize)]
struct Source {
    #[serde(rename = "type")]
    kind: Option<String>,
    target: Option<serde_json::Value>,
}

impl Source {
    /// The scan's category: the kind of thing scanned and its name (an image
    /// without its tag, as for Trivy), so a scan of one image never proves
    /// another image's findings gone.
    fn category(&self) -> Option<String> {
        let target = self.target.as_ref()?;
        let name = target
            .get("userInput")
            .and_then(serde_json::Value::as_str)
            .or_else(|| target.as_str())
            .map(str::trim)
            .filter(|n| !n.is_empty())?;
        let kind = match self.kind.as_deref().unwrap_or("artifact") {
            "image" => "container_image",
            "directory" | "file" => "filesystem",
            other => other,
        };
        let name = if kind == "container_image" { crate::trivy::without_tag(name) } else { name };
        Some(format!("{kind}:{name}"))
    }
}

#[derive(Debug, Deserialize)]
struct Descriptor {
    version: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Match {
    vulnerability: Option<Vulnerability>,
    #[serde(rename = "relatedVulnerabilities")]
    related: Option<Vec<Related>>,
    artifact: Option<Artifact>,
    #[serde(rename = "appliedIgnoreRules")]
    ignore_rules: Option<Vec<IgnoreRule>>,
}

#[derive(Debug, Default, Deserialize)]
struct Vulnerability {
    id: Option<String>,
    #[serde(rename = "dataSource")]
    data_source: Option<String>,
    namespace: Option<String>,
    severity: Option<String>,
    description: Option<String>,
    /// `urls` since Grype 0.2x, `links` before.
    #[serde(alias = "links")]
    urls: Option<Vec<String>>,
    cvss: Option<Vec<CvssEntry>>,
    /// Early versions' single v3 rating.
    #[serde(rename = "cvssV3")]
    cvss_v3: Option<Rating>,
    fix: Option<Fix>,
    /// Early versions' fixed version.
    #[serde(rename = "fixedInVersion")]
    fixed_in_version: Option<String>,
    advisories: Option<Vec<Advisory>>,
    epss: Option<Vec<Epss>>,
}

#[derive(Debug, Deserialize)]
struct Related {
    id: Option<String>,
    namespace: Option<String>,
    description: Option<String>,
    cvss: Option<Vec<CvssEntry>>,
}

#[derive(Debug, Deserialize)]
struct CvssEntry {
    source: Option<String>,
    version: Option<String>,
    vector: Option<String>,
    metrics: Option<Metrics>,
}

#[derive(Debug, Deserialize)]
struct Metrics {
    #[serde(rename = "baseScore")]
    base_score: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Rating {
    #[serde(rename = "baseScore")]
    base_score: Option<f64>,
    vector: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Fix {
    versions: Option<Vec<String>>,
    state: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Advisory {
    id: Option<String>,
    link: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Epss {
    epss: Option<f64>,
    percentile: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
struct Artifact {
    name: Option<String>,
    version: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    locations: Option<Vec<ArtifactLocation>>,
    purl: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ArtifactLocation {
    path: Option<String>,
}

#[derive(Debug, Deserialize)]
struct IgnoreRule {
    reason: Option<String>,
    #[serde(rename = "vex-status")]
    vex_status: Option<String>,
    #[serde(rename = "vex-justification")]
    vex_justification: Option<String>,
}

pub(crate) fn sniff(shape: &Shape) -> bool {
    shape.kind == crate::shape::Kind::Object
        && shape.has("matches")
        && (shape.has_all(&["matches[].vulnerability", "matches[].artifact"])
            || shape.has("descriptor"))
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let report: Report = json::object(reader, &options.limits, NAME)?;
    for found in report.matches.unwrap_or_default() {
        emit(sink, finding(found))?;
    }
    for ignored in report.ignored_matches.unwrap_or_default() {
        let why = ignored.ignore_rules.as_deref().unwrap_or_default().first().map(ignored_why);
        let mut finding = finding(ignored);
        let (justification, vex) = why.unwrap_or_default();
        finding.suppression = Some(Suppression {
            kind: "external".into(),
            justification: Some(justification.unwrap_or_else(|| "Grype ignore rule".into())),
        });
        finding.vex = vex;
        emit(sink, finding)?;
    }
    let tool_version = report.descriptor.and_then(|d| d.version).filter(|v| !v.is_empty());
    let category = report.source.as_ref().and_then(Source::category);
    let info = RunInfo { tool: TOOL.into(), tool_version, category, ..RunInfo::default() };
    sink.run(0, info).map_err(ParseError::Sink)
}

/// Why an ignore rule set a match aside, and the VEX state it gave.
fn ignored_why(rule: &IgnoreRule) -> (Option<String>, Option<Vex>) {
    let given = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
    let vex = given(&rule.vex_status).map(|state| Vex {
        state,
        justification: given(&rule.vex_justification),
        detail: None,
    });
    let why = given(&rule.reason).or_else(|| vex.as_ref().map(|v| format!("VEX {}", v.state)));
    (why, vex)
}

/// Grype's severities; `Negligible`, `Unknown` and anything else are info.
fn severity(word: Option<&str>) -> Severity {
    crate::common::severity_band(word)
}

fn finding(found: Match) -> Finding {
    let vulnerability = found.vulnerability.unwrap_or_default();
    let related = found.related.unwrap_or_default();
    let artifact = found.artifact.unwrap_or_default();
    let id = given(vulnerability.id.clone()).unwrap_or_else(|| "grype-match".into());
    let name = given(artifact.name);
    let title = match &name {
        Some(name) => format!("{id} in {name}"),
        None => id.clone(),
    };

    let mut finding = Finding::new(TOOL, id, title, severity(vulnerability.severity.as_deref()));
    finding.tool_severity = given(vulnerability.severity.clone());
    let id = finding.rule_id.clone();
    finding.add_advisory(&id);
    for other in &related {
        finding.add_advisory(other.id.as_deref().unwrap_or(""));
    }
    finding.cvss = cvss(&vulnerability, &related);
    finding.message = message(&vulnerability, &related);
    finding.help_uri = given(vulnerability.data_source.clone());
    for url in vulnerability.urls.iter().flatten() {
        finding.add_reference(url);
    }
    for advisory in vulnerability.advisories.iter().flatten() {
        finding.add_advisory(advisory.id.as_deref().unwrap_or(""));
        finding.add_reference(advisory.link.as_deref().unwrap_or(""));
    }

    let fixed_version = fixed_version(&vulnerability);
    if let (Some(name), Some(fixed)) = (&name, &fixed_version) {
        finding.remediation = Some(format!("Upgrade {name} to {fixed}."));
    }
    let path = artifact.locations.unwrap_or_default().into_iter().find_map(|l| given(l.path));
    finding.location = path.map(|path| Location { path: Some(path), ..Location::default() });
    finding.package = name.map(|name| Package {
        name,
        version: given(artifact.version),
        purl: given(artifact.purl),
        ecosystem: given(artifact.kind),
        fixed_version,
    });
    finding
}

/// The description, else a related vulnerability's; the fix state when it
/// says more than fixed or not; EPSS when Grype gives it.
fn message(vulnerability: &Vulnerability, related: &[Related]) -> String {
    let mut message = given(vulnerability.description.clone())
        .or_else(|| related.iter().find_map(|r| given(r.description.clone())))
        .unwrap_or_default();
    let state = vulnerability.fix.as_ref().and_then(|f| f.state.as_deref()).unwrap_or("");
    if matches!(state, "wont-fix") {
        message.push_str(&format!("\n\nGrype fix state: {state}"));
    }
    if let Some(epss) = vulnerability.epss.iter().flatten().find(|e| e.epss.is_some()) {
        let score = epss.epss.unwrap_or_default();
        message.push_str(&format!("\n\nEPSS {score}"));
        if let Some(percentile) = epss.percentile {
            message.push_str(&format!(" (percentile {percentile})"));
        }
    }
    message
}

/// The versions of a fix Grype calls `fixed` (early versions: the
/// `fixedInVersion`).
fn fixed_version(vulnerability: &Vulnerability) -> Option<String> {
    if let Some(fix) = &vulnerability.fix {
        let state = fix.state.as_deref().unwrap_or("fixed");
        let versions: Vec<&str> =
            fix.versions.iter().flatten().map(|v| v.trim()).filter(|v| !v.is_empty()).collect();
        if (state == "fixed" || state.is_empty()) && !versions.is_empty() {
            return Some(versions.join(", "));
        }
    }
    given(vulnerability.fixed_in_version.clone())
}

/// NVD's v3 rating of the vulnerability or of a related one, else the
/// first v3 rating, else the first v4 rating. Early reports' `cvssV3` is a
/// v3 rating of unnamed source.
fn cvss(vulnerability: &Vulnerability, related: &[Related]) -> Option<Cvss> {
    let own_is_nvd = is_nvd(vulnerability.namespace.as_deref());
    let own = vulnerability.cvss.iter().flatten().map(|entry| (own_is_nvd, entry));
    let others = related.iter().flat_map(|r| {
        let from_nvd = is_nvd(r.namespace.as_deref());
        r.cvss.iter().flatten().map(move |entry| (from_nvd, entry))
    });
    let all: Vec<(bool, &CvssEntry)> = own.chain(others).collect();
    let version = |entry: &CvssEntry, major: &str| {
        entry.version.as_deref().is_some_and(|v| v.trim().starts_with(major))
    };
    let chosen = all
        .iter()
        .find(|(nvd, e)| version(e, "3") && (*nvd || is_nvd(e.source.as_deref())))
        .or_else(|| all.iter().find(|(_, e)| version(e, "3")))
        .or_else(|| all.iter().find(|(_, e)| version(e, "4")));
    if let Some((_, entry)) = chosen {
        let score = entry.metrics.as_ref().and_then(|m| m.base_score);
        return Some(Cvss { score, vector: given(entry.vector.clone()) });
    }
    let early = vulnerability.cvss_v3.as_ref()?;
    Some(Cvss { score: early.base_score, vector: given(early.vector.clone()) })
}

/// `nvd`, `nvd:cpe` (namespaces) or `nvd@nist.gov` (CVSS sources).
fn is_nvd(name: Option<&str>) -> bool {
    name.is_some_and(|n| n.trim().to_ascii_lowercase().starts_with("nvd"))
}

fn given(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// An optional value whose key must be present.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Collected, formats};

    fn parse_text(text: &str) -> Result<Collected, ParseError> {
        let mut sink = Collected::default();
        parse(&mut text.as_bytes(), &Options::default(), &mut sink)?;
        assert_eq!(sink.runs.len(), 1);
        Ok(sink)
    }

    fn findings(text: &str) -> Vec<Finding> {
        parse_text(text).unwrap().findings
    }

    const REPORT: &str = r#"{
      "matches": [
        {"vulnerability": {"id": "GHSA-jfh8-c2jp-5v3q", "dataSource": "https://github.com/advisories/GHSA-jfh8-c2jp-5v3q",
           "namespace": "github:language:java", "severity": "Critical",
           "urls": ["https://github.com/advisories/GHSA-jfh8-c2jp-5v3q"],
           "description": "Remote code injection in Log4j",
           "cvss": [{"source": "github", "type": "Secondary", "version": "3.1",
                     "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "metrics": {"baseScore": 10.0}}],
           "epss": [{"cve": "CVE-2021-44228", "epss": 0.944, "percentile": 0.999, "date": "2025-01-01"}],
           "fix": {"versions": ["2.15.0"], "state": "fixed"},
           "advisories": [{"id": "ADV-1", "link": "https://example.com/adv-1"}]},
         "relatedVulnerabilities": [
           {"id": "CVE-2021-44228", "namespace": "nvd:cpe", "severity": "Critical",
            "description": "Apache Log4j2 JNDI features do not protect against attacker controlled LDAP.",
            "cvss": [{"source": "nvd@nist.gov", "type": "Primary", "version": "2.0", "vector": "AV:N/AC:M/Au:N/C:C/I:C/A:C",
                      "metrics": {"baseScore": 9.3}},
                     {"source": "nvd@nist.gov", "type": "Primary", "version": "3.1",
                      "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "metrics": {"baseScore": 10.0}}]}],
         "matchDetails": [{"type": "exact-direct-match", "matcher": "java-matcher"}],
         "artifact": {"id": "1", "name": "log4j-core", "version": "2.14.1", "type": "java-archive",
           "locations": [{"path": "/app/lib/log4j-core-2.14.1.jar", "layerID": "sha256:1"}],
           "language": "java", "cpes": ["cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*"],
           "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}},
        {"vulnerability": {"id": "CVE-2019-18276", "severity": "Negligible",
           "links": ["https://security-tracker.debian.org/tracker/CVE-2019-18276"],
           "cvssV2": {"baseScore": 7.2, "vector": "AV:L/AC:L/Au:N/C:C/I:C/A:C"},
           "cvssV3": {"baseScore": 7.8, "vector": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"},
           "fixedInVersion": ""},
         "matchDetails": {"matcher": "dpkg-matcher"},
         "artifact": {"name": "bash", "version": "5.0-4", "type": "deb",
           "locations": [{"path": "/var/lib/dpkg/status"}, {"path": "/usr/share/doc/bash/copyright"}],
           "cpes": [{"Part": "a", "Vendor": "bash"}], "purl": "pkg:deb/debian/bash@5.0-4?arch=amd64"}}
      ],
      "ignoredMatches": [
        {"vulnerability": {"id": "CVE-2023-1", "severity": "High", "fix": {"versions": [], "state": "wont-fix"}},
         "artifact": {"name": "zlib", "version": "1.2", "type": "apk", "locations": [{"path": "/lib/apk/db/installed"}]},
         "appliedIgnoreRules": [{"vulnerability": "CVE-2023-1", "vex-status": "not_affected",
            "vex-justification": "vulnerable_code_not_present"}]}
      ],
      "source": {"type": "image", "target": {"userInput": "shop:1.4"}},
      "distro": {"name": "debian", "version": "10"},
      "descriptor": {"name": "grype", "version": "0.74.0", "configuration": {"output": "json"}}
    }"#;

    #[test]
    fn a_match_carries_its_package_aliases_and_nvd_rating() {
        let all = findings(REPORT);
        let f = &all[0];
        assert_eq!(f.tool, "Grype");
        assert_eq!(f.rule_id, "GHSA-jfh8-c2jp-5v3q");
        assert_eq!(f.title, "GHSA-jfh8-c2jp-5v3q in log4j-core");
        assert_eq!(
            (f.severity, f.tool_severity.as_deref()),
            (Severity::Critical, Some("Critical"))
        );
        assert_eq!(f.advisories, ["GHSA-jfh8-c2jp-5v3q", "CVE-2021-44228", "ADV-1"]);
        let cvss = f.cvss.as_ref().unwrap();
        assert_eq!(cvss.score, Some(10.0));
        assert_eq!(cvss.vector.as_deref(), Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"));
        assert!(f.message.starts_with("Remote code injection in Log4j"));
        assert!(f.message.ends_with("EPSS 0.944 (percentile 0.999)"), "{}", f.message);
        assert_eq!(
            f.help_uri.as_deref(),
            Some("https://github.com/advisories/GHSA-jfh8-c2jp-5v3q")
        );
        assert!(f.references.contains(&"https://example.com/adv-1".to_string()));
        let package = f.package.as_ref().unwrap();
        assert_eq!(package.name, "log4j-core");
        assert_eq!(package.version.as_deref(), Some("2.14.1"));
        assert_eq!(package.ecosystem.as_deref(), Some("java-archive"));
        assert_eq!(package.fixed_version.as_deref(), Some("2.15.0"));
        assert_eq!(f.remediation.as_deref(), Some("Upgrade log4j-core to 2.15.0."));
        assert_eq!(
            f.location.as_ref().unwrap().path.as_deref(),
            Some("/app/lib/log4j-core-2.14.1.jar")
        );
    }

    #[test]
    fn early_reports_and_negligible_severity() {
        let all = findings(REPORT);
        let f = &all[1];
        assert_eq!((f.severity, f.tool_severity.as_deref()), (Severity::Info, Some("Negligible")));
        assert_eq!(f.cvss.as_ref().unwrap().score, Some(7.8));
        assert_eq!(f.references, ["https://security-tracker.debian.org/tracker/CVE-2019-18276"]);
        assert_eq!(f.location.as_ref().unwrap().path.as_deref(), Some("/var/lib/dpkg/status"));
        assert!(f.remediation.is_none() && f.package.as_ref().unwrap().fixed_version.is_none());
    }

    #[test]
    fn severities_map_to_ours() {
        let cases = [
            ("Critical", Severity::Critical),
            ("High", Severity::High),
            ("Medium", Severity::Medium),
            ("Low", Severity::Low),
            ("Negligible", Severity::Info),
            ("Unknown", Severity::Info),
        ];
        for (word, expected) in cases {
            assert_eq!(severity(Some(word)), expected, "{word}");
        }
        assert_eq!(severity(None), Severity::Info);
    }

    #[test]
    fn ignored_matches_are_kept_suppressed() {
        let all = findings(REPORT);
        assert_eq!(all.len(), 3);
        let f = &all[2];
        assert_eq!(f.rule_id, "CVE-2023-1");
        let suppression = f.suppression.as_ref().unwrap();
        assert_eq!(suppression.justification.as_deref(), Some("VEX not_affected"));
        let vex = f.vex.as_ref().unwrap();
        assert_eq!(vex.justification.as_deref(), Some("vulnerable_code_not_present"));
        assert!(f.message.contains("Grype fix state: wont-fix"));
        assert!(all[..2].iter().all(|f| f.suppression.is_none()));
    }

    #[test]
    fn the_run_names_grype_and_its_version() {
        let run = &parse_text(REPORT).unwrap().runs[0];
        assert_eq!((run.tool.as_str(), run.tool_version.as_deref()), ("Grype", Some("0.74.0")));
        assert_eq!(run.category.as_deref(), Some("container_image:shop"));
    }

    #[test]
    fn each_image_or_directory_is_a_category_of_its_own() {
        let category = |source: &str| {
            let text = format!(r#"{{"matches": [], "source": {source}}}"#);
            parse_text(&text).unwrap().runs[0].category.clone()
        };
        let image = |name: &str| {
            category(&format!(r#"{{"type": "image", "target": {{"userInput": "{name}"}}}}"#))
        };
        assert_eq!(
            image("registry:5000/shop:1.4"),
            Some("container_image:registry:5000/shop".into())
        );
        assert_eq!(image("shop:1.5"), image("shop@sha256:abc"));
        assert_ne!(image("shop:1.5"), image("busybox:1.5"));
        assert_eq!(
            category(r#"{"type": "directory", "target": "."}"#),
            Some("filesystem:.".into())
        );
        assert_eq!(category("null"), None);
    }

    #[test]
    fn an_empty_report_is_a_clean_scan() {
        let clean = r#"{"matches": [], "source": {"type": "directory", "target": "."},
            "descriptor": {"name": "grype", "version": "0.74.0"}}"#;
        assert!(findings(clean).is_empty());
        assert!(findings(r#"{"matches": null}"#).is_empty());
    }

    #[test]
    fn missing_optional_fields_in_a_later_match_do_not_fail() {
        let report = r#"{"matches": [
            {"vulnerability": {"id": "CVE-2024-1", "severity": "Low"}, "artifact": {"name": "a"}},
            {"vulnerability": {"id": "CVE-2024-2", "cvss": null, "fix": null}, "artifact": {"locations": null}},
            {}]}"#;
        let all = findings(report);
        assert_eq!(all.len(), 3);
        assert!(all[1].package.is_none() && all[1].location.is_none());
        assert_eq!(all[2].rule_id, "grype-match");
    }

    #[test]
    fn the_same_package_at_two_paths_is_two_occurrences_of_one_problem() {
        let at = |path: &str| {
            format!(
                r#"{{"vulnerability": {{"id": "CVE-2021-33574", "severity": "Critical"}},
                "artifact": {{"name": "libc6", "version": "2.28-10", "type": "deb",
                "purl": "pkg:deb/debian/libc6@2.28-10", "locations": [{{"path": "{path}"}}]}}}}"#
            )
        };
        let report =
            format!(r#"{{"matches": [{}, {}]}}"#, at("/lib/libc.so.6"), at("/usr/lib/libc.so.6"));
        let all = findings(&report);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].fingerprint, all[1].fingerprint, "an import numbers the second");
        let upgraded = report.replace("2.28-10", "2.28-11");
        assert_eq!(findings(&upgraded)[0].fingerprint, all[0].fingerprint);
    }

    #[test]
    fn wrong_shapes_are_named() {
        let err = parse_text(r#"{"matches": [{"vulnerability": {"id": 7}}]}"#).unwrap_err();
        assert!(
            err.to_string().starts_with("invalid grype report at `matches[0].vulnerability.id`"),
            "{err}"
        );
        let err = parse_text("[1, 2]").unwrap_err();
        assert!(err.to_string().starts_with("not a grype report: a JSON array"), "{err}");
        let err = parse_text(r#"{"results": []}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `matches`"), "{err}");
    }

    #[test]
    fn detection_takes_grype_reports_only() {
        let detected = |text: &str| formats::detect(text.as_bytes()).map(|f| f.name);
        assert_eq!(detected(REPORT), Some("grype"));
        assert_eq!(detected(r#"{"matches": [], "descriptor": {"name": "grype"}}"#), Some("grype"));
        assert_ne!(detected(r#"{"matches": [{"rule": "x"}]}"#), Some("grype"));
    }
}
