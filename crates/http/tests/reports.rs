//! `GET /api/v1/reports/kpis`, called in process on every backend: the
//! figures of what the caller sees, as JSON or CSV, and bad parameters
//! named in a problem.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fixgate_domain::{Role, ScanContext};
use fixgate_http::AppState;
use fixgate_service::testkit::{Env, each_backend, import_bytes, sarif, service_token};
use serde_json::Value;
use tower::ServiceExt;

async fn get(router: &Router, token: &str, uri: &str) -> (StatusCode, String, String) {
    let request = Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, content_type, String::from_utf8(bytes.to_vec()).unwrap())
}

/// shop has two open tickets, bank one.
async fn world(env: &Env) {
    let context = |app: &str| ScanContext {
        application: Some(app.into()),
        repository: Some(format!("https://github.com/acme/{app}")),
        branch: Some("main".into()),
        ..ScanContext::default()
    };
    let two = sarif("Semgrep", &[("r1", "a.py", 1, "x"), ("r2", "b.py", 2, "y")]);
    import_bytes(env, two, context("shop")).await;
    import_bytes(env, sarif("Semgrep", &[("r1", "a.py", 1, "x")]), context("bank")).await;
    env.fixgate.add_owner("shop", "shop-team").await.unwrap();
    env.fixgate.add_owner("bank", "bank-team").await.unwrap();
}

#[tokio::test]
async fn each_caller_gets_the_figures_of_what_they_see() {
    each_backend("reports_scope", |env| async move {
        world(&env).await;
        let spool = tempfile::tempdir().unwrap();
        let router =
            fixgate_http::router(AppState::new(env.fixgate.clone(), spool.path(), 1 << 20));
        let security = service_token(&env.fixgate, "ciso", Role::Security, None, &[]).await;
        let shop =
            service_token(&env.fixgate, "shop-dev", Role::Developer, None, &["shop-team"]).await;
        let bank =
            service_token(&env.fixgate, "bank-ci", Role::Viewer, Some("bank"), &["bank-team"])
                .await;

        let open = |body: &str| -> u64 {
            let k: Value = serde_json::from_str(body).unwrap();
            k["open"]["all"]["open"].as_u64().unwrap()
        };
        for (token, expected) in [(&security, 3), (&shop, 2), (&bank, 1)] {
            let (status, content_type, body) = get(&router, token, "/api/v1/reports/kpis").await;
            assert_eq!(status, StatusCode::OK, "{}: {body}", env.backend);
            assert_eq!(content_type, "application/json");
            assert_eq!(open(&body), expected, "{}", env.backend);
        }

        let (status, content_type, csv) =
            get(&router, &shop, "/api/v1/reports/kpis?by=app&period=month&format=csv").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, "text/csv; charset=utf-8");
        assert!(csv.starts_with("figure,group,period,value\n"), "{csv}");
        assert!(csv.contains("\nopen_total,shop,now,2\n"), "{csv}");
        assert!(!csv.contains("bank"), "the shop developer sees nothing of bank: {csv}");

        // Filters narrow what the caller sees, never widen it.
        for (token, query, expected) in [
            (&security, "app=bank", 1),
            (&security, "app=shop", 2),
            (&shop, "app=bank", 0),
            (&bank, "app=shop", 0),
            (&security, "app=nowhere", 0),
        ] {
            let (status, _, body) =
                get(&router, token, &format!("/api/v1/reports/kpis?{query}")).await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            assert_eq!(open(&body), expected, "{} {query}", env.backend);
        }
        // Each ticket has one severity: the severities' open counts add up.
        let mut by_severity = 0;
        for severity in ["critical", "high", "medium", "low", "info"] {
            let uri = format!("/api/v1/reports/kpis?severity={severity}");
            let (status, _, body) = get(&router, &security, &uri).await;
            assert_eq!(status, StatusCode::OK, "{severity}: {body}");
            by_severity += open(&body);
        }
        assert_eq!(by_severity, 3, "{}", env.backend);
    })
    .await;
}

