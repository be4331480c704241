//! `fixgate tickets assign`, `move` and `bulk`, on the local store,
//! and what `fixgate tickets show` says of assignees, labels, watchers and
//! links. The command line acts as the installation: it sees every ticket
//! and may make every change.

use fixgate_service::access::parse_expiry;
use fixgate_service::{BulkChange, BulkOutcome, Fixgate, MoveTicket, Principal};
use fixgate_store::{TicketDetail, Visibility};
use jiff::Timestamp;

use crate::cli::{BulkArgs, ListArgs, MoveArgs};
use crate::import::local_actor;
use crate::output::{print, print_json};

pub async fn assign(fixgate: &Fixgate, key: &str, name: Option<&str>) -> anyhow::Result<()> {
    let everything = Visibility::everything();
    let changed = fixgate.assign(key, name, &everything, &local_actor()).await?;
    let key = key.trim().to_ascii_uppercase();
    let whom = name.map(str::trim).unwrap_or("nobody");
    let text = if changed {
        format!("{key} is assigned to {whom}\n")
    } else {
        format!("{key} was assigned to {whom} already\n")
    };
    print(&text)
}

pub async fn move_ticket(fixgate: &Fixgate, args: &MoveArgs) -> anyhow::Result<()> {
    let request = MoveTicket {
        reason: args.reason.clone(),
        owner: args.owner.clone(),
        due_at: time(args.due.as_deref(), "--due")?,
        duplicate_of: args.duplicate_of.clone(),
        ..MoveTicket::to(&args.state)
    };
    let installation = Principal::installation(local_actor());
    let detail = fixgate.move_ticket(&args.key, request, &installation).await?;
    if args.json {
        return print_json(&detail);
    }
    let t = &detail.ticket;
    let state = match &t.status_label {
        Some(status) => format!("{status} ({})", t.state.label().to_lowercase()),
        None => t.state.label().to_string(),
    };
    print(&format!("{} is now {state}\n", t.key))
}

pub async fn bulk(fixgate: &Fixgate, args: &BulkArgs) -> anyhow::Result<()> {
    let list = list_args(args);
    let filtered = [
        &list.state,
        &list.severity,
        &list.ticket_type,
        &list.application,
        &list.repository,
        &list.tool,
        &list.cwe,
        &list.text,
        &list.seen,
        &list.assignee,
        &list.label,
    ]
    .iter()
    .any(|value| value.as_deref().is_some_and(|v| !v.trim().is_empty()));
    if !filtered && !args.all {
        anyhow::bail!(
            "no filter given: name the tickets to change (--app, --in-state, --severity, …), \
             or give --all to change every ticket"
        );
    }
    let filter = crate::tickets::filter(&list)?;
    let installation = Principal::installation(local_actor());
    let outcome = fixgate.bulk_change(&filter, &change(args)?, args.dry_run, &installation).await?;
    if args.json { print_json(&outcome) } else { print(&summary(&outcome)) }
}

/// The bulk change's filters, as `tickets list` reads them.
fn list_args(args: &BulkArgs) -> ListArgs {
    ListArgs {
        limit: 1,
        page: 1,
        state: args.in_state.clone(),
        severity: args.severity.clone(),
        ticket_type: args.ticket_type.clone(),
        application: args.application.clone(),
        repository: args.repository.clone(),
        tool: args.tool.clone(),
        cwe: args.cwe.clone(),
        text: args.text.clone(),
        seen: args.seen.clone(),
        assignee: args.assignee.clone(),
        owner: args.owned_by.clone(),
        priority: args.priority.clone(),
        sla: args.sla.clone(),
        label: args.with_label.clone(),
        json: false,
    }
}

fn change(args: &BulkArgs) -> anyhow::Result<BulkChange> {
    Ok(BulkChange {
        state: args.state.clone(),
        reason: args.reason.clone(),
        owner: args.owner.clone(),
        due_at: time(args.due.as_deref(), "--due")?,
        approver: args.approver.clone(),
        expires_at: time(args.expires.as_deref(), "--expires")?,
        duplicate_of: args.duplicate_of.clone(),
        assignee: if args.unassign { Some(None) } else { args.assign.clone().map(Some) },
        add_labels: args.add_labels.clone(),
        remove_labels: args.remove_labels.clone(),
        comment: args.comment.clone(),
    })
}

/// A date (`2027-01-31`, from 00:00 UTC) or an RFC 3339 time.
pub(crate) fn time(value: Option<&str>, flag: &str) -> anyhow::Result<Option<Timestamp>> {
    value
        .map(|v| {
            parse_expiry(v).map_err(|_| {
                anyhow::anyhow!(
                    "{flag} {v:?}: expected a date such as 2027-01-31 or a time such as \
                     2027-01-31T12:00:00Z"
                )
            })
        })
        .transpose()
}

fn summary(outcome: &BulkOutcome) -> String {
    let verb = if outcome.dry_run { "would change" } else { "changed" };
    let mut out = format!(
        "{} tickets matched; {verb} {}, skipped {}\n",
        outcome.matched,
        outcome.changed,
        outcome.skipped.len()
    );
    if outcome.capped {
        out.push_str(&format!(
            "only the first {} were considered: run the change again for the rest\n",
            outcome.limit
        ));
    }
    for skipped in &outcome.skipped {
        out.push_str(&format!("  skipped {}: {}\n", skipped.key, skipped.reason));
    }
    if outcome.dry_run {
        out.push_str("dry run: nothing was changed\n");
    }
    out
}

/// `tickets show`'s lines for labels, watchers and links.
pub fn show_lines(detail: &TicketDetail) -> String {
    let mut out = String::new();
    if !detail.ticket.labels.is_empty() {
        out.push_str(&format!("  labels      {}\n", detail.ticket.labels.join(", ")));
    }
    if !detail.watchers.is_empty() {
        out.push_str(&format!("  watchers    {}\n", detail.watchers.join(", ")));
    }
    for link in &detail.links {
        out.push_str(&format!(
            "  {:<11} {} {} ({})\n",
            link.kind.label(),
            link.key,
            link.title,
            link.state
        ));
    }
    out
}
