//! People, tokens and sessions: creating them, signing in, and turning a
//! bearer token or a session cookie into the [`Principal`] a request acts as.
//!
//! Tokens and session ids are 32 random bytes; only their SHA-256 is stored,
//! so a copy of the database opens no door. Passwords are hashed with
//! Argon2id. Nothing here logs a secret.

use std::str::FromStr;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use fixgate_domain::{Action, Role};
use fixgate_store::{NewToken, NewUser, StoreError, TokenRow, UserRow, Visibility};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Fixgate, ServiceError};

/// What every API token starts with, so secret scanners recognise one.
pub const TOKEN_PREFIX: &str = "fgt_";

/// How long a sign-in lasts.
pub const SESSION_LIFETIME: SignedDuration = SignedDuration::from_hours(12);

/// How finely a token's last use is recorded.
const LAST_USE_GRAIN: SignedDuration = SignedDuration::from_secs(60);

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Longest password accepted, in bytes: hashing is costly, a megabyte of
/// password should not be.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Who a request acts as, and how far they reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    pub name: String,
    pub role: Role,
    /// The one application a token is limited to.
    pub application: Option<String>,
    /// The token the request carried, if it came with one.
    pub token_id: Option<i64>,
    /// The sign-in the request belongs to, if it came with a cookie.
    pub session: Option<Session>,
}

/// A signed-in browser's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    /// The value every form of this session sends back.
    pub csrf_token: String,
    /// Set when the password was given by someone else: the person must
    /// choose their own before anything else.
    pub must_change_password: bool,
}

impl Principal {
    /// The name events record: the person, and the token when one was used,
    /// so every change made with a token is traced to it.
    pub fn actor(&self) -> String {
        match self.token_id {
            Some(id) => format!("{} (token {id})", self.name),
            None => self.name.clone(),
        }
    }

    /// Which applications this caller sees.
    pub fn visibility(&self) -> Visibility {
        Visibility {
            member: (!self.role.spans_all()).then_some(self.user_id),
            application: self.application.clone(),
        }
    }

    /// Refuses an action the role does not allow.
    pub fn require(&self, action: Action) -> Result<(), ServiceError> {
        require_role(self.role, action)
    }

    /// The command line, acting as the installation under `actor`'s name:
    /// an administrator who sees every application. It reaches the store
    /// directly, so it holds every right anyway.
    pub fn installation(actor: impl Into<String>) -> Principal {
        Principal {
            user_id: 0,
            name: actor.into(),
            role: Role::Administrator,
            application: None,
            token_id: None,
            session: None,
        }
    }

    /// Refuses to act on an application outside a token's scope. Used where
    /// the application may not exist yet (a scanner's first upload).
    pub fn require_application(&self, application: &str) -> Result<(), ServiceError> {
        match &self.application {
            Some(scope) if scope != application => Err(ServiceError::Forbidden(format!(
                "this token is limited to application {scope:?}, not {application:?}"
            ))),
            _ => Ok(()),
        }
    }
}

/// Refuses an action `role` does not allow.
pub(crate) fn require_role(role: Role, action: Action) -> Result<(), ServiceError> {
    if role.allows(action) {
        return Ok(());
    }
    Err(ServiceError::Forbidden(format!("the {role} role may not {}", describe(action))))
}

fn describe(action: Action) -> &'static str {
    match action {
        Action::Read => "read tickets",
        Action::CreateTicket => "open tickets",
        Action::Work => "work on tickets",
        Action::Decide => "take decisions on tickets (accept a risk, call a false positive, close)",
        Action::SetPolicy => "change the policy",
        Action::Upload => "upload scans",
        Action::Check => "run the gate",
        Action::Administer => "manage people, teams and tokens",
        Action::Audit => "audit the event log",
    }
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct CreateUser {
    pub name: String,
    pub role: Role,
    pub teams: Vec<String>,
    /// `None` makes a random one that must be changed at first sign-in.
    pub password: Option<String>,
}

/// A created user, with the password fixgate chose when it chose one.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedUser {
    pub name: String,
    pub role: Role,
    pub teams: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_password: Option<String>,
}

/// Whose token it is.
#[derive(Debug, Clone)]
pub enum TokenHolder {
    /// A person, who must exist.
    User(String),
    /// A service account, created with its first token.
    Service(String),
}

/// A token to create.
#[derive(Debug, Clone)]
pub struct CreateToken {
    pub holder: TokenHolder,
    pub role: Role,
    pub application: Option<String>,
    pub expires_at: Option<Timestamp>,
    /// Teams a new service account joins (a developer or viewer service
    /// sees its teams' applications).
    pub teams: Vec<String>,
}

