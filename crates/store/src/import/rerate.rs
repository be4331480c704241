//! A scan that rates a ticket's finding anew changes the ticket: its
//! severity follows its findings (the highest of them), and the triage
//! policy decides its priority again from the new severity. A new priority
//! is recorded with the scan that caused it, and the due date follows it,
//! counted from the first detection as when a person sets the priority. A
//! priority a person set stays: the scan records the new severity only.
//!
//! Only the few tickets whose severity may have moved are read, in a
//! handful of statements; a scan that changes no severity runs none.

use std::collections::HashMap;

use fixgate_domain::triage::{Pause, Priority};
use fixgate_domain::{FindingKind, Severity, TicketState};
use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::write::{Event, for_ids, insert_events_at};
use crate::batch::{binds, for_rows};
use crate::rows::from_millis;
use crate::{Backend, PriorityAgain, StoreError, Triage};

/// The scan that rates, and who uploaded it.
pub(super) struct Rating<'a> {
    pub scan: i64,
    pub now: i64,
    pub actor: &'a str,
    pub triage: Option<&'a dyn Triage>,
}

/// The tickets whose severity may have moved, each with the kind of a
/// finding of theirs this scan saw (the priority rules read it).
pub(super) type Candidates = HashMap<i64, FindingKind>;

/// The severity of each candidate ticket before the scan changes any.
pub(super) async fn severities(
    conn: &mut AnyConnection,
    backend: Backend,
    candidates: &Candidates,
) -> Result<HashMap<i64, i64>, StoreError> {
    let ids = sorted(candidates);
    let rows =
        for_ids(conn, backend, "SELECT id, severity FROM tickets WHERE id IN ({ids})", &[], &ids)
            .await?;
    rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).collect()
}

/// Gives the candidates that are not group tickets (whose severity their
/// group's summary sets) the highest severity of their findings, then
/// records what moved and decides the priority of the open ones again.
/// Returns how many tickets changed priority.
pub(super) async fn rerate(
    conn: &mut AnyConnection,
    backend: Backend,
    rating: &Rating<'_>,
    candidates: &Candidates,
    before: &HashMap<i64, i64>,
) -> Result<u64, StoreError> {
    if candidates.is_empty() {
        return Ok(0);
    }
    let ids = sorted(candidates);
    for_ids(
        conn,
        backend,
        "UPDATE tickets SET severity = COALESCE((SELECT MAX(f.severity) FROM findings f \
         WHERE f.ticket_id = tickets.id), severity) WHERE group_key IS NULL AND id IN ({ids})",
        &[],
        &ids,
    )
    .await?;
    let moved: Vec<Rated> = rated(conn, backend, &ids)
        .await?
        .into_iter()
        .filter(|t| before.get(&t.id).is_some_and(|b| *b != t.severity) && t.state.is_open())
        .collect();
    if moved.is_empty() {
        return Ok(0);
    }

    let mut events: Vec<Event> = Vec::new();
    let mut changes: Vec<Change> = Vec::new();
    let pauses = pauses_of(conn, backend, &moved).await?;
    for ticket in &moved {
        let from = before.get(&ticket.id).copied().and_then(Severity::from_rank);
        let to = Severity::from_rank(ticket.severity);
        let data = json!({ "from": from, "to": to, "scan_id": rating.scan });
        events.push((ticket.id, "severity_changed", data.to_string()));
        let (Some(triage), Some(to), Some(kind)) = (rating.triage, to, candidates.get(&ticket.id))
        else {
            continue;
        };
        if let Some(change) = ticket.priority_again(triage, to, *kind, &pauses) {
            events.extend(change.events(ticket, rating));
            changes.push(change);
        }
    }
    write_changes(conn, backend, rating.now, &changes).await?;
    insert_events_at(conn, backend, rating.now, rating.actor, &events).await?;
    Ok(changes.len() as u64)
}

/// What a candidate ticket is once the scan has rated it.
struct Rated {
    id: i64,
    severity: i64,
    state: TicketState,
    priority: Option<Priority>,
    priority_reason: Option<String>,
    kev: bool,
    epss: Option<f64>,
    paused: bool,
    /// When its SLA clock started: the first detection.
    started_at: i64,
    due: (Option<i64>, Option<i64>),
}

/// A ticket's new priority and due date.
struct Change {
    id: i64,
    priority: Priority,
    reason: String,
    due: (Option<i64>, Option<i64>),
}

