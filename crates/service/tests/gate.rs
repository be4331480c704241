//! The CI gate against the store, on every backend: a real scanner's report
//! of the example app's second commit checked against its first, decisions
//! that suppress until they expire, regressions of verified tickets, and
//! branches fixgate does not track. A check stores nothing.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use fixgate_service::testkit as common;

use common::{Env, context, each_backend, examples, import_bytes, principal, sarif};
use fixgate_domain::{Role, ScanContext, Severity, TicketState};
use fixgate_service::gate::{CheckRequest, Classification, FailOn, Item, verdict};
use fixgate_service::{MoveTicket, ServiceError};
use fixgate_store::TicketFilter;

const VULNSHOP: &str = "https://github.com/fixgate-demo/vulnshop";

fn vulnshop() -> ScanContext {
    ScanContext {
        application: Some("vulnshop".into()),
        repository: Some(VULNSHOP.into()),
        branch: Some("main".into()),
        ..ScanContext::default()
    }
}

fn request(repository: &str) -> CheckRequest {
    CheckRequest {
        repository: Some(repository.into()),
        branch: Some("feature/pay".into()),
        ..CheckRequest::default()
    }
}

async fn check(env: &Env, report: Vec<u8>, request: CheckRequest) -> Classification {
    env.fixgate.check(std::io::Cursor::new(report), request).await.unwrap()
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(examples().join(path)).unwrap()
}

fn summary(items: &[Item]) -> Vec<(String, String, Option<u32>)> {
    items.iter().map(|i| (i.rule_id.clone(), i.path.clone().unwrap(), i.line)).collect()
}

async fn totals(env: &Env) -> u64 {
    let all = TicketFilter { limit: 1000, page: 1, ..TicketFilter::default() };
    env.fixgate.list_tickets(&all).await.unwrap().total
}

#[tokio::test]
async fn bandits_second_commit_against_its_first() {
    each_backend("gate_bandit", |env| async move {
        import_bytes(&env, read("v1/bandit.json"), vulnshop()).await;
        let tickets = totals(&env).await;

        let result = check(&env, read("v2/bandit.json"), request(VULNSHOP)).await;
        assert_eq!(result.against, "store");
        assert_eq!(result.tools, ["Bandit"]);
        assert_eq!(result.compared_with, 21);
        let new = summary(&result.groups.new);
        assert_eq!(
            new,
            [
                ("B501".into(), "app/payments.py".into(), Some(18)),
                ("B301".into(), "app/importer.py".into(), Some(19)),
                ("B113".into(), "app/payments.py".into(), Some(18)),
            ],
            "{}",
            env.backend
        );
        let fixed = summary(&result.groups.fixed);
        assert_eq!(
            fixed,
            [
                ("B324".into(), "app/auth.py".into(), Some(11)),
                ("B608".into(), "app/db.py".into(), Some(13)),
                ("B608".into(), "app/db.py".into(), Some(26)),
            ]
        );
        assert!(result.groups.fixed.iter().all(|i| i.ticket.is_some()));
        assert_eq!(result.groups.still_open.len(), 18);
        assert!(result.groups.still_open.iter().all(|i| i.state == Some(TicketState::New)));
        assert!(result.groups.suppressed.is_empty());

        // One new high finding: the default policy fails, a critical-only one passes.
        assert!(!verdict(&result, FailOn::High).passed);
        assert_eq!(verdict(&result, FailOn::Medium).failing, 3);
        assert!(verdict(&result, FailOn::Critical).passed);

        // The check stored nothing.
        assert_eq!(totals(&env).await, tickets);
        let again = check(&env, read("v2/bandit.json"), request(VULNSHOP)).await;
        assert_eq!(again, result);
    })
    .await;
}

#[tokio::test]
async fn only_findings_of_the_reports_tools_are_fixed_by_it() {
    each_backend("gate_tools", |env| async move {
        import_bytes(&env, read("v1/bandit.json"), vulnshop()).await;
        import_bytes(&env, read("v1/semgrep.json"), vulnshop()).await;
        let result = check(&env, read("v2/semgrep.json"), request(VULNSHOP)).await;
        assert_eq!(result.compared_with, 21 + 23);
        assert!(result.groups.fixed.iter().all(|i| i.tool.starts_with("Semgrep")), "{result:?}");
        assert!(!result.groups.fixed.is_empty());
        assert!(result.groups.still_open.iter().all(|i| i.ticket.is_some()));
    })
    .await;
}

const THREE: &[(&str, &str, u32, &str)] = &[
    ("py/sql-injection", "app/db.py", 10, "cursor.execute(q % name)"),
    ("py/sql-injection", "app/db.py", 20, "cursor.execute(q % other)"),
    ("py/xss", "app/views.py", 5, "return Markup(user)"),
];

const SHOP: &str = "https://github.com/acme/shop";

