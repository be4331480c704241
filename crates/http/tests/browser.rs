//! The web pages in a real browser, used as a developer uses them: the real
//! server on a port of 127.0.0.1, holding the example application's v1
//! reports and one ticket of another application, and Debian's headless
//! Chromium driven through chromedriver. The developer signs in through the
//! form, sees only their team's application with each ticket's triage,
//! filters the list, opens a ticket, triages it with the ticket page's move
//! form, sees the dashboard's time to triage follow, and signs out.
//!
//! The test speaks W3C WebDriver itself, over ureq, with the handful of
//! commands it needs. Screenshots of the sign-in page, the list, a ticket
//! and the dashboard (before and after the triage, and at a phone's width)
//! go to the folder in `FIXGATE_SCREENSHOTS`, else to `screenshots/` in the
//! target directory.
//!
//! Without chromium or chromedriver the test is skipped with a loud message,
//! except in CI (`CI=true`), where it fails.

// The helpers below are test code too; clippy's allow-*-in-tests settings
// reach only `#[test]` functions of an integration test binary. Indexing a
// serde_json `Value` yields `Null` for what is missing; it never panics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::fs::File;
use std::io::Cursor;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use fixgate_domain::{Role, ScanContext};
use fixgate_http::AppState;
use fixgate_service::testkit::{self, TEST_PASSWORD};
use fixgate_service::{CreateUser, FixedClock, Fixgate, ImportRequest};
use fixgate_store::Store;
use jiff::SignedDuration;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const V1_COMMIT: &str = "91ecd575b074204761f99f4e1f30b48a180dfa69";
const DEVELOPER: &str = "dana";
const SESSION_COOKIE: &str = "__Host-fixgate_session";
const SIGN_IN_COOKIE: &str = "__Host-fixgate_signin";

#[test]
fn a_developer_signs_in_filters_opens_and_triages_a_ticket_and_signs_out() {
    if !browser_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The server runs on the runtime's threads while this one drives the
    // browser with blocking calls.
    let runtime = Runtime::new().unwrap();
    let demo = runtime.block_on(demo(dir.path()));
    let base = runtime.block_on(serve(demo.state.clone()));
    let shots = screenshot_dir();
    let browser = Browser::start(dir.path());

    sign_in(&browser, &base, &shots);
    list_shows_only_own_tickets(&browser, &demo);
    let (key, path) = filter_by_high_severity(&browser);
    save_the_filters_and_open_the_board(&browser, &base, &shots);
    open_ticket(&browser, &base, &key, &path, &shots);
    let before = dashboard(&browser, &base, &shots.join("fixgate-dashboard-before.png"));
    // Three hours after the import opened it, the developer triages it.
    demo.clock.advance(SignedDuration::from_hours(3));
    triage(&browser, &base, &key);
    assign_to_self(&browser, &base, &key, &shots);
    let after = dashboard(&browser, &base, &shots.join("fixgate-dashboard-after.png"));
    triage_shows_on_the_dashboard(&before, &after);
    dashboard_fits_a_phone(&browser, &shots);
    top_bar_names_the_developer(&browser);
    other_application_is_hidden(&browser, &base, &demo.other_ticket);
    sign_out(&browser, &base);
}

/// Whether chromium and chromedriver are there; without them, says so
/// loudly, or fails in CI.
fn browser_installed() -> bool {
    let missing: Vec<&str> =
        [CHROMIUM, CHROMEDRIVER].into_iter().filter(|p| !Path::new(p).exists()).collect();
    if missing.is_empty() {
        return true;
    }
    let missing = missing.join(" and ");
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{missing} missing: `apt-get install -y chromium chromium-driver` installs both");
    }
    // Straight to stderr, past the test harness's capture, so it is seen.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("\n*** SKIPPED: {missing} not installed; the browser test did not run ***\n")
            .as_bytes(),
    );
    false
}

/// `FIXGATE_SCREENSHOTS`, else `screenshots/` in the target directory
/// (`CARGO_TARGET_TMPDIR` is its `tmp/`, wherever `CARGO_TARGET_DIR` put it).
fn screenshot_dir() -> PathBuf {
    let dir = std::env::var_os("FIXGATE_SCREENSHOTS").map(PathBuf::from).unwrap_or_else(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        tmp.parent().unwrap_or(tmp).join("screenshots")
    });
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The server's state and what the test knows of its tickets.
struct Demo {
    state: AppState,
    /// How many tickets the v1 reports opened for vulnshop.
    vulnshop_tickets: usize,
    /// The key of the ticket of application "other".
    other_ticket: String,
    clock: Arc<FixedClock>,
}

