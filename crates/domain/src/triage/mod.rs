//! Triage by policy: every ticket lands with a priority, an owner team and
//! an SLA due date, by the rules of one TOML file an administrator edits
//! (`docs/triage-policy.md` describes it; [`DEFAULT_POLICY`] is the file
//! fixgate starts from).
//!
//! The file has five parts: the SLA (days per priority, calendar or
//! business days, time zone, holidays), the priority (a mapping from
//! severity, then rules that adjust it), the applications' profiles (tier,
//! production, internet facing), routes (which team owns what CODEOWNERS
//! cannot say) and workflows (custom states and moves per ticket type).
//! Reading it checks everything; a mistake is an error that names its
//! line and column.

mod file;
mod priority;
mod route;
mod sla;
mod workflow;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{FindingKind, TicketType};
use file::{RawApplication, RawPolicy, Source};

pub use priority::{Prioritised, Priority, PriorityInput, UnknownPriority};
pub use route::{RouteInput, RouteMatch};
pub use sla::{Due, Pause, SlaCalendar, SlaPolicy, SlaStatus, UnknownSlaStatus, sla_status};
pub use workflow::{
    Field, FromStates, GivenFields, Transition, Workflow, WorkflowError, WorkflowState,
};

/// The policy fixgate uses until an administrator gives it one, and the
/// file to start one from: every key with its default, explained.
pub const DEFAULT_POLICY: &str = include_str!("default.toml");

/// A mistake in a policy file, where it is: `line 14, column 9: unknown
/// priority "urgent"; expected critical, high, medium or low`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct PolicyFileError {
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
}

/// What the policy knows about an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AppProfile {
    /// 1 (most critical) to 4.
    pub tier: u8,
    pub production: bool,
    pub internet_facing: bool,
}

impl Default for AppProfile {
    fn default() -> AppProfile {
        AppProfile { tier: 3, production: false, internet_facing: false }
    }
}

/// A read and checked triage policy.
#[derive(Debug, Clone)]
pub struct TriagePolicy {
    sla: SlaPolicy,
    priority: priority::PriorityPolicy,
    /// `[applications.default]`, over the built-in profile.
    default_application: AppProfile,
    applications: BTreeMap<String, AppProfile>,
    routes: Vec<route::Route>,
    workflows: Vec<Workflow>,
}

impl Default for TriagePolicy {
    fn default() -> TriagePolicy {
        TriagePolicy::shipped()
    }
}

impl TriagePolicy {
    /// Reads a policy file. What the file leaves out takes the defaults
    /// `docs/triage-policy.md` lists; rules, routes and workflows it leaves
    /// out do not exist.
    pub fn parse(text: &str) -> Result<TriagePolicy, PolicyFileError> {
        let source = Source::new(text);
        let raw: RawPolicy = toml::from_str(text).map_err(|err| {
            let span = err.span().unwrap_or(0..0);
            source.error(span, err.message().trim_end().to_string())
        })?;
        // Sections are checked in the order the documented file has them,
        // so the error reported is usually the first in the file.
        let sla = SlaPolicy::read(&source, &raw.sla)?;
        let priority = priority::PriorityPolicy::read(&source, &raw.priority)?;
        let (default_application, applications) = applications(&source, &raw)?;
        let routes = raw.route.iter().map(|r| route::read(&source, r)).collect::<Result<_, _>>()?;
        let workflows = raw
            .workflow
            .iter()
            .map(|(name, workflow)| workflow::read(&source, name, workflow))
            .collect::<Result<_, _>>()?;
        Ok(TriagePolicy { sla, priority, default_application, applications, routes, workflows })
    }

    /// The policy of [`DEFAULT_POLICY`]. Also `Default`; the inherent
    /// function is part of the triage API, so callers need no trait import.
    #[allow(clippy::should_implement_trait)]
    pub fn default() -> TriagePolicy {
        TriagePolicy::shipped()
    }

    fn shipped() -> TriagePolicy {
        // The file ships inside the binary and a test reads it, so it
        // always parses; falling back to the empty policy keeps this total.
        TriagePolicy::parse(DEFAULT_POLICY).unwrap_or_else(|_| TriagePolicy::empty())
    }

