//! The dashboard: fixgate's figures for what the signed-in person sees, as
//! headline tiles, four server-drawn charts (each with its numbers in a
//! table as well), the top lists and scanner coverage. A GET form narrows
//! the window, the team, the application and the severity, so a filtered
//! dashboard is a link to share.
//!
//! One page view computes the figures once, grouped by severity (the
//! stacked chart needs the groups; the tiles take the totals that come with
//! them), side by side with the names the form offers.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use fixgate_domain::{Action, Severity};
use fixgate_service::report::{KpiRequest, Kpis, MAX_WINDOW_DAYS, OpenStats, Timing};
use fixgate_store::{KpiChoices, KpiFilter, KpiGroup};
use jiff::civil::Date;
use serde::Deserialize;

use super::charts::{self, Caption, Series};
use super::error::PageError;
use super::view::{count, severity_label};
use super::{Nav, render};
use crate::AppState;
use crate::auth::SignedIn;

/// The windows the form offers, in days; the first is not the default.
const PRESETS: [(i32, &str); 3] =
    [(30, "Last 30 days"), (90, "Last 90 days"), (365, "Last 365 days")];
const DEFAULT_DAYS: i32 = 90;

/// The age buckets of open tickets, youngest first, as the figures cut them.
const AGES: [&str; 5] = ["0–7 days", "8–30 days", "31–90 days", "91–180 days", "over 180 days"];

/// `?days=30&team=payments&application=shop&severity=high`; empty means all.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DashboardQuery {
    #[serde(default)]
    days: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    application: String,
    #[serde(default)]
    severity: String,
}

impl DashboardQuery {
    fn is_filtered(&self) -> bool {
        [&self.days, &self.team, &self.application, &self.severity]
            .iter()
            .any(|v| !v.trim().is_empty())
    }

    /// The figures to ask for, or what is wrong with the form.
    fn to_request(&self) -> Result<KpiRequest, String> {
        let days = match self.days.trim() {
            "" => DEFAULT_DAYS,
            days => days
                .parse::<i32>()
                .ok()
                .filter(|d| (1..=MAX_WINDOW_DAYS).contains(d))
                .ok_or_else(|| {
                    format!("days: {days:?} is not a number of days from 1 to {MAX_WINDOW_DAYS}")
                })?,
        };
        let text = |value: &str| Some(value.trim().to_string()).filter(|v| !v.is_empty());
        let severity = match self.severity.trim() {
            "" => None,
            value => Some(value.parse::<Severity>().map_err(|err| format!("severity: {err}"))?),
        };
        Ok(KpiRequest {
            days: Some(days),
            open_by: Some(KpiGroup::Severity),
            filter: KpiFilter {
                team: text(&self.team),
                application: text(&self.application),
                severity,
            },
            ..KpiRequest::default()
        })
    }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    nav: Option<Nav>,
    fields: Vec<Field>,
    filtered: bool,
    /// Why the form could not be applied.
    error: Option<String>,
    figures: Option<Figures>,
}

/// What the page shows once the figures are in.
struct Figures {
    /// `2026-09-17 to 2026-12-15, days in UTC`.
    window: String,
    as_of: String,
    warnings: Vec<String>,
    tiles: Vec<Tile>,
    backlog_chart: String,
    flow_chart: String,
    age_chart: String,
    sla_gauge: String,
    backlog: Vec<(String, String)>,
    flow: Vec<(String, String, String)>,
    /// Severity names, the columns of `ages`.
    severities: Vec<&'static str>,
    ages: Vec<AgeRow>,
    sla: Vec<(&'static str, String)>,
    tops: Vec<TopList>,
    coverage: Vec<CoverageRow>,
    stale_days: u32,
}

/// A headline figure.
struct Tile {
    label: &'static str,
    value: String,
    detail: String,
    /// `tile-alert` when the figure asks for attention.
    class: &'static str,
}

struct AgeRow {
    age: &'static str,
    counts: Vec<String>,
    total: String,
}

struct TopList {
    id: &'static str,
    heading: &'static str,
    column: &'static str,
    rows: Vec<(String, String)>,
}

struct CoverageRow {
    application: String,
    repository: String,
    tool: String,
    last_scan: String,
    /// In words, so it does not rest on colour: `Stale: no complete scan`.
    status: String,
    stale: bool,
}

/// One select of the filter form.
struct Field {
    name: &'static str,
    label: &'static str,
    options: Vec<Choice>,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

pub(super) async fn page(
    State(state): State<AppState>,
    me: SignedIn,
    query: Result<Query<DashboardQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    me.0.require(Action::Read)?;
    let visibility = me.0.visibility();
    let (query, request) = match query {
        Ok(Query(query)) => {
            let request = query.to_request();
            (query, request)
        }
        Err(rejection) => (DashboardQuery::default(), Err(rejection.body_text())),
    };
    let store = state.fixgate.store();

    let mut page = match request {
        Ok(request) => {
            let (kpis, choices) = tokio::join!(
                state.fixgate.kpis(&request, visibility.clone()),
                store.kpi_choices(&visibility)
            );
            let fields = fields(&query, &choices?);
            DashboardPage::shown(fields, &query, &kpis?)
        }
        Err(message) => {
            let fields = fields(&query, &store.kpi_choices(&visibility).await?);
            DashboardPage { error: Some(message), ..DashboardPage::empty(fields, &query) }
        }
    };
    page.nav = Nav::of(&me);
    let status = if page.error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    render(status, &page)
}

impl DashboardPage {
    fn empty(fields: Vec<Field>, query: &DashboardQuery) -> DashboardPage {
        DashboardPage {
            nav: None,
            fields,
            filtered: query.is_filtered(),
            error: None,
            figures: None,
        }
    }

