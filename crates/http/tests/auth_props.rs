//! Property tests of the router's front door, called in process: whatever
//! `Authorization` and `Cookie` headers and whatever sign-in forms a client
//! sends, fixgate answers with a 4xx or a success, never a 5xx or a panic.
//! API requests without a valid credential get 401 problem details; a valid
//! token still works beside garbage cookies.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use fixgate_domain::Role;
use fixgate_http::{AppState, RateLimitSettings, RateLimits};
use fixgate_service::testkit::{TEST_PASSWORD, service_token};
use fixgate_service::{CreateUser, FixedClock, Fixgate};
use fixgate_store::Store;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use tempfile::TempDir;
use tokio::runtime::Runtime;
use tower::ServiceExt;

const SESSION_COOKIE: &str = "__Host-fixgate_session";
const SIGN_IN_COOKIE: &str = "__Host-fixgate_signin";
const FORM: &str = "application/x-www-form-urlencoded";

/// The person the sign-in properties sign in as.
const NAME: &str = "alice";

/// A router on a fresh SQLite store, with a runtime to call it from the
/// property runner, a security token and a person who can sign in.
struct Server {
    runtime: Runtime,
    router: Router,
    token: String,
    _dir: TempDir,
}

fn server(sign_ins_per_minute: u32) -> Server {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (fixgate, token) = runtime.block_on(fixgate(&dir));
    let settings = RateLimitSettings { sign_ins_per_minute, ..RateLimitSettings::default() };
    let state = AppState {
        limits: Arc::new(RateLimits::new(settings)),
        ..AppState::new(fixgate, dir.path(), 1 << 20)
    };
    Server { runtime, router: fixgate_http::router(state), token, _dir: dir }
}

async fn fixgate(dir: &TempDir) -> (Fixgate, String) {
    let url = format!("sqlite://{}", dir.path().join("fixgate.db").display());
    let store = Store::connect(&url, Default::default()).await.unwrap();
    let clock = FixedClock::new("2026-12-01T09:00:00Z".parse().unwrap());
    let fixgate = Fixgate::new(store, Arc::new(clock));
    let alice = CreateUser {
        name: NAME.into(),
        role: Role::Security,
        teams: Vec::new(),
        password: Some(TEST_PASSWORD.into()),
    };
    fixgate.create_user(alice).await.unwrap();
    let token = service_token(&fixgate, "props-bot", Role::Security, None, &[]).await;
    (fixgate, token)
}

/// What came back: status, headers and the body's bytes.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn content_type(&self) -> &str {
        self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// An RFC 9457 document for a 401 that asks for a bearer token.
    fn is_unauthorized_problem(&self) -> bool {
        self.status == StatusCode::UNAUTHORIZED
            && self.content_type() == "application/problem+json"
            && self.json()["status"] == 401
            && self.json()["detail"].is_string()
            && self.headers.contains_key(header::WWW_AUTHENTICATE)
    }
}

impl Server {
    fn send(&self, request: Request<Body>) -> Answer {
        self.runtime.block_on(async {
            let response = self.router.clone().oneshot(request).await.unwrap();
            let (parts, body) = response.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap().to_vec();
            Answer { status: parts.status, headers: parts.headers, body }
        })
    }
}

/// A runner with a fixed seed, so a run is the same every time and in CI;
/// more cases explore further.
fn runner(cases: u32) -> TestRunner {
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let rng = proptest::test_runner::TestRng::deterministic_rng(config.rng_algorithm);
    TestRunner::new_with_rng(config, rng)
}

/// Any value the `http` crate lets a header carry: visible ASCII, tab,
/// and bytes past ASCII (which are not valid UTF-8 on their own).
fn header_value() -> impl Strategy<Value = HeaderValue> {
    let allowed: Vec<u8> = (0..=255u8).filter(|b| (*b >= 32 && *b != 127) || *b == b'\t').collect();
    let bytes = proptest::collection::vec(proptest::sample::select(allowed), 0..160);
    let text = ".{0,120}".prop_map(|s: String| s.into_bytes());
    prop_oneof![bytes, text]
        .prop_filter_map("a header value", |bytes| HeaderValue::from_bytes(&bytes).ok())
}

