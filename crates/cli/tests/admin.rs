//! `fixgate admin create-hook`, run as a process: the secret it prints
//! once signs deliveries the store then takes, and a name is taken once.

// A failed set-up is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use fixgate_domain::hook::{HookHeaders, sign};
use fixgate_service::{Clock, Fixgate, SystemClock};
use fixgate_store::{ConnectOptions, Store};
use serde_json::Value;

fn fixgate(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fixgate"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn create_hook_prints_a_secret_that_signs_deliveries() {
    let data = tempfile::tempdir().unwrap();
    let output = fixgate(data.path(), &["admin", "create-hook", "github", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let secret = json["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 64, "{json}");

    let url = format!("sqlite://{}", data.path().join("fixgate.db").display());
    let store = Store::connect(&url, ConnectOptions::default()).await.unwrap();
    let service = Fixgate::new(store.clone(), Arc::new(SystemClock));
    let timestamp = SystemClock.now().as_second().to_string();
    let signature = sign(secret.as_bytes(), &timestamp, b"{}");
    let headers =
        HookHeaders { timestamp: Some(&timestamp), signature: Some(&signature), delivery: None };
    service.receive_hook("github", &headers, b"{}").await.unwrap();
    store.close().await;
}

#[test]
fn create_hook_in_text_shows_the_secret_and_a_name_is_taken_once() {
    let data = tempfile::tempdir().unwrap();
    let output = fixgate(data.path(), &["admin", "create-hook", "jira"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let secret = stdout.lines().find_map(|l| l.strip_prefix("secret: ")).unwrap();
    assert_eq!(secret.len(), 64, "{stdout}");
    assert!(stdout.contains("POST /api/v1/hooks/jira"), "{stdout}");

    let again = fixgate(data.path(), &["admin", "create-hook", "jira"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(again.stdout.is_empty());
    let stderr = text(&again.stderr);
    assert!(stderr.contains("a hook named \"jira\" already exists"), "{stderr}");

    let bad = fixgate(data.path(), &["admin", "create-hook", "../etc"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("a hook's name is"), "{}", text(&bad.stderr));
}

/// Runs `fixgate` with `stdin` as its standard input.
fn fixgate_with_input(data: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_fixgate"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn people_and_tokens_are_made_on_the_local_store() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();

    // A first administrator, with a password of their own.
    let args = ["admin", "create-user", "ada", "--role", "administrator", "--password-stdin"];
    let output = fixgate_with_input(dir, &args, "a long enough secret\n");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(!text(&output.stdout).contains("a long enough secret"));

    // Without one, fixgate makes one, prints it once and asks for a new one.
    let output = fixgate(
        dir,
        &["admin", "create-user", "dev", "--role", "developer", "--team", "shop", "--json"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let created: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(created["teams"][0], "shop");
    let initial = created["initial_password"].as_str().unwrap().to_string();
    assert_eq!(initial.len(), 20, "{created}");

    let short = fixgate_with_input(dir, &args_of("short", "viewer"), "too short\n");
    assert_eq!(short.status.code(), Some(2));
    assert!(text(&short.stderr).contains("at least 12 characters"), "{}", text(&short.stderr));
    let taken = fixgate_with_input(dir, &args_of("dev", "viewer"), "another long password\n");
    assert_eq!(taken.status.code(), Some(2));
    assert!(text(&taken.stderr).contains("a user named \"dev\" exists"), "{}", text(&taken.stderr));
    let role = fixgate(dir, &["admin", "create-user", "x", "--role", "root"]);
    assert_eq!(role.status.code(), Some(2));
    assert!(text(&role.stderr).contains("unknown role \"root\""), "{}", text(&role.stderr));

    // Tokens: printed once as JSON, stored as a hash.
    let token_args = [
        "admin",
        "create-token",
        "--service",
        "ci",
        "--role",
        "scanner",
        "--app",
        "shop",
        "--expires",
        "2099-01-31",
        "--json",
    ];
    let output = fixgate(dir, &token_args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let token: Value = serde_json::from_slice(&output.stdout).unwrap();
    let value = token["token"].as_str().unwrap().to_string();
    assert!(value.starts_with("fgt_") && value.len() == 68, "{token}");
    assert_eq!(token["application"], "shop");
    assert_eq!(token["expires_at"], "2099-01-31T00:00:00Z");
    let listed = text(&fixgate(dir, &["admin", "tokens"]).stdout);
    assert!(listed.contains("ci") && listed.contains("shop"), "{listed}");
    assert!(!listed.contains(&value), "a token list never shows a token");
    let database = std::fs::read(dir.join("fixgate.db")).unwrap();
    let stored = String::from_utf8_lossy(&database);
    assert!(!stored.contains(&value[4..]), "the store holds the token itself");

    // A developer holds no security token; expiry must be in the future.
    let refused = fixgate(dir, &["admin", "create-token", "--user", "dev", "--role", "security"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("holds the developer role"),
        "{}",
        text(&refused.stderr)
    );
    let past = fixgate(
        dir,
        &["admin", "create-token", "--user", "ada", "--role", "viewer", "--expires", "2001-01-01"],
    );
    assert_eq!(past.status.code(), Some(2));
    assert!(text(&past.stderr).contains("not in the future"), "{}", text(&past.stderr));
    let garbled = fixgate(
        dir,
        &["admin", "create-token", "--user", "ada", "--role", "viewer", "--expires", "soon"],
    );
    assert_eq!(garbled.status.code(), Some(2));
    assert!(text(&garbled.stderr).contains("expected a date"), "{}", text(&garbled.stderr));
    let neither = fixgate(dir, &["admin", "create-token", "--role", "viewer"]);
    assert_eq!(neither.status.code(), Some(2));

    // The token works until it is revoked.
    let url = format!("sqlite://{}", dir.join("fixgate.db").display());
    let store = Store::connect(&url, ConnectOptions::default()).await.unwrap();
    let service = Fixgate::new(store.clone(), Arc::new(SystemClock));
    let principal = service.authenticate_token(&value).await.unwrap();
    assert_eq!((principal.name.as_str(), principal.application.as_deref()), ("ci", Some("shop")));
    store.close().await;
    let id = token["id"].as_i64().unwrap().to_string();
    let output = fixgate(dir, &["admin", "revoke-token", &id]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let store = Store::connect(&url, ConnectOptions::default()).await.unwrap();
    let service = Fixgate::new(store.clone(), Arc::new(SystemClock));
    let err = service.authenticate_token(&value).await.unwrap_err();
    assert!(err.to_string().contains("revoked"), "{err}");
    let signed_in = service.sign_in("dev", &initial).await.unwrap();
    assert!(signed_in.principal.session.unwrap().must_change_password);
    store.close().await;
}

fn args_of<'a>(name: &'a str, role: &'a str) -> [&'a str; 6] {
    ["admin", "create-user", name, "--role", role, "--password-stdin"]
}

#[test]
fn codeowners_are_stored_checked_and_asked() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    let file = dir.join("CODEOWNERS");
    std::fs::write(&file, "* @acme/appsec\n/app/ @acme/shop-devs dev@acme.example\n").unwrap();
    let repo = "https://github.com/acme/shop";
    let set = fixgate(dir, &["codeowners", "set", "--repo", repo, file.to_str().unwrap()]);
    assert_eq!(set.status.code(), Some(0), "{}", text(&set.stderr));
    assert!(text(&set.stdout).contains("2 rules"), "{}", text(&set.stdout));

    let show = fixgate(dir, &["codeowners", "show", "--repo", repo, "app/db.py"]);
    assert_eq!(
        text(&show.stdout),
        "app/db.py: @acme/shop-devs dev@acme.example  (line 2: /app/)\n",
        "{}",
        text(&show.stderr)
    );
    let show = fixgate(dir, &["codeowners", "show", "--repo", repo, "README.md", "--json"]);
    let json: Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(json["rules"][0]["owners"][0]["name"], "acme/appsec", "{json}");

    std::fs::write(&file, "* @acme/appsec\n\nsrc/ bob\n").unwrap();
    let bad = fixgate(dir, &["codeowners", "set", "--repo", repo, file.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = text(&bad.stderr);
    assert!(stderr.contains("CODEOWNERS line 3: \"bob\" is not an owner"), "{stderr}");
    let show = fixgate(dir, &["codeowners", "show", "--repo", repo, "app/db.py"]);
    assert!(text(&show.stdout).contains("@acme/shop-devs"), "the earlier file stays");

    let none = fixgate(dir, &["codeowners", "show", "--repo", "https://x.example/r", "a"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none.stderr).contains("has no CODEOWNERS file"), "{}", text(&none.stderr));
}

#[test]
fn a_codeowners_dry_run_says_which_tickets_would_move_and_stores_nothing() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    let repo = "https://github.com/acme/vulnshop";
    for (app, team) in [("vulnshop", "shop-team"), ("billing", "payments")] {
        let added = fixgate(dir, &["admin", "add-owner", "--app", app, "--team", team]);
        assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    }
    let report = format!("{}/../../examples/reports/v1/bandit.sarif", env!("CARGO_MANIFEST_DIR"));
    let args = ["import", &report, "--app", "vulnshop", "--repo", repo, "--branch", "main"];
    let imported = fixgate(dir, &args);
    assert_eq!(imported.status.code(), Some(0), "{}", text(&imported.stderr));
    let file = dir.join("CODEOWNERS");
    std::fs::write(&file, "/app/payments.py @acme/payments\n").unwrap();
    let set = ["codeowners", "set", "--repo", repo, file.to_str().unwrap()];

    let dry = fixgate(dir, &[&set[..], &["--dry-run"]].concat());
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    assert_eq!(
        text(&dry.stdout),
        format!(
            "CODEOWNERS of {repo}: 1 rules (a dry run: nothing stored)\n\
             3 of 21 open tickets routed again would move:\n  shop-team -> payments: 3\n"
        )
    );
    let show = fixgate(dir, &["codeowners", "show", "--repo", repo, "app/payments.py"]);
    assert!(text(&show.stderr).contains("has no CODEOWNERS file"), "{}", text(&show.stderr));

    let stored = fixgate(dir, &[&set[..], &["--json"]].concat());
    let json: Value = serde_json::from_slice(&stored.stdout).unwrap();
    assert_eq!(json["rerouted"]["moved"], 3, "{json}");
    assert_eq!(json["rerouted"]["dry_run"], false);
    let again = fixgate(dir, &set);
    assert!(text(&again.stdout).ends_with("no open ticket moved (21 routed again)\n"));

    let policy = dir.join("triage.toml");
    std::fs::write(&policy, "[[route]]\npath = [\"app/db.py\"]\nteam = \"dba\"\n").unwrap();
    let check = fixgate(dir, &["policy", "load", policy.to_str().unwrap(), "--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
    let stdout = text(&check.stdout);
    assert!(stdout.contains(" reads: 0 priority rules, 1 routes"), "{stdout}");
    assert!(
        stdout.ends_with("4 of 21 open tickets routed again would move:\n  shop-team -> dba: 4\n")
    );
    let file = fixgate(dir, &["policy", "file"]);
    assert!(!text(&file.stdout).contains("dba"), "a check loads nothing");
}
