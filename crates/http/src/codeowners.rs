//! `/api/v1/codeowners`: a repository's CODEOWNERS file in, and who owns
//! a path out.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use bytes::Bytes;
use fixgate_domain::Action;
use serde::Deserialize;
use serde_json::json;

use crate::api::repository_scope;
use crate::auth::Caller;
use crate::{ApiError, AppState};

/// The largest CODEOWNERS body taken.
pub(crate) const MAX_BODY: usize = fixgate_service::MAX_CODEOWNERS_BYTES;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeownersQuery {
    repository: Option<String>,
    path: Option<String>,
    /// Say how many open tickets the file would move, and store nothing.
    #[serde(default)]
    dry_run: bool,
}

impl CodeownersQuery {
    fn repository(&self) -> Result<&str, ApiError> {
        self.repository
            .as_deref()
            .filter(|r| !r.trim().is_empty())
            .ok_or_else(|| ApiError::bad_request("name the repository with `repository`, its URL"))
    }
}

/// Stores the body, a CODEOWNERS file, as the repository's, moving its
/// open tickets to the teams the file now gives them; with `dry_run`, only
/// says which would move.
pub(crate) async fn put(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<CodeownersQuery>, QueryRejection>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::SetPolicy)?;
    let Query(query) = query.map_err(|err| ApiError::bad_request(err.body_text()))?;
    let repository = query.repository()?;
    let text = std::str::from_utf8(&body)
        .map_err(|err| ApiError::bad_request(format!("a CODEOWNERS file is UTF-8 text: {err}")))?;
    let set = if query.dry_run {
        state.fixgate.check_codeowners(repository, text).await?
    } else {
        state.fixgate.set_codeowners(repository, text, &caller.actor()).await?
    };
    Ok((StatusCode::OK, Json(set)))
}

/// Who owns `path` in the repository, by the rules that decide it.
pub(crate) async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<CodeownersQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Read)?;
    let Query(query) = query.map_err(|err| ApiError::bad_request(err.body_text()))?;
    let repository = query.repository()?;
    repository_scope(&state, &caller, repository, None).await?;
    let path = query.path.as_deref().ok_or_else(|| {
        ApiError::bad_request("name the file with `path`, relative to the repository's root")
    })?;
    let rules = state.fixgate.owners_of(repository, path).await?.ok_or_else(|| {
        ApiError::not_found(format!("repository {repository} has no CODEOWNERS file"))
    })?;
    Ok(Json(json!({ "repository": repository, "path": path, "rules": rules })))
}
