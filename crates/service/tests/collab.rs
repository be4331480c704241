//! Working on tickets together, on every backend: assignment, watchers,
//! labels, links between tickets, and bulk changes, with what each refuses.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::HashMap;

use fixgate_domain::{LinkKind, Role, ScanContext, TicketState};
use fixgate_service::testkit::{
    Env, TEST_PASSWORD, each_backend, import_bytes, principal, sarif, service_token,
};
use fixgate_service::{BulkChange, CreateUser, MoveTicket, ServiceError};
use fixgate_store::{
    AssigneeFilter, LabelsChanged, StateChange, StoreError, TicketChange, TicketDetail,
    TicketFilter, Visibility,
};

const ACTOR: &str = "lead";

fn everything() -> Visibility {
    Visibility::everything()
}

fn all() -> TicketFilter {
    TicketFilter { limit: 1000, page: 1, ..TicketFilter::default() }
}

/// `count` tickets of `application`, each its own rule.
async fn tickets_of(env: &Env, application: &str, count: usize) -> Vec<String> {
    let rules: Vec<String> = (0..count).map(|i| format!("{application}-rule-{i}")).collect();
    let results: Vec<(&str, &str, u32, &str)> = rules
        .iter()
        .enumerate()
        .map(|(i, rule)| (rule.as_str(), "app/main.py", i as u32 + 1, "x"))
        .collect();
    let context = ScanContext {
        application: Some(application.into()),
        repository: Some(format!("https://github.com/acme/{application}")),
        branch: Some("main".into()),
        ..ScanContext::default()
    };
    let mut keys = import_bytes(env, sarif("Semgrep", &results), context).await.opened_tickets;
    keys.sort();
    keys
}

async fn person(env: &Env, name: &str, role: Role, teams: &[&str]) -> Visibility {
    let user = CreateUser {
        name: name.into(),
        role,
        teams: teams.iter().map(|t| t.to_string()).collect(),
        password: Some(TEST_PASSWORD.into()),
    };
    env.fixgate.create_user(user).await.unwrap();
    let id = env.fixgate.store().user(name).await.unwrap().unwrap().id;
    Visibility { member: (!role.spans_all()).then_some(id), application: None }
}

/// Two applications with `per_app` tickets each, owned by two teams, and
/// their people: alice and vera (viewer) in shop-team, bob in bank-team,
/// sam of security. Returns the keys of shop's and bank's tickets, and
/// alice's and bob's visibility.
struct World {
    shop: Vec<String>,
    bank: Vec<String>,
    alice: Visibility,
    bob: Visibility,
}

async fn world(env: &Env, per_app: usize) -> World {
    let shop = tickets_of(env, "shop", per_app).await;
    let bank = tickets_of(env, "bank", per_app).await;
    env.fixgate.add_owner("shop", "shop-team").await.unwrap();
    env.fixgate.add_owner("bank", "bank-team").await.unwrap();
    let alice = person(env, "alice", Role::Developer, &["shop-team"]).await;
    let bob = person(env, "bob", Role::Developer, &["bank-team"]).await;
    person(env, "vera", Role::Viewer, &["shop-team"]).await;
    person(env, "sam", Role::Security, &[]).await;
    World { shop, bank, alice, bob }
}

async fn detail(env: &Env, key: &str) -> TicketDetail {
    env.fixgate.ticket(key).await.unwrap()
}

fn invalid(result: Result<impl std::fmt::Debug, ServiceError>, says: &str) {
    match result {
        Err(ServiceError::Invalid(message)) => assert!(message.contains(says), "{message}"),
        other => panic!("expected a refusal saying {says:?}, got {other:?}"),
    }
}

fn not_found(result: Result<impl std::fmt::Debug, ServiceError>, key: &str) {
    match result {
        Err(err @ ServiceError::Store(StoreError::NotFound(_))) => {
            assert_eq!(err.to_string(), format!("ticket {key} not found"));
        }
        other => panic!("expected {key} not to be found, got {other:?}"),
    }
}

