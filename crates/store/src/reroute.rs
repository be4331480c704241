//! Re-routing: when the rules that chose open tickets' teams change (a
//! repository's CODEOWNERS file is replaced, a triage policy is loaded),
//! the open tickets those rules decide are routed again.
//!
//! The caller reads what routes each open ticket ([`Store::route_candidates`]),
//! decides its team as an import would, and hands over the moves with the
//! new file ([`Store::save_and_reroute`]): the file, each moved ticket's
//! owner and `routed_by`, one `rerouted` event per moved ticket and one
//! Rerouted notice per receiving team commit in one transaction. Two
//! statements carry the moves and their events per few thousand tickets.
//!
//! A ticket whose owner a person set is never moved: its `routed_by` says
//! `set by <name>` (see [`owner_set_by_hand`]). A ticket a person gave to
//! a team or changed meanwhile (another owner than the caller read, or no
//! longer open) is left as it is. Tickets opened by hand that the policy
//! routed are routed again like the others, without a finding.

use fixgate_domain::notice::{Notice, NoticeKind};
use fixgate_domain::{FindingKind, Package, TicketState, TicketType};
use futures_util::TryStreamExt;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{AnyConnection, Row};

use crate::batch::{binds, for_rows};
use crate::notices::{TeamList, by_owner, channels_wanting};
use crate::notify::enqueue_to;
use crate::rows::{millis, parse_cwes};
use crate::{Backend, Store, StoreError};

/// How `routed_by` begins when a person set the owner: `set by dana`.
pub const SET_BY_HAND: &str = "set by ";

/// What routes an open ticket, read back from the ticket and the first of
/// its findings: what the router saw when the ticket was opened.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteCandidate {
    pub id: i64,
    pub key: String,
    pub ticket_type: TicketType,
    /// Empty for a ticket opened by hand without one.
    pub application: String,
    pub repository: Option<String>,
    pub path: Option<String>,
    pub cwes: Vec<u32>,
    /// The kind of its first finding; `None` for a ticket opened by hand.
    pub kind: Option<FindingKind>,
    /// The package's ecosystem as a purl type, for a package's finding.
    pub ecosystem: Option<String>,
    /// The owning team now.
    pub owner: Option<String>,
}

/// Which open tickets a change of rules may move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RerouteScope<'a> {
    /// The tickets of the repository with this URL, as scans name it.
    Repository(&'a str),
    /// Every open ticket.
    All,
}

/// A ticket to move to another team, and the rule that says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reroute {
    #[serde(skip)]
    pub ticket: i64,
    pub key: String,
    pub from: Option<String>,
    pub to: String,
    pub rule: String,
}

/// The rules file whose change moves tickets, stored in the transaction
/// that moves them.
#[derive(Debug, Clone, Copy)]
pub enum RoutingFile<'a> {
    Codeowners { repository: &'a str, content: &'a str },
    TriagePolicy { content: &'a str },
}

impl RoutingFile<'_> {
    /// Why tickets moved, as their events and notices say it.
    fn cause(&self) -> String {
        match self {
            RoutingFile::Codeowners { repository, .. } => {
                format!("the CODEOWNERS file of {repository} was replaced")
            }
            RoutingFile::TriagePolicy { .. } => "a triage policy was loaded".to_string(),
        }
    }
}

/// The part of a finding's details that routes it.
#[derive(Deserialize)]
struct RoutingDetails {
    package: Option<Package>,
    secret: Option<serde::de::IgnoredAny>,
    location: Option<PathOnly>,
}

#[derive(Deserialize)]
struct PathOnly {
    path: Option<String>,
}

