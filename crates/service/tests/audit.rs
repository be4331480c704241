//! The event log's hash chain on every backend: a history written by
//! imports, tickets opened and worked by hand, and a sweep verifies; each
//! way of tampering with the stored events (changing one, removing one,
//! swapping two, unchaining one, cutting the chain's end and its head) is
//! caught at the right event; events stored before the chain existed are
//! sealed when the store opens; concurrent writers make one chain.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use fixgate_domain::{Role, Severity, TicketState, TicketType};
use fixgate_service::testkit::{
    Env, context, each_backend, each_backend_tampered, import_bytes, principal, sarif,
};
use fixgate_service::{CreateTicket, Fixgate, MoveTicket};
use fixgate_store::{ChainProblem, ChainReport};

fn task(title: &str) -> CreateTicket {
    CreateTicket {
        ticket_type: TicketType::Task,
        title: title.into(),
        description: String::new(),
        severity: Severity::Low,
        application: Some("shop".into()),
        repository: None,
        path: None,
        owner: None,
        priority: None,
        due_at: None,
    }
}

/// Three tickets opened by a scan, one by hand with two comments and a
/// move, then a second scan that proves one finding gone. Returns the hand
/// ticket's key.
async fn history(env: &Env) -> String {
    let results = [
        ("py/sql", "app/a.py", 3, "q(a)"),
        ("py/xss", "app/b.py", 4, "w(b)"),
        ("py/sql", "app/c.py", 5, "q(c)"),
    ];
    import_bytes(env, sarif("Semgrep", &results), context("shop")).await;
    let key = env.fixgate.create_ticket(task("rotate keys"), "dana").await.unwrap().ticket.key;
    env.fixgate.comment(&key, "first", "dana").await.unwrap();
    env.fixgate.comment(&key, "second", "erin").await.unwrap();
    let to = MoveTicket::to(TicketState::InProgress);
    env.fixgate.move_ticket(&key, to, &principal("dana", Role::Security)).await.unwrap();
    let mut later = context("shop");
    later.commit = Some("2".into());
    import_bytes(env, sarif("Semgrep", &results[..2]), later).await;
    key
}

async fn verify(env: &Env, pin: Option<&str>) -> ChainReport {
    env.fixgate.verify_chain(pin).await.unwrap()
}

/// Lets the test change and delete events, as someone with write access
/// to the database could.
async fn unguard(env: &Env) {
    if env.backend == "postgres" {
        env.execute("ALTER TABLE ticket_events DISABLE TRIGGER ticket_events_append_only").await;
    } else {
        env.execute("DROP TRIGGER ticket_events_no_update").await;
        env.execute("DROP TRIGGER ticket_events_no_delete").await;
    }
}

fn problem(report: &ChainReport) -> (ChainProblem, Option<i64>) {
    let broken = report.broken.as_ref().expect("the chain should be broken");
    (broken.problem, broken.seq)
}

#[tokio::test]
async fn a_history_makes_a_chain_that_verifies() {
    each_backend("audit_fresh", |env| async move {
        let empty = verify(&env, None).await;
        assert!(empty.holds(), "{:?}", empty.broken);
        assert_eq!((empty.checked, empty.head.seq), (0, 0));
        assert_eq!(empty.head.hash, "0".repeat(64));

        history(&env).await;
        let head = env.fixgate.audit_head().await.unwrap();
        let report = verify(&env, None).await;
        assert!(report.holds(), "{:?}", report.broken);
        // 3 + 1 opened, 2 comments, 1 move, 1 verification at least.
        assert!(head.seq >= 8, "{head:?}");
        assert_eq!(report.checked, head.seq as u64);
        assert_eq!(report.head, head);
        assert_eq!(head.hash.len(), 64);

        // The head noted now stays on the chain as it grows.
        let pin = head.to_string();
        env.fixgate.create_ticket(task("later"), "dana").await.unwrap();
        let report = verify(&env, Some(&pin)).await;
        assert!(report.holds(), "{:?}", report.broken);
        assert!(report.head.seq > head.seq);
    })
    .await;
}

