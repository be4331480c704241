//! Importing scans, on every backend: tickets open once per problem, a line
//! shift changes nothing, fixed findings are no longer seen, failed imports
//! leave no trace, concurrent imports serialize.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use fixgate_service::testkit as common;

use common::{Env, context, each_backend, examples, import_bytes, sarif, try_import};
use fixgate_domain::{ScanContext, Severity, TicketState};
use fixgate_store::TicketFilter;

fn all() -> TicketFilter {
    TicketFilter { limit: 1000, page: 1, ..TicketFilter::default() }
}

async fn ticket_count(env: &Env) -> u64 {
    env.fixgate.list_tickets(&all()).await.unwrap().total
}

const FIRST: &[(&str, &str, u32, &str)] = &[
    ("py/sql-injection", "app/db.py", 10, "cursor.execute(q % name)"),
    ("py/sql-injection", "app/db.py", 20, "cursor.execute(q % other)"),
    ("py/xss", "app/views.py", 5, "return Markup(user)"),
];

#[tokio::test]
async fn the_same_report_twice_changes_nothing_and_says_so() {
    each_backend("same_report_twice", |env| async move {
        let first = import_bytes(&env, sarif("CodeQL", FIRST), context("shop")).await;
        assert_eq!(first.counts.opened, 3, "{}", env.backend);
        assert_eq!(first.opened_tickets, vec!["SEC-1", "SEC-2", "SEC-3"]);

        let second = import_bytes(&env, sarif("CodeQL", FIRST), context("shop")).await;
        assert!(second.duplicate, "{}", env.backend);
        assert_eq!(second.scan_id, first.scan_id);
        assert_eq!((second.counts.opened, second.counts.unchanged), (0, 3));
        assert_eq!(ticket_count(&env).await, 3);
    })
    .await;
}

#[tokio::test]
async fn findings_moved_down_three_lines_open_no_ticket() {
    each_backend("moved_three_lines", |env| async move {
        import_bytes(&env, sarif("CodeQL", FIRST), context("shop")).await;
        env.clock.advance(jiff::SignedDuration::from_hours(24));
        let shifted: Vec<_> = FIRST.iter().map(|(r, p, l, s)| (*r, *p, l + 3, *s)).collect();
        let again = import_bytes(&env, sarif("CodeQL", &shifted), context("shop")).await;

        assert!(!again.duplicate);
        assert_eq!(again.counts.opened, 0, "{}", env.backend);
        assert_eq!(again.counts.seen_again, 3);
        assert_eq!(again.counts.no_longer_seen, 0);
        assert_eq!(ticket_count(&env).await, 3);

        // The ticket follows the code: its finding now points at the new line.
        let ticket = env.fixgate.ticket("SEC-1").await.unwrap();
        let finding = &ticket.findings[0];
        assert_eq!(finding.finding.location.as_ref().unwrap().start_line, Some(13));
        let sighting = &finding.sightings[0];
        assert_eq!(sighting.times_seen, 2);
        assert_eq!(
            sighting.last_seen_at.duration_since(sighting.first_seen_at),
            jiff::SignedDuration::from_hours(24)
        );
        // Seeing a finding again does not add to the ticket's history.
        assert_eq!(ticket.events.len(), 1, "{:?}", ticket.events);
    })
    .await;
}

#[tokio::test]
async fn fixed_findings_are_no_longer_seen_and_new_ones_open_tickets() {
    each_backend("rescan", |env| async move {
        import_bytes(&env, sarif("CodeQL", FIRST), context("shop")).await;
        let rescan = [FIRST[0], ("py/xss", "app/new.py", 7, "render(raw)")];
        let report = import_bytes(&env, sarif("CodeQL", &rescan), context("shop")).await;
        assert_eq!(
            (report.counts.opened, report.counts.seen_again, report.counts.no_longer_seen),
            (1, 1, 2),
            "{}",
            env.backend
        );

        let gone = TicketFilter { present: Some(false), ..all() };
        let page = env.fixgate.list_tickets(&gone).await.unwrap();
        let keys: Vec<_> = page.items.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(keys, vec!["SEC-2", "SEC-3"]);
        assert_eq!(page.total, 2);
        // A complete re-scan that no longer sees them is their proof.
        assert_eq!(report.counts.verified, 2);
        let detail = env.fixgate.ticket("SEC-2").await.unwrap();
        assert_eq!(detail.events.last().unwrap().kind, "verified");
        assert_eq!(detail.ticket.state, TicketState::Verified);

        // The problem comes back: the same ticket, reopened.
        let back = import_bytes(&env, sarif("CodeQL", FIRST), context("shop")).await;
        assert_eq!(
            (back.counts.opened, back.counts.reappeared, back.counts.reopened),
            (0, 2, 2),
            "{}",
            env.backend
        );
        let detail = env.fixgate.ticket("SEC-2").await.unwrap();
        assert_eq!(detail.events.last().unwrap().kind, "reopened");
        assert_eq!(detail.ticket.state, TicketState::Reopened);
    })
    .await;
}

