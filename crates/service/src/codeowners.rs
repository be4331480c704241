//! Repositories' CODEOWNERS files: checked line by line before they are
//! stored (by `set_codeowners`, which re-routes the repository's open
//! tickets), and asked who owns a path.

use fixgate_domain::codeowners::{Codeowners, Ownership};

use crate::{Fixgate, ServiceError};

/// Largest CODEOWNERS file taken, in bytes (GitHub stops reading at 3 MB).
pub const MAX_CODEOWNERS_BYTES: usize = 3 * 1024 * 1024;

/// The repository's URL, trimmed, and `text` read as its CODEOWNERS file
/// once every line of it reads; the first line that does not is the error.
/// Storing it moves tickets (see the `reroute` module).
pub(crate) fn checked<'a>(
    repository: &'a str,
    text: &str,
) -> Result<(&'a str, Codeowners), ServiceError> {
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
    let parsed = Codeowners::parse(text).map_err(|err| ServiceError::Invalid(err.to_string()))?;
    Ok((repository, parsed))
}

impl Fixgate {
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
