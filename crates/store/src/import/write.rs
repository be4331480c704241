//! The statements an import runs, each set-based.

use std::collections::HashMap;

use fixgate_domain::{Finding, ImportCounts, MatchLayer, ScopeKey, TicketState, TicketType};
use futures_util::TryStreamExt;
use sqlx::{AnyConnection, Row};

use super::{KnownSighting, ScanEnd, ScanStart, TicketInfo};
use crate::StoreError;
use crate::batch::{binds, for_rows, insert_with_ids, placeholder, placeholders};
use crate::rows::{advisories_column, cwes_column, millis};
use crate::{Backend, ExploitSignal, TicketTriage};
use fixgate_domain::Fingerprint;

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
pub(super) async fn upsert_scopes(
    conn: &mut AnyConnection,
    start: &ScanStart,
    end: &ScanEnd,
    (application, repository): (i64, Option<i64>),
    tracked: bool,
) -> Result<Vec<(i64, Option<i64>)>, StoreError> {
    let mut out = Vec::with_capacity(end.scopes.len());
    for scope in &end.scopes {
        let key = ScopeKey {
            application: start.application.clone(),
            repository: start.repository.clone().unwrap_or_default(),
            branch: start.branch.clone(),
            tool: scope.tool.clone(),
            category: scope.category.clone(),
        };
        let row = sqlx::query(
            "INSERT INTO scopes (scope_key, application_id, repository_id, branch, tool, category, \
             tracked) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (scope_key) DO UPDATE SET tracked = excluded.tracked \
             RETURNING id, last_scan_id",
        )
        .bind(key.canonical())
        .bind(application)
        .bind(repository)
        .bind(&start.branch)
        .bind(&scope.tool)
        .bind(&scope.category)
        .bind(i64::from(tracked))
        .fetch_one(&mut *conn)
        .await?;
        out.push((row.try_get(0)?, row.try_get(1)?));
    }
    Ok(out)
}

/// The latest scan of these scopes, when every scope's latest scan imported
/// this very report at the same commit, in the same way (complete or
/// partial, on a tracked branch or not): importing it again would change
/// nothing. A scanner writes the same bytes for a later commit when nothing
/// changed, and that scan is new evidence: it refutes a fix and sees the
/// findings again.
pub(super) async fn repeated_report(
    conn: &mut AnyConnection,
    scopes: &[(i64, Option<i64>)],
    end: &ScanEnd,
    (partial, tracked): (bool, bool),
) -> Result<Option<i64>, StoreError> {
    let mut latest = None;
    for (_, last_scan) in scopes {
        let Some(last_scan) = last_scan else {
            return Ok(None);
        };
        let row = sqlx::query(
            "SELECT report_sha256, commit_sha, partial, tracked FROM scans WHERE id = $1",
        )
        .bind(*last_scan)
        .fetch_one(&mut *conn)
        .await?;
        let commit: Option<String> = row.try_get(1)?;
        let same = row.try_get::<String, _>(0)? == end.report_sha256
            && commit == end.commit
            && row.try_get::<i64, _>(2)? == i64::from(partial)
            && row.try_get::<i64, _>(3)? == i64::from(tracked);
        if !same {
            return Ok(None);
        }
        latest = latest.max(Some(*last_scan));
    }
    Ok(latest)
}

/// The scan's row; what only the report tells is filled in by [`finish_scan`].
pub(super) async fn insert_scan(
    conn: &mut AnyConnection,
    start: &ScanStart,
    (application, repository): (i64, Option<i64>),
    tracked: bool,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO scans (application_id, repository_id, branch, category, tools, format, \
         report_sha256, report_bytes, uploader, imported_at, partial, tracked) \
         VALUES ($1, $2, $3, '', '', '', '', 0, $4, $5, $6, $7) RETURNING id",
    )
    .bind(application)
    .bind(repository)
    .bind(&start.branch)
    .bind(&start.uploader)
    .bind(millis(start.imported_at))
    .bind(i64::from(start.partial))
    .bind(i64::from(tracked))
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// The repository's default branch: the one the caller gives, which is
/// remembered, else the one remembered.
pub(super) async fn default_branch(
    conn: &mut AnyConnection,
    repository: i64,
    given: Option<&str>,
) -> Result<Option<String>, StoreError> {
    if let Some(branch) = given.map(str::trim).filter(|b| !b.is_empty()) {
        sqlx::query("UPDATE repositories SET default_branch = $1 WHERE id = $2")
            .bind(branch)
            .bind(repository)
            .execute(&mut *conn)
            .await?;
        return Ok(Some(branch.to_string()));
    }
    let row = sqlx::query("SELECT default_branch FROM repositories WHERE id = $1")
        .bind(repository)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get(0)?)
}

