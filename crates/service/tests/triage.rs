//! Triage by policy on every backend: imports and people opening tickets by
//! hand route tickets to teams with a priority and a due date, a re-scan
//! that rates a finding anew moves its ticket's priority and due date, a
//! pause moves the due date, a breach is recorded once, and an expired
//! acceptance reopens its ticket.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use fixgate_domain::triage::{Due, Priority, SlaStatus, TriagePolicy};
use fixgate_domain::{Role, Severity, TicketState, TicketType};
use fixgate_service::testkit::{
    Env, accept_risk, context, each_backend, import_bytes, principal, sarif,
};
use fixgate_service::{CreateTicket, MoveTicket, ServiceError, SetPriority};
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

/// A SARIF report of one Semgrep result whose rule rates it `score` (the
/// `security-severity` GitHub reads).
fn rated_report(score: &str) -> Vec<u8> {
    let doc = serde_json::json!({
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "Semgrep", "rules": [
                {"id": "py/weak-hash", "shortDescription": {"text": "Weak hash"},
                 "properties": {"tags": ["external/cwe/cwe-328"], "security-severity": score}}
            ]}},
            "results": [{
                "ruleId": "py/weak-hash",
                "level": "warning",
                "message": {"text": "md5 used for passwords"},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": "app/auth.py"},
                    "region": {"startLine": 12, "snippet": {"text": "hashlib.md5(password)"}}
                }}]
            }]
        }]
    });
    serde_json::to_vec(&doc).unwrap()
}

#[tokio::test]
async fn a_rescan_that_raises_the_severity_raises_the_priority_and_shortens_the_due_date() {
    each_backend("triage_rerated", |env| async move {
        let policy = TriagePolicy::default();
        let detected = fixgate_service::Clock::now(env.clock.as_ref());
        let opened = import_bytes(&env, rated_report("5.0"), context("shop")).await;
        let key = opened.opened_tickets[0].clone();
        let medium = ticket(&env, &key).await.ticket;
        assert_eq!(medium.severity, Severity::Medium, "{}", env.backend);
        assert_eq!(medium.priority, Some(Priority::Medium));

        env.clock.advance(SignedDuration::from_hours(24 * 10));
        let rescan = import_bytes(&env, rated_report("9.5"), context("shop")).await;
        assert_eq!(rescan.counts.seen_again, 1, "{}", env.backend);
        let detail = ticket(&env, &key).await;
        assert_eq!(detail.ticket.severity, Severity::Critical, "{}", env.backend);
        assert_eq!(detail.ticket.priority, Some(Priority::Critical));
        // Due as a critical ticket first detected ten days ago: already late.
        let due = policy.sla().due(Priority::Critical, detected, &[]).unwrap();
        assert_eq!(detail.ticket.due_at, Some(due.due_at), "{}", env.backend);
        assert!(due.due_at < medium.due_at.unwrap());
        assert_eq!(detail.ticket.sla, Some(SlaStatus::Breached));
        assert!(detail.triage.priority_reason.as_deref().unwrap().starts_with("severity critical"));
        for kind in ["severity_changed", "priority_changed", "due_date_changed"] {
            assert_eq!(kinds(&detail, kind), 1, "{}: {kind}", env.backend);
        }
        let changed = detail.events.iter().find(|e| e.kind == "priority_changed").unwrap();
        assert_eq!(changed.data["from"], "medium");
        assert_eq!(changed.data["to"], "critical");
        assert_eq!(changed.data["scan_id"], rescan.scan_id);
        let reason = changed.data["reason"].as_str().unwrap();
        assert_eq!(reason, format!("severity critical in scan {}", rescan.scan_id));

        // A re-scan that rates it the same changes nothing.
        env.clock.advance(SignedDuration::from_hours(24));
        let mut same = context("shop");
        same.commit = Some("2222222222222222222222222222222222222222".into());
        import_bytes(&env, rated_report("9.5"), same).await;
        let again = ticket(&env, &key).await;
        assert_eq!(again.ticket.due_at, detail.ticket.due_at, "{}", env.backend);
        for kind in ["severity_changed", "priority_changed", "due_date_changed"] {
            assert_eq!(kinds(&again, kind), 1, "{}: {kind}", env.backend);
        }
    })
    .await;
}

