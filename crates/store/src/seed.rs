//! Writing a made-up installation in bulk (`fixgate seed`): teams, people,
//! applications, repositories, scopes and their scans, then security
//! tickets whole, each with its finding, sighting and full history, in one
//! transaction. What the tickets say comes from the caller; the store gives
//! them ids and keys, writes them with multi-row statements and folds their
//! facts from their events with the machine the live writes use
//! ([`facts::record_whole`]).
//!
//! The seed only adds: it refuses a store that has tickets unless asked,
//! and writes ids itself (from the largest one stored), so nobody else may
//! write to the store while it runs. On PostgreSQL the tables it numbers are
//! locked for the transaction; on SQLite the transaction holds the write
//! lock from its first statement.

use sqlx::{Any, Row, Transaction};

use crate::batch::{binds, for_rows};
use crate::import::allocate_numbers;
use crate::metrics::facts::{self, Dims, Event};
use crate::{Backend, Store, StoreError};

/// The people, teams and code a seed's tickets refer to.
#[derive(Debug, Clone, Default)]
pub struct SeedCatalog {
    pub teams: Vec<String>,
    /// A person's name and the index of their team.
    pub people: Vec<(String, usize)>,
    /// An application's name and the index of the team that owns it.
    pub applications: Vec<(String, usize)>,
    /// A repository's application (index) and URL.
    pub repositories: Vec<(usize, String)>,
    pub scopes: Vec<SeedScope>,
    pub scans: Vec<SeedScan>,
    /// When the catalog's rows were made (epoch ms).
    pub created_at: i64,
}

/// What one kind of scan of a repository's default branch covers.
#[derive(Debug, Clone)]
pub struct SeedScope {
    /// The repository, by index.
    pub repository: usize,
    pub tool: String,
    pub category: String,
}

/// One complete scan of a scope.
#[derive(Debug, Clone)]
pub struct SeedScan {
    /// The scope, by index.
    pub scope: usize,
    pub at: i64,
    pub commit: String,
    pub uploader: String,
}

/// The catalog's rows as stored, by the catalog's indexes.
#[derive(Debug, Clone, Default)]
pub struct CatalogIds {
    pub applications: Vec<i64>,
    pub repositories: Vec<i64>,
    pub scopes: Vec<i64>,
    pub scans: Vec<i64>,
}

/// A ticket as it stands at the end of its history, with that history.
/// Times are epoch milliseconds; ids are the store's (see [`CatalogIds`]).
#[derive(Debug, Clone)]
pub struct SeedTicket {
    pub ticket_type: fixgate_domain::TicketType,
    pub state: fixgate_domain::TicketState,
    pub severity: fixgate_domain::Severity,
    pub title: String,
    pub description: String,
    pub application: Option<i64>,
    pub repository: Option<i64>,
    pub branch: Option<String>,
    pub commit: Option<String>,
    pub tool: Option<String>,
    pub rule_id: Option<String>,
    pub path: Option<String>,
    pub cwes: Vec<u32>,
    pub advisories: Vec<String>,
    /// The owning team, and what chose it.
    pub owner: Option<String>,
    pub routed_by: Option<String>,
    /// A person, by name.
    pub assignee: Option<String>,
    pub priority: Option<fixgate_domain::triage::Priority>,
    pub priority_reason: Option<String>,
    pub due_at: Option<i64>,
    pub due_soon_at: Option<i64>,
    /// The due date whose breach was recorded.
    pub breached_due_at: Option<i64>,
    pub present: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    pub closed_by_scan: Option<i64>,
    pub reopen_count: i64,
    pub decision: Option<SeedDecision>,
    pub finding: Option<SeedFinding>,
    /// Risk acceptance requests, oldest first.
    pub requests: Vec<SeedAcceptance>,
    /// The history, oldest first.
    pub events: Vec<SeedEvent>,
}

/// The decision a ticket stands under (false positive, risk accepted).
#[derive(Debug, Clone)]
pub struct SeedDecision {
    pub reason: String,
    pub approver: Option<String>,
    pub requested_by: Option<String>,
    pub expires_at: Option<i64>,
}

/// A security ticket's finding and the sighting of its scope.
#[derive(Debug, Clone)]
pub struct SeedFinding {
    pub scope: i64,
    pub fingerprint: String,
    pub line: i64,
    /// Everything else, as `findings.details` holds it.
    pub details: String,
    pub first_scan: i64,
    pub last_scan: i64,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
    pub times_seen: i64,
    /// The scan that no longer saw it, while it is absent.
    pub absent_since: Option<i64>,
}

