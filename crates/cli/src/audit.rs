//! `fixgate audit head|verify`: the event log's hash chain on the local
//! store. `verify` exits 1 when the chain is broken, naming the first bad
//! event.

use std::process::ExitCode;

use fixgate_store::{ChainBreak, ChainReport};

use crate::cli::{AuditArgs, AuditCommand, StoreArgs};
use crate::output::{print, print_json};

pub async fn audit(store: &StoreArgs, args: AuditArgs) -> anyhow::Result<ExitCode> {
    let fixgate = crate::serve::open(store).await?;
    let result = match args.command {
        AuditCommand::Head { json } => match fixgate.audit_head().await {
            Ok(head) if json => print_json(&head),
            Ok(head) => print(&format!("{head}\n")),
            Err(err) => Err(err.into()),
        }
        .map(|()| ExitCode::SUCCESS),
        AuditCommand::Verify { pin, json } => match fixgate.verify_chain(pin.as_deref()).await {
            Ok(report) => {
                let printed = if json { print_json(&report) } else { print(&text(&report)) };
                printed.map(|()| exit_code(&report))
            }
            Err(err) => Err(err.into()),
        },
    };
    fixgate.store().close().await;
    result
}

fn exit_code(report: &ChainReport) -> ExitCode {
    if report.holds() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// The outcome in words: the count and head when the chain holds, else
/// the first bad event.
fn text(report: &ChainReport) -> String {
    let pinned = match &report.pin {
        Some(pin) => format!("; pin {}:{} found on it", pin.seq, pin.hash),
        None => String::new(),
    };
    match &report.broken {
        None => format!(
            "the chain holds: {} events checked, head {}{pinned}\n",
            report.checked, report.head
        ),
        Some(broken) => format!(
            "the chain is broken at {}: {}; {}\n{} events checked before it; head {}\n",
            place(broken),
            problem(broken),
            broken.detail,
            report.checked,
            report.head
        ),
    }
}

/// Where the break is: seq, event id, ticket and kind, as far as known.
fn place(broken: &ChainBreak) -> String {
    let mut parts = Vec::new();
    if let Some(seq) = broken.seq {
        parts.push(format!("seq {seq}"));
    }
    if let Some(id) = broken.event_id {
        parts.push(format!("event id {id}"));
    }
    if let Some(key) = &broken.ticket_key {
        parts.push(format!("ticket {key}"));
    }
    if let Some(kind) = &broken.kind {
        parts.push(format!("kind {kind}"));
    }
    if parts.is_empty() { "the end of the chain".into() } else { parts.join(", ") }
}

fn problem(broken: &ChainBreak) -> &'static str {
    use fixgate_store::ChainProblem::*;
    match broken.problem {
        ContentChanged => "content changed",
        Removed => "events removed",
        Reordered => "events reordered",
        Unchained => "event not on the chain",
        HeadMismatch => "head mismatch",
        Truncated => "chain truncated",
        PinMismatch => "pin mismatch",
    }
}
