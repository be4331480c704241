//! Ticket use cases: list, read, open by hand, move along the workflow,
//! comment.

use fixgate_domain::triage::{GivenFields, TriagePolicy};
use fixgate_domain::{Role, Severity, TicketState, TicketType};
use fixgate_store::{NewTicket, Page, StateChange, TicketDetail, TicketFilter, TicketRow};
use jiff::Timestamp;
use serde::Deserialize;

use crate::workflow::{MoveOption, check_move, had_fields};
use crate::{Fixgate, Principal, ServiceError};

/// A ticket a person opens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTicket {
    #[serde(rename = "type")]
    pub ticket_type: TicketType,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_severity")]
    pub severity: Severity,
    pub application: Option<String>,
    pub repository: Option<String>,
    /// The file it is about, relative to the repository's root: CODEOWNERS
    /// and the policy's path routes then apply.
    pub path: Option<String>,
    /// The owning team; without it, the triage policy routes the ticket.
    pub owner: Option<String>,
    /// Without it, the triage policy sets the priority from the severity.
    pub priority: Option<fixgate_domain::triage::Priority>,
    /// Without it, the SLA of the ticket's priority sets the due date.
    pub due_at: Option<Timestamp>,
}

fn default_severity() -> Severity {
    Severity::Medium
}

/// A move along the workflow, with what the target state needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveTicket {
    /// The state to move to: a state of the policy's custom workflow for
    /// the ticket's type (`investigating`), or a built-in one (`triaged`).
    pub state: String,
    pub reason: Option<String>,
    pub owner: Option<String>,
    pub due_at: Option<Timestamp>,
    pub approver: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub duplicate_of: Option<String>,
}

impl MoveTicket {
    /// A move to `state` (a [`TicketState`] or a custom state's name) that
    /// gives nothing else; fill in what the move needs with struct update
    /// syntax.
    pub fn to(state: impl ToString) -> MoveTicket {
        MoveTicket {
            state: state.to_string(),
            reason: None,
            owner: None,
            due_at: None,
            approver: None,
            expires_at: None,
            duplicate_of: None,
        }
    }
}

impl Fixgate {
    pub async fn list_tickets(
        &self,
        filter: &TicketFilter,
    ) -> Result<Page<TicketRow>, ServiceError> {
        let filter = self.at_now(filter);
        let mut page = self.store.list_tickets(&filter).await?;
        let policy = self.triage_policy().await?;
        self.annotate(&mut page.items, &policy);
        Ok(page)
    }

    pub async fn ticket(&self, key: &str) -> Result<TicketDetail, ServiceError> {
        let mut detail = self.store.ticket(&normalize_key(key)).await?;
        let policy = self.triage_policy().await?;
        self.annotate(std::slice::from_mut(&mut detail.ticket), &policy);
        Ok(detail)
    }

    /// Opens a ticket by hand, triaged by the policy where the request is
    /// silent (see [`Fixgate::triage_by_hand`]); returns it as stored.
    pub async fn create_ticket(
        &self,
        request: CreateTicket,
        actor: &str,
    ) -> Result<TicketDetail, ServiceError> {
        let title = request.title.trim();
        if title.is_empty() {
            return Err(ServiceError::Invalid("a ticket needs a title".into()));
        }
        let now = self.clock.now();
        if let Some(due_at) = request.due_at.filter(|at| *at <= now) {
            return Err(ServiceError::Invalid(format!("due_at: {due_at} is not in the future")));
        }
        let application = non_empty(request.application);
        let repository = non_empty(request.repository);
        let path = non_empty(request.path);
        let owner = non_empty(request.owner);
        let hand_made = crate::triage::HandMade {
            ticket_type: request.ticket_type,
            severity: request.severity,
            application: application.as_deref(),
            repository: repository.as_deref(),
            path: path.as_deref(),
            owner: owner.as_deref(),
            priority: request.priority,
            due_at: request.due_at,
        };
        let triage = self.triage_by_hand(&hand_made, actor, now).await?;
        let policy = self.triage_policy().await?;
        // A custom workflow's ticket starts in its initial state.
        let custom = policy.workflow(request.ticket_type).filter(|w| !w.is_built_in());
        let initial = custom.map(|w| w.initial());
        let ticket = NewTicket {
            ticket_type: request.ticket_type,
            state: initial.map_or(TicketState::New, |s| s.means),
            status: initial.map(|s| s.name.clone()),
            title: title.to_string(),
            description: request.description,
            severity: request.severity,
            application,
            repository,
            path,
            owner: triage.owner.as_deref().map(str::to_string),
            routed_by: triage.routed_by.as_deref().map(str::to_string),
            priority: triage.priority,
            priority_reason: triage.priority_reason.as_deref().map(str::to_string),
            due_at: triage.due.map(|due| due.due_at),
            due_soon_at: triage.due.map(|due| due.due_soon_at),
        };
        let key = self.store.create_ticket(&ticket, actor, now).await?;
        self.ticket(&key).await
    }

