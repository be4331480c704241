//! Notices: what fixgate tells people about their tickets (opened for their
//! team, assigned, due soon, breached, a risk acceptance asked for, decided
//! or expired, reopened, rerouted). A notice names the team it concerns, so
//! a channel of one team gets that team's notices only, and lists the
//! tickets it is about, as they stood when it was made.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ticket::UnknownName;

/// The most tickets one notice lists; [`Notice::total`] counts the rest.
pub const MAX_LISTED: usize = 50;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A scan opened tickets for a team.
    TicketsOpened,
    /// A ticket was given to a team or a person.
    Assigned,
    /// A ticket's due date is close.
    DueSoon,
    /// A ticket's due date passed while it was still open.
    Breached,
    /// Someone asks for a risk to be accepted; an approver must decide.
    AcceptanceRequested,
    /// A risk acceptance was approved or rejected.
    AcceptanceDecided,
    /// A risk acceptance ran out and its ticket reopened.
    AcceptanceExpired,
    /// A ticket reopened: its finding was seen again, or a person reopened it.
    Reopened,
    /// A ticket moved to another team.
    Rerouted,
    /// An operator's test of a channel (`fixgate notify test`); it goes to
    /// the one channel named, whatever its filters.
    Test,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 10] = [
        NoticeKind::TicketsOpened,
        NoticeKind::Assigned,
        NoticeKind::DueSoon,
        NoticeKind::Breached,
        NoticeKind::AcceptanceRequested,
        NoticeKind::AcceptanceDecided,
        NoticeKind::AcceptanceExpired,
        NoticeKind::Reopened,
        NoticeKind::Rerouted,
        NoticeKind::Test,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::TicketsOpened => "tickets_opened",
            NoticeKind::Assigned => "assigned",
            NoticeKind::DueSoon => "due_soon",
            NoticeKind::Breached => "breached",
            NoticeKind::AcceptanceRequested => "acceptance_requested",
            NoticeKind::AcceptanceDecided => "acceptance_decided",
            NoticeKind::AcceptanceExpired => "acceptance_expired",
            NoticeKind::Reopened => "reopened",
            NoticeKind::Rerouted => "rerouted",
            NoticeKind::Test => "test",
        }
    }

    /// How a message names what happened, in a few words.
    pub fn label(self) -> &'static str {
        match self {
            NoticeKind::TicketsOpened => "tickets opened",
            NoticeKind::Assigned => "assigned",
            NoticeKind::DueSoon => "due soon",
            NoticeKind::Breached => "due date breached",
            NoticeKind::AcceptanceRequested => "risk acceptance requested",
            NoticeKind::AcceptanceDecided => "risk acceptance decided",
            NoticeKind::AcceptanceExpired => "risk acceptance expired",
            NoticeKind::Reopened => "reopened",
            NoticeKind::Rerouted => "rerouted",
            NoticeKind::Test => "test",
        }
    }
}

impl fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for NoticeKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<NoticeKind, UnknownName> {
        let wanted = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        NoticeKind::ALL.into_iter().find(|k| k.as_str() == wanted).ok_or_else(|| UnknownName {
            what: "notice kind",
            value: s.to_string(),
            expected: NoticeKind::ALL.map(NoticeKind::as_str).join(", "),
        })
    }
}

/// Something people must be told, about one ticket or the tickets one scan
/// opened for one team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: NoticeKind,
    pub at: Timestamp,
    /// The team the affected tickets belong to, when they have one: channels
    /// for a team get only its notices.
    pub team: Option<String>,
    /// One line a person reads first: "SEC-42 breached its due date
    /// (critical, due 2026-12-01)".
    pub summary: String,
    /// The tickets concerned (one, or those one scan opened for one team),
    /// at most [`MAX_LISTED`] listed.
    pub tickets: Vec<NoticeTicket>,
    /// How many tickets in all when more than the list holds.
    pub total: u64,
    pub actor: Option<String>,
    /// What a person wrote with the change: the reason a risk acceptance is
    /// asked for, or the note of its approval or rejection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Notice {
    /// How many tickets the notice is about: its total, or the tickets it
    /// lists when the total says fewer.
    pub fn ticket_count(&self) -> u64 {
        self.total.max(self.tickets.len() as u64)
    }
}

/// A ticket as a notice shows it: what a person needs to decide whether to
/// open it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeTicket {
    pub key: String,
    pub title: String,
    pub severity: String,
    pub priority: Option<String>,
    pub owner: Option<String>,
    pub due_at: Option<Timestamp>,
    pub state: String,
    /// The person working on it, when someone is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_back_from_their_names() {
        for kind in NoticeKind::ALL {
            assert_eq!(kind.as_str().parse::<NoticeKind>(), Ok(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!("Due-Soon".parse::<NoticeKind>(), Ok(NoticeKind::DueSoon));
        let err = "overdue".parse::<NoticeKind>().unwrap_err().to_string();
        assert!(err.contains("breached") && err.contains("overdue"), "{err}");
    }

    #[test]
    fn a_notice_serializes_with_snake_case_kinds_and_rfc3339_times() {
        let notice = Notice {
            kind: NoticeKind::AcceptanceExpired,
            at: "2026-12-01T09:00:00Z".parse().unwrap(),
            team: Some("shop-team".into()),
            summary: "SEC-42 reopened: its risk acceptance expired".into(),
            tickets: vec![NoticeTicket {
                key: "SEC-42".into(),
                title: "SQL injection".into(),
                severity: "critical".into(),
                priority: Some("P1".into()),
                owner: Some("shop-team".into()),
                due_at: Some("2026-12-08T00:00:00Z".parse().unwrap()),
                state: "reopened".into(),
                assignee: None,
            }],
            total: 1,
            actor: None,
            note: None,
        };
        let json = serde_json::to_value(&notice).unwrap();
        assert_eq!(json["kind"], "acceptance_expired");
        assert_eq!(json["at"], "2026-12-01T09:00:00Z");
        assert_eq!(json["tickets"][0]["due_at"], "2026-12-08T00:00:00Z");
        let back: Notice = serde_json::from_value(json).unwrap();
        assert_eq!(back, notice);
    }

    #[test]
    fn the_ticket_count_is_never_below_the_list() {
        let notice = Notice {
            kind: NoticeKind::TicketsOpened,
            at: Timestamp::UNIX_EPOCH,
            team: None,
            summary: "3 tickets opened".into(),
            tickets: Vec::new(),
            total: 3,
            actor: None,
            note: None,
        };
        assert_eq!(notice.ticket_count(), 3);
    }
}
