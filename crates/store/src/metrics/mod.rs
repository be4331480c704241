//! The figures' data: aggregates over the facts the event log yields (see
//! [`facts`]), one statement per figure family, each reading an index range
//! of a narrow table rather than the tickets or their events.
//!
//! The caller (the service) decides the window, its periods and days in the
//! policy's time zone and passes their bounds as epoch milliseconds; the
//! statements bucket rows into them by joining a `VALUES` list of bounds,
//! so no time zone arithmetic happens in SQL. Percentiles need the values
//! themselves: they travel packed, one text per period and group.

pub(crate) mod facts;

use std::collections::HashMap;

use fixgate_domain::Severity;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use self::facts::{TALLIED, tallies_of};
use crate::tickets::{Param, bind_all};
use crate::{Backend, Store, StoreError, Visibility};

/// What figures may be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KpiGroup {
    Severity,
    Priority,
    /// The owning team.
    Team,
    /// The application, by name.
    App,
    Tool,
}

impl KpiGroup {
    pub const ALL: [KpiGroup; 5] =
        [KpiGroup::Team, KpiGroup::App, KpiGroup::Severity, KpiGroup::Tool, KpiGroup::Priority];

    pub fn as_str(self) -> &'static str {
        match self {
            KpiGroup::Severity => "severity",
            KpiGroup::Priority => "priority",
            KpiGroup::Team => "team",
            KpiGroup::App => "app",
            KpiGroup::Tool => "tool",
        }
    }

    /// The column of `metric_tickets` or `metric_transitions` (as `m`).
    fn column(self) -> &'static str {
        match self {
            KpiGroup::Severity => "m.severity",
            KpiGroup::Priority => "m.priority",
            KpiGroup::Team => "m.owner",
            KpiGroup::App => "m.application_id",
            KpiGroup::Tool => "m.tool",
        }
    }
}

impl std::str::FromStr for KpiGroup {
    type Err = String;

    fn from_str(s: &str) -> Result<KpiGroup, String> {
        KpiGroup::ALL.into_iter().find(|g| g.as_str() == s.trim()).ok_or_else(|| {
            format!("unknown grouping {s:?}: use team, app, severity, tool or priority")
        })
    }
}

/// Whose figures, grouped how.
#[derive(Debug, Clone, Default)]
pub struct KpiScope {
    pub visibility: Visibility,
    pub by: Option<KpiGroup>,
    /// Narrows the figures further, within what `visibility` allows.
    pub filter: KpiFilter,
}

/// The tickets a person asked the figures of: each part given narrows
/// them. It never widens what the caller's visibility allows; the two
/// conditions are joined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KpiFilter {
    /// The owning team, as tickets name it.
    pub team: Option<String>,
    /// The application, by name.
    pub application: Option<String>,
    pub severity: Option<Severity>,
}

impl KpiFilter {
    pub fn is_empty(&self) -> bool {
        self.team.is_none() && self.application.is_none() && self.severity.is_none()
    }
}

/// The names a filter of the figures can choose from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KpiChoices {
    /// Teams that own an application the caller sees (every team for a
    /// caller who sees everything).
    pub teams: Vec<String>,
    pub applications: Vec<String>,
}

/// Counts of closings and reopenings in one period and group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepCount {
    /// Index of the period in the bounds given.
    pub period: usize,
    /// The group's label; `None` for tickets without one, or when not grouped.
    pub group: Option<String>,
    /// `closed` or `reopened`.
    pub step: String,
    /// For a closing: verified, closed, false_positive, risk_accepted or
    /// duplicate; for a reopening: scan, person or expiry.
    pub detail: String,
    /// For a closing: whether it met the due date in force then (`None`
    /// when there was none).
    pub met: Option<bool>,
    pub count: u64,
}

/// Elapsed times (ms since first detection) of one period and group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Durations {
    pub period: usize,
    pub group: Option<String>,
    pub elapsed: Vec<i64>,
}

