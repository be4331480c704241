//! Small inline SARIF logs, one per rule the parser follows. Each test is
//! named after the input shape it guards.

use std::collections::BTreeMap;

use fixgate_domain::{Finding, Fingerprint, RunInfo, Severity};
use serde_json::{Value, json};

use super::{Summary, parse, sniff};
use crate::{Collected, Limits, ParseError, Sink, SinkError};

fn parse_text(text: &str) -> Result<(Summary, Collected), ParseError> {
    let mut sink = Collected::default();
    let summary = parse(text.as_bytes(), &Limits::default(), &mut sink)?;
    Ok((summary, sink))
}

fn log_of(runs: Value) -> String {
    json!({ "version": "2.1.0", "runs": runs }).to_string()
}

/// The findings of a one-run log with `tool` and `results`.
fn findings(tool: Value, results: Value) -> Vec<Finding> {
    let text = log_of(json!([{ "tool": tool, "results": results }]));
    parse_text(&text).unwrap().1.findings
}

/// The finding of a one-run, one-result log.
fn finding(tool: Value, result: Value) -> Finding {
    let mut all = findings(tool, json!([result]));
    assert_eq!(all.len(), 1);
    all.remove(0)
}

fn driver(rules: Value) -> Value {
    json!({ "driver": { "name": "Scanner", "rules": rules } })
}

fn severity_of(tool: Value, result: Value) -> (Severity, Option<String>) {
    let f = finding(tool, result);
    (f.severity, f.tool_severity)
}

fn error_of(text: &str) -> ParseError {
    parse_text(text).expect_err("the parse should fail")
}

// Rules

#[test]
fn rule_index_points_into_driver_rules() {
    let tool = driver(json!([
        { "id": "A1", "shortDescription": { "text": "First" } },
        { "id": "A2", "name": "SecondRule", "shortDescription": { "text": "Second" } },
    ]));
    let f = finding(tool, json!({ "ruleIndex": 1, "message": { "text": "m" } }));
    assert_eq!(f.rule_id, "A2");
    assert_eq!(f.title, "Second");
    assert_eq!(f.rule_name.as_deref(), Some("SecondRule"));
}

#[test]
fn rule_reference_with_index_points_into_driver_rules() {
    let tool = driver(json!([{ "id": "A1" }, { "id": "A2", "name": "Two" }]));
    let f = finding(tool, json!({ "rule": { "index": 1 }, "message": { "text": "m" } }));
    assert_eq!(f.rule_id, "A2");
}

#[test]
fn rule_in_an_extension_named_by_tool_component_index() {
    let tool = json!({
        "driver": { "name": "CodeQL", "rules": [{ "id": "js/other" }] },
        "extensions": [
            { "name": "codeql/javascript-queries", "rules": [
                { "id": "js/xss", "shortDescription": { "text": "Cross-site scripting" },
                  "properties": { "security-severity": "6.1", "tags": ["external/cwe/cwe-079"] } }
            ] }
        ]
    });
    let result = json!({
        "ruleId": "js/xss",
        "rule": { "id": "js/xss", "index": 0, "toolComponent": { "index": 0 } },
        "message": { "text": "m" }
    });
    let f = finding(tool, result);
    assert_eq!(f.title, "Cross-site scripting");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.cwes, vec![79]);
    assert_eq!(f.tool, "CodeQL");
}

#[test]
fn rule_in_an_extension_named_by_tool_component_name() {
    let tool = json!({
        "driver": { "name": "CodeQL" },
        "extensions": [
            { "name": "a", "rules": [{ "id": "x", "shortDescription": { "text": "from a" } }] },
            { "name": "b", "rules": [{ "id": "x", "shortDescription": { "text": "from b" } }] }
        ]
    });
    let result = json!({ "rule": { "id": "x", "toolComponent": { "name": "b" } }, "message": { "text": "m" } });
    assert_eq!(finding(tool, result).title, "from b");
}

#[test]
fn rule_id_the_driver_lacks_is_found_in_extensions() {
    let tool = json!({
        "driver": { "name": "CodeQL", "rules": [] },
        "extensions": [{ "name": "pack", "rules": [{ "id": "py/sqli", "name": "SqlInjection" }] }]
    });
    let f = finding(tool, json!({ "ruleId": "py/sqli", "message": { "text": "m" } }));
    assert_eq!(f.rule_name.as_deref(), Some("SqlInjection"));
}

#[test]
fn hierarchical_rule_id_falls_back_to_its_parent() {
    let tool = driver(json!([{ "id": "C2001", "shortDescription": { "text": "Uninitialized" } }]));
    let f = finding(tool, json!({ "ruleId": "C2001/1", "message": { "text": "m" } }));
    assert_eq!(f.rule_id, "C2001/1");
    assert_eq!(f.title, "Uninitialized");
}

#[test]
fn rule_index_out_of_range_falls_back_to_the_rule_id() {
    let tool = driver(json!([{ "id": "A1", "shortDescription": { "text": "One" } }]));
    let f = finding(tool, json!({ "ruleId": "A1", "ruleIndex": 7, "message": { "text": "m" } }));
    assert_eq!(f.title, "One");
}

#[test]
fn unknown_rule_still_makes_a_finding() {
    let f = finding(
        driver(json!([])),
        json!({ "ruleId": "X9", "message": { "text": "Bad thing. More." } }),
    );
    assert_eq!(f.rule_id, "X9");
    assert_eq!(f.title, "Bad thing.");
    assert_eq!(f.rule_name, None);
}

// Severity

