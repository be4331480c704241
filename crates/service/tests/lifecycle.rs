//! The life of security tickets across scans, on every backend: what a
//! re-scan opens and verifies, how a developer's "fixed" is proven or
//! refuted, reopening, partial scans, branches, empty reports, the same
//! advisory from two tools, grouping by upgrade and by rule, decisions and
//! overrides. Each scenario asserts the exact counts, states and events.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use fixgate_service::testkit as common;

use common::{Env, context, each_backend, import_bytes, principal, sarif};
use fixgate_domain::{Role, ScanContext, TicketState};
use fixgate_service::{ImportReport, ImportRequest, MoveTicket, ServiceError};
use fixgate_store::{TicketDetail, TicketFilter};
use jiff::SignedDuration;
use serde_json::{Value, json};

type Hit = (&'static str, &'static str, u32, &'static str);

const A: Hit = ("py/sql-injection", "app/db.py", 10, "cursor.execute(q % name)");
const B: Hit = ("py/sql-injection", "app/db.py", 20, "cursor.execute(q % other)");
const C: Hit = ("py/xss", "app/views.py", 5, "return Markup(user)");
const NEW: Hit = ("py/xss", "app/new.py", 7, "render(raw)");

fn all() -> TicketFilter {
    TicketFilter { limit: 1000, page: 1, ..TicketFilter::default() }
}

async fn ticket_count(env: &Env) -> u64 {
    env.fixgate.list_tickets(&all()).await.unwrap().total
}

async fn ticket(env: &Env, key: &str) -> TicketDetail {
    env.fixgate.ticket(key).await.unwrap()
}

async fn state(env: &Env, key: &str) -> TicketState {
    ticket(env, key).await.ticket.state
}

fn kinds(detail: &TicketDetail) -> Vec<&str> {
    detail.events.iter().map(|e| e.kind.as_str()).collect()
}

/// The keys of the tickets in `state`, in key order.
async fn keys_in(env: &Env, state: TicketState) -> Vec<String> {
    let filter = TicketFilter { states: vec![state], ..all() };
    let mut keys: Vec<String> =
        env.fixgate.list_tickets(&filter).await.unwrap().items.into_iter().map(|t| t.key).collect();
    keys.sort_by_key(|k| k.trim_start_matches("SEC-").parse::<u32>().unwrap_or(0));
    keys
}

fn on(branch: &str) -> ScanContext {
    ScanContext { branch: Some(branch.into()), ..context("shop") }
}

fn at_commit(commit: &str) -> ScanContext {
    ScanContext { commit: Some(commit.into()), uploader: Some("ci-bot".into()), ..context("shop") }
}

async fn import_with(env: &Env, bytes: Vec<u8>, request: ImportRequest) -> ImportReport {
    env.fixgate.import(std::io::Cursor::new(bytes), request).await.unwrap()
}

async fn import_partial(env: &Env, bytes: Vec<u8>) -> ImportReport {
    let request = ImportRequest { context: context("shop"), partial: true, ..Default::default() };
    import_with(env, bytes, request).await
}

/// Triage (owner and due date), then the developer says it is fixed.
async fn triage_and_fix(env: &Env, key: &str) {
    let triage = MoveTicket {
        owner: Some("carol".into()),
        due_at: Some("2026-12-31T00:00:00Z".parse().unwrap()),
        ..MoveTicket::to(TicketState::Triaged)
    };
    env.fixgate.move_ticket(key, triage, &principal("bob", Role::Security)).await.unwrap();
    let fixed = env
        .fixgate
        .move_ticket(key, MoveTicket::to(TicketState::Fixed), &principal("carol", Role::Security))
        .await
        .unwrap();
    assert_eq!(fixed.ticket.state, TicketState::Fixed);
}

/// A report in fixgate's own JSON format.
fn generic(tool: &str, findings: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({"fixgate": 1, "tool": {"name": tool}, "findings": findings}))
        .unwrap()
}

/// An advisory on lodash 4.17.15 in `manifest`.
fn lodash(cve: &str, fixed: &str, severity: &str, manifest: &str) -> Value {
    json!({
        "rule": cve,
        "title": format!("{cve} in lodash"),
        "severity": severity,
        "advisories": [cve],
        "location": manifest,
        "package": {"name": "lodash", "version": "4.17.15", "purl": "pkg:npm/lodash@4.17.15",
                    "ecosystem": "npm", "fixed_version": fixed}
    })
}

fn lodash_advisories() -> Vec<Value> {
    vec![
        lodash("CVE-2019-10744", "4.17.12", "critical", "package-lock.json"),
        lodash("CVE-2020-8203", "4.17.19", "high", "package-lock.json"),
        lodash("CVE-2021-23337", "4.17.21", "high", "package-lock.json"),
    ]
}

/// A code finding in fixgate's own JSON format.
fn code(rule: &str, file: &str, line: u32, snippet: &str) -> Value {
    json!({"rule": rule, "title": "Weak hash", "severity": "medium", "cwe": [328],
           "file": file, "line": line, "snippet": snippet})
}

// 1. A re-scan where the code moved down three lines, one finding was fixed
// and one is new.

