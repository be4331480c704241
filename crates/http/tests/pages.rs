//! The web app's overviews on every backend, through the router with real
//! sessions: the board by state, "my work", saved views and the scan
//! history of repositories, each limited to the applications the person's
//! teams own.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fixgate_domain::{Role, ScanContext, TicketState};
use fixgate_http::AppState;
use fixgate_service::testkit::{Env, each_backend, import_bytes, principal, sarif, signed_in};
use fixgate_service::{AcceptRisk, ImportReport, MoveTicket};
use fixgate_store::Visibility;
use tower::ServiceExt;

const SHOP_REPO: &str = "https://github.com/acme/shop";
const BANK_REPO: &str = "https://github.com/acme/bank";

/// A signed-in person: the session cookie and its CSRF value.
struct Person {
    cookie: String,
    csrf: String,
}

struct World {
    router: Router,
    /// shop's tickets: a critical SQL injection, then two medium XSS.
    shop: Vec<String>,
    bank: Vec<String>,
    /// Developer of shop-team.
    dana: Person,
    /// Developer of bank-team.
    olga: Person,
    /// Security engineer: decides risk acceptances.
    sam: Person,
    /// Viewer in both teams.
    vic: Person,
    _spool: tempfile::TempDir,
}

fn context(application: &str, repository: &str) -> ScanContext {
    ScanContext {
        application: Some(application.into()),
        repository: Some(repository.into()),
        branch: Some("main".into()),
        commit: Some("1111111111111111111111111111111111111111".into()),
        ..ScanContext::default()
    }
}

async fn world(env: &Env) -> World {
    env.fixgate.add_owner("shop", "shop-team").await.unwrap();
    env.fixgate.add_owner("bank", "bank-team").await.unwrap();
    let shop = sarif(
        "Semgrep",
        &[
            ("py/sql-injection", "app/a.py", 3, "cursor.execute(q)"),
            ("py/xss", "app/b.py", 9, "return html(x)"),
            ("py/xss", "app/c.py", 5, "return html(y)"),
        ],
    );
    let bank = sarif(
        "Semgrep",
        &[("py/sql-injection", "srv/a.py", 3, "run(q)"), ("py/xss", "srv/b.py", 4, "out(x)")],
    );
    let shop = import_bytes(env, shop, context("shop", SHOP_REPO)).await.opened_tickets;
    let bank = import_bytes(env, bank, context("bank", BANK_REPO)).await.opened_tickets;
    assert_eq!((shop.len(), bank.len()), (3, 2));

    let person = |name: &'static str, role, teams: &'static [&'static str]| async move {
        let (cookie, csrf) = signed_in(&env.fixgate, name, role, teams).await;
        Person { cookie, csrf }
    };
    let dana = person("dana", Role::Developer, &["shop-team"]).await;
    let olga = person("olga", Role::Developer, &["bank-team"]).await;
    let sam = person("sam", Role::Security, &[]).await;
    let vic = person("vic", Role::Viewer, &["bank-team", "shop-team"]).await;
    let spool = tempfile::tempdir().unwrap();
    let state = AppState::new(env.fixgate.clone(), spool.path(), 1 << 20);
    World { router: fixgate_http::router(state), shop, bank, dana, olga, sam, vic, _spool: spool }
}

async fn call(
    world: &World,
    who: &Person,
    request: axum::http::request::Builder,
    body: String,
) -> (StatusCode, String, String) {
    let request = request
        .header(header::COOKIE, format!("__Host-fixgate_session={}", who.cookie))
        .body(Body::from(body))
        .unwrap();
    let response = world.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, location, String::from_utf8(bytes.to_vec()).unwrap())
}

async fn get(world: &World, who: &Person, uri: &str) -> (StatusCode, String) {
    let (status, _, html) = call(world, who, Request::get(uri), String::new()).await;
    (status, html)
}

async fn page(world: &World, who: &Person, uri: &str) -> String {
    let (status, html) = get(world, who, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {html}");
    html
}

/// A form post; `{csrf}` in `form` becomes the person's CSRF value.
async fn post(world: &World, who: &Person, uri: &str, form: &str) -> (StatusCode, String, String) {
    let request =
        Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    call(world, who, request, form.replace("{csrf}", &who.csrf)).await
}

/// The part of `html` from `start` to the next `end` after it.
fn part<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = html.find(start)?;
    let rest = &html[from..];
    let to = rest[start.len()..].find(end).map_or(rest.len(), |at| at + start.len());
    Some(&rest[..to])
}

