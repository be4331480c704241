use super::*;
use crate::Collected;

fn parse_text(text: &str) -> Collected {
    let mut sink = Collected::default();
    parse(&mut text.as_bytes(), &Options::default(), &mut sink).unwrap();
    assert_eq!(sink.runs.len(), 1, "one run per report");
    sink
}

fn findings(text: &str) -> Vec<Finding> {
    parse_text(text).findings
}

fn error(text: &str) -> String {
    let mut sink = Collected::default();
    parse(&mut text.as_bytes(), &Options::default(), &mut sink).unwrap_err().to_string()
}

/// A report as OSV-Scanner 1.9 writes it for a Go module and a Python lock
/// file.
const REPORT: &str = r#"{
  "results": [
    {
      "source": {"path": "/src/shop/go.mod", "type": "lockfile"},
      "packages": [
        {
          "package": {"name": "github.com/gogo/protobuf", "version": "1.3.1", "ecosystem": "Go"},
          "vulnerabilities": [
            {
              "modified": "2023-06-12T18:45:41Z", "published": "2021-03-15T17:00:04Z",
              "schema_version": "1.4.0",
              "id": "GHSA-c3h9-896r-86jm",
              "aliases": ["CVE-2021-3121"],
              "summary": "Improper Input Validation in GoGo Protobuf",
              "details": "An issue was discovered in GoGo Protobuf before 1.3.2.",
              "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
              "affected": [
                {"package": {"ecosystem": "Go", "name": "github.com/gogo/protobuf",
                             "purl": "pkg:golang/github.com/gogo/protobuf"},
                 "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.2"}]}],
                 "database_specific": {"source": "https://github.com/github/advisory-database"}}
              ],
              "references": [
                {"type": "ADVISORY", "url": "https://nvd.nist.gov/vuln/detail/CVE-2021-3121"},
                {"type": "WEB", "url": "https://github.com/gogo/protobuf/commit/b03c65e"}
              ],
              "database_specific": {"cwe_ids": ["CWE-129", "CWE-20"], "github_reviewed": true,
                                    "severity": "HIGH", "nvd_published_at": null}
            },
            {
              "id": "GO-2021-0053",
              "aliases": ["CVE-2021-3121", "GHSA-c3h9-896r-86jm"],
              "summary": "Panic due to improper input validation in github.com/gogo/protobuf",
              "affected": [
                {"package": {"ecosystem": "Go", "name": "github.com/gogo/protobuf"},
                 "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.2"}]}],
                 "ecosystem_specific": {"imports": [{"path": "github.com/gogo/protobuf/plugin/unmarshal"}]}}
              ],
              "references": [{"type": "FIX", "url": "https://github.com/gogo/protobuf/commit/b03c65e"}],
              "database_specific": {"url": "https://pkg.go.dev/vuln/GO-2021-0053"}
            }
          ],
          "groups": [
            {"ids": ["GHSA-c3h9-896r-86jm", "GO-2021-0053"],
             "aliases": ["CVE-2021-3121", "GHSA-c3h9-896r-86jm", "GO-2021-0053"],
             "max_severity": "7.5"}
          ]
        }
      ]
    },
    {
      "source": {"path": "/src/shop/requirements.txt", "type": "lockfile"},
      "packages": [
        {
          "package": {"name": "jinja2", "version": "2.4.1", "ecosystem": "PyPI"},
          "vulnerabilities": [
            {"id": "GHSA-462w-v97r-4m45", "aliases": ["CVE-2019-10906", "PYSEC-2019-217"],
             "summary": "Jinja2 sandbox escape", "details": "In Pallets Jinja before 2.10.1 ...",
             "affected": [
               {"package": {"ecosystem": "PyPI", "name": "jinja2"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.10.1"}]}]},
               {"package": {"ecosystem": "PyPI", "name": "other"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9.9"}]}]}
             ],
             "database_specific": {"severity": "MODERATE", "cwe_ids": "CWE-693"}},
            {"id": "PYSEC-2014-8", "details": "Jinja2 2.7.2 ... /tmp."}
          ]
        }
      ]
    }
  ],
  "experimental_config": {"licenses": {"summary": false, "allowlist": null}}
}"#;

#[test]
fn fields_are_mapped_one_finding_per_group() {
    let sink = parse_text(REPORT);
    assert_eq!(sink.runs[0].tool, "OSV-Scanner");
    let [protobuf, jinja, old] = sink.findings.as_slice() else { panic!("{:?}", sink.findings) };

    assert_eq!(protobuf.tool, "OSV-Scanner");
    assert_eq!(protobuf.rule_id, "GHSA-c3h9-896r-86jm");
    assert_eq!(protobuf.title, "GHSA-c3h9-896r-86jm in github.com/gogo/protobuf 1.3.1");
    assert_eq!(protobuf.advisories, ["GHSA-c3h9-896r-86jm", "GO-2021-0053", "CVE-2021-3121"]);
    assert_eq!(
        (protobuf.severity, protobuf.tool_severity.as_deref()),
        (Severity::High, Some("7.5"))
    );
    let cvss = protobuf.cvss.as_ref().unwrap();
    assert_eq!(cvss.score, Some(7.5));
    assert_eq!(cvss.vector.as_deref(), Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"));
    assert_eq!(protobuf.cwes, [129, 20]);
    assert_eq!(
        protobuf.message,
        "Improper Input Validation in GoGo Protobuf\n\nAn issue was discovered in GoGo Protobuf before 1.3.2."
    );
    assert_eq!(protobuf.references.len(), 2, "deduplicated across the group's records");
    assert_eq!(
        protobuf.help_uri.as_deref(),
        Some("https://osv.dev/vulnerability/GHSA-c3h9-896r-86jm")
    );
    let package = protobuf.package.as_ref().unwrap();
    assert_eq!(package.name, "github.com/gogo/protobuf");
    assert_eq!(package.version.as_deref(), Some("1.3.1"));
    assert_eq!(package.ecosystem.as_deref(), Some("Go"));
    assert_eq!(package.fixed_version.as_deref(), Some("1.3.2"));
    assert_eq!(protobuf.location.as_ref().unwrap().path.as_deref(), Some("/src/shop/go.mod"));
    assert!(protobuf.suppression.is_none() && protobuf.vex.is_none());

    assert_eq!(jinja.rule_id, "GHSA-462w-v97r-4m45", "a report without groups");
    assert_eq!(
        (jinja.severity, jinja.tool_severity.as_deref()),
        (Severity::Medium, Some("MODERATE"))
    );
    assert_eq!(jinja.cwes, [693]);
    assert_eq!(jinja.package.as_ref().unwrap().fixed_version.as_deref(), Some("2.10.1"));
    assert_eq!(
        jinja.location.as_ref().unwrap().path.as_deref(),
        Some("/src/shop/requirements.txt")
    );

    assert_eq!(old.rule_id, "PYSEC-2014-8");
    assert_eq!((old.severity, old.tool_severity.as_deref()), (Severity::Info, None));
    assert!(old.cvss.is_none());
    assert_eq!(old.package.as_ref().unwrap().fixed_version, None);
}

#[test]
fn a_package_that_is_still_vulnerable_keeps_its_fingerprint() {
    let upgraded = REPORT.replace(r#""version": "1.3.1""#, r#""version": "1.3.1-patch""#);
    assert_eq!(findings(REPORT)[0].fingerprint, findings(&upgraded)[0].fingerprint);
}

#[test]
fn severity_mapping() {
    let with = |group: &str, record: &str| {
        let report = format!(
            r#"{{"results": [{{"source": {{"path": "a"}}, "packages": [{{
                "package": {{"name": "p", "version": "1", "ecosystem": "npm"}},
                "vulnerabilities": [{{"id": "X-1", {record}}}],
                "groups": [{{"ids": ["X-1"], {group}}}]}}]}}]}}"#
        );
        let finding = findings(&report).remove(0);
        (finding.severity, finding.tool_severity)
    };
    assert_eq!(
        with(r#""max_severity": "9.8""#, r#""summary": "s""#),
        (Severity::Critical, Some("9.8".into()))
    );
    assert_eq!(with(r#""max_severity": "3.1""#, r#""summary": "s""#).0, Severity::Low);
    assert_eq!(
        with(r#""max_severity": """#, r#""database_specific": {"severity": "CRITICAL"}"#),
        (Severity::Critical, Some("CRITICAL".into()))
    );
    assert_eq!(
        with(r#""aliases": []"#, r#""severity": [{"type": "Ubuntu", "score": "low"}]"#).0,
        Severity::Low
    );
    assert_eq!(
        with(r#""aliases": []"#, r#""database_specific": {"severity": ["odd"]}"#).0,
        Severity::Info
    );
    assert_eq!(with(r#""aliases": []"#, r#""summary": "s""#), (Severity::Info, None));
}

#[test]
fn a_malicious_package_without_a_rating_is_critical() {
    let report = r#"{"results": [{"source": {"path": "/tmp/yarn.lock", "type": "lockfile"}, "packages": [{
        "package": {"name": "flot-axis", "version": "0.0.0", "ecosystem": "npm"},
        "vulnerabilities": [{"id": "MAL-2023-1035", "aliases": ["GHSA-8348-2q94-ffjx"],
          "summary": "Malicious code in flot-axis (npm)",
          "affected": [{"package": {"ecosystem": "npm", "name": "flot-axis"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}],
            "database_specific": {"cwes": [{"cweId": "CWE-506", "name": "Embedded Malicious Code"}]}}]}],
        "groups": [{"ids": ["MAL-2023-1035"], "aliases": ["GHSA-8348-2q94-ffjx", "MAL-2023-1035"]}]}]}]}"#;
    let finding = findings(report).remove(0);
    assert_eq!(finding.severity, Severity::Critical);
    assert_eq!(finding.cwes, [506]);
    assert_eq!(finding.advisories, ["MAL-2023-1035", "GHSA-8348-2q94-ffjx"]);
    assert_eq!(finding.package.unwrap().fixed_version, None, "no fix but removal");
}

#[test]
fn call_analysis_suppresses_what_is_not_called() {
    let with = |analysis: &str| {
        let report = format!(
            r#"{{"results": [{{"source": {{"path": "go.mod"}}, "packages": [{{
                "package": {{"name": "golang.org/x/text", "version": "0.3.5", "ecosystem": "Go"}},
                "vulnerabilities": [{{"id": "GO-2021-0113"}}, {{"id": "GHSA-ppp9-7jff-5vj2"}}],
                "groups": [{{"ids": ["GHSA-ppp9-7jff-5vj2", "GO-2021-0113"], "max_severity": "7.5",
                             "experimentalAnalysis": {analysis}}}]}}]}}]}}"#
        );
        findings(&report).remove(0)
    };
    let uncalled = with(r#"{"GO-2021-0113": {"called": false}}"#);
    let suppression = uncalled.suppression.as_ref().unwrap();
    assert_eq!(suppression.kind, "analysis");
    let vex = uncalled.vex.as_ref().unwrap();
    assert_eq!(vex.state, "not_affected");
    assert_eq!(vex.justification.as_deref(), Some("vulnerable_code_not_in_execute_path"));

    let called =
        with(r#"{"GO-2021-0113": {"called": true}, "GHSA-ppp9-7jff-5vj2": {"called": false}}"#);
    assert!(called.suppression.is_none() && called.vex.is_none());
    let unimportant = with(r#"{"GO-2021-0113": {"called": true, "unimportant": true}}"#);
    assert_eq!(
        unimportant.suppression.unwrap().justification.as_deref(),
        Some("OSV-Scanner marks it unimportant")
    );
    assert!(unimportant.vex.is_none());
    assert!(with("{}").suppression.is_none());
}

#[test]
fn a_clean_scan_has_results_and_an_empty_file_is_refused() {
    assert!(
        findings(r#"{"results": [], "experimental_config": {"licenses": {"summary": false}}}"#)
            .is_empty()
    );
    assert!(findings(r#"{"results": null}"#).is_empty());
    assert!(findings(r#"{"results": [{"source": {"path": "a"}, "packages": null}]}"#).is_empty());
    let err = error("");
    assert!(err.starts_with("not an osv-scanner report: an empty file."), "{err}");
    assert!(err.contains(r#"{"results": []}"#), "{err}");
    assert!(error(" \n ").contains("empty file"));
}

#[test]
fn reports_of_the_wrong_shape_are_named() {
    assert_eq!(
        error(r#"{"matches": []}"#),
        "not an osv-scanner report: a JSON document without results"
    );
    assert!(error("<results/>").contains("not JSON"));
    let err = error(r#"{"results": [{"packages": [{"vulnerabilities": [{"id": 1}]}]}]}"#);
    assert!(err.contains("results[0].packages[0].vulnerabilities[0].id"), "{err}");
}

#[test]
fn missing_optional_fields_do_not_fail_the_report() {
    let report = r#"{"results": [{"packages": [
        {"package": {"name": "a", "version": "1", "ecosystem": "npm"}, "vulnerabilities": [{"id": "A-1"}]},
        {"vulnerabilities": [{"id": "B-1", "affected": [{"ranges": [{"events": [{"fixed": "2"}]}]}]}],
         "groups": [{"ids": ["B-1", "B-2"]}]}
    ]}]}"#;
    let [a, b] = findings(report).try_into().unwrap();
    assert!(a.location.is_none());
    assert_eq!(a.package.unwrap().name, "a");
    assert_eq!(b.title, "B-1");
    assert!(b.package.is_none(), "no package was named");
}

#[test]
fn detection() {
    let shape = |text: &str| sniff(&Shape::of(text.as_bytes()));
    assert!(shape(REPORT));
    assert!(shape(r#"{"results": [], "experimental_config": {"licenses": {}}}"#));
    assert!(!shape(r#"{"results": [{"packages": []}]}"#), "no source");
    assert!(!shape(r#"{"results": []}"#));
    assert!(!shape(r#"{"SchemaVersion": 2, "Results": [{"Target": "x"}]}"#));
}