/// A store holding the example application's v1 reports, one ticket of
/// application "other", and a developer whose team owns vulnshop.
async fn demo(dir: &Path) -> Demo {
    let url = format!("sqlite://{}", dir.join("t.db").display());
    let store = Store::connect(&url, Default::default()).await.unwrap();
    let clock = Arc::new(FixedClock::new("2025-03-01T09:00:00Z".parse().unwrap()));
    let fixgate = Fixgate::new(store, clock.clone());

    let vulnshop_tickets = import_v1(&fixgate).await;
    let other = testkit::sarif("semgrep", &[("py/sql-injection", "app/db.py", 12, "q + id")]);
    let request = ImportRequest { context: testkit::context("other"), ..Default::default() };
    let report = fixgate.import(Cursor::new(other), request).await.unwrap();
    let other_ticket = report.opened_tickets.first().expect("a ticket of other").clone();

    let developer = CreateUser {
        name: DEVELOPER.into(),
        role: Role::Developer,
        teams: vec!["shop-team".into()],
        password: Some(TEST_PASSWORD.into()),
    };
    fixgate.create_user(developer).await.unwrap();
    fixgate.add_owner("vulnshop", "shop-team").await.unwrap();
    let state = AppState::new(fixgate, dir, 10 << 20);
    Demo { state, vulnshop_tickets, other_ticket, clock }
}

/// Imports the example application's v1 reports; returns how many tickets
/// they opened.
async fn import_v1(fixgate: &Fixgate) -> usize {
    let reports = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/reports/v1");
    let context = std::fs::read_to_string(reports.join("context.json")).unwrap();
    let context: ScanContext = serde_json::from_str(&context).unwrap();
    let mut opened = 0;
    for report in ["bandit.sarif", "semgrep.sarif", "eslint.sarif", "checkov.sarif"] {
        let file = File::open(reports.join(report)).unwrap();
        let request = ImportRequest { context: context.clone(), ..Default::default() };
        opened += fixgate.import(file, request).await.unwrap().opened_tickets.len();
    }
    opened
}

/// Starts the server on a free port of 127.0.0.1, each request carrying the
/// peer's address as `fixgate serve` gives it; returns its base URL. The
/// listener is bound before this returns, so the server is ready.
async fn serve(state: AppState) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = fixgate_http::router(state).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

/// Opens the list, lands on the sign-in form, and signs in through it.
fn sign_in(browser: &Browser, base: &str, shots: &Path) {
    browser.go(&format!("{base}/tickets"));
    let form = browser.wait_for_url(|url| url.starts_with(&format!("{base}/login?next=")));
    assert_eq!(form, format!("{base}/login?next=%2Ftickets"));
    let page = browser.source();
    assert!(page.contains("<title>Sign in · fixgate</title>"), "{page}");
    assert!(!page.contains("Sign out"), "signed in already: {page}");
    if browser.cookie(SIGN_IN_COOKIE).is_none() {
        panic!(
            "Chromium did not keep the Secure cookie {SIGN_IN_COOKIE} that {base} set, so the \
             sign-in form cannot work over plain HTTP on 127.0.0.1 (a loopback address should \
             count as a secure context)"
        );
    }
    browser.screenshot(&shots.join("fixgate-sign-in.png"));

    browser.type_into("form[action='/login'] input[name='name']", DEVELOPER);
    browser.type_into("form[action='/login'] input[name='password']", TEST_PASSWORD);
    browser.click("form[action='/login'] button[type='submit']");
    let landed = browser.wait_for_url(|url| url != form);
    assert_eq!(landed, format!("{base}/tickets"), "sign-in failed: {}", browser.source());

    let session = browser.cookie(SESSION_COOKIE).expect("the session cookie");
    assert_eq!(session["httpOnly"], true, "{session}");
    assert_eq!(session["secure"], true, "{session}");
    assert_eq!(session["sameSite"], "Lax", "{session}");
    assert_eq!(session["path"], "/", "{session}");
    assert!(browser.cookie(SIGN_IN_COOKIE).is_none(), "the sign-in cookie outlived its use");
    browser.screenshot(&shots.join("fixgate-list.png"));
}

