//! Sorting a report's findings into the gate's four groups by what fixgate
//! tracks: new, still open, fixed by this change, suppressed. Pure: the
//! caller brings the earlier findings and the time decisions expire against.

use std::collections::BTreeSet;

use fixgate_domain::matching::{Keys, Matcher, Place, tool_family};
use fixgate_domain::{Finding, MatchLayer, Severity, TicketState};
use fixgate_store::TrackedFinding;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// An earlier finding the report is compared with, from the store or from a
/// baseline report.
#[derive(Debug, Clone)]
pub struct Known {
    pub keys: Keys,
    pub tool: String,
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub path: Option<String>,
    pub line: Option<u32>,
    pub ticket: Option<String>,
    pub state: Option<TicketState>,
    pub standing: Standing,
    /// A tracked branch sees it now: only such a finding can be fixed by the
    /// change under check.
    pub present: bool,
}

/// What fixgate's tracking makes of an earlier finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Tracked and open: a report that has it again only keeps it open.
    Open { note: Option<String> },
    /// A decision (false positive, accepted risk still in force) or a
    /// duplicate: the report's finding is suppressed, with this reason.
    Suppressed(String),
    /// Not tracked as open: the report's finding is new, for this reason.
    NotOpen(String),
}

impl Known {
    /// An earlier finding of the store, judged at `now` (a risk acceptance
    /// that has expired no longer suppresses).
    pub fn tracked(finding: TrackedFinding, now: Timestamp) -> Known {
        let standing = standing(&finding, now);
        let place = (!finding.secret_or_package)
            .then(|| place(&finding.tool, &finding.rule_id, finding.path.as_deref()))
            .flatten();
        let (ticket, state) = match finding.ticket {
            Some(ticket) => (Some(ticket.key), Some(ticket.state)),
            None => (None, None),
        };
        Known {
            keys: Keys {
                fingerprint: finding.fingerprint,
                content: finding.content_fingerprint,
                place,
                line: finding.start_line,
            },
            tool: finding.tool,
            rule_id: finding.rule_id,
            title: finding.title,
            severity: finding.severity,
            path: finding.path,
            line: finding.start_line,
            ticket,
            state,
            standing,
            present: finding.present_on_tracked,
        }
    }

    /// A finding of a baseline report: tracked and open, unless the baseline
    /// itself suppressed it (then it was never a problem to fix).
    pub fn baseline(finding: &Finding) -> Known {
        let (standing, present) = match &finding.suppression {
            None => (Standing::Open { note: None }, true),
            Some(_) => (Standing::NotOpen("suppressed in the baseline".into()), false),
        };
        let location = finding.location.as_ref();
        Known {
            keys: Keys::of(finding),
            tool: finding.tool.clone(),
            rule_id: finding.rule_id.clone(),
            title: finding.title.clone(),
            severity: finding.severity,
            path: location.and_then(|l| l.path.clone().or_else(|| l.logical.clone())),
            line: location.and_then(|l| l.start_line),
            ticket: None,
            state: None,
            standing,
            present,
        }
    }
}

fn place(tool: &str, rule_id: &str, path: Option<&str>) -> Option<Place> {
    Some((tool_family(tool), rule_id.to_string(), path?.to_string()))
}

