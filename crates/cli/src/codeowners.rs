//! `fixgate codeowners set|show`: a repository's CODEOWNERS file on the
//! local store.

use anyhow::Context;
use serde_json::json;

use crate::cli::{CodeownersArgs, CodeownersCommand, StoreArgs};
use crate::output::{print, print_json};

pub async fn codeowners(store: &StoreArgs, args: CodeownersArgs) -> anyhow::Result<()> {
    let fixgate = crate::serve::open(store).await?;
    let result = async {
        match args.command {
            CodeownersCommand::Set { repository, file } => {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let actor = crate::import::local_actor();
                let rules = fixgate
                    .set_codeowners(&repository, &text, &actor)
                    .await
                    .with_context(|| format!("{} is not stored", file.display()))?;
                print(&format!("CODEOWNERS of {repository}: {rules} rules\n"))
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
