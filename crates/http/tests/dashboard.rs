//! The dashboard page, called in process on every backend with a signed-in
//! session: the figures of a scripted history, only what the person sees,
//! and the filter form narrowing them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fixgate_domain::{Role, ScanContext, TicketState};
use fixgate_http::AppState;
use fixgate_service::MoveTicket;
use fixgate_service::testkit::{Env, each_backend, import_bytes, principal, sarif, signed_in};

const SESSION_COOKIE: &str = "__Host-fixgate_session";

fn context(app: &str) -> ScanContext {
    ScanContext {
        application: Some(app.into()),
        repository: Some(format!("https://github.com/acme/{app}")),
        branch: Some("main".into()),
        ..ScanContext::default()
    }
}

/// The history (UTC; the default policy: critical due in 7 days, medium in
/// 90):
///
/// - 12-01 09:00 shop's Semgrep scan opens A (SQL injection, critical), B
///   and C (XSS, medium); bank's opens H (SQL injection, critical).
/// - 12-01 11:00 A moved to triaged: 2 hours to triage.
/// - 12-02 09:00 (now) shop's scan no longer sees A: verified after 24
///   hours, before its due date (12-08).
///
/// Open now: B and C (on track), H (due 12-08, within 7 days).
async fn history(env: &Env) -> String {
    env.fixgate.add_owner("shop", "shop-team").await.unwrap();
    env.fixgate.add_owner("bank", "bank-team").await.unwrap();
    let shop = [
        ("py/sql-injection", "a.py", 1, "q"),
        ("py/xss", "b.py", 2, "x"),
        ("py/xss", "c.py", 3, "y"),
    ];
    let opened = import_bytes(env, sarif("Semgrep", &shop), context("shop")).await;
    let bank = sarif("Semgrep", &[("py/sql-injection", "x.py", 1, "q")]);
    import_bytes(env, bank, context("bank")).await;
    let a = opened.opened_tickets[0].clone();

    env.clock.set("2026-12-01T11:00:00Z".parse().unwrap());
    let triage = MoveTicket::to(TicketState::Triaged);
    env.fixgate.move_ticket(&a, triage, &principal("sam", Role::Security)).await.unwrap();
    env.clock.set("2026-12-02T09:00:00Z".parse().unwrap());
    import_bytes(env, sarif("Semgrep", &shop[1..]), context("shop")).await;
    a
}

async fn server(env: &Env) -> (Router, tempfile::TempDir) {
    let spool = tempfile::tempdir().unwrap();
    let state = AppState::new(env.fixgate.clone(), spool.path(), 1 << 20);
    (fixgate_http::router(state), spool)
}

