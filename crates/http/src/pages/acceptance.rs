//! Risk acceptance on a ticket's page: the requests made so far, a form to
//! ask (a justification and the day it lapses), and for the pending
//! request the approver's Approve and Reject forms or the asker's
//! Withdraw. The use cases are the API's: the service refuses an asker who
//! would approve their own request, and the policy's workflow may narrow
//! who approves.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use fixgate_domain::Action;
use fixgate_service::{AcceptRisk, Principal, RiskDecision, ServiceError};
use fixgate_store::{RiskRequest, RiskVerdict};
use serde::Deserialize;
use serde_json::Value;

use super::error::PageError;
use super::forms::{Done, Feedback, TicketForm, answer, checked};
use super::ticket::visible;
use super::view::{date, date_time};
use crate::AppState;
use crate::auth::SignedIn;

/// The risk acceptance part of a ticket's page.
#[derive(Default)]
pub(super) struct AcceptanceView {
    pub pending: Option<RequestView>,
    /// Decided and withdrawn requests, newest first.
    pub decided: Vec<RequestView>,
    /// The viewer may ask: they work on tickets, the ticket is open and
    /// nothing is pending.
    pub can_ask: bool,
    /// The viewer may approve or reject the pending request: their role
    /// decides and they did not ask for it.
    pub can_decide: bool,
    /// The viewer asked for the pending request.
    pub can_withdraw: bool,
}

pub(super) struct RequestView {
    pub requested_by: String,
    pub requested_at: String,
    pub reason: String,
    /// The day the acceptance lapses.
    pub until: String,
    /// "Pending", "Approved by bob on …", "Rejected by bob on …".
    pub outcome: String,
    pub note: Option<String>,
}

