//! Clair reports, as its two common clients write them:
//!
//! - clair-scanner (`clair-scanner --report report.json <image>`): an object
//!   with `image`, `unapproved` (the ids not covered by the whitelist) and
//!   `vulnerabilities`, lowercase fields (`featurename`, `featureversion`,
//!   `vulnerability`, `namespace`, `description`, `link`, `severity`,
//!   `fixedby`);
//! - klar (`FORMAT_OUTPUT=json klar <image>`): `LayerCount` and
//!   `Vulnerabilities`, an object of lists by severity, with PascalCase
//!   fields (`Name`, `NamespaceName`, `FeatureName`, `FeatureVersion`,
//!   `Description`, `Link`, `Severity`, `FixedBy`).
//!
//! Severity, Clair's scale: `Defcon1` and `Critical` are critical, `High`,
//! `Medium`, `Low` the same names, `Negligible`, `Unknown` and a missing
//! severity info. A klar entry without `Severity` takes its list's.
//!
//! Mapping: one finding per entry. The vulnerability id (`CVE-…`, `RHSA-…`,
//! `DSA-…`) is the rule and first advisory; for a distribution advisory the
//! CVE ids its description names are more advisories. The package is the
//! feature (name, version, `fixedby`), its ecosystem the distribution of the
//! namespace (`ubuntu` of `ubuntu:18.04`). The place is the namespace, not
//! the image: image tags change with every build, and a place that changes
//! would turn every finding into a new problem. A clair-scanner entry whose
//! id is not among `unapproved` is whitelisted: kept, suppressed.

use std::fmt;
use std::io::Read;
use std::marker::PhantomData;

use fixgate_domain::{Finding, Location, Package, RunInfo, Severity, Suppression};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use crate::common::emit;
use crate::{Options, ParseError, Shape, Sink, ids, json};

pub(crate) const NAME: &str = "clair";

const TOOL: &str = "Clair";

#[derive(Debug, Deserialize)]
struct Report {
    image: Option<String>,
    /// clair-scanner: ids not covered by the whitelist; `Some(None)` when
    /// `null` (all are covered).
    #[serde(default, deserialize_with = "present")]
    unapproved: Option<Option<Vec<String>>>,
    /// clair-scanner's list.
    #[serde(default, deserialize_with = "present")]
    vulnerabilities: Option<Option<Vec<ScannerEntry>>>,
    /// klar's lists by severity.
    #[serde(default, rename = "Vulnerabilities", deserialize_with = "present")]
    by_severity: Option<Option<Buckets>>,
}

#[derive(Debug, Deserialize)]
struct ScannerEntry {
    featurename: Option<String>,
    featureversion: Option<String>,
    vulnerability: Option<String>,
    namespace: Option<String>,
    description: Option<String>,
    link: Option<String>,
    severity: Option<String>,
    fixedby: Option<String>,
}

#[derive(Debug, Deserialize)]
struct KlarEntry {
    #[serde(rename = "Name")]
    name: Option<String>,
    #[serde(rename = "NamespaceName")]
    namespace: Option<String>,
    #[serde(rename = "Description")]
    description: Option<String>,
    #[serde(rename = "Link")]
    link: Option<String>,
    #[serde(rename = "Severity")]
    severity: Option<String>,
    #[serde(rename = "FixedBy")]
    fixed_by: Option<String>,
    #[serde(rename = "FeatureName")]
    feature_name: Option<String>,
    #[serde(rename = "FeatureVersion")]
    feature_version: Option<String>,
}

/// klar's `Vulnerabilities`: lists by severity, in the report's order.
#[derive(Debug, Default)]
struct Buckets(Vec<(String, Option<Vec<KlarEntry>>)>);

pub(crate) fn sniff(shape: &Shape) -> bool {
    let scanner = shape.has("vulnerabilities")
        && (shape.has("vulnerabilities[].featurename") || shape.has_all(&["image", "unapproved"]));
    let klar = shape.has_all(&["LayerCount", "Vulnerabilities"]);
    shape.kind == crate::shape::Kind::Object && (scanner || klar)
}