/// The list holds vulnshop's tickets and nothing of "other".
fn list_shows_only_own_tickets(browser: &Browser, demo: &Demo) {
    let list = browser.source();
    assert!(list.contains("<title>Tickets · fixgate</title>"), "{list}");
    let rows = list.matches("<td class=\"key\">").count();
    assert!(rows > 0, "no ticket rows: {list}");
    assert_eq!(list.matches("<td class=\"detail\">vulnshop</td>").count(), rows, "{list}");
    assert!(!list.contains("<td class=\"detail\">other</td>"), "{list}");
    assert!(!list.contains("<option value=\"other\""), "other is a filter choice: {list}");
    let total = format!("<strong>{} tickets</strong>", demo.vulnshop_tickets);
    assert!(list.contains(&total), "expected {total}: {list}");
    // Every imported ticket was triaged: a priority and an SLA status each.
    for header in ["Priority", "Owner", "Due", "SLA"] {
        assert!(list.contains(&format!("<th scope=\"col\">{header}</th>")), "{header}: {list}");
    }
    assert_eq!(list.matches("class=\"badge prio-").count(), rows, "{list}");
    assert_eq!(list.matches("class=\"badge sla sla-").count(), rows, "{list}");
}

/// Chooses High in the filter form and submits it; returns the key and the
/// path of the first ticket listed.
fn filter_by_high_severity(browser: &Browser) -> (String, String) {
    browser.click("form.filters select[name='severity'] option[value='high']");
    browser.click("form.filters button[type='submit']");
    let url = browser.wait_for_url(|url| url.contains("severity=high"));

    let list = browser.source();
    assert!(list.contains("<title>Tickets · fixgate</title>"), "{url}: {list}");
    assert!(list.contains("<option value=\"high\" selected=\"\">High</option>"), "{list}");
    let rows = list.matches("<td class=\"key\">").count();
    let badges = list.matches("class=\"badge sev-").count();
    assert!(rows > 0, "no high ticket rows: {list}");
    assert_eq!(badges, rows, "one severity badge a row");
    assert_eq!(list.matches("class=\"badge sev-high\"").count(), rows, "only high tickets");
    assert!(list.contains(&format!(" tickets</strong>, showing 1–{rows}")), "{list}");
    if list.contains("rel=\"next\"") {
        assert!(list.contains("href=\"/tickets?severity=high&amp;page=2\""), "{list}");
    }
    first_row(&list)
}

/// Saves the high-severity list as a view, opens the board from the top
/// bar with a phone's width (its columns scroll sideways), comes back to
/// the list through the saved view.
fn save_the_filters_and_open_the_board(browser: &Browser, base: &str, shots: &Path) {
    browser.type_into("form[action='/views'] input[name='name']", "High ones");
    browser.click("form[action='/views'] button[type='submit']");
    browser.wait_for_url(|url| url == format!("{base}/tickets?severity=high"));
    let list = browser.source();
    assert!(list.contains(">High ones</a>"), "the view is in the side panel: {list}");

    browser.resize(390, 844);
    browser.click("header.bar nav a[href='/board']");
    browser.wait_for_url(|url| url == format!("{base}/board"));
    let board = browser.source();
    assert!(board.contains("<title>Board · fixgate</title>"), "{board}");
    assert!(board.contains("<h2 id=\"column-new\">New"), "{board}");
    assert!(board.contains("class=\"card\""), "no cards: {board}");
    browser.screenshot(&shots.join("fixgate-board-phone.png"));
    browser.resize(1280, 900);
    browser.screenshot(&shots.join("fixgate-board.png"));

    browser.click("aside.views a");
    browser.wait_for_url(|url| url == format!("{base}/tickets?severity=high"));
}

