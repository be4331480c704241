//! Service-level agreements: how many days a ticket of each priority has,
//! when it counts as due soon, and when it is due, in calendar days or in
//! business days of the policy's time zone, with the time it spent paused
//! (waiting on a vendor) left out.
//!
//! Both modes count civil time: a day is a day on the wall clock of the
//! policy's time zone, 23 or 25 hours across a daylight-saving change.
//! `docs/triage-policy.md` states the rules these functions implement.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, Unit, ZonedDateTime};
use serde::{Deserialize, Serialize};

use super::PolicyFileError;
use super::file::{At, RawSla, Source, Table};
use super::priority::{Priority, UnknownPriority};

/// The longest SLA or warning window a policy may set: ten years.
const MAX_DAYS: i64 = 3650;

/// Nanoseconds in a day of the wall clock.
const DAY: i128 = 86_400_000_000_000;

/// Which days count towards an SLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaCalendar {
    /// Every day counts.
    Calendar,
    /// Only weekdays that are neither weekend days nor holidays count.
    Business,
}

impl SlaCalendar {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaCalendar::Calendar => "calendar",
            SlaCalendar::Business => "business",
        }
    }
}

/// A stretch of time in which the SLA clock stood still; `end` is `None`
/// while it lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub start: Timestamp,
    pub end: Option<Timestamp>,
}

/// When a ticket is due, and from when it counts as due soon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    pub due_at: Timestamp,
    pub due_soon_at: Timestamp,
}

/// Where a ticket stands against its SLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaStatus {
    OnTrack,
    DueSoon,
    Breached,
    /// The clock stands still (the ticket waits on a vendor).
    Paused,
}

impl SlaStatus {
    pub const ALL: [SlaStatus; 4] =
        [SlaStatus::OnTrack, SlaStatus::DueSoon, SlaStatus::Breached, SlaStatus::Paused];

    pub fn as_str(self) -> &'static str {
        match self {
            SlaStatus::OnTrack => "on_track",
            SlaStatus::DueSoon => "due_soon",
            SlaStatus::Breached => "breached",
            SlaStatus::Paused => "paused",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SlaStatus::OnTrack => "On track",
            SlaStatus::DueSoon => "Due soon",
            SlaStatus::Breached => "Breached",
            SlaStatus::Paused => "Paused",
        }
    }
}

impl fmt::Display for SlaStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text named no SLA status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown SLA status {0:?}; expected on_track, due_soon, breached or paused")]
pub struct UnknownSlaStatus(pub String);

impl FromStr for SlaStatus {
    type Err = UnknownSlaStatus;

    fn from_str(s: &str) -> Result<SlaStatus, UnknownSlaStatus> {
        let wanted = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        SlaStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == wanted)
            .ok_or_else(|| UnknownSlaStatus(s.to_string()))
    }
}

/// Where a ticket stands at `now`: paused while paused, else breached from
/// its due time, due soon from its warning time, on track before; `None`
/// when it has no due date.
pub fn sla_status(now: Timestamp, due: Option<&Due>, paused: bool) -> Option<SlaStatus> {
    if paused {
        return Some(SlaStatus::Paused);
    }
    let due = due?;
    Some(if now >= due.due_at {
        SlaStatus::Breached
    } else if now >= due.due_soon_at {
        SlaStatus::DueSoon
    } else {
        SlaStatus::OnTrack
    })
}

/// One number per priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PerPriority {
    critical: u32,
    high: u32,
    medium: u32,
    low: u32,
}

impl PerPriority {
    fn get(&self, priority: Priority) -> u32 {
        match priority {
            Priority::Critical => self.critical,
            Priority::High => self.high,
            Priority::Medium => self.medium,
            Priority::Low => self.low,
        }
    }

