//! fixgate's figures on every backend, from a scripted history whose every
//! figure is computed by hand in the comments: detections, triage, a pause,
//! fixes verified by scans, a reopening by a scan and one by a person, an
//! SLA breach, a risk acceptance that expires, a false positive and an
//! override. The facts rebuilt from the event log equal those the writes
//! kept.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use fixgate_domain::{Role, Severity, TicketState, TicketType};
use fixgate_service::report::{KpiRequest, Kpis, Period};
use fixgate_service::testkit::{
    Env, accept_risk, context, each_backend, import_bytes, principal, sarif,
};
use fixgate_service::{CreateTicket, ImportRequest, MoveTicket};
use fixgate_store::{KpiFilter, KpiGroup, Visibility};
use serde_json::{Value, json};

const REPO: &str = "https://github.com/acme/shop";

fn at(env: &Env, when: &str) {
    env.clock.set(when.parse().unwrap());
}

/// The report of a complete Semgrep scan that sees these of the six
/// findings A to F.
fn semgrep(seen: &str) -> Vec<u8> {
    let all = [
        ('A', ("py/sql-injection", "app/a.py", 3, "cursor.execute(q)")),
        ('B', ("py/xss", "app/b.py", 9, "render(raw)")),
        ('C', ("py/sql-injection", "app/c.py", 5, "db.raw(q)")),
        ('D', ("py/xss", "app/d.py", 7, "html(x)")),
        ('E', ("py/sql-injection", "app/e.py", 1, "run(sql)")),
        ('F', ("py/xss", "app/f.py", 2, "write(y)")),
    ];
    let results: Vec<_> = all.iter().filter(|(c, _)| seen.contains(*c)).map(|(_, r)| *r).collect();
    sarif("Semgrep", &results)
}

async fn import(env: &Env, report: Vec<u8>, partial: bool) {
    let request = ImportRequest { context: context("shop"), partial, ..ImportRequest::default() };
    env.fixgate.import(std::io::Cursor::new(report), request).await.unwrap();
}

async fn move_to(env: &Env, key: &str, state: TicketState, reason: Option<&str>) {
    let request = MoveTicket { reason: reason.map(str::to_string), ..MoveTicket::to(state) };
    env.fixgate.move_ticket(key, request, &principal("dana", Role::Security)).await.unwrap();
}

/// Tickets A to F by the path of their finding, and G.
struct Keys {
    by_path: std::collections::HashMap<String, String>,
    g: String,
}

impl Keys {
    fn of(&self, letter: char) -> &str {
        let path = format!("app/{}.py", letter.to_ascii_lowercase());
        &self.by_path[&path]
    }
}

