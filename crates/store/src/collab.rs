//! Working on tickets together: the person a ticket is assigned to, the
//! people who watch it, its labels and its links to other tickets, changed
//! one ticket at a time or many at once (a bulk change). Every change
//! appends its event to each ticket it touches, in the same transaction.

use std::collections::HashMap;

use fixgate_domain::{LinkKind, TicketState};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;
use sqlx::{AnyConnection, Connection, Row};

use crate::notices::Given;
use crate::rows::millis;
use crate::tickets::{
    Param, TICKET_COLUMNS, TICKET_FROM, append_event, bind_all, ticket_id, ticket_row, where_clause,
};
use crate::{StateChange, Store, StoreError, TicketFilter, TicketRow};

/// How many tickets one transaction of a bulk change writes.
const BULK_CHUNK: usize = 500;

/// How many ids one `IN (…)` list binds.
const IDS_PER_QUERY: usize = 1000;

/// Whose tickets a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Tickets assigned to nobody.
    Nobody,
    /// Tickets assigned to this person.
    Person(String),
}

/// A link to another ticket, named from this ticket's side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkRow {
    pub kind: LinkKind,
    /// The other ticket's key.
    pub key: String,
    pub title: String,
    pub state: TicketState,
}

/// A person who watches a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Watcher {
    pub ticket_id: i64,
    pub user_id: i64,
    pub name: String,
    /// A disabled account stays on the list, but should not be told anything.
    pub disabled: bool,
}

