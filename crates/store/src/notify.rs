//! Outbound notifications: the channels notices go to, and the outbox that
//! holds each notice for each channel until it is delivered or given up.
//!
//! A notice is queued in the transaction of the change it reports
//! ([`enqueue_in`]), so a change and its notice commit together or not at
//! all. Senders claim due rows with a lease: a claim sets `locked_until` and
//! a token of the sender's own, in one statement that skips rows another
//! sender holds, so two server replicas never send the same row; a sender
//! records what became of a row only while its token is still on it.

use std::fmt;

use fixgate_domain::channel::{ChannelKind, Digest};
use fixgate_domain::{Notice, NoticeKind};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::connect::Backend;
use crate::rows::{from_millis, millis};
use crate::{Store, StoreError};

/// A channel notices go to. Its Debug output leaves the secret out and
/// masks the target, which may be a credential (a Slack or Teams webhook
/// URL); so does its JSON.
#[derive(Clone, PartialEq)]
pub struct Channel {
    pub id: i64,
    pub name: String,
    pub kind: ChannelKind,
    /// A URL, or email addresses separated by commas.
    pub target: String,
    /// A webhook channel's signing key.
    pub secret: Option<String>,
    /// Only this team's notices, when set.
    pub team: Option<String>,
    /// Only notices of these kinds; every kind when empty.
    pub kinds: Vec<NoticeKind>,
    pub digest: Digest,
    pub created_at: Timestamp,
    pub created_by: String,
    pub disabled_at: Option<Timestamp>,
}

impl Channel {
    /// Whether a notice goes to this channel: of its team (when it has one)
    /// and of a kind it wants. A test notice goes only where it is sent.
    pub fn wants(&self, notice: &Notice) -> bool {
        let team = self.team.as_deref().is_none_or(|team| notice.team.as_deref() == Some(team));
        self.wants_kind(notice.kind) && team
    }

    /// Whether notices of `kind` go to this channel, for some team.
    pub fn wants_kind(&self, kind: NoticeKind) -> bool {
        kind != NoticeKind::Test && (self.kinds.is_empty() || self.kinds.contains(&kind))
    }

    /// The target as lists show it: a URL's scheme and host only, since
    /// the rest of a chat webhook's URL is what lets anyone post to it.
    pub fn shown_target(&self) -> String {
        mask_url(&self.target)
    }
}

fn mask_url(target: &str) -> String {
    let Some((scheme, rest)) = target.split_once("://") else {
        return target.to_string();
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    // Credentials in the authority are a secret too.
    let host = host.rsplit('@').next().unwrap_or(host);
    if rest.len() > host.len() { format!("{scheme}://{host}/…") } else { target.to_string() }
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("target", &self.shown_target())
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .field("team", &self.team)
            .field("kinds", &self.kinds)
            .field("digest", &self.digest)
            .field("disabled_at", &self.disabled_at)
            .finish()
    }
}

impl Serialize for Channel {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shown<'a> {
            name: &'a str,
            kind: ChannelKind,
            target: String,
            team: Option<&'a str>,
            /// Empty: every kind.
            events: &'a [NoticeKind],
            digest: String,
            created_at: Timestamp,
            created_by: &'a str,
            disabled_at: Option<Timestamp>,
        }
        Shown {
            name: &self.name,
            kind: self.kind,
            target: self.shown_target(),
            team: self.team.as_deref(),
            events: &self.kinds,
            digest: self.digest.to_string(),
            created_at: self.created_at,
            created_by: &self.created_by,
            disabled_at: self.disabled_at,
        }
        .serialize(serializer)
    }
}

/// A channel to create.
#[derive(Debug, Clone, Copy)]
pub struct NewChannel<'a> {
    pub name: &'a str,
    pub kind: ChannelKind,
    pub target: &'a str,
    pub secret: Option<&'a str>,
    pub team: Option<&'a str>,
    pub kinds: &'a [NoticeKind],
    pub digest: &'a Digest,
    pub actor: &'a str,
}

/// A queued notice a sender claimed.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub id: i64,
    pub channel_id: i64,
    pub notice: Notice,
    /// Attempts made before this one.
    pub attempts: u32,
    pub created_at: Timestamp,
}

