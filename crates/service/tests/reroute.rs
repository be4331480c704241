//! Re-routing on every backend: replacing a repository's CODEOWNERS file or
//! loading a triage policy moves the open tickets the rules now give
//! another team, each with one `rerouted` event and one notice per
//! receiving team, and leaves closed tickets, other repositories' tickets
//! and tickets whose owner a person set as they were. A dry run says the
//! same and changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use fixgate_domain::channel::{ChannelKind, Digest};
use fixgate_domain::{NoticeKind, Role, TicketState};
use fixgate_service::testkit::{
    Env, context, each_backend, examples, import_bytes, principal, sarif,
};
use fixgate_service::{AddChannel, MoveTicket, Rerouted};
use fixgate_store::{EventRow, QueueEntry, QueueFilter, TicketDetail};
use serde_json::json;

const SHOP: &str = "https://github.com/acme/shop";
const OTHER: &str = "https://github.com/acme/other";

async fn ticket(env: &Env, key: &str) -> TicketDetail {
    env.fixgate.ticket(key).await.unwrap()
}

fn rerouted_events(detail: &TicketDetail) -> Vec<&EventRow> {
    detail.events.iter().filter(|e| e.kind == "rerouted").collect()
}

/// The open tickets of the shop, by path: one CODEOWNERS gives payments,
/// three its application's team; one more that a person gave a team, one
/// false positive, and one of another repository under the same path.
struct Shop {
    pay: String,
    views: String,
    users: String,
    export: String,
    dismissed: String,
    other: String,
}

async fn shop(env: &Env) -> Shop {
    env.fixgate.add_owner("shop", "shop-team").await.unwrap();
    env.fixgate.add_owner("billing", "payments").await.unwrap();
    env.fixgate.set_codeowners(SHOP, "/app/pay/ @acme/payments\n", "admin").await.unwrap();
    let report = sarif(
        "Semgrep",
        &[
            ("py/sql-injection", "app/pay/charge.py", 3, "a"),
            ("py/xss", "app/views.py", 9, "b"),
            ("py/sql-injection", "app/admin/users.py", 12, "c"),
            ("py/sql-injection", "app/admin/export.py", 20, "d"),
            ("py/xss", "app/admin/audit.py", 30, "e"),
        ],
    );
    let opened = import_bytes(env, report, context("shop")).await.opened_tickets;
    let mut by_path = std::collections::HashMap::new();
    for key in opened {
        let path = ticket(env, &key).await.ticket.path.unwrap();
        by_path.insert(path, key);
    }
    let other_context =
        fixgate_domain::ScanContext { repository: Some(OTHER.into()), ..context("shop") };
    let other = sarif("Semgrep", &[("py/sql-injection", "app/admin/users.py", 12, "c")]);
    let other = import_bytes(env, other, other_context).await.opened_tickets.remove(0);
    let key = |path: &str| by_path[path].clone();
    let shop = Shop {
        pay: key("app/pay/charge.py"),
        views: key("app/views.py"),
        users: key("app/admin/users.py"),
        export: key("app/admin/export.py"),
        dismissed: key("app/admin/audit.py"),
        other,
    };

    // A person gives one ticket its team; another is dismissed.
    let triage = MoveTicket {
        owner: Some("shop-team".into()),
        due_at: Some("2027-01-31T00:00:00Z".parse().unwrap()),
        ..MoveTicket::to(TicketState::Triaged)
    };
    env.fixgate
        .move_ticket(&shop.export, triage, &principal("dana", Role::Security))
        .await
        .unwrap();
    let dismiss = MoveTicket {
        reason: Some("test code only".into()),
        ..MoveTicket::to(TicketState::FalsePositive)
    };
    env.fixgate
        .move_ticket(&shop.dismissed, dismiss, &principal("dana", Role::Security))
        .await
        .unwrap();
    shop
}

/// A webhook channel for `team` (every team when `None`) that no one
/// delivers to in these tests: its queue shows what was told to whom.
async fn channel(env: &Env, name: &str, team: Option<&str>) {
    let channel = AddChannel {
        name: name.into(),
        kind: ChannelKind::Webhook,
        target: "http://127.0.0.1:9/unused".into(),
        team: team.map(str::to_string),
        kinds: vec![NoticeKind::Rerouted],
        digest: Digest::None,
    };
    env.fixgate.add_channel(channel, "admin").await.unwrap();
}

async fn queue(env: &Env) -> Vec<QueueEntry> {
    let filter = QueueFilter { delivered: true, channel: None, limit: 100 };
    env.fixgate.notification_queue(&filter).await.unwrap()
}

