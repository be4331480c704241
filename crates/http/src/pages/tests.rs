//! The pages called in process, on a real SQLite store holding the example
//! application's real scanner reports.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fixgate_domain::{Role, ScanContext, TicketState};
use fixgate_service::testkit::{principal, signed_in};
use fixgate_service::{FixedClock, Fixgate, ImportRequest, MoveTicket};
use fixgate_store::{Store, TicketFilter};
use serde_json::json;
use tempfile::TempDir;
use tower::ServiceExt;

use crate::AppState;
use crate::auth::SESSION_COOKIE;

const V1_COMMIT: &str = "91ecd575b074204761f99f4e1f30b48a180dfa69";

struct Demo {
    router: Router,
    fixgate: Fixgate,
    dir: TempDir,
    /// A signed-in viewer of the example application.
    cookie: String,
}

/// A server whose store holds the v1 Bandit and Semgrep reports.
async fn demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Store::connect(&url, Default::default()).await.unwrap();
    let clock = FixedClock::new("2025-03-01T09:00:00Z".parse().unwrap());
    let fixgate = Fixgate::new(store, Arc::new(clock));
    for report in ["bandit.sarif", "semgrep.sarif"] {
        import(&fixgate, &examples("v1").join(report), "v1").await;
    }

    let state = AppState::new(fixgate.clone(), dir.path(), 10 << 20);
    let (cookie, _) = signed_in(&fixgate, "reader", Role::Viewer, &["shop-team"]).await;
    fixgate.add_owner("vulnshop", "shop-team").await.unwrap();
    Demo { router: crate::router(state), fixgate, dir, cookie }
}

fn examples(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/reports").join(version)
}

/// Imports `report` with the context the examples' `context.json` gives.
async fn import(fixgate: &Fixgate, report: &Path, version: &str) {
    let context = std::fs::read_to_string(examples(version).join("context.json")).unwrap();
    let context: ScanContext = serde_json::from_str(&context).unwrap();
    let request = ImportRequest { context, ..Default::default() };
    fixgate.import(std::fs::File::open(report).unwrap(), request).await.unwrap();
}

async fn get(demo: &Demo, uri: &str) -> (StatusCode, String) {
    let (status, _, body) = get_with_headers(demo, uri).await;
    (status, body)
}

async fn get_with_headers(demo: &Demo, uri: &str) -> (StatusCode, header::HeaderMap, String) {
    let cookie = format!("{SESSION_COOKIE}={}", demo.cookie);
    let request = Request::get(uri).header(header::COOKIE, cookie).body(Body::empty()).unwrap();
    let response = demo.router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    (parts.status, parts.headers, String::from_utf8(bytes.to_vec()).unwrap())
}

/// The ticket keys a list page links to, in order.
fn keys(html: &str) -> Vec<String> {
    html.split("<td class=\"key\"><a href=\"/tickets/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

/// The key of the first ticket matching `text` and `tool`.
async fn key_of(fixgate: &Fixgate, tool: &str, text: &str) -> String {
    let filter = TicketFilter {
        tool: Some(tool.into()),
        text: Some(text.into()),
        limit: 10,
        page: 1,
        ..TicketFilter::default()
    };
    let page = fixgate.list_tickets(&filter).await.unwrap();
    page.items.first().map(|t| t.key.clone()).expect("a matching ticket")
}

async fn total(fixgate: &Fixgate) -> u64 {
    let filter = TicketFilter { limit: 1, page: 1, ..TicketFilter::default() };
    fixgate.list_tickets(&filter).await.unwrap().total
}

#[tokio::test]
async fn root_redirects_to_the_ticket_list() {
    let demo = demo().await;
    let (status, headers, _) = get_with_headers(&demo, "/").await;
    assert!(status.is_redirection(), "{status}");
    assert_eq!(headers[header::LOCATION], "/tickets");
}

#[tokio::test]
async fn list_shows_every_ticket_and_the_count() {
    let demo = demo().await;
    let total = total(&demo.fixgate).await;
    assert!(total > 20, "the examples open more tickets than that: {total}");

    let (status, html) = get(&demo, "/tickets").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("<strong>{total} tickets</strong>")), "{html}");
    assert_eq!(keys(&html).len() as u64, total);
    assert!(html.contains("<span class=\"badge sev-high\">High</span>"));
    assert!(html.contains("CWE-78"));
    assert!(html.contains("app/admin.py"));
    assert!(!html.contains("Clear filters"), "nothing is filtered");
}