/// Which due rows a sender claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Up to `limit` of a channel's due rows, oldest first.
    Channel { id: i64, limit: u32 },
    /// The one row `id`, if it is due.
    Row(i64),
}

/// A sender's hold on the rows it claims: its token, the time of the claim
/// and when the hold runs out.
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    pub token: &'a str,
    pub now: Timestamp,
    pub until: Timestamp,
}

/// What became of an attempt to deliver claimed rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt<'a> {
    /// The receiver took it.
    Delivered,
    /// It failed; try again at `at`.
    Retry { error: &'a str, at: Timestamp },
    /// It failed and will not be tried again.
    GiveUp { error: &'a str },
}

/// Where a queued notice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueState {
    /// Not tried yet.
    Pending,
    /// Tried and failed; tried again later.
    Retrying,
    Delivered,
    /// Failed for too long, or its channel was removed.
    GaveUp,
}

/// A queued notice as the queue's list shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueEntry {
    pub id: i64,
    pub channel: String,
    pub kind: NoticeKind,
    pub summary: String,
    pub state: QueueState,
    pub created_at: Timestamp,
    pub deliver_after: Timestamp,
    pub attempts: u32,
    pub last_attempt_at: Option<Timestamp>,
    /// The last failed attempt's error, kept after a later success too.
    pub last_error: Option<String>,
    pub delivered_at: Option<Timestamp>,
    pub gave_up_at: Option<Timestamp>,
}

/// Which queued notices to list.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Delivered notices too, not only those pending or given up.
    pub delivered: bool,
    /// Only this channel's.
    pub channel: Option<String>,
    pub limit: u32,
}

const CHANNEL_COLUMNS: &str = "id, name, kind, target, secret, team, kinds, digest, created_at, \
     created_by, disabled_at";

/// The error a queued notice of a removed channel keeps.
const REMOVED: &str = "the channel was removed before the notice was delivered";

impl Store {
    /// Creates a channel. A name another channel in use holds is a conflict.
    pub async fn create_channel(
        &self,
        channel: &NewChannel<'_>,
        now: Timestamp,
    ) -> Result<Channel, StoreError> {
        let row = sqlx::query(&format!(
            "INSERT INTO notify_channels (name, kind, target, secret, team, kinds, digest, \
             created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING {CHANNEL_COLUMNS}"
        ))
        .bind(channel.name)
        .bind(channel.kind.as_str())
        .bind(channel.target)
        .bind(channel.secret)
        .bind(channel.team)
        .bind(kinds_column(channel.kinds))
        .bind(channel.digest.to_string())
        .bind(millis(now))
        .bind(channel.actor)
        .fetch_one(&self.pool)
        .await
        .map_err(|err| match StoreError::from(err) {
            StoreError::Conflict(_) => StoreError::Conflict(format!(
                "a channel named {:?} exists; remove it first or choose another name",
                channel.name
            )),
            other => other,
        })?;
        channel_row(&row)
    }

    /// The channels in use by name, and the removed ones too when asked.
    pub async fn channels(&self, removed_too: bool) -> Result<Vec<Channel>, StoreError> {
        let condition = if removed_too { "" } else { "WHERE disabled_at IS NULL" };
        let rows = sqlx::query(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM notify_channels {condition} ORDER BY name, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(channel_row).collect()
    }

    /// The channel in use named `name`.
    pub async fn active_channel(&self, name: &str) -> Result<Channel, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM notify_channels WHERE name = $1 AND disabled_at IS NULL"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(channel_row).unwrap_or_else(|| Err(no_channel(name)))
    }

