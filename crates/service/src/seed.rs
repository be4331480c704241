//! `fixgate seed`: a made-up installation with years of history, for
//! trying fixgate at scale and measuring it. Twenty teams own two hundred
//! applications and their repositories; each repository's default branch is
//! scanned weekly by two or three tools; the scans open security tickets
//! (severities skewed towards medium and low), which people triage, assign,
//! work on, fix, dismiss as false positives or accept the risk of; later
//! scans verify the fixes and sometimes see a finding again; the SLA sweep
//! records breaches. A few percent are incidents, tasks and requests opened
//! by hand.
//!
//! Every ticket is written whole with its history as the events fixgate
//! writes when these things happen, so the figures and lists of a seeded
//! store mean something. The same seed, ticket count, years and end day
//! give the same store: each ticket draws from its own generator, numbered
//! by the seed and its index.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use fixgate_domain::triage::Priority;
use fixgate_domain::{Severity, TicketState, TicketType};
use fixgate_store::{
    CatalogIds, SeedAcceptance, SeedCatalog, SeedDecision, SeedEvent, SeedFinding, SeedScan,
    SeedScope, SeedTicket,
};

use crate::{Fixgate, ServiceError};

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub tickets: u64,
    /// How many years of history end at `until`.
    pub years: u32,
    pub seed: u64,
    /// Add to a store that has tickets.
    pub force: bool,
    /// The end of the history (default: the start of today, UTC).
    pub until: Option<Timestamp>,
}

/// What a seed wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seeded {
    pub tickets: u64,
    pub security_tickets: u64,
    pub events: u64,
    pub scans: u64,
    pub applications: u64,
    pub since: Timestamp,
    pub until: Timestamp,
}

/// Tickets generated and written at a time.
const BATCH: u64 = 5_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;

const TEAMS: [&str; 20] = [
    "payments",
    "checkout",
    "identity",
    "platform",
    "search",
    "mobile",
    "data",
    "growth",
    "billing",
    "messaging",
    "infra",
    "catalog",
    "orders",
    "risk",
    "support",
    "analytics",
    "web",
    "api",
    "devex",
    "appsec",
];
/// The team whose people triage and approve: application security.
const APPSEC: usize = 19;
const FIRST_NAMES: [&str; 20] = [
    "ada", "ben", "chen", "dana", "eli", "fatima", "gus", "hana", "ivan", "jo", "kofi", "lea",
    "mo", "nina", "omar", "pia", "raj", "sara", "tom", "yuki",
];
const LAST_NAMES: [&str; 10] =
    ["ito", "kim", "lopez", "meyer", "novak", "okafor", "park", "rossi", "silva", "wong"];
const PRODUCTS: [&str; 10] =
    ["api", "web", "worker", "gateway", "ledger", "portal", "sync", "reports", "app", "admin"];

/// A tool, the category of its scans, and whether every repository runs it.
const TOOLS: [(&str, &str); 5] = [
    ("Semgrep", "sast"),
    ("Trivy", "sca"),
    ("Gitleaks", "secrets"),
    ("Checkov", "iac"),
    ("ZAP", "dast"),
];

/// CWEs code scanners report, with a rule name.
const WEAKNESSES: [(u32, &str); 16] = [
    (79, "xss"),
    (89, "sql-injection"),
    (78, "command-injection"),
    (22, "path-traversal"),
    (502, "unsafe-deserialization"),
    (918, "ssrf"),
    (611, "xxe"),
    (352, "csrf"),
    (327, "weak-crypto"),
    (601, "open-redirect"),
    (200, "information-exposure"),
    (295, "tls-verification-disabled"),
    (1321, "prototype-pollution"),
    (400, "resource-exhaustion"),
    (209, "stack-trace-exposure"),
    (20, "improper-input-validation"),
];

/// A small generator (SplitMix64): fast, and the same everywhere.
struct Draw(u64);