#[tokio::test]
async fn another_branch_is_another_scope() {
    each_backend("branches", |env| async move {
        import_bytes(&env, sarif("CodeQL", FIRST), context("shop")).await;
        let feature = ScanContext { branch: Some("feature/x".into()), ..context("shop") };
        let report = import_bytes(&env, sarif("CodeQL", &FIRST[..1]), feature).await;
        // The feature branch's scan proves nothing about main's findings.
        assert_eq!((report.counts.opened, report.counts.no_longer_seen), (0, 0));
        assert_eq!(report.counts.seen_again, 1);
    })
    .await;
}

#[tokio::test]
async fn a_failed_import_stores_nothing() {
    each_backend("failed_import", |env| async move {
        import_bytes(&env, sarif("CodeQL", FIRST), context("shop")).await;
        let mut truncated = sarif("CodeQL", &FIRST[..1]);
        truncated.truncate(truncated.len() - 20);
        let err = try_import(&env, truncated, context("shop")).await.unwrap_err().to_string();
        assert!(err.contains("line 1 column"), "{err}");

        let not_sarif = try_import(&env, b"{\"hello\": 1}".to_vec(), context("shop")).await;
        assert!(not_sarif.is_err());
        let no_app = try_import(&env, sarif("CodeQL", FIRST), ScanContext::default()).await;
        assert!(no_app.unwrap_err().to_string().contains("needs an application"));

        assert_eq!(ticket_count(&env).await, 3);
        let again = import_bytes(&env, sarif("CodeQL", FIRST), context("shop")).await;
        assert!(again.duplicate, "the failed imports must not have become the latest scan");
    })
    .await;
}

#[tokio::test]
async fn concurrent_imports_of_one_scope_end_as_if_serial() {
    each_backend("concurrent", |env| async move {
        let a = try_import(&env, sarif("CodeQL", FIRST), context("shop"));
        let b = try_import(&env, sarif("CodeQL", FIRST), context("shop"));
        let (a, b) = tokio::join!(a, b);
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.counts.opened + b.counts.opened, 3, "{}", env.backend);
        assert!(a.duplicate ^ b.duplicate);
        assert_eq!(ticket_count(&env).await, 3);
    })
    .await;
}

