//! Ticket types, the default workflow's states and the moves a person may
//! make between them. Moves that only a scan may make (closing as verified,
//! reopening a verified ticket) are not open to people for security tickets.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What kind of work a ticket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketType {
    Vulnerability,
    Incident,
    Request,
    Task,
}

impl TicketType {
    pub const ALL: [TicketType; 4] =
        [TicketType::Vulnerability, TicketType::Incident, TicketType::Request, TicketType::Task];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketType::Vulnerability => "vulnerability",
            TicketType::Incident => "incident",
            TicketType::Request => "request",
            TicketType::Task => "task",
        }
    }

    /// The prefix of the ticket's human key (`SEC-42`, `INC-7`).
    pub fn key_prefix(self) -> &'static str {
        match self {
            TicketType::Vulnerability => "SEC",
            TicketType::Incident => "INC",
            TicketType::Request => "REQ",
            TicketType::Task => "TASK",
        }
    }
}

/// A state of the default workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    New,
    Triaged,
    InProgress,
    Fixed,
    Verified,
    FalsePositive,
    RiskAccepted,
    Duplicate,
    Reopened,
    /// Work waits on someone outside the team (a vendor's patch, a
    /// supplier's answer): still open, and the SLA clock stops meanwhile.
    WaitingOnVendor,
    /// Closed by a person without a scan's proof: an override, with a
    /// reason, reported apart from verified closures.
    Closed,
}

impl TicketState {
    pub const ALL: [TicketState; 11] = [
        TicketState::New,
        TicketState::Triaged,
        TicketState::InProgress,
        TicketState::WaitingOnVendor,
        TicketState::Fixed,
        TicketState::Verified,
        TicketState::FalsePositive,
        TicketState::RiskAccepted,
        TicketState::Duplicate,
        TicketState::Reopened,
        TicketState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::New => "new",
            TicketState::Triaged => "triaged",
            TicketState::InProgress => "in_progress",
            TicketState::Fixed => "fixed",
            TicketState::Verified => "verified",
            TicketState::FalsePositive => "false_positive",
            TicketState::RiskAccepted => "risk_accepted",
            TicketState::Duplicate => "duplicate",
            TicketState::Reopened => "reopened",
            TicketState::WaitingOnVendor => "waiting_on_vendor",
            TicketState::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TicketState::New => "New",
            TicketState::Triaged => "Triaged",
            TicketState::InProgress => "In progress",
            TicketState::Fixed => "Fixed",
            TicketState::Verified => "Verified",
            TicketState::FalsePositive => "False positive",
            TicketState::RiskAccepted => "Risk accepted",
            TicketState::Duplicate => "Duplicate",
            TicketState::Reopened => "Reopened",
            TicketState::WaitingOnVendor => "Waiting on vendor",
            TicketState::Closed => "Closed (override)",
        }
    }

    /// A state in which work on the ticket is still to do or to prove.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            TicketState::New
                | TicketState::Triaged
                | TicketState::InProgress
                | TicketState::Fixed
                | TicketState::Reopened
                | TicketState::WaitingOnVendor
        )
    }

    /// Whether the SLA clock stands still while a ticket is in this state.
    pub fn pauses_sla(self) -> bool {
        matches!(self, TicketState::WaitingOnVendor)
    }

    /// A decision that the finding needs no fix: it stays suppressed.
    pub fn is_decision(self) -> bool {
        matches!(self, TicketState::FalsePositive | TicketState::RiskAccepted)
    }

    /// Closed, by a scan's proof or by an override.
    pub fn is_closed(self) -> bool {
        matches!(self, TicketState::Verified | TicketState::Closed)
    }

    /// The states a person may move a ticket of `kind` to from this one.
    pub fn manual_targets(self, kind: TicketType) -> &'static [TicketState] {
        use TicketState::*;
        match (self, kind) {
            (New, _) => &[
                Triaged,
                InProgress,
                WaitingOnVendor,
                FalsePositive,
                RiskAccepted,
                Duplicate,
                Closed,
            ],
            (Triaged, _) => &[
                InProgress,
                WaitingOnVendor,
                Fixed,
                FalsePositive,
                RiskAccepted,
                Duplicate,
                Closed,
            ],
            (InProgress, _) => {
                &[Triaged, WaitingOnVendor, Fixed, FalsePositive, RiskAccepted, Duplicate, Closed]
            }
            (Reopened, _) => &[
                Triaged,
                InProgress,
                WaitingOnVendor,
                Fixed,
                FalsePositive,
                RiskAccepted,
                Duplicate,
                Closed,
            ],
            // Waiting ends when the vendor answers; the dismissals stay open
            // as they are from in progress.
            (WaitingOnVendor, _) => {
                &[Triaged, InProgress, Fixed, FalsePositive, RiskAccepted, Duplicate, Closed]
            }
            // A security ticket marked fixed waits for a scan to verify it;
            // closing it without one is an override. An ordinary ticket is
            // confirmed by a person.
            (Fixed, TicketType::Vulnerability) => &[InProgress, Closed],
            (Fixed, _) => &[InProgress, Verified],
            // Undoing a dismissal or an override is a reopening, which counts.
            (FalsePositive | RiskAccepted | Duplicate | Closed, _) => &[Reopened],
            (Verified, TicketType::Vulnerability) => &[],
            (Verified, _) => &[Reopened],
        }
    }

    /// Checks a person's move and what it needs.
    pub fn check_manual_move(
        self,
        to: TicketState,
        kind: TicketType,
        details: &MoveDetails,
    ) -> Result<(), TransitionError> {
        if !self.manual_targets(kind).contains(&to) {
            return Err(TransitionError::NotAllowed { from: self, to, kind });
        }
        let missing = |what: &'static str| TransitionError::Missing { to, what };
        match to {
            TicketState::Triaged if !details.has_owner => Err(missing("an owner (`owner`)")),
            TicketState::Triaged if !details.has_due_date => Err(missing("a due date (`due_at`)")),
            // Stopping the SLA clock is a decision an auditor asks about.
            TicketState::FalsePositive
            | TicketState::Reopened
            | TicketState::Closed
            | TicketState::WaitingOnVendor
                if !details.has_reason =>
            {
                Err(missing("a reason (`reason`)"))
            }
            TicketState::RiskAccepted if !details.has_reason => Err(missing("a reason (`reason`)")),
            TicketState::RiskAccepted if !details.has_approver => {
                Err(missing("an approver (`approver`)"))
            }
            TicketState::RiskAccepted if !details.has_expiry => {
                Err(missing("an expiry date (`expires_at`)"))
            }
            TicketState::Duplicate if !details.has_duplicate_of => {
                Err(missing("the key of the ticket it duplicates (`duplicate_of`)"))
            }
            _ => Ok(()),
        }
    }
}