#[tokio::test]
async fn a_priority_a_person_set_outlives_a_new_severity() {
    each_backend("triage_rerated_by_hand", |env| async move {
        let opened = import_bytes(&env, rated_report("5.0"), context("shop")).await;
        let key = opened.opened_tickets[0].clone();
        let set = SetPriority { priority: Priority::Low, reason: "test code only".into() };
        env.fixgate.set_priority(&key, set, "dana").await.unwrap();

        import_bytes(&env, rated_report("9.5"), context("shop")).await;
        let detail = ticket(&env, &key).await;
        assert_eq!(detail.ticket.severity, Severity::Critical, "{}", env.backend);
        assert_eq!(detail.ticket.priority, Some(Priority::Low), "{}", env.backend);
        assert_eq!(kinds(&detail, "severity_changed"), 1);
        assert_eq!(kinds(&detail, "priority_changed"), 1, "only the person's");
    })
    .await;
}

/// An advisory on lodash 4.17.15 in fixgate's own JSON format: one upgrade
/// fixes them all, so they share one ticket.
fn lodash(cve: &str, severity: &str) -> serde_json::Value {
    serde_json::json!({
        "rule": cve,
        "title": format!("{cve} in lodash"),
        "severity": severity,
        "advisories": [cve],
        "location": "package-lock.json",
        "package": {"name": "lodash", "version": "4.17.15", "purl": "pkg:npm/lodash@4.17.15",
                    "ecosystem": "npm", "fixed_version": "4.17.21"}
    })
}

fn npm_scan(findings: Vec<serde_json::Value>) -> Vec<u8> {
    let doc = serde_json::json!({"fixgate": 1, "tool": {"name": "npm-scan"}, "findings": findings});
    serde_json::to_vec(&doc).unwrap()
}

#[tokio::test]
async fn an_upgrade_ticket_takes_the_priority_of_its_worst_advisory_as_it_moves() {
    each_backend("triage_rerated_group", |env| async move {
        let first = npm_scan(vec![lodash("CVE-2020-8203", "medium"), lodash("CVE-2021-1", "low")]);
        let opened = import_bytes(&env, first, context("shop")).await;
        assert_eq!(opened.opened_tickets.len(), 1, "{}", env.backend);
        let key = opened.opened_tickets[0].clone();
        assert_eq!(ticket(&env, &key).await.ticket.priority, Some(Priority::Medium));

        // The scanner now rates one advisory high.
        let raised =
            npm_scan(vec![lodash("CVE-2020-8203", "medium"), lodash("CVE-2021-1", "high")]);
        import_bytes(&env, raised.clone(), context("shop")).await;
        let detail = ticket(&env, &key).await;
        assert_eq!(detail.ticket.severity, Severity::High, "{}", env.backend);
        assert_eq!(detail.ticket.priority, Some(Priority::High), "{}", env.backend);
        assert_eq!(kinds(&detail, "priority_changed"), 1);

        // A critical advisory joins the ticket.
        let mut joined = vec![lodash("CVE-2020-8203", "medium"), lodash("CVE-2021-1", "high")];
        joined.push(lodash("CVE-2019-10744", "critical"));
        import_bytes(&env, npm_scan(joined), context("shop")).await;
        let detail = ticket(&env, &key).await;
        assert_eq!(detail.findings.len(), 3, "{}", env.backend);
        assert_eq!(detail.ticket.priority, Some(Priority::Critical), "{}", env.backend);
        assert_eq!(kinds(&detail, "priority_changed"), 2);
        assert_eq!(kinds(&detail, "severity_changed"), 2);
    })
    .await;
}

/// A policy for tickets opened by hand: incidents go to the on-call team,
/// requests are never urgent, and a repository's infrastructure belongs to
/// the platform team.
const HAND_POLICY: &str = r#"
[sla]
calendar = "business"
time_zone = "Europe/Berlin"

[[priority.rule]]
name = "requests wait"
when = { type = ["request"] }
at_most = "low"

[[priority.rule]]
name = "leaked secret"
when = { kind = ["secrets"] }
at_least = "high"

[[route]]
name = "incidents"
type = ["incident"]
team = "on-call"

[[route]]
repository = ["git@github.com:acme/shop.git"]
path = ["infra/"]
team = "platform"
"#;

fn by_hand(ticket_type: TicketType, severity: Severity) -> CreateTicket {
    CreateTicket {
        ticket_type,
        title: "Pen test: admin panel reachable without MFA".into(),
        description: String::new(),
        severity,
        application: Some("shop".into()),
        repository: None,
        path: None,
        owner: None,
        priority: None,
        due_at: None,
    }
}

