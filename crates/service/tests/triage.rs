//! Triage by policy on every backend: imports route tickets to teams with a
//! priority and a due date, a pause moves the due date, a breach is
//! recorded once, and an expired acceptance reopens its ticket.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use fixgate_domain::triage::{SlaStatus, TriagePolicy};
use fixgate_domain::{Role, TicketState};
use fixgate_service::MoveTicket;
use fixgate_service::testkit::{
    Env, accept_risk, context, each_backend, import_bytes, principal, sarif,
};
use fixgate_store::{TicketDetail, TicketFilter};
use jiff::SignedDuration;

const REPO: &str = "https://github.com/acme/shop";

async fn ticket(env: &Env, key: &str) -> TicketDetail {
    env.fixgate.ticket(key).await.unwrap()
}

fn kinds(detail: &TicketDetail, kind: &str) -> usize {
    detail.events.iter().filter(|e| e.kind == kind).count()
}

/// Tickets of `shop`: one under `app/pay/` (CODEOWNERS says the payments
/// team), one elsewhere (the application's owning team).
async fn routed_world(env: &Env) -> (String, String) {
    env.fixgate.add_owner("shop", "shop-team").await.unwrap();
    env.fixgate.add_owner("billing", "payments").await.unwrap();
    let codeowners = "# owners\n*.md @acme/docs\n/app/pay/ @acme/payments @someone\n";
    env.fixgate.set_codeowners(REPO, codeowners, "admin").await.unwrap();
    let report = sarif(
        "Semgrep",
        &[("r1", "app/pay/charge.py", 3, "SQL injection"), ("r2", "app/views.py", 9, "XSS")],
    );
    let imported = import_bytes(env, report, context("shop")).await;
    let keys = imported.opened_tickets;
    assert_eq!(keys.len(), 2, "{}", env.backend);
    let (mut pay, mut views) = (String::new(), String::new());
    for key in keys {
        match ticket(env, &key).await.ticket.path.as_deref() {
            Some("app/pay/charge.py") => pay = key,
            Some("app/views.py") => views = key,
            other => panic!("unexpected ticket at {other:?}"),
        }
    }
    (pay, views)
}

#[tokio::test]
async fn imports_route_tickets_with_a_priority_and_a_due_date() {
    each_backend("triage_routes", |env| async move {
        let (pay, views) = routed_world(&env).await;
        let policy = TriagePolicy::default();
        let start = fixgate_service::Clock::now(env.clock.as_ref());

        let pay = ticket(&env, &pay).await.ticket;
        assert_eq!(pay.owner.as_deref(), Some("payments"), "{}", env.backend);
        assert!(pay.routed_by.as_deref().unwrap().starts_with("CODEOWNERS line 3"), "{pay:?}");
        let views = ticket(&env, &views).await;
        assert_eq!(views.ticket.owner.as_deref(), Some("shop-team"));
        assert_eq!(views.ticket.routed_by.as_deref(), Some("owning team of shop"));

        for row in [&pay, &views.ticket] {
            let priority = row.priority.expect("every imported ticket has a priority");
            let due = policy.sla().due(priority, start, &[]).unwrap();
            assert_eq!(row.due_at, Some(due.due_at), "{}: {row:?}", env.backend);
            assert_eq!(row.sla, Some(SlaStatus::OnTrack));
            assert_eq!(row.due, Some(jiff::tz::TimeZone::UTC.to_datetime(due.due_at).date()));
        }
        assert_eq!(views.triage.sla_started_at, Some(start));
        assert!(views.triage.priority_reason.as_deref().unwrap().contains("severity"));

        // The list filters by owner, priority and SLA status.
        let all = TicketFilter { limit: 100, page: 1, ..TicketFilter::default() };
        let owned = TicketFilter { owner: Some("PAYMENTS".into()), ..all.clone() };
        let keys: Vec<String> = env
            .fixgate
            .list_tickets(&owned)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|t| t.key)
            .collect();
        assert_eq!(keys, std::slice::from_ref(&pay.key));
        let by_priority = TicketFilter { priorities: vec![pay.priority.unwrap()], ..all.clone() };
        assert!(env.fixgate.list_tickets(&by_priority).await.unwrap().total >= 1);
        let breached =
            TicketFilter { sla: Some((SlaStatus::Breached, jiff::Timestamp::UNIX_EPOCH)), ..all };
        assert_eq!(env.fixgate.list_tickets(&breached).await.unwrap().total, 0);
    })
    .await;
}

