use super::*;
use crate::Collected;

fn parse_text(text: &str) -> Collected {
    let mut sink = Collected::default();
    parse(&mut text.as_bytes(), &Options::default(), &mut sink).unwrap();
    assert_eq!(sink.runs.len(), 1);
    assert_eq!(sink.runs[0].tool, "SonarQube");
    sink
}

/// An `api/issues/search` page with `additionalFields=rules`.
const SEARCH: &str = r#"{
  "total": 7, "p": 1, "ps": 100,
  "paging": {"pageIndex": 1, "pageSize": 100, "total": 7},
  "effortTotal": 95,
  "issues": [
    {"key": "AX1", "rule": "javasecurity:S3649", "severity": "BLOCKER",
     "component": "shop:src/main/java/shop/OrderDao.java", "project": "shop", "line": 42,
     "hash": "5d41402abc4b2a76b9719d911017c592",
     "textRange": {"startLine": 42, "endLine": 43, "startOffset": 8, "endOffset": 61},
     "flows": [{"locations": [{"component": "shop:src/main/java/shop/Api.java",
       "textRange": {"startLine": 10, "endLine": 10, "startOffset": 2, "endOffset": 9}, "msg": "source"}]}],
     "status": "OPEN", "message": "Change this code to not construct SQL queries directly from user-controlled data.",
     "effort": "30min", "author": "dev@example.com", "tags": ["cwe", "cwe-89", "owasp-a1", "sql"],
     "type": "VULNERABILITY", "scope": "MAIN", "cleanCodeAttribute": "COMPLETE",
     "impacts": [{"softwareQuality": "SECURITY", "severity": "HIGH"},
                 {"softwareQuality": "RELIABILITY", "severity": "LOW"}],
     "issueStatus": "OPEN"},
    {"key": "AX2", "rule": "java:S1481", "severity": "MINOR", "component": "shop:src/App.java",
     "project": "shop", "line": 7, "status": "RESOLVED", "resolution": "FALSE-POSITIVE",
     "message": "Remove this unused \"x\" local variable.", "type": "CODE_SMELL", "tags": ["unused"]},
    {"key": "AX3", "rule": "java:S2095", "severity": "MAJOR", "component": "shop:src/App.java",
     "project": "shop", "line": 20, "status": "CLOSED", "resolution": "FIXED", "message": "Close it.",
     "type": "BUG"},
    {"key": "AX4", "rule": "java:S2259", "severity": "CRITICAL", "component": "shop:src/App.java",
     "project": "shop", "line": 30, "status": "RESOLVED", "resolution": "FIXED", "message": "NPE.",
     "type": "BUG"},
    {"key": "AX5", "rule": "java:S1135", "severity": "INFO", "component": "shop:src/App.java",
     "project": "shop", "status": "OPEN", "message": "Complete the task associated to this TODO comment.",
     "type": "CODE_SMELL"},
    {"key": "AX6", "rule": "java:S106", "severity": "MAJOR", "component": "shop:src/App.java",
     "project": "shop", "line": 9, "status": "RESOLVED", "resolution": "WONTFIX", "message": "Use a logger.",
     "issueStatus": "ACCEPTED", "type": "CODE_SMELL"},
    {"key": "AX7", "rule": "java:S9999", "component": "shop:src/App.java"}
  ],
  "components": [
    {"key": "shop:src/main/java/shop/OrderDao.java", "enabled": true, "qualifier": "FIL",
     "name": "OrderDao.java", "longName": "src/main/java/shop/OrderDao.java",
     "path": "src/main/java/shop/OrderDao.java"},
    {"key": "shop", "enabled": true, "qualifier": "TRK", "name": "Shop", "longName": "Shop"}
  ],
  "rules": [{"key": "javasecurity:S3649", "name": "Database queries should not be vulnerable to injection attacks",
             "status": "READY", "lang": "java", "langName": "Java"}],
  "facets": []
}"#;

#[test]
fn a_search_issue_maps_to_a_finding() {
    let findings = parse_text(SEARCH).findings;
    let first = &findings[0];
    assert_eq!(first.tool, "SonarQube");
    assert_eq!(first.rule_id, "javasecurity:S3649");
    assert_eq!(
        first.rule_name.as_deref(),
        Some("Database queries should not be vulnerable to injection attacks")
    );
    assert_eq!(
        first.title,
        "Change this code to not construct SQL queries directly from user-controlled data."
    );
    assert!(first.message.contains("\n\nRule: Database queries should not be vulnerable to injection attacks (javasecurity:S3649)\nType: VULNERABILITY\nStatus: OPEN\nTags: cwe, cwe-89, owasp-a1, sql\nSonarQube key: AX1"), "{}", first.message);
    assert_eq!(first.cwes, [89]);
    assert_eq!(first.severity, Severity::High, "the highest impact wins over BLOCKER");
    assert_eq!(first.tool_severity.as_deref(), Some("SECURITY:HIGH"));
    assert_eq!(first.help_uri, None, "the Web API does not name its server");
    let location = first.location.as_ref().unwrap();
    assert_eq!(location.path.as_deref(), Some("src/main/java/shop/OrderDao.java"));
    assert_eq!((location.start_line, location.end_line), (Some(42), Some(43)));
    assert_eq!((location.start_column, location.end_column), (Some(9), Some(62)));
    assert_eq!(
        first.tool_fingerprints["sonarqube/lineHash"],
        "src/main/java/shop/OrderDao.java:5d41402abc4b2a76b9719d911017c592"
    );
}

