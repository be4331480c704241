//! Recording a scan in one transaction: findings are matched to the ones the
//! repository had, layer by layer (see `fixgate_domain::matching`); new
//! problems open tickets (or join the ticket of their group, or of the same
//! problem seen by another tool); findings seen again update their sightings
//! and nothing else; and a complete scan of a tracked branch proves absent
//! what it no longer sees, which verifies the tickets none of whose findings
//! is seen any more, while a closed ticket whose finding is back reopens.
//!
//! An import is a session: [`Store::begin_scan`] opens the transaction and
//! loads what the repository's findings are, [`ImportSession::add`] takes
//! findings a chunk at a time while the report is still being read (so
//! memory does not grow with the report, and parsing overlaps the writes),
//! and [`ImportSession::finish`] settles the scopes, the sightings, the
//! absences and the tickets' states, then commits. Dropping a session rolls
//! everything back.
//!
//! All reads and writes are set-based (a few statements per thousand rows),
//! so an import of 100,000 findings costs a few dozen round trips.

mod lifecycle;
mod rerate;
mod write;

use std::collections::{HashMap, HashSet};

use fixgate_domain::fingerprint::package_identity;
use fixgate_domain::matching::{Keys, LINE_WINDOW, tool_family};
use fixgate_domain::{
    Finding, FindingKind, Grouping, ImportCounts, ImportPolicy, MatchLayer, Matcher, TicketState,
};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;
use sqlx::{Any, AnyConnection, Transaction};

use crate::rows::millis;
use crate::{Backend, Store, StoreError};
use write::{Event, NewTicket};
pub(crate) use write::{allocate_numbers, upsert_application, upsert_repository};

/// What identifies the findings of a scan, known before its report is read.
#[derive(Debug, Clone)]
pub struct ScanStart {
    pub application: String,
    pub repository: Option<String>,
    /// The branch scanned: it decides whether the scan opens and closes
    /// tickets.
    pub branch: String,
    /// The repository's default branch, when the caller knows it; it is
    /// remembered for later scans.
    pub default_branch: Option<String>,
    /// Only some paths or rules were scanned: nothing is proven absent.
    pub partial: bool,
    pub policy: ImportPolicy,
    pub uploader: String,
    pub imported_at: Timestamp,
    /// Gives each ticket the scan opens its owner, priority and due date;
    /// without it tickets open untriaged.
    pub triage: Option<std::sync::Arc<dyn crate::Triage>>,
}

/// The rest of a scan's context, known once its report has been read.
#[derive(Debug, Clone)]
pub struct ScanEnd {
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
    /// The report says it is not a complete scan.
    pub partial: bool,
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
    /// The branch is one whose scans open and close tickets.
    pub tracked: bool,
    pub partial: bool,
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
    tracked: bool,
    /// The repository's findings before this scan, by each layer's key.
    known: Matcher<KnownFinding>,
    tickets: KnownTickets,
    /// Findings held back until the whole report is read: they may match an
    /// earlier finding by location, or belong to a rule's group.
    held: Vec<Finding>,
    /// Every finding of this scan, in report order.
    seen: Vec<Seen>,
    counts: ImportCounts,
    opened: Vec<(i64, String)>,
    /// Group tickets whose findings this scan changed.
    touched_groups: HashSet<i64>,
    /// Tickets a finding of which this scan rated anew, with its kind.
    rerated: rerate::Candidates,
}

/// A finding the store has.
struct KnownFinding {
    id: i64,
    ticket: Option<i64>,
    /// Its severity's rank, as the previous scan rated it.
    severity: i64,
}

/// What the import needs to know of the repository's tickets.
#[derive(Default)]
struct KnownTickets {
    /// Tickets that are not simply open (fixed, closed, decided), and every
    /// group ticket: what the lifecycle acts on.
    special: HashMap<i64, TicketInfo>,
    /// Open group tickets by group key.
    groups: HashMap<String, i64>,
    /// Code findings with a CWE and a ticket, by file: another tool's result
    /// of the same CWE a few lines away joins that ticket.
    anchors: HashMap<String, Vec<Anchor>>,
}

