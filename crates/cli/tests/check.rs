//! `fixgate check`, run as a process on the example app's real Bandit and
//! Semgrep reports: its exit codes (0 passed, 1 failed, 2 error), the
//! Markdown summary, the SARIF file, and the three places what fixgate
//! tracks can come from (a baseline report, the local store, a server).

// A failed set-up is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const REPO: &str = "https://github.com/fixgate-demo/vulnshop";

fn fixgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fixgate")).args(args).output().unwrap()
}

fn example(path: &str) -> String {
    format!("{}/../../examples/reports/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn against_baseline(extra: &[&str]) -> Output {
    let (v2, v1) = (example("v2/bandit.json"), example("v1/bandit.json"));
    let mut args = vec!["check", v2.as_str(), "--baseline", v1.as_str(), "--branch", "feature/pay"];
    args.extend_from_slice(extra);
    fixgate(&args)
}

#[test]
fn a_new_high_finding_fails_the_default_policy() {
    let output = against_baseline(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with(
            "fixgate check: 3 new, 18 still open, 3 fixed by this change, 0 suppressed"
        ),
        "{text}"
    );
    assert!(text.contains("Failed: 1 new finding of severity high or above"), "{text}");
    assert!(text.contains("app/payments.py:18"), "{text}");
}

#[test]
fn a_policy_above_the_new_findings_passes() {
    for fail_on in ["critical", "none"] {
        let output = against_baseline(&["--fail-on", fail_on]);
        assert_eq!(output.status.code(), Some(0), "{fail_on}: {}", stderr(&output));
    }
    let output = against_baseline(&["--fail-on", "medium", "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["gate"]["failing"], 3);
    assert_eq!(json["gate"]["passed"], false);
    assert_eq!(json["counts"]["fixed"], 3);
    assert_eq!(json["against"], "baseline");
    assert_eq!(json["branch"], "feature/pay");
}

#[test]
fn errors_exit_with_2() {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--fail-on", "urgent"], "is not one of critical, high, medium, low, none"),
        (vec!["--no-such-flag"], "unexpected argument"),
        (vec!["--format", "nessus"], "unknown format \"nessus\""),
    ];
    for (extra, expected) in cases {
        let output = against_baseline(&extra);
        assert_eq!(output.status.code(), Some(2), "{extra:?}");
        assert!(stderr(&output).contains(expected), "{extra:?}: {}", stderr(&output));
        assert!(output.stdout.is_empty());
    }

    let v1 = example("v1/bandit.json");
    let unreadable = fixgate(&["check", manifest, "--baseline", &v1]);
    assert_eq!(unreadable.status.code(), Some(2));
    assert!(stderr(&unreadable).contains("unrecognised report format"), "{}", stderr(&unreadable));

    let no_baseline = fixgate(&["check", &v1, "--baseline", "/nonexistent/old.json"]);
    assert_eq!(no_baseline.status.code(), Some(2));
    assert!(stderr(&no_baseline).contains("cannot open the baseline /nonexistent/old.json"));

    // Port 1 on the loopback: nothing listens there.
    let unreachable = fixgate(&["check", &v1, "--repo", REPO, "--server", "http://127.0.0.1:1"]);
    assert_eq!(unreachable.status.code(), Some(2));
    assert!(stderr(&unreachable).contains("cannot reach http://127.0.0.1:1"));

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let no_store = fixgate(&["--data-dir", data, "check", &v1, "--repo", REPO]);
    assert_eq!(no_store.status.code(), Some(2));
    assert!(stderr(&no_store).contains("there is no fixgate store"), "{}", stderr(&no_store));
    assert!(!dir.path().join("fixgate.db").exists(), "a check creates no store");
}

#[test]
fn the_markdown_summary_is_written_for_a_pull_request() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gate.md");
    let output = against_baseline(&["--markdown", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let markdown = std::fs::read_to_string(&path).unwrap();
    assert!(markdown.starts_with("## fixgate check failed\n"), "{markdown}");
    assert!(markdown.contains("| New | 3 |\n| Still open | 18 |\n| Fixed by this change | 3 |"));
    assert!(markdown.contains("<details open><summary><b>New (3)</b></summary>"), "{markdown}");
    assert!(markdown.contains("<details><summary><b>Still open (18)</b></summary>"));
    assert!(markdown.contains("| high |  | "), "{markdown}");
    assert!(markdown.contains("`app/payments.py:18`"), "{markdown}");
    assert_eq!(markdown.matches("</details>").count(), 3);
}

#[test]
fn the_sarif_file_reads_back_with_baseline_states() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gate.sarif");
    let (v2, v1) = (example("v2/semgrep.sarif"), example("v1/semgrep.sarif"));
    let output = fixgate(&[
        "check",
        &v2,
        "--baseline",
        &v1,
        "--sarif-out",
        path.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let check: Value = serde_json::from_slice(&output.stdout).unwrap();
    let count = |key: &str| check["counts"][key].as_u64().unwrap() as usize;

    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "Semgrep OSS");
    let results = run["results"].as_array().unwrap();
    let states = ["new", "unchanged", "updated", "absent"];
    for result in results {
        assert!(states.contains(&result["baselineState"].as_str().unwrap()), "{result}");
        assert!(result["partialFingerprints"]["fixgate/v1"].is_string());
        for suppression in result["suppressions"].as_array().into_iter().flatten() {
            assert_eq!(suppression["kind"], "external");
            assert_eq!(suppression["status"], "accepted");
            assert!(!suppression["justification"].as_str().unwrap().is_empty());
        }
    }
    let with = |state: &str| results.iter().filter(|r| r["baselineState"] == state).count();
    assert_eq!(with("absent"), count("fixed"));
    assert!(with("new") >= count("new"));
    assert_eq!(
        results.len(),
        count("new") + count("still_open") + count("fixed") + count("suppressed")
    );
    assert_eq!(
        results.iter().filter(|r| r.get("suppressions").is_some()).count(),
        count("suppressed")
    );

    // fixgate's own SARIF parser reads every result but the absent ones.
    let parsed = fixgate(&["parse", path.to_str().unwrap(), "--json"]);
    assert!(parsed.status.success(), "{}", stderr(&parsed));
    let parsed: Value = serde_json::from_slice(&parsed.stdout).unwrap();
    let findings = parsed["findings"].as_array().unwrap();
    assert_eq!(findings.len(), results.len() - with("absent"));
    let suppressed = findings.iter().filter(|f| !f["suppression"].is_null()).count();
    assert_eq!(suppressed, count("suppressed"));
}

#[test]
fn the_local_store_is_what_an_import_left() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (v1, v2) = (example("v1/bandit.json"), example("v2/bandit.json"));
    let import = fixgate(&["--data-dir", data, "import", &v1, "--app", "vulnshop", "--repo", REPO]);
    assert!(import.status.success(), "{}", stderr(&import));

    let output = fixgate(&["--data-dir", data, "check", &v2, "--repo", REPO, "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let check: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(check["against"], "store");
    assert_eq!(check["counts"]["new"], 3);
    assert!(check["still_open"][0]["ticket"].as_str().unwrap().starts_with("SEC-"));

    let other = fixgate(&["--data-dir", data, "check", &v2, "--repo", "https://example.invalid/x"]);
    assert_eq!(other.status.code(), Some(1));
    assert!(
        stderr(&other).contains("fixgate tracks no finding for repository"),
        "{}",
        stderr(&other)
    );
}

/// A server this test started; killed when dropped.
struct Server(std::process::Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A scanner token made on the local store, as an administrator would.
fn scanner_token(data: &str) -> String {
    let output = fixgate(&[
        "--data-dir",
        data,
        "admin",
        "create-token",
        "--service",
        "ci",
        "--role",
        "scanner",
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let created: Value = serde_json::from_slice(&output.stdout).unwrap();
    created["token"].as_str().unwrap().to_string()
}

fn serve(data: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fixgate"))
        .args(["--data-dir", data, "serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(format!("{data}/server.log")).unwrap())
        .spawn()
        .unwrap();
    // The server prints its address once it listens: no fixed sleep.
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().trim_end_matches('/').to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    Server(child, url)
}

#[test]
fn a_server_answers_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let token = scanner_token(dir.path().to_str().unwrap());
    let server = serve(dir.path().to_str().unwrap());
    let (v1, v2) = (example("v1/bandit.json"), example("v2/bandit.json"));
    let url = server.1.as_str();
    let import = fixgate(&[
        "import", &v1, "--app", "vulnshop", "--repo", REPO, "--server", url, "--token", &token,
    ]);
    assert!(
        import.status.success(),
        "{}\nserver: {}",
        stderr(&import),
        std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default()
    );

    let args = ["check", &v2, "--repo", REPO, "--server", url, "--token", &token, "--json"];
    let output = fixgate(&args);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let check: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(check["counts"]["new"], 3);
    assert_eq!(check["counts"]["fixed"], 3);
    assert_eq!(check["gate"]["fail_on"], "high");

    let refused = fixgate(&["check", &v2, "--repo", REPO, "--server", url, "--token", "wrong"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("not a fixgate token"), "{}", stderr(&refused));
    let missing = fixgate(&["check", &v2, "--repo", REPO, "--server", url]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("Authorization: Bearer"), "{}", stderr(&missing));
}