/// The ticket keys `html` links to, in order, each once.
fn keys(html: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for rest in html.split("href=\"/tickets/").skip(1) {
        let key = rest.split('"').next().unwrap().to_string();
        if !out.contains(&key) {
            out.push(key);
        }
    }
    out
}

/// The count and the card keys of the board's column for `state`; `None`
/// when the board has no such column.
fn column(html: &str, state: TicketState) -> Option<(u64, Vec<String>)> {
    let section = part(html, &format!("id=\"column-{}\"", state.as_str()), "</section>")?;
    let count = part(section, "<span class=\"count\">", "<").unwrap();
    let count = count.trim_start_matches("<span class=\"count\">").replace(',', "");
    Some((count.parse().unwrap(), keys(section)))
}

async fn triage(env: &Env, key: &str, due: &str) {
    let triage = MoveTicket {
        owner: Some("shop-team".into()),
        due_at: Some(due.parse().unwrap()),
        ..MoveTicket::to(TicketState::Triaged)
    };
    env.fixgate.move_ticket(key, triage, &principal("sam", Role::Security)).await.unwrap();
}

#[tokio::test]
async fn board_columns_hold_the_right_tickets_and_counts() {
    each_backend("pages_board", |env| async move {
        let w = world(&env).await;
        let [sql, late, soon] = [&w.shop[0], &w.shop[1], &w.shop[2]];
        triage(&env, late, "2026-12-20T00:00:00Z").await;
        triage(&env, soon, "2026-12-10T00:00:00Z").await;

        let html = page(&w, &w.dana, "/board").await;
        assert!(html.contains("<title>Board · fixgate</title>"), "{html}");
        assert_eq!(column(&html, TicketState::New), Some((1, vec![sql.clone()])));
        // The earlier due date first.
        let triaged = Some((2, vec![soon.clone(), late.clone()]));
        assert_eq!(column(&html, TicketState::Triaged), triaged);
        assert_eq!(column(&html, TicketState::Verified), Some((0, vec![])));
        assert!(w.bank.iter().all(|key| !html.contains(key.as_str())), "{html}");

        // The list's filters apply to every column.
        let html = page(&w, &w.dana, "/board?severity=medium").await;
        assert_eq!(column(&html, TicketState::New), Some((0, vec![])));
        assert_eq!(column(&html, TicketState::Triaged), triaged);
        let html = page(&w, &w.dana, "/board?state=triaged").await;
        assert_eq!(column(&html, TicketState::New), None);
        assert_eq!(column(&html, TicketState::Triaged), triaged);
        assert!(html.contains("<option value=\"triaged\" selected>"), "the form shows the filter");

        // A developer of another team sees none of it, counts included.
        let html = page(&w, &w.olga, "/board").await;
        let bank: BTreeSet<String> = w.bank.iter().cloned().collect();
        let (count, shown) = column(&html, TicketState::New).unwrap();
        assert_eq!((count, shown.into_iter().collect::<BTreeSet<_>>()), (2, bank));
        assert_eq!(column(&html, TicketState::Triaged), Some((0, vec![])));
        assert!(w.shop.iter().all(|key| !html.contains(key.as_str())), "{html}");

        let (status, html) = get(&w, &w.dana, "/board?severity=dire").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("severity: "), "{html}");
    })
    .await;
}

