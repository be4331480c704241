//! The evidence pack on every backend, from a scripted history: each way a
//! ticket ends appears with its proof (verified by a scan at a commit, a
//! risk acceptance with requester, approver, expiry and reason, a false
//! positive, a closing by hand), a reopening by a scan, a ticket still open
//! and past its due date; tickets outside the window or the scope are left
//! out; the CSV quotes and defuses a hostile title.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use fixgate_domain::{Role, ScanContext, Severity, TicketState, TicketType};
use fixgate_service::evidence::{EvidencePack, EvidenceRequest};
use fixgate_service::testkit::{Env, each_backend, principal, sarif};
use fixgate_service::{AcceptRisk, CreateTicket, ImportRequest, MoveTicket, RiskDecision};
use fixgate_store::{RiskVerdict, Visibility};
use serde_json::{Value, json};

const HOSTILE: &str =
    "=HYPERLINK(\"http://evil.example\",\"x\") <script>alert(1)</script>, & \"q\"";

fn at(env: &Env, when: &str) {
    env.clock.set(when.parse().unwrap());
}

fn commit(digit: char) -> String {
    std::iter::repeat_n(digit, 40).collect()
}

/// A complete Semgrep scan of shop's main branch at a commit of `digit`s
/// that sees these of the findings OLD, A to E and L; returns its id.
async fn scan(env: &Env, seen: &[&str], digit: char) -> i64 {
    let all = [
        ("OLD", ("py/sql-injection", "app/old.py", 4, "exec(old)")),
        ("A", ("py/sql-injection", "app/a.py", 3, "cursor.execute(q)")),
        ("B", ("py/xss", "app/b.py", 9, "render(raw)")),
        ("C", ("py/sql-injection", "app/c.py", 5, "db.raw(q)")),
        ("D", ("py/xss", "app/d.py", 7, "html(x)")),
        ("E", ("py/sql-injection", "app/e.py", 1, "run(sql)")),
        ("L", ("py/sql-injection", "app/l.py", 8, "late(q)")),
    ];
    let results: Vec<_> =
        all.iter().filter(|(name, _)| seen.contains(name)).map(|(_, r)| *r).collect();
    let context = ScanContext {
        application: Some("shop".into()),
        repository: Some("https://github.com/acme/shop".into()),
        branch: Some("main".into()),
        commit: Some(commit(digit)),
        ..ScanContext::default()
    };
    let request = ImportRequest { context, ..ImportRequest::default() };
    let report = sarif("Semgrep", &results);
    env.fixgate.import(std::io::Cursor::new(report), request).await.unwrap().scan_id
}

async fn move_to(env: &Env, key: &str, state: TicketState, reason: Option<&str>) {
    let request = MoveTicket { reason: reason.map(str::to_string), ..MoveTicket::to(state) };
    env.fixgate.move_ticket(key, request, &principal("dana", Role::Security)).await.unwrap();
}

/// What the history leaves: ticket keys by name and the scans' ids.
struct World {
    keys: std::collections::HashMap<&'static str, String>,
    scans: std::collections::HashMap<&'static str, i64>,
}

impl World {
    fn key(&self, name: &str) -> &str {
        &self.keys[name]
    }
}

async fn key_of(env: &Env, path: &str) -> String {
    let filter = fixgate_store::TicketFilter { limit: 100, page: 1, ..Default::default() };
    let tickets = env.fixgate.list_tickets(&filter).await.unwrap().items;
    tickets.into_iter().find(|t| t.path.as_deref() == Some(path)).unwrap().key
}

