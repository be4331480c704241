//! Who may call what, route by route, on every backend.
//!
//! The table below names every route fixgate serves and, for each kind of
//! caller, whether the route lets them through, asks them to sign in,
//! forbids them, or acts as if what they asked for did not exist. A route
//! added to the router without a row here fails
//! `every_route_has_an_entry_in_the_access_table`.
//!
//! Callers, in the table's column order: nobody (no credentials), an
//! administrator, a security engineer, a developer of the team that owns
//! application `shop`, a developer of another team, a viewer of `shop`'s
//! team, and a scanner. The API is called with each one's token, the pages
//! with each one's signed-in session.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fixgate_domain::Role;
use fixgate_http::{AppState, Route};
use fixgate_service::testkit::{
    Env, TEST_PASSWORD, each_backend, epss_file, import_bytes, kev_catalogue, sarif, signed_in,
};
use fixgate_service::{CreateToken, TokenHolder};
use fixgate_store::TicketFilter;
use jiff::SignedDuration;
use serde_json::{Value, json};
use tower::ServiceExt;

const SHOP_REPO: &str = "https://github.com/acme/shop";
const BANK_REPO: &str = "https://github.com/acme/bank";
const SHOP_REPO_QUERY: &str = "https%3A%2F%2Fgithub.com%2Facme%2Fshop";

/// What a caller gets from a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Let through: any answer but 401, 403, 404 or a redirect to sign in.
    Pass,
    /// Asked for credentials: 401 from the API, a redirect to /login from a page.
    SignIn,
    /// 403.
    Forbidden,
    /// 404: the thing belongs to an application the caller cannot see.
    Hidden,
}

use Expect::{Forbidden as F, Hidden as H, Pass as P, SignIn as S};

const CALLERS: [&str; 7] =
    ["nobody", "admin", "security", "developer", "outsider", "viewer", "scanner"];

/// How a request carries its caller.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    Token,
    Session,
}

