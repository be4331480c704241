//! `fixgate policy show|set|reset`: the import policy on the local store.

use fixgate_domain::{FindingKind, ImportPolicy};
use fixgate_service::POLICY_KEYS;
use serde_json::json;

use crate::cli::{PolicyArgs, PolicyCommand, StoreArgs};
use crate::output::{print, print_json};

pub async fn policy(store: &StoreArgs, args: PolicyArgs) -> anyhow::Result<()> {
    let fixgate = crate::serve::open(store).await?;
    let result = async {
        match args.command {
            PolicyCommand::Show { json } => {
                let policy = fixgate.import_policy().await?;
                if json { print_json(&as_json(&policy)) } else { print(&text(&policy)) }
            }
            PolicyCommand::Set { key, value } => {
                fixgate.set_policy(&key, Some(&value)).await?;
                print(&format!("{key} = {value}\n"))
            }
            PolicyCommand::Reset { key } => {
                fixgate.set_policy(&key, None).await?;
                print(&format!("{key} is back to its default\n"))
            }
            PolicyCommand::Load { file, check } => {
                let text = std::fs::read_to_string(&file)
                    .map_err(|err| anyhow::anyhow!("cannot read {}: {err}", file.display()))?;
                let loaded = if check {
                    fixgate.check_triage_policy(&text).await
                } else {
                    fixgate.load_triage_policy(&text, &crate::import::local_actor()).await
                }
                .map_err(|err| anyhow::anyhow!("{}: {err}", file.display()))?;
                let policy = &loaded.policy;
                let verb = if check { "reads" } else { "is the policy in force" };
                print(&format!(
                    "{} {verb}: {} priority rules, {} routes, SLA {} days for critical\n{}",
                    file.display(),
                    policy.priority_rule_count(),
                    policy.route_count(),
                    policy.sla().days(fixgate_domain::triage::Priority::Critical),
                    crate::codeowners::rerouted_text(&loaded.rerouted),
                ))
            }
            PolicyCommand::File => match fixgate.stored_triage_policy().await? {
                Some(stored) => print(&stored.content),
                None => print(fixgate_domain::triage::DEFAULT_POLICY),
            },
        }
    }
    .await;
    fixgate.store().close().await;
    result
}

fn values(policy: &ImportPolicy) -> Vec<(&'static str, String)> {
    let branches = if policy.tracked_branches.is_empty() {
        "(each repository's default branch only)".to_string()
    } else {
        policy.tracked_branches.join(",")
    };
    let mut out = vec![("tracked_branches", branches)];
    for kind in FindingKind::ALL {
        let key = POLICY_KEYS
            .iter()
            .map(|(k, _)| *k)
            .find(|k| k.strip_prefix("grouping.") == Some(kind.as_str()))
            .unwrap_or("grouping");
        out.push((key, policy.grouping(kind).to_string()));
    }
    out
}

fn text(policy: &ImportPolicy) -> String {
    let mut out = String::new();
    for (key, value) in values(policy) {
        let help = POLICY_KEYS.iter().find(|(k, _)| *k == key).map_or("", |(_, h)| *h);
        out.push_str(&format!("{key:<18} {value:<12}  {help}\n"));
    }
    out
}

fn as_json(policy: &ImportPolicy) -> serde_json::Value {
    let mut map: serde_json::Map<String, serde_json::Value> =
        values(policy).into_iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    // Scripts get the patterns themselves, none when only default branches
    // are tracked.
    map.insert("tracked_branches".into(), json!(policy.tracked_branches));
    serde_json::Value::Object(map)
}