impl AcceptanceView {
    /// `open`: whether the ticket is open, so that its risk may be accepted.
    pub(super) fn of(requests: &[RiskRequest], me: &Principal, open: bool) -> AcceptanceView {
        let pending = requests.iter().find(|r| r.outcome == "pending");
        let mine = pending.is_some_and(|r| r.requested_by == me.name);
        let works = me.require(Action::Work).is_ok();
        AcceptanceView {
            pending: pending.map(RequestView::of),
            decided: requests
                .iter()
                .rev()
                .filter(|r| r.outcome != "pending")
                .map(RequestView::of)
                .collect(),
            can_ask: works && open && pending.is_none(),
            can_decide: works && me.require(Action::Decide).is_ok() && pending.is_some() && !mine,
            can_withdraw: works && mine,
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.pending.is_none() && self.decided.is_empty() && !self.can_ask
    }
}

impl RequestView {
    fn of(request: &RiskRequest) -> RequestView {
        let decided = |verb: &str| match (&request.decided_by, request.decided_at) {
            (Some(by), Some(at)) => format!("{verb} by {by} on {}", date_time(at)),
            _ => verb.to_string(),
        };
        let outcome = match request.outcome.as_str() {
            "pending" => "Pending: waiting for an approver".to_string(),
            "approved" => decided("Approved"),
            "rejected" => decided("Rejected"),
            "withdrawn" => decided("Withdrawn"),
            other => other.to_string(),
        };
        RequestView {
            requested_by: request.requested_by.clone(),
            requested_at: date_time(request.requested_at),
            reason: request.reason.clone(),
            until: date(request.expires_at),
            outcome,
            note: request.note.clone(),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct AskForm {
    csrf: String,
    #[serde(default)]
    reason: String,
    /// `YYYY-MM-DD` from the date field, or an RFC 3339 time.
    #[serde(default)]
    expires: String,
}

pub(super) async fn ask(
    State(state): State<AppState>,
    me: SignedIn,
    Path(key): Path<String>,
    form: Result<Form<AskForm>, FormRejection>,
) -> Result<Response, PageError> {
    let form = checked(&me, form, |f| &f.csrf)?;
    let key = visible(&state, &me, &key).await?.ticket.key;
    let outcome = async {
        me.0.require(Action::Work)?;
        if form.expires.trim().is_empty() {
            return Err(ServiceError::Invalid(
                "until: give the day the acceptance lapses and the ticket reopens".into(),
            ));
        }
        let request = AcceptRisk { reason: form.reason, expires_at: form.expires.trim().into() };
        state.fixgate.request_acceptance(&key, request, &me.0).await?;
        Ok::<_, ServiceError>(Done::AcceptanceAsked)
    }
    .await;
    answer(&state, &me, &key, outcome, refused).await
}

#[derive(Deserialize)]
pub(super) struct DecideForm {
    csrf: String,
    note: Option<String>,
}

/// `approve` and `reject` need a role that decides; `withdraw` is the
/// asker's.
pub(super) async fn decide(
    State(state): State<AppState>,
    me: SignedIn,
    Path((key, verdict)): Path<(String, String)>,
    form: Result<Form<DecideForm>, FormRejection>,
) -> Result<Response, PageError> {
    let form = checked(&me, form, |f| &f.csrf)?;
    let (verdict, done) = match verdict.as_str() {
        "approve" => (RiskVerdict::Approve, Done::AcceptanceApproved),
        "reject" => (RiskVerdict::Reject, Done::AcceptanceRejected),
        "withdraw" => (RiskVerdict::Withdraw, Done::AcceptanceWithdrawn),
        other => {
            return Err(PageError::NotFound(format!(
                "There is no decision {other:?}: a risk acceptance is approved, rejected or \
                 withdrawn."
            )));
        }
    };
    let key = visible(&state, &me, &key).await?.ticket.key;
    let outcome = async {
        me.0.require(Action::Work)?;
        if verdict != RiskVerdict::Withdraw {
            me.0.require(Action::Decide)?;
        }
        let decision = RiskDecision { note: form.note };
        state.fixgate.decide_acceptance(&key, verdict, decision, &me.0).await?;
        Ok::<_, ServiceError>(done)
    }
    .await;
    answer(&state, &me, &key, outcome, refused).await
}

fn refused(message: String) -> Feedback {
    Feedback::Refused { form: TicketForm::Acceptance, message }
}

/// A risk acceptance event as a sentence, or `None` for other kinds.
pub(super) fn describe(kind: &str, data: &Value) -> Option<String> {
    let field = |name: &str| data.get(name).and_then(Value::as_str).filter(|v| !v.is_empty());
    let whose = field("requested_by").map_or("the".to_string(), |by| format!("{by}'s"));
    let note = field("note").map_or(String::new(), |note| format!(" (note: {note})"));
    Some(match kind {
        "acceptance_requested" => {
            let until = field("expires_at").and_then(|at| at.parse().ok()).map(date);
            let until = until.map_or(String::new(), |day| format!(" until {day}"));
            let reason = field("reason").map_or(String::new(), |why| format!(" (reason: {why})"));
            format!("asked to accept the risk{until}{reason}")
        }
        "acceptance_approved" => format!("approved {whose} risk acceptance request{note}"),
        "acceptance_rejected" => format!("rejected {whose} risk acceptance request{note}"),
        "acceptance_withdrawn" => "withdrew the risk acceptance request".into(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn acceptance_events_read_as_sentences() {
        let asked =
            json!({"request": 1, "reason": "intranet only", "expires_at": "2027-03-01T00:00:00Z"});
        assert_eq!(
            describe("acceptance_requested", &asked).as_deref(),
            Some("asked to accept the risk until 2027-03-01 (reason: intranet only)")
        );
        let decided = json!({"requested_by": "dana", "note": "agreed"});
        assert_eq!(
            describe("acceptance_approved", &decided).as_deref(),
            Some("approved dana's risk acceptance request (note: agreed)")
        );
        let rejected = json!({"requested_by": "dana", "note": null});
        assert_eq!(
            describe("acceptance_rejected", &rejected).as_deref(),
            Some("rejected dana's risk acceptance request")
        );
        assert_eq!(describe("comment", &json!({})), None);
    }
}
