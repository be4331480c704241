//! Workflows a policy declares: custom states and moves for the ordinary
//! ticket types (incident, request, task), and, for any type, who may take
//! a built-in move and what it needs.
//!
//! Every custom state says which built-in state it means, so counts, SLA
//! pauses and the figures built on states keep working whatever the states
//! are called. Vulnerabilities keep the built-in states, because scans move
//! them (open, verify, reopen); a policy only narrows who may take their
//! moves and what the moves need.

use std::fmt;

use serde::Serialize;

use super::PolicyFileError;
use super::file::{At, List, RawState, RawTransition, RawWorkflow, Source};
use crate::{MoveDetails, Role, TicketState, TicketType, TransitionError};

/// Something a move may require the request to carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Owner,
    Assignee,
    DueAt,
    Reason,
    Approver,
    ExpiresAt,
    DuplicateOf,
}

impl Field {
    pub const ALL: [Field; 7] = [
        Field::Owner,
        Field::Assignee,
        Field::DueAt,
        Field::Reason,
        Field::Approver,
        Field::ExpiresAt,
        Field::DuplicateOf,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Owner => "owner",
            Field::Assignee => "assignee",
            Field::DueAt => "due_at",
            Field::Reason => "reason",
            Field::Approver => "approver",
            Field::ExpiresAt => "expires_at",
            Field::DuplicateOf => "duplicate_of",
        }
    }

    /// The field as an error names it: "a reason (`reason`)".
    pub fn description(self) -> &'static str {
        match self {
            Field::Owner => "an owner (`owner`)",
            Field::Assignee => "an assignee (`assignee`)",
            Field::DueAt => "a due date (`due_at`)",
            Field::Reason => "a reason (`reason`)",
            Field::Approver => "an approver (`approver`)",
            Field::ExpiresAt => "an expiry date (`expires_at`)",
            Field::DuplicateOf => "the key of the ticket it duplicates (`duplicate_of`)",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a move request carries: the ticket's own fields count when the
/// ticket already has them (an owner set at triage).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GivenFields {
    pub owner: bool,
    pub assignee: bool,
    pub due_at: bool,
    pub reason: bool,
    pub approver: bool,
    pub expires_at: bool,
    pub duplicate_of: bool,
}

impl GivenFields {
    /// Every field given.
    pub const ALL: GivenFields = GivenFields {
        owner: true,
        assignee: true,
        due_at: true,
        reason: true,
        approver: true,
        expires_at: true,
        duplicate_of: true,
    };

    pub fn has(&self, field: Field) -> bool {
        match field {
            Field::Owner => self.owner,
            Field::Assignee => self.assignee,
            Field::DueAt => self.due_at,
            Field::Reason => self.reason,
            Field::Approver => self.approver,
            Field::ExpiresAt => self.expires_at,
            Field::DuplicateOf => self.duplicate_of,
        }
    }

    /// The same, as the built-in workflow's check reads it.
    pub fn move_details(&self) -> MoveDetails {
        MoveDetails {
            has_owner: self.owner,
            has_due_date: self.due_at,
            has_reason: self.reason,
            has_approver: self.approver,
            has_expiry: self.expires_at,
            has_duplicate_of: self.duplicate_of,
        }
    }
}

/// A state of a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkflowState {
    /// What the API and the database store: `investigating`.
    pub name: String,
    /// What people read: "Investigating".
    pub label: String,
    /// The built-in state it counts as in figures and SLAs.
    pub means: TicketState,
}

impl WorkflowState {
    /// Whether the SLA clock stands still in this state.
    pub fn pauses_sla(&self) -> bool {
        self.means.pauses_sla()
    }
}

/// Which states a transition leaves from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FromStates {
    /// `"*"`: every state but the target.
    Any,
    States(Vec<String>),
}

/// A move a workflow allows (custom states) or narrows (built-in states).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub from: FromStates,
    pub to: String,
    /// Who may take it besides administrators; empty: every role that may
    /// work on the ticket.
    pub roles: Vec<Role>,
    pub requires: Vec<Field>,
    /// The line of its `[[workflow.<type>.transition]]` header.
    pub line: usize,
}

impl Transition {
    fn covers(&self, from: &str, to: &str) -> bool {
        from != to
            && self.to == to
            && match &self.from {
                FromStates::Any => true,
                FromStates::States(states) => states.iter().any(|s| s == from),
            }
    }