/// Decisions first (they hold on every branch), then closed tickets, then
/// whether a tracked branch ever saw the finding.
fn standing(finding: &TrackedFinding, now: Timestamp) -> Standing {
    let Some(ticket) = &finding.ticket else {
        return Standing::NotOpen(if finding.seen_on_tracked {
            "no ticket tracks it".into()
        } else {
            "seen only on branches fixgate does not track".into()
        });
    };
    let state = ticket.state;
    let expired = ticket.decision_expires_at.filter(|at| *at <= now);
    match state {
        TicketState::Duplicate => Standing::Suppressed(format!("duplicate ({})", ticket.key)),
        _ if state.is_decision() && expired.is_none() => {
            let reason = ticket.decision_reason.as_deref().unwrap_or("no reason given");
            Standing::Suppressed(format!("{} ({}): {reason}", state.label(), ticket.key))
        }
        _ if state.is_decision() => {
            Standing::Open { note: expired.map(|at| format!("{} expired at {at}", state.label())) }
        }
        _ if state.is_closed() => Standing::NotOpen(format!(
            "regression: ticket {} was {}",
            ticket.key,
            state.label().to_lowercase()
        )),
        _ if !finding.seen_on_tracked => {
            Standing::NotOpen("seen only on branches fixgate does not track".into())
        }
        _ => Standing::Open { note: None },
    }
}

/// One finding in one of the gate's groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub severity: Severity,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    pub tool: String,
    pub rule_id: String,
    pub path: Option<String>,
    pub line: Option<u32>,
    pub fingerprint: String,
    /// The ticket of the earlier finding it matched.
    pub ticket: Option<String>,
    pub state: Option<TicketState>,
    /// Which layer of identity matched it to an earlier finding.
    pub matched_by: Option<MatchLayer>,
    /// The earlier finding's severity, when it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_severity: Option<Severity>,
    /// Why it is in its group, when that is not obvious: a suppression's
    /// reason, a regression, an expired acceptance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Item {
    /// `path:line`, the path, or nothing.
    pub fn location(&self) -> String {
        match (&self.path, self.line) {
            (Some(path), Some(line)) => format!("{path}:{line}"),
            (Some(path), None) => path.clone(),
            (None, _) => String::new(),
        }
    }

    /// SARIF's `baselineState` for the item in `group`.
    pub fn baseline_state(&self, group: Group) -> &'static str {
        match (group, self.matched_by) {
            (Group::Fixed, _) => "absent",
            (Group::New, _) | (_, None) => "new",
            (_, Some(MatchLayer::Tool)) if self.previous_severity.is_none() => "unchanged",
            _ => "updated",
        }
    }
}

/// The gate's four groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    New,
    StillOpen,
    Fixed,
    Suppressed,
}

impl Group {
    pub const ALL: [Group; 4] = [Group::New, Group::StillOpen, Group::Fixed, Group::Suppressed];

    pub fn label(self) -> &'static str {
        match self {
            Group::New => "New",
            Group::StillOpen => "Still open",
            Group::Fixed => "Fixed by this change",
            Group::Suppressed => "Suppressed",
        }
    }
}

/// The report's findings and the earlier ones it no longer has, by group,
/// most severe first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Groups {
    pub new: Vec<Item>,
    pub still_open: Vec<Item>,
    pub fixed: Vec<Item>,
    pub suppressed: Vec<Item>,
}

impl Groups {
    pub fn get(&self, group: Group) -> &[Item] {
        match group {
            Group::New => &self.new,
            Group::StillOpen => &self.still_open,
            Group::Fixed => &self.fixed,
            Group::Suppressed => &self.suppressed,
        }
    }

    fn get_mut(&mut self, group: Group) -> &mut Vec<Item> {
        match group {
            Group::New => &mut self.new,
            Group::StillOpen => &mut self.still_open,
            Group::Fixed => &mut self.fixed,
            Group::Suppressed => &mut self.suppressed,
        }
    }
}