/// The history, day by day (all times UTC, the default policy's zone;
/// 2026-12-01 is a Tuesday). Default SLA: critical 7 days, medium 90.
///
/// - 12-01 09:00 scan 1 (Semgrep, complete) opens A–F; Bandit's complete
///   scan finds nothing. A, C, E are SQL injections (critical, CWE-89,
///   due 12-08 09:00); B, D, F are XSS (medium, CWE-79, due 03-01 09:00).
///   bank's scan opens H (another application; critical, due 12-08).
/// - 12-01 11:00 A moved to triaged (A's triage: 2 h).
/// - 12-01 13:00 B moved to in progress (B's triage: 4 h).
/// - 12-02 09:00 C called a false positive (triage 24 h; closing, due 12-08: met).
/// - 12-02 15:00 D's risk accepted until 12-14 (triage 30 h; closing, due 03-01: met).
/// - 12-03 09:00 A waits on a vendor; 12-05 09:00 back in progress: A's due
///   date moves by the 2 days paused, to 12-10 09:00.
/// - 12-06 09:00 scan 2 sees B, D, E, F: A verified (120 h; due 12-10: met).
/// - 12-09 09:00 the sweep records E's breach.
/// - 12-10 09:00 scan 3 sees A again: A reopened by the scan.
/// - 12-12 09:00 scan 4 sees A, B, D, F: E verified (264 h; due 12-08: missed).
/// - 12-13 09:00 F closed by hand (triage 288 h; closing, due 03-01: met).
/// - 12-14 09:00 G opened by hand (high, due 12-18 09:00); C reopened by a
///   person; B waits on a vendor and moves to team payments.
/// - 12-14 10:00 scan 5, partial, sees A and B: it proves nothing.
/// - 12-15 09:00 (now) the sweep reopens D: its acceptance expired.
async fn history(env: &Env) -> Keys {
    env.fixgate.add_owner("shop", "shop-team").await.unwrap();
    at(env, "2026-12-01T09:00:00Z");
    import(env, semgrep("ABCDEF"), false).await;
    import(env, sarif("Bandit", &[]), false).await;
    let bank = fixgate_domain::ScanContext {
        application: Some("bank".into()),
        repository: Some("https://github.com/acme/bank".into()),
        ..context("bank")
    };
    import_bytes(env, sarif("Semgrep", &[("py/sql-injection", "x.py", 1, "x")]), bank).await;

    let page = fixgate_store::TicketFilter {
        application: Some("shop".into()),
        limit: 100,
        page: 1,
        ..Default::default()
    };
    let tickets = env.fixgate.list_tickets(&page).await.unwrap().items;
    let by_path = tickets.iter().map(|t| (t.path.clone().unwrap(), t.key.clone())).collect();
    let mut keys = Keys { by_path, g: String::new() };
    for t in &tickets {
        let critical = t.rule_id.as_deref() == Some("py/sql-injection");
        let (severity, due) = if critical {
            (Severity::Critical, "2026-12-08T09:00:00Z")
        } else {
            (Severity::Medium, "2027-03-01T09:00:00Z")
        };
        assert_eq!((t.severity, t.due_at), (severity, Some(due.parse().unwrap())), "{t:?}");
        assert_eq!(t.owner.as_deref(), Some("shop-team"));
    }

    at(env, "2026-12-01T11:00:00Z");
    move_to(env, keys.of('A'), TicketState::Triaged, None).await;
    at(env, "2026-12-01T13:00:00Z");
    move_to(env, keys.of('B'), TicketState::InProgress, None).await;
    at(env, "2026-12-02T09:00:00Z");
    move_to(env, keys.of('C'), TicketState::FalsePositive, Some("test code")).await;
    at(env, "2026-12-02T15:00:00Z");
    accept_risk(&env.fixgate, keys.of('D'), "internal only", "2026-12-14", ("dev", "ciso")).await;
    at(env, "2026-12-03T09:00:00Z");
    move_to(env, keys.of('A'), TicketState::WaitingOnVendor, Some("driver fix")).await;
    at(env, "2026-12-05T09:00:00Z");
    move_to(env, keys.of('A'), TicketState::InProgress, None).await;
    let a = env.fixgate.ticket(keys.of('A')).await.unwrap().ticket;
    assert_eq!(a.due_at, Some("2026-12-10T09:00:00Z".parse().unwrap()), "{}", env.backend);

    at(env, "2026-12-06T09:00:00Z");
    import(env, semgrep("BDEF"), false).await;
    at(env, "2026-12-09T09:00:00Z");
    let sweep = env.fixgate.sweep().await.unwrap();
    assert!(sweep.breached.contains(&keys.of('E').to_string()), "{sweep:?}");
    at(env, "2026-12-10T09:00:00Z");
    import(env, semgrep("ABDEF"), false).await;
    at(env, "2026-12-12T09:00:00Z");
    import(env, semgrep("ABDF"), false).await;
    at(env, "2026-12-13T09:00:00Z");
    move_to(env, keys.of('F'), TicketState::Closed, Some("feature removed")).await;

    at(env, "2026-12-14T09:00:00Z");
    let g = CreateTicket {
        ticket_type: TicketType::Vulnerability,
        title: "Pen test: weak session cookie".into(),
        description: String::new(),
        severity: Severity::High,
        application: Some("shop".into()),
        repository: None,
        path: None,
        owner: None,
        priority: None,
        due_at: Some("2026-12-18T09:00:00Z".parse().unwrap()),
    };
    keys.g = env.fixgate.create_ticket(g, "dana").await.unwrap().ticket.key;
    move_to(env, keys.of('C'), TicketState::Reopened, Some("not test code after all")).await;
    let wait = MoveTicket {
        reason: Some("vendor patch".into()),
        owner: Some("payments".into()),
        ..MoveTicket::to(TicketState::WaitingOnVendor)
    };
    env.fixgate.move_ticket(keys.of('B'), wait, &principal("dana", Role::Security)).await.unwrap();
    at(env, "2026-12-14T10:00:00Z");
    import(env, semgrep("AB"), true).await;

    at(env, "2026-12-15T09:00:00Z");
    let sweep = env.fixgate.sweep().await.unwrap();
    assert_eq!(sweep.reopened, [keys.of('D').to_string()], "{}", env.backend);
    keys
}

