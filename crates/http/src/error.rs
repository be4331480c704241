//! The one error type handlers return. It decides the response: a client's
//! mistake becomes a 4xx problem details document (RFC 9457) that names the
//! cause; an internal failure becomes a plain 500, and the real error is
//! logged once, here.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use fixgate_domain::hook::HookError;
use fixgate_intake::ParseError;
use fixgate_service::ServiceError;
use fixgate_store::StoreError;
use serde::Serialize;

/// An error on its way to becoming a response.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request was wrong; the message says how.
    #[error("{detail}")]
    Client { status: StatusCode, title: &'static str, detail: String },
    /// A rate limit held.
    #[error("too many requests: try again in {seconds} s")]
    Limited { seconds: u64 },
    /// Something failed on our side.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::Client {
            status: StatusCode::BAD_REQUEST,
            title: "Bad request",
            detail: detail.into(),
        }
    }

    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::Client {
            status: StatusCode::UNAUTHORIZED,
            title: "Unauthorized",
            detail: detail.into(),
        }
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::Client {
            status: StatusCode::FORBIDDEN,
            title: "Forbidden",
            detail: detail.into(),
        }
    }

    /// A rate limit held: the caller may try again after `retry_after`.
    pub fn too_many(retry_after: std::time::Duration) -> ApiError {
        ApiError::Limited { seconds: retry_after.as_secs() + 1 }
    }

    pub fn too_large(limit: u64) -> ApiError {
        ApiError::Client {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            title: "Report too large",
            detail: format!("the upload is larger than the limit of {limit} bytes"),
        }
    }

    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::Client {
            status: StatusCode::NOT_FOUND,
            title: "Not found",
            detail: detail.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Client { status, .. } => *status,
            ApiError::Limited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> ApiError {
        let client = |status, title| ApiError::Client { status, title, detail: err.to_string() };
        match &err {
            ServiceError::Parse(ParseError::TooLarge { .. }) => {
                client(StatusCode::PAYLOAD_TOO_LARGE, "Report too large")
            }
            ServiceError::Parse(ParseError::Io(_)) => ApiError::Internal(Box::new(err)),
            ServiceError::Parse(_) | ServiceError::UnknownFormat { .. } => {
                client(StatusCode::UNPROCESSABLE_ENTITY, "Report not readable")
            }
            ServiceError::Invalid(_) => client(StatusCode::BAD_REQUEST, "Bad request"),
            ServiceError::Unauthenticated(_) => client(StatusCode::UNAUTHORIZED, "Unauthorized"),
            ServiceError::Forbidden(_) => client(StatusCode::FORBIDDEN, "Forbidden"),
            ServiceError::Busy(_) => ApiError::Limited { seconds: 2 },
            ServiceError::Workflow(_) => client(StatusCode::CONFLICT, "Move not allowed"),
            // A genuine delivery whose own id is unusable: the sender's bug,
            // not a question of who sent it.
            ServiceError::Hook(HookError::MalformedDelivery) => {
                client(StatusCode::BAD_REQUEST, "Bad request")
            }
            ServiceError::Hook(_) => client(StatusCode::UNAUTHORIZED, "Delivery not authenticated"),
            ServiceError::Replay { .. } => client(StatusCode::CONFLICT, "Delivery replayed"),
            ServiceError::Store(StoreError::NotFound(_)) => {
                client(StatusCode::NOT_FOUND, "Not found")
            }
            ServiceError::Store(StoreError::Conflict(_)) => {
                client(StatusCode::CONFLICT, "Conflict")
            }
            ServiceError::Store(StoreError::Invalid(_)) => {
                client(StatusCode::BAD_REQUEST, "Bad request")
            }
            _ => ApiError::Internal(Box::new(err)),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> ApiError {
        ApiError::from(ServiceError::Store(err))
    }
}

/// RFC 9457 problem details.
#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let limited = self.to_string();
        let (title, detail) = match &self {
            ApiError::Client { title, detail, .. } => (*title, detail.as_str()),
            ApiError::Limited { .. } => ("Too many requests", limited.as_str()),
            ApiError::Internal(err) => {
                tracing::error!(error = %chain(err.as_ref()), "request failed");
                ("Internal server error", "the server failed; the error is in its log")
            }
        };
        let problem = Problem { kind: "about:blank", title, status: status.as_u16(), detail };
        let mut response = (status, Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"fixgate\""),
            );
        }
        if let ApiError::Limited { seconds } = self {
            headers.insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        response
    }
}

/// An error with its causes, `outer: inner: innermost`.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
