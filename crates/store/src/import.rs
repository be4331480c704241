//! Recording a scan in one transaction: new findings open tickets, findings
//! seen before update their sightings, and findings the previous scan of a
//! scope saw but this one did not are marked no longer seen.
//!
//! An import is a session: [`Store::begin_scan`] opens the transaction and
//! loads what the application's findings are, [`ImportSession::add`] takes
//! findings a chunk at a time while the report is still being read (so
//! memory does not grow with the report, and parsing overlaps the writes),
//! and [`ImportSession::finish`] settles the scopes, the sightings and the
//! absences, then commits. Dropping a session rolls everything back.
//!
//! All reads and writes are set-based (a few statements per thousand rows),
//! so an import of 100,000 findings costs a few dozen round trips.

use std::collections::{HashMap, HashSet};

use fixgate_domain::{Finding, ImportCounts, ScopeKey, TicketState, TicketType};
use futures_util::TryStreamExt;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;
use sqlx::{Any, AnyConnection, Row, Transaction};

use crate::batch::{binds, for_rows, insert_with_ids, placeholder, placeholders};
use crate::rows::{advisories_column, cwes_column, millis};
use crate::{Backend, Store, StoreError};

/// What identifies the findings of a scan, known before its report is read.
#[derive(Debug, Clone)]
pub struct ScanStart {
    pub application: String,
    pub repository: Option<String>,
    pub uploader: String,
    pub imported_at: Timestamp,
}

/// The rest of a scan's context, known once its report has been read.
#[derive(Debug, Clone)]
pub struct ScanEnd {
    pub branch: String,
    pub commit: Option<String>,
    pub environment: Option<String>,
    pub category: String,
    pub format: String,
    pub report_sha256: String,
    pub report_bytes: i64,
    /// The scopes this report is authoritative for.
    pub scopes: Vec<ScanScope>,
    /// For each run of the report, the index of its scope in `scopes`.
    pub scope_of_run: Vec<usize>,
}

/// The part of a scope that varies between the runs of one report.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScanScope {
    pub tool: String,
    pub category: String,
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

/// An import under way; see the module's documentation.
pub struct ImportSession {
    tx: Transaction<'static, Any>,
    backend: Backend,
    start: ScanStart,
    application: i64,
    repository: Option<i64>,
    scan: i64,
    /// The application's findings by fingerprint, including this scan's.
    known: HashMap<String, Known>,
    /// Every finding of this scan, in report order.
    seen: Vec<Seen>,
    counts: ImportCounts,
    opened: Vec<(i64, String)>,
}

/// A finding the store has.
struct Known {
    id: i64,
    ticket: Option<i64>,
}

/// A finding this scan saw.
struct Seen {
    finding: i64,
    run: usize,
    suppressed: bool,
    /// The finding was in the store before this scan.
    known_before: bool,
    /// It had a ticket before this scan.
    ticketed_before: bool,
    ticket: Option<i64>,
}

/// A sighting the store already has.
struct KnownSighting {
    id: i64,
    present: bool,
}

impl Store {
    /// Starts recording a scan. Imports into one application are serialized
    /// by a row lock taken first, so two imports of the same scope end as if
    /// run one after the other.
    pub async fn begin_scan(&self, start: ScanStart) -> Result<ImportSession, StoreError> {
        let mut tx = self.pool.begin().await?;
        let now = millis(start.imported_at);
        let application = upsert_application(&mut tx, &start.application, now).await?;
        let repository = match &start.repository {
            Some(url) => Some(upsert_repository(&mut tx, application, url, now).await?),
            None => None,
        };
        let scan = insert_scan(&mut tx, &start, application, repository).await?;
        let known = known_findings(&mut tx, application, repository).await?;
        Ok(ImportSession {
            tx,
            backend: self.backend,
            start,
            application,
            repository,
            scan,
            known,
            seen: Vec::new(),
            counts: ImportCounts::default(),
            opened: Vec::new(),
        })
    }
}

