use super::*;
use crate::Collected;

fn parse_text(text: &str) -> Collected {
    let mut sink = Collected::default();
    parse(&mut text.as_bytes(), &Options::default(), &mut sink).unwrap();
    assert_eq!(sink.runs.len(), 1, "one run per BOM");
    sink
}

fn findings(text: &str) -> Vec<Finding> {
    parse_text(text).findings
}

fn error(text: &str) -> String {
    let mut sink = Collected::default();
    parse(&mut text.as_bytes(), &Options::default(), &mut sink).unwrap_err().to_string()
}

const JSON_1_5: &str = r#"{
  "bomFormat": "CycloneDX", "specVersion": "1.5",
  "metadata": {
    "tools": {"components": [{"type": "application", "name": "trivy", "version": "0.50.1"}]},
    "component": {"bom-ref": "app", "type": "application", "name": "shop-api", "version": "9"}
  },
  "components": [
    {"bom-ref": "lib-a", "type": "library", "group": "org.example", "name": "parser",
     "version": "1.2.0", "purl": "pkg:maven/org.example/parser@1.2.0?type=jar",
     "components": [
       {"bom-ref": "lib-b", "name": "inner", "version": "0.1", "purl": "pkg:npm/inner@0.1"}
     ]}
  ],
  "vulnerabilities": [
    {"bom-ref": "v1", "id": "GHSA-aaaa-bbbb-cccc",
     "source": {"name": "GitHub", "url": "https://github.com/advisories/GHSA-aaaa-bbbb-cccc"},
     "references": [{"id": "cve-2024-1234", "source": {"name": "NVD", "url": "https://nvd.example/CVE-2024-1234"}}],
     "ratings": [
       {"source": {"name": "NVD"}, "score": 5.0, "severity": "medium", "method": "CVSSv2", "vector": "AV:N/AC:L/Au:N/C:P/I:N/A:N"},
       {"source": {"name": "NVD"}, "score": 9.1, "method": "CVSSv31", "vector": "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"}
     ],
     "cwes": [79, 352],
     "description": "Cross-site scripting in parser.",
     "detail": "Only the HTML mode is affected.",
     "recommendation": "Upgrade to 1.2.5.",
     "workaround": "Disable HTML mode.",
     "advisories": [{"title": "Advisory", "url": "https://example.com/adv/1"}],
     "affects": [{"ref": "lib-a"}, {"ref": "lib-b", "versions": [{"version": "0.1", "status": "affected"}]}]
    }
  ]
}"#;