#[tokio::test]
async fn waiting_on_a_vendor_pauses_the_clock_and_moves_the_due_date() {
    each_backend("triage_pause", |env| async move {
        let (pay, _) = routed_world(&env).await;
        let before = ticket(&env, &pay).await.ticket.due_at.unwrap();

        let wait = MoveTicket {
            reason: Some("no fixed version of the driver yet".into()),
            ..MoveTicket::to(TicketState::WaitingOnVendor)
        };
        let paused =
            env.fixgate.move_ticket(&pay, wait, &principal("dana", Role::Security)).await.unwrap();
        assert_eq!(paused.ticket.sla, Some(SlaStatus::Paused), "{}", env.backend);
        let filter = TicketFilter {
            sla: Some((SlaStatus::Paused, jiff::Timestamp::UNIX_EPOCH)),
            limit: 10,
            page: 1,
            ..TicketFilter::default()
        };
        assert_eq!(env.fixgate.list_tickets(&filter).await.unwrap().total, 1);

        env.clock.advance(SignedDuration::from_hours(72));
        let resumed = env
            .fixgate
            .move_ticket(
                &pay,
                MoveTicket::to(TicketState::InProgress),
                &principal("dana", Role::Security),
            )
            .await
            .unwrap();
        let after = resumed.ticket.due_at.unwrap();
        assert_eq!(after.duration_since(before), SignedDuration::from_hours(72), "{}", env.backend);
        assert_eq!(resumed.ticket.sla, Some(SlaStatus::OnTrack));
        assert_eq!(resumed.triage.pauses.len(), 1);
        assert!(resumed.triage.pauses[0].ended_at.is_some());
        for kind in ["sla_paused", "sla_resumed", "due_date_changed"] {
            assert_eq!(kinds(&resumed, kind), 1, "{}: {kind}", env.backend);
        }
    })
    .await;
}

#[tokio::test]
async fn a_breach_is_recorded_once_and_an_expired_acceptance_reopens() {
    each_backend("triage_sweep", |env| async move {
        let (pay, views) = routed_world(&env).await;
        accept_risk(&env.fixgate, &views, "internal only", "2026-12-20", ("dana", "ciso")).await;
        let due = ticket(&env, &pay).await.ticket.due_at.unwrap();

        let quiet = env.fixgate.sweep().await.unwrap();
        assert!(quiet.breached.is_empty() && quiet.reopened.is_empty(), "{quiet:?}");

        env.clock.set(due.checked_add(SignedDuration::from_secs(1)).unwrap());
        let sweep = env.fixgate.sweep().await.unwrap();
        // The reopened ticket's clock kept running from its first detection.
        assert!(sweep.breached.contains(&pay), "{}: {sweep:?}", env.backend);
        assert_eq!(sweep.reopened, std::slice::from_ref(&views));
        let again = env.fixgate.sweep().await.unwrap();
        assert!(again.breached.is_empty(), "a breach is told once: {again:?}");

        let detail = ticket(&env, &pay).await;
        assert_eq!(detail.ticket.sla, Some(SlaStatus::Breached));
        assert_eq!(kinds(&detail, "sla_breached"), 1);
        let reopened = ticket(&env, &views).await;
        assert_eq!(reopened.ticket.state, TicketState::Reopened);
        assert_eq!(kinds(&reopened, "acceptance_expired"), 1);
    })
    .await;
}

#[tokio::test]
async fn a_policy_file_that_does_not_read_changes_nothing() {
    each_backend("triage_policy_file", |env| async move {
        let bad = "[sla]\ncalendar = \"business\"\ntime_zone = \"Mars/Olympus\"\n";
        let err = env.fixgate.load_triage_policy(bad, "admin").await.unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
        assert!(env.fixgate.stored_triage_policy().await.unwrap().is_none());

        let good = "[sla.days]\ncritical = 3\nhigh = 10\n";
        env.fixgate.load_triage_policy(good, "admin").await.unwrap();
        let policy = env.fixgate.triage_policy().await.unwrap();
        assert_eq!(policy.sla().days(fixgate_domain::triage::Priority::High), 10);
    })
    .await;
}