/// What a move request carries, as far as the workflow cares.
#[derive(Debug, Clone, Copy, Default)]
pub struct MoveDetails {
    pub has_owner: bool,
    pub has_due_date: bool,
    pub has_reason: bool,
    pub has_approver: bool,
    pub has_expiry: bool,
    pub has_duplicate_of: bool,
}

/// A move the workflow does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// There is no such move for this kind of ticket.
    #[error("a {kind} ticket cannot move from {from} to {to}{}", hint(*from, *to, *kind))]
    NotAllowed { from: TicketState, to: TicketState, kind: TicketType },
    /// The move needs something the request did not give.
    #[error("moving to {to} needs {what}")]
    Missing { to: TicketState, what: &'static str },
}

fn hint(from: TicketState, to: TicketState, kind: TicketType) -> &'static str {
    match (to, kind) {
        (TicketState::Verified, TicketType::Vulnerability) => {
            ": only a later complete scan of its scope that no longer sees the finding verifies it"
        }
        _ if from == to => ": it is already there",
        _ => "",
    }
}

impl fmt::Display for TicketState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for TicketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text named no state or type fixgate knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}: expected one of {expected}")]
pub struct UnknownName {
    pub what: &'static str,
    pub value: String,
    pub expected: String,
}

impl FromStr for TicketState {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<TicketState, UnknownName> {
        let wanted = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        TicketState::ALL.into_iter().find(|t| t.as_str() == wanted).ok_or_else(|| UnknownName {
            what: "state",
            value: s.to_string(),
            expected: TicketState::ALL.map(TicketState::as_str).join(", "),
        })
    }
}

