//! The facts behind the figures, folded from the event log.
//!
//! Each security ticket's events are read in order by one small state
//! machine ([`Standing::apply`]): the first move a person makes is its
//! triage, a move to a closed state or a scan's verification closes it, a
//! scan that sees it again, a person who reopens it or an expired risk
//! acceptance reopens it, and due-date and pause events keep the SLA's due
//! date and clock. The same machine runs when events are written
//! ([`record`], in their transaction) and when the facts are rebuilt from
//! the whole log ([`rebuild`]), so the two agree by construction, which a
//! test checks.

use std::collections::{HashMap, HashSet};

use fixgate_domain::TicketState;
use jiff::Timestamp;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::batch::{binds, for_rows, placeholders};
use crate::{Backend, StoreError};

/// The event kinds that change a fact.
pub(crate) const KINDS: [&str; 9] = [
    "opened",
    "state_changed",
    "verified",
    "reopened",
    "acceptance_expired",
    "due_date_changed",
    "due_date_set",
    "sla_paused",
    "sla_resumed",
];

/// One event, as the log holds it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Event<'a> {
    pub ticket: i64,
    pub at: i64,
    pub kind: &'a str,
    /// The event's JSON object, as text.
    pub data: &'a str,
}

/// What a ticket is, copied onto each of its transitions so figures group
/// without a join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dims {
    pub application_id: Option<i64>,
    pub tool: Option<String>,
    pub severity: i64,
    pub priority: Option<String>,
    pub owner: Option<String>,
}

/// Where a ticket stands, as its events so far say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Standing {
    pub detected_at: i64,
    pub triaged_at: Option<i64>,
    pub open: bool,
    pub due_at: Option<i64>,
    pub paused: bool,
    pub dims: Dims,
}

/// A step of a ticket's life a figure counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Transition {
    pub ticket: i64,
    pub at: i64,
    pub step: &'static str,
    pub detail: String,
    pub elapsed: i64,
    pub due_at: Option<i64>,
}

/// The kinds of step figures count, in the order a step's `tally` numbers
/// them (migration 0016 lists them too): a triage (to any state), the five
/// ways to close, the three ways to reopen.
pub(crate) const TALLIED: [(&str, &str); 9] = [
    ("triaged", ""),
    ("closed", "verified"),
    ("closed", "closed"),
    ("closed", "false_positive"),
    ("closed", "risk_accepted"),
    ("closed", "duplicate"),
    ("reopened", "scan"),
    ("reopened", "person"),
    ("reopened", "expiry"),
];

/// The tallies of one kind of step, whatever its due date: 3 × its place
/// in [`TALLIED`] and the two numbers after it. `None` for a kind the list
/// does not name.
pub(crate) fn tallies_of(step: &str, detail: &str) -> Option<(i64, i64)> {
    let place = TALLIED.iter().position(|&kind| kind == (step, detail))? as i64;
    Some((3 * place, 3 * place + 2))
}

impl Transition {
    /// The step's kind and whether it met its due date, as one number:
    /// 3 × the kind's place in [`TALLIED`], plus 0 for a closing after its
    /// due date, 1 for one on or before it, 2 otherwise (no due date, or
    /// not a closing). A closing to a state the list does not name counts
    /// as closed by a person.
    pub(crate) fn tally(&self) -> i64 {
        let place = match self.step {
            "triaged" => 0,
            step => TALLIED
                .iter()
                .position(|&(s, d)| s == step && d == self.detail)
                .unwrap_or(if step == "closed" { 2 } else { 8 }),
        };
        let met = match (self.step, self.due_at) {
            ("closed", Some(due)) => i64::from(self.at <= due),
            _ => 2,
        };
        3 * place as i64 + met
    }
}

/// What one event means for the facts.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Effect {
    /// A person moved the ticket (to this state).
    Moved(String),
    /// Closed, as verified by a scan or by an override of this kind.
    Closed(String),
    /// Reopened: by a scan, a person, or an expired acceptance.
    Reopened(&'static str),
    Due(Option<i64>),
    Paused,
    Resumed,
}