/// A request to accept a ticket's risk and its outcome.
#[derive(Debug, Clone)]
pub struct SeedAcceptance {
    /// Its id, from [`SeedSession::next_acceptance_id`] on: events name it.
    pub id: i64,
    pub requested_by: String,
    pub requested_at: i64,
    pub reason: String,
    pub expires_at: i64,
    /// approved, rejected or pending.
    pub outcome: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
}

/// One entry of a ticket's history. `data` is the event's JSON object.
#[derive(Debug, Clone)]
pub struct SeedEvent {
    pub at: i64,
    pub actor: String,
    pub kind: &'static str,
    pub data: String,
}

/// A seed under way: one transaction, committed by [`SeedSession::finish`].
pub struct SeedSession {
    tx: Transaction<'static, Any>,
    backend: Backend,
    /// The largest ids stored before this seed, numbered on from.
    next_ticket: i64,
    next_finding: i64,
    next_acceptance: i64,
    tickets: u64,
}

/// The tables whose ids the seed writes itself.
const NUMBERED: [&str; 4] = ["tickets", "findings", "scans", "risk_requests"];

impl Store {
    /// How many tickets the store holds.
    pub async fn ticket_count(&self) -> Result<u64, StoreError> {
        let n: i64 =
            sqlx::query("SELECT COUNT(*) FROM tickets").fetch_one(&self.pool).await?.try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Starts a seed. Refuses a store that has tickets unless `force`.
    pub async fn start_seed(&self, force: bool) -> Result<SeedSession, StoreError> {
        let mut tx = self.pool.begin().await?;
        match self.backend {
            // Takes the write lock now, so the ids read next stay the largest.
            Backend::Sqlite => {
                sqlx::query("UPDATE counters SET value = value WHERE name = ''")
                    .execute(&mut *tx)
                    .await?;
            }
            Backend::Postgres => {
                sqlx::query(&format!(
                    "LOCK TABLE {}, ticket_events IN EXCLUSIVE MODE",
                    NUMBERED.join(", ")
                ))
                .execute(&mut *tx)
                .await?;
            }
        }
        let stored: i64 =
            sqlx::query("SELECT COUNT(*) FROM tickets").fetch_one(&mut *tx).await?.try_get(0)?;
        if stored > 0 && !force {
            return Err(StoreError::Conflict(format!(
                "the store already holds {stored} tickets: seed an empty store, or pass --force \
                 to add the seeded tickets to them"
            )));
        }
        let next_ticket = largest_id(&mut tx, "tickets").await? + 1;
        let next_finding = largest_id(&mut tx, "findings").await? + 1;
        let next_acceptance = largest_id(&mut tx, "risk_requests").await? + 1;
        Ok(SeedSession {
            tx,
            backend: self.backend,
            next_ticket,
            next_finding,
            next_acceptance,
            tickets: 0,
        })
    }
}

async fn largest_id(tx: &mut Transaction<'static, Any>, table: &str) -> Result<i64, StoreError> {
    let sql = format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM {table}");
    Ok(sqlx::query(&sql).fetch_one(&mut **tx).await?.try_get(0)?)
}

impl SeedSession {
    /// The first id free for risk acceptance requests: the caller numbers
    /// the requests of its tickets on from it, in order.
    pub fn next_acceptance_id(&self) -> i64 {
        self.next_acceptance
    }

    /// Writes the catalog: teams with their members, applications with
    /// their owning team, repositories, scopes and scans. Names already
    /// stored are used again.
    pub async fn catalog(&mut self, catalog: &SeedCatalog) -> Result<CatalogIds, StoreError> {
        let at = catalog.created_at;
        let mut teams = Vec::with_capacity(catalog.teams.len());
        for name in &catalog.teams {
            teams.push(self.upsert("teams", "name, created_at", (name, at)).await?);
        }
        for (name, team) in &catalog.people {
            let user = self.upsert_user(name, at).await?;
            self.member(teams.get(*team).copied(), user, "team_members", "team_id, user_id")
                .await?;
        }
        let mut ids = CatalogIds::default();
        for (name, team) in &catalog.applications {
            let app =
                self.upsert("applications", "name, created_at, updated_at", (name, at)).await?;
            self.member(
                teams.get(*team).copied(),
                app,
                "application_teams",
                "team_id, application_id",
            )
            .await?;
            ids.applications.push(app);
        }
        for (app, url) in &catalog.repositories {
            let app = index(&ids.applications, *app, "application")?;
            ids.repositories.push(self.repository(app, url, at).await?);
        }
        for scope in &catalog.scopes {
            ids.scopes.push(self.scope(catalog, &ids, scope).await?);
        }
        ids.scans = self.scans(catalog, &ids).await?;
        Ok(ids)
    }

