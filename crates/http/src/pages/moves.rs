//! Moving a ticket from its page. The page's form offers only the moves the
//! ticket type's workflow allows the viewer's role; this takes the form,
//! moves the ticket through the same use case as the API, and shows the
//! page again, with the reason when the move was refused.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use fixgate_service::MoveTicket;
use fixgate_service::access::parse_expiry;
use serde::Deserialize;

use super::error::PageError;
use super::ticket::{show, visible};
use crate::auth::SignedIn;
use crate::{ApiError, AppState};

#[derive(Deserialize)]
pub(super) struct MoveForm {
    csrf: String,
    state: String,
    reason: Option<String>,
    owner: Option<String>,
    /// `YYYY-MM-DD` (00:00 UTC) or an RFC 3339 time.
    due: Option<String>,
    duplicate_of: Option<String>,
}

impl MoveForm {
    fn request(self) -> Result<MoveTicket, String> {
        let due_at = match self.due.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(day) => Some(parse_expiry(day).map_err(|err| format!("due date: {err}"))?),
            None => None,
        };
        Ok(MoveTicket {
            reason: self.reason,
            owner: self.owner,
            due_at,
            duplicate_of: self.duplicate_of,
            ..MoveTicket::to(self.state)
        })
    }
}

pub(super) async fn submit(
    State(state): State<AppState>,
    me: SignedIn,
    Path(key): Path<String>,
    form: Result<Form<MoveForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) = form.map_err(|err| ApiError::bad_request(err.body_text()))?;
    me.check_form(&form.csrf)?;
    let ticket = visible(&state, &me, &key).await?.ticket;
    let request = match form.request() {
        Ok(request) => request,
        Err(why) => return show(&state, &me, &key, StatusCode::BAD_REQUEST, Some(why)).await,
    };
    match state.fixgate.move_ticket(&ticket.key, request, &me.0).await {
        Ok(moved) => Ok(Redirect::to(&format!("/tickets/{}", moved.ticket.key)).into_response()),
        Err(err) => match ApiError::from(err) {
            ApiError::Client { status, detail, .. } => {
                show(&state, &me, &ticket.key, status, Some(detail)).await
            }
            other => Err(other.into()),
        },
    }
}
