//! The JSON API under `/api/v1`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use fixgate_domain::{Action, Role};
use fixgate_service::access::parse_expiry;
use fixgate_service::{
    CreateTicket, CreateToken, CreateUser, ExportKind, ExportRequest, MoveTicket, Principal,
    TokenHolder,
};
use fixgate_store::TicketDetail;
use serde::Deserialize;
use serde_json::json;

use crate::auth::Caller;
use crate::filters::TicketQuery;
use crate::routes::Routes;
use crate::{ApiError, AppState};

const OPENAPI: &str = include_str!("../openapi.json");

/// The API's routes, apart from the two that take reports (see
/// [`crate::upload`]).
pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/tickets", list_tickets)
        .post("/api/v1/tickets", create_ticket)
        .get("/api/v1/tickets/{key}", ticket)
        .post("/api/v1/tickets/{key}/transitions", move_ticket)
        .post("/api/v1/tickets/{key}/comments", comment)
        .get("/api/v1/exports/{kind}", export)
        .put("/api/v1/policy/{key}", set_policy)
        .get("/api/v1/me", me)
        .get("/api/v1/tokens", list_tokens)
        .post("/api/v1/tokens", create_token)
        .delete("/api/v1/tokens/{id}", revoke_token)
        .get("/api/v1/users", list_users)
        .post("/api/v1/users", create_user)
        .post("/api/v1/teams/{team}/members", add_member)
        .post("/api/v1/applications/{application}/owners", add_owner)
        .get("/api/v1/channels", crate::channels::list)
        .post("/api/v1/channels", crate::channels::create)
        .delete("/api/v1/channels/{name}", crate::channels::remove)
        .get("/api/v1/openapi.json", openapi)
        .get("/healthz", || async { "ok" })
}

async fn list_tickets(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<TicketQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Read)?;
    let Query(query) = query.map_err(|err| ApiError::bad_request(err.body_text()))?;
    let filter = query.for_caller(&caller.name).to_filter(50, caller.visibility())?;
    Ok(Json(state.fixgate.list_tickets(&filter).await?))
}

async fn ticket(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Read)?;
    Ok(Json(visible_ticket(&state, &caller, &key).await?))
}

/// The ticket `key` as `caller` may see it: a ticket of an application the
/// caller cannot see does not exist for them (404, as for a wrong key), and
/// links to other tickets they cannot see are left out (same-secret links,
/// links between tickets and the keys their history names).
pub(crate) async fn visible_ticket(
    state: &AppState,
    caller: &Principal,
    key: &str,
) -> Result<TicketDetail, ApiError> {
    let mut detail = state.fixgate.ticket(key).await?;
    if !state.fixgate.sees(caller, detail.ticket.application.as_deref()).await? {
        return Err(ApiError::not_found(format!("ticket {} not found", key.trim())));
    }
    let visibility = caller.visibility();
    if !visibility.is_everything() {
        for finding in &mut detail.findings {
            finding.same_secret_in =
                state.fixgate.store().visible_keys(&finding.same_secret_in, &visibility).await?;
        }
        crate::collab::hide_unseen_links(state, &visibility, &mut detail).await?;
    }
    Ok(detail)
}

async fn create_ticket(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(request): JsonBody<CreateTicket>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::CreateTicket)?;
    // A priority is security's to set, at opening as later (PUT .../priority).
    if request.priority.is_some() {
        caller.require(Action::Decide)?;
    }
    let application = request.application.as_deref().map(str::trim).filter(|a| !a.is_empty());
    if let Some(application) = application {
        caller.require_application(application)?;
    }
    if !caller.visibility().is_everything() && !state.fixgate.sees(&caller, application).await? {
        return Err(ApiError::forbidden(
            "a ticket you open must belong to an application you can see",
        ));
    }
    let created = state.fixgate.create_ticket(request, &caller.actor()).await?;
    let location = format!("/api/v1/tickets/{}", created.ticket.key);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(created)))
}

