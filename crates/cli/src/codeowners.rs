//! `fixgate codeowners set|show`: a repository's CODEOWNERS file on the
//! local store.

use anyhow::Context;
use fixgate_service::Rerouted;
use serde_json::json;

use crate::cli::{CodeownersArgs, CodeownersCommand, StoreArgs};
use crate::output::{print, print_json};

pub async fn codeowners(store: &StoreArgs, args: CodeownersArgs) -> anyhow::Result<()> {
    let fixgate = crate::serve::open(store).await?;
    let result = async {
        match args.command {
            CodeownersCommand::Set { repository, file, dry_run, json } => {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let set = if dry_run {
                    fixgate.check_codeowners(&repository, &text).await
                } else {
                    fixgate.set_codeowners(&repository, &text, &crate::import::local_actor()).await
                }
                .with_context(|| format!("{} is not stored", file.display()))?;
                if json {
                    return print_json(&set);
                }
                let stored = if dry_run { " (a dry run: nothing stored)" } else { "" };
                print(&format!(
                    "CODEOWNERS of {}: {} rules{stored}\n{}",
                    set.repository,
                    set.rules,
                    rerouted_text(&set.rerouted)
                ))
            }
            CodeownersCommand::Show { repository, path, json } => {
                let rules = fixgate.owners_of(&repository, &path).await?.with_context(|| {
                    format!(
                        "{repository} has no CODEOWNERS file: `fixgate codeowners set` stores one"
                    )
                })?;
                if json {
                    return print_json(
                        &json!({ "repository": repository, "path": path, "rules": rules }),
                    );
                }
                let mut out = String::new();
                if rules.is_empty() {
                    out.push_str(&format!("{path}: no rule matches\n"));
                }
                for rule in rules {
                    let owners: Vec<String> = rule.owners.iter().map(ToString::to_string).collect();
                    let owners =
                        if owners.is_empty() { "(unowned)".into() } else { owners.join(" ") };
                    let section = rule.section.map(|s| format!(" [{s}]")).unwrap_or_default();
                    out.push_str(&format!(
                        "{path}: {owners}  (line {}{section}: {})\n",
                        rule.line, rule.pattern
                    ));
                }
                print(&out)
            }
        }
    }
    .await;
    fixgate.store().close().await;
    result
}

/// What a change of routing rules did to open tickets, for people: how many
/// moved, and from which team to which.
pub(crate) fn rerouted_text(rerouted: &Rerouted) -> String {
    let verb = if rerouted.dry_run { "would move" } else { "moved" };
    if rerouted.moved == 0 {
        return format!("no open ticket {verb} ({} routed again)\n", rerouted.considered);
    }
    let mut out = format!(
        "{} of {} open tickets routed again {verb}:\n",
        rerouted.moved, rerouted.considered
    );
    for flow in &rerouted.flows {
        let from = flow.from.as_deref().unwrap_or("(no team)");
        out.push_str(&format!("  {from} -> {}: {}\n", flow.to, flow.tickets));
    }
    out
}
