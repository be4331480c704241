//! Tickets by hand, the default workflow and the policy's custom workflows,
//! on every backend.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use fixgate_service::testkit as common;

use common::{context, each_backend, import_bytes, principal, sarif};
use fixgate_domain::{Role, Severity, TicketState, TicketType};
use fixgate_service::{
    AcceptRisk, BulkChange, CreateTicket, CreateUser, MoveTicket, RiskDecision, ServiceError,
};
use fixgate_store::{RiskVerdict, TicketFilter, Visibility};

fn create(kind: TicketType) -> CreateTicket {
    CreateTicket {
        ticket_type: kind,
        title: "Payments API returns 500".into(),
        description: "Since the 09:00 deploy".into(),
        severity: Severity::High,
        application: Some("payments".into()),
        repository: None,
        path: None,
        owner: None,
        priority: None,
        due_at: None,
    }
}

#[tokio::test]
async fn hand_made_tickets_get_keys_by_type() {
    each_backend("hand_made", |env| async move {
        let incident =
            env.fixgate.create_ticket(create(TicketType::Incident), "alice").await.unwrap();
        let task = env.fixgate.create_ticket(create(TicketType::Task), "alice").await.unwrap();
        assert_eq!((incident.ticket.key.as_str(), task.ticket.key.as_str()), ("INC-1", "TASK-1"));
        assert_eq!(incident.ticket.application.as_deref(), Some("payments"));
        assert_eq!(incident.events[0].actor, "alice");
        assert_eq!(incident.events[0].kind, "opened");

        let blank = CreateTicket { title: "  ".into(), ..create(TicketType::Task) };
        assert!(matches!(
            env.fixgate.create_ticket(blank, "a").await,
            Err(ServiceError::Invalid(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn a_ticket_moves_along_the_workflow_and_every_move_is_logged() {
    each_backend("workflow", |env| async move {
        import_bytes(&env, sarif("CodeQL", &[("py/xss", "a.py", 3, "x")]), context("shop")).await;

        let missing = env
            .fixgate
            .move_ticket(
                "SEC-1",
                MoveTicket::to(TicketState::Triaged),
                &principal("bob", Role::Security),
            )
            .await;
        assert!(missing.unwrap_err().to_string().contains("needs an owner"));

        let triage = MoveTicket {
            owner: Some("carol".into()),
            due_at: Some("2026-12-31T00:00:00Z".parse().unwrap()),
            ..MoveTicket::to(TicketState::Triaged)
        };
        let ticket = env
            .fixgate
            .move_ticket("SEC-1", triage, &principal("bob", Role::Security))
            .await
            .unwrap();
        assert_eq!(ticket.ticket.state, TicketState::Triaged);
        assert_eq!(ticket.ticket.owner.as_deref(), Some("carol"));

        env.fixgate
            .move_ticket(
                "SEC-1",
                MoveTicket::to(TicketState::InProgress),
                &principal("carol", Role::Security),
            )
            .await
            .unwrap();
        env.fixgate
            .move_ticket(
                "SEC-1",
                MoveTicket::to(TicketState::Fixed),
                &principal("carol", Role::Security),
            )
            .await
            .unwrap();
        let verify = env
            .fixgate
            .move_ticket(
                "SEC-1",
                MoveTicket::to(TicketState::Verified),
                &principal("carol", Role::Security),
            )
            .await;
        assert!(matches!(verify, Err(ServiceError::Workflow(_))), "{verify:?}");

        env.fixgate.comment("SEC-1", "deployed in 1.4.2", "carol").await.unwrap();
        let ticket = env.fixgate.ticket("SEC-1").await.unwrap();
        let kinds: Vec<&str> = ticket.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "opened",
                "state_changed",
                "assigned",
                "due_date_set",
                "state_changed",
                "state_changed",
                "comment"
            ]
        );
        assert_eq!(ticket.events[1].actor, "bob");
        assert_eq!(ticket.events[1].data["from"], "new");
        assert_eq!(ticket.events[1].data["to"], "triaged");
    })
    .await;
}

#[tokio::test]
async fn risk_is_accepted_by_request_and_another_persons_approval() {
    each_backend("risk", |env| async move {
        env.fixgate.create_ticket(create(TicketType::Vulnerability), "alice").await.unwrap();
        let alice = principal("alice", Role::Developer);
        let ciso = principal("ciso", Role::Security);
        let ask = |reason: &str, expires_at: &str| AcceptRisk {
            reason: reason.into(),
            expires_at: expires_at.into(),
        };

        // A move cannot accept a risk: it takes a request and an approval.
        let direct = MoveTicket {
            reason: Some("internal only".into()),
            approver: Some("ciso".into()),
            expires_at: Some("2027-06-01T00:00:00Z".parse().unwrap()),
            ..MoveTicket::to(TicketState::RiskAccepted)
        };
        let err = env
            .fixgate
            .move_ticket("SEC-1", direct, &principal("alice", Role::Security))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("request and approval"), "{err}");

        let refusals = [
            (ask(" ", "2027-06-01"), "justification"),
            (ask("internal only", "2020-01-01"), "not in the future"),
            (ask("internal only", "2031-01-01"), "at most a year"),
            (ask("internal only", "next week"), "expires_at"),
        ];
        for (request, expected) in refusals {
            let err = env.fixgate.request_acceptance("SEC-1", request, &alice).await.unwrap_err();
            assert!(err.to_string().contains(expected), "{}: {err}", env.backend);
        }

        let asked = env
            .fixgate
            .request_acceptance("sec-1", ask("internal only", "2027-06-01"), &alice)
            .await
            .unwrap();
        assert_eq!((asked.outcome.as_str(), asked.requested_by.as_str()), ("pending", "alice"));
        let again = env
            .fixgate
            .request_acceptance("SEC-1", ask("again", "2027-06-01"), &ciso)
            .await
            .unwrap_err();
        assert!(again.to_string().contains("already has a pending"), "{again}");

        // Nobody approves their own request, and only the asker withdraws.
        let own = env
            .fixgate
            .decide_acceptance("SEC-1", RiskVerdict::Approve, RiskDecision::default(), &alice)
            .await
            .unwrap_err();
        assert!(matches!(own, ServiceError::Forbidden(_)), "{own}");
        let withdraw = env
            .fixgate
            .decide_acceptance("SEC-1", RiskVerdict::Withdraw, RiskDecision::default(), &ciso)
            .await
            .unwrap_err();
        assert!(matches!(withdraw, ServiceError::Forbidden(_)), "{withdraw}");
        let silent = env
            .fixgate
            .decide_acceptance("SEC-1", RiskVerdict::Reject, RiskDecision::default(), &ciso)
            .await
            .unwrap_err();
        assert!(silent.to_string().contains("say why"), "{silent}");

        let note = RiskDecision { note: Some("reviewed the network policy".into()) };
        let approved = env
            .fixgate
            .decide_acceptance("SEC-1", RiskVerdict::Approve, note, &ciso)
            .await
            .unwrap();
        assert_eq!(approved.outcome, "approved");
        let ticket = env.fixgate.ticket("SEC-1").await.unwrap();
        assert_eq!(ticket.ticket.state, TicketState::RiskAccepted);
        let kinds: Vec<&str> = ticket.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["opened", "acceptance_requested", "acceptance_approved", "state_changed"],
            "{}",
            env.backend
        );
        let moved = &ticket.events[3].data;
        assert_eq!(
            (moved["approver"].as_str(), moved["requested_by"].as_str()),
            (Some("ciso"), Some("alice"))
        );

        // Before the expiry nothing lapses; after it the ticket reopens.
        assert!(env.fixgate.expire_acceptances().await.unwrap().is_empty());
        env.clock.set("2027-06-01T00:00:00Z".parse().unwrap());
        let lapsed = env.fixgate.expire_acceptances().await.unwrap();
        assert_eq!(lapsed.iter().map(|l| l.key.as_str()).collect::<Vec<_>>(), ["SEC-1"]);
        let ticket = env.fixgate.ticket("SEC-1").await.unwrap();
        assert_eq!(ticket.ticket.state, TicketState::Reopened);
        let last = ticket.events.last().unwrap();
        assert_eq!(
            (last.kind.as_str(), last.data["approver"].as_str()),
            ("acceptance_expired", Some("ciso"))
        );
        assert!(env.fixgate.expire_acceptances().await.unwrap().is_empty(), "once only");
    })
    .await;
}

#[tokio::test]
async fn duplicates_must_name_an_existing_ticket() {
    each_backend("duplicates", |env| async move {
        env.fixgate.create_ticket(create(TicketType::Request), "alice").await.unwrap();
        let wrong = MoveTicket {
            duplicate_of: Some("REQ-99".into()),
            ..MoveTicket::to(TicketState::Duplicate)
        };
        let err = env
            .fixgate
            .move_ticket("req-1", wrong, &principal("alice", Role::Security))
            .await
            .unwrap_err();
        assert!(matches!(err, ServiceError::Store(fixgate_store::StoreError::Invalid(_))), "{err}");
        assert!(err.to_string().contains("no ticket REQ-99 for REQ-1 to duplicate"), "{err}");
        // The refused move left the ticket as it was.
        assert_eq!(env.fixgate.ticket("REQ-1").await.unwrap().ticket.state, TicketState::New);
        let past = MoveTicket {
            owner: Some("dana".into()),
            due_at: Some("2020-01-01T00:00:00Z".parse().unwrap()),
            ..MoveTicket::to(TicketState::Triaged)
        };
        let err = env
            .fixgate
            .move_ticket("REQ-1", past, &principal("alice", Role::Security))
            .await
            .unwrap_err();
        assert!(err.to_string().starts_with("due_at: "), "{err}");
        let unknown = env.fixgate.ticket("SEC-404").await.unwrap_err();
        assert!(unknown.to_string().contains("not found"));
    })
    .await;
}

/// An incident workflow of the policy: security alone closes, mitigating
/// needs a reason; vulnerabilities keep their states, but only security
/// triages them, and an accepted risk needs an assignee.
const POLICY: &str = r#"
[workflow.incident]

[[workflow.incident.state]]
name = "new"
means = "new"

[[workflow.incident.state]]
name = "investigating"
label = "Under investigation"
means = "in_progress"

[[workflow.incident.state]]
name = "mitigated"
means = "fixed"

[[workflow.incident.state]]
name = "closed"
means = "closed"

[[workflow.incident.transition]]
from = "new"
to = "investigating"

[[workflow.incident.transition]]
from = "investigating"
to = "mitigated"
requires = ["reason"]

[[workflow.incident.transition]]
from = "mitigated"
to = "closed"
roles = ["security"]

[[workflow.vulnerability.transition]]
from = "new"
to = "triaged"
roles = ["security"]

[[workflow.vulnerability.transition]]
from = "*"
to = "risk_accepted"
roles = ["security"]
requires = ["assignee"]
"#;

fn reason(state: &str, why: &str) -> MoveTicket {
    MoveTicket { reason: Some(why.into()), ..MoveTicket::to(state) }
}

#[tokio::test]
async fn an_incident_moves_through_the_policy_s_own_states() {
    each_backend("custom_workflow", |env| async move {
        env.fixgate.load_triage_policy(POLICY, "admin").await.unwrap();
        let (dev, sec) = (principal("dana", Role::Developer), principal("sam", Role::Security));
        let created =
            env.fixgate.create_ticket(create(TicketType::Incident), "dana").await.unwrap();
        let ticket = &created.ticket;
        assert_eq!((ticket.state, ticket.status.as_deref()), (TicketState::New, Some("new")));
        let json = serde_json::to_value(&created).unwrap();
        assert_eq!((json["state"].as_str(), json["status"].as_str()), (Some("new"), Some("new")));
        let moving = |to: MoveTicket, by| env.fixgate.move_ticket("INC-1", to, by);

        // A move the workflow lacks, a state it lacks, a role that may not.
        let err = moving(reason("mitigated", "rolled back"), &dev).await.unwrap_err();
        assert!(matches!(err, ServiceError::Workflow(_)), "{err:?}");
        assert_eq!(err.to_string(), "an incident cannot move from new to mitigated");
        let err = moving(MoveTicket::to(TicketState::Triaged), &sec).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "an incident has no state \"triaged\"; its states are new, investigating, mitigated, \
             closed (and the built-in false_positive, duplicate, reopened)"
        );
        let viewer = principal("vic", Role::Viewer);
        let err = moving(MoveTicket::to("investigating"), &viewer).await;
        assert_eq!(err.unwrap_err().to_string(), "the viewer role may not work on tickets");

        let moved = moving(MoveTicket::to("investigating"), &dev).await.unwrap();
        let ticket = &moved.ticket;
        assert_eq!(ticket.status.as_deref(), Some("investigating"), "{}", env.backend);
        assert_eq!(ticket.state, TicketState::InProgress);
        assert_eq!(ticket.status_label.as_deref(), Some("Under investigation"));
        let event = &moved.events.last().unwrap().data;
        assert_eq!(
            (event["from"].as_str(), event["to"].as_str()),
            (Some("new"), Some("in_progress"))
        );
        assert_eq!(
            (event["from_status"].as_str(), event["status"].as_str()),
            (Some("new"), Some("investigating"))
        );

        // A required field, then the role the move is for.
        let err = moving(MoveTicket::to("mitigated"), &dev).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "moving an incident from investigating to mitigated needs a reason (`reason`)"
        );
        let moved = moving(reason("mitigated", "rolled back 1.4"), &dev).await.unwrap();
        assert_eq!(moved.ticket.state, TicketState::Fixed);
        let err = moving(MoveTicket::to("closed"), &dev).await.unwrap_err();
        assert!(matches!(err, ServiceError::Forbidden(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            "moving an incident from mitigated to closed needs the role security; \
             you have developer"
        );
        let closed = moving(MoveTicket::to("closed"), &sec).await.unwrap();
        let json = serde_json::to_value(&closed).unwrap();
        assert_eq!(
            (json["state"].as_str(), json["status"].as_str()),
            (Some("closed"), Some("closed"))
        );
        assert!(!closed.ticket.state.is_open(), "closed counts as closed in every figure");

        // Lists show it too; the stored status survives a new handle.
        let filter = TicketFilter { limit: 10, page: 1, ..TicketFilter::default() };
        let listed = env.reopen().await.list_tickets(&filter).await.unwrap();
        assert_eq!(listed.items[0].status.as_deref(), Some("closed"));
        assert_eq!(listed.items[0].status_label.as_deref(), Some("Closed"));
    })
    .await;
}

#[tokio::test]
async fn tickets_from_before_the_policy_and_reopened_ones_find_their_place() {
    each_backend("custom_workflow_places", |env| async move {
        let sec = principal("sam", Role::Security);
        env.fixgate.create_ticket(create(TicketType::Incident), "dana").await.unwrap();
        env.fixgate.create_ticket(create(TicketType::Task), "dana").await.unwrap();
        env.fixgate.load_triage_policy(POLICY, "admin").await.unwrap();

        // Opened under the built-in workflow: `new` is where it stands.
        let before = env.fixgate.ticket("INC-1").await.unwrap().ticket;
        assert_eq!((before.state, before.status.as_deref()), (TicketState::New, None));
        let moved = env.fixgate.move_ticket("INC-1", MoveTicket::to("investigating"), &sec).await;
        assert_eq!(moved.unwrap().ticket.status.as_deref(), Some("investigating"));

        // The decisions stay built-in moves; reopened, it starts again.
        let duplicate = env.fixgate.create_ticket(create(TicketType::Incident), "dana").await;
        let kept = duplicate.unwrap().ticket.key;
        let twice = MoveTicket { duplicate_of: Some(kept), ..MoveTicket::to("duplicate") };
        let dev = principal("dana", Role::Developer);
        let err = env.fixgate.move_ticket("INC-1", twice.clone(), &dev).await.unwrap_err();
        assert!(err.to_string().contains("may not take decisions"), "{err}");
        let moved = env.fixgate.move_ticket("INC-1", twice, &sec).await.unwrap().ticket;
        assert_eq!((moved.state, moved.status), (TicketState::Duplicate, None));
        let err = env.fixgate.move_ticket("INC-1", MoveTicket::to("investigating"), &sec).await;
        assert_eq!(
            err.unwrap_err().to_string(),
            "an incident cannot move from duplicate to investigating"
        );
        let reopened = env.fixgate.move_ticket("INC-1", reason("reopened", "not the same"), &sec);
        assert_eq!(reopened.await.unwrap().ticket.state, TicketState::Reopened);
        let moved = env.fixgate.move_ticket("INC-1", MoveTicket::to("investigating"), &dev).await;
        assert_eq!(moved.unwrap().ticket.status.as_deref(), Some("investigating"));

        // A type without a section keeps the built-in workflow, unchanged.
        let err = env.fixgate.move_ticket("TASK-1", MoveTicket::to("investigating"), &dev).await;
        assert!(matches!(err, Err(ServiceError::Invalid(_))), "{err:?}");
        let started = env.fixgate.move_ticket("TASK-1", MoveTicket::to("in_progress"), &dev).await;
        let started = started.unwrap().ticket;
        assert_eq!((started.state, started.status), (TicketState::InProgress, None));
    })
    .await;
}

#[tokio::test]
async fn a_policy_narrows_who_takes_a_vulnerability_s_moves_and_what_they_need() {
    each_backend("custom_workflow_vulnerability", |env| async move {
        env.fixgate.load_triage_policy(POLICY, "admin").await.unwrap();
        import_bytes(&env, sarif("CodeQL", &[("py/xss", "a.py", 3, "x")]), context("shop")).await;
        let (dev, sec) = (principal("dana", Role::Developer), principal("sam", Role::Security));
        let triage = MoveTicket {
            owner: Some("payments".into()),
            due_at: Some("2026-12-31T00:00:00Z".parse().unwrap()),
            ..MoveTicket::to(TicketState::Triaged)
        };

        let err = env.fixgate.move_ticket("SEC-1", triage.clone(), &dev).await.unwrap_err();
        assert!(matches!(err, ServiceError::Forbidden(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            "moving a vulnerability from new to triaged needs the role security; you have developer"
        );
        // What the built-in move needs still holds.
        let bare = MoveTicket::to(TicketState::Triaged);
        let err = env.fixgate.move_ticket("SEC-1", bare, &sec).await.unwrap_err();
        assert_eq!(err.to_string(), "moving to triaged needs an owner (`owner`)");
        let triaged = env.fixgate.move_ticket("SEC-1", triage, &sec).await.unwrap().ticket;
        assert_eq!((triaged.state, triaged.status), (TicketState::Triaged, None));

        // The approval of a risk acceptance is the move to risk_accepted.
        let ask = AcceptRisk { reason: "internal only".into(), expires_at: "2027-06-01".into() };
        env.fixgate.request_acceptance("SEC-1", ask, &dev).await.unwrap();
        let approve = || {
            env.fixgate.decide_acceptance(
                "SEC-1",
                RiskVerdict::Approve,
                RiskDecision::default(),
                &sec,
            )
        };
        let err = approve().await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "moving a vulnerability from triaged to risk_accepted needs an assignee (`assignee`)"
        );
        let person = CreateUser {
            name: "ana".into(),
            role: Role::Developer,
            teams: vec!["payments".into()],
            password: None,
        };
        env.fixgate.create_user(person).await.unwrap();
        env.fixgate.add_owner("shop", "payments").await.unwrap();
        env.fixgate.assign("SEC-1", Some("ana"), &Visibility::everything(), "sam").await.unwrap();
        assert_eq!(approve().await.unwrap().outcome, "approved");
        let ticket = env.fixgate.ticket("SEC-1").await.unwrap().ticket;
        assert_eq!(ticket.state, TicketState::RiskAccepted, "{}", env.backend);
    })
    .await;
}

#[tokio::test]
async fn a_bulk_move_checks_each_ticket_by_its_own_workflow() {
    each_backend("custom_workflow_bulk", |env| async move {
        env.fixgate.load_triage_policy(POLICY, "admin").await.unwrap();
        for kind in [TicketType::Incident, TicketType::Incident, TicketType::Task] {
            env.fixgate.create_ticket(create(kind), "dana").await.unwrap();
        }
        let dev = principal("dana", Role::Developer);
        env.fixgate.move_ticket("INC-2", MoveTicket::to("investigating"), &dev).await.unwrap();
        let all = TicketFilter { limit: 10, page: 1, ..TicketFilter::default() };
        let to = |state: &str| BulkChange { state: Some(state.into()), ..BulkChange::default() };

        let done = env.fixgate.bulk_change(&all, &to("investigating"), false, &dev).await.unwrap();
        assert_eq!(done.changed, 1, "{done:?}");
        let skipped: Vec<(&str, &str)> =
            done.skipped.iter().map(|s| (s.key.as_str(), s.reason.as_str())).collect();
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(
            skipped.contains(&(
                "INC-2",
                "an incident cannot move from investigating to investigating"
            ))
        );
        let (_, task) = skipped.iter().find(|(key, _)| *key == "TASK-1").unwrap();
        assert!(task.starts_with("state: unknown state \"investigating\""), "{task}");
        let moved = env.fixgate.ticket("INC-1").await.unwrap().ticket;
        assert_eq!(moved.status.as_deref(), Some("investigating"), "{}", env.backend);
        assert_eq!(moved.state, TicketState::InProgress);

        // Skipped, each with its reason: the role, the field.
        let done = env.fixgate.bulk_change(&all, &to("mitigated"), true, &dev).await.unwrap();
        assert_eq!(done.changed, 0);
        assert!(
            done.skipped.iter().any(|s| s.key == "INC-1" && s.reason.contains("needs a reason"))
        );
        let mitigate = BulkChange { reason: Some("rolled back".into()), ..to("mitigated") };
        let done = env.fixgate.bulk_change(&all, &mitigate, false, &dev).await.unwrap();
        assert_eq!(done.changed, 2, "{done:?}");
        let done = env.fixgate.bulk_change(&all, &to("closed"), false, &dev).await.unwrap();
        assert_eq!(done.changed, 0);
        let reasons: Vec<&str> = done.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert!(
            reasons.contains(
                &"moving an incident from mitigated to closed needs the role security; \
                 you have developer"
            ),
            "{reasons:?}"
        );
        let sec = principal("sam", Role::Security);
        let done = env.fixgate.bulk_change(&all, &to("closed"), false, &sec).await.unwrap();
        // The task's built-in close needs a reason.
        assert_eq!((done.changed, done.skipped.len()), (2, 1), "{done:?}");

        // What no ticket could take is refused before any is looked at.
        let err = env.fixgate.bulk_change(&all, &to("false_positive"), true, &dev).await;
        assert!(matches!(err, Err(ServiceError::Forbidden(_))), "{err:?}");
        let err = env.fixgate.bulk_change(&all, &to("resolved"), true, &sec).await;
        assert!(matches!(err, Err(ServiceError::Invalid(_))), "{err:?}");
    })
    .await;
}