#[tokio::test]
async fn filters_narrow_the_list() {
    let demo = demo().await;
    let all = keys(&get(&demo, "/tickets").await.1).len();

    for uri in
        ["/tickets?severity=high", "/tickets?tool=Bandit", "/tickets?cwe=78", "/tickets?q=admin"]
    {
        let (status, html) = get(&demo, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        let shown = keys(&html).len();
        assert!(shown > 0 && shown < all, "{uri} shows {shown} of {all}");
        assert!(html.contains("Clear filters"), "{uri}");
    }

    let (_, html) = get(&demo, "/tickets?severity=high").await;
    assert!(!html.contains("sev-medium\">"), "only high tickets");
    assert!(html.contains("<option value=\"high\" selected>High</option>"));
    let (_, html) = get(&demo, "/tickets?tool=Bandit&cwe=CWE-78").await;
    assert!(!html.contains("<td>Semgrep OSS</td>"));
    assert!(html.contains("<input type=\"text\" name=\"cwe\" value=\"CWE-78\""));
}

#[tokio::test]
async fn the_form_offers_the_stored_values() {
    let demo = demo().await;
    let (_, html) = get(&demo, "/tickets").await;
    assert!(html.contains("<option value=\"vulnshop\">vulnshop</option>"));
    assert!(html.contains("<option value=\"Bandit\">Bandit</option>"));
    assert!(html.contains("<option value=\"risk_accepted\">Risk accepted</option>"));
    assert!(html.contains("<option value=\"no\">No longer seen</option>"));
}

#[tokio::test]
async fn pages_link_to_their_neighbours_with_the_same_filters() {
    let demo = demo().await;
    let (_, html) = get(&demo, "/tickets?tool=Bandit&q=&limit=2").await;
    assert!(html.contains("showing 1–2"), "{html}");
    assert!(html.contains("href=\"/tickets?tool=Bandit&#38;limit=2&#38;page=2\""), "{html}");
    assert!(!html.contains("rel=\"prev\""));

    let (_, html) = get(&demo, "/tickets?tool=Bandit&limit=2&page=2").await;
    assert!(html.contains("showing 3–4"));
    assert!(html.contains("href=\"/tickets?tool=Bandit&#38;limit=2&#38;page=1\""));
}

#[tokio::test]
async fn a_page_past_the_end_leads_back_to_the_last_one() {
    let demo = demo().await;
    let (status, html) = get(&demo, "/tickets?tool=Bandit&limit=10&page=9").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("This page is past the end of the list."));
    assert!(html.contains("href=\"/tickets?tool=Bandit&#38;limit=10&#38;page=3\""), "{html}");
}

#[tokio::test]
async fn an_empty_list_says_so() {
    let demo = demo().await;
    let (status, html) = get(&demo, "/tickets?q=nothing-matches-this").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<strong>0 tickets</strong>"));
    assert!(html.contains("No tickets match these filters."));
    assert!(!html.contains("<table"));
}

