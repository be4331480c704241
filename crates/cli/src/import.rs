//! `fixgate import`: into the local store, or through a server's API.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use fixgate_domain::ScanContext;
use fixgate_service::{ImportRequest, Progress};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use crate::cli::{ImportArgs, StoreArgs};
use crate::output::{print, print_json};

pub async fn import(store: &StoreArgs, args: ImportArgs) -> anyhow::Result<()> {
    let report = match &args.server {
        Some(server) => import_remote(server, &args)?,
        None => import_local(store, &args).await?,
    };
    if args.json { print_json(&report) } else { print(&summary(&report)) }
}

async fn import_local(store: &StoreArgs, args: &ImportArgs) -> anyhow::Result<Value> {
    let fixgate = crate::serve::open(store).await?;
    let (reader, size) = open_report(&args.report)?;
    let progress: Progress = Arc::new(AtomicU64::new(0));
    let bar = progress_bar(size, progress.clone());
    let request = ImportRequest {
        context: context(args),
        format: args.format.clone(),
        partial: args.partial,
        default_branch: args.default_branch.clone(),
        progress: Some(progress),
    };
    let result = fixgate.import(reader, request).await;
    if let Some((bar, task)) = bar {
        task.abort();
        bar.finish_and_clear();
    }
    fixgate.store().close().await;
    let report = result.with_context(|| format!("importing {}", args.report.display()))?;
    Ok(serde_json::to_value(report)?)
}

fn context(args: &ImportArgs) -> ScanContext {
    ScanContext {
        application: args.application.clone(),
        repository: args.repository.clone(),
        branch: args.branch.clone(),
        commit: args.commit.clone(),
        environment: args.environment.clone(),
        category: args.category.clone(),
        uploader: Some(local_actor()),
    }
}

pub(crate) fn open_report(path: &Path) -> anyhow::Result<(Box<dyn Read + Send>, Option<u64>)> {
    if path.as_os_str() == "-" {
        return Ok((Box::new(std::io::stdin()), None));
    }
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().ok().map(|m| m.len());
    Ok((Box::new(file), size))
}

/// A progress bar on stderr while a report of known size is read, only when
/// stderr is a terminal.
fn progress_bar(
    size: Option<u64>,
    progress: Progress,
) -> Option<(ProgressBar, tokio::task::JoinHandle<()>)> {
    use std::io::IsTerminal;
    let size = size?;
    if !std::io::stderr().is_terminal() || size < 8 * 1024 * 1024 {
        return None;
    }
    let bar = ProgressBar::new(size);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} reading {bytes}/{total_bytes} {wide_bar} {eta}")
    {
        bar.set_style(style);
    }
    let ticking = bar.clone();
    let task = tokio::spawn(async move {
        loop {
            ticking.set_position(progress.load(Ordering::Relaxed));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    Some((bar, task))
}

fn import_remote(server: &str, args: &ImportArgs) -> anyhow::Result<Value> {
    let mut url = format!("{}/api/v1/scans", server.trim_end_matches('/'));
    let params = [
        ("application", &args.application),
        ("repository", &args.repository),
        ("branch", &args.branch),
        ("commit", &args.commit),
        ("environment", &args.environment),
        ("category", &args.category),
        ("format", &args.format),
        ("default_branch", &args.default_branch),
        ("partial", &args.partial.then(|| "true".to_string())),
    ];
    let query: Vec<String> = params
        .iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name}={}", encode(v))))
        .collect();
    if !query.is_empty() {
        url = format!("{url}?{}", query.join("&"));
    }

    let (reader, _) = open_report(&args.report)?;
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let mut request = agent.post(&url).header("Content-Type", "application/octet-stream");
    if let Some(token) = &args.token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let mut response = request
        .send(ureq::SendBody::from_owned_reader(reader))
        .with_context(|| format!("cannot reach {server}"))?;
    let status = response.status();
    let text = response
        .body_mut()
        .read_to_string()
        .with_context(|| format!("reading the answer of {server} failed"))?;
    let body: Value = serde_json::from_str(&text)
        .with_context(|| format!("{server} answered {status} without a JSON body"))?;
    if !status.is_success() {
        let detail = body.get("detail").and_then(Value::as_str).unwrap_or("no detail");
        anyhow::bail!("{server} refused the report ({status}): {detail}");
    }
    Ok(body)
}

/// Percent-encodes a query value.
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// What an import did, in a few lines for people.
fn summary(report: &Value) -> String {
    let n = |key: &str| report.get(key).and_then(Value::as_u64).unwrap_or(0);
    let s = |key: &str| report.get(key).and_then(Value::as_str).unwrap_or("-").to_string();
    let scan = n("scan_id");
    let mut out = if report.get("duplicate").and_then(Value::as_bool) == Some(true) {
        format!(
            "unchanged: this report is the one scan {scan} already imported for this scope; \
             nothing changed ({} findings)\n",
            n("unchanged")
        )
    } else {
        let mut line = format!(
            "scan {scan}: {} findings; {} new tickets, {} seen again, {} reappeared, \
             {} no longer seen, {} suppressed\n  {} verified, {} reopened, {} failed verification",
            n("findings"),
            n("opened"),
            n("seen_again"),
            n("reappeared"),
            n("no_longer_seen"),
            n("suppressed"),
            n("verified"),
            n("reopened"),
            n("verification_failed"),
        );
        if n("grouped") > 0 {
            line.push_str(&format!(", {} added to existing tickets", n("grouped")));
        }
        line.push('\n');
        let flag = |key: &str| report.get(key).and_then(Value::as_bool);
        if flag("tracked") == Some(false) {
            line.push_str(
                "  this branch is not tracked: the scan opened and closed no ticket \
                 (see --default-branch and the tracked_branches policy)\n",
            );
        }
        if flag("partial") == Some(true) {
            line.push_str("  partial scan: nothing it did not see was closed\n");
        }
        line
    };
    out.push_str(&format!(
        "  application {}, repository {}, branch {}, commit {}, tools {}\n",
        s("application"),
        s("repository"),
        s("branch"),
        s("commit"),
        report
            .get("tools")
            .and_then(Value::as_array)
            .map(|tools| tools.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    ));
    out
}

/// Who acts from the command line: `cli:$USER`, or `cli`.
pub fn local_actor() -> String {
    std::env::var("USER").map_or("cli".into(), |user| format!("cli:{user}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("https://x/a b"), "https%3A%2F%2Fx%2Fa%20b");
    }
}
