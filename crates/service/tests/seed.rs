//! `fixgate seed` on every backend: a small seed is whole (every ticket
//! stands where its events leave it, every security ticket has its finding
//! and facts), its facts are those a rebuild folds from its events, it
//! refuses a store that has tickets unless forced, and the same seed writes
//! the same store.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::Arc;

use fixgate_domain::{TicketState, TicketType};
use fixgate_service::report::KpiRequest;
use fixgate_service::seed::{SeedOptions, Seeded};
use fixgate_service::testkit::{Env, each_backend};
use fixgate_service::{Clock, FixedClock, Fixgate};
use fixgate_store::{ConnectOptions, Store, TicketFilter, Visibility};

fn options(tickets: u64, seed: u64) -> SeedOptions {
    SeedOptions {
        tickets,
        years: 2,
        seed,
        force: false,
        until: Some("2026-12-01T00:00:00Z".parse().unwrap()),
    }
}

async fn seed(fixgate: &Fixgate, options: &SeedOptions) -> Seeded {
    fixgate.seed(options, &|_| {}).await.unwrap()
}

/// Every ticket's keys, in key order.
async fn keys(fixgate: &Fixgate, filter: TicketFilter) -> (u64, Vec<String>) {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let filter = TicketFilter { limit: 1000, page, ..filter.clone() };
        let found = fixgate.list_tickets(&filter).await.unwrap();
        if found.items.is_empty() {
            out.sort();
            return (found.total, out);
        }
        out.extend(found.items.into_iter().map(|t| t.key));
        page += 1;
    }
}

/// The state a ticket's history leaves it in.
fn state_of(events: &[fixgate_store::EventRow]) -> TicketState {
    let mut state = TicketState::New;
    for event in events {
        state = match event.kind.as_str() {
            "verified" => TicketState::Verified,
            "reopened" | "acceptance_expired" => TicketState::Reopened,
            "state_changed" => event.data["to"].as_str().unwrap().parse().unwrap(),
            _ => state,
        };
    }
    state
}

#[tokio::test]
async fn a_small_seed_is_whole_and_its_facts_are_those_of_its_events() {
    each_backend("seed_whole", |env: Env| async move {
        let b = env.backend;
        let seeded = seed(&env.fixgate, &options(2_000, 7)).await;
        assert_eq!(seeded.tickets, 2_000, "{b}");
        assert!(seeded.security_tickets > 1_900 && seeded.security_tickets < 2_000, "{b}");
        assert_eq!(env.fixgate.store().ticket_count().await.unwrap(), 2_000, "{b}");

        // Each ticket stands where its history leaves it, opened first.
        let (total, all) = keys(&env.fixgate, TicketFilter::default()).await;
        assert_eq!((total, all.len()), (2_000, 2_000), "{b}");
        let mut open_security = 0;
        let mut states = std::collections::HashMap::new();
        for key in &all {
            let detail = env.fixgate.ticket(key).await.unwrap();
            let t = &detail.ticket;
            assert_eq!(detail.events[0].kind, "opened", "{b} {key}");
            assert_eq!(state_of(&detail.events), t.state, "{b} {key}");
            assert!(detail.events.windows(2).all(|w| w[0].at <= w[1].at), "{b} {key}");
            *states.entry(t.state).or_insert(0) += 1;
            if t.ticket_type == TicketType::Vulnerability {
                assert_eq!(detail.findings.len(), 1, "{b} {key}");
                assert_eq!(detail.findings[0].sightings.len(), 1, "{b} {key}");
                assert_eq!(t.present, t.state != TicketState::Verified, "{b} {key}");
                open_security += u64::from(t.state.is_open());
            }
        }
        // A realistic spread: most tickets closed, some of each ending.
        for state in [
            TicketState::New,
            TicketState::InProgress,
            TicketState::Verified,
            TicketState::FalsePositive,
            TicketState::RiskAccepted,
        ] {
            assert!(states.get(&state).copied().unwrap_or(0) > 0, "{b}: no {state:?}: {states:?}");
        }
        for state in TicketState::ALL {
            let filter = TicketFilter { states: vec![state], ..TicketFilter::default() };
            let (n, _) = keys(&env.fixgate, filter).await;
            assert_eq!(n, states.get(&state).copied().unwrap_or(0), "{b} {state:?}");
        }

        // The figures count what the events say, and rebuilding the facts
        // from the events alone changes none of them.
        let k = env.fixgate.kpis(&KpiRequest::default(), Visibility::everything()).await.unwrap();
        assert!(k.warnings.is_empty(), "{b}: {:?}", k.warnings);
        assert_eq!(k.open.all.open, open_security, "{b}");
        assert!(k.open.all.breached > 0 && k.closures.all.verified > 0, "{b}");
        assert!(k.mttt.all.count > 0 && k.reopen_rate.all.by_scan > 0, "{b}");
        let store = env.fixgate.store();
        let kept = store.kpi_facts_dump().await.unwrap();
        assert_eq!(env.fixgate.rebuild_kpi_facts().await.unwrap(), seeded.security_tickets, "{b}");
        assert_eq!(store.kpi_facts_dump().await.unwrap(), kept, "{b}");
    })
    .await;
}

