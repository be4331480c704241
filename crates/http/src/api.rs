//! The JSON API under `/api/v1`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use fixgate_service::{CreateTicket, ExportKind, ExportRequest, MoveTicket};
use serde::Deserialize;

use crate::check::check;
use crate::filters::TicketQuery;
use crate::hooks;
use crate::upload::upload_scan;
use crate::{ApiError, AppState};

const OPENAPI: &str = include_str!("../openapi.json");

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/scans", post(upload_scan))
        .route("/api/v1/check", post(check))
        .route("/api/v1/tickets", get(list_tickets).post(create_ticket))
        .route("/api/v1/tickets/{key}", get(ticket))
        .route("/api/v1/tickets/{key}/transitions", post(move_ticket))
        .route("/api/v1/tickets/{key}/comments", post(comment))
        .route("/api/v1/exports/{kind}", get(export))
        .route("/api/v1/hooks/{name}", hooks::route())
        .route("/api/v1/openapi.json", get(openapi))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(|uri: axum::http::Uri| async move {
            ApiError::not_found(format!("there is nothing at {}", uri.path()))
        })
}

async fn list_tickets(
    State(state): State<AppState>,
    query: Result<Query<TicketQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|err| ApiError::bad_request(err.body_text()))?;
    let filter = query.to_filter(50)?;
    Ok(Json(state.fixgate.list_tickets(&filter).await?))
}

async fn ticket(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.fixgate.ticket(&key).await?))
}

async fn create_ticket(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let actor = authorize(&state, &headers)?;
    let request: CreateTicket = json_body(&body)?;
    let created = state.fixgate.create_ticket(request, &actor).await?;
    let location = format!("/api/v1/tickets/{}", created.ticket.key);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(created)))
}

async fn move_ticket(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let actor = authorize(&state, &headers)?;
    let request: MoveTicket = json_body(&body)?;
    Ok(Json(state.fixgate.move_ticket(&key, request, &actor).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Comment {
    text: String,
}

async fn comment(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let actor = authorize(&state, &headers)?;
    let request: Comment = json_body(&body)?;
    state.fixgate.comment(&key, &request.text, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    repository: Option<String>,
    application: Option<String>,
    product: Option<String>,
}

/// The decisions in force on a repository, as a file a scanner reads.
async fn export(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let kind: ExportKind = kind.parse().map_err(ApiError::not_found)?;
    let Query(query) = query.map_err(|err| ApiError::bad_request(err.body_text()))?;
    let repository = query.repository.ok_or_else(|| {
        ApiError::bad_request("an export needs `repository`, the repository's URL")
    })?;
    let request =
        ExportRequest { kind, repository, application: query.application, product: query.product };
    let export = state.fixgate.export(&request).await?;
    let disposition = format!("attachment; filename=\"{}\"", kind.file_name());
    Ok((
        [
            (header::CONTENT_TYPE, kind.content_type().to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        export.body,
    ))
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// Parses a JSON body; serde's message names the field and position.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|err| ApiError::bad_request(format!("the JSON body is not valid: {err}")))
}

/// Checks the bearer token when the server has one; returns who acts.
pub(crate) fn authorize(state: &AppState, headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(expected) = &state.token else {
        return Ok("anonymous".into());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ApiError::unauthorized("this request needs `Authorization: Bearer TOKEN`")
        })?;
    if !constant_time_eq(given.trim().as_bytes(), expected.as_bytes()) {
        return Err(ApiError::unauthorized("the token is not valid"));
    }
    Ok("api-token".into())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
