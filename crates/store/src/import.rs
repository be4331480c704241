//! Recording a scan in one transaction: new findings open tickets, findings
//! seen before update their sightings, and findings the previous scan of a
//! scope saw but this one did not are marked no longer seen.
//!
//! All reads and writes are set-based (a few statements per thousand rows),
//! so an import of 100,000 findings costs a few dozen round trips.

use std::collections::{HashMap, HashSet};

use fixgate_domain::{Finding, ImportCounts, TicketState, TicketType};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;
use sqlx::{AnyConnection, Row};

use crate::batch::{for_rows, placeholder, placeholders};
use crate::rows::{advisories_column, cwes_column, millis};
use crate::{Backend, Store, StoreError};

/// A parsed report with its resolved context, ready to record.
#[derive(Debug, Clone)]
pub struct NewScan {
    pub application: String,
    pub repository: Option<String>,
    pub branch: String,
    pub commit: Option<String>,
    pub environment: Option<String>,
    pub category: String,
    pub format: String,
    pub report_sha256: String,
    pub report_bytes: i64,
    pub uploader: String,
    pub imported_at: Timestamp,
    /// The scopes this report is authoritative for: one per run.
    pub scopes: Vec<ScanScope>,
    pub findings: Vec<ScanFinding>,
}

/// The part of a scope that varies between the runs of one report.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScanScope {
    pub tool: String,
    pub category: String,
}

/// A finding and the index of its scope in [`NewScan::scopes`].
#[derive(Debug, Clone)]
pub struct ScanFinding {
    pub scope: usize,
    pub finding: Finding,
}

/// What recording a scan did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportOutcome {
    /// The new scan, or for a duplicate the earlier scan it repeats.
    pub scan_id: i64,
    /// The report is the one the scope's latest scan already imported;
    /// nothing was changed.
    pub duplicate: bool,
    #[serde(flatten)]
    pub counts: ImportCounts,
    /// Keys of the tickets this scan opened.
    pub opened_tickets: Vec<String>,
}

impl Store {
    /// Records a scan and everything it implies, in one transaction.
    /// Imports into one application are serialized by a row lock taken
    /// first, so two imports of the same scope end as if run one after the
    /// other.
    pub async fn record_scan(&self, scan: &NewScan) -> Result<ImportOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        let outcome = record(&mut tx, self.backend, scan).await?;
        if outcome.duplicate {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
        }
        Ok(outcome)
    }
}

/// A finding the store already has.
struct Known {
    id: i64,
    ticket_id: Option<i64>,
}

/// A sighting the store already has.
struct KnownSighting {
    id: i64,
    present: bool,
}

/// Ids that steps of the import share.
struct Ids {
    application: i64,
    repository: Option<i64>,
    scan: i64,
    /// The id of each of the scan's scopes, by position; two runs of one
    /// report may share a scope.
    scopes: Vec<i64>,
}

impl Ids {
    fn distinct_scopes(&self) -> Vec<i64> {
        let mut scopes = self.scopes.clone();
        scopes.sort_unstable();
        scopes.dedup();
        scopes
    }
}

async fn record(
    conn: &mut AnyConnection,
    backend: Backend,
    scan: &NewScan,
) -> Result<ImportOutcome, StoreError> {
    let now = millis(scan.imported_at);
    let application = upsert_application(conn, &scan.application, now).await?;
    let repository = match &scan.repository {
        Some(url) => Some(upsert_repository(conn, application, url, now).await?),
        None => None,
    };
    let scopes = upsert_scopes(conn, scan, application, repository).await?;
    if let Some(previous) = repeated_report(conn, &scopes, &scan.report_sha256).await? {
        return Ok(duplicate_outcome(previous, scan));
    }

    let scan_id = insert_scan(conn, scan, application, repository, now).await?;
    let ids = Ids {
        application,
        repository,
        scan: scan_id,
        scopes: scopes.iter().map(|(id, _)| *id).collect(),
    };
    let known = known_findings(conn, application, repository).await?;
    let sightings = known_sightings(conn, &ids.distinct_scopes()).await?;
    let mut counts = ImportCounts::default();
    let opened_tickets = apply(conn, backend, scan, &ids, &known, &sightings, &mut counts).await?;
    finish_scan(conn, &ids, &counts).await?;

    Ok(ImportOutcome {
        scan_id,
        duplicate: false,
        counts,
        opened_tickets,
    })
}