#[tokio::test]
async fn my_work_lists_exactly_the_person_s_tickets() {
    each_backend("pages_my_work", |env| async move {
        let w = world(&env).await;
        let [sql, late, soon] = [&w.shop[0], &w.shop[1], &w.shop[2]];
        triage(&env, late, "2026-12-20T00:00:00Z").await;
        triage(&env, soon, "2026-12-10T00:00:00Z").await;
        let all = Visibility::everything();
        env.fixgate.assign(late, Some("dana"), &all, "sam").await.unwrap();
        env.fixgate.assign(soon, Some("dana"), &all, "sam").await.unwrap();
        env.fixgate.assign(&w.bank[0], Some("olga"), &all, "sam").await.unwrap();

        let html = page(&w, &w.dana, "/my").await;
        assert!(html.contains("<strong>2</strong> assigned to you"), "{html}");
        assert!(html.contains("<strong>1</strong> unassigned in shop-team"), "{html}");
        let assigned = part(&html, "id=\"assigned\"", "</section>").unwrap();
        assert_eq!(keys(assigned), vec![soon.clone(), late.clone()], "most urgent first");
        let unassigned = part(&html, "id=\"unassigned\"", "</section>").unwrap();
        assert_eq!(keys(unassigned), vec![sql.clone()]);
        assert!(!html.contains("Risk acceptances to decide"), "a developer does not decide");
        assert!(!html.contains("name=\"team\""), "one team, no choice");

        let html = page(&w, &w.olga, "/my").await;
        let assigned = part(&html, "id=\"assigned\"", "</section>").unwrap();
        assert_eq!(keys(assigned), vec![w.bank[0].clone()]);
        let unassigned = part(&html, "id=\"unassigned\"", "</section>").unwrap();
        assert_eq!(keys(unassigned), vec![w.bank[1].clone()]);
        assert!(w.shop.iter().all(|key| !html.contains(key.as_str())));

        // A person of two teams picks one.
        let html = page(&w, &w.vic, "/my?team=shop-team").await;
        assert!(html.contains("<option value=\"shop-team\" selected>"), "{html}");
        let unassigned = part(&html, "id=\"unassigned\"", "</section>").unwrap();
        assert_eq!(keys(unassigned), vec![sql.clone()]);
        assert!(html.contains("<strong>0</strong> assigned to you"));
        let html = page(&w, &w.vic, "/my?team=bank-team").await;
        let unassigned = part(&html, "id=\"unassigned\"", "</section>").unwrap();
        assert_eq!(keys(unassigned), vec![w.bank[1].clone()]);
        let (status, html) = get(&w, &w.vic, "/my?team=payments").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("you are not in team"), "{html}");

        // Tickets without a due date come after those with one. No use
        // case takes a due date away, so the statement does.
        env.fixgate.assign(sql, Some("dana"), &all, "sam").await.unwrap();
        env.execute(&format!("UPDATE tickets SET due_at = NULL WHERE ticket_key = '{sql}'")).await;
        let html = page(&w, &w.dana, "/my").await;
        let assigned = part(&html, "id=\"assigned\"", "</section>").unwrap();
        assert_eq!(keys(assigned), vec![soon.clone(), late.clone(), sql.clone()]);
        assert!(html.contains("Every open ticket of shop-team has someone working on it."));

        // Security decides risk acceptances: the pending one is theirs to see.
        let ask = AcceptRisk { reason: "behind the VPN".into(), expires_at: "2027-03-01".into() };
        let dana = principal("dana", Role::Developer);
        env.fixgate.request_acceptance(sql, ask, &dana).await.unwrap();
        let html = page(&w, &w.sam, "/my").await;
        assert!(html.contains("<strong>1</strong> risk acceptances to decide"), "{html}");
        let pending = part(&html, "id=\"acceptances\"", "</section>").unwrap();
        assert_eq!(keys(pending), vec![sql.clone()]);
        assert!(pending.contains("behind the VPN") && pending.contains("dana"));
    })
    .await;
}