#[test]
fn security_severity_as_a_string_in_rule_properties() {
    let tool = driver(json!([{ "id": "R", "properties": { "security-severity": "9.8" } }]));
    let got =
        severity_of(tool, json!({ "ruleId": "R", "level": "note", "message": { "text": "m" } }));
    assert_eq!(got, (Severity::Critical, Some("9.8".to_string())));
}

#[test]
fn security_severity_as_a_number_in_rule_properties() {
    let tool = driver(json!([{ "id": "R", "properties": { "security-severity": 7.5 } }]));
    let got = severity_of(tool, json!({ "ruleId": "R", "message": { "text": "m" } }));
    assert_eq!(got, (Severity::High, Some("7.5".to_string())));
}

#[test]
fn security_severity_of_the_result_wins_over_the_rule() {
    let tool = driver(json!([{ "id": "R", "properties": { "security-severity": "9.8" } }]));
    let result = json!({ "ruleId": "R", "properties": { "security-severity": "2.0" }, "message": { "text": "m" } });
    assert_eq!(severity_of(tool, result).0, Severity::Low);
}

#[test]
fn security_severity_written_as_a_name() {
    let tool = driver(json!([{ "id": "R", "properties": { "security-severity": "MEDIUM" } }]));
    let got =
        severity_of(tool, json!({ "ruleId": "R", "level": "error", "message": { "text": "m" } }));
    assert_eq!(got, (Severity::Medium, Some("MEDIUM".to_string())));
}

#[test]
fn security_severity_that_is_no_score_falls_back_to_the_level() {
    let tool = driver(json!([{ "id": "R", "properties": { "security-severity": "soon" } }]));
    let got =
        severity_of(tool, json!({ "ruleId": "R", "level": "error", "message": { "text": "m" } }));
    assert_eq!(got, (Severity::High, Some("error".to_string())));
}

#[test]
fn bandit_issue_severity_in_result_properties() {
    let result = json!({ "properties": { "issue_severity": "HIGH", "issue_confidence": "LOW" }, "message": { "text": "m" } });
    assert_eq!(severity_of(driver(json!([])), result), (Severity::High, Some("HIGH".to_string())));
}

#[test]
fn level_maps_to_severity() {
    for (level, expected) in [
        ("error", Severity::High),
        ("warning", Severity::Medium),
        ("note", Severity::Low),
        ("none", Severity::Info),
    ] {
        let got =
            severity_of(driver(json!([])), json!({ "level": level, "message": { "text": "m" } }));
        assert_eq!(got, (expected, Some(level.to_string())), "{level}");
    }
}

#[test]
fn missing_level_takes_the_rule_default_level() {
    let tool = driver(json!([{ "id": "R", "defaultConfiguration": { "level": "error" } }]));
    let got = severity_of(tool, json!({ "ruleId": "R", "message": { "text": "m" } }));
    assert_eq!(got, (Severity::High, Some("error".to_string())));
}

#[test]
fn missing_level_without_rule_default_is_warning() {
    let got = severity_of(driver(json!([])), json!({ "message": { "text": "m" } }));
    assert_eq!(got, (Severity::Medium, None));
}

#[test]
fn rank_without_a_level_is_read_as_a_score() {
    let got = severity_of(driver(json!([])), json!({ "rank": 95.0, "message": { "text": "m" } }));
    assert_eq!(got, (Severity::Critical, Some("95".to_string())));
    let tool = driver(json!([{ "id": "R", "defaultConfiguration": { "rank": 45 } }]));
    let got = severity_of(tool, json!({ "ruleId": "R", "message": { "text": "m" } }));
    assert_eq!(got.0, Severity::Medium);
}

#[test]
fn rank_does_not_override_an_explicit_level() {
    let got = severity_of(
        driver(json!([])),
        json!({ "rank": 95.0, "level": "note", "message": { "text": "m" } }),
    );
    assert_eq!(got.0, Severity::Low);
}

// Kinds

#[test]
fn pass_and_not_applicable_results_are_skipped() {
    let results = json!([
        { "kind": "pass", "message": { "text": "ok" } },
        { "kind": "notApplicable", "message": { "text": "n/a" } },
        { "kind": "fail", "message": { "text": "bad" } },
        { "message": { "text": "also bad" } },
    ]);
    let text = log_of(json!([{ "tool": driver(json!([])), "results": results }]));
    let (summary, sink) = parse_text(&text).unwrap();
    assert_eq!(summary, Summary { runs: 1, results: 2, skipped: 2 });
    assert_eq!(sink.findings.len(), 2);
}

#[test]
fn results_the_baseline_says_are_absent_are_skipped() {
    let results = json!([
        { "baselineState": "absent", "message": { "text": "gone" } },
        { "baselineState": "new", "message": { "text": "new" } },
        { "baselineState": "unchanged", "message": { "text": "old" } },
    ]);
    let text = log_of(json!([{ "tool": driver(json!([])), "results": results }]));
    let (summary, sink) = parse_text(&text).unwrap();
    assert_eq!(summary, Summary { runs: 1, results: 2, skipped: 1 });
    assert_eq!(sink.findings[0].message, "new");
}

#[test]
fn level_outside_sarif_that_names_a_severity() {
    let got =
        severity_of(driver(json!([])), json!({ "level": "critical", "message": { "text": "m" } }));
    assert_eq!(got, (Severity::Critical, Some("critical".to_string())));
    let got =
        severity_of(driver(json!([])), json!({ "level": "whatever", "message": { "text": "m" } }));
    assert_eq!(got, (Severity::Medium, None));
}

