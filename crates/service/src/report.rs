//! fixgate's figures (KPIs) for managers and auditors: time to triage and
//! to remediate, SLA adherence, the reopen rate, the open backlog, its
//! trend and what it is made of, and how recently each repository was
//! scanned. docs/metrics.md gives each figure's exact rule.
//!
//! Everything is computed from the facts the store folds from the event
//! log. The window (`since` to `until`, whole days), its weeks or months and
//! its days are cut in the triage policy's time zone here, and the store
//! only counts between the bounds it is given. Percentiles are nearest-rank
//! over the exact elapsed times.

use std::collections::BTreeMap;

use fixgate_store::{
    Coverage, Durations, KpiClock, KpiFilter, KpiGroup, KpiScope, OpenBounds, OpenCount, StepCount,
    TopOpen, Visibility,
};
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::{Fixgate, ServiceError};

/// The window when none is given: the 90 days up to today.
pub const DEFAULT_WINDOW_DAYS: i32 = 90;

/// The longest window asked for at once, in days (three years).
pub const MAX_WINDOW_DAYS: i32 = 1_100;

/// A repository and tool whose latest complete scan is older than this
/// many days is stale, unless the request says otherwise.
pub const DEFAULT_STALE_DAYS: u32 = 30;

/// How many CWEs, rules and repositories the top lists name.
pub const TOP: usize = 10;

const HOUR_MS: f64 = 3_600_000.0;
const DAY_MS: i64 = 86_400_000;

/// How a window is cut for the figures that have a trend.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Weeks from Monday.
    #[default]
    Week,
    Month,
}

impl std::str::FromStr for Period {
    type Err = String;

    fn from_str(s: &str) -> Result<Period, String> {
        match s.trim() {
            "week" => Ok(Period::Week),
            "month" => Ok(Period::Month),
            other => Err(format!("unknown period {other:?}: use week or month")),
        }
    }
}

/// What figures to compute.
#[derive(Debug, Clone, Default)]
pub struct KpiRequest {
    /// The window's first day (default: `days` − 1 days before `until`).
    pub since: Option<Date>,
    /// The window's last day, included (default: today).
    pub until: Option<Date>,
    /// How many days the window spans when `since` is not given (default
    /// [`DEFAULT_WINDOW_DAYS`]).
    pub days: Option<i32>,
    pub by: Option<KpiGroup>,
    /// Groups the open tickets alone when `by` is not given: the
    /// dashboard's ages by severity, without grouping every other figure.
    pub open_by: Option<KpiGroup>,
    pub period: Period,
    /// Default [`DEFAULT_STALE_DAYS`].
    pub stale_days: Option<u32>,
    /// Which of the visible tickets the figures count (default: all).
    pub filter: KpiFilter,
}

/// Every figure, as the API and `fixgate report kpis --json` give them.
#[derive(Debug, Clone, Serialize)]
pub struct Kpis {
    pub window: Window,
    /// What makes the figures less than complete, in words.
    pub warnings: Vec<String>,
    /// First detection to first triage.
    pub mttt: Breakdown<Timing>,
    /// First detection to each verification by a scan.
    pub mttr: Breakdown<Timing>,
    pub closures: Breakdown<Closures>,
    pub sla: Breakdown<Adherence>,
    pub reopen_rate: Breakdown<Reopens>,
    /// The open tickets now.
    pub open: OpenNow,
    pub opened_vs_verified: Vec<WeekFlow>,
    /// The open backlog at the end of each day of the window.
    pub backlog: Vec<DayBacklog>,
    pub top: Top,
    pub coverage: Vec<CoverageRow>,
}

/// The window the figures cover.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub since: Date,
    pub until: Date,
    /// The policy's time zone, which days, weeks and months follow.
    pub time_zone: String,
    pub period: Period,
    pub by: Option<KpiGroup>,
    /// The moment open-ticket figures describe.
    pub as_of: Timestamp,
    pub stale_days: u32,
}

