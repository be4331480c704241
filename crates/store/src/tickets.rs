//! Reading tickets (lists with filters, one ticket with its findings and
//! history) and changing them by hand. Every change appends to the ticket's
//! event log in the same transaction.

use std::collections::HashMap;

use fixgate_domain::triage::SlaStatus;
use fixgate_domain::{Severity, TicketState, TicketType};
use jiff::Timestamp;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::details;
use crate::import::{allocate_numbers, upsert_application, upsert_repository};
use crate::notices::Given;
use crate::reroute::SET_BY_HAND;
use crate::rows::{
    EventRow, FindingRow, NewTicket, Page, PauseRow, ScanChange, SightingRow, StateChange,
    TicketDetail, TicketFilter, TicketOrder, TicketRow, TriageDetail, advisories_column,
    from_millis, millis, parse_advisories, parse_cwes,
};
use crate::{Backend, Store, StoreError};

pub(crate) const TICKET_COLUMNS: &str = "t.id, t.ticket_key, t.ticket_type, t.state, \
     t.severity, t.title, a.name, r.url, t.branch, t.commit_sha, t.tool, t.rule_id, t.path, \
     t.cwes, t.advisories, t.owner, t.due_at, t.present, t.created_at, t.updated_at, t.assignee, \
     t.priority, t.due_soon_at, t.paused_at, t.routed_by, t.status";

/// How many columns [`TICKET_COLUMNS`] names.
const TICKET_COLUMN_COUNT: usize = 26;

pub(crate) const TICKET_FROM: &str = "FROM tickets t \
     LEFT JOIN applications a ON a.id = t.application_id \
     LEFT JOIN repositories r ON r.id = t.repository_id";

/// A bind value of a dynamically built query.
pub(crate) enum Param {
    Int(i64),
    Text(String),
}

impl Store {
    /// One page of tickets matching `filter`, in the filter's order.
    pub async fn list_tickets(&self, filter: &TicketFilter) -> Result<Page<TicketRow>, StoreError> {
        let (conditions, params) = where_clause(filter);
        let count_sql = format!("SELECT COUNT(*) {FILTER_FROM} {conditions}");
        let total: i64 =
            bind_all(sqlx::query(&count_sql), &params).fetch_one(&self.pool).await?.try_get(0)?;
        let items = self.first_tickets(filter).await?;
        Ok(Page {
            total: total as u64,
            page: filter.page.max(1),
            limit: filter.limit.clamp(1, 1000),
            items,
        })
    }

    /// The page of tickets `filter` asks for, without counting the rest.
    pub async fn first_tickets(&self, filter: &TicketFilter) -> Result<Vec<TicketRow>, StoreError> {
        let limit = i64::from(filter.limit.clamp(1, 1000));
        let offset = i64::from(filter.page.max(1) - 1) * limit;
        let mut items = match filter.order {
            TicketOrder::Severity => {
                // A team's tickets are one range of the team's index, read
                // whole and sorted: on PostgreSQL the plain order makes the
                // planner walk the list order instead, throwing away every
                // other team's rows (77 ms against 3 ms for a team's open
                // high and critical tickets among a million).
                let order = if self.backend == Backend::Postgres && filter.owner.is_some() {
                    "t.severity + 0 DESC, t.id DESC"
                } else {
                    "t.severity DESC, t.id DESC"
                };
                self.ordered(filter, "", order, limit, offset).await?
            }
            TicketOrder::Urgency => self.most_urgent(filter, limit, offset).await?,
        };
        self.attach_labels(&mut items).await?;
        Ok(items)
    }

