//! Who may do what: the roles people and tokens hold, what each role allows,
//! and how far it reaches (every application, or only those of the caller's
//! teams, narrowed further by a token's application scope).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ticket::UnknownName;

/// A role, held by a person or given to a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including people, teams and tokens.
    Administrator,
    /// Triage, decisions and policy, on every application.
    Security,
    /// Works the tickets of their teams' applications: comments, assigns,
    /// moves them along the workflow, marks them fixed.
    Developer,
    /// Reads their teams' applications.
    Viewer,
    /// Uploads scans and runs the gate; reads nothing.
    Scanner,
}

/// Something a request does, checked against the caller's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read tickets, their history, exports and counts.
    Read,
    /// Open a ticket by hand.
    CreateTicket,
    /// Comment, assign, and move along the workflow short of a decision.
    Work,
    /// Accept a risk, call a false positive, close without proof.
    Decide,
    /// Change the import policy.
    SetPolicy,
    /// Upload a scan report.
    Upload,
    /// Compare a report with what is tracked (the gate).
    Check,
    /// Manage people, teams and every token.
    Administer,
    /// Check the event log's hash chain and read its head.
    Audit,
}

impl Role {
    pub const ALL: [Role; 5] =
        [Role::Administrator, Role::Security, Role::Developer, Role::Viewer, Role::Scanner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Security => "security",
            Role::Developer => "developer",
            Role::Viewer => "viewer",
            Role::Scanner => "scanner",
        }
    }

    /// Whether this role may take `action` at all (where is a separate
    /// question: see [`Role::spans_all`]).
    pub fn allows(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Administrator => true,
            Role::Security => !matches!(action, Administer),
            Role::Developer => matches!(action, Read | CreateTicket | Work | Check),
            Role::Viewer => matches!(action, Read | Check),
            Role::Scanner => matches!(action, Upload | Check),
        }
    }

    /// Whether the role reaches every application rather than only those
    /// of the caller's teams. A scanner is not a member of teams: it reaches
    /// every application it uploads to, unless its token names one.
    pub fn spans_all(self) -> bool {
        matches!(self, Role::Administrator | Role::Security | Role::Scanner)
    }

    /// Whether someone holding this role may hand `other` to a token: never
    /// more than they hold themselves.
    pub fn can_grant(self, other: Role) -> bool {
        match self {
            Role::Administrator => true,
            Role::Security => other != Role::Administrator,
            Role::Developer => matches!(other, Role::Developer | Role::Viewer),
            Role::Viewer => other == Role::Viewer,
            Role::Scanner => other == Role::Scanner,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Role, UnknownName> {
        let wanted = s.trim().to_ascii_lowercase();
        Role::ALL.into_iter().find(|role| role.as_str() == wanted).ok_or_else(|| UnknownName {
            what: "role",
            value: s.to_string(),
            expected: Role::ALL.map(Role::as_str).join(", "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_allow_what_their_description_says() {
        use Action::*;
        let table: [(Role, &[Action]); 5] = [
            (
                Role::Administrator,
                &[Read, CreateTicket, Work, Decide, SetPolicy, Upload, Check, Administer, Audit],
            ),
            (Role::Security, &[Read, CreateTicket, Work, Decide, SetPolicy, Upload, Check, Audit]),
            (Role::Developer, &[Read, CreateTicket, Work, Check]),
            (Role::Viewer, &[Read, Check]),
            (Role::Scanner, &[Upload, Check]),
        ];
        let every = [Read, CreateTicket, Work, Decide, SetPolicy, Upload, Check, Administer, Audit];
        for (role, allowed) in table {
            for action in every {
                assert_eq!(role.allows(action), allowed.contains(&action), "{role} {action:?}");
            }
        }
    }

    #[test]
    fn nobody_grants_more_than_they_hold() {
        for holder in Role::ALL {
            for granted in Role::ALL {
                if holder.can_grant(granted) {
                    let every = [
                        Action::Read,
                        Action::CreateTicket,
                        Action::Work,
                        Action::Decide,
                        Action::SetPolicy,
                        Action::Upload,
                        Action::Check,
                        Action::Administer,
                        Action::Audit,
                    ];
                    for action in every {
                        assert!(
                            !granted.allows(action) || holder.allows(action),
                            "{holder} grants {granted}, which may {action:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn roles_read_back_from_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        let err = "root".parse::<Role>().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("root") && err.contains("viewer"), "{err}");
    }
}
