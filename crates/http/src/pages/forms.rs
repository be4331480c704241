//! The ticket page's forms for working on a ticket: a comment, the
//! assignee, the labels and the priority. Each form carries the session's
//! CSRF value and goes through the same use case as the API, with the same
//! role checks; the page only leaves out the forms the viewer's role cannot
//! use. A change that goes through redirects to the page with a short
//! confirmation (`?done=…`); a refused one shows the page again, with the
//! refusal's status and sentence beside the form that sent it.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use fixgate_domain::Action;
use fixgate_domain::triage::Priority;
use fixgate_service::{ServiceError, SetPriority};
use serde::Deserialize;

use super::error::PageError;
use super::ticket::{show, visible};
use crate::auth::SignedIn;
use crate::{ApiError, AppState};

/// Which of the ticket page's forms a refusal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TicketForm {
    Move,
    Comment,
    Assign,
    Labels,
    Priority,
    Acceptance,
}

/// A change a form made, confirmed on the page after the redirect. The URL
/// carries only this code, never text, so a link cannot make the page say
/// something of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Done {
    Moved,
    Commented,
    Assigned,
    Unassigned,
    Labelled,
    Prioritised,
    AcceptanceAsked,
    AcceptanceApproved,
    AcceptanceRejected,
    AcceptanceWithdrawn,
}

impl Done {
    const ALL: [Done; 10] = [
        Done::Moved,
        Done::Commented,
        Done::Assigned,
        Done::Unassigned,
        Done::Labelled,
        Done::Prioritised,
        Done::AcceptanceAsked,
        Done::AcceptanceApproved,
        Done::AcceptanceRejected,
        Done::AcceptanceWithdrawn,
    ];

    pub(super) fn code(self) -> &'static str {
        match self {
            Done::Moved => "moved",
            Done::Commented => "commented",
            Done::Assigned => "assigned",
            Done::Unassigned => "unassigned",
            Done::Labelled => "labelled",
            Done::Prioritised => "prioritised",
            Done::AcceptanceAsked => "acceptance-asked",
            Done::AcceptanceApproved => "acceptance-approved",
            Done::AcceptanceRejected => "acceptance-rejected",
            Done::AcceptanceWithdrawn => "acceptance-withdrawn",
        }
    }

    pub(super) fn parse(code: &str) -> Option<Done> {
        Done::ALL.into_iter().find(|done| done.code() == code)
    }

    /// What the page says once the change is made.
    pub(super) fn sentence(self) -> &'static str {
        match self {
            Done::Moved => "The ticket was moved.",
            Done::Commented => "Your comment was added to the history.",
            Done::Assigned => "The assignee was changed.",
            Done::Unassigned => "The ticket is no longer assigned to anyone.",
            Done::Labelled => "The labels were changed.",
            Done::Prioritised => "The priority was set, and the due date follows it.",
            Done::AcceptanceAsked => {
                "The risk acceptance was requested; someone else must approve it."
            }
            Done::AcceptanceApproved => "The risk acceptance was approved: the risk is accepted.",
            Done::AcceptanceRejected => "The risk acceptance was rejected.",
            Done::AcceptanceWithdrawn => "The risk acceptance request was withdrawn.",
        }
    }
}

/// What the ticket's page says about the last form sent from it.
pub(super) enum Feedback {
    None,
    Done(Done),
    Refused {
        form: TicketForm,
        message: String,
    },
    /// A refused comment, whose text the form gives back to edit.
    Comment {
        message: String,
        text: String,
    },
}

/// Each form's refusal, shown beside it.
#[derive(Default)]
pub(super) struct FormErrors {
    pub move_: Option<String>,
    pub comment: Option<String>,
    pub assign: Option<String>,
    pub labels: Option<String>,
    pub priority: Option<String>,
    pub acceptance: Option<String>,
}

impl FormErrors {
    pub(super) fn set(&mut self, form: TicketForm, message: String) {
        let slot = match form {
            TicketForm::Move => &mut self.move_,
            TicketForm::Comment => &mut self.comment,
            TicketForm::Assign => &mut self.assign,
            TicketForm::Labels => &mut self.labels,
            TicketForm::Priority => &mut self.priority,
            TicketForm::Acceptance => &mut self.acceptance,
        };
        *slot = Some(message);
    }
}

/// The answer to a ticket form: a redirect to the page confirming `done`,
/// or the page again with the refusal and its status. Failures on our side
/// stay errors.
pub(super) async fn answer(
    state: &AppState,
    me: &SignedIn,
    key: &str,
    outcome: Result<Done, ServiceError>,
    refused: impl FnOnce(String) -> Feedback,
) -> Result<Response, PageError> {
    match outcome {
        Ok(done) => Ok(confirm(key, done)),
        Err(err) => match ApiError::from(err) {
            ApiError::Client { status, detail, .. } => {
                show(state, me, key, status, refused(detail)).await
            }
            other => Err(other.into()),
        },
    }
}

/// The redirect to ticket `key`'s page that confirms `done`.
pub(super) fn confirm(key: &str, done: Done) -> Response {
    Redirect::to(&format!("/tickets/{key}?done={}", done.code())).into_response()
}

