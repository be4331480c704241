//! `fixgate check`: the CI gate. Gets the report's classification from a
//! server, a baseline report or the local store, prints it, writes the
//! Markdown and SARIF files asked for, and turns the policy into the exit
//! code: 0 passed, 1 failed, 2 error (returned as an error to `main`).

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use fixgate_service::gate::{
    self, CheckRequest, Classification, MARKDOWN_ROWS, Verdict, check_against_baseline,
};
use serde::Serialize;
use serde_json::Value;

use crate::cli::{CheckArgs, StoreArgs};
use crate::import::{encode, open_report};
use crate::output::{print, print_json};

/// What `--json` prints: the classification and the policy's verdict.
#[derive(Serialize)]
struct Output<'a> {
    #[serde(flatten)]
    classification: &'a Classification,
    gate: Verdict,
}

pub async fn check(store: &StoreArgs, args: CheckArgs) -> anyhow::Result<ExitCode> {
    let classification = match (&args.server, &args.baseline) {
        (Some(server), _) => check_remote(server, &args)?,
        (None, Some(baseline)) => check_baseline(&args, baseline).await?,
        (None, None) => check_local(store, &args).await?,
    };
    if classification.against == "store" && classification.compared_with == 0 {
        eprintln!(
            "warning: fixgate tracks no finding for repository {}: every finding counts as new \
             (is --repo the URL the imports used?)",
            classification.repository.as_deref().unwrap_or("-")
        );
    }
    let verdict = gate::verdict(&classification, args.fail_on);
    if let Some(path) = &args.markdown {
        let text = gate::markdown(&classification, &verdict, MARKDOWN_ROWS);
        std::fs::write(path, text)
            .with_context(|| format!("cannot write the Markdown summary to {}", path.display()))?;
    }
    if let Some(path) = &args.sarif_out {
        write_sarif(path, &classification)?;
    }
    if args.json {
        print_json(&Output { classification: &classification, gate: verdict })?;
    } else {
        print(&gate::text(&classification, &verdict))?;
    }
    Ok(if verdict.passed { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn request(args: &CheckArgs) -> CheckRequest {
    CheckRequest {
        repository: args.repository.clone(),
        branch: args.branch.clone(),
        application: args.application.clone(),
        format: args.format.clone(),
    }
}

async fn check_local(store: &StoreArgs, args: &CheckArgs) -> anyhow::Result<Classification> {
    let database = store.data_dir.join("fixgate.db");
    if store.database_url.is_none() && !database.exists() {
        // A check only reads: an empty store made here would call every
        // finding new.
        anyhow::bail!(
            "there is no fixgate store at {}: import scans first, point --data-dir or \
             --database-url at the store, or use --server or --baseline",
            database.display()
        );
    }
    let fixgate = crate::serve::open(store).await?;
    let (reader, _) = open_report(&args.report)?;
    let result = fixgate.check(reader, request(args)).await;
    fixgate.store().close().await;
    result.with_context(|| format!("checking {}", args.report.display()))
}

async fn check_baseline(args: &CheckArgs, baseline: &Path) -> anyhow::Result<Classification> {
    let (reader, _) = open_report(&args.report)?;
    let old = File::open(baseline)
        .with_context(|| format!("cannot open the baseline {}", baseline.display()))?;
    check_against_baseline(reader, old, request(args)).await.with_context(|| {
        format!("checking {} against {}", args.report.display(), baseline.display())
    })
}

fn check_remote(server: &str, args: &CheckArgs) -> anyhow::Result<Classification> {
    let params = [
        ("repository", &args.repository),
        ("branch", &args.branch),
        ("application", &args.application),
        ("format", &args.format),
    ];
    let query: Vec<String> = params
        .iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name}={}", encode(v))))
        .collect();
    let mut url = format!("{}/api/v1/check", server.trim_end_matches('/'));
    if !query.is_empty() {
        url = format!("{url}?{}", query.join("&"));
    }

    // Read whole and sent with its length: a server that refuses the token
    // answers before reading the body, and a streamed body would then end in
    // a broken pipe instead of the server's answer.
    let (mut reader, _) = open_report(&args.report)?;
    let mut report = Vec::new();
    reader
        .read_to_end(&mut report)
        .with_context(|| format!("cannot read {}", args.report.display()))?;
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let mut request = agent.post(&url).header("Content-Type", "application/octet-stream");
    if let Some(token) = &args.token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let mut response =
        request.send(&report[..]).with_context(|| format!("cannot reach {server}"))?;
    let status = response.status();
    let text = response
        .body_mut()
        .read_to_string()
        .with_context(|| format!("reading the answer of {server} failed"))?;
    if !status.is_success() {
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let detail = body.get("detail").and_then(Value::as_str).unwrap_or("no detail");
        anyhow::bail!("{server} refused the check ({status}): {detail}");
    }
    serde_json::from_str(&text)
        .with_context(|| format!("{server} answered {status} without a check's classification"))
}

fn write_sarif(path: &Path, classification: &Classification) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(&gate::to_sarif(classification))?;
    text.push('\n');
    std::fs::write(path, text)
        .with_context(|| format!("cannot write the SARIF file {}", path.display()))
}
