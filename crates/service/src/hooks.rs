//! Inbound webhooks, for connectors that receive events from code hosts and
//! trackers: creating a hook with its secret, and taking a delivery, which
//! is stored only when it is signed with the hook's secret, fresh, and new.
//! Refusals and creations are security events, logged under the
//! `fixgate::security` target without the secret or the body.

use fixgate_domain::hook::{self, HookHeaders, Verified};
use fixgate_store::{HookDelivery, NewDelivery, Recorded};
use serde::Serialize;

use crate::{Fixgate, ServiceError};

/// Random bytes in a hook's secret.
const SECRET_BYTES: usize = 32;

/// The longest hook name, which is also part of the hook's URL.
const MAX_NAME_LEN: usize = 64;

/// How a delivery is known: the sender's id, or else its signature in hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DeliveryId(pub String);

impl std::fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Fixgate {
    /// Creates the hook `name` and returns its secret, 32 random bytes in
    /// hex. The secret is the key senders sign with, as this text.
    pub async fn create_hook(&self, name: &str) -> Result<String, ServiceError> {
        check_name(name)?;
        let secret = random_secret()?;

        self.store.create_hook(name, &secret, self.clock.now()).await?;
        tracing::info!(target: "fixgate::security", hook = name, "webhook created");
        Ok(secret)
    }

    /// Revokes the hook `name`: its deliveries are refused from now on.
    pub async fn revoke_hook(&self, name: &str) -> Result<(), ServiceError> {
        self.store.revoke_hook(name, self.clock.now()).await?;
        tracing::info!(target: "fixgate::security", hook = name, "webhook revoked");
        Ok(())
    }

    /// Takes a delivery for the hook `name`. An unknown or revoked hook is
    /// not found; a delivery not signed with its secret, or signed more than
    /// 300 s from now, is refused ([`ServiceError::Hook`]); one the hook
    /// already took, by id or signature, is a [`ServiceError::Replay`].
    pub async fn receive_hook(
        &self,
        name: &str,
        headers: &HookHeaders<'_>,
        body: &[u8],
    ) -> Result<DeliveryId, ServiceError> {
        let hook = self.store.active_hook(name).await?;
        let now = self.clock.now();

        let verified = hook::verify(hook.secret.as_bytes(), headers, body, now.as_second())
            .inspect_err(|err| refused(name, &err.to_string()))?;
        let body = storable(body)?;
        let delivery = NewDelivery {
            hook_id: hook.id,
            delivery_id: &verified.delivery_id,
            signature: &verified.signature,
            body,
        };
        match self.store.record_delivery(&delivery, now).await? {
            Recorded::Stored(_) => Ok(accepted(name, verified)),
            Recorded::Replay => {
                refused(name, "replay");
                Err(ServiceError::Replay { delivery: verified.delivery_id })
            }
        }
    }

    /// The latest `limit` deliveries of the hook `name`, newest first.
    pub async fn hook_deliveries(
        &self,
        name: &str,
        limit: u32,
    ) -> Result<Vec<HookDelivery>, ServiceError> {
        Ok(self.store.hook_deliveries(name, limit).await?)
    }
}

/// A name that reads the same in a URL path and in a log: letters, digits,
/// `.`, `_` and `-`.
fn check_name(name: &str) -> Result<(), ServiceError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() || name.len() > MAX_NAME_LEN || !name.chars().all(allowed) {
        return Err(ServiceError::Invalid(format!(
            "a hook's name is 1 to {MAX_NAME_LEN} letters, digits, '.', '_' or '-', \
             not {name:?}"
        )));
    }
    Ok(())
}

pub(crate) fn random_secret() -> Result<String, ServiceError> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(ServiceError::Random)?;
    Ok(hex::encode(bytes))
}

/// The body as the text the store keeps. Both databases take UTF-8 text,
/// and PostgreSQL's text holds no NUL character, so such a body is refused
/// on every backend alike rather than altered.
fn storable(body: &[u8]) -> Result<&str, ServiceError> {
    let text = std::str::from_utf8(body).map_err(|_| {
        ServiceError::Invalid("a delivery's body must be UTF-8 text, such as JSON".into())
    })?;
    if text.contains('\0') {
        return Err(ServiceError::Invalid("a delivery's body cannot hold a NUL character".into()));
    }
    Ok(text)
}

fn accepted(name: &str, verified: Verified) -> DeliveryId {
    tracing::info!(
        target: "fixgate::security",
        hook = name,
        delivery = verified.delivery_id,
        "webhook delivery accepted"
    );
    DeliveryId(verified.delivery_id)
}

fn refused(name: &str, reason: &str) {
    tracing::warn!(target: "fixgate::security", hook = name, reason, "webhook delivery refused");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_names_are_url_safe() {
        for good in ["github", "jira-cloud", "gitlab.acme_1"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "a/b", "two words", "caf\u{e9}", &"x".repeat(65)] {
            assert!(matches!(check_name(bad), Err(ServiceError::Invalid(_))), "{bad:?}");
        }
    }

    #[test]
    fn a_secret_is_64_hex_characters_and_new_each_time() {
        let (a, b) = (random_secret().unwrap(), random_secret().unwrap());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn a_body_is_stored_only_as_text_without_nul() {
        assert_eq!(storable(b"{\"a\":1}").unwrap(), "{\"a\":1}");
        assert!(storable(&[0xff, 0xfe]).is_err());
        assert!(storable(b"a\0b").is_err());
    }
}
