//! Priorities and the rules that set them: a finding's severity gives a
//! first priority, then the policy's rules, read top to bottom, adjust it
//! with what fixgate knows about the application and the vulnerability
//! (tier, production, exposure, known exploitation, EPSS).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::PolicyFileError;
use super::file::{At, RawPriority, RawPriorityRule, RawWhen, Source, Table, each};
use crate::{FindingKind, Severity, TicketType};

/// How soon a ticket must be fixed, which sets its SLA. The derived order
/// puts `Critical` first, the order lists show; [`Priority::rank`] gives a
/// number where critical is highest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Critical,
    High,
    Medium,
    Low,
}

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: [Priority; 4] =
        [Priority::Critical, Priority::High, Priority::Medium, Priority::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Priority::Critical => "Critical",
            Priority::High => "High",
            Priority::Medium => "Medium",
            Priority::Low => "Low",
        }
    }

    /// 4 for critical down to 1 for low, for storage and ORDER BY.
    pub fn rank(self) -> i64 {
        match self {
            Priority::Critical => 4,
            Priority::High => 3,
            Priority::Medium => 2,
            Priority::Low => 1,
        }
    }

    pub fn from_rank(rank: i64) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.rank() == rank)
    }

    /// `steps` more urgent, stopping at critical.
    pub fn raised(self, steps: u8) -> Priority {
        let rank = self.rank().saturating_add(i64::from(steps)).min(Priority::Critical.rank());
        Priority::from_rank(rank).unwrap_or(Priority::Critical)
    }

    /// `steps` less urgent, stopping at low.
    pub fn lowered(self, steps: u8) -> Priority {
        let rank = self.rank().saturating_sub(i64::from(steps)).max(Priority::Low.rank());
        Priority::from_rank(rank).unwrap_or(Priority::Low)
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text named no priority.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown priority {0:?}; expected critical, high, medium or low")]
pub struct UnknownPriority(pub String);

impl FromStr for Priority {
    type Err = UnknownPriority;

    fn from_str(s: &str) -> Result<Priority, UnknownPriority> {
        let wanted = s.trim().to_ascii_lowercase();
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str() == wanted)
            .ok_or_else(|| UnknownPriority(s.to_string()))
    }
}

/// What the priority rules may look at. The caller fills in the
/// application's profile ([`super::TriagePolicy::application`]) and what
/// it knows of the vulnerability.
#[derive(Debug, Clone, Copy)]
pub struct PriorityInput<'a> {
    pub severity: Severity,
    /// `None` for a ticket opened by hand: it meets no `kind` condition.
    pub kind: Option<FindingKind>,
    /// A scan's findings are vulnerabilities; a ticket opened by hand may
    /// be of any type.
    pub ticket_type: TicketType,
    pub application: &'a str,
    /// The application's profile says production, or the scan's
    /// environment does.
    pub production: bool,
    pub internet_facing: bool,
    /// 1 (most critical) to 4.
    pub tier: u8,
    /// The CVE is in CISA's Known Exploited Vulnerabilities catalogue.
    pub kev: bool,
    /// The EPSS probability (0 to 1), when the vulnerability has one.
    pub epss: Option<f64>,
}

/// A priority and how it came about, one line per step, for the ticket's
/// history: `["severity high", "rule 1 (kev): at least high"]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prioritised {
    pub priority: Priority,
    pub reasons: Vec<String>,
}

/// The priority section of a policy: the severity mapping and the rules.
#[derive(Debug, Clone)]
pub(super) struct PriorityPolicy {
    /// The priority of each severity, in [`Severity::ALL`]'s order.
    base: [Priority; 5],
    rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
struct Rule {
    name: Option<String>,
    when: Conditions,
    adjust: Adjust,
}

/// What a rule does to the priority so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Adjust {
    Set(Priority),
    Raise(u8),
    Lower(u8),
    AtLeast(Priority),
    AtMost(Priority),
}

impl Adjust {
    fn apply(self, priority: Priority) -> Priority {
        match self {
            Adjust::Set(to) => to,
            Adjust::Raise(steps) => priority.raised(steps),
            Adjust::Lower(steps) => priority.lowered(steps),
            Adjust::AtLeast(floor) => {
                if priority.rank() < floor.rank() {
                    floor
                } else {
                    priority
                }
            }
            Adjust::AtMost(ceiling) => {
                if priority.rank() > ceiling.rank() {
                    ceiling
                } else {
                    priority
                }
            }
        }
    }
}

impl fmt::Display for Adjust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Adjust::Set(to) => write!(f, "set {to}"),
            Adjust::Raise(steps) => write!(f, "raise {steps}"),
            Adjust::Lower(steps) => write!(f, "lower {steps}"),
            Adjust::AtLeast(floor) => write!(f, "at least {floor}"),
            Adjust::AtMost(ceiling) => write!(f, "at most {ceiling}"),
        }
    }
}