/// How many events of each kind the ticket has.
fn kinds(detail: &TicketDetail) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for event in &detail.events {
        *out.entry(event.kind.clone()).or_default() += 1;
    }
    out
}

#[tokio::test]
async fn a_ticket_is_assigned_to_a_person_who_works_on_it_and_sees_it() {
    each_backend("collab_assign", |env| async move {
        let w = world(&env, 2).await;
        let key = &w.shop[0];
        let assign = |name: Option<&'static str>| {
            let fixgate = env.fixgate.clone();
            let key = key.clone();
            async move { fixgate.assign(&key, name, &everything(), ACTOR).await }
        };

        assert!(assign(Some("alice")).await.unwrap());
        let ticket = detail(&env, key).await;
        assert_eq!(ticket.ticket.assignee.as_deref(), Some("alice"));
        let event = ticket.events.last().unwrap();
        assert_eq!((event.kind.as_str(), event.actor.as_str()), ("assigned", ACTOR));
        assert_eq!(event.data, serde_json::json!({"from": null, "to": "alice"}));
        assert!(!assign(Some("alice")).await.unwrap(), "the same assignee again changes nothing");
        assert_eq!(detail(&env, key).await.events.len(), ticket.events.len());

        invalid(assign(Some("nobody-here")).await, "there is no user named \"nobody-here\"");
        service_token(&env.fixgate, "ci", Role::Scanner, None, &[]).await;
        invalid(assign(Some("ci")).await, "\"ci\" is a service account");
        invalid(assign(Some("vera")).await, "holds the viewer role");
        invalid(assign(Some("bob")).await, &format!("\"bob\" cannot see {key}"));
        person(&env, "dora", Role::Developer, &["shop-team"]).await;
        env.fixgate.set_disabled("dora", true).await.unwrap();
        invalid(assign(Some("dora")).await, "\"dora\" is disabled");
        assert_eq!(detail(&env, key).await.ticket.assignee.as_deref(), Some("alice"));

        // Security reaches every application.
        assert!(assign(Some("sam")).await.unwrap());
        assert!(assign(None).await.unwrap());
        let event = detail(&env, key).await.events.last().unwrap().clone();
        assert_eq!(event.data, serde_json::json!({"from": "sam", "to": null}));

        // A ticket the caller cannot see is not found, as a missing one.
        not_found(env.fixgate.assign(key, Some("alice"), &w.bob, ACTOR).await, key);
        not_found(env.fixgate.assign("SEC-9999", None, &everything(), ACTOR).await, "SEC-9999");

        env.fixgate.assign(&w.shop[1], Some("alice"), &w.alice, "alice").await.unwrap();
        let mine = TicketFilter { assignee: Some(AssigneeFilter::Person("alice".into())), ..all() };
        let listed = env.fixgate.list_tickets(&mine).await.unwrap();
        assert_eq!(listed.items.iter().map(|t| &t.key).collect::<Vec<_>>(), [&w.shop[1]]);
        let nobody = TicketFilter { assignee: Some(AssigneeFilter::Nobody), ..all() };
        assert_eq!(env.fixgate.list_tickets(&nobody).await.unwrap().total, 3);
        let choices = env.fixgate.store().filter_values(&w.bob).await.unwrap();
        assert!(choices.assignees.is_empty(), "bob sees no assigned ticket: {choices:?}");
        let choices = env.fixgate.store().filter_values(&w.alice).await.unwrap();
        assert_eq!(choices.assignees, ["alice"]);
    })
    .await;
}