#[tokio::test]
async fn decisions_suppress_until_they_expire_and_verified_tickets_come_back_as_new() {
    each_backend("gate_decisions", |env| async move {
        import_bytes(&env, sarif("CodeQL", THREE), context("shop")).await;
        let false_positive = MoveTicket {
            reason: Some("test fixture".into()),
            ..MoveTicket::to(TicketState::FalsePositive)
        };
        env.fixgate
            .move_ticket("SEC-1", false_positive, &principal("dana", Role::Security))
            .await
            .unwrap();
        common::accept_risk(
            &env.fixgate,
            "SEC-2",
            "internal only",
            "2026-12-11T00:00:00Z",
            ("dana", "cio"),
        )
        .await;
        // A complete re-scan without the third finding verifies its ticket.
        let rescan = import_bytes(&env, sarif("CodeQL", &THREE[..2]), context("shop")).await;
        assert_eq!(rescan.counts.verified, 1);

        let result = check(&env, sarif("CodeQL", THREE), request(SHOP)).await;
        let keys =
            |items: &[Item]| items.iter().map(|i| i.ticket.clone().unwrap()).collect::<Vec<_>>();
        assert_eq!(keys(&result.groups.suppressed), ["SEC-1", "SEC-2"], "{}", env.backend);
        assert!(result.groups.suppressed[1].reason.as_deref().unwrap().contains("internal only"));
        assert_eq!(keys(&result.groups.new), ["SEC-3"]);
        assert!(result.groups.new[0].reason.as_deref().unwrap().starts_with("regression"));
        // A regression fails the gate like any new finding (CVSS 6.1: medium).
        assert_eq!(result.groups.new[0].severity, Severity::Medium);
        assert!(!verdict(&result, FailOn::Medium).passed);

        // Eleven days later the acceptance has expired: the finding is open again.
        env.clock.advance(jiff::SignedDuration::from_hours(24 * 11));
        let later = check(&env, sarif("CodeQL", THREE), request(SHOP)).await;
        assert_eq!(keys(&later.groups.suppressed), ["SEC-1"]);
        assert_eq!(keys(&later.groups.still_open), ["SEC-2"]);
        assert!(later.groups.still_open[0].reason.as_deref().unwrap().contains("expired"));
    })
    .await;
}

#[tokio::test]
async fn findings_seen_only_on_untracked_branches_are_new() {
    each_backend("gate_untracked", |env| async move {
        import_bytes(&env, sarif("CodeQL", &THREE[..1]), context("shop")).await;
        let feature = ScanContext { branch: Some("feature/x".into()), ..context("shop") };
        import_bytes(&env, sarif("CodeQL", &THREE[1..]), feature).await;
        // A feature branch's scan opens no ticket: its findings feed the gate.

        let result = check(&env, sarif("CodeQL", &THREE[1..]), request(SHOP)).await;
        let rules: Vec<_> = result.groups.new.iter().map(|i| i.rule_id.as_str()).collect();
        assert_eq!(rules, ["py/sql-injection", "py/xss"], "{}", env.backend);
        assert!(result.groups.new[0].reason.as_deref().unwrap().contains("does not track"));
        // main's finding is gone from the report: the change fixes it.
        assert_eq!(result.groups.fixed.len(), 1);
        assert_eq!(result.groups.fixed[0].line, Some(10));
    })
    .await;
}

#[tokio::test]
async fn a_finding_moved_and_stripped_of_its_snippet_is_still_open() {
    each_backend("gate_moved", |env| async move {
        import_bytes(&env, sarif("CodeQL", THREE), context("shop")).await;
        let moved = [THREE[0], THREE[1], ("py/xss", "app/views.py", 7, "")];
        let result = check(&env, sarif("CodeQL", &moved), request(SHOP)).await;
        assert!(result.groups.new.is_empty(), "{}: {result:?}", env.backend);
        assert_eq!(result.groups.still_open.len(), 3);
        let xss = result.groups.still_open.iter().find(|i| i.rule_id == "py/xss").unwrap();
        assert_eq!(xss.matched_by, Some(fixgate_domain::MatchLayer::Location));
        assert_eq!(xss.ticket.as_deref(), Some("SEC-3"));
    })
    .await;
}

#[tokio::test]
async fn a_check_names_what_is_wrong() {
    each_backend("gate_errors", |env| async move {
        let no_repo = env
            .fixgate
            .check(std::io::Cursor::new(sarif("CodeQL", THREE)), CheckRequest::default())
            .await;
        assert!(
            matches!(&no_repo, Err(ServiceError::Invalid(m)) if m.contains("repository")),
            "{no_repo:?}"
        );
        let broken = env
            .fixgate
            .check(
                std::io::Cursor::new(b"{\"version\": \"2.1.0\", \"runs\": [".to_vec()),
                request(SHOP),
            )
            .await;
        assert!(matches!(broken, Err(ServiceError::Parse(_))), "{broken:?}");
        let unknown = CheckRequest { format: Some("nessus".into()), ..request(SHOP) };
        let err = env.fixgate.check(std::io::Cursor::new(Vec::new()), unknown).await.unwrap_err();
        assert!(err.to_string().contains("unknown format \"nessus\""), "{err}");
    })
    .await;
}