#[test]
fn informational_results_are_kept_at_info() {
    let result = json!({ "kind": "informational", "level": "error", "message": { "text": "fyi" } });
    assert_eq!(severity_of(driver(json!([])), result).0, Severity::Info);
}

#[test]
fn open_and_review_results_are_kept_and_default_to_info() {
    let tool = driver(json!([{ "id": "R", "defaultConfiguration": { "level": "error" } }]));
    for kind in ["open", "review"] {
        let result = json!({ "kind": kind, "ruleId": "R", "message": { "text": "look" } });
        assert_eq!(severity_of(tool.clone(), result).0, Severity::Info, "{kind}");
    }
    let result = json!({ "kind": "review", "level": "warning", "message": { "text": "look" } });
    assert_eq!(severity_of(tool, result).0, Severity::Medium);
}

// CWE and advisories

#[test]
fn cwe_from_tags_in_the_forms_tools_write() {
    let tool = driver(json!([{ "id": "R", "properties": {
        "tags": ["security", "external/cwe/cwe-079", "CWE-89", "cwe-022: Path Traversal", "external/cwe/cwe-79"]
    } }]));
    let f = finding(tool, json!({ "ruleId": "R", "message": { "text": "m" } }));
    assert_eq!(f.cwes, vec![79, 89, 22]);
}

#[test]
fn cwe_from_relationships_to_the_cwe_taxonomy() {
    let tool = driver(json!([{ "id": "R", "relationships": [
        { "target": { "id": "798", "toolComponent": { "name": "CWE" } }, "kinds": ["superset"] },
        { "target": { "id": "A03", "toolComponent": { "name": "OWASP" } } },
        { "target": { "id": "259", "toolComponent": { "index": 0 } } },
    ] }]));
    let text = log_of(json!([{
        "taxonomies": [{ "name": "CWE" }],
        "tool": tool,
        "results": [{ "ruleId": "R", "message": { "text": "m" } }],
    }]));
    let f = parse_text(&text).unwrap().1.findings.remove(0);
    assert_eq!(f.cwes, vec![798, 259]);
}

#[test]
fn cwe_from_result_taxa() {
    let result = json!({ "taxa": [{ "id": "190", "toolComponent": { "name": "CWE" } }], "message": { "text": "m" } });
    assert_eq!(finding(driver(json!([])), result).cwes, vec![190]);
}

#[test]
fn cwe_from_properties_as_text_list_and_number() {
    let tool = driver(json!([
        { "id": "semgrep", "properties": { "cwe": "CWE-89: Improper Neutralization of Special Elements" } },
        { "id": "snyk", "properties": { "cwe": ["CWE-79", "CWE-80"] } },
        { "id": "number", "properties": { "CWE": 352 } },
    ]));
    let results = json!([
        { "ruleId": "semgrep", "message": { "text": "m" } },
        { "ruleId": "snyk", "message": { "text": "m" } },
        { "ruleId": "number", "message": { "text": "m" } },
        { "properties": { "cwe": "CWE-532 Insertion of Sensitive Information" }, "message": { "text": "m" } },
    ]);
    let cwes: Vec<_> = findings(tool, results).into_iter().map(|f| f.cwes).collect();
    assert_eq!(cwes, vec![vec![89], vec![79, 80], vec![352], vec![532]]);
}

#[test]
fn advisories_from_rule_id_name_tags_properties_and_message() {
    let tool = driver(json!([{
        "id": "CVE-2021-44228-log4j-core",
        "name": "GHSA-jfh8-c2jp-5v3q",
        "properties": { "tags": ["cve-2021-45046"], "aliases": "CVE-2021-44228" }
    }]));
    let result = json!({
        "ruleId": "CVE-2021-44228-log4j-core",
        "properties": { "related": ["GHSA-7rjr-3q55-vv33"] },
        "message": { "text": "Also see CVE-2021-45105." }
    });
    let f = finding(tool, result);
    assert_eq!(
        f.advisories,
        [
            "CVE-2021-44228",
            "GHSA-jfh8-c2jp-5v3q",
            "CVE-2021-45046",
            "GHSA-7rjr-3q55-vv33",
            "CVE-2021-45105"
        ]
    );
}

// Messages and titles

#[test]
fn message_id_resolves_through_rule_message_strings_with_arguments() {
    let tool = driver(json!([{ "id": "C2001", "messageStrings": {
        "default": { "text": "Variable \"{0}\" was used without being initialized. It was declared [here]({1})." }
    } }]));
    let result =
        json!({ "ruleId": "C2001", "message": { "id": "default", "arguments": ["ptr", "0"] } });
    let f = finding(tool, result);
    assert_eq!(
        f.message,
        "Variable \"ptr\" was used without being initialized. It was declared [here](0)."
    );
    assert_eq!(f.title, "Variable \"ptr\" was used without being initialized.");
}

#[test]
fn message_id_resolves_through_global_message_strings() {
    let tool = json!({ "driver": {
        "name": "S",
        "globalMessageStrings": { "shared": { "text": "{0} is {{not}} safe" } },
        "rules": [{ "id": "R" }]
    } });
    let result = json!({ "ruleId": "R", "message": { "id": "shared", "arguments": ["eval"] } });
    assert_eq!(finding(tool, result).message, "eval is {not} safe");
}

#[test]
fn message_text_with_arguments_has_its_placeholders_filled() {
    let result = json!({ "message": { "text": "Tainted {0} reaches {1}.", "arguments": ["input", "query"] } });
    assert_eq!(finding(driver(json!([])), result).message, "Tainted input reaches query.");
}

