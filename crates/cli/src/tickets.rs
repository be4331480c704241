//! `fixgate tickets list` and `fixgate tickets show`.

use fixgate_store::TicketFilter;

use crate::cli::{ListArgs, StoreArgs, TicketsArgs, TicketsCommand};
use crate::output::{print, print_json};

pub async fn tickets(store: &StoreArgs, args: TicketsArgs) -> anyhow::Result<()> {
    let fixgate = crate::serve::open(store).await?;
    let result = match args.command {
        TicketsCommand::List(list) => {
            let page = fixgate.list_tickets(&filter(&list)?).await?;
            if list.json {
                print_json(&page)
            } else {
                print(&table(&page.items, page.total))
            }
        }
        TicketsCommand::Show { key, json } => {
            let ticket = fixgate.ticket(&key).await?;
            if json {
                print_json(&ticket)
            } else {
                print(&format!(
                    "{} [{}] {} ({})\n{}\n",
                    ticket.ticket.key,
                    ticket.ticket.severity,
                    ticket.ticket.title,
                    ticket.ticket.state,
                    ticket.description
                ))
            }
        }
    };
    fixgate.store().close().await;
    result
}

fn filter(args: &ListArgs) -> anyhow::Result<TicketFilter> {
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
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    let severities = list(&args.severity)
        .iter()
        .map(|s| s.parse())
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
        ticket_type: args.ticket_type.as_deref().map(str::parse).transpose()?,
        application: args.application.clone(),
        repository: args.repository.clone(),
        tool: args.tool.clone(),
        cwe,
        text: args.text.clone(),
        present,
        limit: args.limit,
        page: args.page,
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
            t.state.as_str(),
            t.title,
            if cwes.is_empty() {
                String::new()
            } else {
                format!("[{}]", cwes.join(", "))
            }
        ));
    }
    out.push_str(&format!("{} of {total} tickets\n", items.len()));
    out
}
