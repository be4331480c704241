//! The evidence pack's facts: each security ticket that was open at some
//! moment of a window, with how it was detected, its due date and pauses,
//! its reopenings and how it ended, each with its proof, read from the
//! tickets and their event log.
//!
//! A ticket's history is folded by the same state machine the figures use
//! ([`Standing::apply`]), so a closing or reopening here is one there. Only
//! the events before the window's end (or now, if sooner) count: a pack for
//! a past window says the same whenever it is made. What a ticket is (its
//! title, severity, priority, rule, place and owner) is read as it is now.

use std::collections::{HashMap, HashSet};

use fixgate_domain::{Severity, TicketState};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::batch::placeholders;
use crate::chain::{self, ChainHead};
use crate::metrics::facts::{Dims, Event, Standing, opening_due};
use crate::rows::{from_millis, millis, parse_advisories, parse_cwes};
use crate::tickets::{Param, bind_all};
use crate::{Backend, Store, StoreError, Visibility};

/// Which tickets, over which window.
#[derive(Debug, Clone)]
pub struct EvidenceQuery {
    pub visibility: Visibility,
    /// Only this application, by name.
    pub application: Option<String>,
    /// Only tickets this team owns.
    pub team: Option<String>,
    /// Only this repository, by URL.
    pub repository: Option<String>,
    /// The window's first moment.
    pub start: Timestamp,
    /// The moment after the window's last.
    pub end: Timestamp,
    /// The moment the history is read up to: the window's end, or now if
    /// that is sooner.
    pub as_of: Timestamp,
}

/// One security ticket and its proof.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceTicket {
    pub key: String,
    pub title: String,
    pub severity: String,
    pub priority: Option<String>,
    /// Why the ticket has its priority, as the triage or a person said.
    pub priority_reason: Option<String>,
    pub rule: Option<String>,
    /// `CWE-89`, …
    pub cwes: Vec<String>,
    /// CVE, GHSA and other advisory ids.
    pub advisories: Vec<String>,
    pub application: Option<String>,
    pub repository: Option<String>,
    pub branch: Option<String>,
    pub path: Option<String>,
    pub tool: Option<String>,
    /// The owning team.
    pub owner: Option<String>,
    pub detected: Detection,
    /// The due date in force at the end (for a closed ticket: when it closed).
    pub due_at: Option<Timestamp>,
    pub sla: SlaOutcome,
    pub pauses: Vec<Pause>,
    pub reopens: Vec<Reopen>,
    pub outcome: Outcome,
    /// How it ended, when it was not open at the end.
    pub closure: Option<Closure>,
    /// Closings a reopening undid, oldest first.
    pub earlier_closings: Vec<Closure>,
}

/// A scan named as proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanRef {
    pub id: i64,
    /// The tool (or tools) the scan's report came from.
    pub tool: Option<String>,
    pub commit: Option<String>,
    pub branch: Option<String>,
    /// When the scan was imported.
    pub at: Option<Timestamp>,
}

/// The ticket's first detection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detection {
    pub at: Timestamp,
    /// Who opened it: a scan's uploader, or a person.
    pub by: String,
    /// The scan that opened it; `null` for a ticket opened by hand.
    pub scan: Option<ScanRef>,
}

/// A time the SLA clock stood still.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pause {
    pub started_at: Timestamp,
    /// `null`: still paused at the end.
    pub ended_at: Option<Timestamp>,
    pub reason: Option<String>,
}

/// How a closed ticket came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReopenCause {
    /// A scan saw its finding again.
    Scan,
    /// A person reopened it.
    Person,
    /// Its risk acceptance ran out.
    Expiry,
}

impl ReopenCause {
    pub fn as_str(self) -> &'static str {
        match self {
            ReopenCause::Scan => "scan",
            ReopenCause::Person => "person",
            ReopenCause::Expiry => "expiry",
        }
    }
}

/// One reopening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reopen {
    pub at: Timestamp,
    pub cause: ReopenCause,
    /// The scan's uploader, the person, or `fixgate` for an expiry.
    pub by: String,
    pub scan: Option<ScanRef>,
    pub reason: Option<String>,
}

