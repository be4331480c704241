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

/// A report as Dependency-Check 10 writes it with `--format JSON`.
const JSON: &str = r#"{
  "reportSchema": "1.1",
  "scanInfo": {"engineVersion": "10.0.3", "dataSource": [{"name": "NVD API Last Modified", "timestamp": "2024-07-01T00:00:00Z"}]},
  "projectInfo": {"name": "shop", "reportDate": "2024-07-01T10:00:00.000Z", "credits": {"NVD": "..."}},
  "dependencies": [
    {
      "isVirtual": false,
      "fileName": "commons-text-1.9.jar",
      "filePath": "/builds/shop/target/lib/commons-text-1.9.jar",
      "md5": "a", "sha1": "b", "sha256": "c",
      "relatedDependencies": [{"isVirtual": false, "filePath": "/builds/shop/other/commons-text-1.9.jar"}],
      "evidenceCollected": {"vendorEvidence": [], "productEvidence": [], "versionEvidence": []},
      "packages": [{"id": "pkg:maven/org.apache.commons/commons-text@1.9", "confidence": "HIGH",
                    "url": "https://ossindex.sonatype.org/component/pkg:maven/org.apache.commons/commons-text@1.9"}],
      "vulnerabilityIds": [{"id": "cpe:2.3:a:apache:commons_text:1.9:*:*:*:*:*:*:*", "confidence": "HIGHEST"}],
      "vulnerabilities": [
        {
          "source": "NVD",
          "name": "CVE-2022-42889",
          "severity": "CRITICAL",
          "cvssv2": {"score": 7.5, "accessVector": "NETWORK", "accessComplexity": "LOW",
                     "authenticationr": "NONE", "confidentialityImpact": "PARTIAL",
                     "integrityImpact": "PARTIAL", "availabilityImpact": "PARTIAL",
                     "severity": "HIGH", "version": "2.0"},
          "cvssv3": {"baseScore": 9.8, "attackVector": "NETWORK", "attackComplexity": "LOW",
                     "privilegesRequired": "NONE", "userInteraction": "NONE", "scope": "UNCHANGED",
                     "confidentialityImpact": "HIGH", "integrityImpact": "HIGH",
                     "availabilityImpact": "HIGH", "baseSeverity": "CRITICAL",
                     "exploitabilityScore": "3.9", "impactScore": "5.9", "version": "3.1"},
          "cwes": ["CWE-94"],
          "description": "Apache Commons Text performs variable interpolation.",
          "notes": "",
          "references": [
            {"source": "MISC", "url": "https://lists.apache.org/thread/n2bd4vdsgkqh2tm14l1wyc3jyol7s1om", "name": "thread"},
            {"source": "OSSINDEX", "url": " https://ossindex.sonatype.org/vuln/CVE-2022-42889 ", "name": "x"}
          ],
          "vulnerableSoftware": [
            {"software": {"id": "cpe:2.3:a:apache:commons_text:*:*:*:*:*:*:*:*", "vulnerabilityIdMatched": "true",
                          "versionStartIncluding": "1.5", "versionEndExcluding": "1.10.0"}},
            {"software": {"id": "cpe:2.3:a:apache:other:*:*:*:*:*:*:*:*", "versionEndExcluding": "9"}}
          ]
        }
      ],
      "suppressedVulnerabilities": [
        {
          "source": "NVD", "name": "CVE-2021-0001",
          "cvssv3": {"baseScore": 5.3, "attackVector": "N", "attackComplexity": "L",
                     "privilegesRequired": "N", "userInteraction": "N", "scope": "U",
                     "confidentialityImpact": "L", "integrityImpact": "N",
                     "availabilityImpact": "N", "baseSeverity": "MEDIUM"},
          "description": "Not used here.",
          "notes": "Only reachable through the CLI, which we do not ship.",
          "references": [], "vulnerableSoftware": []
        }
      ]
    },
    {
      "isVirtual": true,
      "fileName": "minimist:1.2.5",
      "filePath": "/builds/shop/web/package-lock.json?minimist",
      "projectReferences": ["package-lock.json: transitive"],
      "evidenceCollected": {"vendorEvidence": [], "productEvidence": [], "versionEvidence": []},
      "packages": [{"id": "pkg:npm/minimist@1.2.5", "confidence": "HIGHEST"}],
      "vulnerabilities": [
        {"source": "NPM", "name": "1179", "unscored": "true", "severity": "moderate",
         "description": "Prototype pollution.", "notes": "", "references": [], "vulnerableSoftware": []},
        {"source": "OSSINDEX", "name": "CWE-1321: Prototype Pollution", "severity": "Unknown",
         "description": "", "references": []}
      ]
    },
    {"isVirtual": false, "fileName": "clean.jar", "filePath": "/builds/shop/clean.jar",
     "evidenceCollected": {"vendorEvidence": [], "productEvidence": [], "versionEvidence": []}}
  ]
}"#;