/// A figure over the whole window, for each group, and for each period.
#[derive(Debug, Clone, Serialize)]
pub struct Breakdown<T> {
    pub all: T,
    /// Present with `by`: each group with data (`null`: tickets with none).
    pub groups: Vec<Grouped<T>>,
    /// Every period of the window, in order, each named by its first day.
    pub periods: Vec<Periodic<T>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Grouped<T> {
    pub group: Option<String>,
    #[serde(flatten)]
    pub value: T,
}

#[derive(Debug, Clone, Serialize)]
pub struct Periodic<T> {
    pub period: Date,
    #[serde(flatten)]
    pub value: T,
}

/// Elapsed times: how many, their median and 90th percentile (nearest
/// rank), in hours to two decimals; `null` without samples.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Timing {
    pub count: u64,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
}

/// Closings by closing date: verified by a scan, or an override.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Closures {
    pub total: u64,
    pub verified: u64,
    /// Everything but verifications: the four below.
    pub overrides: u64,
    /// Closed by hand without a scan's proof.
    pub closed: u64,
    pub false_positive: u64,
    pub risk_accepted: u64,
    pub duplicate: u64,
}

/// Closings against the due date in force when they happened.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Adherence {
    pub closed: u64,
    pub met: u64,
    pub missed: u64,
    /// Closings of tickets that had no due date.
    pub no_due_date: u64,
    /// met / (met + missed), to four decimals; `null` when both are 0.
    pub adherence: Option<f64>,
}

/// Reopenings against closings, in the same period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Reopens {
    /// Reopenings counted: `by_scan` + `by_person`.
    pub reopened: u64,
    /// A scan saw a closed ticket's finding again.
    pub by_scan: u64,
    /// A person reopened a closed or dismissed ticket.
    pub by_person: u64,
    pub closed: u64,
    /// reopened / closed, to four decimals; `null` without closings.
    pub rate: Option<f64>,
    /// Risk acceptances that ran out: they reopen the ticket (and count in
    /// the backlog) but end as agreed, so the rate leaves them out.
    pub acceptances_expired: u64,
}

