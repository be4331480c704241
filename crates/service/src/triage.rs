//! Triage by policy: the policy file an administrator loads, and the router
//! that gives every ticket an import opens, or a person opens by hand, its
//! owning team, its priority and its SLA due date.
//!
//! Owners are decided in this order: the policy's first matching `[[route]]`
//! rule; else the repository's CODEOWNERS (the last matching rule, its first
//! owner that is a team or person fixgate knows); else the application's
//! owning team; else nobody.

use std::collections::HashMap;
use std::sync::Arc;

use fixgate_domain::codeowners::{Codeowners, Owner};
use fixgate_domain::policy::FindingKind;
use fixgate_domain::triage::{
    AppProfile, Due, Pause, Priority, PriorityInput, RouteInput, TriagePolicy,
};
use fixgate_domain::{Finding, Severity, TicketType};
use fixgate_store::{ExploitSignal, Owners, PriorityAgain, StoredPolicy, TicketTriage, Triage};
use jiff::Timestamp;

use crate::{Fixgate, ServiceError};

/// The largest policy file fixgate takes.
pub const MAX_POLICY_BYTES: usize = 1 << 20;

impl Fixgate {
    /// The triage policy in force: the file last loaded, else the default.
    pub async fn triage_policy(&self) -> Result<TriagePolicy, ServiceError> {
        match self.store.triage_policy().await? {
            Some(stored) => TriagePolicy::parse(&stored.content).map_err(|err| {
                ServiceError::Invalid(format!("the stored triage policy no longer reads: {err}"))
            }),
            None => Ok(TriagePolicy::default()),
        }
    }

    /// The policy file last loaded, as it was written.
    pub async fn stored_triage_policy(&self) -> Result<Option<StoredPolicy>, ServiceError> {
        Ok(self.store.triage_policy().await?)
    }

    /// The router for the tickets a scan of `application` (and
    /// `repository`) opens at `start`, in `environment`.
    pub(crate) async fn router(
        &self,
        application: &str,
        repository: Option<&str>,
        environment: Option<&str>,
        start: Timestamp,
    ) -> Result<Arc<dyn Triage>, ServiceError> {
        Ok(Arc::new(self.router_for(application, repository, environment, start).await?))
    }

    async fn router_for(
        &self,
        application: &str,
        repository: Option<&str>,
        environment: Option<&str>,
        start: Timestamp,
    ) -> Result<Router, ServiceError> {
        let policy = self.triage_policy().await?;
        let codeowners = match repository {
            Some(url) => match self.store.codeowners(url).await? {
                // Stored files were checked when they were set.
                Some(text) => Codeowners::parse(&text).ok(),
                None => None,
            },
            None => None,
        };
        let owners = self.store.owners(application).await?;
        let profile = policy.application(application);
        let production = profile.production || environment.is_some_and(is_production);
        Ok(Router {
            application: application.to_string(),
            repository: repository.map(str::to_string),
            profile,
            production,
            policy,
            codeowners,
            owners,
            start,
        })
    }
}

/// `text` read as a triage policy file, once every line reads. Loading it
/// (`load_triage_policy`) re-routes open tickets; open tickets keep their
/// priority and due date.
pub(crate) fn checked_policy(text: &str) -> Result<TriagePolicy, ServiceError> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(ServiceError::Invalid(format!(
            "the policy file is {} bytes; the largest fixgate takes is {MAX_POLICY_BYTES}",
            text.len()
        )));
    }
    TriagePolicy::parse(text)
        .map_err(|err| ServiceError::Invalid(format!("the triage policy: {err}")))
}

/// `production`, `prod`, `prd`, `live`, in any case.
fn is_production(environment: &str) -> bool {
    let environment = environment.trim().to_ascii_lowercase();
    matches!(environment.as_str(), "production" | "prod" | "prd" | "live")
}