    fn set(&mut self, priority: Priority, value: u32) {
        let slot = match priority {
            Priority::Critical => &mut self.critical,
            Priority::High => &mut self.high,
            Priority::Medium => &mut self.medium,
            Priority::Low => &mut self.low,
        };
        *slot = value;
    }
}

/// The SLA section of a policy.
#[derive(Debug, Clone)]
pub struct SlaPolicy {
    days: PerPriority,
    due_soon: PerPriority,
    calendar: SlaCalendar,
    time_zone: TimeZone,
    time_zone_name: String,
    /// Monday first.
    weekend: [bool; 7],
    holidays: BTreeSet<Date>,
}

impl Default for SlaPolicy {
    fn default() -> SlaPolicy {
        SlaPolicy {
            days: PerPriority { critical: 7, high: 30, medium: 90, low: 180 },
            due_soon: PerPriority { critical: 2, high: 7, medium: 14, low: 30 },
            calendar: SlaCalendar::Calendar,
            time_zone: TimeZone::UTC,
            time_zone_name: "UTC".to_string(),
            weekend: [false, false, false, false, false, true, true],
            holidays: BTreeSet::new(),
        }
    }
}

impl SlaPolicy {
    /// The days a ticket of priority `p` has.
    pub fn days(&self, p: Priority) -> u32 {
        self.days.get(p)
    }

    /// How many days before its due time a ticket of priority `p` counts
    /// as due soon.
    pub fn due_soon_days(&self, p: Priority) -> u32 {
        self.due_soon.get(p)
    }

    pub fn calendar(&self) -> SlaCalendar {
        self.calendar
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    /// The IANA name the policy gave its time zone.
    pub fn time_zone_name(&self) -> &str {
        &self.time_zone_name
    }

    /// The weekend days, Monday first.
    pub fn weekend(&self) -> Vec<Weekday> {
        WEEKDAYS
            .iter()
            .zip(self.weekend)
            .filter_map(|((_, day), off)| off.then_some(*day))
            .collect()
    }

    pub fn holidays(&self) -> impl Iterator<Item = Date> + '_ {
        self.holidays.iter().copied()
    }

    /// Whether `date` counts in business mode: not a weekend day, not a
    /// holiday.
    pub fn is_business_day(&self, date: Date) -> bool {
        !self.is_weekend(date.weekday()) && !self.holidays.contains(&date)
    }

    /// When a ticket of priority `p` whose clock started at `start` is due,
    /// given its pauses (ordered; an open pause last). `None` while a pause
    /// is open (the clock is stopped; the ticket is "paused"). A due time
    /// past the year 9999 comes out as [`Timestamp::MAX`].
    pub fn due(&self, p: Priority, start: Timestamp, pauses: &[Pause]) -> Option<Due> {
        if pauses.iter().any(|pause| pause.end.is_none()) {
            return None;
        }
        let (days, warning) = (i64::from(self.days(p)), i64::from(self.due_soon_days(p)));
        let due = match self.calendar {
            SlaCalendar::Calendar => self.due_calendar(days, warning, start, pauses),
            SlaCalendar::Business => self.due_business(days, warning, start, pauses),
        };
        Some(due.unwrap_or(Due { due_at: Timestamp::MAX, due_soon_at: Timestamp::MAX }))
    }

    /// When a ticket of priority `p` whose clock started at `start`, and
    /// which a person made due at `due_at`, turns due soon: the priority's
    /// `due_soon` days before `due_at`, counted as [`SlaPolicy::due`]
    /// counts them, and never before `start`.
    pub fn due_soon_before(&self, p: Priority, start: Timestamp, due_at: Timestamp) -> Timestamp {
        let warning = i64::from(self.due_soon_days(p));
        let soon = match self.calendar {
            SlaCalendar::Calendar => Span::new().try_days(warning).and_then(|days| {
                Ok(due_at.to_zoned_datetime(self.time_zone.clone()).checked_sub(days)?.timestamp())
            }),
            SlaCalendar::Business => {
                let clock = BusinessClock::new(self, start);
                let counted = |at| clock.position(at);
                match (counted(start), counted(due_at)) {
                    (Ok(origin), Ok(due)) if due - i128::from(warning) * DAY < origin => Ok(start),
                    (Ok(_), Ok(due)) => clock.moment(due - i128::from(warning) * DAY),
                    (Err(err), _) | (_, Err(err)) => Err(err),
                }
            }
        };
        // A warning that cannot be computed is none: the due date still holds.
        soon.unwrap_or(due_at).max(start)
    }