/// Where a ticket stood at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Open,
    /// A later complete scan no longer saw it.
    Verified,
    RiskAccepted,
    FalsePositive,
    /// Closed by hand, without a scan's proof.
    Closed,
    Duplicate,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::Verified,
        Outcome::RiskAccepted,
        Outcome::FalsePositive,
        Outcome::Closed,
        Outcome::Duplicate,
        Outcome::Open,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Open => "open",
            Outcome::Verified => "verified",
            Outcome::RiskAccepted => "risk_accepted",
            Outcome::FalsePositive => "false_positive",
            Outcome::Closed => "closed",
            Outcome::Duplicate => "duplicate",
        }
    }

    fn of_closing(detail: &str) -> Outcome {
        match detail {
            "verified" => Outcome::Verified,
            "risk_accepted" => Outcome::RiskAccepted,
            "false_positive" => Outcome::FalsePositive,
            "duplicate" => Outcome::Duplicate,
            _ => Outcome::Closed,
        }
    }
}

/// The ticket against its due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaOutcome {
    /// Closed on or before its due date.
    Met,
    /// Closed after its due date, or open past it at the end.
    Breached,
    /// Open, its due date still ahead.
    Open,
    /// Open with its SLA clock stopped (waiting on a vendor).
    Paused,
    NoDueDate,
}

impl SlaOutcome {
    pub const ALL: [SlaOutcome; 5] = [
        SlaOutcome::Met,
        SlaOutcome::Breached,
        SlaOutcome::Open,
        SlaOutcome::Paused,
        SlaOutcome::NoDueDate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SlaOutcome::Met => "met",
            SlaOutcome::Breached => "breached",
            SlaOutcome::Open => "open",
            SlaOutcome::Paused => "paused",
            SlaOutcome::NoDueDate => "no_due_date",
        }
    }
}

/// A closing and its proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closure {
    pub outcome: Outcome,
    pub at: Timestamp,
    /// The scan's uploader, or the person who closed it (for a risk
    /// acceptance: its approver).
    pub by: String,
    /// The reason given (for a risk acceptance: its justification).
    pub reason: Option<String>,
    /// For a verification: the scan that no longer saw the finding.
    pub scan: Option<ScanRef>,
    pub acceptance: Option<Acceptance>,
    /// For a duplicate: the ticket kept.
    pub duplicate_of: Option<String>,
}

/// Who asked for a risk acceptance and who granted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acceptance {
    pub requested_by: String,
    pub requested_at: Option<Timestamp>,
    pub approved_by: String,
    pub approved_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    /// The approver's note.
    pub note: Option<String>,
}

/// The event kinds the pack reads.
const KINDS: &str = "'opened', 'state_changed', 'verified', 'reopened', 'acceptance_expired', \
     'acceptance_requested', 'acceptance_approved', 'due_date_changed', 'due_date_set', \
     'sla_paused', 'sla_resumed'";

/// The states of an open ticket.
const OPEN_STATES: &str =
    "'new', 'triaged', 'in_progress', 'fixed', 'reopened', 'waiting_on_vendor'";

/// How many tickets' events are read at a time.
const CHUNK: usize = 2_000;

const COLUMNS: &str = "t.id, t.ticket_key, t.title, t.severity, t.priority, t.priority_reason, \
     t.rule_id, t.cwes, t.advisories, a.name, r.url, t.branch, t.path, t.tool, t.owner, t.due_at, \
     t.created_at";

/// A candidate ticket's row, before its history is folded.
struct Candidate {
    id: i64,
    due_at: Option<i64>,
    created_at: i64,
    ticket: EvidenceTicket,
}

/// One event as read.
#[derive(Debug, Clone)]
struct Logged {
    at: i64,
    actor: String,
    kind: String,
    data: String,
}