/// A created token. Its value is shown here once and never again.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedToken {
    pub id: i64,
    pub token: String,
    pub user: String,
    pub role: Role,
    pub application: Option<String>,
    pub expires_at: Option<Timestamp>,
}

/// A new sign-in: the cookie's value (shown once) and the session.
#[derive(Debug, Clone)]
pub struct SignIn {
    pub cookie: String,
    pub principal: Principal,
    pub expires_at: Timestamp,
}

impl Fixgate {
    /// Creates a person who signs in with a password.
    pub async fn create_user(&self, user: CreateUser) -> Result<CreatedUser, ServiceError> {
        let name = valid_name("user", &user.name)?;
        let (password, initial_password) = match user.password {
            Some(password) => {
                check_password(&password)?;
                (password, None)
            }
            None => {
                let password = random_password()?;
                (password.clone(), Some(password))
            }
        };
        let hash = hash_password(&password).await?;
        let new = NewUser {
            name: name.clone(),
            kind: "person".into(),
            role: user.role.as_str().into(),
            password_hash: Some(hash),
            must_change_password: initial_password.is_some(),
            teams: user.teams.clone(),
        };
        self.store.create_user(&new, self.clock.now()).await?;
        Ok(CreatedUser { name, role: user.role, teams: user.teams, initial_password })
    }

    /// Creates an API token for a person or a service account.
    pub async fn create_token(
        &self,
        request: CreateToken,
        created_by: &str,
    ) -> Result<CreatedToken, ServiceError> {
        let now = self.clock.now();
        if let Some(expires) = request.expires_at
            && expires <= now
        {
            return Err(ServiceError::Invalid(format!(
                "the expiry {expires} is not in the future"
            )));
        }
        if let Some(application) = &request.application {
            valid_name("application", application)?;
        }
        let user = match &request.holder {
            TokenHolder::User(name) => {
                let user = self.store.user(name).await?.ok_or_else(|| {
                    ServiceError::Invalid(format!("there is no user named {name:?}"))
                })?;
                if user.kind != "person" {
                    return Err(ServiceError::Invalid(format!(
                        "{name:?} is a service account: use --service"
                    )));
                }
                let held = role_of(&user)?;
                if !held.can_grant(request.role) {
                    return Err(ServiceError::Invalid(format!(
                        "{name:?} holds the {held} role and cannot have a token with the {} role",
                        request.role
                    )));
                }
                user
            }
            TokenHolder::Service(name) => self.service_account(name, &request, now).await?,
        };
        if !request.role.spans_all() && request.application.is_none() && user.teams.is_empty() {
            return Err(ServiceError::Invalid(format!(
                "a {} token of {:?} would see nothing: {:?} is in no team",
                request.role, user.name, user.name
            )));
        }
        let token = format!("{TOKEN_PREFIX}{}", random_hex(32)?);
        let new = NewToken {
            token_hash: sha256_hex(&token),
            prefix: token.chars().take(TOKEN_PREFIX.len() + 6).collect(),
            user_id: user.id,
            role: request.role.as_str().into(),
            application: request.application.clone(),
            expires_at: request.expires_at,
            created_by: created_by.into(),
        };
        let id = self.store.create_token(&new, now).await?;
        Ok(CreatedToken {
            id,
            token,
            user: user.name,
            role: request.role,
            application: request.application,
            expires_at: request.expires_at,
        })
    }

    /// The service account `name`, created on its first token with the
    /// token's role and teams.
    async fn service_account(
        &self,
        name: &str,
        request: &CreateToken,
        now: Timestamp,
    ) -> Result<UserRow, ServiceError> {
        let name = valid_name("service account", name)?;
        if let Some(user) = self.store.user(&name).await? {
            if user.kind != "service" {
                return Err(ServiceError::Invalid(format!("{name:?} is a person: use --user")));
            }
            let held = role_of(&user)?;
            if !held.can_grant(request.role) {
                return Err(ServiceError::Invalid(format!(
                    "service account {name:?} holds the {held} role and cannot have a token with \
                     the {} role",
                    request.role
                )));
            }
            for team in &request.teams {
                self.store.add_member(team, &name, now).await?;
            }
            return self.store.user(&name).await?.ok_or_else(|| {
                ServiceError::Store(StoreError::NotFound(format!("user {name:?}")))
            });
        }
        let new = NewUser {
            name: name.clone(),
            kind: "service".into(),
            role: request.role.as_str().into(),
            password_hash: None,
            must_change_password: false,
            teams: request.teams.clone(),
        };
        self.store.create_user(&new, now).await?;
        self.store
            .user(&name)
            .await?
            .ok_or_else(|| ServiceError::Store(StoreError::NotFound(format!("user {name:?}"))))
    }