#[test]
fn title_prefers_short_description_then_name_then_message_then_rule_id() {
    let tool = driver(json!([
        { "id": "A", "name": "NameA", "shortDescription": { "text": "Short A" } },
        { "id": "XSS", "name": "XSS", "shortDescription": { "text": "Reflected XSS" } },
        { "id": "B", "name": "Name B", "shortDescription": { "text": "  " } },
        { "id": "C" },
        { "id": "D" },
        { "id": "B608", "name": "hardcoded_sql_expressions" },
    ]));
    let results = json!([
        { "ruleId": "A", "message": { "text": "Message A." } },
        { "ruleId": "XSS", "message": { "text": "Message XSS." } },
        { "ruleId": "B", "message": { "text": "Message B." } },
        { "ruleId": "C", "message": { "text": "First sentence. Second sentence." } },
        { "ruleId": "D", "message": { "text": "" } },
        { "ruleId": "B608", "message": { "text": "Possible SQL injection vector." } },
    ]);
    let titles: Vec<_> = findings(tool, results).into_iter().map(|f| f.title).collect();
    // An identifier-like name (Bandit's) gives way to the message.
    assert_eq!(
        titles,
        [
            "Short A",
            "Reflected XSS",
            "Name B",
            "First sentence.",
            "D",
            "Possible SQL injection vector."
        ]
    );
}

#[test]
fn short_description_and_name_that_repeat_the_rule_id_give_way_to_the_message() {
    let tool = driver(json!([{
        "id": "fixgate.python.subprocess-shell-true",
        "name": "fixgate.python.subprocess-shell-true",
        "shortDescription": { "text": "Semgrep Finding: fixgate.python.subprocess-shell-true" }
    }]));
    let result = json!({
        "ruleId": "fixgate.python.subprocess-shell-true",
        "message": { "text": "A command runs through the shell (shell=True). Pass a list instead." }
    });
    assert_eq!(finding(tool, result).title, "A command runs through the shell (shell=True).");
}

// Locations and traces

#[test]
fn physical_location_with_region_and_snippet() {
    let result = json!({ "message": { "text": "m" }, "locations": [{
        "physicalLocation": {
            "artifactLocation": { "uri": "src/app.py", "uriBaseId": "%SRCROOT%" },
            "region": { "startLine": 10, "endLine": 12, "startColumn": 5, "endColumn": 9, "snippet": { "text": "eval(x)" } }
        },
        "logicalLocations": [{ "name": "handler", "fullyQualifiedName": "app.handler" }]
    }, {
        "physicalLocation": { "artifactLocation": { "uri": "other.py" } }
    }] });
    let location = finding(driver(json!([])), result).location.unwrap();
    assert_eq!(location.path.as_deref(), Some("src/app.py"));
    assert_eq!(
        (location.start_line, location.end_line, location.start_column, location.end_column),
        (Some(10), Some(12), Some(5), Some(9))
    );
    assert_eq!(location.snippet.as_deref(), Some("eval(x)"));
    assert_eq!(location.logical.as_deref(), Some("app.handler"));
}

#[test]
fn file_uri_with_escapes_becomes_a_path() {
    let result = json!({ "message": { "text": "m" }, "locations": [{ "physicalLocation": {
        "artifactLocation": { "uri": "file:///home/x/my%20app/a.py" },
        "contextRegion": { "startLine": 1, "snippet": { "text": "context" } }
    } }] });
    let location = finding(driver(json!([])), result).location.unwrap();
    assert_eq!(location.path.as_deref(), Some("/home/x/my app/a.py"));
    assert_eq!(location.snippet.as_deref(), Some("context"));
}

#[test]
fn artifact_index_without_uri_points_into_run_artifacts() {
    let text = log_of(json!([{
        "tool": driver(json!([])),
        "artifacts": [{ "location": { "uri": "a.c" } }, { "location": { "uri": "b.c" } }],
        "results": [{ "message": { "text": "m" }, "locations": [{ "physicalLocation": {
            "artifactLocation": { "index": 1 }, "region": { "startLine": 3 }
        } }] }],
    }]));
    let f = parse_text(&text).unwrap().1.findings.remove(0);
    assert_eq!(f.location.unwrap().display(), "b.c:3");
}

#[test]
fn logical_location_only() {
    let result = json!({ "message": { "text": "m" }, "locations": [{
        "logicalLocations": [{ "fullyQualifiedName": "Example.Worker.DoWork" }]
    }] });
    let location = finding(driver(json!([])), result).location.unwrap();
    assert_eq!(location.path, None);
    assert_eq!(location.logical.as_deref(), Some("Example.Worker.DoWork"));
}

#[test]
fn result_without_locations_is_still_a_finding() {
    let f =
        finding(driver(json!([])), json!({ "message": { "text": "image has no HEALTHCHECK" } }));
    assert_eq!(f.location, None);
    let f = finding(driver(json!([])), json!({ "message": { "text": "m" }, "locations": [{}] }));
    assert_eq!(f.location, None);
}

#[test]
fn trace_from_the_first_thread_flow() {
    let step = |line: u32, text: &str| {
        json!({ "location": {
            "physicalLocation": { "artifactLocation": { "uri": "a.py" }, "region": { "startLine": line } },
            "message": { "text": text }
        } })
    };
    let result = json!({ "message": { "text": "m" }, "codeFlows": [
        { "threadFlows": [{ "locations": [step(3, "source"), { "importance": "essential" }, step(9, "sink")] },
                          { "locations": [step(100, "other thread")] }] },
        { "threadFlows": [{ "locations": [step(200, "other flow")] }] },
    ] });
    let trace = finding(driver(json!([])), result).trace;
    let steps: Vec<_> =
        trace.iter().map(|s| (s.location.start_line, s.message.as_deref())).collect();
    assert_eq!(steps, [(Some(3), Some("source")), (Some(9), Some("sink"))]);
}