fn request(by: Option<KpiGroup>, period: Period) -> KpiRequest {
    KpiRequest {
        since: Some("2026-12-01".parse().unwrap()),
        until: Some("2026-12-15".parse().unwrap()),
        by,
        period,
        stale_days: Some(10),
        ..KpiRequest::default()
    }
}

fn shop() -> Visibility {
    Visibility { member: None, application: Some("shop".into()) }
}

async fn kpis(env: &Env, by: Option<KpiGroup>, visibility: Visibility) -> Value {
    let kpis: Kpis = env.fixgate.kpis(&request(by, Period::Week), visibility).await.unwrap();
    serde_json::to_value(&kpis).unwrap()
}

fn timing(count: u64, median: Option<f64>, p90: Option<f64>) -> Value {
    json!({ "count": count, "median_hours": median, "p90_hours": p90 })
}

#[tokio::test]
async fn every_figure_matches_its_hand_computation() {
    each_backend("report_figures", |env| async move {
        let keys = history(&env).await;
        let k = kpis(&env, None, shop()).await;
        let b = env.backend;
        assert_eq!(k["warnings"], json!([]), "{b}");
        assert_eq!(k["window"]["time_zone"], "UTC");

        // MTTT: first triages in the window, sorted 2, 4, 24, 30, 288 h.
        // Median: rank ⌈0.5·5⌉ = 3 → 24 h; 90th: rank ⌈0.9·5⌉ = 5 → 288 h.
        // Week of 12-01 (Tue–Sun): 2, 4, 24, 30 → rank 2 → 4 h, rank ⌈3.6⌉ = 4 → 30 h.
        // Week of 12-07: F's 288 h. Week of 12-14: no triage.
        assert_eq!(k["mttt"]["all"], timing(5, Some(24.0), Some(288.0)), "{b}");
        let weeks: Vec<&Value> = k["mttt"]["periods"].as_array().unwrap().iter().collect();
        assert_eq!(weeks.len(), 3);
        assert_eq!(weeks[0]["period"], "2026-12-01");
        assert_eq!(weeks[1]["period"], "2026-12-07");
        assert_eq!(weeks[2]["period"], "2026-12-14");
        assert_eq!(strip(weeks[0], "period"), timing(4, Some(4.0), Some(30.0)), "{b}");
        assert_eq!(strip(weeks[1], "period"), timing(1, Some(288.0), Some(288.0)));
        assert_eq!(strip(weeks[2], "period"), timing(0, None, None));
        assert_eq!(k["mttt"]["groups"], json!([]), "not grouped");

        // MTTR: verifications A (12-06, 120 h) and E (12-12, 264 h).
        // Median rank ⌈1⌉ = 1 → 120 h; 90th rank ⌈1.8⌉ = 2 → 264 h.
        assert_eq!(k["mttr"]["all"], timing(2, Some(120.0), Some(264.0)), "{b}");
        assert_eq!(strip(&k["mttr"]["periods"][0], "period"), timing(1, Some(120.0), Some(120.0)));
        assert_eq!(strip(&k["mttr"]["periods"][1], "period"), timing(1, Some(264.0), Some(264.0)));

        // Closings: C false positive, D risk accepted (12-02), A verified
        // (12-06), E verified (12-12), F closed by hand (12-13).
        let closures = json!({
            "total": 5, "verified": 2, "overrides": 3, "closed": 1, "false_positive": 1,
            "risk_accepted": 1, "duplicate": 0
        });
        assert_eq!(k["closures"]["all"], closures, "{b}");
        // Week of 12-01: C, D, A; week of 12-07: E, F.
        assert_eq!(k["closures"]["periods"][0]["total"], 3);
        assert_eq!(k["closures"]["periods"][0]["verified"], 1);
        assert_eq!(k["closures"]["periods"][1]["total"], 2);
        assert_eq!(k["closures"]["periods"][2]["total"], 0);

        // SLA: E closed 12-12 after its due 12-08 (missed); A closed 12-06
        // before its paused-and-moved due 12-10; C, D, F before theirs.
        // Adherence 4 / (4 + 1) = 0.8; week of 12-07: 1 / 2 = 0.5.
        let sla = json!({"closed": 5, "met": 4, "missed": 1, "no_due_date": 0, "adherence": 0.8});
        assert_eq!(k["sla"]["all"], sla, "{b}");
        assert_eq!(k["sla"]["periods"][0]["adherence"], 1.0);
        assert_eq!(k["sla"]["periods"][1]["adherence"], 0.5);
        assert_eq!(k["sla"]["periods"][2]["adherence"], Value::Null);

        // Reopenings: A by scan 4 (12-10), C by a person (12-14) = 2; D's
        // expired acceptance (12-15) reopens it but is not counted.
        // Rate 2 / 5 closings = 0.4; week of 12-07: 1 / 2 = 0.5; week of
        // 12-14: 1 reopening, no closing → none.
        let reopen = json!({
            "reopened": 2, "by_scan": 1, "by_person": 1, "closed": 5, "rate": 0.4,
            "acceptances_expired": 1
        });
        assert_eq!(k["reopen_rate"]["all"], reopen, "{b}");
        assert_eq!(k["reopen_rate"]["periods"][0]["rate"], 0.0);
        assert_eq!(k["reopen_rate"]["periods"][1]["rate"], 0.5);
        assert_eq!(k["reopen_rate"]["periods"][2]["reopened"], 1);
        assert_eq!(k["reopen_rate"]["periods"][2]["rate"], Value::Null);

        // Open now (12-15 09:00): A (due 12-10) and C (due 12-08) breached,
        // B paused, D on track (due 03-01), G due within 7 days (12-18).
        // A–D were detected 14 days ago (8–30), G 1 day ago (0–7).
        let open = json!({
            "open": 5, "breached": 2, "due_within_7_days": 1, "on_track": 1, "paused": 1,
            "no_due_date": 0,
            "age": {"0-7": 1, "8-30": 4, "31-90": 0, "91-180": 0, "over-180": 0}
        });
        assert_eq!(k["open"]["all"], open, "{b}");

        // Opened against verified, by week: 6 and A; none and E; G and none.
        let flow: Vec<(String, u64, u64)> = k["opened_vs_verified"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                let week = w["week"].as_str().unwrap().to_string();
                (week, w["opened"].as_u64().unwrap(), w["verified"].as_u64().unwrap())
            })
            .collect();
        let expected = [("2026-12-01", 6, 1), ("2026-12-07", 0, 1), ("2026-12-14", 1, 0)];
        let expected: Vec<(String, u64, u64)> =
            expected.iter().map(|(w, o, v)| (w.to_string(), *o, *v)).collect();
        assert_eq!(flow, expected, "{b}");

        // The backlog at the end of each day: 6 opened 12-01; C and D closed
        // 12-02 → 4; A verified 12-06 → 3; A reopened 12-10 → 4; E verified
        // 12-12 → 3; F closed 12-13 → 2; G opened and C reopened 12-14 → 4;
        // D reopened 12-15 → 5, the open tickets now.
        let backlog: Vec<i64> =
            k["backlog"].as_array().unwrap().iter().map(|d| d["open"].as_i64().unwrap()).collect();
        assert_eq!(backlog, [6, 4, 4, 4, 4, 3, 3, 3, 3, 4, 4, 3, 2, 4, 5], "{b}");
        assert_eq!(k["backlog"][0]["day"], "2026-12-01");

        // Top among the open: CWE-79 (B, D) and CWE-89 (A, C), tied, in
        // name order; G has no CWE, rule or repository.
        assert_eq!(
            k["top"]["cwes"],
            json!([{"name": "CWE-79", "open": 2}, {"name": "CWE-89", "open": 2}]),
            "{b}"
        );
        assert_eq!(
            k["top"]["rules"],
            json!([{"name": "py/sql-injection", "open": 2}, {"name": "py/xss", "open": 2}])
        );
        assert_eq!(k["top"]["repositories"], json!([{"name": REPO, "open": 4}]));

        // Coverage: Bandit's only complete scan is 14 days old (stale past
        // 10 days); Semgrep's latest complete scan is scan 4 (3 days), not
        // the partial scan 5.
        let coverage: Vec<(String, i64, bool)> = k["coverage"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let tool = c["tool"].as_str().unwrap().to_string();
                (tool, c["age_days"].as_i64().unwrap(), c["stale"].as_bool().unwrap())
            })
            .collect();
        assert_eq!(coverage, [("Bandit".into(), 14, true), ("Semgrep".into(), 3, false)], "{b}");
        assert_eq!(k["coverage"][1]["last_complete_scan_at"], "2026-12-12T09:00:00Z");

        let _ = keys;
    })
    .await;
}