impl ImportSession {
    /// Records a chunk of the report's findings. Their fingerprints must be
    /// unique within the report.
    pub async fn add(&mut self, findings: Vec<Finding>) -> Result<(), StoreError> {
        let chunk = classify(&self.known, &findings);
        self.counts.suppressed += chunk.suppressed;

        let (repository_ids, scan_ids) = (self.repository_ids(), self.scan_ids());
        let conn: &mut AnyConnection = &mut self.tx;
        let tickets =
            open_tickets(conn, self.backend, &self.start, repository_ids, &chunk.to_open).await?;
        let ids = insert_findings(conn, self.backend, scan_ids, &chunk.new, &tickets).await?;
        link_tickets(conn, &chunk.again, &tickets).await?;
        update_seen_findings(conn, self.backend, self.scan, &chunk.again).await?;
        let data = json!({ "scan_id": self.scan }).to_string();
        let events: Vec<Event> =
            tickets.values().map(|(id, _)| (*id, "opened", data.clone())).collect();
        insert_events(conn, self.backend, &self.start, &events).await?;

        self.counts.opened += tickets.len() as u64;
        self.opened.extend(tickets.values().cloned());
        for f in &findings {
            self.remember(f, &tickets, &ids)?;
        }
        Ok(())
    }

    /// Notes that this scan saw `f`, and what the store now knows of it.
    fn remember(
        &mut self,
        f: &Finding,
        tickets: &HashMap<&str, (i64, String)>,
        ids: &HashMap<String, i64>,
    ) -> Result<(), StoreError> {
        let fingerprint = f.fingerprint.as_str();
        let opened = tickets.get(fingerprint).map(|(id, _)| *id);
        let (finding, known_before, ticketed_before, ticket) = match self.known.get_mut(fingerprint)
        {
            Some(known) => {
                let before = known.ticket.is_some();
                known.ticket = known.ticket.or(opened);
                (known.id, true, before, known.ticket)
            }
            None => {
                let id = *ids.get(fingerprint).ok_or_else(|| {
                    StoreError::Invalid(format!("finding {fingerprint} was not stored"))
                })?;
                self.known.insert(fingerprint.to_string(), Known { id, ticket: opened });
                (id, false, false, opened)
            }
        };
        self.seen.push(Seen {
            finding,
            run: f.run,
            suppressed: f.suppression.is_some(),
            known_before,
            ticketed_before,
            ticket,
        });
        Ok(())
    }

    /// Settles the scan's scopes: sightings, absences, the scan's own
    /// record. Commits, unless the report is the one each of its scopes'
    /// latest scan imported, in which case nothing is kept.
    pub async fn finish(mut self, end: ScanEnd) -> Result<ImportOutcome, StoreError> {
        let conn: &mut AnyConnection = &mut self.tx;
        let scopes =
            upsert_scopes(conn, &self.start, &end, self.application, self.repository).await?;
        if let Some(previous) = repeated_report(conn, &scopes, &end.report_sha256).await? {
            let counts =
                ImportCounts { unchanged: self.seen.len() as u64, ..ImportCounts::default() };
            self.tx.rollback().await?;
            return Ok(ImportOutcome {
                scan_id: previous,
                duplicate: true,
                counts,
                opened_tickets: Vec::new(),
            });
        }

        let scope_ids: Vec<i64> = scopes.iter().map(|(id, _)| *id).collect();
        let mut distinct = scope_ids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let sightings = known_sightings(conn, &distinct).await?;
        let plan = plan_sightings(&self.seen, &end, &scope_ids, &sightings, &mut self.counts)?;
        let ticket_of: HashMap<i64, Option<i64>> =
            self.known.values().map(|k| (k.id, k.ticket)).collect();
        let absent: Vec<(i64, Option<i64>)> = sightings
            .iter()
            .filter(|(_, s)| s.present && !plan.seen_sightings.contains(&s.id))
            .map(|((_, finding), s)| (s.id, ticket_of.get(finding).copied().flatten()))
            .collect();
        self.counts.no_longer_seen = absent.len() as u64;

        let now = millis(self.start.imported_at);
        mark_absent(conn, self.backend, self.scan, &absent).await?;
        bump_sightings(conn, self.backend, self.scan, now, &distinct, &plan.reappeared).await?;
        insert_sightings(conn, self.backend, self.scan, now, &plan.new_sightings).await?;
        let data = json!({ "scan_id": self.scan }).to_string();
        let events: Vec<Event> = absent
            .iter()
            .filter_map(|(_, t)| t.map(|t| (t, "no_longer_seen", data.clone())))
            .chain(
                plan.reappeared
                    .iter()
                    .filter_map(|(_, t)| t.map(|t| (t, "seen_again", data.clone()))),
            )
            .collect();
        insert_events(conn, self.backend, &self.start, &events).await?;
        refresh_presence(conn, self.backend, &absent, &plan.reappeared, now).await?;
        place_opened(conn, self.backend, &end, &self.opened).await?;
        finish_scan(conn, self.scan, &end, self.seen.len(), &self.counts, &distinct).await?;
        self.tx.commit().await?;

        self.opened.sort();
        Ok(ImportOutcome {
            scan_id: self.scan,
            duplicate: false,
            counts: self.counts,
            opened_tickets: self.opened.into_iter().map(|(_, key)| key).collect(),
        })
    }