impl Draw {
    fn new(seed: u64, stream: u64) -> Draw {
        let mut draw = Draw(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        draw.next();
        draw
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A duration around `median` ms, spread log-normally by `spread`.
    fn around(&mut self, median: i64, spread: f64) -> i64 {
        let (u, v) = (self.unit().max(1e-12), self.unit());
        let normal = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
        ((median as f64) * (spread * normal).exp()).max(60_000.0) as i64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

/// The made-up installation: who and what tickets refer to.
struct World {
    catalog: SeedCatalog,
    ids: CatalogIds,
    /// Each scope's scans, oldest first: (scan id, time).
    scans: Vec<Vec<(i64, i64)>>,
    /// Each team's people.
    members: Vec<Vec<String>>,
    since: i64,
    until: i64,
}

fn catalog(since: i64, until: i64) -> SeedCatalog {
    let teams: Vec<String> = TEAMS.iter().map(|t| t.to_string()).collect();
    let people = (0..FIRST_NAMES.len() * LAST_NAMES.len())
        .map(|i| {
            let first = FIRST_NAMES.get(i % FIRST_NAMES.len()).copied().unwrap_or("pat");
            let last = LAST_NAMES.get(i / FIRST_NAMES.len()).copied().unwrap_or("doe");
            (format!("{first}.{last}"), i % TEAMS.len())
        })
        .collect();
    let mut applications = Vec::new();
    for product in PRODUCTS {
        for (t, team) in TEAMS.iter().enumerate() {
            applications.push((format!("{team}-{product}"), t));
        }
    }
    let mut repositories = Vec::new();
    let mut scopes = Vec::new();
    for (a, (name, _)) in applications.iter().enumerate() {
        for (r, suffix) in ["", "-service", "-infra"].iter().take(1 + a % 3).enumerate() {
            repositories.push((a, format!("https://git.example.com/acme/{name}{suffix}")));
            let repository = repositories.len() - 1;
            for (t, (tool, category)) in TOOLS.iter().enumerate() {
                let runs = match t {
                    0 => true,
                    1 => r < 2 && a % 4 != 3,
                    2 => a % 2 == 0,
                    3 => *suffix == "-infra",
                    _ => r == 0 && a % 5 == 0,
                };
                if runs {
                    scopes.push(SeedScope {
                        repository,
                        tool: tool.to_string(),
                        category: category.to_string(),
                    });
                }
            }
        }
    }
    let scans = weekly_scans(&scopes, &repositories, &applications, since, until);
    SeedCatalog { teams, people, applications, repositories, scopes, scans, created_at: since }
}

/// A complete scan of each scope every week, at the scope's own hour.
fn weekly_scans(
    scopes: &[SeedScope],
    repositories: &[(usize, String)],
    applications: &[(String, usize)],
    since: i64,
    until: i64,
) -> Vec<SeedScan> {
    let mut scans = Vec::new();
    for (s, scope) in scopes.iter().enumerate() {
        let app = repositories.get(scope.repository).map_or(0, |(app, _)| *app);
        let uploader = format!("ci-{}", applications.get(app).map_or("app", |(n, _)| n.as_str()));
        let offset = (s as i64 * 7_919_000) % WEEK;
        let mut at = since + offset;
        while at < until {
            scans.push(SeedScan {
                scope: s,
                at,
                commit: commit(s, at),
                uploader: uploader.clone(),
            });
            at += WEEK;
        }
    }
    scans
}

impl World {
    fn scans_of(catalog: &SeedCatalog, ids: &CatalogIds) -> Vec<Vec<(i64, i64)>> {
        let mut out = vec![Vec::new(); catalog.scopes.len()];
        for (scan, id) in catalog.scans.iter().zip(&ids.scans) {
            if let Some(list) = out.get_mut(scan.scope) {
                list.push((*id, scan.at));
            }
        }
        out
    }

    fn app_name(&self, app: usize) -> &str {
        self.catalog.applications.get(app).map_or("", |(n, _)| n.as_str())
    }

    fn members_of(catalog: &SeedCatalog) -> Vec<Vec<String>> {
        let mut out = vec![Vec::new(); catalog.teams.len()];
        for (name, team) in &catalog.people {
            if let Some(members) = out.get_mut(*team) {
                members.push(name.clone());
            }
        }
        out
    }

    /// A person of `team`.
    fn person(&self, draw: &mut Draw, team: usize) -> String {
        let members = self.members.get(team).map_or(&[][..], Vec::as_slice);
        draw.pick(members).map_or_else(|| "pat.doe".into(), String::clone)
    }
}

impl Fixgate {
    /// Seeds the store (see the module's documentation); `progress` hears
    /// the number of tickets written so far.
    pub async fn seed(
        &self,
        options: &SeedOptions,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Seeded, ServiceError> {
        if options.years == 0 || options.years > 10 {
            return Err(ServiceError::Invalid(format!(
                "--years {}: give 1 to 10 years of history",
                options.years
            )));
        }
        let until = options.until.unwrap_or_else(|| start_of_day(self.clock.now()));
        let since = until
            .checked_sub(SignedDuration::from_hours(24 * 365 * i64::from(options.years)))
            .map_err(|err| ServiceError::Invalid(format!("--years {}: {err}", options.years)))?;
        let (since, until) = (since.as_millisecond(), until.as_millisecond());

        let mut session = self.store.start_seed(options.force).await?;
        let catalog = catalog(since, until);
        let ids = session.catalog(&catalog).await?;
        let scans = World::scans_of(&catalog, &ids);
        let members = World::members_of(&catalog);
        let world = World { catalog, ids, scans, members, since, until };

        let mut seeded = Seeded {
            scans: world.ids.scans.len() as u64,
            applications: world.ids.applications.len() as u64,
            ..Seeded::default()
        };
        let mut next_request = session.next_acceptance_id();
        let mut first = 0;
        while first < options.tickets {
            let last = (first + BATCH).min(options.tickets);
            let batch: Vec<SeedTicket> = (first..last)
                .map(|i| ticket(&world, &mut Draw::new(options.seed, i), &mut next_request))
                .collect();
            seeded.security_tickets +=
                batch.iter().filter(|t| t.ticket_type == TicketType::Vulnerability).count() as u64;
            seeded.events += batch.iter().map(|t| t.events.len() as u64).sum::<u64>();
            session.tickets(&batch).await?;
            progress(last);
            first = last;
        }
        seeded.tickets = session.finish().await?;
        self.store.analyze().await?;
        seeded.since = millis(since);
        seeded.until = millis(until);
        Ok(seeded)
    }
}

fn start_of_day(now: Timestamp) -> Timestamp {
    let ms = now.as_millisecond();
    millis(ms - ms.rem_euclid(DAY))
}

fn millis(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Ticket number `i`: mostly security tickets, a few made by hand.
fn ticket(world: &World, draw: &mut Draw, next_request: &mut i64) -> SeedTicket {
    if draw.chance(0.03) { by_hand(world, draw) } else { security(world, draw, next_request) }
}

fn severity(draw: &mut Draw) -> Severity {
    match draw.unit() {
        u if u < 0.03 => Severity::Critical,
        u if u < 0.20 => Severity::High,
        u if u < 0.65 => Severity::Medium,
        u if u < 0.95 => Severity::Low,
        _ => Severity::Info,
    }
}

/// The policy's priority: the severity's, one step up for a few (exposed
/// to the internet) and down for a few (internal only).
fn priority(draw: &mut Draw, severity: Severity) -> (Priority, &'static str) {
    let base = match severity {
        Severity::Critical => 0,
        Severity::High => 1,
        Severity::Medium => 2,
        Severity::Low | Severity::Info => 3,
    };
    let (level, reason) = match draw.unit() {
        u if u < 0.08 => (base.max(1) - 1, "severity, raised: internet-facing application"),
        u if u < 0.14 => ((base + 1).min(3), "severity, lowered: internal network only"),
        _ => (base, "severity"),
    };
    let priority = [Priority::Critical, Priority::High, Priority::Medium, Priority::Low]
        .get(level)
        .copied()
        .unwrap_or(Priority::Low);
    (priority, reason)
}

/// The default policy's SLA: days to fix, and days before it is due soon.
fn sla(priority: Priority) -> (i64, i64) {
    match priority {
        Priority::Critical => (7, 2),
        Priority::High => (30, 7),
        Priority::Medium => (90, 14),
        Priority::Low => (180, 30),
    }
}

/// How long people take, by priority: to triage, and to fix once triaged.
fn pace(priority: Priority) -> (i64, i64) {
    match priority {
        Priority::Critical => (3 * HOUR, 4 * DAY),
        Priority::High => (20 * HOUR, 18 * DAY),
        Priority::Medium => (3 * DAY, 55 * DAY),
        Priority::Low => (7 * DAY, 120 * DAY),
    }
}

/// A ticket's history as it is written: events in time order, and where
/// the ticket stands after them.
struct History {
    events: Vec<SeedEvent>,
    state: TicketState,
    assignee: Option<String>,
    closed: Option<(i64, Option<i64>)>,
    reopen_count: i64,
    decision: Option<SeedDecision>,
    requests: Vec<SeedAcceptance>,
    /// The scan that verified it, while it stays verified.
    verified_by: Option<(i64, i64)>,
}

impl History {
    fn push(&mut self, at: i64, actor: &str, kind: &'static str, data: Value) {
        self.events.push(SeedEvent { at, actor: actor.to_string(), kind, data: data.to_string() });
    }

    /// A person's move, as `fixgate` logs one.
    fn moved(&mut self, at: i64, actor: &str, to: TicketState, reason: Option<&str>) {
        let data = json!({
            "from": self.state,
            "to": to,
            "reason": reason,
            "approver": null,
            "expires_at": null,
            "duplicate_of": null,
        });
        self.push(at, actor, "state_changed", data);
        self.state = to;
        self.closed = (!to.is_open()).then_some((at, None));
    }
}

/// Where a security ticket's finding is: its scope and its scans.
struct Place<'w> {
    scope: usize,
    scope_id: i64,
    app: usize,
    team: usize,
    tool: &'w str,
    scans: &'w [(i64, i64)],
    /// The index in `scans` of the scan that found it.
    found: usize,
}

impl Place<'_> {
    /// The first scan after `at`, if any before the history ends.
    fn scan_after(&self, at: i64) -> Option<(usize, i64, i64)> {
        let i = self.scans.partition_point(|(_, t)| *t <= at);
        self.scans.get(i).map(|(id, t)| (i, *id, *t))
    }

    /// The commit the scan number `i` of the scope scanned.
    fn commit_of(&self, i: usize) -> String {
        commit(self.scope, self.scans.get(i).map_or(0, |(_, at)| *at))
    }
}

/// The commit a scope's scan at `at` scanned: made up, the same each time.
fn commit(scope: usize, at: i64) -> String {
    let mut draw = Draw::new(at as u64, scope as u64);
    format!("{:016x}{:016x}{:08x}", draw.next(), draw.next(), draw.next() as u32)
}

/// Picks the scope and the weekly scan that find ticket's finding: busier
/// repositories first, more findings as the installation grows.
fn place<'w>(world: &'w World, draw: &mut Draw) -> Option<Place<'w>> {
    let scopes = world.catalog.scopes.len();
    let scope = ((draw.unit().powf(1.6)) * scopes as f64) as usize % scopes.max(1);
    let scans = world.scans.get(scope)?;
    let found = ((draw.unit().powf(0.8)) * scans.len() as f64) as usize;
    let found = found.min(scans.len().checked_sub(1)?);
    let s = world.catalog.scopes.get(scope)?;
    let app = world.catalog.repositories.get(s.repository).map(|(a, _)| *a)?;
    let team = world.catalog.applications.get(app).map(|(_, t)| *t)?;
    Some(Place {
        scope,
        scope_id: *world.ids.scopes.get(scope)?,
        app,
        team,
        tool: s.tool.as_str(),
        scans,
        found,
    })
}

fn security(world: &World, draw: &mut Draw, next_request: &mut i64) -> SeedTicket {
    let Some(place) = place(world, draw) else { return by_hand(world, draw) };
    let (scan, detected) = place.scans.get(place.found).copied().unwrap_or_default();
    let severity = severity(draw);
    let (priority, priority_reason) = priority(draw, severity);
    let (days, soon) = sla(priority);
    let due_at = detected + days * DAY;
    let what = finding(world, draw, &place, severity);
    let fingerprint = format!("{:016x}{:016x}", draw.next(), draw.next());

    let uploader = format!("ci-{}", world.app_name(place.app));
    let mut history = History {
        events: Vec::new(),
        state: TicketState::New,
        assignee: None,
        closed: None,
        reopen_count: 0,
        decision: None,
        requests: Vec::new(),
        verified_by: None,
    };
    history.push(detected, &uploader, "opened", json!({ "scan_id": scan }));
    live(world, draw, &place, &mut history, (detected, priority), next_request);
    breach(world, &mut history, due_at);

    let sighting = sighting(&place, &history, world.until);
    let updated_at = history.events.iter().map(|e| e.at).max().unwrap_or(detected);
    SeedTicket {
        ticket_type: TicketType::Vulnerability,
        state: history.state,
        severity,
        title: what.title,
        description: what.message,
        application: world.ids.applications.get(place.app).copied(),
        repository: world
            .catalog
            .scopes
            .get(place.scope)
            .and_then(|s| world.ids.repositories.get(s.repository).copied()),
        branch: Some("main".into()),
        commit: Some(place.commit_of(place.found)),
        tool: Some(place.tool.to_string()),
        rule_id: Some(what.rule),
        path: Some(what.path),
        cwes: what.cwes,
        advisories: what.advisories,
        owner: TEAMS.get(place.team).map(|t| t.to_string()),
        routed_by: Some("application team".into()),
        assignee: history.assignee.clone(),
        priority: Some(priority),
        priority_reason: Some(priority_reason.into()),
        due_at: Some(due_at),
        due_soon_at: Some(due_at - soon * DAY),
        breached_due_at: history.events.iter().any(|e| e.kind == "sla_breached").then_some(due_at),
        present: sighting.absent_since.is_none(),
        created_at: detected,
        updated_at,
        closed_at: history.closed.map(|(at, _)| at),
        closed_by_scan: history.closed.and_then(|(_, scan)| scan),
        reopen_count: history.reopen_count,
        decision: history.decision.clone(),
        finding: Some(SeedFinding {
            fingerprint,
            details: what.details,
            line: what.line,
            ..sighting
        }),
        requests: history.requests,
        events: history.events,
    }
}

/// What a scanner reported.
struct Reported {
    rule: String,
    title: String,
    message: String,
    path: String,
    line: i64,
    cwes: Vec<u32>,
    advisories: Vec<String>,
    details: String,
}

fn finding(world: &World, draw: &mut Draw, place: &Place, severity: Severity) -> Reported {
    let module = draw.below(400);
    let line = 5 + draw.below(900) as i64;
    let (cwe, name) = WEAKNESSES.get(draw.below(WEAKNESSES.len())).copied().unwrap_or((79, "xss"));
    let app = world.app_name(place.app);
    let (rule, title, path, cwes, advisories) = match place.tool {
        "Trivy" => {
            let year = 2018 + draw.below(8);
            let cve = format!("CVE-{year}-{}", 1000 + draw.below(45_000));
            let package = format!("lib{}", draw.below(300));
            let title = format!("{cve} in {package}");
            (cve.clone(), title, "package-lock.json".to_string(), vec![cwe], vec![cve])
        }
        "Gitleaks" => {
            let kind = ["aws-access-key", "github-pat", "slack-token", "private-key"]
                .get(draw.below(4))
                .copied()
                .unwrap_or("generic-api-key");
            let path = format!("config/{app}/settings-{module}.env");
            (kind.to_string(), format!("Secret {kind} committed"), path, vec![798], Vec::new())
        }
        "Checkov" => {
            let n = 1 + draw.below(300);
            let path = format!("terraform/module_{module}/main.tf");
            (
                format!("CKV_AWS_{n}"),
                format!("Misconfigured resource (check {n})"),
                path,
                vec![16],
                Vec::new(),
            )
        }
        "ZAP" => {
            let path = format!("/api/v1/{name}/{module}");
            (format!("zap/{name}"), format!("{name} at an endpoint"), path, vec![cwe], Vec::new())
        }
        _ => {
            let path = format!("src/module_{module:03}/handler_{}.py", draw.below(20));
            (
                format!("python.{name}"),
                format!("{name} reaches a sink"),
                path,
                vec![cwe],
                Vec::new(),
            )
        }
    };
    let message = format!("{title} ({} severity) in {app}", severity.as_str());
    let details = json!({ "message": message, "cwes": cwes, "advisories": advisories }).to_string();
    Reported {
        rule,
        title: format!("{title} in {path}"),
        message,
        path,
        line,
        cwes,
        advisories,
        details,
    }
}

/// What people and later scans do to a security ticket until the history
/// ends: triage, then a dismissal, an accepted risk or a fix.
fn live(
    world: &World,
    draw: &mut Draw,
    place: &Place,
    history: &mut History,
    (detected, priority): (i64, Priority),
    next_request: &mut i64,
) {
    let (triage, fix) = pace(priority);
    let analyst = world.person(draw, APPSEC);
    let triaged_at = detected + draw.around(triage, 1.0);
    if triaged_at >= world.until {
        return;
    }
    match draw.unit() {
        u if u < 0.07 => {
            let reason = ["test code only", "input is never user-controlled", "sanitised upstream"]
                .get(draw.below(3))
                .copied()
                .unwrap_or("not reachable");
            history.moved(triaged_at, &analyst, TicketState::FalsePositive, Some(reason));
            history.decision = Some(SeedDecision {
                reason: reason.into(),
                approver: None,
                requested_by: None,
                expires_at: None,
            });
            return;
        }
        u if u < 0.09 => {
            let reason = "the service is being retired";
            history.moved(triaged_at, &analyst, TicketState::Closed, Some(reason));
            return;
        }
        _ => history.moved(triaged_at, &analyst, TicketState::Triaged, None),
    }
    let developer = world.person(draw, place.team);
    let assigned_at = triaged_at + draw.around(2 * HOUR, 1.0);
    if assigned_at >= world.until {
        return;
    }
    history.push(assigned_at, &developer, "assigned", json!({ "from": null, "to": developer }));
    history.assignee = Some(developer.clone());
    if draw.chance(0.05) {
        accept(world, draw, history, (assigned_at, &developer, &analyst), next_request);
        if history.state == TicketState::RiskAccepted {
            return;
        }
    }
    let start = history.events.last().map_or(assigned_at, |e| e.at);
    work(world, draw, place, history, (start, fix), &developer);
}

/// A risk acceptance asked for by the developer and approved by the
/// analyst; when it runs out before the history ends, the ticket reopens.
fn accept(
    world: &World,
    draw: &mut Draw,
    history: &mut History,
    (at, developer, analyst): (i64, &str, &str),
    next_request: &mut i64,
) {
    let asked = at + draw.around(3 * DAY, 0.7);
    let decided = asked + draw.around(2 * DAY, 0.7);
    if decided >= world.until {
        return;
    }
    let expires = decided + [90, 180, 365].get(draw.below(3)).copied().unwrap_or(90) * DAY;
    let reason = "compensating control: the endpoint sits behind the WAF";
    let id = *next_request;
    *next_request += 1;
    let expires_ts = millis(expires);
    let asked_data = json!({ "request": id, "reason": reason, "expires_at": expires_ts });
    history.push(asked, developer, "acceptance_requested", asked_data);
    let approved = json!({
        "request": id,
        "requested_by": developer,
        "reason": reason,
        "expires_at": expires_ts,
        "note": null,
    });
    history.push(decided, analyst, "acceptance_approved", approved);
    let moved = json!({
        "to": TicketState::RiskAccepted,
        "reason": reason,
        "approver": analyst,
        "requested_by": developer,
        "expires_at": expires_ts,
    });
    history.push(decided, analyst, "state_changed", moved);
    history.requests.push(SeedAcceptance {
        id,
        requested_by: developer.into(),
        requested_at: asked,
        reason: reason.into(),
        expires_at: expires,
        outcome: "approved".into(),
        decided_by: Some(analyst.into()),
        decided_at: Some(decided),
    });
    history.state = TicketState::RiskAccepted;
    history.closed = Some((decided, None));
    history.decision = Some(SeedDecision {
        reason: reason.into(),
        approver: Some(analyst.into()),
        requested_by: Some(developer.into()),
        expires_at: Some(expires),
    });
    let lapsed = expires + draw.around(HOUR, 0.5);
    if lapsed < world.until {
        let data = json!({
            "from": TicketState::RiskAccepted,
            "to": TicketState::Reopened,
            "expired_at": expires_ts,
            "reason": reason,
            "approver": analyst,
            "requested_by": developer,
        });
        history.push(lapsed, "fixgate", "acceptance_expired", data);
        history.state = TicketState::Reopened;
        history.closed = None;
        history.decision = None;
    }
}

/// In progress, fixed, verified by the next scan; a few are seen again by
/// a later scan and go round once more.
fn work(
    world: &World,
    draw: &mut Draw,
    place: &Place,
    history: &mut History,
    (start, fix): (i64, i64),
    developer: &str,
) {
    let mut at = start;
    for round in 0..2 {
        let began = at + draw.around(DAY, 1.0);
        if began >= world.until {
            return;
        }
        history.moved(began, developer, TicketState::InProgress, None);
        let fixed = began + draw.around(fix, 0.9);
        if fixed >= world.until {
            return;
        }
        history.moved(fixed, developer, TicketState::Fixed, None);
        let Some((i, scan, verified)) = place.scan_after(fixed) else { return };
        let evidence = json!({
            "scan_id": scan,
            "commit": place.commit_of(i),
            "branch": "main",
            "from": TicketState::Fixed,
        });
        history.push(verified, &format!("ci-{}", world.app_name(place.app)), "verified", evidence);
        history.state = TicketState::Verified;
        history.closed = Some((verified, Some(scan)));
        history.verified_by = Some((scan, verified));
        if round == 1 || !draw.chance(0.05) {
            return;
        }
        let Some((j, again, seen)) = place.scan_after(verified + draw.around(3 * WEEK, 0.8)) else {
            return;
        };
        let evidence = json!({
            "scan_id": again,
            "commit": place.commit_of(j),
            "branch": "main",
            "from": TicketState::Verified,
        });
        history.push(seen, &format!("ci-{}", world.app_name(place.app)), "reopened", evidence);
        history.state = TicketState::Reopened;
        history.closed = None;
        history.verified_by = None;
        history.reopen_count += 1;
        at = seen;
    }
}

/// The SLA sweep's record of a breach: the ticket was still open when its
/// due date passed.
fn breach(world: &World, history: &mut History, due_at: i64) {
    let swept = due_at + 15 * 60_000;
    if swept >= world.until {
        return;
    }
    let mut open = true;
    for event in &history.events {
        if event.at > swept {
            break;
        }
        open = match event.kind {
            "verified" => false,
            "reopened" | "acceptance_expired" => true,
            "state_changed" => state_after(&event.data).is_none_or(TicketState::is_open),
            _ => open,
        };
    }
    if open {
        let data = json!({ "due_at": millis(due_at) });
        history.push(swept, "fixgate", "sla_breached", data);
        history.events.sort_by_key(|e| e.at);
    }
}

fn state_after(data: &str) -> Option<TicketState> {
    let value: Value = serde_json::from_str(data).ok()?;
    value.get("to")?.as_str()?.parse().ok()
}

/// The finding's sighting in its scope: seen from the scan that found it
/// by every weekly scan, until the one that verified its fix.
fn sighting(place: &Place, history: &History, until: i64) -> SeedFinding {
    let (first_scan, first_seen) = place.scans.get(place.found).copied().unwrap_or_default();
    let end = history.verified_by.map_or(until, |(_, at)| at);
    let last = place.scans.partition_point(|(_, t)| *t < end).saturating_sub(1).max(place.found);
    let (last_scan, last_seen) = place.scans.get(last).copied().unwrap_or((first_scan, first_seen));
    SeedFinding {
        scope: place.scope_id,
        fingerprint: String::new(),
        line: 0,
        details: String::new(),
        first_scan,
        last_scan,
        first_seen_at: first_seen,
        last_seen_at: last_seen,
        times_seen: (last - place.found + 1) as i64,
        absent_since: history.verified_by.map(|(scan, _)| scan),
    }
}

/// An incident, task or request a person opened, worked on and often
/// closed.
fn by_hand(world: &World, draw: &mut Draw) -> SeedTicket {
    let kind = match draw.unit() {
        u if u < 0.4 => TicketType::Incident,
        u if u < 0.8 => TicketType::Task,
        _ => TicketType::Request,
    };
    let team = draw.below(TEAMS.len());
    let owner = TEAMS.get(team).copied().unwrap_or("platform").to_string();
    let actor = world.person(draw, team);
    let span = (world.until - world.since).max(1);
    let opened = world.since + (draw.unit() * span as f64) as i64;
    let severity = severity(draw);
    let (priority, _) = priority(draw, severity);
    let mut history = History {
        events: Vec::new(),
        state: TicketState::New,
        assignee: None,
        closed: None,
        reopen_count: 0,
        decision: None,
        requests: Vec::new(),
        verified_by: None,
    };
    let data = json!({
        "state": TicketState::New,
        "type": kind,
        "owner": owner,
        "routed_by": format!("set by {actor}"),
        "priority": priority,
        "priority_reason": null,
        "due_at": null,
    });
    history.push(opened, &actor, "opened", data);
    let began = opened + draw.around(HOUR * 6, 1.0);
    if began < world.until {
        history.moved(began, &actor, TicketState::InProgress, None);
        let done = began + draw.around(3 * DAY, 1.0);
        if done < world.until && draw.chance(0.9) {
            history.moved(done, &actor, TicketState::Closed, Some("done"));
        }
    }
    let what = match kind {
        TicketType::Incident => "Suspicious sign-ins on",
        TicketType::Task => "Rotate credentials of",
        _ => "Access review for",
    };
    SeedTicket {
        ticket_type: kind,
        state: history.state,
        severity,
        title: format!("{what} {owner}"),
        description: String::new(),
        application: None,
        repository: None,
        branch: None,
        commit: None,
        tool: None,
        rule_id: None,
        path: None,
        cwes: Vec::new(),
        advisories: Vec::new(),
        owner: Some(owner),
        routed_by: Some(format!("set by {actor}")),
        assignee: None,
        priority: Some(priority),
        priority_reason: None,
        due_at: None,
        due_soon_at: None,
        breached_due_at: None,
        present: false,
        created_at: opened,
        updated_at: history.events.iter().map(|e| e.at).max().unwrap_or(opened),
        closed_at: history.closed.map(|(at, _)| at),
        closed_by_scan: None,
        reopen_count: 0,
        decision: None,
        finding: None,
        requests: Vec::new(),
        events: history.events,
    }
}