    /// Whether `role` may take it. An administrator may take every move,
    /// as everywhere in fixgate.
    pub fn allows(&self, role: Role) -> bool {
        self.roles.is_empty() || role == Role::Administrator || self.roles.contains(&role)
    }
}

/// A move a workflow refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// The workflow has no state of that name.
    #[error("{} has no state {state:?}; its states are {expected}", article(*ticket_type))]
    UnknownState { ticket_type: TicketType, state: String, expected: String },
    /// No transition leads from one state to the other.
    #[error("{} cannot move from {from} to {to}", article(*ticket_type))]
    NotAllowed { ticket_type: TicketType, from: String, to: String },
    /// The move is for other roles.
    #[error(
        "moving {} from {from} to {to} needs the role {}; you have {role}",
        article(*ticket_type),
        role_list(allowed)
    )]
    Role { ticket_type: TicketType, from: String, to: String, role: Role, allowed: Vec<Role> },
    /// The move needs a field the request did not give.
    #[error("moving {} from {from} to {to} needs {}", article(*ticket_type), field.description())]
    Missing { ticket_type: TicketType, from: String, to: String, field: Field },
    /// The built-in workflow refuses the move.
    #[error(transparent)]
    BuiltIn(#[from] TransitionError),
}

fn article(ticket_type: TicketType) -> String {
    match ticket_type {
        TicketType::Incident => format!("an {ticket_type}"),
        _ => format!("a {ticket_type}"),
    }
}