    fn shown(fields: Vec<Field>, query: &DashboardQuery, kpis: &Kpis) -> DashboardPage {
        DashboardPage { figures: Some(Figures::of(kpis)), ..DashboardPage::empty(fields, query) }
    }
}

impl Figures {
    fn of(k: &Kpis) -> Figures {
        let w = &k.window;
        Figures {
            window: format!("{} to {}, days in {}", w.since, w.until, w.time_zone),
            as_of: w.as_of.strftime("%Y-%m-%d %H:%M UTC").to_string(),
            warnings: k.warnings.clone(),
            tiles: tiles(k),
            backlog_chart: backlog_chart(k),
            flow_chart: flow_chart(k),
            age_chart: age_chart(k),
            sla_gauge: sla_gauge(k),
            backlog: k.backlog.iter().map(|d| (d.day.to_string(), d.open.to_string())).collect(),
            flow: k
                .opened_vs_verified
                .iter()
                .map(|w| (w.week.to_string(), count(w.opened), count(w.verified)))
                .collect(),
            severities: Severity::ALL.iter().map(|s| severity_label(*s)).collect(),
            ages: age_rows(k),
            sla: sla_rows(k),
            tops: tops(k),
            coverage: coverage(k),
            stale_days: w.stale_days,
        }
    }
}

fn tiles(k: &Kpis) -> Vec<Tile> {
    let open = &k.open.all;
    let attention = |n: u64| if n > 0 { "tile-alert" } else { "" };
    let (sla, reopen, closures) = (&k.sla.all, &k.reopen_rate.all, &k.closures.all);
    vec![
        Tile {
            label: "Open tickets",
            value: count(open.open),
            detail: format!("{} on track, {} paused", count(open.on_track), count(open.paused)),
            class: "",
        },
        Tile {
            label: "Open breaches",
            value: count(open.breached),
            detail: "past their due date".into(),
            class: attention(open.breached),
        },
        Tile {
            label: "Due within 7 days",
            value: count(open.due_within_7_days),
            detail: "clock running".into(),
            class: "",
        },
        timing_tile("Time to triage", &k.mttt.all, "triaged"),
        timing_tile("Time to remediate", &k.mttr.all, "verified"),
        Tile {
            label: "SLA adherence",
            value: sla.adherence.map(charts::percent).unwrap_or_else(|| "–".into()),
            detail: format!("{} met, {} missed", count(sla.met), count(sla.missed)),
            class: "",
        },
        Tile {
            label: "Reopen rate",
            value: reopen.rate.map(charts::percent).unwrap_or_else(|| "–".into()),
            detail: format!(
                "{} reopened of {} closed",
                count(reopen.reopened),
                count(reopen.closed)
            ),
            class: "",
        },
        Tile {
            label: "Closings",
            value: format!("{} verified", count(closures.verified)),
            detail: format!("{} overridden without a scan's proof", count(closures.overrides)),
            class: "",
        },
    ]
}

fn timing_tile(label: &'static str, timing: &Timing, done: &str) -> Tile {
    let value = timing.median_hours.map(duration).unwrap_or_else(|| "–".into());
    let p90 = timing.p90_hours.map(duration).unwrap_or_else(|| "–".into());
    let detail = format!("median; 90th percentile {p90}; {} {done}", count(timing.count));
    Tile { label, value, detail, class: "" }
}

/// `4 h`, `2.5 h`, `12 d` (from two days on).
fn duration(hours: f64) -> String {
    let (value, unit) = if hours < 48.0 { (hours, "h") } else { (hours / 24.0, "d") };
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0} {unit}")
    } else {
        format!("{rounded:.1} {unit}")
    }
}