#[tokio::test]
async fn saved_views_round_trip_and_stay_private() {
    each_backend("pages_saved_views", |env| async move {
        let w = world(&env).await;
        let form = "csrf={csrf}&name=+High+ones+&page=tickets&query=severity%3Dhigh%26bogus%3D1";
        let (status, location, _) = post(&w, &w.dana, "/views", form).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(location.starts_with("/views/"), "{location}");
        let id = location.trim_start_matches("/views/").to_string();
        let (status, target, _) = call(&w, &w.dana, Request::get(&location), String::new()).await;
        assert_eq!((status, target.as_str()), (StatusCode::SEE_OTHER, "/tickets?severity=high"));
        let html = page(&w, &w.dana, "/tickets").await;
        assert!(html.contains("<title>Tickets · fixgate</title>"), "{html}");
        let sidebar = part(&html, "<aside class=\"views\"", "</aside>").unwrap();
        assert!(sidebar.contains(&format!("<a href=\"/views/{id}\">High ones</a>")), "{html}");

        // Names are checked, with the reason shown.
        for (form, status, reason) in [
            ("csrf={csrf}&name=high+ONES&page=tickets&query=", 409, "already have a view named"),
            ("csrf={csrf}&name=+&page=tickets&query=", 400, "a saved view needs a name"),
            ("csrf={csrf}&name=x&page=admin&query=", 400, "is not a page a view opens"),
            ("csrf={csrf}&name=b&page=board&query=&team=bank-team", 400, "not in team"),
        ] {
            let (got, _, html) = post(&w, &w.dana, "/views", form).await;
            assert_eq!(got.as_u16(), status, "{form}: {html}");
            assert!(html.contains(reason), "{form}: {html}");
        }
        let long = format!("csrf={{csrf}}&name={}&page=tickets&query=", "x".repeat(61));
        let (got, _, html) = post(&w, &w.dana, "/views", &long).await;
        assert_eq!(got, StatusCode::BAD_REQUEST);
        assert!(html.contains("at most 60 characters"), "{html}");
        let (got, _, _) = post(&w, &w.dana, "/views", "csrf=forged&name=y&page=tickets").await;
        assert_eq!(got, StatusCode::FORBIDDEN);

        // Private to its owner: others neither see nor change it.
        assert!(!page(&w, &w.olga, "/tickets").await.contains("High ones"));
        assert!(!page(&w, &w.vic, "/views").await.contains("High ones"));
        assert_eq!(get(&w, &w.olga, &format!("/views/{id}")).await.0, StatusCode::NOT_FOUND);
        let rename = format!("/views/{id}/rename");
        let (got, _, _) = post(&w, &w.olga, &rename, "csrf={csrf}&name=Mine").await;
        assert_eq!(got, StatusCode::NOT_FOUND);
        let delete = format!("/views/{id}/delete");
        assert_eq!(post(&w, &w.olga, &delete, "csrf={csrf}").await.0, StatusCode::NOT_FOUND);

        // Shared with a team, its members open it; still only its owner changes it.
        let form = "csrf={csrf}&name=Team+board&page=board&query=state%3Dnew&team=shop-team";
        let (_, location, _) = post(&w, &w.dana, "/views", form).await;
        let shared = location.trim_start_matches("/views/").to_string();
        let html = page(&w, &w.vic, "/board").await;
        assert!(html.contains("Team board</a>") && html.contains("shared by dana"), "{html}");
        let (_, target, _) = call(&w, &w.vic, Request::get(&location), String::new()).await;
        assert_eq!(target, "/board?state=new");
        assert!(!page(&w, &w.olga, "/board").await.contains("Team board"));
        let (got, _, _) =
            post(&w, &w.vic, &format!("/views/{shared}/rename"), "csrf={csrf}&name=X").await;
        assert_eq!(got, StatusCode::NOT_FOUND);

        // Renamed, then deleted.
        let (got, _, html) = post(&w, &w.dana, &rename, "csrf={csrf}&name=Highest").await;
        assert_eq!(got, StatusCode::OK, "{html}");
        assert!(page(&w, &w.dana, "/tickets").await.contains("Highest</a>"));
        let (got, _, html) = post(&w, &w.dana, &rename, "csrf={csrf}&name=team+BOARD").await;
        assert_eq!(got, StatusCode::CONFLICT, "{html}");
        let (got, location, _) = post(&w, &w.dana, &delete, "csrf={csrf}").await;
        assert_eq!((got, location.as_str()), (StatusCode::SEE_OTHER, "/views"));
        assert_eq!(get(&w, &w.dana, &format!("/views/{id}")).await.0, StatusCode::NOT_FOUND);
        assert!(!page(&w, &w.dana, "/views").await.contains("Highest"));
    })
    .await;
}

fn example(version: &str, report: &str) -> (Vec<u8>, ScanContext) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/reports").join(version);
    let context = std::fs::read_to_string(dir.join("context.json")).unwrap();
    (std::fs::read(dir.join(report)).unwrap(), serde_json::from_str(&context).unwrap())
}

