//! People, service accounts, teams, API tokens and sessions, and the
//! visibility rule every read obeys: a caller sees the applications of their
//! teams, or every application when their role spans all, narrowed to one
//! application when their token names it.
//!
//! Secrets never reach this module: it stores and looks up hashes only.

use jiff::Timestamp;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::import::upsert_application;
use crate::rows::{from_millis, millis};
use crate::tickets::{Param, bind_all};
use crate::{Store, StoreError};

/// Which applications a caller sees. The default sees everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visibility {
    /// Only the applications of this user's teams.
    pub member: Option<i64>,
    /// Only this application.
    pub application: Option<String>,
}

impl Visibility {
    /// Every application: the local command line and roles that span all.
    pub fn everything() -> Visibility {
        Visibility::default()
    }

    pub fn is_everything(&self) -> bool {
        self.member.is_none() && self.application.is_none()
    }

    /// The SQL condition on an application id column (`t.application_id`),
    /// with its parameters numbered from `$first`; `None` when everything is
    /// visible.
    pub(crate) fn condition(&self, column: &str, first: usize) -> Option<(String, Vec<Param>)> {
        let mut parts = Vec::new();
        let mut params = Vec::new();
        if let Some(user) = self.member {
            parts.push(format!(
                "{column} IN (SELECT at.application_id FROM application_teams at \
                 JOIN team_members m ON m.team_id = at.team_id WHERE m.user_id = ${})",
                first + params.len()
            ));
            params.push(Param::Int(user));
        }
        if let Some(name) = &self.application {
            parts.push(format!(
                "{column} IN (SELECT id FROM applications WHERE name = ${})",
                first + params.len()
            ));
            params.push(Param::Text(name.clone()));
        }
        (!parts.is_empty()).then(|| (parts.join(" AND "), params))
    }
}

/// A person or a service account.
#[derive(Debug, Clone, Serialize)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    /// `person` or `service`.
    pub kind: String,
    pub role: String,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub disabled: bool,
    pub teams: Vec<String>,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub kind: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub teams: Vec<String>,
}

/// A token to store: its hash, never its value.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub token_hash: String,
    pub prefix: String,
    pub user_id: i64,
    pub role: String,
    pub application: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub created_by: String,
}

/// A stored token, as lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct TokenRow {
    pub id: i64,
    pub prefix: String,
    pub user: String,
    pub user_kind: String,
    pub role: String,
    pub application: Option<String>,
    pub created_at: Timestamp,
    pub created_by: String,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

/// A token found by its hash, with what the request needs of its owner.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub token: TokenRow,
    pub user_id: i64,
    pub user_disabled: bool,
    pub user_role: String,
}

/// A live session, found by its hash.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: i64,
    /// The signed-in user; `teams` is left empty.
    pub user: UserRow,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

const USER_COLUMNS: &str =
    "u.id, u.name, u.kind, u.role, u.password_hash, u.must_change_password, u.disabled";

const TOKEN_COLUMNS: &str = "k.id, k.prefix, u.name, u.kind, k.role, k.application, \
     k.created_at, k.created_by, k.expires_at, k.revoked_at, k.last_used_at";

impl Store {
    /// Creates a team; an existing team of that name is left as it is.
    pub async fn ensure_team(&self, name: &str, now: Timestamp) -> Result<i64, StoreError> {
        let mut conn = self.pool.acquire().await?;
        ensure_team(&mut conn, name, millis(now)).await
    }

