//! Risk acceptances: a person asks for one with a justification and an
//! expiry, another person approves or rejects it, and on expiry the ticket
//! reopens. Every step is an event on the ticket.

use fixgate_domain::TicketState;
use fixgate_domain::notice::{Notice, NoticeKind, NoticeTicket};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;
use sqlx::{AnyConnection, Row};

use crate::rows::{from_millis, millis};
use crate::tickets::{append_event, ticket_id};
use crate::{Store, StoreError};

/// A request to accept a ticket's risk and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskRequest {
    pub id: i64,
    pub requested_by: String,
    pub requested_at: Timestamp,
    pub reason: String,
    pub expires_at: Timestamp,
    /// `pending`, `approved`, `rejected` or `withdrawn`.
    pub outcome: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub note: Option<String>,
}

/// What a decision on a pending request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskVerdict {
    Approve,
    Reject,
    /// The requester takes the request back.
    Withdraw,
}

impl RiskVerdict {
    fn outcome(self) -> &'static str {
        match self {
            RiskVerdict::Approve => "approved",
            RiskVerdict::Reject => "rejected",
            RiskVerdict::Withdraw => "withdrawn",
        }
    }
}

/// A ticket whose risk acceptance lapsed and which was reopened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lapsed {
    pub ticket_id: i64,
    pub key: String,
    pub owner: Option<String>,
    pub expired_at: Timestamp,
    pub title: String,
    pub severity: String,
    pub priority: Option<String>,
    pub assignee: Option<String>,
}

/// A pending request, with the ticket it is about, as a queue shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAcceptance {
    pub key: String,
    pub title: String,
    pub severity: fixgate_domain::Severity,
    pub requested_by: String,
    pub requested_at: Timestamp,
    pub reason: String,
    pub expires_at: Timestamp,
}

const REQUEST_COLUMNS: &str = "id, requested_by, requested_at, reason, expires_at, outcome, \
     decided_by, decided_at, note";