    /// The principal a bearer token stands for. Every refusal says why, but
    /// never echoes the token.
    pub async fn authenticate_token(&self, token: &str) -> Result<Principal, ServiceError> {
        let token = parse_token(token)?;
        let found = self
            .store
            .token_by_hash(&sha256_hex(token))
            .await?
            .ok_or_else(|| ServiceError::Unauthenticated("the token is not valid".into()))?;
        let now = self.clock.now();
        if let Some(revoked) = found.token.revoked_at {
            return Err(ServiceError::Unauthenticated(format!(
                "the token was revoked at {revoked}"
            )));
        }
        if let Some(expires) = found.token.expires_at
            && expires <= now
        {
            return Err(ServiceError::Unauthenticated(format!("the token expired at {expires}")));
        }
        if found.user_disabled {
            return Err(ServiceError::Unauthenticated("the token's owner is disabled".into()));
        }
        let role = parse_role(&found.token.role)?;
        // A token never outranks its holder: demoting a person demotes
        // their tokens.
        if !parse_role(&found.user_role)?.can_grant(role) {
            return Err(ServiceError::Unauthenticated(format!(
                "the token's {role} role is above its owner's role now"
            )));
        }
        // The last use is kept to the minute: no write on every request.
        let stale =
            found.token.last_used_at.is_none_or(|at| now.duration_since(at) > LAST_USE_GRAIN);
        if stale {
            self.store.token_used(found.token.id, now).await?;
        }
        Ok(Principal {
            user_id: found.user_id,
            name: found.token.user,
            role,
            application: found.token.application,
            token_id: Some(found.token.id),
            session: None,
        })
    }

    /// Signs a person in. A wrong name and a wrong password get the same
    /// answer, and take as long.
    pub async fn sign_in(&self, name: &str, password: &str) -> Result<SignIn, ServiceError> {
        let refused = || ServiceError::Unauthenticated("wrong name or password".into());
        if password.len() > MAX_PASSWORD_BYTES || name.len() > 200 {
            return Err(refused());
        }
        let name = name.trim();
        // No name holds a control character (`valid_name` refuses them), and
        // PostgreSQL fails on a NUL in text: such a name is not looked up,
        // and is refused after the same dummy hash as any unknown name.
        let user =
            if name.chars().any(char::is_control) { None } else { self.store.user(name).await? };
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        let matches = self.checking_passwords(verify_password(password, stored)).await??;
        let Some(user) = user.filter(|u| matches && !u.disabled && u.kind == "person") else {
            return Err(refused());
        };
        let now = self.clock.now();
        let cookie = random_hex(32)?;
        let csrf_token = random_hex(32)?;
        let expires_at = now.saturating_add(SESSION_LIFETIME).unwrap_or(now);
        let id = self
            .store
            .create_session(&sha256_hex(&cookie), user.id, &csrf_token, now, expires_at)
            .await?;
        let principal = Principal {
            user_id: user.id,
            name: user.name.clone(),
            role: role_of(&user)?,
            application: None,
            token_id: None,
            session: Some(Session {
                id,
                csrf_token,
                must_change_password: user.must_change_password,
            }),
        };
        Ok(SignIn { cookie, principal, expires_at })
    }

    /// Runs a password check once one of the few slots for them is free;
    /// refuses it as busy when none frees within two seconds.
    async fn checking_passwords<T>(
        &self,
        check: impl Future<Output = T>,
    ) -> Result<T, ServiceError> {
        let wait = std::time::Duration::from_secs(2);
        let permit = tokio::time::timeout(wait, self.password_checks.acquire())
            .await
            .map_err(|_| ServiceError::Busy("too many sign-ins at once: try again shortly".into()))?
            .map_err(|_| ServiceError::Busy("the server is shutting down".into()))?;
        let outcome = check.await;
        drop(permit);
        Ok(outcome)
    }

    /// The principal a session cookie stands for, if it is live.
    pub async fn session(&self, cookie: &str) -> Result<Option<Principal>, ServiceError> {
        if cookie.len() != 64 || !cookie.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let Some(session) = self.store.session(&sha256_hex(cookie), self.clock.now()).await? else {
            return Ok(None);
        };
        Ok(Some(Principal {
            user_id: session.user.id,
            name: session.user.name.clone(),
            role: role_of(&session.user)?,
            application: None,
            token_id: None,
            session: Some(Session {
                id: session.id,
                csrf_token: session.csrf_token,
                must_change_password: session.user.must_change_password,
            }),
        }))
    }

