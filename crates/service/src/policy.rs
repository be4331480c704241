//! The import policy administrators and security engineers set: which
//! branches open tickets and how each kind of finding is grouped into
//! tickets. It is kept in the store's settings, under `policy.`, so every
//! server replica and the CLI read the same.

use fixgate_domain::{FindingKind, Grouping, ImportPolicy};

use crate::{Fixgate, ServiceError};

/// The policy settings there are, with what each holds.
pub const POLICY_KEYS: [(&str, &str); 5] = [
    (
        "tracked_branches",
        "branch patterns that open tickets besides each repository's default branch, \
         comma-separated (`release/*,hotfix/*`)",
    ),
    ("grouping.sca", "finding, upgrade (default) or rule:N"),
    ("grouping.code", "finding (default) or rule:N"),
    ("grouping.secrets", "finding (default) or rule:N"),
    ("grouping.dast", "finding (default) or rule:N"),
];

const PREFIX: &str = "policy.";

impl Fixgate {
    /// The import policy in force.
    pub async fn import_policy(&self) -> Result<ImportPolicy, ServiceError> {
        let mut policy = ImportPolicy::default();
        for (name, value) in self.store.settings(PREFIX).await? {
            let key = name.strip_prefix(PREFIX).unwrap_or(&name);
            apply(&mut policy, key, &value)?;
        }
        Ok(policy)
    }

    /// Sets one policy setting (see [`POLICY_KEYS`]), or restores its default
    /// when `value` is `None`. The value is checked before it is stored.
    pub async fn set_policy(&self, key: &str, value: Option<&str>) -> Result<(), ServiceError> {
        if let Some(value) = value {
            apply(&mut ImportPolicy::default(), key, value)?;
        } else if !POLICY_KEYS.iter().any(|(k, _)| *k == key) {
            return Err(unknown(key));
        }
        self.store.set_setting(&format!("{PREFIX}{key}"), value).await?;
        Ok(())
    }
}

fn apply(policy: &mut ImportPolicy, key: &str, value: &str) -> Result<(), ServiceError> {
    let grouping = |kind: FindingKind| -> Result<Grouping, ServiceError> {
        let grouping: Grouping =
            value.parse().map_err(|e| ServiceError::Invalid(format!("policy {key}: {e}")))?;
        if grouping == Grouping::Upgrade && kind != FindingKind::Sca {
            return Err(ServiceError::Invalid(format!(
                "policy {key}: only SCA findings (grouping.sca) are about a package to upgrade"
            )));
        }
        Ok(grouping)
    };
    match key {
        "tracked_branches" => {
            policy.tracked_branches = value
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
        }
        "grouping.sca" => policy.sca = grouping(FindingKind::Sca)?,
        "grouping.code" => policy.code = grouping(FindingKind::Code)?,
        "grouping.secrets" => policy.secrets = grouping(FindingKind::Secrets)?,
        "grouping.dast" => policy.dast = grouping(FindingKind::Dast)?,
        _ => return Err(unknown(key)),
    }
    Ok(())
}

fn unknown(key: &str) -> ServiceError {
    let known: Vec<&str> = POLICY_KEYS.iter().map(|(k, _)| *k).collect();
    ServiceError::Invalid(format!(
        "unknown policy setting {key:?}; there are: {}",
        known.join(", ")
    ))
}