fn duplicate_outcome(previous: i64, scan: &NewScan) -> ImportOutcome {
    let counts = ImportCounts {
        unchanged: scan.findings.len() as u64,
        ..ImportCounts::default()
    };
    ImportOutcome {
        scan_id: previous,
        duplicate: true,
        counts,
        opened_tickets: Vec::new(),
    }
}

async fn upsert_application(
    conn: &mut AnyConnection,
    name: &str,
    now: i64,
) -> Result<i64, StoreError> {
    // A write first: it takes the application's row lock (PostgreSQL) or the
    // database's write lock (SQLite) before anything is read.
    let row = sqlx::query(
        "INSERT INTO applications (name, created_at, updated_at) VALUES ($1, $2, $2) \
         ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at RETURNING id",
    )
    .bind(name)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get(0)?)
}

pub(crate) async fn upsert_repository(
    conn: &mut AnyConnection,
    application: i64,
    url: &str,
    now: i64,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO repositories (application_id, url, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (application_id, url) DO UPDATE SET url = excluded.url RETURNING id",
    )
    .bind(application)
    .bind(url)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Returns each scope's id and the id of its latest scan.
async fn upsert_scopes(
    conn: &mut AnyConnection,
    scan: &NewScan,
    application: i64,
    repository: Option<i64>,
) -> Result<Vec<(i64, Option<i64>)>, StoreError> {
    let mut out = Vec::with_capacity(scan.scopes.len());
    for scope in &scan.scopes {
        let key = fixgate_domain::ScopeKey {
            application: scan.application.clone(),
            repository: scan.repository.clone().unwrap_or_default(),
            branch: scan.branch.clone(),
            tool: scope.tool.clone(),
            category: scope.category.clone(),
        };
        let row = sqlx::query(
            "INSERT INTO scopes (scope_key, application_id, repository_id, branch, tool, category) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (scope_key) DO UPDATE SET branch = excluded.branch \
             RETURNING id, last_scan_id",
        )
        .bind(key.canonical())
        .bind(application)
        .bind(repository)
        .bind(&scan.branch)
        .bind(&scope.tool)
        .bind(&scope.category)
        .fetch_one(&mut *conn)
        .await?;
        out.push((row.try_get(0)?, row.try_get(1)?));
    }
    Ok(out)
}

/// The latest scan of these scopes, when every scope's latest scan imported
/// this very report.
async fn repeated_report(
    conn: &mut AnyConnection,
    scopes: &[(i64, Option<i64>)],
    sha256: &str,
) -> Result<Option<i64>, StoreError> {
    let mut latest = None;
    for (_, last_scan) in scopes {
        let Some(last_scan) = last_scan else {
            return Ok(None);
        };
        let row = sqlx::query("SELECT report_sha256 FROM scans WHERE id = $1")
            .bind(*last_scan)
            .fetch_one(&mut *conn)
            .await?;
        if row.try_get::<String, _>(0)? != sha256 {
            return Ok(None);
        }
        latest = latest.max(Some(*last_scan));
    }
    Ok(latest)
}

async fn insert_scan(
    conn: &mut AnyConnection,
    scan: &NewScan,
    application: i64,
    repository: Option<i64>,
    now: i64,
) -> Result<i64, StoreError> {
    let tools: Vec<&str> = scan.scopes.iter().map(|s| s.tool.as_str()).collect();
    let row = sqlx::query(
        "INSERT INTO scans (application_id, repository_id, branch, commit_sha, environment, \
         category, tools, format, report_sha256, report_bytes, uploader, imported_at, \
         findings_count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         RETURNING id",
    )
    .bind(application)
    .bind(repository)
    .bind(&scan.branch)
    .bind(scan.commit.as_deref())
    .bind(scan.environment.as_deref())
    .bind(&scan.category)
    .bind(tools.join(", "))
    .bind(&scan.format)
    .bind(&scan.report_sha256)
    .bind(scan.report_bytes)
    .bind(&scan.uploader)
    .bind(now)
    .bind(scan.findings.len() as i64)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get(0)?)
}

