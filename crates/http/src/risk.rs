//! Risk acceptance over the API: ask, then another person approves,
//! rejects, or the asker withdraws.

use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
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

/// The largest triage policy body taken: what the service accepts.
pub(crate) const MAX_POLICY_BODY: usize = fixgate_service::MAX_POLICY_BYTES;

/// Triage over the API: a person's change of priority.
pub(crate) fn triage_routes() -> Routes {
    Routes::new().put("/api/v1/tickets/{key}/priority", set_priority)
}

/// The triage policy file, in and out; a policy may run past the general
/// body limit, up to [`MAX_POLICY_BODY`].
pub(crate) fn policy_routes() -> Routes {
    Routes::new()
        .get("/api/v1/triage-policy", policy_file)
        .put("/api/v1/triage-policy", load_policy)
}

/// The policy file in force, as TOML.
async fn policy_file(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Read)?;
    let text = match state.fixgate.stored_triage_policy().await? {
        Some(stored) => stored.content,
        None => fixgate_domain::triage::DEFAULT_POLICY.to_string(),
    };
    Ok(([(axum::http::header::CONTENT_TYPE, "application/toml; charset=utf-8")], text))
}

/// Replaces the policy with the body, a TOML file, once every line reads.
/// The body is read once the caller may set the policy.
async fn load_policy(
    State(state): State<AppState>,
    Caller(caller): Caller,
    request: Request,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::SetPolicy)?;
    let body = String::from_request(request, &state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::Client {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                title: "Policy too large",
                detail: format!(
                    "a triage policy file is at most {MAX_POLICY_BODY} bytes (1 MiB); \
                     split long route lists by application or repository"
                ),
            }
        } else {
            ApiError::bad_request(format!("the triage policy: {}", rejection.body_text()))
        }
    })?;
    state.fixgate.load_triage_policy(&body, &caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_priority(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
    JsonBody(request): JsonBody<fixgate_service::SetPriority>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Work)?;
    let ticket = visible_ticket(&state, &caller, &key).await?;
    caller.require(Action::Decide)?;
    Ok(Json(state.fixgate.set_priority(&ticket.ticket.key, request, &caller.actor()).await?))
}
