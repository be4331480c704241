//! The store: fixgate's data in SQLite (embedded, the default) or PostgreSQL.
//!
//! One codebase serves both backends. Queries go through sqlx's `Any` driver
//! and are written in the SQL both databases share (`$n` parameters,
//! `RETURNING`, `ON CONFLICT`, `UPDATE … FROM`); times are stored as epoch
//! milliseconds and lists as delimited text, so no type differs between them.
//! Each backend has its own migrations folder, run at start.
//!
//! Every error leaves this crate classified ([`StoreError`]), so callers never
//! read database messages.

mod access;
mod batch;
mod chain;
mod codeowners;
mod collab;
mod connect;
mod decisions;
mod details;
mod error;
mod evidence;
mod exploits;
mod gate;
mod history;
mod hooks;
mod import;
mod metrics;
mod notices;
mod notify;
mod reroute;
mod risk;
mod rows;
mod seed;
mod sla;
mod tickets;
mod triage;
mod views;

pub use access::{NewToken, NewUser, SessionRow, TokenOwner, TokenRow, UserRow, Visibility};
pub use chain::{ChainBreak, ChainHead, ChainPin, ChainProblem, ChainReport};
pub use collab::{AssigneeFilter, LabelsChanged, LinkRow, TicketChange, Watcher};
pub use connect::{Backend, ConnectOptions};
pub use decisions::Decision;
pub use error::StoreError;
pub use evidence::{
    Acceptance, Closure, Detection, EvidenceQuery, EvidenceTicket, Outcome, Pause, Reopen,
    ReopenCause, ScanRef, SlaOutcome,
};
pub use exploits::{ExploitLoad, ExploitSignal, ExploitStatus};
pub use gate::{TrackedFinding, TrackedTicket};
pub use history::{RepositoryScans, ScanRow, ScopeLast};
pub use hooks::{Hook, HookDelivery, NewDelivery, Recorded};
pub use import::{ImportOutcome, ImportSession, ScanEnd, ScanScope, ScanStart};
pub use metrics::{
    Clock as KpiClock, Coverage, Durations, KpiChoices, KpiFilter, KpiGroup, KpiScope, OpenBounds,
    OpenCount, StepCount, TopOpen,
};
pub use notify::{
    Attempt, Channel, Claim, Claimed, Lease, NewChannel, QueueEntry, QueueFilter, QueueState,
};
pub use reroute::{Reroute, RerouteScope, RouteCandidate, RoutingFile, SET_BY_HAND};
pub use risk::PendingAcceptance;
pub use risk::{Lapsed, RiskRequest, RiskVerdict};
pub use rows::{
    EventRow, FindingRow, NewTicket, Page, PauseRow, ScanChange, ScanChangeKind, SightingRow,
    StateChange, TicketDetail, TicketFilter, TicketOrder, TicketRow, TriageDetail,
};
pub use seed::{
    CatalogIds, SeedAcceptance, SeedCatalog, SeedDecision, SeedEvent, SeedFinding, SeedScan,
    SeedScope, SeedSession, SeedTicket,
};
pub use sla::SlaSweep;
pub use tickets::FilterValues;
pub use triage::{AllOwners, Owners, PriorityAgain, StoredPolicy, TicketTriage, Triage};
pub use views::{NewView, SavedView};

use sqlx::AnyPool;

/// A connection pool to one fixgate database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Copies SQLite's write-ahead log into the database file, as far as
    /// readers allow. A no-op on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&self.pool).await?;
        }
        Ok(())
    }

    /// The installation's value for `name`, set to `initial` if it has none
    /// yet. Two callers racing both get the value that was stored first.
    pub async fn setting_or_insert(&self, name: &str, initial: &str) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(initial)
        .execute(&self.pool)
        .await?;
        let value: (String,) = sqlx::query_as("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(value.0)
    }

    /// Every installation-wide value whose name starts with `prefix`.
    pub async fn settings(&self, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT name, value FROM settings WHERE name LIKE $1 ORDER BY name")
                .bind(format!("{prefix}%"))
                .fetch_all(&self.pool)
                .await?;
        Ok(rows)
    }

    /// Sets an installation-wide value, or removes it when `value` is `None`.
    pub async fn set_setting(&self, name: &str, value: Option<&str>) -> Result<(), StoreError> {
        match value {
            Some(value) => {
                sqlx::query(
                    "INSERT INTO settings (name, value) VALUES ($1, $2) \
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                )
                .bind(name)
                .bind(value)
                .execute(&self.pool)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM settings WHERE name = $1")
                    .bind(name)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Whether [`Store::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.pool.is_closed()
    }
}

#[cfg(test)]
mod tests {
    use fixgate_domain::{Severity, TicketState, TicketType};

    use super::*;

    #[tokio::test]
    async fn a_setting_is_created_once() {
        let path = std::env::temp_dir().join(format!("fixgate-settings-{}.db", std::process::id()));
        let url = format!("sqlite://{}", path.display());
        let store = Store::connect(&url, ConnectOptions::default()).await.unwrap();
        assert_eq!(store.setting_or_insert("k", "first").await.unwrap(), "first");
        assert_eq!(store.setting_or_insert("k", "second").await.unwrap(), "first");
        store.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    #[tokio::test]
    async fn the_event_log_refuses_updates_and_deletes() {
        let path = std::env::temp_dir().join(format!("fixgate-events-{}.db", std::process::id()));
        let url = format!("sqlite://{}", path.display());
        let store = Store::connect(&url, ConnectOptions::default()).await.unwrap();
        let ticket = NewTicket {
            ticket_type: TicketType::Task,
            state: TicketState::New,
            status: None,
            title: "t".into(),
            description: String::new(),
            severity: Severity::Low,
            application: None,
            repository: None,
            path: None,
            owner: None,
            routed_by: None,
            priority: None,
            priority_reason: None,
            due_at: None,
            due_soon_at: None,
        };
        store.create_ticket(&ticket, "alice", jiff::Timestamp::UNIX_EPOCH).await.unwrap();

        for sql in ["UPDATE ticket_events SET actor = 'mallory'", "DELETE FROM ticket_events"] {
            let err = sqlx::query(sql).execute(&store.pool).await.unwrap_err();
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
        store.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
