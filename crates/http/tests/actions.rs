//! Working on tickets from the web pages, on every backend: commenting,
//! assigning, labelling, setting the priority, asking for and deciding a
//! risk acceptance, and bulk changes from the list with their preview.
//! Each form is sent as a browser sends it (a URL-encoded body with the
//! session cookie and its CSRF value) to the router in process, by people
//! of each role.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fixgate_domain::triage::Priority;
use fixgate_domain::{Role, Severity, TicketState, TicketType};
use fixgate_http::AppState;
use fixgate_service::testkit::{Env, each_backend, signed_in};
use fixgate_service::{CreateTicket, Fixgate};
use tower::ServiceExt;

const SESSION_COOKIE: &str = "__Host-fixgate_session";

/// Someone signed in: their session cookie and its CSRF value.
struct Person {
    cookie: String,
    csrf: String,
}

struct Desk {
    router: Router,
    fixgate: Fixgate,
    /// A security engineer, another one, a developer of shop's team and a
    /// viewer of it.
    sam: Person,
    alex: Person,
    dana: Person,
    vic: Person,
    _spool: tempfile::TempDir,
}

async fn desk(env: &Env) -> Desk {
    let spool = tempfile::tempdir().unwrap();
    env.fixgate.add_owner("shop", "shop-team").await.unwrap();
    let person = |name: &'static str, role, teams: &'static [&'static str]| {
        let fixgate = env.fixgate.clone();
        async move {
            let (cookie, csrf) = signed_in(&fixgate, name, role, teams).await;
            Person { cookie, csrf }
        }
    };
    let sam = person("sam", Role::Security, &[]).await;
    let alex = person("alex", Role::Security, &[]).await;
    let dana = person("dana", Role::Developer, &["shop-team"]).await;
    let vic = person("vic", Role::Viewer, &["shop-team"]).await;
    let state = AppState::new(env.fixgate.clone(), spool.path(), 10 << 20);
    let router = fixgate_http::router(state);
    Desk { router, fixgate: env.fixgate.clone(), sam, alex, dana, vic, _spool: spool }
}

/// Opens a ticket of `application` by hand; its key.
async fn open(fixgate: &Fixgate, application: &str, title: &str, severity: Severity) -> String {
    let request = CreateTicket {
        ticket_type: TicketType::Vulnerability,
        title: title.into(),
        description: String::new(),
        severity,
        application: Some(application.into()),
        repository: None,
        path: None,
        owner: None,
        priority: None,
        due_at: None,
    };
    fixgate.create_ticket(request, "sam").await.unwrap().ticket.key
}

/// The status, the `Location` header and the body.
async fn call(desk: &Desk, who: &Person, request: Request<Body>) -> (StatusCode, String, String) {
    let mut request = request;
    let cookie = format!("{SESSION_COOKIE}={}", who.cookie).parse().unwrap();
    request.headers_mut().insert(header::COOKIE, cookie);
    let response = desk.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, location, String::from_utf8(bytes.to_vec()).unwrap())
}

async fn page(desk: &Desk, who: &Person, uri: &str) -> String {
    let (status, _, html) = call(desk, who, Request::get(uri).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {html}");
    html
}

/// Posts `fields` (name, value) as a form, with `who`'s CSRF value first.
async fn post(
    desk: &Desk,
    who: &Person,
    uri: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let mut pairs = vec![("csrf", who.csrf.as_str())];
    pairs.extend_from_slice(fields);
    post_raw(desk, who, uri, serde_urlencoded::to_string(&pairs).unwrap()).await
}

async fn post_raw(
    desk: &Desk,
    who: &Person,
    uri: &str,
    body: String,
) -> (StatusCode, String, String) {
    let request = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    call(desk, who, request).await
}

/// Follows a form's redirect, asserting it confirms `done`; the page.
async fn confirmed(
    desk: &Desk,
    who: &Person,
    sent: (StatusCode, String, String),
    key: &str,
    done: &str,
) -> String {
    let (status, location, body) = sent;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location, format!("/tickets/{key}?done={done}"));
    page(desk, who, &location).await
}

fn form_for(key: &str, what: &str) -> String {
    format!("action=\"/tickets/{key}/{what}\"")
}