/// A rule's `when`: every condition given must hold; none given, the rule
/// applies to everything.
#[derive(Debug, Clone, Default)]
struct Conditions {
    severity: Option<Vec<Severity>>,
    tier: Option<Vec<u8>>,
    production: Option<bool>,
    internet_facing: Option<bool>,
    kev: Option<bool>,
    epss_at_least: Option<f64>,
    epss_below: Option<f64>,
    kind: Option<Vec<FindingKind>>,
    application: Option<Vec<String>>,
    ticket_type: Option<Vec<TicketType>>,
}

impl Conditions {
    fn hold(&self, input: &PriorityInput<'_>) -> bool {
        let flag = |wanted: Option<bool>, value: bool| wanted.is_none_or(|w| w == value);
        // A vulnerability without an EPSS score meets no EPSS condition.
        let epss = |bound: Option<f64>, holds: fn(f64, f64) -> bool| {
            bound.is_none_or(|b| input.epss.is_some_and(|e| holds(e, b)))
        };
        listed(&self.severity, input.severity)
            && listed(&self.tier, input.tier)
            && flag(self.production, input.production)
            && flag(self.internet_facing, input.internet_facing)
            && flag(self.kev, input.kev)
            && epss(self.epss_at_least, |e, b| e >= b)
            && epss(self.epss_below, |e, b| e < b)
            && self.kind.as_ref().is_none_or(|l| input.kind.is_some_and(|k| l.contains(&k)))
            && listed(&self.ticket_type, input.ticket_type)
            && self.application.as_ref().is_none_or(|l| l.iter().any(|a| a == input.application))
    }
}

impl PriorityPolicy {
    /// The base priority of a severity before any rule.
    pub fn base(&self, severity: Severity) -> Priority {
        Severity::ALL
            .iter()
            .zip(self.base)
            .find_map(|(s, p)| (*s == severity).then_some(p))
            .unwrap_or(Priority::Low)
    }