/// Sorts `report` (fingerprints unique, as `Occurrences::assign` leaves
/// them) against `known`. `tools` are the report's tools, clean runs
/// included: only earlier findings of their families can be fixed by it.
pub fn classify(report: &[Finding], known: Vec<Known>, tools: &[String]) -> Groups {
    let mut matcher = Matcher::with_capacity(known.len());
    for earlier in known {
        matcher.insert(earlier.keys.clone(), earlier);
    }
    let keys: Vec<Keys> = report.iter().map(Keys::of).collect();
    // Exact layers for the whole report first, so a weak location match
    // never takes an earlier finding another result matches exactly.
    let mut matched: Vec<Option<(usize, MatchLayer)>> =
        keys.iter().map(|k| matcher.claim_exact(k)).collect();
    for (slot, keys) in matched.iter_mut().zip(&keys) {
        if slot.is_none() {
            *slot = matcher.claim_near(keys).map(|index| (index, MatchLayer::Location));
        }
    }

    let mut groups = Groups::default();
    for (finding, slot) in report.iter().zip(matched) {
        let earlier = slot.and_then(|(index, layer)| Some((matcher.get(index)?, layer)));
        let (group, item) = judge(finding, earlier);
        groups.get_mut(group).push(item);
    }
    let families: BTreeSet<String> = tools.iter().map(|t| tool_family(t)).collect();
    for (earlier, claimed) in matcher.iter() {
        let open = matches!(earlier.standing, Standing::Open { .. });
        if !claimed && open && earlier.present && families.contains(&tool_family(&earlier.tool)) {
            groups.fixed.push(fixed_item(earlier));
        }
    }
    for group in Group::ALL {
        groups.get_mut(group).sort_by(|a, b| {
            (b.severity, &a.path, a.line, &a.title).cmp(&(a.severity, &b.path, b.line, &b.title))
        });
    }
    groups
}

/// The group of one report finding and the earlier finding it matched.
fn judge(finding: &Finding, earlier: Option<(&Known, MatchLayer)>) -> (Group, Item) {
    let mut item = report_item(finding);
    if let Some((earlier, layer)) = earlier {
        item.ticket = earlier.ticket.clone();
        item.state = earlier.state;
        item.matched_by = Some(layer);
        item.previous_severity = Some(earlier.severity).filter(|s| *s != finding.severity);
    }
    if let Some(suppression) = &finding.suppression {
        let how = match suppression.kind.as_str() {
            "inSource" => "in the source",
            _ => "in the report",
        };
        item.reason = Some(match &suppression.justification {
            Some(why) => format!("suppressed {how}: {why}"),
            None => format!("suppressed {how}"),
        });
        return (Group::Suppressed, item);
    }
    let group = match earlier.map(|(e, _)| &e.standing) {
        None => Group::New,
        Some(Standing::Open { note }) => {
            item.reason = note.clone();
            Group::StillOpen
        }
        Some(Standing::Suppressed(reason)) => {
            item.reason = Some(reason.clone());
            Group::Suppressed
        }
        Some(Standing::NotOpen(reason)) => {
            item.reason = Some(reason.clone());
            Group::New
        }
    };
    (group, item)
}

fn report_item(finding: &Finding) -> Item {
    let location = finding.location.as_ref();
    Item {
        severity: finding.severity,
        title: finding.title.clone(),
        message: finding.message.clone(),
        tool: finding.tool.clone(),
        rule_id: finding.rule_id.clone(),
        path: location.and_then(|l| l.path.clone().or_else(|| l.logical.clone())),
        line: location.and_then(|l| l.start_line),
        fingerprint: finding.fingerprint.as_str().to_string(),
        ticket: None,
        state: None,
        matched_by: None,
        previous_severity: None,
        reason: None,
    }
}

fn fixed_item(earlier: &Known) -> Item {
    Item {
        severity: earlier.severity,
        title: earlier.title.clone(),
        message: String::new(),
        tool: earlier.tool.clone(),
        rule_id: earlier.rule_id.clone(),
        path: earlier.path.clone(),
        line: earlier.line,
        fingerprint: earlier.keys.fingerprint.clone(),
        ticket: earlier.ticket.clone(),
        state: earlier.state,
        matched_by: None,
        previous_severity: None,
        reason: None,
    }
}

#[cfg(test)]
mod tests {
    use fixgate_domain::{Fingerprint, Location, Suppression};
    use fixgate_store::TrackedTicket;

    use super::*;

