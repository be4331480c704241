//! Repositories' CODEOWNERS files, stored as text by repository URL.

use jiff::Timestamp;
use sqlx::Row;

use crate::rows::millis;
use crate::{Store, StoreError};

impl Store {
    /// Stores `content` as the CODEOWNERS file of `repository`, replacing
    /// the one before.
    pub async fn set_codeowners(
        &self,
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
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The CODEOWNERS file of `repository`, if one was stored.
    pub async fn codeowners(&self, repository: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT content FROM codeowners WHERE repository_url = $1")
            .bind(repository)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get(0)).transpose()?)
    }
}