impl Store {
    /// The open tickets in `scope` whose owner no person set, with what
    /// routes each, by id.
    pub async fn route_candidates(
        &self,
        scope: RerouteScope<'_>,
    ) -> Result<Vec<RouteCandidate>, StoreError> {
        let repository = match scope {
            RerouteScope::Repository(_) => "AND r.url = $1",
            RerouteScope::All => "",
        };
        let sql = format!(
            "SELECT t.id, t.ticket_key, COALESCE(a.name, ''), r.url, t.path, t.cwes, t.owner, \
             f.details, t.ticket_type FROM tickets t \
             LEFT JOIN applications a ON a.id = t.application_id \
             LEFT JOIN repositories r ON r.id = t.repository_id \
             LEFT JOIN findings f ON f.id = \
             (SELECT MIN(first.id) FROM findings first WHERE first.ticket_id = t.id) \
             WHERE t.state IN ({}) AND {} {repository} ORDER BY t.id",
            open_states(),
            routed_by_rule("t")
        );
        let mut query = sqlx::query(&sql);
        if let RerouteScope::Repository(url) = scope {
            query = query.bind(url);
        }
        // Streamed: only what routes a ticket is kept, not its details.
        let mut rows = query.fetch(&self.pool);
        let mut candidates = Vec::new();
        while let Some(row) = rows.try_next().await? {
            candidates.push(candidate(&row)?);
        }
        Ok(candidates)
    }

    /// Stores `file` and moves the tickets `moves` name to their new teams,
    /// in one transaction, with a `rerouted` event on each ticket moved
    /// and one Rerouted notice per receiving team. A ticket that is no
    /// longer open, whose owner is no longer `from`, or whose owner a
    /// person set meanwhile, stays. Returns the moves made.
    pub async fn save_and_reroute(
        &self,
        file: RoutingFile<'_>,
        moves: &[Reroute],
        actor: &str,
        now: Timestamp,
    ) -> Result<Vec<Reroute>, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Written first: on SQLite the transaction holds the write lock
        // from here on.
        match file {
            RoutingFile::Codeowners { repository, content } => {
                crate::codeowners::save_codeowners(&mut tx, repository, content, actor, now)
                    .await?;
            }
            RoutingFile::TriagePolicy { content } => {
                crate::triage::save_triage_policy(&mut tx, content, actor, now).await?;
            }
        }
        let moved = move_tickets(&mut tx, self.backend, moves, now).await?;
        let cause = file.cause();
        let events: Vec<(i64, String)> = moved
            .iter()
            .map(|m| {
                let data = json!({ "from": m.from, "to": m.to, "rule": m.rule, "cause": cause });
                (m.ticket, data.to_string())
            })
            .collect();
        for_rows(
            &mut tx,
            self.backend,
            ("INSERT INTO ticket_events (ticket_id, at, actor, kind, data)", ""),
            &format!("?,{},?,'rerouted',?", millis(now)),
            &events,
            |q, (ticket, data)| q.bind(*ticket).bind(actor.to_string()).bind(data.as_str()),
        )
        .await?;
        rerouted_notices(&mut tx, self.backend, &moved, (actor, &cause), now).await?;
        crate::chain::commit(tx).await?;
        Ok(moved)
    }
}

/// `'new','triaged',…`: the open states, as SQL literals.
fn open_states() -> String {
    let open: Vec<String> = TicketState::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    open.join(",")
}

/// The condition that a rule, not a person, chose the owner of `table`'s
/// ticket.
fn routed_by_rule(table: &str) -> String {
    format!("({table}.routed_by IS NULL OR {table}.routed_by NOT LIKE '{SET_BY_HAND}%')")
}