#[tokio::test]
async fn a_changed_event_is_named() {
    each_backend_tampered("audit_changed", |env| async move {
        let key = history(&env).await;
        unguard(&env).await;
        env.execute(
            "UPDATE ticket_events SET data = '{\"text\":\"nothing to see\"}' \
             WHERE kind = 'comment' AND data LIKE '%second%'",
        )
        .await;

        let report = verify(&env, None).await;
        let broken = report.broken.clone().unwrap();
        assert_eq!(broken.problem, ChainProblem::ContentChanged, "{broken:?}");
        assert_eq!(broken.ticket_key.as_deref(), Some(key.as_str()));
        assert_eq!(broken.kind.as_deref(), Some("comment"));
        assert!(broken.event_id.is_some());
        // Every event before it was checked, none after.
        assert_eq!(report.checked as i64, broken.seq.unwrap() - 1);
    })
    .await;
}

#[tokio::test]
async fn a_removed_event_leaves_a_gap() {
    each_backend_tampered("audit_removed", |env| async move {
        history(&env).await;
        unguard(&env).await;
        env.execute("DELETE FROM ticket_events WHERE chain_seq = 3").await;

        let report = verify(&env, None).await;
        assert_eq!(problem(&report), (ChainProblem::Removed, Some(4)));
        assert!(report.broken.unwrap().detail.contains("event 3 is missing"));
    })
    .await;
}

#[tokio::test]
async fn swapped_events_are_reordered() {
    each_backend_tampered("audit_swapped", |env| async move {
        let key = history(&env).await;
        unguard(&env).await;
        // The two comments, one after the other on the chain, exchange
        // their fields; each place keeps its number and hash.
        env.execute(
            "CREATE TABLE swapped AS SELECT chain_seq, ticket_id, at, actor, kind, data \
             FROM ticket_events WHERE kind = 'comment'",
        )
        .await;
        for column in ["ticket_id", "at", "actor", "kind", "data"] {
            env.execute(&format!(
                "UPDATE ticket_events SET {column} = (SELECT s.{column} FROM swapped s \
                 WHERE s.chain_seq <> ticket_events.chain_seq) \
                 WHERE chain_seq IN (SELECT chain_seq FROM swapped)"
            ))
            .await;
        }

        let report = verify(&env, None).await;
        let broken = report.broken.clone().unwrap();
        assert_eq!(broken.problem, ChainProblem::Reordered, "{broken:?}");
        assert_eq!(broken.ticket_key.as_deref(), Some(key.as_str()));
        assert_eq!(broken.kind.as_deref(), Some("comment"));
        assert_eq!(report.checked as i64, broken.seq.unwrap() - 1);
    })
    .await;
}

#[tokio::test]
async fn events_moved_with_their_hashes_are_reordered() {
    each_backend_tampered("audit_moved", |env| async move {
        history(&env).await;
        unguard(&env).await;
        for sql in [
            "UPDATE ticket_events SET chain_seq = -1 WHERE chain_seq = 2",
            "UPDATE ticket_events SET chain_seq = 2 WHERE chain_seq = 3",
            "UPDATE ticket_events SET chain_seq = 3 WHERE chain_seq = -1",
        ] {
            env.execute(sql).await;
        }

        let report = verify(&env, None).await;
        assert_eq!(problem(&report), (ChainProblem::Reordered, Some(2)));
    })
    .await;
}

#[tokio::test]
async fn an_event_without_a_hash_is_unchained() {
    each_backend_tampered("audit_unchained", |env| async move {
        history(&env).await;
        unguard(&env).await;
        env.execute("UPDATE ticket_events SET hash = NULL WHERE chain_seq = 4").await;

        let report = verify(&env, None).await;
        assert_eq!(problem(&report), (ChainProblem::Unchained, Some(4)));
        assert_eq!(report.checked, 3);
    })
    .await;
}

#[tokio::test]
async fn a_cut_chain_is_caught_by_its_head_or_else_by_a_pin() {
    each_backend_tampered("audit_truncated", |env| async move {
        history(&env).await;
        let pin = env.fixgate.audit_head().await.unwrap();
        let cut = pin.seq - 2;
        unguard(&env).await;
        env.execute(&format!("DELETE FROM ticket_events WHERE chain_seq > {cut}")).await;

        // The head still names the events removed.
        let report = verify(&env, None).await;
        assert_eq!(problem(&report), (ChainProblem::Truncated, None));

        // Moving the head back hides the cut from the chain alone...
        env.execute(&format!(
            "UPDATE audit_chain SET seq = {cut}, \
             hash = (SELECT hash FROM ticket_events WHERE chain_seq = {cut})"
        ))
        .await;
        let report = verify(&env, None).await;
        assert!(report.holds(), "{:?}", report.broken);

        // ...but not from the head noted before.
        let report = verify(&env, Some(&pin.to_string())).await;
        let broken = report.broken.unwrap();
        assert_eq!(broken.problem, ChainProblem::Truncated);
        assert!(broken.detail.contains(&format!("the pin is at {}", pin.seq)), "{broken:?}");
    })
    .await;
}

