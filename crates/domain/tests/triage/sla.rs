//! SLA due dates: month ends, leap days, daylight-saving changes, business
//! days with weekends and holidays, and pauses in both modes.

use fixgate_domain::triage::{
    Due, Pause, Priority, SlaPolicy, SlaStatus, TriagePolicy, sla_status,
};
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use super::policy;

/// A wall-clock time in a time zone, as a timestamp.
fn at(local: &str, zone: &str) -> Timestamp {
    let local: DateTime = local.parse().unwrap();
    local.to_zoned_datetime(TimeZone::get(zone).unwrap()).unwrap().timestamp()
}

/// A timestamp as the wall clock of a time zone shows it.
fn wall(at: Timestamp, zone: &str) -> String {
    at.to_zoned_datetime(TimeZone::get(zone).unwrap()).datetime().to_string()
}

fn sla_policy(calendar: &str, zone: &str, extra: &str) -> TriagePolicy {
    policy(&format!("[sla]\ncalendar = \"{calendar}\"\ntime_zone = \"{zone}\"\n{extra}\n"))
}

fn due(sla: &SlaPolicy, p: Priority, start: Timestamp, pauses: &[Pause]) -> Due {
    sla.due(p, start, pauses).expect("no pause is open")
}

/// (what, time zone, start, priority, expected due, expected hours between)
type Row = (&'static str, &'static str, &'static str, Priority, &'static str, Option<i64>);

fn check_calendar(extra: &str, table: &[Row]) {
    for (what, zone, start, p, expected, hours) in table {
        let policy = sla_policy("calendar", zone, extra);
        let start = at(start, zone);
        let got = due(policy.sla(), *p, start, &[]);
        assert_eq!(wall(got.due_at, zone), *expected, "{what}");
        if let Some(hours) = hours {
            assert_eq!((got.due_at.as_second() - start.as_second()) / 3600, *hours, "{what}");
        }
    }
}

#[test]
fn calendar_days_cross_month_ends_and_leap_days() {
    use Priority::*;
    let table: [Row; 7] = [
        ("Jan 31 + 30 days", "UTC", "2026-01-31T10:00", High, "2026-03-02T10:00:00", None),
        (
            "Jan 31 + 30 days, leap year",
            "UTC",
            "2028-01-31T10:00",
            High,
            "2028-03-01T10:00:00",
            None,
        ),
        ("from a leap day", "UTC", "2028-02-29T08:15", Critical, "2028-03-07T08:15:00", None),
        ("into a leap day", "UTC", "2028-02-22T23:59:59", Critical, "2028-02-29T23:59:59", None),
        (
            "Feb 28 + 365 days skips no day",
            "UTC",
            "2027-02-28T12:00",
            Low,
            "2028-02-28T12:00:00",
            None,
        ),
        (
            "Feb 28 + 366 days lands on the leap day",
            "UTC",
            "2027-02-28T12:00",
            Medium,
            "2028-02-29T12:00:00",
            None,
        ),
        ("leap day + 365 days", "UTC", "2028-02-29T12:00", Low, "2029-02-28T12:00:00", None),
    ];
    check_calendar("[sla.days]\nlow = 365\nmedium = 366", &table);
}

#[test]
fn calendar_days_keep_the_wall_clock_across_daylight_saving_changes() {
    use Priority::*;
    let table: [Row; 6] = [
        (
            "Berlin spring: a day of 23 hours",
            "Europe/Berlin",
            "2026-03-28T09:00",
            Critical,
            "2026-04-04T09:00:00",
            Some(167),
        ),
        (
            "Berlin autumn: a day of 25 hours",
            "Europe/Berlin",
            "2026-10-24T09:00",
            Critical,
            "2026-10-31T09:00:00",
            Some(169),
        ),
        (
            "Berlin, one day over the change",
            "Europe/Berlin",
            "2026-03-28T12:00",
            Low,
            "2026-03-29T12:00:00",
            Some(23),
        ),
        (
            "New York spring",
            "America/New_York",
            "2026-03-07T22:30",
            Critical,
            "2026-03-14T22:30:00",
            Some(167),
        ),
        (
            "New York autumn",
            "America/New_York",
            "2026-10-31T12:00",
            Critical,
            "2026-11-07T12:00:00",
            Some(169),
        ),
        (
            "New York, one day over the change",
            "America/New_York",
            "2026-10-31T12:00",
            Low,
            "2026-11-01T12:00:00",
            Some(25),
        ),
    ];
    check_calendar("[sla.days]\nlow = 1", &table);
}