/// Decides the triage of one scan's new tickets.
#[derive(Debug)]
pub(crate) struct Router {
    policy: TriagePolicy,
    codeowners: Option<Codeowners>,
    owners: Owners,
    application: String,
    repository: Option<String>,
    profile: AppProfile,
    production: bool,
    start: Timestamp,
}

impl Router {
    /// The owning team of `finding` and the rule that chose it.
    pub(crate) fn owner(&self, finding: &Finding) -> Option<(String, String)> {
        self.owner_of(&RouteInput {
            application: &self.application,
            repository: self.repository.as_deref(),
            path: path_of(finding),
            ecosystem: ecosystem_of(finding),
            kind: Some(FindingKind::of(finding)),
            ticket_type: TicketType::Vulnerability,
            cwes: &finding.cwes,
        })
    }

    /// The owning team of what `input` describes, by this router's rules.
    fn owner_of(&self, input: &RouteInput<'_>) -> Option<(String, String)> {
        let rules = OwnerRules {
            policy: &self.policy,
            codeowners: self.codeowners.as_ref(),
            teams: &self.owners.teams,
            memberships: &self.owners.memberships,
            application_teams: &self.owners.application_teams,
        };
        rules.owner(input)
    }

    /// What the priority rules see of the application; the caller fills in
    /// the ticket.
    fn priority_input(&self) -> PriorityInput<'_> {
        PriorityInput {
            severity: fixgate_domain::Severity::Info,
            kind: None,
            ticket_type: TicketType::Vulnerability,
            application: &self.application,
            production: self.production,
            internet_facing: self.profile.internet_facing,
            tier: self.profile.tier,
            kev: false,
            epss: None,
        }
    }
}

/// What decides the owning team of a ticket, borrowed, so that re-routing
/// many tickets decides each as an import would without copying the rules.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OwnerRules<'a> {
    pub policy: &'a TriagePolicy,
    /// The ticket's repository's CODEOWNERS file, when it has one.
    pub codeowners: Option<&'a Codeowners>,
    pub teams: &'a [String],
    /// (person, team), as [`Owners::memberships`].
    pub memberships: &'a [(String, String)],
    /// The ticket's application's owning teams.
    pub application_teams: &'a [String],
}

impl OwnerRules<'_> {
    /// The owning team of what `input` describes and the rule that chose it:
    /// the first route rule that matches, else CODEOWNERS for its path, else
    /// the application's team.
    pub(crate) fn owner(&self, input: &RouteInput<'_>) -> Option<(String, String)> {
        if let Some(rule) = self.policy.route(input) {
            let name = rule.name.map(|n| format!(" ({n})")).unwrap_or_default();
            return Some((
                rule.team,
                format!("route rule {}{name}, line {}", rule.rule, rule.line),
            ));
        }
        if let (Some(codeowners), Some(path)) = (self.codeowners, input.path) {
            for ownership in codeowners.owners_of(path).into_iter().rev() {
                if let Some(team) = ownership.owners.iter().find_map(|o| self.team_of(o)) {
                    return Some((
                        team,
                        format!("CODEOWNERS line {} ({})", ownership.line, ownership.pattern),
                    ));
                }
            }
        }
        self.application_teams
            .first()
            .map(|team| (team.clone(), format!("owning team of {}", input.application)))
    }

    /// The fixgate team a CODEOWNERS owner stands for: a team of that name
    /// (`@acme/payments` is team `acme/payments` or `payments`), or the
    /// first team of the person of that name or email.
    fn team_of(&self, owner: &Owner) -> Option<String> {
        let team_named =
            |name: &str| self.teams.iter().find(|t| t.eq_ignore_ascii_case(name)).cloned();
        let team_of_person = |name: &str| {
            self.memberships
                .iter()
                .find(|(person, _)| person.eq_ignore_ascii_case(name))
                .map(|(_, team)| team.clone())
        };
        match owner {
            Owner::Team(name) => {
                team_named(name).or_else(|| name.rsplit('/').next().and_then(team_named))
            }
            Owner::User(name) => team_of_person(name),
            Owner::Email(address) => team_of_person(address)
                .or_else(|| address.split('@').next().and_then(team_of_person)),
            Owner::Role(_) => None,
        }
    }
}