    /// Ends a session.
    pub async fn sign_out(&self, session: &Session) -> Result<(), ServiceError> {
        Ok(self.store.delete_session(session.id).await?)
    }

    /// Changes a person's own password, given the current one; ends their
    /// other sessions.
    pub async fn change_password(
        &self,
        principal: &Principal,
        current: &str,
        new: &str,
    ) -> Result<(), ServiceError> {
        let user =
            self.store.user(&principal.name).await?.ok_or_else(|| {
                ServiceError::Unauthenticated("the account no longer exists".into())
            })?;
        if current.len() > MAX_PASSWORD_BYTES
            || !self
                .checking_passwords(verify_password(current, user.password_hash.clone()))
                .await??
        {
            return Err(ServiceError::Invalid("the current password is wrong".into()));
        }
        if current == new {
            return Err(ServiceError::Invalid("the new password is the current one".into()));
        }
        self.set_password(&user.name, new, false, principal.session.as_ref().map(|s| s.id)).await
    }

    /// Sets a person's password (an administrator's reset, or the command
    /// line); ends every session but `keep_session`.
    pub async fn set_password(
        &self,
        name: &str,
        password: &str,
        must_change: bool,
        keep_session: Option<i64>,
    ) -> Result<(), ServiceError> {
        check_password(password)?;
        let user =
            self.store.user(name).await?.filter(|u| u.kind == "person").ok_or_else(|| {
                ServiceError::Invalid(format!("there is no person named {name:?}"))
            })?;
        let hash = hash_password(password).await?;
        self.store
            .set_password(user.id, &hash, must_change, keep_session, self.clock.now())
            .await?;
        Ok(())
    }

    /// Changes a user's role. Their tokens never outrank it: a token whose
    /// role is now above it stops working.
    pub async fn set_role(&self, name: &str, role: Role) -> Result<(), ServiceError> {
        Ok(self.store.set_role(name, role.as_str(), self.clock.now()).await?)
    }

    /// Disables a user (ending their sessions; their tokens stop working) or
    /// enables them again.
    pub async fn set_disabled(&self, name: &str, disabled: bool) -> Result<(), ServiceError> {
        Ok(self.store.set_disabled(name, disabled, self.clock.now()).await?)
    }

    /// Tokens: everyone's for an administrator, else the caller's own.
    pub async fn tokens(&self, principal: &Principal) -> Result<Vec<TokenRow>, ServiceError> {
        let user = (principal.role != Role::Administrator).then_some(principal.user_id);
        Ok(self.store.tokens(user).await?)
    }

    /// Revokes a token: an administrator any, anyone else their own.
    pub async fn revoke_token(&self, principal: &Principal, id: i64) -> Result<(), ServiceError> {
        let (_, owner) = self.store.token(id).await?;
        if principal.role != Role::Administrator && owner != principal.user_id {
            // Someone else's token is as good as absent.
            return Err(ServiceError::Store(StoreError::NotFound(format!("token {id}"))));
        }
        Ok(self.store.revoke_token(id, self.clock.now()).await?)
    }

    /// Revokes a token from the command line.
    pub async fn revoke_token_locally(&self, id: i64) -> Result<(), ServiceError> {
        Ok(self.store.revoke_token(id, self.clock.now()).await?)
    }

    /// Makes a team an owner of an application.
    pub async fn add_owner(&self, application: &str, team: &str) -> Result<(), ServiceError> {
        let application = valid_name("application", application)?;
        let team = valid_name("team", team)?;
        Ok(self.store.add_owner(&application, &team, self.clock.now()).await?)
    }

    /// Adds a person or service account to a team.
    pub async fn add_member(&self, team: &str, user: &str) -> Result<(), ServiceError> {
        let team = valid_name("team", team)?;
        Ok(self.store.add_member(&team, user, self.clock.now()).await?)
    }

    /// Whether `principal` sees `application`.
    pub async fn sees(
        &self,
        principal: &Principal,
        application: Option<&str>,
    ) -> Result<bool, ServiceError> {
        Ok(self.store.sees(&principal.visibility(), application).await?)
    }
}

/// The secret part of a bearer token, checked for shape before any lookup:
/// `fgt_` and 64 lowercase hex digits.
pub fn parse_token(token: &str) -> Result<&str, ServiceError> {
    let token = token.trim();
    let well_formed = token.len() == TOKEN_PREFIX.len() + 64
        && token.starts_with(TOKEN_PREFIX)
        && token.bytes().skip(TOKEN_PREFIX.len()).all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if well_formed {
        Ok(token)
    } else {
        Err(ServiceError::Unauthenticated(format!(
            "the token is not a fixgate token (`{TOKEN_PREFIX}` and 64 hex digits)"
        )))
    }
}