/// A form's fields, or a 400 page saying which one is wrong; then the
/// session's CSRF value, or a 403 page.
pub(super) fn checked<T>(
    me: &SignedIn,
    form: Result<Form<T>, FormRejection>,
    csrf: impl Fn(&T) -> &str,
) -> Result<T, PageError> {
    let Form(form) = form.map_err(|err| ApiError::bad_request(err.body_text()))?;
    me.check_form(csrf(&form))?;
    Ok(form)
}

fn refusal(form: TicketForm) -> impl FnOnce(String) -> Feedback {
    move |message| Feedback::Refused { form, message }
}

#[derive(Deserialize)]
pub(super) struct CommentForm {
    csrf: String,
    text: String,
}

pub(super) async fn comment(
    State(state): State<AppState>,
    me: SignedIn,
    Path(key): Path<String>,
    form: Result<Form<CommentForm>, FormRejection>,
) -> Result<Response, PageError> {
    let form = checked(&me, form, |f| &f.csrf)?;
    let key = visible(&state, &me, &key).await?.ticket.key;
    let outcome = async {
        me.0.require(Action::Work)?;
        state.fixgate.comment(&key, &form.text, &me.0.actor()).await?;
        Ok::<_, ServiceError>(Done::Commented)
    }
    .await;
    let text = form.text.clone();
    answer(&state, &me, &key, outcome, |message| Feedback::Comment { message, text }).await
}

#[derive(Deserialize)]
pub(super) struct AssignForm {
    csrf: String,
    #[serde(default)]
    assignee: String,
    /// Present when the "Unassign" button sent the form.
    unassign: Option<String>,
}

pub(super) async fn assign(
    State(state): State<AppState>,
    me: SignedIn,
    Path(key): Path<String>,
    form: Result<Form<AssignForm>, FormRejection>,
) -> Result<Response, PageError> {
    let form = checked(&me, form, |f| &f.csrf)?;
    let key = visible(&state, &me, &key).await?.ticket.key;
    let outcome = async {
        me.0.require(Action::Work)?;
        let assignee = match (form.unassign.is_some(), form.assignee.trim()) {
            (true, _) => None,
            (false, "") => {
                return Err(ServiceError::Invalid(
                    "assignee: give a person's name, or unassign the ticket".into(),
                ));
            }
            (false, name) => Some(crate::collab::person_name(&me.0, name)),
        };
        let visibility = me.0.visibility();
        state.fixgate.assign(&key, assignee, &visibility, &me.0.actor()).await?;
        Ok::<_, ServiceError>(if assignee.is_some() { Done::Assigned } else { Done::Unassigned })
    }
    .await;
    answer(&state, &me, &key, outcome, refusal(TicketForm::Assign)).await
}

/// The labels form: labels to add, typed and separated by commas or
/// spaces, and a ticked box for each label to remove. Boxes share a name,
/// so the body is read as pairs.
pub(super) async fn labels(
    State(state): State<AppState>,
    me: SignedIn,
    Path(key): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, PageError> {
    let pairs = checked(&me, form, |pairs| value_of(pairs, "csrf"))?;
    let key = visible(&state, &me, &key).await?.ticket.key;
    let add: Vec<String> = words(value_of(&pairs, "add"));
    let remove: Vec<String> =
        pairs.iter().filter(|(name, _)| name == "remove").map(|(_, v)| v.clone()).collect();
    let outcome = async {
        me.0.require(Action::Work)?;
        let visibility = me.0.visibility();
        state.fixgate.change_labels(&key, &add, &remove, &visibility, &me.0.actor()).await?;
        Ok::<_, ServiceError>(Done::Labelled)
    }
    .await;
    answer(&state, &me, &key, outcome, refusal(TicketForm::Labels)).await
}

/// The first value of the field `name`, or nothing.
pub(super) fn value_of<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(n, _)| n == name).map_or("", |(_, value)| value.as_str())
}

/// `pci, ui  legacy` is `pci`, `ui` and `legacy`.
pub(super) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|word| !word.is_empty())
        .map(str::to_string)
        .collect()
}

#[derive(Deserialize)]
pub(super) struct PriorityForm {
    csrf: String,
    priority: String,
    #[serde(default)]
    reason: String,
}

/// A person's priority: security's and administrators' to set, as over the
/// API.
pub(super) async fn priority(
    State(state): State<AppState>,
    me: SignedIn,
    Path(key): Path<String>,
    form: Result<Form<PriorityForm>, FormRejection>,
) -> Result<Response, PageError> {
    let form = checked(&me, form, |f| &f.csrf)?;
    let key = visible(&state, &me, &key).await?.ticket.key;
    let outcome = async {
        me.0.require(Action::Work)?;
        me.0.require(Action::Decide)?;
        let priority = form
            .priority
            .parse::<Priority>()
            .map_err(|err| ServiceError::Invalid(format!("priority: {err}")))?;
        let request = SetPriority { priority, reason: form.reason };
        state.fixgate.set_priority(&key, request, &me.0.actor()).await?;
        Ok::<_, ServiceError>(Done::Prioritised)
    }
    .await;
    answer(&state, &me, &key, outcome, refusal(TicketForm::Priority)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_confirmation_reads_back_from_its_code() {
        for done in Done::ALL {
            assert_eq!(Done::parse(done.code()), Some(done));
        }
        assert_eq!(Done::parse("<script>"), None);
    }

    #[test]
    fn labels_are_split_on_commas_and_spaces() {
        assert_eq!(words(" pci, ui  legacy,,"), ["pci", "ui", "legacy"]);
        assert!(words("  ").is_empty());
    }
}