    /// How many findings the session has recorded so far.
    pub fn findings(&self) -> u64 {
        self.seen.len() as u64
    }

    fn repository_ids(&self) -> (i64, Option<i64>) {
        (self.application, self.repository)
    }

    fn scan_ids(&self) -> ScanIds {
        ScanIds {
            application: self.application,
            repository: self.repository,
            scan: self.scan,
            now: millis(self.start.imported_at),
        }
    }
}

/// Ids a finding row carries.
#[derive(Clone, Copy)]
struct ScanIds {
    application: i64,
    repository: Option<i64>,
    scan: i64,
    now: i64,
}

/// What a chunk of findings needs written.
struct Chunk<'f> {
    /// Findings the store has never seen.
    new: Vec<&'f Finding>,
    /// Known findings, with their ids.
    again: Vec<(i64, &'f Finding)>,
    /// Findings that need a ticket: not suppressed, and without one so far.
    to_open: Vec<&'f Finding>,
    suppressed: u64,
}

fn classify<'f>(known: &HashMap<String, Known>, findings: &'f [Finding]) -> Chunk<'f> {
    let mut chunk =
        Chunk { new: Vec::new(), again: Vec::new(), to_open: Vec::new(), suppressed: 0 };
    for f in findings {
        let suppressed = f.suppression.is_some();
        chunk.suppressed += u64::from(suppressed);
        let existing = known.get(f.fingerprint.as_str());
        match existing {
            None => chunk.new.push(f),
            Some(known) => chunk.again.push((known.id, f)),
        }
        if !suppressed && existing.is_none_or(|k| k.ticket.is_none()) {
            chunk.to_open.push(f);
        }
    }
    chunk
}

/// How this scan's findings change the sightings of its scopes.
#[derive(Default)]
struct SightingPlan {
    /// Sightings to create: (finding id, scope id).
    new_sightings: Vec<(i64, i64)>,
    /// Sightings that were absent and are present again, with their ticket.
    reappeared: Vec<(i64, Option<i64>)>,
    /// Every sighting this scan saw, to tell the absent ones.
    seen_sightings: HashSet<i64>,
}

fn plan_sightings(
    seen: &[Seen],
    end: &ScanEnd,
    scope_ids: &[i64],
    sightings: &HashMap<(i64, i64), KnownSighting>,
    counts: &mut ImportCounts,
) -> Result<SightingPlan, StoreError> {
    let mut plan = SightingPlan::default();
    for s in seen {
        let scope = end
            .scope_of_run
            .get(s.run)
            .and_then(|index| scope_ids.get(*index))
            .copied()
            .ok_or_else(|| {
                StoreError::Invalid(format!("run {} of the report has no scope", s.run))
            })?;
        let counts_as_seen_again = s.known_before && s.ticketed_before && !s.suppressed;
        match sightings.get(&(scope, s.finding)) {
            Some(known) => {
                plan.seen_sightings.insert(known.id);
                if !known.present {
                    plan.reappeared.push((known.id, s.ticket));
                    counts.reappeared += u64::from(!s.suppressed);
                } else if counts_as_seen_again {
                    counts.seen_again += 1;
                }
            }
            None => {
                plan.new_sightings.push((s.finding, scope));
                counts.seen_again += u64::from(counts_as_seen_again);
            }
        }
    }
    Ok(plan)
}