#[test]
fn json_fields_are_mapped() {
    let sink = parse_text(JSON);
    assert_eq!(sink.runs[0].tool, "Dependency-Check");
    assert_eq!(sink.runs[0].tool_version.as_deref(), Some("10.0.3"));
    let [text, suppressed, npm, weakness] = sink.findings.as_slice() else {
        panic!("{:?}", sink.findings)
    };

    assert_eq!(text.tool, "Dependency-Check");
    assert_eq!(text.rule_id, "CVE-2022-42889");
    assert_eq!(text.title, "CVE-2022-42889 in org.apache.commons:commons-text 1.9");
    assert_eq!(text.advisories, ["CVE-2022-42889"]);
    assert_eq!(text.cwes, [94]);
    assert_eq!(
        (text.severity, text.tool_severity.as_deref()),
        (Severity::Critical, Some("CRITICAL"))
    );
    let cvss = text.cvss.as_ref().unwrap();
    assert_eq!(cvss.score, Some(9.8));
    assert_eq!(cvss.vector.as_deref(), Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));
    assert_eq!(text.message, "Apache Commons Text performs variable interpolation.");
    assert_eq!(text.references.len(), 2);
    assert_eq!(text.references[1], "https://ossindex.sonatype.org/vuln/CVE-2022-42889");
    assert_eq!(text.help_uri.as_deref(), Some(text.references[0].as_str()));
    let package = text.package.as_ref().unwrap();
    assert_eq!(package.name, "org.apache.commons:commons-text");
    assert_eq!(package.version.as_deref(), Some("1.9"));
    assert_eq!(package.purl.as_deref(), Some("pkg:maven/org.apache.commons/commons-text@1.9"));
    assert_eq!(package.ecosystem.as_deref(), Some("maven"));
    assert_eq!(package.fixed_version.as_deref(), Some("1.10.0"), "from the matched software");
    assert_eq!(text.location.as_ref().unwrap().path.as_deref(), Some("commons-text-1.9.jar"));
    assert!(text.suppression.is_none());

    let suppression = suppressed.suppression.as_ref().unwrap();
    assert_eq!(suppression.kind, "external");
    assert_eq!(
        suppression.justification.as_deref(),
        Some("Only reachable through the CLI, which we do not ship.")
    );
    assert_eq!(suppressed.severity, Severity::Medium, "from the CVSS v3 severity");
    assert_eq!(
        suppressed.cvss.as_ref().unwrap().vector.as_deref(),
        Some("AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"),
        "no version, no prefix"
    );
    assert!(
        suppressed
            .message
            .ends_with("Notes: Only reachable through the CLI, which we do not ship.")
    );

    assert_eq!(npm.rule_id, "1179");
    assert!(npm.advisories.is_empty(), "a bare NPM advisory number is no advisory id");
    assert_eq!((npm.severity, npm.tool_severity.as_deref()), (Severity::Medium, Some("moderate")));
    assert_eq!(npm.location.as_ref().unwrap().path.as_deref(), Some("minimist:1.2.5"));
    assert_eq!(npm.package.as_ref().unwrap().name, "minimist");
    assert!(npm.cvss.is_none());

    assert_eq!(weakness.cwes, [1321]);
    assert!(weakness.advisories.is_empty());
    assert_eq!(
        (weakness.severity, weakness.tool_severity.as_deref()),
        (Severity::Info, Some("Unknown"))
    );
}