#[tokio::test]
async fn figures_group_by_what_tickets_are_now_and_follow_the_callers_access() {
    each_backend("report_groups", |env| async move {
        history(&env).await;
        let b = env.backend;

        // By severity. Critical: A 2 h, C 24 h → median rank 1 = 2 h, 90th
        // rank 2 = 24 h. Medium: B 4, D 30, F 288 → rank 2 = 30 h, rank
        // ⌈2.7⌉ = 3 = 288 h. High (G) has no triage, so no group.
        let k = kpis(&env, Some(KpiGroup::Severity), shop()).await;
        let groups = &k["mttt"]["groups"];
        assert_eq!(groups.as_array().unwrap().len(), 2, "{b}: {groups}");
        assert_eq!(groups[0]["group"], "critical");
        assert_eq!(strip(&groups[0], "group"), timing(2, Some(2.0), Some(24.0)), "{b}");
        assert_eq!(groups[1]["group"], "medium");
        assert_eq!(strip(&groups[1], "group"), timing(3, Some(30.0), Some(288.0)));
        // Open by severity: critical A, C (breached); high G; medium B, D.
        let open: Vec<(String, u64, u64)> = k["open"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                let name = g["group"].as_str().unwrap().to_string();
                (name, g["open"].as_u64().unwrap(), g["breached"].as_u64().unwrap())
            })
            .collect();
        let expected: Vec<(String, u64, u64)> =
            [("critical", 2, 2), ("high", 1, 0), ("medium", 2, 0)]
                .iter()
                .map(|(g, o, x)| (g.to_string(), *o, *x))
                .collect();
        assert_eq!(open, expected, "{b}");

        // By team: B moved to payments on 12-14, and its triage (4 h) moved
        // with it. shop-team: 2, 24, 30, 288 → rank 2 = 24 h, rank 4 = 288 h.
        let k = kpis(&env, Some(KpiGroup::Team), shop()).await;
        let groups = &k["mttt"]["groups"];
        assert_eq!(groups[0]["group"], "payments", "{b}: {groups}");
        assert_eq!(strip(&groups[0], "group"), timing(1, Some(4.0), Some(4.0)));
        assert_eq!(groups[1]["group"], "shop-team");
        assert_eq!(strip(&groups[1], "group"), timing(4, Some(24.0), Some(288.0)));
        assert_eq!(k["open"]["groups"][0]["paused"], 1, "B waits on a vendor, in payments");

        // Everything: bank's H too (opened 12-01 09:00, critical, due 12-08:
        // breached). By application.
        let k = kpis(&env, Some(KpiGroup::App), Visibility::everything()).await;
        assert_eq!(k["open"]["all"]["open"], 6, "{b}");
        assert_eq!(k["open"]["all"]["breached"], 3);
        let apps: Vec<&str> = k["open"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["group"].as_str().unwrap())
            .collect();
        assert_eq!(apps, ["bank", "shop"]);
        assert_eq!(k["backlog"][0]["open"], 7);
        assert_eq!(k["coverage"].as_array().unwrap().len(), 3);

        // A developer of bank's team sees bank's figures alone.
        let (cookie, _) = fixgate_service::testkit::signed_in(
            &env.fixgate,
            "olga",
            Role::Developer,
            &["bank-team"],
        )
        .await;
        env.fixgate.add_owner("bank", "bank-team").await.unwrap();
        let olga = env.fixgate.session(&cookie).await.unwrap().unwrap();
        let k = kpis(&env, None, olga.visibility()).await;
        assert_eq!(k["open"]["all"]["open"], 1, "{b}");
        assert_eq!(k["mttt"]["all"]["count"], 0);
        assert_eq!(k["coverage"][0]["repository"], "https://github.com/acme/bank");
    })
    .await;
}