#[derive(Clone)]
enum Payload {
    None,
    Json(Value),
    /// A form; `{csrf}` becomes the caller's CSRF value.
    Form(&'static str),
    Report(Vec<u8>),
    Text(&'static str),
}

struct Case {
    method: &'static str,
    /// The route's pattern, as the router names it.
    pattern: &'static str,
    uri: String,
    payload: Payload,
    via: Via,
    expect: [Expect; 7],
}

/// One caller's credentials.
#[derive(Default, Clone)]
struct Credentials {
    token: Option<String>,
    cookie: Option<String>,
    csrf: String,
}

struct World {
    router: Router,
    callers: Vec<Credentials>,
    /// A ticket of `shop`, and one of `bank`.
    shop_ticket: String,
    bank_ticket: String,
    /// Another ticket of `shop`, for links.
    shop_other: String,
    /// A token of the administrator's, for the revocation routes.
    admin_token_id: i64,
    /// `shop`'s repository.
    shop_repo: i64,
    /// A saved view of the developer's, shared with shop-team.
    view: i64,
    _spool: tempfile::TempDir,
}

/// Two applications, `shop` (team shop-team) and `bank` (team bank-team),
/// each with imported findings, and one person of each kind.
async fn world(env: &Env) -> World {
    let report =
        sarif("Semgrep", &[("r1", "app/a.py", 3, "SQL injection"), ("r2", "app/b.py", 9, "XSS")]);
    let shop = fixgate_domain::ScanContext {
        application: Some("shop".into()),
        repository: Some(SHOP_REPO.into()),
        branch: Some("main".into()),
        ..Default::default()
    };
    let bank = fixgate_domain::ScanContext {
        application: Some("bank".into()),
        repository: Some(BANK_REPO.into()),
        ..shop.clone()
    };
    let opened = import_bytes(env, report.clone(), shop).await.opened_tickets;
    let (shop_ticket, shop_other) = (opened[0].clone(), opened[1].clone());
    let bank_ticket = import_bytes(env, report, bank).await.opened_tickets[0].clone();
    env.fixgate.add_owner("shop", "shop-team").await.unwrap();
    env.fixgate.add_owner("bank", "bank-team").await.unwrap();
    env.fixgate.create_hook("github").await.unwrap();
    let ops = fixgate_service::AddChannel {
        name: "ops".into(),
        kind: fixgate_domain::channel::ChannelKind::Slack,
        target: "https://hooks.slack.com/services/T0/B0/X".into(),
        team: None,
        kinds: Vec::new(),
        digest: fixgate_domain::channel::Digest::None,
    };
    env.fixgate.add_channel(ops, "test").await.unwrap();

    let people: [(&str, Role, &[&str]); 6] = [
        ("admin", Role::Administrator, &[]),
        ("security", Role::Security, &[]),
        ("developer", Role::Developer, &["shop-team"]),
        ("outsider", Role::Developer, &["bank-team"]),
        ("viewer", Role::Viewer, &["shop-team"]),
        ("scanner", Role::Scanner, &[]),
    ];
    let mut callers = vec![Credentials::default()];
    let mut admin_token_id = 0;
    for (name, role, teams) in people {
        let (cookie, csrf) = signed_in(&env.fixgate, name, role, teams).await;
        let request = CreateToken {
            holder: TokenHolder::User(name.into()),
            role,
            application: None,
            expires_at: None,
            teams: Vec::new(),
        };
        let token = env.fixgate.create_token(request, "test").await.unwrap();
        if name == "admin" {
            admin_token_id = token.id;
        }
        callers.push(Credentials { token: Some(token.token), cookie: Some(cookie), csrf });
    }
    let spool = tempfile::tempdir().unwrap();
    let state = AppState::new(env.fixgate.clone(), spool.path(), 1 << 20);
    let everything = fixgate_store::Visibility::everything();
    let repositories = env.fixgate.store().repositories_with_scans(&everything).await.unwrap();
    let shop_repo = repositories.iter().find(|r| r.url == SHOP_REPO).unwrap().id;
    let developer = env.fixgate.store().user("developer").await.unwrap().unwrap();
    let developer = fixgate_service::Principal {
        user_id: developer.id,
        ..fixgate_service::testkit::principal("developer", Role::Developer)
    };
    let view = env
        .fixgate
        .save_view(&developer, "High ones", "tickets", "severity=high", Some("shop-team"))
        .await
        .unwrap();
    World {
        shop_repo,
        view,
        router: fixgate_http::router(state),
        callers,
        shop_ticket,
        bank_ticket,
        shop_other,
        admin_token_id,
        _spool: spool,
    }
}

/// The table: every route, what each caller gets.
fn table(world: &World) -> Vec<Case> {
    let shop = &world.shop_ticket;
    let admin_token = world.admin_token_id;
    let report = sarif(
        "Semgrep",
        &[("r1", "app/a.py", 3, "SQL injection"), ("r3", "app/c.py", 1, "Weak hash")],
    );
    let case = |via| {
        move |method, pattern, uri: String, payload, expect| Case {
            method,
            pattern,
            uri,
            payload,
            via,
            expect,
        }
    };
    let (api, page) = (case(Via::Token), case(Via::Session));
    use Payload::{Form, Json as J, None as N, Report};
    vec![
        //                                                                      nobody admin sec dev out view scan
        api(
            "POST",
            "/api/v1/scans",
            format!("/api/v1/scans?application=shop&repository={SHOP_REPO_QUERY}"),
            Report(report.clone()),
            [S, P, P, F, F, F, P],
        ),
        api(
            "POST",
            "/api/v1/check",
            format!("/api/v1/check?repository={SHOP_REPO_QUERY}"),
            Report(report),
            [S, P, P, P, H, P, P],
        ),
        api("GET", "/api/v1/tickets", "/api/v1/tickets".into(), N, [S, P, P, P, P, P, F]),
        api(
            "POST",
            "/api/v1/tickets",
            "/api/v1/tickets".into(),
            J(json!({"type": "task", "title": "Rotate keys", "application": "shop"})),
            [S, P, P, P, F, F, F],
        ),
        api(
            "GET",
            "/api/v1/tickets/{key}",
            format!("/api/v1/tickets/{shop}"),
            N,
            [S, P, P, P, H, P, F],
        ),
        api(
            "POST",
            "/api/v1/tickets/{key}/transitions",
            format!("/api/v1/tickets/{shop}/transitions"),
            J(json!({"state": "in_progress"})),
            [S, P, P, P, H, F, F],
        ),
        api(
            "POST",
            "/api/v1/tickets/{key}/comments",
            format!("/api/v1/tickets/{shop}/comments"),
            J(json!({"text": "on it"})),
            [S, P, P, P, H, F, F],
        ),
        api(
            "PUT",
            "/api/v1/tickets/{key}/assignee",
            format!("/api/v1/tickets/{shop}/assignee"),
            J(json!({"assignee": "developer"})),
            [S, P, P, P, H, F, F],
        ),
        // Following a ticket oneself needs only to read it: the viewer is
        // the one named.
        api(
            "PUT",
            "/api/v1/tickets/{key}/watchers/{name}",
            format!("/api/v1/tickets/{shop}/watchers/viewer"),
            N,
            [S, P, P, P, H, P, F],
        ),
        api(
            "DELETE",
            "/api/v1/tickets/{key}/watchers/{name}",
            format!("/api/v1/tickets/{shop}/watchers/viewer"),
            N,
            [S, P, P, P, H, P, F],
        ),
        api(
            "POST",
            "/api/v1/tickets/{key}/labels",
            format!("/api/v1/tickets/{shop}/labels"),
            J(json!({"add": ["triage"]})),
            [S, P, P, P, H, F, F],
        ),
        // After the administrator, the link exists: a conflict, let through.
        api(
            "POST",
            "/api/v1/tickets/{key}/links",
            format!("/api/v1/tickets/{shop}/links"),
            J(json!({"kind": "relates_to", "target": world.shop_other})),
            [S, P, P, P, H, F, F],
        ),
        api(
            "DELETE",
            "/api/v1/tickets/{key}/links/{kind}/{target}",
            format!("/api/v1/tickets/{shop}/links/relates_to/{}", world.shop_other),
            N,
            [S, P, P, P, H, F, F],
        ),
        // The outsider's change reaches bank's tickets only.
        api(
            "POST",
            "/api/v1/tickets/bulk",
            "/api/v1/tickets/bulk".into(),
            J(json!({"filter": {"application": "shop"}, "change": {"add_labels": ["sweep"]}})),
            [S, P, P, P, P, F, F],
        ),
        api(
            "GET",
            "/api/v1/tickets/{key}/acceptance",
            format!("/api/v1/tickets/{shop}/acceptance"),
            N,
            [S, P, P, P, H, P, F],
        ),
        // Before any request: approving finds nothing pending (409), which
        // passes the access check.
        api(
            "POST",
            "/api/v1/tickets/{key}/acceptance/{verdict}",
            format!("/api/v1/tickets/{shop}/acceptance/approve"),
            J(json!({"note": "fine"})),
            [S, P, P, F, H, F, F],
        ),
        api(
            "POST",
            "/api/v1/tickets/{key}/acceptance",
            format!("/api/v1/tickets/{shop}/acceptance"),
            J(json!({"reason": "internal only", "expires_at": "2027-01-01"})),
            [S, P, P, P, H, F, F],
        ),
        api(
            "PUT",
            "/api/v1/tickets/{key}/priority",
            format!("/api/v1/tickets/{shop}/priority"),
            J(json!({"priority": "high", "reason": "reachable from the internet"})),
            [S, P, P, F, H, F, F],
        ),
        api(
            "GET",
            "/api/v1/triage-policy",
            "/api/v1/triage-policy".into(),
            N,
            [S, P, P, P, P, P, F],
        ),
        api(
            "PUT",
            "/api/v1/triage-policy",
            "/api/v1/triage-policy".into(),
            Payload::Text("[sla.days]\ncritical = 5\n"),
            [S, P, P, F, F, F, F],
        ),
        api(
            "GET",
            "/api/v1/exports/{kind}",
            format!("/api/v1/exports/openvex?repository={SHOP_REPO_QUERY}"),
            N,
            [S, P, P, P, H, P, F],
        ),
        // Figures of what the caller sees: the outsider gets bank's.
        api(
            "GET",
            "/api/v1/reports/kpis",
            "/api/v1/reports/kpis?by=team&format=csv".into(),
            N,
            [S, P, P, P, P, P, F],
        ),
        // The evidence pack of what the caller sees, likewise.
        api(
            "GET",
            "/api/v1/reports/evidence",
            "/api/v1/reports/evidence?app=shop&format=html".into(),
            N,
            [S, P, P, P, P, P, F],
        ),
        // The event log's hash chain: security engineers and administrators.
        api("GET", "/api/v1/audit/head", "/api/v1/audit/head".into(), N, [S, P, P, F, F, F, F]),
        api("GET", "/api/v1/audit/verify", "/api/v1/audit/verify".into(), N, [S, P, P, F, F, F, F]),
        api(
            "PUT",
            "/api/v1/policy/{key}",
            "/api/v1/policy/grouping.code".into(),
            J(json!({"value": "finding"})),
            [S, P, P, F, F, F, F],
        ),
        api(
            "PUT",
            "/api/v1/codeowners",
            format!("/api/v1/codeowners?repository={SHOP_REPO_QUERY}"),
            Payload::Text("* @acme/appsec\n/app/ @acme/shop-devs\n"),
            [S, P, P, F, F, F, F],
        ),
        api(
            "GET",
            "/api/v1/codeowners",
            format!("/api/v1/codeowners?repository={SHOP_REPO_QUERY}&path=app%2Fa.py"),
            N,
            [S, P, P, P, H, P, F],
        ),
        api(
            "PUT",
            "/api/v1/exploits/kev",
            "/api/v1/exploits/kev".into(),
            Report(kev_catalogue("2025.12.04", &[("CVE-2021-44228", true)])),
            [S, P, P, F, F, F, F],
        ),
        api(
            "PUT",
            "/api/v1/exploits/epss",
            "/api/v1/exploits/epss".into(),
            Report(epss_file("2025-12-04T12:55:00Z", &[("CVE-2021-44228", 0.94, 0.99)])),
            [S, P, P, F, F, F, F],
        ),
        api("GET", "/api/v1/exploits", "/api/v1/exploits".into(), N, [S, P, P, P, P, P, F]),
        api("GET", "/api/v1/me", "/api/v1/me".into(), N, [S, P, P, P, P, P, P]),
        api("GET", "/api/v1/tokens", "/api/v1/tokens".into(), N, [S, P, P, P, P, P, P]),
        // A token does not make tokens; only an administrator's may.
        api(
            "POST",
            "/api/v1/tokens",
            "/api/v1/tokens".into(),
            J(json!({"role": "viewer", "teams": []})),
            [S, P, F, F, F, F, F],
        ),
        // Someone else's token is as good as absent.
        api(
            "DELETE",
            "/api/v1/tokens/{id}",
            format!("/api/v1/tokens/{}", admin_token + 1000),
            N,
            [S, H, H, H, H, H, H],
        ),
        api("GET", "/api/v1/users", "/api/v1/users".into(), N, [S, P, F, F, F, F, F]),
        api(
            "POST",
            "/api/v1/users",
            "/api/v1/users".into(),
            J(json!({"name": "newcomer", "role": "viewer"})),
            [S, P, F, F, F, F, F],
        ),
        api(
            "POST",
            "/api/v1/teams/{team}/members",
            "/api/v1/teams/shop-team/members".into(),
            J(json!({"user": "newcomer"})),
            [S, P, F, F, F, F, F],
        ),
        api(
            "POST",
            "/api/v1/applications/{application}/owners",
            "/api/v1/applications/bank/owners".into(),
            J(json!({"team": "bank-team"})),
            [S, P, F, F, F, F, F],
        ),
        api("GET", "/api/v1/channels", "/api/v1/channels".into(), N, [S, P, F, F, F, F, F]),
        api(
            "POST",
            "/api/v1/channels",
            "/api/v1/channels".into(),
            J(json!({"name": "secops", "kind": "teams",
                     "target": "https://example.webhook.office.com/x", "events": ["breached"]})),
            [S, P, F, F, F, F, F],
        ),
        api(
            "DELETE",
            "/api/v1/channels/{name}",
            "/api/v1/channels/ops".into(),
            N,
            [S, P, F, F, F, F, F],
        ),
        // A delivery's signature is its only credential: a token is no substitute.
        api(
            "POST",
            "/api/v1/hooks/{name}",
            "/api/v1/hooks/github".into(),
            J(json!({"event": "push"})),
            [S, S, S, S, S, S, S],
        ),
        api("GET", "/api/v1/openapi.json", "/api/v1/openapi.json".into(), N, [P, P, P, P, P, P, P]),
        api("GET", "/healthz", "/healthz".into(), N, [P, P, P, P, P, P, P]),
        // Pages, with sessions. The scanner here is a person who signs in.
        page("GET", "/", "/".into(), N, [P, P, P, P, P, P, P]),
        page("GET", "/static/fixgate.css", "/static/fixgate.css".into(), N, [P, P, P, P, P, P, P]),
        page("GET", "/tickets", "/tickets".into(), N, [S, P, P, P, P, P, F]),
        page("GET", "/dashboard", "/dashboard".into(), N, [S, P, P, P, P, P, F]),
        page("GET", "/tickets/{key}", format!("/tickets/{shop}"), N, [S, P, P, P, H, P, F]),
        // The workflow refuses the viewer's move (403) after the page found
        // the ticket; a refused move shows the page again with its status.
        page(
            "POST",
            "/tickets/{key}/move",
            format!("/tickets/{shop}/move"),
            Form("csrf={csrf}&state=in_progress"),
            [S, P, P, P, H, F, F],
        ),
        page(
            "POST",
            "/tickets/{key}/comment",
            format!("/tickets/{shop}/comment"),
            Form("csrf={csrf}&text=looked+at+it"),
            [S, P, P, P, H, F, F],
        ),
        page(
            "POST",
            "/tickets/{key}/assignee",
            format!("/tickets/{shop}/assignee"),
            Form("csrf={csrf}&assignee=developer"),
            [S, P, P, P, H, F, F],
        ),
        page(
            "POST",
            "/tickets/{key}/labels",
            format!("/tickets/{shop}/labels"),
            Form("csrf={csrf}&add=checked"),
            [S, P, P, P, H, F, F],
        ),
        page(
            "POST",
            "/tickets/{key}/priority",
            format!("/tickets/{shop}/priority"),
            Form("csrf={csrf}&priority=high&reason=reachable+from+the+internet"),
            [S, P, P, F, H, F, F],
        ),
        // On the other ticket, before any request there: approving finds
        // nothing pending (409), which passes the access check.
        page(
            "POST",
            "/tickets/{key}/acceptance/{verdict}",
            format!("/tickets/{}/acceptance/approve", world.shop_other),
            Form("csrf={csrf}&note=fine"),
            [S, P, P, F, H, F, F],
        ),
        page(
            "POST",
            "/tickets/{key}/acceptance",
            format!("/tickets/{}/acceptance", world.shop_other),
            Form("csrf={csrf}&reason=internal+only&expires=2027-01-01"),
            [S, P, P, P, H, F, F],
        ),
        // The outsider's filter matches none of shop's tickets: a preview
        // of nothing.
        page(
            "POST",
            "/tickets/bulk",
            "/tickets/bulk".into(),
            Form("csrf={csrf}&application=shop&apply_to=filter&add_labels=sweep&step=preview"),
            [S, P, P, P, P, F, F],
        ),
        page("GET", "/board", "/board?severity=high".into(), N, [S, P, P, P, P, P, F]),
        page("GET", "/my", "/my".into(), N, [S, P, P, P, P, P, F]),
        page("GET", "/repos", "/repos".into(), N, [S, P, P, P, P, P, F]),
        page("GET", "/repos/{id}", format!("/repos/{}", world.shop_repo), N, [S, P, P, P, H, P, F]),
        page("GET", "/views", "/views".into(), N, [S, P, P, P, P, P, F]),
        page(
            "POST",
            "/views",
            "/views".into(),
            Form("csrf={csrf}&name=Mine&page=board&query=severity%3Dhigh"),
            [S, P, P, P, P, P, F],
        ),
        // The developer's view is shared with shop-team: its viewer opens
        // it too; only the developer renames or deletes it.
        page("GET", "/views/{id}", format!("/views/{}", world.view), N, [S, H, H, P, H, P, F]),
        page(
            "POST",
            "/views/{id}/rename",
            format!("/views/{}/rename", world.view),
            Form("csrf={csrf}&name=Renamed"),
            [S, H, H, P, H, H, F],
        ),
        page(
            "POST",
            "/views/{id}/delete",
            format!("/views/{}/delete", world.view),
            Form("csrf={csrf}"),
            [S, H, H, P, H, H, F],
        ),
        page("GET", "/login", "/login".into(), N, [P, P, P, P, P, P, P]),
        // Without the sign-in form's cookie, a sign-in is refused.
        page(
            "POST",
            "/login",
            "/login".into(),
            Form("name=admin&password=x&csrf=abc"),
            [F, F, F, F, F, F, F],
        ),
        page("GET", "/account", "/account".into(), N, [S, P, P, P, P, P, P]),
        page(
            "POST",
            "/account/password",
            "/account/password".into(),
            Form(
                "csrf={csrf}&current=wrong-password-1&new=another-password-2&repeat=another-password-2",
            ),
            [S, P, P, P, P, P, P],
        ),
        page(
            "POST",
            "/account/tokens",
            "/account/tokens".into(),
            Form("csrf={csrf}&role=viewer"),
            [S, P, P, P, P, P, P],
        ),
        page(
            "POST",
            "/account/tokens/{id}/revoke",
            format!("/account/tokens/{admin_token}/revoke"),
            Form("csrf={csrf}"),
            [S, P, H, H, H, H, H],
        ),
        // Last: it ends the sessions.
        page("POST", "/logout", "/logout".into(), Form("csrf={csrf}"), [S, P, P, P, P, P, P]),
    ]
}

async fn call(world: &World, case: &Case, caller: &Credentials) -> (StatusCode, String, String) {
    let mut request = Request::builder().method(case.method).uri(&case.uri);
    match case.via {
        Via::Token => {
            if let Some(token) = &caller.token {
                request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
            }
        }
        Via::Session => {
            if let Some(cookie) = &caller.cookie {
                request =
                    request.header(header::COOKIE, format!("__Host-fixgate_session={cookie}"));
            }
        }
    }
    let body = match &case.payload {
        Payload::None => Body::empty(),
        Payload::Json(value) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(value.to_string())
        }
        Payload::Form(form) => {
            request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Body::from(form.replace("{csrf}", &caller.csrf))
        }
        Payload::Report(bytes) => Body::from(bytes.clone()),
        Payload::Text(text) => Body::from(*text),
    };
    let response = world.router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, location, String::from_utf8_lossy(&bytes).into_owned())
}

