//! Opening a store: choosing the backend from the URL's scheme, setting up
//! connections and running the migrations.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{ConnectOptions as _, Executor, migrate::Migrator};
use tracing::log::LevelFilter;

use crate::{Store, StoreError};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Picks the backend from a database URL's scheme.
    pub fn of_url(url: &str) -> Result<Backend, StoreError> {
        let scheme = url.split(':').next().unwrap_or("");
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(StoreError::Config {
                url: redact(url),
                reason: format!(
                    "unsupported scheme {scheme:?}: use sqlite://PATH or postgres://HOST/DB"
                ),
            }),
        }
    }

    /// The maximum number of bind parameters one statement may carry.
    pub(crate) fn max_params(self) -> usize {
        match self {
            Backend::Sqlite => 8_000,
            Backend::Postgres => 65_000,
        }
    }
}

/// Options for [`Store::connect`].
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// PostgreSQL only: keep fixgate's tables in this schema (created if
    /// missing) instead of `public`. Tests give each test its own.
    pub schema: Option<String>,
}

impl Store {
    /// Connects to `url` (`sqlite://path/to/fixgate.db` or `postgres://…`),
    /// creating an SQLite file if needed, and runs pending migrations.
    pub async fn connect(url: &str, options: ConnectOptions) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let config_error =
            |err: sqlx::Error| StoreError::Config { url: redact(url), reason: err.to_string() };

        let url = match backend {
            Backend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_string(),
        };
        if let (Backend::Postgres, Some(schema)) = (backend, &options.schema) {
            create_schema(&url, schema).await.map_err(config_error)?;
        }
        // Statements are logged at debug, slow ones (over 5 s) at info: a
        // bulk statement's text runs to megabytes and has no place in a
        // warning.
        let connect_options = AnyConnectOptions::from_str(&url)
            .map_err(config_error)?
            .log_statements(LevelFilter::Debug)
            .log_slow_statements(LevelFilter::Info, Duration::from_secs(5));
        let pool = pool_options(backend, options.schema)
            .connect_with(connect_options)
            .await
            .map_err(config_error)?;

        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await.map_err(StoreError::Migrate)?;
        let store = Store { pool, backend };
        // Events stored before the audit chain existed join it now.
        store.seal_chain().await?;
        Ok(store)
    }
}

fn pool_options(backend: Backend, schema: Option<String>) -> AnyPoolOptions {
    let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(60));
    match backend {
        Backend::Sqlite => options.max_connections(8).after_connect(|conn, _meta| {
            Box::pin(async move {
                // WAL lets readers work while an import writes; a writer that
                // finds the database busy waits instead of failing at once.
                // Checkpoints run from `Store::checkpoint` (the server calls
                // it in the background) and when the last connection closes,
                // not inside the commit of a large import.
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 60000; \
                     PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 0;",
                )
                .await?;
                Ok(())
            })
        }),
        Backend::Postgres => options.max_connections(10).after_connect(move |conn, _meta| {
            let schema = schema.clone();
            Box::pin(async move {
                // fixgate's statements are short; compiling one to machine
                // code (which the planner's row estimates for the figures'
                // range joins trigger) costs more than running it.
                conn.execute("SET jit = off").await?;
                if let Some(schema) = schema {
                    conn.execute(format!("SET search_path TO {}", quote_ident(&schema)).as_str())
                        .await?;
                }
                Ok(())
            })
        }),
    }
}

async fn create_schema(url: &str, schema: &str) -> Result<(), sqlx::Error> {
    let pool = AnyPoolOptions::new().max_connections(1).connect(url).await?;
    let sql = format!("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(schema));
    pool.execute(sql.as_str()).await?;
    pool.close().await;
    Ok(())
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = url.get(scheme_end + 3..at).unwrap_or("");
            let user = credentials.split(':').next().unwrap_or("");
            format!(
                "{}{user}:***{}",
                url.get(..scheme_end + 3).unwrap_or(""),
                url.get(at..).unwrap_or("")
            )
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_follows_the_scheme() {
        assert_eq!(Backend::of_url("sqlite://x.db").ok(), Some(Backend::Sqlite));
        assert_eq!(Backend::of_url("postgresql://h/db").ok(), Some(Backend::Postgres));
        let err = Backend::of_url("mysql://u:secret@h/db").unwrap_err().to_string();
        assert!(err.contains("unsupported scheme \"mysql\""), "{err}");
        assert!(!err.contains("secret"), "{err}");
    }
}