/// Text that passes as a header value.
fn header_text() -> impl Strategy<Value = String> {
    "[ -~\u{80}-\u{10FFFF}]{0,100}"
}

/// Authorization headers: anything, and many shapes of `Bearer` that hold no
/// issued token.
fn authorization() -> impl Strategy<Value = HeaderValue> {
    let scheme = proptest::sample::select(vec!["Bearer", "bearer", "BEARER", "Basic", "Token", ""]);
    let token = prop_oneof![
        "fgt_[0-9a-f]{64}",
        "fgt_[0-9a-fA-F]{60,68}",
        "[ \t]{0,3}fgt_[0-9a-f]{64}[ \t]{0,3}",
        header_text(),
    ];
    let bearer = (scheme, "[ \t]{0,3}", token)
        .prop_filter_map("a header value", |(scheme, gap, token)| {
            HeaderValue::from_str(&format!("{scheme}{gap}{token}")).ok()
        });
    prop_oneof![header_value(), bearer]
}

/// One `Cookie` header: anything, or `name=value` pairs with fixgate's own
/// names and values that look like sessions.
fn cookie_header() -> impl Strategy<Value = HeaderValue> {
    let name = prop_oneof![
        Just(SESSION_COOKIE.to_string()),
        Just(SIGN_IN_COOKIE.to_string()),
        Just(format!(" {SESSION_COOKIE}")),
        "[!-:<-~]{0,12}",
    ];
    let value = prop_oneof!["[0-9a-f]{64}", "[0-9a-fA-F]{63,65}", "[ -:<-~]{0,80}", header_text()];
    let pairs = proptest::collection::vec((name, "[=]{0,2}", value), 0..5).prop_filter_map(
        "a header value",
        |pairs| {
            let text: Vec<String> =
                pairs.into_iter().map(|(name, eq, value)| format!("{name}{eq}{value}")).collect();
            HeaderValue::from_str(&text.join("; ")).ok()
        },
    );
    prop_oneof![header_value(), pairs]
}

fn cookies() -> impl Strategy<Value = Vec<HeaderValue>> {
    proptest::collection::vec(cookie_header(), 0..3)
}

/// Paths that read, in both halves of the site.
fn readable_path() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec![
        "/api/v1/tickets",
        "/api/v1/me",
        "/api/v1/tokens",
        "/healthz",
        "/tickets",
        "/login",
        "/account",
        "/",
    ])
}

#[test]
fn any_authorization_header_without_an_issued_token_gets_401() {
    let server = server(10);
    let result = runner(512).run(&(readable_path(), authorization()), |(path, value)| {
        let request =
            Request::get(path).header(header::AUTHORIZATION, value.clone()).body(Body::empty());
        let answer = server.send(request.unwrap());
        // A client that sends a credential expects it to count, on any route.
        prop_assert!(answer.is_unauthorized_problem(), "{value:?} on {path}: {}", answer.status);
        Ok(())
    });
    result.unwrap();
}

#[test]
fn any_cookies_without_a_live_session_are_treated_as_signed_out() {
    let server = server(10);
    let result = runner(512).run(&(readable_path(), cookies()), |(path, cookies)| {
        let mut request = Request::get(path).body(Body::empty()).unwrap();
        for value in &cookies {
            request.headers_mut().append(header::COOKIE, value.clone());
        }
        let answer = server.send(request);
        let status = answer.status;
        if path.starts_with("/api/") {
            prop_assert!(answer.is_unauthorized_problem(), "{cookies:?} on {path}: {status}");
        } else if matches!(path, "/healthz" | "/login") {
            prop_assert_eq!(status, StatusCode::OK, "{:?} on {}", cookies, path);
        } else {
            let location = answer.headers.get(header::LOCATION).and_then(|v| v.to_str().ok());
            prop_assert!(status.is_redirection(), "{cookies:?} on {path}: {status}");
            prop_assert!(location.is_some_and(|l| l.starts_with('/')), "{location:?}");
        }
        Ok(())
    });
    result.unwrap();
}

