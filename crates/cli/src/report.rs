//! `fixgate report kpis|evidence|rebuild`: fixgate's figures on the local
//! store, as tables, JSON or CSV; the evidence pack for auditors, as JSON,
//! CSV or a printable page; and recomputing the figures' facts.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use fixgate_http::EvidenceFormat;
use fixgate_service::evidence::{EvidencePack, EvidenceRequest};
use fixgate_service::report::{Breakdown, KpiRequest, Kpis, OpenStats, Period, Timing};
use fixgate_store::Visibility;

use crate::cli::{ReportArgs, ReportCommand, StoreArgs};
use crate::output::{print, print_json};

pub async fn report(store: &StoreArgs, args: ReportArgs) -> anyhow::Result<()> {
    let fixgate = crate::serve::open(store).await?;
    let result = match args.command {
        ReportCommand::Kpis {
            since,
            until,
            by,
            period,
            stale_days,
            team,
            app,
            severity,
            json,
            csv,
        } => {
            let stale_days = Some(stale_days);
            let filter = fixgate_store::KpiFilter { team, application: app, severity };
            let request =
                KpiRequest { since, until, by, period, stale_days, filter, ..Default::default() };
            // The local command line sees every application.
            match fixgate.kpis(&request, Visibility::everything()).await {
                Ok(kpis) if json => print_json(&kpis),
                Ok(kpis) if csv => print(&kpis.to_csv()),
                Ok(kpis) => print(&tables(&kpis)),
                Err(err) => Err(err.into()),
            }
        }
        ReportCommand::Evidence { since, until, app, team, repo, format, out } => {
            let request =
                EvidenceRequest { since, until, application: app, team, repository: repo };
            // The local command line sees every application.
            match fixgate.evidence(&request, Visibility::everything()).await {
                Ok(pack) => write_pack(&pack, format, &out),
                Err(err) => Err(err.into()),
            }
        }
        ReportCommand::Rebuild => match fixgate.rebuild_kpi_facts().await {
            Ok(tickets) => print(&format!(
                "recomputed the facts of {tickets} security tickets from their events\n"
            )),
            Err(err) => Err(err.into()),
        },
    };
    fixgate.store().close().await;
    result
}