    /// Tickets with a due date first, the earliest first, then those
    /// without one; the most severe first within each. Read in two parts
    /// (the backends sort NULL apart), each in the order of the board's
    /// index, so a page costs its own rows, not a sort of every match.
    async fn most_urgent(
        &self,
        filter: &TicketFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<TicketRow>, StoreError> {
        let dated = "t.due_at IS NOT NULL";
        let order = "t.due_at, t.severity DESC, t.id DESC";
        let mut items = self.ordered(filter, dated, order, limit, offset).await?;
        let rest = limit - items.len() as i64;
        if rest <= 0 {
            return Ok(items);
        }
        // Past the dated ones: how far past decides the undated offset.
        let skipped = if offset == 0 || !items.is_empty() {
            offset + items.len() as i64
        } else {
            self.count_where(filter, dated).await?
        };
        let undated_offset = (offset - skipped).max(0);
        let order = "t.severity DESC, t.id DESC";
        let undated = self.ordered(filter, "t.due_at IS NULL", order, rest, undated_offset).await?;
        items.extend(undated);
        Ok(items)
    }

    /// Tickets matching `filter` and `extra` (SQL on `t`, or empty), in
    /// `order`.
    async fn ordered(
        &self,
        filter: &TicketFilter,
        extra: &str,
        order: &str,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<TicketRow>, StoreError> {
        let (conditions, params) = where_clause(filter);
        let conditions = and(conditions, extra);
        let n = params.len();
        // The page's ids first, then their rows: the ids often come from an
        // index alone (PostgreSQL otherwise walks the list order reading
        // rows the filter throws away).
        let list_sql = format!(
            "SELECT {TICKET_COLUMNS} {TICKET_FROM} WHERE t.id IN (SELECT t.id {FILTER_FROM} \
             {conditions} ORDER BY {order} LIMIT ${} OFFSET ${}) ORDER BY {order}",
            n + 1,
            n + 2
        );
        let rows = bind_all(sqlx::query(&list_sql), &params)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(ticket_row).collect()
    }

    async fn count_where(&self, filter: &TicketFilter, extra: &str) -> Result<i64, StoreError> {
        let (conditions, params) = where_clause(filter);
        let sql = format!("SELECT COUNT(*) {FILTER_FROM} {}", and(conditions, extra));
        Ok(bind_all(sqlx::query(&sql), &params).fetch_one(&self.pool).await?.try_get(0)?)
    }

    /// How many tickets match `filter` in each state; states without any
    /// are left out.
    pub async fn count_by_state(
        &self,
        filter: &TicketFilter,
    ) -> Result<Vec<(TicketState, u64)>, StoreError> {
        let (conditions, params) = where_clause(filter);
        let from = FILTER_FROM;
        let sql = format!("SELECT t.state, COUNT(*) {from} {conditions} GROUP BY t.state");
        let rows = bind_all(sqlx::query(&sql), &params).fetch_all(&self.pool).await?;
        let mut counts = Vec::with_capacity(rows.len());
        for row in rows {
            let state: String = row.try_get(0)?;
            let state = state.parse::<TicketState>().map_err(|_| {
                StoreError::Invalid(format!("stored ticket has an unknown state {state:?}"))
            })?;
            counts.push((state, row.try_get::<i64, _>(1)?.max(0) as u64));
        }
        Ok(counts)
    }

    /// The ticket with `key`, its findings with their sightings, and its
    /// history.
    pub async fn ticket(&self, key: &str) -> Result<TicketDetail, StoreError> {
        let sql =
            format!("SELECT {TICKET_COLUMNS}, t.description {TICKET_FROM} WHERE t.ticket_key = $1");
        let row = sqlx::query(&sql)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("ticket {key}")))?;
        let mut ticket = ticket_row(&row)?;
        let description: String = row.try_get(TICKET_COLUMN_COUNT)?;
        self.attach_labels(std::slice::from_mut(&mut ticket)).await?;
        let findings = self.ticket_findings(ticket.id).await?;
        let events = self.ticket_events(ticket.id).await?;
        let triage_row = sqlx::query(
            "SELECT closed_by_scan_id, CAST(reopen_count AS BIGINT), priority_reason, \
             CAST(kev AS BIGINT), epss, sla_started_at FROM tickets WHERE id = $1",
        )
        .bind(ticket.id)
        .fetch_one(&self.pool)
        .await?;
        let closing: (Option<i64>, i64) = (triage_row.try_get(0)?, triage_row.try_get(1)?);
        let pauses = sqlx::query_as::<_, (i64, Option<i64>, String)>(
            "SELECT started_at, ended_at, reason FROM ticket_pauses WHERE ticket_id = $1 \
             ORDER BY id",
        )
        .bind(ticket.id)
        .fetch_all(&self.pool)
        .await?;
        let triage = TriageDetail {
            priority_reason: triage_row.try_get(2)?,
            kev: triage_row.try_get::<i64, _>(3)? == 1,
            epss: triage_row.try_get(4)?,
            sla_started_at: triage_row.try_get::<Option<i64>, _>(5)?.map(from_millis),
            pauses: pauses
                .into_iter()
                .map(|(start, end, reason)| PauseRow {
                    started_at: from_millis(start),
                    ended_at: end.map(from_millis),
                    reason,
                })
                .collect(),
        };
        Ok(TicketDetail {
            triage,
            tools: TicketDetail::tools_of(&findings),
            closed_by_scan_id: closing.0,
            reopen_count: closing.1,
            watchers: self.watchers_of(&[ticket.id]).await?.into_iter().map(|w| w.name).collect(),
            links: self.links_of(ticket.id).await?,
            ticket,
            description,
            findings,
            events,
        })
    }