/// A token's expiry as people write it: a date (`2027-01-31`, the token
/// stops working at the start of that day, UTC) or an RFC 3339 time.
pub fn parse_expiry(value: &str) -> Result<Timestamp, ServiceError> {
    let value = value.trim();
    if let Ok(at) = value.parse::<Timestamp>() {
        return Ok(at);
    }
    value
        .parse::<jiff::civil::Date>()
        .ok()
        .and_then(|day| {
            let midnight = day.to_datetime(jiff::civil::Time::midnight());
            jiff::tz::TimeZone::UTC.to_timestamp(midnight).ok()
        })
        .ok_or_else(|| {
            ServiceError::Invalid(format!(
                "expiry {value:?}: expected a date such as 2027-01-31 or a time such as \
                 2027-01-31T12:00:00Z"
            ))
        })
}

fn valid_name(what: &str, name: &str) -> Result<String, ServiceError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
        return Err(ServiceError::Invalid(format!(
            "a {what} name must be 1 to 200 characters, without control characters"
        )));
    }
    Ok(name.to_string())
}

fn check_password(password: &str) -> Result<(), ServiceError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ServiceError::Invalid(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ServiceError::Invalid(format!(
            "a password may have at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    Ok(())
}

fn role_of(user: &UserRow) -> Result<Role, ServiceError> {
    parse_role(&user.role)
}

fn parse_role(name: &str) -> Result<Role, ServiceError> {
    Role::from_str(name)
        .map_err(|err| ServiceError::Invalid(format!("stored role is not valid: {err}")))
}

pub(crate) fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

fn random_hex(bytes: usize) -> Result<String, ServiceError> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(ServiceError::Random)?;
    Ok(hex::encode(buffer))
}

/// A fresh random password, for a reset from the command line.
pub fn new_password() -> Result<String, ServiceError> {
    random_password()
}

/// A password of 20 characters from an alphabet without look-alikes.
fn random_password() -> Result<String, ServiceError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    // 256 is not a multiple of 55: bytes below 220 map evenly, the rest are
    // drawn again.
    let mut out = String::with_capacity(20);
    let mut bytes = [0u8; 32];
    while out.len() < 20 {
        getrandom::fill(&mut bytes).map_err(ServiceError::Random)?;
        let fair = bytes.iter().map(|&b| usize::from(b)).filter(|&b| b < 220);
        let picked = fair.filter_map(|b| ALPHABET.get(b % ALPHABET.len()));
        out.extend(picked.map(|&c| char::from(c)).take(20 - out.len()));
    }
    Ok(out)
}

/// Hashes a password with Argon2id's defaults, off the async threads.
async fn hash_password(password: &str) -> Result<String, ServiceError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|err| ServiceError::Invalid(format!("the password cannot be hashed: {err}")))
    })
    .await
    .map_err(ServiceError::Task)?
}

/// Whether `password` matches the stored hash. Without a hash, a dummy one
/// is checked, so an unknown name costs the same time as a known one.
async fn verify_password(password: &str, stored: Option<String>) -> Result<bool, ServiceError> {
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$\
                         Yk7LxS1S2Y3IacZyHUbw7L1HvOiCyTo9IXL3nFz4E0w";
    let known = stored.is_some();
    let stored = stored.unwrap_or_else(|| DUMMY.to_string());
    let password = password.to_string();
    let matches = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
            .unwrap_or(false)
    })
    .await
    .map_err(ServiceError::Task)?;
    Ok(known && matches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_for_shape_before_any_lookup() {
        let good = format!("{TOKEN_PREFIX}{}", "0123456789abcdef".repeat(4));
        assert!(parse_token(&good).is_ok());
        assert!(parse_token(&format!(" {good}\n")).is_ok());
        for bad in [
            String::new(),
            "fgt_".into(),
            good.to_uppercase(),
            format!("{good}0"),
            good.replacen("fgt_", "ghp_", 1),
            good.replacen('a', "g", 1),
            format!("{}é", &good[..good.len() - 2]),
        ] {
            assert!(parse_token(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn random_passwords_are_long_and_plain() {
        for _ in 0..50 {
            let password = random_password().unwrap_or_default();
            assert_eq!(password.chars().count(), 20);
            assert!(password.chars().all(|c| c.is_ascii_alphanumeric()), "{password}");
            assert!(check_password(&password).is_ok());
        }
    }
}