pub(crate) async fn upsert_application(
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

/// Returns each scope's id and the id of its latest scan, by position.
async fn upsert_scopes(
    conn: &mut AnyConnection,
    start: &ScanStart,
    end: &ScanEnd,
    application: i64,
    repository: Option<i64>,
) -> Result<Vec<(i64, Option<i64>)>, StoreError> {
    let mut out = Vec::with_capacity(end.scopes.len());
    for scope in &end.scopes {
        let key = ScopeKey {
            application: start.application.clone(),
            repository: start.repository.clone().unwrap_or_default(),
            branch: end.branch.clone(),
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
        .bind(&end.branch)
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

/// The scan's row; what only the report tells is filled in by [`finish_scan`].
async fn insert_scan(
    conn: &mut AnyConnection,
    start: &ScanStart,
    application: i64,
    repository: Option<i64>,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO scans (application_id, repository_id, branch, category, tools, format, \
         report_sha256, report_bytes, uploader, imported_at) \
         VALUES ($1, $2, '', '', '', '', '', 0, $3, $4) RETURNING id",
    )
    .bind(application)
    .bind(repository)
    .bind(&start.uploader)
    .bind(millis(start.imported_at))
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
        let value = Known { id: row.try_get(0)?, ticket: row.try_get(2)? };
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
        let mut rows =
            sqlx::query("SELECT id, finding_id, present FROM sightings WHERE scope_id = $1")
                .bind(*scope)
                .fetch(&mut *conn);
        while let Some(row) = rows.try_next().await? {
            let sighting =
                KnownSighting { id: row.try_get(0)?, present: row.try_get::<i64, _>(2)? == 1 };
            known.insert((*scope, row.try_get(1)?), sighting);
        }
    }
    Ok(known)
}

/// Opens one ticket per finding; returns fingerprint → (ticket id, key).
async fn open_tickets<'f>(
    conn: &mut AnyConnection,
    backend: Backend,
    start: &ScanStart,
    (application, repository): (i64, Option<i64>),
    findings: &[&'f Finding],
) -> Result<HashMap<&'f str, (i64, String)>, StoreError> {
    if findings.is_empty() {
        return Ok(HashMap::new());
    }
    let prefix = TicketType::Vulnerability.key_prefix();
    let first = allocate_numbers(conn, prefix, findings.len() as i64).await?;
    let now = millis(start.imported_at);
    let rows: Vec<(String, &Finding)> =
        findings.iter().zip(first..).map(|(f, n)| (format!("{prefix}-{n}"), *f)).collect();

    let ids = insert_with_ids(
        conn,
        backend,
        "tickets",
        (
            "INSERT INTO tickets (ticket_key, ticket_type, state, severity, title, description, \
             application_id, repository_id, tool, rule_id, path, cwes, advisories, present, \
             created_at, updated_at)",
            "ticket_key",
        ),
        &format!(
            "?,'{}','{}',?,?,?,{application},{},?,?,?,?,?,1,{now},{now}",
            TicketType::Vulnerability.as_str(),
            TicketState::New.as_str(),
            sql_id(repository)
        ),
        &rows,
        |q, (key, f)| {
            let path = f.location.as_ref().and_then(|l| l.path.as_deref());
            q.bind(key.as_str())
                .bind(f.severity.rank())
                .bind(ticket_title(f))
                .bind(f.message.as_str())
                .bind(f.tool.as_str())
                .bind(f.rule_id.as_str())
                .bind(path)
                .bind(cwes_column(&f.cwes))
                .bind(advisories_column(&f.advisories))
        },
        |(key, _)| key.as_str(),
    )
    .await?;

    Ok(rows
        .into_iter()
        .zip(ids)
        .map(|((key, f), id)| (f.fingerprint.as_str(), (id, key)))
        .collect())
}

/// "SQL injection in app/db.py": the rule's title and where.
fn ticket_title(finding: &Finding) -> String {
    let title = finding.title.trim_end_matches('.');
    match finding.location.as_ref().and_then(|l| l.path.as_deref()) {
        Some(path) => format!("{title} in {path}"),
        None => title.to_string(),
    }
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

/// Inserts findings the store has never seen; returns fingerprint → id.
async fn insert_findings(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: ScanIds,
    findings: &[&Finding],
    tickets: &HashMap<&str, (i64, String)>,
) -> Result<HashMap<String, i64>, StoreError> {
    let rows: Vec<(&Finding, Option<i64>)> = findings
        .iter()
        .map(|f| (*f, tickets.get(f.fingerprint.as_str()).map(|(id, _)| *id)))
        .collect();
    let ids = insert_with_ids(
        conn,
        backend,
        "findings",
        (
            "INSERT INTO findings (application_id, repository_id, fingerprint, ticket_id, tool, \
             rule_id, title, severity, path, start_line, end_line, suppressed, details, \
             secret_hash, first_scan_id, last_scan_id, created_at, updated_at)",
            "fingerprint",
        ),
        &format!(
            "{},{},?,?,?,?,?,?,?,?,?,?,?,?,{scan},{scan},{now},{now}",
            ids.application,
            sql_id(ids.repository),
            scan = ids.scan,
            now = ids.now
        ),
        &rows,
        |q, (f, ticket)| {
            let location = f.location.as_ref();
            q.bind(f.fingerprint.as_str())
                .bind(*ticket)
                .bind(f.tool.as_str())
                .bind(f.rule_id.as_str())
                .bind(f.title.as_str())
                .bind(f.severity.rank())
                .bind(location.and_then(|l| l.path.as_deref()))
                .bind(location.and_then(|l| l.start_line).map(i64::from))
                .bind(location.and_then(|l| l.end_line).map(i64::from))
                .bind(i64::from(f.suppression.is_some()))
                .bind(details(f))
                .bind(f.secret.as_ref().map(|s| s.hash.as_str()))
        },
        |(f, _)| f.fingerprint.as_str(),
    )
    .await?;
    Ok(rows.iter().zip(ids).map(|((f, _), id)| (f.fingerprint.as_str().to_string(), id)).collect())
}

/// The `details` column, made as the row is bound so that a large import
/// never holds every finding's JSON at once. Serializing plain data cannot
/// fail; should it, the column keeps `{}` rather than aborting the import.
fn details(finding: &Finding) -> String {
    crate::details::to_json(finding).unwrap_or_else(|_| "{}".into())
}

async fn link_tickets(
    conn: &mut AnyConnection,
    findings: &[(i64, &Finding)],
    tickets: &HashMap<&str, (i64, String)>,
) -> Result<(), StoreError> {
    for (id, f) in findings {
        if let Some((ticket, _)) = tickets.get(f.fingerprint.as_str()) {
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
    scan: i64,
    seen: &[(i64, &Finding)],
) -> Result<(), StoreError> {
    let head = format!(
        "UPDATE findings SET path = v.column2, start_line = v.column3, end_line = v.column4, \
         severity = v.column5, details = v.column6, suppressed = v.column7, \
         last_scan_id = {scan} FROM ("
    );
    for_rows(
        conn,
        backend,
        (&head, ") AS v WHERE findings.id = v.column1"),
        &binds(7),
        seen,
        |q, (id, f)| {
            let location = f.location.as_ref();
            q.bind(*id)
                .bind(location.and_then(|l| l.path.as_deref()))
                .bind(location.and_then(|l| l.start_line).map(i64::from))
                .bind(location.and_then(|l| l.end_line).map(i64::from))
                .bind(f.severity.rank())
                .bind(details(f))
                .bind(i64::from(f.suppression.is_some()))
        },
    )
    .await?;
    Ok(())
}

async fn mark_absent(
    conn: &mut AnyConnection,
    backend: Backend,
    scan: i64,
    absent: &[(i64, Option<i64>)],
) -> Result<(), StoreError> {
    for chunk in absent.chunks(backend.max_params() - 1) {
        let sql = format!(
            "UPDATE sightings SET present = 0, absent_since_scan_id = {} WHERE id IN ({})",
            placeholder(backend, 1),
            placeholders(backend, 2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(scan);
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
    scan: i64,
    now: i64,
    scopes: &[i64],
    reappeared: &[(i64, Option<i64>)],
) -> Result<(), StoreError> {
    for scope in scopes {
        sqlx::query(
            "UPDATE sightings SET last_scan_id = $1, last_seen_at = $2, \
             times_seen = times_seen + 1 WHERE scope_id = $3 AND present = 1",
        )
        .bind(scan)
        .bind(now)
        .bind(*scope)
        .execute(&mut *conn)
        .await?;
    }
    for chunk in reappeared.chunks(backend.max_params() - 2) {
        let sql = format!(
            "UPDATE sightings SET present = 1, absent_since_scan_id = NULL, last_scan_id = {}, \
             last_seen_at = {}, times_seen = times_seen + 1 WHERE id IN ({})",
            placeholder(backend, 1),
            placeholder(backend, 2),
            placeholders(backend, 3, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(scan).bind(now);
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
    scan: i64,
    now: i64,
    sightings: &[(i64, i64)],
) -> Result<(), StoreError> {
    for_rows(
        conn,
        backend,
        (
            "INSERT INTO sightings (finding_id, scope_id, first_scan_id, last_scan_id, \
             first_seen_at, last_seen_at, times_seen, present)",
            "",
        ),
        &format!("?,?,{scan},{scan},{now},{now},1,1"),
        sightings,
        |q, (finding, scope)| q.bind(*finding).bind(*scope),
    )
    .await?;
    Ok(())
}

/// (ticket id, kind, data) for what this scan changed about a ticket.
type Event = (i64, &'static str, String);

async fn insert_events(
    conn: &mut AnyConnection,
    backend: Backend,
    start: &ScanStart,
    events: &[Event],
) -> Result<(), StoreError> {
    let now = millis(start.imported_at);
    let actor = start.uploader.as_str();
    let mut kinds: Vec<&'static str> = events.iter().map(|(_, kind, _)| *kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    for kind in kinds {
        let of_kind: Vec<&Event> = events.iter().filter(|(_, k, _)| *k == kind).collect();
        // The kind is one of fixgate's own words, so it is written as a literal.
        for_rows(
            conn,
            backend,
            ("INSERT INTO ticket_events (ticket_id, at, actor, kind, data)", ""),
            &format!("?,{now},?,'{kind}',?"),
            &of_kind,
            |q, (ticket, _, data)| q.bind(*ticket).bind(actor.to_string()).bind(data.as_str()),
        )
        .await?;
    }
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

/// Gives the tickets this scan opened the branch and commit it scanned,
/// which the report may tell only after its findings.
async fn place_opened(
    conn: &mut AnyConnection,
    backend: Backend,
    end: &ScanEnd,
    opened: &[(i64, String)],
) -> Result<(), StoreError> {
    for chunk in opened.chunks(backend.max_params() - 2) {
        let sql = format!(
            "UPDATE tickets SET branch = {}, commit_sha = {} WHERE id IN ({})",
            placeholder(backend, 1),
            placeholder(backend, 2),
            placeholders(backend, 3, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(&end.branch).bind(end.commit.as_deref());
        for (id, _) in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn finish_scan(
    conn: &mut AnyConnection,
    scan: i64,
    end: &ScanEnd,
    findings: usize,
    counts: &ImportCounts,
    scopes: &[i64],
) -> Result<(), StoreError> {
    let tools: Vec<&str> = end.scopes.iter().map(|s| s.tool.as_str()).collect();
    sqlx::query(
        "UPDATE scans SET branch = $1, commit_sha = $2, environment = $3, category = $4, \
         tools = $5, format = $6, report_sha256 = $7, report_bytes = $8, findings_count = $9, \
         opened = $10, seen_again = $11, reappeared = $12, no_longer_seen = $13, suppressed = $14 \
         WHERE id = $15",
    )
    .bind(&end.branch)
    .bind(end.commit.as_deref())
    .bind(end.environment.as_deref())
    .bind(&end.category)
    .bind(tools.join(", "))
    .bind(&end.format)
    .bind(&end.report_sha256)
    .bind(end.report_bytes)
    .bind(findings as i64)
    .bind(counts.opened as i64)
    .bind(counts.seen_again as i64)
    .bind(counts.reappeared as i64)
    .bind(counts.no_longer_seen as i64)
    .bind(counts.suppressed as i64)
    .bind(scan)
    .execute(&mut *conn)
    .await?;
    for scope in scopes {
        sqlx::query("INSERT INTO scan_scopes (scan_id, scope_id) VALUES ($1, $2)")
            .bind(scan)
            .bind(*scope)
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE scopes SET last_scan_id = $1 WHERE id = $2")
            .bind(scan)
            .bind(*scope)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// An id written into a statement: a number, or NULL.
fn sql_id(id: Option<i64>) -> String {
    id.map_or_else(|| "NULL".to_string(), |id| id.to_string())
}