    /// Moves a ticket along its type's workflow: the policy's, else the
    /// built-in one. `by`'s role must be one the move is for.
    pub async fn move_ticket(
        &self,
        key: &str,
        request: MoveTicket,
        by: &Principal,
    ) -> Result<TicketDetail, ServiceError> {
        let key = &normalize_key(key);
        if request.state.parse::<TicketState>() == Ok(TicketState::RiskAccepted) {
            return Err(ServiceError::Invalid(format!(
                "a risk is accepted by request and approval, not by a move: ask with POST \
                 /api/v1/tickets/{key}/acceptance (a reason and an expiry), then someone else \
                 approves it"
            )));
        }
        let current = self.store.ticket(key).await?.ticket;
        let policy = self.triage_policy().await?;
        let change = self.checked_move(&policy, &current, request, by.role)?;
        let actor = &by.actor();
        self.store.change_state(key, &change, actor, self.clock.now()).await?;
        if change.from.pauses_sla() && !change.to.pauses_sla() && change.to.is_open() {
            self.refresh_due(key, "the SLA clock ran again after a pause", actor).await?;
        }
        self.ticket(key).await
    }

    /// The moves `by` may take on `ticket` under the policy in force, with
    /// what each still needs: what a ticket's page offers.
    pub async fn move_options(
        &self,
        ticket: &TicketRow,
        by: &Principal,
    ) -> Result<Vec<MoveOption>, ServiceError> {
        let policy = self.triage_policy().await?;
        Ok(crate::workflow::move_options(&policy, ticket, by.role))
    }

    /// Checks a move of `current` by someone holding `role` against the
    /// ticket type's workflow under `policy` and what the target state
    /// needs, as a person's move and a bulk change both are; the change to
    /// store.
    pub(crate) fn checked_move(
        &self,
        policy: &TriagePolicy,
        current: &TicketRow,
        request: MoveTicket,
        role: Role,
    ) -> Result<StateChange, ServiceError> {
        let key = current.key.as_str();
        let request = MoveTicket {
            reason: non_empty(request.reason),
            owner: non_empty(request.owner),
            approver: non_empty(request.approver),
            duplicate_of: non_empty(request.duplicate_of).map(|k| normalize_key(&k)),
            ..request
        };
        let had = had_fields(current);
        let given = GivenFields {
            owner: request.owner.is_some() || had.owner,
            due_at: request.due_at.is_some() || had.due_at,
            reason: request.reason.is_some(),
            approver: request.approver.is_some(),
            expires_at: request.expires_at.is_some(),
            duplicate_of: request.duplicate_of.is_some(),
            ..had
        };
        let target = check_move(policy, current, &request.state, role, &given)?;
        if request.duplicate_of.as_deref() == Some(key) {
            return Err(ServiceError::Invalid("a ticket cannot duplicate itself".into()));
        }
        if let Some(due_at) = request.due_at.filter(|at| *at <= self.clock.now()) {
            return Err(ServiceError::Invalid(format!("due_at: {due_at} is not in the future")));
        }
        if let Some(expires_at) = request.expires_at.filter(|at| *at <= self.clock.now()) {
            return Err(ServiceError::Invalid(format!(
                "expires_at: the risk acceptance would expire at {expires_at}, which is not in \
                 the future"
            )));
        }

        Ok(StateChange {
            from: current.state,
            to: target.state,
            from_status: current.status.clone(),
            status: target.status,
            reason: request.reason,
            owner: request.owner,
            due_at: request.due_at,
            approver: request.approver,
            expires_at: request.expires_at,
            duplicate_of: request.duplicate_of,
        })
    }

    pub async fn comment(&self, key: &str, text: &str, actor: &str) -> Result<(), ServiceError> {
        if text.trim().is_empty() {
            return Err(ServiceError::Invalid("a comment needs text".into()));
        }
        Ok(self.store.comment(key, text.trim(), actor, self.clock.now()).await?)
    }
}

/// Keys are written upper case (`SEC-42`); people type `sec-42` too.
pub(crate) fn normalize_key(key: &str) -> String {
    key.trim().to_ascii_uppercase()
}

pub(crate) fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}
