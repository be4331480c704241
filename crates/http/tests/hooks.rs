//! `POST /api/v1/hooks/{name}` through the router, on every backend: the
//! answer for a good delivery, a bad signature, a stale timestamp, an
//! unknown hook, a replay and a body over 1 MiB, and that the signature
//! alone authenticates it on a server with an API token.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fixgate_domain::hook::sign;
use fixgate_http::AppState;
use fixgate_service::Clock;
use fixgate_service::testkit::{Env, each_backend};
use serde_json::{Value, json};
use tower::ServiceExt;

const EVENT: &str = r#"{"ref":"refs/heads/main","after":"3f2a9c1"}"#;

struct Api {
    router: Router,
    _spool: tempfile::TempDir,
}

fn api(env: &Env) -> Api {
    let spool = tempfile::tempdir().unwrap();
    let state = AppState::new(env.fixgate.clone(), spool.path(), 1 << 30);
    Api { router: fixgate_http::router(state), _spool: spool }
}

/// A delivery's request, signed with `secret` at the test clock's time plus
/// `offset` seconds.
fn delivery(env: &Env, hook: &str, secret: &str, body: &[u8], offset: i64) -> Request<Body> {
    let timestamp = (env.clock.now().as_second() + offset).to_string();
    let signature = sign(secret.as_bytes(), &timestamp, body);
    Request::post(format!("/api/v1/hooks/{hook}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("X-Fixgate-Timestamp", timestamp)
        .header("X-Fixgate-Signature", signature)
        .body(Body::from(body.to_vec()))
        .unwrap()
}

impl Api {
    async fn call(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let problem = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes() == b"application/problem+json");
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap();
        assert!(status.is_success() || problem, "{status} without problem details: {body}");
        (status, body)
    }
}

fn detail(problem: &Value) -> &str {
    problem["detail"].as_str().unwrap()
}

#[tokio::test]
async fn a_signed_delivery_is_accepted_once_without_a_bearer_token() {
    each_backend("http_hooks_accepted", |env| async move {
        let api = api(&env);
        let secret = env.fixgate.create_hook("github").await.unwrap();

        let request = delivery(&env, "github", &secret, EVENT.as_bytes(), 0);
        let signature = request.headers()["X-Fixgate-Signature"].to_str().unwrap().to_string();
        let (status, body) = api.call(request).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body, json!({"delivery": signature.trim_start_matches("sha256=")}));

        let (status, problem) =
            api.call(delivery(&env, "github", &secret, EVENT.as_bytes(), 0)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        assert!(detail(&problem).contains("already received"), "{problem}");

        let stored = env.fixgate.hook_deliveries("github", 10).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].body, EVENT);
    })
    .await;
}

#[tokio::test]
async fn the_senders_delivery_id_names_the_delivery() {
    each_backend("http_hooks_delivery_id", |env| async move {
        let api = api(&env);
        let secret = env.fixgate.create_hook("jira").await.unwrap();

        let mut request = delivery(&env, "jira", &secret, EVENT.as_bytes(), 0);
        request.headers_mut().insert("X-Fixgate-Delivery", "evt-1001".parse().unwrap());
        let (status, body) = api.call(request).await;
        assert_eq!((status, body), (StatusCode::ACCEPTED, json!({"delivery": "evt-1001"})));

        // A retry signed anew keeps its id and is a replay.
        let mut retry = delivery(&env, "jira", &secret, EVENT.as_bytes(), 5);
        retry.headers_mut().insert("X-Fixgate-Delivery", "evt-1001".parse().unwrap());
        assert_eq!(api.call(retry).await.0, StatusCode::CONFLICT);

        let mut garbled = delivery(&env, "jira", &secret, b"{}", 0);
        garbled.headers_mut().insert("X-Fixgate-Delivery", "two words".parse().unwrap());
        let (status, problem) = api.call(garbled).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
        assert!(detail(&problem).contains("X-Fixgate-Delivery"), "{problem}");
    })
    .await;
}

