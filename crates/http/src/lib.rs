//! fixgate over HTTP: the JSON API under `/api/v1`, the server-rendered web
//! pages, and the OpenAPI document. One router serves them all.

mod api;
mod check;
mod error;
mod filters;
mod hooks;
mod pages;
mod upload;

pub use error::ApiError;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use fixgate_service::Fixgate;
use tower_http::LatencyUnit;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub fixgate: Fixgate,
    /// The API token uploads and changes need; `None` leaves the API open
    /// (the embedded demo on 127.0.0.1).
    pub token: Option<Arc<str>>,
    /// Uploads are spooled here before they are parsed.
    pub spool_dir: Arc<std::path::Path>,
    /// Largest upload accepted, in bytes.
    pub max_upload: u64,
}

/// The whole application: API, pages and static files, with request logs.
pub fn router(state: AppState) -> Router {
    static REQUEST_ID: AtomicU64 = AtomicU64::new(1);
    Router::new()
        .merge(api::routes())
        .merge(pages::routes())
        .layer(DefaultBodyLimit::disable())
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
                        request_id = REQUEST_ID.fetch_add(1, Ordering::Relaxed),
                    )
                }),
        )
        .with_state(state)
}