fn candidate(row: &sqlx::any::AnyRow) -> Result<RouteCandidate, StoreError> {
    let id: i64 = row.try_get(0)?;
    let details = match row.try_get::<Option<String>, _>(7)? {
        Some(details) => Some(serde_json::from_str::<RoutingDetails>(&details).map_err(|err| {
            StoreError::Invalid(format!("the first finding of ticket {id} cannot be read: {err}"))
        })?),
        None => None,
    };
    let ticket_type: String = row.try_get(8)?;
    let ticket_type = ticket_type.parse().map_err(|_| {
        StoreError::Invalid(format!("ticket {id} has an unknown type {ticket_type:?}"))
    })?;
    let kind = details.as_ref().map(|d| {
        let path = d.location.as_ref().is_some_and(|l| l.path.is_some());
        FindingKind::from_parts(d.package.is_some(), d.secret.is_some(), path)
    });
    let ecosystem = details.as_ref().and_then(|d| d.package.as_ref()?.purl_type());
    Ok(RouteCandidate {
        id,
        key: row.try_get(1)?,
        ticket_type,
        application: row.try_get(2)?,
        repository: row.try_get(3)?,
        path: row.try_get(4)?,
        cwes: parse_cwes(&row.try_get::<String, _>(5)?),
        kind,
        ecosystem: ecosystem.map(str::to_string),
        owner: row.try_get(6)?,
    })
}

/// Moves the tickets whose state, owner and routing are still as the
/// caller read them; returns those moved.
async fn move_tickets(
    conn: &mut AnyConnection,
    backend: Backend,
    moves: &[Reroute],
    now: Timestamp,
) -> Result<Vec<Reroute>, StoreError> {
    let head = format!(
        "UPDATE tickets SET owner = v.column2, routed_by = v.column3, updated_at = {} FROM (",
        millis(now)
    );
    let tail = format!(
        ") AS v WHERE tickets.id = v.column1 AND tickets.owner IS NOT DISTINCT FROM v.column4 \
         AND tickets.state IN ({}) AND {} RETURNING tickets.id",
        open_states(),
        routed_by_rule("tickets")
    );
    let rows = for_rows(conn, backend, (&head, &tail), &binds(4), moves, |q, m| {
        q.bind(m.ticket).bind(m.to.as_str()).bind(m.rule.as_str()).bind(m.from.as_deref())
    })
    .await?;
    let mut moved_ids = Vec::with_capacity(rows.len());
    for row in rows {
        moved_ids.push(row.try_get::<i64, _>(0)?);
    }
    moved_ids.sort_unstable();
    Ok(moves.iter().filter(|m| moved_ids.binary_search(&m.ticket).is_ok()).cloned().collect())
}

/// One Rerouted notice per receiving team, listing its new tickets.
async fn rerouted_notices(
    conn: &mut AnyConnection,
    backend: Backend,
    moved: &[Reroute],
    (actor, cause): (&str, &str),
    now: Timestamp,
) -> Result<u64, StoreError> {
    if moved.is_empty() {
        return Ok(0);
    }
    let Some(channels) = channels_wanting(conn, NoticeKind::Rerouted).await? else {
        return Ok(0);
    };
    // The moves are made: each ticket's owner is its receiving team.
    let ids: Vec<i64> = moved.iter().map(|m| m.ticket).collect();
    let notices: Vec<Notice> = by_owner(conn, backend, &ids)
        .await?
        .into_iter()
        .map(|TeamList { team, total, tickets }| {
            let to = team.as_deref().unwrap_or("no team");
            let summary = match tickets.as_slice() {
                [one] => {
                    let m = moved.iter().find(|m| m.key == one.key);
                    format!(
                        "{} rerouted from {} to {to} ({}): {cause}",
                        one.key,
                        m.and_then(|m| m.from.as_deref()).unwrap_or("no team"),
                        m.map_or("", |m| m.rule.as_str())
                    )
                }
                _ => format!("{total} tickets rerouted to {to}: {cause}"),
            };
            Notice {
                kind: NoticeKind::Rerouted,
                at: now,
                team,
                summary,
                tickets,
                total,
                actor: Some(actor.to_string()),
                note: None,
            }
        })
        .collect();
    enqueue_to(conn, &channels, &notices, now).await
}

/// Records that a person set ticket `id`'s owner: re-routing leaves it to
/// them from now on.
pub(crate) async fn owner_set_by_hand(
    conn: &mut AnyConnection,
    id: i64,
    actor: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE tickets SET routed_by = $1 WHERE id = $2")
        .bind(format!("{SET_BY_HAND}{actor}"))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
