//! Moves by the policy's workflows: which state a person's move leads to (a
//! custom state of the ticket type's workflow, or a built-in one), whether
//! the mover's role may take it, what it needs, and which moves a person is
//! offered on a ticket.
//!
//! A type without a `[workflow.<type>]` section follows the built-in
//! workflow. A custom workflow stores its state's name in the ticket's
//! `status` and what it means in `state`; the security decisions (false
//! positive, duplicate, risk accepted) and reopening stay built-in moves
//! whatever the workflow, and leave `status` empty.

use std::borrow::Cow;

use fixgate_domain::triage::{Field, GivenFields, TriagePolicy, Workflow, WorkflowError};
use fixgate_domain::{Action, Role, TicketState, TicketType};
use fixgate_store::TicketRow;
use serde::Serialize;

use crate::ServiceError;
use crate::access::require_role;

/// Where a checked move leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub state: TicketState,
    /// The custom state's name; `None` for a built-in move.
    pub status: Option<String>,
}

/// A move a person may take on a ticket, as its page offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MoveOption {
    /// What a move request names: `investigating`, `triaged`.
    pub state: String,
    /// What people read: "Under investigation".
    pub label: String,
    /// What the move needs that the ticket does not have yet.
    pub needs: Vec<Field>,
}

/// The workflow tickets of `ticket_type` follow under `policy`.
pub(crate) fn workflow_of(policy: &TriagePolicy, ticket_type: TicketType) -> Cow<'_, Workflow> {
    match policy.workflow(ticket_type) {
        Some(workflow) => Cow::Borrowed(workflow),
        None => Cow::Owned(Workflow::built_in(ticket_type)),
    }
}

/// Checks a person's move of `ticket` to the state named `name`, holding
/// `role` and giving `given` (the ticket's own owner, due date and
/// assignee count); the state it leads to.
pub(crate) fn check_move(
    policy: &TriagePolicy,
    ticket: &TicketRow,
    name: &str,
    role: Role,
    given: &GivenFields,
) -> Result<Target, ServiceError> {
    require_role(role, Action::Work)?;
    let name = name.trim();
    let workflow = workflow_of(policy, ticket.ticket_type);
    if workflow.is_built_in() {
        let to = built_in_state(name)?;
        return built_in_move(&workflow, ticket, to, role, given);
    }
    if let Some(to) = workflow.state(name) {
        let Some(from) = workflow.position(ticket.status.as_deref(), ticket.state) else {
            return Err(refused(WorkflowError::NotAllowed {
                ticket_type: ticket.ticket_type,
                from: ticket.state.as_str().into(),
                to: to.name.clone(),
            }));
        };
        workflow.check(&from.name, &to.name, role, given).map_err(refused)?;
        return Ok(Target { state: to.means, status: Some(to.name.clone()) });
    }
    if let Some(to) = workflow.kept_built_in(name) {
        return built_in_move(&Workflow::built_in(ticket.ticket_type), ticket, to, role, given);
    }
    Err(refused(WorkflowError::UnknownState {
        ticket_type: ticket.ticket_type,
        state: name.to_string(),
        expected: state_names(&workflow),
    }))
}

/// A move of the built-in states, narrowed by the policy's transitions when
/// `workflow` is the policy's.
fn built_in_move(
    workflow: &Workflow,
    ticket: &TicketRow,
    to: TicketState,
    role: Role,
    given: &GivenFields,
) -> Result<Target, ServiceError> {
    if needs_decision(to) {
        require_role(role, Action::Decide)?;
    }
    workflow.check(ticket.state.as_str(), to.as_str(), role, given).map_err(refused)?;
    Ok(Target { state: to, status: None })
}

/// A decision, a closure without proof and a duplicate all take a ticket
/// out of the gate's count: they are security's to make, whatever a
/// policy's built-in transitions say (those only narrow who may).
pub(crate) fn needs_decision(state: TicketState) -> bool {
    state.is_decision() || matches!(state, TicketState::Closed | TicketState::Duplicate)
}

/// The built-in state `name` names, or why there is none.
pub(crate) fn built_in_state(name: &str) -> Result<TicketState, ServiceError> {
    name.parse::<TicketState>().map_err(|err| ServiceError::Invalid(format!("state: {err}")))
}

