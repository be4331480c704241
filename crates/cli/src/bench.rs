//! `fixgate bench`: reads a large SARIF report and measures, each in this
//! process, parsing alone, the first import into a fresh SQLite store, and
//! the re-import of a re-scan in which some findings were fixed, some are
//! new and every line moved down three lines. It prints results per second
//! and the peak resident memory of each phase. With `--reroute` it then
//! re-routes the open tickets the imports left (see [`reroute`]): for those
//! lines the count is tickets moved, or routed again when none moves.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use fixgate_domain::{Finding, RunInfo, ScanContext};
use fixgate_intake::{Limits, Sink, SinkError, sarif};
use fixgate_service::{Fixgate, ImportReport, ImportRequest, SystemClock};
use fixgate_store::{ConnectOptions, Store};
use serde_json::{Value, json};

use crate::cli::{BenchArgs, StoreArgs};
use crate::output::print;

/// Where the standard generator lives, relative to the repository.
const GENERATOR: &str = "../shared/bench/gen_sarif.py";

pub async fn bench(store: &StoreArgs, args: BenchArgs) -> anyhow::Result<()> {
    if args.web {
        return crate::bench_web::bench_web(store, &args).await;
    }
    if let Some(phase) = &args.phase {
        return run_phase(&args, phase).await;
    }
    if args.formats {
        return crate::bench_formats::bench_formats(&args).await;
    }
    std::fs::create_dir_all(&args.work_dir)
        .with_context(|| format!("cannot create {}", args.work_dir.display()))?;
    let report = match &args.report {
        Some(path) => path.clone(),
        None => generated(&args, "report", &[])?,
    };
    let rescan = match &args.rescan {
        Some(path) => path.clone(),
        None => generated(&args, "rescan", &["--fixed", "0.1", "--new", "0.05", "--shift", "3"])?,
    };
    let db = args.work_dir.join("bench.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }

    // Each phase runs in a process of its own, so its peak memory is its own.
    print("phase           results    seconds   results/s   peak RSS (MB)\n")?;
    let mut last_counts: Option<Value> = None;
    let mut phases = vec![("parse", &report), ("first import", &report), ("re-import", &rescan)];
    if args.reroute {
        phases.push(("re-route", &rescan));
    }
    for (phase, path) in phases {
        let output = Command::new(std::env::current_exe()?)
            .arg("bench")
            .arg("--work-dir")
            .arg(&args.work_dir)
            .arg("--phase")
            .arg(phase)
            .arg("--report")
            .arg(path)
            .output()
            .context("cannot run a benchmark phase")?;
        anyhow::ensure!(
            output.status.success(),
            "the {phase} phase failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
        let text = String::from_utf8_lossy(&output.stdout);
        for line in text.lines() {
            match line.strip_prefix(COUNTS) {
                Some(counts) => last_counts = serde_json::from_str(counts).ok(),
                None => print(&format!("{line}\n"))?,
            }
        }
    }
    check_rescan(&report, &rescan, last_counts.as_ref())
}

/// What a phase prints after its line: the import's counts as JSON.
const COUNTS: &str = "counts ";

/// Prints what the re-import did against what the two reports say it must
/// do: open exactly the new results and verify exactly the dropped ones.
fn check_rescan(report: &Path, rescan: &Path, counts: Option<&Value>) -> anyhow::Result<()> {
    let before = fingerprints(report)?;
    let after = fingerprints(rescan)?;
    let new = after.difference(&before).count() as u64;
    let dropped = before.difference(&after).count() as u64;
    let count = |key: &str| counts.and_then(|c| c.get(key)).and_then(Value::as_u64).unwrap_or(0);
    let (opened, verified) = (count("opened"), count("verified"));
    print(&format!(
        "re-import: opened {opened} tickets for {new} new results, verified {verified} \
         tickets for {dropped} dropped results, {} seen again\n",
        count("seen_again")
    ))?;
    anyhow::ensure!(
        opened == new && verified == dropped,
        "the re-import must open exactly the new results and verify exactly the dropped ones"
    );
    Ok(())
}

/// The fingerprints of a report's findings, numbered as an import numbers
/// them.
fn fingerprints(path: &Path) -> anyhow::Result<std::collections::HashSet<String>> {
    struct Collect(Vec<Finding>);
    impl Sink for Collect {
        fn finding(&mut self, finding: Finding) -> Result<(), SinkError> {
            self.0.push(finding);
            Ok(())
        }
        fn run(&mut self, _index: usize, _info: RunInfo) -> Result<(), SinkError> {
            Ok(())
        }
    }
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut collect = Collect(Vec::new());
    sarif::parse(file, &Limits::default(), &mut collect)?;
    fixgate_domain::fingerprint::Occurrences::default().assign(&mut collect.0);
    Ok(collect.0.into_iter().map(|f| f.fingerprint.as_str().to_string()).collect())
}

/// One phase, in this process: `parse`, `first import` or `re-import` of
/// `--report` into the work folder's database.
async fn run_phase(args: &BenchArgs, phase: &str) -> anyhow::Result<()> {
    let report = args.report.clone().context("a benchmark phase needs --report")?;
    if phase == "parse-format" {
        let format = args.format.as_deref().context("the parse-format phase needs --format")?;
        return crate::bench_formats::parse_phase(format, &report);
    }
    if phase == "parse" {
        let (results, seconds, peak) = measure(|| parse_only(&report)).await?;
        return line(phase, results, seconds, peak);
    }
    let db = args.work_dir.join("bench.db");
    let store =
        Store::connect(&format!("sqlite://{}", db.display()), ConnectOptions::default()).await?;
    let fixgate = Fixgate::new(store, Arc::new(SystemClock));
    if phase == "re-route" {
        let result = reroute(&fixgate).await;
        fixgate.store().close().await;
        return result;
    }
    let (report, seconds, peak) = measure(|| import(&fixgate, &report)).await?;
    fixgate.store().close().await;
    line(phase, report.findings, seconds, peak)?;
    print(&format!("{COUNTS}{}\n", serde_json::to_string(&report.counts)?))
}

fn line(phase: &str, results: u64, seconds: f64, peak_kb: Option<u64>) -> anyhow::Result<()> {
    let peak = peak_kb.map(|kb| format!("{:.0}", kb as f64 / 1024.0)).unwrap_or("n/a".into());
    print(&format!(
        "{phase:<14} {results:>8} {seconds:>10.3} {:>11.0} {peak:>15}\n",
        results as f64 / seconds.max(1e-9)
    ))
}

/// Runs one phase, returning its result count, wall seconds and the peak
/// resident set size during it (Linux: the peak is reset before the phase).
async fn measure<T, F, Fut>(phase: F) -> anyhow::Result<(T, f64, Option<u64>)>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let started = Instant::now();
    let results = phase().await?;
    Ok((results, started.elapsed().as_secs_f64(), peak_rss_kb()))
}

pub(crate) fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Counts findings without keeping them.
pub(crate) struct Counter(pub(crate) u64);

impl Sink for Counter {
    fn finding(&mut self, _finding: Finding) -> Result<(), SinkError> {
        self.0 += 1;
        Ok(())
    }

    fn run(&mut self, _index: usize, _info: RunInfo) -> Result<(), SinkError> {
        Ok(())
    }
}

async fn parse_only(path: &Path) -> anyhow::Result<u64> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let file = File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut counter = Counter(0);
        sarif::parse(file, &Limits::default(), &mut counter)?;
        Ok(counter.0)
    })
    .await?
}

