use super::*;
use crate::Collected;

fn parse_text(text: &str) -> Collected {
    let mut sink = Collected::default();
    parse(&mut text.as_bytes(), &Options::default(), &mut sink).unwrap();
    assert_eq!(sink.runs.len(), 1);
    sink
}

const CLI: &str = r#"{
  "version": "1.70.0",
  "results": [
    {"check_id": "python.django.security.injection.sql.sql-injection-using-raw",
     "path": "app/views.py", "start": {"line": 12, "col": 5, "offset": 300},
     "end": {"line": 13, "col": 40, "offset": 360},
     "extra": {
       "message": "Detected user input in a raw SQL query. Use parameters instead.",
       "severity": "ERROR",
       "metadata": {"cwe": "CWE-89: Improper Neutralization of Special Elements used in an SQL Command",
                    "owasp": ["A03:2021 - Injection"], "confidence": "HIGH", "likelihood": "MEDIUM",
                    "impact": "HIGH", "category": "security",
                    "references": ["https://docs.djangoproject.com/en/4.2/topics/security/"],
                    "source": "https://semgrep.dev/r/python.django.security.injection.sql.sql-injection-using-raw",
                    "shortlink": "https://sg.run/abcd", "custom": {"nested": [1, 2]}},
       "lines": "    cursor.execute(\"SELECT * FROM t WHERE id = \" + request.GET[\"id\"])\n    rows = cursor.fetchall()",
       "fingerprint": "f3a9c0e1d2b34c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5_0",
       "fix": "cursor.execute(\"SELECT * FROM t WHERE id = %s\", [request.GET[\"id\"]])",
       "is_ignored": false}},
    {"check_id": "generic.ci.security.use-frozen-lockfile", "path": "ci.yml",
     "start": {"line": 3, "col": 1}, "end": {"line": 3, "col": 9},
     "extra": {"message": "Use a frozen lockfile", "severity": "INFO",
               "metadata": {"cwe": ["CWE-494", "CWE-829: Inclusion of Functionality"]},
               "lines": "requires login", "fingerprint": "requires login", "is_ignored": true}},
    {"check_id": "r.warn", "path": "a.js", "start": {"line": 1, "col": 1}, "end": {"line": 1, "col": 2},
     "extra": {"message": "m", "severity": "WARNING", "metadata": {}, "lines": "x"}},
    {"check_id": "r.new", "path": "a.js", "extra": {"severity": "CRITICAL"}},
    {"check_id": "r.inv", "path": "a.js", "extra": {"severity": "INVENTORY", "message": "uses crypto"}},
    {"check_id": "r.low", "extra": {"severity": "LOW", "message": "low",
     "fix_regex": {"regex": "md5", "replacement": "sha256"}}}
  ],
  "errors": [{"code": 3, "level": "warn", "type": "Syntax error", "message": "could not parse x.py"}],
  "paths": {"scanned": ["app/views.py"]}
}"#;

#[test]
fn a_cli_result_maps_to_a_finding() {
    let collected = parse_text(CLI);
    assert_eq!(collected.runs[0].tool, "Semgrep");
    assert_eq!(collected.runs[0].tool_version.as_deref(), Some("1.70.0"));
    let first = &collected.findings[0];
    assert_eq!(first.tool, "Semgrep");
    assert_eq!(first.rule_id, "python.django.security.injection.sql.sql-injection-using-raw");
    assert_eq!(first.title, "Detected user input in a raw SQL query.");
    assert!(first.message.starts_with("Detected user input in a raw SQL query. Use parameters"));
    assert!(
        first.message.contains("\n\nCategory: security\nConfidence: HIGH\n"),
        "{}",
        first.message
    );
    assert!(first.message.ends_with("OWASP: A03:2021 - Injection"), "{}", first.message);
    assert_eq!(first.severity, Severity::High);
    assert_eq!(first.tool_severity.as_deref(), Some("ERROR"));
    assert_eq!(first.cwes, [89]);
    assert_eq!(first.references, ["https://docs.djangoproject.com/en/4.2/topics/security/"]);
    assert!(first.help_uri.as_deref().unwrap().starts_with("https://semgrep.dev/r/"));
    assert!(first.remediation.as_deref().unwrap().contains("%s"));
    assert_eq!(first.tool_fingerprints.len(), 1);
    assert!(first.tool_fingerprints["matchBasedId/v1"].ends_with("_0"));
    assert_eq!(first.suppression, None);
    let location = first.location.as_ref().unwrap();
    assert_eq!(location.path.as_deref(), Some("app/views.py"));
    assert_eq!((location.start_line, location.end_line), (Some(12), Some(13)));
    assert_eq!((location.start_column, location.end_column), (Some(5), Some(40)));
    assert!(location.snippet.as_deref().unwrap().starts_with("    cursor.execute("));
}