    async fn ticket_findings(&self, ticket: i64) -> Result<Vec<FindingRow>, StoreError> {
        let sql = format!(
            "SELECT f.id, s.commit_sha, r.url, {}, f.matched_by FROM findings f \
             LEFT JOIN scans s ON s.id = f.last_scan_id \
             LEFT JOIN repositories r ON r.id = f.repository_id \
             WHERE f.ticket_id = $1 ORDER BY f.id",
            details::COLUMNS
        );
        let rows = sqlx::query(&sql).bind(ticket).fetch_all(&self.pool).await?;
        let mut sightings = self.ticket_sightings(ticket).await?;
        let mut findings = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get(0)?;
            let finding = details::from_row(row, 3, id)?;
            let same_secret_in = match &finding.secret {
                Some(secret) => self.tickets_with_secret(&secret.hash, ticket).await?,
                None => Vec::new(),
            };
            findings.push(FindingRow {
                id,
                fingerprint: finding.fingerprint.as_str().to_string(),
                commit: row.try_get(1)?,
                repository: row.try_get(2)?,
                finding,
                sightings: sightings.remove(&id).unwrap_or_default(),
                same_secret_in,
                matched_by: row.try_get(9)?,
            });
        }
        Ok(findings)
    }

    /// The other tickets whose findings leaked the secret with this keyed
    /// hash, by key.
    async fn tickets_with_secret(
        &self,
        hash: &str,
        except: i64,
    ) -> Result<Vec<String>, StoreError> {
        let keys: Vec<(String,)> = sqlx::query_as(
            "SELECT DISTINCT t.ticket_key FROM findings f JOIN tickets t ON t.id = f.ticket_id \
             WHERE f.secret_hash = $1 AND f.ticket_id <> $2 ORDER BY t.ticket_key LIMIT 50",
        )
        .bind(hash)
        .bind(except)
        .fetch_all(&self.pool)
        .await?;
        Ok(keys.into_iter().map(|(key,)| key).collect())
    }

    async fn ticket_sightings(
        &self,
        ticket: i64,
    ) -> Result<HashMap<i64, Vec<SightingRow>>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.finding_id, sc.branch, sc.tool, sc.category, s.first_scan_id, \
             s.last_scan_id, s.first_seen_at, s.last_seen_at, s.times_seen, s.present \
             FROM sightings s JOIN scopes sc ON sc.id = s.scope_id \
             JOIN findings f ON f.id = s.finding_id WHERE f.ticket_id = $1 ORDER BY s.id",
        )
        .bind(ticket)
        .fetch_all(&self.pool)
        .await?;
        let mut out: HashMap<i64, Vec<SightingRow>> = HashMap::new();
        for row in rows {
            let sighting = SightingRow {
                branch: row.try_get(1)?,
                tool: row.try_get(2)?,
                category: row.try_get(3)?,
                first_scan_id: row.try_get(4)?,
                last_scan_id: row.try_get(5)?,
                first_seen_at: from_millis(row.try_get(6)?),
                last_seen_at: from_millis(row.try_get(7)?),
                times_seen: row.try_get(8)?,
                present: row.try_get::<i64, _>(9)? == 1,
            };
            out.entry(row.try_get(0)?).or_default().push(sighting);
        }
        Ok(out)
    }

    async fn ticket_events(&self, ticket: i64) -> Result<Vec<EventRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, actor, kind, data FROM ticket_events WHERE ticket_id = $1 ORDER BY id",
        )
        .bind(ticket)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let data: String = row.try_get(3)?;
                Ok(EventRow {
                    at: from_millis(row.try_get(0)?),
                    actor: row.try_get(1)?,
                    kind: row.try_get(2)?,
                    data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect()
    }

    /// Opens a ticket by hand; returns its key.
    pub async fn create_ticket(
        &self,
        ticket: &NewTicket,
        actor: &str,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        let mut tx = self.pool.begin().await?;
        let application = match &ticket.application {
            Some(name) => Some(upsert_application(&mut tx, name, millis(now)).await?),
            None => None,
        };
        let repository = match (&ticket.repository, application) {
            (Some(url), Some(app)) => {
                Some(upsert_repository(&mut tx, app, url, millis(now)).await?)
            }
            (Some(_), None) => {
                return Err(StoreError::Invalid(
                    "a ticket with a repository needs an application too".into(),
                ));
            }
            _ => None,
        };
        let prefix = ticket.ticket_type.key_prefix();
        let key = format!("{prefix}-{}", allocate_numbers(&mut tx, prefix, 1).await?);

        let id: i64 = sqlx::query(
            "INSERT INTO tickets (ticket_key, ticket_type, state, severity, title, description, \
             application_id, repository_id, path, cwes, advisories, owner, routed_by, priority, \
             priority_reason, due_at, due_soon_at, sla_started_at, present, created_at, \
             updated_at, status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, 0, $18, $18, $19) RETURNING id",
        )
        .bind(&key)
        .bind(ticket.ticket_type.as_str())
        .bind(ticket.state.as_str())
        .bind(ticket.severity.rank())
        .bind(&ticket.title)
        .bind(&ticket.description)
        .bind(application)
        .bind(repository)
        .bind(ticket.path.as_deref())
        .bind(",")
        .bind(advisories_column(&[]))
        .bind(ticket.owner.as_deref())
        .bind(ticket.routed_by.as_deref())
        .bind(ticket.priority.map(|p| p.as_str()))
        .bind(ticket.priority_reason.as_deref())
        .bind(ticket.due_at.map(millis))
        .bind(ticket.due_soon_at.map(millis))
        .bind(millis(now))
        .bind(ticket.status.as_deref())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        // The history keeps what the triage decided and why, as an import's
        // tickets keep it on their rows.
        let data = json!({
            "state": ticket.state,
            "type": ticket.ticket_type,
            "owner": ticket.owner,
            "routed_by": ticket.routed_by,
            "priority": ticket.priority,
            "priority_reason": ticket.priority_reason,
            "due_at": ticket.due_at,
        });
        let data = with_field(data, "status", ticket.status.as_deref());
        append_event(&mut tx, id, now, actor, "opened", &data).await?;
        let by_hand = ticket.routed_by.as_deref().is_some_and(|r| r.starts_with(SET_BY_HAND));
        if let (Some(owner), true) = (&ticket.owner, by_hand) {
            let given = [(id, Given::Team(owner.clone()))];
            crate::notices::assigned(&mut tx, self.backend, &given, actor, now).await?;
        }
        crate::chain::commit(tx).await?;
        Ok(key)
    }

    /// Moves a ticket to another state. The move was checked against the
    /// workflow by the caller; the store makes sure nobody moved the ticket
    /// meanwhile (`from` and `from_status` must still be its state) and
    /// logs what changed.
    pub async fn change_state(
        &self,
        key: &str,
        change: &StateChange,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = change_state(&mut tx, key, change, actor, now).await?;
        if let Some(owner) = &change.owner {
            let given = [(id, Given::Team(owner.clone()))];
            crate::notices::assigned(&mut tx, self.backend, &given, actor, now).await?;
        }
        crate::chain::commit(tx).await?;
        Ok(())
    }

    /// Adds a comment to a ticket's history.
    pub async fn comment(
        &self,
        key: &str,
        text: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = ticket_id(&mut tx, key).await?;
        append_event(&mut tx, id, now, actor, "comment", &json!({ "text": text })).await?;
        sqlx::query("UPDATE tickets SET updated_at = $1 WHERE id = $2")
            .bind(millis(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        crate::chain::commit(tx).await?;
        Ok(())
    }

    /// Distinct values users filter by: applications, repositories, tools,
    /// labels, assignees and owning teams.
    pub async fn filter_values(
        &self,
        visibility: &crate::Visibility,
    ) -> Result<FilterValues, StoreError> {
        // Only what the caller sees is offered: a filter choice names an
        // application, so it must not leak one.
        let (condition, params) = visibility
            .condition("a.id", 1)
            .map(|(condition, params)| (format!("WHERE {condition}"), params))
            .unwrap_or_default();
        let names = |sql: String| {
            let params = &params;
            async move {
                let rows = bind_all(sqlx::query(&sql), params).fetch_all(&self.pool).await?;
                rows.iter().map(|r| r.try_get::<String, _>(0)).collect::<Result<Vec<_>, _>>()
            }
        };
        Ok(FilterValues {
            applications: names(format!(
                "SELECT a.name FROM applications a {condition} ORDER BY a.name"
            ))
            .await?,
            repositories: names(format!(
                "SELECT DISTINCT r.url FROM repositories r \
                 JOIN applications a ON a.id = r.application_id {condition} ORDER BY r.url"
            ))
            .await?,
            tools: names(format!(
                "SELECT DISTINCT s.tool FROM scopes s \
                 JOIN applications a ON a.id = s.application_id {condition} ORDER BY s.tool"
            ))
            .await?,
            labels: names(format!(
                "SELECT DISTINCT l.label FROM ticket_labels l JOIN tickets t ON t.id = l.ticket_id \
                 LEFT JOIN applications a ON a.id = t.application_id {condition} \
                 ORDER BY l.label"
            ))
            .await?,
            assignees: names(distinct_of_tickets("assignee", &condition)).await?,
            owners: names(distinct_of_tickets("owner", &condition)).await?,
        })
    }
}

/// The distinct values of the tickets' `column` (which has an index), in
/// order, of the tickets `condition` (on `a`, their application) lets
/// through.
///
/// Without a condition the index is walked from one value to the next, a
/// lookup per value rather than a read of every ticket: a large store has
/// a million tickets and a few dozen teams. With one, every visible ticket
/// is read; that is slow only for a caller who sees a great many tickets.
fn distinct_of_tickets(column: &str, condition: &str) -> String {
    if condition.is_empty() {
        return format!(
            "WITH RECURSIVE d (v) AS (SELECT MIN(t.{column}) FROM tickets t \
             WHERE t.{column} IS NOT NULL UNION ALL \
             SELECT (SELECT MIN(t.{column}) FROM tickets t WHERE t.{column} > d.v) FROM d \
             WHERE d.v IS NOT NULL) SELECT v FROM d WHERE v IS NOT NULL ORDER BY v"
        );
    }
    format!(
        "SELECT DISTINCT t.{column} FROM tickets t \
         LEFT JOIN applications a ON a.id = t.application_id \
         {condition} AND t.{column} IS NOT NULL ORDER BY t.{column}"
    )
}

/// Values the ticket list offers as filter choices.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FilterValues {
    pub applications: Vec<String>,
    pub repositories: Vec<String>,
    pub tools: Vec<String>,
    /// The labels tickets carry.
    pub labels: Vec<String>,
    /// The people tickets are assigned to.
    pub assignees: Vec<String>,
    /// The teams that own tickets.
    pub owners: Vec<String>,
}

/// Moves a ticket to another state on `conn` (see [`Store::change_state`]);
/// returns its id. Nothing is written when the change is refused.
pub(crate) async fn change_state(
    conn: &mut AnyConnection,
    key: &str,
    change: &StateChange,
    actor: &str,
    now: Timestamp,
) -> Result<i64, StoreError> {
    // Looked up before anything is written: a refused change leaves the
    // transaction as it found it, so a bulk change can go on with the next
    // ticket.
    let duplicate_of = match &change.duplicate_of {
        Some(kept) => Some(ticket_id(&mut *conn, kept).await.map_err(|err| match err {
            StoreError::NotFound(_) => StoreError::Invalid(format!(
                "duplicate_of: there is no ticket {kept} for {key} to duplicate"
            )),
            other => other,
        })?),
        None => None,
    };
    // A decision (false positive, risk accepted) is kept on the ticket for
    // the gate and the VEX export while the ticket stays decided.
    let decided = change.to.is_decision();
    let closed = change.to.is_closed();
    let updated = sqlx::query(
        "UPDATE tickets SET state = $1, owner = COALESCE($2, owner), \
         due_at = COALESCE($3, due_at), updated_at = $4, decision_reason = $7, \
         decision_approver = $8, decision_expires_at = $9, \
         closed_at = CASE WHEN $10 = 1 THEN $4 ELSE NULL END, \
         closed_by_scan_id = NULL, \
         reopen_count = reopen_count + CASE WHEN $1 = 'reopened' THEN 1 ELSE 0 END, \
         status = $11 \
         WHERE ticket_key = $5 AND state = $6 AND COALESCE(status, '') = $12 RETURNING id",
    )
    .bind(change.to.as_str())
    .bind(change.owner.as_deref())
    .bind(change.due_at.map(millis))
    .bind(millis(now))
    .bind(key)
    .bind(change.from.as_str())
    .bind(change.reason.as_deref().filter(|_| decided))
    .bind(change.approver.as_deref().filter(|_| decided))
    .bind(change.expires_at.filter(|_| decided).map(millis))
    .bind(i64::from(closed))
    .bind(change.status.as_deref())
    .bind(change.from_status.as_deref().unwrap_or(""))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = updated else {
        return Err(StoreError::Conflict(format!(
            "ticket {key} is no longer in state {}; reload it and try again",
            change.from_status.as_deref().unwrap_or(change.from.as_str())
        )));
    };
    let id: i64 = row.try_get(0)?;

    let data = json!({
        "from": change.from,
        "to": change.to,
        "reason": change.reason,
        "approver": change.approver,
        "expires_at": change.expires_at,
        "duplicate_of": change.duplicate_of,
    });
    // The custom states, where the workflow has them; the built-in ones
    // above keep every figure computable from events alone.
    let data = with_field(data, "from_status", change.from_status.as_deref());
    let data = with_field(data, "status", change.status.as_deref());
    append_event(&mut *conn, id, now, actor, "state_changed", &data).await?;
    if change.to.pauses_sla() && !change.from.pauses_sla() {
        let reason = change.reason.as_deref().unwrap_or(change.to.label());
        sqlx::query("UPDATE tickets SET paused_at = $1 WHERE id = $2")
            .bind(millis(now))
            .bind(id)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO ticket_pauses (ticket_id, started_at, reason) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(millis(now))
        .bind(reason)
        .execute(&mut *conn)
        .await?;
        append_event(&mut *conn, id, now, actor, "sla_paused", &json!({ "reason": reason }))
            .await?;
    } else if change.from.pauses_sla() && !change.to.pauses_sla() {
        sqlx::query("UPDATE tickets SET paused_at = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        crate::risk::end_pause(&mut *conn, id, now).await?;
        append_event(&mut *conn, id, now, actor, "sla_resumed", &json!({})).await?;
    }
    if let Some(owner) = &change.owner {
        append_event(&mut *conn, id, now, actor, "assigned", &json!({ "owner": owner })).await?;
        crate::reroute::owner_set_by_hand(&mut *conn, id, actor).await?;
    }
    if let Some(due_at) = change.due_at {
        append_event(&mut *conn, id, now, actor, "due_date_set", &json!({ "due_at": due_at }))
            .await?;
    }
    if let Some(target) = duplicate_of {
        crate::collab::record_duplicate(&mut *conn, (id, key), target, actor, now).await?;
    }
    Ok(id)
}

/// An event's data with `name` set, when there is a value.
fn with_field(mut data: serde_json::Value, name: &str, value: Option<&str>) -> serde_json::Value {
    if let (Some(value), Some(fields)) = (value, data.as_object_mut()) {
        fields.insert(name.to_string(), json!(value));
    }
    data
}

pub(crate) async fn ticket_id(conn: &mut AnyConnection, key: &str) -> Result<i64, StoreError> {
    sqlx::query("SELECT id FROM tickets WHERE ticket_key = $1")
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("ticket {key}")))?
        .try_get(0)
        .map_err(StoreError::from)
}