#[tokio::test]
async fn a_shifted_rescan_opens_the_new_verifies_the_fixed_and_leaves_the_moved_alone() {
    each_backend("shifted_rescan", |env| async move {
        let first = import_bytes(&env, sarif("CodeQL", &[A, B, C]), context("shop")).await;
        assert_eq!(first.opened_tickets, ["SEC-1", "SEC-2", "SEC-3"], "{}", env.backend);
        env.clock.advance(SignedDuration::from_hours(24));

        // B is fixed; A and C moved down three lines; NEW appeared.
        let shifted: Vec<Hit> =
            [A, C].iter().map(|(r, p, l, s)| (*r, *p, l + 3, *s)).chain([NEW]).collect();
        let again = import_bytes(&env, sarif("CodeQL", &shifted), context("shop")).await;
        let c = &again.counts;
        assert_eq!(again.opened_tickets, ["SEC-4"], "{}", env.backend);
        assert_eq!(
            (c.opened, c.seen_again, c.no_longer_seen, c.verified, c.reopened),
            (1, 2, 1, 1, 0),
            "{}: {c:?}",
            env.backend
        );
        assert_eq!((c.matched_by_content, c.matched_by_location, c.grouped), (0, 0, 0));
        assert_eq!(keys_in(&env, TicketState::Verified).await, ["SEC-2"]);
        assert_eq!(keys_in(&env, TicketState::New).await, ["SEC-1", "SEC-3", "SEC-4"]);
        assert_eq!(ticket_count(&env).await, 4);

        // The moved ones follow the code without a new line in their history.
        for (key, line) in [("SEC-1", 13), ("SEC-3", 8)] {
            let moved = ticket(&env, key).await;
            assert_eq!(kinds(&moved), ["opened"], "{key}");
            let finding = &moved.findings[0];
            assert_eq!(finding.finding.location.as_ref().unwrap().start_line, Some(line));
            assert_eq!(finding.sightings[0].times_seen, 2, "{key}");
            assert!(moved.ticket.present);
        }
        let fixed = ticket(&env, "SEC-2").await;
        assert_eq!(kinds(&fixed), ["opened", "verified"]);
        assert_eq!(fixed.events[1].data["scan_id"], again.scan_id);
        assert!(!fixed.ticket.present);
    })
    .await;
}

// 2. A developer marks a ticket fixed; scans prove or refute it.