/// The world of [`routed_world`] without its scan, and [`HAND_POLICY`].
async fn hand_world(env: &Env) -> TriagePolicy {
    env.fixgate.add_owner("shop", "shop-team").await.unwrap();
    env.fixgate.add_owner("billing", "payments").await.unwrap();
    let codeowners = "/app/pay/ @acme/payments\n";
    env.fixgate.set_codeowners(REPO, codeowners, "admin").await.unwrap();
    env.fixgate.load_triage_policy(HAND_POLICY, "admin").await.unwrap();
    TriagePolicy::parse(HAND_POLICY).unwrap()
}

#[tokio::test]
async fn tickets_opened_by_hand_are_routed_prioritised_and_due() {
    each_backend("triage_by_hand", |env| async move {
        let policy = hand_world(&env).await;
        let start = fixgate_service::Clock::now(env.clock.as_ref());
        let open = |request: CreateTicket| {
            let fixgate = env.fixgate.clone();
            async move { fixgate.create_ticket(request, "alice").await.unwrap() }
        };

        let vulnerability = open(by_hand(TicketType::Vulnerability, Severity::High)).await;
        let row = &vulnerability.ticket;
        assert_eq!(row.owner.as_deref(), Some("shop-team"), "{}", env.backend);
        assert_eq!(row.routed_by.as_deref(), Some("owning team of shop"));
        assert_eq!(row.priority, Some(Priority::High));
        assert_eq!(vulnerability.triage.priority_reason.as_deref(), Some("severity high"));
        let due = policy.sla().due(Priority::High, start, &[]).unwrap();
        assert_eq!(row.due_at, Some(due.due_at), "{}", env.backend);
        assert_eq!(row.due_soon_at, Some(due.due_soon_at));
        let berlin = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
        assert_eq!(row.due, Some(berlin.to_datetime(due.due_at).date()));
        assert_eq!(row.sla, Some(SlaStatus::OnTrack));
        assert_eq!(vulnerability.triage.sla_started_at, Some(start));
        let opened = &vulnerability.events[0];
        assert_eq!(opened.kind, "opened");
        assert_eq!(opened.data["priority"], "high");
        assert_eq!(opened.data["routed_by"], "owning team of shop");

        // CODEOWNERS speaks only for a file; the policy's path routes too.
        let in_repo = |path: Option<&str>| CreateTicket {
            repository: Some(REPO.into()),
            path: path.map(str::to_string),
            ..by_hand(TicketType::Vulnerability, Severity::Medium)
        };
        let paid = open(in_repo(Some("app/pay/charge.py"))).await.ticket;
        assert_eq!(paid.owner.as_deref(), Some("payments"), "{}", env.backend);
        assert_eq!(paid.routed_by.as_deref(), Some("CODEOWNERS line 1 (/app/pay/)"));
        assert_eq!(paid.path.as_deref(), Some("app/pay/charge.py"));
        let infra = open(in_repo(Some("infra/dns.tf"))).await.ticket;
        assert_eq!(infra.owner.as_deref(), Some("platform"));
        assert_eq!(infra.routed_by.as_deref(), Some("route rule 2, line 21"));
        let no_file = open(in_repo(None)).await.ticket;
        assert_eq!(no_file.owner.as_deref(), Some("shop-team"), "no path, no CODEOWNERS");

        // Ordinary types follow the same policy; its rules may name them.
        let incident = open(by_hand(TicketType::Incident, Severity::Critical)).await;
        assert_eq!(incident.ticket.owner.as_deref(), Some("on-call"), "{}", env.backend);
        assert_eq!(incident.ticket.routed_by.as_deref(), Some("route rule 1 (incidents), line 16"));
        assert_eq!(incident.ticket.priority, Some(Priority::Critical));
        let request = open(by_hand(TicketType::Request, Severity::Critical)).await;
        assert_eq!(request.ticket.priority, Some(Priority::Low));
        assert_eq!(
            request.triage.priority_reason.as_deref(),
            Some("severity critical; rule 1 (requests wait): at most low")
        );
        let due = policy.sla().due(Priority::Low, start, &[]).unwrap();
        assert_eq!(request.ticket.due_at, Some(due.due_at));
        let orphan = CreateTicket { application: None, ..by_hand(TicketType::Task, Severity::Low) };
        let orphan = open(orphan).await.ticket;
        assert_eq!((orphan.owner, orphan.routed_by), (None, None), "no route, no application");
        assert_eq!(orphan.priority, Some(Priority::Low));
    })
    .await;
}

