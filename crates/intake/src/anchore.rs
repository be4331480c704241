//! Anchore Engine and Anchore Enterprise vulnerability reports, in two
//! shapes:
//!
//! - Anchore Engine (`anchore-cli --json image vuln <image> all`): an object
//!   with `imageDigest` and `vulnerabilities`, snake_case fields (`vuln`,
//!   `package_name`, `package_version`, `package_type`, `package_path`,
//!   `severity`, `fix`, `url`, `feed`, `feed_group`, `nvd_data`,
//!   `vendor_data`, `will_not_fix`);
//! - the Anchore Enterprise UI's JSON export: `metadata` (registry,
//!   repository, tag, digest) and `securityEvaluation`, camelCase fields
//!   (`vulnerabilityId`, `cves`, `package`, `packageType`, `path`,
//!   `fixAvailable`, `link`, `nvdCvssBaseScore`).
//!
//! Severity: `Critical`, `High`, `Medium`, `Low` map to the same names;
//! `Negligible`, `Unknown` and a missing severity are info.
//!
//! Mapping: one finding per vulnerability entry. The vulnerability id is the
//! rule and first advisory; the CVEs of `nvd_data`/`vendor_data` (Engine) or
//! `cves` (Enterprise) are more advisories. The package is its name, version
//! and type; the Enterprise export writes name and version as one
//! `package` (`openssl-libs-1:1.1.1k-14.el8_6`), which is split before the
//! first `-` that starts a run of version-like parts, so the package's
//! identity survives an upgrade. A fix other than `None` is the fixed
//! version. The place is the package's path (`pkgdb` for OS packages, the
//! jar for Java). CVSS: the base score only (no vector is given): the first
//! NVD v3 score, else the vendor's (Engine), or `nvdCvssBaseScore`.

use std::fmt;
use std::io::Read;

use fixgate_domain::{Cvss, Finding, Location, Package, RunInfo, Severity};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::common::emit;
use crate::{Options, ParseError, Shape, Sink, json};

pub(crate) const NAME: &str = "anchore";

const TOOL: &str = "Anchore";

#[derive(Debug, Deserialize)]
struct Report {
    /// Engine's list; `Some(None)` when it is `null`.
    #[serde(default, deserialize_with = "present")]
    vulnerabilities: Option<Option<Vec<EngineVulnerability>>>,
    /// Enterprise's list.
    #[serde(default, rename = "securityEvaluation", deserialize_with = "present")]
    security_evaluation: Option<Option<Vec<Evaluation>>>,
}

/// One entry of Anchore Engine's `vulnerabilities`.
#[derive(Debug, Deserialize)]
struct EngineVulnerability {
    vuln: Option<String>,
    severity: Option<String>,
    package: Option<String>,
    package_name: Option<String>,
    package_version: Option<String>,
    package_type: Option<String>,
    package_path: Option<String>,
    fix: Option<String>,
    will_not_fix: Option<bool>,
    url: Option<String>,
    feed: Option<String>,
    feed_group: Option<String>,
    nvd_data: Option<Vec<Rated>>,
    vendor_data: Option<Vec<Rated>>,
}

/// An entry of `nvd_data` or `vendor_data`: an id and its scores.
#[derive(Debug, Deserialize)]
struct Rated {
    id: Option<String>,
    cvss_v3: Option<Scores>,
}

#[derive(Debug, Deserialize)]
struct Scores {
    /// `-1.0` when there is none.
    base_score: Option<f64>,
}

/// One entry of Anchore Enterprise's `securityEvaluation`.
#[derive(Debug, Deserialize)]
struct Evaluation {
    #[serde(rename = "vulnerabilityId")]
    vulnerability_id: Option<String>,
    /// One id or several, comma-separated.
    cves: Option<String>,
    severity: Option<String>,
    #[serde(rename = "packageType")]
    package_type: Option<String>,
    path: Option<String>,
    /// Name and version in one: `curl-7.61.1-34.el8_10.2`.
    package: Option<String>,
    #[serde(rename = "fixAvailable")]
    fix_available: Option<String>,
    link: Option<String>,
    /// A number, or `N/A`.
    #[serde(default, rename = "nvdCvssBaseScore", deserialize_with = "lenient_score")]
    nvd_cvss_base_score: Option<f64>,
}