/// Follows the ticket's link from the list; its page links the finding to
/// its line on the forge and shows the history.
fn open_ticket(browser: &Browser, base: &str, key: &str, path: &str, shots: &Path) {
    browser.click(&format!("td.key a[href='/tickets/{key}']"));
    browser.wait_for_url(|url| url == format!("{base}/tickets/{key}"));

    let ticket = browser.source();
    let deep_link =
        format!("href=\"https://github.com/fixgate-demo/vulnshop/blob/{V1_COMMIT}/{path}#L");
    assert!(ticket.contains(&deep_link), "{ticket}");
    assert!(ticket.contains("<h2 id=\"history\">History</h2>"), "{ticket}");
    assert!(ticket.contains("<h2 id=\"triage-heading\">Triage</h2>"), "{ticket}");
    assert!(ticket.contains("<dt>Priority</dt>") && ticket.contains("<dt>SLA</dt>"), "{ticket}");
    browser.screenshot(&shots.join("fixgate-ticket.png"));
}

/// The dashboard's headline tiles, label to value and detail.
struct Tiles(Vec<(String, String, String)>);

impl Tiles {
    fn get(&self, label: &str) -> (&str, &str) {
        let tile = self.0.iter().find(|(l, _, _)| l == label);
        let (_, value, detail) = tile.unwrap_or_else(|| panic!("no tile {label}"));
        (value, detail)
    }
}

/// Follows the top bar's link to the dashboard, saves the whole page to
/// `shot`, and reads its tiles.
fn dashboard(browser: &Browser, base: &str, shot: &Path) -> Tiles {
    browser.click("header.bar nav a[href='/dashboard']");
    browser.wait_for_url(|url| url == format!("{base}/dashboard"));
    let page = browser.source();
    assert!(page.contains("<title>Dashboard · fixgate</title>"), "{page}");
    assert_eq!(page.matches("<svg class=\"chart\"").count(), 4, "four charts: {page}");
    assert!(!page.contains("<option value=\"other\""), "other is a filter choice: {page}");

    browser.resize(1280, 2300);
    browser.screenshot(shot);
    browser.resize(1280, 900);
    let mut tiles = Vec::new();
    for tile in page.split("<li class=\"tile").skip(1) {
        let text = |class: &str| {
            let rest = tile.split(&format!("class=\"{class}\">")).nth(1).unwrap();
            rest.split('<').next().unwrap().to_string()
        };
        tiles.push((text("tile-label"), text("tile-value"), text("tile-detail")));
    }
    Tiles(tiles)
}

/// Moves the ticket to triaged, owned by the developer's team, with its
/// page's move form.
fn triage(browser: &Browser, base: &str, key: &str) {
    browser.go(&format!("{base}/tickets/{key}"));
    browser.wait_for_url(|url| url == format!("{base}/tickets/{key}"));
    let form = format!("form[action='/tickets/{key}/move']");
    browser.click(&format!("{form} select[name='state'] option[value='triaged']"));
    browser.type_into(&format!("{form} input[name='reason']"), "confirmed: user input reaches it");
    // The reports were imported before shop-team owned vulnshop: triage
    // gives the ticket its owner.
    browser.type_into(&format!("{form} input[name='owner']"), "shop-team");
    browser.click(&format!("{form} button[type='submit']"));
    // A move leaves the page for its confirmation; a refused one shows the
    // page again at the form's address.
    let url = browser.wait_for_url(|url| url != format!("{base}/tickets/{key}"));
    let page = browser.source();
    assert!(!page.contains("The move was refused."), "{page}");
    assert_eq!(url, format!("{base}/tickets/{key}?done=moved"));
    assert!(page.contains("The ticket was moved."), "{page}");
    assert!(page.contains("confirmed: user input reaches it"), "the history shows it: {page}");
}

/// The developer takes the ticket with the assign form's `me`; the page
/// confirms it and names them as the assignee.
fn assign_to_self(browser: &Browser, base: &str, key: &str, shots: &Path) {
    let form = format!("form[action='/tickets/{key}/assignee']");
    browser.type_into(&format!("{form} input[name='assignee']"), "me");
    browser.click(&format!("{form} button[type='submit']:not([name])"));
    // The page is still at the move's confirmation: wait for this form's
    // answer, a confirmation or a refusal at the form's address.
    let url =
        browser.wait_for_url(|url| url.ends_with("done=assigned") || url.ends_with("/assignee"));
    assert_eq!(url, format!("{base}/tickets/{key}?done=assigned"));
    let page = browser.source();
    assert!(page.contains("The assignee was changed."), "{page}");
    assert!(page.contains(&format!("Unassign {DEVELOPER}")), "{page}");
    browser.screenshot(&shots.join("fixgate-ticket-assigned.png"));
}