#[test]
fn json_fields_are_mapped() {
    let sink = parse_text(JSON_1_5);
    assert_eq!(sink.runs[0].tool, "trivy");
    assert_eq!(sink.runs[0].tool_version.as_deref(), Some("0.50.1"));
    assert_eq!(sink.findings.len(), 2, "one finding per affected component");

    let first = &sink.findings[0];
    assert_eq!(first.tool, "trivy");
    assert_eq!(first.rule_id, "GHSA-aaaa-bbbb-cccc");
    assert_eq!(first.title, "GHSA-aaaa-bbbb-cccc in parser 1.2.0");
    assert_eq!(first.advisories, ["GHSA-aaaa-bbbb-cccc", "CVE-2024-1234"]);
    assert_eq!(first.cwes, [79, 352]);
    assert_eq!(first.severity, Severity::Critical, "the CVSS v3.1 score wins over v2");
    assert_eq!(first.tool_severity.as_deref(), Some("9.1"));
    let cvss = first.cvss.as_ref().unwrap();
    assert_eq!(cvss.score, Some(9.1));
    assert_eq!(cvss.vector.as_deref(), Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"));
    assert_eq!(first.message, "Cross-site scripting in parser.\n\nOnly the HTML mode is affected.");
    assert_eq!(
        first.remediation.as_deref(),
        Some("Upgrade to 1.2.5.\n\nWorkaround: Disable HTML mode.")
    );
    assert_eq!(
        first.help_uri.as_deref(),
        Some("https://github.com/advisories/GHSA-aaaa-bbbb-cccc")
    );
    assert_eq!(
        first.references,
        [
            "https://github.com/advisories/GHSA-aaaa-bbbb-cccc",
            "https://example.com/adv/1",
            "https://nvd.example/CVE-2024-1234"
        ]
    );
    let package = first.package.as_ref().unwrap();
    assert_eq!(package.name, "parser");
    assert_eq!(package.version.as_deref(), Some("1.2.0"));
    assert_eq!(package.purl.as_deref(), Some("pkg:maven/org.example/parser@1.2.0?type=jar"));
    assert_eq!(package.ecosystem.as_deref(), Some("maven"));
    assert_eq!(first.location.as_ref().unwrap().path.as_deref(), Some("shop-api"));
    assert!(first.suppression.is_none() && first.vex.is_none());

    let nested = &sink.findings[1];
    assert_eq!(nested.package.as_ref().unwrap().name, "inner");
    assert_eq!(nested.package.as_ref().unwrap().ecosystem.as_deref(), Some("npm"));
    assert_ne!(first.fingerprint, nested.fingerprint);
}

#[test]
fn an_upgrade_that_is_still_vulnerable_keeps_the_fingerprint() {
    let upgraded =
        JSON_1_5.replace("parser@1.2.0", "parser@1.2.3").replace("\"1.2.0\"", "\"1.2.3\"");
    let before = findings(JSON_1_5);
    let after = findings(&upgraded);
    assert_eq!(after[0].package.as_ref().unwrap().version.as_deref(), Some("1.2.3"));
    assert_eq!(before[0].fingerprint, after[0].fingerprint);
}

#[test]
fn severity_comes_from_the_most_trusted_rating() {
    let with = |ratings: &str| {
        let bom = format!(
            r#"{{"bomFormat": "CycloneDX", "specVersion": "1.4",
                "vulnerabilities": [{{"id": "CVE-2020-0001", "ratings": {ratings}}}]}}"#
        );
        let finding = findings(&bom).remove(0);
        (finding.severity, finding.tool_severity)
    };
    assert_eq!(with(r#"[{"severity": "HIGH"}]"#), (Severity::High, Some("HIGH".into())));
    assert_eq!(
        with(r#"[{"score": 4.3, "method": "CVSSv3"}]"#),
        (Severity::Medium, Some("4.3".into()))
    );
    assert_eq!(
        with(r#"[{"severity": "low", "method": "CVSSv2"}, {"severity": "critical", "method": "CVSSv4"}]"#).0,
        Severity::Critical
    );
    assert_eq!(
        with(
            r#"[{"severity": "low", "method": "CVSSv4"}, {"severity": "high", "method": "CVSSv3"}]"#
        )
        .0,
        Severity::High
    );
    assert_eq!(with(r#"[{"severity": "none"}]"#).0, Severity::Info);
    assert_eq!(with(r#"[{"severity": "info", "method": "other"}]"#).0, Severity::Info);
    assert_eq!(with(r#"[{"severity": "unknown"}]"#), (Severity::Info, Some("unknown".into())));
    assert_eq!(with(r#"[{"severity": "unknown", "score": 7.5}]"#).0, Severity::High);
    assert_eq!(with("[]"), (Severity::Info, None));
    assert_eq!(with("null"), (Severity::Info, None));
}

#[test]
fn a_vulnerability_with_only_an_id_is_kept() {
    let bom = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "vulnerabilities": [
        {"id": "CVE-2024-0001", "ratings": [{"severity": "high"}], "affects": [{"ref": "a"}]},
        {"id": "OSV-1"}
    ]}"#;
    let sink = parse_text(bom);
    assert_eq!(sink.runs[0].tool, "CycloneDX");
    let [first, second] = sink.findings.as_slice() else { panic!("{:?}", sink.findings) };
    assert!(first.package.is_none(), "the ref names no component");
    assert!(first.message.contains("no component with the bom-ref \"a\""));
    assert_eq!(second.rule_id, "OSV-1");
    assert_eq!(second.severity, Severity::Info);
    assert!(second.location.is_none() && second.cvss.is_none());
}

#[test]
fn a_reference_that_is_a_purl_still_names_the_package() {
    let bom = r#"{"bomFormat": "CycloneDX", "vulnerabilities": [
        {"id": "CVE-2024-0001", "affects": [{"ref": "pkg:pypi/django@2.2.18"}]}]}"#;
    let package = findings(bom).remove(0).package.unwrap();
    assert_eq!((package.name.as_str(), package.version.as_deref()), ("django", Some("2.2.18")));
}

#[test]
fn vex_analysis_is_kept_and_suppresses_where_it_says_so() {
    let with = |analysis: &str| {
        let bom = format!(
            r#"{{"bomFormat": "CycloneDX", "vulnerabilities": [{{"id": "CVE-2021-44228",
                "analysis": {analysis}}}]}}"#
        );
        findings(&bom).remove(0)
    };
    let not_affected = with(
        r#"{"state": "not_affected", "justification": "code_not_reachable",
            "response": ["will_not_fix", "update"], "detail": "Lookups are disabled."}"#,
    );
    let vex = not_affected.vex.as_ref().unwrap();
    assert_eq!(vex.state, "not_affected");
    assert_eq!(vex.justification.as_deref(), Some("code_not_reachable"));
    assert_eq!(
        vex.detail.as_deref(),
        Some("Lookups are disabled.\nResponse: will_not_fix, update")
    );
    let suppression = not_affected.suppression.as_ref().unwrap();
    assert_eq!(suppression.kind, "vex");
    assert_eq!(
        suppression.justification.as_deref(),
        Some("not_affected (code_not_reachable): Lookups are disabled.")
    );

    for state in ["false_positive", "resolved", "resolved_with_pedigree"] {
        let finding = with(&format!(r#"{{"state": "{state}"}}"#));
        assert_eq!(finding.suppression.unwrap().justification.as_deref(), Some(state));
    }
    for state in ["exploitable", "in_triage"] {
        let finding = with(&format!(r#"{{"state": "{state}"}}"#));
        assert!(finding.suppression.is_none(), "{state}");
        assert_eq!(finding.vex.unwrap().state, state);
    }
    assert!(with("{}").vex.is_none());
}

#[test]
fn tools_are_read_in_every_spec_version() {
    let tool = |tools: &str| {
        let bom = format!(r#"{{"bomFormat": "CycloneDX", "metadata": {{"tools": {tools}}}}}"#);
        let run = parse_text(&bom).runs.remove(0);
        (run.tool, run.tool_version)
    };
    assert_eq!(
        tool(r#"[{"vendor": "anchore", "name": "grype", "version": "0.59.1"}]"#),
        ("grype".into(), Some("0.59.1".into()))
    );
    assert_eq!(tool(r#"{"components": [{"name": "syft"}]}"#), ("syft".into(), None));
    assert_eq!(tool(r#"{"services": [{"name": "scanner-service"}]}"#).0, "scanner-service");
    assert_eq!(tool("[]").0, "CycloneDX");
    assert_eq!(tool(r#""odd""#).0, "CycloneDX");
}

#[test]
fn a_bom_without_vulnerabilities_is_a_clean_scan() {
    let json = r#"{"bomFormat": "CycloneDX", "specVersion": "1.4",
        "components": [{"bom-ref": "a", "name": "a", "version": "1"}]}"#;
    assert!(findings(json).is_empty());
    assert!(findings(r#"{"bomFormat": "CycloneDX", "vulnerabilities": null}"#).is_empty());
    let xml = r#"<?xml version="1.0"?>
        <bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">
          <components><component type="library"><name>a</name></component></components>
        </bom>"#;
    assert!(findings(xml).is_empty());
}

#[test]
fn reports_of_the_wrong_shape_are_named() {
    let err = error(r#"{"SchemaVersion": 2, "Results": []}"#);
    assert_eq!(err, "not a cyclonedx report: a JSON document without bomFormat");
    let err = error(r#"{"bomFormat": "SPDX"}"#);
    assert!(err.contains("bomFormat is \"SPDX\""), "{err}");
    let err = error("<analysis><dependencies/></analysis>");
    assert!(err.contains("root is <analysis>"), "{err}");
    assert!(error("  ").contains("an empty file"));
    assert!(error("name,version").contains("neither JSON nor XML"));
    let err = error(r#"{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": 7}]}"#);
    assert!(err.contains("vulnerabilities[0].id"), "{err}");
    let err = error(r#"{"bomFormat": "CycloneDX", "vulnerabilities": ["#);
    assert!(err.contains("line 1"), "{err}");
}

const XML_1_4: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="1">
  <metadata>
    <tools><tool><vendor>anchore</vendor><name>grype</name><version>0.70.0</version></tool></tools>
    <component type="container" bom-ref="img"><name>shop/web:1.0</name></component>
  </metadata>
  <components>
    <component type="library" bom-ref="pkg:npm/lodash@4.17.15">
      <name>lodash</name><version>4.17.15</version><purl>pkg:npm/lodash@4.17.15</purl>
      <components>
        <component type="library" bom-ref="deep"><group>org.x</group><name>deep</name></component>
      </components>
    </component>
  </components>
  <vulnerabilities>
    <vulnerability bom-ref="v1">
      <id>CVE-2021-23337</id>
      <source><name>NVD</name><url>https://nvd.nist.gov/vuln/detail/CVE-2021-23337</url></source>
      <references>
        <reference><id>GHSA-35jh-r3h4-6jhm</id><source><name>GitHub</name></source></reference>
      </references>
      <ratings>
        <rating><score>7.2</score><severity>high</severity><method>CVSSv31</method>
          <vector>CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H</vector></rating>
      </ratings>
      <cwes><cwe>94</cwe></cwes>
      <description>Command injection via template.</description>
      <recommendation>Upgrade to 4.17.21.</recommendation>
      <advisories><advisory><title>x</title><url>https://example.com/a</url></advisory></advisories>
      <analysis>
        <state>false_positive</state>
        <responses><response>will_not_fix</response></responses>
      </analysis>
      <affects>
        <target><ref>pkg:npm/lodash@4.17.15</ref></target>
        <target><ref>deep</ref></target>
      </affects>
    </vulnerability>
  </vulnerabilities>
</bom>"#;

#[test]
fn xml_fields_are_mapped() {
    let sink = parse_text(XML_1_4);
    assert_eq!(sink.runs[0].tool, "grype");
    assert_eq!(sink.runs[0].tool_version.as_deref(), Some("0.70.0"));
    let [lodash, deep] = sink.findings.as_slice() else { panic!("{:?}", sink.findings) };
    assert_eq!(lodash.rule_id, "CVE-2021-23337");
    assert_eq!(lodash.advisories, ["CVE-2021-23337", "GHSA-35jh-r3h4-6jhm"]);
    assert_eq!(lodash.severity, Severity::High);
    assert_eq!(lodash.tool_severity.as_deref(), Some("high"));
    assert_eq!(lodash.cwes, [94]);
    assert_eq!(lodash.cvss.as_ref().unwrap().score, Some(7.2));
    assert_eq!(lodash.message, "Command injection via template.");
    assert_eq!(lodash.remediation.as_deref(), Some("Upgrade to 4.17.21."));
    assert_eq!(lodash.references[1], "https://example.com/a");
    assert_eq!(lodash.location.as_ref().unwrap().path.as_deref(), Some("shop/web:1.0"));
    let package = lodash.package.as_ref().unwrap();
    assert_eq!(package.purl.as_deref(), Some("pkg:npm/lodash@4.17.15"));
    let vex = lodash.vex.as_ref().unwrap();
    assert_eq!(
        (vex.state.as_str(), vex.detail.as_deref()),
        ("false_positive", Some("Response: will_not_fix"))
    );
    assert_eq!(lodash.suppression.as_ref().unwrap().kind, "vex");
    let deep = deep.package.as_ref().unwrap();
    assert_eq!(deep.name, "org.x/deep", "without a purl the group keeps the name apart");
    assert_eq!(deep.version, None);
}

#[test]
fn json_and_xml_of_one_bom_give_the_same_findings() {
    let json = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5",
      "metadata": {"tools": {"components": [{"name": "grype", "version": "0.70.0"}]},
                   "component": {"bom-ref": "img", "name": "shop/web:1.0"}},
      "components": [{"bom-ref": "pkg:npm/lodash@4.17.15", "name": "lodash", "version": "4.17.15",
                      "purl": "pkg:npm/lodash@4.17.15"}],
      "vulnerabilities": [{"id": "CVE-2021-23337", "ratings": [{"score": 7.2, "severity": "high",
        "method": "CVSSv31", "vector": "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"}],
        "cwes": [94], "description": "Command injection via template.",
        "affects": [{"ref": "pkg:npm/lodash@4.17.15"}]}]}"#;
    let xml = r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.5">
      <metadata><tools><components><component type="application"><name>grype</name>
        <version>0.70.0</version></component></components></tools>
        <component bom-ref="img"><name>shop/web:1.0</name></component></metadata>
      <components><component bom-ref="pkg:npm/lodash@4.17.15"><name>lodash</name>
        <version>4.17.15</version><purl>pkg:npm/lodash@4.17.15</purl></component></components>
      <vulnerabilities><vulnerability><id>CVE-2021-23337</id><ratings><rating><score>7.2</score>
        <severity>high</severity><method>CVSSv31</method>
        <vector>CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H</vector></rating></ratings>
        <cwes><cwe>94</cwe></cwes><description>Command injection via template.</description>
        <affects><target><ref>pkg:npm/lodash@4.17.15</ref></target></affects>
      </vulnerability></vulnerabilities></bom>"#;
    let from_json = parse_text(json);
    let from_xml = parse_text(xml);
    assert_eq!(from_json.findings, from_xml.findings);
    assert_eq!(from_json.runs, from_xml.runs);
}

#[test]
fn the_vulnerability_extension_of_old_xml_boms_is_read() {
    let xml = r#"<?xml version="1.0"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.2" xmlns:v="http://cyclonedx.org/schema/ext/vulnerability/1.0">
  <components>
    <component type="library"><name>Django</name><version>2.2.18</version>
      <v:vulnerabilities>
        <v:vulnerability ref="urn:uuid:31f4">
          <v:id>GHSA-xgxc-v2qg-chmh</v:id>
          <v:source name="github:python"><v:url>https://github.com/advisories/GHSA-xgxc-v2qg-chmh</v:url></v:source>
          <v:ratings><v:rating><v:score><v:base>0</v:base><v:impact>0</v:impact></v:score>
            <v:severity>Low</v:severity></v:rating></v:ratings>
          <v:description>Directory Traversal in Django</v:description>
          <v:advisories><v:advisory>https://github.com/advisories/GHSA-xgxc-v2qg-chmh</v:advisory></v:advisories>
        </v:vulnerability>
      </v:vulnerabilities>
    </component>
    <component type="library" bom-ref="pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.9">
      <group>com.fasterxml.jackson.core</group><name>jackson-databind</name><version>2.9.9</version>
      <purl>pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.9</purl>
    </component>
  </components>
  <v:vulnerabilities>
    <v:vulnerability ref="pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.9">
      <v:id>CVE-2018-7489</v:id>
      <v:ratings>
        <v:rating><v:score><v:base>9.8</v:base></v:score><v:severity>Critical</v:severity>
          <v:method>CVSSv3</v:method><v:vector>AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H</v:vector></v:rating>
        <v:rating><v:severity>Low</v:severity><v:method>OWASP Risk</v:method></v:rating>
      </v:ratings>
      <v:cwes><v:cwe>184</v:cwe><v:cwe>502</v:cwe></v:cwes>
      <v:recommendations><v:recommendation>Upgrade</v:recommendation></v:recommendations>
    </v:vulnerability>
  </v:vulnerabilities>
</bom>"#;
    let [django, jackson] = findings(xml).try_into().unwrap();
    let package = django.package.as_ref().unwrap();
    assert_eq!((package.name.as_str(), package.version.as_deref()), ("Django", Some("2.2.18")));
    assert_eq!(django.severity, Severity::Low);
    assert_eq!(
        django.help_uri.as_deref(),
        Some("https://github.com/advisories/GHSA-xgxc-v2qg-chmh")
    );
    assert_eq!(django.cvss.as_ref(), None, "a rating without a method is no CVSS");
    assert_eq!(jackson.rule_id, "CVE-2018-7489");
    assert_eq!(jackson.severity, Severity::Critical);
    assert_eq!(jackson.cwes, [184, 502]);
    assert_eq!(jackson.remediation.as_deref(), Some("Upgrade"));
    let cvss = jackson.cvss.as_ref().unwrap();
    assert_eq!(cvss.score, Some(9.8));
    assert_eq!(cvss.vector.as_deref(), Some("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));
    assert_eq!(jackson.package.as_ref().unwrap().name, "jackson-databind");
}

#[test]
fn detection_knows_both_syntaxes() {
    let shape = |text: &str| sniff(&Shape::of(text.as_bytes()));
    assert!(shape(JSON_1_5));
    assert!(shape(XML_1_4));
    assert!(!shape(r#"{"bomFormat": "SPDX"}"#));
    assert!(!shape(r#"{"spdxVersion": "SPDX-2.3", "name": "CycloneDX"}"#));
    assert!(!shape("<bom><components/></bom>"));
}

#[test]
fn vulnerabilities_before_components_and_metadata_are_resolved_at_the_end() {
    let ordered = r#"{"bomFormat": "CycloneDX",
      "metadata": {"tools": [{"name": "grype", "version": "0.70.0"}],
                   "component": {"bom-ref": "img", "name": "shop/web:1.0"}},
      "components": [{"bom-ref": "a", "name": "alpha", "version": "1", "purl": "pkg:npm/alpha@1",
                      "components": [{"bom-ref": "b", "name": "beta", "version": "2"}]}],
      "vulnerabilities": [
        {"id": "CVE-2024-0001", "description": "First.", "affects": [{"ref": "a"}, {"ref": "b"}]},
        {"id": "CVE-2024-0002", "description": "Second\nline \"quoted\".", "affects": [{"ref": "img"}]}
      ]}"#;
    let reordered = r#"{
      "vulnerabilities": [
        {"id": "CVE-2024-0001", "description": "First.", "affects": [{"ref": "a"}, {"ref": "b"}]},
        {"id": "CVE-2024-0002", "description": "Second\nline \"quoted\".", "affects": [{"ref": "img"}]}
      ],
      "components": [{"bom-ref": "a", "name": "alpha", "version": "1", "purl": "pkg:npm/alpha@1",
                      "components": [{"bom-ref": "b", "name": "beta", "version": "2"}]}],
      "metadata": {"tools": [{"name": "grype", "version": "0.70.0"}],
                   "component": {"bom-ref": "img", "name": "shop/web:1.0"}},
      "bomFormat": "CycloneDX"}"#;
    let expected = parse_text(ordered);
    let sink = parse_text(reordered);
    assert_eq!(sink.findings, expected.findings);
    assert_eq!(sink.runs, expected.runs);

    let names: Vec<_> =
        sink.findings.iter().map(|f| f.package.as_ref().map(|p| p.name.as_str())).collect();
    assert_eq!(names, [Some("alpha"), Some("beta"), Some("shop/web:1.0")]);
    assert_eq!(sink.findings[0].tool, "grype");
    assert_eq!(sink.findings[2].message, "Second\nline \"quoted\".");
    let place = sink.findings[0].location.as_ref().and_then(|l| l.path.as_deref());
    assert_eq!(place, Some("shop/web:1.0"));
}

#[test]
fn a_vulnerability_before_components_with_a_wrong_field_is_named_where_it_is() {
    let err = error(
        "{\"vulnerabilities\": [{\"id\": \"ok\"},\n  {\"id\": \"x\", \"ratings\": [{\"severity\": 3}]}],\n \"bomFormat\": \"CycloneDX\"}",
    );
    assert_eq!(
        err,
        "invalid cyclonedx report at `vulnerabilities[1].ratings[0].severity`: \
         invalid type: integer `3`, expected a string at line 2 column 40"
    );
}

#[test]
fn xml_vulnerabilities_before_components_and_metadata_are_resolved() {
    let xml = r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.5">
      <vulnerabilities><vulnerability><id>CVE-2021-23337</id>
        <affects><target><ref>pkg:npm/lodash@4.17.15</ref></target></affects>
      </vulnerability></vulnerabilities>
      <components><component bom-ref="pkg:npm/lodash@4.17.15"><name>lodash</name>
        <version>4.17.15</version><purl>pkg:npm/lodash@4.17.15</purl></component></components>
      <metadata><tools><tool><name>grype</name></tool></tools>
        <component bom-ref="img"><name>shop/web:1.0</name></component></metadata>
    </bom>"#;
    let sink = parse_text(xml);
    let [finding] = sink.findings.as_slice() else { panic!("{:?}", sink.findings) };
    assert_eq!(finding.tool, "grype");
    assert_eq!(finding.package.as_ref().unwrap().name, "lodash");
    assert_eq!(finding.location.as_ref().unwrap().path.as_deref(), Some("shop/web:1.0"));
}

#[test]
fn the_boms_subject_is_the_scans_category() {
    assert_eq!(parse_text(JSON_1_5).runs[0].category.as_deref(), Some("bom:shop-api"));
    let xml = parse_text(XML_1_4);
    assert_eq!(
        xml.runs[0].category.as_deref(),
        Some("bom:shop/web"),
        "the image's tag is left out"
    );
}