#[tokio::test]
async fn a_pin_off_the_chain_is_a_mismatch_and_a_malformed_one_an_error() {
    each_backend("audit_pin", |env| async move {
        history(&env).await;
        let wrong = format!("3:{}", "ab".repeat(32));
        let report = verify(&env, Some(&wrong)).await;
        assert_eq!(problem(&report), (ChainProblem::PinMismatch, Some(3)));

        let err = env.fixgate.verify_chain(Some("3:nothex")).await.unwrap_err();
        assert!(err.to_string().contains("64 hex digits"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn events_from_before_the_chain_are_sealed_when_the_store_opens() {
    each_backend("audit_legacy", |env| async move {
        history(&env).await;
        let before = env.fixgate.audit_head().await.unwrap();
        // As a store written before the chain existed left them.
        env.execute(
            "INSERT INTO ticket_events (ticket_id, at, actor, kind, data) \
             SELECT id, 1000, 'legacy', 'comment', '{\"text\":\"old\"}' FROM tickets",
        )
        .await;
        let report = verify(&env, None).await;
        assert_eq!(problem(&report), (ChainProblem::Unchained, None));

        let reopened = env.reopen().await;
        let report = reopened.verify_chain(None).await.unwrap();
        assert!(report.holds(), "{:?}", report.broken);
        assert!(report.head.seq > before.seq + 3, "{:?}", report.head);
        assert_eq!(report.checked, report.head.seq as u64);
        // The head before the sealing is still on the chain.
        let report = reopened.verify_chain(Some(&before.to_string())).await.unwrap();
        assert!(report.holds(), "{:?}", report.broken);

        // Opening again seals nothing more.
        let again = env.reopen().await;
        assert_eq!(again.audit_head().await.unwrap(), report.head);
        reopened.store().close().await;
        again.store().close().await;
    })
    .await;
}

/// One writer: opens tickets, comments and moves them.
async fn writer(fixgate: Fixgate, n: usize) {
    let security = principal("dana", Role::Security);
    for i in 0..4 {
        let key =
            fixgate.create_ticket(task(&format!("w{n} t{i}")), "dana").await.unwrap().ticket.key;
        fixgate.comment(&key, "on it", "dana").await.unwrap();
        let to = MoveTicket::to(TicketState::InProgress);
        fixgate.move_ticket(&key, to, &security).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_make_one_chain() {
    each_backend("audit_concurrent", |env| async move {
        // Half the writers through a second pool: another server replica.
        let replica = env.reopen().await;
        let mut tasks = Vec::new();
        for n in 0..8 {
            let fixgate = if n % 2 == 0 { env.fixgate.clone() } else { replica.clone() };
            let task = tokio::spawn(writer(fixgate, n));
            // SQLite has one writer: a transaction that reads before it writes
            // is refused (busy) when another wrote meanwhile, as before the
            // chain. Its writers take turns; PostgreSQL's run at once.
            if env.backend == "postgres" {
                tasks.push(task);
            } else {
                task.await.unwrap();
            }
        }
        let shared = &env;
        let import = move |n: u32| {
            let env = shared;
            async move {
                let results = [("py/sql", "app/x.py", 3 + n, "q(x)")];
                let mut scan = context(&format!("app{n}"));
                scan.repository = Some(format!("https://example.invalid/app{n}"));
                import_bytes(env, sarif("Semgrep", &results), scan).await;
            }
        };
        tokio::join!(import(0), import(1));
        for task in tasks {
            task.await.unwrap();
        }

        let report = verify(&env, None).await;
        assert!(report.holds(), "{:?}", report.broken);
        // 8 writers × 4 tickets × 3 events, and the imports' openings.
        assert!(report.checked >= 8 * 4 * 3 + 2, "{}", report.checked);
        assert_eq!(report.checked, report.head.seq as u64);
        replica.store().close().await;
    })
    .await;
}