/// The labels a change added and removed; those that were already there,
/// or already gone, are not in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LabelsChanged {
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl LabelsChanged {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

/// One ticket's part of a bulk change, already checked by the caller.
#[derive(Debug, Clone)]
pub struct TicketChange {
    pub key: String,
    /// A move along the workflow, made first: when it is refused, nothing
    /// else is changed on the ticket.
    pub state: Option<StateChange>,
    /// The new assignee; `Some(None)` unassigns.
    pub assignee: Option<Option<String>>,
    /// Lower-case labels to add and to remove.
    pub labels: LabelsChanged,
    pub comment: Option<String>,
}

impl Store {
    /// The ticket with `key` as lists show it, with its labels.
    pub async fn ticket_summary(&self, key: &str) -> Result<TicketRow, StoreError> {
        let sql = format!("SELECT {TICKET_COLUMNS} {TICKET_FROM} WHERE t.ticket_key = $1");
        let row = sqlx::query(&sql)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("ticket {key}")))?;
        let mut ticket = ticket_row(&row)?;
        self.attach_labels(std::slice::from_mut(&mut ticket)).await?;
        Ok(ticket)
    }

    /// Assigns a ticket to a person (by name), or to nobody. Returns whether
    /// that changed anything; only a change is logged (`assigned`, with
    /// `from` and `to`).
    pub async fn set_assignee(
        &self,
        key: &str,
        assignee: Option<&str>,
        actor: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = ticket_id(&mut tx, key).await?;
        let changed = set_assignee(&mut tx, id, assignee, actor, now).await?;
        if let (true, Some(person)) = (changed, assignee) {
            let given = [(id, Given::Person(person.to_string()))];
            crate::notices::assigned(&mut tx, self.backend, &given, actor, now).await?;
        }
        crate::chain::commit(tx).await?;
        Ok(changed)
    }

    /// Adds a watcher; returns false when they were watching already.
    pub async fn add_watcher(
        &self,
        key: &str,
        user: (i64, &str),
        actor: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = ticket_id(&mut tx, key).await?;
        let added = sqlx::query(
            "INSERT INTO ticket_watchers (ticket_id, user_id, added_at) VALUES ($1, $2, $3) \
             ON CONFLICT (ticket_id, user_id) DO NOTHING",
        )
        .bind(id)
        .bind(user.0)
        .bind(millis(now))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if added {
            append_event(&mut tx, id, now, actor, "watcher_added", &json!({ "name": user.1 }))
                .await?;
        }
        crate::chain::commit(tx).await?;
        Ok(added)
    }

    /// Removes a watcher; returns false when they were not watching.
    pub async fn remove_watcher(
        &self,
        key: &str,
        user: (i64, &str),
        actor: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = ticket_id(&mut tx, key).await?;
        let removed =
            sqlx::query("DELETE FROM ticket_watchers WHERE ticket_id = $1 AND user_id = $2")
                .bind(id)
                .bind(user.0)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                > 0;
        if removed {
            append_event(&mut tx, id, now, actor, "watcher_removed", &json!({ "name": user.1 }))
                .await?;
        }
        crate::chain::commit(tx).await?;
        Ok(removed)
    }

    /// The watchers of these tickets, by ticket id, then name. Disabled
    /// accounts are included and marked.
    pub async fn watchers_of(&self, ticket_ids: &[i64]) -> Result<Vec<Watcher>, StoreError> {
        let mut watchers = Vec::new();
        for ids in ticket_ids.chunks(IDS_PER_QUERY) {
            let sql = format!(
                "SELECT w.ticket_id, u.id, u.name, u.disabled FROM ticket_watchers w \
                 JOIN users u ON u.id = w.user_id WHERE w.ticket_id IN ({}) \
                 ORDER BY w.ticket_id, u.name",
                placeholders(1, ids.len())
            );
            let mut query = sqlx::query(&sql);
            for id in ids {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&self.pool).await? {
                watchers.push(Watcher {
                    ticket_id: row.try_get(0)?,
                    user_id: row.try_get(1)?,
                    name: row.try_get(2)?,
                    disabled: row.try_get::<i64, _>(3)? == 1,
                });
            }
        }
        Ok(watchers)
    }

    /// Adds and removes labels (lower-case already). Returns what changed;
    /// only a change is logged (`labels_changed`).
    pub async fn change_labels(
        &self,
        key: &str,
        labels: &LabelsChanged,
        actor: &str,
        now: Timestamp,
    ) -> Result<LabelsChanged, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = ticket_id(&mut tx, key).await?;
        let changed = change_labels(&mut tx, id, labels, actor, now).await?;
        crate::chain::commit(tx).await?;
        Ok(changed)
    }

    /// Links ticket `key` to `target`, as `kind` reads from `key`'s side,
    /// and logs `link_added` on both. Refuses a link of a ticket to itself,
    /// a link that exists, and the opposite of one that does (two tickets
    /// that block each other).
    pub async fn add_link(
        &self,
        key: &str,
        kind: LinkKind,
        target: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let ends = LinkEnds::resolve(&mut tx, key, kind, target).await?;
        if let Some(reversed) = ends.existing(&mut tx).await? {
            return Err(StoreError::Conflict(ends.exists_message(reversed, key, kind, target)));
        }
        sqlx::query(
            "INSERT INTO ticket_links (source_id, kind, target_id, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(ends.source.0)
        .bind(ends.kind.as_str())
        .bind(ends.target.0)
        .bind(millis(now))
        .bind(actor)
        .execute(&mut *tx)
        .await?;
        ends.log(&mut tx, "link_added", actor, now).await?;
        crate::chain::commit(tx).await?;
        Ok(())
    }

    /// Removes the link `kind` from `key` to `target` (named from either
    /// side) and logs `link_removed` on both; returns false when there was
    /// none.
    pub async fn remove_link(
        &self,
        key: &str,
        kind: LinkKind,
        target: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let ends = LinkEnds::resolve(&mut tx, key, kind, target).await?;
        let Some(reversed) = ends.existing(&mut tx).await? else {
            return Ok(false);
        };
        let ends = if reversed { ends.reversed() } else { ends };
        sqlx::query(
            "DELETE FROM ticket_links WHERE source_id = $1 AND kind = $2 AND target_id = $3",
        )
        .bind(ends.source.0)
        .bind(ends.kind.as_str())
        .bind(ends.target.0)
        .execute(&mut *tx)
        .await?;
        ends.log(&mut tx, "link_removed", actor, now).await?;
        crate::chain::commit(tx).await?;
        Ok(true)
    }

    /// The tickets `filter` matches, in the list's order, at most `max` of
    /// them, with how many match in all.
    pub async fn matching_tickets(
        &self,
        filter: &TicketFilter,
        max: usize,
    ) -> Result<(u64, Vec<TicketRow>), StoreError> {
        let (conditions, params) = where_clause(filter);
        let count_sql = format!("SELECT COUNT(*) {TICKET_FROM} {conditions}");
        let total: i64 =
            bind_all(sqlx::query(&count_sql), &params).fetch_one(&self.pool).await?.try_get(0)?;

        let list_sql = format!(
            "SELECT {TICKET_COLUMNS} {TICKET_FROM} {conditions} \
             ORDER BY t.severity DESC, t.id DESC LIMIT ${}",
            params.len() + 1
        );
        let rows = bind_all(sqlx::query(&list_sql), &params)
            .bind(i64::try_from(max).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        let mut tickets: Vec<TicketRow> = rows.iter().map(ticket_row).collect::<Result<_, _>>()?;
        self.attach_labels(&mut tickets).await?;
        Ok((u64::try_from(total).unwrap_or(0), tickets))
    }

    /// Applies a bulk change, a few hundred tickets per transaction. Each
    /// ticket's part is all or nothing: a ticket whose move the store
    /// refuses (someone moved it meanwhile) is left as it was and returned
    /// with the reason, `(key, reason)`.
    pub async fn apply_changes(
        &self,
        changes: &[TicketChange],
        actor: &str,
        now: Timestamp,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut refused = Vec::new();
        for chunk in changes.chunks(BULK_CHUNK) {
            let mut tx = self.pool.begin().await?;
            // Whom the changed tickets went to, told per team and receiver.
            let mut given = Vec::new();
            for change in chunk {
                // A savepoint per ticket: a refusal halfway undoes that
                // ticket's part alone.
                let mut one = tx.begin().await?;
                match apply_change(&mut one, change, actor, now).await {
                    Ok((id, to)) => {
                        one.commit().await?;
                        given.extend(to.into_iter().map(|to| (id, to)));
                    }
                    Err(StoreError::Conflict(reason) | StoreError::Invalid(reason)) => {
                        one.rollback().await?;
                        refused.push((change.key.clone(), reason));
                    }
                    Err(missing @ StoreError::NotFound(_)) => {
                        one.rollback().await?;
                        refused.push((change.key.clone(), missing.to_string()));
                    }
                    Err(other) => return Err(other),
                }
            }
            crate::notices::assigned(&mut tx, self.backend, &given, actor, now).await?;
            crate::chain::commit(tx).await?;
        }
        Ok(refused)
    }

    /// Fills in the labels of `tickets`.
    pub(crate) async fn attach_labels(&self, tickets: &mut [TicketRow]) -> Result<(), StoreError> {
        let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
        let mut labels = self.labels_of(&ids).await?;
        for ticket in tickets {
            ticket.labels = labels.remove(&ticket.id).unwrap_or_default();
        }
        Ok(())
    }

    async fn labels_of(&self, ticket_ids: &[i64]) -> Result<HashMap<i64, Vec<String>>, StoreError> {
        let mut out: HashMap<i64, Vec<String>> = HashMap::new();
        for ids in ticket_ids.chunks(IDS_PER_QUERY) {
            let sql = format!(
                "SELECT ticket_id, label FROM ticket_labels WHERE ticket_id IN ({}) \
                 ORDER BY ticket_id, label",
                placeholders(1, ids.len())
            );
            let mut query = sqlx::query(&sql);
            for id in ids {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&self.pool).await? {
                out.entry(row.try_get(0)?).or_default().push(row.try_get(1)?);
            }
        }
        Ok(out)
    }

    /// The ticket's links, both those it holds and those that point at it,
    /// by kind and then key.
    pub(crate) async fn links_of(&self, ticket: i64) -> Result<Vec<LinkRow>, StoreError> {
        let mut links = Vec::new();
        let sides = [("l.target_id", "l.source_id", false), ("l.source_id", "l.target_id", true)];
        for (other, this, inverse) in sides {
            let sql = format!(
                "SELECT l.kind, t.ticket_key, t.title, t.state FROM ticket_links l \
                 JOIN tickets t ON t.id = {other} WHERE {this} = $1"
            );
            for row in sqlx::query(&sql).bind(ticket).fetch_all(&self.pool).await? {
                let kind = parse_stored::<LinkKind>(&row, 0, "link kind")?;
                links.push(LinkRow {
                    kind: if inverse { kind.inverse() } else { kind },
                    key: row.try_get(1)?,
                    title: row.try_get(2)?,
                    state: parse_stored(&row, 3, "state")?,
                });
            }
        }
        links.sort_by(|a, b| (a.kind.as_str(), &a.key).cmp(&(b.kind.as_str(), &b.key)));
        Ok(links)
    }
}

/// The `assignee` and `labels` conditions of a ticket list.
pub(crate) fn conditions(
    filter: &TicketFilter,
    conditions: &mut Vec<String>,
    params: &mut Vec<Param>,
) {
    match &filter.assignee {
        None => {}
        Some(AssigneeFilter::Nobody) => conditions.push("t.assignee IS NULL".into()),
        Some(AssigneeFilter::Person(name)) => {
            params.push(Param::Text(name.clone()));
            conditions.push(format!("t.assignee = ${}", params.len()));
        }
    }
    if !filter.labels.is_empty() {
        let first = params.len() + 1;
        params.extend(filter.labels.iter().map(|label| Param::Text(label.clone())));
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM ticket_labels l WHERE l.ticket_id = t.id AND l.label IN ({}))",
            placeholders(first, filter.labels.len())
        ));
    }
}

