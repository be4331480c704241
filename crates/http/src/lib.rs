//! fixgate over HTTP: the JSON API under `/api/v1`, the server-rendered web
//! pages, and the OpenAPI document. One router serves them all.

mod api;
mod audit;
mod auth;
mod channels;
mod check;
mod codeowners;
mod collab;
mod error;
mod evidence;
mod exploits;
mod filters;
mod hooks;
mod limits;
mod pages;
mod reports;
mod risk;
mod routes;
mod upload;

pub use error::ApiError;
pub use evidence::{EvidenceFormat, evidence_html};
pub use limits::{RateLimitSettings, RateLimits};
pub use routes::Route;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware;
use fixgate_service::Fixgate;
use tower_http::LatencyUnit;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use routes::Routes;

/// Largest body of a request that is not a report: JSON and forms.
pub const MAX_BODY: usize = 64 * 1024;

/// How long a request that is not an upload may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How long an upload or a check may take, reading included.
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub fixgate: Fixgate,
    /// Uploads are spooled here before they are parsed.
    pub spool_dir: Arc<std::path::Path>,
    /// Largest upload accepted, in bytes.
    pub max_upload: u64,
    pub limits: Arc<RateLimits>,
    /// Take the client's address from `X-Forwarded-For` (behind a proxy
    /// that sets it), not from the connection.
    pub trust_forwarded: bool,
}

impl AppState {
    /// A server's state with the default rate limits, trusting no proxy.
    pub fn new(fixgate: Fixgate, spool_dir: &std::path::Path, max_upload: u64) -> AppState {
        AppState {
            fixgate,
            spool_dir: Arc::from(spool_dir),
            max_upload,
            limits: Arc::new(RateLimits::new(RateLimitSettings::default())),
            trust_forwarded: false,
        }
    }
}

/// Every route fixgate serves, grouped by the limits they share.
fn all_routes() -> Routes {
    // Reports stream to disk under their own limit, and may take long.
    let reports = Routes::new()
        .post("/api/v1/scans", upload::upload_scan)
        .post("/api/v1/check", check::check)
        .map(|router| {
            router
                .layer(DefaultBodyLimit::disable())
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, UPLOAD_TIMEOUT))
        });
    let rest = api::routes()
        .merge(collab::routes())
        .merge(risk::routes())
        .merge(risk::triage_routes())
        .merge(reports::routes())
        .merge(audit::routes())
        .merge(pages::routes())
        .map(|router| {
            router
                .layer(DefaultBodyLimit::max(MAX_BODY))
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        });
    // A delivery's signature is its credential; its body may be larger.
    let hooks = Routes::new().post("/api/v1/hooks/{name}", hooks::receive).map(|router| {
        router
            .layer(DefaultBodyLimit::max(hooks::MAX_BODY))
            .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
    });
    // A CODEOWNERS file may run to megabytes.
    let codeowners = Routes::new()
        .put("/api/v1/codeowners", codeowners::put)
        .get("/api/v1/codeowners", codeowners::get)
        .map(|router| {
            router
                .layer(DefaultBodyLimit::max(codeowners::MAX_BODY))
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        });
    // An EPSS file runs to tens of megabytes; loading it takes seconds.
    let exploits = Routes::new()
        .put("/api/v1/exploits/kev", exploits::put_kev)
        .put("/api/v1/exploits/epss", exploits::put_epss)
        .get("/api/v1/exploits", exploits::get)
        .map(|router| {
            router
                .layer(DefaultBodyLimit::max(exploits::MAX_BODY))
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, UPLOAD_TIMEOUT))
        });
    // A triage policy with many routes runs past the general limit.
    let policy = risk::policy_routes().map(|router| {
        router
            .layer(DefaultBodyLimit::max(risk::MAX_POLICY_BODY))
            .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
    });
    reports.merge(hooks).merge(codeowners).merge(exploits).merge(policy).merge(rest)
}

/// Every route fixgate serves, by method and path.
pub fn route_table() -> Vec<Route> {
    all_routes().table
}

/// The whole application: API, pages and static files, with request logs
/// that name the route and the caller, never a query string or a secret.
pub fn router(state: AppState) -> Router {
    static REQUEST_ID: AtomicU64 = AtomicU64::new(1);
    all_routes()
        .router
        .fallback(|uri: axum::http::Uri| async move {
            ApiError::not_found(format!("there is nothing at {}", uri.path()))
        })
        .layer(middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(middleware::map_response(pages::security_headers))
        .layer(
            TraceLayer::new_for_http()
                .on_response(
                    DefaultOnResponse::new().level(Level::INFO).latency_unit(LatencyUnit::Millis),
                )
                .make_span_with(|request: &Request| {
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map(MatchedPath::as_str)
                        .unwrap_or("unmatched");
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        route,
                        actor = tracing::field::Empty,
                        request_id = REQUEST_ID.fetch_add(1, Ordering::Relaxed),
                    )
                }),
        )
        .with_state(state)
}