    /// Creates a user in their teams (created when missing).
    pub async fn create_user(&self, user: &NewUser, now: Timestamp) -> Result<i64, StoreError> {
        let now = millis(now);
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO users (name, kind, role, password_hash, must_change_password, \
             disabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6) \
             ON CONFLICT (name) DO NOTHING RETURNING id",
        )
        .bind(&user.name)
        .bind(&user.kind)
        .bind(&user.role)
        .bind(user.password_hash.as_deref())
        .bind(i64::from(user.must_change_password))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::Conflict(format!("a user named {:?} exists", user.name)))?
        .try_get(0)?;
        for team in &user.teams {
            let team = ensure_team(&mut tx, team, now).await?;
            add_member(&mut tx, team, id).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Adds a user to a team (created when missing).
    pub async fn add_member(
        &self,
        team: &str,
        user: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let user = user_id(&mut tx, user).await?;
        let team = ensure_team(&mut tx, team, millis(now)).await?;
        add_member(&mut tx, team, user).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes a team an owner of an application (both created when missing).
    pub async fn add_owner(
        &self,
        application: &str,
        team: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let now = millis(now);
        let mut tx = self.pool.begin().await?;
        let application = upsert_application(&mut tx, application, now).await?;
        let team = ensure_team(&mut tx, team, now).await?;
        sqlx::query(
            "INSERT INTO application_teams (application_id, team_id) VALUES ($1, $2) \
             ON CONFLICT (application_id, team_id) DO NOTHING",
        )
        .bind(application)
        .bind(team)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user named `name`, with their teams.
    pub async fn user(&self, name: &str) -> Result<Option<UserRow>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.name = $1");
        let Some(row) = sqlx::query(&sql).bind(name).fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let mut user = user_row(&row)?;
        user.teams = self.teams_of(user.id).await?;
        Ok(Some(user))
    }

    /// Every user, by name.
    pub async fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.name");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        let mut users = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut user = user_row(row)?;
            user.teams = self.teams_of(user.id).await?;
            users.push(user);
        }
        Ok(users)
    }

    async fn teams_of(&self, user: i64) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT t.name FROM teams t JOIN team_members m ON m.team_id = t.id \
             WHERE m.user_id = $1 ORDER BY t.name",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(name,)| name).collect())
    }

    /// Replaces a user's password hash and ends their sessions, except
    /// `keep_session` (the one that made the change).
    pub async fn set_password(
        &self,
        user: i64,
        password_hash: &str,
        must_change: bool,
        keep_session: Option<i64>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = $2, updated_at = $3 \
             WHERE id = $4",
        )
        .bind(password_hash)
        .bind(i64::from(must_change))
        .bind(millis(now))
        .bind(user)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user)
            .bind(keep_session.unwrap_or(0))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes a user's role; their tokens are capped by it from now on.
    pub async fn set_role(&self, name: &str, role: &str, now: Timestamp) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE name = $3")
            .bind(role)
            .bind(millis(now))
            .bind(name)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("user {name:?}")));
        }
        Ok(())
    }

    /// Disables a user (their sessions end and their tokens stop working),
    /// or enables them again.
    pub async fn set_disabled(
        &self,
        name: &str,
        disabled: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "UPDATE users SET disabled = $1, updated_at = $2 WHERE name = $3 RETURNING id",
        )
        .bind(i64::from(disabled))
        .bind(millis(now))
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("user {name:?}")))?;
        let id: i64 = row.try_get(0)?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores a token; returns its id.
    pub async fn create_token(&self, token: &NewToken, now: Timestamp) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO api_tokens (token_hash, prefix, user_id, role, application, \
             created_at, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING id",
        )
        .bind(&token.token_hash)
        .bind(&token.prefix)
        .bind(token.user_id)
        .bind(&token.role)
        .bind(token.application.as_deref())
        .bind(millis(now))
        .bind(&token.created_by)
        .bind(token.expires_at.map(millis))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// The token whose value hashes to `hash`, revoked and expired ones
    /// included: the caller says why it refuses them.
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenOwner>, StoreError> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS}, u.id, u.disabled, u.role FROM api_tokens k \
             JOIN users u ON u.id = k.user_id WHERE k.token_hash = $1"
        );
        let Some(row) = sqlx::query(&sql).bind(hash).fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        Ok(Some(TokenOwner {
            token: token_row(&row)?,
            user_id: row.try_get(11)?,
            user_disabled: row.try_get::<i64, _>(12)? == 1,
            user_role: row.try_get(13)?,
        }))
    }

    /// Notes that a token was used, at most once a minute per token.
    pub async fn token_used(&self, id: i64, now: Timestamp) -> Result<(), StoreError> {
        let now = millis(now);
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 \
             AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(now)
        .bind(id)
        .bind(now - 60_000)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Revokes a token; revoking it again changes nothing.
    pub async fn revoke_token(&self, id: i64, now: Timestamp) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2",
        )
        .bind(millis(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("token {id}")));
        }
        Ok(())
    }

    /// Tokens, newest first: one user's, or everyone's.
    pub async fn tokens(&self, user: Option<i64>) -> Result<Vec<TokenRow>, StoreError> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens k JOIN users u ON u.id = k.user_id \
             WHERE $1 = 0 OR k.user_id = $1 ORDER BY k.id DESC"
        );
        let rows = sqlx::query(&sql).bind(user.unwrap_or(0)).fetch_all(&self.pool).await?;
        rows.iter().map(token_row).collect()
    }

    /// The token with `id`, and the id of its user.
    pub async fn token(&self, id: i64) -> Result<(TokenRow, i64), StoreError> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS}, u.id FROM api_tokens k JOIN users u ON u.id = k.user_id \
             WHERE k.id = $1"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("token {id}")))?;
        Ok((token_row(&row)?, row.try_get(11)?))
    }

    /// Starts a session; returns its id.
    pub async fn create_session(
        &self,
        session_hash: &str,
        user: i64,
        csrf_token: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<i64, StoreError> {
        // Sessions that ran out are removed as new ones start.
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(millis(now))
            .execute(&self.pool)
            .await?;
        let row = sqlx::query(
            "INSERT INTO sessions (session_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(session_hash)
        .bind(user)
        .bind(csrf_token)
        .bind(millis(now))
        .bind(millis(expires_at))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// The unexpired session whose value hashes to `hash`, of a user who is
    /// not disabled.
    pub async fn session(
        &self,
        hash: &str,
        now: Timestamp,
    ) -> Result<Option<SessionRow>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.id, s.csrf_token, s.expires_at FROM sessions s \
             JOIN users u ON u.id = s.user_id \
             WHERE s.session_hash = $1 AND s.expires_at > $2 AND u.disabled = 0"
        );
        let Some(row) =
            sqlx::query(&sql).bind(hash).bind(millis(now)).fetch_optional(&self.pool).await?
        else {
            return Ok(None);
        };
        // Every cookie request reads this: the user's teams, which it does
        // not need (visibility asks the database), are left unread.
        Ok(Some(SessionRow {
            id: row.try_get(7)?,
            user: user_row(&row)?,
            csrf_token: row.try_get(8)?,
            expires_at: from_millis(row.try_get(9)?),
        }))
    }

    /// Ends a session.
    pub async fn delete_session(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }

    /// The applications a repository URL belongs to, by name.
    pub async fn repository_applications(&self, url: &str) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT a.name FROM repositories r JOIN applications a ON a.id = r.application_id \
             WHERE r.url = $1 ORDER BY a.name",
        )
        .bind(url)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(name,)| name).collect())
    }

    /// Those of `keys` whose tickets a caller with `visibility` sees.
    pub async fn visible_keys(
        &self,
        keys: &[String],
        visibility: &Visibility,
    ) -> Result<Vec<String>, StoreError> {
        let Some((condition, params)) = visibility.condition("t.application_id", keys.len() + 1)
        else {
            return Ok(keys.to_vec());
        };
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT t.ticket_key FROM tickets t WHERE t.ticket_key IN ({}) AND {condition} \
             ORDER BY t.ticket_key",
            list.join(",")
        );
        let mut query = sqlx::query(&sql);
        for key in keys {
            query = query.bind(key);
        }
        let rows = bind_all(query, &params).fetch_all(&self.pool).await?;
        rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
    }

    /// Whether a caller with `visibility` sees `application` (`None`: a
    /// ticket that belongs to no application, which only callers who see
    /// everything see).
    pub async fn sees(
        &self,
        visibility: &Visibility,
        application: Option<&str>,
    ) -> Result<bool, StoreError> {
        let Some((condition, params)) = visibility.condition("a.id", 2) else {
            return Ok(true);
        };
        let Some(application) = application else {
            return Ok(false);
        };
        let sql = format!("SELECT COUNT(*) FROM applications a WHERE a.name = $1 AND {condition}");
        let query = bind_all(sqlx::query(&sql).bind(application), &params);
        let count: i64 = query.fetch_one(&self.pool).await?.try_get(0)?;
        Ok(count > 0)
    }
}