fn effects(kind: &str, data: &str) -> Vec<Effect> {
    match kind {
        "state_changed" => {
            let Some(to) = field(data, "to").and_then(|v| v.as_str().map(str::to_string)) else {
                return Vec::new();
            };
            let mut out = vec![Effect::Moved(to.clone())];
            match to.parse::<TicketState>() {
                Ok(TicketState::Reopened) => out.push(Effect::Reopened("person")),
                Ok(state) if !state.is_open() => out.push(Effect::Closed(to)),
                _ => {}
            }
            out
        }
        "verified" => vec![Effect::Closed("verified".into())],
        "reopened" => vec![Effect::Reopened("scan")],
        "acceptance_expired" => vec![Effect::Reopened("expiry")],
        "due_date_changed" => due(field(data, "to")),
        "due_date_set" => due(field(data, "due_at")),
        "sla_paused" => vec![Effect::Paused],
        "sla_resumed" => vec![Effect::Resumed],
        _ => Vec::new(),
    }
}

/// A due-date event's date; an unreadable one changes nothing.
fn due(value: Option<Value>) -> Vec<Effect> {
    match value {
        Some(Value::Null) => vec![Effect::Due(None)],
        Some(value) => timestamp(&value).map(|at| vec![Effect::Due(Some(at))]).unwrap_or_default(),
        None => Vec::new(),
    }
}

fn field(data: &str, name: &str) -> Option<Value> {
    let mut object: serde_json::Map<String, Value> = serde_json::from_str(data).ok()?;
    object.remove(name)
}

fn timestamp(value: &Value) -> Option<i64> {
    value.as_str()?.parse::<Timestamp>().ok().map(|at| at.as_millisecond())
}

impl Standing {
    /// Applies one event; returns the transitions it makes. A closing of a
    /// ticket already closed and a reopening of one already open change
    /// nothing, so the open backlog is always the sum of what opened,
    /// closed and reopened.
    pub(crate) fn apply(
        &mut self,
        ticket: i64,
        at: i64,
        kind: &str,
        data: &str,
    ) -> Vec<Transition> {
        let mut out = Vec::new();
        let detected_at = self.detected_at;
        let step = |step, detail: String, due_at| Transition {
            ticket,
            at,
            step,
            detail,
            elapsed: at - detected_at,
            due_at,
        };
        for effect in effects(kind, data) {
            match effect {
                Effect::Moved(to) if self.triaged_at.is_none() => {
                    out.push(step("triaged", to, None));
                    self.triaged_at = Some(at);
                }
                Effect::Moved(_) => {}
                Effect::Closed(how) if self.open => {
                    out.push(step("closed", how, self.due_at));
                    self.open = false;
                    self.paused = false;
                }
                Effect::Reopened(why) if !self.open => {
                    out.push(step("reopened", why.to_string(), None));
                    self.open = true;
                }
                Effect::Closed(_) | Effect::Reopened(_) => {}
                Effect::Due(at) => self.due_at = at,
                Effect::Paused => self.paused = self.open,
                Effect::Resumed => self.paused = false,
            }
        }
        out
    }
}

