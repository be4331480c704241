//! `/api/v1/channels`: the notification channels, for administrators. A
//! channel's URL is shown up to its host and a webhook's secret only in
//! the answer that creates it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use fixgate_domain::channel::{ChannelKind, Digest};
use fixgate_domain::{Action, NoticeKind};
use fixgate_service::AddChannel;
use serde::Deserialize;
use serde_json::json;

use crate::api::JsonBody;
use crate::auth::Caller;
use crate::{ApiError, AppState};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChannelRequest {
    name: String,
    kind: ChannelKind,
    /// A URL, or email addresses separated by commas.
    target: String,
    team: Option<String>,
    /// Every kind when empty.
    #[serde(default)]
    events: Vec<NoticeKind>,
    /// `none` (the default), `daily`, `daily@HH` or `daily@HH[Area/City]`.
    digest: Option<String>,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Administer)?;
    Ok(Json(state.fixgate.channels().await?))
}

/// Creates a channel; a webhook channel's secret is in this answer only.
pub(crate) async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(request): JsonBody<ChannelRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Administer)?;
    let digest = match request.digest.as_deref() {
        Some(text) => {
            text.parse::<Digest>().map_err(|err| ApiError::bad_request(err.to_string()))?
        }
        None => Digest::None,
    };
    let request = AddChannel {
        name: request.name,
        kind: request.kind,
        target: request.target,
        team: request.team,
        kinds: request.events,
        digest,
    };
    let added = state.fixgate.add_channel(request, &caller.actor()).await?;
    let location = format!("/api/v1/channels/{}", added.channel.name);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(added)))
}

/// Removes a channel; what was queued for it is given up.
pub(crate) async fn remove(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(name): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Administer)?;
    let given_up = state.fixgate.remove_channel(&name, &caller.actor()).await?;
    Ok(Json(json!({ "removed": name, "given_up": given_up })))
}