pub(crate) async fn append_event(
    conn: &mut AnyConnection,
    ticket: i64,
    at: Timestamp,
    actor: &str,
    kind: &str,
    data: &serde_json::Value,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ticket_events (ticket_id, at, actor, kind, data) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(ticket)
    .bind(millis(at))
    .bind(actor)
    .bind(kind)
    .bind(data.to_string())
    .execute(&mut *conn)
    .await?;
    // The figures' facts follow the event, in its transaction.
    let data = data.to_string();
    let event = crate::metrics::facts::Event { ticket, at: millis(at), kind, data: &data };
    crate::metrics::facts::record(conn, &[event]).await
}

pub(crate) fn where_clause(filter: &TicketFilter) -> (String, Vec<Param>) {
    let mut conditions: Vec<String> = Vec::new();
    let mut params: Vec<Param> = Vec::new();
    let next = |params: &mut Vec<Param>, p: Param| {
        params.push(p);
        format!("${}", params.len())
    };

    if !filter.states.is_empty() {
        let list: Vec<String> = filter
            .states
            .iter()
            .map(|s| next(&mut params, Param::Text(s.as_str().into())))
            .collect();
        conditions.push(format!("t.state IN ({})", list.join(",")));
    }
    if !filter.severities.is_empty() {
        let list: Vec<String> =
            filter.severities.iter().map(|s| next(&mut params, Param::Int(s.rank()))).collect();
        conditions.push(format!("t.severity IN ({})", list.join(",")));
    }
    if let Some(kind) = filter.ticket_type {
        conditions.push(format!(
            "t.ticket_type = {}",
            next(&mut params, Param::Text(kind.as_str().into()))
        ));
    }
    if let Some(name) = &filter.application {
        // By id, so a page's ids and its count need no join: PostgreSQL
        // then reads the application's own index range.
        let p = next(&mut params, Param::Text(name.clone()));
        conditions
            .push(format!("t.application_id IN (SELECT id FROM applications WHERE name = {p})"));
    }
    if let Some(url) = &filter.repository {
        let p = next(&mut params, Param::Text(url.clone()));
        conditions
            .push(format!("t.repository_id IN (SELECT id FROM repositories WHERE url = {p})"));
    }
    if let Some(tool) = &filter.tool {
        let p = next(&mut params, Param::Text(tool.to_lowercase()));
        conditions.push(format!("LOWER(t.tool) = {p}"));
    }
    if let Some(cwe) = filter.cwe {
        conditions
            .push(format!("t.cwes LIKE {}", next(&mut params, Param::Text(format!("%,{cwe},%")))));
    }
    if let Some(present) = filter.present {
        // Only findings are seen or not: hand-made tickets match neither.
        let p = next(&mut params, Param::Int(i64::from(present)));
        conditions.push(format!("t.present = {p} AND t.ticket_type = 'vulnerability'"));
    }
    if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let p = next(&mut params, Param::Text(format!("%{}%", escape_like(&text.to_lowercase()))));
        conditions.push(format!(
            "(LOWER(t.title) LIKE {p} ESCAPE '\\' OR LOWER(t.ticket_key) LIKE {p} ESCAPE '\\' \
             OR LOWER(COALESCE(t.rule_id, '')) LIKE {p} ESCAPE '\\' \
             OR LOWER(COALESCE(t.path, '')) LIKE {p} ESCAPE '\\' \
             OR LOWER(t.advisories) LIKE {p} ESCAPE '\\')"
        ));
    }
    crate::collab::conditions(filter, &mut conditions, &mut params);
    if let Some(owner) = filter.owner.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        let p = next(&mut params, Param::Text(owner.to_lowercase()));
        conditions.push(format!("LOWER(t.owner) = {p}"));
    }
    if !filter.priorities.is_empty() {
        let list: Vec<String> = filter
            .priorities
            .iter()
            .map(|p| next(&mut params, Param::Text(p.as_str().into())))
            .collect();
        conditions.push(format!("t.priority IN ({})", list.join(",")));
    }
    if !filter.keys.is_empty() {
        let list: Vec<String> =
            filter.keys.iter().map(|k| next(&mut params, Param::Text(k.clone()))).collect();
        conditions.push(format!("t.ticket_key IN ({})", list.join(",")));
    }
    if let Some((status, now)) = filter.sla {
        let open: Vec<String> = TicketState::ALL
            .iter()
            .filter(|s| s.is_open())
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        let now = next(&mut params, Param::Int(millis(now)));
        let running = "t.paused_at IS NULL AND t.due_at IS NOT NULL";
        let condition = match status {
            SlaStatus::Paused => "t.paused_at IS NOT NULL".to_string(),
            SlaStatus::Breached => format!("{running} AND t.due_at <= {now}"),
            SlaStatus::DueSoon => {
                format!("{running} AND t.due_at > {now} AND t.due_soon_at <= {now}")
            }
            SlaStatus::OnTrack => format!(
                "{running} AND t.due_at > {now} AND (t.due_soon_at IS NULL OR t.due_soon_at > {now})"
            ),
        };
        conditions.push(format!("t.state IN ({}) AND {condition}", open.join(",")));
    }
    if let Some(change) = filter.scan {
        scan_condition(change, &mut conditions, &mut params);
    }
    if let Some((condition, visible)) =
        filter.visibility.condition("t.application_id", params.len() + 1)
    {
        conditions.push(condition);
        params.extend(visible);
    }

    let clause = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    (clause, params)
}

