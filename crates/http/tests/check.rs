//! `POST /api/v1/check`, called in process on every backend: the gate's
//! classification of a real report against an imported one, the token, and
//! problem details for what is wrong.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fixgate_domain::Role;
use fixgate_http::AppState;
use fixgate_service::testkit::{Env, each_backend, examples, service_token};
use serde_json::Value;
use tower::ServiceExt;

const VULNSHOP: &str = "https%3A%2F%2Fgithub.com%2Ffixgate-demo%2Fvulnshop";

fn router(env: &Env, spool: &tempfile::TempDir) -> Router {
    fixgate_http::router(AppState::new(env.fixgate.clone(), spool.path(), 1 << 30))
}

async fn post(
    router: &Router,
    uri: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut request = Request::post(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = router.clone().oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn report(path: &str) -> Vec<u8> {
    std::fs::read(examples().join(path)).unwrap()
}

#[tokio::test]
async fn the_check_route_classifies_a_report_against_the_imported_one() {
    each_backend("api_check", |env| async move {
        let spool = tempfile::tempdir().unwrap();
        let api = router(&env, &spool);
        let token = service_token(&env.fixgate, "ci", Role::Scanner, None, &[]).await;
        let token = Some(token.as_str());
        let scans = format!("/api/v1/scans?application=vulnshop&repository={VULNSHOP}&branch=main");
        let (status, body) = post(&api, &scans, token, report("v1/semgrep.sarif")).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");

        let check = format!("/api/v1/check?repository={VULNSHOP}&branch=feature%2Fpay");
        let (status, _) = post(&api, &check, None, report("v2/semgrep.sarif")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "a check needs the token like a write");

        let (status, body) = post(&api, &check, token, report("v2/semgrep.sarif")).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", env.backend);
        assert_eq!(body["against"], "store");
        assert_eq!(body["branch"], "feature/pay");
        assert_eq!(body["format"], "sarif");
        let counts = &body["counts"];
        let total = |key: &str| counts[key].as_u64().unwrap();
        assert_eq!(total("new") + total("still_open") + total("suppressed"), 22, "{counts}");
        assert!(total("new") > 0 && total("fixed") > 0, "{counts}");
        assert_eq!(body["new"].as_array().unwrap().len() as u64, total("new"));
        // The nosemgrep result is suppressed by the report itself.
        assert!(body["suppressed"][0]["reason"].as_str().unwrap().starts_with("suppressed"));
        assert!(body["still_open"].as_array().unwrap().iter().all(|i| i["ticket"].is_string()));

        // Nothing was stored: importing the same first report again is a duplicate.
        let (status, body) = post(&api, &scans, token, report("v1/semgrep.sarif")).await;
        assert_eq!((status, body["duplicate"].clone()), (StatusCode::OK, Value::Bool(true)));
    })
    .await;
}

#[tokio::test]
async fn a_bad_check_gets_problem_details() {
    each_backend("api_check_errors", |env| async move {
        let spool = tempfile::tempdir().unwrap();
        let api = router(&env, &spool);
        let token = service_token(&env.fixgate, "ci", Role::Scanner, None, &[]).await;
        let token = Some(token.as_str());
        let (status, body) = post(&api, "/api/v1/check", token, report("v2/bandit.json")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body["detail"].as_str().unwrap().contains("repository"), "{body}");

        let uri = format!("/api/v1/check?repository={VULNSHOP}");
        let (status, body) = post(&api, &uri, token, b"not a report".to_vec()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

        let (status, body) = post(&api, &format!("{uri}&commit=1"), token, Vec::new()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body["detail"].as_str().unwrap().contains("commit"), "{body}");
    })
    .await;
}
