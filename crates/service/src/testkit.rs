//! Test kit for fixgate's own tests (feature `testkit`): runs a test against
//! every backend available, SQLite always and PostgreSQL when
//! `FIXGATE_TEST_POSTGRES_URL` is set (required when `CI=true`). Each run
//! gets its own SQLite file or PostgreSQL schema, so tests run in parallel.

// A failed set-up is a failed test: the kit panics like the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{FixedClock, Fixgate, ImportReport, ImportRequest, ServiceError};
use fixgate_domain::ScanContext;
use fixgate_store::{ConnectOptions, Store};

pub struct Env {
    pub fixgate: Fixgate,
    pub clock: Arc<FixedClock>,
    pub backend: &'static str,
    /// The database's URL and, on PostgreSQL, the test's schema.
    database: (String, Option<String>),
}

impl Env {
    /// A second handle on the test's database, with its own connections and
    /// the same clock: another server replica, or the server after a
    /// restart once the first handle's store is closed.
    pub async fn reopen(&self) -> Fixgate {
        let (url, schema) = &self.database;
        let store = Store::connect(url, ConnectOptions { schema: schema.clone() }).await.unwrap();
        Fixgate::new(store, self.clock.clone())
    }

    /// Runs one SQL statement on the test's database, for state no use case
    /// writes yet (say so where it is used).
    pub async fn execute(&self, statement: &str) {
        use sqlx::Connection;
        let (url, schema) = &self.database;
        match schema {
            Some(schema) => {
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::query(&format!("SET search_path TO \"{schema}\""))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                sqlx::query(statement).execute(&mut conn).await.unwrap();
            }
            None => {
                let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
                sqlx::query(statement).execute(&mut conn).await.unwrap();
            }
        }
    }
}

/// The PostgreSQL URL tests use, if any; under CI its absence is an error.
pub fn postgres_url() -> Option<String> {
    match std::env::var("FIXGATE_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!(
                "CI=true but FIXGATE_TEST_POSTGRES_URL is not set: the PostgreSQL tests must run"
            )
        }
        _ => {
            loud(
                "FIXGATE_TEST_POSTGRES_URL is not set: the PostgreSQL half of this test did not run",
            );
            None
        }
    }
}

/// Says something past the test harness's output capture, so it is seen.
fn loud(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "\n*** SKIPPED: {message} ***");
}

fn start() -> jiff::Timestamp {
    "2026-12-01T09:00:00Z".parse().unwrap()
}

async fn sqlite(dir: &tempfile::TempDir) -> Env {
    let url = format!("sqlite://{}", dir.path().join("fixgate.db").display());
    let store = Store::connect(&url, ConnectOptions::default()).await.unwrap();
    let clock = Arc::new(FixedClock::new(start()));
    let fixgate = Fixgate::new(store, clock.clone());
    Env { fixgate, clock, backend: "sqlite", database: (url, None) }
}

async fn postgres(url: &str, test: &str) -> (Env, String) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let schema = format!(
        "t_{}_{}_{}",
        test.chars().filter(char::is_ascii_alphanumeric).take(30).collect::<String>(),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let options = ConnectOptions { schema: Some(schema.clone()) };
    let store = Store::connect(url, options).await.unwrap();
    let clock = Arc::new(FixedClock::new(start()));
    let fixgate = Fixgate::new(store, clock.clone());
    let database = (url.to_string(), Some(schema.clone()));
    (Env { fixgate, clock, backend: "postgres", database }, schema)
}

/// Runs `test` on SQLite, then on PostgreSQL when available.
pub async fn each_backend<F, Fut>(name: &str, test: F)
where
    F: Fn(Env) -> Fut,
    Fut: Future<Output = ()>,
{
    run_each_backend(name, test, true).await;
}

/// As [`each_backend`], for tests that tamper with the stored events on
/// purpose: the chain is not checked afterwards.
pub async fn each_backend_tampered<F, Fut>(name: &str, test: F)
where
    F: Fn(Env) -> Fut,
    Fut: Future<Output = ()>,
{
    run_each_backend(name, test, false).await;
}