pub(crate) fn sniff(shape: &Shape) -> bool {
    let engine = shape.has("vulnerabilities")
        && (shape.has("imageDigest")
            || shape.has("vulnerability_type")
            || shape.has_all(&["vulnerabilities[].vuln", "vulnerabilities[].feed_group"]));
    let enterprise = shape.has("securityEvaluation")
        && (shape.has("metadata") || shape.has("securityEvaluation[].vulnerabilityId"));
    shape.kind == crate::shape::Kind::Object && (engine || enterprise)
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let report: Report = json::object(reader, &options.limits, NAME)?;
    if report.vulnerabilities.is_none() && report.security_evaluation.is_none() {
        let found = "a JSON object without `vulnerabilities` or `securityEvaluation`".into();
        return Err(ParseError::WrongShape { format: NAME, found });
    }

    for entry in report.vulnerabilities.flatten().unwrap_or_default() {
        emit(sink, engine_finding(entry))?;
    }
    for entry in report.security_evaluation.flatten().unwrap_or_default() {
        emit(sink, enterprise_finding(entry))?;
    }
    sink.run(0, RunInfo { tool: TOOL.into(), ..RunInfo::default() }).map_err(ParseError::Sink)
}

/// Anchore's severities; `Negligible`, `Unknown` and anything else are info.
fn severity(word: Option<&str>) -> Severity {
    crate::common::severity_band(word)
}

/// What both shapes give, in one form.
struct Entry {
    id: Option<String>,
    severity: Option<String>,
    package: Option<Package>,
    path: Option<String>,
    link: Option<String>,
    score: Option<f64>,
    details: String,
}

fn engine_finding(entry: EngineVulnerability) -> Finding {
    let (split_name, split_version) = entry.package.as_deref().map(split_package).unzip();
    let name = given(entry.package_name).or(split_name);
    let version = given(entry.package_version).or(split_version.flatten());
    let fixed_version = fix(entry.fix);
    let ratings = entry.nvd_data.iter().flatten().chain(entry.vendor_data.iter().flatten());
    let score = ratings
        .clone()
        .filter_map(|r| r.cvss_v3.as_ref()?.base_score)
        .find(|s| (0.0..=10.0).contains(s));
    let mut details = String::new();
    if let Some(feed) = given(entry.feed) {
        let group = given(entry.feed_group).map(|g| format!("/{g}")).unwrap_or_default();
        details.push_str(&format!("Feed: {feed}{group}."));
    }
    if entry.will_not_fix == Some(true) {
        details.push_str(" The vendor will not fix it.");
    }

    let mut finding = finding(Entry {
        id: entry.vuln,
        severity: entry.severity,
        package: name.map(|name| Package {
            name,
            version,
            ecosystem: given(entry.package_type),
            fixed_version,
            ..Package::default()
        }),
        path: entry.package_path,
        link: entry.url,
        score,
        details: details.trim().to_string(),
    });
    for rated in ratings {
        finding.add_advisory(rated.id.as_deref().unwrap_or(""));
    }
    finding
}

fn enterprise_finding(entry: Evaluation) -> Finding {
    let (name, version) = entry.package.as_deref().map(split_package).unzip();
    let mut finding = finding(Entry {
        id: entry.vulnerability_id,
        severity: entry.severity,
        package: name.map(|name| Package {
            name,
            version: version.flatten(),
            ecosystem: given(entry.package_type),
            fixed_version: fix(entry.fix_available),
            ..Package::default()
        }),
        path: entry.path,
        link: entry.link,
        score: entry.nvd_cvss_base_score,
        details: String::new(),
    });
    for cve in entry.cves.as_deref().unwrap_or("").split(',') {
        finding.add_advisory(cve);
    }
    finding
}

fn finding(entry: Entry) -> Finding {
    let id = given(entry.id).unwrap_or_else(|| "anchore-vulnerability".into());
    let title = match &entry.package {
        Some(package) => format!("{id} in {}", package.name),
        None => id.clone(),
    };
    let mut finding = Finding::new(TOOL, id, title, severity(entry.severity.as_deref()));
    finding.tool_severity = given(entry.severity);
    let id = finding.rule_id.clone();
    finding.add_advisory(&id);
    finding.cvss = entry.score.map(|score| Cvss { score: Some(score), vector: None });
    finding.help_uri = given(entry.link);
    let path = given(entry.path);

    let mut message = String::new();
    if let Some(package) = &entry.package {
        let version = package.version.as_deref().map(|v| format!(" {v}")).unwrap_or_default();
        let kind = package.ecosystem.as_deref().map(|k| format!(" ({k})")).unwrap_or_default();
        message = format!("Anchore found {id} in {}{version}{kind}", package.name);
        if let Some(path) = &path {
            message.push_str(&format!(" at {path}"));
        }
        message.push('.');
        if let (Some(fixed), true) = (&package.fixed_version, !package.name.is_empty()) {
            finding.remediation = Some(format!("Upgrade {} to {fixed}.", package.name));
        }
    }
    if !entry.details.is_empty() {
        message.push_str(&format!("\n\n{}", entry.details));
    }
    finding.message = message;
    finding.package = entry.package;
    finding.location = path.map(|path| Location { path: Some(path), ..Location::default() });
    finding
}

