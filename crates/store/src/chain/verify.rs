//! Walking the chain: every event's hash recomputed from the one before it,
//! in chain order, one row at a time, so a store of millions of events is
//! checked in seconds with little memory. The walk stops at the first event
//! that breaks the chain and says what is wrong with it.

use futures_util::TryStreamExt;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{ChainHead, ChainPin, GENESIS, Link, decode_hash, link_hash};
use crate::{Backend, Store, StoreError};

/// What a walk of the chain found.
#[derive(Debug, Clone, Serialize)]
pub struct ChainReport {
    /// Events whose hash was recomputed and found right.
    pub checked: u64,
    /// The head as stored.
    pub head: ChainHead,
    /// The pin checked, if one was given.
    pub pin: Option<ChainPin>,
    /// The first event that breaks the chain; `None` when it holds.
    pub broken: Option<ChainBreak>,
}

impl ChainReport {
    /// The chain holds, and so does the pin if one was given.
    pub fn holds(&self) -> bool {
        self.broken.is_none()
    }
}

/// The first place the chain breaks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainBreak {
    /// The event's number on the chain, when it has one.
    pub seq: Option<i64>,
    /// The event's row id; `None` when the break is past the last event.
    pub event_id: Option<i64>,
    pub ticket_key: Option<String>,
    pub kind: Option<String>,
    pub problem: ChainProblem,
    /// What is wrong, in words.
    pub detail: String,
}

/// Kinds of break, each with what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainProblem {
    /// The event's hash does not match its fields and the hash before it:
    /// the event was changed (or the one before it rewritten with its hash).
    ContentChanged,
    /// Numbers are missing before this event: events were removed.
    Removed,
    /// The event holds what the chain says belongs at another number, or a
    /// number comes twice: events were swapped or moved.
    Reordered,
    /// The event has no hash or no number: it is not on the chain.
    Unchained,
    /// The head does not name the chain's last event.
    HeadMismatch,
    /// The chain ends before the head (or the pin) says it does.
    Truncated,
    /// The pinned event's hash is not the one pinned.
    PinMismatch,
}

/// One event as stored, with its place on the chain.
struct Stored {
    seq: i64,
    id: i64,
    ticket: i64,
    key: Option<String>,
    at: i64,
    actor: String,
    kind: String,
    data: String,
    hash: Option<String>,
}

impl Stored {
    fn from_row(row: &AnyRow) -> Result<Stored, StoreError> {
        Ok(Stored {
            seq: row.try_get(0)?,
            id: row.try_get(1)?,
            ticket: row.try_get(2)?,
            key: row.try_get(3)?,
            at: row.try_get(4)?,
            actor: row.try_get(5)?,
            kind: row.try_get(6)?,
            data: row.try_get(7)?,
            hash: row.try_get(8)?,
        })
    }

    /// The event's hash were it at `seq` after `prev`.
    fn hash_at(&self, prev: &[u8; 32], seq: i64) -> String {
        let link = Link {
            seq,
            ticket: self.ticket,
            key: self.key.as_deref().unwrap_or(""),
            at: self.at,
            actor: &self.actor,
            kind: &self.kind,
            data: &self.data,
        };
        hex::encode(link_hash(prev, &link))
    }

    fn broken(&self, problem: ChainProblem, detail: String) -> ChainBreak {
        ChainBreak {
            seq: Some(self.seq),
            event_id: Some(self.id),
            ticket_key: self.key.clone(),
            kind: Some(self.kind.clone()),
            problem,
            detail,
        }
    }
}

/// An event whose hash is wrong; the next event tells whether it was
/// changed or swapped with that one.
struct Suspect {
    event: Stored,
    prev: [u8; 32],
}

/// The walk's state between rows.
struct Walk<'a> {
    head: &'a ChainHead,
    pin: Option<&'a ChainPin>,
    expected: i64,
    prev: [u8; 32],
    checked: u64,
    suspect: Option<Suspect>,
}