#[test]
fn a_valid_token_works_beside_garbage_cookies() {
    let server = server(10);
    let bearer = HeaderValue::from_str(&format!("Bearer {}", server.token)).unwrap();
    let path = proptest::sample::select(vec!["/api/v1/tickets", "/api/v1/me", "/healthz"]);
    let result = runner(256).run(&(path, cookies()), |(path, cookies)| {
        let mut request = Request::get(path).body(Body::empty()).unwrap();
        request.headers_mut().insert(header::AUTHORIZATION, bearer.clone());
        for value in &cookies {
            request.headers_mut().append(header::COOKIE, value.clone());
        }
        let answer = server.send(request);
        prop_assert_eq!(answer.status, StatusCode::OK, "{:?} on {}", cookies, path);
        if path == "/api/v1/me" {
            prop_assert_eq!(&answer.json()["name"], "props-bot");
        }
        Ok(())
    });
    result.unwrap();
}

/// Percent-encodes every byte but the unreserved ones, so any text fits in
/// a path segment or a query.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An API route with its parameters filled with arbitrary text. The OpenAPI
/// document is public, and an inbound hook's credential is its signature,
/// not a token (its own tests cover it): both are left out.
fn api_request() -> impl Strategy<Value = (Method, String, Vec<u8>)> {
    let routes: Vec<_> = fixgate_http::route_table()
        .into_iter()
        .filter(|r| {
            r.path.starts_with("/api/v1/")
                && r.path != "/api/v1/openapi.json"
                && !r.path.starts_with("/api/v1/hooks/")
        })
        .collect();
    assert!(routes.len() > 10, "{routes:?}");
    let route = proptest::sample::select(routes);
    // An empty segment would make another path, one no route matches.
    let segment = prop_oneof![".{1,30}", "[0-9]{1,5}", "SEC-[0-9]{1,3}"];
    (route, segment, ".{0,40}", any::<Vec<u8>>()).prop_map(|(route, segment, query, body)| {
        let mut path = String::new();
        for part in route.path.split('/').skip(1) {
            path.push('/');
            let is_parameter = part.starts_with('{');
            path.push_str(&if is_parameter { encode(&segment) } else { part.to_string() });
        }
        let method = Method::from_bytes(route.method.as_bytes()).unwrap();
        (method, format!("{path}?{}", encode(&query)), body)
    })
}

#[test]
fn unauthenticated_api_requests_get_401_problem_details() {
    let server = server(10);
    let request = (api_request(), cookies(), prop::option::of("application/json|text/plain"));
    let result = runner(512).run(&request, |((method, uri, body), cookies, content_type)| {
        let mut request = Request::builder().method(method.clone()).uri(&uri);
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let mut request = request.body(Body::from(body)).unwrap();
        for value in &cookies {
            request.headers_mut().append(header::COOKIE, value.clone());
        }
        let answer = server.send(request);
        prop_assert!(answer.is_unauthorized_problem(), "{method} {uri}: {}", answer.status);
        Ok(())
    });
    result.unwrap();
}

/// A sign-in form's fields, each maybe missing, and the double-submit
/// cookie that goes with it.
#[derive(Debug, Clone)]
struct SignIn {
    name: Option<String>,
    password: Option<String>,
    csrf: Option<String>,
    next: Option<String>,
    /// The `__Host-fixgate_signin` cookie sent, if any.
    cookie: Option<String>,
    content_type: Option<String>,
}

impl SignIn {
    fn body(&self) -> String {
        let fields = [
            ("name", &self.name),
            ("password", &self.password),
            ("csrf", &self.csrf),
            ("next", &self.next),
        ];
        let present: Vec<(&str, &str)> =
            fields.iter().filter_map(|(k, v)| v.as_deref().map(|v| (*k, v))).collect();
        serde_urlencoded::to_string(present).unwrap()
    }