// Fingerprints, remediation, suppressions

#[test]
fn fingerprints_win_over_partial_fingerprints() {
    let result = json!({
        "ruleId": "R",
        "message": { "text": "m" },
        "fingerprints": { "matchBasedId/v1": "abc" },
        "partialFingerprints": { "primaryLocationLineHash": "def:1" }
    });
    let f = finding(driver(json!([])), result);
    let expected: BTreeMap<_, _> = [("matchBasedId/v1".to_string(), "abc".to_string())].into();
    assert_eq!(f.tool_fingerprints, expected);
    assert_eq!(f.fingerprint, Fingerprint::compute("R", &expected, None, None, "m"));
}

#[test]
fn partial_fingerprints_when_there_are_no_fingerprints() {
    let result = json!({ "message": { "text": "m" }, "fingerprints": {}, "partialFingerprints": { "h": "1" } });
    assert_eq!(
        finding(driver(json!([])), result).tool_fingerprints.get("h").map(String::as_str),
        Some("1")
    );
}

#[test]
fn fingerprint_without_tool_fingerprints_uses_path_and_snippet() {
    let result = json!({ "ruleId": "R", "message": { "text": "m" }, "locations": [{ "physicalLocation": {
        "artifactLocation": { "uri": "a.py" }, "region": { "startLine": 4, "snippet": { "text": "eval(x)" } }
    } }] });
    let f = finding(driver(json!([])), result);
    let none = BTreeMap::new();
    assert_eq!(f.fingerprint, Fingerprint::compute("R", &none, Some("a.py"), Some("eval(x)"), "m"));
}

#[test]
fn remediation_from_fixes_and_rule_help() {
    let tool = driver(
        json!([{ "id": "R", "help": { "text": "Validate input.", "markdown": "**Validate**" }, "helpUri": "https://example.com/R" }]),
    );
    let result = json!({ "ruleId": "R", "message": { "text": "m" }, "fixes": [
        { "description": { "text": "Initialize the variable to null" } },
        { "description": { "text": "Initialize the variable to null" } },
    ] });
    let f = finding(tool, result);
    assert_eq!(
        f.remediation.as_deref(),
        Some("Initialize the variable to null\n\nValidate input.")
    );
    assert_eq!(f.help_uri.as_deref(), Some("https://example.com/R"));
}

#[test]
fn help_in_markdown_only() {
    let tool = driver(json!([{ "id": "R", "help": { "markdown": "Use `x`." } }]));
    let f = finding(tool, json!({ "ruleId": "R", "message": { "text": "m" } }));
    assert_eq!(f.remediation.as_deref(), Some("Use `x`."));
}

#[test]
fn suppressions_by_status() {
    let with = |suppressions: Value| {
        let result = json!({ "message": { "text": "m" }, "suppressions": suppressions });
        finding(driver(json!([])), result).suppression
    };
    let accepted =
        with(json!([{ "kind": "inSource", "status": "accepted", "justification": "test data" }]))
            .unwrap();
    assert_eq!(
        (accepted.kind.as_str(), accepted.justification.as_deref()),
        ("inSource", Some("test data"))
    );
    assert_eq!(with(json!([{ "kind": "external" }])).unwrap().kind, "external");
    assert_eq!(with(json!([{ "kind": "external", "status": "rejected" }])), None);
    assert_eq!(with(json!([{ "kind": "inSource", "status": "underReview" }])), None);
    assert_eq!(with(json!([])), None);
}

// Runs

#[test]
fn results_before_tool_are_held_until_the_rules_are_known() {
    let text = r#"{"version":"2.1.0","runs":[{
        "results":[
            {"ruleId":"R1","message":{"text":"first"}},
            {"ruleIndex":1,"message":{"text":"second"}}
        ],
        "tool":{"driver":{"name":"Late","rules":[
            {"id":"R1","shortDescription":{"text":"Rule one"},"properties":{"security-severity":"9.1"}},
            {"id":"R2","shortDescription":{"text":"Rule two"}}
        ]}}
    }]}"#;
    let (summary, sink) = parse_text(text).unwrap();
    assert_eq!(summary.results, 2);
    let got: Vec<_> =
        sink.findings.iter().map(|f| (f.tool.as_str(), f.title.as_str(), f.severity)).collect();
    assert_eq!(
        got,
        [("Late", "Rule one", Severity::Critical), ("Late", "Rule two", Severity::Medium)]
    );
}

/// Records the order of sink calls.
#[derive(Default)]
struct Recording(Vec<String>);

impl Sink for Recording {
    fn finding(&mut self, finding: Finding) -> Result<(), SinkError> {
        self.0.push(format!("finding run {} {}", finding.run, finding.message));
        Ok(())
    }

    fn run(&mut self, index: usize, info: RunInfo) -> Result<(), SinkError> {
        self.0.push(format!("run {index} {}", info.tool));
        Ok(())
    }
}