async fn import(fixgate: &Fixgate, path: &Path) -> anyhow::Result<ImportReport> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let request = ImportRequest {
        // Named up front, as a CI pipeline would, so findings are recorded
        // while the report is read.
        context: ScanContext {
            application: Some("payments".into()),
            repository: Some("https://example.invalid/acme/payments".into()),
            branch: Some("main".into()),
            ..ScanContext::default()
        },
        ..ImportRequest::default()
    };
    Ok(fixgate.import(file, request).await?)
}

/// The bench repository's files are `src/module_NNNNN/handler.py`, NNNNN
/// below 5000: one CODEOWNERS rule per thousand modules gives them to five
/// teams.
const FIVE_TEAMS: &str = "/src/module_00*/ @acme/team-0\n/src/module_01*/ @acme/team-1\n\
     /src/module_02*/ @acme/team-2\n/src/module_03*/ @acme/team-3\n/src/module_04*/ @acme/team-4\n";

/// Re-routes the open tickets the imports left, which opened without an
/// owner (no team existed): a policy load gives them all the application's
/// team, a CODEOWNERS file moves them all to five teams, its dry run and
/// the same file again move none. One line each: tickets moved, seconds.
async fn reroute(fixgate: &Fixgate) -> anyhow::Result<()> {
    const APP: &str = "payments";
    for team in ["app-team", "team-0", "team-1", "team-2", "team-3", "team-4"] {
        fixgate.add_owner(APP, team).await?;
    }
    let actor = "bench";
    let repository = "https://example.invalid/acme/payments";
    let (loaded, seconds, peak) =
        measure(|| async { Ok(fixgate.load_triage_policy("", actor).await?) }).await?;
    line("policy load", loaded.rerouted.moved, seconds, peak)?;
    let (set, seconds, peak) =
        measure(|| async { Ok(fixgate.set_codeowners(repository, FIVE_TEAMS, actor).await?) })
            .await?;
    line("CODEOWNERS set", set.rerouted.moved, seconds, peak)?;
    let back = "/src/ @acme/app-team\n";
    let (checked, seconds, peak) =
        measure(|| async { Ok(fixgate.check_codeowners(repository, back).await?) }).await?;
    line("  dry run", checked.rerouted.moved, seconds, peak)?;
    let (again, seconds, peak) =
        measure(|| async { Ok(fixgate.set_codeowners(repository, FIVE_TEAMS, actor).await?) })
            .await?;
    line("  same again", again.rerouted.considered, seconds, peak)?;
    anyhow::ensure!(
        set.rerouted.moved == set.rerouted.considered && again.rerouted.moved == 0,
        "the CODEOWNERS file must move every open ticket once: {set:?}, then {again:?}"
    );
    Ok(())
}