async fn run_each_backend<F, Fut>(name: &str, test: F, check_chain: bool)
where
    F: Fn(Env) -> Fut,
    Fut: Future<Output = ()>,
{
    // The folder outlives the test: a test that moves only some fields of
    // its Env into an async block would otherwise drop it early.
    let dir = tempfile::tempdir().unwrap();
    let env = sqlite(&dir).await;
    let store = env.fixgate.store().clone();
    test(env).await;
    if check_chain {
        chain_holds(&store, name, "sqlite").await;
    }
    if let Some(url) = postgres_url() {
        let (env, schema) = postgres(&url, name).await;
        let store = env.fixgate.store().clone();
        test(env).await;
        if check_chain {
            chain_holds(&store, name, "postgres").await;
        }
        store.close().await;
        drop_schema(&url, &schema).await;
    }
}

/// Whatever a test did through fixgate, every event it wrote is on the
/// event log's hash chain and the chain holds. A test that closed its store
/// to reopen it (a restart) checked through the store it reopened, whose
/// opening sealed anything left unsealed: there is nothing left to check.
async fn chain_holds(store: &Store, name: &str, backend: &str) {
    if store.is_closed() {
        return;
    }
    let report = store.verify_chain(None).await.unwrap();
    assert!(
        report.holds(),
        "{name} on {backend}: the event log's chain does not hold afterwards: {:?}",
        report.broken
    );
}

pub fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/reports")
}

/// `$FIXGATE_SHARED_DIR/corpus`, else `../shared/corpus` next to the
/// repository; `None` (said loudly) when it is missing outside CI.
pub fn shared_corpus() -> Option<PathBuf> {
    // The repository sits next to `shared/`; a checkout elsewhere may sit
    // deeper, so the repository's parents are looked at in turn.
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = std::env::var_os("FIXGATE_SHARED_DIR").map(PathBuf::from).unwrap_or_else(|| {
        // crates/<name> → the repository → its parent and further up.
        crate_dir
            .ancestors()
            .skip(3)
            .map(|parent| parent.join("shared"))
            .find(|shared| shared.join("corpus").is_dir())
            .unwrap_or_else(|| crate_dir.join("../../../shared"))
    });
    let dir = shared.join("corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but {} is missing (set FIXGATE_SHARED_DIR)", dir.display());
    }
    loud(&format!("the shared corpus is not at {}; this test did not run", dir.display()));
    None
}

pub fn context(app: &str) -> ScanContext {
    ScanContext {
        application: Some(app.into()),
        repository: Some("https://github.com/acme/shop".into()),
        branch: Some("main".into()),
        commit: Some("1111111111111111111111111111111111111111".into()),
        ..ScanContext::default()
    }
}

pub async fn import_bytes(env: &Env, bytes: Vec<u8>, context: ScanContext) -> ImportReport {
    try_import(env, bytes, context).await.unwrap()
}

pub async fn try_import(
    env: &Env,
    bytes: Vec<u8>,
    context: ScanContext,
) -> Result<ImportReport, ServiceError> {
    let request = ImportRequest { context, ..ImportRequest::default() };
    env.fixgate.import(std::io::Cursor::new(bytes), request).await
}

/// A SARIF report with one run of `tool` and the given results, each
/// `(rule, path, line, snippet)`.
pub fn sarif(tool: &str, results: &[(&str, &str, u32, &str)]) -> Vec<u8> {
    let results: Vec<_> = results
        .iter()
        .map(|(rule, path, line, snippet)| {
            serde_json::json!({
                "ruleId": rule,
                "level": "error",
                "message": {"text": format!("problem at line {line}")},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": path},
                    "region": {"startLine": line, "snippet": {"text": snippet}}
                }}]
            })
        })
        .collect();
    let doc = serde_json::json!({
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": tool, "rules": [
                {"id": "py/sql-injection", "shortDescription": {"text": "SQL injection"},
                 "properties": {"tags": ["external/cwe/cwe-89"], "security-severity": "9.1"}},
                {"id": "py/xss", "shortDescription": {"text": "Cross-site scripting"},
                 "properties": {"tags": ["external/cwe/cwe-79"], "security-severity": "6.1"}}
            ]}},
            "results": results
        }]
    });
    serde_json::to_vec(&doc).unwrap()
}

async fn drop_schema(url: &str, schema: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query(&format!("DROP SCHEMA \"{schema}\" CASCADE")).execute(&mut conn).await.unwrap();
}

/// A password tests give the people they create.
pub const TEST_PASSWORD: &str = "correct horse battery";