/// A finding of the repository, as matching needs it.
pub(super) struct KnownRow {
    pub id: i64,
    pub fingerprint: String,
    pub content: String,
    pub ticket: Option<i64>,
    pub tool: String,
    pub rule_id: String,
    pub path: Option<String>,
    pub line: Option<u32>,
    pub cwes: String,
    /// The severity's rank.
    pub severity: i64,
}

pub(super) async fn known_findings(
    conn: &mut AnyConnection,
    backend: Backend,
    application: i64,
    repository: Option<i64>,
) -> Result<Vec<KnownRow>, StoreError> {
    let select = format!(
        "SELECT CAST(id AS TEXT) || '{SEP}' || COALESCE(CAST(ticket_id AS TEXT), '') \
         || '{SEP}' || fingerprint || '{SEP}' || COALESCE(content_fingerprint, '') \
         || '{SEP}' || cwes || '{SEP}' || COALESCE(CAST(start_line AS TEXT), '') \
         || '{SEP}' || CAST(severity AS TEXT) \
         || '{SEP}' || tool || '{SEP}' || rule_id || '{SEP}' || COALESCE(path, '{SEP}') AS p, \
         id / 1024 AS g \
         FROM findings WHERE application_id = $1 AND COALESCE(repository_id, 0) = $2"
    );
    let mut known = Vec::new();
    let mut separator = [0; 4];
    let no_path: &str = SEP.encode_utf8(&mut separator);
    for packed in
        packed_rows(conn, backend, &select, &[application, repository.unwrap_or(0)]).await?
    {
        let mut parts = packed.splitn(10, SEP);
        let mut next = || parts.next().unwrap_or_default();
        let (id, ticket, fingerprint, content, cwes) = (next(), next(), next(), next(), next());
        let (line, severity, tool, rule_id, path) = (next(), next(), next(), next(), next());
        let id = id
            .parse()
            .map_err(|_| StoreError::Invalid(format!("finding id {id:?} is not a number")))?;
        known.push(KnownRow {
            id,
            ticket: ticket.parse().ok(),
            content: if content.is_empty() { fingerprint } else { content }.to_string(),
            fingerprint: fingerprint.to_string(),
            cwes: cwes.to_string(),
            line: line.parse().ok(),
            severity: severity.parse().unwrap_or_default(),
            tool: tool.to_string(),
            rule_id: rule_id.to_string(),
            // A missing path is written as the separator alone, which no
            // path is.
            path: (path != no_path).then(|| path.to_string()),
        });
    }
    Ok(known)
}

/// Runs `select`, which yields a text column `p` and a group number `g`,
/// and returns every `p`. Rows travel from the database a group at a time,
/// joined by [`ROW_SEP`]: each row a query returns costs far more than its
/// bytes, so a few hundred large rows beat a hundred thousand small ones.
async fn packed_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    select: &str,
    binds: &[i64],
) -> Result<Vec<String>, StoreError> {
    let join = match backend {
        Backend::Sqlite => format!("group_concat(t.p, '{ROW_SEP}')"),
        Backend::Postgres => format!("string_agg(t.p, '{ROW_SEP}')"),
    };
    let sql = format!("SELECT {join} FROM ({select}) AS t GROUP BY t.g");
    let mut query = sqlx::query(&sql);
    for value in binds {
        query = query.bind(*value);
    }
    let mut out = Vec::new();
    for row in query.fetch_all(&mut *conn).await? {
        let group: Option<String> = row.try_get(0)?;
        out.extend(group.iter().flat_map(|g| g.split(ROW_SEP)).map(str::to_string));
    }
    Ok(out)
}