    /// Built-in defaults only: SLA days, the severity mapping, no rules,
    /// no routes, no workflows. What an empty file reads as.
    pub fn empty() -> TriagePolicy {
        TriagePolicy {
            sla: SlaPolicy::default(),
            priority: priority::PriorityPolicy::empty(),
            default_application: AppProfile::default(),
            applications: BTreeMap::new(),
            routes: Vec::new(),
            workflows: Vec::new(),
        }
    }

    /// The profile of application `name`: its own section, else
    /// `[applications.default]`, else tier 3, not production, not
    /// internet facing.
    pub fn application(&self, name: &str) -> AppProfile {
        self.applications.get(name).copied().unwrap_or(self.default_application)
    }

    /// The applications the policy names, with their profiles.
    pub fn applications(&self) -> impl Iterator<Item = (&str, AppProfile)> + '_ {
        self.applications.iter().map(|(name, profile)| (name.as_str(), *profile))
    }

    /// The priority of a finding, and each step that set it.
    pub fn priority(&self, input: &PriorityInput<'_>) -> Prioritised {
        self.priority.priority(input)
    }

    /// The priority a severity has before any rule.
    pub fn base_priority(&self, severity: crate::Severity) -> Priority {
        self.priority.base(severity)
    }

    /// How many priority rules the policy has.
    pub fn priority_rule_count(&self) -> usize {
        self.priority.rule_count()
    }

    /// The team of the first route that matches, if any.
    pub fn route(&self, input: &RouteInput<'_>) -> Option<RouteMatch> {
        route::route(&self.routes, input)
    }

    /// How many routes the policy has.
    pub fn route_count(&self) -> usize {
        self.routes.len()
    }

    pub fn sla(&self) -> &SlaPolicy {
        &self.sla
    }

    /// The policy's workflow for `ticket_type`; `None`: the built-in
    /// default workflow applies unchanged.
    pub fn workflow(&self, ticket_type: TicketType) -> Option<&Workflow> {
        self.workflows.iter().find(|w| w.ticket_type() == ticket_type)
    }
}

/// Reads `[applications.default]` over the built-in profile, then every
/// named application over it.
fn applications(
    source: &Source<'_>,
    raw: &RawPolicy,
) -> Result<(AppProfile, BTreeMap<String, AppProfile>), PolicyFileError> {
    let default = match raw.applications.iter().find(|(name, _)| name.get_ref() == "default") {
        Some((_, app)) => profile(source, app.get_ref(), AppProfile::default())?,
        None => AppProfile::default(),
    };
    let mut named = BTreeMap::new();
    for (name, app) in &raw.applications {
        if name.get_ref().trim().is_empty() {
            return Err(source.error(name.span(), "an application's name is empty"));
        }
        if name.get_ref() != "default" {
            named.insert(name.get_ref().clone(), profile(source, app.get_ref(), default)?);
        }
    }
    Ok((default, named))
}

fn profile(
    source: &Source<'_>,
    raw: &RawApplication,
    base: AppProfile,
) -> Result<AppProfile, PolicyFileError> {
    let tier = match &raw.tier {
        Some(tier) => {
            tier_of(*tier.get_ref()).map_err(|message| source.error(tier.span(), message))?
        }
        None => base.tier,
    };
    Ok(AppProfile {
        tier,
        production: raw.production.unwrap_or(base.production),
        internet_facing: raw.internet_facing.unwrap_or(base.internet_facing),
    })
}

/// A tier: 1 (most critical) to 4.
fn tier_of(tier: i64) -> Result<u8, String> {
    match u8::try_from(tier) {
        Ok(tier @ 1..=4) => Ok(tier),
        _ => Err(format!("tier {tier} is out of range; expected 1 (most critical) to 4")),
    }
}

/// A ticket type by its name.
fn ticket_type(name: &str) -> Result<TicketType, String> {
    name.parse::<TicketType>().map_err(|err| err.to_string())
}

/// A kind of finding by its name.
fn kind(name: &str) -> Result<FindingKind, String> {
    FindingKind::ALL
        .into_iter()
        .find(|k| k.as_str() == name.trim())
        .ok_or_else(|| format!("unknown kind {name:?}; expected sca, code, secrets or dast"))
}
