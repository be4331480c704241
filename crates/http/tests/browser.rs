//! The web pages in a real browser: the real server on a port of 127.0.0.1,
//! the example application's v1 reports imported, and Debian's headless
//! chromium loading the pages and dumping the DOM it built.
//!
//! Without chromium the test is skipped with a loud message, except in CI
//! (`CI=true`), where it fails. Set `FIXGATE_SCREENSHOTS` to a directory to
//! also get screenshots of the list and of a ticket page there.

// The helpers below are test code too; clippy's allow-*-in-tests settings
// reach only `#[test]` functions of an integration test binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use fixgate_domain::ScanContext;
use fixgate_http::AppState;
use fixgate_service::{FixedClock, Fixgate, ImportRequest};
use fixgate_store::Store;
use tokio::net::TcpListener;
use tokio::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";
const V1_COMMIT: &str = "91ecd575b074204761f99f4e1f30b48a180dfa69";

#[tokio::test(flavor = "multi_thread")]
async fn chromium_renders_the_filtered_list_and_a_ticket() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let base = serve(demo(dir.path()).await).await;
    let browser = Browser { binary: chromium, profile: dir.path().join("chromium") };

    let list = browser.dump_dom(&format!("{base}/tickets?severity=high")).await;
    assert!(list.contains("<title>Tickets · fixgate</title>"), "{list}");
    assert!(list.contains("<option value=\"high\" selected=\"\">High</option>"), "{list}");
    let rows = list.matches("<td class=\"key\">").count();
    let badges = list.matches("class=\"badge sev-").count();
    assert!(rows > 0, "no ticket rows: {list}");
    assert_eq!(badges, rows, "one severity badge a row");
    assert_eq!(list.matches("class=\"badge sev-high\"").count(), rows, "only high tickets");
    assert!(list.contains(&format!(" tickets</strong>, showing 1–{rows}")), "{list}");
    if list.contains("rel=\"next\"") {
        assert!(list.contains("href=\"/tickets?severity=high&amp;page=2\""), "{list}");
    }

    let (key, path) = first_row(&list);
    let ticket = browser.dump_dom(&format!("{base}/tickets/{key}")).await;
    let deep_link =
        format!("href=\"https://github.com/fixgate-demo/vulnshop/blob/{V1_COMMIT}/{path}#L");
    assert!(ticket.contains(&deep_link), "{ticket}");
    assert!(ticket.contains("<h2>History</h2>"), "{ticket}");

    if let Some(dir) = std::env::var_os("FIXGATE_SCREENSHOTS").map(PathBuf::from) {
        browser.screenshot(&format!("{base}/tickets"), &dir.join("fixgate-list.png")).await;
        browser.screenshot(&format!("{base}/tickets/{key}"), &dir.join("fixgate-ticket.png")).await;
    }
}

/// The browser, or `None` (after saying so) when it is not installed and
/// this is not CI.
fn chromium() -> Option<PathBuf> {
    let binary = PathBuf::from(CHROMIUM);
    if binary.exists() {
        return Some(binary);
    }
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!(
            "{CHROMIUM} is missing: install it with `apt-get install -y chromium chromium-driver`"
        );
    }
    // Straight to stderr, past the test harness's capture, so it is seen.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!(
            "\n*** SKIPPED: chromium not installed ({CHROMIUM}); the browser test did not run ***\n"
        )
        .as_bytes(),
    );
    None
}

/// A store holding the example application's v1 reports.
async fn demo(dir: &Path) -> AppState {
    let url = format!("sqlite://{}", dir.join("t.db").display());
    let store = Store::connect(&url, Default::default()).await.unwrap();
    let clock = FixedClock::new("2025-03-01T09:00:00Z".parse().unwrap());
    let fixgate = Fixgate::new(store, Arc::new(clock));

    let reports = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/reports/v1");
    let context = std::fs::read_to_string(reports.join("context.json")).unwrap();
    let context: ScanContext = serde_json::from_str(&context).unwrap();
    for report in ["bandit.sarif", "semgrep.sarif", "eslint.sarif", "checkov.sarif"] {
        let file = std::fs::File::open(reports.join(report)).unwrap();
        let request = ImportRequest { context: context.clone(), ..Default::default() };
        fixgate.import(file, request).await.unwrap();
    }
    AppState::new(fixgate, dir, 10 << 20)
}

/// Starts the server on a free port of 127.0.0.1; returns its base URL.
/// The listener is bound before this returns, so the server is ready.
async fn serve(state: AppState) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, fixgate_http::router(state)).await });
    format!("http://{address}")
}

/// The key and the path of the list's first ticket.
fn first_row(html: &str) -> (String, String) {
    let row = html.split("<td class=\"key\"><a href=\"/tickets/").nth(1).expect("a ticket row");
    let key = row.split('"').next().unwrap();
    let path = row.split("<td class=\"detail path\">").nth(1).unwrap().split('<').next().unwrap();
    (key.to_string(), path.to_string())
}

struct Browser {
    binary: PathBuf,
    profile: PathBuf,
}

impl Browser {
    /// The DOM chromium built from `url`.
    async fn dump_dom(&self, url: &str) -> String {
        let output = self.run(&["--dump-dom"], url).await;
        String::from_utf8(output).unwrap()
    }

    async fn screenshot(&self, url: &str, to: &Path) {
        let screenshot = format!("--screenshot={}", to.display());
        self.run(&[&screenshot, "--window-size=1280,900", "--hide-scrollbars"], url).await;
        eprintln!("screenshot of {url}: {}", to.display());
    }

    /// Runs headless chromium on `url`, cut off from everything but it.
    async fn run(&self, args: &[&str], url: &str) -> Vec<u8> {
        let mut command = Command::new(&self.binary);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
            ])
            .args([
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ])
            .arg(format!("--user-data-dir={}", self.profile.display()))
            .args(args)
            .arg(url)
            .kill_on_drop(true);
        let output = tokio::time::timeout(Duration::from_secs(60), command.output())
            .await
            .expect("chromium did not finish within 60 s")
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "chromium failed on {url}: {stderr}");
        output.stdout
    }
}