/// Records that a move to duplicate made ticket `duplicate` (id, key) a
/// duplicate of `kept`, and tells `kept`'s history. The move's own event
/// says it for the duplicate.
pub(crate) async fn record_duplicate(
    conn: &mut AnyConnection,
    duplicate: (i64, &str),
    kept: i64,
    actor: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let added = sqlx::query(
        "INSERT INTO ticket_links (source_id, kind, target_id, created_at, created_by) \
         VALUES ($1, 'duplicate_of', $2, $3, $4) \
         ON CONFLICT (source_id, kind, target_id) DO NOTHING",
    )
    .bind(duplicate.0)
    .bind(kept)
    .bind(millis(now))
    .bind(actor)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        > 0;
    if added {
        let data = json!({ "kind": LinkKind::DuplicatedBy, "key": duplicate.1 });
        append_event(conn, kept, now, actor, "link_added", &data).await?;
    }
    Ok(())
}

/// One ticket's part of a bulk change, on a savepoint of its own; returns
/// the ticket's id and whom it was given to (a team as owner, a person as
/// a new assignee).
async fn apply_change(
    conn: &mut AnyConnection,
    change: &TicketChange,
    actor: &str,
    now: Timestamp,
) -> Result<(i64, Vec<Given>), StoreError> {
    let id = match &change.state {
        Some(state) => crate::tickets::change_state(conn, &change.key, state, actor, now).await?,
        None => ticket_id(conn, &change.key).await?,
    };
    let mut given: Vec<Given> =
        change.state.as_ref().and_then(|s| s.owner.clone()).map(Given::Team).into_iter().collect();
    if let Some(assignee) = &change.assignee
        && set_assignee(conn, id, assignee.as_deref(), actor, now).await?
    {
        given.extend(assignee.clone().map(Given::Person));
    }
    change_labels(conn, id, &change.labels, actor, now).await?;
    if let Some(text) = &change.comment {
        append_event(conn, id, now, actor, "comment", &json!({ "text": text })).await?;
        touch(conn, id, now).await?;
    }
    Ok((id, given))
}