#[derive(Debug, Clone)]
pub(crate) struct TicketInfo {
    pub state: TicketState,
    pub expires_at: Option<i64>,
    pub group_key: Option<String>,
}

struct Anchor {
    family: String,
    cwes: Vec<u32>,
    line: u32,
    ticket: i64,
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

/// Where a finding that needs a ticket goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// A ticket of its own.
    Own,
    /// A ticket that exists already.
    Existing(i64),
    /// The group ticket of this key, opened by this scan.
    NewGroup(String),
}

impl Store {
    /// Starts recording a scan. Imports into one application are serialized
    /// by a row lock taken first, so two imports of the same scope end as if
    /// run one after the other.
    pub async fn begin_scan(&self, start: ScanStart) -> Result<ImportSession, StoreError> {
        let mut tx = self.pool.begin().await?;
        let now = millis(start.imported_at);
        let application = upsert_application(&mut tx, &start.application, now).await?;
        let (repository, default_branch) = match &start.repository {
            Some(url) => {
                let id = upsert_repository(&mut tx, application, url, now).await?;
                let default =
                    write::default_branch(&mut tx, id, start.default_branch.as_deref()).await?;
                (Some(id), default)
            }
            None => (None, start.default_branch.clone()),
        };
        let tracked = start.policy.tracks(&start.branch, default_branch.as_deref());
        let scan = write::insert_scan(&mut tx, &start, (application, repository), tracked).await?;
        let known = write::known_findings(&mut tx, self.backend, application, repository).await?;
        let tickets = write::known_tickets(&mut tx, application, repository).await?;
        let groups = group_tickets(&tickets);
        let mut session = ImportSession {
            tx,
            backend: self.backend,
            start,
            application,
            repository,
            scan,
            tracked,
            known: Matcher::with_capacity(known.len()),
            tickets: KnownTickets { special: tickets, groups, ..KnownTickets::default() },
            held: Vec::new(),
            seen: Vec::new(),
            counts: ImportCounts::default(),
            opened: Vec::new(),
            touched_groups: HashSet::new(),
            rerated: rerate::Candidates::new(),
        };
        for row in known {
            session.know(row);
        }
        Ok(session)
    }
}

impl ImportSession {
    fn know(&mut self, row: write::KnownRow) {
        let place = row.path.clone().map(|path| (tool_family(&row.tool), row.rule_id, path));
        if let (Some(ticket), Some(path), Some(line)) = (row.ticket, &row.path, row.line)
            && row.cwes.len() > 2
        {
            let open = self.tickets.special.get(&ticket).is_none_or(|t| t.state.is_open());
            if open {
                self.tickets.anchors.entry(path.clone()).or_default().push(Anchor {
                    family: tool_family(&row.tool),
                    cwes: parse_cwes(&row.cwes),
                    line,
                    ticket,
                });
            }
        }
        let keys =
            Keys { fingerprint: row.fingerprint, content: row.content, place, line: row.line };
        let known = KnownFinding { id: row.id, ticket: row.ticket, severity: row.severity };
        self.known.insert(keys, known);
    }

    /// Records a chunk of the report's findings. Their fingerprints must be
    /// unique within the report.
    pub async fn add(&mut self, findings: Vec<Finding>) -> Result<(), StoreError> {
        let mut fresh = Vec::new();
        let mut again = Vec::new();
        for f in findings {
            let keys = Keys::of(&f);
            if let Some((index, layer)) = self.known.claim_exact(&keys) {
                again.push((index, layer, f));
            } else if self.known.has_near(&keys) || self.waits_for_rule_count(&f) {
                self.held.push(f);
            } else {
                fresh.push(f);
            }
        }
        self.record(fresh, again, None).await
    }

    /// A finding whose kind is grouped by rule once the rule fires often
    /// enough waits for the whole report to be counted.
    fn waits_for_rule_count(&self, f: &Finding) -> bool {
        self.tracked
            && f.suppression.is_none()
            && matches!(self.start.policy.grouping(FindingKind::of(f)), Grouping::RuleOver(_))
    }