fn role_list(roles: &[Role]) -> String {
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// A ticket type's workflow as the policy declares it.
#[derive(Debug, Clone)]
pub struct Workflow {
    ticket_type: TicketType,
    /// The built-in states, whose moves the transitions only narrow.
    built_in: bool,
    states: Vec<WorkflowState>,
    initial: WorkflowState,
    transitions: Vec<Transition>,
}

impl Workflow {
    /// The built-in workflow of `ticket_type`, as it applies when the policy
    /// has no section for the type: the built-in states and moves, and only
    /// what the built-in moves themselves require.
    pub fn built_in(ticket_type: TicketType) -> Workflow {
        Workflow {
            ticket_type,
            built_in: true,
            states: built_in_states(),
            initial: built_in_initial(),
            transitions: Vec::new(),
        }
    }

    pub fn ticket_type(&self) -> TicketType {
        self.ticket_type
    }

    /// Whether the states and moves are the built-in ones, with roles and
    /// requirements of the policy's transitions added.
    pub fn is_built_in(&self) -> bool {
        self.built_in
    }

    /// The states, in the file's order (the built-in order when built in).
    pub fn states(&self) -> &[WorkflowState] {
        &self.states
    }

    pub fn state(&self, name: &str) -> Option<&WorkflowState> {
        self.states.iter().find(|s| s.name == name)
    }

    /// The state a new ticket starts in.
    pub fn initial(&self) -> &WorkflowState {
        &self.initial
    }

    /// Where a ticket stands in this workflow: its stored custom state
    /// (`status`) when the workflow still has it, else the first state that
    /// means its built-in `state`. A reopened ticket starts a custom
    /// workflow again from its initial state. `None`: the ticket stands
    /// outside the workflow (a custom workflow's ticket marked a false
    /// positive, a duplicate or an accepted risk), where only the built-in
    /// moves out of that decision lead.
    pub fn position(&self, status: Option<&str>, state: TicketState) -> Option<&WorkflowState> {
        if self.built_in {
            return self.state(state.as_str());
        }
        status
            .and_then(|name| self.state(name))
            .or_else(|| self.states.iter().find(|s| s.means == state))
            .or_else(|| (state == TicketState::Reopened).then_some(&self.initial))
    }

    /// The built-in state `name` names when a custom workflow leaves it to
    /// the built-in workflow: the security decisions (false positive, risk
    /// accepted, duplicate) and reopening, unless the workflow declares a
    /// state of that name itself. `None` for a built-in workflow, whose
    /// every state is its own.
    pub fn kept_built_in(&self, name: &str) -> Option<TicketState> {
        if self.built_in || self.state(name).is_some() {
            return None;
        }
        name.parse::<TicketState>().ok().filter(|state| !MEANINGS.contains(state))
    }

    pub fn transitions(&self) -> &[Transition] {
        &self.transitions
    }

    /// The states a person may move a ticket to from `from`, whatever
    /// their role and fields; empty for an unknown state.
    pub fn targets(&self, from: &str) -> Vec<&WorkflowState> {
        if self.built_in {
            let Ok(from) = from.parse::<TicketState>() else { return Vec::new() };
            let targets = from.manual_targets(self.ticket_type);
            return self.states.iter().filter(|s| targets.contains(&s.means)).collect();
        }
        self.states
            .iter()
            .filter(|to| self.transitions.iter().any(|t| t.covers(from, &to.name)))
            .collect()
    }

    /// The transition that decides a move's roles and requirements: the
    /// first of the file that covers it.
    pub fn rule(&self, from: &str, to: &str) -> Option<&Transition> {
        self.transitions.iter().find(|t| t.covers(from, to))
    }

    /// Checks only what the policy's transitions add to a move: who may
    /// take it and what it needs. For a move another path makes (an
    /// approved risk acceptance), which has checked the move itself.
    pub fn check_rule(
        &self,
        from: &str,
        to: &str,
        role: Role,
        given: &GivenFields,
    ) -> Result<(), WorkflowError> {
        let Some(transition) = self.rule(from, to) else { return Ok(()) };
        let (ticket_type, from, to) = (self.ticket_type, from.to_string(), to.to_string());
        if !transition.allows(role) {
            let allowed = transition.roles.clone();
            return Err(WorkflowError::Role { ticket_type, from, to, role, allowed });
        }
        match transition.requires.iter().find(|field| !given.has(**field)) {
            Some(field) => Err(WorkflowError::Missing { ticket_type, from, to, field: *field }),
            None => Ok(()),
        }
    }

    /// Whether someone holding `role` may move a ticket from `from` to `to`
    /// with the fields `given`. The first transition of the file that
    /// covers the move decides its roles and requirements.
    pub fn check(
        &self,
        from: &str,
        to: &str,
        role: Role,
        given: &GivenFields,
    ) -> Result<(), WorkflowError> {
        let (from_state, to_state) = (self.known(from)?, self.known(to)?);
        let transition = self.rule(from, to);
        let (ticket_type, from, to) = (self.ticket_type, from.to_string(), to.to_string());
        if self.built_in {
            // With every field given, the built-in check refuses only a
            // move its workflow lacks, with its own explanation.
            let every = GivenFields::ALL.move_details();
            from_state.means.check_manual_move(to_state.means, ticket_type, &every)?;
        } else if transition.is_none() {
            return Err(WorkflowError::NotAllowed { ticket_type, from, to });
        }
        if let Some(transition) = transition
            && !transition.allows(role)
        {
            let allowed = transition.roles.clone();
            return Err(WorkflowError::Role { ticket_type, from, to, role, allowed });
        }
        if self.built_in {
            let details = given.move_details();
            from_state.means.check_manual_move(to_state.means, ticket_type, &details)?;
        }
        let requires = transition.map(|t| t.requires.as_slice()).unwrap_or_default();
        match requires.iter().find(|field| !given.has(**field)) {
            Some(field) => Err(WorkflowError::Missing { ticket_type, from, to, field: *field }),
            None => Ok(()),
        }
    }

    fn known(&self, name: &str) -> Result<&WorkflowState, WorkflowError> {
        self.state(name).ok_or_else(|| WorkflowError::UnknownState {
            ticket_type: self.ticket_type,
            state: name.to_string(),
            expected: self.states.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", "),
        })
    }
}

/// What a custom state may mean: the built-in states an ordinary ticket
/// passes through. The security decisions (false positive, risk accepted,
/// duplicate) and reopening stay with the built-in workflow.
const MEANINGS: [TicketState; 7] = [
    TicketState::New,
    TicketState::Triaged,
    TicketState::InProgress,
    TicketState::Fixed,
    TicketState::Verified,
    TicketState::Closed,
    TicketState::WaitingOnVendor,
];

/// Reads `[workflow.<type>]`.
pub(super) fn read(
    source: &Source<'_>,
    name: &At<String>,
    raw: &At<RawWorkflow>,
) -> Result<Workflow, PolicyFileError> {
    let ticket_type: TicketType = name
        .get_ref()
        .parse()
        .map_err(|e: crate::UnknownName| source.error(name.span(), e.to_string()))?;
    let workflow = raw.get_ref();
    match &workflow.state {
        Some(states) if ticket_type == TicketType::Vulnerability => {
            let span = states.first().map_or(raw.span(), |s| s.span());
            Err(source.error(span, VULNERABILITY_STATES))
        }
        Some(states) => read_custom(source, ticket_type, raw, states),
        None => read_built_in(source, ticket_type, workflow),
    }
}