#[test]
fn due_soon_counts_back_the_warning_window_and_never_before_the_start() {
    let policy = sla_policy("calendar", "UTC", "[sla.days]\nlow = 1\n[sla.due_soon]\nlow = 3");
    let start = at("2026-01-31T10:00", "UTC");
    let got = due(policy.sla(), Priority::High, start, &[]);
    assert_eq!(wall(got.due_soon_at, "UTC"), "2026-02-23T10:00:00");
    let got = due(policy.sla(), Priority::Low, start, &[]);
    assert_eq!(got.due_soon_at, start, "a window longer than the SLA starts at the start");

    let berlin = sla_policy("calendar", "Europe/Berlin", "");
    let got = due(berlin.sla(), Priority::Critical, at("2026-03-27T09:00", "Europe/Berlin"), &[]);
    assert_eq!(wall(got.due_soon_at, "Europe/Berlin"), "2026-04-01T09:00:00");
}

/// (what, start, priority, expected due), in UTC with the holidays below.
type BusinessRow = (&'static str, &'static str, Priority, &'static str);

const HOLIDAYS: &str = r#"holidays = ["2026-12-24", "2026-12-25", 2026-12-31, "2027-01-01", "2026-05-25"]
[sla.days]
low = 1
medium = 2"#;

#[test]
fn business_days_skip_weekends_and_holidays() {
    use Priority::*;
    let table: [BusinessRow; 9] = [
        ("Friday + 1: Monday, same time", "2026-01-09T10:00", Low, "2026-01-12T10:00:00"),
        ("Friday + 7: two weekends", "2026-01-09T10:00", Critical, "2026-01-20T10:00:00"),
        ("Monday + 1: Tuesday", "2026-01-05T17:45", Low, "2026-01-06T17:45:00"),
        ("Saturday: counts from Monday 00:00", "2026-01-10T15:00", Low, "2026-01-13T00:00:00"),
        (
            "Sunday night: counts from Monday 00:00",
            "2026-01-11T23:00",
            Medium,
            "2026-01-14T00:00:00",
        ),
        ("over Christmas", "2026-12-23T09:00", Medium, "2026-12-29T09:00:00"),
        ("over New Year (a bare TOML date)", "2026-12-30T09:00", Medium, "2027-01-05T09:00:00"),
        ("a holiday on a Monday", "2026-05-22T14:00", Low, "2026-05-26T14:00:00"),
        ("a start on a Monday holiday", "2026-05-25T10:00", Low, "2026-05-27T00:00:00"),
    ];
    let policy = sla_policy("business", "UTC", HOLIDAYS);
    for (what, start, p, expected) in table {
        let got = due(policy.sla(), p, at(start, "UTC"), &[]);
        assert_eq!(wall(got.due_at, "UTC"), expected, "{what}");
    }
}

#[test]
fn business_days_follow_the_time_zone_and_its_weekend() {
    let berlin = sla_policy("business", "Europe/Berlin", "[sla.days]\nlow = 1");
    let got = due(berlin.sla(), Priority::Low, at("2026-03-27T09:00", "Europe/Berlin"), &[]);
    assert_eq!(wall(got.due_at, "Europe/Berlin"), "2026-03-30T09:00:00", "over the spring change");
    // 23:30 on Friday in New York is already Saturday in UTC.
    let new_york = sla_policy("business", "America/New_York", "[sla.days]\nlow = 1");
    let got = due(new_york.sla(), Priority::Low, at("2026-01-09T23:30", "America/New_York"), &[]);
    assert_eq!(wall(got.due_at, "America/New_York"), "2026-01-12T23:30:00");

    let gulf = sla_policy(
        "business",
        "Asia/Dubai",
        "weekend = [\"Friday\", \"saturday\"]\n[sla.days]\nlow = 1",
    );
    let got = due(gulf.sla(), Priority::Low, at("2026-01-08T10:00", "Asia/Dubai"), &[]);
    assert_eq!(wall(got.due_at, "Asia/Dubai"), "2026-01-11T10:00:00", "Thursday + 1 is Sunday");
}

#[test]
fn business_due_soon_counts_back_business_days() {
    let policy = sla_policy("business", "UTC", "");
    let got = due(policy.sla(), Priority::Critical, at("2026-01-05T10:00", "UTC"), &[]);
    assert_eq!(wall(got.due_at, "UTC"), "2026-01-14T10:00:00");
    assert_eq!(wall(got.due_soon_at, "UTC"), "2026-01-12T10:00:00");
}

fn pause(from: &str, to: Option<&str>, zone: &str) -> Pause {
    Pause { start: at(from, zone), end: to.map(|to| at(to, zone)) }
}

#[test]
fn calendar_pauses_move_the_due_date_by_their_civil_length() {
    let policy = sla_policy("calendar", "UTC", "");
    let start = at("2026-01-01T00:00", "UTC");
    let table: [(&str, Vec<Pause>, &str); 6] = [
        ("no pause", vec![], "2026-01-08T00:00:00"),
        (
            "2 days 3 hours",
            vec![pause("2026-01-03T10:00", Some("2026-01-05T13:00"), "UTC")],
            "2026-01-10T03:00:00",
        ),
        (
            "two pauses add up",
            vec![
                pause("2026-01-02T00:00", Some("2026-01-03T00:00"), "UTC"),
                pause("2026-01-04T00:00", Some("2026-01-04T06:00"), "UTC"),
            ],
            "2026-01-09T06:00:00",
        ),
        (
            "a pause after the due time changes nothing",
            vec![pause("2026-01-09T00:00", Some("2026-01-20T00:00"), "UTC")],
            "2026-01-08T00:00:00",
        ),
        (
            "only the part after the start counts",
            vec![pause("2025-12-30T00:00", Some("2026-01-02T00:00"), "UTC")],
            "2026-01-09T00:00:00",
        ),
        (
            "overlapping pauses count once",
            vec![
                pause("2026-01-03T00:00", Some("2026-01-05T00:00"), "UTC"),
                pause("2026-01-04T00:00", Some("2026-01-06T00:00"), "UTC"),
            ],
            "2026-01-11T00:00:00",
        ),
    ];
    for (what, pauses, expected) in table {
        let got = due(policy.sla(), Priority::Critical, start, &pauses);
        assert_eq!(wall(got.due_at, "UTC"), expected, "{what}");
    }

    // Two civil days over the spring change are 47 hours; the due date
    // still moves by two days of wall clock.
    let berlin = sla_policy("calendar", "Europe/Berlin", "");
    let start = at("2026-03-26T09:00", "Europe/Berlin");
    let pauses = [pause("2026-03-28T12:00", Some("2026-03-30T12:00"), "Europe/Berlin")];
    let got = due(berlin.sla(), Priority::Critical, start, &pauses);
    assert_eq!(wall(got.due_at, "Europe/Berlin"), "2026-04-04T09:00:00");
    assert_eq!(wall(got.due_soon_at, "Europe/Berlin"), "2026-04-02T09:00:00");
}

#[test]
fn business_pauses_move_the_due_date_by_the_business_time_inside_them() {
    let policy = sla_policy("business", "UTC", "");
    let start = at("2026-01-05T10:00", "UTC");
    let table: [(&str, Vec<Pause>, &str); 5] = [
        ("no pause", vec![], "2026-01-14T10:00:00"),
        (
            "over a weekend only: nothing",
            vec![pause("2026-01-10T00:00", Some("2026-01-12T00:00"), "UTC")],
            "2026-01-14T10:00:00",
        ),
        (
            "Friday 16:00 to Monday 10:00: 18 hours of business time",
            vec![pause("2026-01-09T16:00", Some("2026-01-12T10:00"), "UTC")],
            "2026-01-15T04:00:00",
        ),
        (
            "Friday to Tuesday: two business days",
            vec![pause("2026-01-09T00:00", Some("2026-01-13T00:00"), "UTC")],
            "2026-01-16T10:00:00",
        ),
        (
            "after the due time: nothing",
            vec![pause("2026-01-14T10:00", Some("2026-01-16T00:00"), "UTC")],
            "2026-01-14T10:00:00",
        ),
    ];
    for (what, pauses, expected) in table {
        let got = due(policy.sla(), Priority::Critical, start, &pauses);
        assert_eq!(wall(got.due_at, "UTC"), expected, "{what}");
    }
}

#[test]
fn an_open_pause_stops_the_clock() {
    for calendar in ["calendar", "business"] {
        let policy = sla_policy(calendar, "UTC", "");
        let start = at("2026-01-05T10:00", "UTC");
        let pauses = [
            pause("2026-01-06T00:00", Some("2026-01-07T00:00"), "UTC"),
            pause("2026-01-08T00:00", None, "UTC"),
        ];
        assert_eq!(policy.sla().due(Priority::High, start, &pauses), None, "{calendar}");
        assert_eq!(sla_status(at("2026-01-09T00:00", "UTC"), None, true), Some(SlaStatus::Paused));
    }
}

#[test]
fn status_follows_the_due_and_warning_times() {
    let due =
        Due { due_at: at("2026-01-10T00:00", "UTC"), due_soon_at: at("2026-01-08T00:00", "UTC") };
    let table = [
        ("2026-01-01T00:00", false, Some(SlaStatus::OnTrack)),
        ("2026-01-07T23:59:59", false, Some(SlaStatus::OnTrack)),
        ("2026-01-08T00:00", false, Some(SlaStatus::DueSoon)),
        ("2026-01-10T00:00", false, Some(SlaStatus::Breached)),
        ("2026-02-01T00:00", false, Some(SlaStatus::Breached)),
        ("2026-02-01T00:00", true, Some(SlaStatus::Paused)),
    ];
    for (now, paused, expected) in table {
        assert_eq!(sla_status(at(now, "UTC"), Some(&due), paused), expected, "{now}");
    }
    assert_eq!(sla_status(at("2026-01-01T00:00", "UTC"), None, false), None);
    for status in SlaStatus::ALL {
        assert_eq!(status.as_str().parse::<SlaStatus>(), Ok(status));
    }
    assert!("late".parse::<SlaStatus>().is_err());
}

#[test]
fn a_due_date_given_by_hand_warns_as_the_sla_would() {
    let calendar = sla_policy("calendar", "Europe/Berlin", "");
    let start = at("2026-03-20T09:00", "Europe/Berlin");
    let given = at("2026-04-03T17:00", "Europe/Berlin");
    let soon = calendar.sla().due_soon_before(Priority::High, start, given);
    assert_eq!(wall(soon, "Europe/Berlin"), "2026-03-27T17:00:00", "7 days back, wall clock");
    let soon = calendar.sla().due_soon_before(Priority::Low, start, given);
    assert_eq!(soon, start, "a window longer than the time given starts at the start");

    // Critical warns 2 business days ahead: Friday 10:00 back to Wednesday.
    let business = sla_policy("business", "UTC", "");
    let start = at("2026-01-05T10:00", "UTC");
    let soon =
        business.sla().due_soon_before(Priority::Critical, start, at("2026-01-09T10:00", "UTC"));
    assert_eq!(wall(soon, "UTC"), "2026-01-07T10:00:00");
    let computed = due(business.sla(), Priority::Critical, start, &[]);
    let given = business.sla().due_soon_before(Priority::Critical, start, computed.due_at);
    assert_eq!(given, computed.due_soon_at, "the same as the SLA's own due date");
    let soon =
        business.sla().due_soon_before(Priority::Critical, start, at("2026-01-06T10:00", "UTC"));
    assert_eq!(soon, start);
}