#[tokio::test]
async fn grouped_and_ungrouped_figures_add_up_to_the_same_whole() {
    each_backend("report_shapes", |env| async move {
        history(&env).await;
        let b = env.backend;
        // Grouped and ungrouped figures are read by differently shaped
        // statements; the whole must not depend on the grouping.
        let whole = kpis(&env, None, Visibility::everything()).await;
        for by in KpiGroup::ALL {
            let k = kpis(&env, Some(by), Visibility::everything()).await;
            for figure in ["mttt", "mttr", "closures", "sla", "reopen_rate"] {
                assert_eq!(k[figure]["all"], whole[figure]["all"], "{b} {figure} by {by:?}");
                assert_eq!(k[figure]["periods"], whole[figure]["periods"], "{b} {figure} {by:?}");
            }
            assert_eq!(k["open"]["all"], whole["open"]["all"], "{b} open by {by:?}");
            assert_eq!(k["backlog"], whole["backlog"], "{b} backlog by {by:?}");
            // Each group's open tickets add up to them all.
            let groups = k["open"]["groups"].as_array().unwrap();
            let sum: u64 = groups.iter().map(|g| g["open"].as_u64().unwrap()).sum();
            assert_eq!(Some(sum), whole["open"]["all"]["open"].as_u64(), "{b} by {by:?}");
        }
        assert!(whole["open"]["groups"].as_array().unwrap().is_empty(), "{b}");

        // The open tickets alone grouped (the dashboard's ages by severity):
        // the same groups as a grouped request, every other figure whole.
        let request =
            KpiRequest { open_by: Some(KpiGroup::Severity), ..request(None, Period::Week) };
        let k: Kpis = env.fixgate.kpis(&request, Visibility::everything()).await.unwrap();
        let k = serde_json::to_value(&k).unwrap();
        let by_severity = kpis(&env, Some(KpiGroup::Severity), Visibility::everything()).await;
        assert_eq!(k["open"], by_severity["open"], "{b}");
        assert_eq!(k["mttt"], whole["mttt"], "{b}");
        assert_eq!(k["closures"], whole["closures"], "{b}");
    })
    .await;
}