impl Triage for Router {
    fn triage(&self, tickets: &[(&Finding, Option<&ExploitSignal>)]) -> Vec<TicketTriage> {
        let mut owners: HashMap<RouteKey<'_>, Owned> = HashMap::new();
        // A scan's tickets fall under a handful of these: a scan through
        // them costs less than hashing each ticket's key.
        let mut priorities: Vec<(PriorityKey, Prioritised)> = Vec::new();
        tickets
            .iter()
            .map(|(finding, exploit)| {
                let (owner, routed_by) = owners
                    .entry(self.route_key(finding))
                    .or_insert_with(|| self.owned(finding))
                    .clone();
                let kev = exploit.is_some_and(|e| e.kev);
                let epss = exploit.and_then(|e| e.epss);
                let key = PriorityKey {
                    severity: finding.severity,
                    kind: FindingKind::of(finding),
                    kev,
                    epss: epss.map(f64::to_bits),
                };
                let index = match priorities.iter().position(|(k, _)| *k == key) {
                    Some(index) => index,
                    None => {
                        priorities.push((key, self.prioritised(key.input(epss))));
                        priorities.len() - 1
                    }
                };
                let prioritised = priorities.get(index).map(|(_, p)| p);
                TicketTriage {
                    owner,
                    routed_by,
                    priority: prioritised.map(|p| p.priority),
                    priority_reason: prioritised.map(|p| p.reason.clone()),
                    due: prioritised.and_then(|p| p.due),
                    kev,
                    epss,
                }
            })
            .collect()
    }

    fn priority(&self, input: PriorityAgain) -> (Priority, String) {
        let prioritised = self.policy.priority(&self.priority_again_input(input));
        (prioritised.priority, prioritised.reasons.join("; "))
    }

    fn due(&self, priority: Priority, start: Timestamp, pauses: &[Pause]) -> Option<Due> {
        self.policy.sla().due(priority, start, pauses)
    }
}

/// A ticket's owning team and the rule that chose it, shared by the
/// tickets whose findings the routing cannot tell apart.
type Owned = (Option<Arc<str>>, Option<Arc<str>>);

/// What routing reads of a finding: its path, ecosystem, kind and CWEs,
/// each left out when no route rule (nor, for the path, CODEOWNERS) could
/// tell two findings apart by it.
type RouteKey<'f> = (Option<&'f str>, Option<&'f str>, Option<FindingKind>, Option<&'f [u32]>);

/// What the priority rules read of a ticket that the scan does not fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PriorityKey {
    severity: Severity,
    kind: FindingKind,
    kev: bool,
    /// The score's bits: equal scores decide alike.
    epss: Option<u64>,
}

impl PriorityKey {
    fn input(self, epss: Option<f64>) -> PriorityAgain {
        PriorityAgain { severity: self.severity, kind: self.kind, kev: self.kev, epss }
    }
}

/// A priority decided for this scan's new tickets, with its due date.
struct Prioritised {
    priority: Priority,
    reason: Arc<str>,
    due: Option<Due>,
}

