//! The evidence pack for auditors: every security ticket that was open at
//! some moment of a window, with its SLA, its pauses and reopenings, and
//! how it ended with the proof (the scan that verified it, the risk
//! acceptance with requester and approver, who called it a false positive
//! or closed it by hand, and why), under a summary of counts. docs/audit.md
//! names every field.
//!
//! The window's days are cut in the triage policy's time zone, as for the
//! figures ([`crate::report`]); the store folds each ticket's history up to
//! the window's end. JSON and CSV are written here; the printable HTML page
//! is rendered by the HTTP crate from the same pack.

use std::collections::BTreeMap;

use fixgate_store::{EvidenceQuery, EvidenceTicket, Outcome, SlaOutcome, Visibility};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use crate::csv::push_text_row;
use crate::report::{start_of, window};
use crate::{Fixgate, ServiceError};

/// The version of the pack's layout; it changes when a field changes
/// meaning or goes away.
pub const EVIDENCE_VERSION: u32 = 1;

/// Which tickets, over which window.
#[derive(Debug, Clone, Default)]
pub struct EvidenceRequest {
    /// The window's first day (default: 89 days before `until`).
    pub since: Option<Date>,
    /// The window's last day, included (default: today).
    pub until: Option<Date>,
    /// Only this application, by name.
    pub application: Option<String>,
    /// Only tickets this team owns.
    pub team: Option<String>,
    /// Only this repository, by URL.
    pub repository: Option<String>,
}

/// The head of the event log's hash chain when the pack was made: the last
/// entry's sequence number and hash, so an auditor can check that the log
/// the pack was read from has not been rewritten since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainHead {
    pub seq: u64,
    /// SHA-256, in hex.
    pub hash: String,
}

