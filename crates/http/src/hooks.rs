//! `POST /api/v1/hooks/{name}`: an inbound webhook delivery from a code host
//! or a tracker. The delivery's signature is its only credential; the API
//! token is not asked for, since senders hold a hook's secret instead. A
//! body over 1 MiB is refused before it is read in full.

use std::borrow::Cow;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use fixgate_domain::hook::{DELIVERY_HEADER, HookHeaders, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use serde_json::json;

use crate::{ApiError, AppState};

/// The largest delivery body taken, in bytes.
pub(crate) const MAX_BODY: usize = 1024 * 1024;

pub(crate) async fn receive(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let body = body.map_err(body_error)?;
    let timestamp = header_text(&headers, TIMESTAMP_HEADER);
    let signature = header_text(&headers, SIGNATURE_HEADER);
    let delivery = header_text(&headers, DELIVERY_HEADER);

    let hook_headers = HookHeaders {
        timestamp: timestamp.as_deref(),
        signature: signature.as_deref(),
        delivery: delivery.as_deref(),
    };
    let id = state.fixgate.receive_hook(&name, &hook_headers, &body).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "delivery": id }))))
}

/// A header's value as text. Bytes that are not UTF-8 become U+FFFD, which
/// verification then refuses as malformed rather than missing.
fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<Cow<'a, str>> {
    headers.get(name).map(|value| String::from_utf8_lossy(value.as_bytes()))
}

fn body_error(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::Client {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            title: "Delivery too large",
            detail: format!("a delivery's body is at most {MAX_BODY} bytes (1 MiB)"),
        };
    }
    ApiError::bad_request(rejection.body_text())
}