/// What a query of the tickets a filter selects reads from: no filter needs
/// the joined tables, so a count or a page's ids come from tickets alone,
/// often one index alone.
const FILTER_FROM: &str = "FROM tickets t";

/// A `WHERE` clause with `extra` added (nothing when it is empty).
fn and(clause: String, extra: &str) -> String {
    match (clause.is_empty(), extra.is_empty()) {
        (_, true) => clause,
        (true, false) => format!("WHERE {extra}"),
        (false, false) => format!("{clause} AND {extra}"),
    }
}

/// Tickets with the event `change` names, written by that scan. Events
/// keep their data as JSON text whose keys are sorted, so the scan's id is
/// followed by a comma or the closing brace; the ticket's own events are
/// found through their index, among the tickets of the scan's application.
fn scan_condition(change: ScanChange, conditions: &mut Vec<String>, params: &mut Vec<Param>) {
    let first = params.len() + 1;
    conditions.push(format!(
        "t.application_id = (SELECT application_id FROM scans WHERE id = ${first}) \
         AND EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id \
         AND e.kind = ${} AND (e.data LIKE ${} OR e.data LIKE ${}))",
        first + 1,
        first + 2,
        first + 3
    ));
    let id = change.scan;
    params.push(Param::Int(id));
    params.push(Param::Text(change.kind.as_str().into()));
    params.push(Param::Text(format!("%\"scan_id\":{id},%")));
    params.push(Param::Text(format!("%\"scan_id\":{id}}}")));
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Binds `params` in order.
pub(crate) fn bind_all<'q>(
    mut query: crate::batch::AnyQuery<'q>,
    params: &'q [Param],
) -> crate::batch::AnyQuery<'q> {
    for p in params {
        query = match p {
            Param::Int(v) => query.bind(*v),
            Param::Text(v) => query.bind(v.as_str()),
        };
    }
    query
}