async fn set_assignee(
    conn: &mut AnyConnection,
    id: i64,
    assignee: Option<&str>,
    actor: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let current: Option<String> = sqlx::query("SELECT assignee FROM tickets WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    if current.as_deref() == assignee {
        return Ok(false);
    }
    sqlx::query("UPDATE tickets SET assignee = $1, updated_at = $2 WHERE id = $3")
        .bind(assignee)
        .bind(millis(now))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let data = json!({ "from": current, "to": assignee });
    append_event(conn, id, now, actor, "assigned", &data).await?;
    Ok(true)
}

async fn change_labels(
    conn: &mut AnyConnection,
    id: i64,
    labels: &LabelsChanged,
    actor: &str,
    now: Timestamp,
) -> Result<LabelsChanged, StoreError> {
    let mut changed = LabelsChanged::default();
    for label in &labels.added {
        let done = sqlx::query(
            "INSERT INTO ticket_labels (ticket_id, label) VALUES ($1, $2) \
             ON CONFLICT (ticket_id, label) DO NOTHING",
        )
        .bind(id)
        .bind(label)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() > 0 {
            changed.added.push(label.clone());
        }
    }
    for label in &labels.removed {
        let done = sqlx::query("DELETE FROM ticket_labels WHERE ticket_id = $1 AND label = $2")
            .bind(id)
            .bind(label)
            .execute(&mut *conn)
            .await?;
        if done.rows_affected() > 0 {
            changed.removed.push(label.clone());
        }
    }
    if !changed.is_empty() {
        append_event(conn, id, now, actor, "labels_changed", &json!(changed)).await?;
        touch(conn, id, now).await?;
    }
    Ok(changed)
}

