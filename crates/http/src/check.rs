//! `POST /api/v1/check`: the CI gate over HTTP. The report is the raw body,
//! spooled to disk like an upload; the answer is the check's classification,
//! which the caller renders and applies its policy to. Nothing is stored.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::response::IntoResponse;
use fixgate_service::gate::CheckRequest;
use serde::Deserialize;

use fixgate_domain::Action;

use crate::api::repository_scope;
use crate::auth::Caller;
use crate::limits::ClientAddress;
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
    Caller(caller): Caller,
    ClientAddress(address): ClientAddress,
    query: Result<Query<CheckQuery>, QueryRejection>,
    request: Request,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Check)?;
    state.limits.upload(caller.token_id, address)?;
    let Query(query) = query.map_err(|err| ApiError::bad_request(err.body_text()))?;
    // A check shows ticket keys and titles: it reads only what the caller
    // may see. A caller limited to some applications names the repository.
    let application = if caller.role.spans_all() {
        let application = query.application.or_else(|| caller.application.clone());
        if let Some(application) = &application {
            caller.require_application(application)?;
        }
        application
    } else {
        let repository = query.repository.as_deref().ok_or_else(|| {
            ApiError::bad_request("name the repository to check against (`repository`)")
        })?;
        repository_scope(&state, &caller, repository, query.application).await?
    };
    let spool = spool_for(&state, request.headers())?;
    spool_stream(request.into_body().into_data_stream(), spool.path(), state.max_upload).await?;

    let file = spool.reopen().map_err(|err| ApiError::Internal(Box::new(err)))?;
    let request = CheckRequest {
        repository: query.repository,
        branch: query.branch,
        application,
        format: query.format,
    };
    Ok(Json(state.fixgate.check(file, request).await?))
}