/// All times UTC (the default policy's zone). Default SLA: critical 7
/// days, medium 90. The window is 12-01 to 12-15; now is 12-20.
///
/// - 11-01 OLD opened by scan s1; 11-02 called a false positive: closed
///   for good before the window.
/// - 12-01 09:00 scan s2 (commit 2…) opens A, C, E (critical, due 12-08)
///   and B, D (medium, due 03-01); bank's scan opens H (another application).
/// - 12-01 11:00 A triaged; 12-02 09:00 C a false positive ("test code").
/// - 12-02 15:00 D's risk: asked by dev ("internal only", until 2027-01-31),
///   approved by ciso with a note.
/// - 12-03 09:00 A waits on a vendor; 12-05 09:00 back in progress: due 12-10.
/// - 12-06 09:00 scan s3 (commit 3…) sees B, D, E: A verified.
/// - 12-10 09:00 scan s4 (commit 4…) sees A again: A reopened by s4.
/// - 12-12 09:00 scan s5 (commit 5…) sees B, D, E: A verified again, late.
/// - 12-13 09:00 B closed by hand ("feature removed").
/// - 12-14 09:00 G opened by hand with a hostile title (high, due 12-18).
/// - 12-17 09:00 scan s6 (commit 6…) sees D and L only: L opens after the
///   window and E is verified after it, so E stands open and breached.
async fn history(env: &Env) -> World {
    env.fixgate.add_owner("shop", "shop-team").await.unwrap();
    let mut scans = std::collections::HashMap::new();
    let mut keys = std::collections::HashMap::new();

    at(env, "2026-11-01T09:00:00Z");
    scans.insert("s1", scan(env, &["OLD"], '1').await);
    keys.insert("OLD", key_of(env, "app/old.py").await);
    at(env, "2026-11-02T09:00:00Z");
    move_to(env, &keys["OLD"], TicketState::FalsePositive, Some("vendored code")).await;

    at(env, "2026-12-01T09:00:00Z");
    scans.insert("s2", scan(env, &["A", "B", "C", "D", "E"], '2').await);
    for (name, path) in [("A", "a"), ("B", "b"), ("C", "c"), ("D", "d"), ("E", "e")] {
        keys.insert(name, key_of(env, &format!("app/{path}.py")).await);
    }
    let bank = ScanContext {
        application: Some("bank".into()),
        repository: Some("https://github.com/acme/bank".into()),
        branch: Some("main".into()),
        ..ScanContext::default()
    };
    let request = ImportRequest { context: bank, ..ImportRequest::default() };
    let report = sarif("Semgrep", &[("py/sql-injection", "x.py", 1, "x")]);
    env.fixgate.import(std::io::Cursor::new(report), request).await.unwrap();

    at(env, "2026-12-01T11:00:00Z");
    move_to(env, &keys["A"], TicketState::Triaged, None).await;
    at(env, "2026-12-02T09:00:00Z");
    move_to(env, &keys["C"], TicketState::FalsePositive, Some("test code")).await;
    at(env, "2026-12-02T15:00:00Z");
    let ask = AcceptRisk { reason: "internal only".into(), expires_at: "2027-01-31".into() };
    env.fixgate
        .request_acceptance(&keys["D"], ask, &principal("dev", Role::Developer))
        .await
        .unwrap();
    at(env, "2026-12-02T16:00:00Z");
    let note = RiskDecision { note: Some("reviewed in CAB".into()) };
    let ciso = principal("ciso", Role::Security);
    env.fixgate.decide_acceptance(&keys["D"], RiskVerdict::Approve, note, &ciso).await.unwrap();
    at(env, "2026-12-03T09:00:00Z");
    move_to(env, &keys["A"], TicketState::WaitingOnVendor, Some("driver fix")).await;
    at(env, "2026-12-05T09:00:00Z");
    move_to(env, &keys["A"], TicketState::InProgress, None).await;

    at(env, "2026-12-06T09:00:00Z");
    scans.insert("s3", scan(env, &["B", "D", "E"], '3').await);
    at(env, "2026-12-10T09:00:00Z");
    scans.insert("s4", scan(env, &["A", "B", "D", "E"], '4').await);
    at(env, "2026-12-12T09:00:00Z");
    scans.insert("s5", scan(env, &["B", "D", "E"], '5').await);
    at(env, "2026-12-13T09:00:00Z");
    move_to(env, &keys["B"], TicketState::Closed, Some("feature removed")).await;

    at(env, "2026-12-14T09:00:00Z");
    let g = CreateTicket {
        ticket_type: TicketType::Vulnerability,
        title: HOSTILE.into(),
        description: String::new(),
        severity: Severity::High,
        application: Some("shop".into()),
        repository: None,
        path: None,
        owner: None,
        priority: None,
        due_at: Some("2026-12-18T09:00:00Z".parse().unwrap()),
    };
    keys.insert("G", env.fixgate.create_ticket(g, "dana").await.unwrap().ticket.key);

    at(env, "2026-12-17T09:00:00Z");
    scans.insert("s6", scan(env, &["D", "L"], '6').await);
    keys.insert("L", key_of(env, "app/l.py").await);
    at(env, "2026-12-20T09:00:00Z");
    World { keys, scans }
}