/// A generated report in the work folder, written by the standard generator
/// when it is at hand, else by fixgate's own equivalent.
fn generated(args: &BenchArgs, name: &str, extra: &[&str]) -> anyhow::Result<PathBuf> {
    let path = args.work_dir.join(format!("{name}-{}.sarif", args.results));
    if path.exists() {
        return Ok(path);
    }
    let results = args.results.to_string();
    if Path::new(GENERATOR).exists() {
        let status = Command::new("python3")
            .arg(GENERATOR)
            .args(["--results", &results, "--out"])
            .arg(&path)
            .args(extra)
            .status()
            .context("cannot run python3 for the report generator")?;
        anyhow::ensure!(status.success(), "{GENERATOR} failed with {status}");
    } else {
        let shift = if extra.is_empty() { 0 } else { 3 };
        let (fixed, new) = if extra.is_empty() { (0.0, 0.0) } else { (0.1, 0.05) };
        let mut out = BufWriter::new(File::create(&path)?);
        write_sarif(&mut out, args.results, fixed, new, shift)?;
        out.flush()?;
        eprintln!(
            "{GENERATOR} not found: generated {} with fixgate's own generator",
            path.display()
        );
    }
    Ok(path)
}

/// fixgate's stand-in for the standard generator: the same shape (rules with
/// CWE tags and security-severity, a location with a snippet, a two-step code
/// flow, a partial fingerprint per result), not the same bytes.
/// Returns how many results it wrote.
pub(crate) fn write_sarif(
    out: &mut dyn Write,
    results: u32,
    fixed: f64,
    new: f64,
    shift: u32,
) -> anyhow::Result<u64> {
    const CWES: [u32; 5] = [79, 89, 78, 22, 502];
    let mut written = 0;
    let rules: Vec<_> = (0..200)
        .map(|i| {
            let cwe = CWES.get(i % CWES.len()).copied().unwrap_or(79);
            json!({"id": format!("bench/rule-{i:04}"), "shortDescription": {"text": format!("Benchmark rule {i}")},
                   "properties": {"tags": [format!("external/cwe/cwe-{cwe}")], "security-severity": format!("{}.0", 2 + i % 8)}})
        })
        .collect();
    let head = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "BenchScanner", "rules": rules}},
        "automationDetails": {"id": "bench/sast/"}, "results": []}]});
    let text = head.to_string();
    let (before, after) = text.split_once("\"results\":[]").context("generator template")?;
    write!(out, "{before}\"results\":[")?;
    let extra = (f64::from(results) * new) as u32;
    let mut first = true;
    for key in 0..results + extra {
        let mix = u64::from(key).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        if key < results && ((mix >> 11) as f64 / (1u64 << 53) as f64) < fixed {
            continue;
        }
        let rule = mix % 200;
        let file = (mix >> 8) % 5000;
        let line = 10 + (mix >> 20) % 1990 + u64::from(shift);
        let result = json!({"ruleId": format!("bench/rule-{rule:04}"), "ruleIndex": rule, "level": "error",
            "message": {"text": format!("Tainted value reaches a sink at line {line}.")},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": format!("src/module_{file:05}/handler.py")},
                "region": {"startLine": line, "snippet": {"text": format!("cursor.execute(query_{key:x})")}}}}],
            "partialFingerprints": {"primaryLocationLineHash": format!("{mix:016x}:1")},
            "codeFlows": [{"threadFlows": [{"locations": [
                {"location": {"physicalLocation": {"artifactLocation": {"uri": format!("src/module_{file:05}/handler.py")}, "region": {"startLine": line.saturating_sub(3)}}, "message": {"text": "source"}}},
                {"location": {"physicalLocation": {"artifactLocation": {"uri": format!("src/module_{file:05}/handler.py")}, "region": {"startLine": line}}, "message": {"text": "sink"}}}]}]}]});
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        serde_json::to_writer(&mut *out, &result)?;
        written += 1;
    }
    write!(out, "]{after}")?;
    Ok(written)
}
