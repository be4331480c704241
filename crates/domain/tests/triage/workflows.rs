//! Workflows: a custom incident workflow (the one the documentation shows),
//! roles, required fields, and overrides of the built-in vulnerability
//! moves.

use fixgate_domain::triage::{Field, FromStates, GivenFields, Workflow, WorkflowError};
use fixgate_domain::{Role, TicketState, TicketType, TransitionError};

use super::policy;

/// The example of docs/triage-policy.md.
pub const INCIDENT: &str = r#"
[workflow.incident]
initial = "reported"

[[workflow.incident.state]]
name = "reported"
means = "new"

[[workflow.incident.state]]
name = "investigating"
label = "Under investigation"
means = "in_progress"

[[workflow.incident.state]]
name = "waiting_on_supplier"
means = "waiting_on_vendor"

[[workflow.incident.state]]
name = "resolved"
means = "fixed"

[[workflow.incident.state]]
name = "closed"
means = "closed"

[[workflow.incident.transition]]
from = "reported"
to = "investigating"
requires = ["owner"]

[[workflow.incident.transition]]
from = ["investigating"]
to = "waiting_on_supplier"
requires = ["reason"]

[[workflow.incident.transition]]
from = "waiting_on_supplier"
to = "investigating"

[[workflow.incident.transition]]
from = ["investigating", "waiting_on_supplier"]
to = "resolved"
roles = ["security", "developer"]
requires = ["reason"]

[[workflow.incident.transition]]
from = "resolved"
to = "closed"
roles = ["security"]

[[workflow.incident.transition]]
from = "*"
to = "closed"
roles = ["security"]
requires = ["reason"]
"#;

/// (from, to, role, what the request gives, the outcome)
type Move<G, E> = (&'static str, &'static str, Role, G, Result<(), E>);

fn given(fields: &[Field]) -> GivenFields {
    let mut given = GivenFields::default();
    for field in fields {
        match field {
            Field::Owner => given.owner = true,
            Field::Assignee => given.assignee = true,
            Field::DueAt => given.due_at = true,
            Field::Reason => given.reason = true,
            Field::Approver => given.approver = true,
            Field::ExpiresAt => given.expires_at = true,
            Field::DuplicateOf => given.duplicate_of = true,
        }
    }
    given
}

#[test]
fn the_documented_incident_workflow_reads_as_written() {
    let policy = policy(INCIDENT);
    let workflow = policy.workflow(TicketType::Incident).unwrap();
    assert!(!workflow.is_built_in());
    assert!(policy.workflow(TicketType::Task).is_none());
    let states: Vec<_> =
        workflow.states().iter().map(|s| (s.name.as_str(), s.label.as_str(), s.means)).collect();
    assert_eq!(
        states,
        [
            ("reported", "Reported", TicketState::New),
            ("investigating", "Under investigation", TicketState::InProgress),
            ("waiting_on_supplier", "Waiting on supplier", TicketState::WaitingOnVendor),
            ("resolved", "Resolved", TicketState::Fixed),
            ("closed", "Closed", TicketState::Closed),
        ]
    );
    assert_eq!(workflow.initial().name, "reported");
    assert!(workflow.state("waiting_on_supplier").unwrap().pauses_sla());
    assert!(!workflow.state("investigating").unwrap().pauses_sla());
    let targets: Vec<_> =
        workflow.targets("investigating").iter().map(|s| s.name.as_str()).collect();
    assert_eq!(targets, ["waiting_on_supplier", "resolved", "closed"]);
    assert_eq!(workflow.transitions()[5].from, FromStates::Any);
    assert_eq!(workflow.transitions()[5].line, 51);
}

#[test]
fn moves_check_the_transition_the_role_and_the_fields() {
    use Field::*;
    use Role::*;
    let policy = policy(INCIDENT);
    let workflow = policy.workflow(TicketType::Incident).unwrap();
    let table: [Move<&[Field], &str>; 11] = [
        ("reported", "investigating", Developer, &[Owner], Ok(())),
        (
            "reported",
            "investigating",
            Developer,
            &[],
            Err("moving an incident from reported to investigating needs an owner (`owner`)"),
        ),
        (
            "investigating",
            "resolved",
            Developer,
            &[],
            Err("moving an incident from investigating to resolved needs a reason (`reason`)"),
        ),
        ("investigating", "resolved", Developer, &[Reason], Ok(())),
        (
            "investigating",
            "resolved",
            Viewer,
            &[Reason],
            Err(
                "moving an incident from investigating to resolved needs the role security or developer; you have viewer",
            ),
        ),
        ("investigating", "resolved", Administrator, &[Reason], Ok(())),
        ("waiting_on_supplier", "investigating", Viewer, &[], Ok(())),
        (
            "resolved",
            "closed",
            Developer,
            &[],
            Err(
                "moving an incident from resolved to closed needs the role security; you have developer",
            ),
        ),
        // The first transition that covers the move decides: resolved to
        // closed needs no reason, from anywhere else it does.
        ("resolved", "closed", Security, &[], Ok(())),
        (
            "reported",
            "closed",
            Security,
            &[],
            Err("moving an incident from reported to closed needs a reason (`reason`)"),
        ),
        (
            "reported",
            "resolved",
            Security,
            &[Reason],
            Err("an incident cannot move from reported to resolved"),
        ),
    ];
    for (from, to, role, fields, expected) in table {
        let got = workflow.check(from, to, role, &given(fields)).map_err(|e| e.to_string());
        assert_eq!(got, expected.map_err(str::to_string), "{from} -> {to} as {role}");
    }
    let err = workflow.check("closed", "closed", Security, &GivenFields::ALL).unwrap_err();
    assert!(matches!(err, WorkflowError::NotAllowed { .. }), "{err}");
    let err = workflow.check("open", "closed", Security, &GivenFields::ALL).unwrap_err();
    assert_eq!(
        err.to_string(),
        "an incident has no state \"open\"; its states are reported, investigating, waiting_on_supplier, resolved, closed"
    );
}