    /// The channel `id`, removed or not.
    pub async fn channel_by_id(&self, id: i64) -> Result<Channel, StoreError> {
        let row =
            sqlx::query(&format!("SELECT {CHANNEL_COLUMNS} FROM notify_channels WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref()
            .map(channel_row)
            .unwrap_or_else(|| Err(StoreError::NotFound(format!("channel {id}"))))
    }

    /// Removes the channel `name`: it gets no more notices, and those still
    /// queued for it are given up. Returns how many were.
    pub async fn disable_channel(&self, name: &str, now: Timestamp) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id: Option<(i64,)> = sqlx::query_as(
            "UPDATE notify_channels SET disabled_at = $2 \
             WHERE name = $1 AND disabled_at IS NULL RETURNING id",
        )
        .bind(name)
        .bind(millis(now))
        .fetch_optional(&mut *tx)
        .await?;
        let (id,) = id.ok_or_else(|| no_channel(name))?;
        let dropped = sqlx::query(
            "UPDATE notify_outbox SET gave_up_at = $2, last_error = $3, locked_until = NULL, \
             lock_token = NULL WHERE channel_id = $1 AND delivered_at IS NULL \
             AND gave_up_at IS NULL",
        )
        .bind(id)
        .bind(millis(now))
        .bind(REMOVED)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(dropped.rows_affected())
    }

    /// Queues each notice for every channel in use that wants it; returns
    /// how many rows were queued.
    pub async fn enqueue_notices(
        &self,
        notices: &[Notice],
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let queued = enqueue_in(&mut tx, notices, now).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// Queues `notice` for the channel `channel_id` alone, due at once
    /// whatever the channel's filters and digest; returns the row's id.
    pub async fn enqueue_for(
        &self,
        channel_id: i64,
        notice: &Notice,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut conn = self.pool.acquire().await?;
        insert_row(&mut conn, channel_id, notice, now, now).await
    }

    /// Channels with rows due at `now` that no sender holds, at most `limit`.
    pub async fn due_channels(&self, now: Timestamp, limit: u32) -> Result<Vec<i64>, StoreError> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT DISTINCT channel_id FROM notify_outbox WHERE delivered_at IS NULL \
             AND gave_up_at IS NULL AND deliver_after <= $1 \
             AND (locked_until IS NULL OR locked_until <= $1) ORDER BY channel_id LIMIT $2",
        )
        .bind(millis(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Claims due rows for `lease`, oldest first. Rows another sender holds
    /// are skipped, even when both claim at once.
    pub async fn claim_notices(
        &self,
        claim: Claim,
        lease: &Lease<'_>,
    ) -> Result<Vec<Claimed>, StoreError> {
        let (scope, key, limit) = match claim {
            Claim::Channel { id, limit } => ("channel_id = $4", id, i64::from(limit)),
            Claim::Row(id) => ("id = $4", id, 1),
        };
        // The conditions are checked again outside the subquery: a row a
        // concurrent claim took between the two is seen with its new lease
        // and left alone. PostgreSQL also skips rows another claim has
        // locked instead of waiting for them.
        let skip_locked =
            if self.backend == Backend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
        let free = "delivered_at IS NULL AND gave_up_at IS NULL \
                    AND (locked_until IS NULL OR locked_until <= $3)";
        let sql = format!(
            "UPDATE notify_outbox SET locked_until = $1, lock_token = $2 WHERE id IN \
             (SELECT id FROM notify_outbox WHERE {scope} AND {free} AND deliver_after <= $3 \
             ORDER BY id LIMIT $5 {skip_locked}) AND {free} \
             RETURNING id, channel_id, payload, attempts, created_at"
        );
        let rows = sqlx::query(&sql)
            .bind(millis(lease.until))
            .bind(lease.token)
            .bind(millis(lease.now))
            .bind(key)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let mut claimed = rows.iter().map(claimed_row).collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|row| row.id);
        Ok(claimed)
    }

    /// Records what became of an attempt at the rows `ids`, for those the
    /// lease `token` still holds; returns how many it held.
    pub async fn record_attempt(
        &self,
        ids: &[i64],
        token: &str,
        now: Timestamp,
        attempt: Attempt<'_>,
    ) -> Result<u64, StoreError> {
        let (set, error, after) = match attempt {
            Attempt::Delivered => ("delivered_at = $1", None, None),
            Attempt::Retry { error, at } => {
                ("last_error = $4, deliver_after = $5", Some(error), Some(millis(at)))
            }
            Attempt::GiveUp { error } => ("last_error = $4, gave_up_at = $1", Some(error), None),
        };
        let sql = format!(
            "UPDATE notify_outbox SET {set}, attempts = attempts + 1, last_attempt_at = $1, \
             locked_until = NULL, lock_token = NULL WHERE id = $2 AND lock_token = $3"
        );
        let mut tx = self.pool.begin().await?;
        let mut held = 0;
        for id in ids {
            let mut query = sqlx::query(&sql).bind(millis(now)).bind(*id).bind(token);
            if let Some(error) = error {
                query = query.bind(error);
            }
            if let Some(after) = after {
                query = query.bind(after);
            }
            held += query.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(held)
    }

    /// The queue, newest first: pending, retrying and given-up notices, and
    /// delivered ones when the filter asks.
    pub async fn notification_queue(
        &self,
        filter: &QueueFilter,
    ) -> Result<Vec<QueueEntry>, StoreError> {
        let mut conditions = Vec::new();
        if !filter.delivered {
            conditions.push("o.delivered_at IS NULL");
        }
        if filter.channel.is_some() {
            conditions.push("c.name = $2");
        }
        let condition = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT o.id, c.name, o.payload, o.created_at, o.deliver_after, o.attempts, \
             o.last_attempt_at, o.last_error, o.delivered_at, o.gave_up_at \
             FROM notify_outbox o JOIN notify_channels c ON c.id = o.channel_id \
             {condition} ORDER BY o.id DESC LIMIT $1"
        );
        let mut query = sqlx::query(&sql).bind(i64::from(filter.limit.clamp(1, 10_000)));
        if let Some(channel) = &filter.channel {
            query = query.bind(channel.as_str());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(queue_entry).collect()
    }

    /// Deletes delivered and given-up notices finished before `before`;
    /// returns how many.
    pub async fn purge_notifications(&self, before: Timestamp) -> Result<u64, StoreError> {
        let done =
            sqlx::query("DELETE FROM notify_outbox WHERE delivered_at < $1 OR gave_up_at < $1")
                .bind(millis(before))
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected())
    }
}

/// Queues each notice for every channel in use that wants it, on `conn`,
/// which may be inside the transaction of the change the notices report;
/// returns how many rows were queued. A digest channel's rows wait for its
/// next digest time.
pub(crate) async fn enqueue_in(
    conn: &mut AnyConnection,
    notices: &[Notice],
    now: Timestamp,
) -> Result<u64, StoreError> {
    if notices.is_empty() {
        return Ok(0);
    }
    let channels = channels_in(conn).await?;
    enqueue_to(conn, &channels, notices, now).await
}

/// The channels in use, read on `conn`. A channel row that cannot be read
/// is skipped, not an error: it must not undo the change a notice reports.
pub(crate) async fn channels_in(conn: &mut AnyConnection) -> Result<Vec<Channel>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {CHANNEL_COLUMNS} FROM notify_channels WHERE disabled_at IS NULL ORDER BY id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            channel_row(row)
                .inspect_err(|err| tracing::warn!(error = %err, "a channel is skipped"))
                .ok()
        })
        .collect())
}