#[tokio::test]
async fn a_fix_is_refuted_by_a_scan_that_still_sees_it_and_proven_by_one_that_does_not() {
    each_backend("fix_and_rescan", |env| async move {
        import_bytes(&env, sarif("CodeQL", &[A, B]), context("shop")).await;
        triage_and_fix(&env, "SEC-1").await;

        // A feature branch still having the problem says nothing about main.
        let feature = import_bytes(&env, sarif("CodeQL", &[A]), on("feature/x")).await;
        assert!(!feature.tracked);
        assert_eq!(feature.counts.verification_failed, 0);
        assert_eq!(state(&env, "SEC-1").await, TicketState::Fixed, "{}", env.backend);

        // main still sees it: back to work. B is gone, so B is verified.
        let refuted = import_bytes(&env, sarif("CodeQL", &[A]), at_commit(&"2".repeat(40))).await;
        let c = &refuted.counts;
        assert_eq!(
            (c.verification_failed, c.verified, c.reopened, c.opened),
            (1, 1, 0, 0),
            "{}: {c:?}",
            env.backend
        );
        let detail = ticket(&env, "SEC-1").await;
        assert_eq!(detail.ticket.state, TicketState::InProgress);
        let failed = detail.events.last().unwrap();
        assert_eq!(failed.kind, "verification_failed");
        assert_eq!(failed.actor, "ci-bot");
        assert_eq!(failed.data["scan_id"], refuted.scan_id);
        assert_eq!(failed.data["commit"], "2".repeat(40));
        assert_eq!(failed.data["branch"], "main");
        assert_eq!(state(&env, "SEC-2").await, TicketState::Verified);

        // Fixed again, for real this time: a scan without it is the proof.
        env.clock.advance(SignedDuration::from_hours(2));
        env.fixgate
            .move_ticket(
                "SEC-1",
                MoveTicket::to(TicketState::Fixed),
                &principal("carol", Role::Security),
            )
            .await
            .unwrap();
        let proof = import_bytes(&env, sarif("CodeQL", &[C]), at_commit(&"3".repeat(40))).await;
        let c = &proof.counts;
        assert_eq!(
            (c.verified, c.verification_failed, c.opened, c.no_longer_seen),
            (1, 0, 1, 1),
            "{}: {c:?}",
            env.backend
        );
        let detail = ticket(&env, "SEC-1").await;
        assert_eq!(detail.ticket.state, TicketState::Verified);
        assert!(!detail.ticket.present);
        let verified = detail.events.last().unwrap();
        assert_eq!(verified.kind, "verified");
        assert_eq!(verified.actor, "ci-bot");
        assert_eq!(verified.data["scan_id"], proof.scan_id);
        assert_eq!(verified.data["commit"], "3".repeat(40));
        assert_eq!(verified.data["branch"], "main");
        assert_eq!(verified.data["from"], "fixed");
        assert_eq!(
            kinds(&detail),
            [
                "opened",
                "state_changed",
                "assigned",
                "due_date_set",
                "state_changed",
                "verification_failed",
                "state_changed",
                "verified"
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn the_same_report_at_a_later_commit_still_refutes_a_fix() {
    each_backend("same_report_later_commit", |env| async move {
        import_bytes(&env, sarif("CodeQL", &[A, B]), context("shop")).await;
        triage_and_fix(&env, "SEC-1").await;
        env.clock.advance(SignedDuration::from_hours(24));

        // The next night's scan of a new commit writes the very same report:
        // the "fix" changed nothing. It is a new scan, not a re-upload.
        let nightly =
            import_bytes(&env, sarif("CodeQL", &[A, B]), at_commit(&"2".repeat(40))).await;
        assert!(!nightly.duplicate, "{}: a scan of another commit is a new scan", env.backend);
        assert_eq!(nightly.counts.verification_failed, 1);
        assert_eq!(state(&env, "SEC-1").await, TicketState::InProgress);
        let sighting = &ticket(&env, "SEC-2").await.findings[0].sightings[0];
        assert_eq!(sighting.times_seen, 2);
    })
    .await;
}

// 3. A verified ticket whose finding comes back.

#[tokio::test]
async fn a_verified_ticket_whose_finding_comes_back_reopens() {
    each_backend("reopen", |env| async move {
        import_bytes(&env, sarif("CodeQL", &[A, B]), context("shop")).await;
        let gone = import_bytes(&env, sarif("CodeQL", &[B]), context("shop")).await;
        assert_eq!(gone.counts.verified, 1, "{}", env.backend);
        assert_eq!(state(&env, "SEC-1").await, TicketState::Verified);

        let back = import_bytes(&env, sarif("CodeQL", &[A, B]), context("shop")).await;
        let c = &back.counts;
        assert!(!back.duplicate);
        assert_eq!(
            (c.opened, c.reopened, c.reappeared, c.seen_again, c.verified),
            (0, 1, 1, 1, 0),
            "{}: {c:?}",
            env.backend
        );
        let detail = ticket(&env, "SEC-1").await;
        assert_eq!(detail.ticket.state, TicketState::Reopened);
        assert!(detail.ticket.present);
        assert_eq!(kinds(&detail), ["opened", "verified", "reopened"]);
        let reopened = detail.events.last().unwrap();
        assert_eq!(reopened.data["from"], "verified");
        assert_eq!(reopened.data["scan_id"], back.scan_id);
        assert_eq!(ticket_count(&env).await, 2);

        // Each return counts again: the reopen rate reads these events.
        import_bytes(&env, sarif("CodeQL", &[B]), context("shop")).await;
        let again = import_bytes(&env, sarif("CodeQL", &[A, B]), context("shop")).await;
        assert_eq!(again.counts.reopened, 1);
        let detail = ticket(&env, "SEC-1").await;
        assert_eq!(kinds(&detail), ["opened", "verified", "reopened", "verified", "reopened"]);
        assert_eq!(detail.events[3].data["from"], "reopened");
        assert_eq!(detail.reopen_count, 2);
        // The closing scan is the evidence while the ticket is closed.
        import_bytes(&env, sarif("CodeQL", &[B]), context("shop")).await;
        let closed = ticket(&env, "SEC-1").await;
        assert_eq!(
            closed.closed_by_scan_id,
            Some(closed.events.last().unwrap().data["scan_id"].as_i64().unwrap())
        );
    })
    .await;
}

// 4. Partial scans prove nothing absent.

#[tokio::test]
async fn a_partial_scan_closes_nothing_and_a_later_complete_one_does() {
    each_backend("partial", |env| async move {
        import_bytes(&env, sarif("CodeQL", &[A, B, C]), context("shop")).await;

        let partial = import_partial(&env, sarif("CodeQL", &[A])).await;
        let c = &partial.counts;
        assert!(partial.partial && partial.tracked);
        assert_eq!(
            (c.seen_again, c.no_longer_seen, c.verified, c.opened),
            (1, 0, 0, 0),
            "{}: {c:?}",
            env.backend
        );
        assert_eq!(keys_in(&env, TicketState::New).await, ["SEC-1", "SEC-2", "SEC-3"]);
        for key in ["SEC-2", "SEC-3"] {
            let detail = ticket(&env, key).await;
            assert!(detail.ticket.present, "{key}");
            assert!(detail.findings[0].sightings[0].present, "{key}");
            assert_eq!(kinds(&detail), ["opened"], "{key}");
        }

        // Another partial scan that sees none of them still proves nothing.
        let nothing = import_partial(&env, sarif("CodeQL", &[NEW])).await;
        assert_eq!((nothing.counts.verified, nothing.counts.opened), (0, 1));

        let complete = import_bytes(&env, sarif("CodeQL", &[A, NEW]), context("shop")).await;
        let c = &complete.counts;
        assert_eq!(
            (c.seen_again, c.no_longer_seen, c.verified, c.opened),
            (2, 2, 2, 0),
            "{}: {c:?}",
            env.backend
        );
        assert_eq!(keys_in(&env, TicketState::Verified).await, ["SEC-2", "SEC-3"]);
    })
    .await;
}

// 5. Branches: a feature branch opens and closes nothing; tracked branches
// share tickets.

#[tokio::test]
async fn a_feature_branch_opens_and_closes_nothing() {
    each_backend("feature_branch", |env| async move {
        import_bytes(&env, sarif("CodeQL", &[A, B, C]), context("shop")).await;

        let feature = import_bytes(&env, sarif("CodeQL", &[A, NEW]), on("feature/x")).await;
        let c = &feature.counts;
        assert!(!feature.tracked);
        assert!(feature.opened_tickets.is_empty());
        assert_eq!(
            (c.opened, c.verified, c.no_longer_seen, c.verification_failed),
            (0, 0, 0, 0),
            "{}: {c:?}",
            env.backend
        );
        assert_eq!(ticket_count(&env).await, 3);
        assert_eq!(keys_in(&env, TicketState::New).await, ["SEC-1", "SEC-2", "SEC-3"]);
        assert!(ticket(&env, "SEC-2").await.ticket.present);

        // The feature branch is merged: main sees NEW and opens one ticket.
        let merged = import_bytes(&env, sarif("CodeQL", &[A, B, C, NEW]), on("main")).await;
        assert_eq!(merged.opened_tickets, ["SEC-4"], "{}", env.backend);
        assert_eq!((merged.counts.opened, merged.counts.verified), (1, 0));
        assert_eq!(ticket_count(&env).await, 4);
        let new = ticket(&env, "SEC-4").await;
        let mut branches: Vec<&str> =
            new.findings[0].sightings.iter().map(|s| s.branch.as_str()).collect();
        branches.sort_unstable();
        assert_eq!(branches, ["feature/x", "main"]);
        assert_eq!(new.ticket.branch.as_deref(), Some("main"));
    })
    .await;
}

#[tokio::test]
async fn a_problem_on_main_and_a_tracked_release_branch_is_one_ticket_until_both_lose_it() {
    each_backend("release_branch", |env| async move {
        env.fixgate.set_policy("tracked_branches", Some("release/*")).await.unwrap();
        import_bytes(&env, sarif("CodeQL", &[A, B]), on("main")).await;

        let release = import_bytes(&env, sarif("CodeQL", &[A, B]), on("release/1.4")).await;
        let c = &release.counts;
        assert!(release.tracked);
        assert_eq!((c.opened, c.seen_again), (0, 2), "{}: {c:?}", env.backend);
        assert_eq!(ticket_count(&env).await, 2);

        // Fixed on main, not yet on the release branch.
        let main = import_bytes(&env, sarif("CodeQL", &[B]), on("main")).await;
        let c = &main.counts;
        assert_eq!((c.no_longer_seen, c.verified), (1, 0), "{}: {c:?}", env.backend);
        let detail = ticket(&env, "SEC-1").await;
        assert_eq!(detail.ticket.state, TicketState::New);
        assert!(detail.ticket.present);
        assert_eq!(kinds(&detail), ["opened", "no_longer_seen"]);

        // An untracked branch that lacks it changes nothing either.
        import_bytes(&env, sarif("CodeQL", &[B]), on("feature/y")).await;
        assert_eq!(state(&env, "SEC-1").await, TicketState::New);

        // The fix reaches the release branch: nothing tracked sees it any more.
        let backport = import_bytes(&env, sarif("CodeQL", &[B]), on("release/1.4")).await;
        assert_eq!(backport.counts.verified, 1, "{}", env.backend);
        let detail = ticket(&env, "SEC-1").await;
        assert_eq!(detail.ticket.state, TicketState::Verified);
        assert_eq!(detail.events.last().unwrap().data["branch"], "release/1.4");
        assert_eq!(state(&env, "SEC-2").await, TicketState::New);
    })
    .await;
}

// 6. An empty report is a complete scan that sees nothing.

#[tokio::test]
async fn an_empty_sarif_run_verifies_its_scope_and_only_its_scope() {
    each_backend("empty_sarif", |env| async move {
        import_bytes(&env, sarif("CodeQL", &[A, B, C]), context("shop")).await;

        let other_tool = import_bytes(&env, sarif("Semgrep", &[]), context("shop")).await;
        assert_eq!(other_tool.tools, ["Semgrep"]);
        assert_eq!(
            (other_tool.counts.verified, other_tool.counts.no_longer_seen),
            (0, 0),
            "{}",
            env.backend
        );
        let js = ScanContext { category: Some("codeql/javascript".into()), ..context("shop") };
        let other_category = import_bytes(&env, sarif("CodeQL", &[]), js).await;
        assert_eq!((other_category.counts.verified, other_category.counts.no_longer_seen), (0, 0));
        assert_eq!(keys_in(&env, TicketState::New).await, ["SEC-1", "SEC-2", "SEC-3"]);

        let empty = import_bytes(&env, sarif("CodeQL", &[]), context("shop")).await;
        let c = &empty.counts;
        assert_eq!((empty.findings, empty.tools.clone()), (0, vec!["CodeQL".to_string()]));
        assert_eq!((c.no_longer_seen, c.verified), (3, 3), "{}: {c:?}", env.backend);
        assert_eq!(keys_in(&env, TicketState::Verified).await, ["SEC-1", "SEC-2", "SEC-3"]);
    })
    .await;
}

#[tokio::test]
async fn an_empty_fixgate_report_verifies_its_tools_tickets_and_no_others() {
    each_backend("empty_generic", |env| async move {
        let findings = vec![
            code("ACME-1", "app/crypto.py", 4, "md5(password)"),
            code("ACME-1", "app/token.py", 9, "sha1(secret)"),
        ];
        let first = import_bytes(&env, generic("acme-scan", findings), context("shop")).await;
        assert_eq!(first.opened_tickets, ["SEC-1", "SEC-2"], "{}", env.backend);
        import_bytes(&env, sarif("CodeQL", &[A]), context("shop")).await;

        let other = import_bytes(&env, generic("other-scan", vec![]), context("shop")).await;
        assert_eq!((other.counts.verified, other.counts.no_longer_seen), (0, 0));

        let empty = import_bytes(&env, generic("acme-scan", vec![]), context("shop")).await;
        let c = &empty.counts;
        assert_eq!((c.no_longer_seen, c.verified), (2, 2), "{}: {c:?}", env.backend);
        assert_eq!(keys_in(&env, TicketState::Verified).await, ["SEC-1", "SEC-2"]);
        assert_eq!(state(&env, "SEC-3").await, TicketState::New);
    })
    .await;
}

#[tokio::test]
async fn a_ticket_waiting_on_a_vendor_stays_open_until_a_complete_scan_no_longer_sees_it() {
    each_backend("waiting_on_vendor", |env| async move {
        import_bytes(&env, sarif("CodeQL", &[A, B]), context("shop")).await;
        let wait = MoveTicket::to(TicketState::WaitingOnVendor);
        let refused =
            env.fixgate.move_ticket("SEC-1", wait.clone(), &principal("bob", Role::Security)).await;
        assert!(refused.unwrap_err().to_string().contains("a reason"), "{}", env.backend);
        let wait =
            MoveTicket { reason: Some("the driver's vendor ships a fix in May".into()), ..wait };
        env.fixgate.move_ticket("SEC-1", wait, &principal("bob", Role::Security)).await.unwrap();

        let still = import_bytes(&env, sarif("CodeQL", &[A, B]), context("shop")).await;
        assert_eq!(still.counts.verified, 0, "{}", env.backend);
        assert_eq!(state(&env, "SEC-1").await, TicketState::WaitingOnVendor);

        let gone = import_bytes(&env, sarif("CodeQL", &[B]), context("shop")).await;
        assert_eq!(gone.counts.verified, 1, "{}: {:?}", env.backend, gone.counts);
        assert_eq!(state(&env, "SEC-1").await, TicketState::Verified);
        assert_eq!(state(&env, "SEC-2").await, TicketState::New);
    })
    .await;
}

#[tokio::test]
async fn a_sarif_run_without_results_is_not_a_scan_and_proves_nothing_absent() {
    each_backend("sarif_without_results", |env| async move {
        import_bytes(&env, sarif("CodeQL", &[A, B]), context("shop")).await;

        // The SARIF schema: `results` "can be omitted when a run is solely
        // exporting rules metadata. It must be present (but may be empty) if
        // a log file represents an actual scan."
        let mut doc: Value = serde_json::from_slice(&sarif("CodeQL", &[])).unwrap();
        doc["runs"][0].as_object_mut().unwrap().remove("results");
        let rules_only =
            import_bytes(&env, serde_json::to_vec(&doc).unwrap(), context("shop")).await;
        let c = &rules_only.counts;
        assert_eq!((c.no_longer_seen, c.verified), (0, 0), "{}: {c:?}", env.backend);
        assert_eq!(keys_in(&env, TicketState::New).await, ["SEC-1", "SEC-2"]);
    })
    .await;
}

// 7. Two SCA tools report the same advisory on the same package.

#[tokio::test]
async fn one_advisory_from_two_sca_tools_is_one_ticket_closed_when_neither_sees_it() {
    each_backend("two_sca_tools", |env| async move {
        let trivy = vec![lodash("CVE-2021-23337", "4.17.21", "high", "package-lock.json")];
        let grype = vec![lodash("CVE-2021-23337", "4.17.21", "high", "/app/package-lock.json")];
        let first = import_bytes(&env, generic("Trivy", trivy), context("shop")).await;
        assert_eq!(first.opened_tickets, ["SEC-1"], "{}", env.backend);

        let second = import_bytes(&env, generic("Grype", grype), context("shop")).await;
        assert_eq!((second.counts.opened, second.counts.seen_again), (0, 1), "{}", env.backend);
        assert_eq!(ticket_count(&env).await, 1);
        let detail = ticket(&env, "SEC-1").await;
        assert_eq!(detail.findings.len(), 1);
        let mut tools: Vec<&str> =
            detail.findings[0].sightings.iter().map(|s| s.tool.as_str()).collect();
        tools.sort_unstable();
        assert_eq!(tools, ["Grype", "Trivy"]);

        // Trivy no longer sees it; Grype's latest scan still does.
        let trivy_clean = import_bytes(&env, generic("Trivy", vec![]), context("shop")).await;
        let c = &trivy_clean.counts;
        assert_eq!((c.no_longer_seen, c.verified), (1, 0), "{}: {c:?}", env.backend);
        let detail = ticket(&env, "SEC-1").await;
        assert_eq!(detail.ticket.state, TicketState::New);
        assert!(detail.ticket.present);

        let grype_clean = import_bytes(&env, generic("Grype", vec![]), context("shop")).await;
        assert_eq!(grype_clean.counts.verified, 1, "{}", env.backend);
        let detail = ticket(&env, "SEC-1").await;
        assert_eq!(detail.ticket.state, TicketState::Verified);
        assert_eq!(detail.events.last().unwrap().data["scan_id"], grype_clean.scan_id);
    })
    .await;
}

#[tokio::test]
async fn trivy_and_grype_naming_one_advisory_on_one_package_share_its_ticket() {
    let Some(corpus) = common::shared_corpus() else { return };
    each_backend("trivy_and_grype", |env| {
        let corpus = corpus.clone();
        async move {
            env.fixgate.set_policy("grouping.sca", Some("finding")).await.unwrap();
            let read = |path: &str| std::fs::read(corpus.join(path)).unwrap();
            import_bytes(&env, read("trivy-json/legacy_many_vulns.json"), context("shop")).await;
            let grype =
                import_bytes(&env, read("grype-json/many_vulns3.json"), context("shop")).await;
            // Both name CVE-2011-3374 on Debian's apt (Trivy's legacy report
            // without a purl, Grype with `pkg:deb/debian/apt`).
            let filter = TicketFilter { text: Some("CVE-2011-3374".into()), ..all() };
            let mut apt = Vec::new();
            for row in env.fixgate.list_tickets(&filter).await.unwrap().items {
                let detail = ticket(&env, &row.key).await;
                if detail.findings[0].finding.package.as_ref().unwrap().name == "apt" {
                    apt.push(detail);
                }
            }
            assert_eq!(apt.len(), 1, "{}: {:?}", env.backend, grype.counts);
            let detail = &apt[0];
            assert_eq!(detail.findings.len(), 1);
            let mut tools: Vec<&str> =
                detail.findings[0].sightings.iter().map(|s| s.tool.as_str()).collect();
            tools.sort_unstable();
            tools.dedup();
            assert_eq!(tools.len(), 2, "{tools:?}");
        }
    })
    .await;
}

// 8. Grouping by upgrade.

#[tokio::test]
async fn advisories_on_one_package_are_one_upgrade_ticket_retitled_as_they_go() {
    each_backend("upgrade_group", |env| async move {
        let first =
            import_bytes(&env, generic("npm-scan", lodash_advisories()), context("shop")).await;
        let c = &first.counts;
        assert_eq!((c.opened, c.grouped), (1, 2), "{}: {c:?}", env.backend);
        assert_eq!(first.opened_tickets, ["SEC-1"]);
        let detail = ticket(&env, "SEC-1").await;
        assert_eq!(
            detail.ticket.title,
            "Upgrade lodash from 4.17.15 to 4.17.21 fixes 3 vulnerabilities"
        );
        assert_eq!(detail.findings.len(), 3);
        // The history reads in the order things happened.
        assert_eq!(kinds(&detail), ["opened", "finding_added", "finding_added"]);

        // The 4.17.21 advisory is withdrawn: the ticket stays, retitled.
        let two = lodash_advisories()[..2].to_vec();
        let fewer = import_bytes(&env, generic("npm-scan", two), context("shop")).await;
        let c = &fewer.counts;
        assert_eq!(
            (c.opened, c.no_longer_seen, c.verified, c.seen_again),
            (0, 1, 0, 2),
            "{}: {c:?}",
            env.backend
        );
        let detail = ticket(&env, "SEC-1").await;
        assert_eq!(detail.ticket.state, TicketState::New);
        assert_eq!(
            detail.ticket.title,
            "Upgrade lodash from 4.17.15 to 4.17.19 fixes 2 vulnerabilities"
        );

        // lodash is upgraded: nothing of it is seen, the ticket is verified.
        let minimist = json!({"rule": "CVE-2021-44906", "title": "CVE-2021-44906 in minimist",
            "severity": "critical", "advisories": ["CVE-2021-44906"],
            "location": "package-lock.json",
            "package": {"name": "minimist", "version": "1.2.5",
                        "purl": "pkg:npm/minimist@1.2.5", "fixed_version": "1.2.6"}});
        let upgraded =
            import_bytes(&env, generic("npm-scan", vec![minimist]), context("shop")).await;
        let c = &upgraded.counts;
        assert_eq!((c.opened, c.verified, c.no_longer_seen), (1, 1, 2), "{}: {c:?}", env.backend);
        assert_eq!(state(&env, "SEC-1").await, TicketState::Verified);
        assert_eq!(ticket_count(&env).await, 2);
    })
    .await;
}

#[tokio::test]
async fn a_returning_package_with_a_new_advisory_reopens_its_upgrade_ticket_and_joins_it() {
    each_backend("upgrade_group_returns", |env| async move {
        import_bytes(&env, generic("npm-scan", lodash_advisories()), context("shop")).await;
        let gone = import_bytes(&env, generic("npm-scan", vec![]), context("shop")).await;
        assert_eq!(gone.counts.verified, 1, "{}", env.backend);

        // A downgrade brings lodash back, with a fourth advisory.
        let mut back = lodash_advisories();
        back.push(lodash("CVE-2020-28500", "4.17.21", "medium", "package-lock.json"));
        let report = import_bytes(&env, generic("npm-scan", back), context("shop")).await;
        let c = &report.counts;
        assert_eq!((c.reopened, c.opened, c.grouped), (1, 0, 1), "{}: {c:?}", env.backend);
        assert_eq!(ticket_count(&env).await, 1);
        let detail = ticket(&env, "SEC-1").await;
        assert_eq!(detail.ticket.state, TicketState::Reopened);
        assert_eq!(detail.findings.len(), 4);
        assert_eq!(
            detail.ticket.title,
            "Upgrade lodash from 4.17.15 to 4.17.21 fixes 4 vulnerabilities"
        );
    })
    .await;
}

#[tokio::test]
async fn with_finding_grouping_each_advisory_is_its_own_ticket() {
    each_backend("upgrade_off", |env| async move {
        env.fixgate.set_policy("grouping.sca", Some("finding")).await.unwrap();
        let report =
            import_bytes(&env, generic("npm-scan", lodash_advisories()), context("shop")).await;
        let c = &report.counts;
        assert_eq!((c.opened, c.grouped), (3, 0), "{}: {c:?}", env.backend);
        assert_eq!(report.opened_tickets, ["SEC-1", "SEC-2", "SEC-3"]);
        for key in ["SEC-1", "SEC-2", "SEC-3"] {
            assert_eq!(ticket(&env, key).await.findings.len(), 1, "{key}");
        }

        let two = lodash_advisories()[..2].to_vec();
        let fewer = import_bytes(&env, generic("npm-scan", two), context("shop")).await;
        assert_eq!(fewer.counts.verified, 1, "{}", env.backend);
        assert_eq!(keys_in(&env, TicketState::Verified).await, ["SEC-3"]);
    })
    .await;
}

// 9. Grouping by rule.

#[tokio::test]
async fn a_rule_firing_past_the_threshold_is_one_ticket_and_the_others_one_each() {
    each_backend("rule_group", |env| async move {
        env.fixgate.set_policy("grouping.code", Some("rule:3")).await.unwrap();
        let injections: [Hit; 5] = [
            ("py/sql-injection", "app/a.py", 1, "execute(a)"),
            ("py/sql-injection", "app/b.py", 2, "execute(b)"),
            ("py/sql-injection", "app/c.py", 3, "execute(c)"),
            ("py/sql-injection", "app/d.py", 4, "execute(d)"),
            ("py/sql-injection", "app/e.py", 5, "execute(e)"),
        ];
        let xss: [Hit; 2] =
            [("py/xss", "app/v.py", 7, "Markup(a)"), ("py/xss", "app/w.py", 8, "Markup(b)")];
        let results: Vec<Hit> = injections.iter().chain(&xss).copied().collect();
        let report = import_bytes(&env, sarif("CodeQL", &results), context("shop")).await;
        let c = &report.counts;
        assert_eq!((c.opened, c.grouped), (3, 4), "{}: {c:?}", env.backend);
        assert_eq!(ticket_count(&env).await, 3);

        let rows = env.fixgate.list_tickets(&all()).await.unwrap().items;
        let group = rows.iter().find(|t| t.rule_id.as_deref() == Some("py/sql-injection")).unwrap();
        let detail = ticket(&env, &group.key).await;
        assert_eq!(detail.findings.len(), 5);
        assert_eq!(detail.ticket.title, "SQL injection (5 findings)");
        let singles: Vec<_> = rows.iter().filter(|t| t.key != group.key).collect();
        assert_eq!(singles.len(), 2);
        for single in singles {
            assert_eq!(single.rule_id.as_deref(), Some("py/xss"));
            assert_eq!(ticket(&env, &single.key).await.findings.len(), 1);
        }

        // Three of the five are fixed: the group stays one ticket.
        let fewer: Vec<Hit> = injections[..2].iter().chain(&xss).copied().collect();
        let again = import_bytes(&env, sarif("CodeQL", &fewer), context("shop")).await;
        let c = &again.counts;
        assert_eq!((c.opened, c.verified, c.no_longer_seen), (0, 0, 3), "{}: {c:?}", env.backend);
        let detail = ticket(&env, &group.key).await;
        assert_eq!(detail.ticket.state, TicketState::New);
        assert_eq!(detail.ticket.title, "SQL injection (2 findings)");
    })
    .await;
}

// 10. Decisions: false positive and risk acceptance.

#[tokio::test]
async fn a_false_positive_stays_one_whether_its_finding_is_seen_or_not() {
    each_backend("false_positive", |env| async move {
        import_bytes(&env, sarif("CodeQL", &[A, B]), context("shop")).await;
        let fp = MoveTicket {
            reason: Some("q is a constant".into()),
            ..MoveTicket::to(TicketState::FalsePositive)
        };
        env.fixgate.move_ticket("SEC-1", fp, &principal("dana", Role::Security)).await.unwrap();

        let seen = import_bytes(&env, sarif("CodeQL", &[A]), context("shop")).await;
        let c = &seen.counts;
        assert_eq!((c.reopened, c.verification_failed, c.opened), (0, 0, 0), "{}", env.backend);
        assert_eq!(state(&env, "SEC-1").await, TicketState::FalsePositive);

        let gone = import_bytes(&env, sarif("CodeQL", &[C]), context("shop")).await;
        assert_eq!(gone.counts.verified, 0, "{}: {:?}", env.backend, gone.counts);
        assert_eq!(state(&env, "SEC-1").await, TicketState::FalsePositive);

        let back = import_bytes(&env, sarif("CodeQL", &[A, C]), context("shop")).await;
        assert_eq!((back.counts.reopened, back.counts.opened), (0, 0));
        let detail = ticket(&env, "SEC-1").await;
        assert_eq!(detail.ticket.state, TicketState::FalsePositive);
        assert!(!kinds(&detail).contains(&"reopened"));
        assert_eq!(ticket_count(&env).await, 3);
    })
    .await;
}

#[tokio::test]
async fn a_risk_acceptance_holds_until_it_expires_then_a_scan_that_sees_it_reopens_it() {
    each_backend("risk_acceptance", |env| async move {
        import_bytes(&env, sarif("CodeQL", &[A, B]), context("shop")).await;
        let reason = "internal tool, no untrusted input";
        common::accept_risk(
            &env.fixgate,
            "SEC-1",
            reason,
            "2027-01-01T00:00:00Z",
            ("dana", "ciso"),
        )
        .await;

        let seen = import_bytes(&env, sarif("CodeQL", &[A, B, C]), context("shop")).await;
        assert_eq!((seen.counts.reopened, seen.counts.opened), (0, 1), "{}", env.backend);
        assert_eq!(state(&env, "SEC-1").await, TicketState::RiskAccepted);

        // Expired, but no scan has seen it since: nothing happens yet.
        env.clock.advance(SignedDuration::from_hours(24 * 40));
        let unseen = import_bytes(&env, sarif("CodeQL", &[B, C]), context("shop")).await;
        assert_eq!(unseen.counts.verified, 0, "{}: {:?}", env.backend, unseen.counts);
        assert_eq!(state(&env, "SEC-1").await, TicketState::RiskAccepted);

        let expired = import_bytes(&env, sarif("CodeQL", &[A, B, C]), context("shop")).await;
        let detail = ticket(&env, "SEC-1").await;
        assert_eq!(detail.ticket.state, TicketState::Reopened, "{}", env.backend);
        let last = detail.events.last().unwrap();
        assert_eq!(last.kind, "acceptance_expired");
        assert_eq!(last.data["scan_id"], expired.scan_id);
        assert_eq!(expired.counts.opened, 0);
        assert_eq!(state(&env, "SEC-2").await, TicketState::New);
    })
    .await;
}

// 11. Closing without a scan is an override.

#[tokio::test]
async fn an_override_needs_a_reason_and_a_scan_that_sees_the_finding_reopens_it() {
    each_backend("override", |env| async move {
        import_bytes(&env, sarif("CodeQL", &[A, B]), context("shop")).await;

        let bare = env
            .fixgate
            .move_ticket(
                "SEC-1",
                MoveTicket::to(TicketState::Closed),
                &principal("erin", Role::Security),
            )
            .await;
        let err = bare.unwrap_err();
        assert!(matches!(err, ServiceError::Workflow(_)), "{err:?}");
        assert!(err.to_string().contains("reason"), "{err}");
        assert_eq!(state(&env, "SEC-1").await, TicketState::New);

        let reason = "the service was decommissioned";
        let close =
            MoveTicket { reason: Some(reason.into()), ..MoveTicket::to(TicketState::Closed) };
        let closed = env
            .fixgate
            .move_ticket("SEC-1", close, &principal("erin", Role::Security))
            .await
            .unwrap();
        assert_eq!(closed.ticket.state, TicketState::Closed);
        let event = closed.events.last().unwrap();
        assert_eq!((event.kind.as_str(), event.actor.as_str()), ("state_changed", "erin"));
        assert_eq!(event.data["to"], "closed");
        assert_eq!(event.data["reason"], reason);

        // The code was still deployed elsewhere: the next scan sees it.
        let seen = import_bytes(&env, sarif("CodeQL", &[A]), context("shop")).await;
        let c = &seen.counts;
        assert_eq!((c.reopened, c.opened, c.verified), (1, 0, 1), "{}: {c:?}", env.backend);
        let detail = ticket(&env, "SEC-1").await;
        assert_eq!(detail.ticket.state, TicketState::Reopened);
        let reopened = detail.events.last().unwrap();
        assert_eq!(reopened.kind, "reopened");
        assert_eq!(reopened.data["from"], "closed");
        assert_eq!(reopened.data["scan_id"], seen.scan_id);
        assert_eq!((detail.reopen_count, detail.closed_by_scan_id), (1, None));

        // Undoing an override by hand is a reopening too, and counts.
        let close =
            MoveTicket { reason: Some(reason.into()), ..MoveTicket::to(TicketState::Closed) };
        env.fixgate.move_ticket("SEC-1", close, &principal("erin", Role::Security)).await.unwrap();
        let reopen = MoveTicket {
            reason: Some("still there".into()),
            ..MoveTicket::to(TicketState::Reopened)
        };
        let detail = env
            .fixgate
            .move_ticket("SEC-1", reopen, &principal("erin", Role::Security))
            .await
            .unwrap();
        assert_eq!(detail.reopen_count, 2);
    })
    .await;
}