/// The counts the history shows for scan `id`, by column label.
fn scan_counts(html: &str, id: i64) -> Vec<(String, u64)> {
    let section = part(html, &format!("id=\"scan-{id}\""), "</section>").unwrap();
    let head = part(section, "<thead>", "</thead>").unwrap();
    let labels: Vec<String> = head
        .split("<th scope=\"col\">")
        .skip(1)
        .map(|cell| cell.split('<').next().unwrap().to_string())
        .collect();
    let body = part(section, "<tbody>", "</tbody>").unwrap();
    let values: Vec<u64> = body
        .split("<td>")
        .skip(1)
        .map(|cell| {
            let text = text_of(cell.split("</td>").next().unwrap());
            text.split_whitespace().next().unwrap().replace(',', "").parse().unwrap()
        })
        .collect();
    assert_eq!(labels.len(), values.len(), "{section}");
    labels.into_iter().zip(values).collect()
}

/// `html` without its tags.
fn text_of(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

fn shown(counts: &[(String, u64)], label: &str) -> u64 {
    counts.iter().find(|(l, _)| l == label).map(|(_, n)| *n).unwrap()
}

/// The keys of the tickets the list shows for `uri`.
async fn listed(w: &World, who: &Person, uri: &str) -> BTreeSet<String> {
    let html = page(w, who, uri).await;
    keys(part(&html, "<tbody>", "</tbody>").unwrap_or("")).into_iter().collect()
}

#[tokio::test]
async fn scan_history_counts_equal_what_the_scans_did() {
    each_backend("pages_scan_history", |env| async move {
        let w = world(&env).await;
        env.fixgate.add_owner("vulnshop", "shop-team").await.unwrap();
        let mut reports: Vec<ImportReport> = Vec::new();
        for version in ["v1", "v2", "v1"] {
            let (bytes, context) = example(version, "bandit.sarif");
            reports.push(import_bytes(&env, bytes, context).await);
        }
        let (first, fixed, back) = (&reports[0], &reports[1], &reports[2]);
        assert!(first.counts.opened > 0 && fixed.counts.verified > 0 && back.counts.reopened > 0);

        let html = page(&w, &w.dana, "/repos").await;
        assert!(html.contains("https://github.com/fixgate-demo/vulnshop"), "{html}");
        let before = html.split("\">https://github.com/fixgate-demo/vulnshop").next().unwrap();
        let id = before.rsplit("/repos/").next().unwrap().to_string();
        assert!(id.parse::<i64>().is_ok(), "{id}");
        assert!(!page(&w, &w.olga, "/repos").await.contains("vulnshop"));
        assert_eq!(get(&w, &w.olga, &format!("/repos/{id}")).await.0, StatusCode::NOT_FOUND);

        let html = page(&w, &w.dana, &format!("/repos/{id}")).await;
        assert!(html.contains("<strong>3</strong> scans"), "{html}");
        for report in &reports {
            let counts = scan_counts(&html, report.scan_id);
            let c = &report.counts;
            assert_eq!(shown(&counts, "Findings in the report"), report.findings);
            assert_eq!(shown(&counts, "Opened"), c.opened);
            assert_eq!(shown(&counts, "Seen again"), c.seen_again);
            assert_eq!(shown(&counts, "No longer seen"), c.no_longer_seen);
            assert_eq!(shown(&counts, "Verified (closed as fixed)"), c.verified);
            assert_eq!(shown(&counts, "Reopened"), c.reopened);
            assert_eq!(shown(&counts, "Suppressed"), c.suppressed);
        }

        // The counts lead to exactly the tickets.
        let uri = |scan: i64, change: &str| format!("/tickets?scan={scan}&change={change}");
        let opened = listed(&w, &w.dana, &uri(first.scan_id, "opened")).await;
        assert_eq!(opened, first.opened_tickets.iter().cloned().collect());
        let verified = listed(&w, &w.dana, &uri(fixed.scan_id, "verified")).await;
        assert_eq!(verified.len() as u64, fixed.counts.verified);
        let reopened = listed(&w, &w.dana, &uri(back.scan_id, "reopened")).await;
        assert_eq!(reopened.len() as u64, back.counts.reopened);
        assert!(reopened.is_subset(&verified), "{reopened:?} were verified by scan 2");
        assert!(
            listed(&w, &w.dana, &uri(fixed.scan_id, "opened")).await.len() as u64
                == fixed.counts.opened
        );

        // Another team's developer sees none of the scan's tickets.
        assert!(listed(&w, &w.olga, &uri(first.scan_id, "opened")).await.is_empty());
    })
    .await;
}