#[test]
fn severity_falls_back_from_words_to_scores() {
    let with = |fields: &str| {
        let report = format!(
            r#"{{"scanInfo": {{}}, "dependencies": [{{"fileName": "a.jar",
                "vulnerabilities": [{{"name": "CVE-2020-0001", {fields}}}]}}]}}"#
        );
        let finding = findings(&report).remove(0);
        (finding.severity, finding.tool_severity)
    };
    assert_eq!(with(r#""severity": "HIGH""#), (Severity::High, Some("HIGH".into())));
    assert_eq!(with(r#""severity": "Low""#).0, Severity::Low);
    assert_eq!(
        with(r#""cvssv4": {"baseSeverity": "CRITICAL", "baseScore": 9.3}"#).0,
        Severity::Critical
    );
    assert_eq!(with(r#""cvssv3": {"baseScore": 7.1}"#), (Severity::High, Some("7.1".into())));
    assert_eq!(with(r#""cvssv2": {"score": "4.3"}"#).0, Severity::Medium);
    assert_eq!(with(r#""severity": "Unknown", "cvssv2": {"severity": "LOW"}"#).0, Severity::Low);
    assert_eq!(with(r#""cvssv3": {"baseSeverity>": "MEDIUM"}"#).0, Severity::Medium);
    assert_eq!(with(r#""description": "x""#), (Severity::Info, None));
}

#[test]
fn cvss_v4_is_kept_when_there_is_no_v3() {
    let report = r#"{"scanInfo": {}, "dependencies": [{"fileName": "a.jar", "vulnerabilities": [
        {"name": "CVE-2024-0001", "cvssv4": {"vectorString": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
         "baseScore": 9.3, "baseSeverity": "CRITICAL"},
         "cvssv2": {"score": 5.0, "accessVector": "NETWORK", "accessComplexity": "LOW",
                    "authenticationr>": "NONE", "confidentialImpact": "NONE",
                    "integrityImpact": "PARTIAL", "availabilityImpact": "NONE"}}]}]}"#;
    let cvss = findings(report).remove(0).cvss.unwrap();
    assert_eq!(cvss.score, Some(9.3));
    assert!(cvss.vector.unwrap().starts_with("CVSS:4.0/AV:N"));
    let only_v2 = report.replace("\"cvssv4\"", "\"ignored\"");
    let cvss = findings(&only_v2).remove(0).cvss.unwrap();
    assert_eq!(cvss.vector.as_deref(), Some("AV:N/AC:L/Au:N/C:N/I:P/A:N"));
}

#[test]
fn a_package_is_named_without_a_package_url_too() {
    let package_of = |dependency: &str| {
        let report = format!(
            r#"{{"scanInfo": {{}}, "dependencies": [{{{dependency},
                "vulnerabilities": [{{"name": "CVE-2020-0001"}}]}}]}}"#
        );
        findings(&report).remove(0).package.unwrap()
    };
    let maven = package_of(
        r#""fileName": "lib.jar", "identifiers": [{"type": "cpe", "name": "cpe:/a:x:y:1"},
           {"type": "maven", "name": "org.owasp:library:6.7.8"}]"#,
    );
    assert_eq!(
        (maven.name.as_str(), maven.version.as_deref()),
        ("org.owasp:library", Some("6.7.8"))
    );
    assert_eq!(maven.ecosystem.as_deref(), Some("maven"));
    let evidence = package_of(
        r#""fileName": "dom4j-2.1.1.jar", "evidenceCollected": {
           "productEvidence": [{"confidence": "MEDIUM", "name": "name", "value": "dom4j-core"},
                               {"confidence": "HIGH", "name": "name", "value": "dom4j"}],
           "versionEvidence": [{"confidence": "HIGH", "name": "name", "value": "2.1"},
                               {"confidence": "HIGH", "name": "version", "value": "2.1.1"}]}"#,
    );
    assert_eq!((evidence.name.as_str(), evidence.version.as_deref()), ("dom4j", Some("2.1.1")));
    let file = package_of(r#""fileName": "mystery.dll", "packages": [{"id": "cpe:/a:x:y"}]"#);
    assert_eq!((file.name.as_str(), file.version), ("mystery.dll", None));
}

#[test]
fn a_report_without_vulnerabilities_is_a_clean_scan() {
    assert!(
        findings(
            r#"{"reportSchema": "1.1", "scanInfo": {"engineVersion": "9.0.0"}, "dependencies": []}"#
        )
        .is_empty()
    );
    assert!(
        findings(r#"{"scanInfo": {"engineVersion": "9.0.0"}, "dependencies": null}"#).is_empty()
    );
    let xml = r#"<?xml version="1.0"?>
        <analysis xmlns="https://jeremylong.github.io/DependencyCheck/dependency-check.4.1.xsd">
          <scanInfo><engineVersion>9.0.9</engineVersion></scanInfo>
          <dependencies><dependency isVirtual="false"><fileName>a.jar</fileName></dependency></dependencies>
        </analysis>"#;
    let sink = parse_text(xml);
    assert!(sink.findings.is_empty());
    assert_eq!(sink.runs[0].tool_version.as_deref(), Some("9.0.9"));
}

#[test]
fn reports_of_the_wrong_shape_are_named() {
    assert_eq!(
        error(r#"{"runs": []}"#),
        "not a dependency-check report: a JSON document without scanInfo or dependencies"
    );
    assert!(error("<bom/>").contains("root is <bom>"));
    assert!(error("").contains("an empty file"));
    let err = error(r#"{"scanInfo": {}, "dependencies": [{"vulnerabilities": [{"name": 5}]}]}"#);
    assert!(err.contains("dependencies[0].vulnerabilities[0].name"), "{err}");
    let err = error("<analysis><dependencies>");
    assert!(err.contains("not closed"), "{err}");
}

#[test]
fn xml_of_schema_4_is_read() {
    let xml = r#"<?xml version="1.0"?>
<analysis xmlns="https://jeremylong.github.io/DependencyCheck/dependency-check.4.1.xsd">
  <scanInfo><engineVersion>12.1.0</engineVersion></scanInfo>
  <projectInfo><name>shop</name></projectInfo>
  <dependencies>
    <dependency isVirtual="false">
      <fileName>shop.war: jackson-databind-2.9.4.jar</fileName>
      <filePath>/builds/shop.war/WEB-INF/lib/jackson-databind-2.9.4.jar</filePath>
      <evidenceCollected>
        <evidence type="product" confidence="HIGH"><source>file</source><name>name</name><value>jackson-databind</value></evidence>
      </evidenceCollected>
      <identifiers>
        <package confidence="HIGH"><id>pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4</id></package>
        <vulnerabilityIds confidence="HIGHEST"><id>cpe:2.3:a:fasterxml:jackson-databind:2.9.4</id></vulnerabilityIds>
      </identifiers>
      <vulnerabilities>
        <vulnerability source="NVD">
          <name>CVE-2018-7489</name>
          <severity>CRITICAL</severity>
          <cvssV2><score>7.5</score><accessVector>NETWORK</accessVector><accessComplexity>LOW</accessComplexity>
            <authenticationr>NONE</authenticationr><confidentialityImpact>PARTIAL</confidentialityImpact>
            <integrityImpact>PARTIAL</integrityImpact><availabilityImpact>PARTIAL</availabilityImpact>
            <severity>HIGH</severity></cvssV2>
          <cvssV3><baseScore>9.8</baseScore><attackVector>NETWORK</attackVector><attackComplexity>LOW</attackComplexity>
            <privilegesRequired>NONE</privilegesRequired><userInteraction>NONE</userInteraction><scope>UNCHANGED</scope>
            <confidentialityImpact>HIGH</confidentialityImpact><integrityImpact>HIGH</integrityImpact>
            <availabilityImpact>HIGH</availabilityImpact><baseSeverity>CRITICAL</baseSeverity><version>3.0</version></cvssV3>
          <cwes><cwe>CWE-184</cwe><cwe>CWE-502</cwe></cwes>
          <description>Deserialization flaw.</description>
          <references><reference><source>MISC</source><url>https://github.com/FasterXML/jackson-databind/issues/1931</url><name>x</name></reference></references>
          <vulnerableSoftware>
            <software vulnerabilityIdMatched="true" versionStartIncluding="2.9.0" versionEndExcluding="2.9.5">cpe:2.3:a:fasterxml:jackson-databind:*</software>
          </vulnerableSoftware>
        </vulnerability>
        <suppressedVulnerability source="NVD">
          <name>CVE-2019-0001</name>
          <severity unscored="true">low</severity>
          <description>Old.</description>
          <notes>Accepted until 2025.</notes>
          <vulnerableSoftware><software matched="true" versionEndExcluding="3.0">cpe:2.3:a:x:y:*</software></vulnerableSoftware>
        </suppressedVulnerability>
      </vulnerabilities>
    </dependency>
  </dependencies>
</analysis>"#;
    let sink = parse_text(xml);
    assert_eq!(sink.runs[0].tool_version.as_deref(), Some("12.1.0"));
    let [flaw, accepted] = sink.findings.as_slice() else { panic!("{:?}", sink.findings) };
    assert_eq!(flaw.severity, Severity::Critical);
    assert_eq!(flaw.cwes, [184, 502]);
    let cvss = flaw.cvss.as_ref().unwrap();
    assert_eq!(cvss.score, Some(9.8));
    assert_eq!(cvss.vector.as_deref(), Some("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));
    let package = flaw.package.as_ref().unwrap();
    assert_eq!(package.name, "com.fasterxml.jackson.core:jackson-databind");
    assert_eq!(package.fixed_version.as_deref(), Some("2.9.5"));
    assert_eq!(
        flaw.location.as_ref().unwrap().path.as_deref(),
        Some("shop.war: jackson-databind-2.9.4.jar")
    );
    assert_eq!(accepted.severity, Severity::Low);
    assert_eq!(
        accepted.suppression.as_ref().unwrap().justification.as_deref(),
        Some("Accepted until 2025.")
    );
    assert_eq!(accepted.package.as_ref().unwrap().fixed_version.as_deref(), Some("3.0"));
}

#[test]
fn json_and_xml_of_one_report_give_the_same_findings() {
    let json = r#"{"reportSchema": "1.1", "scanInfo": {"engineVersion": "9.0.0"}, "dependencies": [
      {"fileName": "a.jar", "filePath": "/x/a.jar", "packages": [{"id": "pkg:maven/g/a@1.0"}],
       "vulnerabilities": [{"source": "NVD", "name": "CVE-2020-0001", "severity": "HIGH",
         "cvssv3": {"baseScore": 7.5, "attackVector": "NETWORK", "attackComplexity": "LOW",
           "privilegesRequired": "NONE", "userInteraction": "NONE", "scope": "UNCHANGED",
           "confidentialityImpact": "HIGH", "integrityImpact": "NONE", "availabilityImpact": "NONE",
           "baseSeverity": "HIGH", "version": "3.1"},
         "cwes": ["CWE-200"], "description": "Leak.", "notes": "",
         "references": [{"source": "NVD", "url": "https://example.com/1", "name": "n"}],
         "vulnerableSoftware": [{"software": {"id": "cpe", "vulnerabilityIdMatched": "true", "versionEndExcluding": "1.1"}}]}]}]}"#;
    let xml = r#"<analysis xmlns="https://jeremylong.github.io/DependencyCheck/dependency-check.4.1.xsd">
      <scanInfo><engineVersion>9.0.0</engineVersion></scanInfo><dependencies><dependency>
      <fileName>a.jar</fileName><filePath>/x/a.jar</filePath>
      <identifiers><package><id>pkg:maven/g/a@1.0</id></package></identifiers>
      <vulnerabilities><vulnerability source="NVD"><name>CVE-2020-0001</name><severity>HIGH</severity>
        <cvssV3><baseScore>7.5</baseScore><attackVector>NETWORK</attackVector><attackComplexity>LOW</attackComplexity>
        <privilegesRequired>NONE</privilegesRequired><userInteraction>NONE</userInteraction><scope>UNCHANGED</scope>
        <confidentialityImpact>HIGH</confidentialityImpact><integrityImpact>NONE</integrityImpact>
        <availabilityImpact>NONE</availabilityImpact><baseSeverity>HIGH</baseSeverity><version>3.1</version></cvssV3>
        <cwes><cwe>CWE-200</cwe></cwes><description>Leak.</description>
        <references><reference><source>NVD</source><url>https://example.com/1</url><name>n</name></reference></references>
        <vulnerableSoftware><software vulnerabilityIdMatched="true" versionEndExcluding="1.1">cpe</software></vulnerableSoftware>
      </vulnerability></vulnerabilities></dependency></dependencies></analysis>"#;
    let from_json = parse_text(json);
    let from_xml = parse_text(xml);
    assert_eq!(from_json.findings, from_xml.findings);
    assert_eq!(from_json.runs, from_xml.runs);
}

#[test]
fn detection_knows_both_syntaxes() {
    let shape = |text: &str| sniff(&Shape::of(text.as_bytes()));
    assert!(shape(JSON));
    assert!(shape(
        r#"<?xml version="1.0"?><analysis xmlns="https://jeremylong.github.io/DependencyCheck/dependency-check.1.3.xsd">"#
    ));
    assert!(!shape("<analysis><x/></analysis>"));
    assert!(!shape(r#"{"scanInfo": {"engineVersion": "1"}}"#));
    assert!(!shape(r#"{"dependencies": [], "projectInfo": {}}"#));
}