#[test]
fn resolved_issues_are_skipped_or_set_aside() {
    let findings = parse_text(SEARCH).findings;
    let keys: Vec<&str> =
        findings.iter().map(|f| f.message.rsplit("SonarQube key: ").next().unwrap()).collect();
    assert_eq!(keys, ["AX1", "AX2", "AX5", "AX6", "AX7"], "closed and fixed issues are gone");
    let false_positive = findings[1].suppression.as_ref().unwrap();
    assert_eq!(false_positive.kind, "external");
    assert_eq!(false_positive.justification.as_deref(), Some("marked false positive in SonarQube"));
    assert_eq!(findings[1].location.as_ref().unwrap().path.as_deref(), Some("src/App.java"));
    assert_eq!(
        findings[3].suppression.as_ref().unwrap().justification.as_deref(),
        Some("accepted in SonarQube")
    );
    assert_eq!(findings[2].suppression, None);
}

#[test]
fn classic_severities_map_and_info_is_kept() {
    let findings = parse_text(SEARCH).findings;
    let severities: Vec<Severity> = findings.iter().map(|f| f.severity).collect();
    use Severity::*;
    assert_eq!(severities, [High, Low, Info, Medium, Info]);
    let blocker = SEARCH.replace(
        r#""impacts": [{"softwareQuality": "SECURITY", "severity": "HIGH"},
                 {"softwareQuality": "RELIABILITY", "severity": "LOW"}],"#,
        "",
    );
    assert_eq!(parse_text(&blocker).findings[0].severity, Critical);
    assert_eq!(parse_text(&SEARCH.replace("\"MINOR\"", "\"CRITICAL\"")).findings[1].severity, High);
}

#[test]
fn missing_optional_fields_do_not_fail_the_report() {
    let findings = parse_text(SEARCH).findings;
    let bare = &findings[4];
    assert_eq!(bare.title, "java:S9999");
    assert_eq!(bare.message, "java:S9999\n\nSonarQube key: AX7");
    assert_eq!(bare.location.as_ref().unwrap().start_line, None);
    let todo = &findings[2];
    assert_eq!(todo.location.as_ref().unwrap().path.as_deref(), Some("src/App.java"));
    assert!(todo.tool_fingerprints.is_empty());
}

#[test]
fn the_line_hash_keeps_the_identity_when_lines_move() {
    let before = parse_text(SEARCH).findings;
    let after = parse_text(
        &SEARCH.replace("\"startLine\": 42, \"endLine\": 43", "\"startLine\": 50, \"endLine\": 51"),
    );
    assert_eq!(before[0].fingerprint, after.findings[0].fingerprint);
    let other =
        parse_text(&SEARCH.replace("abc4b2a76b9719d911017c592", "abc4b2a76b9719d911017c593"));
    assert_ne!(before[0].fingerprint, other.findings[0].fingerprint);
}

#[test]
fn hotspots_search_is_read() {
    let hotspots = r#"{"paging": {"pageIndex": 1, "pageSize": 100, "total": 3},
      "hotspots": [
        {"key": "H1", "component": "shop:src/Config.java", "project": "shop",
         "securityCategory": "weak-cryptography", "vulnerabilityProbability": "MEDIUM",
         "status": "TO_REVIEW", "line": 12, "message": "Make sure this weak hash algorithm is not used in a sensitive context here.",
         "ruleKey": "java:S4790", "textRange": {"startLine": 12, "endLine": 12, "startOffset": 4, "endOffset": 20}},
        {"key": "H2", "component": "shop:src/Config.java", "project": "shop",
         "vulnerabilityProbability": "HIGH", "status": "REVIEWED", "resolution": "SAFE", "line": 30,
         "message": "Make sure disabling CSRF protection is safe here.", "ruleKey": "java:S4502"},
        {"key": "H3", "component": "shop:src/Config.java", "project": "shop",
         "vulnerabilityProbability": "LOW", "status": "REVIEWED", "resolution": "FIXED", "line": 40,
         "message": "m", "ruleKey": "java:S4792"}],
      "components": [{"key": "shop:src/Config.java", "qualifier": "FIL", "path": "src/Config.java"}]}"#;
    let findings = parse_text(hotspots).findings;
    assert_eq!(findings.len(), 2, "a hotspot reviewed as fixed is gone");
    let first = &findings[0];
    assert_eq!(first.rule_id, "java:S4790");
    assert_eq!(first.severity, Severity::Medium);
    assert!(first.message.contains(
        "Type: SECURITY_HOTSPOT\nSecurity category: weak-cryptography\nStatus: TO_REVIEW"
    ));
    assert_eq!(first.location.as_ref().unwrap().path.as_deref(), Some("src/Config.java"));
    assert_eq!(first.location.as_ref().unwrap().start_column, Some(5));
    assert_eq!(findings[1].severity, Severity::High);
    assert!(
        findings[1]
            .suppression
            .as_ref()
            .unwrap()
            .justification
            .as_deref()
            .unwrap()
            .contains("safe")
    );
    assert!(sniff(&Shape::of(hotspots.as_bytes())));
}