fn outcome(case: &Case, status: StatusCode, location: &str) -> Expect {
    match status {
        StatusCode::UNAUTHORIZED => Expect::SignIn,
        StatusCode::SEE_OTHER
            if case.via == Via::Session && location.starts_with("/login?next=") =>
        {
            Expect::SignIn
        }
        StatusCode::FORBIDDEN => Expect::Forbidden,
        StatusCode::NOT_FOUND => Expect::Hidden,
        _ => Expect::Pass,
    }
}

#[tokio::test]
async fn every_route_answers_each_caller_as_the_table_says() {
    each_backend("access_table", |env| async move {
        let world = world(&env).await;
        let mut wrong = Vec::new();
        for case in table(&world) {
            for (column, caller) in world.callers.iter().enumerate() {
                let (status, location, body) = call(&world, &case, caller).await;
                assert!(!status.is_server_error(), "{} {}: {status} {body}", case.method, case.uri);
                let got = outcome(&case, status, &location);
                if got != case.expect[column] {
                    wrong.push(format!(
                        "{} {} as {}: expected {:?}, got {status} {}",
                        case.method,
                        case.uri,
                        CALLERS[column],
                        case.expect[column],
                        body.chars().take(200).collect::<String>()
                    ));
                }
            }
        }
        assert!(wrong.is_empty(), "{}:\n{}", env.backend, wrong.join("\n"));
    })
    .await;
}