fn flows(rerouted: &Rerouted) -> Vec<(Option<&str>, &str, u64)> {
    rerouted.flows.iter().map(|f| (f.from.as_deref(), f.to.as_str(), f.tickets)).collect()
}

const ADMIN_TO_PAYMENTS: &str = "/app/pay/ @acme/payments\n/app/admin/ @acme/payments\n";

#[tokio::test]
async fn replacing_codeowners_moves_exactly_the_open_tickets_it_gives_another_team() {
    each_backend("reroute_codeowners", |env| async move {
        let shop = shop(&env).await;
        channel(&env, "payments-room", Some("payments")).await;
        channel(&env, "shop-room", Some("shop-team")).await;
        channel(&env, "everyone", None).await;
        let export_before = ticket(&env, &shop.export).await.ticket;
        assert_eq!(export_before.routed_by.as_deref(), Some("set by dana"), "{}", env.backend);

        let set = env.fixgate.set_codeowners(SHOP, ADMIN_TO_PAYMENTS, "lee").await.unwrap();
        assert_eq!(set.rules, 2);
        // Routed again: the shop's open tickets no person gave a team.
        assert_eq!(set.rerouted.considered, 3, "{}: {set:?}", env.backend);
        assert_eq!(set.rerouted.moved, 1);
        assert_eq!(flows(&set.rerouted), [(Some("shop-team"), "payments", 1)]);
        assert!(!set.rerouted.dry_run);

        let users = ticket(&env, &shop.users).await;
        assert_eq!(users.ticket.owner.as_deref(), Some("payments"));
        assert_eq!(users.ticket.routed_by.as_deref(), Some("CODEOWNERS line 2 (/app/admin/)"));
        let events = rerouted_events(&users);
        assert_eq!(events.len(), 1, "{}", env.backend);
        assert_eq!(events[0].actor, "lee");
        assert_eq!(events[0].data["from"], "shop-team");
        assert_eq!(events[0].data["to"], "payments");
        assert_eq!(events[0].data["rule"], "CODEOWNERS line 2 (/app/admin/)");
        assert_eq!(
            events[0].data["cause"],
            json!(format!("the CODEOWNERS file of {SHOP} was replaced"))
        );

        // Left alone: the team did not change, a person chose it, the
        // ticket is closed, or it belongs to another repository.
        let stays = [
            (&shop.pay, "payments"),
            (&shop.views, "shop-team"),
            (&shop.export, "shop-team"),
            (&shop.dismissed, "shop-team"),
            (&shop.other, "shop-team"),
        ];
        for (key, owner) in stays {
            let detail = ticket(&env, key).await;
            assert_eq!(detail.ticket.owner.as_deref(), Some(owner), "{}: {key}", env.backend);
            assert!(rerouted_events(&detail).is_empty(), "{key}");
        }
        assert_eq!(ticket(&env, &shop.export).await.ticket.routed_by, export_before.routed_by);

        // One notice, to the receiving team's channel and the one for all.
        let queued = queue(&env).await;
        let mut channels: Vec<&str> = queued.iter().map(|e| e.channel.as_str()).collect();
        channels.sort_unstable();
        assert_eq!(channels, ["everyone", "payments-room"], "{}: {queued:?}", env.backend);
        for entry in &queued {
            assert_eq!(entry.kind, NoticeKind::Rerouted);
            assert!(
                entry
                    .summary
                    .starts_with(&format!("{} rerouted from shop-team to payments", shop.users)),
                "{}",
                entry.summary
            );
        }

        // The same file again moves nothing.
        let again = env.fixgate.set_codeowners(SHOP, ADMIN_TO_PAYMENTS, "lee").await.unwrap();
        assert_eq!(again.rerouted.moved, 0);
        assert_eq!(queue(&env).await.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_dry_run_says_what_would_move_and_changes_nothing() {
    each_backend("reroute_dry_run", |env| async move {
        let shop = shop(&env).await;
        channel(&env, "everyone", None).await;

        let checked = env.fixgate.check_codeowners(SHOP, ADMIN_TO_PAYMENTS).await.unwrap();
        assert_eq!((checked.rules, checked.rerouted.moved), (2, 1), "{}", env.backend);
        assert!(checked.rerouted.dry_run);
        assert_eq!(flows(&checked.rerouted), [(Some("shop-team"), "payments", 1)]);

        let users = ticket(&env, &shop.users).await;
        assert_eq!(users.ticket.owner.as_deref(), Some("shop-team"), "{}", env.backend);
        assert!(rerouted_events(&users).is_empty());
        let rules = env.fixgate.owners_of(SHOP, "app/admin/users.py").await.unwrap().unwrap();
        assert!(rules.is_empty(), "the stored file is the one before: {rules:?}");
        assert!(queue(&env).await.is_empty());

        let policy = "[[route]]\ncwe = [89]\nteam = \"appsec\"\n";
        let checked = env.fixgate.check_triage_policy(policy).await.unwrap();
        assert!(checked.rerouted.dry_run && checked.rerouted.moved > 0, "{checked:?}");
        assert!(env.fixgate.stored_triage_policy().await.unwrap().is_none());
        assert_eq!(ticket(&env, &shop.pay).await.ticket.owner.as_deref(), Some("payments"));
        assert!(queue(&env).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn loading_a_policy_routes_every_open_ticket_again() {
    each_backend("reroute_policy", |env| async move {
        let shop = shop(&env).await;
        channel(&env, "appsec-room", Some("appsec")).await;
        let policy = "[[route]]\nname = \"injection\"\ncwe = [89]\nteam = \"appsec\"\n";

        let loaded = env.fixgate.load_triage_policy(policy, "lee").await.unwrap();
        // SQL injection in the shop's pay and users files and in the other
        // repository; the one a person gave a team stays.
        assert_eq!(loaded.rerouted.considered, 4, "{}: {loaded:?}", env.backend);
        assert_eq!(
            flows(&loaded.rerouted),
            [(Some("shop-team"), "appsec", 2), (Some("payments"), "appsec", 1)]
        );
        for key in [&shop.pay, &shop.users, &shop.other] {
            let detail = ticket(&env, key).await;
            assert_eq!(detail.ticket.owner.as_deref(), Some("appsec"), "{}: {key}", env.backend);
            assert_eq!(
                detail.ticket.routed_by.as_deref(),
                Some("route rule 1 (injection), line 1")
            );
            let events = rerouted_events(&detail);
            assert_eq!(events.len(), 1);
            assert_eq!(events[0].data["cause"], "a triage policy was loaded");
        }
        for key in [&shop.views, &shop.export] {
            assert_eq!(ticket(&env, key).await.ticket.owner.as_deref(), Some("shop-team"), "{key}");
        }
        assert_eq!(env.fixgate.stored_triage_policy().await.unwrap().unwrap().content, policy);

        // One notice for the team that received three tickets.
        let queued = queue(&env).await;
        assert_eq!(queued.len(), 1, "{}: {queued:?}", env.backend);
        assert_eq!(queued[0].summary, "3 tickets rerouted to appsec: a triage policy was loaded");

        // A policy without the route gives them back to CODEOWNERS and the
        // application's team.
        let back = env.fixgate.load_triage_policy("", "lee").await.unwrap();
        assert_eq!(back.rerouted.moved, 3);
        assert_eq!(ticket(&env, &shop.pay).await.ticket.owner.as_deref(), Some("payments"));
        assert_eq!(ticket(&env, &shop.users).await.ticket.owner.as_deref(), Some("shop-team"));
    })
    .await;
}

#[tokio::test]
async fn a_secrets_route_moves_the_tickets_of_leaked_secrets_only() {
    each_backend("reroute_kinds", |env| async move {
        env.fixgate.add_owner("vulnshop", "shop-team").await.unwrap();
        let ctx = fixgate_domain::ScanContext {
            application: Some("vulnshop".into()),
            repository: Some("https://github.com/fixgate-demo/vulnshop".into()),
            branch: Some("main".into()),
            ..Default::default()
        };
        let read = |name: &str| std::fs::read(examples().join("v1").join(name)).unwrap();
        let secrets = import_bytes(&env, read("detect-secrets.json"), ctx.clone()).await;
        let code = import_bytes(&env, read("bandit.json"), ctx).await;
        assert!(!secrets.opened_tickets.is_empty() && !code.opened_tickets.is_empty());

        // Bandit's hard-coded passwords are leaked secrets too.
        let mut leaked = Vec::new();
        for key in secrets.opened_tickets.iter().chain(&code.opened_tickets) {
            if ticket(&env, key).await.findings[0].finding.secret.is_some() {
                leaked.push(key.clone());
            }
        }
        assert!(leaked.len() > secrets.opened_tickets.len(), "{leaked:?}");
        assert!(leaked.len() < secrets.opened_tickets.len() + code.opened_tickets.len());

        let policy = "[[route]]\nkind = [\"secrets\"]\nteam = \"secops\"\n";
        let loaded = env.fixgate.load_triage_policy(policy, "lee").await.unwrap();
        assert_eq!(loaded.rerouted.moved, leaked.len() as u64, "{}", env.backend);
        for key in secrets.opened_tickets.iter().chain(&code.opened_tickets) {
            let owner = if leaked.contains(key) { "secops" } else { "shop-team" };
            assert_eq!(ticket(&env, key).await.ticket.owner.as_deref(), Some(owner), "{key}");
        }
    })
    .await;
}

#[tokio::test]
async fn tickets_opened_by_hand_are_routed_again_unless_a_person_gave_the_team() {
    each_backend("reroute_by_hand", |env| async move {
        env.fixgate.add_owner("shop", "shop-team").await.unwrap();
        let incident = |owner: Option<&str>| fixgate_service::CreateTicket {
            ticket_type: fixgate_domain::TicketType::Incident,
            title: "Leaked key rotated late".into(),
            description: String::new(),
            severity: fixgate_domain::Severity::High,
            application: Some("shop".into()),
            repository: None,
            path: None,
            owner: owner.map(str::to_string),
            priority: None,
            due_at: None,
        };
        let given = env.fixgate.create_ticket(incident(Some("ops")), "dana").await.unwrap().ticket;
        assert_eq!(given.routed_by.as_deref(), Some("set by dana"), "{}", env.backend);
        let routed = env.fixgate.create_ticket(incident(None), "dana").await.unwrap().ticket;
        assert_eq!(routed.owner.as_deref(), Some("shop-team"), "{}", env.backend);
        // No team owns the kiosk: its ticket opens without one.
        let kiosk =
            fixgate_service::CreateTicket { application: Some("kiosk".into()), ..incident(None) };
        let unowned = env.fixgate.create_ticket(kiosk, "dana").await.unwrap().ticket;
        assert_eq!((unowned.owner.as_deref(), unowned.routed_by.as_deref()), (None, None));

        let policy = "[[route]]\ntype = [\"incident\"]\nteam = \"incident-response\"\n";
        let loaded = env.fixgate.load_triage_policy(policy, "lee").await.unwrap();
        assert_eq!((loaded.rerouted.considered, loaded.rerouted.moved), (2, 2));
        let mut flows = flows(&loaded.rerouted);
        flows.sort_unstable();
        assert_eq!(
            flows,
            [(None, "incident-response", 1), (Some("shop-team"), "incident-response", 1)]
        );
        for key in [&routed.key, &unowned.key] {
            let moved = ticket(&env, key).await;
            assert_eq!(moved.ticket.owner.as_deref(), Some("incident-response"), "{key}");
            assert_eq!(rerouted_events(&moved).len(), 1, "{}: {key}", env.backend);
        }
        assert_eq!(ticket(&env, &given.key).await.ticket.owner.as_deref(), Some("ops"));
    })
    .await;
}

#[tokio::test]
async fn the_migration_marks_the_owners_people_set_before_it() {
    each_backend("reroute_migration", |env| async move {
        let shop = shop(&env).await;
        let request = fixgate_service::CreateTicket {
            ticket_type: fixgate_domain::TicketType::Task,
            title: "Rotate the shop's signing key".into(),
            description: String::new(),
            severity: fixgate_domain::Severity::Medium,
            application: Some("shop".into()),
            repository: None,
            path: None,
            owner: Some("ops".into()),
            priority: None,
            due_at: None,
        };
        let task = env.fixgate.create_ticket(request, "sam").await.unwrap().ticket.key;
        // As a database written before people's owners were marked: the
        // rule that routed each ticket at its import, or nothing.
        env.execute("UPDATE tickets SET routed_by = 'owning team of shop' WHERE path IS NOT NULL")
            .await;
        env.execute("UPDATE tickets SET routed_by = NULL WHERE path IS NULL").await;

        let migration = match env.backend {
            "postgres" => include_str!("../../store/migrations/postgres/0011_routing.sql"),
            _ => include_str!("../../store/migrations/sqlite/0011_routing.sql"),
        };
        let statements = migration
            .split(';')
            .map(|s| s.lines().filter(|l| !l.starts_with("--")).collect::<Vec<_>>().join("\n"))
            .filter(|s| !s.trim().is_empty());
        for statement in statements {
            env.execute(&statement).await;
        }

        let routed_by = |key: String| {
            let env = &env;
            async move { ticket(env, &key).await.ticket.routed_by }
        };
        assert_eq!(routed_by(shop.export).await.as_deref(), Some("set by dana"), "{}", env.backend);
        assert_eq!(routed_by(task).await.as_deref(), Some("set by sam"));
        for key in [shop.users, shop.dismissed, shop.pay] {
            assert_eq!(routed_by(key).await.as_deref(), Some("owning team of shop"));
        }
    })
    .await;
}