    fn now() -> Timestamp {
        "2026-12-01T09:00:00Z".parse().unwrap()
    }

    fn finding(rule: &str, path: &str, line: u32, snippet: Option<&str>) -> Finding {
        let mut f = Finding::new("Bandit", rule, format!("{rule} in {path}"), Severity::High);
        f.message = "message".into();
        f.location = Some(Location {
            path: Some(path.into()),
            start_line: Some(line),
            snippet: snippet.map(str::to_string),
            ..Location::default()
        });
        f.fingerprint = Fingerprint::of(&f);
        f
    }

    fn ticket(key: &str, state: TicketState) -> TrackedTicket {
        TrackedTicket { key: key.into(), state, decision_reason: None, decision_expires_at: None }
    }

    fn tracked(f: &Finding, ticket: Option<TrackedTicket>) -> TrackedFinding {
        let location = f.location.clone().unwrap_or_default();
        TrackedFinding {
            fingerprint: f.fingerprint.as_str().into(),
            content_fingerprint: Fingerprint::content(f).as_str().into(),
            tool: f.tool.clone(),
            rule_id: f.rule_id.clone(),
            path: location.path,
            start_line: location.start_line,
            severity: f.severity,
            title: f.title.clone(),
            secret_or_package: false,
            ticket,
            seen_on_tracked: true,
            present_on_tracked: true,
        }
    }

    fn run(report: &[Finding], earlier: Vec<TrackedFinding>) -> Groups {
        let known = earlier.into_iter().map(|t| Known::tracked(t, now())).collect();
        classify(report, known, &["Bandit".to_string()])
    }

    fn rules(items: &[Item]) -> Vec<&str> {
        items.iter().map(|i| i.rule_id.as_str()).collect()
    }

    #[test]
    fn each_finding_lands_in_its_group() {
        let open = finding("B1", "a.py", 10, Some("eval(x)"));
        let fixed = finding("B2", "b.py", 5, Some("pickle.loads(x)"));
        let accepted = finding("B3", "c.py", 7, Some("md5(x)"));
        let fresh = finding("B4", "d.py", 1, Some("exec(y)"));
        let mut in_source = finding("B5", "e.py", 2, Some("yaml.load(y)"));
        in_source.suppression =
            Some(Suppression { kind: "inSource".into(), justification: Some("trusted".into()) });
        let decision = TrackedTicket {
            decision_reason: Some("only test data".into()),
            ..ticket("SEC-3", TicketState::FalsePositive)
        };
        let earlier = vec![
            tracked(&open, Some(ticket("SEC-1", TicketState::Triaged))),
            tracked(&fixed, Some(ticket("SEC-2", TicketState::New))),
            tracked(&accepted, Some(decision)),
        ];

        let groups = run(&[open, accepted, fresh, in_source], earlier);
        assert_eq!(rules(&groups.new), ["B4"]);
        assert_eq!(rules(&groups.still_open), ["B1"]);
        assert_eq!(groups.still_open[0].ticket.as_deref(), Some("SEC-1"));
        assert_eq!(groups.still_open[0].baseline_state(Group::StillOpen), "unchanged");
        assert_eq!(rules(&groups.fixed), ["B2"]);
        assert_eq!(groups.fixed[0].baseline_state(Group::Fixed), "absent");
        assert_eq!(rules(&groups.suppressed), ["B3", "B5"]);
        let reason = groups.suppressed[0].reason.as_deref().unwrap();
        assert!(reason.contains("SEC-3") && reason.contains("only test data"), "{reason}");
        assert_eq!(
            groups.suppressed[1].reason.as_deref(),
            Some("suppressed in the source: trusted")
        );
    }