#[test]
fn severities_map_and_inventory_is_kept_as_info() {
    let severities: Vec<Severity> = parse_text(CLI).findings.iter().map(|f| f.severity).collect();
    use Severity::*;
    assert_eq!(severities, [High, Low, Medium, Critical, Info, Low]);
}

#[test]
fn placeholders_are_not_kept_and_ignored_results_are_suppressed() {
    let findings = parse_text(CLI).findings;
    let ignored = &findings[1];
    assert!(ignored.tool_fingerprints.is_empty());
    assert_eq!(ignored.location.as_ref().unwrap().snippet, None);
    assert_eq!(ignored.cwes, [494, 829]);
    assert_eq!(ignored.suppression.as_ref().map(|s| s.kind.as_str()), Some("inSource"));
}

#[test]
fn missing_optional_fields_do_not_fail_the_report() {
    let findings = parse_text(CLI).findings;
    let bare = &findings[3];
    assert_eq!(bare.title, "r.new");
    assert_eq!(bare.location.as_ref().unwrap().start_line, None);
    assert_eq!(findings[5].location.as_ref().unwrap().path, None);
    assert!(findings[5].remediation.as_deref().unwrap().contains("`md5` with `sha256`"));
}

#[test]
fn the_fingerprint_is_semgreps_when_it_gave_one() {
    let before = parse_text(CLI).findings;
    let moved = parse_text(&CLI.replace("\"line\": 12, \"col\": 5", "\"line\": 40, \"col\": 5"));
    assert_eq!(before[0].fingerprint, moved.findings[0].fingerprint);
    let other = parse_text(&CLI.replace("b3c4d5_0", "b3c4d5_1"));
    assert_ne!(before[0].fingerprint, other.findings[0].fingerprint);
}

#[test]
fn a_supply_chain_result_of_the_cli_has_its_package() {
    let report = r#"{"results": [{"check_id": "ssc-1234", "path": "package-lock.json",
      "start": {"line": 40, "col": 1}, "end": {"line": 40, "col": 30},
      "extra": {"message": "lodash before 4.17.21 allows command injection", "severity": "ERROR",
        "metadata": {"sca-vuln-database-identifier": "CVE-2021-23337",
          "references": ["https://github.com/advisories/GHSA-35jh-r3h4-6jhm"]},
        "sca_info": {"reachable": false, "reachability_rule": true,
          "dependency_match": {"dependency_pattern": {"ecosystem": "npm", "package": "lodash",
            "semver_range": "< 4.17.21"},
            "found_dependency": {"package": "lodash", "version": "4.17.20", "ecosystem": "npm",
              "transitivity": "direct", "line_number": 40},
            "lockfile": "package-lock.json"}}}}], "errors": []}"#;
    let finding = &parse_text(report).findings[0];
    assert_eq!(finding.advisories, ["CVE-2021-23337", "GHSA-35jh-r3h4-6jhm"]);
    let package = finding.package.as_ref().unwrap();
    assert_eq!((package.name.as_str(), package.version.as_deref()), ("lodash", Some("4.17.20")));
    assert!(finding.message.contains("Reachable: no use"), "{}", finding.message);
}