#[tokio::test]
async fn a_bad_filter_shows_the_form_with_an_alert() {
    let demo = demo().await;
    for (uri, message) in [
        ("/tickets?state=done", "state: unknown state &#34;done&#34;: expected one of new"),
        ("/tickets?cwe=xss", "cwe: &#34;xss&#34; is not a CWE id"),
        ("/tickets?page=first", "page"),
    ] {
        let (status, headers, html) = get_with_headers(&demo, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
        assert!(html.contains("<div class=\"alert\" role=\"alert\">"), "{uri}: {html}");
        assert!(html.contains(message), "{uri}: {html}");
        assert!(html.contains("<form class=\"filters\""));
    }
}

#[tokio::test]
async fn ticket_page_links_to_the_exact_lines() {
    let demo = demo().await;
    let key = key_of(&demo.fixgate, "Bandit", "B602").await;

    let (status, html) = get(&demo, &format!("/tickets/{key}")).await;
    assert_eq!(status, StatusCode::OK);
    let deep_link =
        format!("https://github.com/fixgate-demo/vulnshop/blob/{V1_COMMIT}/app/admin.py#L");
    assert!(html.contains(&format!("<a href=\"{deep_link}")), "{html}");
    assert!(
        html.contains("<code title=\"91ecd575b074204761f99f4e1f30b48a180dfa69\">91ecd57</code>")
    );
    assert!(html.contains("href=\"https://cwe.mitre.org/data/definitions/78.html\">CWE-78</a>"));
    assert!(html.contains("<pre class=\"snippet\"><code>"));
    assert!(html.contains("href=\"https://bandit.readthedocs.io/"), "the rule's help link");
    assert!(html.contains("<td>main</td>"), "a sighting on main");
    assert!(html.contains("opened by scan 1"));
}

#[tokio::test]
async fn ticket_page_shows_package_score_secret_and_references() {
    let demo = demo().await;
    let report = json!({"fixgate": 1, "tool": {"name": "acme"}, "findings": [
        {"rule": "CVE-2021-23337", "title": "Command injection in lodash", "severity": "high",
         "advisories": ["CVE-2021-23337"], "location": "package-lock.json",
         "cvss": {"score": 7.2, "vector": "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"},
         "package": {"name": "lodash", "version": "4.17.15", "purl": "pkg:npm/lodash@4.17.15",
                     "fixed_version": "4.17.21"},
         "references": ["https://github.com/advisories/GHSA-35jh-r3h4-6jhm", "javascript:alert(1)"]},
        {"rule": "token", "title": "Token in config", "severity": "high", "file": "a.env",
         "snippet": "TOKEN=s3cr3t-t0ken-value-123", "secret": "s3cr3t-t0ken-value-123"},
        {"rule": "token", "title": "Token in script", "severity": "high", "file": "b.sh",
         "secret": "s3cr3t-t0ken-value-123"}
    ]});
    let request = ImportRequest {
        context: ScanContext { application: Some("shop".into()), ..Default::default() },
        ..Default::default()
    };
    let bytes = serde_json::to_vec(&report).unwrap();
    demo.fixgate.import(std::io::Cursor::new(bytes), request).await.unwrap();
    demo.fixgate.add_owner("shop", "shop-team").await.unwrap();

    let key = key_of(&demo.fixgate, "acme", "lodash").await;
    let (_, html) = get(&demo, &format!("/tickets/{key}")).await;
    assert!(html.contains("<dt>Package</dt><dd>lodash 4.17.15</dd>"), "{html}");
    assert!(html.contains("<dt>Fixed in</dt><dd>4.17.21</dd>"));
    assert!(html.contains("<dt>CVSS</dt><dd>7.2 CVSS:3.1/AV:N/"));
    assert!(html.contains("<a href=\"https://github.com/advisories/GHSA-35jh-r3h4-6jhm\">"));
    assert!(!html.contains("href=\"javascript:"), "only web links are links");

    let key = key_of(&demo.fixgate, "acme", "Token in config").await;
    let other = key_of(&demo.fixgate, "acme", "Token in script").await;
    let (_, html) = get(&demo, &format!("/tickets/{key}")).await;
    assert!(!html.contains("s3cr3t-t0ken-value-123"), "{html}");
    assert!(html.contains("TOKEN=s3c…123 (22 chars)"), "{html}");
    assert!(html.contains(&format!("<a href=\"/tickets/{other}\">{other}</a>")), "{html}");
}

#[tokio::test]
async fn ticket_page_shows_the_trace_from_source_to_sink() {
    let demo = demo().await;
    import(&demo.fixgate, &hostile_report(&demo), "v1").await;
    let key = key_of(&demo.fixgate, "EvilScan", "EVIL1").await;

    let (_, html) = get(&demo, &format!("/tickets/{key}")).await;
    let trace = html.split("<ol class=\"trace\">").nth(1).unwrap().split("</ol>").next().unwrap();
    let source = trace.find("app/routes.py:5").unwrap();
    let middle = trace.find("app/service.py:20").unwrap();
    let sink = trace.find("app/views.py:12").unwrap();
    assert!(source < middle && middle < sink, "{trace}");
    assert!(trace.contains("<span class=\"badge role\">source</span>"));
    assert!(trace.contains("<span class=\"badge role\">sink</span>"));
    let step = format!(
        "href=\"https://github.com/fixgate-demo/vulnshop/blob/{V1_COMMIT}/app/service.py#L20\""
    );
    assert!(trace.contains(&step), "{trace}");
    assert!(trace.contains("passed to build_query"));
}

#[tokio::test]
async fn report_text_is_escaped() {
    let demo = demo().await;
    import(&demo.fixgate, &hostile_report(&demo), "v1").await;
    let key = key_of(&demo.fixgate, "EvilScan", "EVIL1").await;

    let (_, list) = get(&demo, "/tickets?tool=EvilScan").await;
    let (_, page) = get(&demo, &format!("/tickets/{key}")).await;
    for html in [&list, &page] {
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(!html.contains("javascript:"), "a report's URL became a link: {html}");
    }
    assert!(page.contains("&#60;script&#62;alert(&#39;message&#39;)"), "{page}");
}

#[tokio::test]
async fn history_reads_as_sentences() {
    let demo = demo().await;
    let key = key_of(&demo.fixgate, "Bandit", "B602").await;
    let triage = MoveTicket {
        state: "triaged".into(),
        reason: Some("confirmed on staging".into()),
        owner: Some("alice".into()),
        due_at: Some("2025-04-01T00:00:00Z".parse().unwrap()),
        approver: None,
        expires_at: None,
        duplicate_of: None,
    };
    demo.fixgate.move_ticket(&key, triage, &principal("bob", Role::Security)).await.unwrap();
    demo.fixgate.comment(&key, "fix in PR <12>", "alice").await.unwrap();
    import(&demo.fixgate, &examples("v2").join("bandit.sarif"), "v2").await;

    let (_, html) = get(&demo, &format!("/tickets/{key}")).await;
    let history = html.split("<ol class=\"history\">").nth(1).unwrap();
    for line in [
        "opened by scan 1",
        "state changed from new to triaged (reason: confirmed on staging)",
        "assigned to alice",
        "due date set to 2025-04-01",
        "comment: fix in PR &#60;12&#62;",
    ] {
        assert!(history.contains(line), "{line:?} missing from {history}");
    }
    assert!(html.contains("<dt>Owner</dt>"));
}

#[tokio::test]
async fn tickets_no_longer_seen_are_marked() {
    let demo = demo().await;
    import(&demo.fixgate, &examples("v2").join("bandit.sarif"), "v2").await;

    let (_, html) = get(&demo, "/tickets?seen=no").await;
    let gone = keys(&html);
    assert!(!gone.is_empty(), "v2 fixed some of v1's Bandit findings");
    assert_eq!(
        html.matches("<span class=\"badge gone\">no longer seen</span>").count(),
        gone.len()
    );

    // No tracked scan sees it any more: the complete re-scan verified it.
    let (_, page) = get(&demo, &format!("/tickets/{}", gone[0])).await;
    assert!(page.contains("verified by scan 3 at commit"), "{page}");
}

#[tokio::test]
async fn unknown_ticket_is_a_404_page() {
    let demo = demo().await;
    let (status, headers, html) = get_with_headers(&demo, "/tickets/SEC-999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(html.contains("The ticket SEC-999999 does not exist."), "{html}");
}

#[tokio::test]
async fn stylesheet_is_served_with_a_long_cache() {
    let demo = demo().await;
    let (_, page) = get(&demo, "/tickets").await;
    let href = format!("/static/fixgate.css?v={}", super::CSS_VERSION);
    assert!(page.contains(&href));

    let (status, headers, css) = get_with_headers(&demo, &href).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert!(headers[header::CACHE_CONTROL].to_str().unwrap().contains("max-age=31536000"));
    assert!(css.contains(".sev-critical"));
}

#[tokio::test]
async fn pages_forbid_scripts() {
    let demo = demo().await;
    let (_, headers, _) = get_with_headers(&demo, "/tickets").await;
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
}

/// A report written to attack the pages: markup and a `javascript:` URL
/// wherever a scanner's text ends up, and a three-step trace.
fn hostile_report(demo: &Demo) -> PathBuf {
    let place = |uri: &str, line: u32, message: &str| {
        json!({
            "location": {
                "physicalLocation": {
                    "artifactLocation": { "uri": uri },
                    "region": { "startLine": line }
                },
                "message": { "text": message }
            }
        })
    };
    let report = json!({
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "EvilScan",
                "rules": [{
                    "id": "EVIL1",
                    "name": "<script>alert('rule')</script>",
                    "shortDescription": { "text": "Injected <script>alert(1)</script> title" },
                    "helpUri": "javascript:alert(document.cookie)",
                    "help": { "text": "Escape <b>everything</b>." },
                    "properties": { "tags": ["security", "external/cwe/cwe-79"] }
                }]
            }},
            "results": [{
                "ruleId": "EVIL1",
                "level": "error",
                "message": { "text": "<script>alert('message')</script> reaches the page" },
                "locations": [{ "physicalLocation": {
                    "artifactLocation": { "uri": "app/views.py" },
                    "region": {
                        "startLine": 12,
                        "endLine": 14,
                        "snippet": { "text": "render(\"<script>alert(2)</script>\")" }
                    }
                }}],
                "codeFlows": [{ "threadFlows": [{ "locations": [
                    place("app/routes.py", 5, "request.args['q'] <b>comes in</b>"),
                    place("app/service.py", 20, "passed to build_query"),
                    place("app/views.py", 12, "rendered <script>unescaped</script>"),
                ]}]}]
            }]
        }]
    });
    let path = demo.dir.path().join("hostile.sarif");
    std::fs::write(&path, report.to_string()).unwrap();
    path
}

