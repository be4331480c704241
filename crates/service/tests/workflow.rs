//! Tickets by hand and the default workflow, on every backend.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use fixgate_service::testkit as common;

use common::{context, each_backend, import_bytes, principal, sarif};
use fixgate_domain::{Role, Severity, TicketState, TicketType};
use fixgate_service::{AcceptRisk, CreateTicket, MoveTicket, RiskDecision, ServiceError};
use fixgate_store::RiskVerdict;

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

        let missing =
            env.fixgate.move_ticket("SEC-1", MoveTicket::to(TicketState::Triaged), "bob").await;
        assert!(missing.unwrap_err().to_string().contains("needs an owner"));

        let triage = MoveTicket {
            owner: Some("carol".into()),
            due_at: Some("2026-12-31T00:00:00Z".parse().unwrap()),
            ..MoveTicket::to(TicketState::Triaged)
        };
        let ticket = env.fixgate.move_ticket("SEC-1", triage, "bob").await.unwrap();
        assert_eq!(ticket.ticket.state, TicketState::Triaged);
        assert_eq!(ticket.ticket.owner.as_deref(), Some("carol"));

        env.fixgate
            .move_ticket("SEC-1", MoveTicket::to(TicketState::InProgress), "carol")
            .await
            .unwrap();
        env.fixgate
            .move_ticket("SEC-1", MoveTicket::to(TicketState::Fixed), "carol")
            .await
            .unwrap();
        let verify =
            env.fixgate.move_ticket("SEC-1", MoveTicket::to(TicketState::Verified), "carol").await;
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
        let err = env.fixgate.move_ticket("SEC-1", direct, "alice").await.unwrap_err();
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
        let err = env.fixgate.move_ticket("req-1", wrong, "alice").await.unwrap_err();
        assert!(matches!(err, ServiceError::Store(fixgate_store::StoreError::Invalid(_))), "{err}");
        assert!(err.to_string().contains("no ticket REQ-99 for REQ-1 to duplicate"), "{err}");
        // The refused move left the ticket as it was.
        assert_eq!(env.fixgate.ticket("REQ-1").await.unwrap().ticket.state, TicketState::New);
        let past = MoveTicket {
            owner: Some("dana".into()),
            due_at: Some("2020-01-01T00:00:00Z".parse().unwrap()),
            ..MoveTicket::to(TicketState::Triaged)
        };
        let err = env.fixgate.move_ticket("REQ-1", past, "alice").await.unwrap_err();
        assert!(err.to_string().starts_with("due_at: "), "{err}");
        let unknown = env.fixgate.ticket("SEC-404").await.unwrap_err();
        assert!(unknown.to_string().contains("not found"));
    })
    .await;
}