impl Router {
    fn route_key<'f>(&self, finding: &'f Finding) -> RouteKey<'f> {
        let routes = self.policy.route_count() > 0;
        let path = (routes || self.codeowners.is_some()).then(|| path_of(finding)).flatten();
        if !routes {
            return (path, None, None, None);
        }
        (path, ecosystem_of(finding), Some(FindingKind::of(finding)), Some(&finding.cwes))
    }

    fn owned(&self, finding: &Finding) -> Owned {
        let (owner, routed_by) = self.owner(finding).unzip();
        (owner.map(Arc::from), routed_by.map(Arc::from))
    }

    fn prioritised(&self, input: PriorityAgain) -> Prioritised {
        let (priority, reason) = self.priority(input);
        Prioritised {
            priority,
            reason: Arc::from(reason),
            due: self.policy.sla().due(priority, self.start, &[]),
        }
    }

    /// What the priority rules see of an imported ticket.
    fn priority_again_input(&self, input: PriorityAgain) -> PriorityInput<'_> {
        PriorityInput {
            severity: input.severity,
            kind: Some(input.kind),
            ticket_type: TicketType::Vulnerability,
            kev: input.kev,
            epss: input.epss,
            ..self.priority_input()
        }
    }
}

fn path_of(finding: &Finding) -> Option<&str> {
    finding.location.as_ref().and_then(|l| l.path.as_deref())
}

/// The package's ecosystem: the type of its purl, else the one the report
/// named.
fn ecosystem_of(finding: &Finding) -> Option<&str> {
    finding.package.as_ref().and_then(|p| {
        p.purl
            .as_deref()
            .and_then(|purl| purl.strip_prefix("pkg:"))
            .and_then(|rest| rest.split('/').next())
            .or(p.ecosystem.as_deref())
    })
}

/// What a person opening a ticket by hand said of it, for its triage.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HandMade<'a> {
    pub ticket_type: TicketType,
    pub severity: fixgate_domain::Severity,
    pub application: Option<&'a str>,
    pub repository: Option<&'a str>,
    pub path: Option<&'a str>,
    /// What the person gave, which wins over the policy.
    pub owner: Option<&'a str>,
    pub priority: Option<Priority>,
    pub due_at: Option<Timestamp>,
}

impl Fixgate {
    /// The triage of a ticket `actor` opens by hand at `start`, when its
    /// SLA clock starts. What the person gave wins and says "set by
    /// `actor`"; the policy decides the rest as it does for a scan's
    /// tickets: the owner by route rules, then CODEOWNERS (only when the
    /// ticket names a file), then the application's team; the priority
    /// from the severity and the rules (a ticket opened by hand has no
    /// finding kind and no exploit signal); the due date from the SLA, or
    /// a due date given with its warning counted back from it.
    pub(crate) async fn triage_by_hand(
        &self,
        ticket: &HandMade<'_>,
        actor: &str,
        start: Timestamp,
    ) -> Result<TicketTriage, ServiceError> {
        let application = ticket.application.unwrap_or_default();
        let router = self.router_for(application, ticket.repository, None, start).await?;
        let set_by = || format!("set by {actor}");

        let (owner, routed_by) = match ticket.owner {
            Some(owner) => (Some(owner.to_string()), Some(set_by())),
            None => router
                .owner_of(&RouteInput {
                    application,
                    repository: ticket.repository,
                    path: ticket.path,
                    ecosystem: None,
                    kind: None,
                    ticket_type: ticket.ticket_type,
                    cwes: &[],
                })
                .unzip(),
        };
        let (priority, reason) = match ticket.priority {
            Some(priority) => (priority, set_by()),
            None => {
                let prioritised = router.policy.priority(&PriorityInput {
                    severity: ticket.severity,
                    ticket_type: ticket.ticket_type,
                    ..router.priority_input()
                });
                (prioritised.priority, prioritised.reasons.join("; "))
            }
        };
        let sla = router.policy.sla();
        let due = match ticket.due_at {
            Some(due_at) => {
                Some(Due { due_at, due_soon_at: sla.due_soon_before(priority, start, due_at) })
            }
            None => sla.due(priority, start, &[]),
        };

        Ok(TicketTriage {
            owner: owner.map(Arc::from),
            routed_by: routed_by.map(Arc::from),
            priority: Some(priority),
            priority_reason: Some(Arc::from(reason)),
            due,
            kev: false,
            epss: None,
        })
    }
}