const VULNERABILITY: &str = r#"
[[workflow.vulnerability.transition]]
from = "*"
to = "risk_accepted"
roles = ["security"]
requires = ["assignee"]

[[workflow.vulnerability.transition]]
from = ["new", "triaged", "in_progress", "reopened"]
to = "waiting_on_vendor"
requires = ["due_at"]
"#;

#[test]
fn vulnerability_overrides_narrow_the_built_in_moves() {
    use Role::*;
    let policy = policy(VULNERABILITY);
    let workflow = policy.workflow(TicketType::Vulnerability).unwrap();
    assert!(workflow.is_built_in());
    assert_eq!(workflow.states().len(), TicketState::ALL.len());
    assert_eq!(workflow.initial().means, TicketState::New);
    let targets: Vec<_> = workflow.targets("fixed").iter().map(|s| s.means).collect();
    assert_eq!(targets, [TicketState::InProgress, TicketState::Closed]);

    let everything = GivenFields::ALL;
    let no_assignee = GivenFields { assignee: false, ..everything };
    let no_approver = GivenFields { approver: false, ..everything };
    let table: [Move<GivenFields, String>; 7] = [
        ("triaged", "risk_accepted", Security, everything, Ok(())),
        (
            "triaged",
            "risk_accepted",
            Developer,
            everything,
            Err("moving a vulnerability from triaged to risk_accepted needs the role security; you have developer".into()),
        ),
        (
            "triaged",
            "risk_accepted",
            Security,
            no_assignee,
            Err("moving a vulnerability from triaged to risk_accepted needs an assignee (`assignee`)".into()),
        ),
        // What the built-in workflow requires still holds.
        ("triaged", "risk_accepted", Security, no_approver, Err("moving to risk_accepted needs an approver (`approver`)".into())),
        (
            "in_progress",
            "waiting_on_vendor",
            Developer,
            GivenFields { due_at: false, ..everything },
            Err("moving a vulnerability from in_progress to waiting_on_vendor needs a due date (`due_at`)".into()),
        ),
        // A move no override covers follows the built-in rules alone.
        ("new", "triaged", Viewer, everything, Ok(())),
        (
            "fixed",
            "verified",
            Security,
            everything,
            Err(TransitionError::NotAllowed {
                from: TicketState::Fixed,
                to: TicketState::Verified,
                kind: TicketType::Vulnerability,
            }
            .to_string()),
        ),
    ];
    for (from, to, role, fields, expected) in table {
        let got = workflow.check(from, to, role, &fields).map_err(|e| e.to_string());
        assert_eq!(got, expected, "{from} -> {to} as {role}");
    }
}

#[test]
fn ordinary_types_may_narrow_the_built_in_moves_too() {
    let policy = policy(
        "[[workflow.task.transition]]\nfrom = [\"fixed\"]\nto = \"verified\"\nroles = [\"security\"]\n",
    );
    let workflow = policy.workflow(TicketType::Task).unwrap();
    assert!(workflow.is_built_in());
    let err = workflow.check("fixed", "verified", Role::Developer, &GivenFields::ALL).unwrap_err();
    assert!(matches!(err, WorkflowError::Role { role: Role::Developer, .. }), "{err}");
    assert!(workflow.check("fixed", "verified", Role::Security, &GivenFields::default()).is_ok());
}

#[test]
fn a_ticket_stands_where_its_status_or_its_state_says() {
    let policy = policy(INCIDENT);
    let workflow = policy.workflow(TicketType::Incident).unwrap();
    let at = |status: Option<&str>, state| workflow.position(status, state).map(|s| &*s.name);

    assert_eq!(at(Some("investigating"), TicketState::InProgress), Some("investigating"));
    // Opened before the policy, or a state the policy no longer has: the
    // first state that means the built-in one.
    assert_eq!(at(None, TicketState::WaitingOnVendor), Some("waiting_on_supplier"));
    assert_eq!(at(Some("triage_desk"), TicketState::New), Some("reported"));
    // Reopened, it starts again; a decision stands outside the workflow.
    assert_eq!(at(None, TicketState::Reopened), Some("reported"));
    assert_eq!(at(None, TicketState::Duplicate), None);

    assert_eq!(workflow.kept_built_in("duplicate"), Some(TicketState::Duplicate));
    assert_eq!(workflow.kept_built_in("reopened"), Some(TicketState::Reopened));
    assert_eq!(workflow.kept_built_in("closed"), None, "the workflow declares closed");
    assert_eq!(workflow.kept_built_in("triaged"), None, "a custom state may mean triaged");
}

#[test]
fn without_a_section_a_type_follows_the_built_in_workflow() {
    let workflow = Workflow::built_in(TicketType::Request);
    assert!(workflow.is_built_in() && workflow.transitions().is_empty());
    assert_eq!(workflow.position(Some("anything"), TicketState::Fixed).unwrap().name, "fixed");
    assert_eq!(workflow.kept_built_in("duplicate"), None);
    assert!(workflow.check("fixed", "verified", Role::Viewer, &GivenFields::default()).is_ok());
    let err = workflow.check("new", "triaged", Role::Security, &GivenFields::default());
    assert_eq!(err.unwrap_err().to_string(), "moving to triaged needs an owner (`owner`)");
}