/// The pack, as `fixgate report evidence --format json` and the API give it.
#[derive(Debug, Clone, Serialize)]
pub struct EvidencePack {
    pub version: u32,
    pub generated_at: Timestamp,
    pub window: EvidenceWindow,
    pub scope: EvidenceScope,
    /// The chain's head, read after the tickets: every event the pack
    /// shows is at or before it.
    pub chain: Option<ChainHead>,
    /// What makes the pack less than complete, in words.
    pub warnings: Vec<String>,
    pub summary: Summary,
    /// Oldest first.
    pub tickets: Vec<EvidenceTicket>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvidenceWindow {
    pub since: Date,
    pub until: Date,
    /// The policy's time zone, which the days follow.
    pub time_zone: String,
    /// The first moment of `since`.
    pub starts_at: Timestamp,
    /// The first moment after `until`.
    pub ends_at: Timestamp,
    /// The moment the tickets' histories are read up to: `ends_at`, or when
    /// the pack was made if that is sooner.
    pub as_of: Timestamp,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvidenceScope {
    pub application: Option<String>,
    pub team: Option<String>,
    pub repository: Option<String>,
    /// Whether the caller sees only some applications (their teams').
    pub limited_to_caller: bool,
}

/// Counts over the pack's tickets.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub tickets: u64,
    /// By how each ticket stood at the end: every outcome, zeros included.
    pub outcomes: BTreeMap<&'static str, u64>,
    /// By each ticket's SLA at the end: every state, zeros included.
    pub sla: BTreeMap<&'static str, u64>,
    /// Tickets reopened at least once in the window.
    pub reopened_tickets: u64,
    /// Reopenings in the window, of every cause.
    pub reopens: u64,
}

impl Fixgate {
    /// The evidence pack `request` asks for, of the tickets `visibility`
    /// sees, with the event log's chain head.
    pub async fn evidence(
        &self,
        request: &EvidenceRequest,
        visibility: Visibility,
    ) -> Result<EvidencePack, ServiceError> {
        let now = self.clock.now();
        let policy = self.triage_policy().await?;
        let zone = policy.sla().time_zone().clone();
        let (since, until) = window((request.since, request.until), None, now, &zone)?;
        let after = until.tomorrow().map_err(|err| ServiceError::Invalid(err.to_string()))?;
        let starts_at = instant(start_of(since, &zone)?)?;
        let ends_at = instant(start_of(after, &zone)?)?;
        let as_of = now.min(ends_at);

        let scope = EvidenceScope {
            application: request.application.clone(),
            team: request.team.clone(),
            repository: request.repository.clone(),
            limited_to_caller: !visibility.is_everything(),
        };
        let query = EvidenceQuery {
            visibility,
            application: request.application.clone(),
            team: request.team.clone(),
            repository: request.repository.clone(),
            start: starts_at,
            end: ends_at,
            as_of,
        };
        // Read in the tickets' snapshot, the head is the last event of the
        // chain they came from.
        let (tickets, head) = self.store.evidence(&query).await?;
        let chain = Some(ChainHead { seq: u64::try_from(head.seq).unwrap_or(0), hash: head.hash });

        let mut warnings = Vec::new();
        if as_of < ends_at {
            warnings.push(format!(
                "the window ends after this pack was made: tickets stand as of {as_of}"
            ));
        }
        Ok(EvidencePack {
            version: EVIDENCE_VERSION,
            generated_at: now,
            window: EvidenceWindow {
                since,
                until,
                time_zone: policy.sla().time_zone_name().to_string(),
                starts_at,
                ends_at,
                as_of,
            },
            scope,
            chain,
            warnings,
            summary: summary(&tickets, starts_at),
            tickets,
        })
    }
}

fn instant(ms: i64) -> Result<Timestamp, ServiceError> {
    Timestamp::from_millisecond(ms).map_err(|err| ServiceError::Invalid(err.to_string()))
}

fn summary(tickets: &[EvidenceTicket], start: Timestamp) -> Summary {
    let mut out = Summary {
        tickets: tickets.len() as u64,
        outcomes: Outcome::ALL.iter().map(|o| (o.as_str(), 0)).collect(),
        sla: SlaOutcome::ALL.iter().map(|s| (s.as_str(), 0)).collect(),
        ..Summary::default()
    };
    for ticket in tickets {
        *out.outcomes.entry(ticket.outcome.as_str()).or_default() += 1;
        *out.sla.entry(ticket.sla.as_str()).or_default() += 1;
        let reopens = ticket.reopens.iter().filter(|r| r.at >= start).count() as u64;
        out.reopens += reopens;
        out.reopened_tickets += u64::from(reopens > 0);
    }
    out
}

/// The CSV columns, in order (docs/audit.md says what each holds).
pub const CSV_COLUMNS: [&str; 39] = [
    "key",
    "title",
    "severity",
    "priority",
    "priority_reason",
    "rule",
    "cwes",
    "advisories",
    "application",
    "repository",
    "branch",
    "path",
    "tool",
    "owner",
    "detected_at",
    "detected_by",
    "detected_scan_id",
    "detected_commit",
    "due_at",
    "sla",
    "pauses",
    "reopen_count",
    "reopens",
    "outcome",
    "closed_at",
    "closed_by",
    "close_reason",
    "duplicate_of",
    "proof_scan_id",
    "proof_tool",
    "proof_commit",
    "proof_branch",
    "proof_scan_at",
    "acceptance_requested_by",
    "acceptance_requested_at",
    "acceptance_approved_by",
    "acceptance_approved_at",
    "acceptance_expires_at",
    "acceptance_note",
];

impl EvidencePack {
    /// One row per ticket under `#` comment lines that name the window, the
    /// scope, when the pack was made and the event log's head; every cell
    /// is quoted as RFC 4180 says and made safe to open in a spreadsheet.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        // A comment is one line: a line break in a name would end it.
        for line in self.header_lines() {
            out.push_str("# ");
            out.extend(line.chars().map(|c| if c.is_control() { ' ' } else { c }));
            out.push_str("\r\n");
        }
        push_text_row(&mut out, CSV_COLUMNS);
        for ticket in &self.tickets {
            let cells = csv_cells(ticket);
            push_text_row(&mut out, cells.iter().map(String::as_str));
        }
        out
    }