#[tokio::test]
async fn people_watch_the_tickets_they_see() {
    each_backend("collab_watch", |env| async move {
        let w = world(&env, 2).await;
        let key = &w.shop[0];
        assert!(env.fixgate.watch(key, "vera", &w.alice, "alice").await.unwrap());
        assert!(env.fixgate.watch(key, "alice", &w.alice, "alice").await.unwrap());
        assert!(!env.fixgate.watch(key, "alice", &w.alice, "alice").await.unwrap());
        assert_eq!(detail(&env, key).await.watchers, ["alice", "vera"]);

        invalid(env.fixgate.watch(key, "bob", &everything(), ACTOR).await, "cannot see");
        service_token(&env.fixgate, "bot", Role::Viewer, None, &["shop-team"]).await;
        invalid(env.fixgate.watch(key, "bot", &everything(), ACTOR).await, "service account");
        invalid(env.fixgate.watch(key, "ghost", &everything(), ACTOR).await, "no user named");
        not_found(env.fixgate.watch(key, "bob", &w.bob, "bob").await, key);

        assert!(env.fixgate.unwatch(key, "vera", &w.alice, "alice").await.unwrap());
        assert!(!env.fixgate.unwatch(key, "vera", &w.alice, "alice").await.unwrap());
        let ticket = detail(&env, key).await;
        assert_eq!(ticket.watchers, ["alice"]);
        let watched = kinds(&ticket);
        assert_eq!((watched["watcher_added"], watched["watcher_removed"]), (2, 1));

        // What notifications will read: every ticket's watchers in one call.
        env.fixgate.watch(&w.shop[1], "sam", &everything(), ACTOR).await.unwrap();
        env.fixgate.set_disabled("sam", true).await.unwrap();
        let ids = [detail(&env, key).await.ticket.id, detail(&env, &w.shop[1]).await.ticket.id];
        let watchers = env.fixgate.store().watchers_of(&ids).await.unwrap();
        let seen: Vec<(i64, &str, bool)> =
            watchers.iter().map(|w| (w.ticket_id, w.name.as_str(), w.disabled)).collect();
        assert_eq!(seen, [(ids[0], "alice", false), (ids[1], "sam", true)]);
    })
    .await;
}

