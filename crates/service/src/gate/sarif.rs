//! A check as SARIF 2.1.0, whatever format the report came in, so code
//! scanning views and pull request annotations can show it: `baselineState`
//! says what the change did to each result, fixed findings are `absent`
//! results, and suppressed ones carry an accepted external suppression.

use std::collections::BTreeMap;

use fixgate_domain::Severity;
use serde_json::{Map, Value, json};

use super::{Classification, Group, Item};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// One run with every item of every group.
pub fn to_sarif(check: &Classification) -> Value {
    let mut rules: BTreeMap<&str, (&Item, Severity)> = BTreeMap::new();
    let mut results = Vec::new();
    for group in Group::ALL {
        for item in check.groups.get(group) {
            let rule = rules.entry(&item.rule_id).or_insert((item, item.severity));
            rule.1 = rule.1.max(item.severity);
            results.push(result(item, group));
        }
    }
    let rules: Vec<Value> = rules
        .into_iter()
        .map(|(id, (item, severity))| {
            json!({
                "id": id,
                "shortDescription": {"text": item.title},
                "properties": {"security-severity": score(severity)},
            })
        })
        .collect();
    let provenance: Vec<Value> = check
        .repository
        .iter()
        .map(|repository| match &check.branch {
            Some(branch) => json!({"repositoryUri": repository, "branch": branch}),
            None => json!({"repositoryUri": repository}),
        })
        .collect();
    let run = json!({
        "tool": {"driver": {"name": driver_name(check), "rules": rules}},
        "versionControlProvenance": provenance,
        "results": results,
    });
    json!({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]})
}

/// The report's tool; several tools' reports are named after all of them.
fn driver_name(check: &Classification) -> String {
    match check.tools.as_slice() {
        [] => "fixgate".into(),
        tools => tools.join(", "),
    }
}

fn result(item: &Item, group: Group) -> Value {
    let text = if item.message.trim().is_empty() { &item.title } else { &item.message };
    // fixgate's parser reads a result's own severity before its level, so a
    // round trip keeps critical apart from high.
    let mut properties = Map::new();
    properties.insert("security-severity".into(), json!(score(item.severity)));
    properties.insert("severity".into(), json!(item.severity.as_str()));
    if let Some(ticket) = &item.ticket {
        properties.insert("fixgate/ticket".into(), json!(ticket));
    }
    let mut result = Map::new();
    result.insert("ruleId".into(), json!(item.rule_id));
    result.insert("level".into(), json!(level(item.severity)));
    result.insert("message".into(), json!({"text": text}));
    result.insert("partialFingerprints".into(), json!({"fixgate/v1": item.fingerprint}));
    result.insert("baselineState".into(), json!(item.baseline_state(group)));
    result.insert("properties".into(), Value::Object(properties));
    if let Some(path) = &item.path {
        let physical = match item.line.filter(|l| *l > 0) {
            Some(line) => json!({"artifactLocation": {"uri": path}, "region": {"startLine": line}}),
            None => json!({"artifactLocation": {"uri": path}}),
        };
        result.insert("locations".into(), json!([{"physicalLocation": physical}]));
    }
    if group == Group::Suppressed {
        let reason = item.reason.as_deref().unwrap_or("suppressed");
        let justification = match &item.ticket {
            Some(ticket) if !reason.contains(ticket.as_str()) => format!("{reason} ({ticket})"),
            _ => reason.to_string(),
        };
        let suppression =
            json!({"kind": "external", "status": "accepted", "justification": justification});
        result.insert("suppressions".into(), json!([suppression]));
    }
    Value::Object(result)
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// A score inside the severity's CVSS band, as GitHub reads
/// `security-severity`.
fn score(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
        Severity::Info => "0.0",
    }
}

#[cfg(test)]
mod tests {
    use fixgate_domain::{MatchLayer, TicketState};
    use fixgate_intake::{Collected, Limits};