#[tokio::test]
async fn the_example_app_second_commit_fixes_some_and_moves_others() {
    each_backend("examples", |env| async move {
        let mut first = Vec::new();
        for tool in ["bandit", "semgrep", "checkov", "eslint"] {
            let bytes = std::fs::read(examples().join(format!("v1/{tool}.sarif"))).unwrap();
            first.push(import_bytes(&env, bytes, context("vulnshop")).await.counts);
        }
        // Bandit 21, Semgrep 23 + 1 suppressed, Checkov 27 + 1, ESLint 7 + 1.
        // Ten of Semgrep's results flag the same lines as Bandit with the same
        // CWE: they join Bandit's tickets instead of opening their own.
        let opened: Vec<u64> = first.iter().map(|c| c.opened).collect();
        assert_eq!(opened, [21, 13, 27, 7], "{}", env.backend);
        assert_eq!(first[1].grouped, 10);
        // Such a ticket lists both tools.
        let all_tickets = env.fixgate.list_tickets(&all()).await.unwrap();
        let mut joined = 0;
        for ticket in &all_tickets.items {
            let detail = env.fixgate.ticket(&ticket.key).await.unwrap();
            if detail.tools.len() > 1 {
                assert_eq!(detail.tools, ["Bandit", "Semgrep OSS"], "{}", ticket.key);
                joined += detail.findings.len() - 1;
            }
        }
        assert_eq!(joined, 10, "{}", env.backend);

        let mut second = Vec::new();
        for tool in ["bandit", "semgrep", "checkov", "eslint"] {
            let bytes = std::fs::read(examples().join(format!("v2/{tool}.sarif"))).unwrap();
            second.push(import_bytes(&env, bytes, context("vulnshop")).await.counts);
        }
        // v2's new code draws seven findings: pickle.loads (Bandit, Semgrep),
        // requests.get without certificate checks (Bandit, Semgrep) or a timeout
        // (Bandit), insertAdjacentHTML (Semgrep, ESLint). Semgrep's two join
        // Bandit's new tickets.
        let opened: Vec<u64> = second.iter().map(|c| c.opened).collect();
        assert_eq!(opened, [3, 1, 0, 1], "{}", env.backend);
        assert_eq!(second[1].grouped, 2);
        // Bandit wrote an empty snippet for its unchanged verify=False finding
        // in charge(): the location layer still knows it.
        assert_eq!(second[0].matched_by_location, 1);
        let mut by_location = Vec::new();
        for ticket in env.fixgate.list_tickets(&all()).await.unwrap().items {
            let detail = env.fixgate.ticket(&ticket.key).await.unwrap();
            for f in detail.findings.iter().filter(|f| f.matched_by.as_deref() == Some("location"))
            {
                by_location.push((f.finding.rule_id.clone(), f.finding.tool.clone()));
            }
        }
        assert_eq!(by_location, [("B501".to_string(), "Bandit".to_string())]);
        // v2 fixes two SQL injections, md5, eval and the public bucket. A
        // ticket both Bandit and Semgrep see is verified only once neither
        // sees it: Bandit's scan verifies one, Semgrep's the four it shared.
        let verified: Vec<u64> = second.iter().map(|c| c.verified).collect();
        assert_eq!(verified, [1, 4, 2, 2], "{}", env.backend);
        let seen_again: u64 = second.iter().map(|c| c.seen_again).sum();
        assert_eq!(seen_again, 66);
        let high = TicketFilter { severities: vec![Severity::High], ..all() };
        assert!(env.fixgate.list_tickets(&high).await.unwrap().total > 0);
        let closed = TicketFilter { states: vec![TicketState::Verified], ..all() };
        assert_eq!(env.fixgate.list_tickets(&closed).await.unwrap().total, 9);
    })
    .await;
}

#[tokio::test]
async fn list_filters_narrow_the_tickets() {
    each_backend("filters", |env| async move {
        import_bytes(&env, sarif("CodeQL", FIRST), context("shop")).await;
        let xss = TicketFilter { cwe: Some(79), ..all() };
        assert_eq!(env.fixgate.list_tickets(&xss).await.unwrap().total, 1);
        let critical = TicketFilter { severities: vec![Severity::Critical], ..all() };
        assert_eq!(env.fixgate.list_tickets(&critical).await.unwrap().total, 2);
        let text = TicketFilter { text: Some("VIEWS.py".into()), ..all() };
        assert_eq!(env.fixgate.list_tickets(&text).await.unwrap().total, 1);
        let tool = TicketFilter { tool: Some("Semgrep".into()), ..all() };
        assert_eq!(env.fixgate.list_tickets(&tool).await.unwrap().total, 0);
        let new = TicketFilter { states: vec![TicketState::New], limit: 2, ..all() };
        let page = env.fixgate.list_tickets(&new).await.unwrap();
        assert_eq!((page.total, page.items.len()), (3, 2));
        let underscore = TicketFilter { text: Some("_".into()), ..all() };
        assert_eq!(env.fixgate.list_tickets(&underscore).await.unwrap().total, 0);
    })
    .await;
}