#[tokio::test]
async fn a_store_with_tickets_is_seeded_only_when_forced() {
    each_backend("seed_refuses", |env: Env| async move {
        let b = env.backend;
        seed(&env.fixgate, &options(50, 1)).await;
        let err = env.fixgate.seed(&options(50, 2), &|_| {}).await.unwrap_err().to_string();
        assert!(err.contains("already holds 50 tickets") && err.contains("--force"), "{b}: {err}");
        assert_eq!(env.fixgate.store().ticket_count().await.unwrap(), 50, "{b}");

        let forced = SeedOptions { force: true, ..options(50, 2) };
        assert_eq!(seed(&env.fixgate, &forced).await.tickets, 50, "{b}");
        let (total, all) = keys(&env.fixgate, TicketFilter::default()).await;
        assert_eq!(total, 100, "{b}");
        let mut unique = all.clone();
        unique.dedup();
        assert_eq!(unique.len(), 100, "{b}: keys repeat");
        let rebuilt = env.fixgate.rebuild_kpi_facts().await.unwrap();
        assert!(rebuilt > 90, "{b}: {rebuilt}");
    })
    .await;
}

/// What a seeded store says: its tickets as listed, its facts and figures.
async fn fingerprint(fixgate: &Fixgate) -> (Vec<String>, Vec<String>, String) {
    let mut tickets = Vec::new();
    for page in 1..=2 {
        let filter = TicketFilter { limit: 1000, page, ..TicketFilter::default() };
        for t in fixgate.list_tickets(&filter).await.unwrap().items {
            tickets.push(format!(
                "{} {:?} {:?} {} {:?}",
                t.key, t.state, t.severity, t.title, t.owner
            ));
        }
    }
    let facts = fixgate.store().kpi_facts_dump().await.unwrap();
    let kpis = fixgate.kpis(&KpiRequest::default(), Visibility::everything()).await.unwrap();
    (tickets, facts, serde_json::to_string(&kpis).unwrap())
}

#[tokio::test]
async fn the_same_seed_writes_the_same_store() {
    each_backend("seed_same", |env: Env| async move {
        let b = env.backend;
        seed(&env.fixgate, &options(1_500, 42)).await;
        let here = fingerprint(&env.fixgate).await;

        // A second store, on SQLite, with the same clock.
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("again.db").display());
        let clock = Arc::new(FixedClock::new(env.clock.now()));
        let again =
            Fixgate::new(Store::connect(&url, ConnectOptions::default()).await.unwrap(), clock);
        seed(&again, &options(1_500, 42)).await;
        assert_eq!(fingerprint(&again).await, here, "{b}");

        let other = Fixgate::new(
            Store::connect(&format!("{url}-other"), ConnectOptions::default()).await.unwrap(),
            Arc::new(FixedClock::new(env.clock.now())),
        );
        seed(&other, &options(1_500, 43)).await;
        assert_ne!(fingerprint(&other).await.0, here.0, "{b}: another seed, another store");
        again.store().close().await;
        other.store().close().await;
    })
    .await;
}