    /// A row of `table` named `name`, made at `at`, inserted if missing.
    async fn upsert(
        &mut self,
        table: &str,
        columns: &str,
        (name, at): (&str, i64),
    ) -> Result<i64, StoreError> {
        let values = if columns.ends_with("updated_at") { "$1, $2, $2" } else { "$1, $2" };
        let sql = format!(
            "INSERT INTO {table} ({columns}) VALUES ({values}) \
             ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id"
        );
        let row = sqlx::query(&sql).bind(name).bind(at).fetch_one(&mut *self.tx).await?;
        Ok(row.try_get(0)?)
    }

    async fn upsert_user(&mut self, name: &str, at: i64) -> Result<i64, StoreError> {
        // People who sign in through the identity provider: no password.
        let row = sqlx::query(
            "INSERT INTO users (name, kind, role, created_at, updated_at) \
             VALUES ($1, 'person', 'developer', $2, $2) \
             ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
        )
        .bind(name)
        .bind(at)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(row.try_get(0)?)
    }

    async fn member(
        &mut self,
        team: Option<i64>,
        member: i64,
        table: &str,
        columns: &str,
    ) -> Result<(), StoreError> {
        let Some(team) = team else {
            return Err(StoreError::Invalid(format!("{table}: no such team")));
        };
        let sql = format!("INSERT INTO {table} ({columns}) VALUES ($1, $2) ON CONFLICT DO NOTHING");
        sqlx::query(&sql).bind(team).bind(member).execute(&mut *self.tx).await?;
        Ok(())
    }