    use super::*;
    use crate::gate::{Counts, Groups};

    fn item(rule: &str, severity: Severity, ticket: Option<&str>) -> Item {
        Item {
            severity,
            title: format!("{rule} title"),
            message: String::new(),
            tool: "CodeQL".into(),
            rule_id: rule.into(),
            path: Some("app/db.py".into()),
            line: Some(10),
            fingerprint: format!("fp-{rule}"),
            ticket: ticket.map(str::to_string),
            state: ticket.map(|_| TicketState::Triaged),
            matched_by: ticket.map(|_| MatchLayer::Tool),
            previous_severity: None,
            reason: None,
        }
    }

    fn check() -> Classification {
        let suppressed = Item {
            reason: Some("False positive (SEC-2): test data".into()),
            ..item("py/xss", Severity::Medium, Some("SEC-2"))
        };
        let moved = Item {
            matched_by: Some(MatchLayer::Content),
            ..item("py/b", Severity::Low, Some("SEC-3"))
        };
        let groups = Groups {
            new: vec![item("py/sql-injection", Severity::Critical, None)],
            still_open: vec![item("py/a", Severity::High, Some("SEC-1")), moved],
            fixed: vec![item("py/c", Severity::High, Some("SEC-4"))],
            suppressed: vec![suppressed],
        };
        Classification {
            repository: Some("https://github.com/acme/shop".into()),
            branch: Some("feature/x".into()),
            application: None,
            format: "sarif".into(),
            tools: vec!["CodeQL".into()],
            against: "store".into(),
            compared_with: 4,
            counts: Counts::of(&groups),
            groups,
        }
    }

    #[test]
    fn the_sarif_reads_back_with_fixgates_parser() {
        let sarif = to_sarif(&check());
        assert_eq!(sarif["version"], "2.1.0");
        assert_eq!(sarif["$schema"], SCHEMA);
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        let states: Vec<&str> =
            results.iter().map(|r| r["baselineState"].as_str().unwrap()).collect();
        assert_eq!(states, ["new", "unchanged", "updated", "absent", "unchanged"]);
        let suppression = &results[4]["suppressions"][0];
        assert_eq!(
            (suppression["kind"].as_str(), suppression["status"].as_str()),
            (Some("external"), Some("accepted"))
        );
        assert_eq!(suppression["justification"], "False positive (SEC-2): test data");

        let mut read = Collected::default();
        let bytes = serde_json::to_vec(&sarif).unwrap();
        fixgate_intake::sarif::parse(&bytes[..], &Limits::default(), &mut read).unwrap();
        // The absent result is not a finding of the change.
        assert_eq!(read.findings.len(), 4);
        assert_eq!(read.findings[0].severity, Severity::Critical);
        assert_eq!(read.findings[0].location.as_ref().unwrap().start_line, Some(10));
        assert!(read.findings[3].suppression.is_some());
        assert_eq!(read.runs[0].tool, "CodeQL");
        assert_eq!(read.runs[0].repository.as_deref(), Some("https://github.com/acme/shop"));
    }

    #[test]
    fn markdown_caps_each_group_and_escapes_what_tables_break_on() {
        let mut check = check();
        let mut noisy = item("py/x", Severity::Low, None);
        noisy.title = "a | b <script>".into();
        check.groups.new = vec![noisy; 7];
        check.counts = Counts::of(&check.groups);
        let verdict = crate::gate::verdict(&check, crate::gate::FailOn::Low);
        let markdown = crate::gate::markdown(&check, &verdict, 5);
        assert!(markdown.starts_with("## fixgate check failed\n"), "{markdown}");
        assert!(markdown.contains("| New | 7 |"));
        assert_eq!(markdown.matches("a \\| b &lt;script&gt;").count(), 5, "{markdown}");
        assert!(markdown.contains("\nand 2 more\n"), "{markdown}");
    }
}
