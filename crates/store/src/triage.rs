//! What an import asks of the triage policy for each ticket it opens: the
//! owning team, the priority and the SLA due date, decided in the same
//! transaction that opens the ticket; and for each open ticket whose
//! severity the scan changed, its priority again.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use fixgate_domain::triage::{Due, Pause, Priority};
use fixgate_domain::{Finding, FindingKind, Severity};
use jiff::Timestamp;

use crate::ExploitSignal;

/// Decides new tickets' owners, priorities and due dates from their (first)
/// findings and the exploit signals known for their advisories, and
/// re-decides the priority of a ticket whose severity a later scan changed.
pub trait Triage: Send + Sync + fmt::Debug {
    /// The triage of each ticket in `tickets`, in order. Tickets that agree
    /// on what the policy reads share their decision, words included.
    fn triage(&self, tickets: &[(&Finding, Option<&ExploitSignal>)]) -> Vec<TicketTriage>;

    /// The priority the policy gives a ticket of `kind` rated `severity`
    /// with these exploit signals, and why, in words.
    fn priority(&self, input: PriorityAgain) -> (Priority, String);

    /// When a ticket of `priority` whose SLA clock started at `start` is
    /// due, given the pauses of its clock; `None` while a pause is open.
    fn due(&self, priority: Priority, start: Timestamp, pauses: &[Pause]) -> Option<Due>;
}

/// What the policy reads to prioritise an open ticket again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriorityAgain {
    pub severity: Severity,
    pub kind: FindingKind,
    pub kev: bool,
    pub epss: Option<f64>,
}

/// A new ticket's triage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketTriage {
    /// The owning team.
    pub owner: Option<Arc<str>>,
    /// Which rule chose the owner, in words.
    pub routed_by: Option<Arc<str>>,
    pub priority: Option<Priority>,
    /// Why that priority, in words.
    pub priority_reason: Option<Arc<str>>,
    pub due: Option<Due>,
    pub kev: bool,
    pub epss: Option<f64>,
}

/// The triage policy file as last loaded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredPolicy {
    pub content: String,
    pub loaded_at: jiff::Timestamp,
    pub loaded_by: String,
}

/// Who may own tickets of every application: the teams there are, each
/// person's teams, and each application's owning teams.
#[derive(Debug, Clone, Default)]
pub struct AllOwners {
    pub teams: Vec<String>,
    /// (person, team), as [`Owners::memberships`].
    pub memberships: Vec<(String, String)>,
    /// Each application's owning teams, in name order, by application name.
    pub application_teams: HashMap<String, Vec<String>>,
}

/// Who may own tickets: the teams there are, each person's teams, and the
/// teams that own an application.
#[derive(Debug, Clone, Default)]
pub struct Owners {
    pub teams: Vec<String>,
    /// (person, team), people in name order, their teams in name order.
    pub memberships: Vec<(String, String)>,
    /// The application's owning teams, in name order.
    pub application_teams: Vec<String>,
}

impl crate::Store {
    /// The triage policy last loaded, if one ever was.
    pub async fn triage_policy(&self) -> Result<Option<StoredPolicy>, crate::StoreError> {
        let row: Option<(String, i64, String)> = sqlx::query_as(
            "SELECT content, loaded_at, loaded_by FROM triage_policies ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(content, at, by)| StoredPolicy {
            content,
            loaded_at: crate::rows::from_millis(at),
            loaded_by: by,
        }))
    }

    /// The teams and people tickets of `application` may be routed to.
    pub async fn owners(&self, application: &str) -> Result<Owners, crate::StoreError> {
        let (teams, memberships) = self.teams_and_members().await?;
        let application_teams: Vec<(String,)> = sqlx::query_as(
            "SELECT t.name FROM application_teams o JOIN teams t ON t.id = o.team_id \
             JOIN applications a ON a.id = o.application_id WHERE a.name = $1 ORDER BY t.name",
        )
        .bind(application)
        .fetch_all(&self.pool)
        .await?;
        Ok(Owners {
            teams,
            memberships,
            application_teams: application_teams.into_iter().map(|(t,)| t).collect(),
        })
    }

    /// The teams and people tickets of any application may be routed to,
    /// with every application's owning teams (by application name).
    pub async fn all_owners(&self) -> Result<AllOwners, crate::StoreError> {
        let (teams, memberships) = self.teams_and_members().await?;
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT a.name, t.name FROM application_teams o JOIN teams t ON t.id = o.team_id \
             JOIN applications a ON a.id = o.application_id ORDER BY a.name, t.name",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut application_teams: HashMap<String, Vec<String>> = HashMap::new();
        for (application, team) in rows {
            application_teams.entry(application).or_default().push(team);
        }
        Ok(AllOwners { teams, memberships, application_teams })
    }

    /// The teams, in name order, and (person, team) for each enabled person.
    async fn teams_and_members(
        &self,
    ) -> Result<(Vec<String>, Vec<(String, String)>), crate::StoreError> {
        let teams: Vec<(String,)> =
            sqlx::query_as("SELECT name FROM teams ORDER BY name").fetch_all(&self.pool).await?;
        let memberships: Vec<(String, String)> = sqlx::query_as(
            "SELECT u.name, t.name FROM team_members m JOIN users u ON u.id = m.user_id \
             JOIN teams t ON t.id = m.team_id WHERE u.disabled = 0 AND u.kind = 'person' \
             ORDER BY u.name, t.name",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok((teams.into_iter().map(|(t,)| t).collect(), memberships))
    }
}

/// Keeps a new version of the triage policy file on `conn`; earlier ones
/// stay. See [`crate::Store::save_and_reroute`].
pub(crate) async fn save_triage_policy(
    conn: &mut sqlx::AnyConnection,
    content: &str,
    actor: &str,
    now: jiff::Timestamp,
) -> Result<(), crate::StoreError> {
    sqlx::query("INSERT INTO triage_policies (content, loaded_at, loaded_by) VALUES ($1, $2, $3)")
        .bind(content)
        .bind(crate::rows::millis(now))
        .bind(actor)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