    /// The lines that introduce the pack, in words: the CSV's comments.
    pub fn header_lines(&self) -> Vec<String> {
        let w = &self.window;
        let mut lines = vec![
            format!("fixgate evidence pack (version {})", self.version),
            format!("window: {} to {} ({}), as of {}", w.since, w.until, w.time_zone, w.as_of),
            format!("scope: {}", self.scope.describe()),
            format!("generated at: {}", self.generated_at),
        ];
        if let Some(chain) = &self.chain {
            lines.push(chain.describe());
        }
        let s = &self.summary;
        let counts = |map: &BTreeMap<&str, u64>| -> String {
            map.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
        };
        lines.push(format!("tickets: {}; outcomes: {}", s.tickets, counts(&s.outcomes)));
        lines.push(format!("sla: {}", counts(&s.sla)));
        lines.push(format!(
            "reopened in the window: {} tickets, {} times",
            s.reopened_tickets, s.reopens
        ));
        lines.extend(self.warnings.iter().map(|w| format!("warning: {w}")));
        lines
    }
}

impl ChainHead {
    /// `Event log head: seq 42, SHA-256 ab12…`.
    pub fn describe(&self) -> String {
        format!("Event log head: seq {}, SHA-256 {}", self.seq, self.hash)
    }
}

impl EvidenceScope {
    /// `application shop, team shop-team` or `everything`, and whether the
    /// caller sees only some applications.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("application", &self.application),
            ("team", &self.team),
            ("repository", &self.repository),
        ] {
            if let Some(value) = value {
                parts.push(format!("{name} {value}"));
            }
        }
        if parts.is_empty() {
            parts.push("every application".to_string());
        }
        if self.limited_to_caller {
            parts.push("limited to the caller's applications".to_string());
        }
        parts.join(", ")
    }
}

fn opt(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn time(value: Option<Timestamp>) -> String {
    value.map(|at| at.to_string()).unwrap_or_default()
}

/// A ticket's cells, in [`CSV_COLUMNS`] order.
fn csv_cells(t: &EvidenceTicket) -> Vec<String> {
    let pauses: Vec<String> = t
        .pauses
        .iter()
        .map(|p| {
            let reason = p.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
            format!("{} to {}{reason}", p.started_at, time(p.ended_at))
        })
        .collect();
    let reopens: Vec<String> = t
        .reopens
        .iter()
        .map(|r| {
            let scan = r.scan.as_ref().map(|s| format!(" scan {}", s.id)).unwrap_or_default();
            format!("{} by {} ({}){scan}", r.at, r.by, r.cause.as_str())
        })
        .collect();
    let c = t.closure.as_ref();
    let scan = c.and_then(|c| c.scan.as_ref());
    let acceptance = c.and_then(|c| c.acceptance.as_ref());
    vec![
        t.key.clone(),
        t.title.clone(),
        t.severity.clone(),
        opt(&t.priority),
        opt(&t.priority_reason),
        opt(&t.rule),
        t.cwes.join(" "),
        t.advisories.join(" "),
        opt(&t.application),
        opt(&t.repository),
        opt(&t.branch),
        opt(&t.path),
        opt(&t.tool),
        opt(&t.owner),
        t.detected.at.to_string(),
        t.detected.by.clone(),
        t.detected.scan.as_ref().map(|s| s.id.to_string()).unwrap_or_default(),
        t.detected.scan.as_ref().and_then(|s| s.commit.clone()).unwrap_or_default(),
        time(t.due_at),
        t.sla.as_str().to_string(),
        pauses.join("; "),
        t.reopens.len().to_string(),
        reopens.join("; "),
        t.outcome.as_str().to_string(),
        time(c.map(|c| c.at)),
        c.map(|c| c.by.clone()).unwrap_or_default(),
        c.and_then(|c| c.reason.clone()).unwrap_or_default(),
        c.and_then(|c| c.duplicate_of.clone()).unwrap_or_default(),
        scan.map(|s| s.id.to_string()).unwrap_or_default(),
        scan.and_then(|s| s.tool.clone()).unwrap_or_default(),
        scan.and_then(|s| s.commit.clone()).unwrap_or_default(),
        scan.and_then(|s| s.branch.clone()).unwrap_or_default(),
        time(scan.and_then(|s| s.at)),
        acceptance.map(|a| a.requested_by.clone()).unwrap_or_default(),
        time(acceptance.and_then(|a| a.requested_at)),
        acceptance.map(|a| a.approved_by.clone()).unwrap_or_default(),
        time(acceptance.map(|a| a.approved_at)),
        time(acceptance.and_then(|a| a.expires_at)),
        acceptance.and_then(|a| a.note.clone()).unwrap_or_default(),
    ]
}