pub(crate) fn ticket_row(row: &AnyRow) -> Result<TicketRow, StoreError> {
    let invalid = |what: &str, value: String| {
        StoreError::Invalid(format!("stored ticket has an unknown {what} {value:?}"))
    };
    let kind: String = row.try_get(2)?;
    let state: String = row.try_get(3)?;
    let severity: i64 = row.try_get(4)?;
    Ok(TicketRow {
        id: row.try_get(0)?,
        key: row.try_get(1)?,
        ticket_type: kind.parse::<TicketType>().map_err(|_| invalid("type", kind.clone()))?,
        state: state.parse::<TicketState>().map_err(|_| invalid("state", state.clone()))?,
        severity: Severity::from_rank(severity)
            .ok_or_else(|| invalid("severity", severity.to_string()))?,
        title: row.try_get(5)?,
        application: row.try_get(6)?,
        repository: row.try_get(7)?,
        branch: row.try_get(8)?,
        commit: row.try_get(9)?,
        tool: row.try_get(10)?,
        rule_id: row.try_get(11)?,
        path: row.try_get(12)?,
        cwes: parse_cwes(&row.try_get::<String, _>(13)?),
        advisories: parse_advisories(&row.try_get::<String, _>(14)?),
        owner: row.try_get(15)?,
        assignee: row.try_get(20)?,
        priority: match row.try_get::<Option<String>, _>(21)? {
            Some(p) => Some(p.parse().map_err(|_| invalid("priority", p.clone()))?),
            None => None,
        },
        due_soon_at: row.try_get::<Option<i64>, _>(22)?.map(from_millis),
        paused_since: row.try_get::<Option<i64>, _>(23)?.map(from_millis),
        routed_by: row.try_get(24)?,
        status: row.try_get(25)?,
        status_label: None,
        due: None,
        sla: None,
        labels: Vec::new(),
        due_at: row.try_get::<Option<i64>, _>(16)?.map(from_millis),
        present: row.try_get::<i64, _>(17)? == 1,
        created_at: from_millis(row.try_get(18)?),
        updated_at: from_millis(row.try_get(19)?),
    })
}