/// Queues each notice for every one of `channels` that wants it, on
/// `conn`; returns how many rows were queued.
pub(crate) async fn enqueue_to(
    conn: &mut AnyConnection,
    channels: &[Channel],
    notices: &[Notice],
    now: Timestamp,
) -> Result<u64, StoreError> {
    let mut queued = 0;
    for notice in notices {
        for channel in channels.iter().filter(|channel| channel.wants(notice)) {
            let after = channel.digest.next_after(now);
            insert_row(conn, channel.id, notice, now, after).await?;
            queued += 1;
        }
    }
    Ok(queued)
}

async fn insert_row(
    conn: &mut AnyConnection,
    channel_id: i64,
    notice: &Notice,
    now: Timestamp,
    deliver_after: Timestamp,
) -> Result<i64, StoreError> {
    let payload = serde_json::to_string(notice)
        .map_err(|err| StoreError::Invalid(format!("a notice cannot be written as JSON: {err}")))?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO notify_outbox (channel_id, kind, payload, created_at, deliver_after) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(channel_id)
    .bind(notice.kind.as_str())
    .bind(payload)
    .bind(millis(now))
    .bind(millis(deliver_after))
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

fn no_channel(name: &str) -> StoreError {
    StoreError::NotFound(format!("channel {name:?}"))
}

/// `" breached due_soon "`, or `NULL` for every kind.
fn kinds_column(kinds: &[NoticeKind]) -> Option<String> {
    if kinds.is_empty() {
        return None;
    }
    let mut out = String::from(" ");
    for kind in kinds {
        out.push_str(kind.as_str());
        out.push(' ');
    }
    Some(out)
}

fn parse_kinds(column: Option<&str>) -> Result<Vec<NoticeKind>, StoreError> {
    column
        .unwrap_or("")
        .split_whitespace()
        .map(|kind| {
            kind.parse().map_err(|err| StoreError::Invalid(format!("stored channel: {err}")))
        })
        .collect()
}

fn channel_row(row: &AnyRow) -> Result<Channel, StoreError> {
    let kind: String = row.try_get(2)?;
    let kinds: Option<String> = row.try_get(6)?;
    let digest: String = row.try_get(7)?;
    let invalid = |err: &dyn fmt::Display| StoreError::Invalid(format!("stored channel: {err}"));
    Ok(Channel {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        kind: kind.parse().map_err(|err| invalid(&err))?,
        target: row.try_get(3)?,
        secret: row.try_get(4)?,
        team: row.try_get(5)?,
        kinds: parse_kinds(kinds.as_deref())?,
        digest: Digest::from_stored(&digest).map_err(|err| invalid(&err))?,
        created_at: from_millis(row.try_get(8)?),
        created_by: row.try_get(9)?,
        disabled_at: row.try_get::<Option<i64>, _>(10)?.map(from_millis),
    })
}

fn notice_of(id: i64, payload: &str) -> Result<Notice, StoreError> {
    serde_json::from_str(payload)
        .map_err(|err| StoreError::Invalid(format!("queued notice {id} cannot be read: {err}")))
}

fn attempts_of(row: &AnyRow, index: usize) -> Result<u32, StoreError> {
    Ok(u32::try_from(row.try_get::<i64, _>(index)?).unwrap_or(u32::MAX))
}

fn claimed_row(row: &AnyRow) -> Result<Claimed, StoreError> {
    let id: i64 = row.try_get(0)?;
    let payload: String = row.try_get(2)?;
    Ok(Claimed {
        id,
        channel_id: row.try_get(1)?,
        notice: notice_of(id, &payload)?,
        attempts: attempts_of(row, 3)?,
        created_at: from_millis(row.try_get(4)?),
    })
}

fn queue_entry(row: &AnyRow) -> Result<QueueEntry, StoreError> {
    let id: i64 = row.try_get(0)?;
    let payload: String = row.try_get(2)?;
    let notice = notice_of(id, &payload)?;
    let time = |i: usize| -> Result<Option<Timestamp>, StoreError> {
        Ok(row.try_get::<Option<i64>, _>(i)?.map(from_millis))
    };
    let attempts = attempts_of(row, 5)?;
    let (delivered_at, gave_up_at) = (time(8)?, time(9)?);
    let state = match (delivered_at, gave_up_at) {
        (Some(_), _) => QueueState::Delivered,
        (None, Some(_)) => QueueState::GaveUp,
        (None, None) if attempts > 0 => QueueState::Retrying,
        (None, None) => QueueState::Pending,
    };
    Ok(QueueEntry {
        id,
        channel: row.try_get(1)?,
        kind: notice.kind,
        summary: notice.summary,
        state,
        created_at: from_millis(row.try_get(3)?),
        deliver_after: from_millis(row.try_get(4)?),
        attempts,
        last_attempt_at: time(6)?,
        last_error: row.try_get(7)?,
        delivered_at,
        gave_up_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(team: Option<&str>, kinds: &[NoticeKind]) -> Channel {
        Channel {
            id: 1,
            name: "ops".into(),
            kind: ChannelKind::Slack,
            target: "https://hooks.slack.com/services/T0/B0/secretpart".into(),
            secret: Some("5ec7e7".into()),
            team: team.map(str::to_string),
            kinds: kinds.to_vec(),
            digest: Digest::None,
            created_at: Timestamp::UNIX_EPOCH,
            created_by: "test".into(),
            disabled_at: None,
        }
    }

    fn notice(kind: NoticeKind, team: Option<&str>) -> Notice {
        Notice {
            kind,
            at: Timestamp::UNIX_EPOCH,
            team: team.map(str::to_string),
            summary: "s".into(),
            tickets: Vec::new(),
            total: 0,
            actor: None,
            note: None,
        }
    }

    #[test]
    fn a_team_channel_wants_its_teams_notices_only() {
        let shop = channel(Some("shop-team"), &[]);
        assert!(shop.wants(&notice(NoticeKind::Breached, Some("shop-team"))));
        assert!(!shop.wants(&notice(NoticeKind::Breached, Some("bank-team"))));
        assert!(!shop.wants(&notice(NoticeKind::Breached, None)));
        assert!(channel(None, &[]).wants(&notice(NoticeKind::Breached, Some("bank-team"))));
    }

    #[test]
    fn a_kinds_filter_keeps_the_kinds_named() {
        let alerts = channel(None, &[NoticeKind::Breached, NoticeKind::Reopened]);
        assert!(alerts.wants(&notice(NoticeKind::Reopened, None)));
        assert!(!alerts.wants(&notice(NoticeKind::DueSoon, None)));
    }

    #[test]
    fn test_notices_are_never_fanned_out() {
        assert!(!channel(None, &[]).wants(&notice(NoticeKind::Test, None)));
    }

    #[test]
    fn kinds_round_trip_through_their_column() {
        let kinds = [NoticeKind::DueSoon, NoticeKind::AcceptanceRequested];
        let column = kinds_column(&kinds);
        assert_eq!(column.as_deref(), Some(" due_soon acceptance_requested "));
        assert_eq!(parse_kinds(column.as_deref()).unwrap(), kinds);
        assert_eq!(kinds_column(&[]), None);
        assert!(parse_kinds(None).unwrap().is_empty());
    }

    #[test]
    fn a_channels_debug_and_json_hide_its_secret_and_mask_its_url() {
        let channel = channel(None, &[]);
        let debug = format!("{channel:?}");
        let json = serde_json::to_string(&channel).unwrap();
        for shown in [&debug, &json] {
            assert!(!shown.contains("5ec7e7") && !shown.contains("secretpart"), "{shown}");
            assert!(shown.contains("https://hooks.slack.com/…"), "{shown}");
        }
    }

    async fn store(dir: &std::path::Path) -> Store {
        let url = format!("sqlite://{}", dir.join("fixgate.db").display());
        Store::connect(&url, crate::ConnectOptions::default()).await.unwrap()
    }

    #[tokio::test]
    async fn notices_queued_in_a_transaction_commit_or_roll_back_with_it() {
        let dir = std::env::temp_dir().join(format!("fixgate-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = store(&dir).await;
        let digest = Digest::None;
        let new = NewChannel {
            name: "ops",
            kind: ChannelKind::Webhook,
            target: "http://127.0.0.1:9/x",
            secret: Some("s"),
            team: None,
            kinds: &[],
            digest: &digest,
            actor: "test",
        };
        store.create_channel(&new, Timestamp::UNIX_EPOCH).await.unwrap();
        // A row no fixgate wrote is skipped rather than failing the change.
        sqlx::query(
            "INSERT INTO notify_channels (name, kind, target, digest, created_at, created_by) \
             VALUES ('broken', 'pager', 'x', 'none', 0, 't')",
        )
        .execute(&store.pool)
        .await
        .unwrap();
        let notices = [notice(NoticeKind::Reopened, None)];

        let mut tx = store.pool.begin().await.unwrap();
        assert_eq!(enqueue_in(&mut tx, &notices, Timestamp::UNIX_EPOCH).await.unwrap(), 1);
        tx.rollback().await.unwrap();
        let all = QueueFilter { delivered: true, channel: None, limit: 10 };
        assert!(store.notification_queue(&all).await.unwrap().is_empty());

        let mut tx = store.pool.begin().await.unwrap();
        enqueue_in(&mut tx, &notices, Timestamp::UNIX_EPOCH).await.unwrap();
        tx.commit().await.unwrap();
        let queued = store.notification_queue(&all).await.unwrap();
        assert_eq!((queued.len(), queued[0].state), (1, QueueState::Pending));
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn urls_are_masked_past_their_host() {
        assert_eq!(mask_url("https://user:pw@example.com:8443/x?y"), "https://example.com:8443/…");
        assert_eq!(mask_url("http://127.0.0.1:9000"), "http://127.0.0.1:9000");
        assert_eq!(mask_url("a@example.com, b@example.com"), "a@example.com, b@example.com");
    }
}
