//! The SLA sweep: finds open tickets that turned due soon or breached their
//! due date since the last sweep, records each once per due date as an
//! event, and queues one notice per team and kind in the same transaction.

use std::collections::BTreeMap;

use fixgate_domain::notice::{MAX_LISTED, Notice, NoticeKind, NoticeTicket};
use fixgate_domain::{Severity, TicketState};
use jiff::Timestamp;
use serde_json::json;
use sqlx::Row;

use crate::rows::{from_millis, millis};
use crate::tickets::append_event;
use crate::{Store, StoreError};

/// What one sweep found, by ticket key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlaSweep {
    pub due_soon: Vec<String>,
    pub breached: Vec<String>,
}

impl Store {
    /// Records the tickets that are due soon or breached at `now` and were
    /// not yet told so for their current due date, and queues the notices.
    pub async fn sweep_sla(&self, now: Timestamp) -> Result<SlaSweep, StoreError> {
        let open: Vec<String> = TicketState::ALL
            .iter()
            .filter(|s| s.is_open())
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        let open = open.join(",");
        let mut tx = self.pool.begin().await?;
        let mut sweep = SlaSweep::default();
        let mut notices = Vec::new();
        for kind in [NoticeKind::Breached, NoticeKind::DueSoon] {
            let (condition, recorded, event) = match kind {
                NoticeKind::Breached => (
                    "t.due_at <= $1 AND (t.breached_due_at IS NULL OR t.breached_due_at <> t.due_at)",
                    // A breach also stands for the warning: none follows
                    // for the same due date.
                    "breached_due_at = due_at, warned_due_at = due_at",
                    "sla_breached",
                ),
                _ => (
                    "t.due_soon_at <= $1 AND t.due_at > $1 \
                     AND (t.warned_due_at IS NULL OR t.warned_due_at <> t.due_at)",
                    "warned_due_at = due_at",
                    "sla_due_soon",
                ),
            };
            let rows = sqlx::query(&format!(
                "SELECT t.id, t.ticket_key, t.title, t.severity, t.priority, t.owner, t.due_at, \
                 t.state, t.assignee FROM tickets t WHERE t.state IN ({open}) AND t.paused_at IS NULL \
                 AND t.due_at IS NOT NULL AND {condition} ORDER BY t.id"
            ))
            .bind(millis(now))
            .fetch_all(&mut *tx)
            .await?;
            let mut by_team: BTreeMap<Option<String>, Vec<NoticeTicket>> = BTreeMap::new();
            for row in &rows {
                let id: i64 = row.try_get(0)?;
                let due_at: i64 = row.try_get(6)?;
                // Each column is set once: PostgreSQL refuses an UPDATE that
                // assigns one column twice.
                sqlx::query(&format!("UPDATE tickets SET {recorded} WHERE id = $1"))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let data = json!({ "due_at": from_millis(due_at) });
                append_event(&mut tx, id, now, "fixgate", event, &data).await?;
                let ticket = NoticeTicket {
                    key: row.try_get(1)?,
                    title: row.try_get(2)?,
                    severity: Severity::from_rank(row.try_get(3)?)
                        .map_or_else(|| "unknown".into(), |s| s.as_str().to_string()),
                    priority: row.try_get(4)?,
                    owner: row.try_get(5)?,
                    due_at: Some(from_millis(due_at)),
                    state: row.try_get(7)?,
                    assignee: row.try_get(8)?,
                };
                match kind {
                    NoticeKind::Breached => sweep.breached.push(ticket.key.clone()),
                    _ => sweep.due_soon.push(ticket.key.clone()),
                }
                by_team.entry(ticket.owner.clone()).or_default().push(ticket);
            }
            for (team, tickets) in by_team {
                notices.push(sla_notice(kind, team, tickets, now));
            }
        }
        crate::notify::enqueue_in(&mut tx, &notices, now).await?;
        crate::chain::commit(tx).await?;
        Ok(sweep)
    }
}

/// One notice for a team's tickets of one kind.
fn sla_notice(
    kind: NoticeKind,
    team: Option<String>,
    mut tickets: Vec<NoticeTicket>,
    now: Timestamp,
) -> Notice {
    let total = tickets.len() as u64;
    let what = match kind {
        NoticeKind::Breached => "breached its due date",
        _ => "is due soon",
    };
    let summary = match tickets.as_slice() {
        [one] => format!(
            "{} {what} ({}, due {})",
            one.key,
            one.priority.as_deref().unwrap_or("no priority"),
            one.due_at.map_or_else(String::new, |d| d.strftime("%Y-%m-%d").to_string())
        ),
        _ => {
            let plural = match kind {
                NoticeKind::Breached => "breached their due dates",
                _ => "are due soon",
            };
            format!("{total} tickets {plural}")
        }
    };
    tickets.truncate(MAX_LISTED);
    Notice { kind, at: now, team, summary, tickets, total, actor: None, note: None }
}