    async fn repository(&mut self, app: i64, url: &str, at: i64) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO repositories (application_id, url, created_at, default_branch) \
             VALUES ($1, $2, $3, 'main') ON CONFLICT (application_id, url) \
             DO UPDATE SET url = excluded.url RETURNING id",
        )
        .bind(app)
        .bind(url)
        .bind(at)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(row.try_get(0)?)
    }

    async fn scope(
        &mut self,
        catalog: &SeedCatalog,
        ids: &CatalogIds,
        scope: &SeedScope,
    ) -> Result<i64, StoreError> {
        let (app, url) = catalog.repositories.get(scope.repository).ok_or_else(|| {
            StoreError::Invalid(format!("scope: no repository {}", scope.repository))
        })?;
        let app_name = catalog.applications.get(*app).map(|(n, _)| n.clone()).unwrap_or_default();
        let key = fixgate_domain::ScopeKey {
            application: app_name,
            repository: url.clone(),
            branch: "main".into(),
            tool: scope.tool.clone(),
            category: scope.category.clone(),
        };
        let row = sqlx::query(
            "INSERT INTO scopes (scope_key, application_id, repository_id, branch, tool, category, \
             tracked) VALUES ($1, $2, $3, 'main', $4, $5, 1) \
             ON CONFLICT (scope_key) DO UPDATE SET tracked = 1 RETURNING id",
        )
        .bind(key.canonical())
        .bind(index(&ids.applications, *app, "application")?)
        .bind(index(&ids.repositories, scope.repository, "repository")?)
        .bind(&scope.tool)
        .bind(&scope.category)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// Inserts the scans with ids numbered on from the largest, links each
    /// to its scope, and makes the latest of each scope its last scan.
    async fn scans(
        &mut self,
        catalog: &SeedCatalog,
        ids: &CatalogIds,
    ) -> Result<Vec<i64>, StoreError> {
        let first = largest_id(&mut self.tx, "scans").await? + 1;
        let mut rows = Vec::with_capacity(catalog.scans.len());
        for (n, scan) in (first..).zip(&catalog.scans) {
            let scope = catalog
                .scopes
                .get(scan.scope)
                .ok_or_else(|| StoreError::Invalid(format!("scan: no scope {}", scan.scope)))?;
            let app = catalog.repositories.get(scope.repository).map(|(app, _)| *app).unwrap_or(0);
            let scope_id = index(&ids.scopes, scan.scope, "scope")?;
            rows.push((
                n,
                index(&ids.applications, app, "application")?,
                index(&ids.repositories, scope.repository, "repository")?,
                scope_id,
                scan,
                scope,
            ));
        }
        let conn = &mut *self.tx;
        for_rows(
            conn,
            self.backend,
            (
                "INSERT INTO scans (id, application_id, repository_id, branch, commit_sha, \
                 category, tools, format, report_sha256, report_bytes, uploader, imported_at, \
                 partial, tracked)",
                "",
            ),
            "?,?,?,'main',?,?,?,'sarif','',0,?,?,0,1",
            &rows,
            |q, (id, app, repo, _, scan, scope)| {
                q.bind(*id)
                    .bind(*app)
                    .bind(*repo)
                    .bind(scan.commit.as_str())
                    .bind(scope.category.as_str())
                    .bind(scope.tool.as_str())
                    .bind(scan.uploader.as_str())
                    .bind(scan.at)
            },
        )
        .await?;
        for_rows(
            conn,
            self.backend,
            ("INSERT INTO scan_scopes (scan_id, scope_id)", ""),
            "?,?",
            &rows,
            |q, (id, _, _, scope, _, _)| q.bind(*id).bind(*scope),
        )
        .await?;
        sqlx::query(
            "UPDATE scopes SET last_scan_id = (SELECT MAX(ss.scan_id) FROM scan_scopes ss \
             WHERE ss.scope_id = scopes.id) \
             WHERE EXISTS (SELECT 1 FROM scan_scopes ss WHERE ss.scope_id = scopes.id)",
        )
        .execute(&mut *conn)
        .await?;
        Ok(rows.iter().map(|r| r.0).collect())
    }

    /// Writes `tickets` whole: their rows with new keys, their findings
    /// and sightings, risk requests, events and facts.
    pub async fn tickets(&mut self, tickets: &[SeedTicket]) -> Result<(), StoreError> {
        let keys = self.keys(tickets).await?;
        let first = self.next_ticket;
        let rows: Vec<(i64, &str, &SeedTicket)> = (first..)
            .zip(keys.iter().map(String::as_str))
            .zip(tickets)
            .map(|((id, k), t)| (id, k, t))
            .collect();
        self.next_ticket += tickets.len() as i64;
        self.insert_tickets(&rows).await?;
        self.insert_findings(&rows).await?;
        self.insert_requests(&rows).await?;
        let events: Vec<(i64, &SeedEvent)> =
            rows.iter().flat_map(|(id, _, t)| t.events.iter().map(move |e| (*id, e))).collect();
        append_events(&mut self.tx, self.backend, &events).await?;
        self.fold(&rows).await?;
        self.tickets += tickets.len() as u64;
        Ok(())
    }

    /// A key for each ticket, numbered on from its type's counter.
    async fn keys(&mut self, tickets: &[SeedTicket]) -> Result<Vec<String>, StoreError> {
        let mut keys = vec![String::new(); tickets.len()];
        for kind in fixgate_domain::TicketType::ALL {
            let of_kind: Vec<usize> = (0..tickets.len())
                .filter(|i| tickets.get(*i).is_some_and(|t| t.ticket_type == kind))
                .collect();
            if of_kind.is_empty() {
                continue;
            }
            let prefix = kind.key_prefix();
            let first = allocate_numbers(&mut self.tx, prefix, of_kind.len() as i64).await?;
            for (i, n) in of_kind.into_iter().zip(first..) {
                if let Some(key) = keys.get_mut(i) {
                    *key = format!("{prefix}-{n}");
                }
            }
        }
        Ok(keys)
    }

    async fn insert_tickets(
        &mut self,
        rows: &[(i64, &str, &SeedTicket)],
    ) -> Result<(), StoreError> {
        for_rows(
            &mut self.tx,
            self.backend,
            (
                "INSERT INTO tickets (id, ticket_key, ticket_type, state, severity, title, \
                 description, application_id, repository_id, branch, commit_sha, tool, rule_id, \
                 path, cwes, advisories, owner, routed_by, assignee, priority, priority_reason, \
                 due_at, due_soon_at, sla_started_at, breached_due_at, warned_due_at, present, \
                 created_at, updated_at, closed_at, closed_by_scan_id, reopen_count, \
                 decision_reason, decision_approver, decision_requested_by, decision_expires_at)",
                "",
            ),
            &binds(36),
            rows,
            |q, (id, key, t)| {
                let decision = t.decision.as_ref();
                q.bind(*id)
                    .bind(*key)
                    .bind(t.ticket_type.as_str())
                    .bind(t.state.as_str())
                    .bind(t.severity.rank())
                    .bind(t.title.as_str())
                    .bind(t.description.as_str())
                    .bind(t.application)
                    .bind(t.repository)
                    .bind(t.branch.as_deref())
                    .bind(t.commit.as_deref())
                    .bind(t.tool.as_deref())
                    .bind(t.rule_id.as_deref())
                    .bind(t.path.as_deref())
                    .bind(crate::rows::cwes_column(&t.cwes))
                    .bind(crate::rows::advisories_column(&t.advisories))
                    .bind(t.owner.as_deref())
                    .bind(t.routed_by.as_deref())
                    .bind(t.assignee.as_deref())
                    .bind(t.priority.map(|p| p.as_str()))
                    .bind(t.priority_reason.as_deref())
                    .bind(t.due_at)
                    .bind(t.due_soon_at)
                    .bind(t.created_at)
                    .bind(t.breached_due_at)
                    .bind(t.breached_due_at)
                    .bind(i64::from(t.present))
                    .bind(t.created_at)
                    .bind(t.updated_at)
                    .bind(t.closed_at)
                    .bind(t.closed_by_scan)
                    .bind(t.reopen_count)
                    .bind(decision.map(|d| d.reason.as_str()))
                    .bind(decision.and_then(|d| d.approver.as_deref()))
                    .bind(decision.and_then(|d| d.requested_by.as_deref()))
                    .bind(decision.and_then(|d| d.expires_at))
            },
        )
        .await?;
        Ok(())
    }

    async fn insert_findings(
        &mut self,
        rows: &[(i64, &str, &SeedTicket)],
    ) -> Result<(), StoreError> {
        let first = self.next_finding;
        let findings: Vec<(i64, i64, &SeedTicket, &SeedFinding)> = rows
            .iter()
            .filter_map(|(id, _, t)| t.finding.as_ref().map(|f| (*id, *t, f)))
            .zip(first..)
            .map(|((ticket, t, f), n)| (n, ticket, t, f))
            .collect();
        self.next_finding += findings.len() as i64;
        for_rows(
            &mut self.tx,
            self.backend,
            (
                "INSERT INTO findings (id, application_id, repository_id, fingerprint, ticket_id, \
                 tool, rule_id, title, severity, path, start_line, end_line, suppressed, details, \
                 cwes, first_scan_id, last_scan_id, created_at, updated_at)",
                "",
            ),
            "?,?,?,?,?,?,?,?,?,?,?,?,0,?,?,?,?,?,?",
            &findings,
            |q, (id, ticket, t, f)| {
                q.bind(*id)
                    .bind(t.application)
                    .bind(t.repository)
                    .bind(f.fingerprint.as_str())
                    .bind(*ticket)
                    .bind(t.tool.as_deref())
                    .bind(t.rule_id.as_deref())
                    .bind(t.title.as_str())
                    .bind(t.severity.rank())
                    .bind(t.path.as_deref())
                    .bind(f.line)
                    .bind(f.line)
                    .bind(f.details.as_str())
                    .bind(crate::rows::cwes_column(&t.cwes))
                    .bind(f.first_scan)
                    .bind(f.last_scan)
                    .bind(f.first_seen_at)
                    .bind(f.last_seen_at)
            },
        )
        .await?;
        for_rows(
            &mut self.tx,
            self.backend,
            (
                "INSERT INTO sightings (finding_id, scope_id, first_scan_id, last_scan_id, \
                 first_seen_at, last_seen_at, times_seen, present, absent_since_scan_id)",
                "",
            ),
            &binds(9),
            &findings,
            |q, (id, _, _, f)| {
                q.bind(*id)
                    .bind(f.scope)
                    .bind(f.first_scan)
                    .bind(f.last_scan)
                    .bind(f.first_seen_at)
                    .bind(f.last_seen_at)
                    .bind(f.times_seen)
                    .bind(i64::from(f.absent_since.is_none()))
                    .bind(f.absent_since)
            },
        )
        .await?;
        Ok(())
    }

    async fn insert_requests(
        &mut self,
        rows: &[(i64, &str, &SeedTicket)],
    ) -> Result<(), StoreError> {
        let requests: Vec<(i64, &SeedAcceptance)> =
            rows.iter().flat_map(|(id, _, t)| t.requests.iter().map(move |r| (*id, r))).collect();
        if let Some(last) = requests.iter().map(|(_, r)| r.id).max() {
            self.next_acceptance = self.next_acceptance.max(last + 1);
        }
        for_rows(
            &mut self.tx,
            self.backend,
            (
                "INSERT INTO risk_requests (id, ticket_id, requested_by, requested_at, reason, \
                 expires_at, outcome, decided_by, decided_at)",
                "",
            ),
            &binds(9),
            &requests,
            |q, (id, r)| {
                q.bind(r.id)
                    .bind(*id)
                    .bind(r.requested_by.as_str())
                    .bind(r.requested_at)
                    .bind(r.reason.as_str())
                    .bind(r.expires_at)
                    .bind(r.outcome.as_str())
                    .bind(r.decided_by.as_deref())
                    .bind(r.decided_at)
            },
        )
        .await?;
        Ok(())
    }

    /// The facts of the security tickets, folded from their events.
    async fn fold(&mut self, rows: &[(i64, &str, &SeedTicket)]) -> Result<(), StoreError> {
        let whole: Vec<facts::Whole> = rows
            .iter()
            .filter(|(_, _, t)| t.ticket_type == fixgate_domain::TicketType::Vulnerability)
            .map(|(id, _, t)| facts::Whole {
                repository_id: t.repository,
                rule_id: t.rule_id.as_deref(),
                cwes: crate::rows::cwes_column(&t.cwes),
                dims: Dims {
                    application_id: t.application,
                    tool: t.tool.clone(),
                    severity: t.severity.rank(),
                    priority: t.priority.map(|p| p.as_str().to_string()),
                    owner: t.owner.clone(),
                },
                due_at: t.due_at,
                events: t
                    .events
                    .iter()
                    .map(|e| Event { ticket: *id, at: e.at, kind: e.kind, data: &e.data })
                    .collect(),
            })
            .collect();
        facts::record_whole(&mut self.tx, self.backend, &whole).await
    }

    /// Commits the seed; returns the number of tickets written. PostgreSQL's
    /// id sequences then go on from the ids the seed wrote, and both
    /// databases refresh their statistics for the planner.
    pub async fn finish(mut self) -> Result<u64, StoreError> {
        if self.backend == Backend::Postgres {
            for table in NUMBERED {
                sqlx::query(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                     (SELECT MAX(id) FROM {table})) WHERE EXISTS (SELECT 1 FROM {table})"
                ))
                .execute(&mut *self.tx)
                .await?;
            }
        }
        // The seeded events join the event log's hash chain, in id order,
        // before they are committed, as every writer's events do.
        crate::chain::commit(self.tx).await?;
        Ok(self.tickets)
    }
}