/// The backend a connection talks to.
pub(crate) fn backend_of(conn: &AnyConnection) -> Backend {
    if conn.backend_name().eq_ignore_ascii_case("postgresql") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// Brings the facts up to date with events just appended on `conn`, in
/// their transaction. Events of other kinds, and of tickets that are not
/// security tickets, change nothing.
pub(crate) async fn record(
    conn: &mut AnyConnection,
    events: &[Event<'_>],
) -> Result<(), StoreError> {
    let relevant: Vec<&Event> = events.iter().filter(|e| KINDS.contains(&e.kind)).collect();
    if relevant.is_empty() {
        return Ok(());
    }
    let backend = backend_of(conn);

    let mut opened_at: HashMap<i64, Vec<i64>> = HashMap::new();
    for event in relevant.iter().filter(|e| e.kind == "opened") {
        opened_at.entry(event.at).or_default().push(event.ticket);
    }
    for (at, tickets) in &opened_at {
        insert_opened(conn, backend, *at, tickets).await?;
    }

    let later: Vec<&Event> = relevant.into_iter().filter(|e| e.kind != "opened").collect();
    if later.is_empty() {
        return Ok(());
    }
    let mut tickets: Vec<i64> = later.iter().map(|e| e.ticket).collect();
    tickets.sort_unstable();
    tickets.dedup();
    let mut standings = load(conn, backend, &tickets).await?;
    let mut changed = HashSet::new();
    let mut transitions = Vec::new();
    for event in later {
        if let Some(standing) = standings.get_mut(&event.ticket) {
            transitions.extend(standing.apply(event.ticket, event.at, event.kind, event.data));
            changed.insert(event.ticket);
        }
    }
    let changed: Vec<(i64, &Standing)> =
        standings.iter().filter(|(id, _)| changed.contains(*id)).map(|(id, s)| (*id, s)).collect();
    write(conn, backend, &changed, &transitions, &standings).await
}

/// The columns a ticket's facts start from, read from its row.
const OPENED_COLUMNS: &str = "ticket_id, application_id, repository_id, tool, rule_id, cwes, \
     severity, priority, owner, detected_at, triaged_at, is_open, due_at, paused";

/// Starts the facts of security tickets opened at `at`: open, detected
/// then, due as their row says (the due date the triage gave them).
async fn insert_opened(
    conn: &mut AnyConnection,
    backend: Backend,
    at: i64,
    tickets: &[i64],
) -> Result<(), StoreError> {
    for chunk in tickets.chunks(backend.max_params()) {
        let sql = format!(
            "INSERT INTO metric_tickets ({OPENED_COLUMNS}) \
             SELECT t.id, t.application_id, t.repository_id, t.tool, t.rule_id, t.cwes, \
             t.severity, t.priority, t.owner, {at}, NULL, 1, t.due_at, 0 FROM tickets t \
             WHERE t.ticket_type = 'vulnerability' AND t.id IN ({}) \
             ON CONFLICT (ticket_id) DO NOTHING",
            placeholders(backend, 1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

const STANDING_COLUMNS: &str = "ticket_id, detected_at, triaged_at, is_open, due_at, paused, \
     application_id, tool, severity, priority, owner";

/// The standings of `tickets` that have facts.
async fn load(
    conn: &mut AnyConnection,
    backend: Backend,
    tickets: &[i64],
) -> Result<HashMap<i64, Standing>, StoreError> {
    let mut out = HashMap::with_capacity(tickets.len());
    for chunk in tickets.chunks(backend.max_params()) {
        let sql = format!(
            "SELECT {STANDING_COLUMNS} FROM metric_tickets WHERE ticket_id IN ({})",
            placeholders(backend, 1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let (id, standing) = standing_row(&row)?;
            out.insert(id, standing);
        }
    }
    Ok(out)
}

fn standing_row(row: &AnyRow) -> Result<(i64, Standing), StoreError> {
    let standing = Standing {
        detected_at: row.try_get(1)?,
        triaged_at: row.try_get(2)?,
        open: row.try_get::<i64, _>(3)? == 1,
        due_at: row.try_get(4)?,
        paused: row.try_get::<i64, _>(5)? == 1,
        dims: Dims {
            application_id: row.try_get(6)?,
            tool: row.try_get(7)?,
            severity: row.try_get(8)?,
            priority: row.try_get(9)?,
            owner: row.try_get(10)?,
        },
    };
    Ok((row.try_get(0)?, standing))
}

/// Stores the `changed` standings and appends `transitions`, each with the
/// dimensions of its ticket's standing.
async fn write(
    conn: &mut AnyConnection,
    backend: Backend,
    changed: &[(i64, &Standing)],
    transitions: &[Transition],
    standings: &HashMap<i64, Standing>,
) -> Result<(), StoreError> {
    for_rows(
        conn,
        backend,
        (
            "UPDATE metric_tickets SET triaged_at = v.column2, is_open = v.column3, \
             due_at = v.column4, paused = v.column5 FROM (",
            ") AS v WHERE metric_tickets.ticket_id = v.column1",
        ),
        &binds(5),
        changed,
        |q, (id, s)| {
            q.bind(*id)
                .bind(s.triaged_at)
                .bind(i64::from(s.open))
                .bind(s.due_at)
                .bind(i64::from(s.paused))
        },
    )
    .await?;
    let rows: Vec<(&Transition, &Dims)> =
        transitions.iter().filter_map(|t| standings.get(&t.ticket).map(|s| (t, &s.dims))).collect();
    insert_transitions(conn, backend, &rows).await
}

/// Appends transitions, each with the dimensions of its ticket.
async fn insert_transitions(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &[(&Transition, &Dims)],
) -> Result<(), StoreError> {
    for_rows(
        conn,
        backend,
        (
            "INSERT INTO metric_transitions (ticket_id, at, step, detail, elapsed, due_at, \
             tally, application_id, tool, severity, priority, owner)",
            "",
        ),
        &binds(12),
        rows,
        |q, (t, d)| {
            q.bind(t.ticket)
                .bind(t.at)
                .bind(t.step)
                .bind(t.detail.as_str())
                .bind(t.elapsed)
                .bind(t.due_at)
                .bind(t.tally())
                .bind(d.application_id)
                .bind(d.tool.as_deref())
                .bind(d.severity)
                .bind(d.priority.as_deref())
                .bind(d.owner.as_deref())
        },
    )
    .await?;
    Ok(())
}

/// A security ticket written with its whole history at once (a seed): its
/// row's columns the facts copy, and its events in order.
pub(crate) struct Whole<'a> {
    pub repository_id: Option<i64>,
    pub rule_id: Option<&'a str>,
    pub cwes: String,
    pub dims: Dims,
    /// The due date on its row.
    pub due_at: Option<i64>,
    pub events: Vec<Event<'a>>,
}

/// Folds the facts of tickets written whole, in memory, as [`rebuild`]
/// folds them from the log: detected at the first `opened` event, due as
/// [`opening_due`] says, then each later event applied in order. A ticket
/// without an `opened` event has no facts, as in a rebuild.
pub(crate) async fn record_whole(
    conn: &mut AnyConnection,
    backend: Backend,
    tickets: &[Whole<'_>],
) -> Result<(), StoreError> {
    let mut standings = Vec::with_capacity(tickets.len());
    let mut transitions = Vec::new();
    for ticket in tickets {
        let Some(opened) = ticket.events.iter().find(|e| e.kind == "opened") else { continue };
        let mut standing = Standing {
            detected_at: opened.at,
            triaged_at: None,
            open: true,
            due_at: opening_due(&ticket.events, ticket.due_at),
            paused: false,
            dims: ticket.dims.clone(),
        };
        for event in ticket.events.iter().filter(|e| e.kind != "opened") {
            transitions.extend(standing.apply(event.ticket, event.at, event.kind, event.data));
        }
        standings.push((opened.ticket, ticket, standing));
    }
    for_rows(
        conn,
        backend,
        (&format!("INSERT INTO metric_tickets ({OPENED_COLUMNS})"), ""),
        &binds(14),
        &standings,
        |q, (id, t, s)| {
            q.bind(*id)
                .bind(s.dims.application_id)
                .bind(t.repository_id)
                .bind(s.dims.tool.as_deref())
                .bind(t.rule_id)
                .bind(t.cwes.as_str())
                .bind(s.dims.severity)
                .bind(s.dims.priority.as_deref())
                .bind(s.dims.owner.as_deref())
                .bind(s.detected_at)
                .bind(s.triaged_at)
                .bind(i64::from(s.open))
                .bind(s.due_at)
                .bind(i64::from(s.paused))
        },
    )
    .await?;
    let dims: HashMap<i64, &Dims> = standings.iter().map(|(id, _, s)| (*id, &s.dims)).collect();
    let rows: Vec<(&Transition, &Dims)> =
        transitions.iter().filter_map(|t| dims.get(&t.ticket).map(|d| (t, *d))).collect();
    insert_transitions(conn, backend, &rows).await
}

/// How many tickets a rebuild folds at a time.
const REBUILD_CHUNK: i64 = 2_000;

/// Recomputes every fact from the event log, in the caller's transaction;
/// returns the number of security tickets.
pub(crate) async fn rebuild(conn: &mut AnyConnection) -> Result<u64, StoreError> {
    let backend = backend_of(conn);
    sqlx::query("DELETE FROM metric_transitions").execute(&mut *conn).await?;
    sqlx::query("DELETE FROM metric_tickets").execute(&mut *conn).await?;
    // A ticket is detected when its first `opened` event was written.
    sqlx::query(&format!(
        "INSERT INTO metric_tickets ({OPENED_COLUMNS}) \
         SELECT t.id, t.application_id, t.repository_id, t.tool, t.rule_id, t.cwes, \
         t.severity, t.priority, t.owner, e.at, NULL, 1, t.due_at, 0 FROM tickets t \
         JOIN (SELECT ticket_id, MIN(at) AS at FROM ticket_events WHERE kind = 'opened' \
         GROUP BY ticket_id) e ON e.ticket_id = t.id \
         WHERE t.ticket_type = 'vulnerability'"
    ))
    .execute(&mut *conn)
    .await?;

    let mut tickets = 0;
    let mut after = 0_i64;
    loop {
        let ids: Vec<(i64,)> = sqlx::query_as(
            "SELECT ticket_id FROM metric_tickets WHERE ticket_id > $1 ORDER BY ticket_id LIMIT $2",
        )
        .bind(after)
        .bind(REBUILD_CHUNK)
        .fetch_all(&mut *conn)
        .await?;
        let (Some((first,)), Some((last,))) = (ids.first(), ids.last()) else {
            break;
        };
        fold_range(conn, backend, (*first, *last)).await?;
        tickets += ids.len() as u64;
        after = *last;
    }
    Ok(tickets)
}

/// Folds the events of the tickets whose ids lie in `range` (inclusive).
async fn fold_range(
    conn: &mut AnyConnection,
    backend: Backend,
    (first, last): (i64, i64),
) -> Result<(), StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {STANDING_COLUMNS} FROM metric_tickets WHERE ticket_id >= $1 AND ticket_id <= $2"
    ))
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?;
    let mut standings = HashMap::with_capacity(rows.len());
    for row in &rows {
        let (id, standing) = standing_row(row)?;
        standings.insert(id, standing);
    }

    let kinds: Vec<String> = KINDS.iter().map(|k| format!("'{k}'")).collect();
    let events: Vec<(i64, i64, String, String)> = sqlx::query_as(&format!(
        "SELECT ticket_id, at, kind, data FROM ticket_events \
         WHERE ticket_id >= $1 AND ticket_id <= $2 AND kind IN ({}) ORDER BY ticket_id, id",
        kinds.join(",")
    ))
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?;

    let mut transitions = Vec::new();
    for ticket in events.chunk_by(|a, b| a.0 == b.0) {
        let Some(id) = ticket.first().map(|e| e.0) else { continue };
        let Some(standing) = standings.get_mut(&id) else { continue };
        let ticket: Vec<Event> = ticket
            .iter()
            .map(|(ticket, at, kind, data)| Event { ticket: *ticket, at: *at, kind, data })
            .collect();
        standing.due_at = opening_due(&ticket, standing.due_at);
        for event in ticket.iter().filter(|e| e.kind != "opened") {
            transitions.extend(standing.apply(event.ticket, event.at, event.kind, event.data));
        }
    }
    let changed: Vec<(i64, &Standing)> = standings.iter().map(|(id, s)| (*id, s)).collect();
    write(conn, backend, &changed, &transitions, &standings).await
}

/// The due date a ticket opened with, from its events: the one its
/// `opened` event names (a ticket opened by hand), else the date its first
/// due-date change replaced, else `stored` (the ticket's due date now,
/// which no event changed).
///
/// An import's `opened` event names no due date, and `due_date_set` (a due
/// date a person gives with a move) does not name the one it replaced: for
/// an imported ticket whose first due-date change is such a move, the date
/// it opened with is not in its history, and `stored` stands in for it.
/// Fixing that means recording the due date in an import's `opened` events.
pub(crate) fn opening_due(events: &[Event<'_>], stored: Option<i64>) -> Option<i64> {
    let named = events.iter().find(|e| e.kind == "opened").and_then(|e| field(e.data, "due_at"));
    if let Some(value) = named {
        return timestamp(&value);
    }
    match events.iter().find(|e| e.kind == "due_date_changed" || e.kind == "due_date_set") {
        Some(e) if e.kind == "due_date_changed" => match field(e.data, "from") {
            Some(Value::Null) => None,
            Some(value) => timestamp(&value).or(stored),
            None => stored,
        },
        _ => stored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing() -> Standing {
        Standing {
            detected_at: 1_000,
            triaged_at: None,
            open: true,
            due_at: Some(10_000),
            paused: false,
            dims: Dims {
                application_id: Some(1),
                tool: Some("Semgrep".into()),
                severity: 4,
                priority: Some("high".into()),
                owner: None,
            },
        }
    }

    #[test]
    fn the_first_move_triages_and_a_dismissal_closes_at_once() {
        let mut s = standing();
        let out = s.apply(7, 4_000, "state_changed", r#"{"from":"new","to":"false_positive"}"#);
        let steps: Vec<(&str, &str, i64)> =
            out.iter().map(|t| (t.step, t.detail.as_str(), t.elapsed)).collect();
        assert_eq!(
            steps,
            [("triaged", "false_positive", 3_000), ("closed", "false_positive", 3_000)]
        );
        assert_eq!(out[1].due_at, Some(10_000));
        assert!(!s.open);
        // Only the first move is a triage; a closing of a closed ticket is none.
        assert!(s.apply(7, 5_000, "verified", "{}").is_empty());
        let out =
            s.apply(7, 6_000, "state_changed", r#"{"from":"false_positive","to":"reopened"}"#);
        assert_eq!(out.iter().map(|t| t.step).collect::<Vec<_>>(), ["reopened"]);
    }

    #[test]
    fn due_dates_and_pauses_follow_their_events() {
        let mut s = standing();
        s.apply(7, 2_000, "sla_paused", r#"{"reason":"vendor"}"#);
        assert!(s.paused);
        s.apply(7, 3_000, "due_date_changed", r#"{"from":null,"to":"1970-01-01T00:00:20Z"}"#);
        assert_eq!(s.due_at, Some(20_000));
        s.apply(7, 3_500, "due_date_set", r#"{"due_at":null}"#);
        assert_eq!(s.due_at, None);
        // An approved acceptance ends the pause with the closing.
        s.apply(7, 4_000, "state_changed", r#"{"to":"risk_accepted"}"#);
        assert!(!s.paused && !s.open);
        let out = s.apply(7, 9_000, "acceptance_expired", "{}");
        assert_eq!(out[0].detail, "expiry");
    }

    #[test]
    fn the_opening_due_date_comes_from_the_first_event_that_names_it() {
        let opened = Event { ticket: 1, at: 0, kind: "opened", data: r#"{"scan_id":3}"# };
        let changed = Event {
            ticket: 1,
            at: 5,
            kind: "due_date_changed",
            data: r#"{"from":"1970-01-01T00:00:01Z","to":"1970-01-01T00:00:02Z"}"#,
        };
        assert_eq!(opening_due(&[opened, changed], Some(2_000)), Some(1_000));
        assert_eq!(opening_due(&[opened], Some(2_000)), Some(2_000));
        let by_hand = Event { data: r#"{"due_at":"1970-01-01T00:00:03Z"}"#, ..opened };
        assert_eq!(opening_due(&[by_hand, changed], Some(2_000)), Some(3_000));
    }
}
