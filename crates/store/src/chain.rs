//! The event log as a hash chain, so history cannot be changed unseen.
//!
//! Every event gets the next number on the chain (`chain_seq`) and a hash:
//! SHA-256 over the hash of the event before it and the event's own fields,
//! each length-prefixed (docs/audit.md gives the exact bytes). `audit_chain`
//! holds the chain's head, the number and hash of its last event.
//!
//! Writers append their events unsealed and seal them with [`commit`] just
//! before their transaction commits: that takes the head's lock last, after
//! every ticket row the transaction changed, so two writers never wait on
//! each other in a cycle, and the head stays locked only for the hashing.
//! The numbers come from the head under its lock, so concurrent writers on
//! PostgreSQL still make one gapless chain. [`verify`] walks the chain.

mod verify;

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{Any, AnyConnection, Row, Transaction};

use crate::batch::{binds, for_rows};
use crate::metrics::facts::backend_of;
use crate::{Backend, Store, StoreError};

pub use verify::{ChainBreak, ChainProblem, ChainReport};

/// The hash before the first event: 32 zero bytes.
pub(crate) const GENESIS: [u8; 32] = [0; 32];

/// How many unsealed events one round of sealing reads and writes.
const SEAL_BATCH: i64 = 10_000;

/// The chain's last event: its number (0 for an empty chain) and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainHead {
    pub seq: i64,
    /// SHA-256, lowercase hex.
    pub hash: String,
}

impl fmt::Display for ChainHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

/// A head noted earlier (`SEQ:HASH`), whose event must still be on the
/// chain with that hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainPin {
    pub seq: i64,
    /// SHA-256, lowercase hex.
    pub hash: String,
}

impl FromStr for ChainPin {
    type Err = String;

    fn from_str(text: &str) -> Result<ChainPin, String> {
        let (seq, hash) = text
            .trim()
            .split_once(':')
            .ok_or_else(|| format!("pin {text:?}: expected SEQ:HASH, as `audit head` prints"))?;
        let seq: i64 = seq
            .parse()
            .ok()
            .filter(|seq| *seq >= 0)
            .ok_or_else(|| format!("pin {text:?}: {seq:?} is not a chain number"))?;
        let hash = hash.to_ascii_lowercase();
        if decode_hash(&hash).is_none() {
            return Err(format!("pin {text:?}: the hash must be 64 hex digits"));
        }
        Ok(ChainPin { seq, hash })
    }
}

/// The fields of one event that its hash covers.
pub(crate) struct Link<'a> {
    pub seq: i64,
    pub ticket: i64,
    pub key: &'a str,
    pub at: i64,
    pub actor: &'a str,
    pub kind: &'a str,
    pub data: &'a str,
}

/// SHA-256 over `prev` and the event's fields, each written as its length
/// (8 bytes, big-endian) then its bytes; numbers are 8 bytes, big-endian.
pub(crate) fn link_hash(prev: &[u8; 32], link: &Link<'_>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    };
    field(prev);
    field(&link.seq.to_be_bytes());
    field(&link.ticket.to_be_bytes());
    field(link.key.as_bytes());
    field(&link.at.to_be_bytes());
    field(link.actor.as_bytes());
    field(link.kind.as_bytes());
    field(link.data.as_bytes());
    hasher.finalize().into()
}