impl Rated {
    /// The priority the policy gives the ticket now, when it differs from
    /// the one it has and no person set that one.
    fn priority_again(
        &self,
        triage: &dyn Triage,
        severity: Severity,
        kind: FindingKind,
        pauses: &HashMap<i64, Vec<Pause>>,
    ) -> Option<Change> {
        let current = self.priority?;
        if self.priority_reason.as_deref().is_some_and(set_by_a_person) {
            return None;
        }
        let input = PriorityAgain { severity, kind, kev: self.kev, epss: self.epss };
        let (priority, reason) = triage.priority(input);
        if priority == current {
            return None;
        }
        // A paused clock keeps its due date until it runs again, when the
        // due date is worked out afresh from the priority.
        let due = if self.paused {
            self.due
        } else {
            let pauses = pauses.get(&self.id).map(Vec::as_slice).unwrap_or_default();
            triage
                .due(priority, from_millis(self.started_at), pauses)
                .map_or((None, None), |d| (Some(millis(d.due_at)), Some(millis(d.due_soon_at))))
        };
        Some(Change { id: self.id, priority, reason, due })
    }
}

impl Change {
    /// `priority_changed`, and `due_date_changed` when the due date moved.
    fn events(&self, ticket: &Rated, rating: &Rating<'_>) -> Vec<Event> {
        let severity = Severity::from_rank(ticket.severity).map_or("unknown", Severity::as_str);
        let why = format!("severity {severity} in scan {}", rating.scan);
        let changed = json!({
            "from": ticket.priority,
            "to": self.priority,
            "reason": why,
            "scan_id": rating.scan,
        });
        let mut events = vec![(self.id, "priority_changed", changed.to_string())];
        if self.due.0 != ticket.due.0 {
            let moved = json!({
                "from": ticket.due.0.map(from_millis),
                "to": self.due.0.map(from_millis),
                "reason": format!("priority {} from {why}", self.priority),
            });
            events.push((self.id, "due_date_changed", moved.to_string()));
        }
        events
    }
}

/// A priority a person set reads "set by NAME: reason" (see
/// `Store::set_priority`); the policy's always start with the severity.
fn set_by_a_person(reason: &str) -> bool {
    reason.starts_with("set by ")
}

fn millis(at: jiff::Timestamp) -> i64 {
    crate::rows::millis(at)
}

fn sorted(candidates: &Candidates) -> Vec<i64> {
    let mut ids: Vec<i64> = candidates.keys().copied().collect();
    ids.sort_unstable();
    ids
}

async fn rated(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &[i64],
) -> Result<Vec<Rated>, StoreError> {
    let rows = for_ids(
        conn,
        backend,
        "SELECT id, severity, state, priority, priority_reason, CAST(kev AS BIGINT), epss, \
         paused_at, COALESCE(sla_started_at, created_at), due_at, due_soon_at \
         FROM tickets WHERE id IN ({ids})",
        &[],
        ids,
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let state: String = row.try_get(2)?;
        let priority: Option<String> = row.try_get(3)?;
        out.push(Rated {
            id: row.try_get(0)?,
            severity: row.try_get(1)?,
            state: state
                .parse()
                .map_err(|e: fixgate_domain::UnknownName| StoreError::Invalid(e.to_string()))?,
            priority: priority.and_then(|p| p.parse().ok()),
            priority_reason: row.try_get(4)?,
            kev: row.try_get::<i64, _>(5)? == 1,
            epss: row.try_get(6)?,
            paused: row.try_get::<Option<i64>, _>(7)?.is_some(),
            started_at: row.try_get(8)?,
            due: (row.try_get(9)?, row.try_get(10)?),
        });
    }
    Ok(out)
}

/// The pauses of the tickets' SLA clocks, by ticket, in order.
async fn pauses_of(
    conn: &mut AnyConnection,
    backend: Backend,
    tickets: &[Rated],
) -> Result<HashMap<i64, Vec<Pause>>, StoreError> {
    let ids: Vec<i64> = tickets.iter().filter(|t| !t.paused).map(|t| t.id).collect();
    let rows = for_ids(
        conn,
        backend,
        "SELECT ticket_id, started_at, ended_at FROM ticket_pauses WHERE ticket_id IN ({ids}) \
         ORDER BY id",
        &[],
        &ids,
    )
    .await?;
    let mut pauses: HashMap<i64, Vec<Pause>> = HashMap::new();
    for row in rows {
        let end: Option<i64> = row.try_get(2)?;
        pauses
            .entry(row.try_get(0)?)
            .or_default()
            .push(Pause { start: from_millis(row.try_get(1)?), end: end.map(from_millis) });
    }
    Ok(pauses)
}

/// Writes the new priorities and due dates, a few hundred tickets a
/// statement.
async fn write_changes(
    conn: &mut AnyConnection,
    backend: Backend,
    now: i64,
    changes: &[Change],
) -> Result<(), StoreError> {
    let head = format!(
        "UPDATE tickets SET priority = v.column2, priority_reason = v.column3, \
         due_at = v.column4, due_soon_at = v.column5, updated_at = {now} FROM ("
    );
    for_rows(
        conn,
        backend,
        (&head, ") AS v WHERE tickets.id = v.column1"),
        &binds(5),
        changes,
        |q, change| {
            q.bind(change.id)
                .bind(change.priority.as_str())
                .bind(change.reason.as_str())
                .bind(change.due.0)
                .bind(change.due.1)
        },
    )
    .await?;
    Ok(())
}