/// Joins rows in [`packed_rows`]: the ASCII record separator.
const ROW_SEP: char = '\u{1e}';

/// Joins the columns of [`known_findings`]: the ASCII unit separator. Like
/// the record separator, it is a control character no path, rule or tool
/// name holds.
const SEP: char = '\u{1f}';

/// The repository's tickets that are not simply open, and its group
/// tickets.
pub(super) async fn known_tickets(
    conn: &mut AnyConnection,
    application: i64,
    repository: Option<i64>,
) -> Result<HashMap<i64, TicketInfo>, StoreError> {
    let mut rows = sqlx::query(
        "SELECT id, state, decision_expires_at, group_key FROM tickets \
         WHERE application_id = $1 AND COALESCE(repository_id, 0) = $2 \
         AND ticket_type = 'vulnerability' \
         AND (state NOT IN ('new', 'triaged', 'in_progress', 'waiting_on_vendor', 'reopened') \
              OR group_key IS NOT NULL)",
    )
    .bind(application)
    .bind(repository.unwrap_or(0))
    .fetch(&mut *conn);
    let mut known = HashMap::new();
    while let Some(row) = rows.try_next().await? {
        let state: String = row.try_get(1)?;
        let state: TicketState = state
            .parse()
            .map_err(|e: fixgate_domain::UnknownName| StoreError::Invalid(e.to_string()))?;
        known.insert(
            row.try_get(0)?,
            TicketInfo { state, expires_at: row.try_get(2)?, group_key: row.try_get(3)? },
        );
    }
    Ok(known)
}

pub(super) async fn known_sightings(
    conn: &mut AnyConnection,
    backend: Backend,
    scopes: &[i64],
) -> Result<HashMap<(i64, i64), KnownSighting>, StoreError> {
    let mut known = HashMap::new();
    for scope in scopes {
        let select = "SELECT CAST(id AS TEXT) || ',' || CAST(finding_id AS TEXT) || ',' \
             || CAST(present AS TEXT) AS p, id / 1024 AS g FROM sightings WHERE scope_id = $1";
        for packed in packed_rows(conn, backend, select, &[*scope]).await? {
            let mut numbers = packed.split(',').map(str::parse::<i64>);
            let (Some(Ok(id)), Some(Ok(finding)), Some(Ok(present))) =
                (numbers.next(), numbers.next(), numbers.next())
            else {
                return Err(StoreError::Invalid(format!("sighting row {packed:?} is malformed")));
            };
            known.insert((*scope, finding), KnownSighting { id, present: present == 1 });
        }
    }
    Ok(known)
}

/// A ticket an import opens: for one finding, or for a group whose first
/// finding it is.
pub(super) struct NewTicket<'f> {
    pub finding: &'f Finding,
    pub group_key: Option<String>,
}