async fn move_ticket(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
    JsonBody(request): JsonBody<MoveTicket>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Work)?;
    visible_ticket(&state, &caller, &key).await?;
    // The ticket type's workflow decides which roles may take the move
    // (decisions are security's unless a custom workflow says otherwise).
    Ok(Json(state.fixgate.move_ticket(&key, request, &caller).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Comment {
    text: String,
}

async fn comment(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
    JsonBody(request): JsonBody<Comment>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Work)?;
    let ticket = visible_ticket(&state, &caller, &key).await?;
    state.fixgate.comment(&ticket.ticket.key, &request.text, &caller.actor()).await?;
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
    Caller(caller): Caller,
    Path(kind): Path<String>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Read)?;
    let kind: ExportKind = kind.parse().map_err(ApiError::not_found)?;
    let Query(query) = query.map_err(|err| ApiError::bad_request(err.body_text()))?;
    let repository = query.repository.ok_or_else(|| {
        ApiError::bad_request("an export needs `repository`, the repository's URL")
    })?;
    let application = repository_scope(&state, &caller, &repository, query.application).await?;
    let request = ExportRequest { kind, repository, application, product: query.product };
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

/// The application a read of `repository` is limited to for `caller`. A
/// caller who sees every application the repository belongs to reads it
/// whole; one who sees some must name which; one who sees none is told the
/// repository does not exist.
pub(crate) async fn repository_scope(
    state: &AppState,
    caller: &Principal,
    repository: &str,
    application: Option<String>,
) -> Result<Option<String>, ApiError> {
    let application = application.map(|a| a.trim().to_string()).filter(|a| !a.is_empty());
    let application = application.or_else(|| caller.application.clone());
    if let Some(application) = &application {
        caller.require_application(application)?;
    }
    if caller.visibility().is_everything() {
        return Ok(application);
    }
    let mut visible = Vec::new();
    let owners = state.fixgate.store().repository_applications(repository.trim()).await?;
    for owner in &owners {
        if state.fixgate.sees(caller, Some(owner)).await? {
            visible.push(owner.clone());
        }
    }
    let hidden = || ApiError::not_found(format!("repository {} not found", repository.trim()));
    match application {
        Some(application) if visible.contains(&application) => Ok(Some(application)),
        Some(_) => Err(hidden()),
        None if visible.is_empty() => Err(hidden()),
        None if visible.len() == owners.len() => Ok(None),
        None => match visible.as_slice() {
            [only] => Ok(Some(only.clone())),
            _ => Err(ApiError::bad_request(
                "this repository belongs to several applications: name one with `application`",
            )),
        },
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyValue {
    /// `null` restores the default.
    value: Option<String>,
}

async fn set_policy(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
    JsonBody(request): JsonBody<PolicyValue>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::SetPolicy)?;
    state.fixgate.set_policy(&key, request.value.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who the caller is, and how far they reach.
async fn me(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<impl IntoResponse, ApiError> {
    let user = state.fixgate.store().user(&caller.name).await?;
    Ok(Json(json!({
        "name": caller.name,
        "role": caller.role,
        "teams": user.map(|u| u.teams).unwrap_or_default(),
        "application": caller.application,
        "token": caller.token_id,
        "sees_every_application": caller.visibility().is_everything(),
        // What changes made with this session's cookie carry in X-CSRF-Token.
        "csrf": caller.session.as_ref().map(|s| s.csrf_token.clone()),
    })))
}

async fn list_tokens(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.fixgate.tokens(&caller).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    /// A person (default: the caller) or, with `service`, a service account.
    user: Option<String>,
    service: Option<String>,
    role: Role,
    application: Option<String>,
    /// A date (`2027-01-31`, from 00:00 UTC) or an RFC 3339 time.
    expires_at: Option<String>,
    /// Teams a new service account joins.
    #[serde(default)]
    teams: Vec<String>,
}

/// Creates a token. An administrator makes any; anyone else makes tokens
/// for themselves, from a signed-in session only: a token does not breed
/// tokens.
async fn create_token(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(request): JsonBody<TokenRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let holder = match (request.user, request.service) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request("give `user` or `service`, not both"));
        }
        (None, Some(service)) => TokenHolder::Service(service),
        (user, None) => TokenHolder::User(user.unwrap_or_else(|| caller.name.clone())),
    };
    if matches!(holder, TokenHolder::User(_)) && !request.teams.is_empty() {
        return Err(ApiError::bad_request(
            "`teams` is for a new service account; a person's teams are their own",
        ));
    }
    let own = matches!(&holder, TokenHolder::User(name) if *name == caller.name);
    if caller.role != Role::Administrator {
        if !own {
            return Err(ApiError::forbidden("only an administrator makes tokens for others"));
        }
        if caller.session.is_none() {
            return Err(ApiError::forbidden(
                "a token cannot make tokens: sign in, or ask an administrator",
            ));
        }
    }
    let request = CreateToken {
        holder,
        role: request.role,
        application: request.application,
        expires_at: request.expires_at.as_deref().map(parse_expiry).transpose()?,
        teams: request.teams,
    };
    let created = state.fixgate.create_token(request, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn revoke_token(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found(format!("token {id} not found")))?;
    state.fixgate.revoke_token(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_users(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Administer)?;
    Ok(Json(state.fixgate.store().users().await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserRequest {
    name: String,
    role: Role,
    #[serde(default)]
    teams: Vec<String>,
}

/// Creates a person; the answer carries their first password, which they
/// must change when they first sign in.
async fn create_user(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(request): JsonBody<UserRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Administer)?;
    let user =
        CreateUser { name: request.name, role: request.role, teams: request.teams, password: None };
    Ok((StatusCode::CREATED, Json(state.fixgate.create_user(user).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Member {
    user: String,
}

async fn add_member(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(team): Path<String>,
    JsonBody(request): JsonBody<Member>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Administer)?;
    state.fixgate.add_member(&team, &request.user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Owner {
    team: String,
}

async fn add_owner(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(application): Path<String>,
    JsonBody(request): JsonBody<Owner>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Administer)?;
    state.fixgate.add_owner(&application, &request.team).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// A JSON request body. A body over the route's limit and a body that is
/// not the JSON expected both get problem details that say so; serde's
/// message names the field and position.
pub(crate) struct JsonBody<T>(pub T);

impl<T: serde::de::DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<JsonBody<T>, ApiError> {
        let body = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::Client {
                    status: StatusCode::PAYLOAD_TOO_LARGE,
                    title: "Body too large",
                    detail: format!("a JSON body is at most {} bytes", crate::MAX_BODY),
                }
            } else {
                ApiError::bad_request(rejection.body_text())
            }
        })?;
        serde_json::from_slice(&body)
            .map(JsonBody)
            .map_err(|err| ApiError::bad_request(format!("the JSON body is not valid: {err}")))
    }
}
