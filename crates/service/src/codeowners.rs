//! Repositories' CODEOWNERS files: checked line by line before they are
//! stored, and asked who owns a path.

use fixgate_domain::codeowners::{Codeowners, Ownership};

use crate::{Fixgate, ServiceError};

/// Largest CODEOWNERS file taken, in bytes (GitHub stops reading at 3 MB).
pub const MAX_CODEOWNERS_BYTES: usize = 3 * 1024 * 1024;

impl Fixgate {
    /// Stores `text` as `repository`'s CODEOWNERS file once every line of
    /// it reads; the first line that does not is the error. Returns how many
    /// rules it has.
    pub async fn set_codeowners(
        &self,
        repository: &str,
        text: &str,
        actor: &str,
    ) -> Result<usize, ServiceError> {
        let repository = repository.trim();
        if repository.is_empty() {
            return Err(ServiceError::Invalid(
                "CODEOWNERS belongs to a repository: give its URL".into(),
            ));
        }
        if text.len() > MAX_CODEOWNERS_BYTES {
            return Err(ServiceError::Invalid(format!(
                "a CODEOWNERS file has at most {MAX_CODEOWNERS_BYTES} bytes"
            )));
        }
        let parsed =
            Codeowners::parse(text).map_err(|err| ServiceError::Invalid(err.to_string()))?;
        self.store.set_codeowners(repository, text, actor, self.clock.now()).await?;
        Ok(parsed.rule_count())
    }

    /// The rules of `repository`'s CODEOWNERS that decide `path`'s owners;
    /// `None` when the repository has no CODEOWNERS file.
    pub async fn owners_of(
        &self,
        repository: &str,
        path: &str,
    ) -> Result<Option<Vec<Ownership>>, ServiceError> {
        let Some(text) = self.store.codeowners(repository.trim()).await? else {
            return Ok(None);
        };
        let parsed =
            Codeowners::parse(&text).map_err(|err| ServiceError::Invalid(err.to_string()))?;
        Ok(Some(parsed.owners_of(path)))
    }
}
