//! `POST /api/v1/check`: the CI gate over HTTP. The report is the raw body,
//! spooled to disk like an upload; the answer is the check's classification,
//! which the caller renders and applies its policy to. Nothing is stored.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::response::IntoResponse;
use fixgate_service::gate::CheckRequest;
use serde::Deserialize;

use crate::api::authorize;
use crate::upload::{spool_for, spool_stream};
use crate::{ApiError, AppState};

/// What the report is checked against, as query parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckQuery {
    repository: Option<String>,
    branch: Option<String>,
    application: Option<String>,
    format: Option<String>,
}

pub(crate) async fn check(
    State(state): State<AppState>,
    query: Result<Query<CheckQuery>, QueryRejection>,
    request: Request,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|err| ApiError::bad_request(err.body_text()))?;
    // A check reads what fixgate tracks and shows ticket keys and titles:
    // it needs the same token as the writes.
    authorize(&state, request.headers())?;
    let spool = spool_for(&state, request.headers())?;
    spool_stream(request.into_body().into_data_stream(), spool.path(), state.max_upload).await?;

    let file = spool.reopen().map_err(|err| ApiError::Internal(Box::new(err)))?;
    let request = CheckRequest {
        repository: query.repository,
        branch: query.branch,
        application: query.application,
        format: query.format,
    };
    Ok(Json(state.fixgate.check(file, request).await?))
}