#[tokio::test]
async fn every_route_has_an_entry_in_the_access_table() {
    each_backend("access_coverage", |env| async move {
        let world = world(&env).await;
        let listed: BTreeSet<Route> = table(&world)
            .iter()
            .map(|case| Route { method: case.method, path: case.pattern })
            .collect();
        let served: BTreeSet<Route> = fixgate_http::route_table().into_iter().collect();
        let missing: Vec<_> = served.difference(&listed).collect();
        assert!(missing.is_empty(), "routes without an entry in the access table: {missing:?}");
        let stale: Vec<_> = listed.difference(&served).collect();
        assert!(stale.is_empty(), "entries for routes the server does not have: {stale:?}");
    })
    .await;
}

/// A GET with a bearer token; the status and the JSON body.
async fn get(world: &World, token: &str, uri: &str) -> (StatusCode, Value) {
    let request = Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = world.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn token_of(world: &World, caller: &str) -> String {
    let column = CALLERS.iter().position(|c| *c == caller).unwrap();
    world.callers[column].token.clone().unwrap()
}

#[tokio::test]
async fn lists_and_counts_hold_only_the_callers_applications() {
    each_backend("access_counts", |env| async move {
        let world = world(&env).await;
        let everything = TicketFilter { limit: 1000, page: 1, ..TicketFilter::default() };
        let all = env.fixgate.list_tickets(&everything).await.unwrap().total;
        let of = |app: &str| TicketFilter { application: Some(app.into()), ..everything.clone() };
        let shop = env.fixgate.list_tickets(&of("shop")).await.unwrap().total;
        let bank = env.fixgate.list_tickets(&of("bank")).await.unwrap().total;
        assert!(shop > 0 && bank > 0 && shop + bank == all);

        let (_, list) = get(&world, &token_of(&world, "developer"), "/api/v1/tickets").await;
        assert_eq!(list["total"], shop, "{list}");
        assert!(list["items"].as_array().unwrap().iter().all(|t| t["application"] == "shop"));
        let (_, list) = get(&world, &token_of(&world, "outsider"), "/api/v1/tickets").await;
        assert_eq!(list["total"], bank, "{list}");
        // A filter on an application the caller cannot see finds nothing,
        // not even a count.
        let (_, list) =
            get(&world, &token_of(&world, "outsider"), "/api/v1/tickets?application=shop").await;
        assert_eq!(list["total"], 0, "{list}");
        let (_, list) = get(&world, &token_of(&world, "security"), "/api/v1/tickets").await;
        assert_eq!(list["total"], all, "{list}");

        // The same ticket id: 404 for the other team, as for a key that does not exist.
        let (status, problem) = get(
            &world,
            &token_of(&world, "outsider"),
            &format!("/api/v1/tickets/{}", world.shop_ticket),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, missing) =
            get(&world, &token_of(&world, "outsider"), "/api/v1/tickets/SEC-99999").await;
        assert_eq!(problem["title"], missing["title"]);
        let (status, _) = get(
            &world,
            &token_of(&world, "outsider"),
            &format!("/api/v1/tickets/{}", world.bank_ticket),
        )
        .await;
        assert_eq!(status, StatusCode::OK);

        // The list page's filter choices name only what the caller sees.
        let column = CALLERS.iter().position(|c| *c == "outsider").unwrap();
        let cookie = world.callers[column].cookie.clone().unwrap();
        let request = Request::get("/tickets")
            .header(header::COOKIE, format!("__Host-fixgate_session={cookie}"))
            .body(Body::empty())
            .unwrap();
        let response = world.router.clone().oneshot(request).await.unwrap();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let html = String::from_utf8(bytes.to_vec()).unwrap();
        assert!(html.contains("<option value=\"bank\""), "{html}");
        assert!(!html.contains("shop"), "the outsider's page names shop: {html}");
    })
    .await;
}

#[tokio::test]
async fn a_scanner_uploads_but_reads_nothing() {
    each_backend("access_scanner", |env| async move {
        let world = world(&env).await;
        let request = CreateToken {
            holder: TokenHolder::Service("ci-shop".into()),
            role: Role::Scanner,
            application: Some("shop".into()),
            expires_at: None,
            teams: Vec::new(),
        };
        let scoped = env.fixgate.create_token(request, "test").await.unwrap().token;
        for uri in ["/api/v1/tickets", &format!("/api/v1/tickets/{}", world.shop_ticket)] {
            let (status, problem) = get(&world, &scoped, uri).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{uri}: {problem}");
            assert!(problem["detail"].as_str().unwrap().contains("scanner"), "{problem}");
        }
        let report = sarif("Semgrep", &[("r9", "x.py", 1, "m")]);
        let upload = |app: &'static str| {
            Request::post(format!("/api/v1/scans?application={app}&repository={SHOP_REPO_QUERY}"))
                .header(header::AUTHORIZATION, format!("Bearer {scoped}"))
                .body(Body::from(report.clone()))
                .unwrap()
        };
        let response = world.router.clone().oneshot(upload("bank")).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "another application");
        let response = world.router.clone().oneshot(upload("shop")).await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
    })
    .await;
}