/// Before the triage nothing was triaged; after it, one ticket was, three
/// hours after it opened, and the open count did not change.
fn triage_shows_on_the_dashboard(before: &Tiles, after: &Tiles) {
    assert_eq!(before.get("Time to triage"), ("–", "median; 90th percentile –; 0 triaged"));
    assert_eq!(after.get("Time to triage"), ("3 h", "median; 90th percentile 3 h; 1 triaged"));
    assert_eq!(before.get("Open tickets").0, after.get("Open tickets").0);
    assert_ne!(before.get("Open tickets").0, "0");
}

/// At a phone's width the charts shrink with the page: none is wider than
/// the window.
fn dashboard_fits_a_phone(browser: &Browser, shots: &Path) {
    browser.resize(400, 1800);
    let chart = browser.rect("svg.chart");
    assert!(chart["width"].as_f64().unwrap() < 400.0, "{chart}");
    browser.screenshot(&shots.join("fixgate-dashboard-phone.png"));
    browser.resize(1280, 900);
}

fn top_bar_names_the_developer(browser: &Browser) {
    assert_eq!(browser.text("header.bar .me a[href='/account']"), DEVELOPER);
    assert_eq!(browser.text("header.bar .me form[action='/logout'] button"), "Sign out");
}

/// The other application's ticket does not exist as far as the developer
/// can tell.
fn other_application_is_hidden(browser: &Browser, base: &str, key: &str) {
    browser.go(&format!("{base}/tickets/{key}"));
    let page = browser.source();
    assert!(page.contains("<title>Not found · fixgate</title>"), "{page}");
    assert!(page.contains(&format!("The ticket {key} does not exist.")), "{page}");
}

/// Signs out with the list's top bar button; the list then asks for a
/// sign-in again.
fn sign_out(browser: &Browser, base: &str) {
    browser.go(&format!("{base}/tickets"));
    browser.click("header.bar .me form[action='/logout'] button");
    browser.wait_for_url(|url| url == format!("{base}/login"));
    assert!(browser.cookie(SESSION_COOKIE).is_none(), "the session cookie outlived sign-out");

    browser.go(&format!("{base}/tickets"));
    let url = browser.wait_for_url(|url| url.starts_with(&format!("{base}/login?")));
    assert_eq!(url, format!("{base}/login?next=%2Ftickets"));
    let page = browser.source();
    assert!(page.contains("<title>Sign in · fixgate</title>"), "{page}");
}

/// The key and the path of the list's first ticket.
fn first_row(html: &str) -> (String, String) {
    let row = html.split("<td class=\"key\"><a href=\"/tickets/").nth(1).expect("a ticket row");
    let key = row.split('"').next().unwrap();
    let path = row.split("<td class=\"detail path\">").nth(1).unwrap().split('<').next().unwrap();
    (key.to_string(), path.to_string())
}

/// How long the browser may take to get where a step sends it.
const PATIENCE: Duration = Duration::from_secs(30);

/// The key W3C WebDriver names an element's reference by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Headless Chromium in a WebDriver session of a chromedriver this test
/// started. Dropping it ends the session (which closes Chromium) and stops
/// chromedriver.
struct Browser {
    agent: ureq::Agent,
    driver: Child,
    /// `http://127.0.0.1:PORT`, chromedriver's address.
    root: String,
    /// `/session/ID`, once the session is open.
    session: String,
    log: PathBuf,
}

