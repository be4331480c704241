//! `fixgate tickets list`, `show` and `create`; `assign`, `move` and `bulk`
//! are in [`crate::collab`].

use fixgate_service::CreateTicket;
use fixgate_store::TicketFilter;

use crate::cli::{CreateArgs, ListArgs, StoreArgs, TicketsArgs, TicketsCommand};
use crate::output::{print, print_json};

pub async fn tickets(store: &StoreArgs, args: TicketsArgs) -> anyhow::Result<()> {
    let fixgate = crate::serve::open(store).await?;
    let result = match args.command {
        TicketsCommand::List(list) => {
            let page = fixgate.list_tickets(&filter(&list)?).await?;
            if list.json { print_json(&page) } else { print(&table(&page.items, page.total)) }
        }
        TicketsCommand::Create(args) => create(&fixgate, &args).await,
        TicketsCommand::Show { key, json } => {
            let ticket = fixgate.ticket(&key).await?;
            if json { print_json(&ticket) } else { print(&show(&ticket)) }
        }
        TicketsCommand::Assign(args) => {
            crate::collab::assign(&fixgate, &args.key, args.name.as_deref()).await
        }
        TicketsCommand::Move(args) => crate::collab::move_ticket(&fixgate, &args).await,
        TicketsCommand::Bulk(args) => crate::collab::bulk(&fixgate, &args).await,
    };
    fixgate.store().close().await;
    result
}

pub fn filter(args: &ListArgs) -> anyhow::Result<TicketFilter> {
    let list = |value: &Option<String>| -> Vec<String> {
        value
            .iter()
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    };
    let states = list(&args.state)
        .iter()
        .map(|s| s.parse().map_err(|err| anyhow::anyhow!("--state: {err}")))
        .collect::<Result<_, _>>()?;
    let severities = list(&args.severity)
        .iter()
        .map(|s| s.parse().map_err(|err| anyhow::anyhow!("--severity: {err}")))
        .collect::<Result<_, _>>()?;
    let cwe = match &args.cwe {
        Some(value) => Some(
            value
                .trim()
                .trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == '-')
                .parse()
                .map_err(|_| {
                    anyhow::anyhow!("--cwe {value:?} is not a CWE id such as 79 or CWE-79")
                })?,
        ),
        None => None,
    };
    let present = match args.seen.as_deref() {
        None | Some("any") => None,
        Some("yes") => Some(true),
        Some("no") => Some(false),
        Some(other) => anyhow::bail!("--seen {other:?} is not yes, no or any"),
    };
    Ok(TicketFilter {
        states,
        severities,
        ticket_type: args
            .ticket_type
            .as_deref()
            .map(|t| t.parse().map_err(|err| anyhow::anyhow!("--type: {err}")))
            .transpose()?,
        application: args.application.clone(),
        repository: args.repository.clone(),
        tool: args.tool.clone(),
        cwe,
        text: args.text.clone(),
        present,
        assignee: args.assignee.as_deref().map(str::trim).filter(|a| !a.is_empty()).map(|a| {
            if a.eq_ignore_ascii_case("none") {
                fixgate_store::AssigneeFilter::Nobody
            } else {
                fixgate_store::AssigneeFilter::Person(a.to_string())
            }
        }),
        labels: list(&args.label)
            .iter()
            .map(|l| {
                fixgate_domain::Label::parse(l)
                    .map(fixgate_domain::Label::into_string)
                    .map_err(|err| anyhow::anyhow!("--label: {err}"))
            })
            .collect::<Result<_, _>>()?,
        owner: args.owner.clone(),
        priorities: list(&args.priority)
            .iter()
            .map(|p| p.parse().map_err(|err| anyhow::anyhow!("--priority: {err}")))
            .collect::<Result<_, _>>()?,
        sla: args
            .sla
            .as_deref()
            .map(|s| s.parse().map_err(|err| anyhow::anyhow!("--sla: {err}")))
            .transpose()?
            .map(|status| (status, jiff::Timestamp::UNIX_EPOCH)),
        keys: Vec::new(),
        // The local store's files hold every ticket: whoever reads them sees all.
        visibility: fixgate_store::Visibility::everything(),
        scan: None,
        order: fixgate_store::TicketOrder::Severity,
        limit: args.limit,
        page: args.page,
    })
}

/// Opens the ticket `args` describe, as the person at the keyboard.
async fn create(fixgate: &fixgate_service::Fixgate, args: &CreateArgs) -> anyhow::Result<()> {
    let created = fixgate.create_ticket(request(args)?, &crate::import::local_actor()).await?;
    if args.json { print_json(&created) } else { print(&show(&created)) }
}

/// The ticket `fixgate tickets create` asks for.
fn request(args: &CreateArgs) -> anyhow::Result<CreateTicket> {
    Ok(CreateTicket {
        ticket_type: args.ticket_type.parse().map_err(|err| anyhow::anyhow!("--type: {err}"))?,
        title: args.title.clone(),
        description: args.description.clone(),
        severity: args.severity.parse().map_err(|err| anyhow::anyhow!("--severity: {err}"))?,
        application: args.application.clone(),
        repository: args.repository.clone(),
        path: args.path.clone(),
        owner: args.owner.clone(),
        priority: args
            .priority
            .as_deref()
            .map(|p| p.parse().map_err(|err| anyhow::anyhow!("--priority: {err}")))
            .transpose()?,
        due_at: crate::collab::time(args.due.as_deref(), "--due")?,
    })
}