#[tokio::test]
async fn bad_parameters_are_named_in_a_problem() {
    each_backend("reports_bad", |env| async move {
        let spool = tempfile::tempdir().unwrap();
        let router =
            fixgate_http::router(AppState::new(env.fixgate.clone(), spool.path(), 1 << 20));
        let token = service_token(&env.fixgate, "ciso", Role::Security, None, &[]).await;
        for (query, detail) in [
            ("since=yesterday", "since: \"yesterday\" is not a date such as 2026-12-01"),
            ("by=color", "unknown grouping \"color\""),
            ("period=day", "unknown period \"day\""),
            ("format=xml", "format: \"xml\" is not one of json or csv"),
            ("stale_days=-1", "stale_days: \"-1\" is not a number of days"),
            ("since=2026-12-10&until=2026-12-01", "is after until"),
            ("since=2020-01-01&until=2026-01-01", "longer than 1100 days"),
            ("colour=red", "unknown field `colour`"),
            ("severity=urgent", "severity:"),
        ] {
            let (status, content_type, body) =
                get(&router, &token, &format!("/api/v1/reports/kpis?{query}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
            assert_eq!(content_type, "application/problem+json", "{query}");
            let problem: Value = serde_json::from_str(&body).unwrap();
            let said = problem["detail"].as_str().unwrap();
            assert!(said.contains(detail), "{query}: {said}");
        }
    })
    .await;
}

/// The response's status, content type, Content-Security-Policy and body.
async fn get_with_policy(
    router: &Router,
    token: &str,
    uri: &str,
) -> (StatusCode, String, String, String) {
    let request = Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let header_of = |name| {
        response.headers().get(name).map(|v: &header::HeaderValue| v.to_str().unwrap().to_string())
    };
    let content_type = header_of(header::CONTENT_TYPE).unwrap_or_default();
    let policy = header_of(header::CONTENT_SECURITY_POLICY).unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, content_type, policy, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn the_evidence_pack_comes_in_three_formats_of_what_the_caller_sees() {
    each_backend("reports_evidence", |env| async move {
        world(&env).await;
        let hostile = fixgate_service::CreateTicket {
            ticket_type: fixgate_domain::TicketType::Vulnerability,
            title: "<script>alert(1)</script> =cmd".into(),
            description: String::new(),
            severity: fixgate_domain::Severity::High,
            application: Some("shop".into()),
            repository: None,
            path: None,
            owner: None,
            priority: None,
            due_at: None,
        };
        env.fixgate.create_ticket(hostile, "dana").await.unwrap();
        let spool = tempfile::tempdir().unwrap();
        let router =
            fixgate_http::router(AppState::new(env.fixgate.clone(), spool.path(), 1 << 20));
        let security = service_token(&env.fixgate, "ciso", Role::Security, None, &[]).await;
        let shop =
            service_token(&env.fixgate, "shop-dev", Role::Developer, None, &["shop-team"]).await;
        let bank =
            service_token(&env.fixgate, "bank-ci", Role::Viewer, Some("bank"), &["bank-team"])
                .await;
        let b = env.backend;

        let uri = "/api/v1/reports/evidence";
        for (token, expected, limited) in
            [(&security, 4, false), (&shop, 3, true), (&bank, 1, true)]
        {
            let (status, content_type, body) = get(&router, token, uri).await;
            assert_eq!(status, StatusCode::OK, "{b}: {body}");
            assert_eq!(content_type, "application/json");
            let pack: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(pack["tickets"].as_array().unwrap().len(), expected, "{b}: {body}");
            assert_eq!(pack["summary"]["tickets"], expected);
            assert_eq!(pack["scope"]["limited_to_caller"], limited);
            // The event log's head: every event the pack shows is on it.
            assert!(pack["chain"]["seq"].as_u64().unwrap() > 0, "{body}");
            assert_eq!(pack["chain"]["hash"].as_str().unwrap().len(), 64, "{body}");
        }

        let (status, content_type, csv) =
            get(&router, &security, &format!("{uri}?app=shop&format=csv")).await;
        assert_eq!(status, StatusCode::OK, "{b}: {csv}");
        assert_eq!(content_type, "text/csv; charset=utf-8");
        assert!(csv.contains("\r\nkey,title,severity,"), "{csv}");
        assert!(csv.contains(",<script>alert(1)</script> =cmd,high,"), "{csv}");
        assert!(!csv.contains("bank"), "{csv}");

        let (status, content_type, policy, html) =
            get_with_policy(&router, &shop, &format!("{uri}?format=html")).await;
        assert_eq!(status, StatusCode::OK, "{b}: {html}");
        assert_eq!(content_type, "text/html; charset=utf-8");
        assert!(policy.starts_with("default-src 'none'; style-src 'unsafe-inline'"), "{policy}");
        assert!(!policy.contains("script-src"), "{policy}");
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62; =cmd"), "{html}");
        assert!(!html.contains("<script"), "no script, and the title escaped");
        assert!(html.contains("@page { size: A4"), "{html}");
        for loads in ["<link", " src=", " href=", "url("] {
            assert!(!html.contains(loads), "the page loads nothing: {loads}");
        }

        for (query, detail) in [
            ("format=pdf", "format: \"pdf\" is not one of json, csv or html"),
            ("until=tomorrow", "until: \"tomorrow\" is not a date"),
            ("since=2026-12-10&until=2026-12-01", "is after until"),
            ("application=shop", "unknown field `application`"),
        ] {
            let (status, content_type, body) =
                get(&router, &security, &format!("{uri}?{query}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
            assert_eq!(content_type, "application/problem+json", "{query}");
            let problem: Value = serde_json::from_str(&body).unwrap();
            assert!(problem["detail"].as_str().unwrap().contains(detail), "{query}: {body}");
        }
    })
    .await;
}
