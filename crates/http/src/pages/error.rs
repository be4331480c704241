//! The pages' error type. It renders an HTML error page, never JSON: a
//! missing ticket is a 404 page that says so; an internal failure is a 500
//! page with a generic text, and the real error is logged once, here.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use fixgate_service::ServiceError;
use fixgate_store::StoreError;

use crate::error::chain;

/// A page that could not be shown.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PageError {
    /// What the URL names does not exist; the message says what.
    #[error("{0}")]
    NotFound(String),
    /// The caller may not see or do this; the message says why.
    #[error("{0}")]
    Forbidden(String),
    /// Any other refusal, with its status.
    #[error("{message}")]
    Refused { status: StatusCode, message: String },
    /// Something failed on our side.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    nav: Option<super::Nav>,
}

impl From<ServiceError> for PageError {
    fn from(err: ServiceError) -> PageError {
        match err {
            ServiceError::Store(StoreError::NotFound(what)) => {
                PageError::NotFound(format!("The {what} does not exist."))
            }
            ServiceError::Forbidden(why) => PageError::Forbidden(why),
            ServiceError::Busy(why) => {
                PageError::Refused { status: StatusCode::TOO_MANY_REQUESTS, message: why }
            }
            ServiceError::Store(StoreError::Invalid(why)) => {
                PageError::Refused { status: StatusCode::BAD_REQUEST, message: why }
            }
            ServiceError::Invalid(why) => {
                PageError::Refused { status: StatusCode::BAD_REQUEST, message: why }
            }
            ServiceError::Unauthenticated(why) => {
                PageError::Refused { status: StatusCode::UNAUTHORIZED, message: why }
            }
            other => PageError::Internal(Box::new(other)),
        }
    }
}

impl From<StoreError> for PageError {
    fn from(err: StoreError) -> PageError {
        PageError::from(ServiceError::Store(err))
    }
}

impl From<crate::ApiError> for PageError {
    fn from(err: crate::ApiError) -> PageError {
        match err {
            crate::ApiError::Internal(err) => PageError::Internal(err),
            other => PageError::Refused { status: other.status(), message: other.to_string() },
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(err: askama::Error) -> PageError {
        PageError::Internal(Box::new(err))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, page) = match &self {
            PageError::NotFound(message) => {
                (StatusCode::NOT_FOUND, ErrorPage { title: "Not found", message, nav: None })
            }
            PageError::Forbidden(message) => {
                (StatusCode::FORBIDDEN, ErrorPage { title: "Not allowed", message, nav: None })
            }
            PageError::Refused { status, message } => {
                let title = status.canonical_reason().unwrap_or("Refused");
                (*status, ErrorPage { title, message, nav: None })
            }
            PageError::Internal(err) => {
                tracing::error!(error = %chain(err.as_ref()), "page failed");
                let message = "The server failed to show this page. The error is in its log.";
                let page = ErrorPage { title: "Server error", message, nav: None };
                (StatusCode::INTERNAL_SERVER_ERROR, page)
            }
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(err) => {
                tracing::error!(error = %err, "the error page failed to render");
                (status, page.title.to_string()).into_response()
            }
        }
    }
}
