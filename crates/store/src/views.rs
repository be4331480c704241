//! Saved views: a person's named ticket filters. A view belongs to the
//! person who saved it; shared with one of their teams, its members see and
//! open it too, but only its owner renames or deletes it.

use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::rows::millis;
use crate::{Store, StoreError};

/// A view as lists show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedView {
    pub id: i64,
    pub name: String,
    /// The person who saved it, by name.
    pub owner: String,
    /// `tickets` or `board`: the page it opens.
    pub page: String,
    /// The filters, as the page's query string.
    pub query: String,
    /// The team it is shared with.
    pub team: Option<String>,
}

/// A view to save.
#[derive(Debug, Clone)]
pub struct NewView<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub page: &'a str,
    pub query: &'a str,
    /// One of the person's teams, by name, to share it with.
    pub team: Option<&'a str>,
}

const VIEW_COLUMNS: &str = "v.id, v.name, u.name, v.page, v.query, tm.name";

const VIEW_FROM: &str = "FROM saved_views v JOIN users u ON u.id = v.user_id \
     LEFT JOIN teams tm ON tm.id = v.team_id";

/// The views person `$1` sees: their own, and those shared with a team of theirs.
const VISIBLE: &str = "(v.user_id = $1 OR v.team_id IN \
     (SELECT team_id FROM team_members WHERE user_id = $1))";

impl Store {
    /// The views `user` sees, their own first, then by name.
    pub async fn saved_views(&self, user: i64) -> Result<Vec<SavedView>, StoreError> {
        let sql = format!(
            "SELECT {VIEW_COLUMNS} {VIEW_FROM} WHERE {VISIBLE} \
             ORDER BY CASE WHEN v.user_id = $1 THEN 0 ELSE 1 END, v.name_key, v.id"
        );
        let rows = sqlx::query(&sql).bind(user).fetch_all(&self.pool).await?;
        rows.iter().map(view_row).collect()
    }

    /// View `id`, if `user` sees it.
    pub async fn saved_view(&self, id: i64, user: i64) -> Result<SavedView, StoreError> {
        let sql = format!("SELECT {VIEW_COLUMNS} {VIEW_FROM} WHERE v.id = $2 AND {VISIBLE}");
        let row = sqlx::query(&sql).bind(user).bind(id).fetch_optional(&self.pool).await?;
        view_row(&row.ok_or_else(|| StoreError::NotFound(format!("saved view {id}")))?)
    }

    /// Saves a view; returns its id. A name the person already uses, in any
    /// case, is a conflict; a team they are not in is invalid.
    pub async fn save_view(&self, view: &NewView<'_>, now: Timestamp) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let team = match view.team {
            Some(team) => Some(member_team(&mut tx, view.user_id, team).await?),
            None => None,
        };
        taken(&mut tx, view.user_id, view.name, None).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO saved_views (user_id, name, name_key, page, query, team_id, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(view.user_id)
        .bind(view.name)
        .bind(view.name.to_lowercase())
        .bind(view.page)
        .bind(view.query)
        .bind(team)
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        Ok(id)
    }

    /// Renames `user`'s view `id`.
    pub async fn rename_view(
        &self,
        id: i64,
        user: i64,
        name: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        taken(&mut tx, user, name, Some(id)).await?;
        let renamed = sqlx::query(
            "UPDATE saved_views SET name = $1, name_key = $2, updated_at = $3 \
             WHERE id = $4 AND user_id = $5",
        )
        .bind(name)
        .bind(name.to_lowercase())
        .bind(millis(now))
        .bind(id)
        .bind(user)
        .execute(&mut *tx)
        .await?;
        if renamed.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("saved view {id} of yours")));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes `user`'s view `id`.
    pub async fn delete_view(&self, id: i64, user: i64) -> Result<(), StoreError> {
        let deleted = sqlx::query("DELETE FROM saved_views WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user)
            .execute(&self.pool)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("saved view {id} of yours")));
        }
        Ok(())
    }
}

/// The id of `team`, when `user` is one of its members.
async fn member_team(
    conn: &mut sqlx::AnyConnection,
    user: i64,
    team: &str,
) -> Result<i64, StoreError> {
    sqlx::query(
        "SELECT t.id FROM teams t JOIN team_members m ON m.team_id = t.id \
         WHERE m.user_id = $1 AND t.name = $2",
    )
    .bind(user)
    .bind(team)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| {
        StoreError::Invalid(format!("team: you are not in team {team:?}, so cannot share with it"))
    })?
    .try_get(0)
    .map_err(StoreError::from)
}

/// A conflict when `user` has another view named `name`, ignoring case.
async fn taken(
    conn: &mut sqlx::AnyConnection,
    user: i64,
    name: &str,
    except: Option<i64>,
) -> Result<(), StoreError> {
    let found = sqlx::query(
        "SELECT name FROM saved_views WHERE user_id = $1 AND name_key = $2 AND id <> $3",
    )
    .bind(user)
    .bind(name.to_lowercase())
    .bind(except.unwrap_or(0))
    .fetch_optional(&mut *conn)
    .await?;
    match found {
        Some(row) => Err(StoreError::Conflict(format!(
            "name: you already have a view named {:?}; choose another name",
            row.try_get::<String, _>(0)?
        ))),
        None => Ok(()),
    }
}

fn view_row(row: &AnyRow) -> Result<SavedView, StoreError> {
    Ok(SavedView {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        owner: row.try_get(2)?,
        page: row.try_get(3)?,
        query: row.try_get(4)?,
        team: row.try_get(5)?,
    })
}