/// A fix, unless Anchore says there is none (`None`).
fn fix(text: Option<String>) -> Option<String> {
    given(text).filter(|f| !f.trim().eq_ignore_ascii_case("none"))
}

/// `openssl-libs-1:1.1.1k-14.el8_6` → `openssl-libs` and
/// `1:1.1.1k-14.el8_6`: the version starts after the first `-` from which
/// every `-`-separated part starts like a version (a digit, or `v` or `go`
/// and a digit). Without such a `-`, the whole text is the name.
fn split_package(text: &str) -> (String, Option<String>) {
    let text = text.trim();
    for (at, _) in text.match_indices('-') {
        let (Some(name), Some(version)) = (text.get(..at), text.get(at + 1..)) else { continue };
        if !name.is_empty() && version.split('-').all(starts_like_version) {
            return (name.to_string(), Some(version.to_string()));
        }
    }
    (text.to_string(), None)
}

fn starts_like_version(part: &str) -> bool {
    let rest = part.strip_prefix("go").or_else(|| part.strip_prefix('v')).unwrap_or(part);
    rest.starts_with(|c: char| c.is_ascii_digit())
}

fn given(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// Wraps a present value in `Some`, so that a missing key (`None`) is told
/// apart from a `null` one (`Some(None)`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A score written as a number or as text; `N/A`, other text and numbers
/// outside 0 to 10 are no score.
fn lenient_score<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    deserializer.deserialize_any(ScoreVisitor)
}

struct ScoreVisitor;