const VULNERABILITY_STATES: &str = "the vulnerability workflow's states are fixed, because scans \
     move vulnerabilities through them (open, verify, reopen); declare only \
     [[workflow.vulnerability.transition]] entries that set `roles` or `requires` \
     on its built-in moves";

fn read_built_in(
    source: &Source<'_>,
    ticket_type: TicketType,
    workflow: &RawWorkflow,
) -> Result<Workflow, PolicyFileError> {
    if let Some(initial) = &workflow.initial {
        let message = if ticket_type == TicketType::Vulnerability {
            VULNERABILITY_STATES.to_string()
        } else {
            format!(
                "`initial` names one of the workflow's own states; \
                 declare them with [[workflow.{ticket_type}.state]]"
            )
        };
        return Err(source.error(initial.span(), message));
    }
    let states = built_in_states();
    let mut transitions = Vec::new();
    for raw in &workflow.transition {
        let transition = read_transition(source, ticket_type, raw, &states)?;
        if transition.roles.is_empty() && transition.requires.is_empty() {
            return Err(source.error(
                raw.span(),
                format!(
                    "this transition of the built-in {ticket_type} workflow sets neither \
                     `roles` nor `requires`, so it changes nothing"
                ),
            ));
        }
        built_in_move(source, ticket_type, raw, &transition)?;
        transitions.push(transition);
    }
    Ok(Workflow { ticket_type, built_in: true, states, initial: built_in_initial(), transitions })
}

fn built_in_states() -> Vec<WorkflowState> {
    TicketState::ALL.into_iter().map(built_in_state).collect()
}

fn built_in_initial() -> WorkflowState {
    built_in_state(TicketState::New)
}

fn built_in_state(state: TicketState) -> WorkflowState {
    WorkflowState { name: state.as_str().into(), label: state.label().into(), means: state }
}

/// Refuses a transition of a built-in workflow that no built-in move has.
fn built_in_move(
    source: &Source<'_>,
    ticket_type: TicketType,
    raw: &At<RawTransition>,
    transition: &Transition,
) -> Result<(), PolicyFileError> {
    let to: TicketState = transition.to.parse().unwrap_or(TicketState::New);
    let leads = |from: TicketState| from.manual_targets(ticket_type).contains(&to);
    let missing = match &transition.from {
        FromStates::Any => {
            (!TicketState::ALL.into_iter().any(leads)).then(|| "any state".to_string())
        }
        FromStates::States(states) => states
            .iter()
            .find(|s| !s.parse::<TicketState>().is_ok_and(leads))
            .map(|s| s.to_string()),
    };
    match missing {
        None => Ok(()),
        Some(from) => Err(source.error(
            raw.span(),
            format!(
                "the built-in {ticket_type} workflow has no move from {from} to {to}; \
                 a transition here can only set who may take a built-in move (`roles`) \
                 and what it needs (`requires`)"
            ),
        )),
    }
}

fn read_custom(
    source: &Source<'_>,
    ticket_type: TicketType,
    raw: &At<RawWorkflow>,
    raw_states: &List<RawState>,
) -> Result<Workflow, PolicyFileError> {
    let workflow = raw.get_ref();
    let mut states: Vec<WorkflowState> = Vec::new();
    let mut lines: Vec<usize> = Vec::new();
    for raw_state in raw_states {
        let state = read_state(source, raw_state)?;
        if let Some(first) = states.iter().position(|s| s.name == state.name) {
            let line = lines.get(first).copied().unwrap_or_default();
            return Err(source.error(
                raw_state.span(),
                format!("duplicate state {:?}: it is already declared on line {line}", state.name),
            ));
        }
        lines.push(source.line(raw_state.span().start));
        states.push(state);
    }
    let Some(first) = states.first().cloned() else {
        return Err(
            source.error(raw.span(), format!("the {ticket_type} workflow declares no state"))
        );
    };
    let initial = match &workflow.initial {
        Some(name) => {
            states.iter().find(|s| s.name == *name.get_ref()).cloned().ok_or_else(|| {
                source.error(
                    name.span(),
                    undeclared(ticket_type, "initial state", name.get_ref(), &states),
                )
            })?
        }
        None => first,
    };
    let transitions = workflow
        .transition
        .iter()
        .map(|t| read_transition(source, ticket_type, t, &states))
        .collect::<Result<_, _>>()?;
    Ok(Workflow { ticket_type, built_in: false, states, initial, transitions })
}

