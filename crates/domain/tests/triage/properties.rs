//! Properties over arbitrary input: reading any text never panics, and a
//! due date never comes before the start and never earlier for more days.

use fixgate_domain::triage::{DEFAULT_POLICY, Pause, Priority, TriagePolicy};
use jiff::Timestamp;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::workflows::INCIDENT;

/// A runner with a fixed seed, so a run is the same every time and in CI.
fn runner(cases: u32) -> TestRunner {
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let rng = proptest::test_runner::TestRng::deterministic_rng(config.rng_algorithm);
    TestRunner::new_with_rng(config, rng)
}

/// Real policies with lines dropped, repeated or replaced by arbitrary
/// text, so that most inputs get past the TOML syntax into the checks.
fn mangled() -> impl Strategy<Value = String> {
    let base = prop_oneof![Just(DEFAULT_POLICY), Just(INCIDENT), Just(super::sla_holidays())];
    let edit = (any::<proptest::sample::Index>(), 0_u8..4, ".{0,40}");
    (base, proptest::collection::vec(edit, 0..6)).prop_map(|(text, edits)| {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for (at, kind, junk) in edits {
            if lines.is_empty() {
                break;
            }
            let i = at.index(lines.len());
            match kind {
                0 => drop(lines.remove(i)),
                1 => lines.insert(i, lines[i].clone()),
                2 => lines[i] = junk,
                _ => lines[i] = lines[i].replace(char::is_numeric, &junk),
            }
        }
        lines.join("\n")
    })
}

#[test]
fn reading_any_text_never_panics() {
    let text = prop_oneof![any::<String>(), "[\\[\\]a-z_=\" .0-9\n{},*-]{0,200}", mangled()];
    runner(3_000)
        .run(&text, |text| {
            if let Err(err) = TriagePolicy::parse(&text) {
                prop_assert!(err.line >= 1 && err.column >= 1, "{err}");
                prop_assert!(err.line <= text.lines().count().max(1) + 1, "{err}");
            }
            Ok(())
        })
        .unwrap();
}

/// 2000-01-01 to 2100-01-01.
fn timestamp() -> impl Strategy<Value = Timestamp> {
    (946_684_800_i64..4_102_444_800).prop_map(|s| Timestamp::from_second(s).unwrap())
}

#[test]
fn due_dates_grow_with_days_and_pauses_and_never_precede_the_start() {
    let zones = proptest::sample::select(vec![
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe",
    ]);
    let calendars = proptest::sample::select(vec!["calendar", "business"]);
    let pauses = proptest::collection::vec((0_i64..2_000_000, 0_i64..1_000_000), 0..4);
    let inputs = (zones, calendars, 1_u32..3650, 1_u32..3650, 0_u32..400, timestamp(), pauses);
    runner(400)
        .run(&inputs, |(zone, calendar, a, b, warning, start, pauses)| {
            let (fewer, more) = (a.min(b), a.max(b));
            let text = format!(
                "[sla]\ncalendar = \"{calendar}\"\ntime_zone = \"{zone}\"\nholidays = [\"2030-01-01\"]\n\
                 [sla.days]\nlow = {fewer}\nhigh = {more}\n[sla.due_soon]\nlow = {warning}\nhigh = {warning}\n"
            );
            let policy = TriagePolicy::parse(&text).unwrap();
            let sla = policy.sla();
            let mut at = start.as_second();
            let pauses: Vec<Pause> = pauses
                .into_iter()
                .map(|(gap, length)| {
                    at += gap;
                    let pause = Pause {
                        start: Timestamp::from_second(at).unwrap(),
                        end: Some(Timestamp::from_second(at + length).unwrap()),
                    };
                    at += length;
                    pause
                })
                .collect();
            let short = sla.due(Priority::Low, start, &[]).unwrap();
            let long = sla.due(Priority::High, start, &[]).unwrap();
            let paused = sla.due(Priority::Low, start, &pauses).unwrap();
            prop_assert!(short.due_at > start, "{short:?}");
            prop_assert!(short.due_at <= long.due_at, "{short:?} {long:?}");
            prop_assert!(short.due_soon_at >= start && short.due_soon_at <= short.due_at, "{short:?}");
            prop_assert!(long.due_soon_at >= start && long.due_soon_at <= long.due_at, "{long:?}");
            prop_assert!(paused.due_at >= short.due_at, "{paused:?} {short:?}");
            Ok(())
        })
        .unwrap();
}