    /// The severity mapping alone, without rules.
    pub fn empty() -> PriorityPolicy {
        PriorityPolicy { base: DEFAULT_BASE, rules: Vec::new() }
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    pub fn priority(&self, input: &PriorityInput<'_>) -> Prioritised {
        let mut priority = self.base(input.severity);
        let mut reasons = vec![if priority.as_str() == input.severity.as_str() {
            format!("severity {}", input.severity)
        } else {
            format!("severity {}, mapped to {priority}", input.severity)
        }];
        for (index, rule) in self.rules.iter().enumerate() {
            if !rule.when.hold(input) {
                continue;
            }
            priority = rule.adjust.apply(priority);
            let name = rule.name.as_ref().map(|n| format!(" ({n})")).unwrap_or_default();
            reasons.push(format!("rule {}{name}: {}", index + 1, rule.adjust));
        }
        Prioritised { priority, reasons }
    }

    pub fn read(source: &Source<'_>, raw: &RawPriority) -> Result<PriorityPolicy, PolicyFileError> {
        let base = match &raw.base {
            Some(table) => read_base(source, table)?,
            None => DEFAULT_BASE,
        };
        let rules =
            raw.rule.iter().map(|rule| read_rule(source, rule)).collect::<Result<_, _>>()?;
        Ok(PriorityPolicy { base, rules })
    }
}

/// critical, high, medium and low keep their names; info becomes low.
const DEFAULT_BASE: [Priority; 5] =
    [Priority::Critical, Priority::High, Priority::Medium, Priority::Low, Priority::Low];

fn read_base(source: &Source<'_>, table: &Table<String>) -> Result<[Priority; 5], PolicyFileError> {
    let mut base = DEFAULT_BASE;
    for (key, value) in table {
        let position = Severity::ALL
            .iter()
            .position(|s| s.as_str() == key.get_ref())
            .ok_or_else(|| source.error(key.span(), unknown_severity(key.get_ref())))?;
        let priority = priority(source, value)?;
        if let Some(slot) = base.get_mut(position) {
            *slot = priority;
        }
    }
    Ok(base)
}

fn read_rule(source: &Source<'_>, raw: &At<RawPriorityRule>) -> Result<Rule, PolicyFileError> {
    let rule = raw.get_ref();
    let name = rule.name.as_ref().map(|n| n.get_ref().trim().to_string()).filter(|n| !n.is_empty());
    let when = match &rule.when {
        Some(when) => read_when(source, when.get_ref())?,
        None => Conditions::default(),
    };
    let mut actions = Vec::new();
    if let Some(set) = &rule.set {
        actions.push(Adjust::Set(priority(source, set)?));
    }
    if let Some(raise) = &rule.raise {
        actions.push(Adjust::Raise(steps(source, "raise", raise)?));
    }
    if let Some(lower) = &rule.lower {
        actions.push(Adjust::Lower(steps(source, "lower", lower)?));
    }
    if let Some(floor) = &rule.at_least {
        actions.push(Adjust::AtLeast(priority(source, floor)?));
    }
    if let Some(ceiling) = &rule.at_most {
        actions.push(Adjust::AtMost(priority(source, ceiling)?));
    }
    match actions.as_slice() {
        [adjust] => Ok(Rule { name, when, adjust: *adjust }),
        [] => Err(source.error(
            raw.span(),
            "a priority rule needs one action: set, raise, lower, at_least or at_most",
        )),
        _ => Err(source.error(
            raw.span(),
            format!(
                "a priority rule has one action, this one has {}: \
                 split it into one rule per action",
                actions.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

fn read_when(source: &Source<'_>, raw: &RawWhen) -> Result<Conditions, PolicyFileError> {
    let severity = raw.severity.as_ref().map(|list| {
        each(source, "severity", list, |name| {
            Severity::ALL
                .into_iter()
                .find(|s| s.as_str() == name)
                .ok_or_else(|| unknown_severity(name))
        })
    });
    let tier =
        raw.tier.as_ref().map(|list| each(source, "tier", list, |tier| super::tier_of(*tier)));
    let kind = raw.kind.as_ref().map(|list| each(source, "kind", list, |name| super::kind(name)));
    let application =
        raw.application.as_ref().map(|list| each(source, "application", list, |n| Ok(n.clone())));
    let ticket_type =
        raw.ticket_type.as_ref().map(|list| each(source, "type", list, |t| super::ticket_type(t)));
    let conditions = Conditions {
        severity: severity.transpose()?,
        tier: tier.transpose()?,
        production: raw.production,
        internet_facing: raw.internet_facing,
        kev: raw.kev,
        epss_at_least: raw.epss_at_least.as_ref().map(|e| epss(source, e)).transpose()?,
        epss_below: raw.epss_below.as_ref().map(|e| epss(source, e)).transpose()?,
        kind: kind.transpose()?,
        application: application.transpose()?,
        ticket_type: ticket_type.transpose()?,
    };
    if let (Some(low), Some(high)) = (&raw.epss_at_least, &raw.epss_below)
        && low.get_ref() >= high.get_ref()
    {
        return Err(source.error(
            high.span(),
            format!(
                "epss_below = {} is not above epss_at_least = {}: no score meets both",
                high.get_ref(),
                low.get_ref()
            ),
        ));
    }
    Ok(conditions)
}

/// No list, or a list that holds `value`.
fn listed<T: PartialEq>(list: &Option<Vec<T>>, value: T) -> bool {
    list.as_ref().is_none_or(|l| l.contains(&value))
}

fn priority(source: &Source<'_>, value: &At<String>) -> Result<Priority, PolicyFileError> {
    value.get_ref().parse().map_err(|e: UnknownPriority| source.error(value.span(), e.to_string()))
}

fn steps(source: &Source<'_>, key: &str, value: &At<i64>) -> Result<u8, PolicyFileError> {
    match u8::try_from(*value.get_ref()) {
        Ok(steps @ 1..=3) => Ok(steps),
        _ => Err(source.error(
            value.span(),
            format!("{key} = {} is out of range: expected 1, 2 or 3 steps", value.get_ref()),
        )),
    }
}

fn epss(source: &Source<'_>, value: &At<f64>) -> Result<f64, PolicyFileError> {
    let epss = *value.get_ref();
    if (0.0..=1.0).contains(&epss) {
        Ok(epss)
    } else {
        Err(source.error(
            value.span(),
            format!("EPSS {epss} is out of range: a probability is between 0 and 1"),
        ))
    }
}

fn unknown_severity(name: &str) -> String {
    format!("unknown severity {name:?}; expected critical, high, medium, low or info")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raising_and_lowering_stop_at_the_ends() {
        assert_eq!(Priority::High.raised(3), Priority::Critical);
        assert_eq!(Priority::Low.raised(1), Priority::Medium);
        assert_eq!(Priority::Medium.lowered(5), Priority::Low);
        assert_eq!(Priority::Critical.lowered(1), Priority::High);
    }

    #[test]
    fn priorities_read_back_from_their_names_and_ranks() {
        for p in Priority::ALL {
            assert_eq!(p.as_str().parse::<Priority>(), Ok(p));
            assert_eq!(p.to_string(), p.as_str());
            assert_eq!(Priority::from_rank(p.rank()), Some(p));
        }
        assert!(Priority::Critical.rank() > Priority::Low.rank());
        assert!(Priority::Critical < Priority::Low, "lists sort critical first");
        let err = "urgent".parse::<Priority>().unwrap_err().to_string();
        assert_eq!(err, r#"unknown priority "urgent"; expected critical, high, medium or low"#);
    }
}