    /// Writes findings: new ones with their tickets, known ones where this
    /// scan saw them.
    async fn record(
        &mut self,
        fresh: Vec<Finding>,
        again: Vec<(usize, MatchLayer, Finding)>,
        rule_counts: Option<&HashMap<(String, String), usize>>,
    ) -> Result<(), StoreError> {
        // Who needs a ticket, and which.
        let mut wanted: Vec<(&Finding, Target)> = Vec::new();
        for f in &fresh {
            if self.tracked && f.suppression.is_none() {
                wanted.push((f, self.target(f, rule_counts)));
            }
        }
        for (index, _, f) in &again {
            let ticketed = self.known.get(*index).is_some_and(|k| k.ticket.is_some());
            if self.tracked && f.suppression.is_none() && !ticketed {
                wanted.push((f, self.target(f, rule_counts)));
            }
        }

        // Open the tickets: one per finding on its own, one per new group.
        let mut to_open: Vec<NewTicket> = Vec::new();
        let mut new_groups: HashMap<&str, usize> = HashMap::new();
        // For each wanted finding, the index in `to_open` of the ticket it gets.
        let mut slots: Vec<Option<usize>> = Vec::with_capacity(wanted.len());
        for (f, target) in &wanted {
            let slot = match target {
                Target::Own => {
                    to_open.push(NewTicket { finding: f, group_key: None });
                    Some(to_open.len() - 1)
                }
                Target::NewGroup(key) => Some(*new_groups.entry(key).or_insert_with(|| {
                    to_open.push(NewTicket { finding: f, group_key: Some(key.clone()) });
                    to_open.len() - 1
                })),
                Target::Existing(_) => None,
            };
            slots.push(slot);
        }
        let ids = self.ids();
        let conn: &mut AnyConnection = &mut self.tx;
        let opened = write::open_tickets(conn, self.backend, &self.start, ids, &to_open).await?;
        let data = json!({ "scan_id": self.scan }).to_string();
        let mut events: Vec<Event> =
            opened.iter().map(|(id, _)| (*id, "opened", data.clone())).collect();

        // Each wanted finding's ticket, by fingerprint.
        let mut ticket_of: HashMap<&str, i64> = HashMap::new();
        for ((f, target), slot) in wanted.iter().zip(&slots) {
            let ticket = match (target, slot) {
                (Target::Existing(id), _) => Some(*id),
                (_, Some(slot)) => opened.get(*slot).map(|(id, _)| *id),
                (_, None) => None,
            };
            let Some(ticket) = ticket else {
                return Err(StoreError::Invalid("a ticket was not opened".into()));
            };
            ticket_of.insert(f.fingerprint.as_str(), ticket);
            // The finding a new ticket was opened for; the others joined one.
            let opened_here = slot
                .and_then(|slot| to_open.get(slot))
                .is_some_and(|t| t.finding.fingerprint == f.fingerprint);
            if !opened_here {
                self.counts.grouped += 1;
                let added = json!({
                    "scan_id": self.scan,
                    "tool": f.tool,
                    "rule_id": f.rule_id,
                    "path": f.location.as_ref().and_then(|l| l.path.as_deref()),
                    "line": f.location.as_ref().and_then(|l| l.start_line),
                });
                events.push((ticket, "finding_added", added.to_string()));
            }
            let group = self.tickets.special.get(&ticket).is_some_and(|t| t.group_key.is_some());
            if matches!(target, Target::NewGroup(_)) || group {
                self.touched_groups.insert(ticket);
            }
            // A finding that joins a group may raise the group's severity.
            if group && !opened_here {
                self.rerated.entry(ticket).or_insert_with(|| FindingKind::of(f));
            }
        }
        for (new, (id, _)) in to_open.iter().zip(&opened) {
            if let Some(key) = &new.group_key {
                self.tickets.groups.insert(key.clone(), *id);
                self.tickets.special.insert(
                    *id,
                    TicketInfo {
                        state: TicketState::New,
                        expires_at: None,
                        group_key: Some(key.clone()),
                    },
                );
            } else {
                self.anchor(new.finding, *id);
            }
        }

        let scan_ids = self.scan_ids();
        let conn: &mut AnyConnection = &mut self.tx;
        let fresh_refs: Vec<&Finding> = fresh.iter().collect();
        let ids =
            write::insert_findings(conn, self.backend, scan_ids, &fresh_refs, &ticket_of).await?;
        let seen_again: Vec<(i64, MatchLayer, &Finding)> = again
            .iter()
            .filter_map(|(index, layer, f)| self.known.get(*index).map(|k| (k.id, *layer, f)))
            .collect();
        write::update_seen_findings(conn, self.backend, self.scan, &seen_again, &ticket_of).await?;
        write::insert_events(conn, self.backend, &self.start, &events).await?;

        self.counts.opened += opened.len() as u64;
        self.opened.extend(opened);
        for (f, id) in fresh.iter().zip(ids) {
            let ticket = ticket_of.get(f.fingerprint.as_str()).copied();
            self.seen_finding(f, id, false, false, ticket);
        }
        for (index, layer, f) in &again {
            match layer {
                MatchLayer::Tool => {}
                MatchLayer::Content => self.counts.matched_by_content += 1,
                MatchLayer::Location => self.counts.matched_by_location += 1,
            }
            let new_ticket = ticket_of.get(f.fingerprint.as_str()).copied();
            let Some(known) = self.known.get_mut(*index) else { continue };
            let before = known.ticket.is_some();
            known.ticket = known.ticket.or(new_ticket);
            let rerated =
                std::mem::replace(&mut known.severity, f.severity.rank()) != f.severity.rank();
            let (id, ticket) = (known.id, known.ticket);
            if let (true, true, Some(ticket)) = (self.tracked, rerated, ticket) {
                self.rerate(ticket, f);
            }
            self.seen_finding(f, id, true, before, ticket);
        }
        Ok(())
    }