async fn get(router: &Router, cookie: &str, uri: &str) -> (StatusCode, String) {
    let request = Request::get(uri)
        .header(header::COOKIE, format!("{SESSION_COOKIE}={cookie}"))
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

use tower::ServiceExt;

/// The value and detail of the tile labelled `label`.
fn tile(html: &str, label: &str) -> (String, String) {
    let rest = html
        .split(&format!("<span class=\"tile-label\">{label}</span>"))
        .nth(1)
        .unwrap_or_else(|| panic!("no tile {label}: {html}"));
    let between = |open: &str| rest.split(open).nth(1).unwrap().split('<').next().unwrap();
    (
        between("<strong class=\"tile-value\">").to_string(),
        between("<span class=\"tile-detail\">").to_string(),
    )
}

fn value(html: &str, label: &str) -> String {
    tile(html, label).0
}

#[tokio::test]
async fn the_dashboard_shows_the_figures_of_the_history() {
    each_backend("dashboard_figures", |env| async move {
        history(&env).await;
        let (router, _spool) = server(&env).await;
        let (cookie, _) = signed_in(&env.fixgate, "ciso", Role::Security, &[]).await;
        let (status, html) = get(&router, &cookie, "/dashboard").await;
        let b = env.backend;
        assert_eq!(status, StatusCode::OK, "{b}: {html}");
        assert!(html.contains("<title>Dashboard · fixgate</title>"));
        assert!(html.contains("<a href=\"/dashboard\">Dashboard</a>"), "the top bar links it");
        assert!(html.contains("<strong>2026-09-04 to 2026-12-02, days in UTC</strong>"), "{html}");

        assert_eq!(tile(&html, "Open tickets"), ("3".into(), "2 on track, 0 paused".into()), "{b}");
        assert_eq!(value(&html, "Open breaches"), "0");
        assert_eq!(value(&html, "Due within 7 days"), "1", "{b}: H is due 12-08");
        assert_eq!(
            tile(&html, "Time to triage"),
            ("2 h".into(), "median; 90th percentile 2 h; 1 triaged".into()),
            "{b}"
        );
        assert_eq!(
            tile(&html, "Time to remediate"),
            ("24 h".into(), "median; 90th percentile 24 h; 1 verified".into())
        );
        assert_eq!(tile(&html, "SLA adherence"), ("100 %".into(), "1 met, 0 missed".into()));
        assert_eq!(value(&html, "Reopen rate"), "0 %");
        assert_eq!(
            tile(&html, "Closings"),
            ("1 verified".into(), "0 overridden without a scan&#39;s proof".into())
        );

        // Four charts, each an image with a title and a description, and
        // their numbers in tables.
        assert_eq!(html.matches("<svg class=\"chart\"").count(), 4, "{html}");
        assert_eq!(html.matches("role=\"img\"").count(), 4);
        for title in [
            "Open backlog per day",
            "Opened vs verified per week",
            "Open tickets by age and severity",
            "SLA adherence",
        ] {
            assert!(html.contains(&format!("-title\">{title}</title>")), "{title}: {html}");
        }
        assert!(html.contains("<details class=\"chart-data\">"));
        assert!(html.contains("<tr><td>2026-12-01</td><td class=\"num\">4</td></tr>"), "{html}");
        assert!(html.contains("<tr><td>2026-12-02</td><td class=\"num\">3</td></tr>"));
        assert!(
            html.contains(
                "<tr><td>2026-11-30</td><td class=\"num\">4</td><td class=\"num\">1</td></tr>"
            ),
            "week of 11-30: 4 opened, 1 verified: {html}"
        );
        // 0–7 days: H critical, B and C medium.
        let ages = "<tr><th scope=\"row\">0–7 days</th><td class=\"num\">1</td>\
                    <td class=\"num\">0</td><td class=\"num\">2</td><td class=\"num\">0</td>\
                    <td class=\"num\">0</td><td class=\"num\">3</td></tr>";
        assert!(html.contains(ages), "{b}: {html}");
        assert!(html.contains(">100 %</text>"), "the gauge is full");

        // Top lists and coverage, its state in words.
        let cwes = html.split("<h2 id=\"top-cwes\">").nth(1).unwrap();
        let cwes = cwes.split("</section>").next().unwrap();
        assert!(cwes.find("CWE-79").unwrap() < cwes.find("CWE-89").unwrap(), "{cwes}");
        assert!(html.contains("<td class=\"name\">https://github.com/acme/bank</td>"));
        assert_eq!(html.matches("<td class=\"scan-state\">Current: 0 days old</td>").count(), 1);
        assert_eq!(html.matches("<td class=\"scan-state\">Current: 1 day old</td>").count(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_developer_sees_only_their_teams_figures() {
    each_backend("dashboard_developer", |env| async move {
        history(&env).await;
        let (router, _spool) = server(&env).await;
        let (cookie, _) = signed_in(&env.fixgate, "dev", Role::Developer, &["shop-team"]).await;
        let (status, html) = get(&router, &cookie, "/dashboard").await;
        assert_eq!(status, StatusCode::OK, "{}: {html}", env.backend);
        assert_eq!(value(&html, "Open tickets"), "2", "{}: B and C", env.backend);
        assert_eq!(value(&html, "Due within 7 days"), "0");
        assert!(!html.contains("acme/bank"), "nothing of bank: {html}");
        assert!(!html.contains("<option value=\"bank\""), "bank is no choice: {html}");
        assert!(!html.contains("<option value=\"bank-team\""));
        assert!(html.contains("<option value=\"shop\">shop</option>"));
        assert!(html.contains("<option value=\"shop-team\">shop-team</option>"));

        // Naming bank in the URL does not widen what the developer sees.
        let (status, html) = get(&router, &cookie, "/dashboard?application=bank").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(value(&html, "Open tickets"), "0", "{}", env.backend);
        assert!(!html.contains("acme/bank"));
    })
    .await;
}

#[tokio::test]
async fn filters_change_the_figures() {
    each_backend("dashboard_filters", |env| async move {
        history(&env).await;
        let (router, _spool) = server(&env).await;
        let (cookie, _) = signed_in(&env.fixgate, "ciso", Role::Security, &[]).await;
        let b = env.backend;

        let (_, html) = get(&router, &cookie, "/dashboard?application=bank").await;
        assert_eq!(value(&html, "Open tickets"), "1", "{b}");
        assert_eq!(value(&html, "Time to triage"), "–");
        assert!(html.contains("<option value=\"bank\" selected>bank</option>"), "{html}");
        assert!(html.contains("Clear filters"));

        let (_, html) = get(&router, &cookie, "/dashboard?severity=critical").await;
        assert_eq!(value(&html, "Open tickets"), "1", "{b}: H");
        assert_eq!(value(&html, "Time to triage"), "2 h", "A was critical");
        let (_, html) = get(&router, &cookie, "/dashboard?severity=medium").await;
        assert_eq!(value(&html, "Open tickets"), "2", "{b}: B and C");
        assert_eq!(value(&html, "Time to remediate"), "–");

        let (_, html) = get(&router, &cookie, "/dashboard?team=shop-team").await;
        assert_eq!(value(&html, "Open tickets"), "2", "{b}");
        assert!(!html.contains("acme/bank"), "bank's coverage is not shop-team's: {html}");

        let (_, html) = get(&router, &cookie, "/dashboard?days=30").await;
        assert!(html.contains("<strong>2026-11-03 to 2026-12-02, days in UTC</strong>"), "{html}");
        assert!(html.contains("<option value=\"30\" selected>Last 30 days</option>"));
        // 30 days, and 5 weeks: from Tuesday 11-03, then Mondays 11-09 to 11-30.
        assert_eq!(html.matches("<tr><td>2026-1").count(), 30 + 5, "{html}");

        for (query, message) in [
            ("days=week", "days: &#34;week&#34; is not a number of days"),
            ("severity=urgent", "severity:"),
            ("colour=red", "unknown field `colour`"),
        ] {
            let (status, html) = get(&router, &cookie, &format!("/dashboard?{query}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
            assert!(html.contains("<div class=\"alert\" role=\"alert\">"), "{query}: {html}");
            assert!(html.contains(message), "{query}: {html}");
            assert!(!html.contains("<svg"), "no figures for a bad form");
        }
    })
    .await;
}