/// Appends seeded events, in the order given. Every event a seed writes
/// goes through here.
async fn append_events(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    events: &[(i64, &SeedEvent)],
) -> Result<(), StoreError> {
    for_rows(
        tx,
        backend,
        ("INSERT INTO ticket_events (ticket_id, at, actor, kind, data)", ""),
        &binds(5),
        events,
        |q, (ticket, e)| {
            q.bind(*ticket).bind(e.at).bind(e.actor.as_str()).bind(e.kind).bind(e.data.as_str())
        },
    )
    .await?;
    Ok(())
}

impl Store {
    /// Refreshes the planner's statistics of every table (after a seed).
    pub async fn analyze(&self) -> Result<(), StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => "ANALYZE",
            // VACUUM also marks the pages index-only scans may trust; it
            // cannot run in a transaction, so it goes as a plain statement.
            Backend::Postgres => "VACUUM ANALYZE",
        };
        sqlx::Executor::execute(&self.pool, sql).await?;
        Ok(())
    }
}

fn index(ids: &[i64], i: usize, what: &str) -> Result<i64, StoreError> {
    ids.get(i).copied().ok_or_else(|| StoreError::Invalid(format!("seed: no {what} {i}")))
}

impl Store {
    /// The database's size on disk, in bytes (SQLite: the file without its
    /// write-ahead log).
    pub async fn database_bytes(&self) -> Result<i64, StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT CAST(p.page_count * s.page_size AS BIGINT) \
                 FROM pragma_page_count() p, pragma_page_size() s"
            }
            Backend::Postgres => "SELECT CAST(pg_database_size(current_database()) AS BIGINT)",
        };
        Ok(sqlx::query(sql).fetch_one(&self.pool).await?.try_get(0)?)
    }
}