#[tokio::test]
async fn expired_revoked_and_outranked_tokens_are_refused() {
    each_backend("access_token_life", |env| async move {
        let world = world(&env).await;
        let now = fixgate_service::Clock::now(env.clock.as_ref());
        let token = |role, expires_at| CreateToken {
            holder: TokenHolder::User("developer".into()),
            role,
            application: None,
            expires_at,
            teams: Vec::new(),
        };
        let hour = SignedDuration::from_hours(1);
        let soon =
            env.fixgate.create_token(token(Role::Viewer, Some(now + hour)), "t").await.unwrap();
        let (status, _) = get(&world, &soon.token, "/api/v1/me").await;
        assert_eq!(status, StatusCode::OK);
        env.clock.advance(SignedDuration::from_hours(2));
        let (status, problem) = get(&world, &soon.token, "/api/v1/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(problem["detail"].as_str().unwrap().contains("expired"), "{problem}");

        let revoked = env.fixgate.create_token(token(Role::Viewer, None), "t").await.unwrap();
        env.fixgate.revoke_token_locally(revoked.id).await.unwrap();
        let (status, problem) = get(&world, &revoked.token, "/api/v1/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(problem["detail"].as_str().unwrap().contains("revoked"), "{problem}");

        // A developer may not hold a security token at all.
        let err = env.fixgate.create_token(token(Role::Security, None), "t").await.unwrap_err();
        assert!(err.to_string().contains("cannot have a token with the security role"), "{err}");

        let (status, _) = get(&world, "fgt_0000", "/api/v1/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let unknown = format!("fgt_{}", "ab".repeat(32));
        let (status, problem) = get(&world, &unknown, "/api/v1/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(problem["detail"], "the token is not valid");
    })
    .await;
}

#[tokio::test]
async fn session_changes_need_the_csrf_value() {
    each_backend("access_csrf", |env| async move {
        let world = world(&env).await;
        let column = CALLERS.iter().position(|c| *c == "developer").unwrap();
        let caller = world.callers[column].clone();
        let comment = |csrf: Option<&str>| {
            let mut request =
                Request::post(format!("/api/v1/tickets/{}/comments", world.shop_ticket))
                    .header(
                        header::COOKIE,
                        format!("__Host-fixgate_session={}", caller.cookie.clone().unwrap()),
                    )
                    .header(header::CONTENT_TYPE, "application/json");
            if let Some(csrf) = csrf {
                request = request.header("x-csrf-token", csrf);
            }
            request.body(Body::from(json!({"text": "from the page"}).to_string())).unwrap()
        };
        let response = world.router.clone().oneshot(comment(None)).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let response =
            world.router.clone().oneshot(comment(Some("0".repeat(64).as_str()))).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let response = world.router.clone().oneshot(comment(Some(&caller.csrf))).await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let detail = env.fixgate.ticket(&world.shop_ticket).await.unwrap();
        assert_eq!(detail.events.last().unwrap().actor, "developer");
    })
    .await;
}

#[tokio::test]
async fn signing_in_through_the_form_sets_a_secure_session_cookie() {
    each_backend("access_sign_in", |env| async move {
        let world = world(&env).await;
        let form = |password: &str| {
            Request::post("/login")
                .header(header::COOKIE, "__Host-fixgate_signin=abc123")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "name=viewer&password={}&csrf=abc123&next=%2Ftickets",
                    password.replace(' ', "+")
                )))
                .unwrap()
        };
        let response = world.router.clone().oneshot(form("wrong password!")).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let response = world.router.clone().oneshot(form(TEST_PASSWORD)).await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()[header::LOCATION], "/tickets");
        let cookies: Vec<_> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        let session = cookies.iter().find(|c| c.starts_with("__Host-fixgate_session=")).unwrap();
        for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(session.contains(attribute), "{session}");
        }
        let headers = response.headers();
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
        assert!(
            headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("default-src 'none'")
        );
    })
    .await;
}