async fn known_findings(
    conn: &mut AnyConnection,
    application: i64,
    repository: Option<i64>,
) -> Result<HashMap<String, Known>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, fingerprint, ticket_id FROM findings \
         WHERE application_id = $1 AND COALESCE(repository_id, 0) = $2",
    )
    .bind(application)
    .bind(repository.unwrap_or(0))
    .fetch_all(&mut *conn)
    .await?;
    let mut known = HashMap::with_capacity(rows.len());
    for row in rows {
        let value = Known {
            id: row.try_get(0)?,
            ticket_id: row.try_get(2)?,
        };
        known.insert(row.try_get(1)?, value);
    }
    Ok(known)
}

async fn known_sightings(
    conn: &mut AnyConnection,
    scopes: &[i64],
) -> Result<HashMap<(i64, i64), KnownSighting>, StoreError> {
    let mut known = HashMap::new();
    for scope in scopes {
        let rows = sqlx::query("SELECT id, finding_id, present FROM sightings WHERE scope_id = $1")
            .bind(*scope)
            .fetch_all(&mut *conn)
            .await?;
        for row in rows {
            let sighting = KnownSighting {
                id: row.try_get(0)?,
                present: row.try_get::<i64, _>(2)? == 1,
            };
            known.insert((*scope, row.try_get(1)?), sighting);
        }
    }
    Ok(known)
}

/// What the import decided for each finding, before it writes.
#[derive(Default)]
struct Plan<'a> {
    /// Findings the store has never seen.
    new: Vec<&'a ScanFinding>,
    /// Known findings seen again: (finding id, the finding).
    seen: Vec<(i64, &'a ScanFinding)>,
    /// Known findings that have no ticket yet but now need one.
    needs_ticket: Vec<(i64, &'a ScanFinding)>,
    /// Sightings to create: (finding id, scope id).
    new_sightings: Vec<(i64, i64)>,
    /// Sightings that were absent and are present again, with their ticket.
    reappeared: Vec<(i64, Option<i64>)>,
    /// Every sighting this scan saw, to tell the absent ones.
    seen_sightings: HashSet<i64>,
}

async fn apply(
    conn: &mut AnyConnection,
    backend: Backend,
    scan: &NewScan,
    ids: &Ids,
    known: &HashMap<String, Known>,
    sightings: &HashMap<(i64, i64), KnownSighting>,
    counts: &mut ImportCounts,
) -> Result<Vec<String>, StoreError> {
    let mut timer = StepTimer::start();
    let plan = plan(scan, ids, known, sightings, counts);
    let ticket_of: HashMap<i64, Option<i64>> =
        known.values().map(|k| (k.id, k.ticket_id)).collect();
    let absent: Vec<(i64, Option<i64>)> = sightings
        .iter()
        .filter(|(_, s)| s.present && !plan.seen_sightings.contains(&s.id))
        .map(|((_, finding), s)| (s.id, ticket_of.get(finding).copied().flatten()))
        .collect();
    counts.no_longer_seen = absent.len() as u64;

    let to_open: Vec<&ScanFinding> = plan
        .new
        .iter()
        .copied()
        .filter(|f| f.finding.suppression.is_none())
        .chain(plan.needs_ticket.iter().map(|(_, f)| *f))
        .collect();
    let tickets = open_tickets(conn, backend, scan, ids, &to_open).await?;
    timer.step("open tickets");
    counts.opened = tickets.len() as u64;

    let finding_ids = insert_findings(conn, backend, scan, ids, &plan.new, &tickets).await?;
    timer.step("insert findings");
    link_tickets(conn, &plan.needs_ticket, &tickets).await?;
    update_seen_findings(conn, backend, ids, &plan.seen).await?;
    timer.step("update seen findings");
    mark_absent(conn, backend, ids, &absent).await?;
    bump_sightings(conn, backend, ids, scan, &plan.reappeared).await?;
    let mut new_sightings = plan.new_sightings;
    for f in &plan.new {
        if let Some(id) = finding_ids.get(f.finding.fingerprint.as_str()) {
            new_sightings.push((*id, scope_id(ids, f)?));
        }
    }
    insert_sightings(conn, backend, ids, scan, &new_sightings).await?;
    timer.step("sightings");

    let mut events = ticket_events(&tickets, &absent, &plan.reappeared, ids.scan);
    events.sort_by_key(|e| e.0);
    insert_events(conn, backend, scan, &events).await?;
    timer.step("events");
    refresh_presence(
        conn,
        backend,
        &absent,
        &plan.reappeared,
        millis(scan.imported_at),
    )
    .await?;

    let mut keys: Vec<(i64, String)> = tickets.into_values().collect();
    keys.sort();
    Ok(keys.into_iter().map(|(_, key)| key).collect())
}

fn scope_id(ids: &Ids, finding: &ScanFinding) -> Result<i64, StoreError> {
    ids.scopes.get(finding.scope).copied().ok_or_else(|| {
        StoreError::Invalid(format!(
            "finding refers to run {} the scan does not have",
            finding.scope
        ))
    })
}

fn plan<'a>(
    scan: &'a NewScan,
    ids: &Ids,
    known: &HashMap<String, Known>,
    sightings: &HashMap<(i64, i64), KnownSighting>,
    counts: &mut ImportCounts,
) -> Plan<'a> {
    let mut plan = Plan::default();
    for f in &scan.findings {
        let suppressed = f.finding.suppression.is_some();
        if suppressed {
            counts.suppressed += 1;
        }
        let Some(existing) = known.get(f.finding.fingerprint.as_str()) else {
            plan.new.push(f);
            continue;
        };
        plan.seen.push((existing.id, f));
        if existing.ticket_id.is_none() && !suppressed {
            plan.needs_ticket.push((existing.id, f));
        }
        let scope = ids.scopes.get(f.scope).copied().unwrap_or_default();
        match sightings.get(&(scope, existing.id)) {
            Some(s) => {
                plan.seen_sightings.insert(s.id);
                if !s.present {
                    plan.reappeared.push((s.id, existing.ticket_id));
                    counts.reappeared += u64::from(!suppressed);
                } else if existing.ticket_id.is_some() && !suppressed {
                    counts.seen_again += 1;
                }
            }
            None => {
                plan.new_sightings.push((existing.id, scope));
                if existing.ticket_id.is_some() && !suppressed {
                    counts.seen_again += 1;
                }
            }
        }
    }
    plan
}