    /// Calendar days: the same wall-clock time `days` days later, moved on
    /// by each pause's civil length (days, then the time left over).
    fn due_calendar(
        &self,
        days: i64,
        warning: i64,
        start: Timestamp,
        pauses: &[Pause],
    ) -> Result<Due, jiff::Error> {
        let begin = start.to_zoned_datetime(self.time_zone.clone());
        let mut due = begin.checked_add(Span::new().try_days(days)?)?;
        for (from, end) in clipped(start, pauses) {
            // A pause that begins once the time has run out changes nothing.
            if from >= due.timestamp() {
                continue;
            }
            let from = from.to_zoned_datetime(self.time_zone.clone());
            let end = end.to_zoned_datetime(self.time_zone.clone());
            due = due.checked_add(from.until((Unit::Day, &end))?)?;
        }
        let soon = due.checked_sub(Span::new().try_days(warning)?)?.timestamp();
        Ok(Due { due_at: due.timestamp(), due_soon_at: soon.max(start) })
    }

    /// Business days: counted time runs only on business days, and the
    /// ticket is due once `days` days of it have run, plus the counted
    /// time inside its pauses.
    fn due_business(
        &self,
        days: i64,
        warning: i64,
        start: Timestamp,
        pauses: &[Pause],
    ) -> Result<Due, jiff::Error> {
        let clock = BusinessClock::new(self, start);
        let origin = clock.position(start)?;
        let mut target = origin + i128::from(days) * DAY;
        for (from, end) in clipped(start, pauses) {
            let from = clock.position(from)?;
            if from >= target {
                continue;
            }
            target += (clock.position(end)? - from).max(0);
        }
        let due_at = clock.moment(target)?;
        let soon = target - i128::from(warning) * DAY;
        let due_soon_at = if soon < origin { start } else { clock.moment(soon)?.max(start) };
        Ok(Due { due_at, due_soon_at })
    }

    fn is_weekend(&self, day: Weekday) -> bool {
        let index = usize::try_from(day.to_monday_zero_offset()).unwrap_or_default();
        self.weekend.get(index).copied().unwrap_or(false)
    }

    /// Weekdays that are not weekend days; at least one, as read checks.
    fn business_days_per_week(&self) -> i64 {
        self.weekend.iter().filter(|off| !**off).count().max(1) as i64
    }

    pub(super) fn read(source: &Source<'_>, raw: &RawSla) -> Result<SlaPolicy, PolicyFileError> {
        let mut sla = SlaPolicy::default();
        if let Some(days) = &raw.days {
            read_days(source, days, "days", 1, &mut sla.days)?;
        }
        if let Some(due_soon) = &raw.due_soon {
            read_days(source, due_soon, "due_soon", 0, &mut sla.due_soon)?;
        }
        if let Some(calendar) = &raw.calendar {
            sla.calendar = match calendar.get_ref().as_str() {
                "calendar" => SlaCalendar::Calendar,
                "business" => SlaCalendar::Business,
                other => {
                    return Err(source.error(
                        calendar.span(),
                        format!(
                            "unknown calendar {other:?}; expected \"calendar\" or \"business\""
                        ),
                    ));
                }
            };
        }
        if let Some(name) = &raw.time_zone {
            sla.time_zone = TimeZone::get(name.get_ref()).map_err(|_| {
                source.error(
                    name.span(),
                    format!(
                        "unknown time zone {:?}; \
                         expected an IANA name such as \"Europe/Berlin\" or \"UTC\"",
                        name.get_ref()
                    ),
                )
            })?;
            sla.time_zone_name = name.get_ref().clone();
        }
        if let Some(weekend) = &raw.weekend {
            sla.weekend = read_weekend(source, weekend)?;
        }
        for holiday in raw.holidays.iter().flatten() {
            sla.holidays.insert(read_date(holiday.get_ref()).ok_or_else(|| {
                source.error(
                    holiday.span(),
                    format!(
                        "bad date {}; expected a date such as \"2026-12-25\"",
                        shown(holiday.get_ref())
                    ),
                )
            })?);
        }
        Ok(sla)
    }
}