    /// What the handler must answer, with the limiter out of the way.
    fn expected(&self) -> StatusCode {
        let is_form = self.content_type.as_deref().is_some_and(|c| c.starts_with(FORM));
        let complete = self.name.is_some() && self.password.is_some() && self.csrf.is_some();
        if !is_form || !complete {
            return StatusCode::BAD_REQUEST;
        }
        let cookie = self.cookie.as_deref().unwrap_or("");
        if cookie.is_empty() || self.csrf.as_deref() != Some(cookie) {
            return StatusCode::FORBIDDEN;
        }
        let name = self.name.as_deref().unwrap_or("");
        let right = name.len() <= 200
            && name.trim() == NAME
            && self.password.as_deref() == Some(TEST_PASSWORD);
        if right { StatusCode::SEE_OTHER } else { StatusCode::UNAUTHORIZED }
    }

    fn request(&self) -> Request<Body> {
        let mut request = Request::post("/login");
        if let Some(content_type) = &self.content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, format!("{SIGN_IN_COOKIE}={cookie}"));
        }
        request.body(Body::from(self.body())).unwrap()
    }
}

/// Sign-in forms, mostly complete and mostly with a matching cookie, so
/// most of them reach the password check.
fn sign_in_form() -> impl Strategy<Value = SignIn> {
    let name = prop_oneof![
        3 => Just(NAME.to_string()),
        1 => Just(format!(" {NAME}\t")),
        2 => any::<String>(),
    ];
    let password = prop_oneof![3 => Just(TEST_PASSWORD.to_string()), 2 => any::<String>()];
    // Cookie values hold no blank and no `;`, or the cookie would not
    // carry the field's value as it is.
    let csrf = "[0-9a-f]{32}|[!-:<-~]{0,40}";
    let next = prop_oneof![
        Just("/tickets?severity=high".to_string()),
        "/[ -~]{0,30}",
        "/.{0,30}",
        "/[\u{0}-\u{1f}\u{7f}]{1,3}",
        any::<String>(),
    ];
    let content_type = prop_oneof![
        6 => Just(Some(FORM.to_string())),
        1 => Just(Some(format!("{FORM}; charset=utf-8"))),
        1 => Just(Some("text/plain".to_string())),
        1 => Just(None),
    ];
    let fields = (
        prop::option::weighted(0.95, name),
        prop::option::weighted(0.95, password),
        prop::option::weighted(0.95, csrf),
        prop::option::of(next),
    );
    (fields, prop::bool::weighted(0.8), prop::option::of("[!-:<-~]{0,40}"), content_type).prop_map(
        |((name, password, csrf, next), matching, other, content_type)| {
            let cookie = if matching { csrf.clone() } else { other };
            SignIn { name, password, csrf, next, cookie, content_type }
        },
    )
}

#[test]
fn sign_in_forms_get_the_answer_their_fields_call_for() {
    let server = server(1_000_000);
    // Most cases cost an Argon2 hash: few of them.
    let result = runner(48).run(&sign_in_form(), |form| {
        let answer = server.send(form.request());
        let expected = form.expected();
        prop_assert_eq!(answer.status, expected, "{:?}", form);
        if expected == StatusCode::SEE_OTHER {
            let location = answer.headers.get(header::LOCATION).and_then(|v| v.to_str().ok());
            let local = location.is_some_and(|l| l.starts_with('/') && !l.starts_with("//"));
            prop_assert!(local, "{location:?}");
            let session = format!("{SESSION_COOKIE}=");
            let mut set_cookies = answer.headers.get_all(header::SET_COOKIE).iter();
            prop_assert!(set_cookies.any(|c| c.as_bytes().starts_with(session.as_bytes())));
        }
        Ok(())
    });
    result.unwrap();
}