/// A server on `env`'s store, whose triage policy counts days in Berlin,
/// and a signed-in security engineer's session cookie.
async fn triage_server(env: &fixgate_service::testkit::Env) -> (Router, String, TempDir) {
    let spool = tempfile::tempdir().unwrap();
    let policy = "[sla]\ntime_zone = \"Europe/Berlin\"\n";
    env.fixgate.load_triage_policy(policy, "admin").await.unwrap();
    env.fixgate.add_owner("shop", "shop-team").await.unwrap();
    let (cookie, _) = signed_in(&env.fixgate, "sam", Role::Security, &[]).await;
    let state = AppState::new(env.fixgate.clone(), spool.path(), 10 << 20);
    (crate::router(state), cookie, spool)
}

async fn get_as(router: &Router, cookie: &str, uri: &str) -> (StatusCode, String) {
    let cookie = format!("{SESSION_COOKIE}={cookie}");
    let request = Request::get(uri).header(header::COOKIE, cookie).body(Body::empty()).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

fn by_hand(ticket_type: fixgate_domain::TicketType, title: &str) -> fixgate_service::CreateTicket {
    fixgate_service::CreateTicket {
        ticket_type,
        title: title.into(),
        description: String::new(),
        severity: fixgate_domain::Severity::High,
        application: Some("shop".into()),
        repository: None,
        path: None,
        owner: None,
        priority: None,
        due_at: None,
    }
}

const LOG4SHELL: &str = "CVE-2021-44228";

#[tokio::test]
async fn ticket_page_shows_owner_priority_due_sla_and_exploit_signals() {
    use fixgate_service::testkit::{each_backend, epss_file, kev_catalogue};
    each_backend("page_triage", |env| async move {
        let (router, cookie, _spool) = triage_server(&env).await;
        let kev = kev_catalogue("2026.11.30", &[(LOG4SHELL, true)]);
        env.fixgate.load_kev(std::io::Cursor::new(kev), "admin").await.unwrap();
        let epss = epss_file("2026-11-30T12:00:00Z", &[(LOG4SHELL, 0.94358, 0.9995)]);
        env.fixgate.load_epss(std::io::Cursor::new(epss), "admin").await.unwrap();
        let report = json!({"fixgate": 1, "tool": {"name": "acme"}, "findings": [
            {"rule": LOG4SHELL, "title": "Log4Shell in log4j-core", "severity": "critical",
             "advisories": [LOG4SHELL], "location": "pom.xml",
             "package": {"name": "log4j-core", "version": "2.14.1",
                         "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}}
        ]});
        let request = ImportRequest {
            context: ScanContext { application: Some("shop".into()), ..Default::default() },
            ..Default::default()
        };
        let bytes = serde_json::to_vec(&report).unwrap();
        let imported = env.fixgate.import(std::io::Cursor::new(bytes), request).await.unwrap();
        let key = imported.opened_tickets[0].clone();

        let (status, html) = get_as(&router, &cookie, &format!("/tickets/{key}")).await;
        assert_eq!(status, StatusCode::OK, "{}", env.backend);
        let triage = html.split("<h2 id=\"triage-heading\">Triage</h2>").nth(1).unwrap();
        let triage = triage.split("</section>").next().unwrap();
        for part in [
            "<dt>Owner</dt>",
            "<dd>shop-team\n        <span class=\"why\">routed by owning team of shop</span></dd>",
            "<dd><span class=\"muted\">Nobody</span></dd>",
            "<span class=\"badge prio-critical\">Critical</span>",
            "<li>severity critical</li>",
            // Opened 2026-12-01 10:00 in Berlin, 7 days for critical.
            "<time datetime=\"2026-12-08T09:00:00Z\">2026-12-08</time> \
             <span class=\"muted\">(Europe/Berlin)</span>",
            "<span class=\"badge sla sla-on_track\">On track</span>",
            "clock started 2026-12-01 09:00 UTC",
            "<dt>Known exploited (KEV)</dt>\n      <dd>Yes: in CISA&#39;s Known Exploited",
            "<dd>0.944 (94.4 % chance of exploitation within 30 days)</dd>",
        ] {
            assert!(triage.contains(part), "{}: {part:?} missing from {triage}", env.backend);
        }

        let wait = MoveTicket {
            reason: Some("waiting for the vendor's <patched> build".into()),
            ..MoveTicket::to(TicketState::WaitingOnVendor)
        };
        env.fixgate.move_ticket(&key, wait, &principal("dana", Role::Security)).await.unwrap();
        let (_, html) = get_as(&router, &cookie, &format!("/tickets/{key}")).await;
        assert!(html.contains("<span class=\"badge sla sla-paused\">Paused</span>"), "{html}");
        assert!(html.contains("the clock stands still since 2026-12-01 09:00 UTC"));
        let pauses = html.split("<table class=\"pauses\">").nth(1).unwrap();
        assert!(pauses.contains("<caption>SLA pauses: the clock stood still</caption>"));
        assert!(pauses.contains("<th scope=\"col\">From</th>"));
        assert!(pauses.contains("still paused"), "{pauses}");
        assert!(pauses.contains("waiting for the vendor&#39;s &#60;patched&#62; build"));
        assert!(html.contains("the due date moves on by the pause"), "{html}");

        env.clock.advance(jiff::SignedDuration::from_hours(48));
        let back = MoveTicket::to(TicketState::InProgress);
        env.fixgate.move_ticket(&key, back, &principal("dana", Role::Security)).await.unwrap();
        env.clock.advance(jiff::SignedDuration::from_hours(24 * 8));
        // Ten days on, the session has long expired: sign in again.
        let password = fixgate_service::testkit::TEST_PASSWORD;
        let cookie = env.fixgate.sign_in("sam", password).await.unwrap().cookie;
        let (_, html) = get_as(&router, &cookie, &format!("/tickets/{key}")).await;
        assert!(html.contains("<span class=\"badge sla sla-breached\">Breached</span>"), "{html}");
        assert!(html.contains("it was due 2026-12-10"), "the pause moved the due date: {html}");
        assert!(html.contains("<td class=\"nowrap\">2026-12-03 09:00 UTC</td>"), "{html}");
    })
    .await;
}

#[tokio::test]
async fn a_due_date_is_a_day_of_the_policy_s_time_zone() {
    fixgate_service::testkit::each_backend("page_due_zone", |env| async move {
        let (router, cookie, _spool) = triage_server(&env).await;
        let late = fixgate_service::CreateTicket {
            due_at: Some("2026-12-20T23:30:00Z".parse().unwrap()),
            owner: Some("platform".into()),
            ..by_hand(fixgate_domain::TicketType::Task, "Renew the TLS certificate")
        };
        let key = env.fixgate.create_ticket(late, "sam").await.unwrap().ticket.key;

        let (_, html) = get_as(&router, &cookie, &format!("/tickets/{key}")).await;
        assert!(
            html.contains("<time datetime=\"2026-12-20T23:30:00Z\">2026-12-21</time>"),
            "{}: 00:30 on the 21st in Berlin: {html}",
            env.backend
        );
        assert!(html.contains("<span class=\"why\">set by sam</span>"), "{html}");
        let (_, list) = get_as(&router, &cookie, "/tickets").await;
        assert!(list.contains("<time datetime=\"2026-12-20T23:30:00Z\">2026-12-21</time>"));
    })
    .await;
}

#[tokio::test]
async fn the_list_shows_and_filters_priority_owner_due_and_sla() {
    use fixgate_domain::TicketType::{Incident, Task, Vulnerability};
    fixgate_service::testkit::each_backend("page_list_triage", |env| async move {
        let (router, cookie, _spool) = triage_server(&env).await;
        let open = |request| {
            let fixgate = env.fixgate.clone();
            async move { fixgate.create_ticket(request, "sam").await.unwrap().ticket.key }
        };
        let high = open(by_hand(Vulnerability, "Admin panel without MFA")).await;
        let low = open(fixgate_service::CreateTicket {
            severity: fixgate_domain::Severity::Low,
            owner: Some("platform".into()),
            ..by_hand(Task, "Rotate the deploy key")
        })
        .await;
        let soon = open(fixgate_service::CreateTicket {
            severity: fixgate_domain::Severity::Critical,
            due_at: Some("2026-12-02T09:00:00Z".parse().unwrap()),
            ..by_hand(Incident, "Checkout down")
        })
        .await;

        let (status, html) = get_as(&router, &cookie, "/tickets").await;
        assert_eq!(status, StatusCode::OK, "{}", env.backend);
        for header in ["Priority", "Owner", "Due", "SLA", "Key"] {
            assert!(html.contains(&format!("<th scope=\"col\">{header}</th>")), "{header}");
        }
        for option in [
            "<option value=\"critical\">Critical</option>",
            "<option value=\"platform\">platform</option>",
            "<option value=\"shop-team\">shop-team</option>",
            "<option value=\"due_soon\">Due soon</option>",
            "<option value=\"paused\">Paused</option>",
        ] {
            assert!(html.contains(option), "{option} missing: {html}");
        }
        assert!(html.contains("<select name=\"owner\">") && html.contains("<span>SLA</span>"));
        assert!(html.contains("<span class=\"badge prio-low\">Low</span>"));
        assert!(html.contains("<span class=\"badge sla sla-due_soon\">Due soon</span>"));
        assert!(html.contains("<span class=\"card-label\">Owner </span>platform"), "{html}");

        for (uri, expected) in [
            ("/tickets?owner=platform", vec![low.clone()]),
            ("/tickets?priority=high", vec![high.clone()]),
            ("/tickets?sla=due_soon", vec![soon.clone()]),
            ("/tickets?sla=on_track&owner=SHOP-TEAM", vec![high.clone()]),
            ("/tickets?sla=breached", vec![]),
        ] {
            let (status, html) = get_as(&router, &cookie, uri).await;
            assert_eq!((status, keys(&html)), (StatusCode::OK, expected), "{}: {uri}", env.backend);
            assert!(html.contains("Clear filters"), "{uri}");
        }
        let (_, html) = get_as(&router, &cookie, "/tickets?sla=due_soon&priority=critical").await;
        assert!(html.contains("<option value=\"due_soon\" selected>Due soon</option>"));
        assert!(html.contains("<option value=\"critical\" selected>Critical</option>"));

        let (_, html) = get_as(&router, &cookie, "/tickets?owner=shop-team&limit=1").await;
        assert!(
            html.contains("href=\"/tickets?owner=shop-team&#38;limit=1&#38;page=2\""),
            "the pager keeps the filter: {html}"
        );
        let (status, html) = get_as(&router, &cookie, "/tickets?sla=late").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("sla: unknown SLA status &#34;late&#34;"), "{html}");
    })
    .await;
}

async fn call_as(
    demo: &Demo,
    cookie: &str,
    request: axum::http::request::Builder,
    body: String,
) -> (StatusCode, header::HeaderMap, String) {
    let request = request
        .header(header::COOKIE, format!("{SESSION_COOKIE}={cookie}"))
        .body(Body::from(body))
        .unwrap();
    let response = demo.router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    (parts.status, parts.headers, String::from_utf8(bytes.to_vec()).unwrap())
}

async fn page_as(demo: &Demo, cookie: &str, uri: &str) -> String {
    let (status, _, html) = call_as(demo, cookie, Request::get(uri), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    html
}

async fn post_form(
    demo: &Demo,
    cookie: &str,
    uri: &str,
    form: &str,
) -> (StatusCode, header::HeaderMap, String) {
    let request =
        Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    call_as(demo, cookie, request, form.to_string()).await
}

/// An incident workflow: security alone closes, mitigating needs a reason.
const INCIDENTS: &str = r#"
[workflow.incident]
[[workflow.incident.state]]
name = "new"
means = "new"
[[workflow.incident.state]]
name = "investigating"
label = "Under investigation"
means = "in_progress"
[[workflow.incident.state]]
name = "mitigated"
means = "fixed"
[[workflow.incident.state]]
name = "closed"
means = "closed"
[[workflow.incident.transition]]
from = "new"
to = "investigating"
[[workflow.incident.transition]]
from = "investigating"
to = "mitigated"
requires = ["reason"]
[[workflow.incident.transition]]
from = "*"
to = "closed"
roles = ["security"]
"#;

#[tokio::test]
async fn the_move_form_offers_what_the_workflow_allows_the_viewer_s_role() {
    let demo = demo().await;
    demo.fixgate.load_triage_policy(INCIDENTS, "admin").await.unwrap();
    let incident = fixgate_service::CreateTicket {
        ticket_type: fixgate_domain::TicketType::Incident,
        title: "Checkout down".into(),
        description: String::new(),
        severity: fixgate_domain::Severity::High,
        application: Some("vulnshop".into()),
        repository: None,
        path: None,
        owner: None,
        priority: None,
        due_at: None,
    };
    let key = demo.fixgate.create_ticket(incident, "sec").await.unwrap().ticket.key;
    let investigate = MoveTicket::to("investigating");
    demo.fixgate.move_ticket(&key, investigate, &principal("sec", Role::Security)).await.unwrap();
    let (developer, csrf) = signed_in(&demo.fixgate, "dev", Role::Developer, &["shop-team"]).await;
    let (security, _) = signed_in(&demo.fixgate, "sec", Role::Security, &[]).await;
    let uri = format!("/tickets/{key}");
    let form = format!("action=\"/tickets/{key}/move\"");

    // Each role is offered its own moves, with what they need.
    let html = page_as(&demo, &developer, &uri).await;
    assert!(html.contains("<span class=\"badge state\">Under investigation</span>"), "{html}");
    assert!(html.contains(&form), "{html}");
    assert!(html.contains("<option value=\"mitigated\">Mitigated (needs a reason)</option>"));
    for not_theirs in ["closed", "false_positive", "duplicate", "new"] {
        assert!(!html.contains(&format!("<option value=\"{not_theirs}\"")), "{not_theirs}");
    }
    let html = page_as(&demo, &security, &uri).await;
    for theirs in ["mitigated", "closed", "false_positive", "duplicate"] {
        assert!(html.contains(&format!("<option value=\"{theirs}\"")), "{theirs}: {html}");
    }
    let html = page_as(&demo, &demo.cookie, &uri).await;
    assert!(!html.contains(&form), "a viewer moves nothing: {html}");
    let list = page_as(&demo, &demo.cookie, "/tickets?type=incident").await;
    assert!(list.contains("<td class=\"state\">Under investigation"), "{list}");

    // A refused move shows the page again with the reason.
    let target = format!("{uri}/move");
    let (status, _, html) =
        post_form(&demo, &developer, &target, &format!("csrf={csrf}&state=mitigated")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert!(html.contains("The move was refused."), "{html}");
    assert!(html.contains("needs a reason (`reason`)"), "{html}");
    let (status, _, _) =
        post_form(&demo, &developer, &target, "csrf=stale&state=mitigated&reason=x").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let body = format!("csrf={csrf}&state=mitigated&reason=rolled+back&owner=&due=");
    let (status, headers, _) = post_form(&demo, &developer, &target, &body).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], format!("{uri}?done=moved").as_str());
    let html = page_as(&demo, &developer, &format!("{uri}?done=moved")).await;
    assert!(html.contains("<div class=\"notice\" role=\"status\">The ticket was moved.</div>"));
    assert!(html.contains("<span class=\"badge state\">Mitigated</span>"), "{html}");
    assert!(html.contains("state changed from investigating to mitigated (reason: rolled back)"));
}