/// A stored hash back to its bytes; `None` unless it is 64 hex digits.
pub(crate) fn decode_hash(text: &str) -> Option<[u8; 32]> {
    let mut out = [0; 32];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

/// The chain's head as `conn` sees it.
pub(crate) async fn head(conn: &mut AnyConnection) -> Result<ChainHead, StoreError> {
    let (seq, hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_chain WHERE id = 1")
            .fetch_optional(conn)
            .await?
            .ok_or_else(|| {
                StoreError::NotFound("the audit chain's head (table audit_chain)".into())
            })?;
    Ok(ChainHead { seq, hash })
}

/// Seals the transaction's events, then commits it. Every transaction that
/// appends to `ticket_events` ends with this instead of `commit`.
pub(crate) async fn commit(mut tx: Transaction<'_, Any>) -> Result<(), StoreError> {
    seal(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Puts every event that has no place on the chain yet on it, in id order,
/// and moves the head; returns how many were sealed. Takes the head's lock
/// only when there is something to seal.
pub(crate) async fn seal(conn: &mut AnyConnection) -> Result<u64, StoreError> {
    let unsealed = sqlx::query("SELECT id FROM ticket_events WHERE chain_seq IS NULL LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    if unsealed.is_none() {
        return Ok(0);
    }

    seal_locked(conn).await
}

/// Seals as [`seal`] does, taking the head's lock first whatever there is
/// to seal: on SQLite that is the transaction's first write, so it never
/// has to turn a read into a write.
async fn seal_locked(conn: &mut AnyConnection) -> Result<u64, StoreError> {
    let backend = backend_of(conn);
    let (mut seq, mut hash) = lock_head(conn, backend).await?;
    let mut sealed = 0;
    loop {
        // Read under the lock: an event another writer sealed meanwhile is
        // not sealed twice.
        let batch = unsealed_batch(conn).await?;
        if batch.is_empty() {
            break;
        }
        let mut links = Vec::with_capacity(batch.len());
        for event in &batch {
            seq += 1;
            hash = link_hash(&hash, &event.link(seq));
            links.push((event.id, seq, hex::encode(hash)));
        }
        write_links(conn, backend, &links).await?;
        sealed += links.len() as u64;
    }
    sqlx::query("UPDATE audit_chain SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(hex::encode(hash))
        .execute(&mut *conn)
        .await?;
    Ok(sealed)
}

/// The head, locked until the transaction ends: a row lock on PostgreSQL,
/// the database's write lock on SQLite (which one writer holds at a time).
async fn lock_head(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<(i64, [u8; 32]), StoreError> {
    let sql = match backend {
        Backend::Postgres => "SELECT seq, hash FROM audit_chain WHERE id = 1 FOR UPDATE",
        Backend::Sqlite => "UPDATE audit_chain SET seq = seq WHERE id = 1 RETURNING seq, hash",
    };
    let row = sqlx::query(sql)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound("the audit chain's head (table audit_chain)".into()))?;
    let (seq, text): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
    let hash = decode_hash(&text).ok_or_else(|| {
        StoreError::Invalid(format!("the audit chain's head hash {text:?} is not 64 hex digits"))
    })?;
    Ok((seq, hash))
}

/// An event waiting for its place on the chain.
struct Unsealed {
    id: i64,
    ticket: i64,
    key: String,
    at: i64,
    actor: String,
    kind: String,
    data: String,
}

impl Unsealed {
    fn link(&self, seq: i64) -> Link<'_> {
        Link {
            seq,
            ticket: self.ticket,
            key: &self.key,
            at: self.at,
            actor: &self.actor,
            kind: &self.kind,
            data: &self.data,
        }
    }
}

async fn unsealed_batch(conn: &mut AnyConnection) -> Result<Vec<Unsealed>, StoreError> {
    let rows = sqlx::query(
        "SELECT e.id, e.ticket_id, t.ticket_key, e.at, e.actor, e.kind, e.data \
         FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id \
         WHERE e.chain_seq IS NULL ORDER BY e.id LIMIT $1",
    )
    .bind(SEAL_BATCH)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Unsealed {
                id: row.try_get(0)?,
                ticket: row.try_get(1)?,
                key: row.try_get(2)?,
                at: row.try_get(3)?,
                actor: row.try_get(4)?,
                kind: row.try_get(5)?,
                data: row.try_get(6)?,
            })
        })
        .collect()
}

/// Writes each event's (id, seq, hash).
async fn write_links(
    conn: &mut AnyConnection,
    backend: Backend,
    links: &[(i64, i64, String)],
) -> Result<(), StoreError> {
    for_rows(
        conn,
        backend,
        (
            "UPDATE ticket_events SET chain_seq = v.column2, hash = v.column3 FROM (",
            ") AS v WHERE ticket_events.id = v.column1",
        ),
        &binds(3),
        links,
        |q, (id, seq, hash)| q.bind(*id).bind(*seq).bind(hash.as_str()),
    )
    .await?;
    Ok(())
}

impl Store {
    /// The chain's head: the number and hash of its last event.
    pub async fn chain_head(&self) -> Result<ChainHead, StoreError> {
        head(&mut *self.pool.acquire().await?).await
    }

    /// Seals the events stored before the chain existed (or by a writer
    /// that did not seal them), in id order. Cheap when there are none: one
    /// indexed look-up.
    pub async fn seal_chain(&self) -> Result<u64, StoreError> {
        let unsealed = sqlx::query("SELECT id FROM ticket_events WHERE chain_seq IS NULL LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        if unsealed.is_none() {
            return Ok(0);
        }
        let mut tx = self.pool.begin().await?;
        let sealed = seal_locked(&mut tx).await?;
        tx.commit().await?;
        if sealed > 0 {
            tracing::info!(sealed, "events stored before the audit chain were sealed");
        }
        Ok(sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(data: &str) -> Link<'_> {
        Link { seq: 1, ticket: 7, key: "SHOP-1", at: 5, actor: "alice", kind: "comment", data }
    }

    #[test]
    fn a_hash_covers_every_field() {
        let base = link_hash(&GENESIS, &link("{}"));
        assert_ne!(base, link_hash(&[1; 32], &link("{}")));
        assert_ne!(base, link_hash(&GENESIS, &Link { seq: 2, ..link("{}") }));
        assert_ne!(base, link_hash(&GENESIS, &Link { ticket: 8, ..link("{}") }));
        assert_ne!(base, link_hash(&GENESIS, &Link { key: "SHOP-2", ..link("{}") }));
        assert_ne!(base, link_hash(&GENESIS, &Link { at: 6, ..link("{}") }));
        assert_ne!(base, link_hash(&GENESIS, &Link { actor: "bob", ..link("{}") }));
        assert_ne!(base, link_hash(&GENESIS, &Link { kind: "opened", ..link("{}") }));
        assert_ne!(base, link_hash(&GENESIS, &link("{ }")));
    }

    #[test]
    fn moving_bytes_between_fields_changes_the_hash() {
        let one = Link { actor: "ab", kind: "c", ..link("{}") };
        let other = Link { actor: "a", kind: "bc", ..link("{}") };
        assert_ne!(link_hash(&GENESIS, &one), link_hash(&GENESIS, &other));
    }

    #[test]
    fn the_format_is_the_documented_one() {
        // docs/audit.md's script computes this for the same event.
        let mut bytes = Vec::new();
        for field in [
            &GENESIS[..],
            &1_i64.to_be_bytes(),
            &7_i64.to_be_bytes(),
            b"SHOP-1",
            &5_i64.to_be_bytes(),
            b"alice",
            b"comment",
            b"{}",
        ] {
            bytes.extend((field.len() as u64).to_be_bytes());
            bytes.extend(field);
        }
        let expected: [u8; 32] = Sha256::digest(&bytes).into();
        assert_eq!(link_hash(&GENESIS, &link("{}")), expected);
    }

    #[test]
    fn pins_are_read_strictly() {
        let hash = "AB".repeat(32);
        let pin: ChainPin = format!("12:{hash}").parse().unwrap();
        assert_eq!(pin, ChainPin { seq: 12, hash: "ab".repeat(32) });
        let short = format!("3:{}", "ab".repeat(31));
        for bad in ["12", "x:00", "-1:00", short.as_str(), "3:zz"] {
            assert!(bad.parse::<ChainPin>().is_err(), "{bad}");
        }
    }
}