    /// Notes that this scan rated a finding of `ticket` anew.
    fn rerate(&mut self, ticket: i64, f: &Finding) {
        self.rerated.entry(ticket).or_insert_with(|| FindingKind::of(f));
        if self.tickets.special.get(&ticket).is_some_and(|t| t.group_key.is_some()) {
            self.touched_groups.insert(ticket);
        }
    }

    fn seen_finding(
        &mut self,
        f: &Finding,
        finding: i64,
        known_before: bool,
        ticketed_before: bool,
        ticket: Option<i64>,
    ) {
        self.counts.suppressed += u64::from(f.suppression.is_some());
        self.seen.push(Seen {
            finding,
            run: f.run,
            suppressed: f.suppression.is_some(),
            known_before,
            ticketed_before,
            ticket,
        });
    }

    /// Where a finding that needs a ticket goes, by the grouping policy.
    fn target(
        &self,
        f: &Finding,
        rule_counts: Option<&HashMap<(String, String), usize>>,
    ) -> Target {
        let kind = FindingKind::of(f);
        let group = |key: String| match self.tickets.groups.get(&key) {
            Some(id) => Target::Existing(*id),
            None => Target::NewGroup(key),
        };
        match (self.start.policy.grouping(kind), &f.package) {
            // Only a vulnerability goes away with an upgrade; a licence
            // finding on a package does not.
            (Grouping::Upgrade, Some(package)) if !f.advisories.is_empty() => {
                return group(format!("upgrade:{}", package_identity(package)));
            }
            (Grouping::RuleOver(limit), _) => {
                let rule = (tool_family(&f.tool), f.rule_id.clone());
                let key = format!("rule:{}:{}", rule.0, rule.1);
                let fired = rule_counts.and_then(|c| c.get(&rule)).copied().unwrap_or(0);
                if self.tickets.groups.contains_key(&key) || fired > limit as usize {
                    return group(key);
                }
            }
            _ => {}
        }
        if kind == FindingKind::Code
            && let Some(ticket) = self.same_problem_from_another_tool(f)
        {
            return Target::Existing(ticket);
        }
        Target::Own
    }

