//! The triage policy file end to end: the default file, priorities, SLA
//! due dates, validation errors, routes, workflows, and properties over
//! arbitrary input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod errors;
mod priority;
mod properties;
mod routes;
mod sla;
mod workflows;

use fixgate_domain::triage::{DEFAULT_POLICY, PolicyFileError, TriagePolicy};

/// Parses a policy the test means to be valid, showing the error if not.
pub fn policy(text: &str) -> TriagePolicy {
    TriagePolicy::parse(text).unwrap_or_else(|err| panic!("{err}\n---\n{text}"))
}

/// A business-day policy with holidays, for the properties to mangle.
pub fn sla_holidays() -> &'static str {
    "[sla]\ncalendar = \"business\"\ntime_zone = \"Europe/Berlin\"\nweekend = [\"sunday\"]\n\
     holidays = [\"2026-12-25\", 2026-12-26]\n[sla.days]\ncritical = 3\n[sla.due_soon]\nlow = 0\n\
     [[route]]\npath = [\"src/**\", \"*.tf\"]\ncwe = [79]\nteam = \"web\"\n\
     [applications.\"shop\"]\ntier = 2\n"
}

/// The error a policy the test means to be invalid gives.
pub fn error(text: &str) -> PolicyFileError {
    match TriagePolicy::parse(text) {
        Ok(_) => panic!("this policy was accepted:\n{text}"),
        Err(err) => err,
    }
}

#[test]
fn the_shipped_default_parses_and_is_the_default() {
    let parsed = policy(DEFAULT_POLICY);
    assert_eq!(parsed.priority_rule_count(), 7);
    assert_eq!(TriagePolicy::default().priority_rule_count(), 7);
    assert_eq!(<TriagePolicy as Default>::default().priority_rule_count(), 7);
    assert_eq!(parsed.route_count(), 0);
    assert_eq!(parsed.sla().time_zone_name(), "UTC");
}

#[test]
fn a_policy_can_be_shared_between_threads() {
    fn shareable<T: Clone + std::fmt::Debug + Send + Sync + 'static>() {}
    shareable::<TriagePolicy>();
}

#[test]
fn an_empty_file_keeps_the_built_in_defaults_without_rules() {
    use fixgate_domain::Severity;
    use fixgate_domain::triage::Priority;

    let empty = policy("");
    assert_eq!(empty.priority_rule_count(), 0);
    assert_eq!(empty.base_priority(Severity::Info), Priority::Low);
    assert_eq!(empty.sla().days(Priority::Critical), 7);
    assert_eq!(empty.sla().days(Priority::Low), 180);
    assert_eq!(empty.sla().due_soon_days(Priority::High), 7);
    assert!(empty.workflow(fixgate_domain::TicketType::Incident).is_none());
}

#[test]
fn applications_fall_back_to_the_default_section_key_by_key() {
    use fixgate_domain::triage::AppProfile;

    let with = policy(
        r#"
[applications.default]
production = true

[applications."shop"]
tier = 1
internet_facing = true

[applications."lab tools"]
tier = 4
production = false
"#,
    );
    let profile =
        |tier, production, internet_facing| AppProfile { tier, production, internet_facing };
    assert_eq!(with.application("shop"), profile(1, true, true));
    assert_eq!(with.application("lab tools"), profile(4, false, false));
    assert_eq!(with.application("anything else"), profile(3, true, false));
    assert_eq!(policy("").application("shop"), profile(3, false, false));
    assert_eq!(with.applications().count(), 2);
}

#[test]
fn every_example_of_the_documentation_parses() {
    let doc = include_str!("../../../../docs/triage-policy.md");
    let blocks: Vec<&str> =
        doc.split("```toml\n").skip(1).filter_map(|rest| rest.split("```").next()).collect();
    assert_eq!(blocks.len(), 4);
    for block in &blocks {
        policy(block);
    }
    let documented = policy(blocks[0]);
    let tested = policy(workflows::INCIDENT);
    let states = |p: &TriagePolicy| {
        let workflow = p.workflow(fixgate_domain::TicketType::Incident).unwrap();
        (workflow.states().to_vec(), workflow.transitions().len())
    };
    assert_eq!(states(&documented), states(&tested));
}