/// Which transitions' elapsed times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// First detection to first triage.
    Triage,
    /// First detection to each verification by a scan.
    Verification,
}

/// Open tickets of one group, age bucket and SLA state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCount {
    pub group: Option<String>,
    /// 0: 0–7 days since first detection, 1: 8–30, 2: 31–90, 3: 91–180,
    /// 4: more than 180.
    pub age: usize,
    /// `breached`, `due_soon`, `on_track`, `paused` or `no_due_date`.
    pub sla: String,
    pub count: u64,
}

/// An open ticket's SLA states, as `kpi_open` numbers them.
const SLA_STATES: [&str; 5] = ["paused", "no_due_date", "breached", "due_soon", "on_track"];

/// The moments open-ticket figures are measured against.
#[derive(Debug, Clone, Copy)]
pub struct OpenBounds {
    pub now: i64,
    /// Due at or before this (and after now) is due soon.
    pub due_soon_until: i64,
    /// Detected after `age[i]` is in age bucket `i` (or a younger one).
    pub age: [i64; 4],
}

/// The most common among open tickets, most first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopOpen {
    pub cwes: Vec<(String, u64)>,
    pub rules: Vec<(String, u64)>,
    pub repositories: Vec<(String, u64)>,
}

/// A repository (or application) and tool, with its latest complete scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub application: String,
    pub repository: Option<String>,
    pub tool: String,
    /// When the latest complete scan of a tracked branch was imported.
    pub last_complete_scan_at: Option<i64>,
    pub last_complete_scan_id: Option<i64>,
}

/// `WITH p (i, s, e) AS (VALUES …)`: period `i` runs from `s` to `e`.
fn periods_cte(bounds: &[i64]) -> String {
    let rows: Vec<String> = bounds
        .windows(2)
        .enumerate()
        .map(|(i, w)| match w {
            [s, e] => format!("({i}, {s}, {e})"),
            _ => String::new(),
        })
        .collect();
    format!("WITH p (i, s, e) AS (VALUES {})", rows.join(", "))
}

/// ` AND <condition>` limiting `m` (a row of `metric_tickets` or
/// `metric_transitions`) to what the caller sees and chose, with its
/// parameters numbered from 1.
fn visible(scope: &KpiScope) -> (String, Vec<Param>) {
    let (mut condition, mut params) = scope
        .visibility
        .condition("m.application_id", 1)
        .map(|(condition, params)| (format!(" AND {condition}"), params))
        .unwrap_or_default();
    let filter = &scope.filter;
    if let Some(team) = &filter.team {
        params.push(Param::Text(team.clone()));
        condition.push_str(&format!(" AND m.owner = ${}", params.len()));
    }
    if let Some(application) = &filter.application {
        params.push(Param::Text(application.clone()));
        condition.push_str(&format!(
            " AND m.application_id IN (SELECT id FROM applications WHERE name = ${})",
            params.len()
        ));
    }
    if let Some(severity) = filter.severity {
        params.push(Param::Int(severity.rank()));
        condition.push_str(&format!(" AND m.severity = ${}", params.len()));
    }
    (condition, params)
}

/// How a statement groups by `by`: the group's label as it selects it
/// (text; NULL when not grouped), and the GROUP BY terms after its own
/// (", column", or nothing). Statements group by the column itself, since
/// whole numbers sort faster than their text.
fn grouping(by: Option<KpiGroup>) -> (String, String) {
    match by {
        Some(by) => (format!("CAST({} AS TEXT)", by.column()), format!(", {}", by.column())),
        None => ("CAST(NULL AS TEXT)".to_string(), String::new()),
    }
}