fn window(application: Option<&str>) -> EvidenceRequest {
    EvidenceRequest {
        since: Some("2026-12-01".parse().unwrap()),
        until: Some("2026-12-15".parse().unwrap()),
        application: application.map(str::to_string),
        ..EvidenceRequest::default()
    }
}

async fn pack(env: &Env, request: &EvidenceRequest, visibility: Visibility) -> EvidencePack {
    env.fixgate.evidence(request, visibility).await.unwrap()
}

/// The pack's tickets as JSON, by key.
fn by_key(pack: &EvidencePack) -> std::collections::HashMap<String, Value> {
    let json = serde_json::to_value(pack).unwrap();
    json["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["key"].as_str().unwrap().to_string(), t.clone()))
        .collect()
}

fn scan_ref(id: i64, digit: char, at: &str) -> Value {
    json!({"id": id, "tool": "Semgrep", "commit": commit(digit), "branch": "main", "at": at})
}

#[tokio::test]
async fn each_ending_appears_with_its_proof() {
    each_backend("evidence_proof", |env| async move {
        let w = history(&env).await;
        let b = env.backend;
        let pack = pack(&env, &window(Some("shop")), Visibility::everything()).await;
        let t = by_key(&pack);
        let mut keys: Vec<&str> = t.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut expected: Vec<&str> = ["A", "B", "C", "D", "E", "G"].map(|n| w.key(n)).to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected, "{b}: OLD closed before, L opened after, H is bank's");

        // A: detected by s2, paused two days, verified by s3, reopened by s4,
        // verified by s5 after its due date (12-08 moved to 12-10 by the pause).
        let a = &t[w.key("A")];
        assert_eq!(a["detected"]["at"], "2026-12-01T09:00:00Z", "{b}");
        assert_eq!(a["detected"]["scan"], scan_ref(w.scans["s2"], '2', "2026-12-01T09:00:00Z"));
        assert_eq!(a["rule"], "py/sql-injection");
        assert_eq!(a["cwes"], json!(["CWE-89"]));
        assert_eq!(a["application"], "shop");
        assert_eq!(a["repository"], "https://github.com/acme/shop");
        assert_eq!(a["tool"], "Semgrep");
        assert_eq!(a["severity"], "critical");
        assert!(a["priority_reason"].is_string(), "{a}");
        assert_eq!(
            a["pauses"],
            json!([{"started_at": "2026-12-03T09:00:00Z", "ended_at": "2026-12-05T09:00:00Z",
                    "reason": "driver fix"}]),
            "{b}"
        );
        assert_eq!(a["reopens"].as_array().unwrap().len(), 1, "{b}: {a}");
        assert_eq!(a["reopens"][0]["cause"], "scan");
        assert_eq!(a["reopens"][0]["at"], "2026-12-10T09:00:00Z");
        assert_eq!(a["reopens"][0]["scan"], scan_ref(w.scans["s4"], '4', "2026-12-10T09:00:00Z"));
        assert_eq!(a["outcome"], "verified");
        assert_eq!(a["closure"]["at"], "2026-12-12T09:00:00Z");
        assert_eq!(a["closure"]["scan"], scan_ref(w.scans["s5"], '5', "2026-12-12T09:00:00Z"));
        assert_eq!(a["earlier_closings"][0]["outcome"], "verified");
        assert_eq!(a["earlier_closings"][0]["scan"]["id"], w.scans["s3"]);
        assert_eq!(a["due_at"], "2026-12-10T09:00:00Z", "{b}");
        assert_eq!(a["sla"], "breached");

        // B: closed by hand, with the reason, before its due date.
        let bt = &t[w.key("B")];
        assert_eq!(bt["outcome"], "closed", "{b}");
        assert_eq!(bt["closure"]["by"], "dana");
        assert_eq!(bt["closure"]["at"], "2026-12-13T09:00:00Z");
        assert_eq!(bt["closure"]["reason"], "feature removed");
        assert_eq!(bt["closure"]["scan"], Value::Null);
        assert_eq!(bt["sla"], "met");

        // C: a false positive, by whom, when and why.
        let c = &t[w.key("C")];
        assert_eq!(c["outcome"], "false_positive", "{b}");
        assert_eq!(c["closure"]["by"], "dana");
        assert_eq!(c["closure"]["at"], "2026-12-02T09:00:00Z");
        assert_eq!(c["closure"]["reason"], "test code");
        assert_eq!(c["sla"], "met");

        // D: the risk acceptance, requested by dev and approved by ciso.
        let d = &t[w.key("D")];
        assert_eq!(d["outcome"], "risk_accepted", "{b}");
        assert_eq!(d["closure"]["reason"], "internal only");
        assert_eq!(
            d["closure"]["acceptance"],
            json!({
                "requested_by": "dev", "requested_at": "2026-12-02T15:00:00Z",
                "approved_by": "ciso", "approved_at": "2026-12-02T16:00:00Z",
                "expires_at": "2027-01-31T00:00:00Z", "note": "reviewed in CAB"
            }),
            "{b}"
        );
        assert_eq!(d["sla"], "met");

        // E: verified on 12-17, after the window: open at its end, and past
        // its due date of 12-08.
        let e = &t[w.key("E")];
        assert_eq!(e["outcome"], "open", "{b}");
        assert_eq!(e["closure"], Value::Null);
        assert_eq!(e["due_at"], "2026-12-08T09:00:00Z");
        assert_eq!(e["sla"], "breached");

        // G: opened by hand, due after the window's end.
        let g = &t[w.key("G")];
        assert_eq!(g["title"], HOSTILE);
        assert_eq!(g["detected"]["by"], "dana", "{b}");
        assert_eq!(g["detected"]["scan"], Value::Null);
        assert_eq!(g["sla"], "open");

        let s = serde_json::to_value(&pack.summary).unwrap();
        assert_eq!(
            s,
            json!({
                "tickets": 6,
                "outcomes": {"verified": 1, "risk_accepted": 1, "false_positive": 1,
                             "closed": 1, "duplicate": 0, "open": 2},
                "sla": {"met": 3, "breached": 2, "open": 1, "paused": 0, "no_due_date": 0},
                "reopened_tickets": 1,
                "reopens": 1
            }),
            "{b}"
        );
        let p = serde_json::to_value(&pack).unwrap();
        assert_eq!(p["window"]["starts_at"], "2026-12-01T00:00:00Z");
        assert_eq!(p["window"]["ends_at"], "2026-12-16T00:00:00Z");
        assert_eq!(p["window"]["as_of"], "2026-12-16T00:00:00Z");
        assert_eq!(p["window"]["time_zone"], "UTC");
        assert_eq!(p["scope"]["application"], "shop");
        assert_eq!(p["generated_at"], "2026-12-20T09:00:00Z");
        // The head of the event log the pack was read from.
        let head = env.fixgate.audit_head().await.unwrap();
        assert!(head.seq > 0, "{head:?}");
        assert_eq!(p["chain"], json!({ "seq": head.seq, "hash": head.hash }));
        assert_eq!(p["warnings"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn the_window_and_the_scope_decide_which_tickets_appear() {
    each_backend("evidence_scope", |env| async move {
        let w = history(&env).await;
        let b = env.backend;
        let keys = |pack: &EvidencePack| -> Vec<String> {
            let mut keys: Vec<String> = pack.tickets.iter().map(|t| t.key.clone()).collect();
            keys.sort_unstable();
            keys
        };

        // Every application: bank's H too.
        let all = pack(&env, &window(None), Visibility::everything()).await;
        assert_eq!(all.tickets.len(), 7, "{b}: {:?}", keys(&all));

        // November: OLD alone (opened 11-01, closed 11-02).
        let november = EvidenceRequest {
            since: Some("2026-11-01".parse().unwrap()),
            until: Some("2026-11-30".parse().unwrap()),
            ..EvidenceRequest::default()
        };
        let old = pack(&env, &november, Visibility::everything()).await;
        assert_eq!(keys(&old), [w.key("OLD").to_string()], "{b}");
        assert_eq!(old.tickets[0].outcome.as_str(), "false_positive");

        // 12-17 to 12-20: L opened, E verified by s6; A, B, C, D closed
        // before it; G still open; H still open.
        let late = EvidenceRequest {
            since: Some("2026-12-17".parse().unwrap()),
            until: Some("2026-12-31".parse().unwrap()),
            application: Some("shop".into()),
            ..EvidenceRequest::default()
        };
        let late = pack(&env, &late, Visibility::everything()).await;
        let mut expected =
            vec![w.key("E").to_string(), w.key("G").to_string(), w.key("L").to_string()];
        expected.sort_unstable();
        assert_eq!(keys(&late), expected, "{b}");
        let e = late.tickets.iter().find(|t| t.key == w.key("E")).unwrap();
        assert_eq!(e.closure.as_ref().unwrap().scan.as_ref().unwrap().id, w.scans["s6"]);
        assert_eq!(late.window.as_of.to_string(), "2026-12-20T09:00:00Z", "now, before the end");
        assert_eq!(late.warnings.len(), 1, "{:?}", late.warnings);

        // By team and repository.
        let team = EvidenceRequest { team: Some("shop-team".into()), ..window(None) };
        assert_eq!(pack(&env, &team, Visibility::everything()).await.tickets.len(), 6, "{b}");
        let nobody = EvidenceRequest { team: Some("payments".into()), ..window(None) };
        assert!(pack(&env, &nobody, Visibility::everything()).await.tickets.is_empty());
        let repo = EvidenceRequest {
            repository: Some("https://github.com/acme/bank".into()),
            ..window(None)
        };
        let bank = pack(&env, &repo, Visibility::everything()).await;
        assert_eq!(bank.tickets.len(), 1, "{b}");
        assert_eq!(bank.tickets[0].application.as_deref(), Some("bank"));

        // A caller limited to bank sees bank's ticket alone, and the pack
        // says it is limited.
        let limited = Visibility { member: None, application: Some("bank".into()) };
        let seen = pack(&env, &window(None), limited).await;
        assert_eq!(seen.tickets.len(), 1, "{b}");
        assert!(seen.scope.limited_to_caller);
        assert!(seen.scope.describe().contains("limited to the caller's applications"));
    })
    .await;
}

#[tokio::test]
async fn the_csv_is_one_quoted_defused_row_per_ticket_under_its_header() {
    each_backend("evidence_csv", |env| async move {
        let w = history(&env).await;
        let pack =
            env.fixgate.evidence(&window(Some("shop")), Visibility::everything()).await.unwrap();
        let head = env.fixgate.audit_head().await.unwrap();
        let csv = pack.to_csv();
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert!(lines[0].starts_with("# fixgate evidence pack"), "{csv}");
        let log_head = format!("# Event log head: seq {}, SHA-256 {}", head.seq, head.hash);
        assert!(lines.contains(&log_head.as_str()), "{csv}");
        let header = lines.iter().position(|l| l.starts_with("key,title,")).unwrap();
        assert_eq!(lines[header].split(',').count(), 39);
        let rows = &lines[header + 1..];
        assert_eq!(rows.iter().filter(|l| !l.is_empty()).count(), 6, "{csv}");

        // The hostile title: quoted (it has commas and quotes), its quotes
        // doubled, and a leading ' so no spreadsheet runs it.
        let g = rows.iter().find(|l| l.starts_with(w.key("G"))).unwrap();
        let quoted = format!("{},\"'{}\",high,", w.key("G"), HOSTILE.replace('"', "\"\""));
        assert!(g.starts_with(&quoted), "{g}");

        // The verification's proof, in its columns.
        let a = rows.iter().find(|l| l.starts_with(&format!("{},", w.key("A")))).unwrap();
        let proof = format!("{},Semgrep,{},main,", w.scans["s5"], commit('5'));
        assert!(a.contains(&proof), "{a}");
        assert!(a.contains(",verified,2026-12-12T09:00:00Z,"), "{a}");
        let d = rows.iter().find(|l| l.starts_with(&format!("{},", w.key("D")))).unwrap();
        assert!(d.contains(",dev,2026-12-02T15:00:00Z,ciso,2026-12-02T16:00:00Z,"), "{d}");
        assert!(d.ends_with(",2027-01-31T00:00:00Z,reviewed in CAB"), "{d}");
    })
    .await;
}
