//! `fixgate demo`: a fresh store with the example application's reports
//! imported (its first commit, then the second), and the server running.
//!
//! The reports were written by real scanners (Bandit, Semgrep, Checkov,
//! ESLint) over `examples/vulnshop`; `examples/regenerate.sh` rewrites them.
//! They are compiled into the binary, so the demo runs from anywhere.

use anyhow::Context;
use fixgate_domain::Role;
use fixgate_domain::ScanContext;
use fixgate_service::{CreateToken, CreateUser, Fixgate, ImportRequest, TokenHolder};
use serde::Deserialize;

use crate::cli::{ServeArgs, StoreArgs};
use crate::output::print;

/// One commit's reports: its context and (tool, report) pairs.
struct Commit {
    context: &'static str,
    reports: [(&'static str, &'static [u8]); 5],
}

macro_rules! commit {
    ($dir:literal) => {
        Commit {
            context: include_str!(concat!("../../../examples/reports/", $dir, "/context.json")),
            reports: [
                (
                    "bandit",
                    include_bytes!(concat!("../../../examples/reports/", $dir, "/bandit.sarif")),
                ),
                (
                    "semgrep",
                    include_bytes!(concat!("../../../examples/reports/", $dir, "/semgrep.sarif")),
                ),
                (
                    "checkov",
                    include_bytes!(concat!("../../../examples/reports/", $dir, "/checkov.sarif")),
                ),
                (
                    "eslint",
                    include_bytes!(concat!("../../../examples/reports/", $dir, "/eslint.sarif")),
                ),
                (
                    "detect-secrets",
                    include_bytes!(concat!(
                        "../../../examples/reports/",
                        $dir,
                        "/detect-secrets.json"
                    )),
                ),
            ],
        }
    };
}

const COMMITS: [(&str, Commit); 2] = [("first", commit!("v1")), ("second", commit!("v2"))];

#[derive(Deserialize)]
struct DemoContext {
    application: String,
    repository: String,
    branch: String,
    commit: String,
}

pub async fn demo(store: &StoreArgs, args: ServeArgs) -> anyhow::Result<()> {
    let mut store = store.clone();
    if store.database_url.is_none() {
        store.data_dir = store.data_dir.join("demo");
        remove_demo_database(&store.data_dir)?;
    }
    let fixgate = crate::serve::open(&store).await?;
    for (label, commit) in &COMMITS {
        import_commit(&fixgate, label, commit).await?;
    }
    let accounts = demo_accounts(&fixgate).await?;

    let bound = crate::serve::bind(&args).await?;
    print(&format!(
        "\nfixgate demo is ready: open {}tickets (Ctrl-C stops it)\n\
         data: {}\n{accounts}",
        bound.url()?,
        crate::serve::database_url(&store)?
    ))?;
    crate::serve::run(fixgate, &store, &args, bound).await
}

/// The demo's people: an administrator, and a developer whose team owns
/// the example application. Their passwords are random, made afresh with
/// each demo store and printed once.
async fn demo_accounts(fixgate: &Fixgate) -> anyhow::Result<String> {
    let context: DemoContext = serde_json::from_str(COMMITS[0].1.context)
        .context("the demo's context.json is not valid")?;
    fixgate.add_owner(&context.application, "shop-team").await?;
    let mut out = String::from("sign in as:\n");
    for (name, role, teams) in
        [("admin", Role::Administrator, vec![]), ("dev", Role::Developer, vec!["shop-team".into()])]
    {
        let password = fixgate_service::access::new_password()?;
        let user = CreateUser { name: name.into(), role, teams, password: Some(password.clone()) };
        fixgate.create_user(user).await?;
        out.push_str(&format!("  {name:<6} {password}  ({role})\n"));
    }
    let token = fixgate
        .create_token(
            CreateToken {
                holder: TokenHolder::Service("demo-ci".into()),
                role: Role::Scanner,
                application: Some(context.application),
                expires_at: None,
                teams: Vec::new(),
            },
            "demo",
        )
        .await?;
    out.push_str(&format!(
        "upload token (scanner, {} only): {}\n",
        token.application.unwrap_or_default(),
        token.token
    ));
    Ok(out)
}

/// The demo always starts from an empty store in its own folder.
fn remove_demo_database(dir: &std::path::Path) -> anyhow::Result<()> {
    for name in ["fixgate.db", "fixgate.db-wal", "fixgate.db-shm"] {
        let path = dir.join(name);
        if path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove the old demo store {}", path.display()))?;
        }
    }
    Ok(())
}

async fn import_commit(fixgate: &Fixgate, label: &str, commit: &Commit) -> anyhow::Result<()> {
    let context: DemoContext =
        serde_json::from_str(commit.context).context("the demo's context.json is not valid")?;
    print(&format!("importing the {label} commit ({}):\n", &context.commit))?;
    for (tool, report) in commit.reports {
        let request = ImportRequest {
            context: ScanContext {
                application: Some(context.application.clone()),
                repository: Some(context.repository.clone()),
                branch: Some(context.branch.clone()),
                commit: Some(context.commit.clone()),
                uploader: Some("demo".into()),
                ..ScanContext::default()
            },
            ..ImportRequest::default()
        };
        let outcome = fixgate
            .import(std::io::Cursor::new(report), request)
            .await
            .with_context(|| format!("importing the demo's {tool} report"))?;
        let c = &outcome.counts;
        print(&format!(
            "  {tool:<14} {:>3} findings: {:>3} new tickets, {:>3} joined a ticket, \
             {:>3} seen again, {:>3} verified, {} suppressed in the source\n",
            outcome.findings, c.opened, c.grouped, c.seen_again, c.verified, c.suppressed
        ))?;
    }
    Ok(())
}