impl Store {
    /// Closings and reopenings in each period (`bounds` are the periods'
    /// starts and the window's end), by group.
    pub async fn kpi_steps(
        &self,
        scope: &KpiScope,
        bounds: &[i64],
    ) -> Result<Vec<StepCount>, StoreError> {
        if bounds.len() < 2 {
            return Ok(Vec::new());
        }
        let (condition, params) = visible(scope);
        let (group, by) = grouping(scope.by);
        let sql = format!(
            "{} SELECT CAST(p.i AS BIGINT), {group}, m.tally, COUNT(*) \
             FROM p JOIN metric_transitions m ON m.at >= p.s AND m.at < p.e \
             WHERE m.step IN ('closed', 'reopened'){condition} GROUP BY p.i{by}, m.tally",
            periods_cte(bounds)
        );
        let rows = bind_all(sqlx::query(&sql), &params).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let tally = index(row.try_get(2)?)?;
            let &(step, detail) = TALLIED
                .get(tally / 3)
                .ok_or_else(|| StoreError::Invalid(format!("stored tally {tally} is unknown")))?;
            out.push(StepCount {
                period: index(row.try_get(0)?)?,
                group: row.try_get(1)?,
                step: step.to_string(),
                detail: detail.to_string(),
                met: match tally % 3 {
                    1 => Some(true),
                    0 => Some(false),
                    _ => None,
                },
                count: count(row.try_get(3)?),
            });
        }
        self.label_groups(scope.by, &mut out, |c| &mut c.group).await?;
        Ok(out)
    }

    /// The elapsed times of `clock` in each period, by group.
    pub async fn kpi_durations(
        &self,
        scope: &KpiScope,
        bounds: &[i64],
        clock: Clock,
    ) -> Result<Vec<Durations>, StoreError> {
        if bounds.len() < 2 {
            return Ok(Vec::new());
        }
        let (condition, params) = visible(scope);
        let (group, by) = grouping(scope.by);
        let which = match clock {
            Clock::Triage => "m.step = 'triaged'".to_string(),
            Clock::Verification => {
                let (low, high) = tallies_of("closed", "verified").ok_or_else(|| {
                    StoreError::Invalid("verified closings have no tally".to_string())
                })?;
                format!("m.step = 'closed' AND m.tally >= {low} AND m.tally <= {high}")
            }
        };
        let concat = match self.backend {
            Backend::Sqlite => "group_concat(CAST(m.elapsed AS TEXT), ',')",
            Backend::Postgres => "string_agg(CAST(m.elapsed AS TEXT), ',')",
        };
        let sql = match scope.by {
            // Not grouped, each period's values are one index range read
            // on its own, with nothing to sort.
            None => format!(
                "{} SELECT CAST(p.i AS BIGINT), CAST(NULL AS TEXT), (SELECT {concat} \
                 FROM metric_transitions m WHERE {which} AND m.at >= p.s AND m.at < p.e\
                 {condition}) FROM p",
                periods_cte(bounds)
            ),
            Some(_) => format!(
                "{} SELECT CAST(p.i AS BIGINT), {group}, {concat} \
                 FROM p JOIN metric_transitions m ON m.at >= p.s AND m.at < p.e \
                 WHERE {which}{condition} GROUP BY p.i{by}",
                periods_cte(bounds)
            ),
        };
        let rows = bind_all(sqlx::query(&sql), &params).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let packed: Option<String> = row.try_get(2)?;
            let elapsed = packed
                .iter()
                .flat_map(|p| p.split(','))
                .map(|v| {
                    v.parse::<i64>().map_err(|_| {
                        StoreError::Invalid(format!("stored elapsed time {v:?} is not a number"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            out.push(Durations {
                period: index(row.try_get(0)?)?,
                group: row.try_get(1)?,
                elapsed,
            });
        }
        self.label_groups(scope.by, &mut out, |d| &mut d.group).await?;
        Ok(out)
    }

    /// How many tickets were first detected in each bucket (`bounds` are
    /// the buckets' starts and the last one's end), not grouped. Each
    /// bucket is its own count of an index range.
    pub async fn kpi_opened(
        &self,
        scope: &KpiScope,
        bounds: &[i64],
    ) -> Result<Vec<u64>, StoreError> {
        let mut opened = vec![0; bounds.len().saturating_sub(1)];
        if opened.is_empty() {
            return Ok(opened);
        }
        let (condition, params) = visible(scope);
        let sql = format!(
            "{} SELECT CAST(p.i AS BIGINT), (SELECT COUNT(*) FROM metric_tickets m \
             WHERE m.detected_at >= p.s AND m.detected_at < p.e{condition}) FROM p",
            periods_cte(bounds)
        );
        for row in bind_all(sqlx::query(&sql), &params).fetch_all(&self.pool).await? {
            if let Some(n) = opened.get_mut(index(row.try_get(0)?)?) {
                *n = count(row.try_get(1)?);
            }
        }
        Ok(opened)
    }

    /// The open tickets now, by group, age and SLA state.
    pub async fn kpi_open(
        &self,
        scope: &KpiScope,
        bounds: &OpenBounds,
    ) -> Result<Vec<OpenCount>, StoreError> {
        let (condition, params) = visible(scope);
        let (group, by) = grouping(scope.by);
        // SQLite's planner, given a large store's statistics, reads the
        // rows through a narrower index; this one alone holds every column.
        let open = match self.backend {
            Backend::Sqlite => "metric_tickets m INDEXED BY metric_tickets_open_facts",
            Backend::Postgres => "metric_tickets m",
        };
        let (now, soon) = (bounds.now, bounds.due_soon_until);
        // Each age bucket is a range of the index; its SLA states are
        // counted side by side in one pass over it. Not grouped, each range
        // is one row (of zeros when empty).
        let group_by = by.strip_prefix(", ").map(|key| format!(" GROUP BY {key}"));
        let group_by = group_by.unwrap_or_default();
        let parts: Vec<String> = age_ranges(&bounds.age)
            .iter()
            .enumerate()
            .map(|(i, range)| {
                format!(
                    "SELECT {group}, CAST({i} AS BIGINT), \
                     COUNT(*) FILTER (WHERE m.paused = 1), \
                     COUNT(*) FILTER (WHERE m.paused = 0 AND m.due_at IS NULL), \
                     COUNT(*) FILTER (WHERE m.paused = 0 AND m.due_at <= {now}), \
                     COUNT(*) FILTER (WHERE m.paused = 0 AND m.due_at > {now} \
                       AND m.due_at <= {soon}), \
                     COUNT(*) FROM {open} WHERE m.is_open = 1 AND {range}{condition}{group_by}"
                )
            })
            .collect();
        let sql = parts.join(" UNION ALL ");
        // (group, age bucket, SLA state as `SLA_STATES` numbers it, count).
        let mut cells: Vec<(Option<String>, usize, usize, u64)> = Vec::new();
        for row in bind_all(sqlx::query(&sql), &params).fetch_all(&self.pool).await? {
            let (group, age): (Option<String>, usize) = (row.try_get(0)?, index(row.try_get(1)?)?);
            // On track: whatever the other four states leave.
            let mut rest = count(row.try_get(6)?);
            for sla in 0..4 {
                let n = count(row.try_get(2 + sla)?);
                rest = rest.saturating_sub(n);
                cells.push((group.clone(), age, sla, n));
            }
            cells.push((group, age, 4, rest));
        }
        let mut out = Vec::with_capacity(cells.len());
        for (group, age, sla, count) in cells.into_iter().filter(|cell| cell.3 > 0) {
            let sla = SLA_STATES
                .get(sla)
                .ok_or_else(|| StoreError::Invalid(format!("bad SLA state {sla}")))?;
            out.push(OpenCount { group, age, sla: (*sla).to_string(), count });
        }
        self.label_groups(scope.by, &mut out, |c| &mut c.group).await?;
        Ok(out)
    }

    /// The CWEs, rules and repositories most common among open tickets, at
    /// most `limit` of each; ties go in name order.
    pub async fn kpi_top(&self, scope: &KpiScope, limit: usize) -> Result<TopOpen, StoreError> {
        let (condition, params) = visible(scope);
        let counts = |sql: String| {
            let params = &params;
            async move {
                let rows = bind_all(sqlx::query(&sql), params).fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| Ok((r.try_get::<String, _>(0)?, count(r.try_get(1)?))))
                    .collect::<Result<Vec<(String, u64)>, StoreError>>()
            }
        };
        let open = format!("FROM metric_tickets m WHERE m.is_open = 1{condition}");
        let mut cwes: HashMap<String, u64> = HashMap::new();
        for (list, n) in counts(format!("SELECT m.cwes, COUNT(*) {open} GROUP BY m.cwes")).await? {
            for cwe in list.split(',').filter(|c| !c.is_empty()) {
                *cwes.entry(format!("CWE-{cwe}")).or_default() += n;
            }
        }
        // Rules are many (tens of thousands at scale): only the top ones
        // leave the database.
        let rules = counts(format!(
            "SELECT m.rule_id, COUNT(*) AS n {open} AND m.rule_id IS NOT NULL \
             GROUP BY m.rule_id ORDER BY n DESC, m.rule_id LIMIT {limit}"
        ))
        .await?;
        let repositories = counts(format!(
            "SELECT r.url, x.n FROM (SELECT m.repository_id, COUNT(*) AS n {open} \
             AND m.repository_id IS NOT NULL GROUP BY m.repository_id) x \
             JOIN repositories r ON r.id = x.repository_id"
        ))
        .await?;
        Ok(TopOpen {
            cwes: top(cwes.into_iter().collect(), limit),
            rules: top(rules, limit),
            repositories: top(repositories, limit),
        })
    }

    /// Each repository (or application, for scans of none) and tool of the
    /// tracked branches, with its latest complete scan. A scope has no
    /// severity: the filter's team keeps the applications that team owns,
    /// its application that one, and its severity is not used.
    pub async fn kpi_coverage(&self, scope: &KpiScope) -> Result<Vec<Coverage>, StoreError> {
        let (condition, params) = coverage_condition(scope);
        // The latest complete scan of each scope: its scan ids walked down
        // from the newest until one is not partial. Its time is looked up
        // by id for each scope, which keeps PostgreSQL from joining (and
        // so reading) every scan.
        let sql = format!(
            "SELECT q.name, q.url, q.tool, (SELECT x.imported_at FROM scans x WHERE x.id = q.last), \
             q.last FROM (SELECT a.name, r.url, sc.tool, (SELECT ss.scan_id FROM scan_scopes ss \
               JOIN scans s ON s.id = ss.scan_id WHERE ss.scope_id = sc.id AND s.partial = 0 \
               ORDER BY ss.scan_id DESC LIMIT 1) AS last FROM scopes sc \
             JOIN applications a ON a.id = sc.application_id \
             LEFT JOIN repositories r ON r.id = sc.repository_id \
             WHERE sc.tracked = 1{condition}) q"
        );
        let rows = bind_all(sqlx::query(&sql), &params).fetch_all(&self.pool).await?;
        // (application, repository, tool) → (imported at, scan id).
        type Scope = (String, Option<String>, String);
        type LastScan = (Option<i64>, Option<i64>);
        let mut latest: HashMap<Scope, LastScan> = HashMap::new();
        for row in &rows {
            let key = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            let scan: LastScan = (row.try_get(3)?, row.try_get(4)?);
            let entry = latest.entry(key).or_insert((None, None));
            if scan.0 > entry.0 {
                *entry = scan;
            }
        }
        let mut out: Vec<Coverage> = latest
            .into_iter()
            .map(|((application, repository, tool), (at, id))| Coverage {
                application,
                repository,
                tool,
                last_complete_scan_at: at,
                last_complete_scan_id: id,
            })
            .collect();
        out.sort_by(|a, b| {
            (&a.repository, &a.application, &a.tool).cmp(&(&b.repository, &b.application, &b.tool))
        });
        Ok(out)
    }

    /// The teams and applications a filter of the figures may name, of
    /// those `visibility` sees. Both tables are small: neither reads tickets.
    pub async fn kpi_choices(&self, visibility: &Visibility) -> Result<KpiChoices, StoreError> {
        let names = |sql: String, params: Vec<Param>| async move {
            let rows = bind_all(sqlx::query(&sql), &params).fetch_all(&self.pool).await?;
            rows.iter().map(|r| r.try_get::<String, _>(0)).collect::<Result<Vec<_>, _>>()
        };
        let (apps, app_params) = visibility
            .condition("a.id", 1)
            .map(|(condition, params)| (format!(" WHERE {condition}"), params))
            .unwrap_or_default();
        let (teams, team_params) = match visibility.condition("at.application_id", 1) {
            Some((condition, params)) => (
                format!(
                    "SELECT DISTINCT t.name FROM teams t JOIN application_teams at \
                     ON at.team_id = t.id WHERE {condition} ORDER BY t.name"
                ),
                params,
            ),
            None => ("SELECT t.name FROM teams t ORDER BY t.name".to_string(), Vec::new()),
        };
        Ok(KpiChoices {
            teams: names(teams, team_params).await?,
            applications: names(
                format!("SELECT a.name FROM applications a{apps} ORDER BY a.name"),
                app_params,
            )
            .await?,
        })
    }

    /// Whether the facts still need a first `fixgate report rebuild` (a
    /// store upgraded with tickets in it).
    pub async fn kpi_facts_incomplete(&self) -> Result<bool, StoreError> {
        let rows = self.settings("metrics.rebuild").await?;
        Ok(rows.iter().any(|(name, _)| name == "metrics.rebuild"))
    }

    /// Recomputes the figures' facts from the event log in one transaction;
    /// returns the number of security tickets.
    pub async fn rebuild_kpi_facts(&self) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let tickets = facts::rebuild(&mut tx).await?;
        sqlx::query("DELETE FROM settings WHERE name = 'metrics.rebuild'")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(tickets)
    }

    /// Every fact, in a stable order, for comparing an incremental store
    /// with a rebuilt one: each ticket's standing, then each transition.
    pub async fn kpi_facts_dump(&self) -> Result<Vec<String>, StoreError> {
        let tickets = sqlx::query(
            "SELECT ticket_id, application_id, repository_id, tool, rule_id, cwes, severity, \
             priority, owner, detected_at, triaged_at, is_open, due_at, paused \
             FROM metric_tickets ORDER BY ticket_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let transitions = sqlx::query(
            "SELECT ticket_id, at, step, detail, elapsed, due_at, application_id, tool, severity, \
             priority, owner, tally FROM metric_transitions ORDER BY ticket_id, at, step, detail",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(tickets.len() + transitions.len());
        for row in &tickets {
            out.push(format!(
                "ticket {:?} app {:?} repo {:?} tool {:?} rule {:?} cwes {:?} \
                 severity {:?} priority {:?} owner {:?} detected {:?} triaged {:?} open {:?} \
                 due {:?} paused {:?}",
                row.try_get::<i64, _>(0)?,
                row.try_get::<Option<i64>, _>(1)?,
                row.try_get::<Option<i64>, _>(2)?,
                row.try_get::<Option<String>, _>(3)?,
                row.try_get::<Option<String>, _>(4)?,
                row.try_get::<String, _>(5)?,
                row.try_get::<i64, _>(6)?,
                row.try_get::<Option<String>, _>(7)?,
                row.try_get::<Option<String>, _>(8)?,
                row.try_get::<i64, _>(9)?,
                row.try_get::<Option<i64>, _>(10)?,
                row.try_get::<i64, _>(11)?,
                row.try_get::<Option<i64>, _>(12)?,
                row.try_get::<i64, _>(13)?,
            ));
        }
        for row in &transitions {
            out.push(format!(
                "step {:?} at {:?} {:?} {:?} elapsed {:?} due {:?} app {:?} tool {:?} \
                 severity {:?} priority {:?} owner {:?} tally {:?}",
                row.try_get::<i64, _>(0)?,
                row.try_get::<i64, _>(1)?,
                row.try_get::<String, _>(2)?,
                row.try_get::<String, _>(3)?,
                row.try_get::<i64, _>(4)?,
                row.try_get::<Option<i64>, _>(5)?,
                row.try_get::<Option<i64>, _>(6)?,
                row.try_get::<Option<String>, _>(7)?,
                row.try_get::<i64, _>(8)?,
                row.try_get::<Option<String>, _>(9)?,
                row.try_get::<Option<String>, _>(10)?,
                row.try_get::<i64, _>(11)?,
            ));
        }
        Ok(out)
    }

    /// Turns the group values the statements return into labels: severity
    /// ranks into names, application ids into names.
    async fn label_groups<T>(
        &self,
        by: Option<KpiGroup>,
        rows: &mut [T],
        group: impl Fn(&mut T) -> &mut Option<String>,
    ) -> Result<(), StoreError> {
        match by {
            Some(KpiGroup::Severity) => {
                for row in rows.iter_mut() {
                    let label = group(row);
                    let rank = label.as_deref().and_then(|r| r.parse::<i64>().ok());
                    *label = rank.and_then(Severity::from_rank).map(|s| s.as_str().to_string());
                }
            }
            Some(KpiGroup::App) => {
                let names: HashMap<String, String> =
                    sqlx::query_as::<_, (i64, String)>("SELECT id, name FROM applications")
                        .fetch_all(&self.pool)
                        .await?
                        .into_iter()
                        .map(|(id, name)| (id.to_string(), name))
                        .collect();
                for row in rows.iter_mut() {
                    let label = group(row);
                    *label = label.as_ref().and_then(|id| names.get(id).cloned());
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// ` AND <condition>` limiting `sc` (a row of `scopes`) to what the caller
/// sees and chose, with its parameters numbered from 1.
fn coverage_condition(scope: &KpiScope) -> (String, Vec<Param>) {
    let (mut condition, mut params) = scope
        .visibility
        .condition("sc.application_id", 1)
        .map(|(condition, params)| (format!(" AND {condition}"), params))
        .unwrap_or_default();
    if let Some(team) = &scope.filter.team {
        params.push(Param::Text(team.clone()));
        condition.push_str(&format!(
            " AND sc.application_id IN (SELECT at.application_id FROM application_teams at \
             JOIN teams t ON t.id = at.team_id WHERE t.name = ${})",
            params.len()
        ));
    }
    if let Some(application) = &scope.filter.application {
        params.push(Param::Text(application.clone()));
        condition.push_str(&format!(
            " AND sc.application_id IN (SELECT id FROM applications WHERE name = ${})",
            params.len()
        ));
    }
    (condition, params)
}

/// The age buckets' conditions on `m.detected_at`: detected after
/// `age[0]`, then between each bound and the next, then at or before the
/// last.
fn age_ranges(&[a, b, c, d]: &[i64; 4]) -> [String; 5] {
    let between =
        |newer: i64, older: i64| format!("m.detected_at > {older} AND m.detected_at <= {newer}");
    [
        format!("m.detected_at > {a}"),
        between(a, b),
        between(b, c),
        between(c, d),
        format!("m.detected_at <= {d}"),
    ]
}

/// The `limit` largest counts, ties in name order.
fn top(mut counts: Vec<(String, u64)>, limit: usize) -> Vec<(String, u64)> {
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts.truncate(limit);
    counts
}

fn index(value: i64) -> Result<usize, StoreError> {
    usize::try_from(value).map_err(|_| StoreError::Invalid(format!("bad bucket {value}")))
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}
