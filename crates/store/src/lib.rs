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

mod batch;
mod connect;
mod details;
mod error;
mod import;
mod rows;
mod tickets;

pub use connect::{Backend, ConnectOptions};
pub use error::StoreError;
pub use import::{ImportOutcome, ImportSession, ScanEnd, ScanScope, ScanStart};
pub use rows::{
    EventRow, FindingRow, NewTicket, Page, SightingRow, StateChange, TicketDetail, TicketFilter,
    TicketRow,
};
pub use tickets::FilterValues;

use sqlx::AnyPool;

/// A connection pool to one fixgate database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Copies SQLite's write-ahead log into the database file, as far as
    /// readers allow. A no-op on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&self.pool).await?;
        }
        Ok(())
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