impl Store {
    /// The security tickets `query` covers that were open at some moment
    /// of its window, oldest first, each with its proof, and the event
    /// log's chain head. Everything is read in one read-only transaction,
    /// so the pack is one moment of the store: the head is the chain's as
    /// the tickets' events stood (on SQLite, a read transaction sees one
    /// snapshot of the WAL; on PostgreSQL it runs at REPEATABLE READ).
    pub async fn evidence(
        &self,
        query: &EvidenceQuery,
    ) -> Result<(Vec<EvidenceTicket>, ChainHead), StoreError> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let candidates = evidence_candidates(&mut tx, query).await?;
        let mut out = Vec::new();
        for chunk in candidates.chunks(CHUNK) {
            let (Some(first), Some(last)) = (chunk.first(), chunk.last()) else { continue };
            let events = evidence_events(&mut tx, (first.id, last.id), query.as_of).await?;
            let scans = evidence_scans(&mut tx, self.backend, &events).await?;
            for row in chunk {
                let history = events.get(&row.id).map(Vec::as_slice).unwrap_or_default();
                if let Some(ticket) = fold(row, history, &scans, query) {
                    out.push(ticket);
                }
            }
        }
        let head = chain::head(&mut tx).await?;
        tx.commit().await?;
        Ok((out, head))
    }
}

/// The security tickets that may have been open in the window: detected
/// before its end, and open now or changed since its start (every closing
/// and reopening stamps `updated_at`). The fold decides.
async fn evidence_candidates(
    conn: &mut AnyConnection,
    query: &EvidenceQuery,
) -> Result<Vec<Candidate>, StoreError> {
    let mut params = vec![Param::Int(millis(query.end)), Param::Int(millis(query.start))];
    let mut conditions = vec![
        "t.ticket_type = 'vulnerability'".to_string(),
        "t.created_at < $1".to_string(),
        format!("(t.state IN ({OPEN_STATES}) OR t.updated_at >= $2)"),
    ];
    if let Some((condition, more)) = query.visibility.condition("t.application_id", 3) {
        conditions.push(condition);
        params.extend(more);
    }
    for (column, value) in
        [("a.name", &query.application), ("t.owner", &query.team), ("r.url", &query.repository)]
    {
        if let Some(value) = value {
            params.push(Param::Text(value.clone()));
            conditions.push(format!("{column} = ${}", params.len()));
        }
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM tickets t \
         LEFT JOIN applications a ON a.id = t.application_id \
         LEFT JOIN repositories r ON r.id = t.repository_id \
         WHERE {} ORDER BY t.id",
        conditions.join(" AND ")
    );
    let rows = bind_all(sqlx::query(&sql), &params).fetch_all(&mut *conn).await?;
    rows.iter().map(candidate_row).collect()
}

/// The events that matter of the tickets with ids in `range`, before
/// `as_of`, by ticket, in the order they were written.
async fn evidence_events(
    conn: &mut AnyConnection,
    (first, last): (i64, i64),
    as_of: Timestamp,
) -> Result<HashMap<i64, Vec<Logged>>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT ticket_id, at, actor, kind, data FROM ticket_events \
         WHERE ticket_id >= $1 AND ticket_id <= $2 AND at < $3 AND kind IN ({KINDS}) \
         ORDER BY ticket_id, id"
    ))
    .bind(first)
    .bind(last)
    .bind(millis(as_of))
    .fetch_all(&mut *conn)
    .await?;
    let mut out: HashMap<i64, Vec<Logged>> = HashMap::new();
    for row in rows {
        let event = Logged {
            at: row.try_get(1)?,
            actor: row.try_get(2)?,
            kind: row.try_get(3)?,
            data: row.try_get(4)?,
        };
        out.entry(row.try_get(0)?).or_default().push(event);
    }
    Ok(out)
}

