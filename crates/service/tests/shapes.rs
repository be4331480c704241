//! Report shapes that have broken other tools, imported end to end on every
//! backend with the values they must give.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use fixgate_service::testkit as common;

use common::{context, each_backend, import_bytes, sarif};
use fixgate_domain::Severity;
use fixgate_store::TicketFilter;
use serde_json::json;

fn all() -> TicketFilter {
    TicketFilter { limit: 1000, page: 1, ..TicketFilter::default() }
}

fn log(runs: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&json!({ "version": "2.1.0", "runs": runs })).unwrap()
}

#[tokio::test]
async fn a_run_with_no_rules_and_no_results_is_a_clean_scan_of_its_scope() {
    each_backend("empty_rules_clean_scan", |env| async move {
        let first = import_bytes(
            &env,
            sarif("CodeQL", &[("py/xss", "app/views.py", 5, "return Markup(user)")]),
            context("shop"),
        )
        .await;
        assert_eq!(first.counts.opened, 1);

        let empty = log(
            json!([{ "tool": { "driver": { "name": "CodeQL", "rules": [] } }, "results": [] }]),
        );
        let clean = import_bytes(&env, empty, context("shop")).await;
        assert_eq!(clean.findings, 0, "{}", env.backend);
        assert_eq!(clean.tools, vec!["CodeQL"]);
        // The empty run covers the scope, so the earlier finding is gone.
        assert_eq!(clean.counts.no_longer_seen, 1, "{}", env.backend);
        let listed = env.fixgate.list_tickets(&all()).await.unwrap();
        assert!(!listed.items[0].present, "{}", env.backend);
    })
    .await;
}

#[tokio::test]
async fn security_severity_as_a_word_a_number_or_junk() {
    each_backend("security_severity_words", |env| async move {
        let rules = json!([
            { "id": "word-upper", "properties": { "security-severity": "MEDIUM" } },
            { "id": "word-lower", "properties": { "security-severity": "high" } },
            { "id": "number", "properties": { "security-severity": "9.8" } },
            { "id": "junk", "properties": { "security-severity": "n/a" } },
        ]);
        let result = |rule: &str, line: u32| {
            json!({ "ruleId": rule, "level": "note", "message": { "text": format!("{rule} here") },
                    "locations": [{ "physicalLocation": { "artifactLocation": { "uri": "a.py" },
                                    "region": { "startLine": line } } }] })
        };
        let report = log(json!([{ "tool": { "driver": { "name": "Scanner", "rules": rules } },
            "results": [result("word-upper", 1), result("word-lower", 2), result("number", 3), result("junk", 4)] }]));
        import_bytes(&env, report, context("shop")).await;

        let listed = env.fixgate.list_tickets(&all()).await.unwrap();
        let severity_of = |title: &str| {
            listed.items.iter().find(|t| t.title.starts_with(title)).map(|t| t.severity).unwrap()
        };
        assert_eq!(severity_of("word-upper"), Severity::Medium, "{}", env.backend);
        assert_eq!(severity_of("word-lower"), Severity::High);
        assert_eq!(severity_of("number"), Severity::Critical);
        // Unusable: the level (`note`) decides.
        assert_eq!(severity_of("junk"), Severity::Low);
    })
    .await;
}

#[tokio::test]
async fn a_later_item_without_optional_fields_still_imports() {
    each_backend("later_item_lacks_fields", |env| async move {
        let mut results: Vec<_> = (1..=2000)
            .map(|i| {
                json!({ "ruleId": "R1", "level": "warning",
                        "message": { "text": format!("issue {i}") },
                        "locations": [{ "physicalLocation": { "artifactLocation": { "uri": format!("f{i}.py") },
                                        "region": { "startLine": i, "snippet": { "text": format!("call_{i}()") } } } }] })
            })
            .collect();
        // Item 1500 has no message text, no level, no location, no snippet.
        results[1499] = json!({ "ruleId": "R2", "message": {} });
        let rules = json!([{ "id": "R1", "shortDescription": { "text": "Rule one" },
                             "fullDescription": { "text": "Long description" } },
                           { "id": "R2" }]);
        let report = log(json!([{ "tool": { "driver": { "name": "Scanner", "rules": rules } }, "results": results }]));
        let imported = import_bytes(&env, report, context("shop")).await;
        assert_eq!(imported.findings, 2000, "{}", env.backend);
        assert_eq!(imported.counts.opened, 2000);
        let filter = TicketFilter { text: Some("R2".into()), ..all() };
        let bare = env.fixgate.list_tickets(&filter).await.unwrap();
        assert_eq!(bare.total, 1);
        assert_eq!(bare.items[0].severity, Severity::Medium, "SARIF's default level is warning");
    })
    .await;
}

#[tokio::test]
async fn odd_characters_are_kept_exactly_and_bad_bytes_replaced_the_same_way() {
    each_backend("odd_characters", |env| async move {
        let title = "Ünïcödé \u{fffd} 𝔘𝔫𝔦 😀 “curly” ‘quotes’";
        let report = |bad: &[u8]| {
            let mut text = serde_json::to_string(&json!({ "version": "2.1.0", "runs": [{
                "tool": { "driver": { "name": "Scanner", "rules": [
                    { "id": "R", "shortDescription": { "text": title } }] } },
                "results": [{ "ruleId": "R", "level": "error", "message": { "text": "BADBYTES here" },
                    "locations": [{ "physicalLocation": { "artifactLocation": { "uri": "a.py" } } }] }]
            }] }))
            .unwrap()
            .into_bytes();
            let at = text.windows(8).position(|w| w == b"BADBYTES").unwrap();
            text.splice(at..at + 8, bad.iter().copied());
            text
        };
        let first = import_bytes(&env, report(b"caf\xE9 \xFF"), context("shop")).await;
        assert_eq!(first.counts.opened, 1, "{}", env.backend);
        let ticket = env.fixgate.ticket(&first.opened_tickets[0]).await.unwrap();
        assert_eq!(ticket.findings[0].finding.title, title, "{}", env.backend);
        assert_eq!(ticket.ticket.title, format!("{title} in a.py"));
        assert_eq!(ticket.findings[0].finding.message, "caf\u{fffd} \u{fffd} here");

        // Other invalid bytes at the same place read the same: same identity.
        env.clock.advance(jiff::SignedDuration::from_hours(1));
        let again = import_bytes(&env, report(b"caf\xE8 \xFE"), context("shop")).await;
        assert!(!again.duplicate);
        assert_eq!((again.counts.opened, again.counts.seen_again), (0, 1), "{}", env.backend);
    })
    .await;
}