#[tokio::test]
async fn a_bad_signature_or_missing_headers_get_401() {
    each_backend("http_hooks_401", |env| async move {
        let api = api(&env);
        let secret = env.fixgate.create_hook("github").await.unwrap();

        let (status, problem) =
            api.call(delivery(&env, "github", "a guess", EVENT.as_bytes(), 0)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
        assert!(detail(&problem).contains("signature does not match"), "{problem}");

        let mut tampered = delivery(&env, "github", &secret, EVENT.as_bytes(), 0);
        *tampered.body_mut() = Body::from(EVENT.replace("main", "mainx"));
        assert_eq!(api.call(tampered).await.0, StatusCode::UNAUTHORIZED);

        let unsigned = Request::post("/api/v1/hooks/github").body(Body::from(EVENT)).unwrap();
        let (status, problem) = api.call(unsigned).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(detail(&problem).contains("X-Fixgate-Timestamp header is missing"), "{problem}");

        let mut bad_hex = delivery(&env, "github", &secret, EVENT.as_bytes(), 0);
        let zs = format!("sha256={}", "z".repeat(64));
        bad_hex.headers_mut().insert("X-Fixgate-Signature", zs.parse().unwrap());
        let (status, problem) = api.call(bad_hex).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(detail(&problem).contains("not hex"), "{problem}");

        let mut not_utf8 = delivery(&env, "github", &secret, EVENT.as_bytes(), 0);
        let value = axum::http::HeaderValue::from_bytes(b"17\xff").unwrap();
        not_utf8.headers_mut().insert("X-Fixgate-Timestamp", value);
        let (status, problem) = api.call(not_utf8).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(detail(&problem).contains("whole seconds"), "{problem}");
        assert!(env.fixgate.hook_deliveries("github", 10).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_stale_or_future_timestamp_gets_401() {
    each_backend("http_hooks_stale", |env| async move {
        let api = api(&env);
        let secret = env.fixgate.create_hook("github").await.unwrap();

        let (status, problem) =
            api.call(delivery(&env, "github", &secret, EVENT.as_bytes(), -301)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
        assert!(detail(&problem).contains("signed 301 s ago"), "{problem}");
        let (status, problem) =
            api.call(delivery(&env, "github", &secret, EVENT.as_bytes(), 301)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
        assert!(detail(&problem).contains("301 s ahead"), "{problem}");

        let (status, _) = api.call(delivery(&env, "github", &secret, EVENT.as_bytes(), -300)).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    })
    .await;
}

#[tokio::test]
async fn an_unknown_or_revoked_hook_gets_404() {
    each_backend("http_hooks_404", |env| async move {
        let api = api(&env);
        let secret = env.fixgate.create_hook("github").await.unwrap();

        let (status, problem) =
            api.call(delivery(&env, "gitlab", &secret, EVENT.as_bytes(), 0)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
        assert!(detail(&problem).contains("hook \"gitlab\" not found"), "{problem}");

        env.fixgate.revoke_hook("github").await.unwrap();
        let (status, _) = api.call(delivery(&env, "github", &secret, EVENT.as_bytes(), 0)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn a_body_over_1_mib_gets_413() {
    each_backend("http_hooks_413", |env| async move {
        let api = api(&env);
        let secret = env.fixgate.create_hook("github").await.unwrap();

        let limit = 1024 * 1024;
        let (status, problem) =
            api.call(delivery(&env, "github", &secret, &vec![b'a'; limit + 1], 0)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
        assert!(detail(&problem).contains("1048576 bytes"), "{problem}");

        // Streamed without a length, the body is cut off at the limit too.
        let chunks = (0..4).map(|_| Ok::<_, std::io::Error>(vec![b'a'; 512 * 1024]));
        let mut streamed = delivery(&env, "github", &secret, b"", 0);
        *streamed.body_mut() = Body::from_stream(futures_util::stream::iter(chunks));
        assert_eq!(api.call(streamed).await.0, StatusCode::PAYLOAD_TOO_LARGE);

        let (status, body) =
            api.call(delivery(&env, "github", &secret, &vec![b'a'; limit], 0)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    })
    .await;
}