impl Walk<'_> {
    /// Takes the next event in chain order; a break ends the walk.
    fn step(&mut self, event: Stored) -> Result<(), ChainBreak> {
        if let Some(suspect) = self.suspect.take() {
            return Err(judge(suspect, Some(&event)));
        }
        if event.seq > self.head.seq {
            let detail = format!("the head is at {} but the chain goes on", self.head.seq);
            return Err(event.broken(ChainProblem::HeadMismatch, detail));
        }
        if event.seq > self.expected {
            let detail = match event.seq - self.expected {
                1 => format!("event {} is missing", self.expected),
                _ => format!("events {} to {} are missing", self.expected, event.seq - 1),
            };
            return Err(event.broken(ChainProblem::Removed, detail));
        }
        if event.seq < self.expected {
            let detail = format!("number {} comes twice", event.seq);
            return Err(event.broken(ChainProblem::Reordered, detail));
        }
        let Some(stored) = event.hash.clone() else {
            return Err(event.broken(ChainProblem::Unchained, "the event has no hash".into()));
        };
        let recomputed = event.hash_at(&self.prev, event.seq);
        let Some(bytes) = decode_hash(&stored).filter(|_| recomputed == stored) else {
            self.suspect = Some(Suspect { event, prev: self.prev });
            return Ok(());
        };
        if let Some(pin) = self.pin.filter(|pin| pin.seq == event.seq && pin.hash != stored) {
            let detail = format!("the pin says {} but the chain has {stored}", pin.hash);
            return Err(event.broken(ChainProblem::PinMismatch, detail));
        }
        self.prev = bytes;
        self.expected += 1;
        self.checked += 1;
        Ok(())
    }

    /// After the last event: the head and the pin must name what was seen.
    fn end(&mut self) -> Result<(), ChainBreak> {
        if let Some(suspect) = self.suspect.take() {
            return Err(judge(suspect, None));
        }
        let last = self.expected - 1;
        if last < self.head.seq {
            let detail = format!("the head is at {} but the chain ends at {last}", self.head.seq);
            return Err(past_the_end(ChainProblem::Truncated, detail));
        }
        if hex::encode(self.prev) != self.head.hash {
            let detail =
                format!("the head's hash {} is not the hash of event {last}", self.head.hash);
            return Err(past_the_end(ChainProblem::HeadMismatch, detail));
        }
        if let Some(pin) = self.pin.filter(|pin| pin.seq > last) {
            let detail = format!("the pin is at {} but the chain ends at {last}", pin.seq);
            return Err(past_the_end(ChainProblem::Truncated, detail));
        }
        if let Some(pin) = self.pin.filter(|pin| pin.seq == 0 && pin.hash != hex::encode(GENESIS)) {
            let detail = format!("the pin at 0 must be the empty chain's hash, not {}", pin.hash);
            return Err(past_the_end(ChainProblem::PinMismatch, detail));
        }
        Ok(())
    }
}

/// A suspect whose content, put in the next event's place, is what the
/// chain expects there was swapped with it; otherwise it was changed.
fn judge(suspect: Suspect, next: Option<&Stored>) -> ChainBreak {
    let Suspect { event, prev } = suspect;
    let stored = event.hash.as_deref().unwrap_or("");
    // Either the next event's fields were hashed here (fields swapped, each
    // place keeping its hash), or it is the event that was here, hash and
    // all (rows renumbered).
    let swapped = next.is_some_and(|next| {
        let here = next.hash_at(&prev, event.seq);
        here == stored || Some(here.as_str()) == next.hash.as_deref()
    });
    if swapped {
        let detail =
            format!("the event holds what belongs at {}: events were swapped", event.seq + 1);
        return event.broken(ChainProblem::Reordered, detail);
    }
    let detail = "its hash does not match its fields and the hash before it".to_string();
    event.broken(ChainProblem::ContentChanged, detail)
}

fn past_the_end(problem: ChainProblem, detail: String) -> ChainBreak {
    ChainBreak { seq: None, event_id: None, ticket_key: None, kind: None, problem, detail }
}

impl Store {
    /// Walks the whole chain and checks its head, and `pin` if given: an
    /// earlier head whose event must still be on the chain with its hash.
    /// Reads one snapshot, so writes meanwhile do not look like breaks.
    pub async fn verify_chain(&self, pin: Option<&ChainPin>) -> Result<ChainReport, StoreError> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let (seq, hash): (i64, String) =
            sqlx::query_as("SELECT seq, hash FROM audit_chain WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| {
                    StoreError::NotFound("the audit chain's head (table audit_chain)".into())
                })?;
        let head = ChainHead { seq, hash };

        let mut walk =
            Walk { head: &head, pin, expected: 1, prev: GENESIS, checked: 0, suspect: None };
        let mut broken = walk_events(&mut tx, &mut walk).await?;
        if broken.is_none() {
            broken = first_unchained(&mut tx).await?;
        }
        let checked = walk.checked;
        tx.rollback().await?;
        Ok(ChainReport { checked, head, pin: pin.cloned(), broken })
    }
}

/// Streams the chained events in order through `walk`.
async fn walk_events(
    conn: &mut AnyConnection,
    walk: &mut Walk<'_>,
) -> Result<Option<ChainBreak>, StoreError> {
    let mut rows = sqlx::query(
        "SELECT e.chain_seq, e.id, e.ticket_id, t.ticket_key, e.at, e.actor, e.kind, e.data, \
         e.hash FROM ticket_events e LEFT JOIN tickets t ON t.id = e.ticket_id \
         WHERE e.chain_seq IS NOT NULL ORDER BY e.chain_seq",
    )
    .fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        if let Err(broken) = walk.step(Stored::from_row(&row)?) {
            return Ok(Some(broken));
        }
    }
    Ok(walk.end().err())
}

/// The first event, by id, that has no number on the chain.
async fn first_unchained(conn: &mut AnyConnection) -> Result<Option<ChainBreak>, StoreError> {
    let row = sqlx::query(
        "SELECT e.id, t.ticket_key, e.kind FROM ticket_events e \
         LEFT JOIN tickets t ON t.id = e.ticket_id WHERE e.chain_seq IS NULL ORDER BY e.id LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(ChainBreak {
        seq: None,
        event_id: Some(row.try_get(0)?),
        ticket_key: row.try_get(1)?,
        kind: Some(row.try_get(2)?),
        problem: ChainProblem::Unchained,
        detail: "the event has no number on the chain".into(),
    }))
}