const EXPORT: &str = r#"{"vulns": [
  {"title": "Prototype Pollution in minimist",
   "advisory": {"ruleId": "ssc-0001", "title": "Prototype Pollution in minimist",
     "description": "minimist before 1.2.6 is vulnerable to prototype pollution.",
     "ecosystem": "npm", "severity": "CRITICAL",
     "references": {"cveIds": ["CVE-2021-44906"], "cweIds": ["CWE-1321: Prototype Pollution"],
       "owaspIds": [], "urls": ["https://github.com/advisories/GHSA-xvch-5gv4-984h"]},
     "reachability": "REACHABILITY",
     "vulnerableDependencies": [{"name": "minimist", "versionSpecifier": "< 1.2.6"}],
     "reachableIf": ""},
   "exposureType": "REACHABLE", "repositoryName": "example/web",
   "matchedDependency": {"name": "minimist", "versionSpecifier": "1.2.5"},
   "dependencyFileLocation": {"path": "package-lock.json", "startLine": "812", "startCol": "0",
     "endLine": "0", "endCol": "0"},
   "usages": [{"findingId": "1", "location": {"path": "src/cli.js", "startLine": "4"}}],
   "triage": {"status": "NEW", "dismissReason": "UNKNOWN_REASON"},
   "closestSafeDependency": {"name": "minimist", "versionSpecifier": "1.2.6"},
   "transitivity": "TRANSITIVE", "packageManager": "npm"},
  {"title": "Old advisory", "advisory": {"severity": "MODERATE-ISH", "ecosystem": "gem",
     "vulnerableDependencies": [{"name": "grpc"}]},
   "matchedDependency": {"name": "grpcio", "versionSpecifier": "1.47.0"},
   "dependencyFileLocation": {"path": "requirements.txt", "startLine": 3},
   "triage": {"status": "IGNORED", "dismissReason": "ACCEPTABLE_RISK"},
   "packageManager": "no_package_manager"}
], "hasMore": false, "cursor": "1"}"#;

#[test]
fn an_export_item_maps_to_a_finding() {
    let collected = parse_text(EXPORT);
    assert_eq!(collected.runs[0].tool, "Semgrep Supply Chain");
    let first = &collected.findings[0];
    assert_eq!(first.tool, "Semgrep Supply Chain");
    assert_eq!(first.rule_id, "ssc-0001");
    assert_eq!(first.title, "Prototype Pollution in minimist");
    assert_eq!(first.severity, Severity::Critical);
    assert_eq!(first.advisories, ["CVE-2021-44906", "GHSA-xvch-5gv4-984h"]);
    assert_eq!(first.cwes, [1321]);
    assert!(first.message.contains("Exposure: REACHABLE, transitive dependency."));
    assert!(first.message.contains("Used at src/cli.js:4\nRepository: example/web"));
    let package = first.package.as_ref().unwrap();
    assert_eq!(package.name, "minimist");
    assert_eq!(package.version.as_deref(), Some("1.2.5"));
    assert_eq!(package.ecosystem.as_deref(), Some("npm"));
    assert_eq!(package.fixed_version.as_deref(), Some("1.2.6"));
    let location = first.location.as_ref().unwrap();
    assert_eq!(location.path.as_deref(), Some("package-lock.json"));
    assert_eq!((location.start_line, location.start_column), (Some(812), None));
    assert_eq!(first.suppression, None);
}

#[test]
fn export_triage_and_odd_values() {
    let second = &parse_text(EXPORT).findings[1];
    assert_eq!(second.severity, Severity::Info);
    assert_eq!(second.rule_id, "semgrep-supply-chain");
    assert_eq!(second.package.as_ref().unwrap().ecosystem, None);
    assert_eq!(second.location.as_ref().unwrap().start_line, Some(3));
    let suppression = second.suppression.as_ref().unwrap();
    assert_eq!(suppression.kind, "external");
    assert_eq!(
        suppression.justification.as_deref(),
        Some("triaged in Semgrep as IGNORED: ACCEPTABLE_RISK")
    );
}

#[test]
fn empty_reports_are_clean_scans_and_are_detected() {
    for empty in [r#"{"results": [], "errors": []}"#, r#"{"vulns": [], "hasMore": false}"#] {
        assert!(parse_text(empty).findings.is_empty());
        assert!(sniff(&Shape::of(empty.as_bytes())), "{empty}");
    }
    assert!(!sniff(&Shape::of(br#"{"results": [], "errors": [], "metrics": {}}"#)));
}

#[test]
fn a_report_of_another_shape_is_refused_with_the_reason() {
    let mut sink = Collected::default();
    let err = parse(&mut &b"{\"issues\": []}"[..], &Options::default(), &mut sink).unwrap_err();
    assert!(err.to_string().contains("neither `results`"), "{err}");
    let err = parse(
        &mut &br#"{"results": [{"start": {"line": "x"}}]}"#[..],
        &Options::default(),
        &mut sink,
    );
    assert!(err.unwrap_err().to_string().contains("results[0].start.line"));
}