/// Opens one ticket per finding; returns fingerprint → (ticket id, key).
async fn open_tickets(
    conn: &mut AnyConnection,
    backend: Backend,
    scan: &NewScan,
    ids: &Ids,
    findings: &[&ScanFinding],
) -> Result<HashMap<String, (i64, String)>, StoreError> {
    if findings.is_empty() {
        return Ok(HashMap::new());
    }
    let prefix = TicketType::Vulnerability.key_prefix();
    let first = allocate_numbers(conn, prefix, findings.len() as i64).await?;
    let now = millis(scan.imported_at);
    let rows: Vec<TicketInsert> = findings
        .iter()
        .zip(first..)
        .map(|(f, number)| TicketInsert::new(&f.finding, format!("{prefix}-{number}")))
        .collect();

    let returned = for_rows(
        conn,
        backend,
        (
            "INSERT INTO tickets (ticket_key, ticket_type, state, severity, title, description, \
             application_id, repository_id, branch, commit_sha, tool, rule_id, path, cwes, \
             advisories, present, created_at, updated_at)",
            "RETURNING id, ticket_key",
        ),
        18,
        &rows,
        |q, t| {
            q.bind(&t.key)
                .bind(TicketType::Vulnerability.as_str())
                .bind(TicketState::New.as_str())
                .bind(t.severity)
                .bind(&t.title)
                .bind(&t.description)
                .bind(ids.application)
                .bind(ids.repository)
                .bind(scan.branch.clone())
                .bind(scan.commit.clone())
                .bind(&t.tool)
                .bind(&t.rule_id)
                .bind(t.path.as_deref())
                .bind(&t.cwes)
                .bind(&t.advisories)
                .bind(1_i64)
                .bind(now)
                .bind(now)
        },
    )
    .await?;

    let by_key: HashMap<&str, &str> = rows
        .iter()
        .map(|t| (t.key.as_str(), t.fingerprint.as_str()))
        .collect();
    let mut tickets = HashMap::with_capacity(returned.len());
    for row in returned {
        let id: i64 = row.try_get(0)?;
        let key: String = row.try_get(1)?;
        if let Some(fingerprint) = by_key.get(key.as_str()) {
            tickets.insert((*fingerprint).to_string(), (id, key));
        }
    }
    Ok(tickets)
}