/// The `sonar-report` tool's JSON, as in the shared corpus.
const SONAR_REPORT: &str = r#"{
  "date": "Thursday, Jan 18, 2024", "projectName": "flask-app", "inNewCodePeriod": false,
  "vulnerabilityPhrase": "Vulnerability", "sonarBaseURL": "https://sonar.example.com/",
  "sonarComponent": "flask-app",
  "rules": {"python:S4502": {"name": "Disabling CSRF protections is security-sensitive",
    "htmlDesc": "<h2>See</h2><ul><li> <a href=\"https://owasp.org/Top10/A01_2021-Broken_Access_Control/\">OWASP</a></li><li> <a href=\"https://cwe.mitre.org/data/definitions/352\">MITRE, CWE-352</a> - CSRF </li><li><a href=\"/relative\">x</a> CWE-1275</li></ul>",
    "severity": "CRITICAL"}},
  "issues": [
    {"rule": "python:S4502", "severity": "CRITICAL", "status": "TO_REVIEW", "component": "app.py",
     "line": 8, "description": "Disabling CSRF protections is security-sensitive",
     "message": "Make sure disabling CSRF protection is safe here.", "key": "AYv1"},
    {"rule": "python:S1192", "severity": "MINOR", "status": "OPEN", "component": "flask-app:lib/util.py",
     "line": 3, "message": "Define a constant instead of duplicating this literal 3 times.", "key": "AYv2"}
  ],
  "hotspotKeys": ["AYv1"], "deltaAnalysis": "No", "summary": {"blocker": 0, "critical": 1, "major": 0, "minor": 1}
}"#;

#[test]
fn a_sonar_report_file_maps_to_findings() {
    let findings = parse_text(SONAR_REPORT).findings;
    let [hotspot, smell] = findings.as_slice() else { panic!("{findings:?}") };
    assert_eq!(
        hotspot.rule_name.as_deref(),
        Some("Disabling CSRF protections is security-sensitive")
    );
    assert_eq!(hotspot.severity, Severity::High);
    assert_eq!(hotspot.cwes, [352, 1275]);
    assert_eq!(
        hotspot.references,
        [
            "https://owasp.org/Top10/A01_2021-Broken_Access_Control/",
            "https://cwe.mitre.org/data/definitions/352",
            "https://sonar.example.com/security_hotspots?id=flask-app&hotspots=AYv1"
        ]
    );
    assert_eq!(
        hotspot.help_uri.as_deref(),
        Some("https://sonar.example.com/coding_rules?open=python:S4502")
    );
    assert!(
        hotspot.message.contains("Type: SECURITY_HOTSPOT\nStatus: TO_REVIEW"),
        "{}",
        hotspot.message
    );
    assert_eq!(hotspot.location.as_ref().unwrap().path.as_deref(), Some("app.py"));
    assert_eq!(smell.location.as_ref().unwrap().path.as_deref(), Some("lib/util.py"));
    assert_eq!(
        smell.references,
        ["https://sonar.example.com/project/issues?id=flask-app&open=AYv2"]
    );
    assert_eq!(smell.severity, Severity::Low);
}

#[test]
fn empty_reports_are_clean_scans_and_are_detected() {
    let empty_search = r#"{"total": 0, "p": 1, "ps": 100, "paging": {"pageIndex": 1, "pageSize": 100, "total": 0},
        "effortTotal": 0, "issues": [], "components": [], "facets": []}"#;
    let empty_report = r#"{"sonarBaseURL": "https://s", "sonarComponent": "x", "rules": {}, "issues": [], "hotspotKeys": []}"#;
    for empty in [empty_search, empty_report] {
        assert!(parse_text(empty).findings.is_empty());
        assert!(sniff(&Shape::of(empty.as_bytes())), "{empty}");
    }
    assert!(sniff(&Shape::of(SEARCH.as_bytes())));
    assert!(!sniff(&Shape::of(br#"{"issues": [{"rule": "x"}]}"#)));
}

#[test]
fn a_report_of_another_shape_is_refused_with_the_reason() {
    let mut sink = Collected::default();
    let err = parse(&mut &b"{\"Issues\": []}"[..], &Options::default(), &mut sink).unwrap_err();
    assert!(err.to_string().contains("neither `issues` nor `hotspots`"), "{err}");
    let wrong = br#"{"issues": [{"line": "eight"}]}"#;
    let err = parse(&mut &wrong[..], &Options::default(), &mut sink).unwrap_err();
    assert!(err.to_string().contains("issues[0].line"), "{err}");
}