    #[test]
    fn a_verified_ticket_seen_again_is_a_new_regression() {
        let back = finding("B1", "a.py", 10, Some("eval(x)"));
        let earlier = vec![tracked(&back, Some(ticket("SEC-9", TicketState::Verified)))];
        let groups = run(&[back], earlier);
        assert_eq!(rules(&groups.new), ["B1"]);
        assert_eq!(groups.new[0].ticket.as_deref(), Some("SEC-9"));
        assert_eq!(groups.new[0].reason.as_deref(), Some("regression: ticket SEC-9 was verified"));
        assert!(groups.fixed.is_empty());
    }

    #[test]
    fn an_expired_risk_acceptance_no_longer_suppresses() {
        let risky = finding("B1", "a.py", 10, Some("eval(x)"));
        let accepted = |expires: &str| TrackedTicket {
            decision_reason: Some("legacy code".into()),
            decision_expires_at: Some(expires.parse().unwrap()),
            ..ticket("SEC-4", TicketState::RiskAccepted)
        };

        let in_force = run(
            std::slice::from_ref(&risky),
            vec![tracked(&risky, Some(accepted("2027-01-01T00:00:00Z")))],
        );
        assert_eq!(rules(&in_force.suppressed), ["B1"]);

        let expired = run(
            std::slice::from_ref(&risky),
            vec![tracked(&risky, Some(accepted("2026-11-30T00:00:00Z")))],
        );
        assert!(expired.suppressed.is_empty(), "{expired:?}");
        assert_eq!(rules(&expired.still_open), ["B1"]);
        assert!(expired.still_open[0].reason.as_deref().unwrap().contains("expired"));
    }

    #[test]
    fn the_location_layer_matches_a_finding_moved_two_lines_without_its_snippet() {
        let before = finding("B1", "a.py", 10, Some("eval(x)"));
        let after = finding("B1", "a.py", 12, None);
        assert_ne!(before.fingerprint, after.fingerprint);
        let earlier = vec![tracked(&before, Some(ticket("SEC-1", TicketState::New)))];

        let groups = run(&[after], earlier);
        assert_eq!(rules(&groups.still_open), ["B1"], "{groups:?}");
        let item = &groups.still_open[0];
        assert_eq!(item.matched_by, Some(MatchLayer::Location));
        assert_eq!(item.baseline_state(Group::StillOpen), "updated");
        assert!(groups.new.is_empty() && groups.fixed.is_empty());
    }

    #[test]
    fn findings_of_untracked_branches_and_without_tickets_are_new() {
        let feature_only = finding("B1", "a.py", 10, Some("eval(x)"));
        let mut untracked = tracked(&feature_only, Some(ticket("SEC-1", TicketState::New)));
        untracked.seen_on_tracked = false;
        untracked.present_on_tracked = false;
        let groups = run(&[feature_only], vec![untracked]);
        assert_eq!(rules(&groups.new), ["B1"]);
        assert!(groups.new[0].reason.as_deref().unwrap().contains("does not track"));
    }

    #[test]
    fn only_the_reports_tools_and_present_findings_can_be_fixed() {
        let codeql = Finding { tool: "CodeQL".into(), ..finding("py/xss", "a.py", 3, Some("x")) };
        let gone_already = finding("B2", "b.py", 5, Some("y"));
        let mut absent = tracked(&gone_already, Some(ticket("SEC-2", TicketState::Fixed)));
        absent.present_on_tracked = false;
        let earlier = vec![tracked(&codeql, Some(ticket("SEC-1", TicketState::New))), absent];
        let groups = run(&[], earlier);
        assert!(groups.fixed.is_empty(), "{groups:?}");
    }

    #[test]
    fn a_changed_severity_is_an_update() {
        let before = finding("B1", "a.py", 10, Some("eval(x)"));
        let after = Finding { severity: Severity::Critical, ..before.clone() };
        let groups = run(&[after], vec![tracked(&before, Some(ticket("SEC-1", TicketState::New)))]);
        let item = &groups.still_open[0];
        assert_eq!(item.previous_severity, Some(Severity::High));
        assert_eq!(item.baseline_state(Group::StillOpen), "updated");
    }
}