/// Reserves `count` numbers for keys of `prefix`; returns the first.
pub(crate) async fn allocate_numbers(
    conn: &mut AnyConnection,
    prefix: &str,
    count: i64,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO counters (name, value) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value \
         RETURNING value",
    )
    .bind(prefix)
    .bind(count)
    .fetch_one(&mut *conn)
    .await?;
    let last: i64 = row.try_get(0)?;
    Ok(last - count + 1)
}

/// A ticket's columns, derived from the finding that opens it.
struct TicketInsert {
    key: String,
    fingerprint: String,
    severity: i64,
    title: String,
    description: String,
    tool: String,
    rule_id: String,
    path: Option<String>,
    cwes: String,
    advisories: String,
}

impl TicketInsert {
    fn new(finding: &Finding, key: String) -> TicketInsert {
        let path = finding.location.as_ref().and_then(|l| l.path.clone());
        let title = match &path {
            Some(path) => format!("{} in {path}", finding.title),
            None => finding.title.clone(),
        };
        TicketInsert {
            key,
            fingerprint: finding.fingerprint.as_str().to_string(),
            severity: finding.severity.rank(),
            title,
            description: finding.message.clone(),
            tool: finding.tool.clone(),
            rule_id: finding.rule_id.clone(),
            path,
            cwes: cwes_column(&finding.cwes),
            advisories: advisories_column(&finding.advisories),
        }
    }
}

/// Inserts the findings the store has never seen; returns fingerprint → id.
async fn insert_findings(
    conn: &mut AnyConnection,
    backend: Backend,
    scan: &NewScan,
    ids: &Ids,
    findings: &[&ScanFinding],
    tickets: &HashMap<String, (i64, String)>,
) -> Result<HashMap<String, i64>, StoreError> {
    let now = millis(scan.imported_at);
    let rows: Vec<FindingColumns> = findings
        .iter()
        .map(|f| FindingColumns::new(&f.finding, tickets))
        .collect();
    let returned = for_rows(
        conn,
        backend,
        (
            "INSERT INTO findings (application_id, repository_id, fingerprint, ticket_id, tool, \
             rule_id, title, severity, tool_severity, cwes, advisories, path, start_line, \
             end_line, suppressed, details, first_scan_id, last_scan_id, created_at, updated_at)",
            "RETURNING id, fingerprint",
        ),
        20,
        &rows,
        |q, r| {
            q.bind(ids.application)
                .bind(ids.repository)
                .bind(r.finding.fingerprint.as_str())
                .bind(r.ticket)
                .bind(&r.finding.tool)
                .bind(&r.finding.rule_id)
                .bind(&r.finding.title)
                .bind(r.finding.severity.rank())
                .bind(r.finding.tool_severity.as_deref())
                .bind(&r.cwes)
                .bind(&r.advisories)
                .bind(r.path)
                .bind(r.start_line)
                .bind(r.end_line)
                .bind(i64::from(r.finding.suppression.is_some()))
                .bind(r.details())
                .bind(ids.scan)
                .bind(ids.scan)
                .bind(now)
                .bind(now)
        },
    )
    .await?;
    let mut out = HashMap::with_capacity(returned.len());
    for row in returned {
        out.insert(row.try_get(1)?, row.try_get(0)?);
    }
    Ok(out)
}

/// A finding's stored columns.
struct FindingColumns<'a> {
    finding: &'a Finding,
    ticket: Option<i64>,
    path: Option<&'a str>,
    start_line: Option<i64>,
    end_line: Option<i64>,
    cwes: String,
    advisories: String,
}

