//! Scan uploads: the report arrives as the raw body or as a multipart form,
//! is spooled to a temporary file as it streams in (so a large report never
//! sits in memory and an oversized one is refused early), then imported.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use bytes::Bytes;
use fixgate_domain::ScanContext;
use fixgate_service::ImportRequest;
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use fixgate_domain::Action;

use crate::auth::Caller;
use crate::limits::ClientAddress;
use crate::{ApiError, AppState};

/// The scan's context, as query parameters or form fields.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UploadContext {
    application: Option<String>,
    repository: Option<String>,
    branch: Option<String>,
    commit: Option<String>,
    environment: Option<String>,
    category: Option<String>,
    format: Option<String>,
    /// `true` when the scan covered only some paths or rules.
    partial: Option<bool>,
    default_branch: Option<String>,
}

impl UploadContext {
    fn set(&mut self, name: &str, value: String) -> Result<(), ApiError> {
        let slot = match name {
            "application" => &mut self.application,
            "repository" => &mut self.repository,
            "branch" => &mut self.branch,
            "commit" => &mut self.commit,
            "environment" => &mut self.environment,
            "category" => &mut self.category,
            "format" => &mut self.format,
            "default_branch" => &mut self.default_branch,
            "partial" => {
                let partial = value.parse().map_err(|_| {
                    ApiError::bad_request(format!(
                        "form field partial: expected true or false, not {value:?}"
                    ))
                })?;
                self.partial = Some(partial);
                return Ok(());
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown form field {other:?}; expected report, application, repository, \
                     branch, default_branch, commit, environment, category, format or partial"
                )));
            }
        };
        *slot = Some(value);
        Ok(())
    }
}

/// A temporary file for a report the request carries, once its announced
/// length is within the upload limit: a report too large is refused before
/// a byte of it is read.
pub(crate) fn spool_for(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<tempfile::NamedTempFile, ApiError> {
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|length| length > state.max_upload) {
        return Err(ApiError::too_large(state.max_upload));
    }
    tempfile::NamedTempFile::new_in(&*state.spool_dir)
        .map_err(|err| ApiError::Internal(Box::new(err)))
}

pub(crate) async fn upload_scan(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ClientAddress(address): ClientAddress,
    context: Result<Query<UploadContext>, QueryRejection>,
    request: Request,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Upload)?;
    state.limits.upload(caller.token_id, address)?;
    let Query(mut context) = context.map_err(|err| ApiError::bad_request(err.body_text()))?;
    // A token limited to one application is refused before a byte of a
    // report for another one is read.
    if let Some(application) = &context.application {
        caller.require_application(application)?;
    }
    let spool = spool_for(&state, request.headers())?;
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));

    if is_multipart {
        let multipart = Multipart::from_request(request, &state)
            .await
            .map_err(|err| ApiError::bad_request(err.body_text()))?;
        read_form(multipart, &mut context, spool.path(), state.max_upload).await?;
    } else {
        let stream = request.into_body().into_data_stream();
        spool_stream(stream, spool.path(), state.max_upload).await?;
    }

    // A form may name the application after the report; a token limited to
    // one application uploads to it, named or not.
    let application = context.application.take().or_else(|| caller.application.clone());
    if let Some(application) = &application {
        caller.require_application(application)?;
    }
    context.application = application;

    let file = spool.reopen().map_err(|err| ApiError::Internal(Box::new(err)))?;
    let import = ImportRequest {
        context: ScanContext {
            application: context.application,
            repository: context.repository,
            branch: context.branch,
            commit: context.commit,
            environment: context.environment,
            category: context.category,
            uploader: Some(caller.actor()),
        },
        format: context.format,
        partial: context.partial.unwrap_or(false),
        default_branch: context.default_branch,
        progress: None,
    };
    let report = state.fixgate.import(file, import).await?;
    let status = if report.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(report)))
}

async fn read_form(
    mut multipart: Multipart,
    context: &mut UploadContext,
    spool: &std::path::Path,
    limit: u64,
) -> Result<(), ApiError> {
    let mut has_report = false;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|err| ApiError::bad_request(format!("the form is not valid: {err}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        if name == "report" || name == "file" {
            spool_stream(field, spool, limit).await?;
            has_report = true;
        } else {
            let value = field
                .text()
                .await
                .map_err(|err| ApiError::bad_request(format!("form field {name:?}: {err}")))?;
            context.set(&name, value)?;
        }
    }
    if !has_report {
        return Err(ApiError::bad_request("the form has no `report` file field"));
    }
    Ok(())
}

/// Writes a byte stream to `path`, refusing it once it passes `limit` bytes.
pub(crate) async fn spool_stream<S, E>(
    stream: S,
    path: &std::path::Path,
    limit: u64,
) -> Result<(), ApiError>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    let mut file =
        tokio::fs::File::create(path).await.map_err(|err| ApiError::Internal(Box::new(err)))?;
    let mut written: u64 = 0;
    let mut stream = std::pin::pin!(stream);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|err| ApiError::bad_request(format!("reading the upload failed: {err}")))?;
        written += chunk.len() as u64;
        if written > limit {
            return Err(ApiError::too_large(limit));
        }
        file.write_all(&chunk).await.map_err(|err| ApiError::Internal(Box::new(err)))?;
    }
    file.flush().await.map_err(|err| ApiError::Internal(Box::new(err)))?;
    Ok(())
}