#[tokio::test]
async fn the_upgrade_tallies_each_step_as_the_store_does_when_writing_it() {
    each_backend("report_tally", |env| async move {
        history(&env).await;
        let b = env.backend;
        let written = env.fixgate.store().kpi_facts_dump().await.unwrap();
        assert!(written.iter().any(|f| f.contains("\"closed\"")), "{b}: the history closes");
        // A store upgraded with facts in it has their tallies computed by
        // the migration's UPDATE; it must agree with the store's own.
        let migration = include_str!("../../store/migrations/sqlite/0016_metric_tally.sql");
        let update = migration
            .split(';')
            .map(str::trim)
            .find(|statement| statement.starts_with("UPDATE metric_transitions"))
            .expect("the migration computes the tallies");
        env.execute("UPDATE metric_transitions SET tally = -1").await;
        env.execute(update).await;
        assert_eq!(env.fixgate.store().kpi_facts_dump().await.unwrap(), written, "{b}");
    })
    .await;
}

#[tokio::test]
async fn a_filter_narrows_every_figure_and_never_widens_what_the_caller_sees() {
    each_backend("report_filter", |env| async move {
        history(&env).await;
        let b = env.backend;
        let filtered = |filter: KpiFilter, visibility: Visibility| {
            let fixgate = env.fixgate.clone();
            async move {
                let request = KpiRequest { filter, ..request(None, Period::Week) };
                serde_json::to_value(fixgate.kpis(&request, visibility).await.unwrap()).unwrap()
            }
        };

        // Critical: A, C and E. Triaged A (2 h) and C (24 h); open now A
        // and C, both breached. Backlog: 3 opened 12-01; C closed 12-02 →
        // 2; A verified 12-06 → 1; A reopened 12-10 → 2; E verified 12-12
        // → 1; C reopened 12-14 → 2.
        let critical = KpiFilter { severity: Some(Severity::Critical), ..KpiFilter::default() };
        let k = filtered(critical, shop()).await;
        assert_eq!(k["mttt"]["all"], timing(2, Some(2.0), Some(24.0)), "{b}");
        assert_eq!(k["open"]["all"]["open"], 2, "{b}");
        assert_eq!(k["open"]["all"]["breached"], 2);
        let backlog: Vec<i64> =
            k["backlog"].as_array().unwrap().iter().map(|d| d["open"].as_i64().unwrap()).collect();
        assert_eq!(backlog, [3, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2, 1, 1, 2, 2], "{b}");
        assert_eq!(k["top"]["cwes"], json!([{"name": "CWE-89", "open": 2}]), "{b}");
        assert_eq!(k["opened_vs_verified"][0]["opened"], 3);

        // Team payments owns B alone (4 h to triage), and no application:
        // no scanner coverage.
        let payments = KpiFilter { team: Some("payments".into()), ..KpiFilter::default() };
        let k = filtered(payments, shop()).await;
        assert_eq!(k["mttt"]["all"], timing(1, Some(4.0), Some(4.0)), "{b}");
        assert_eq!(k["open"]["all"]["open"], 1);
        assert_eq!(k["coverage"], json!([]), "{b}");
        let shop_team = KpiFilter { team: Some("shop-team".into()), ..KpiFilter::default() };
        let k = filtered(shop_team, shop()).await;
        assert_eq!(k["coverage"].as_array().unwrap().len(), 2, "{b}");

        // An application: bank's H for someone who sees everything, and
        // nothing for a caller who sees shop alone.
        let bank = KpiFilter { application: Some("bank".into()), ..KpiFilter::default() };
        let k = filtered(bank.clone(), Visibility::everything()).await;
        assert_eq!(k["open"]["all"]["open"], 1, "{b}");
        assert_eq!(k["coverage"].as_array().unwrap().len(), 1);
        let k = filtered(bank, shop()).await;
        assert_eq!(k["open"]["all"]["open"], 0, "{b}");
        assert_eq!(k["backlog"][0]["open"], 0);
        assert_eq!(k["coverage"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn a_window_of_so_many_days_ends_today() {
    each_backend("report_days", |env| async move {
        at(&env, "2026-12-15T09:00:00Z");
        let request = KpiRequest { days: Some(30), ..KpiRequest::default() };
        let k = env.fixgate.kpis(&request, shop()).await.unwrap();
        assert_eq!(k.window.since.to_string(), "2026-11-16", "{}", env.backend);
        assert_eq!(k.window.until.to_string(), "2026-12-15");
        assert_eq!(k.backlog.len(), 30);

        let request = KpiRequest { days: Some(0), ..KpiRequest::default() };
        let err = env.fixgate.kpis(&request, shop()).await.unwrap_err().to_string();
        assert!(err.contains("a window of 0 days"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn rebuilt_facts_equal_those_kept_as_events_were_written() {
    each_backend("report_rebuild", |env| async move {
        history(&env).await;
        let store = env.fixgate.store();
        let kept = store.kpi_facts_dump().await.unwrap();
        let before = kpis(&env, Some(KpiGroup::Team), Visibility::everything()).await;
        // 8 tickets (A–H, G by hand) and their triages, closings and reopenings.
        assert_eq!(kept.iter().filter(|f| f.starts_with("ticket ")).count(), 8, "{kept:#?}");
        assert_eq!(kept.iter().filter(|f| f.starts_with("step ")).count(), 5 + 5 + 3);

        assert_eq!(env.fixgate.rebuild_kpi_facts().await.unwrap(), 8, "{}", env.backend);
        let rebuilt = store.kpi_facts_dump().await.unwrap();
        assert_eq!(rebuilt, kept, "{}", env.backend);
        let after = kpis(&env, Some(KpiGroup::Team), Visibility::everything()).await;
        assert_eq!(after, before);
    })
    .await;
}

#[tokio::test]
async fn a_window_must_run_forwards_and_the_csv_is_one_figure_per_row() {
    each_backend("report_window", |env| async move {
        history(&env).await;
        let backwards = KpiRequest {
            since: Some("2026-12-10".parse().unwrap()),
            until: Some("2026-12-01".parse().unwrap()),
            ..KpiRequest::default()
        };
        let err = env.fixgate.kpis(&backwards, shop()).await.unwrap_err().to_string();
        assert!(err.contains("since (2026-12-10) is after until (2026-12-01)"), "{err}");

        // The default window: the 90 days up to today, by week.
        let k = env.fixgate.kpis(&KpiRequest::default(), shop()).await.unwrap();
        assert_eq!(k.window.since.to_string(), "2026-09-17");
        assert_eq!(k.window.until.to_string(), "2026-12-15");
        assert_eq!(k.backlog.len(), 90);
        assert_eq!(k.mttt.all.count, 5);

        let monthly = KpiRequest { period: Period::Month, ..request(None, Period::Month) };
        let k = env.fixgate.kpis(&monthly, shop()).await.unwrap();
        assert_eq!(k.mttt.periods.len(), 1, "12-01 to 12-15 is one month");
        let csv = k.to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "figure,group,period,value");
        for expected in [
            "mttt_median_hours,all,all,24",
            "mttt_p90_hours,all,2026-12-01,288",
            "sla_adherence,all,all,0.8",
            "reopen_rate,all,all,0.4",
            "open_breached,all,now,2",
            "open_age_8_30,all,now,4",
            "weekly_opened,all,2026-12-01,6",
            "backlog_open,all,2026-12-15,5",
            "top_cwe,CWE-89,now,2",
            "coverage_stale,https://github.com/acme/shop Bandit,now,1",
        ] {
            assert!(lines.contains(&expected), "{expected} missing from\n{csv}");
        }
        assert!(lines.iter().all(|l| l.split(',').count() == 4), "{csv}");
    })
    .await;
}

/// `value` without `key`.
fn strip(value: &Value, key: &str) -> Value {
    let mut value = value.clone();
    if let Some(object) = value.as_object_mut() {
        object.remove(key);
    }
    value
}
