//! Priorities: the default policy's rules and a custom policy that uses
//! every condition and every action, as tables.

use fixgate_domain::triage::{Priority, PriorityInput, TriagePolicy};
use fixgate_domain::{FindingKind, Severity, TicketType};

use super::policy;

/// One finding as the table writes it.
#[derive(Clone, Copy)]
struct Case {
    severity: Severity,
    kind: FindingKind,
    application: &'static str,
    tier: u8,
    production: bool,
    internet_facing: bool,
    kev: bool,
    epss: Option<f64>,
}

const BASE: Case = Case {
    severity: Severity::Medium,
    kind: FindingKind::Code,
    application: "shop",
    tier: 3,
    production: false,
    internet_facing: false,
    kev: false,
    epss: None,
};

impl Case {
    fn input(&self) -> PriorityInput<'static> {
        PriorityInput {
            severity: self.severity,
            kind: Some(self.kind),
            ticket_type: TicketType::Vulnerability,
            application: self.application,
            production: self.production,
            internet_facing: self.internet_facing,
            tier: self.tier,
            kev: self.kev,
            epss: self.epss,
        }
    }
}

fn check(policy: &TriagePolicy, table: &[(&str, Case, Priority)]) {
    for (what, case, expected) in table {
        let got = policy.priority(&case.input());
        assert_eq!(got.priority, *expected, "{what}: {:?}", got.reasons);
    }
}

use FindingKind::{Code, Sca, Secrets};
use Priority::{Critical, High, Low, Medium};
use Severity::{
    Critical as SevCritical, High as SevHigh, Info, Low as SevLow, Medium as SevMedium,
};

#[test]
fn the_default_policy_sets_the_documented_priorities() {
    let table = [
        ("high stays high", Case { severity: SevHigh, ..BASE }, High),
        ("medium stays medium", BASE, Medium),
        ("info starts low", Case { severity: Info, ..BASE }, Low),
        ("known exploited medium: at least high", Case { kev: true, kind: Sca, ..BASE }, High),
        (
            "known exploited, internet facing: critical",
            Case { severity: SevLow, kev: true, internet_facing: true, ..BASE },
            Critical,
        ),
        (
            "known exploited in production: critical",
            Case { severity: SevLow, kev: true, production: true, ..BASE },
            Critical,
        ),
        ("EPSS 0.6 raises medium", Case { epss: Some(0.6), ..BASE }, High),
        ("EPSS exactly 0.5 raises", Case { epss: Some(0.5), ..BASE }, High),
        ("EPSS 0.49 does not", Case { epss: Some(0.49), ..BASE }, Medium),
        ("no EPSS does not", Case { epss: None, ..BASE }, Medium),
        (
            "tier 1 in production raises high",
            Case { severity: SevHigh, tier: 1, production: true, ..BASE },
            Critical,
        ),
        ("tier 1 in production leaves medium", Case { tier: 1, production: true, ..BASE }, Medium),
        (
            "tier 1 outside production leaves high",
            Case { severity: SevHigh, tier: 1, ..BASE },
            High,
        ),
        (
            "raises stop at critical",
            Case { severity: SevCritical, tier: 1, production: true, epss: Some(0.9), ..BASE },
            Critical,
        ),
        ("tier 4 lowers medium", Case { tier: 4, ..BASE }, Low),
        ("lowering stops at low", Case { severity: SevLow, tier: 4, ..BASE }, Low),
        (
            "tier 4 cannot lower a known exploited finding below high",
            Case { severity: SevCritical, tier: 4, kev: true, ..BASE },
            High,
        ),
        (
            "a leaked secret is at least high",
            Case { severity: SevLow, kind: Secrets, ..BASE },
            High,
        ),
        (
            "a leaked secret in tier 4 is still high",
            Case { severity: SevLow, kind: Secrets, tier: 4, ..BASE },
            High,
        ),
        (
            "a critical secret stays critical",
            Case { severity: SevCritical, kind: Secrets, ..BASE },
            Critical,
        ),
    ];
    check(&TriagePolicy::default(), &table);
}

#[test]
fn reasons_name_the_severity_and_every_rule_that_applied() {
    let policy = TriagePolicy::default();
    let got = policy.priority(&Case { severity: SevMedium, kev: true, kind: Sca, ..BASE }.input());
    assert_eq!(got.reasons, ["severity medium", "rule 4 (known exploited): at least high"]);

    let got = policy.priority(&Case { severity: Info, tier: 4, epss: Some(0.7), ..BASE }.input());
    assert_eq!(
        got.reasons,
        [
            "severity info, mapped to low",
            "rule 1 (likely exploited): raise 1",
            "rule 3 (tier 4): lower 1"
        ]
    );
    assert_eq!(got.priority, Low);
}