/// A person's change of a ticket's priority.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPriority {
    pub priority: fixgate_domain::triage::Priority,
    pub reason: String,
}

impl Fixgate {
    /// Fills in what a stored ticket row does not hold: its custom state's
    /// label, the day it is due in the policy's time zone, and where it
    /// stands against it now.
    pub(crate) fn annotate(&self, rows: &mut [fixgate_store::TicketRow], policy: &TriagePolicy) {
        let now = self.clock.now();
        let zone = policy.sla().time_zone();
        for row in rows {
            // A status the policy in force no longer has reads as the
            // built-in state it was stored with.
            let workflow = policy.workflow(row.ticket_type).filter(|w| !w.is_built_in());
            let state = row.status.as_deref().and_then(|name| workflow?.state(name));
            row.status_label = state.map(|s| s.label.clone());
            row.due = row.due_at.map(|at| zone.to_datetime(at).date());
            row.sla = if row.state.is_open() {
                let due = row.due_at.map(|due_at| fixgate_domain::triage::Due {
                    due_at,
                    due_soon_at: row.due_soon_at.unwrap_or(due_at),
                });
                fixgate_domain::triage::sla_status(now, due.as_ref(), row.paused_since.is_some())
            } else {
                None
            };
        }
    }

    /// Sets ticket `key`'s priority and recomputes its due date from the
    /// first detection, as the policy's SLA says for the new priority.
    pub async fn set_priority(
        &self,
        key: &str,
        request: SetPriority,
        actor: &str,
    ) -> Result<fixgate_store::TicketDetail, ServiceError> {
        let key = crate::tickets::normalize_key(key);
        let reason = request.reason.trim();
        if reason.is_empty() {
            return Err(ServiceError::Invalid("reason: say why the priority changes".into()));
        }
        let now = self.clock.now();
        self.store.set_priority(&key, request.priority, reason, actor, now).await?;
        let why = format!("priority set to {}", request.priority);
        self.refresh_due(&key, &why, actor).await?;
        self.ticket(&key).await
    }

    /// Recomputes ticket `key`'s due date from its priority, the start of
    /// its SLA clock and its pauses, recording a change. A ticket without a
    /// priority keeps the due date people gave it.
    pub(crate) async fn refresh_due(
        &self,
        key: &str,
        reason: &str,
        actor: &str,
    ) -> Result<(), ServiceError> {
        let detail = self.store.ticket(key).await?;
        let Some(priority) = detail.ticket.priority else {
            return Ok(());
        };
        if detail.ticket.paused_since.is_some() {
            return Ok(());
        }
        let policy = self.triage_policy().await?;
        let start = detail.triage.sla_started_at.unwrap_or(detail.ticket.created_at);
        let pauses: Vec<fixgate_domain::triage::Pause> = detail
            .triage
            .pauses
            .iter()
            .map(|p| fixgate_domain::triage::Pause { start: p.started_at, end: p.ended_at })
            .collect();
        let due = policy.sla().due(priority, start, &pauses).map(|d| (d.due_at, d.due_soon_at));
        self.store.set_due(key, due, reason, actor, self.clock.now()).await?;
        Ok(())
    }
}

/// What one background sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Tickets whose risk acceptance expired and which reopened.
    pub reopened: Vec<String>,
    pub due_soon: Vec<String>,
    pub breached: Vec<String>,
}

impl Fixgate {
    /// Reopens tickets whose risk acceptance expired, then records (once per
    /// due date) the tickets that turned due soon or breached, queueing a
    /// notice for their team.
    pub async fn sweep(&self) -> Result<Sweep, ServiceError> {
        let reopened = self.expire_acceptances().await?.into_iter().map(|l| l.key).collect();
        let sla = self.store.sweep_sla(self.clock.now()).await?;
        Ok(Sweep { reopened, due_soon: sla.due_soon, breached: sla.breached })
    }
}