    /// The open ticket of another tool's finding with a CWE in common, in the
    /// same file, within a few lines.
    fn same_problem_from_another_tool(&self, f: &Finding) -> Option<i64> {
        let location = f.location.as_ref()?;
        let (path, line) = (location.path.as_deref()?, location.start_line?);
        if f.cwes.is_empty() {
            return None;
        }
        let family = tool_family(&f.tool);
        self.tickets
            .anchors
            .get(path)?
            .iter()
            .filter(|a| a.family != family && a.line.abs_diff(line) <= LINE_WINDOW)
            .filter(|a| a.cwes.iter().any(|c| f.cwes.contains(c)))
            .min_by_key(|a| a.line.abs_diff(line))
            .map(|a| a.ticket)
    }

    /// Lets later results of other tools find the ticket `f` opened.
    fn anchor(&mut self, f: &Finding, ticket: i64) {
        let Some(location) = f.location.as_ref() else { return };
        if let (Some(path), Some(line), false) =
            (location.path.as_ref(), location.start_line, f.cwes.is_empty())
        {
            self.tickets.anchors.entry(path.clone()).or_default().push(Anchor {
                family: tool_family(&f.tool),
                cwes: f.cwes.clone(),
                line,
                ticket,
            });
        }
    }

    /// Settles the scan: the findings held back, the scopes, the sightings,
    /// the absences and what they prove, the scan's own record. Commits,
    /// unless the report is the one each of its scopes' latest scan
    /// imported, in which case nothing is kept.
    pub async fn finish(mut self, end: ScanEnd) -> Result<ImportOutcome, StoreError> {
        self.settle_held().await?;
        // The caller says so, or the report does.
        self.start.partial |= end.partial;
        let conn: &mut AnyConnection = &mut self.tx;
        let scopes = write::upsert_scopes(
            conn,
            &self.start,
            &end,
            (self.application, self.repository),
            self.tracked,
        )
        .await?;
        if let Some(previous) =
            write::repeated_report(conn, &scopes, &end, (self.start.partial, self.tracked)).await?
        {
            let counts =
                ImportCounts { unchanged: self.seen.len() as u64, ..ImportCounts::default() };
            self.tx.rollback().await?;
            return Ok(ImportOutcome {
                scan_id: previous,
                duplicate: true,
                tracked: self.tracked,
                partial: self.start.partial,
                counts,
                opened_tickets: Vec::new(),
            });
        }

        let scope_ids: Vec<i64> = scopes.iter().map(|(id, _)| *id).collect();
        let mut distinct = scope_ids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let sightings = write::known_sightings(conn, self.backend, &distinct).await?;
        let plan = plan_sightings(&self.seen, &end, &scope_ids, &sightings, &mut self.counts)?;
        let ticket_of: HashMap<i64, Option<i64>> =
            self.known.iter().map(|(k, _)| (k.id, k.ticket)).collect();
        // A partial scan proves nothing absent.
        let absent: Vec<(i64, Option<i64>)> = if self.start.partial {
            Vec::new()
        } else {
            sightings
                .iter()
                .filter(|(_, s)| s.present && !plan.seen_sightings.contains(&s.id))
                .map(|((_, finding), s)| (s.id, ticket_of.get(finding).copied().flatten()))
                .collect()
        };
        self.counts.no_longer_seen = absent.len() as u64;

        let now = millis(self.start.imported_at);
        let backend = self.backend;
        write::mark_absent(conn, backend, self.scan, &absent).await?;
        if self.start.partial {
            let seen: Vec<i64> = plan.seen_sightings.iter().copied().collect();
            write::bump_seen(conn, backend, self.scan, now, &seen, &plan.reappeared).await?;
        } else {
            write::bump_sightings(conn, backend, self.scan, now, &distinct, &plan.reappeared)
                .await?;
        }
        write::insert_sightings(conn, backend, self.scan, now, &plan.new_sightings).await?;
        if self.tracked {
            // A ticket this scan opened took the severity it has from it.
            for (id, _) in &self.opened {
                self.rerated.remove(id);
            }
            let before = rerate::severities(conn, backend, &self.rerated).await?;
            let seen_tickets: HashSet<i64> =
                self.seen.iter().filter(|s| !s.suppressed).filter_map(|s| s.ticket).collect();
            let settled = lifecycle::settle(
                conn,
                backend,
                lifecycle::Proof {
                    scan: self.scan,
                    now,
                    commit: end.commit.as_deref(),
                    branch: &self.start.branch,
                    actor: &self.start.uploader,
                },
                lifecycle::Changes {
                    absent: &absent,
                    reappeared: &plan.reappeared,
                    seen: &seen_tickets,
                    tickets: &self.tickets.special,
                    groups: &self.touched_groups,
                },
            )
            .await?;
            self.counts.verified = settled.verified;
            self.counts.reopened = settled.reopened;
            self.counts.verification_failed = settled.verification_failed;
            let rating = rerate::Rating {
                scan: self.scan,
                now,
                actor: &self.start.uploader,
                triage: self.start.triage.as_deref(),
            };
            let reprioritised =
                rerate::rerate(conn, backend, &rating, &self.rerated, &before).await?;
            tracing::debug!(
                rerated = self.rerated.len(),
                reprioritised,
                "tickets whose findings the scan rated anew"
            );
        }
        write::place_opened(conn, backend, &self.start.branch, &end, &self.opened).await?;
        write::finish_scan(conn, self.scan, &end, self.seen.len(), &self.counts, &distinct).await?;
        let (uploader, at) = (&self.start.uploader, self.start.imported_at);
        crate::notices::tickets_opened(conn, backend, &self.opened, uploader, at).await?;
        crate::chain::commit(self.tx).await?;

        self.opened.sort();
        Ok(ImportOutcome {
            scan_id: self.scan,
            duplicate: false,
            tracked: self.tracked,
            partial: self.start.partial,
            counts: self.counts,
            opened_tickets: self.opened.into_iter().map(|(_, key)| key).collect(),
        })
    }

