//! What the store reads and writes, in the domain's types.

use fixgate_domain::triage::{Priority, SlaStatus};
use fixgate_domain::{Finding, Severity, TicketState, TicketType};
use jiff::Timestamp;
use serde::Serialize;

/// A ticket as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketRow {
    #[serde(skip)]
    pub id: i64,
    pub key: String,
    #[serde(rename = "type")]
    pub ticket_type: TicketType,
    pub state: TicketState,
    pub severity: Severity,
    pub title: String,
    pub application: Option<String>,
    pub repository: Option<String>,
    pub branch: Option<String>,
    pub commit: Option<String>,
    pub tool: Option<String>,
    pub rule_id: Option<String>,
    pub path: Option<String>,
    pub cwes: Vec<u32>,
    pub advisories: Vec<String>,
    pub owner: Option<String>,
    /// The person working on it, by name.
    pub assignee: Option<String>,
    /// Lower-case, in order.
    pub labels: Vec<String>,
    pub due_at: Option<Timestamp>,
    /// The day it is due, in the SLA policy's time zone.
    pub due: Option<jiff::civil::Date>,
    /// Where an open ticket stands against its due date.
    pub sla: Option<SlaStatus>,
    #[serde(skip)]
    pub due_soon_at: Option<Timestamp>,
    /// Since when the SLA clock stands still, if it does.
    pub paused_since: Option<Timestamp>,
    pub priority: Option<Priority>,
    /// Which rule chose the owner.
    pub routed_by: Option<String>,
    /// The state of the policy's custom workflow for the ticket's type
    /// (`investigating`), whose meaning `state` holds; `None` while the
    /// ticket follows the built-in workflow.
    pub status: Option<String>,
    /// What people read for `status` ("Under investigation"), from the
    /// policy in force; the service fills it in.
    #[serde(skip)]
    pub status_label: Option<String>,
    /// Whether the latest scan of some scope still sees one of its findings.
    pub present: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A ticket with everything its page shows.
#[derive(Debug, Clone, Serialize)]
pub struct TicketDetail {
    #[serde(flatten)]
    pub ticket: TicketRow,
    pub description: String,
    /// Every tool that saw one of the ticket's findings, in order of first
    /// sight: one problem, however many tools report it.
    pub tools: Vec<String>,
    /// How the ticket was closed: by which scan, or by an override.
    pub closed_by_scan_id: Option<i64>,
    pub reopen_count: i64,
    /// Why its owner and priority, and its SLA clock's pauses.
    pub triage: TriageDetail,
    /// The people who follow it, by name.
    pub watchers: Vec<String>,
    /// Its links to other tickets, named from this ticket's side.
    pub links: Vec<crate::LinkRow>,
    pub findings: Vec<FindingRow>,
    pub events: Vec<EventRow>,
}

/// What the triage policy made of a ticket.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TriageDetail {
    /// Why the priority, rule by rule.
    pub priority_reason: Option<String>,
    /// One of its CVEs is in CISA's Known Exploited Vulnerabilities catalogue.
    pub kev: bool,
    /// The highest EPSS score of its CVEs, when loaded.
    pub epss: Option<f64>,
    /// When the SLA clock started: the first detection.
    pub sla_started_at: Option<Timestamp>,
    /// Every stretch of time the clock stood still.
    pub pauses: Vec<PauseRow>,
}

/// A stretch of time a ticket's SLA clock stood still.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PauseRow {
    pub started_at: Timestamp,
    /// `None` while the clock still stands.
    pub ended_at: Option<Timestamp>,
    pub reason: String,
}

impl TicketDetail {
    pub(crate) fn tools_of(findings: &[FindingRow]) -> Vec<String> {
        let mut sightings: Vec<&SightingRow> = findings.iter().flat_map(|f| &f.sightings).collect();
        sightings.sort_by_key(|s| s.first_seen_at);
        let mut tools: Vec<String> = Vec::new();
        for s in sightings {
            if !tools.contains(&s.tool) {
                tools.push(s.tool.clone());
            }
        }
        tools
    }
}

/// A stored finding with where and when it was seen.
#[derive(Debug, Clone, Serialize)]
pub struct FindingRow {
    pub id: i64,
    pub fingerprint: String,
    /// The commit of the scan that last saw it.
    pub commit: Option<String>,
    pub repository: Option<String>,
    pub finding: Finding,
    pub sightings: Vec<SightingRow>,
    /// Other tickets whose findings leaked the same secret (same keyed hash).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub same_secret_in: Vec<String>,
    /// The layer of identity that recognised it in its latest scan (`tool`,
    /// `content`, `location`); none before a second scan saw it.
    pub matched_by: Option<String>,
}

/// Where (which scope) and when a finding was seen.
#[derive(Debug, Clone, Serialize)]
pub struct SightingRow {
    pub branch: String,
    pub tool: String,
    pub category: String,
    pub first_scan_id: i64,
    pub last_scan_id: i64,
    pub first_seen_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub times_seen: i64,
    pub present: bool,
}

/// One entry of a ticket's history.
#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    pub at: Timestamp,
    pub actor: String,
    pub kind: String,
    pub data: serde_json::Value,
}