fn table(items: &[fixgate_store::TicketRow], total: u64) -> String {
    let mut out = String::new();
    for t in items {
        let cwes: Vec<String> = t.cwes.iter().map(|c| format!("CWE-{c}")).collect();
        out.push_str(&format!(
            "{:<10} {:<8} {:<14} {} {}\n",
            t.key,
            t.severity.as_str(),
            t.status.as_deref().unwrap_or(t.state.as_str()),
            t.title,
            if cwes.is_empty() { String::new() } else { format!("[{}]", cwes.join(", ")) }
        ));
    }
    out.push_str(&format!("{} of {total} tickets\n", items.len()));
    out
}

/// One ticket for people: what, where (with a deep link), trace, history.
fn show(detail: &fixgate_store::TicketDetail) -> String {
    let t = &detail.ticket;
    let mut out = format!("{} [{}] {}\n", t.key, t.severity, t.title);
    let label = match &t.status_label {
        Some(status) => format!("{status} ({})", t.state.label().to_lowercase()),
        None => t.state.label().to_string(),
    };
    let state = if t.present || t.ticket_type != fixgate_domain::TicketType::Vulnerability {
        label
    } else {
        format!("{label} (no longer seen)")
    };
    out.push_str(&format!("  state       {state}, {} ticket\n", t.ticket_type));
    let ids: Vec<String> =
        t.cwes.iter().map(|c| format!("CWE-{c}")).chain(t.advisories.clone()).collect();
    if !ids.is_empty() {
        out.push_str(&format!("  ids         {}\n", ids.join(", ")));
    }
    for (label, value) in [
        ("application", &t.application),
        ("repository", &t.repository),
        ("owner", &t.owner),
        ("assignee", &t.assignee),
    ] {
        if let Some(value) = value {
            out.push_str(&format!("  {label:<11} {value}\n"));
        }
    }
    out.push_str(&triage_lines(detail));
    out.push_str(&crate::collab::show_lines(detail));
    if !detail.tools.is_empty() {
        out.push_str(&format!("  seen by     {}\n", detail.tools.join(", ")));
    }
    if let Some(scan) = detail.closed_by_scan_id {
        out.push_str(&format!("  closed by   scan {scan}\n"));
    }
    if !detail.description.is_empty() {
        out.push_str(&format!("\n{}\n", detail.description));
    }
    for row in &detail.findings {
        out.push_str(&finding_lines(row));
    }
    out.push_str("\nhistory\n");
    for event in &detail.events {
        out.push_str(&format!(
            "  {}  {:<14} {} {}\n",
            event.at, event.kind, event.actor, event.data
        ));
    }
    out
}

/// What routed the owner, the priority and why, the due day and the SLA.
fn triage_lines(detail: &fixgate_store::TicketDetail) -> String {
    let t = &detail.ticket;
    let mut out = String::new();
    if let Some(why) = &t.routed_by {
        out.push_str(&format!("  routed by   {why}\n"));
    }
    if let Some(priority) = t.priority {
        let why = detail.triage.priority_reason.as_deref().unwrap_or_default();
        out.push_str(&format!("  priority    {priority} ({why})\n"));
    }
    if let Some(day) = t.due {
        let sla = t.sla.map(|s| format!(", {}", s.label().to_lowercase())).unwrap_or_default();
        out.push_str(&format!("  due         {day}{sla}\n"));
    }
    out
}

fn finding_lines(row: &fixgate_store::FindingRow) -> String {
    let f = &row.finding;
    let mut out = format!("\nfinding {} ({} {})\n", row.fingerprint, f.tool, f.rule_id);
    if let Some(location) = &f.location {
        out.push_str(&format!("  at          {}\n", location.display()));
        if let (Some(repo), Some(commit), Some(path)) =
            (&row.repository, &row.commit, &location.path)
        {
            let link = fixgate_domain::link::deep_link(
                repo,
                commit,
                path,
                location.start_line,
                location.end_line,
            );
            out.push_str(&format!("  link        {link}\n"));
        }
    }
    for (n, step) in f.trace.iter().enumerate() {
        let note = step.message.as_deref().unwrap_or("");
        out.push_str(&format!("  trace {:>2}    {} {note}\n", n + 1, step.location.display()));
    }
    if let Some(package) = &f.package {
        let version = package.version.as_deref().unwrap_or("(version unknown)");
        let fixed = package.fixed_version.as_deref().unwrap_or("no fixed version known");
        out.push_str(&format!("  package     {} {version}, fixed in {fixed}\n", package.name));
        if let Some(purl) = &package.purl {
            out.push_str(&format!("  purl        {purl}\n"));
        }
    }
    if let Some(cvss) = &f.cvss {
        let score = cvss.score.map(|s| format!("{s:.1} ")).unwrap_or_default();
        out.push_str(&format!("  cvss        {score}{}\n", cvss.vector.as_deref().unwrap_or("")));
    }
    if let Some(secret) = &f.secret {
        out.push_str(&format!("  secret      {} {}\n", secret.preview, secret.hash));
        if !row.same_secret_in.is_empty() {
            out.push_str(&format!("  same secret {}\n", row.same_secret_in.join(", ")));
        }
    }
    if let Some(vex) = &f.vex {
        let why = vex.justification.as_deref().map(|j| format!(" ({j})")).unwrap_or_default();
        out.push_str(&format!("  vex         {}{why}\n", vex.state));
    }
    if let Some(remediation) = &f.remediation {
        out.push_str(&format!("  fix         {}\n", remediation.lines().next().unwrap_or("")));
    }
    for reference in &f.references {
        out.push_str(&format!("  reference   {reference}\n"));
    }
    for s in &row.sightings {
        let seen = if s.present { "seen" } else { "no longer seen" };
        out.push_str(&format!(
            "  sighting    {} / {} {}: {seen}, {} times, last {}\n",
            s.branch, s.tool, s.category, s.times_seen, s.last_seen_at
        ));
    }
    out
}