#[tokio::test]
async fn labels_are_checked_and_kept_lower_case_once_per_ticket() {
    each_backend("collab_labels", |env| async move {
        let w = world(&env, 2).await;
        let key = &w.shop[0];
        let change = |add: &[&str], remove: &[&str]| {
            let (fixgate, key) = (env.fixgate.clone(), key.clone());
            let add: Vec<String> = add.iter().map(|s| s.to_string()).collect();
            let remove: Vec<String> = remove.iter().map(|s| s.to_string()).collect();
            async move { fixgate.change_labels(&key, &add, &remove, &everything(), ACTOR).await }
        };

        let changed = change(&["PCI", " Needs Review ", "pci"], &[]).await.unwrap();
        assert_eq!(changed.added, ["needs review", "pci"]);
        assert!(change(&["Pci"], &["absent"]).await.unwrap().is_empty(), "nothing to do");
        let changed = change(&["ui"], &["PCI"]).await.unwrap();
        assert_eq!(
            changed,
            LabelsChanged { added: vec!["ui".into()], removed: vec!["pci".into()] }
        );
        let ticket = detail(&env, key).await;
        assert_eq!(ticket.ticket.labels, ["needs review", "ui"]);
        assert_eq!(kinds(&ticket)["labels_changed"], 2);
        assert_eq!(
            ticket.events.last().unwrap().data,
            serde_json::json!({"added": ["ui"], "removed": ["pci"]})
        );

        invalid(change(&["a,b"], &[]).await, "contains a comma");
        invalid(change(&[&"x".repeat(65)], &[]).await, "at most 64");
        invalid(change(&["  "], &[]).await, "cannot be empty");
        invalid(change(&["tab\there"], &[]).await, "control character");
        invalid(change(&["ui"], &["UI"]).await, "both added and removed");
        invalid(change(&[], &[]).await, "give labels");
        let many: Vec<String> = (0..99).map(|i| format!("l{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        invalid(change(&many, &[]).await, "would have 101 labels");
        not_found(env.fixgate.change_labels(key, &["x".into()], &[], &w.bob, "bob").await, key);

        let tagged = TicketFilter { labels: vec!["ui".into(), "other".into()], ..all() };
        let listed = env.fixgate.list_tickets(&tagged).await.unwrap();
        assert_eq!(listed.items.iter().map(|t| &t.key).collect::<Vec<_>>(), [key]);
        assert_eq!(listed.items[0].labels, ["needs review", "ui"]);
        let choices = env.fixgate.store().filter_values(&w.alice).await.unwrap();
        assert_eq!(choices.labels, ["needs review", "ui"]);
        let choices = env.fixgate.store().filter_values(&w.bob).await.unwrap();
        assert!(choices.labels.is_empty(), "{choices:?}");
    })
    .await;
}

#[tokio::test]
async fn links_show_on_both_tickets_and_are_refused_when_they_make_no_sense() {
    each_backend("collab_links", |env| async move {
        let w = world(&env, 3).await;
        let (one, two, three) = (&w.shop[0], &w.shop[1], &w.shop[2]);
        let link = |key: &String, kind, target: &String, visibility: Visibility| {
            let (fixgate, key, target) = (env.fixgate.clone(), key.clone(), target.clone());
            async move { fixgate.link(&key, kind, &target, &visibility, "alice").await }
        };

        link(one, LinkKind::Blocks, two, w.alice.clone()).await.unwrap();
        let first = detail(&env, one).await;
        let second = detail(&env, two).await;
        assert_eq!(first.links.len(), 1);
        assert_eq!(
            (first.links[0].kind, first.links[0].key.as_str()),
            (LinkKind::Blocks, two.as_str())
        );
        assert_eq!(
            (second.links[0].kind, second.links[0].key.as_str()),
            (LinkKind::BlockedBy, one.as_str())
        );
        assert_eq!(second.links[0].title, first.ticket.title);
        for (ticket, kind, other) in [(&first, "blocks", two), (&second, "blocked_by", one)] {
            let event = ticket.events.last().unwrap();
            assert_eq!(event.kind, "link_added");
            assert_eq!(event.data, serde_json::json!({"kind": kind, "key": other}));
        }

        let conflict = |result: Result<(), ServiceError>, says: &str| match result {
            Err(ServiceError::Store(StoreError::Conflict(message))) => {
                assert!(message.contains(says), "{message}")
            }
            other => panic!("expected a conflict saying {says:?}, got {other:?}"),
        };
        conflict(
            link(one, LinkKind::Blocks, two, w.alice.clone()).await,
            &format!("{one} blocks {two} already"),
        );
        conflict(
            link(two, LinkKind::BlockedBy, one, w.alice.clone()).await,
            &format!("{two} is blocked by {one} already"),
        );
        conflict(
            link(two, LinkKind::Blocks, one, w.alice.clone()).await,
            "cannot block each other",
        );
        invalid(
            link(one, LinkKind::RelatesTo, &one.to_lowercase(), w.alice.clone()).await,
            "cannot be linked to itself",
        );
        // A ticket the caller cannot see is not found, whichever end it is.
        not_found(link(one, LinkKind::RelatesTo, &w.bank[0], w.alice.clone()).await, &w.bank[0]);
        not_found(link(&w.bank[0], LinkKind::RelatesTo, one, w.alice.clone()).await, &w.bank[0]);
        link(three, LinkKind::RelatesTo, one, w.alice.clone()).await.unwrap();
        conflict(link(one, LinkKind::RelatesTo, three, w.alice.clone()).await, "relates to");

        // Removed from the other side, by the other side's name for it.
        let removed = env.fixgate.unlink(two, LinkKind::BlockedBy, one, &w.alice, "alice").await;
        assert!(removed.unwrap());
        let again = env.fixgate.unlink(two, LinkKind::BlockedBy, one, &w.alice, "alice").await;
        assert!(!again.unwrap());
        assert!(env.fixgate.unlink(one, LinkKind::RelatesTo, three, &w.alice, "a").await.unwrap());
        for (key, removals) in [(one, 2), (two, 1), (three, 1)] {
            let ticket = detail(&env, key).await;
            assert!(ticket.links.is_empty(), "{key}: {:?}", ticket.links);
            assert_eq!(kinds(&ticket)["link_removed"], removals, "{key}");
        }

        // A move to duplicate records the link, told on the kept ticket.
        let duplicate = MoveTicket {
            duplicate_of: Some(one.to_lowercase()),
            ..MoveTicket::to(TicketState::Duplicate)
        };
        env.fixgate.move_ticket(two, duplicate, &principal("sam", Role::Security)).await.unwrap();
        let kept = detail(&env, one).await;
        assert_eq!(
            (kept.links[0].kind, kept.links[0].key.as_str()),
            (LinkKind::DuplicatedBy, two.as_str())
        );
        assert_eq!(kept.links[0].state, TicketState::Duplicate);
        assert_eq!(kept.events.last().unwrap().kind, "link_added");
        assert_eq!(detail(&env, two).await.links[0].kind, LinkKind::DuplicateOf);
    })
    .await;
}

/// Every ticket of `keys` with its state and event counts.
async fn snapshot(env: &Env, keys: &[String]) -> Vec<(TicketState, usize)> {
    let mut out = Vec::new();
    for key in keys {
        let ticket = detail(env, key).await;
        out.push((ticket.ticket.state, ticket.events.len()));
    }
    out
}

#[tokio::test]
async fn a_bulk_change_goes_through_the_checks_of_one_ticket_at_a_time() {
    each_backend("collab_bulk", |env| async move {
        let w = world(&env, 15).await;
        let everyone = [w.shop.clone(), w.bank.clone()].concat();
        let before = snapshot(&env, &everyone).await;

        // A developer's bulk change reaches their team's tickets only.
        let filter = TicketFilter { visibility: w.alice.clone(), ..all() };
        let change = BulkChange {
            assignee: Some(Some("alice".into())),
            add_labels: vec!["Sprint-1".into()],
            ..BulkChange::default()
        };
        let dry = env
            .fixgate
            .bulk_change(&filter, &change, true, &principal("alice", Role::Security))
            .await
            .unwrap();
        assert_eq!((dry.matched, dry.changed, dry.skipped.len(), dry.dry_run), (15, 15, 0, true));
        assert_eq!(snapshot(&env, &everyone).await, before, "a dry run changes nothing");

        let done = env
            .fixgate
            .bulk_change(&filter, &change, false, &principal("alice", Role::Security))
            .await
            .unwrap();
        assert_eq!((done.matched, done.changed, done.capped), (15, 15, false));
        for key in &w.shop {
            let ticket = detail(&env, key).await;
            assert_eq!(ticket.ticket.assignee.as_deref(), Some("alice"), "{key}");
            assert_eq!(ticket.ticket.labels, ["sprint-1"], "{key}");
            let counted = kinds(&ticket);
            assert_eq!((counted["assigned"], counted["labels_changed"]), (1, 1), "{key}");
        }
        for key in &w.bank {
            let ticket = detail(&env, key).await;
            assert!(ticket.ticket.assignee.is_none() && ticket.ticket.labels.is_empty(), "{key}");
        }

        // The same again changes nothing, and says so for each ticket.
        let again = env
            .fixgate
            .bulk_change(&filter, &change, false, &principal("alice", Role::Security))
            .await
            .unwrap();
        assert_eq!(again.changed, 0);
        assert!(again.skipped.iter().all(|s| s.reason.contains("already as asked")), "{again:?}");

        // Five shop tickets are in progress; only they may move to fixed.
        for key in &w.shop[..5] {
            let start = MoveTicket::to(TicketState::InProgress);
            env.fixgate.move_ticket(key, start, &principal("alice", Role::Security)).await.unwrap();
        }
        let before = snapshot(&env, &w.shop).await;
        let fix = BulkChange {
            state: Some("fixed".into()),
            add_labels: vec!["fixed-in-1.4".into()],
            comment: Some("fixed by the 1.4 upgrade".into()),
            ..BulkChange::default()
        };
        let only_shop = TicketFilter { application: Some("shop".into()), ..all() };
        let done = env
            .fixgate
            .bulk_change(&only_shop, &fix, false, &principal("alice", Role::Security))
            .await
            .unwrap();
        assert_eq!((done.matched, done.changed, done.skipped.len()), (15, 5, 10), "{done:?}");
        let skipped: Vec<&String> = done.skipped.iter().map(|s| &s.key).collect();
        for key in &w.shop[5..] {
            assert!(skipped.contains(&key), "{key} was not skipped: {done:?}");
        }
        assert!(done.skipped.iter().all(|s| s.reason.contains("cannot move from new to fixed")));
        let after = snapshot(&env, &w.shop).await;
        for (i, key) in w.shop.iter().enumerate() {
            let ticket = detail(&env, key).await;
            if i < 5 {
                assert_eq!(after[i].0, TicketState::Fixed, "{key}");
                // One event per part of the change: the move, the label, the comment.
                assert_eq!(after[i].1, before[i].1 + 3, "{key}");
                let last: Vec<&str> =
                    ticket.events.iter().rev().take(3).map(|e| e.kind.as_str()).collect();
                assert_eq!(last, ["comment", "labels_changed", "state_changed"], "{key}");
            } else {
                assert_eq!(after[i], before[i], "{key} was refused, and left as it was");
                assert!(!ticket.ticket.labels.contains(&"fixed-in-1.4".to_string()), "{key}");
            }
        }

        // Assigning bank's tickets to someone who cannot see them skips each.
        let bank = TicketFilter { application: Some("bank".into()), ..all() };
        let to_alice = BulkChange { assignee: Some(Some("alice".into())), ..BulkChange::default() };
        let done = env
            .fixgate
            .bulk_change(&bank, &to_alice, false, &principal("sam", Role::Security))
            .await
            .unwrap();
        assert_eq!((done.changed, done.skipped.len()), (0, 15));
        assert!(done.skipped[0].reason.contains("\"alice\" cannot see"), "{done:?}");
    })
    .await;
}

#[tokio::test]
async fn a_bulk_change_refuses_what_no_ticket_could_take() {
    each_backend("collab_bulk_refusals", |env| async move {
        let w = world(&env, 2).await;
        let filter = all();
        let refused = |change: BulkChange, says: &'static str| {
            let (fixgate, filter) = (env.fixgate.clone(), filter.clone());
            async move {
                invalid(
                    fixgate
                        .bulk_change(&filter, &change, false, &principal(ACTOR, Role::Security))
                        .await,
                    says,
                )
            }
        };
        refused(BulkChange::default(), "changes nothing").await;
        refused(BulkChange { reason: Some("x".into()), ..BulkChange::default() }, "give state too")
            .await;
        refused(
            BulkChange { assignee: Some(Some("ghost".into())), ..BulkChange::default() },
            "no user named",
        )
        .await;
        refused(BulkChange { add_labels: vec!["a,b".into()], ..BulkChange::default() }, "comma")
            .await;
        refused(BulkChange { comment: Some(" ".into()), ..BulkChange::default() }, "needs text")
            .await;
        // The ticket kept must exist and be one the caller sees.
        let duplicate = |of: &str| BulkChange {
            state: Some("duplicate".into()),
            duplicate_of: Some(of.into()),
            ..BulkChange::default()
        };
        refused(duplicate("SEC-9999"), "duplicate_of: there is no ticket SEC-9999").await;
        let hidden = TicketFilter { visibility: w.alice.clone(), ..all() };
        let result = env
            .fixgate
            .bulk_change(&hidden, &duplicate(&w.bank[0]), true, &principal(ACTOR, Role::Security))
            .await;
        invalid(result, &format!("there is no ticket {}", w.bank[0]));
        // The kept ticket itself is among those matched: it alone is skipped.
        let done = env
            .fixgate
            .bulk_change(&hidden, &duplicate(&w.shop[0]), false, &principal(ACTOR, Role::Security))
            .await;
        let done = done.unwrap();
        assert_eq!((done.changed, done.skipped.len()), (1, 1));
        assert!(done.skipped[0].reason.contains("cannot duplicate itself"), "{done:?}");
    })
    .await;
}

#[tokio::test]
async fn a_ticket_moved_meanwhile_is_left_whole_by_a_bulk_change() {
    each_backend("collab_bulk_conflict", |env| async move {
        let w = world(&env, 3).await;
        let (stale, fresh, broken) = (&w.shop[0], &w.shop[1], &w.shop[2]);
        // The plan saw both new; one moved before the change was written.
        env.fixgate
            .move_ticket(
                stale,
                MoveTicket::to(TicketState::InProgress),
                &principal("bob", Role::Security),
            )
            .await
            .unwrap();
        let change = |key: &String| TicketChange {
            key: key.clone(),
            state: Some(StateChange {
                from: TicketState::New,
                to: TicketState::Triaged,
                from_status: None,
                status: None,
                reason: None,
                owner: Some("payments".into()),
                due_at: Some("2027-01-01T00:00:00Z".parse().unwrap()),
                approver: None,
                expires_at: None,
                duplicate_of: None,
            }),
            assignee: Some(Some("alice".into())),
            labels: LabelsChanged { added: vec!["late".into()], removed: Vec::new() },
            comment: Some("triaged in bulk".into()),
        };
        let now = "2026-12-01T10:00:00Z".parse().unwrap();
        let store = env.fixgate.store();
        // Its assignee is no user: the store refuses it after the move was
        // written, and the move goes with the rest.
        let unknown = TicketChange { assignee: Some(Some("ghost".into())), ..change(broken) };
        let changes = [change(stale), change(fresh), unknown];
        let refused = store.apply_changes(&changes, ACTOR, now).await.unwrap();
        assert_eq!(refused.len(), 2, "{refused:?}");
        assert_eq!((&refused[0].0, &refused[1].0), (stale, broken));
        assert!(refused[0].1.contains("no longer in state new"), "{refused:?}");
        let untouched = detail(&env, broken).await;
        assert_eq!(untouched.ticket.state, TicketState::New);
        assert!(untouched.ticket.labels.is_empty());
        assert_eq!(untouched.events.len(), 1, "only its opening: {:?}", untouched.events);

        let left = detail(&env, stale).await;
        assert_eq!(left.ticket.state, TicketState::InProgress);
        assert!(left.ticket.assignee.is_none() && left.ticket.labels.is_empty());
        assert_eq!(left.events.last().unwrap().actor, "bob", "nothing of the change was kept");
        let moved = detail(&env, fresh).await;
        assert_eq!(moved.ticket.state, TicketState::Triaged);
        assert_eq!(moved.ticket.assignee.as_deref(), Some("alice"));
        assert_eq!(moved.ticket.labels, ["late"]);
    })
    .await;
}

#[tokio::test]
async fn a_bulk_change_considers_at_most_ten_thousand_tickets_and_says_so() {
    each_backend("collab_bulk_cap", |env| async move {
        let keys = tickets_of(&env, "big", fixgate_service::BULK_LIMIT + 1).await;
        assert_eq!(keys.len(), fixgate_service::BULK_LIMIT + 1);
        let change = BulkChange { add_labels: vec!["sweep".into()], ..BulkChange::default() };
        let done = env
            .fixgate
            .bulk_change(&all(), &change, true, &principal(ACTOR, Role::Security))
            .await
            .unwrap();
        assert_eq!(done.matched, 10_001);
        assert_eq!((done.changed, done.limit, done.capped), (10_000, 10_000, true));
        assert!(done.skipped.is_empty());
    })
    .await;
}