#[tokio::test]
async fn context_the_caller_leaves_out_comes_from_the_report() {
    each_backend("context_from_report", |env| async move {
        let mut doc: serde_json::Value = serde_json::from_slice(&sarif("CodeQL", FIRST)).unwrap();
        doc["runs"][0]["versionControlProvenance"] = serde_json::json!([{
            "repositoryUri": "https://gitlab.com/acme/billing",
            "revisionId": "abcdef0123456789",
            "branch": "release/7"
        }]);
        doc["runs"][0]["automationDetails"] = serde_json::json!({"id": "codeql/python/2026-12-01"});
        let only_app =
            ScanContext { application: Some("billing".into()), ..ScanContext::default() };
        // Release branches open tickets only when the policy tracks them.
        let untracked =
            import_bytes(&env, serde_json::to_vec(&doc).unwrap(), only_app.clone()).await;
        assert!(!untracked.tracked);
        assert_eq!((untracked.findings, untracked.counts.opened), (3, 0));
        env.fixgate.set_policy("tracked_branches", Some("release/*")).await.unwrap();
        doc["runs"][0]["results"][0]["message"]["text"] = "changed, so the report differs".into();
        let report = import_bytes(&env, serde_json::to_vec(&doc).unwrap(), only_app).await;
        assert!(report.tracked);
        assert_eq!(report.repository.as_deref(), Some("https://gitlab.com/acme/billing"));
        assert_eq!(
            (report.branch.as_str(), report.commit.as_deref()),
            ("release/7", Some("abcdef0123456789"))
        );
        assert_eq!(report.category, "codeql/python/");
        let ticket = env.fixgate.ticket("SEC-1").await.unwrap().ticket;
        assert_eq!(ticket.commit.as_deref(), Some("abcdef0123456789"));
        assert_eq!(ticket.branch.as_deref(), Some("release/7"));

        // Without an application, the repository's name stands in for it.
        let nothing = ScanContext::default();
        let report = import_bytes(&env, serde_json::to_vec(&doc).unwrap(), nothing).await;
        assert_eq!(report.application, "billing");
    })
    .await;
}

#[tokio::test]
async fn a_result_listed_twice_at_one_place_is_one_finding() {
    each_backend("listed_twice", |env| async move {
        let twice = [FIRST[0], FIRST[0], FIRST[1]];
        let report = import_bytes(&env, sarif("CodeQL", &twice), context("shop")).await;
        assert_eq!((report.findings, report.counts.opened), (2, 2), "{}", env.backend);
    })
    .await;
}

#[tokio::test]
async fn a_report_over_the_size_limit_is_refused_and_stores_nothing() {
    each_backend("size_limit", |env| async move {
        let small = env
            .fixgate
            .clone()
            .with_limits(fixgate_intake::Limits { max_bytes: 200, ..Default::default() });
        let request =
            fixgate_service::ImportRequest { context: context("shop"), ..Default::default() };
        let bytes = sarif("CodeQL", FIRST);
        let err = small.import(std::io::Cursor::new(bytes), request).await.unwrap_err();
        assert!(err.to_string().contains("200"), "{err}");
        assert_eq!(ticket_count(&env).await, 0);
    })
    .await;
}

#[tokio::test]
async fn an_empty_branch_is_refused_rather_than_taken_for_main() {
    each_backend("empty_branch", |env| async move {
        let context = ScanContext { branch: Some(" ".into()), ..context("shop") };
        let err = try_import(&env, sarif("CodeQL", FIRST), context).await.unwrap_err();
        assert!(err.to_string().contains("the branch is empty"), "{err}");
        assert_eq!(ticket_count(&env).await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_licence_finding_on_a_package_is_not_an_upgrade() {
    each_backend("licence", |env| async move {
        let report = serde_json::json!({"fixgate": 1, "tool": {"name": "Trivy"}, "findings": [
            {"rule": "GPL-2.0", "title": "GPL-2.0 licence", "severity": "medium",
             "location": "Dockerfile",
             "package": {"name": "musl", "version": "1.2", "purl": "pkg:apk/alpine/musl@1.2"}},
            {"rule": "MIT", "title": "MIT licence", "severity": "low", "location": "Dockerfile",
             "package": {"name": "musl", "version": "1.2", "purl": "pkg:apk/alpine/musl@1.2"}},
            {"rule": "CVE-2025-1", "title": "overflow", "severity": "high",
             "advisories": ["CVE-2025-1"], "location": "Dockerfile",
             "package": {"name": "musl", "version": "1.2", "purl": "pkg:apk/alpine/musl@1.2",
                         "fixed_version": "1.3"}}
        ]});
        let report =
            import_bytes(&env, serde_json::to_vec(&report).unwrap(), context("shop")).await;
        assert_eq!((report.counts.opened, report.counts.grouped), (3, 0), "{}", env.backend);
        let upgrade = env.fixgate.ticket(&report.opened_tickets[2]).await.unwrap();
        assert_eq!(upgrade.ticket.title, "Upgrade musl from 1.2 to 1.3 fixes 1 vulnerability");
    })
    .await;
}