/// `Dec 1`.
fn short(day: Date) -> String {
    day.strftime("%b %-d").to_string()
}

fn backlog_chart(k: &Kpis) -> String {
    let labels: Vec<String> = k.backlog.iter().map(|d| short(d.day)).collect();
    let values = k.backlog.iter().map(|d| d.open as f64).collect();
    let first = k.backlog.first().map(|d| d.open).unwrap_or_default();
    let last = k.backlog.last().map(|d| d.open).unwrap_or_default();
    let desc = format!(
        "Open tickets at the end of each day from {} to {}: {first} on the first day, {last} on \
         the last. The table below gives every day.",
        k.window.since, k.window.until
    );
    let caption = Caption { id: "chart-backlog", title: "Open backlog per day", desc: &desc };
    charts::line_chart(&caption, &labels, &[Series::new("Open tickets", "s-open", values)])
}

fn flow_chart(k: &Kpis) -> String {
    let weeks = &k.opened_vs_verified;
    let labels: Vec<String> = weeks.iter().map(|w| short(w.week)).collect();
    let opened: u64 = weeks.iter().map(|w| w.opened).sum();
    let verified: u64 = weeks.iter().map(|w| w.verified).sum();
    let desc = format!(
        "Tickets first detected and tickets verified fixed by a scan, per week: {opened} opened \
         and {verified} verified in the window. The table below gives every week."
    );
    let caption = Caption { id: "chart-flow", title: "Opened vs verified per week", desc: &desc };
    let series = [
        Series::new("Opened", "s-opened", weeks.iter().map(|w| w.opened as f64).collect()),
        Series::new("Verified", "s-verified", weeks.iter().map(|w| w.verified as f64).collect()),
    ];
    charts::line_chart(&caption, &labels, &series)
}

/// The open tickets of `severity` now.
fn open_of(k: &Kpis, severity: Severity) -> Option<&OpenStats> {
    let name = severity.as_str();
    k.open.groups.iter().find(|g| g.group.as_deref() == Some(name)).map(|g| &g.value)
}

fn ages(stats: &OpenStats) -> [u64; 5] {
    let a = &stats.age;
    [a.days_0_7, a.days_8_30, a.days_31_90, a.days_91_180, a.over_180]
}

fn age_chart(k: &Kpis) -> String {
    let layers: Vec<Series> = Severity::ALL
        .iter()
        .map(|s| {
            let counts = open_of(k, *s).map(ages).unwrap_or_default();
            Series::new(severity_label(*s), chart_class(*s), counts.map(|n| n as f64).to_vec())
        })
        .collect();
    let desc = format!(
        "The {} open tickets by days since first detection, each bar stacked by severity from \
         critical at the bottom. The table below gives every count.",
        k.open.all.open
    );
    let caption =
        Caption { id: "chart-age", title: "Open tickets by age and severity", desc: &desc };
    let categories = AGES.map(String::from);
    charts::stacked_bars(&caption, &categories, &layers)
}

fn chart_class(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "c-critical",
        Severity::High => "c-high",
        Severity::Medium => "c-medium",
        Severity::Low => "c-low",
        Severity::Info => "c-info",
    }
}

fn age_rows(k: &Kpis) -> Vec<AgeRow> {
    let by_severity: Vec<[u64; 5]> =
        Severity::ALL.iter().map(|s| open_of(k, *s).map(ages).unwrap_or_default()).collect();
    let all = ages(&k.open.all);
    AGES.iter()
        .zip(all)
        .enumerate()
        .map(|(i, (age, total))| AgeRow {
            age,
            counts: by_severity
                .iter()
                .map(|counts| count(counts.get(i).copied().unwrap_or_default()))
                .collect(),
            total: count(total),
        })
        .collect()
}

fn sla_gauge(k: &Kpis) -> String {
    let sla = &k.sla.all;
    let desc = match sla.adherence {
        Some(share) => format!(
            "{} of closings with a due date met it: {} met, {} missed.",
            charts::percent(share),
            sla.met,
            sla.missed
        ),
        None => "No ticket with a due date closed in this window.".to_string(),
    };
    let note = format!("{} met, {} missed", count(sla.met), count(sla.missed));
    let caption = Caption { id: "chart-sla", title: "SLA adherence", desc: &desc };
    charts::gauge(&caption, sla.adherence, &note)
}

