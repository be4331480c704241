//! Exports through the API, called in process on every backend: a decided
//! Trivy report's OpenVEX document and `.trivyignore`, and the problems a
//! wrong request gets.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fixgate_domain::Role;
use fixgate_http::AppState;
use fixgate_service::testkit::{
    Env, accept_risk, context, each_backend, import_bytes, service_token, shared_corpus,
};
use serde_json::Value;
use tower::ServiceExt;

const EXPORTS: &str = "/api/v1/exports";
const REPO: &str = "https%3A%2F%2Fgithub.com%2Facme%2Fshop";

/// Status, content type, disposition and body of a GET.
async fn get(env: &Env, uri: &str) -> (StatusCode, String, String, String) {
    let spool = tempfile::tempdir().unwrap();
    let state = AppState::new(env.fixgate.clone(), spool.path(), 1 << 20);
    let token = service_token(&env.fixgate, "auditor", Role::Security, None, &[]).await;
    let request = Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = fixgate_http::router(state).oneshot(request).await.unwrap();
    let header = |name| {
        response.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
    };
    let (content_type, disposition) =
        (header(header::CONTENT_TYPE), header(header::CONTENT_DISPOSITION));
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, content_type, disposition, String::from_utf8(bytes.to_vec()).unwrap())
}

/// Imports Trivy's report and accepts the risk of its freetype CVE.
async fn accept_freetype(env: &Env, corpus: &std::path::Path) {
    let report = std::fs::read(corpus.join("trivy-json/scheme_2_many_vulns.json")).unwrap();
    let imported = import_bytes(env, report, context("shop")).await;
    for key in &imported.opened_tickets {
        let ticket = env.fixgate.ticket(key).await.unwrap().ticket;
        if ticket.advisories.contains(&"CVE-2020-15999".to_string()) {
            let reason = "no PNG fonts are rendered";
            accept_risk(&env.fixgate, key, reason, "2027-03-01T00:00:00Z", ("ana", "dana")).await;
        }
    }
}

#[tokio::test]
async fn an_accepted_risk_is_served_as_openvex_and_as_a_trivyignore_line() {
    let Some(corpus) = shared_corpus() else { return };
    each_backend("api_export", |env| {
        let corpus = corpus.clone();
        async move {
            accept_freetype(&env, &corpus).await;

            let uri = format!("{EXPORTS}/openvex?repository={REPO}&application=shop");
            let (status, content_type, disposition, body) = get(&env, &uri).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(content_type, "application/json");
            assert_eq!(disposition, "attachment; filename=\"fixgate.openvex.json\"");
            let doc: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(doc["@context"], "https://openvex.dev/ns/v0.2.0");
            let statements = doc["statements"].as_array().unwrap();
            assert_eq!(statements.len(), 1, "{body}");
            assert_eq!(statements[0]["vulnerability"]["name"], "CVE-2020-15999");
            assert_eq!(statements[0]["products"][0]["@id"], "pkg:apk/alpine/freetype@2.9.1-r2");
            assert_eq!(statements[0]["status"], "affected");

            let (status, content_type, disposition, body) =
                get(&env, &format!("{EXPORTS}/trivyignore?repository={REPO}")).await;
            assert_eq!(status, StatusCode::OK);
            assert!(content_type.starts_with("text/plain"), "{content_type}");
            assert_eq!(disposition, "attachment; filename=\".trivyignore\"");
            assert!(body.lines().any(|l| l == "CVE-2020-15999 exp:2027-03-01"), "{body}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_wrong_export_request_gets_a_problem_that_names_the_cause() {
    each_backend("api_export_errors", |env| async move {
        let (status, content_type, _, body) =
            get(&env, &format!("{EXPORTS}/csaf?repository={REPO}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(content_type, "application/problem+json");
        assert!(body.contains("use vex, openvex, trivyignore or gitleaksignore"), "{body}");

        let (status, _, _, body) = get(&env, &format!("{EXPORTS}/vex")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("repository"), "{body}");

        let (status, _, _, body) = get(&env, &format!("{EXPORTS}/vex?repo={REPO}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    })
    .await;
}