/// Writes the pack in `format` to `out` (`-`: standard output).
fn write_pack(pack: &EvidencePack, format: EvidenceFormat, out: &Path) -> anyhow::Result<()> {
    let text = match format {
        EvidenceFormat::Json => {
            let mut text = serde_json::to_string_pretty(pack)?;
            text.push('\n');
            text
        }
        EvidenceFormat::Csv => pack.to_csv(),
        EvidenceFormat::Html => {
            fixgate_http::evidence_html(pack).context("rendering the evidence pack's page")?
        }
    };
    if out == Path::new("-") {
        return print(&text);
    }
    let mut file = std::fs::File::create(out)
        .with_context(|| format!("creating the evidence pack {}", out.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing the evidence pack {}", out.display()))?;
    Ok(())
}

/// The figures as text tables.
fn tables(k: &Kpis) -> String {
    let w = &k.window;
    let by = w.by.map(|g| format!(", by {}", g.as_str())).unwrap_or_default();
    let period = match w.period {
        Period::Week => "week",
        Period::Month => "month",
    };
    let mut out = format!(
        "Figures from {} to {} ({}), by {period}{by}; open tickets as of {}\n",
        w.since,
        w.until,
        w.time_zone,
        w.as_of.strftime("%Y-%m-%d %H:%M UTC")
    );
    for warning in &k.warnings {
        out.push_str(&format!("warning: {warning}\n"));
    }
    out.push_str(&timings("Time to triage (first detection to first triage)", &k.mttt));
    out.push_str(&timings(
        "Time to remediate (first detection to verification by a scan)",
        &k.mttr,
    ));
    out.push_str(&closings(k));
    out.push_str(&open(k));
    out.push_str(&trend(k));
    out.push_str(&top(k));
    out.push_str(&coverage(k));
    out
}

/// Rows of cells, the first a header, left-aligned first column, the rest
/// right-aligned.
fn table(title: &str, rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = format!("\n{title}\n");
    for row in rows {
        let mut line = String::from(" ");
        for (c, cell) in row.iter().enumerate() {
            let width = widths.get(c).copied().unwrap_or(0);
            if c == 0 {
                line.push_str(&format!(" {cell:<width$}"));
            } else {
                line.push_str(&format!("  {cell:>width$}"));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn hours(value: Option<f64>) -> String {
    match value {
        None => "-".into(),
        Some(h) if h < 48.0 => format!("{h:.1} h"),
        Some(h) => format!("{:.1} d", h / 24.0),
    }
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{:.1}%", v * 100.0))
}

fn label(group: &Option<String>) -> String {
    group.clone().unwrap_or_else(|| "(none)".into())
}

/// Rows for the whole window, each group and each period.
fn rows<T>(figure: &Breakdown<T>, cells: impl Fn(&T) -> Vec<String>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut put = |name: String, value: &T| {
        let mut row = vec![name];
        row.extend(cells(value));
        out.push(row);
    };
    put("all".into(), &figure.all);
    for g in &figure.groups {
        put(label(&g.group), &g.value);
    }
    for p in &figure.periods {
        put(format!("from {}", p.period), &p.value);
    }
    out
}

fn timings(title: &str, figure: &Breakdown<Timing>) -> String {
    let mut rows =
        rows(figure, |t| vec![t.count.to_string(), hours(t.median_hours), hours(t.p90_hours)]);
    rows.insert(0, vec![String::new(), "count".into(), "median".into(), "90th pct".into()]);
    table(title, &rows)
}

fn closings(k: &Kpis) -> String {
    let header = [
        "",
        "closed",
        "verified",
        "overrides",
        "SLA met",
        "missed",
        "adherence",
        "reopened",
        "reopen rate",
    ];
    let closed = rows(&k.closures, |c| {
        vec![c.total.to_string(), c.verified.to_string(), c.overrides.to_string()]
    });
    let sla = rows(&k.sla, |a| vec![a.met.to_string(), a.missed.to_string(), percent(a.adherence)]);
    let reopen = rows(&k.reopen_rate, |r| vec![r.reopened.to_string(), percent(r.rate)]);
    // The three come from the same closings and reopenings: the same groups
    // and periods, in the same order.
    let mut table_rows = vec![header.map(str::to_string).to_vec()];
    for ((mut row, sla), reopen) in closed.into_iter().zip(sla).zip(reopen) {
        row.extend(sla.into_iter().skip(1));
        row.extend(reopen.into_iter().skip(1));
        table_rows.push(row);
    }
    table(
        "Closings by closing date (SLA: against the due date in force then; reopen rate: \
         reopenings by a scan or a person / closings)",
        &table_rows,
    )
}

fn open(k: &Kpis) -> String {
    let header =
        ["", "open", "breached", "due <=7d", "paused", "0-7 d", "8-30", "31-90", "91-180", ">180"];
    let mut rows = vec![header.map(str::to_string).to_vec()];
    let cells = |name: String, s: &OpenStats| {
        let a = &s.age;
        [
            name,
            s.open.to_string(),
            s.breached.to_string(),
            s.due_within_7_days.to_string(),
            s.paused.to_string(),
            a.days_0_7.to_string(),
            a.days_8_30.to_string(),
            a.days_31_90.to_string(),
            a.days_91_180.to_string(),
            a.over_180.to_string(),
        ]
        .to_vec()
    };
    rows.push(cells("all".into(), &k.open.all));
    for g in &k.open.groups {
        rows.push(cells(label(&g.group), &g.value));
    }
    table("Open now, by SLA and by days since first detection", &rows)
}

fn trend(k: &Kpis) -> String {
    let mut rows = vec![vec![
        "week from".to_string(),
        "opened".into(),
        "verified".into(),
        "open at its end".into(),
    ]];
    for week in &k.opened_vs_verified {
        // The backlog on the week's last day in the window.
        let end = k
            .backlog
            .iter()
            .take_while(|d| {
                k.opened_vs_verified
                    .iter()
                    .find(|w| w.week > week.week)
                    .is_none_or(|w| d.day < w.week)
            })
            .last()
            .map_or_else(|| "-".into(), |d| d.open.to_string());
        rows.push(vec![
            week.week.to_string(),
            week.opened.to_string(),
            week.verified.to_string(),
            end,
        ]);
    }
    table("Opened against verified, and the open backlog, by week", &rows)
}

fn top(k: &Kpis) -> String {
    let mut out = String::new();
    for (title, list) in [
        ("Top CWEs among open tickets", &k.top.cwes),
        ("Top rules among open tickets", &k.top.rules),
        ("Top repositories among open tickets", &k.top.repositories),
    ] {
        let mut rows = vec![vec![String::new(), "open".into()]];
        rows.extend(list.iter().map(|n| vec![n.name.clone(), n.open.to_string()]));
        out.push_str(&table(title, &rows));
    }
    out
}

fn coverage(k: &Kpis) -> String {
    let mut rows = vec![vec![
        "repository".to_string(),
        "tool".into(),
        "last complete scan".into(),
        "age".into(),
        String::new(),
    ]];
    for c in &k.coverage {
        rows.push(vec![
            c.repository.clone().unwrap_or_else(|| format!("(app {})", c.application)),
            c.tool.clone(),
            c.last_complete_scan_at
                .map_or_else(|| "never".into(), |at| at.strftime("%Y-%m-%d %H:%M").to_string()),
            c.age_days.map_or_else(|| "-".into(), |d| format!("{d} d")),
            if c.stale { "stale".into() } else { String::new() },
        ]);
    }
    let title =
        format!("Scanner coverage (tracked branches; stale past {} days)", k.window.stale_days);
    table(&title, &rows)
}