fn sla_rows(k: &Kpis) -> Vec<(&'static str, String)> {
    let sla = &k.sla.all;
    vec![
        ("Closed", count(sla.closed)),
        ("Met the due date", count(sla.met)),
        ("Missed the due date", count(sla.missed)),
        ("Had no due date", count(sla.no_due_date)),
        ("Adherence", sla.adherence.map(charts::percent).unwrap_or_else(|| "–".into())),
    ]
}

fn tops(k: &Kpis) -> Vec<TopList> {
    let rows = |list: &[fixgate_service::report::Named]| {
        list.iter().map(|n| (n.name.clone(), count(n.open))).collect()
    };
    vec![
        TopList { id: "top-cwes", heading: "Top CWEs", column: "CWE", rows: rows(&k.top.cwes) },
        TopList { id: "top-rules", heading: "Top rules", column: "Rule", rows: rows(&k.top.rules) },
        TopList {
            id: "top-repositories",
            heading: "Top repositories",
            column: "Repository",
            rows: rows(&k.top.repositories),
        },
    ]
}

fn coverage(k: &Kpis) -> Vec<CoverageRow> {
    let stale_days = k.window.stale_days;
    k.coverage
        .iter()
        .map(|row| {
            let status = match (row.stale, row.age_days) {
                (true, None) => "Stale: no complete scan".to_string(),
                (true, Some(age)) => format!("Stale: {} old, over {stale_days}", days(age)),
                (false, Some(age)) => format!("Current: {} old", days(age)),
                (false, None) => "Current".to_string(),
            };
            CoverageRow {
                application: row.application.clone(),
                repository: row.repository.clone().unwrap_or_default(),
                tool: row.tool.clone(),
                last_scan: row
                    .last_complete_scan_at
                    .map(|at| at.strftime("%Y-%m-%d").to_string())
                    .unwrap_or_else(|| "never".into()),
                status,
                stale: row.stale,
            }
        })
        .collect()
}

/// `1 day`, `14 days`.
fn days(n: i64) -> String {
    if n == 1 { "1 day".to_string() } else { format!("{n} days") }
}

fn fields(query: &DashboardQuery, choices: &KpiChoices) -> Vec<Field> {
    let names = |names: &[String]| names.iter().map(|n| (n.clone(), n.clone())).collect();
    let days = PRESETS.iter().map(|(d, label)| (d.to_string(), label.to_string())).collect();
    let days_value = match query.days.trim() {
        "" => DEFAULT_DAYS.to_string(),
        days => days.to_string(),
    };
    let severities =
        Severity::ALL.iter().map(|s| (s.as_str().to_string(), severity_label(*s).into())).collect();
    vec![
        Field::select("days", "Window", &days_value, days, None),
        Field::select("team", "Team", &query.team, names(&choices.teams), Some("all teams")),
        Field::select(
            "application",
            "Application",
            &query.application,
            names(&choices.applications),
            Some("all applications"),
        ),
        Field::select("severity", "Severity", &query.severity, severities, Some("all severities")),
    ]
}

impl Field {
    /// A select with `any` first when given; a value the options do not
    /// hold is added, so the form shows the filter that is applied.
    fn select(
        name: &'static str,
        label: &'static str,
        value: &str,
        options: Vec<(String, String)>,
        any: Option<&str>,
    ) -> Field {
        let value = value.trim();
        let any = any.map(|label| (String::new(), label.to_string()));
        let mut options: Vec<(String, String)> = any.into_iter().chain(options).collect();
        if !value.is_empty() && !options.iter().any(|(v, _)| v == value) {
            options.push((value.to_string(), value.to_string()));
        }
        let options = options
            .into_iter()
            .map(|(v, label)| Choice { selected: v == value, value: v, label })
            .collect();
        Field { name, label, options }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_switch_to_days_from_two_days_on() {
        assert_eq!(duration(4.0), "4 h");
        assert_eq!(duration(2.5), "2.5 h");
        assert_eq!(duration(47.9), "47.9 h");
        assert_eq!(duration(288.0), "12 d");
        assert_eq!(duration(60.0), "2.5 d");
    }

    #[test]
    fn a_bad_form_names_the_field() {
        let query = |days: &str, severity: &str| DashboardQuery {
            days: days.into(),
            severity: severity.into(),
            ..DashboardQuery::default()
        };
        assert!(query("", "").to_request().is_ok());
        assert_eq!(query("30", "high").to_request().unwrap().days, Some(30));
        assert!(query("0", "").to_request().unwrap_err().starts_with("days: \"0\""));
        assert!(query("week", "").to_request().unwrap_err().starts_with("days:"));
        assert!(query("", "urgent").to_request().unwrap_err().starts_with("severity:"));
    }
}