/// The text of the history's events.
async fn history(fixgate: &Fixgate, key: &str) -> Vec<String> {
    let detail = fixgate.ticket(key).await.unwrap();
    detail.events.iter().map(|e| format!("{} {}", e.kind, e.data)).collect()
}

#[tokio::test]
async fn a_comment_is_added_by_who_works_on_tickets_and_escaped() {
    each_backend("page_comment", |env| async move {
        let desk = desk(&env).await;
        let key = open(&desk.fixgate, "shop", "SQL injection in search", Severity::High).await;
        let uri = format!("/tickets/{key}");
        let target = format!("{uri}/comment");

        let html = page(&desk, &desk.dana, &uri).await;
        assert!(html.contains(&form_for(&key, "comment")), "{}: {html}", env.backend);
        assert!(html.contains("<label><span>Comment</span>"), "{html}");
        assert!(html.contains("<button type=\"submit\">Add comment</button>"));
        let html = page(&desk, &desk.vic, &uri).await;
        assert!(!html.contains(&form_for(&key, "comment")), "a viewer comments nothing: {html}");

        let hostile = "fixed in <script>alert(1)</script> & \"PR 12\"";
        let sent = post(&desk, &desk.dana, &target, &[("text", hostile)]).await;
        let html = confirmed(&desk, &desk.dana, sent, &key, "commented").await;
        assert!(html.contains("<div class=\"notice\" role=\"status\">Your comment was added"));
        assert!(
            html.contains(
                "comment: fixed in &#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;PR 12&#34;"
            ),
            "{html}"
        );
        assert!(!html.contains("<script>alert(1)"), "{html}");

        // Refused: by role, for want of text, and without the session's
        // CSRF value; none of them reaches the history.
        let before = history(&desk.fixgate, &key).await.len();
        let (status, _, html) = post(&desk, &desk.vic, &target, &[("text", "from a viewer")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
        let (status, _, html) = post(&desk, &desk.dana, &target, &[("text", "  ")]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("role=\"alert\" id=\"comment-error\""), "{html}");
        assert!(html.contains("a comment needs text"), "{html}");
        assert!(html.contains("aria-describedby=\"comment-error\""), "{html}");
        let stale = "csrf=stale&text=forged".to_string();
        let (status, _, _) = post_raw(&desk, &desk.dana, &target, stale).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = post_raw(&desk, &desk.dana, &target, "text=forged".into()).await;
        assert!(status.is_client_error(), "a form without its CSRF field: {status}");
        assert_eq!(history(&desk.fixgate, &key).await.len(), before, "{}", env.backend);
    })
    .await;
}

#[tokio::test]
async fn a_developer_assigns_and_unassigns_and_a_viewer_cannot() {
    each_backend("page_assign", |env| async move {
        let desk = desk(&env).await;
        let key = open(&desk.fixgate, "shop", "XSS in profile", Severity::Medium).await;
        let target = format!("/tickets/{key}/assignee");

        let sent = post(&desk, &desk.dana, &target, &[("assignee", "me")]).await;
        let html = confirmed(&desk, &desk.dana, sent, &key, "assigned").await;
        assert!(html.contains("<dd>dana</dd>"), "{}: {html}", env.backend);
        assert!(html.contains("Unassign dana</button>"), "{html}");
        assert!(html.contains("assigned to dana"), "{html}");

        let (status, _, html) =
            post(&desk, &desk.dana, &target, &[("assignee", "nobody-here")]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("The assignment was refused."), "{html}");
        assert!(html.contains("there is no user named &#34;nobody-here&#34;"), "{html}");
        let (status, _, _) = post(&desk, &desk.vic, &target, &[("unassign", "yes")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let html = page(&desk, &desk.vic, &format!("/tickets/{key}")).await;
        assert!(!html.contains(&form_for(&key, "assignee")), "{html}");
        let ticket = desk.fixgate.ticket(&key).await.unwrap().ticket;
        assert_eq!(ticket.assignee.as_deref(), Some("dana"), "the refusals changed nothing");

        let sent = post(&desk, &desk.dana, &target, &[("assignee", ""), ("unassign", "yes")]).await;
        let html = confirmed(&desk, &desk.dana, sent, &key, "unassigned").await;
        assert!(html.contains("The ticket is no longer assigned to anyone."));
        assert_eq!(desk.fixgate.ticket(&key).await.unwrap().ticket.assignee, None);
    })
    .await;
}

#[tokio::test]
async fn labels_are_added_and_removed_from_the_page() {
    each_backend("page_labels", |env| async move {
        let desk = desk(&env).await;
        let key = open(&desk.fixgate, "shop", "Open redirect", Severity::Low).await;
        let target = format!("/tickets/{key}/labels");
        let labels = |fixgate: Fixgate, key: String| async move {
            fixgate.ticket(&key).await.unwrap().ticket.labels
        };

        let sent = post(&desk, &desk.dana, &target, &[("add", "PCI, edge  legacy")]).await;
        let html = confirmed(&desk, &desk.dana, sent, &key, "labelled").await;
        assert_eq!(labels(desk.fixgate.clone(), key.clone()).await, ["edge", "legacy", "pci"]);
        assert!(
            html.contains(
                "<label class=\"check\"><input type=\"checkbox\" name=\"remove\" \
                           value=\"pci\"> Remove pci</label>"
            ),
            "{}: {html}",
            env.backend
        );

        let sent = post(
            &desk,
            &desk.dana,
            &target,
            &[("add", ""), ("remove", "pci"), ("remove", "legacy")],
        )
        .await;
        confirmed(&desk, &desk.dana, sent, &key, "labelled").await;
        assert_eq!(labels(desk.fixgate.clone(), key.clone()).await, ["edge"]);

        let (status, _, _) = post(&desk, &desk.vic, &target, &[("add", "viewer-was-here")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, html) = post(&desk, &desk.dana, &target, &[("add", "")]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("The labels were not changed."), "{html}");
        let (status, _, _) = post_raw(&desk, &desk.dana, &target, "add=forged".into()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF value");
        assert_eq!(labels(desk.fixgate.clone(), key.clone()).await, ["edge"]);
    })
    .await;
}

#[tokio::test]
async fn security_sets_the_priority_with_a_reason_and_a_developer_cannot() {
    each_backend("page_priority", |env| async move {
        let desk = desk(&env).await;
        let key = open(&desk.fixgate, "shop", "Weak TLS", Severity::High).await;
        let uri = format!("/tickets/{key}");
        let target = format!("{uri}/priority");
        let priority = |fixgate: Fixgate, key: String| async move {
            fixgate.ticket(&key).await.unwrap().ticket.priority
        };
        assert_eq!(priority(desk.fixgate.clone(), key.clone()).await, Some(Priority::High));

        let html = page(&desk, &desk.dana, &uri).await;
        assert!(!html.contains(&form_for(&key, "priority")), "{}: {html}", env.backend);
        let (status, _, _) =
            post(&desk, &desk.dana, &target, &[("priority", "low"), ("reason", "internal")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let html = page(&desk, &desk.sam, &uri).await;
        assert!(html.contains(&form_for(&key, "priority")), "{html}");
        assert!(html.contains("<option value=\"high\" selected>High</option>"), "{html}");
        let (status, _, html) = post(&desk, &desk.sam, &target, &[("priority", "low")]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("say why the priority changes"), "{html}");
        assert_eq!(priority(desk.fixgate.clone(), key.clone()).await, Some(Priority::High));

        let fields = [("priority", "low"), ("reason", "only reachable from the VPN")];
        let sent = post(&desk, &desk.sam, &target, &fields).await;
        let html = confirmed(&desk, &desk.sam, sent, &key, "prioritised").await;
        assert_eq!(priority(desk.fixgate.clone(), key.clone()).await, Some(Priority::Low));
        assert!(html.contains("<span class=\"badge prio-low\">Low</span>"), "{html}");
        assert!(html.contains("only reachable from the VPN"), "{html}");
    })
    .await;
}

#[tokio::test]
async fn a_risk_is_accepted_by_request_then_another_person_s_approval() {
    each_backend("page_acceptance", |env| async move {
        let desk = desk(&env).await;
        let key = open(&desk.fixgate, "shop", "Old jQuery", Severity::Medium).await;
        let uri = format!("/tickets/{key}");
        let ask = format!("{uri}/acceptance");

        let html = page(&desk, &desk.vic, &uri).await;
        assert!(!html.contains(&form_for(&key, "acceptance")), "{}: {html}", env.backend);
        let html = page(&desk, &desk.dana, &uri).await;
        assert!(html.contains("<button type=\"submit\">Ask to accept the risk</button>"), "{html}");

        let (status, _, html) =
            post(&desk, &desk.dana, &ask, &[("reason", "x"), ("expires", "")]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("The risk acceptance was refused."), "{html}");
        let fields = [("reason", "only on the admin intranet"), ("expires", "2027-03-01")];
        let sent = post(&desk, &desk.dana, &ask, &fields).await;
        let html = confirmed(&desk, &desk.dana, sent, &key, "acceptance-asked").await;
        assert!(html.contains("Pending request by dana"), "{html}");
        assert!(html.contains("<div><dt>Until</dt><dd>2027-03-01</dd></div>"), "{html}");
        // The asker may withdraw, not approve; the page offers what fits.
        assert!(html.contains(&form_for(&key, "acceptance/withdraw")), "{html}");
        assert!(!html.contains(&form_for(&key, "acceptance/approve")), "{html}");
        let (status, _, _) =
            post(&desk, &desk.dana, &format!("{ask}/approve"), &[("note", "self")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Security approves or rejects; the rejection needs a note.
        let html = page(&desk, &desk.sam, &uri).await;
        assert!(html.contains(&form_for(&key, "acceptance/approve")), "{html}");
        assert!(html.contains(&form_for(&key, "acceptance/reject")), "{html}");
        assert!(html.contains("Approve: accept the risk until 2027-03-01</button>"), "{html}");
        let (status, _, html) = post(&desk, &desk.sam, &format!("{ask}/reject"), &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("say why the risk acceptance is rejected"), "{html}");

        let approve = format!("{ask}/approve");
        let sent = post(&desk, &desk.sam, &approve, &[("note", "agreed with the CISO")]).await;
        let html = confirmed(&desk, &desk.sam, sent, &key, "acceptance-approved").await;
        assert!(html.contains("<span class=\"badge state\">Risk accepted</span>"), "{html}");
        assert!(html.contains("<caption>Earlier requests</caption>"), "{html}");
        assert!(html.contains("Approved by sam on 2026-12-01 09:00 UTC: agreed with the CISO"));
        assert!(!html.contains("Pending request by"), "{html}");
        assert!(html.contains("asked to accept the risk until 2027-03-01 (reason: only on the"));
        assert!(html.contains("approved dana&#39;s risk acceptance request (note: agreed with"));
        let ticket = desk.fixgate.ticket(&key).await.unwrap().ticket;
        assert_eq!(ticket.state, TicketState::RiskAccepted);
    })
    .await;
}

#[tokio::test]
async fn the_asker_cannot_approve_their_own_request() {
    each_backend("page_acceptance_own", |env| async move {
        let desk = desk(&env).await;
        let key = open(&desk.fixgate, "shop", "Debug endpoint", Severity::Low).await;
        let ask = format!("/tickets/{key}/acceptance");
        let fields = [("reason", "removed next sprint"), ("expires", "2027-01-15")];
        let sent = post(&desk, &desk.sam, &ask, &fields).await;
        let html = confirmed(&desk, &desk.sam, sent, &key, "acceptance-asked").await;
        assert!(!html.contains(&form_for(&key, "acceptance/approve")), "{}: {html}", env.backend);

        let (status, _, html) = post(&desk, &desk.sam, &format!("{ask}/approve"), &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
        assert!(html.contains("must not be the person who asked for it"), "{html}");
        let ticket = desk.fixgate.ticket(&key).await.unwrap().ticket;
        assert_eq!(ticket.state, TicketState::New);

        let sent = post(&desk, &desk.alex, &format!("{ask}/reject"), &[("note", "fix it")]).await;
        let html = confirmed(&desk, &desk.alex, sent, &key, "acceptance-rejected").await;
        assert!(html.contains("Rejected by alex"), "{html}");
        assert!(html.contains("<button type=\"submit\">Ask to accept the risk</button>"));

        // Asked again, by a developer this time, who takes it back; only
        // the asker may.
        let fields = [("reason", "behind the VPN"), ("expires", "2027-02-01")];
        let sent = post(&desk, &desk.dana, &ask, &fields).await;
        confirmed(&desk, &desk.dana, sent, &key, "acceptance-asked").await;
        let withdraw = format!("{ask}/withdraw");
        let (status, _, html) = post(&desk, &desk.alex, &withdraw, &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
        assert!(html.contains("only dana who asked may withdraw"), "{html}");
        let sent = post(&desk, &desk.dana, &withdraw, &[]).await;
        let html = confirmed(&desk, &desk.dana, sent, &key, "acceptance-withdrawn").await;
        assert!(html.contains("Withdrawn by dana"), "{html}");
        assert!(!html.contains("Pending request by"), "{html}");
        let (status, _, _) = post(&desk, &desk.sam, &format!("{ask}/overrule"), &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

/// The keys a bulk page names as changing.
fn changing(html: &str) -> Vec<String> {
    let Some(list) = html.split("<ul class=\"bulk-list\">").nth(1) else { return Vec::new() };
    let list = list.split("</ul>").next().unwrap();
    list.split("<li><a href=\"/tickets/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_bulk_change_is_previewed_then_changes_exactly_the_filtered_tickets() {
    each_backend("page_bulk", |env| async move {
        let desk = desk(&env).await;
        let first = open(&desk.fixgate, "shop", "SSRF in fetcher", Severity::High).await;
        let second = open(&desk.fixgate, "shop", "Path traversal", Severity::High).await;
        let low = open(&desk.fixgate, "shop", "Verbose errors", Severity::Low).await;
        let labels = |key: String| {
            let fixgate = desk.fixgate.clone();
            async move { fixgate.ticket(&key).await.unwrap().ticket.labels }
        };

        let list = page(&desk, &desk.dana, "/tickets?severity=high").await;
        assert!(list.contains("<form id=\"bulk\""), "{}: {list}", env.backend);
        assert!(
            list.contains("<input type=\"hidden\" name=\"severity\" value=\"high\">"),
            "{list}"
        );
        assert!(list.contains("All 2 tickets the filters match"), "{list}");
        assert!(list.contains(&format!("<label for=\"pick-{first}\" class=\"visually-hidden\">")));
        let form = list.split("<form id=\"bulk\"").nth(1).unwrap();
        assert!(form.contains("<option value=\"in_progress\">In progress</option>"), "{form}");
        assert!(!form.contains("value=\"false_positive\""), "a developer decides nothing");
        let list = page(&desk, &desk.vic, "/tickets?severity=high").await;
        assert!(!list.contains("id=\"bulk\"") && !list.contains("name=\"pick\""), "{list}");

        // The preview names what would change and changes nothing.
        let change = [("severity", "high"), ("apply_to", "filter"), ("add_labels", "sweep")];
        let preview = [&change[..], &[("step", "preview")]].concat();
        let (status, _, html) = post(&desk, &desk.dana, "/tickets/bulk", &preview).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(
            html.contains("<strong>2 tickets would change</strong> of the 2 tickets"),
            "{html}"
        );
        let mut named = changing(&html);
        named.sort();
        let mut expected = vec![first.clone(), second.clone()];
        expected.sort();
        assert_eq!(named, expected);
        assert!(
            html.contains("<button type=\"submit\" name=\"step\" value=\"apply\">Change 2 tickets")
        );
        assert!(html.contains("<input type=\"hidden\" name=\"add_labels\" value=\"sweep\">"));
        assert!(html.contains("<li>add labels sweep</li>"), "{html}");
        for key in [&first, &second, &low] {
            assert!(labels(key.clone()).await.is_empty(), "the preview changed {key}");
        }

        // Confirming changes those two, and only those.
        let apply = [&change[..], &[("step", "apply")]].concat();
        let (status, _, html) = post(&desk, &desk.dana, "/tickets/bulk", &apply).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("<strong>2 tickets changed</strong>"), "{html}");
        assert_eq!(labels(first.clone()).await, ["sweep"]);
        assert_eq!(labels(second.clone()).await, ["sweep"]);
        assert!(labels(low.clone()).await.is_empty());

        // Sent again, it changes nothing more and says why.
        let (_, _, html) = post(&desk, &desk.dana, "/tickets/bulk", &apply).await;
        assert!(html.contains("<strong>0 tickets changed</strong>"), "{html}");
        assert!(html.contains("nothing to change: the ticket is already as asked"), "{html}");

        // Ticked rows narrow the change to them.
        let ticked = [
            ("severity", "high"),
            ("apply_to", "ticked"),
            ("pick", first.as_str()),
            ("set_assignee", "me"),
            ("step", "apply"),
        ];
        let (status, _, html) = post(&desk, &desk.dana, "/tickets/bulk", &ticked).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("<strong>1 ticket changed</strong> of the 1 ticket"), "{html}");
        let assignee = |key: String| {
            let fixgate = desk.fixgate.clone();
            async move { fixgate.ticket(&key).await.unwrap().ticket.assignee }
        };
        assert_eq!(assignee(first.clone()).await.as_deref(), Some("dana"));
        assert_eq!(assignee(second.clone()).await, None);
        // The list selects by key too, in any case.
        let uri = format!("/tickets?key={},{low}", first.to_lowercase());
        let list = page(&desk, &desk.dana, &uri).await;
        let rows =
            |key: &str| list.contains(&format!("<td class=\"key\"><a href=\"/tickets/{key}\">"));
        assert!(rows(&first) && rows(&low) && !rows(&second), "{list}");
        assert!(list.contains("<input type=\"hidden\" name=\"key\""), "{list}");

        // A ticked row the filters do not match is left out.
        let outside = [("key", first.as_str()), ("apply_to", "ticked"), ("pick", low.as_str())];
        let fields = [&outside[..], &[("add_labels", "x"), ("step", "apply")]].concat();
        let (status, _, html) = post(&desk, &desk.dana, "/tickets/bulk", &fields).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
        assert!(html.contains("no ticket is ticked"), "{html}");
        assert!(labels(low.clone()).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_bulk_change_is_refused_where_one_change_would_be() {
    each_backend("page_bulk_refused", |env| async move {
        let desk = desk(&env).await;
        let key = open(&desk.fixgate, "shop", "Hard-coded password", Severity::High).await;
        let bulk = "/tickets/bulk";

        // A developer calls nothing a false positive, in bulk either.
        let fields = [("apply_to", "filter"), ("set_state", "false_positive"), ("step", "apply")];
        let (status, _, html) = post(&desk, &desk.dana, bulk, &fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}: {html}", env.backend);
        assert!(html.contains("role=\"alert\"><strong>The change cannot be made.</strong>"));
        let (status, _, _) = post(&desk, &desk.vic, bulk, &[("add_labels", "x")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = post(&desk, &desk.dana, bulk, &[("apply_to", "filter")]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "a change that changes nothing");
        let (status, _, _) =
            post_raw(&desk, &desk.dana, bulk, "csrf=stale&add_labels=x&step=apply".into()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) =
            post(&desk, &desk.dana, bulk, &[("apply_to", "ticked"), ("add_labels", "x")]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "nothing ticked");

        let ticket = desk.fixgate.ticket(&key).await.unwrap().ticket;
        assert_eq!((ticket.state, ticket.labels.len()), (TicketState::New, 0));

        // Security may, and the move's reason goes with it.
        let fields = [
            ("apply_to", "filter"),
            ("set_state", "false_positive"),
            ("set_reason", "test fixture"),
            ("step", "apply"),
        ];
        let (status, _, html) = post(&desk, &desk.sam, bulk, &fields).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("<strong>1 ticket changed</strong>"), "{html}");
        assert!(html.contains("<li>move to false positive, reason test fixture</li>"), "{html}");
        let ticket = desk.fixgate.ticket(&key).await.unwrap().ticket;
        assert_eq!(ticket.state, TicketState::FalsePositive);
    })
    .await;
}