async fn touch(conn: &mut AnyConnection, id: i64, now: Timestamp) -> Result<(), StoreError> {
    sqlx::query("UPDATE tickets SET updated_at = $1 WHERE id = $2")
        .bind(millis(now))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The two tickets of a link as it is stored: `source` holds `kind`
/// (blocks, duplicate_of or relates_to) towards `target`. Each end is
/// (id, key).
struct LinkEnds {
    source: (i64, String),
    kind: LinkKind,
    target: (i64, String),
}

impl LinkEnds {
    /// The stored form of the link `kind` from `key` to `target`.
    async fn resolve(
        conn: &mut AnyConnection,
        key: &str,
        kind: LinkKind,
        target: &str,
    ) -> Result<LinkEnds, StoreError> {
        let this = (ticket_id(conn, key).await?, key.to_string());
        let other = (ticket_id(conn, target).await?, target.to_string());
        if this.0 == other.0 {
            return Err(StoreError::Invalid(format!("{key} cannot be linked to itself")));
        }
        let (kind, reversed) = kind.stored();
        Ok(if reversed {
            LinkEnds { source: other, kind, target: this }
        } else {
            LinkEnds { source: this, kind, target: other }
        })
    }

    fn reversed(self) -> LinkEnds {
        LinkEnds { source: self.target, kind: self.kind, target: self.source }
    }

    /// Whether this link is stored already: `Some(false)` as it is,
    /// `Some(true)` the other way round.
    async fn existing(&self, conn: &mut AnyConnection) -> Result<Option<bool>, StoreError> {
        let row = sqlx::query(
            "SELECT source_id FROM ticket_links WHERE kind = $1 \
             AND ((source_id = $2 AND target_id = $3) OR (source_id = $3 AND target_id = $2)) \
             ORDER BY source_id = $2 DESC LIMIT 1",
        )
        .bind(self.kind.as_str())
        .bind(self.source.0)
        .bind(self.target.0)
        .fetch_optional(&mut *conn)
        .await?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(row.try_get::<i64, _>(0)? != self.source.0)),
        }
    }

    /// Why the link cannot be added: it exists, or its opposite does.
    fn exists_message(&self, reversed: bool, key: &str, kind: LinkKind, target: &str) -> String {
        let same = format!("{key} {} {target} already", kind.verb());
        match (reversed, self.kind) {
            (false, _) | (true, LinkKind::RelatesTo) => same,
            (true, stored) => format!(
                "{} {} {} already: two tickets cannot {} each other",
                self.target.1,
                stored.verb(),
                self.source.1,
                if stored == LinkKind::Blocks { "block" } else { "duplicate" }
            ),
        }
    }

    /// Logs `event` on both tickets, each naming the other.
    async fn log(
        &self,
        conn: &mut AnyConnection,
        event: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let ends = [
            (&self.source, self.kind, &self.target),
            (&self.target, self.kind.inverse(), &self.source),
        ];
        for (this, kind, other) in ends {
            append_event(conn, this.0, now, actor, event, &json!({ "kind": kind, "key": other.1 }))
                .await?;
            touch(conn, this.0, now).await?;
        }
        Ok(())
    }
}

/// `$first, $first+1, …`, `count` of them.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

fn parse_stored<T>(row: &sqlx::any::AnyRow, index: usize, what: &str) -> Result<T, StoreError>
where
    T: std::str::FromStr,
{
    let text: String = row.try_get(index)?;
    text.parse().map_err(|_| {
        StoreError::Invalid(format!("a stored ticket link has an unknown {what} {text:?}"))
    })
}