#[test]
fn multiple_runs_each_reported_after_their_results() {
    let text = log_of(json!([
        { "tool": { "driver": { "name": "One" } }, "results": [{ "message": { "text": "a" } }, { "message": { "text": "b" } }] },
        { "tool": { "driver": { "name": "Two" } }, "results": [] },
        { "tool": { "driver": { "name": "Three" } }, "results": null },
        { "tool": { "driver": { "name": "Four" } }, "results": [{ "message": { "text": "c" } }] },
    ]));
    let mut sink = Recording::default();
    let summary = parse(text.as_bytes(), &Limits::default(), &mut sink).unwrap();
    assert_eq!(summary, Summary { runs: 4, results: 3, skipped: 0 });
    assert_eq!(
        sink.0,
        [
            "finding run 0 a",
            "finding run 0 b",
            "run 0 One",
            "run 1 Two",
            "run 2 Three",
            "finding run 3 c",
            "run 3 Four"
        ]
    );
}

#[test]
fn run_info_from_tool_provenance_and_automation_details() {
    let text = log_of(json!([{
        "tool": { "driver": { "name": "CodeQL", "semanticVersion": "2.15.0" } },
        "versionControlProvenance": [
            { "repositoryUri": "https://github.com/acme/shop", "revisionId": "abc123", "branch": "refs/heads/main" },
            { "repositoryUri": "https://github.com/acme/other" }
        ],
        "automationDetails": { "id": "my-analysis/linux/2024-01-01" },
        "results": []
    }]));
    let info = parse_text(&text).unwrap().1.runs.remove(0);
    assert_eq!(
        info,
        RunInfo {
            tool: "CodeQL".into(),
            tool_version: Some("2.15.0".into()),
            repository: Some("https://github.com/acme/shop".into()),
            commit: Some("abc123".into()),
            branch: Some("refs/heads/main".into()),
            category: Some("my-analysis/linux/".into()),
            partial: false,
        }
    );
}

#[test]
fn automation_details_id_category_cases() {
    let category = |id: Value| {
        let text =
            log_of(json!([{ "tool": driver(json!([])), "automationDetails": { "id": id } }]));
        parse_text(&text).unwrap().1.runs.remove(0).category
    };
    assert_eq!(
        category(json!("my-analysis/linux/2024-01-01")).as_deref(),
        Some("my-analysis/linux/")
    );
    assert_eq!(category(json!("my-analysis/linux/")).as_deref(), Some("my-analysis/linux/"));
    assert_eq!(category(json!("nightly")).as_deref(), Some("nightly"));
    assert_eq!(category(json!(null)), None);
}

#[test]
fn driver_version_wins_over_semantic_version() {
    let text = log_of(
        json!([{ "tool": { "driver": { "name": "T", "version": "1.2", "semanticVersion": "1.2.0" } } }]),
    );
    assert_eq!(parse_text(&text).unwrap().1.runs.remove(0).tool_version.as_deref(), Some("1.2"));
}

#[test]
fn unknown_properties_and_nulls_are_ignored() {
    let text = r#"{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","version":"2.1.0",
        "inlineExternalProperties":[{"x":1}],
        "runs":[{"tool":{"driver":{"name":"T","rules":null,"x-vendor":{"deep":[1,2,{"a":null}]}}},
            "invocations":[{"executionSuccessful":true}],"artifacts":null,
            "results":[{"message":{"text":"m","markdown":null},"locations":null,"properties":null,
                "codeFlows":null,"suppressions":null,"fingerprints":null,"x-custom":{"a":[1]}}]}]}"#;
    let (summary, sink) = parse_text(text).unwrap();
    assert_eq!(summary.results, 1);
    assert_eq!(sink.findings[0].message, "m");
}

#[test]
fn a_byte_order_mark_before_the_log_is_accepted() {
    let text = format!("\u{feff}{}", log_of(json!([])));
    assert_eq!(parse_text(&text).unwrap().0, Summary::default());
}

// Versions

#[test]
fn version_2_1_0_is_required() {
    let text = json!({ "version": "2.0.0", "runs": [] }).to_string();
    let err = error_of(&text);
    assert!(matches!(&err, ParseError::UnsupportedVersion(v) if v.contains("2.0.0")), "{err:?}");
    assert!(err.to_string().contains("2.1.0"), "{err}");
}

#[test]
fn version_that_is_not_a_string() {
    let err = error_of(&json!({ "version": 2.1, "runs": [] }).to_string());
    assert!(matches!(err, ParseError::UnsupportedVersion(v) if v == "2.1"));
}

#[test]
fn version_after_runs_is_checked_at_the_end() {
    let text = r#"{"runs":[{"tool":{"driver":{"name":"T"}},"results":[]}],"version":"2.0.0"}"#;
    assert!(matches!(error_of(text), ParseError::UnsupportedVersion(_)));
    let text = r#"{"runs":[],"version":"2.1.0"}"#;
    assert!(parse_text(text).is_ok());
}