impl<'a> FindingColumns<'a> {
    fn new(finding: &'a Finding, tickets: &HashMap<String, (i64, String)>) -> FindingColumns<'a> {
        let location = finding.location.as_ref();
        FindingColumns {
            finding,
            ticket: tickets.get(finding.fingerprint.as_str()).map(|(id, _)| *id),
            path: location.and_then(|l| l.path.as_deref()),
            start_line: location.and_then(|l| l.start_line).map(i64::from),
            end_line: location.and_then(|l| l.end_line).map(i64::from),
            cwes: cwes_column(&finding.cwes),
            advisories: advisories_column(&finding.advisories),
        }
    }

    /// The `details` column, made as the row is bound so that a large
    /// import never holds every finding's JSON at once. Serializing plain
    /// data cannot fail; should it, the column keeps `{}` rather than
    /// aborting the import.
    fn details(&self) -> String {
        crate::details::to_json(self.finding).unwrap_or_else(|_| "{}".into())
    }
}

async fn link_tickets(
    conn: &mut AnyConnection,
    findings: &[(i64, &ScanFinding)],
    tickets: &HashMap<String, (i64, String)>,
) -> Result<(), StoreError> {
    for (id, f) in findings {
        if let Some((ticket, _)) = tickets.get(f.finding.fingerprint.as_str()) {
            sqlx::query("UPDATE findings SET ticket_id = $1 WHERE id = $2")
                .bind(*ticket)
                .bind(*id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Moves known findings to where this scan saw them (lines shift as code
/// changes) and keeps their latest details.
async fn update_seen_findings(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &Ids,
    seen: &[(i64, &ScanFinding)],
) -> Result<(), StoreError> {
    let rows: Vec<(i64, FindingColumns)> = seen
        .iter()
        .map(|(id, f)| (*id, FindingColumns::new(&f.finding, &HashMap::new())))
        .collect();
    for_rows(
        conn,
        backend,
        (
            "UPDATE findings SET path = v.column2, start_line = v.column3, end_line = v.column4, \
             severity = v.column5, details = v.column6, last_scan_id = v.column7, \
             suppressed = v.column8 FROM (",
            ") AS v WHERE findings.id = v.column1",
        ),
        8,
        &rows,
        |q, (id, r)| {
            q.bind(*id)
                .bind(r.path)
                .bind(r.start_line)
                .bind(r.end_line)
                .bind(r.finding.severity.rank())
                .bind(r.details())
                .bind(ids.scan)
                .bind(i64::from(r.finding.suppression.is_some()))
        },
    )
    .await?;
    Ok(())
}

async fn mark_absent(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &Ids,
    absent: &[(i64, Option<i64>)],
) -> Result<(), StoreError> {
    let per_chunk = backend.max_params() - 1;
    for chunk in absent.chunks(per_chunk) {
        let sql = format!(
            "UPDATE sightings SET present = 0, absent_since_scan_id = {} WHERE id IN ({})",
            placeholder(backend, 1),
            placeholders(backend, 2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(ids.scan);
        for (id, _) in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Records that this scan saw the scopes' present findings again, and brings
/// back those that had been absent.
async fn bump_sightings(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &Ids,
    scan: &NewScan,
    reappeared: &[(i64, Option<i64>)],
) -> Result<(), StoreError> {
    let now = millis(scan.imported_at);
    for scope in &ids.distinct_scopes() {
        sqlx::query(
            "UPDATE sightings SET last_scan_id = $1, last_seen_at = $2, \
             times_seen = times_seen + 1 WHERE scope_id = $3 AND present = 1",
        )
        .bind(ids.scan)
        .bind(now)
        .bind(*scope)
        .execute(&mut *conn)
        .await?;
    }
    let per_chunk = backend.max_params() - 2;
    for chunk in reappeared.chunks(per_chunk) {
        let sql = format!(
            "UPDATE sightings SET present = 1, absent_since_scan_id = NULL, last_scan_id = {}, \
             last_seen_at = {}, times_seen = times_seen + 1 WHERE id IN ({})",
            placeholder(backend, 1),
            placeholder(backend, 2),
            placeholders(backend, 3, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(ids.scan).bind(now);
        for (id, _) in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn insert_sightings(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &Ids,
    scan: &NewScan,
    sightings: &[(i64, i64)],
) -> Result<(), StoreError> {
    let now = millis(scan.imported_at);
    for_rows(
        conn,
        backend,
        (
            "INSERT INTO sightings (finding_id, scope_id, first_scan_id, last_scan_id, \
             first_seen_at, last_seen_at, times_seen, present)",
            "",
        ),
        8,
        sightings,
        |q, (finding, scope)| {
            q.bind(*finding)
                .bind(*scope)
                .bind(ids.scan)
                .bind(ids.scan)
                .bind(now)
                .bind(now)
                .bind(1_i64)
                .bind(1_i64)
        },
    )
    .await?;
    Ok(())
}

/// (ticket id, kind, data) for what this scan changed about tickets.
type Event = (i64, &'static str, String);

fn ticket_events(
    opened: &HashMap<String, (i64, String)>,
    absent: &[(i64, Option<i64>)],
    reappeared: &[(i64, Option<i64>)],
    scan: i64,
) -> Vec<Event> {
    let mut events = Vec::with_capacity(opened.len() + absent.len() + reappeared.len());
    let data = json!({ "scan_id": scan }).to_string();
    for (ticket, _) in opened.values() {
        events.push((*ticket, "opened", data.clone()));
    }
    for ticket in absent.iter().filter_map(|(_, t)| *t) {
        events.push((ticket, "no_longer_seen", data.clone()));
    }
    for ticket in reappeared.iter().filter_map(|(_, t)| *t) {
        events.push((ticket, "seen_again", data.clone()));
    }
    events
}

async fn insert_events(
    conn: &mut AnyConnection,
    backend: Backend,
    scan: &NewScan,
    events: &[Event],
) -> Result<(), StoreError> {
    let now = millis(scan.imported_at);
    for_rows(
        conn,
        backend,
        (
            "INSERT INTO ticket_events (ticket_id, at, actor, kind, data)",
            "",
        ),
        5,
        events,
        |q, (ticket, kind, data)| {
            q.bind(*ticket)
                .bind(now)
                .bind(scan.uploader.clone())
                .bind(*kind)
                .bind(data)
        },
    )
    .await?;
    Ok(())
}

/// Recomputes `tickets.present` for tickets whose sightings changed.
async fn refresh_presence(
    conn: &mut AnyConnection,
    backend: Backend,
    absent: &[(i64, Option<i64>)],
    reappeared: &[(i64, Option<i64>)],
    now: i64,
) -> Result<(), StoreError> {
    let tickets: Vec<i64> = absent
        .iter()
        .chain(reappeared)
        .filter_map(|(_, t)| *t)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    for chunk in tickets.chunks(backend.max_params() - 1) {
        let sql = format!(
            "UPDATE tickets SET updated_at = {}, present = CASE WHEN EXISTS (\
             SELECT 1 FROM sightings s JOIN findings f ON f.id = s.finding_id \
             WHERE f.ticket_id = tickets.id AND s.present = 1) THEN 1 ELSE 0 END \
             WHERE id IN ({})",
            placeholder(backend, 1),
            placeholders(backend, 2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(now);
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn finish_scan(
    conn: &mut AnyConnection,
    ids: &Ids,
    counts: &ImportCounts,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE scans SET opened = $1, seen_again = $2, reappeared = $3, no_longer_seen = $4, \
         suppressed = $5 WHERE id = $6",
    )
    .bind(counts.opened as i64)
    .bind(counts.seen_again as i64)
    .bind(counts.reappeared as i64)
    .bind(counts.no_longer_seen as i64)
    .bind(counts.suppressed as i64)
    .bind(ids.scan)
    .execute(&mut *conn)
    .await?;
    for scope in &ids.distinct_scopes() {
        sqlx::query("INSERT INTO scan_scopes (scan_id, scope_id) VALUES ($1, $2)")
            .bind(ids.scan)
            .bind(*scope)
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE scopes SET last_scan_id = $1 WHERE id = $2")
            .bind(ids.scan)
            .bind(*scope)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Logs how long each step of an import took, at debug level.
struct StepTimer(std::time::Instant);

impl StepTimer {
    fn start() -> StepTimer {
        StepTimer(std::time::Instant::now())
    }

    fn step(&mut self, name: &str) {
        tracing::debug!(
            step = name,
            ms = self.0.elapsed().as_millis() as u64,
            "import step"
        );
        self.0 = std::time::Instant::now();
    }
}