/// Each pause as the stretch of it that falls after `start` and after the
/// pauses before it, so no time is left out twice; empty ones dropped.
fn clipped(start: Timestamp, pauses: &[Pause]) -> Vec<(Timestamp, Timestamp)> {
    let mut resume = start;
    let mut out = Vec::new();
    for pause in pauses {
        let Some(end) = pause.end else { continue };
        let from = pause.start.max(resume);
        if end > from {
            out.push((from, end));
            resume = end;
        }
    }
    out
}

/// Counted time on business days, in wall-clock nanoseconds from the
/// start of the day the clock started on. A moment on a day that does not
/// count stands where the next business day begins.
struct BusinessClock<'a> {
    policy: &'a SlaPolicy,
    anchor: Date,
}

impl<'a> BusinessClock<'a> {
    fn new(policy: &'a SlaPolicy, start: Timestamp) -> BusinessClock<'a> {
        let anchor = start.to_zoned_datetime(policy.time_zone.clone()).date();
        BusinessClock { policy, anchor }
    }

    /// How much counted time lies between the anchor and `at`.
    fn position(&self, at: Timestamp) -> Result<i128, jiff::Error> {
        let local = at.to_zoned_datetime(self.policy.time_zone.clone());
        let date = local.date();
        let before = i128::from(self.business_days_before(date)?);
        let into_day =
            if self.policy.is_business_day(date) { nanos_of_day(local.time()) } else { 0 };
        Ok(before * DAY + into_day)
    }

    /// The moment at which `counted` time has run: on the business day it
    /// falls in, at the wall-clock time it leaves over.
    fn moment(&self, counted: i128) -> Result<Timestamp, jiff::Error> {
        let days = i64::try_from(counted.div_euclid(DAY)).unwrap_or(i64::MAX);
        let date = self.nth_business_day(days)?;
        let time = time_of_day(counted.rem_euclid(DAY))?;
        let local: ZonedDateTime =
            DateTime::from_parts(date, time).to_zoned_datetime(self.policy.time_zone.clone())?;
        Ok(local.timestamp())
    }

    /// Business days from the anchor (included) to `date` (excluded).
    fn business_days_before(&self, date: Date) -> Result<i64, jiff::Error> {
        if date <= self.anchor {
            return Ok(0);
        }
        let days = i64::from(self.anchor.until((Unit::Day, date))?.get_days());
        let weeks = days / 7;
        let mut count = weeks * self.policy.business_days_per_week();
        let mut day = self.anchor.checked_add(Span::new().try_days(weeks * 7)?)?;
        while day < date {
            count += i64::from(!self.policy.is_weekend(day.weekday()));
            day = day.tomorrow()?;
        }
        let holidays = self.policy.holidays.range(self.anchor..date);
        Ok(count - holidays.filter(|h| !self.policy.is_weekend(h.weekday())).count() as i64)
    }

    /// The business day with `n` business days between the anchor and it
    /// (the first is number 0).
    fn nth_business_day(&self, n: i64) -> Result<Date, jiff::Error> {
        // Whole weeks never overshoot: holidays only make them hold fewer.
        let weeks = n / self.policy.business_days_per_week();
        let mut day = self.anchor.checked_add(Span::new().try_days(weeks * 7)?)?;
        let mut seen = self.business_days_before(day)?;
        loop {
            if self.policy.is_business_day(day) {
                if seen >= n {
                    return Ok(day);
                }
                seen += 1;
            }
            day = day.tomorrow()?;
        }
    }
}

fn nanos_of_day(time: Time) -> i128 {
    let seconds =
        i128::from(time.hour()) * 3600 + i128::from(time.minute()) * 60 + i128::from(time.second());
    seconds * 1_000_000_000 + i128::from(time.subsec_nanosecond())
}

fn time_of_day(nanos: i128) -> Result<Time, jiff::Error> {
    let seconds = nanos / 1_000_000_000;
    let part = |value: i128| i8::try_from(value).unwrap_or_default();
    Time::new(
        part(seconds / 3600),
        part(seconds / 60 % 60),
        part(seconds % 60),
        i32::try_from(nanos % 1_000_000_000).unwrap_or_default(),
    )
}

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("monday", Weekday::Monday),
    ("tuesday", Weekday::Tuesday),
    ("wednesday", Weekday::Wednesday),
    ("thursday", Weekday::Thursday),
    ("friday", Weekday::Friday),
    ("saturday", Weekday::Saturday),
    ("sunday", Weekday::Sunday),
];