#[tokio::test]
async fn what_a_person_gives_wins_and_says_who_set_it() {
    each_backend("triage_by_hand_given", |env| async move {
        let policy = hand_world(&env).await;
        let start = fixgate_service::Clock::now(env.clock.as_ref());
        let due_at: jiff::Timestamp = "2026-12-18T17:00:00Z".parse().unwrap();
        let given = CreateTicket {
            owner: Some(" payments ".into()),
            priority: Some(Priority::Critical),
            due_at: Some(due_at),
            ..by_hand(TicketType::Request, Severity::Low)
        };
        let ticket = env.fixgate.create_ticket(given, "alice").await.unwrap();
        let row = &ticket.ticket;
        assert_eq!(row.owner.as_deref(), Some("payments"), "{}", env.backend);
        assert_eq!(row.routed_by.as_deref(), Some("set by alice"));
        assert_eq!(row.priority, Some(Priority::Critical), "the request's priority wins");
        assert_eq!(ticket.triage.priority_reason.as_deref(), Some("set by alice"));
        assert_eq!(row.due_at, Some(due_at), "{}", env.backend);
        // Two business days before Friday 18 December, 18:00 in Berlin.
        let soon = policy.sla().due_soon_before(Priority::Critical, start, due_at);
        assert_eq!(row.due_soon_at, Some(soon));
        assert_eq!(soon, "2026-12-16T17:00:00Z".parse().unwrap());

        env.clock.set(soon.checked_add(jiff::SignedDuration::from_secs(1)).unwrap());
        assert_eq!(
            env.fixgate.ticket(&row.key).await.unwrap().ticket.sla,
            Some(SlaStatus::DueSoon)
        );
        let sweep = env.fixgate.sweep().await.unwrap();
        assert_eq!(sweep.due_soon, std::slice::from_ref(&row.key), "{}", env.backend);
        let again = env.fixgate.sweep().await.unwrap();
        assert!(again.due_soon.is_empty(), "a warning is given once: {again:?}");
        env.clock.set(due_at);
        let sweep = env.fixgate.sweep().await.unwrap();
        assert_eq!(sweep.breached, std::slice::from_ref(&row.key), "{}", env.backend);
        let filter = TicketFilter {
            owner: Some("payments".into()),
            priorities: vec![Priority::Critical],
            sla: Some((SlaStatus::Breached, jiff::Timestamp::UNIX_EPOCH)),
            limit: 10,
            page: 1,
            ..TicketFilter::default()
        };
        let listed = env.fixgate.list_tickets(&filter).await.unwrap();
        assert_eq!(listed.items.len(), 1, "{}", env.backend);

        let past = CreateTicket {
            due_at: Some("2026-01-01T00:00:00Z".parse().unwrap()),
            ..by_hand(TicketType::Task, Severity::Low)
        };
        let err = env.fixgate.create_ticket(past, "alice").await.unwrap_err();
        assert!(
            matches!(&err, ServiceError::Invalid(m) if m.contains("not in the future")),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_hand_made_ticket_keeps_its_clock_through_a_pause() {
    each_backend("triage_by_hand_pause", |env| async move {
        let policy = hand_world(&env).await;
        let start = fixgate_service::Clock::now(env.clock.as_ref());
        let incident = by_hand(TicketType::Incident, Severity::High);
        let key = env.fixgate.create_ticket(incident, "alice").await.unwrap().ticket.key;

        let wait = MoveTicket {
            reason: Some("the hosting provider investigates".into()),
            ..MoveTicket::to(TicketState::WaitingOnVendor)
        };
        env.fixgate.move_ticket(&key, wait, &principal("dana", Role::Security)).await.unwrap();
        env.clock.advance(SignedDuration::from_hours(24));
        let back = MoveTicket::to(TicketState::InProgress);
        let resumed =
            env.fixgate.move_ticket(&key, back, &principal("dana", Role::Security)).await.unwrap();

        let pauses: Vec<_> = resumed
            .triage
            .pauses
            .iter()
            .map(|p| fixgate_domain::triage::Pause { start: p.started_at, end: p.ended_at })
            .collect();
        let Due { due_at, .. } = policy.sla().due(Priority::High, start, &pauses).unwrap();
        assert_eq!(resumed.ticket.due_at, Some(due_at), "{}", env.backend);
        assert!(due_at > policy.sla().due(Priority::High, start, &[]).unwrap().due_at);
    })
    .await;
}
