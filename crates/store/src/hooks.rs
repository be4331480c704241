//! Inbound webhooks: the hooks senders sign deliveries for, and the
//! deliveries taken. A delivery seen before for the same hook, by its id or
//! by its signature, is reported as a replay and not stored again.

use std::fmt;

use jiff::Timestamp;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::rows::{from_millis, millis};
use crate::{Store, StoreError};

/// An inbound webhook. Its Debug output leaves the secret out.
#[derive(Clone, PartialEq, Eq)]
pub struct Hook {
    pub id: i64,
    pub name: String,
    /// The key deliveries are signed with, as it was given to the sender.
    pub secret: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

impl fmt::Debug for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hook")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("secret", &"***")
            .field("created_at", &self.created_at)
            .field("revoked_at", &self.revoked_at)
            .finish()
    }
}

/// A delivery to record: who it is for and what it carried.
#[derive(Debug, Clone, Copy)]
pub struct NewDelivery<'a> {
    pub hook_id: i64,
    /// The sender's delivery id, or the signature when it gave none.
    pub delivery_id: &'a str,
    /// The signature in lowercase hex.
    pub signature: &'a str,
    pub body: &'a str,
}

/// A delivery as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HookDelivery {
    pub id: i64,
    pub delivery_id: String,
    pub received_at: Timestamp,
    pub body: String,
}

/// What recording a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The delivery is new and was stored under this row id.
    Stored(i64),
    /// The hook already has a delivery with this id or this signature;
    /// nothing was stored.
    Replay,
}

const HOOK_COLUMNS: &str = "id, name, secret, created_at, revoked_at";

impl Store {
    /// Creates the hook `name` with `secret`. A name already taken, by a
    /// hook in use or a revoked one, is a conflict.
    pub async fn create_hook(
        &self,
        name: &str,
        secret: &str,
        now: Timestamp,
    ) -> Result<Hook, StoreError> {
        let row = sqlx::query(&format!(
            "INSERT INTO inbound_hooks (name, secret, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING RETURNING {HOOK_COLUMNS}"
        ))
        .bind(name)
        .bind(secret)
        .bind(millis(now))
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => hook(&row),
            None => Err(StoreError::Conflict(format!(
                "a hook named {name:?} already exists (a revoked hook keeps its name)"
            ))),
        }
    }

    /// The hook `name`, unless there is none or it was revoked.
    pub async fn active_hook(&self, name: &str) -> Result<Hook, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {HOOK_COLUMNS} FROM inbound_hooks WHERE name = $1 AND revoked_at IS NULL"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => hook(&row),
            None => Err(no_hook(name)),
        }
    }

    /// Revokes the hook `name`: its deliveries are refused from now on.
    pub async fn revoke_hook(&self, name: &str, now: Timestamp) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE inbound_hooks SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
        )
        .bind(name)
        .bind(millis(now))
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(no_hook(name));
        }
        Ok(())
    }

    /// Stores a delivery, unless the hook has one with the same id or the
    /// same signature: that is a replay, and nothing is stored. Two copies
    /// racing each other store one.
    pub async fn record_delivery(
        &self,
        delivery: &NewDelivery<'_>,
        now: Timestamp,
    ) -> Result<Recorded, StoreError> {
        let id: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO hook_deliveries (hook_id, delivery_id, signature, received_at, body) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(delivery.hook_id)
        .bind(delivery.delivery_id)
        .bind(delivery.signature)
        .bind(millis(now))
        .bind(delivery.body)
        .fetch_optional(&self.pool)
        .await?;
        Ok(id.map_or(Recorded::Replay, |(id,)| Recorded::Stored(id)))
    }

    /// The latest `limit` deliveries of the hook `name` (revoked or not),
    /// newest first.
    pub async fn hook_deliveries(
        &self,
        name: &str,
        limit: u32,
    ) -> Result<Vec<HookDelivery>, StoreError> {
        let hook: Option<(i64,)> = sqlx::query_as("SELECT id FROM inbound_hooks WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        let (hook_id,) = hook.ok_or_else(|| no_hook(name))?;
        let rows = sqlx::query(
            "SELECT id, delivery_id, received_at, body FROM hook_deliveries \
             WHERE hook_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(hook_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(delivery).collect()
    }
}

fn no_hook(name: &str) -> StoreError {
    StoreError::NotFound(format!("hook {name:?}"))
}

fn hook(row: &AnyRow) -> Result<Hook, StoreError> {
    Ok(Hook {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        secret: row.try_get(2)?,
        created_at: from_millis(row.try_get(3)?),
        revoked_at: row.try_get::<Option<i64>, _>(4)?.map(from_millis),
    })
}

fn delivery(row: &AnyRow) -> Result<HookDelivery, StoreError> {
    Ok(HookDelivery {
        id: row.try_get(0)?,
        delivery_id: row.try_get(1)?,
        received_at: from_millis(row.try_get(2)?),
        body: row.try_get(3)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hooks_debug_output_hides_its_secret() {
        let hook = Hook {
            id: 1,
            name: "github".into(),
            secret: "5ec7e7".into(),
            created_at: Timestamp::UNIX_EPOCH,
            revoked_at: None,
        };
        let shown = format!("{hook:?}");
        assert!(shown.contains("github") && !shown.contains("5ec7e7"), "{shown}");
    }
}