fn read_days(
    source: &Source<'_>,
    table: &Table<i64>,
    key: &str,
    least: i64,
    into: &mut PerPriority,
) -> Result<(), PolicyFileError> {
    for (name, days) in table {
        let priority: Priority = name
            .get_ref()
            .parse()
            .map_err(|e: UnknownPriority| source.error(name.span(), e.to_string()))?;
        let value = *days.get_ref();
        if !(least..=MAX_DAYS).contains(&value) {
            let why = if key == "days" { "an SLA needs at least one day" } else { "out of range" };
            return Err(source.error(
                days.span(),
                format!(
                    "sla.{key}.{priority} = {value}: {why}; expected {least} to {MAX_DAYS} days"
                ),
            ));
        }
        into.set(priority, u32::try_from(value).unwrap_or_default());
    }
    Ok(())
}

fn read_weekend(
    source: &Source<'_>,
    list: &At<Vec<At<String>>>,
) -> Result<[bool; 7], PolicyFileError> {
    let mut weekend = [false; 7];
    for day in list.get_ref() {
        let name = day.get_ref().trim().to_ascii_lowercase();
        let index = WEEKDAYS.iter().position(|(n, _)| *n == name).ok_or_else(|| {
            source.error(
                day.span(),
                format!("unknown day {:?}; expected monday, tuesday, ... or sunday", day.get_ref()),
            )
        })?;
        if let Some(slot) = weekend.get_mut(index) {
            *slot = true;
        }
    }
    if weekend.iter().all(|off| *off) {
        return Err(source.error(
            list.span(),
            "every day of the week is a weekend day, so no business day would ever count",
        ));
    }
    Ok(weekend)
}

/// A value as an error quotes it.
fn shown(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => format!("{text:?}"),
        toml::Value::Datetime(when) => when.to_string(),
        other => format!("of type {}", other.type_str()),
    }
}

/// A holiday as a string (`"2026-12-25"`) or a bare TOML date.
fn read_date(value: &toml::Value) -> Option<Date> {
    match value {
        // Only the plain form: jiff would also take a date with a time.
        toml::Value::String(text) => {
            text.trim().parse::<Date>().ok().filter(|date| date.to_string() == text.trim())
        }
        toml::Value::Datetime(when) if when.time.is_none() && when.offset.is_none() => {
            let date = when.date?;
            let (month, day) = (i8::try_from(date.month).ok()?, i8::try_from(date.day).ok()?);
            Date::new(i16::try_from(date.year).ok()?, month, day).ok()
        }
        _ => None,
    }
}