impl Browser {
    /// Starts chromedriver on a free port of 127.0.0.1, waits until it is
    /// ready, and opens a session with a profile in `dir`.
    fn start(dir: &Path) -> Browser {
        let port = free_port();
        let log = dir.join("chromedriver.log");
        let output = File::create(&log).unwrap();
        // No --allowed-ips: with it chromedriver listens on every interface
        // (filtering callers by address); without it, on loopback only.
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .unwrap();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(90)))
            .build()
            .new_agent();
        let root = format!("http://127.0.0.1:{port}");
        let mut browser = Browser { agent, driver, root, session: String::new(), log };

        browser.wait_until_ready();
        let profile = dir.join("chromium");
        let opened = browser.post("/session", &capabilities(&profile));
        let id = opened["sessionId"].as_str().expect("a session id");
        browser.session = format!("/session/{id}");
        browser
    }

    /// Polls chromedriver's status until it says it is ready.
    fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(Some(status)) = self.driver.try_wait() {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                panic!("chromedriver exited with {status}: {log}");
            }
            let status = self.agent.get(format!("{}/status", self.root)).call();
            if let Ok(mut response) = status {
                let body = json_body(response.body_mut());
                if body["value"]["ready"] == true {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver not ready within {PATIENCE:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn go(&self, url: &str) {
        self.post("/url", &json!({ "url": url }));
    }

    fn url(&self) -> String {
        self.get("/url").as_str().unwrap().to_string()
    }

    /// Waits until the current URL is one `arrived` accepts; returns it.
    fn wait_for_url(&self, arrived: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let url = self.url();
            if arrived(&url) {
                return url;
            }
            assert!(Instant::now() < deadline, "still at {url} after {PATIENCE:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The current page's DOM, serialized.
    fn source(&self) -> String {
        self.get("/source").as_str().unwrap().to_string()
    }

    /// The reference of the element `css` selects.
    fn find(&self, css: &str) -> String {
        let found = self.post("/element", &json!({ "using": "css selector", "value": css }));
        found[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}: {found}")).to_string()
    }

    fn click(&self, css: &str) {
        let element = self.find(css);
        self.post(&format!("/element/{element}/click"), &json!({}));
    }

    fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css);
        self.post(&format!("/element/{element}/value"), &json!({ "text": text }));
    }

    /// Resizes the window to `width` × `height` pixels.
    fn resize(&self, width: u32, height: u32) {
        self.post("/window/rect", &json!({ "width": width, "height": height }));
    }

    /// The position and size of the element `css` selects.
    fn rect(&self, css: &str) -> Value {
        let element = self.find(css);
        self.get(&format!("/element/{element}/rect"))
    }

    /// The rendered text of the element `css` selects.
    fn text(&self, css: &str) -> String {
        let element = self.find(css);
        self.get(&format!("/element/{element}/text")).as_str().unwrap().to_string()
    }

    /// The cookie `name` the browser holds for the current page, HTTP-only
    /// ones included.
    fn cookie(&self, name: &str) -> Option<Value> {
        let cookies = self.get("/cookie");
        cookies.as_array().unwrap().iter().find(|c| c["name"] == name).cloned()
    }

    /// Saves a PNG of the window.
    fn screenshot(&self, to: &Path) {
        let encoded = self.get("/screenshot");
        let png =
            base64::engine::general_purpose::STANDARD.decode(encoded.as_str().unwrap()).unwrap();
        std::fs::write(to, png).unwrap();
        eprintln!("screenshot of {}: {}", self.url(), to.display());
    }

    fn get(&self, path: &str) -> Value {
        let url = format!("{}{}{path}", self.root, self.session);
        Self::value(&url, self.agent.get(&url).call())
    }

    fn post(&self, path: &str, body: &Value) -> Value {
        let url = format!("{}{}{path}", self.root, self.session);
        let request = self.agent.post(&url).header("Content-Type", "application/json");
        Self::value(&url, request.send(body.to_string()))
    }

    /// A command's `value`; a WebDriver error fails the test with its
    /// message.
    fn value(url: &str, sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Value {
        let mut response = sent.unwrap_or_else(|err| panic!("{url}: {err}"));
        let status = response.status();
        let body = json_body(response.body_mut());
        let value = body["value"].clone();
        assert!(status.is_success(), "{url}: {status} {}: {}", value["error"], value["message"]);
        value
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.agent.delete(format!("{}{}", self.root, self.session)).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// What the session asks of Chromium: headless, its own profile, and no
/// traffic of its own beyond the pages the test opens.
fn capabilities(profile: &Path) -> Value {
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--no-proxy-server",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        "--hide-scrollbars",
    ]
    .map(String::from)
    .into_iter()
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect::<Vec<_>>();
    json!({ "capabilities": { "alwaysMatch": {
        "timeouts": { "pageLoad": PATIENCE.as_millis() as u64 },
        "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
    }}})
}

/// A port of 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A response body as JSON, failing the test when it is not.
fn json_body(body: &mut ureq::Body) -> Value {
    // Screenshots arrive as base64 inside the JSON: allow them room.
    let text = body.with_config().limit(64 << 20).read_to_string().unwrap();
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("not JSON ({err}): {text}"))
}