#[test]
fn missing_version_is_not_sarif() {
    let err = error_of(r#"{"runs":[]}"#);
    assert!(matches!(&err, ParseError::NotSarif(what) if what == "no `version`"), "{err:?}");
}

#[test]
fn missing_version_with_a_2_1_0_schema_is_accepted() {
    let text = r#"{"$schema":"https://schemastore.azurewebsites.net/schemas/json/sarif-2.1.0-rtm.5.json","runs":[]}"#;
    assert!(parse_text(text).is_ok());
}

// Bad input

#[test]
fn not_json() {
    let err = error_of("<html><body>not a report</body></html>");
    let ParseError::Json { line, column, message } = &err else { panic!("{err:?}") };
    assert_eq!((*line, *column), (1, 1));
    assert!(message.starts_with("invalid JSON"), "{message}");
    assert!(err.to_string().ends_with("at line 1 column 1"), "{err}");
}

#[test]
fn empty_file() {
    let err = error_of("");
    assert!(
        matches!(&err, ParseError::Json { message, .. } if message == "unexpected end of file"),
        "{err:?}"
    );
}

#[test]
fn a_json_array_is_not_sarif() {
    let err = error_of(r#"[{"version":"2.1.0","runs":[]}]"#);
    assert!(matches!(&err, ParseError::NotSarif(what) if what == "a JSON array"), "{err:?}");
    assert_eq!(err.to_string(), "not a SARIF report, found a JSON array");
}

#[test]
fn other_json_values_are_not_sarif() {
    for (text, what) in [
        ("\"x\"", "a JSON string"),
        ("42", "a JSON number"),
        ("true", "a JSON boolean"),
        ("null", "JSON null"),
    ] {
        let err = error_of(text);
        assert!(matches!(&err, ParseError::NotSarif(found) if found == what), "{text}: {err:?}");
    }
}

#[test]
fn json_without_runs_is_not_sarif() {
    let err = error_of(r#"{"version":"2.1.0","Results":[]}"#);
    assert!(
        matches!(&err, ParseError::NotSarif(what) if what == "an object without `runs`"),
        "{err:?}"
    );
}

#[test]
fn truncated_file_names_line_and_column() {
    let full =
        log_of(json!([{ "tool": driver(json!([])), "results": [{ "message": { "text": "m" } }] }]));
    let cut = &full[..full.len() - 10];
    let err = error_of(cut);
    let ParseError::Json { line, column, message } = &err else { panic!("{err:?}") };
    assert_eq!(message, "unexpected end of file");
    assert_eq!((*line, *column), (1, cut.len()));
    assert_eq!(err.to_string(), format!("unexpected end of file at line 1 column {}", cut.len()));
}

#[test]
fn trailing_garbage_after_the_log() {
    let text = format!("{} x", log_of(json!([])));
    assert!(matches!(error_of(&text), ParseError::Json { .. }));
}

/// A result whose properties nest `depth` arrays.
fn nested_in_properties(depth: usize) -> String {
    let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    format!(
        r#"{{"version":"2.1.0","runs":[{{"tool":{{"driver":{{"name":"T"}}}},
        "results":[{{"message":{{"text":"m"}},"properties":{{"x":{deep}}}}}]}}]}}"#
    )
}

#[test]
fn nesting_300_deep_in_result_properties_is_too_deep() {
    let text = nested_in_properties(300);
    let err = error_of(&text);
    let ParseError::TooDeep { line, column } = err else { panic!("{err:?}") };
    assert!(line >= 1 && column >= 1, "{line}:{column}");
    assert!(err_text(&text).contains("nested deeper than 128 levels at line"));
}

fn err_text(text: &str) -> String {
    error_of(text).to_string()
}

#[test]
fn nesting_300_deep_in_rule_properties_is_too_deep_where_it_happens() {
    let deep = format!("{}{}", "{\"a\":".repeat(300), "}".repeat(300));
    let text = format!(
        r#"{{"version":"2.1.0","runs":[{{"tool":{{"driver":{{"name":"T","rules":[{{"id":"R","properties":{deep}}}]}}}}}}]}}"#
    );
    let deep_starts = text.find("{\"a\"").unwrap();
    let deep_ends = deep_starts + 5 * 300;
    let err = error_of(&text);
    assert!(
        matches!(err, ParseError::TooDeep { line: 1, column } if column > deep_starts && column < deep_ends),
        "{err:?}"
    );
}

