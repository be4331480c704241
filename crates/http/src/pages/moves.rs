//! Moving a ticket from its page. The page's form offers only the moves the
//! ticket type's workflow allows the viewer's role; this takes the form,
//! moves the ticket through the same use case as the API, and shows the
//! page again: confirming the move, or with the reason it was refused.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use fixgate_service::MoveTicket;
use fixgate_service::access::parse_expiry;
use serde::Deserialize;

use super::error::PageError;
use super::forms::{Done, Feedback, TicketForm, answer, checked};
use super::ticket::{show, visible};
use crate::AppState;
use crate::auth::SignedIn;

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
    let form = checked(&me, form, |f| &f.csrf)?;
    let ticket = visible(&state, &me, &key).await?.ticket;
    let refused = |message| Feedback::Refused { form: TicketForm::Move, message };
    let request = match form.request() {
        Ok(request) => request,
        Err(why) => return show(&state, &me, &key, StatusCode::BAD_REQUEST, refused(why)).await,
    };
    let outcome = state.fixgate.move_ticket(&ticket.key, request, &me.0).await.map(|_| Done::Moved);
    answer(&state, &me, &ticket.key, outcome, refused).await
}