async fn ensure_team(
    conn: &mut sqlx::AnyConnection,
    name: &str,
    now: i64,
) -> Result<i64, StoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid("a team needs a name".into()));
    }
    sqlx::query(
        "INSERT INTO teams (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query("SELECT id FROM teams WHERE name = $1")
        .bind(name)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get(0)?)
}

async fn user_id(conn: &mut sqlx::AnyConnection, name: &str) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT id FROM users WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("user {name:?}")))?;
    Ok(row.try_get(0)?)
}

async fn add_member(
    conn: &mut sqlx::AnyConnection,
    team: i64,
    user: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) \
         ON CONFLICT (team_id, user_id) DO NOTHING",
    )
    .bind(team)
    .bind(user)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn user_row(row: &AnyRow) -> Result<UserRow, StoreError> {
    Ok(UserRow {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        kind: row.try_get(2)?,
        role: row.try_get(3)?,
        password_hash: row.try_get(4)?,
        must_change_password: row.try_get::<i64, _>(5)? == 1,
        disabled: row.try_get::<i64, _>(6)? == 1,
        teams: Vec::new(),
    })
}

fn token_row(row: &AnyRow) -> Result<TokenRow, StoreError> {
    let time = |i: usize| -> Result<Option<Timestamp>, StoreError> {
        Ok(row.try_get::<Option<i64>, _>(i)?.map(from_millis))
    };
    Ok(TokenRow {
        id: row.try_get(0)?,
        prefix: row.try_get(1)?,
        user: row.try_get(2)?,
        user_kind: row.try_get(3)?,
        role: row.try_get(4)?,
        application: row.try_get(5)?,
        created_at: from_millis(row.try_get(6)?),
        created_by: row.try_get(7)?,
        expires_at: time(8)?,
        revoked_at: time(9)?,
        last_used_at: time(10)?,
    })
}