/// The scans `events` name, by id.
async fn evidence_scans(
    conn: &mut AnyConnection,
    backend: Backend,
    events: &HashMap<i64, Vec<Logged>>,
) -> Result<HashMap<i64, ScanRef>, StoreError> {
    let ids: HashSet<i64> =
        events.values().flatten().filter_map(|e| scan_id(&parse(&e.data))).collect();
    let ids: Vec<i64> = ids.into_iter().collect();
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(backend.max_params()) {
        let sql = format!(
            "SELECT id, tools, commit_sha, branch, imported_at FROM scans WHERE id IN ({})",
            placeholders(backend, 1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let scan = ScanRef {
                id: row.try_get(0)?,
                tool: row.try_get(1)?,
                commit: row.try_get(2)?,
                branch: row.try_get(3)?,
                at: Some(from_millis(row.try_get(4)?)),
            };
            out.insert(scan.id, scan);
        }
    }
    Ok(out)
}

fn candidate_row(row: &AnyRow) -> Result<Candidate, StoreError> {
    let severity: i64 = row.try_get(3)?;
    let cwes: String = row.try_get(7)?;
    let advisories: String = row.try_get(8)?;
    let created_at: i64 = row.try_get(16)?;
    let ticket = EvidenceTicket {
        key: row.try_get(1)?,
        title: row.try_get(2)?,
        severity: Severity::from_rank(severity).map_or("unknown", Severity::as_str).to_string(),
        priority: row.try_get(4)?,
        priority_reason: row.try_get(5)?,
        rule: row.try_get(6)?,
        cwes: parse_cwes(&cwes).into_iter().map(|c| format!("CWE-{c}")).collect(),
        advisories: parse_advisories(&advisories),
        application: row.try_get(9)?,
        repository: row.try_get(10)?,
        branch: row.try_get(11)?,
        path: row.try_get(12)?,
        tool: row.try_get(13)?,
        owner: row.try_get(14)?,
        detected: Detection { at: from_millis(created_at), by: String::new(), scan: None },
        due_at: None,
        sla: SlaOutcome::NoDueDate,
        pauses: Vec::new(),
        reopens: Vec::new(),
        outcome: Outcome::Open,
        closure: None,
        earlier_closings: Vec::new(),
    };
    Ok(Candidate { id: row.try_get(0)?, due_at: row.try_get(15)?, created_at, ticket })
}

/// An event's data; an unreadable one reads as empty.
fn parse(data: &str) -> Value {
    serde_json::from_str(data).unwrap_or(Value::Null)
}

fn scan_id(data: &Value) -> Option<i64> {
    data.get("scan_id")?.as_i64()
}

fn text(data: &Value, name: &str) -> Option<String> {
    data.get(name)?.as_str().map(str::to_string)
}

fn time(data: &Value, name: &str) -> Option<Timestamp> {
    data.get(name)?.as_str()?.parse().ok()
}

/// The scan an event names, with the commit and branch the event itself
/// records where it does.
fn scan_of(data: &Value, scans: &HashMap<i64, ScanRef>) -> Option<ScanRef> {
    let id = scan_id(data)?;
    let mut scan = scans.get(&id).cloned().unwrap_or(ScanRef {
        id,
        tool: None,
        commit: None,
        branch: None,
        at: None,
    });
    if let Some(commit) = text(data, "commit") {
        scan.commit = Some(commit);
    }
    if let Some(branch) = text(data, "branch") {
        scan.branch = Some(branch);
    }
    Some(scan)
}

/// What the fold keeps besides the standing.
#[derive(Default)]
struct Trail {
    /// Risk acceptance requests by id: who asked and when.
    requests: HashMap<i64, (String, Timestamp)>,
    /// The approval just recorded, which the move to risk accepted follows.
    approval: Option<Acceptance>,
    /// Whether the ticket was open at the window's start.
    open_at_start: bool,
    /// Whether the history reached the window's start.
    started: bool,
    reopened_in_window: bool,
}

/// The ticket with its history folded, or `None` when it was not open at
/// any moment of the window.
fn fold(
    row: &Candidate,
    events: &[Logged],
    scans: &HashMap<i64, ScanRef>,
    query: &EvidenceQuery,
) -> Option<EvidenceTicket> {
    let (start, end) = (millis(query.start), millis(query.end));
    let mut ticket = row.ticket.clone();
    let opened = events.iter().find(|e| e.kind == "opened");
    let detected_at = opened.map_or(row.created_at, |e| e.at);
    if let Some(e) = opened {
        let data = parse(&e.data);
        ticket.detected =
            Detection { at: from_millis(e.at), by: e.actor.clone(), scan: scan_of(&data, scans) };
    }
    let facts: Vec<Event> = events
        .iter()
        .map(|e| Event { ticket: row.id, at: e.at, kind: &e.kind, data: &e.data })
        .collect();
    let mut standing = Standing {
        detected_at,
        triaged_at: None,
        open: true,
        due_at: opening_due(&facts, row.due_at),
        paused: false,
        dims: Dims { application_id: None, tool: None, severity: 0, priority: None, owner: None },
    };
    let mut trail = Trail::default();
    let mut closings: Vec<Closure> = Vec::new();
    let mut closed_due: Option<i64> = None;
    for e in events.iter().filter(|e| e.kind != "opened") {
        if e.at >= start && !trail.started {
            trail.started = true;
            trail.open_at_start = standing.open;
        }
        let data = parse(&e.data);
        remember(&mut trail, &mut ticket.pauses, e, &data);
        for step in standing.apply(row.id, e.at, &e.kind, &e.data) {
            if step.step == "closed" {
                closed_due = step.due_at;
                closings.push(closure(&step.detail, e, &data, scans, trail.approval.take()));
            } else if step.step == "reopened" {
                trail.reopened_in_window |= e.at >= start;
                ticket.reopens.push(reopen(&step.detail, e, &data, scans));
            }
        }
    }
    if !trail.started {
        trail.open_at_start = standing.open;
    }
    let seen = detected_at < end
        && (detected_at >= start || trail.open_at_start || trail.reopened_in_window);
    seen.then(|| ended(ticket, &standing, closings, closed_due, query))
}

/// The ticket as it stood at the end: open against its due date, or its
/// last closing and whether that met the due date in force then.
fn ended(
    mut ticket: EvidenceTicket,
    standing: &Standing,
    mut closings: Vec<Closure>,
    closed_due: Option<i64>,
    query: &EvidenceQuery,
) -> EvidenceTicket {
    if standing.open {
        ticket.due_at = standing.due_at.map(from_millis);
        ticket.sla = open_sla(standing, millis(query.as_of));
        ticket.earlier_closings = closings;
    } else {
        ticket.closure = closings.pop();
        ticket.earlier_closings = closings;
        ticket.outcome = ticket.closure.as_ref().map_or(Outcome::Closed, |c| c.outcome);
        ticket.due_at = closed_due.map(from_millis);
        let closed_at = ticket.closure.as_ref().map_or(millis(query.end), |c| millis(c.at));
        ticket.sla = match closed_due {
            None => SlaOutcome::NoDueDate,
            Some(due) if closed_at <= due => SlaOutcome::Met,
            Some(_) => SlaOutcome::Breached,
        };
    }
    ticket
}

/// Keeps what later events need: risk acceptance requests and approvals,
/// and the SLA clock's pauses.
fn remember(trail: &mut Trail, pauses: &mut Vec<Pause>, e: &Logged, data: &Value) {
    match e.kind.as_str() {
        "acceptance_requested" => {
            if let Some(id) = data.get("request").and_then(Value::as_i64) {
                trail.requests.insert(id, (e.actor.clone(), from_millis(e.at)));
            }
        }
        "acceptance_approved" => {
            let request = data.get("request").and_then(Value::as_i64);
            let asked = request.and_then(|id| trail.requests.get(&id));
            trail.approval = Some(Acceptance {
                requested_by: text(data, "requested_by")
                    .or_else(|| asked.map(|(by, _)| by.clone()))
                    .unwrap_or_default(),
                requested_at: asked.map(|(_, at)| *at),
                approved_by: e.actor.clone(),
                approved_at: from_millis(e.at),
                expires_at: time(data, "expires_at"),
                note: text(data, "note"),
            });
        }
        "sla_paused" => pauses.push(Pause {
            started_at: from_millis(e.at),
            ended_at: None,
            reason: text(data, "reason"),
        }),
        "sla_resumed" => {
            if let Some(pause) = pauses.last_mut().filter(|p| p.ended_at.is_none()) {
                pause.ended_at = Some(from_millis(e.at));
            }
        }
        _ => {}
    }
    // A closing ends a pause as well: the clock no longer runs.
    let closes = e.kind == "verified"
        || (e.kind == "state_changed"
            && text(data, "to")
                .and_then(|to| to.parse::<TicketState>().ok())
                .is_some_and(|to| !to.is_open()));
    if closes && let Some(pause) = pauses.last_mut().filter(|p| p.ended_at.is_none()) {
        pause.ended_at = Some(from_millis(e.at));
    }
}

fn closure(
    detail: &str,
    e: &Logged,
    data: &Value,
    scans: &HashMap<i64, ScanRef>,
    approval: Option<Acceptance>,
) -> Closure {
    let outcome = Outcome::of_closing(detail);
    let acceptance = (outcome == Outcome::RiskAccepted).then(|| {
        // A move straight to risk accepted names its approver; the request
        // is then the mover's own.
        approval.unwrap_or_else(|| Acceptance {
            requested_by: e.actor.clone(),
            requested_at: Some(from_millis(e.at)),
            approved_by: text(data, "approver").unwrap_or_else(|| e.actor.clone()),
            approved_at: from_millis(e.at),
            expires_at: time(data, "expires_at"),
            note: None,
        })
    });
    Closure {
        outcome,
        at: from_millis(e.at),
        by: e.actor.clone(),
        reason: text(data, "reason"),
        scan: (outcome == Outcome::Verified).then(|| scan_of(data, scans)).flatten(),
        acceptance,
        duplicate_of: text(data, "duplicate_of"),
    }
}

fn reopen(detail: &str, e: &Logged, data: &Value, scans: &HashMap<i64, ScanRef>) -> Reopen {
    let cause = match detail {
        "scan" => ReopenCause::Scan,
        "person" => ReopenCause::Person,
        _ => ReopenCause::Expiry,
    };
    Reopen {
        at: from_millis(e.at),
        cause,
        by: e.actor.clone(),
        scan: scan_of(data, scans),
        reason: (cause == ReopenCause::Person).then(|| text(data, "reason")).flatten(),
    }
}

/// An open ticket against its due date at `as_of`.
fn open_sla(standing: &Standing, as_of: i64) -> SlaOutcome {
    match standing.due_at {
        _ if standing.paused => SlaOutcome::Paused,
        None => SlaOutcome::NoDueDate,
        Some(due) if due <= as_of => SlaOutcome::Breached,
        Some(_) => SlaOutcome::Open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn query() -> EvidenceQuery {
        EvidenceQuery {
            visibility: Visibility::everything(),
            application: None,
            team: None,
            repository: None,
            start: from_millis(10 * DAY),
            end: from_millis(20 * DAY),
            as_of: from_millis(20 * DAY),
        }
    }

    fn candidate() -> Candidate {
        let ticket = EvidenceTicket { key: "SEC-1".into(), ..blank() };
        Candidate { id: 1, due_at: Some(30 * DAY), created_at: 0, ticket }
    }

    fn blank() -> EvidenceTicket {
        EvidenceTicket {
            key: String::new(),
            title: String::new(),
            severity: "high".into(),
            priority: None,
            priority_reason: None,
            rule: None,
            cwes: Vec::new(),
            advisories: Vec::new(),
            application: None,
            repository: None,
            branch: None,
            path: None,
            tool: None,
            owner: None,
            detected: Detection { at: from_millis(0), by: String::new(), scan: None },
            due_at: None,
            sla: SlaOutcome::NoDueDate,
            pauses: Vec::new(),
            reopens: Vec::new(),
            outcome: Outcome::Open,
            closure: None,
            earlier_closings: Vec::new(),
        }
    }

    fn event(day: i64, kind: &str, data: &str) -> Logged {
        Logged { at: day * DAY, actor: "dana".into(), kind: kind.into(), data: data.into() }
    }

    fn folded(events: &[Logged]) -> Option<EvidenceTicket> {
        let mut row = candidate();
        row.created_at = events.first().map_or(0, |e| e.at);
        fold(&row, events, &HashMap::new(), &query())
    }

    #[test]
    fn a_ticket_closed_before_the_window_is_left_out_unless_it_reopens_in_it() {
        let closed = [event(1, "opened", "{}"), event(2, "state_changed", r#"{"to":"closed"}"#)];
        assert_eq!(folded(&closed), None);

        let mut reopened = closed.to_vec();
        reopened.push(event(12, "state_changed", r#"{"to":"reopened","reason":"back"}"#));
        let ticket = folded(&reopened).unwrap();
        assert_eq!(ticket.outcome, Outcome::Open);
        assert_eq!(ticket.reopens.len(), 1);
        assert_eq!(ticket.reopens[0].cause, ReopenCause::Person);
        assert_eq!(ticket.reopens[0].reason.as_deref(), Some("back"));
        assert_eq!(ticket.earlier_closings[0].outcome, Outcome::Closed);
    }

    #[test]
    fn a_ticket_open_when_the_window_began_is_in_it_however_it_ended() {
        let events = [event(1, "opened", "{}"), event(11, "verified", r#"{"scan_id":7}"#)];
        let ticket = folded(&events).unwrap();
        assert_eq!(ticket.outcome, Outcome::Verified);
        assert_eq!(ticket.closure.as_ref().unwrap().scan.as_ref().unwrap().id, 7);
        assert_eq!(ticket.sla, SlaOutcome::Met, "closed on day 11, due on day 30");

        let open = [event(1, "opened", "{}")];
        assert_eq!(folded(&open).unwrap().sla, SlaOutcome::Open);
        let detected_after = [event(20, "opened", "{}")];
        assert_eq!(folded(&detected_after), None, "the window ends at the start of day 20");
    }

    #[test]
    fn a_risk_acceptance_names_its_request_and_its_approval() {
        let events = [
            event(11, "opened", "{}"),
            Logged { actor: "dev".into(), ..event(12, "acceptance_requested", r#"{"request":3}"#) },
            Logged {
                actor: "ciso".into(),
                ..event(
                    13,
                    "acceptance_approved",
                    r#"{"request":3,"requested_by":"dev","expires_at":"1970-03-01T00:00:00Z","note":"ok"}"#,
                )
            },
            Logged {
                actor: "ciso".into(),
                ..event(13, "state_changed", r#"{"to":"risk_accepted","reason":"internal"}"#)
            },
        ];
        let ticket = folded(&events).unwrap();
        let closure = ticket.closure.unwrap();
        assert_eq!(
            (closure.outcome, closure.reason.as_deref()),
            (Outcome::RiskAccepted, Some("internal"))
        );
        let acceptance = closure.acceptance.unwrap();
        assert_eq!(acceptance.requested_by, "dev");
        assert_eq!(acceptance.requested_at, Some(from_millis(12 * DAY)));
        assert_eq!(acceptance.approved_by, "ciso");
        assert_eq!(acceptance.approved_at, from_millis(13 * DAY));
        assert_eq!(acceptance.expires_at, Some(from_millis(59 * DAY)));
        assert_eq!(acceptance.note.as_deref(), Some("ok"));
    }

    #[test]
    fn an_open_ticket_past_its_due_date_or_paused_says_so() {
        let mut row = candidate();
        row.due_at = Some(15 * DAY);
        let events = [event(0, "opened", "{}")];
        let ticket = fold(&row, &events, &HashMap::new(), &query()).unwrap();
        assert_eq!(ticket.sla, SlaOutcome::Breached);

        let paused = [event(0, "opened", "{}"), event(14, "sla_paused", r#"{"reason":"vendor"}"#)];
        let ticket = fold(&row, &paused, &HashMap::new(), &query()).unwrap();
        assert_eq!(ticket.sla, SlaOutcome::Paused);
        assert_eq!(ticket.pauses[0].ended_at, None);
        assert_eq!(ticket.pauses[0].reason.as_deref(), Some("vendor"));
    }
}