/// A page request with a session cookie; status, `Location` and body.
async fn page(
    world: &World,
    cookie: &str,
    method: &str,
    uri: &str,
    form: Option<String>,
) -> (StatusCode, String, String) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::COOKIE, format!("__Host-fixgate_session={cookie}"));
    let body = match form {
        Some(form) => {
            request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Body::from(form)
        }
        None => Body::empty(),
    };
    let response = world.router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, location, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn a_first_password_is_changed_before_anything_else() {
    each_backend("access_first_password", |env| async move {
        let world = world(&env).await;
        let user = fixgate_service::CreateUser {
            name: "newcomer".into(),
            role: Role::Developer,
            teams: vec!["shop-team".into()],
            password: None,
        };
        let initial = env.fixgate.create_user(user).await.unwrap().initial_password.unwrap();
        let signed_in = env.fixgate.sign_in("newcomer", &initial).await.unwrap();
        let session = signed_in.principal.session.clone().unwrap();
        let cookie = signed_in.cookie;

        let (status, location, _) = page(&world, &cookie, "GET", "/tickets", None).await;
        assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/account"));
        let (_, _, html) = page(&world, &cookie, "GET", "/account", None).await;
        assert!(html.contains("Choose your own before you go on"), "{html}");
        assert!(!html.contains("New token"), "no tokens before a password of one's own");

        let change = |current: &str, new: &str, repeat: &str, csrf: &str| {
            Some(format!("csrf={csrf}&current={current}&new={new}&repeat={repeat}"))
        };
        let mine = "my-own-long-password";
        let form = change(&initial, mine, mine, "forged");
        let (status, _, _) = page(&world, &cookie, "POST", "/account/password", form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a form without the session's CSRF value");
        let form = change(&initial, mine, "something-else-entirely", &session.csrf_token);
        let (status, _, html) = page(&world, &cookie, "POST", "/account/password", form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("The two new passwords differ"), "{html}");
        let form = change(&initial, "short", "short", &session.csrf_token);
        let (status, _, html) = page(&world, &cookie, "POST", "/account/password", form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("at least 12 characters"), "{html}");
        let form = change(&initial, mine, mine, &session.csrf_token);
        let (status, _, html) = page(&world, &cookie, "POST", "/account/password", form).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("Your password is changed"), "{html}");

        let (status, _, _) = page(&world, &cookie, "GET", "/tickets", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(env.fixgate.sign_in("newcomer", &initial).await.is_err());

        // A token made on the account page is shown once, then only its prefix.
        let form = Some(format!("csrf={}&role=viewer&expires=2099-12-31", session.csrf_token));
        let (status, _, html) = page(&world, &cookie, "POST", "/account/tokens", form).await;
        assert_eq!(status, StatusCode::CREATED, "{html}");
        let token =
            html.split("<code class=\"secret\">").nth(1).unwrap().split('<').next().unwrap();
        assert!(token.starts_with("fgt_"), "{html}");
        let (_, _, html) = page(&world, &cookie, "GET", "/account", None).await;
        assert!(!html.contains(token) && html.contains(&token[..10]), "{html}");
        let (status, _) = get(&world, token, "/api/v1/me").await;
        assert_eq!(status, StatusCode::OK);
        let form = Some(format!("csrf={}&role=administrator", session.csrf_token));
        let (status, _, html) = page(&world, &cookie, "POST", "/account/tokens", form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("cannot have a token with the administrator role"), "{html}");
    })
    .await;
}

#[tokio::test]
async fn demoting_or_disabling_a_person_reaches_their_tokens_and_sessions() {
    each_backend("access_demote", |env| async move {
        let world = world(&env).await;
        let security = token_of(&world, "security");
        let (status, _) = get(&world, &security, "/api/v1/users").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        env.fixgate.set_role("security", Role::Viewer).await.unwrap();
        let (status, problem) = get(&world, &security, "/api/v1/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            problem["detail"].as_str().unwrap().contains("above its owner's role"),
            "{problem}"
        );

        let developer = token_of(&world, "developer");
        let column = CALLERS.iter().position(|c| *c == "developer").unwrap();
        let cookie = world.callers[column].cookie.clone().unwrap();
        env.fixgate.set_disabled("developer", true).await.unwrap();
        let (status, problem) = get(&world, &developer, "/api/v1/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(problem["detail"].as_str().unwrap().contains("disabled"), "{problem}");
        let (status, location, _) = page(&world, &cookie, "GET", "/tickets", None).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(location.starts_with("/login"), "{location}");
        assert!(env.fixgate.sign_in("developer", TEST_PASSWORD).await.is_err());

        env.fixgate.set_disabled("developer", false).await.unwrap();
        let (status, _) = get(&world, &developer, "/api/v1/me").await;
        assert_eq!(status, StatusCode::OK);
        assert!(env.fixgate.set_role("nobody-by-that-name", Role::Viewer).await.is_err());
    })
    .await;
}

#[tokio::test]
async fn a_nul_in_a_filter_is_refused_on_every_backend() {
    each_backend("access_nul", |env| async move {
        let world = world(&env).await;
        let (status, problem) =
            get(&world, &token_of(&world, "security"), "/api/v1/tickets?q=a%00b").await;
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{}: {problem}", env.backend);
        let column = CALLERS.iter().position(|c| *c == "security").unwrap();
        let cookie = world.callers[column].cookie.clone().unwrap();
        let (status, _, html) = page(&world, &cookie, "GET", "/tickets?q=a%00b", None).await;
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{}: {html}", env.backend);
    })
    .await;
}
