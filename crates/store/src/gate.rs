//! What the CI gate (`fixgate check`) compares a report with: every finding
//! fixgate has for a repository, with its ticket's state and decision and
//! whether a tracked branch sees it now. Only reads; a check stores nothing.

use fixgate_domain::{Severity, TicketState};
use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::rows::from_millis;
use crate::{Store, StoreError};

/// One finding fixgate has for a repository, as the gate needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedFinding {
    pub fingerprint: String,
    /// The content layer's key; the fingerprint for rows written before
    /// fixgate kept it.
    pub content_fingerprint: String,
    pub tool: String,
    pub rule_id: String,
    pub path: Option<String>,
    pub start_line: Option<u32>,
    pub severity: Severity,
    pub title: String,
    /// A leaked secret or a vulnerable package: such findings have no place
    /// for the location layer to compare (see `fixgate_domain::matching`).
    pub secret_or_package: bool,
    pub ticket: Option<TrackedTicket>,
    /// A scan of a tracked branch saw it, now or earlier.
    pub seen_on_tracked: bool,
    /// The latest scan of some tracked branch's scope still sees it.
    pub present_on_tracked: bool,
}

/// The ticket of a tracked finding.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedTicket {
    pub key: String,
    pub state: TicketState,
    pub decision_reason: Option<String>,
    pub decision_expires_at: Option<Timestamp>,
}

/// Sightings of a finding in scopes of tracked branches; `{}` is replaced by
/// an extra condition on the sighting.
const ON_TRACKED: &str = "CAST(CASE WHEN EXISTS (SELECT 1 FROM sightings s \
     JOIN scopes sc ON sc.id = s.scope_id \
     WHERE s.finding_id = f.id AND sc.tracked = 1 {}) THEN 1 ELSE 0 END AS BIGINT)";

impl Store {
    /// Every finding of the repository with URL `repository`, in the named
    /// application only when one is given, oldest first.
    pub async fn tracked_findings(
        &self,
        application: Option<&str>,
        repository: &str,
    ) -> Result<Vec<TrackedFinding>, StoreError> {
        let seen = ON_TRACKED.replace("{}", "");
        let present = ON_TRACKED.replace("{}", "AND s.present = 1");
        // The details JSON names a `package` key only for findings about a
        // package; inside a JSON string the quotes would be escaped.
        let sql = format!(
            "SELECT f.fingerprint, COALESCE(f.content_fingerprint, f.fingerprint), f.tool, \
             f.rule_id, f.path, f.start_line, f.severity, f.title, \
             CAST(CASE WHEN f.secret_hash IS NOT NULL OR f.details LIKE '%\"package\":%' \
             THEN 1 ELSE 0 END AS BIGINT), \
             t.ticket_key, t.state, t.decision_reason, t.decision_expires_at, {seen}, {present} \
             FROM findings f JOIN repositories r ON r.id = f.repository_id \
             JOIN applications a ON a.id = f.application_id \
             LEFT JOIN tickets t ON t.id = f.ticket_id \
             WHERE r.url = $1 {} ORDER BY f.id",
            if application.is_some() { "AND a.name = $2" } else { "" }
        );
        let mut query = sqlx::query(&sql).bind(repository);
        if let Some(application) = application {
            query = query.bind(application);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(tracked_finding).collect()
    }

    /// The installation's value for `name`, if it has one; unlike
    /// [`Store::setting_or_insert`] it writes nothing.
    pub async fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        let value: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(value.map(|(value,)| value))
    }
}

fn tracked_finding(row: &AnyRow) -> Result<TrackedFinding, StoreError> {
    let fingerprint: String = row.try_get(0)?;
    let invalid =
        |what: String| StoreError::Invalid(format!("stored finding {fingerprint}: {what}"));
    let rank: i64 = row.try_get(6)?;
    let severity = Severity::from_rank(rank).ok_or_else(|| invalid(format!("severity {rank}")))?;
    let start_line: Option<i64> = row.try_get(5)?;
    let ticket = match row.try_get::<Option<String>, _>(9)? {
        Some(key) => {
            let state: String = row.try_get(10)?;
            Some(TrackedTicket {
                state: state.parse().map_err(|_| invalid(format!("ticket state {state:?}")))?,
                key,
                decision_reason: row.try_get(11)?,
                decision_expires_at: row.try_get::<Option<i64>, _>(12)?.map(from_millis),
            })
        }
        None => None,
    };
    Ok(TrackedFinding {
        content_fingerprint: row.try_get(1)?,
        tool: row.try_get(2)?,
        rule_id: row.try_get(3)?,
        path: row.try_get(4)?,
        start_line: start_line.and_then(|line| u32::try_from(line).ok()),
        severity,
        title: row.try_get(7)?,
        secret_or_package: row.try_get::<i64, _>(8)? == 1,
        ticket,
        seen_on_tracked: row.try_get::<i64, _>(13)? == 1,
        present_on_tracked: row.try_get::<i64, _>(14)? == 1,
        fingerprint,
    })
}
