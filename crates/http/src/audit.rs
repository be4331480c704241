//! `/api/v1/audit/…`: the event log's hash chain (docs/audit.md), for
//! security engineers and administrators. `verify` answers 200 whether the
//! chain holds or not: its `broken` field names the first bad event.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use fixgate_domain::Action;
use fixgate_store::{ChainHead, ChainReport};
use serde::Deserialize;

use crate::auth::Caller;
use crate::routes::Routes;
use crate::{ApiError, AppState};

pub(crate) fn routes() -> Routes {
    Routes::new().get("/api/v1/audit/head", head).get("/api/v1/audit/verify", verify)
}

async fn head(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<ChainHead>, ApiError> {
    caller.require(Action::Audit)?;
    Ok(Json(state.fixgate.audit_head().await?))
}

/// `?pin=SEQ:HASH`, a head noted earlier; empty means none.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyQuery {
    #[serde(default)]
    pin: String,
}

async fn verify(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<VerifyQuery>, QueryRejection>,
) -> Result<Json<ChainReport>, ApiError> {
    caller.require(Action::Audit)?;
    let Query(query) = query.map_err(|err| ApiError::bad_request(err.body_text()))?;
    Ok(Json(state.fixgate.verify_chain(Some(&query.pin)).await?))
}
