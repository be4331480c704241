//! The decisions still in force on a repository's tickets: tickets marked
//! false positive or risk accepted whose expiry, if they have one, has not
//! passed, each with the findings it tracks. Exports to scanners (VEX
//! documents, ignore files) are built from these.

use std::collections::HashMap;

use fixgate_domain::{Finding, TicketState};
use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::rows::{from_millis, millis};
use crate::{Store, StoreError, details};

/// A ticket people decided needs no fix, with what they said and the
/// findings it tracks.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub key: String,
    pub title: String,
    /// `FalsePositive` or `RiskAccepted`.
    pub state: TicketState,
    pub application: Option<String>,
    pub reason: Option<String>,
    pub approver: Option<String>,
    /// When the decision lapses; `None` for one without an expiry.
    pub expires_at: Option<Timestamp>,
    /// When the ticket was last moved to its state.
    pub decided_at: Timestamp,
    pub findings: Vec<Finding>,
}

/// The tickets a decision query looks at; `$1` is the repository, `$2` the
/// time decisions must outlive, `$3` the application or NULL for all.
const DECIDED: &str = "FROM tickets t JOIN repositories r ON r.id = t.repository_id \
     LEFT JOIN applications a ON a.id = t.application_id \
     WHERE r.url = $1 AND t.state IN ('false_positive', 'risk_accepted') \
     AND (t.decision_expires_at IS NULL OR t.decision_expires_at > $2) \
     AND ($3 IS NULL OR a.name = $3)";

impl Store {
    /// The decisions in force at `now` on the tickets of `repository` (of
    /// `application` only, when given), oldest ticket first, each with its
    /// findings in the order they were first recorded.
    pub async fn decisions(
        &self,
        repository: &str,
        application: Option<&str>,
        now: Timestamp,
    ) -> Result<Vec<Decision>, StoreError> {
        let tickets = sqlx::query(&format!(
            "SELECT t.id, t.ticket_key, t.title, t.state, a.name, t.decision_reason, \
             t.decision_approver, t.decision_expires_at, \
             (SELECT MAX(e.at) FROM ticket_events e \
              WHERE e.ticket_id = t.id AND e.kind = 'state_changed'), t.updated_at \
             {DECIDED} ORDER BY t.id"
        ))
        .bind(repository)
        .bind(millis(now))
        .bind(application)
        .fetch_all(&self.pool)
        .await?;
        let mut findings = self.decided_findings(repository, application, now).await?;

        tickets
            .iter()
            .map(|row| {
                let id: i64 = row.try_get(0)?;
                decision(row, findings.remove(&id).unwrap_or_default())
            })
            .collect()
    }

    /// The findings of the decided tickets, by ticket id.
    async fn decided_findings(
        &self,
        repository: &str,
        application: Option<&str>,
        now: Timestamp,
    ) -> Result<HashMap<i64, Vec<Finding>>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT f.ticket_id, f.id, {} FROM findings f \
             WHERE f.ticket_id IN (SELECT t.id {DECIDED}) ORDER BY f.id",
            details::COLUMNS
        ))
        .bind(repository)
        .bind(millis(now))
        .bind(application)
        .fetch_all(&self.pool)
        .await?;
        let mut out: HashMap<i64, Vec<Finding>> = HashMap::new();
        for row in &rows {
            let finding = details::from_row(row, 2, row.try_get(1)?)?;
            out.entry(row.try_get(0)?).or_default().push(finding);
        }
        Ok(out)
    }
}

fn decision(row: &AnyRow, findings: Vec<Finding>) -> Result<Decision, StoreError> {
    let key: String = row.try_get(1)?;
    let state: String = row.try_get(3)?;
    let state = state.parse::<TicketState>().map_err(|_| {
        StoreError::Invalid(format!("stored ticket {key} has an unknown state {state:?}"))
    })?;
    let changed: Option<i64> = row.try_get(8)?;
    let updated: i64 = row.try_get(9)?;
    Ok(Decision {
        title: row.try_get(2)?,
        state,
        application: row.try_get(4)?,
        reason: row.try_get(5)?,
        approver: row.try_get(6)?,
        expires_at: row.try_get::<Option<i64>, _>(7)?.map(from_millis),
        decided_at: from_millis(changed.unwrap_or(updated)),
        findings,
        key,
    })
}
