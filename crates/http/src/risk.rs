//! Risk acceptance over the API: ask, then another person approves,
//! rejects, or the asker withdraws.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use fixgate_domain::Action;
use fixgate_service::{AcceptRisk, RiskDecision};
use fixgate_store::RiskVerdict;

use crate::api::{JsonBody, visible_ticket};
use crate::auth::Caller;
use crate::routes::Routes;
use crate::{ApiError, AppState};

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/tickets/{key}/acceptance", requests)
        .post("/api/v1/tickets/{key}/acceptance", request)
        .post("/api/v1/tickets/{key}/acceptance/{verdict}", decide)
}

/// Every request made on the ticket, oldest first.
async fn requests(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Read)?;
    let ticket = visible_ticket(&state, &caller, &key).await?;
    Ok(Json(state.fixgate.acceptance_requests(&ticket.ticket.key).await?))
}

async fn request(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
    JsonBody(request): JsonBody<AcceptRisk>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Work)?;
    let ticket = visible_ticket(&state, &caller, &key).await?;
    let stored = state.fixgate.request_acceptance(&ticket.ticket.key, request, &caller).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// `approve` and `reject` are security's decisions; `withdraw` is the
/// asker's.
async fn decide(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((key, verdict)): Path<(String, String)>,
    JsonBody(decision): JsonBody<RiskDecision>,
) -> Result<impl IntoResponse, ApiError> {
    let verdict = match verdict.as_str() {
        "approve" => RiskVerdict::Approve,
        "reject" => RiskVerdict::Reject,
        "withdraw" => RiskVerdict::Withdraw,
        other => {
            return Err(ApiError::not_found(format!(
                "no such decision {other:?}; use approve, reject or withdraw"
            )));
        }
    };
    caller.require(Action::Work)?;
    let ticket = visible_ticket(&state, &caller, &key).await?;
    if verdict != RiskVerdict::Withdraw {
        caller.require(Action::Decide)?;
    }
    let settled =
        state.fixgate.decide_acceptance(&ticket.ticket.key, verdict, decision, &caller).await?;
    Ok(Json(settled))
}