impl FromStr for TicketType {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<TicketType, UnknownName> {
        let wanted = s.trim().to_ascii_lowercase();
        TicketType::ALL.into_iter().find(|t| t.as_str() == wanted).ok_or_else(|| UnknownName {
            what: "ticket type",
            value: s.to_string(),
            expected: TicketType::ALL.map(TicketType::as_str).join(", "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> MoveDetails {
        MoveDetails {
            has_owner: true,
            has_due_date: true,
            has_reason: true,
            has_approver: true,
            has_expiry: true,
            has_duplicate_of: true,
        }
    }

    #[test]
    fn people_cannot_verify_a_vulnerability() {
        let err = TicketState::Fixed
            .check_manual_move(TicketState::Verified, TicketType::Vulnerability, &full())
            .unwrap_err();
        assert!(err.to_string().contains("only a later complete scan"), "{err}");
    }

    #[test]
    fn people_confirm_ordinary_tickets() {
        assert!(
            TicketState::Fixed
                .check_manual_move(TicketState::Verified, TicketType::Task, &full())
                .is_ok()
        );
    }

    #[test]
    fn triage_needs_an_owner_and_a_due_date() {
        let no_owner = MoveDetails { has_owner: false, ..full() };
        let err = TicketState::New
            .check_manual_move(TicketState::Triaged, TicketType::Vulnerability, &no_owner)
            .unwrap_err();
        assert_eq!(
            err,
            TransitionError::Missing { to: TicketState::Triaged, what: "an owner (`owner`)" }
        );
    }

    #[test]
    fn risk_acceptance_needs_reason_approver_and_expiry() {
        let no_expiry = MoveDetails { has_expiry: false, ..full() };
        let err = TicketState::Triaged
            .check_manual_move(TicketState::RiskAccepted, TicketType::Vulnerability, &no_expiry)
            .unwrap_err();
        assert!(err.to_string().contains("expiry"));
    }

    #[test]
    fn every_state_parses_from_its_name() {
        for s in TicketState::ALL {
            assert_eq!(s.as_str().parse::<TicketState>(), Ok(s));
        }
        assert_eq!("In Progress".parse::<TicketState>(), Ok(TicketState::InProgress));
        assert!("done".parse::<TicketState>().unwrap_err().to_string().contains("verified"));
    }

    #[test]
    fn closing_without_a_scan_is_an_override_with_a_reason() {
        let no_reason = MoveDetails { has_reason: false, ..full() };
        let err = TicketState::Fixed
            .check_manual_move(TicketState::Closed, TicketType::Vulnerability, &no_reason)
            .unwrap_err();
        assert_eq!(
            err,
            TransitionError::Missing { to: TicketState::Closed, what: "a reason (`reason`)" }
        );
        assert!(
            TicketState::Fixed
                .check_manual_move(TicketState::Closed, TicketType::Vulnerability, &full())
                .is_ok()
        );
        assert!(TicketState::Closed.is_closed() && !TicketState::Closed.is_open());
    }

    #[test]
    fn waiting_on_a_vendor_pauses_the_clock_and_needs_a_reason() {
        assert!(
            TicketState::WaitingOnVendor.pauses_sla() && TicketState::WaitingOnVendor.is_open()
        );
        assert!(TicketState::ALL.iter().filter(|s| s.pauses_sla()).count() == 1);
        for from in
            [TicketState::New, TicketState::Triaged, TicketState::InProgress, TicketState::Reopened]
        {
            assert!(
                from.check_manual_move(
                    TicketState::WaitingOnVendor,
                    TicketType::Vulnerability,
                    &full()
                )
                .is_ok(),
                "{from}"
            );
        }
        let no_reason = MoveDetails { has_reason: false, ..full() };
        let err = TicketState::InProgress
            .check_manual_move(TicketState::WaitingOnVendor, TicketType::Incident, &no_reason)
            .unwrap_err();
        assert_eq!(
            err,
            TransitionError::Missing {
                to: TicketState::WaitingOnVendor,
                what: "a reason (`reason`)"
            }
        );
        let back = TicketState::WaitingOnVendor.manual_targets(TicketType::Vulnerability);
        for to in [
            TicketState::Triaged,
            TicketState::InProgress,
            TicketState::Fixed,
            TicketState::RiskAccepted,
            TicketState::FalsePositive,
            TicketState::Duplicate,
            TicketState::Closed,
        ] {
            assert!(back.contains(&to), "{to}");
        }
        assert!(!back.contains(&TicketState::Verified) && !back.contains(&TicketState::New));
        assert!(
            TicketState::Fixed.manual_targets(TicketType::Task).iter().all(|s| !s.pauses_sla())
        );
        assert_eq!("waiting on vendor".parse::<TicketState>(), Ok(TicketState::WaitingOnVendor));
        assert_eq!(TicketState::WaitingOnVendor.label(), "Waiting on vendor");
    }

    #[test]
    fn verified_vulnerabilities_reopen_only_by_scan() {
        assert!(TicketState::Verified.manual_targets(TicketType::Vulnerability).is_empty());
    }
}
