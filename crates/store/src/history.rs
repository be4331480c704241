//! Scan history: the repositories fixgate has scans of, each scope's
//! latest scan, and a repository's scans newest first with what each one
//! did. The counts are the ones the import wrote on the scan's row in the
//! transaction that wrote the tickets' events, so they agree with them.

use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::rows::from_millis;
use crate::tickets::bind_all;
use crate::{Page, Store, StoreError, Visibility};

/// A repository with the latest scan of each of its scopes.
#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryScans {
    pub id: i64,
    pub url: String,
    pub application: String,
    /// By branch, then tool and category.
    pub scopes: Vec<ScopeLast>,
}

/// One scope (branch, tool, category) and its latest scan.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeLast {
    pub branch: String,
    pub tool: String,
    pub category: String,
    pub scan: Option<i64>,
    pub at: Option<Timestamp>,
    pub commit: Option<String>,
}

/// One scan and what it did.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanRow {
    pub id: i64,
    pub at: Timestamp,
    /// The tools whose results the report held, comma-separated.
    pub tools: String,
    pub branch: String,
    pub commit: Option<String>,
    pub category: String,
    pub uploader: String,
    /// Only some paths or rules: it proved nothing absent.
    pub partial: bool,
    /// Its branch opens and closes tickets.
    pub tracked: bool,
    pub findings: i64,
    pub opened: i64,
    pub seen_again: i64,
    pub reappeared: i64,
    pub no_longer_seen: i64,
    pub suppressed: i64,
    pub verified: i64,
    pub reopened: i64,
    pub verification_failed: i64,
}

const SCAN_COLUMNS: &str = "s.id, s.imported_at, s.tools, s.branch, s.commit_sha, s.category, \
     s.uploader, s.partial, s.tracked, s.findings_count, s.opened, s.seen_again, s.reappeared, \
     s.no_longer_seen, s.suppressed, s.verified, s.reopened, s.verification_failed";

impl Store {
    /// The repositories `visibility` sees, by URL, with their scopes' latest scans.
    pub async fn repositories_with_scans(
        &self,
        visibility: &Visibility,
    ) -> Result<Vec<RepositoryScans>, StoreError> {
        self.repositories(visibility, None).await
    }

    /// Repository `id` with its scopes' latest scans, when `visibility` sees it.
    pub async fn repository_scans(
        &self,
        id: i64,
        visibility: &Visibility,
    ) -> Result<RepositoryScans, StoreError> {
        let found = self.repositories(visibility, Some(id)).await?.into_iter().next();
        found.ok_or_else(|| StoreError::NotFound(format!("repository {id}")))
    }

    async fn repositories(
        &self,
        visibility: &Visibility,
        only: Option<i64>,
    ) -> Result<Vec<RepositoryScans>, StoreError> {
        let mut conditions = Vec::new();
        let mut params = Vec::new();
        if let Some(id) = only {
            conditions.push("r.id = $1".to_string());
            params.push(crate::tickets::Param::Int(id));
        }
        if let Some((condition, visible)) = visibility.condition("a.id", params.len() + 1) {
            conditions.push(condition);
            params.extend(visible);
        }
        let condition = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT r.id, r.url, a.name, sc.branch, sc.tool, sc.category, s.id, s.imported_at, \
             s.commit_sha FROM repositories r JOIN applications a ON a.id = r.application_id \
             LEFT JOIN scopes sc ON sc.repository_id = r.id \
             LEFT JOIN scans s ON s.id = sc.last_scan_id {condition} \
             ORDER BY r.url, a.name, r.id, sc.branch, sc.tool, sc.category"
        );
        let rows = bind_all(sqlx::query(&sql), &params).fetch_all(&self.pool).await?;
        let mut out: Vec<RepositoryScans> = Vec::new();
        for row in &rows {
            let id: i64 = row.try_get(0)?;
            if out.last().is_none_or(|r| r.id != id) {
                out.push(RepositoryScans {
                    id,
                    url: row.try_get(1)?,
                    application: row.try_get(2)?,
                    scopes: Vec::new(),
                });
            }
            let branch: Option<String> = row.try_get(3)?;
            if let (Some(branch), Some(last)) = (branch, out.last_mut()) {
                last.scopes.push(ScopeLast {
                    branch,
                    tool: row.try_get(4)?,
                    category: row.try_get(5)?,
                    scan: row.try_get(6)?,
                    at: row.try_get::<Option<i64>, _>(7)?.map(from_millis),
                    commit: row.try_get(8)?,
                });
            }
        }
        Ok(out)
    }

    /// One page of repository `id`'s scans, newest first; the repository
    /// must be one `visibility` sees.
    pub async fn scan_history(
        &self,
        id: i64,
        visibility: &Visibility,
        limit: u32,
        page: u32,
    ) -> Result<Page<ScanRow>, StoreError> {
        if !self.repository_visible(id, visibility).await? {
            return Err(StoreError::NotFound(format!("repository {id}")));
        }
        let (limit, page) = (limit.clamp(1, 500), page.max(1));
        let total: i64 = sqlx::query("SELECT COUNT(*) FROM scans WHERE repository_id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let sql = format!(
            "SELECT {SCAN_COLUMNS} FROM scans s WHERE s.repository_id = $1 \
             ORDER BY s.id DESC LIMIT $2 OFFSET $3"
        );
        let rows = sqlx::query(&sql)
            .bind(id)
            .bind(i64::from(limit))
            .bind(i64::from(page - 1) * i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        let items = rows.iter().map(scan_row).collect::<Result<_, _>>()?;
        Ok(Page { total: total.max(0) as u64, page, limit, items })
    }

    async fn repository_visible(
        &self,
        id: i64,
        visibility: &Visibility,
    ) -> Result<bool, StoreError> {
        let (condition, mut params) = visibility
            .condition("r.application_id", 2)
            .map(|(condition, params)| (format!("AND {condition}"), params))
            .unwrap_or_default();
        params.insert(0, crate::tickets::Param::Int(id));
        let sql = format!("SELECT 1 FROM repositories r WHERE r.id = $1 {condition}");
        Ok(bind_all(sqlx::query(&sql), &params).fetch_optional(&self.pool).await?.is_some())
    }
}

fn scan_row(row: &AnyRow) -> Result<ScanRow, StoreError> {
    let flag = |i: usize| row.try_get::<i64, _>(i).map(|v| v == 1);
    Ok(ScanRow {
        id: row.try_get(0)?,
        at: from_millis(row.try_get(1)?),
        tools: row.try_get(2)?,
        branch: row.try_get(3)?,
        commit: row.try_get(4)?,
        category: row.try_get(5)?,
        uploader: row.try_get(6)?,
        partial: flag(7)?,
        tracked: flag(8)?,
        findings: row.try_get(9)?,
        opened: row.try_get(10)?,
        seen_again: row.try_get(11)?,
        reappeared: row.try_get(12)?,
        no_longer_seen: row.try_get(13)?,
        suppressed: row.try_get(14)?,
        verified: row.try_get(15)?,
        reopened: row.try_get(16)?,
        verification_failed: row.try_get(17)?,
    })
}