    /// Records the findings held back: the location layer first, then the
    /// rules' counts decide their groups.
    async fn settle_held(&mut self) -> Result<(), StoreError> {
        let held = std::mem::take(&mut self.held);
        if held.is_empty() {
            return Ok(());
        }
        let mut fresh = Vec::new();
        let mut again = Vec::new();
        for f in held {
            match self.known.claim_near(&Keys::of(&f)) {
                Some(index) => again.push((index, MatchLayer::Location, f)),
                None => fresh.push(f),
            }
        }
        let mut rule_counts: HashMap<(String, String), usize> = HashMap::new();
        for f in fresh.iter().chain(again.iter().map(|(_, _, f)| f)) {
            *rule_counts.entry((tool_family(&f.tool), f.rule_id.clone())).or_default() += 1;
        }
        self.record(fresh, again, Some(&rule_counts)).await
    }

    /// How many findings the session has recorded so far.
    pub fn findings(&self) -> u64 {
        (self.seen.len() + self.held.len()) as u64
    }

    fn ids(&self) -> (i64, Option<i64>) {
        (self.application, self.repository)
    }

    fn scan_ids(&self) -> write::ScanIds {
        write::ScanIds {
            application: self.application,
            repository: self.repository,
            scan: self.scan,
            now: millis(self.start.imported_at),
        }
    }
}

/// The ticket each group key's new findings join: its open ticket, else
/// its latest closed one, which the scan then reopens (a package that is back
/// with a new advisory is the same upgrade to make). A group whose ticket
/// was decided (false positive, accepted risk) gets a new ticket: the
/// decision did not cover advisories nobody saw.
fn group_tickets(tickets: &HashMap<i64, TicketInfo>) -> HashMap<String, i64> {
    let mut best: HashMap<String, (bool, i64)> = HashMap::new();
    for (id, info) in tickets {
        let Some(key) = &info.group_key else { continue };
        if !info.state.is_open() && !info.state.is_closed() {
            continue;
        }
        let rank = (info.state.is_open(), *id);
        let slot = best.entry(key.clone()).or_insert(rank);
        *slot = (*slot).max(rank);
    }
    best.into_iter().map(|(key, (_, id))| (key, id)).collect()
}

/// `",79,89,"` back to its numbers.
fn parse_cwes(column: &str) -> Vec<u32> {
    column.split(',').filter_map(|c| c.parse().ok()).collect()
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
