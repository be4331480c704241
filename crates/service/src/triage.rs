//! Triage by policy: the policy file an administrator loads, and the router
//! that gives every ticket an import opens its owning team, its priority and
//! its SLA due date.
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
use fixgate_domain::{Finding, Severity};
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

    /// Checks `text` as a triage policy file and, when every line reads,
    /// makes it the policy in force. Tickets already open keep their
    /// triage until re-routed.
    pub async fn load_triage_policy(
        &self,
        text: &str,
        actor: &str,
    ) -> Result<TriagePolicy, ServiceError> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(ServiceError::Invalid(format!(
                "the policy file is {} bytes; the largest fixgate takes is {MAX_POLICY_BYTES}",
                text.len()
            )));
        }
        let policy = TriagePolicy::parse(text)
            .map_err(|err| ServiceError::Invalid(format!("the triage policy: {err}")))?;
        self.store.save_triage_policy(text, actor, self.clock.now()).await?;
        Ok(policy)
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
        Ok(Arc::new(Router {
            application: application.to_string(),
            repository: repository.map(str::to_string),
            profile,
            production,
            policy,
            codeowners,
            owners,
            start,
        }))
    }
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
        let path = path_of(finding);
        let input = RouteInput {
            application: &self.application,
            repository: self.repository.as_deref(),
            path,
            ecosystem: ecosystem_of(finding),
            kind: FindingKind::of(finding),
            cwes: &finding.cwes,
        };
        if let Some(rule) = self.policy.route(&input) {
            let name = rule.name.map(|n| format!(" ({n})")).unwrap_or_default();
            return Some((
                rule.team,
                format!("route rule {}{name}, line {}", rule.rule, rule.line),
            ));
        }
        if let (Some(codeowners), Some(path)) = (&self.codeowners, path) {
            for ownership in codeowners.owners_of(path).into_iter().rev() {
                if let Some(team) = ownership.owners.iter().find_map(|o| self.team_of(o)) {
                    return Some((
                        team,
                        format!("CODEOWNERS line {} ({})", ownership.line, ownership.pattern),
                    ));
                }
            }
        }
        self.owners
            .application_teams
            .first()
            .map(|team| (team.clone(), format!("owning team of {}", self.application)))
    }

    /// The fixgate team a CODEOWNERS owner stands for: a team of that name
    /// (`@acme/payments` is team `acme/payments` or `payments`), or the
    /// first team of the person of that name or email.
    fn team_of(&self, owner: &Owner) -> Option<String> {
        let team_named =
            |name: &str| self.owners.teams.iter().find(|t| t.eq_ignore_ascii_case(name)).cloned();
        let team_of_person = |name: &str| {
            self.owners
                .memberships
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
        let prioritised = self.policy.priority(&self.priority_input(input));
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

    fn priority_input(&self, input: PriorityAgain) -> PriorityInput<'_> {
        PriorityInput {
            severity: input.severity,
            kind: input.kind,
            application: &self.application,
            production: self.production,
            internet_facing: self.profile.internet_facing,
            tier: self.profile.tier,
            kev: input.kev,
            epss: input.epss,
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

/// A person's change of a ticket's priority.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPriority {
    pub priority: fixgate_domain::triage::Priority,
    pub reason: String,
}

impl Fixgate {
    /// Fills in what a stored ticket row does not hold: the day it is due in
    /// the policy's time zone, and where it stands against it now.
    pub(crate) fn annotate(&self, rows: &mut [fixgate_store::TicketRow], policy: &TriagePolicy) {
        let now = self.clock.now();
        let zone = policy.sla().time_zone();
        for row in rows {
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