impl<'de> Visitor<'de> for ScoreVisitor {
    type Value = Option<f64>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a score or N/A")
    }

    fn visit_f64<E: de::Error>(self, score: f64) -> Result<Option<f64>, E> {
        Ok(Some(score).filter(|s| (0.0..=10.0).contains(s)))
    }

    fn visit_u64<E: de::Error>(self, score: u64) -> Result<Option<f64>, E> {
        self.visit_f64(score as f64)
    }

    fn visit_i64<E: de::Error>(self, score: i64) -> Result<Option<f64>, E> {
        self.visit_f64(score as f64)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Option<f64>, E> {
        match text.trim().parse::<f64>() {
            Ok(score) => self.visit_f64(score),
            Err(_) => Ok(None),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<f64>, E> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Collected, formats};

    fn parse_text(text: &str) -> Result<Collected, ParseError> {
        let mut sink = Collected::default();
        parse(&mut text.as_bytes(), &Options::default(), &mut sink)?;
        assert_eq!(sink.runs.len(), 1);
        assert_eq!(sink.runs[0].tool, "Anchore");
        Ok(sink)
    }

    fn findings(text: &str) -> Vec<Finding> {
        parse_text(text).unwrap().findings
    }

    const ENGINE: &str = r#"{
      "imageDigest": "sha256:0123",
      "vulnerability_type": "all",
      "vulnerabilities": [
        {"vuln": "GHSA-jfh8-c2jp-5v3q", "severity": "Critical", "package": "log4j-core-2.14.1",
         "package_name": "log4j-core", "package_version": "2.14.1", "package_type": "java",
         "package_path": "/app/lib/log4j-core-2.14.1.jar", "package_cpe": "None",
         "fix": "2.15.0", "will_not_fix": false, "url": "https://github.com/advisories/GHSA-jfh8-c2jp-5v3q",
         "feed": "vulnerabilities", "feed_group": "github:java", "inherited_from_base": false,
         "nvd_data": [{"id": "CVE-2021-44228", "cvss_v2": {"base_score": 9.3},
                       "cvss_v3": {"base_score": 10.0, "exploitability_score": 3.9, "impact_score": 6.0}}],
         "vendor_data": [], "extra": {}},
        {"vuln": "CVE-2019-18276", "severity": "Negligible", "package": "bash-5.0-4",
         "package_name": "bash", "package_version": "5.0-4", "package_type": "dpkg",
         "package_path": "pkgdb", "fix": "None", "will_not_fix": true, "url": "https://security-tracker.debian.org/tracker/CVE-2019-18276",
         "feed": "vulnerabilities", "feed_group": "debian:10",
         "nvd_data": [{"id": "CVE-2019-18276", "cvss_v3": {"base_score": -1.0}}],
         "vendor_data": [{"id": "CVE-2019-18276", "cvss_v3": {"base_score": 7.8}}]}
      ]
    }"#;

    const ENTERPRISE: &str = r#"{
      "metadata": {"registry": "docker.io", "repository": "shop", "tag": "1.4",
                   "imageDigest": "sha256:4567", "timestamp": "2025-01-13T10:09:59.971Z"},
      "securityEvaluation": [
        {"vulnerabilityId": "GHSA-5j33-cvvr-w245", "cves": "CVE-2024-50379,CVE-2024-56337",
         "severity": "High", "detectedAt": "2025-01-10T15:09:00Z", "packageType": "Java",
         "path": "/app/lib/tomcat-embed-core-9.0.97.jar", "package": "tomcat-embed-core-9.0.97",
         "fixAvailable": "9.0.98", "fixObservedAt": "2025-01-10T15:09:00Z",
         "link": "https://github.com/advisories/GHSA-5j33-cvvr-w245", "nvdCvssBaseScore": "N/A"},
        {"vulnerabilityId": "CVE-2023-0466", "cves": "CVE-2023-0466", "severity": "Unknown",
         "packageType": "RPM", "path": "pkgdb", "package": "openssl-libs-1:1.1.1k-14.el8_6",
         "fixAvailable": "None", "link": "https://access.redhat.com/security/cve/CVE-2023-0466",
         "nvdCvssBaseScore": 5.3}
      ]
    }"#;

    #[test]
    fn engine_entries_carry_package_aliases_and_scores() {
        let all = findings(ENGINE);
        let f = &all[0];
        assert_eq!(f.tool, "Anchore");
        assert_eq!(f.rule_id, "GHSA-jfh8-c2jp-5v3q");
        assert_eq!(f.title, "GHSA-jfh8-c2jp-5v3q in log4j-core");
        assert_eq!(
            (f.severity, f.tool_severity.as_deref()),
            (Severity::Critical, Some("Critical"))
        );
        assert_eq!(f.advisories, ["GHSA-jfh8-c2jp-5v3q", "CVE-2021-44228"]);
        assert_eq!(f.cvss, Some(Cvss { score: Some(10.0), vector: None }));
        let package = f.package.as_ref().unwrap();
        assert_eq!(
            (package.name.as_str(), package.version.as_deref(), package.ecosystem.as_deref()),
            ("log4j-core", Some("2.14.1"), Some("java"))
        );
        assert_eq!(package.fixed_version.as_deref(), Some("2.15.0"));
        assert_eq!(f.remediation.as_deref(), Some("Upgrade log4j-core to 2.15.0."));
        assert_eq!(
            f.location.as_ref().unwrap().path.as_deref(),
            Some("/app/lib/log4j-core-2.14.1.jar")
        );
        assert_eq!(
            f.help_uri.as_deref(),
            Some("https://github.com/advisories/GHSA-jfh8-c2jp-5v3q")
        );
        assert!(
            f.message.starts_with("Anchore found GHSA-jfh8-c2jp-5v3q in log4j-core 2.14.1 (java)")
        );
        assert!(f.message.contains("Feed: vulnerabilities/github:java."), "{}", f.message);
    }

    #[test]
    fn negligible_is_info_and_none_is_no_fix() {
        let all = findings(ENGINE);
        let f = &all[1];
        assert_eq!((f.severity, f.tool_severity.as_deref()), (Severity::Info, Some("Negligible")));
        assert!(f.package.as_ref().unwrap().fixed_version.is_none() && f.remediation.is_none());
        // NVD's -1 means no score; the vendor's is taken.
        assert_eq!(f.cvss.as_ref().unwrap().score, Some(7.8));
        assert!(f.message.ends_with("The vendor will not fix it."), "{}", f.message);
    }

    #[test]
    fn severities_map_to_ours() {
        for (word, expected) in [
            ("Critical", Severity::Critical),
            ("High", Severity::High),
            ("Medium", Severity::Medium),
            ("Low", Severity::Low),
            ("Negligible", Severity::Info),
            ("Unknown", Severity::Info),
        ] {
            assert_eq!(severity(Some(word)), expected, "{word}");
        }
        assert_eq!(severity(None), Severity::Info);
    }

    #[test]
    fn enterprise_entries_split_name_and_version() {
        let all = findings(ENTERPRISE);
        let f = &all[0];
        assert_eq!(f.advisories, ["GHSA-5j33-cvvr-w245", "CVE-2024-50379", "CVE-2024-56337"]);
        assert!(f.cvss.is_none(), "N/A is no score");
        let package = f.package.as_ref().unwrap();
        assert_eq!(
            (package.name.as_str(), package.version.as_deref()),
            ("tomcat-embed-core", Some("9.0.97"))
        );
        assert_eq!(package.fixed_version.as_deref(), Some("9.0.98"));
        let rpm = &all[1];
        assert_eq!(rpm.severity, Severity::Info);
        assert_eq!(rpm.cvss.as_ref().unwrap().score, Some(5.3));
        let package = rpm.package.as_ref().unwrap();
        assert_eq!(
            (package.name.as_str(), package.version.as_deref()),
            ("openssl-libs", Some("1:1.1.1k-14.el8_6"))
        );
        assert!(package.fixed_version.is_none());
        assert_eq!(rpm.location.as_ref().unwrap().path.as_deref(), Some("pkgdb"));
    }

    #[test]
    fn package_names_and_versions_come_apart() {
        let split = |text: &str| split_package(text);
        assert_eq!(
            split("curl-7.61.1-34.el8_10.2"),
            ("curl".into(), Some("7.61.1-34.el8_10.2".into()))
        );
        assert_eq!(
            split("java-11-openjdk-headless-1:11.0.25.0.9-2.el8"),
            ("java-11-openjdk-headless".into(), Some("1:11.0.25.0.9-2.el8".into()))
        );
        assert_eq!(
            split("ncurses-base-6.1-10.20180224.el8"),
            ("ncurses-base".into(), Some("6.1-10.20180224.el8".into()))
        );
        assert_eq!(
            split("infinispan-core-13.0.22.Final"),
            ("infinispan-core".into(), Some("13.0.22.Final".into()))
        );
        assert_eq!(split("stdlib-go1.18.2"), ("stdlib".into(), Some("go1.18.2".into())));
        assert_eq!(
            split("shadow-utils-2:4.6-22.el8"),
            ("shadow-utils".into(), Some("2:4.6-22.el8".into()))
        );
        assert_eq!(split("no-version-here"), ("no-version-here".into(), None));
        assert_eq!(split("-1.0"), ("-1.0".into(), None));
    }

    #[test]
    fn an_upgrade_keeps_the_identity() {
        let upgraded =
            ENTERPRISE.replace("openssl-libs-1:1.1.1k-14.el8_6", "openssl-libs-1:1.1.1k-15.el8_6");
        assert_eq!(findings(ENTERPRISE)[1].fingerprint, findings(&upgraded)[1].fingerprint);
    }

    #[test]
    fn empty_reports_are_clean_scans() {
        assert!(
            findings(
                r#"{"imageDigest": "sha256:x", "vulnerabilities": [], "vulnerability_type": "os"}"#
            )
            .is_empty()
        );
        assert!(findings(r#"{"metadata": {}, "securityEvaluation": null}"#).is_empty());
    }

    #[test]
    fn missing_optional_fields_in_a_later_entry_do_not_fail() {
        let report = r#"{"vulnerabilities": [{"vuln": "CVE-2024-1", "package_name": "a"}, {},
            {"nvd_data": null, "vendor_data": [{"id": null, "cvss_v3": null}]}]}"#;
        let all = findings(report);
        assert_eq!(all.len(), 3);
        assert_eq!(all[1].rule_id, "anchore-vulnerability");
        assert!(all[1].package.is_none() && all[1].location.is_none());
        let report = r#"{"securityEvaluation": [{"vulnerabilityId": "CVE-2024-2"}, {"nvdCvssBaseScore": null}]}"#;
        assert_eq!(findings(report).len(), 2);
    }

    #[test]
    fn wrong_shapes_are_named() {
        let err = parse_text(r#"{"image": "x"}"#).unwrap_err();
        assert!(
            err.to_string().contains("without `vulnerabilities` or `securityEvaluation`"),
            "{err}"
        );
        let err = parse_text("[]").unwrap_err();
        assert!(err.to_string().starts_with("not an anchore report: a JSON array"), "{err}");
        let err = parse_text(r#"{"vulnerabilities": [{"vuln": "x", "nvd_data": [{"cvss_v3": {"base_score": "high"}}]}]}"#)
            .unwrap_err();
        assert!(
            err.to_string().starts_with(
                "invalid anchore report at `vulnerabilities[0].nvd_data[0].cvss_v3.base_score`"
            ),
            "{err}"
        );
    }

    #[test]
    fn detection_takes_both_shapes() {
        let detected = |text: &str| formats::detect(text.as_bytes()).map(|f| f.name);
        assert_eq!(detected(ENGINE), Some("anchore"));
        assert_eq!(detected(ENTERPRISE), Some("anchore"));
        assert_ne!(
            detected(r#"{"vulnerabilities": [{"featurename": "x"}], "image": "y"}"#),
            Some("anchore")
        );
    }
}
