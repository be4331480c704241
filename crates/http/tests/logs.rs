//! What the server's log says about a request: the route and who made it,
//! never a password, a token, a session cookie or a query string. Alone in
//! its own test binary, so that no other test's threads share its log.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fixgate_domain::Role;
use fixgate_http::AppState;
use fixgate_service::testkit::{TEST_PASSWORD, each_backend, service_token, signed_in};
use tower::ServiceExt;

/// A log sink the test reads back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_name_the_caller_but_never_a_secret() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    each_backend("access_logs", |env| {
        let captured = captured.clone();
        async move {
            let spool = tempfile::tempdir().unwrap();
            let router =
                fixgate_http::router(AppState::new(env.fixgate.clone(), spool.path(), 1 << 20));
            signed_in(&env.fixgate, "viewer", Role::Viewer, &[]).await;
            let sign_in = Request::post("/login")
                .header(header::COOKIE, "__Host-fixgate_signin=abc123")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "name=viewer&password={}&csrf=abc123",
                    TEST_PASSWORD.replace(' ', "+")
                )))
                .unwrap();
            let response = router.clone().oneshot(sign_in).await.unwrap();
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
            let session = response.headers()[header::SET_COOKIE].to_str().unwrap().to_string();
            let session = session.split(['=', ';']).nth(1).unwrap().to_string();

            let token = service_token(&env.fixgate, "triage", Role::Security, None, &[]).await;
            let request = Request::get("/api/v1/tickets?q=anything")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap();
            let response = router.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);

            let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
            assert!(logs.contains("actor=triage (token "), "{logs}");
            assert!(logs.contains("route=\"/api/v1/tickets\""), "{logs}");
            assert!(logs.contains("signed in user=viewer"), "{logs}");
            for secret in [TEST_PASSWORD, &token, &token[4..], &session] {
                assert!(!logs.contains(secret), "a secret reached the log: {logs}");
            }
            assert!(!logs.contains("q=anything"), "query strings stay out of the log");
        }
    })
    .await;
}
