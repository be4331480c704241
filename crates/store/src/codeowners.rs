//! Repositories' CODEOWNERS files, stored as text by repository URL.

use jiff::Timestamp;
use sqlx::{AnyConnection, Row};

use crate::rows::millis;
use crate::{Store, StoreError};

impl Store {
    /// The CODEOWNERS file of `repository`, if one was stored.
    pub async fn codeowners(&self, repository: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT content FROM codeowners WHERE repository_url = $1")
            .bind(repository)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get(0)).transpose()?)
    }
}

/// Stores `content` as `repository`'s CODEOWNERS file on `conn`, replacing
/// the one before; see [`Store::save_and_reroute`], which re-routes the
/// repository's open tickets in the same transaction.
pub(crate) async fn save_codeowners(
    conn: &mut AnyConnection,
    repository: &str,
    content: &str,
    actor: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO codeowners (repository_url, content, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (repository_url) DO UPDATE SET \
         content = excluded.content, updated_at = excluded.updated_at, \
         updated_by = excluded.updated_by",
    )
    .bind(repository)
    .bind(content)
    .bind(millis(now))
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