#[test]
fn very_deep_nesting_even_in_ignored_properties_is_refused_without_overflowing_the_stack() {
    let depth = 100_000;
    let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let text = format!(
        r#"{{"version":"2.1.0","x-ignored":{deep},"runs":[{{"x-ignored":{deep},"results":[{{"x":{deep},"message":{{"text":"m"}}}}]}}]}}"#
    );
    let err = error_of(&text);
    assert!(matches!(err, ParseError::TooDeep { line: 1, column: 159 }), "{err:?}");
    assert!(matches!(error_of(&nested_in_properties(depth)), ParseError::TooDeep { .. }));
    let top = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    // Refused at once: it is not a SARIF log.
    assert!(matches!(error_of(&top), ParseError::NotSarif(_) | ParseError::TooDeep { .. }));
    // Deep but within the limit is fine.
    let fine = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let text = format!(r#"{{"version":"2.1.0","x-ignored":{fine},"runs":[]}}"#);
    assert_eq!(parse_text(&text).unwrap().0.results, 0);
}

#[test]
fn file_over_the_limit_is_too_large() {
    let text = log_of(
        json!([{ "tool": driver(json!([])), "results": [{ "message": { "text": "m".repeat(500) } }] }]),
    );
    let mut sink = Collected::default();
    let err = parse(text.as_bytes(), &Limits { max_bytes: 100, ..Limits::default() }, &mut sink)
        .unwrap_err();
    assert!(matches!(err, ParseError::TooLarge { limit: 100 }), "{err:?}");
    assert_eq!(err.to_string(), "the report is larger than the limit of 100 bytes");

    let exact = Limits { max_bytes: text.len() as u64, ..Limits::default() };
    assert!(parse(text.as_bytes(), &exact, &mut Collected::default()).is_ok());
}

#[test]
fn locations_that_is_not_an_array_names_its_path() {
    let results = json!([
        { "message": { "text": "0" } },
        { "message": { "text": "1" } },
        { "message": { "text": "2" } },
        { "message": { "text": "3" }, "locations": "src/app.py" },
    ]);
    let text = log_of(json!([{ "tool": driver(json!([])), "results": results }]));
    let err = error_of(&text);
    let ParseError::Invalid { path, message } = &err else { panic!("{err:?}") };
    assert_eq!(path, "runs[0].results[3].locations");
    assert!(message.contains("expected a sequence"), "{message}");
    assert!(
        err.to_string().starts_with("invalid SARIF at `runs[0].results[3].locations`: "),
        "{err}"
    );
}

#[test]
fn deep_shape_errors_name_the_full_path() {
    let result = json!({ "message": { "text": "m" }, "locations": [{ "physicalLocation": { "region": { "startLine": "ten" } } }] });
    let text = log_of(json!([{ "tool": driver(json!([])), "results": [result] }]));
    let err = error_of(&text);
    assert!(
        matches!(&err, ParseError::Invalid { path, .. } if path == "runs[0].results[0].locations[0].physicalLocation.region.startLine"),
        "{err:?}"
    );
}

#[test]
fn shape_errors_in_buffered_results_name_their_path() {
    let text = r#"{"version":"2.1.0","runs":[{"results":[{"message":{"text":"m"}},{"message":7}],"tool":{"driver":{"name":"T"}}}]}"#;
    let err = error_of(text);
    assert!(
        matches!(&err, ParseError::Invalid { path, .. } if path == "runs[0].results[1].message"),
        "{err:?}"
    );
}

#[test]
fn result_that_is_not_an_object() {
    let text = log_of(json!([{ "tool": driver(json!([])), "results": [42] }]));
    assert!(
        matches!(error_of(&text), ParseError::Invalid { path, .. } if path == "runs[0].results[0]")
    );
}

#[test]
fn results_that_is_not_an_array() {
    let text = log_of(json!([{ "tool": driver(json!([])), "results": { "a": 1 } }]));
    let err = error_of(&text);
    let ParseError::Invalid { path, message } = &err else { panic!("{err:?}") };
    assert_eq!(path, "runs[0].results");
    assert!(message.contains("expected an array of results at line 1 column"), "{message}");
}

#[test]
fn runs_that_is_not_an_array() {
    let err = error_of(r#"{"version":"2.1.0","runs":"all of them"}"#);
    assert!(matches!(&err, ParseError::Invalid { path, .. } if path == "runs"), "{err:?}");
}

#[test]
fn run_that_is_not_an_object() {
    let err = error_of(r#"{"version":"2.1.0","runs":[{"results":[]},"second"]}"#);
    assert!(matches!(&err, ParseError::Invalid { path, .. } if path == "runs[1]"), "{err:?}");
}

#[test]
fn rules_of_the_wrong_shape_name_their_path() {
    let text = log_of(
        json!([{ "tool": { "driver": { "name": "T", "rules": [{ "id": "R", "helpUri": 5 }] } } }]),
    );
    let err = error_of(&text);
    assert!(
        matches!(&err, ParseError::Invalid { path, .. } if path == "runs[0].tool.driver.rules[0].helpUri"),
        "{err:?}"
    );
}

/// Refuses the second finding.
struct Refusing(usize);

impl Sink for Refusing {
    fn finding(&mut self, _: Finding) -> Result<(), SinkError> {
        self.0 += 1;
        if self.0 > 1 { Err(SinkError("the importer gave up".into())) } else { Ok(()) }
    }

    fn run(&mut self, _: usize, _: RunInfo) -> Result<(), SinkError> {
        Ok(())
    }
}

#[test]
fn sink_refusal_stops_the_parse() {
    let results = json!([{ "message": { "text": "a" } }, { "message": { "text": "b" } }, { "message": { "text": "c" } }]);
    let text = log_of(json!([{ "tool": driver(json!([])), "results": results }]));
    let mut sink = Refusing(0);
    let err = parse(text.as_bytes(), &Limits::default(), &mut sink).unwrap_err();
    assert!(
        matches!(&err, ParseError::Sink(SinkError(m)) if m == "the importer gave up"),
        "{err:?}"
    );
    assert_eq!(sink.0, 2);
}

/// A reader that fails after some bytes.
struct Failing(usize);

impl std::io::Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0 == 0 {
            return Err(std::io::Error::other("disk on fire"));
        }
        let n = buf.len().min(self.0);
        buf[..n].fill(b' ');
        self.0 -= n;
        Ok(n)
    }
}

#[test]
fn read_errors_keep_their_cause() {
    let err = parse(Failing(10), &Limits::default(), &mut Collected::default()).unwrap_err();
    let ParseError::Io(cause) = &err else { panic!("{err:?}") };
    assert_eq!(cause.to_string(), "disk on fire");
}

// Sniffing

#[test]
fn sniff_knows_sarif_by_schema_or_runs() {
    assert!(sniff(br#"{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version""#));
    assert!(sniff(b"\xEF\xBB\xBF\n  {\"runs\": [{\"tool\""));
    assert!(sniff(br#"{"version":"2.1.0","runs":[]}"#));
}

#[test]
fn sniff_rejects_other_reports() {
    assert!(!sniff(br#"{"bomFormat": "CycloneDX", "specVersion": "1.5"}"#));
    assert!(!sniff(br#"{"SchemaVersion": 2, "Results": [{"Target": "x"}]}"#));
    assert!(!sniff(br#"[{"runs": []}]"#));
    assert!(!sniff(br#"{"results": [], "errors": []}"#));
    assert!(!sniff(b""));
    assert!(!sniff(b"<?xml version=\"1.0\"?>"));
}