/// A body of anything, under any content type, with any cookies.
fn raw_sign_in() -> impl Strategy<Value = (Option<String>, Vec<u8>, Vec<HeaderValue>)> {
    let content_type = prop::option::of(prop_oneof![
        Just(FORM.to_string()),
        Just("multipart/form-data; boundary=x".to_string()),
        "[ -~]{0,40}",
    ]);
    let body = prop_oneof![
        any::<Vec<u8>>(),
        "([a-z%=&+]|%[0-9A-Fa-f]{2}|%[^0-9A-Fa-f]){0,60}".prop_map(String::into_bytes),
        "(name|password|csrf|next)=[^&]{0,20}(&(name|password|csrf|next)=[^&]{0,20}){0,5}"
            .prop_map(String::into_bytes),
    ];
    (content_type, body, cookies())
}

#[test]
fn no_sign_in_body_makes_the_server_fail() {
    let server = server(1_000_000);
    let result = runner(256).run(&raw_sign_in(), |(content_type, body, cookies)| {
        let mut request = Request::post("/login");
        if let Some(content_type) = &content_type {
            request = request.header(header::CONTENT_TYPE, content_type.as_str());
        }
        let mut request = request.body(Body::from(body.clone())).unwrap();
        for value in &cookies {
            request.headers_mut().append(header::COOKIE, value.clone());
        }
        let answer = server.send(request);
        prop_assert!(
            !answer.status.is_server_error(),
            "{content_type:?} {:?}: {}",
            String::from_utf8_lossy(&body),
            answer.status
        );
        Ok(())
    });
    result.unwrap();
}

fn right_sign_in(next: &str) -> Request<Body> {
    let csrf = "0123456789abcdef0123456789abcdef";
    let form = [("name", NAME), ("password", TEST_PASSWORD), ("csrf", csrf), ("next", next)];
    Request::post("/login")
        .header(header::CONTENT_TYPE, FORM)
        .header(header::COOKIE, format!("{SIGN_IN_COOKIE}={csrf}"))
        .body(Body::from(serde_urlencoded::to_string(form).unwrap()))
        .unwrap()
}

/// A `next` field that cannot be a `Location` header (a control character
/// in it) once made the redirect after a right password fail with a 500.
#[test]
fn a_next_path_with_control_characters_lands_on_the_ticket_list() {
    let server = server(1_000_000);
    for next in ["/tickets\r\nSet-Cookie: x=1", "/\0", "/a\u{7f}", "/\t"] {
        let answer = server.send(right_sign_in(next));
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(answer.headers[header::LOCATION], "/tickets", "{next:?}");

        // The same, signed in already, through the form's query string.
        let session = answer
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|c| c.to_str().ok())
            .find_map(|c| c.strip_prefix("__Host-fixgate_session="))
            .and_then(|c| c.split(';').next())
            .unwrap()
            .to_string();
        let uri = format!("/login?next={}", encode(next));
        let request = Request::get(uri.as_str())
            .header(header::COOKIE, format!("{SESSION_COOKIE}={session}"))
            .body(Body::empty())
            .unwrap();
        let answer = server.send(request);
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(answer.headers[header::LOCATION], "/tickets", "{uri}");
    }
}

/// The limit is checked before the form is read: past the quota even the
/// right password is refused, with the time to wait.
#[test]
fn sign_ins_past_the_quota_are_refused_before_the_password_check() {
    let server = server(3);
    for _ in 0..3 {
        let request = Request::post("/login")
            .header(header::CONTENT_TYPE, FORM)
            .header(header::COOKIE, format!("{SIGN_IN_COOKIE}=abc"))
            .body(Body::from("name=alice&password=wrong+password&csrf=abc"))
            .unwrap();
        assert_eq!(server.send(request).status, StatusCode::UNAUTHORIZED);
    }
    let answer = server.send(right_sign_in("/tickets"));
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = answer.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=61).contains(&wait), "{wait}");
    assert!(!answer.headers.contains_key(header::LOCATION));
}