/// Whether `name` is a state of one of `policy`'s custom workflows.
pub(crate) fn is_custom_state(policy: &TriagePolicy, name: &str) -> bool {
    TicketType::ALL
        .into_iter()
        .filter_map(|t| policy.workflow(t))
        .any(|w| !w.is_built_in() && w.state(name.trim()).is_some())
}

/// The moves someone holding `role` may take on `ticket`, each with what it
/// still needs. A risk acceptance is asked for and approved, not moved to,
/// so it is never offered.
pub(crate) fn move_options(
    policy: &TriagePolicy,
    ticket: &TicketRow,
    role: Role,
) -> Vec<MoveOption> {
    let workflow = workflow_of(policy, ticket.ticket_type);
    let mut candidates: Vec<(String, String)> = Vec::new();
    let from = workflow.position(ticket.status.as_deref(), ticket.state);
    if let Some(from) = from {
        let targets = workflow.targets(&from.name);
        candidates.extend(targets.into_iter().map(|s| (s.name.clone(), s.label.clone())));
    }
    if !workflow.is_built_in() {
        let kept = ticket.state.manual_targets(ticket.ticket_type).iter();
        let kept = kept.filter(|s| workflow.kept_built_in(s.as_str()).is_some());
        candidates.extend(kept.map(|s| (s.as_str().to_string(), s.label().to_string())));
    }
    let had = had_fields(ticket);
    candidates
        .into_iter()
        .filter(|(name, _)| name != TicketState::RiskAccepted.as_str())
        .filter(|(name, _)| check_move(policy, ticket, name, role, &GivenFields::ALL).is_ok())
        .map(|(name, label)| {
            let needs = Field::ALL
                .into_iter()
                .filter(|field| !had.has(*field))
                .filter(|field| {
                    let without = without(*field);
                    check_move(policy, ticket, &name, role, &without).is_err()
                })
                .collect();
            MoveOption { state: name, label, needs }
        })
        .collect()
}

/// The fields a ticket already has, which count for every move.
pub(crate) fn had_fields(ticket: &TicketRow) -> GivenFields {
    GivenFields {
        owner: ticket.owner.is_some(),
        assignee: ticket.assignee.is_some(),
        due_at: ticket.due_at.is_some(),
        ..GivenFields::default()
    }
}

/// Every field but `field`.
fn without(field: Field) -> GivenFields {
    let mut given = GivenFields::ALL;
    match field {
        Field::Owner => given.owner = false,
        Field::Assignee => given.assignee = false,
        Field::DueAt => given.due_at = false,
        Field::Reason => given.reason = false,
        Field::Approver => given.approver = false,
        Field::ExpiresAt => given.expires_at = false,
        Field::DuplicateOf => given.duplicate_of = false,
    }
    given
}

/// A refusal as the service reports it: a role the move is not for is
/// forbidden (403), a state the workflow does not have is a wrong request
/// (400, as an unknown built-in state is), anything else is a move the
/// workflow does not allow.
pub(crate) fn refused(err: WorkflowError) -> ServiceError {
    match err {
        WorkflowError::Role { .. } => ServiceError::Forbidden(err.to_string()),
        WorkflowError::UnknownState { .. } => ServiceError::Invalid(err.to_string()),
        other => ServiceError::Workflow(other),
    }
}

/// The workflow's states, and the built-in moves it keeps.
fn state_names(workflow: &Workflow) -> String {
    let own = workflow.states().iter().map(|s| s.name.as_str());
    let kept = [TicketState::FalsePositive, TicketState::Duplicate, TicketState::Reopened]
        .into_iter()
        .filter(|s| workflow.kept_built_in(s.as_str()).is_some())
        .map(TicketState::as_str);
    let own: Vec<&str> = own.collect();
    let kept: Vec<&str> = kept.collect();
    if kept.is_empty() {
        own.join(", ")
    } else {
        format!("{} (and the built-in {})", own.join(", "), kept.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_need_what_they_always_needed() {
        assert!(!needs_decision(TicketState::InProgress));
        for state in [
            TicketState::FalsePositive,
            TicketState::RiskAccepted,
            TicketState::Closed,
            TicketState::Duplicate,
        ] {
            assert!(needs_decision(state), "{state}");
        }
    }
}