impl Store {
    /// Records a request to accept the risk of ticket `key`. A ticket has at
    /// most one pending request, and only an open ticket can have one.
    pub async fn request_acceptance(
        &self,
        key: &str,
        reason: &str,
        expires_at: Timestamp,
        actor: &str,
        now: Timestamp,
    ) -> Result<RiskRequest, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = ticket_id(&mut tx, key).await?;
        let state: String = sqlx::query("SELECT state FROM tickets WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if !state.parse::<TicketState>().is_ok_and(TicketState::is_open) {
            return Err(StoreError::Conflict(format!(
                "ticket {key} is {state}; only an open ticket's risk can be accepted"
            )));
        }
        if let Some(pending) = pending_request(&mut tx, id).await? {
            return Err(StoreError::Conflict(format!(
                "ticket {key} already has a pending risk acceptance request by {}; approve, \
                 reject or withdraw it first",
                pending.requested_by
            )));
        }
        let row = sqlx::query(&format!(
            "INSERT INTO risk_requests (ticket_id, requested_by, requested_at, reason, \
             expires_at, outcome) VALUES ($1, $2, $3, $4, $5, 'pending') \
             RETURNING {REQUEST_COLUMNS}"
        ))
        .bind(id)
        .bind(actor)
        .bind(millis(now))
        .bind(reason)
        .bind(millis(expires_at))
        .fetch_one(&mut *tx)
        .await?;
        let request = request_row(&row)?;
        let data = json!({ "request": request.id, "reason": reason, "expires_at": expires_at });
        append_event(&mut tx, id, now, actor, "acceptance_requested", &data).await?;
        crate::notices::acceptance_requested(&mut tx, self.backend, id, &request, now).await?;
        crate::chain::commit(tx).await?;
        Ok(request)
    }

    /// The pending requests on tickets `visibility` sees, oldest first, at
    /// most `limit` of them, and how many there are.
    pub async fn pending_acceptances(
        &self,
        visibility: &crate::Visibility,
        limit: u32,
    ) -> Result<(u64, Vec<PendingAcceptance>), StoreError> {
        let (condition, params) = visibility
            .condition("t.application_id", 1)
            .map(|(condition, params)| (format!("AND {condition}"), params))
            .unwrap_or_default();
        let from = format!(
            "FROM risk_requests q JOIN tickets t ON t.id = q.ticket_id \
             WHERE q.outcome = 'pending' {condition}"
        );
        let count_sql = format!("SELECT COUNT(*) {from}");
        let total: i64 = crate::tickets::bind_all(sqlx::query(&count_sql), &params)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let sql = format!(
            "SELECT t.ticket_key, t.title, t.severity, q.requested_by, q.requested_at, q.reason, \
             q.expires_at {from} ORDER BY q.requested_at, q.id LIMIT {}",
            limit.clamp(1, 1000)
        );
        let rows =
            crate::tickets::bind_all(sqlx::query(&sql), &params).fetch_all(&self.pool).await?;
        let mut pending = Vec::with_capacity(rows.len());
        for row in rows {
            let severity: i64 = row.try_get(2)?;
            pending.push(PendingAcceptance {
                key: row.try_get(0)?,
                title: row.try_get(1)?,
                severity: fixgate_domain::Severity::from_rank(severity).ok_or_else(|| {
                    StoreError::Invalid(format!("stored ticket has an unknown severity {severity}"))
                })?,
                requested_by: row.try_get(3)?,
                requested_at: from_millis(row.try_get(4)?),
                reason: row.try_get(5)?,
                expires_at: from_millis(row.try_get(6)?),
            });
        }
        Ok((total.max(0) as u64, pending))
    }

    /// The pending request on ticket `key`, if any.
    pub async fn pending_acceptance(&self, key: &str) -> Result<Option<RiskRequest>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let id = ticket_id(&mut conn, key).await?;
        pending_request(&mut conn, id).await
    }

    /// Every request ever made on ticket `id`, oldest first.
    pub async fn acceptance_requests(&self, id: i64) -> Result<Vec<RiskRequest>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {REQUEST_COLUMNS} FROM risk_requests WHERE ticket_id = $1 ORDER BY id"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(request_row).collect()
    }

    /// Settles the pending request on ticket `key`. Approving moves the
    /// ticket to risk accepted with the request's reason and expiry, the
    /// requester and the approver; the caller has checked that the approver
    /// is not the requester.
    pub async fn decide_acceptance(
        &self,
        key: &str,
        verdict: RiskVerdict,
        note: Option<&str>,
        actor: &str,
        now: Timestamp,
    ) -> Result<RiskRequest, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = ticket_id(&mut tx, key).await?;
        let Some(request) = pending_request(&mut tx, id).await? else {
            return Err(StoreError::NotFound(format!(
                "a pending risk acceptance request on ticket {key}"
            )));
        };
        let settled = sqlx::query(&format!(
            "UPDATE risk_requests SET outcome = $1, decided_by = $2, decided_at = $3, note = $4 \
             WHERE id = $5 AND outcome = 'pending' RETURNING {REQUEST_COLUMNS}"
        ))
        .bind(verdict.outcome())
        .bind(actor)
        .bind(millis(now))
        .bind(note)
        .bind(request.id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| {
            StoreError::Conflict(format!("the request on ticket {key} was settled meanwhile"))
        })?;
        let settled = request_row(&settled)?;
        if verdict == RiskVerdict::Approve {
            let moved = sqlx::query(
                "UPDATE tickets SET state = 'risk_accepted', decision_reason = $1, \
                 decision_approver = $2, decision_expires_at = $3, decision_requested_by = $4, \
                 paused_at = NULL, updated_at = $5, status = NULL \
                 WHERE id = $6 AND state IN ('new', 'triaged', 'in_progress', 'fixed', \
                 'reopened', 'waiting_on_vendor') RETURNING state",
            )
            .bind(&request.reason)
            .bind(actor)
            .bind(millis(request.expires_at))
            .bind(&request.requested_by)
            .bind(millis(now))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            if moved.is_none() {
                return Err(StoreError::Conflict(format!(
                    "ticket {key} is no longer open; its risk cannot be accepted"
                )));
            }
            end_pause(&mut tx, id, now).await?;
        }
        let kind = match verdict {
            RiskVerdict::Approve => "acceptance_approved",
            RiskVerdict::Reject => "acceptance_rejected",
            RiskVerdict::Withdraw => "acceptance_withdrawn",
        };
        let data = json!({
            "request": request.id,
            "requested_by": request.requested_by,
            "reason": request.reason,
            "expires_at": request.expires_at,
            "note": note,
        });
        append_event(&mut tx, id, now, actor, kind, &data).await?;
        if verdict == RiskVerdict::Approve {
            let data = json!({
                "to": TicketState::RiskAccepted,
                "reason": request.reason,
                "approver": actor,
                "requested_by": request.requested_by,
                "expires_at": request.expires_at,
            });
            append_event(&mut tx, id, now, actor, "state_changed", &data).await?;
        }
        if verdict != RiskVerdict::Withdraw {
            crate::notices::acceptance_decided(&mut tx, self.backend, id, &settled, now).await?;
        }
        crate::chain::commit(tx).await?;
        Ok(settled)
    }

    /// Reopens every ticket whose risk acceptance expired by `now`, with an
    /// `acceptance_expired` event; returns them.
    pub async fn expire_acceptances(&self, now: Timestamp) -> Result<Vec<Lapsed>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(
            "SELECT id, ticket_key, owner, decision_expires_at, decision_reason, \
             decision_approver, decision_requested_by, title, severity, priority, assignee \
             FROM tickets \
             WHERE state = 'risk_accepted' AND decision_expires_at IS NOT NULL \
             AND decision_expires_at <= $1 ORDER BY id",
        )
        .bind(millis(now))
        .fetch_all(&mut *tx)
        .await?;
        let mut lapsed = Vec::with_capacity(rows.len());
        for row in &rows {
            let ticket = Lapsed {
                ticket_id: row.try_get(0)?,
                key: row.try_get(1)?,
                owner: row.try_get(2)?,
                expired_at: from_millis(row.try_get(3)?),
                title: row.try_get(7)?,
                severity: fixgate_domain::Severity::from_rank(row.try_get(8)?)
                    .map_or_else(|| "unknown".into(), |s| s.as_str().to_string()),
                priority: row.try_get(9)?,
                assignee: row.try_get(10)?,
            };
            // As when a scan finds an acceptance lapsed: the decision goes,
            // its words stay in the event.
            sqlx::query(
                "UPDATE tickets SET state = 'reopened', decision_reason = NULL, \
                 decision_approver = NULL, decision_expires_at = NULL, \
                 decision_requested_by = NULL, updated_at = $1, status = NULL \
                 WHERE id = $2 AND state = 'risk_accepted'",
            )
            .bind(millis(now))
            .bind(ticket.ticket_id)
            .execute(&mut *tx)
            .await?;
            let data = json!({
                "from": TicketState::RiskAccepted,
                "to": TicketState::Reopened,
                "expired_at": ticket.expired_at,
                "reason": row.try_get::<Option<String>, _>(4)?,
                "approver": row.try_get::<Option<String>, _>(5)?,
                "requested_by": row.try_get::<Option<String>, _>(6)?,
            });
            append_event(&mut tx, ticket.ticket_id, now, "fixgate", "acceptance_expired", &data)
                .await?;
            lapsed.push(ticket);
        }
        let notices: Vec<Notice> = lapsed
            .iter()
            .map(|t| Notice {
                kind: NoticeKind::AcceptanceExpired,
                at: now,
                team: t.owner.clone(),
                summary: format!("{}: the risk acceptance expired; the ticket reopened", t.key),
                tickets: vec![NoticeTicket {
                    key: t.key.clone(),
                    title: t.title.clone(),
                    severity: t.severity.clone(),
                    priority: t.priority.clone(),
                    owner: t.owner.clone(),
                    due_at: None,
                    state: TicketState::Reopened.as_str().into(),
                    assignee: t.assignee.clone(),
                }],
                total: 1,
                actor: None,
                note: None,
            })
            .collect();
        crate::notify::enqueue_in(&mut tx, &notices, now).await?;
        crate::chain::commit(tx).await?;
        lapsed.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(lapsed)
    }
}

async fn pending_request(
    conn: &mut AnyConnection,
    ticket: i64,
) -> Result<Option<RiskRequest>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {REQUEST_COLUMNS} FROM risk_requests WHERE ticket_id = $1 AND outcome = 'pending'"
    ))
    .bind(ticket)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(request_row).transpose()
}

/// Closes the ticket's open pause, if it has one.
pub(crate) async fn end_pause(
    conn: &mut AnyConnection,
    ticket: i64,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE ticket_pauses SET ended_at = $1 WHERE ticket_id = $2 AND ended_at IS NULL")
        .bind(millis(now))
        .bind(ticket)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn request_row(row: &sqlx::any::AnyRow) -> Result<RiskRequest, StoreError> {
    Ok(RiskRequest {
        id: row.try_get(0)?,
        requested_by: row.try_get(1)?,
        requested_at: from_millis(row.try_get(2)?),
        reason: row.try_get(3)?,
        expires_at: from_millis(row.try_get(4)?),
        outcome: row.try_get(5)?,
        decided_by: row.try_get(6)?,
        decided_at: row.try_get::<Option<i64>, _>(7)?.map(from_millis),
        note: row.try_get(8)?,
    })
}