const CUSTOM: &str = r#"
[priority.base]
info = "medium"
medium = "low"

[[priority.rule]]
name = "sandbox"
when = { application = ["sandbox"] }
set = "low"

[[priority.rule]]
when = { kev = true, kind = ["sca"] }
at_least = "high"

[[priority.rule]]
when = { epss_below = 0.01, severity = ["critical"] }
at_most = "high"

[[priority.rule]]
when = { internet_facing = true, production = false }
raise = 2

[[priority.rule]]
when = { tier = [3, 4], production = true }
lower = 3

[[priority.rule]]
when = { epss_at_least = 0.2, epss_below = 0.3, severity = ["low"] }
set = "critical"
"#;

#[test]
fn a_custom_policy_uses_every_condition_and_action() {
    let table = [
        ("base: info maps to medium", Case { severity: Info, ..BASE }, Medium),
        ("base: medium maps to low", BASE, Low),
        ("base: high keeps its default", Case { severity: SevHigh, ..BASE }, High),
        ("set by application", Case { severity: SevCritical, application: "sandbox", ..BASE }, Low),
        (
            "a later floor undoes an earlier set",
            Case { severity: SevCritical, application: "sandbox", kev: true, kind: Sca, ..BASE },
            High,
        ),
        ("kev needs kind sca too", Case { kev: true, kind: Code, ..BASE }, Low),
        (
            "at most high for an unlikely critical",
            Case { severity: SevCritical, epss: Some(0.001), ..BASE },
            High,
        ),
        ("no EPSS: not below", Case { severity: SevCritical, epss: None, ..BASE }, Critical),
        ("EPSS above the bound", Case { severity: SevCritical, epss: Some(0.5), ..BASE }, Critical),
        (
            "exposed outside production: raise 2",
            Case { severity: SevLow, internet_facing: true, ..BASE },
            High,
        ),
        (
            "raise 2 stops at critical",
            Case { severity: SevHigh, internet_facing: true, ..BASE },
            Critical,
        ),
        (
            "exposed in production: no raise, lower 3 stops at low",
            Case { severity: SevHigh, internet_facing: true, production: true, ..BASE },
            Low,
        ),
        (
            "tier 2 in production is not lowered",
            Case { severity: SevHigh, tier: 2, production: true, ..BASE },
            High,
        ),
        ("EPSS in a band", Case { severity: SevLow, epss: Some(0.25), ..BASE }, Critical),
        (
            "EPSS at the band's top is outside it",
            Case { severity: SevLow, epss: Some(0.3), ..BASE },
            Low,
        ),
    ];
    check(&policy(CUSTOM), &table);
}

#[test]
fn rule_order_decides() {
    let floor_then_set = policy(
        r#"
[[priority.rule]]
when = { kev = true }
at_least = "high"

[[priority.rule]]
when = { application = ["sandbox"] }
set = "low"
"#,
    );
    let case = Case { severity: SevCritical, application: "sandbox", kev: true, ..BASE };
    let got = floor_then_set.priority(&case.input());
    assert_eq!(got.priority, Low);
    assert_eq!(got.reasons, ["severity critical", "rule 1: at least high", "rule 2: set low"]);
    assert_eq!(policy(CUSTOM).priority(&Case { kind: Sca, ..case }.input()).priority, High);
}

#[test]
fn tickets_opened_by_hand_meet_type_conditions_and_no_kind_condition() {
    let policy = policy(
        r#"
[[priority.rule]]
name = "requests wait"
when = { type = ["request", "task"] }
at_most = "medium"

[[priority.rule]]
name = "code"
when = { kind = ["code"] }
raise = 1

[[priority.rule]]
name = "leaked secret"
when = { kind = ["secrets"] }
at_least = "high"
"#,
    );
    let by_hand = |ticket_type, severity| PriorityInput {
        kind: None,
        ticket_type,
        ..Case { severity, ..BASE }.input()
    };

    let request = policy.priority(&by_hand(TicketType::Request, SevCritical));
    assert_eq!(request.priority, Medium);
    assert_eq!(request.reasons, ["severity critical", "rule 1 (requests wait): at most medium"]);
    let incident = policy.priority(&by_hand(TicketType::Incident, SevLow));
    assert_eq!((incident.priority, incident.reasons.len()), (Low, 1), "no kind rule applies");
    let scanned = policy.priority(&Case { severity: SevLow, kind: Code, ..BASE }.input());
    assert_eq!(scanned.priority, Medium, "a scan's code finding meets the kind rule");
}