/// Which tickets a list shows.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub states: Vec<TicketState>,
    pub severities: Vec<Severity>,
    pub ticket_type: Option<TicketType>,
    pub application: Option<String>,
    pub repository: Option<String>,
    pub tool: Option<String>,
    pub cwe: Option<u32>,
    /// Matches key, title, rule, path and advisory ids, ignoring case.
    pub text: Option<String>,
    /// Only tickets whose finding the latest scan still sees (or no longer sees).
    pub present: Option<bool>,
    /// Only the tickets of this person, or only those of nobody.
    pub assignee: Option<crate::AssigneeFilter>,
    /// Only tickets with one of these labels (lower-case).
    pub labels: Vec<String>,
    /// The owning team, ignoring case.
    pub owner: Option<String>,
    pub priorities: Vec<Priority>,
    /// Open tickets in this SLA status at this time (the service sets the
    /// time from its clock).
    pub sla: Option<(SlaStatus, Timestamp)>,
    /// Only these tickets, by key (upper case): the rows a person ticked.
    pub keys: Vec<String>,
    /// Only the tickets one scan changed in this way.
    pub scan: Option<ScanChange>,
    /// Which applications' tickets the caller may see at all.
    pub visibility: crate::Visibility,
    pub order: TicketOrder,
    pub limit: u32,
    /// 1-based.
    pub page: u32,
}

/// The order a list's tickets come in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TicketOrder {
    /// Most severe first, newest first within a severity.
    #[default]
    Severity,
    /// Most urgent first: the earliest due date (so overdue tickets lead),
    /// tickets without one last, then the most severe.
    Urgency,
}

/// What a scan did to the tickets it changed, as its events record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanChange {
    pub scan: i64,
    pub kind: ScanChangeKind,
}

/// The changes of a scan a list can show the tickets of: each is one event
/// per ticket, carrying the scan's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanChangeKind {
    Opened,
    /// Closed as fixed: a tracked scope no longer saw it.
    Verified,
    Reopened,
}

impl ScanChangeKind {
    pub const ALL: [ScanChangeKind; 3] =
        [ScanChangeKind::Opened, ScanChangeKind::Verified, ScanChangeKind::Reopened];

    /// The event kind, as the ticket's history names it.
    pub fn as_str(self) -> &'static str {
        match self {
            ScanChangeKind::Opened => "opened",
            ScanChangeKind::Verified => "verified",
            ScanChangeKind::Reopened => "reopened",
        }
    }
}

impl std::str::FromStr for ScanChangeKind {
    type Err = String;

    fn from_str(value: &str) -> Result<ScanChangeKind, String> {
        ScanChangeKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == value)
            .ok_or_else(|| format!("{value:?} is not opened, verified or reopened"))
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub total: u64,
    pub page: u32,
    pub limit: u32,
    pub items: Vec<T>,
}

/// A ticket opened by hand, with the triage the policy (or the person)
/// gave it. Its SLA clock starts when it is stored.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub ticket_type: TicketType,
    /// Where it starts: `new`, or what the initial state of the policy's
    /// custom workflow means.
    pub state: TicketState,
    /// That initial custom state's name; `None` for the built-in workflow.
    pub status: Option<String>,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub application: Option<String>,
    pub repository: Option<String>,
    /// The file it is about, relative to the repository's root.
    pub path: Option<String>,
    /// The owning team, and what chose it.
    pub owner: Option<String>,
    pub routed_by: Option<String>,
    pub priority: Option<Priority>,
    /// Why that priority, in words.
    pub priority_reason: Option<String>,
    pub due_at: Option<Timestamp>,
    pub due_soon_at: Option<Timestamp>,
}

/// A state change a person asked for, already checked against the workflow.
#[derive(Debug, Clone)]
pub struct StateChange {
    pub from: TicketState,
    pub to: TicketState,
    /// The custom workflow's state the ticket stood in, as stored.
    pub from_status: Option<String>,
    /// The custom workflow's state it moves to, whose meaning `to` is;
    /// `None` for a move of the built-in workflow.
    pub status: Option<String>,
    pub reason: Option<String>,
    pub owner: Option<String>,
    pub due_at: Option<Timestamp>,
    pub approver: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub duplicate_of: Option<String>,
}

/// `",79,89,"` for the `cwes` column.
pub(crate) fn cwes_column(cwes: &[u32]) -> String {
    let mut out = String::from(",");
    for cwe in cwes {
        out.push_str(&cwe.to_string());
        out.push(',');
    }
    out
}

pub(crate) fn parse_cwes(column: &str) -> Vec<u32> {
    column.split(',').filter_map(|c| c.parse().ok()).collect()
}

/// `" CVE-1 GHSA-2 "` for the `advisories` column.
pub(crate) fn advisories_column(ids: &[String]) -> String {
    let mut out = String::from(" ");
    for id in ids {
        out.push_str(id);
        out.push(' ');
    }
    out
}

pub(crate) fn parse_advisories(column: &str) -> Vec<String> {
    column.split_whitespace().map(str::to_string).collect()
}

pub(crate) fn millis(at: Timestamp) -> i64 {
    at.as_millisecond()
}

pub(crate) fn from_millis(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_columns_round_trip() {
        assert_eq!(parse_cwes(&cwes_column(&[79, 89])), vec![79, 89]);
        assert_eq!(cwes_column(&[]), ",");
        let ids = vec!["CVE-2021-44228".to_string(), "GHSA-jfh8-c2jp-5v3q".to_string()];
        assert_eq!(parse_advisories(&advisories_column(&ids)), ids);
    }
}