/// The open tickets now, in all and by group.
#[derive(Debug, Clone, Serialize)]
pub struct OpenNow {
    pub all: OpenStats,
    pub groups: Vec<Grouped<OpenStats>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OpenStats {
    pub open: u64,
    /// Due date passed, clock running.
    pub breached: u64,
    /// Due within the next 7 days, clock running.
    pub due_within_7_days: u64,
    pub on_track: u64,
    /// The SLA clock stands still (waiting on a vendor).
    pub paused: u64,
    pub no_due_date: u64,
    /// By days since first detection.
    pub age: AgeBuckets,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AgeBuckets {
    #[serde(rename = "0-7")]
    pub days_0_7: u64,
    #[serde(rename = "8-30")]
    pub days_8_30: u64,
    #[serde(rename = "31-90")]
    pub days_31_90: u64,
    #[serde(rename = "91-180")]
    pub days_91_180: u64,
    #[serde(rename = "over-180")]
    pub over_180: u64,
}

impl AgeBuckets {
    fn add(&mut self, bucket: usize, n: u64) {
        match bucket {
            0 => self.days_0_7 += n,
            1 => self.days_8_30 += n,
            2 => self.days_31_90 += n,
            3 => self.days_91_180 += n,
            _ => self.over_180 += n,
        }
    }

    /// (CSV name, count), youngest first.
    fn named(&self) -> [(&'static str, u64); 5] {
        [
            ("0_7", self.days_0_7),
            ("8_30", self.days_8_30),
            ("31_90", self.days_31_90),
            ("91_180", self.days_91_180),
            ("over_180", self.over_180),
        ]
    }
}

/// Tickets first detected, and verifications, in one week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeekFlow {
    /// The week's first day in the window.
    pub week: Date,
    pub opened: u64,
    pub verified: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayBacklog {
    pub day: Date,
    pub open: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Top {
    pub cwes: Vec<Named>,
    pub rules: Vec<Named>,
    pub repositories: Vec<Named>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    pub name: String,
    pub open: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoverageRow {
    pub application: String,
    /// `null` for scans that name no repository.
    pub repository: Option<String>,
    pub tool: String,
    pub last_complete_scan_at: Option<Timestamp>,
    pub last_complete_scan_id: Option<i64>,
    /// Whole days since that scan; `null` without one.
    pub age_days: Option<i64>,
    /// No complete scan, or one older than `stale_days`.
    pub stale: bool,
}

/// The window cut into days and periods: epoch-millisecond bounds.
struct Cuts {
    since: Date,
    until: Date,
    days: Vec<Date>,
    /// Each day's start, then the end of the last day.
    day_bounds: Vec<i64>,
    /// Each period's first day and start, then the window's end.
    periods: Vec<Date>,
    period_bounds: Vec<i64>,
    /// The period each day falls in.
    day_period: Vec<usize>,
    /// The first day of each week in the window.
    weeks: Vec<Date>,
}

impl Cuts {
    fn new(
        since: Date,
        until: Date,
        zone: &TimeZone,
        period: Period,
    ) -> Result<Cuts, ServiceError> {
        let mut days = Vec::new();
        let mut day_bounds = Vec::new();
        let mut day = since;
        loop {
            day_bounds.push(start_of(day, zone)?);
            if day > until {
                break;
            }
            days.push(day);
            day = day.tomorrow().map_err(|err| ServiceError::Invalid(err.to_string()))?;
        }
        let starts = |new: fn(Date) -> bool| -> (Vec<Date>, Vec<i64>) {
            let mut dates = Vec::new();
            let mut bounds = Vec::new();
            for (i, d) in days.iter().enumerate() {
                if i == 0 || new(*d) {
                    dates.push(*d);
                    bounds.push(day_bounds.get(i).copied().unwrap_or_default());
                }
            }
            bounds.push(day_bounds.last().copied().unwrap_or_default());
            (dates, bounds)
        };
        let (weeks, week_bounds) = starts(|d| d.weekday() == Weekday::Monday);
        let (periods, period_bounds) = match period {
            Period::Week => (weeks.clone(), week_bounds),
            Period::Month => starts(|d| d.day() == 1),
        };
        let day_period = days
            .iter()
            .map(|day| periods.partition_point(|start| start <= day).saturating_sub(1))
            .collect();
        Ok(Cuts { since, until, days, day_bounds, periods, period_bounds, day_period, weeks })
    }

    fn end(&self) -> i64 {
        self.day_bounds.last().copied().unwrap_or_default()
    }
}

/// The first moment of `day` in `zone`, in epoch milliseconds.
pub(crate) fn start_of(day: Date, zone: &TimeZone) -> Result<i64, ServiceError> {
    let zoned = day
        .to_zoned_datetime(zone.clone())
        .map_err(|err| ServiceError::Invalid(err.to_string()))?;
    Ok(zoned.timestamp().as_millisecond())
}

impl Fixgate {
    /// The figures `request` asks for, of the tickets `visibility` sees.
    pub async fn kpis(
        &self,
        request: &KpiRequest,
        visibility: Visibility,
    ) -> Result<Kpis, ServiceError> {
        let now = self.clock.now();
        let policy = self.triage_policy().await?;
        let zone = policy.sla().time_zone().clone();
        let (since, until) = window((request.since, request.until), request.days, now, &zone)?;
        let cuts = Cuts::new(since, until, &zone, request.period)?;
        let scope = KpiScope { visibility, by: request.by, filter: request.filter.clone() };
        let stale_days = request.stale_days.unwrap_or(DEFAULT_STALE_DAYS);

        // Each statement reads its own index range; on their own connections
        // they run side by side.
        let store = &self.store;
        let bounds = open_bounds(now);
        let open_scope = KpiScope { by: request.by.or(request.open_by), ..scope.clone() };
        let after_window = [cuts.end(), i64::MAX];
        let fetched = tokio::try_join!(
            store.kpi_steps(&scope, &cuts.day_bounds),
            store.kpi_durations(&scope, &cuts.period_bounds, KpiClock::Triage),
            store.kpi_durations(&scope, &cuts.period_bounds, KpiClock::Verification),
            store.kpi_opened(&scope, &cuts.day_bounds),
            store.kpi_steps(&scope, &after_window),
            store.kpi_opened(&scope, &after_window),
            store.kpi_open(&open_scope, &bounds),
            store.kpi_top(&scope, TOP),
            store.kpi_coverage(&scope),
            store.kpi_facts_incomplete(),
        )?;
        let (
            daily,
            triage,
            verification,
            opened,
            steps_after,
            opened_after,
            open,
            top,
            coverage,
            incomplete,
        ) = fetched;
        let days = day_flows(&opened, &daily);
        let after = day_flows(&opened_after, &steps_after).into_iter().next().unwrap_or_default();
        // Periods are whole days: each day's counts go to its period.
        let steps: Vec<StepCount> = daily
            .into_iter()
            .filter_map(|step| {
                let period = *cuts.day_period.get(step.period)?;
                Some(StepCount { period, ..step })
            })
            .collect();

        let mut warnings = Vec::new();
        if incomplete {
            warnings.push(
                "these figures leave out tickets from before this version of fixgate: run \
                 `fixgate report rebuild` once to compute them from the whole history"
                    .to_string(),
            );
        }
        let open = open_now(&open);
        let backlog = backlog(&cuts, &days, open.all.open, &after);
        let mut kpis = Kpis {
            window: Window {
                since: cuts.since,
                until: cuts.until,
                time_zone: policy.sla().time_zone_name().to_string(),
                period: request.period,
                by: request.by,
                as_of: now,
                stale_days,
            },
            warnings,
            mttt: timings(&triage, &cuts.periods),
            mttr: timings(&verification, &cuts.periods),
            closures: breakdown(&steps, &cuts.periods, closures),
            sla: breakdown(&steps, &cuts.periods, adherence),
            reopen_rate: breakdown(&steps, &cuts.periods, reopens),
            open,
            opened_vs_verified: weekly(&cuts, &days),
            backlog,
            top: top_of(top),
            coverage: coverage_rows(coverage, now, stale_days),
        };
        if request.by.is_none() {
            kpis.ungroup(request.open_by.is_some());
        }
        Ok(kpis)
    }

    /// Recomputes the figures' facts from the event log; returns the number
    /// of security tickets.
    pub async fn rebuild_kpi_facts(&self) -> Result<u64, ServiceError> {
        Ok(self.store.rebuild_kpi_facts().await?)
    }
}

/// The window's first and last day: `until` defaults to today in `zone`,
/// `since` to `days` (else [`DEFAULT_WINDOW_DAYS`]) days up to `until`.
pub(crate) fn window(
    (since, until): (Option<Date>, Option<Date>),
    days: Option<i32>,
    now: Timestamp,
    zone: &TimeZone,
) -> Result<(Date, Date), ServiceError> {
    let today = now.to_zoned_datetime(zone.clone()).date();
    let until = until.unwrap_or(today);
    let since = match since {
        Some(since) => since,
        None => {
            let days = days.unwrap_or(DEFAULT_WINDOW_DAYS);
            if !(1..=MAX_WINDOW_DAYS).contains(&days) {
                return Err(ServiceError::Invalid(format!(
                    "a window of {days} days: ask for 1 to {MAX_WINDOW_DAYS} days"
                )));
            }
            until
                .checked_sub(jiff::Span::new().days(days - 1))
                .map_err(|err| ServiceError::Invalid(err.to_string()))?
        }
    };
    if since > until {
        return Err(ServiceError::Invalid(format!(
            "since ({since}) is after until ({until}): the window runs from since to until"
        )));
    }
    let days = since.until(until).map_err(|err| ServiceError::Invalid(err.to_string()))?;
    if days.get_days() >= MAX_WINDOW_DAYS {
        return Err(ServiceError::Invalid(format!(
            "the window from {since} to {until} is longer than {MAX_WINDOW_DAYS} days: ask for \
             less at a time"
        )));
    }
    Ok((since, until))
}

fn open_bounds(now: Timestamp) -> OpenBounds {
    let now = now.as_millisecond();
    let days_ago = |days: i64| now - days * DAY_MS;
    OpenBounds {
        now,
        due_soon_until: now + 7 * DAY_MS,
        age: [days_ago(8), days_ago(31), days_ago(91), days_ago(181)],
    }
}

/// The nearest-rank `p`th percentile of `sorted`: the value at rank
/// ⌈p/100 × n⌉ (counting from 1).
pub fn nearest_rank(sorted: &[i64], p: u32) -> Option<i64> {
    let n = sorted.len();
    let rank = (p as usize * n).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

fn hours(ms: i64) -> f64 {
    round(ms as f64 / HOUR_MS, 2)
}

fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10_f64.powi(decimals);
    (value * scale).round() / scale
}

fn timing(mut elapsed: Vec<i64>) -> Timing {
    elapsed.sort_unstable();
    Timing {
        count: elapsed.len() as u64,
        median_hours: nearest_rank(&elapsed, 50).map(hours),
        p90_hours: nearest_rank(&elapsed, 90).map(hours),
    }
}

fn timings(rows: &[Durations], periods: &[Date]) -> Breakdown<Timing> {
    let mut all = Vec::new();
    let mut groups: BTreeMap<Option<String>, Vec<i64>> = BTreeMap::new();
    let mut by_period: Vec<Vec<i64>> = vec![Vec::new(); periods.len()];
    for row in rows {
        all.extend(&row.elapsed);
        groups.entry(row.group.clone()).or_default().extend(&row.elapsed);
        if let Some(values) = by_period.get_mut(row.period) {
            values.extend(&row.elapsed);
        }
    }
    Breakdown {
        all: timing(all),
        groups: groups
            .into_iter()
            .map(|(group, values)| Grouped { group, value: timing(values) })
            .collect(),
        periods: periods
            .iter()
            .zip(by_period)
            .map(|(period, values)| Periodic { period: *period, value: timing(values) })
            .collect(),
    }
}

/// A figure over the window, by group and by period, from the step counts
/// that `figure` reads.
fn breakdown<T>(
    steps: &[StepCount],
    periods: &[Date],
    figure: fn(&[&StepCount]) -> T,
) -> Breakdown<T> {
    let all: Vec<&StepCount> = steps.iter().collect();
    let mut groups: BTreeMap<Option<String>, Vec<&StepCount>> = BTreeMap::new();
    let mut by_period: Vec<Vec<&StepCount>> = vec![Vec::new(); periods.len()];
    for step in steps {
        groups.entry(step.group.clone()).or_default().push(step);
        if let Some(rows) = by_period.get_mut(step.period) {
            rows.push(step);
        }
    }
    Breakdown {
        all: figure(&all),
        groups: groups
            .into_iter()
            .map(|(group, rows)| Grouped { group, value: figure(&rows) })
            .collect(),
        periods: periods
            .iter()
            .zip(by_period)
            .map(|(period, rows)| Periodic { period: *period, value: figure(&rows) })
            .collect(),
    }
}

fn closures(steps: &[&StepCount]) -> Closures {
    let mut out = Closures::default();
    for step in steps.iter().filter(|s| s.step == "closed") {
        out.total += step.count;
        match step.detail.as_str() {
            "verified" => out.verified += step.count,
            "closed" => out.closed += step.count,
            "false_positive" => out.false_positive += step.count,
            "risk_accepted" => out.risk_accepted += step.count,
            _ => out.duplicate += step.count,
        }
    }
    out.overrides = out.total - out.verified;
    out
}

fn adherence(steps: &[&StepCount]) -> Adherence {
    let mut out = Adherence::default();
    for step in steps.iter().filter(|s| s.step == "closed") {
        out.closed += step.count;
        match step.met {
            Some(true) => out.met += step.count,
            Some(false) => out.missed += step.count,
            None => out.no_due_date += step.count,
        }
    }
    out.adherence = ratio(out.met, out.met + out.missed);
    out
}

fn reopens(steps: &[&StepCount]) -> Reopens {
    let mut out = Reopens::default();
    for step in steps {
        match (step.step.as_str(), step.detail.as_str()) {
            ("closed", _) => out.closed += step.count,
            (_, "scan") => out.by_scan += step.count,
            (_, "person") => out.by_person += step.count,
            _ => out.acceptances_expired += step.count,
        }
    }
    out.reopened = out.by_scan + out.by_person;
    out.rate = ratio(out.reopened, out.closed);
    out
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| round(part as f64 / whole as f64, 4))
}

fn open_now(rows: &[OpenCount]) -> OpenNow {
    let mut all = OpenStats::default();
    let mut groups: BTreeMap<Option<String>, OpenStats> = BTreeMap::new();
    for row in rows {
        for stats in [&mut all, groups.entry(row.group.clone()).or_default()] {
            stats.open += row.count;
            stats.age.add(row.age, row.count);
            match row.sla.as_str() {
                "breached" => stats.breached += row.count,
                "due_soon" => stats.due_within_7_days += row.count,
                "on_track" => stats.on_track += row.count,
                "paused" => stats.paused += row.count,
                _ => stats.no_due_date += row.count,
            }
        }
    }
    OpenNow {
        all,
        groups: groups.into_iter().map(|(group, value)| Grouped { group, value }).collect(),
    }
}

/// What opened, closed and reopened on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct DayFlow {
    opened: u64,
    closed: u64,
    /// Closings that were verifications by a scan.
    verified: u64,
    /// Reopenings of every kind, expired acceptances included.
    reopened: u64,
}

impl DayFlow {
    /// The change in the open backlog.
    fn net(&self) -> i64 {
        self.opened as i64 + self.reopened as i64 - self.closed as i64
    }
}

/// Each day's flow from its first detections and its steps (of every group).
fn day_flows(opened: &[u64], steps: &[StepCount]) -> Vec<DayFlow> {
    let mut days: Vec<DayFlow> =
        opened.iter().map(|&opened| DayFlow { opened, ..DayFlow::default() }).collect();
    for step in steps {
        let Some(day) = days.get_mut(step.period) else { continue };
        match step.step.as_str() {
            "closed" => {
                day.closed += step.count;
                if step.detail == "verified" {
                    day.verified += step.count;
                }
            }
            _ => day.reopened += step.count,
        }
    }
    days
}

fn weekly(cuts: &Cuts, days: &[DayFlow]) -> Vec<WeekFlow> {
    let mut weeks: Vec<WeekFlow> =
        cuts.weeks.iter().map(|week| WeekFlow { week: *week, opened: 0, verified: 0 }).collect();
    let mut current = 0;
    for (day, flow) in cuts.days.iter().zip(days) {
        if cuts.weeks.get(current + 1) == Some(day) {
            current += 1;
        }
        if let Some(week) = weeks.get_mut(current) {
            week.opened += flow.opened;
            week.verified += flow.verified;
        }
    }
    weeks
}

/// The open backlog at the end of each day: the open tickets now, less
/// what opened and reopened, plus what closed, after that day.
fn backlog(cuts: &Cuts, days: &[DayFlow], open_now: u64, after: &DayFlow) -> Vec<DayBacklog> {
    let mut open = open_now as i64 - after.net();
    let mut out: Vec<DayBacklog> = Vec::with_capacity(days.len());
    for (day, flow) in cuts.days.iter().zip(days).rev() {
        out.push(DayBacklog { day: *day, open });
        open -= flow.net();
    }
    out.reverse();
    out
}

fn top_of(top: TopOpen) -> Top {
    let named = |list: Vec<(String, u64)>| {
        list.into_iter().map(|(name, open)| Named { name, open }).collect::<Vec<_>>()
    };
    Top { cwes: named(top.cwes), rules: named(top.rules), repositories: named(top.repositories) }
}

fn coverage_rows(rows: Vec<Coverage>, now: Timestamp, stale_days: u32) -> Vec<CoverageRow> {
    rows.into_iter()
        .map(|row| {
            let at = row.last_complete_scan_at.and_then(|ms| Timestamp::from_millisecond(ms).ok());
            let age_days = at.map(|at| {
                now.duration_since(at)
                    .as_secs()
                    .div_euclid(SignedDuration::from_hours(24).as_secs())
            });
            CoverageRow {
                application: row.application,
                repository: row.repository,
                tool: row.tool,
                last_complete_scan_at: at,
                last_complete_scan_id: row.last_complete_scan_id,
                stale: age_days.is_none_or(|age| age > i64::from(stale_days)),
                age_days,
            }
        })
        .collect()
}

impl Kpis {
    /// Leaves out the one group an ungrouped request's figures fall in
    /// (the open tickets' groups stay when they were asked for alone).
    fn ungroup(&mut self, keep_open: bool) {
        self.mttt.groups.clear();
        self.mttr.groups.clear();
        self.closures.groups.clear();
        self.sla.groups.clear();
        self.reopen_rate.groups.clear();
        if !keep_open {
            self.open.groups.clear();
        }
    }

    /// The figures in a long CSV table, `figure,group,period,value`, one
    /// figure per row (see docs/metrics.md): `group` is `all` for the whole
    /// window or a group's label (`(none)` for tickets without one), `period`
    /// is `all`, a period's or a day's first day, or `now`; an empty value
    /// has no samples.
    pub fn to_csv(&self) -> String {
        let mut rows = Rows::default();
        rows.breakdown("mttt", &self.mttt, timing_values);
        rows.breakdown("mttr", &self.mttr, timing_values);
        rows.breakdown("closures", &self.closures, closure_values);
        rows.breakdown("sla", &self.sla, adherence_values);
        rows.breakdown("reopen", &self.reopen_rate, reopen_values);
        rows.open("all", &self.open.all);
        for group in &self.open.groups {
            rows.open(&label(&group.group), &group.value);
        }
        for week in &self.opened_vs_verified {
            let period = week.week.to_string();
            rows.push("weekly_opened", "all", &period, week.opened.to_string());
            rows.push("weekly_verified", "all", &period, week.verified.to_string());
        }
        for day in &self.backlog {
            rows.push("backlog_open", "all", &day.day.to_string(), day.open.to_string());
        }
        for (figure, list) in [
            ("top_cwe", &self.top.cwes),
            ("top_rule", &self.top.rules),
            ("top_repository", &self.top.repositories),
        ] {
            for named in list {
                rows.push(figure, &named.name, "now", named.open.to_string());
            }
        }
        for row in &self.coverage {
            let place =
                row.repository.clone().unwrap_or_else(|| format!("app:{}", row.application));
            let group = format!("{place} {}", row.tool);
            rows.push("coverage_age_days", &group, "now", optional(row.age_days));
            rows.push("coverage_stale", &group, "now", u8::from(row.stale).to_string());
        }
        rows.text
    }
}

/// The CSV under construction.
struct Rows {
    text: String,
}

impl Default for Rows {
    fn default() -> Rows {
        Rows { text: "figure,group,period,value\n".to_string() }
    }
}

impl Rows {
    fn push(&mut self, figure: &str, group: &str, period: &str, value: String) {
        for (i, field) in [figure, group, period, value.as_str()].into_iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            crate::csv::push_field(&mut self.text, field);
        }
        self.text.push('\n');
    }

    fn breakdown<T>(
        &mut self,
        family: &str,
        figure: &Breakdown<T>,
        values: fn(&T) -> Vec<(&'static str, String)>,
    ) {
        let mut put = |group: &str, period: &str, value: &T| {
            for (name, value) in values(value) {
                self.push(&format!("{family}_{name}"), group, period, value);
            }
        };
        put("all", "all", &figure.all);
        for group in &figure.groups {
            put(&label(&group.group), "all", &group.value);
        }
        for period in &figure.periods {
            put("all", &period.period.to_string(), &period.value);
        }
    }

    fn open(&mut self, group: &str, stats: &OpenStats) {
        let counts = [
            ("open_total", stats.open),
            ("open_breached", stats.breached),
            ("open_due_within_7_days", stats.due_within_7_days),
            ("open_on_track", stats.on_track),
            ("open_paused", stats.paused),
            ("open_no_due_date", stats.no_due_date),
        ];
        for (figure, n) in counts {
            self.push(figure, group, "now", n.to_string());
        }
        for (bucket, n) in stats.age.named() {
            self.push(&format!("open_age_{bucket}"), group, "now", n.to_string());
        }
    }
}

fn label(group: &Option<String>) -> String {
    group.clone().unwrap_or_else(|| "(none)".to_string())
}

fn optional<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn timing_values(t: &Timing) -> Vec<(&'static str, String)> {
    vec![
        ("count", t.count.to_string()),
        ("median_hours", optional(t.median_hours)),
        ("p90_hours", optional(t.p90_hours)),
    ]
}

fn closure_values(c: &Closures) -> Vec<(&'static str, String)> {
    [
        ("total", c.total),
        ("verified", c.verified),
        ("overrides", c.overrides),
        ("closed", c.closed),
        ("false_positive", c.false_positive),
        ("risk_accepted", c.risk_accepted),
        ("duplicate", c.duplicate),
    ]
    .into_iter()
    .map(|(name, n)| (name, n.to_string()))
    .collect()
}

fn adherence_values(a: &Adherence) -> Vec<(&'static str, String)> {
    vec![
        ("closed", a.closed.to_string()),
        ("met", a.met.to_string()),
        ("missed", a.missed.to_string()),
        ("no_due_date", a.no_due_date.to_string()),
        ("adherence", optional(a.adherence)),
    ]
}

fn reopen_values(r: &Reopens) -> Vec<(&'static str, String)> {
    vec![
        ("reopened", r.reopened.to_string()),
        ("by_scan", r.by_scan.to_string()),
        ("by_person", r.by_person.to_string()),
        ("closed", r.closed.to_string()),
        ("rate", optional(r.rate)),
        ("acceptances_expired", r.acceptances_expired.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_takes_the_value_at_the_rounded_up_rank() {
        let values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        assert_eq!(nearest_rank(&values, 50), Some(5));
        assert_eq!(nearest_rank(&values, 90), Some(9));
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        assert_eq!(nearest_rank(&[1, 2, 3], 50), Some(2));
        assert_eq!(nearest_rank(&[], 50), None);
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first_in_the_policys_zone() {
        let zone = TimeZone::get("Europe/Berlin").unwrap();
        let since: Date = "2026-10-22".parse().unwrap();
        let until: Date = "2026-11-03".parse().unwrap();
        let cuts = Cuts::new(since, until, &zone, Period::Month).unwrap();
        assert_eq!(cuts.days.len(), 13);
        let weeks: Vec<String> = cuts.weeks.iter().map(Date::to_string).collect();
        assert_eq!(weeks, ["2026-10-22", "2026-10-26", "2026-11-02"]);
        let months: Vec<String> = cuts.periods.iter().map(Date::to_string).collect();
        assert_eq!(months, ["2026-10-22", "2026-11-01"]);
        // Summer time ends on 25 October: that day has 25 hours.
        let day = |i: usize| cuts.day_bounds[i + 1] - cuts.day_bounds[i];
        assert_eq!(day(3), 25 * 3_600_000);
        assert_eq!(day(4), 24 * 3_600_000);
        assert_eq!(
            cuts.day_bounds[0],
            "2026-10-21T22:00:00Z".parse::<Timestamp>().unwrap().as_millisecond()
        );
    }

    #[test]
    fn csv_fields_with_commas_or_quotes_are_quoted() {
        let mut rows = Rows::default();
        rows.push("top_rule", "say \"hi\", twice", "now", "3".into());
        assert_eq!(
            rows.text,
            "figure,group,period,value\ntop_rule,\"say \"\"hi\"\", twice\",now,3\n"
        );
    }
}