/// Creates a person with `role` in `teams` and signs them in; returns the
/// session cookie's value and the session's CSRF value.
pub async fn signed_in(
    fixgate: &Fixgate,
    name: &str,
    role: fixgate_domain::Role,
    teams: &[&str],
) -> (String, String) {
    let user = crate::CreateUser {
        name: name.into(),
        role,
        teams: teams.iter().map(|t| t.to_string()).collect(),
        password: Some(TEST_PASSWORD.into()),
    };
    fixgate.create_user(user).await.unwrap();
    let signed_in = fixgate.sign_in(name, TEST_PASSWORD).await.unwrap();
    let csrf = signed_in.principal.session.map(|s| s.csrf_token).unwrap_or_default();
    (signed_in.cookie, csrf)
}

/// A token of a new service account `name` with `role`, limited to
/// `application` when given, in `teams`.
pub async fn service_token(
    fixgate: &Fixgate,
    name: &str,
    role: fixgate_domain::Role,
    application: Option<&str>,
    teams: &[&str],
) -> String {
    let request = crate::CreateToken {
        holder: crate::TokenHolder::Service(name.into()),
        role,
        application: application.map(str::to_string),
        expires_at: None,
        teams: teams.iter().map(|t| t.to_string()).collect(),
    };
    fixgate.create_token(request, "test").await.unwrap().token
}

/// A principal for use cases that take one, without a stored person.
pub fn principal(name: &str, role: fixgate_domain::Role) -> crate::Principal {
    crate::Principal {
        user_id: 0,
        name: name.into(),
        role,
        application: None,
        token_id: None,
        session: None,
    }
}

/// Accepts the risk of ticket `key` the way people do: `requester` asks
/// with `reason` until `expires_at`, `approver` approves.
pub async fn accept_risk(
    fixgate: &Fixgate,
    key: &str,
    reason: &str,
    expires_at: &str,
    (requester, approver): (&str, &str),
) {
    use fixgate_domain::Role;
    let request = crate::AcceptRisk { reason: reason.into(), expires_at: expires_at.into() };
    fixgate.request_acceptance(key, request, &principal(requester, Role::Developer)).await.unwrap();
    let approver = principal(approver, Role::Security);
    fixgate
        .decide_acceptance(key, fixgate_store::RiskVerdict::Approve, Default::default(), &approver)
        .await
        .unwrap();
}

/// A KEV catalogue as CISA publishes it, version `version`, one entry per
/// `(cve, known ransomware use)`.
pub fn kev_catalogue(version: &str, entries: &[(&str, bool)]) -> Vec<u8> {
    let vulnerabilities: Vec<_> = entries
        .iter()
        .map(|(cve, ransomware)| {
            serde_json::json!({
                "cveID": cve,
                "vendorProject": "Citrix",
                "product": "NetScaler ADC and NetScaler Gateway",
                "vulnerabilityName": "Citrix NetScaler Buffer Overflow Vulnerability",
                "dateAdded": "2023-10-18",
                "shortDescription": "A buffer overflow discloses session tokens.",
                "requiredAction": "Apply mitigations per vendor instructions.",
                "dueDate": "2023-11-08",
                "knownRansomwareCampaignUse": if *ransomware { "Known" } else { "Unknown" },
                "notes": format!("https://nvd.nist.gov/vuln/detail/{cve}"),
                "cwes": ["CWE-119"]
            })
        })
        .collect();
    let doc = serde_json::json!({
        "title": "CISA Catalog of Known Exploited Vulnerabilities",
        "catalogVersion": version,
        "dateReleased": format!("{}T17:00:43.2849Z", version.replace('.', "-")),
        "count": entries.len(),
        "vulnerabilities": vulnerabilities
    });
    serde_json::to_vec_pretty(&doc).unwrap()
}

/// An EPSS file as FIRST publishes it, scored at `score_date`, one line per
/// `(cve, epss, percentile)`.
pub fn epss_file(score_date: &str, rows: &[(&str, f64, f64)]) -> Vec<u8> {
    let mut text =
        format!("#model_version:v2025.03.14,score_date:{score_date}\ncve,epss,percentile\n");
    for (cve, score, percentile) in rows {
        text.push_str(&format!("{cve},{score},{percentile}\n"));
    }
    text.into_bytes()
}