impl Store {
    /// Sets ticket `key`'s due date (and the day it turns due soon), with a
    /// `due_date_changed` event saying why; nothing when it is unchanged.
    /// Returns whether it changed.
    pub async fn set_due(
        &self,
        key: &str,
        due: Option<(Timestamp, Timestamp)>,
        reason: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT id, due_at FROM tickets WHERE ticket_key = $1")
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("ticket {key}")))?;
        let (id, before): (i64, Option<i64>) = (row.try_get(0)?, row.try_get(1)?);
        let after = due.map(|(due_at, _)| millis(due_at));
        if before == after {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE tickets SET due_at = $1, due_soon_at = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(after)
        .bind(due.map(|(_, soon)| millis(soon)))
        .bind(millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let data = json!({
            "from": before.map(from_millis),
            "to": after.map(from_millis),
            "reason": reason,
        });
        append_event(&mut tx, id, now, actor, "due_date_changed", &data).await?;
        crate::chain::commit(tx).await?;
        Ok(true)
    }

    /// Sets ticket `key`'s priority with a `priority_changed` event; returns
    /// the priority it had.
    pub async fn set_priority(
        &self,
        key: &str,
        priority: fixgate_domain::triage::Priority,
        reason: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT id, priority FROM tickets WHERE ticket_key = $1")
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("ticket {key}")))?;
        let (id, before): (i64, Option<String>) = (row.try_get(0)?, row.try_get(1)?);
        sqlx::query(
            "UPDATE tickets SET priority = $1, priority_reason = $2, updated_at = $3 \
             WHERE id = $4",
        )
        .bind(priority.as_str())
        .bind(format!("set by {actor}: {reason}"))
        .bind(millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let data = json!({ "from": before, "to": priority, "reason": reason });
        append_event(&mut tx, id, now, actor, "priority_changed", &data).await?;
        crate::chain::commit(tx).await?;
        Ok(before)
    }
}