fn read_state(source: &Source<'_>, raw: &At<RawState>) -> Result<WorkflowState, PolicyFileError> {
    let state = raw.get_ref();
    let Some(name) = &state.name else {
        return Err(source.error(raw.span(), "a state needs a `name`"));
    };
    let text = name.get_ref().trim();
    let valid = text.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(source.error(
            name.span(),
            format!(
                "state name {text:?}: use lowercase letters, digits and _, starting with a letter"
            ),
        ));
    }
    let Some(means) = &state.means else {
        return Err(source.error(
            raw.span(),
            format!(
                "state {text:?} needs `means`: the built-in state it counts as ({})",
                meanings()
            ),
        ));
    };
    let meaning =
        MEANINGS.into_iter().find(|m| m.as_str() == means.get_ref().trim()).ok_or_else(|| {
            source.error(
                means.span(),
                format!("unknown meaning {:?}; expected {}", means.get_ref(), meanings()),
            )
        })?;
    let label = match &state.label {
        Some(label) if !label.get_ref().trim().is_empty() => label.get_ref().trim().to_string(),
        _ => label_of(text),
    };
    Ok(WorkflowState { name: text.to_string(), label, means: meaning })
}

fn meanings() -> String {
    MEANINGS.map(TicketState::as_str).join(", ")
}

/// `waiting_on_customer` reads "Waiting on customer".
fn label_of(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

fn read_transition(
    source: &Source<'_>,
    ticket_type: TicketType,
    raw: &At<RawTransition>,
    states: &[WorkflowState],
) -> Result<Transition, PolicyFileError> {
    let transition = raw.get_ref();
    let Some(to) = &transition.to else {
        return Err(source.error(raw.span(), "a transition needs `to`: the state it leads to"));
    };
    let Some(from) = &transition.from else {
        return Err(source.error(
            raw.span(),
            "a transition needs `from`: \"*\", a state's name or a list of names",
        ));
    };
    let declared = |name: &str| states.iter().any(|s| s.name == name.trim());
    if !declared(to.get_ref()) {
        let message = undeclared(ticket_type, "transition to state", to.get_ref(), states);
        return Err(source.error(to.span(), message));
    }
    let from = read_from(from.get_ref())
        .and_then(|from| match &from {
            FromStates::States(names) => match names.iter().find(|n| !declared(n)) {
                Some(name) => Err(undeclared(ticket_type, "transition from state", name, states)),
                None => Ok(from),
            },
            FromStates::Any => Ok(from),
        })
        .map_err(|message| source.error(from.span(), message))?;
    let roles = match &transition.roles {
        Some(roles) => super::file::each(source, "roles", roles, |name| {
            name.parse::<Role>().map_err(|e| e.to_string())
        })?,
        None => Vec::new(),
    };
    let requires = match &transition.requires {
        Some(fields) => super::file::each(source, "requires", fields, |name| {
            Field::ALL.into_iter().find(|f| f.as_str() == name.trim()).ok_or_else(|| {
                format!(
                    "unknown field {name:?}; expected {}",
                    Field::ALL.map(Field::as_str).join(", ")
                )
            })
        })?,
        None => Vec::new(),
    };
    Ok(Transition {
        from,
        to: to.get_ref().trim().to_string(),
        roles,
        requires,
        line: source.line(raw.span().start),
    })
}

/// `from` as written: `"*"`, one name, or a list of names.
fn read_from(value: &toml::Value) -> Result<FromStates, String> {
    let wrong = || "`from` is \"*\", a state's name or a list of names".to_string();
    match value {
        toml::Value::String(name) if name.trim() == "*" => Ok(FromStates::Any),
        toml::Value::String(name) => Ok(FromStates::States(vec![name.trim().to_string()])),
        toml::Value::Array(names) if !names.is_empty() => names
            .iter()
            .map(|n| n.as_str().map(|n| n.trim().to_string()).ok_or_else(wrong))
            .collect::<Result<_, _>>()
            .map(FromStates::States),
        _ => Err(wrong()),
    }
}

fn undeclared(ticket_type: TicketType, what: &str, name: &str, states: &[WorkflowState]) -> String {
    format!(
        "{what} {name:?} is not declared; the {ticket_type} workflow's states are {}",
        states.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
    )
}
