//! `fixgate admin`: running the installation, on the local store. For now it
//! creates the inbound webhooks that connectors receive events on.

use clap::Subcommand;
use serde_json::json;

use crate::cli::StoreArgs;
use crate::output::{print, print_json};

#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Create an inbound webhook, served at POST /api/v1/hooks/NAME, and print
    /// its secret. This is the only time fixgate shows the secret: give it to
    /// the sender now (see docs/webhooks.md).
    CreateHook {
        /// The hook's name: letters, digits, '.', '_' or '-'.
        name: String,
        /// Print `{"secret": …}` instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub async fn admin(store: &StoreArgs, command: AdminCommand) -> anyhow::Result<()> {
    let fixgate = crate::serve::open(store).await?;
    let result = match command {
        AdminCommand::CreateHook { name, json } => create_hook(&fixgate, &name, json).await,
    };
    fixgate.store().close().await;
    result
}

async fn create_hook(
    fixgate: &fixgate_service::Fixgate,
    name: &str,
    json: bool,
) -> anyhow::Result<()> {
    let secret = fixgate.create_hook(name).await?;
    if json {
        return print_json(&json!({ "secret": secret }));
    }
    print(&format!(
        "created hook {name}, at POST /api/v1/hooks/{name}\n\
         secret: {secret}\n\
         fixgate does not show this secret again: configure the sender with it now.\n"
    ))
}