/// Opens tickets; returns (ticket id, key) in the order given.
pub(super) async fn open_tickets(
    conn: &mut AnyConnection,
    backend: Backend,
    start: &ScanStart,
    (application, repository): (i64, Option<i64>),
    tickets: &[NewTicket<'_>],
) -> Result<Vec<(i64, String)>, StoreError> {
    if tickets.is_empty() {
        return Ok(Vec::new());
    }
    let prefix = TicketType::Vulnerability.key_prefix();
    let first = allocate_numbers(conn, prefix, tickets.len() as i64).await?;
    let now = millis(start.imported_at);
    let rows: Vec<(String, &NewTicket)> =
        tickets.iter().zip(first..).map(|(t, n)| (format!("{prefix}-{n}"), t)).collect();
    let triaged: Vec<TicketTriage> = match &start.triage {
        Some(triage) => {
            let signals = exploit_signals(conn, backend, tickets).await?;
            let strongest: Vec<Option<ExploitSignal>> =
                tickets.iter().map(|t| strongest(&signals, &t.finding.advisories)).collect();
            let asked: Vec<(&Finding, Option<&ExploitSignal>)> =
                tickets.iter().zip(&strongest).map(|(t, s)| (t.finding, s.as_ref())).collect();
            triage.triage(&asked)
        }
        None => vec![TicketTriage::default(); tickets.len()],
    };
    let rows: Vec<(String, &NewTicket, &TicketTriage)> =
        rows.into_iter().zip(&triaged).map(|((key, t), triage)| (key, t, triage)).collect();

    // What no ticket of the batch has is written as a literal: binding
    // values is most of what the insert costs.
    let routed = triaged.iter().any(|t| t.owner.is_some() || t.routed_by.is_some());
    let signalled = triaged.iter().any(|t| t.kev || t.epss.is_some());
    let ids = insert_with_ids(
        conn,
        backend,
        "tickets",
        (
            "INSERT INTO tickets (ticket_key, ticket_type, state, severity, title, description, \
             application_id, repository_id, tool, rule_id, path, cwes, advisories, group_key, \
             owner, routed_by, priority, priority_reason, kev, epss, due_at, due_soon_at, \
             sla_started_at, present, created_at, updated_at)",
            "ticket_key",
        ),
        &format!(
            "?,'{}','{}',?,?,?,{application},{},?,?,?,?,?,?,{},?,?,{},?,?,{now},1,{now},{now}",
            TicketType::Vulnerability.as_str(),
            TicketState::New.as_str(),
            sql_id(repository),
            if routed { "?,?" } else { "NULL,NULL" },
            if signalled { "?,?" } else { "0,NULL" },
        ),
        &rows,
        |q, (key, t, triage)| {
            let f = t.finding;
            let path = f.location.as_ref().and_then(|l| l.path.as_deref());
            let mut q = q
                .bind(key.as_str())
                .bind(f.severity.rank())
                .bind(ticket_title(f))
                .bind(f.message.as_str())
                .bind(f.tool.as_str())
                .bind(f.rule_id.as_str())
                .bind(path)
                .bind(cwes_column(&f.cwes))
                .bind(advisories_column(&f.advisories))
                .bind(t.group_key.as_deref());
            if routed {
                q = q.bind(triage.owner.as_deref()).bind(triage.routed_by.as_deref());
            }
            q = q.bind(triage.priority.map(|p| p.as_str())).bind(triage.priority_reason.as_deref());
            if signalled {
                q = q.bind(i64::from(triage.kev)).bind(triage.epss);
            }
            q.bind(triage.due.map(|d| millis(d.due_at)))
                .bind(triage.due.map(|d| millis(d.due_soon_at)))
        },
        |(key, _, _)| key.as_str(),
    )
    .await?;
    Ok(rows.into_iter().zip(ids).map(|((key, _, _), id)| (id, key)).collect())
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

/// Inserts findings the store has never seen, with their tickets; returns
/// their ids in the order given.
pub(super) async fn insert_findings(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: ScanIds,
    findings: &[&Finding],
    tickets: &HashMap<&str, i64>,
) -> Result<Vec<i64>, StoreError> {
    insert_with_ids(
        conn,
        backend,
        "findings",
        (
            "INSERT INTO findings (application_id, repository_id, fingerprint, ticket_id, tool, \
             rule_id, title, severity, path, start_line, end_line, suppressed, details, \
             secret_hash, content_fingerprint, cwes, first_scan_id, last_scan_id, created_at, \
             updated_at)",
            "fingerprint",
        ),
        &format!(
            "{},{},?,?,?,?,?,?,?,?,?,?,?,?,?,?,{scan},{scan},{now},{now}",
            ids.application,
            sql_id(ids.repository),
            scan = ids.scan,
            now = ids.now
        ),
        findings,
        |q, f| {
            let location = f.location.as_ref();
            let content = Fingerprint::content(f);
            q.bind(f.fingerprint.as_str())
                .bind(tickets.get(f.fingerprint.as_str()).copied())
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
                .bind((content != f.fingerprint).then(|| content.as_str().to_string()))
                .bind(cwes_column(&f.cwes))
        },
        |f| f.fingerprint.as_str(),
    )
    .await
}

/// The `details` column, made as the row is bound so that a large import
/// never holds every finding's JSON at once. Serializing plain data cannot
/// fail; should it, the column keeps `{}` rather than aborting the import.
fn details(finding: &Finding) -> String {
    crate::details::to_json(finding).unwrap_or_else(|_| "{}".into())
}

/// Moves known findings to where this scan saw them (lines shift as code
/// changes), keeps their latest details and the layer that matched them, and
/// links those that had no ticket to the one they now have.
pub(super) async fn update_seen_findings(
    conn: &mut AnyConnection,
    backend: Backend,
    scan: i64,
    seen: &[(i64, MatchLayer, &Finding)],
    tickets: &HashMap<&str, i64>,
) -> Result<(), StoreError> {
    let head = format!(
        "UPDATE findings SET path = v.column2, start_line = v.column3, end_line = v.column4, \
         severity = v.column5, details = v.column6, suppressed = v.column7, \
         matched_by = v.column8, ticket_id = COALESCE(findings.ticket_id, v.column9), \
         last_scan_id = {scan} FROM ("
    );
    for_rows(
        conn,
        backend,
        (&head, ") AS v WHERE findings.id = v.column1"),
        &binds(9),
        seen,
        |q, (id, layer, f)| {
            let location = f.location.as_ref();
            q.bind(*id)
                .bind(location.and_then(|l| l.path.as_deref()))
                .bind(location.and_then(|l| l.start_line).map(i64::from))
                .bind(location.and_then(|l| l.end_line).map(i64::from))
                .bind(f.severity.rank())
                .bind(details(f))
                .bind(i64::from(f.suppression.is_some()))
                .bind(layer.as_str())
                .bind(tickets.get(f.fingerprint.as_str()).copied())
        },
    )
    .await?;
    Ok(())
}

pub(super) async fn mark_absent(
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
pub(super) async fn bump_sightings(
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

pub(super) async fn insert_sightings(
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
pub(super) type Event = (i64, &'static str, String);

pub(super) async fn insert_events(
    conn: &mut AnyConnection,
    backend: Backend,
    start: &ScanStart,
    events: &[Event],
) -> Result<(), StoreError> {
    insert_events_at(conn, backend, millis(start.imported_at), &start.uploader, events).await
}

/// Appends events, one statement per kind and chunk.
pub(super) async fn insert_events_at(
    conn: &mut AnyConnection,
    backend: Backend,
    now: i64,
    actor: &str,
    events: &[Event],
) -> Result<(), StoreError> {
    // Kinds in the order they first occur, so a ticket's history reads in
    // the order things happened ("opened" before "finding_added").
    let mut kinds: Vec<&'static str> = Vec::new();
    for (_, kind, _) in events {
        if !kinds.contains(kind) {
            kinds.push(kind);
        }
    }
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
        // The figures' facts follow the events, in their transaction.
        let recorded: Vec<crate::metrics::facts::Event> = of_kind
            .iter()
            .map(|(ticket, kind, data)| crate::metrics::facts::Event {
                ticket: *ticket,
                at: now,
                kind,
                data,
            })
            .collect();
        crate::metrics::facts::record(conn, &recorded).await?;
    }
    Ok(())
}

/// Gives the tickets this scan opened the branch and commit it scanned,
/// which the report may tell only after its findings.
pub(super) async fn place_opened(
    conn: &mut AnyConnection,
    backend: Backend,
    branch: &str,
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
        let mut query = sqlx::query(&sql).bind(branch).bind(end.commit.as_deref());
        for (id, _) in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

pub(super) async fn finish_scan(
    conn: &mut AnyConnection,
    scan: i64,
    end: &ScanEnd,
    findings: usize,
    counts: &ImportCounts,
    scopes: &[i64],
) -> Result<(), StoreError> {
    let tools: Vec<&str> = end.scopes.iter().map(|s| s.tool.as_str()).collect();
    sqlx::query(
        "UPDATE scans SET commit_sha = $1, environment = $2, category = $3, \
         tools = $4, format = $5, report_sha256 = $6, report_bytes = $7, findings_count = $8, \
         opened = $9, seen_again = $10, reappeared = $11, no_longer_seen = $12, suppressed = $13, \
         verified = $14, reopened = $15, verification_failed = $16, \
         partial = CASE WHEN $17 = 1 THEN 1 ELSE partial END \
         WHERE id = $18",
    )
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
    .bind(counts.verified as i64)
    .bind(counts.reopened as i64)
    .bind(counts.verification_failed as i64)
    .bind(i64::from(end.partial))
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

/// Ids a finding row carries.
#[derive(Clone, Copy)]
pub(super) struct ScanIds {
    pub application: i64,
    pub repository: Option<i64>,
    pub scan: i64,
    pub now: i64,
}

/// Runs `sql` with `{ids}` replaced by placeholders for each chunk of `ids`,
/// after the `fixed` values bound first as `{1}`, `{2}`…, which must each
/// appear once, in that order, before `{ids}` (SQLite binds by position).
pub(super) async fn for_ids(
    conn: &mut AnyConnection,
    backend: Backend,
    sql: &str,
    fixed: &[i64],
    ids: &[i64],
) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(backend.max_params() - fixed.len()) {
        let text = sql.replace("{ids}", &placeholders(backend, fixed.len() + 1, chunk.len()));
        let text = (1..=fixed.len())
            .fold(text, |t, n| t.replace(&format!("{{{n}}}"), &placeholder(backend, n)));
        let mut query = sqlx::query(&text);
        for value in fixed.iter().chain(chunk) {
            query = query.bind(*value);
        }
        out.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// Records that a partial scan saw these present sightings again, and
/// brings back those that had been absent.
pub(super) async fn bump_seen(
    conn: &mut AnyConnection,
    backend: Backend,
    scan: i64,
    now: i64,
    seen: &[i64],
    reappeared: &[(i64, Option<i64>)],
) -> Result<(), StoreError> {
    for_ids(
        conn,
        backend,
        "UPDATE sightings SET last_scan_id = {1}, last_seen_at = {2}, \
         times_seen = times_seen + 1 WHERE present = 1 AND id IN ({ids})",
        &[scan, now],
        seen,
    )
    .await?;
    bump_sightings(conn, backend, scan, now, &[], reappeared).await
}

/// An id written into a statement: a number, or NULL.
fn sql_id(id: Option<i64>) -> String {
    id.map_or_else(|| "NULL".to_string(), |id| id.to_string())
}

/// The exploit signals of the CVEs the new tickets' findings name, by CVE.
async fn exploit_signals(
    conn: &mut AnyConnection,
    backend: Backend,
    tickets: &[NewTicket<'_>],
) -> Result<HashMap<String, ExploitSignal>, StoreError> {
    let mut cves: Vec<&str> = tickets
        .iter()
        .flat_map(|t| &t.finding.advisories)
        .map(String::as_str)
        .filter(|id| id.starts_with("CVE-"))
        .collect();
    cves.sort_unstable();
    cves.dedup();
    crate::exploits::signals_on(conn, backend, &cves).await
}

/// The strongest signal among `advisories`: in KEV if any is, the highest
/// EPSS score.
fn strongest(
    signals: &HashMap<String, ExploitSignal>,
    advisories: &[String],
) -> Option<ExploitSignal> {
    if signals.is_empty() {
        return None;
    }
    let found: Vec<&ExploitSignal> = advisories.iter().filter_map(|id| signals.get(id)).collect();
    if found.is_empty() {
        return None;
    }
    Some(ExploitSignal {
        kev: found.iter().any(|s| s.kev),
        epss: found.iter().filter_map(|s| s.epss).reduce(f64::max),
        percentile: found.iter().filter_map(|s| s.percentile).reduce(f64::max),
    })
}
