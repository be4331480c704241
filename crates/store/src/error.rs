//! The store's errors, classified before they leave it.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The change conflicts with what is stored (a unique key, a concurrent change).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request itself is not valid for the store.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The database URL or its options are wrong.
    #[error("cannot use database {url}: {reason}")]
    Config { url: String, reason: String },
    /// Running the migrations failed.
    #[error("migrating the database failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// Any other database failure; the details are for logs, not users.
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> StoreError {
        match &err {
            sqlx::Error::RowNotFound => StoreError::NotFound("row".into()),
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_string())
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::Invalid(db.message().to_string())
            }
            // PostgreSQL's text holds no NUL character (SQLite's does): a
            // request that carries one is refused, not failed.
            sqlx::Error::Database(db) if db.code().as_deref() == Some("22021") => {
                StoreError::Invalid("text may not contain a NUL character".into())
            }
            _ => StoreError::Database(err),
        }
    }
}