pub(crate) fn parse(
    reader: &mut dyn Read,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(), ParseError> {
    let report: Report = json::object(reader, &options.limits, NAME)?;
    if report.vulnerabilities.is_none() && report.by_severity.is_none() {
        let found = "a JSON object without `vulnerabilities` or `Vulnerabilities`".into();
        return Err(ParseError::WrongShape { format: NAME, found });
    }

    let image = report.image.filter(|i| !i.trim().is_empty());
    let unapproved = report.unapproved.map(Option::unwrap_or_default);
    for entry in report.vulnerabilities.flatten().unwrap_or_default() {
        let mut finding = scanner_finding(entry, image.as_deref());
        if unapproved.as_ref().is_some_and(|ids| !ids.contains(&finding.rule_id)) {
            finding.suppression = Some(Suppression {
                kind: "external".into(),
                justification: Some("approved in clair-scanner's whitelist".into()),
            });
        }
        emit(sink, finding)?;
    }
    for (bucket, entries) in report.by_severity.flatten().unwrap_or_default().0 {
        for entry in entries.unwrap_or_default() {
            emit(sink, klar_finding(entry, &bucket))?;
        }
    }
    // Scans of two images are scans of different things.
    let category =
        image.as_deref().map(|i| format!("container_image:{}", crate::trivy::without_tag(i)));
    sink.run(0, RunInfo { tool: TOOL.into(), category, ..RunInfo::default() })
        .map_err(ParseError::Sink)
}

/// Clair's severities: `Defcon1` is critical, then the four usual bands;
/// `Negligible`, `Unknown` and anything else are info.
fn severity(word: Option<&str>) -> Severity {
    match word {
        Some(word) if word.trim().eq_ignore_ascii_case("Defcon1") => Severity::Critical,
        _ => crate::common::severity_band(word),
    }
}

/// What both shapes give, in one form.
struct Entry {
    id: Option<String>,
    severity: Option<String>,
    feature: Option<String>,
    version: Option<String>,
    fixed_by: Option<String>,
    namespace: Option<String>,
    description: Option<String>,
    link: Option<String>,
}

fn scanner_finding(entry: ScannerEntry, image: Option<&str>) -> Finding {
    let mut finding = finding(Entry {
        id: entry.vulnerability,
        severity: entry.severity,
        feature: entry.featurename,
        version: entry.featureversion,
        fixed_by: entry.fixedby,
        namespace: entry.namespace,
        description: entry.description,
        link: entry.link,
    });
    if let Some(image) = image {
        finding.message.push_str(&format!("\n\nImage: {image}"));
    }
    finding
}

fn klar_finding(entry: KlarEntry, bucket: &str) -> Finding {
    finding(Entry {
        id: entry.name,
        severity: given(entry.severity).or_else(|| given(Some(bucket.to_string()))),
        feature: entry.feature_name,
        version: entry.feature_version,
        fixed_by: entry.fixed_by,
        namespace: entry.namespace,
        description: entry.description,
        link: entry.link,
    })
}

fn finding(entry: Entry) -> Finding {
    let id = given(entry.id).unwrap_or_else(|| "clair-vulnerability".into());
    let feature = given(entry.feature);
    let title = match &feature {
        Some(feature) => format!("{id} in {feature}"),
        None => id.clone(),
    };
    let mut finding = Finding::new(TOOL, id, title, severity(entry.severity.as_deref()));
    finding.tool_severity = given(entry.severity);
    let id = finding.rule_id.clone();
    finding.add_advisory(&id);
    let description = given(entry.description).unwrap_or_default();
    if !id.to_ascii_uppercase().starts_with("CVE-") {
        let mut named = Vec::new();
        ids::collect_advisories(&description, &mut named);
        for cve in named.iter().filter(|a| a.starts_with("CVE-")) {
            finding.add_advisory(cve);
        }
    }
    finding.message = description;
    finding.help_uri = given(entry.link);

    let namespace = given(entry.namespace);
    let fixed_version = given(entry.fixed_by);
    if let (Some(feature), Some(fixed)) = (&feature, &fixed_version) {
        finding.remediation = Some(format!("Upgrade {feature} to {fixed}."));
    }
    let distribution = namespace.as_deref().and_then(|n| n.split(':').next()).map(str::to_string);
    finding.package = feature.map(|name| Package {
        name,
        version: given(entry.version),
        ecosystem: distribution.filter(|d| !d.is_empty()),
        fixed_version,
        ..Package::default()
    });
    finding.location = namespace.map(|n| Location { logical: Some(n), ..Location::default() });
    finding
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

impl<'de> Deserialize<'de> for Buckets {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(BucketsVisitor(PhantomData))
    }
}

struct BucketsVisitor(PhantomData<Buckets>);

impl<'de> Visitor<'de> for BucketsVisitor {
    type Value = Buckets;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of vulnerability lists by severity")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Buckets, A::Error> {
        let mut buckets = Vec::new();
        while let Some(bucket) = map.next_entry()? {
            buckets.push(bucket);
        }
        Ok(Buckets(buckets))
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
        assert_eq!(sink.runs[0].tool, "Clair");
        Ok(sink)
    }

    fn findings(text: &str) -> Vec<Finding> {
        parse_text(text).unwrap().findings
    }

    #[test]
    fn the_image_without_its_tag_is_the_scans_category() {
        let run = &parse_text(SCANNER).unwrap().runs[0];
        assert_eq!(run.category.as_deref(), Some("container_image:registry.example:443/shop"));
        assert_eq!(parse_text(KLAR).unwrap().runs[0].category, None);
    }

    const SCANNER: &str = r#"{
      "image": "registry.example:443/shop:1.4",
      "unapproved": ["CVE-2019-5094"],
      "vulnerabilities": [
        {"featurename": "e2fsprogs", "featureversion": "1.44.1-1ubuntu1.1", "vulnerability": "CVE-2019-5094",
         "namespace": "ubuntu:18.04", "description": "A code execution vulnerability in e2fsprogs.",
         "link": "http://people.ubuntu.com/~ubuntu-security/cve/CVE-2019-5094",
         "severity": "Medium", "fixedby": "1.44.1-1ubuntu1.2"},
        {"featurename": "systemd", "featureversion": "237-3ubuntu10.29", "vulnerability": "CVE-2018-20839",
         "namespace": "ubuntu:18.04", "description": "systemd changes the VT1 mode upon a logout.",
         "link": "", "severity": "Negligible", "fixedby": ""}
      ]
    }"#;

    const KLAR: &str = r#"{
      "LayerCount": 9,
      "Vulnerabilities": {
        "Defcon1": [{"Name": "RHSA-2019:0109", "NamespaceName": "centos:7",
          "Description": "Perl: Integer overflow (CVE-2018-18311). See cve-2018-18312 too.",
          "Link": "https://access.redhat.com/errata/RHSA-2019:0109", "Severity": "Defcon1",
          "FixedBy": "4:5.16.3-294.el7_6", "FeatureName": "perl-libs", "FeatureVersion": "4:5.16.3-293.el7"}],
        "High": null,
        "Unknown": [{"Name": "CVE-2020-1", "NamespaceName": "centos:7", "FeatureName": "zlib"}]
      }
    }"#;

    #[test]
    fn clair_scanner_entries_carry_their_feature() {
        let all = findings(SCANNER);
        let f = &all[0];
        assert_eq!(f.tool, "Clair");
        assert_eq!(f.rule_id, "CVE-2019-5094");
        assert_eq!(f.title, "CVE-2019-5094 in e2fsprogs");
        assert_eq!((f.severity, f.tool_severity.as_deref()), (Severity::Medium, Some("Medium")));
        assert_eq!(f.advisories, ["CVE-2019-5094"]);
        assert_eq!(
            f.help_uri.as_deref(),
            Some("http://people.ubuntu.com/~ubuntu-security/cve/CVE-2019-5094")
        );
        assert!(f.message.starts_with("A code execution vulnerability"));
        assert!(f.message.ends_with("Image: registry.example:443/shop:1.4"));
        let package = f.package.as_ref().unwrap();
        assert_eq!(package.name, "e2fsprogs");
        assert_eq!(package.version.as_deref(), Some("1.44.1-1ubuntu1.1"));
        assert_eq!(package.ecosystem.as_deref(), Some("ubuntu"));
        assert_eq!(package.fixed_version.as_deref(), Some("1.44.1-1ubuntu1.2"));
        assert_eq!(f.remediation.as_deref(), Some("Upgrade e2fsprogs to 1.44.1-1ubuntu1.2."));
        let location = f.location.as_ref().unwrap();
        assert_eq!(
            (location.path.as_deref(), location.logical.as_deref()),
            (None, Some("ubuntu:18.04"))
        );
        assert!(f.suppression.is_none());
    }

    #[test]
    fn whitelisted_entries_are_kept_suppressed() {
        let all = findings(SCANNER);
        let f = &all[1];
        assert_eq!((f.severity, f.tool_severity.as_deref()), (Severity::Info, Some("Negligible")));
        assert!(f.suppression.is_some());
        assert!(f.help_uri.is_none() && f.remediation.is_none());
        let all_approved =
            SCANNER.replace(r#""unapproved": ["CVE-2019-5094"]"#, r#""unapproved": null"#);
        assert!(findings(&all_approved).iter().all(|f| f.suppression.is_some()));
        let no_list = SCANNER.replace(r#""unapproved": ["CVE-2019-5094"],"#, "");
        assert!(findings(&no_list).iter().all(|f| f.suppression.is_none()));
    }

    #[test]
    fn klar_entries_come_by_severity() {
        let all = findings(KLAR);
        assert_eq!(all.len(), 2);
        let f = &all[0];
        assert_eq!(f.rule_id, "RHSA-2019:0109");
        assert_eq!(f.severity, Severity::Critical);
        // A distribution advisory names the CVEs it fixes.
        assert_eq!(f.advisories, ["RHSA-2019:0109", "CVE-2018-18311", "CVE-2018-18312"]);
        assert_eq!(f.package.as_ref().unwrap().ecosystem.as_deref(), Some("centos"));
        assert_eq!(
            (all[1].severity, all[1].tool_severity.as_deref()),
            (Severity::Info, Some("Unknown"))
        );
    }

    #[test]
    fn severities_map_to_ours() {
        for (word, expected) in [
            ("Defcon1", Severity::Critical),
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
    fn a_new_image_tag_keeps_the_identity() {
        let rebuilt = SCANNER.replace("shop:1.4", "shop:1.5");
        assert_eq!(findings(SCANNER)[0].fingerprint, findings(&rebuilt)[0].fingerprint);
    }

    #[test]
    fn empty_reports_are_clean_scans() {
        assert!(findings(r#"{"image": "x", "unapproved": [], "vulnerabilities": []}"#).is_empty());
        assert!(findings(r#"{"LayerCount": 3, "Vulnerabilities": {}}"#).is_empty());
        assert!(findings(r#"{"LayerCount": 3, "Vulnerabilities": null}"#).is_empty());
    }

    #[test]
    fn missing_optional_fields_in_a_later_entry_do_not_fail() {
        let report =
            r#"{"vulnerabilities": [{"vulnerability": "CVE-2024-1", "featurename": "a"}, {}]}"#;
        let all = findings(report);
        assert_eq!(all[1].rule_id, "clair-vulnerability");
        assert!(all[1].package.is_none() && all[1].location.is_none());
    }

    #[test]
    fn wrong_shapes_are_named() {
        let err = parse_text(r#"{"LayerCount": 3}"#).unwrap_err();
        assert!(
            err.to_string().contains("without `vulnerabilities` or `Vulnerabilities`"),
            "{err}"
        );
        let err = parse_text("null").unwrap_err();
        assert!(err.to_string().starts_with("not a clair report"), "{err}");
        let err = parse_text(r#"{"Vulnerabilities": {"High": [{"Name": 5}]}}"#).unwrap_err();
        assert!(
            err.to_string().starts_with("invalid clair report at `Vulnerabilities.High[0].Name`"),
            "{err}"
        );
    }

    #[test]
    fn detection_takes_both_shapes() {
        let detected = |text: &str| formats::detect(text.as_bytes()).map(|f| f.name);
        assert_eq!(detected(SCANNER), Some("clair"));
        assert_eq!(detected(KLAR), Some("clair"));
        assert_ne!(
            detected(r#"{"vulnerabilities": [{"vuln": "x"}], "imageDigest": "y"}"#),
            Some("clair")
        );
    }
}
