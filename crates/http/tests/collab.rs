//! The API's routes for working on tickets together, called in process on
//! every backend: assignees, watchers, labels, links and bulk changes, who
//! may make each change, and what the ticket page shows of them.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use fixgate_domain::{Role, ScanContext};
use fixgate_http::AppState;
use fixgate_service::testkit::{Env, each_backend, import_bytes, sarif, signed_in};
use fixgate_service::{CreateToken, TokenHolder};
use serde_json::{Value, json};
use tower::ServiceExt;

struct World {
    router: Router,
    /// The three tickets of `shop`, and one of `bank`'s three.
    shop: Vec<String>,
    bank: String,
    _spool: tempfile::TempDir,
}

/// `shop` (shop-team: the developer and the viewer) and `bank`
/// (bank-team: the outsider), and a security engineer.
async fn world(env: &Env) -> World {
    let report = sarif(
        "Semgrep",
        &[("r1", "a.py", 1, "one"), ("r2", "b.py", 2, "two"), ("r3", "c.py", 3, "three")],
    );
    let context = |app: &str| ScanContext {
        application: Some(app.into()),
        repository: Some(format!("https://github.com/acme/{app}")),
        branch: Some("main".into()),
        ..ScanContext::default()
    };
    let mut shop = import_bytes(env, report.clone(), context("shop")).await.opened_tickets;
    shop.sort();
    let bank = import_bytes(env, report, context("bank")).await.opened_tickets[0].clone();
    env.fixgate.add_owner("shop", "shop-team").await.unwrap();
    env.fixgate.add_owner("bank", "bank-team").await.unwrap();
    let spool = tempfile::tempdir().unwrap();
    let state = AppState::new(env.fixgate.clone(), spool.path(), 1 << 20);
    World { router: fixgate_http::router(state), shop, bank, _spool: spool }
}

/// A person with `role` in `teams`, and a token of theirs.
async fn token(env: &Env, name: &str, role: Role, teams: &[&str]) -> String {
    signed_in(&env.fixgate, name, role, teams).await;
    let request = CreateToken {
        holder: TokenHolder::User(name.into()),
        role,
        application: None,
        expires_at: None,
        teams: Vec::new(),
    };
    env.fixgate.create_token(request, "test").await.unwrap().token
}

struct People {
    developer: String,
    outsider: String,
    viewer: String,
    security: String,
}

async fn people(env: &Env) -> People {
    People {
        developer: token(env, "dev", Role::Developer, &["shop-team"]).await,
        outsider: token(env, "out", Role::Developer, &["bank-team"]).await,
        viewer: token(env, "vic", Role::Viewer, &["shop-team"]).await,
        security: token(env, "sec", Role::Security, &[]).await,
    }
}

async fn call(
    world: &World,
    token: &str,
    method: Method,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    let body = match body {
        Some(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    let response = world.router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn keys(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn assignees_are_set_through_the_api_and_listed_by_me() {
    each_backend("http_collab_assign", |env| async move {
        let world = world(&env).await;
        let p = people(&env).await;
        let uri = format!("/api/v1/tickets/{}/assignee", world.shop[0]);

        let (status, ticket) =
            call(&world, &p.developer, Method::PUT, &uri, Some(json!({"assignee": "dev"}))).await;
        assert_eq!(status, StatusCode::OK, "{ticket}");
        assert_eq!(ticket["assignee"], "dev");
        assert_eq!(ticket["events"].as_array().unwrap().last().unwrap()["kind"], "assigned");

        let (_, mine) =
            call(&world, &p.developer, Method::GET, "/api/v1/tickets?assignee=me", None).await;
        assert_eq!(keys(&mine), [world.shop[0].clone()]);
        assert_eq!(mine["items"][0]["assignee"], "dev");
        let (_, nobody) =
            call(&world, &p.developer, Method::GET, "/api/v1/tickets?assignee=none", None).await;
        assert_eq!(nobody["total"], 2, "{nobody}");
        let (_, theirs) =
            call(&world, &p.security, Method::GET, "/api/v1/tickets?assignee=me", None).await;
        assert_eq!(theirs["total"], 0, "{theirs}");

        for (body, says) in [
            (json!({"assignee": "ghost"}), "there is no user named \"ghost\""),
            (json!({"assignee": "vic"}), "holds the viewer role"),
            (json!({"assignee": "out"}), "cannot see"),
            (json!({"assignee": " "}), "give a person's name, or null"),
            (json!({}), "missing field `assignee`"),
        ] {
            let (status, problem) = call(&world, &p.developer, Method::PUT, &uri, Some(body)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
            assert!(problem["detail"].as_str().unwrap().contains(says), "{problem}");
        }
        let (status, ticket) =
            call(&world, &p.developer, Method::PUT, &uri, Some(json!({"assignee": null}))).await;
        assert_eq!((status, ticket["assignee"].clone()), (StatusCode::OK, Value::Null));

        let (status, _) =
            call(&world, &p.viewer, Method::PUT, &uri, Some(json!({"assignee": "dev"}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) =
            call(&world, &p.outsider, Method::PUT, &uri, Some(json!({"assignee": "out"}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn watching_oneself_needs_reading_and_adding_others_needs_work() {
    each_backend("http_collab_watch", |env| async move {
        let world = world(&env).await;
        let p = people(&env).await;
        let watchers = |name: &str| format!("/api/v1/tickets/{}/watchers/{name}", world.shop[0]);

        let (status, ticket) = call(&world, &p.viewer, Method::PUT, &watchers("me"), None).await;
        assert_eq!(status, StatusCode::OK, "{ticket}");
        assert_eq!(ticket["watchers"], json!(["vic"]));
        let (status, _) = call(&world, &p.viewer, Method::PUT, &watchers("dev"), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a viewer adds nobody else");
        let (status, ticket) =
            call(&world, &p.developer, Method::PUT, &watchers("dev"), None).await;
        assert_eq!((status, ticket["watchers"].clone()), (StatusCode::OK, json!(["dev", "vic"])));
        let (status, problem) =
            call(&world, &p.security, Method::PUT, &watchers("out"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "out cannot see shop: {problem}");
        let (status, _) = call(&world, &p.outsider, Method::PUT, &watchers("me"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let (status, _) = call(&world, &p.viewer, Method::DELETE, &watchers("dev"), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, ticket) =
            call(&world, &p.viewer, Method::DELETE, &watchers("vic"), None).await;
        assert_eq!((status, ticket["watchers"].clone()), (StatusCode::OK, json!(["dev"])));
    })
    .await;
}

#[tokio::test]
async fn labels_are_changed_listed_and_offered_as_filter_choices() {
    each_backend("http_collab_labels", |env| async move {
        let world = world(&env).await;
        let p = people(&env).await;
        let uri = format!("/api/v1/tickets/{}/labels", world.shop[1]);
        let body = json!({"add": ["PCI", "needs review"], "remove": ["absent"]});
        let (status, ticket) = call(&world, &p.developer, Method::POST, &uri, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{ticket}");
        assert_eq!(ticket["labels"], json!(["needs review", "pci"]));

        let (_, list) =
            call(&world, &p.developer, Method::GET, "/api/v1/tickets?label=Pci", None).await;
        assert_eq!(keys(&list), [world.shop[1].clone()]);
        assert_eq!(list["items"][0]["labels"], json!(["needs review", "pci"]));
        let (status, problem) =
            call(&world, &p.developer, Method::GET, "/api/v1/tickets?label=a%0Ab", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(problem["detail"].as_str().unwrap().starts_with("label: "), "{problem}");

        let (status, problem) =
            call(&world, &p.developer, Method::POST, &uri, Some(json!({"add": ["x".repeat(65)]})))
                .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(problem["detail"].as_str().unwrap().contains("at most 64"), "{problem}");
        let (status, _) =
            call(&world, &p.developer, Method::POST, &uri, Some(json!({"tags": ["x"]}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) =
            call(&world, &p.viewer, Method::POST, &uri, Some(json!({"add": ["x"]}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn links_show_on_both_sides_and_hide_what_the_caller_cannot_see() {
    each_backend("http_collab_links", |env| async move {
        let world = world(&env).await;
        let p = people(&env).await;
        let (one, two) = (&world.shop[0], &world.shop[1]);
        let links = |key: &str| format!("/api/v1/tickets/{key}/links");

        let body = json!({"kind": "blocks", "target": two.to_lowercase()});
        let (status, ticket) =
            call(&world, &p.developer, Method::POST, &links(one), Some(body.clone())).await;
        assert_eq!(status, StatusCode::OK, "{ticket}");
        assert_eq!(ticket["links"][0]["kind"], "blocks");
        let (_, other) =
            call(&world, &p.developer, Method::GET, &format!("/api/v1/tickets/{two}"), None).await;
        assert_eq!(other["links"][0]["kind"], "blocked_by");
        assert_eq!(other["links"][0]["key"], one.as_str());
        let (status, _) = call(&world, &p.developer, Method::POST, &links(one), Some(body)).await;
        assert_eq!(status, StatusCode::CONFLICT);

        let (status, problem) = call(
            &world,
            &p.developer,
            Method::POST,
            &links(one),
            Some(json!({"kind": "blocks", "target": one})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            problem["detail"].as_str().unwrap().contains("cannot be linked to itself"),
            "{problem}"
        );
        let (status, problem) = call(
            &world,
            &p.developer,
            Method::POST,
            &links(one),
            Some(json!({"kind": "parent", "target": two})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            problem["detail"].as_str().unwrap().starts_with("kind: unknown link kind"),
            "{problem}"
        );
        // The bank ticket does not exist for shop's developer.
        let bank = json!({"kind": "relates_to", "target": world.bank});
        let (status, problem) =
            call(&world, &p.developer, Method::POST, &links(one), Some(bank.clone())).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(problem["detail"], format!("ticket {} not found", world.bank));

        // Security links it; the developer sees neither the link nor its key.
        let (status, _) = call(&world, &p.security, Method::POST, &links(one), Some(bank)).await;
        assert_eq!(status, StatusCode::OK);
        let (_, seen) =
            call(&world, &p.developer, Method::GET, &format!("/api/v1/tickets/{one}"), None).await;
        assert_eq!(seen["links"].as_array().unwrap().len(), 1, "{seen}");
        let last = seen["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["kind"].as_str(), last["data"]["key"].clone()),
            (Some("link_added"), Value::Null)
        );
        let (_, all) =
            call(&world, &p.security, Method::GET, &format!("/api/v1/tickets/{one}"), None).await;
        assert_eq!(all["links"].as_array().unwrap().len(), 2, "{all}");

        let unlink = format!("/api/v1/tickets/{two}/links/blocked_by/{one}");
        let (status, ticket) = call(&world, &p.developer, Method::DELETE, &unlink, None).await;
        assert_eq!((status, ticket["links"].clone()), (StatusCode::OK, json!([])));
        let (status, _) = call(&world, &p.developer, Method::DELETE, &unlink, None).await;
        assert_eq!(status, StatusCode::OK, "removing a link that is not there changes nothing");
        let (status, _) = call(&world, &p.viewer, Method::DELETE, &unlink, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn a_bulk_change_reaches_the_callers_tickets_with_the_callers_rights() {
    each_backend("http_collab_bulk", |env| async move {
        let world = world(&env).await;
        let p = people(&env).await;
        const BULK: &str = "/api/v1/tickets/bulk";
        let bulk = |token: &String, body: Value| {
            let (world, token) = (&world, token.clone());
            async move { call(world, &token, Method::POST, BULK, Some(body)).await }
        };
        let total = |token: &String, query: &str| {
            let (world, token, uri) = (&world, token.clone(), format!("/api/v1/tickets?{query}"));
            async move { call(world, &token, Method::GET, &uri, None).await.1["total"].clone() }
        };

        let change = json!({"add_labels": ["Sprint"], "assignee": "me"});
        let dry = json!({"filter": {}, "change": change, "dry_run": true});
        let (status, outcome) = bulk(&p.developer, dry).await;
        assert_eq!(status, StatusCode::OK, "{outcome}");
        assert_eq!((outcome["matched"].clone(), outcome["changed"].clone()), (json!(3), json!(3)));
        assert_eq!(total(&p.developer, "label=sprint").await, 0, "a dry run changes nothing");
        assert_eq!(total(&p.developer, "assignee=dev").await, 0, "a dry run changes nothing");

        let filter = json!({"state": ["new"], "assignee": "none"});
        let body = json!({"filter": filter, "change": {"add_labels": ["sprint"]}});
        let (status, outcome) = bulk(&p.developer, body).await;
        assert_eq!((status, outcome["changed"].clone()), (StatusCode::OK, json!(3)), "{outcome}");
        assert_eq!(total(&p.security, "label=sprint").await, 3, "bank's tickets were out of reach");

        let change = json!({"state": "false_positive", "reason": "test code"});
        let decide = json!({"filter": {}, "change": change});
        let (status, _) = bulk(&p.developer, decide.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a decision is security's, in bulk as alone");
        let (status, outcome) = bulk(&p.security, decide).await;
        assert_eq!((status, outcome["changed"].clone()), (StatusCode::OK, json!(6)), "{outcome}");

        let comment = json!({"comment": "x"});
        for (body, says) in [
            (json!({"filter": {"stat": "new"}, "change": comment}), "unknown field \"stat\""),
            (json!({"filter": {"limit": 5}, "change": comment}), "leave out limit and page"),
            (json!({"change": comment}), "missing field `filter`"),
            (json!({"filter": {}, "change": {}}), "changes nothing"),
            (json!({"filter": {}, "change": {"colour": "red"}}), "unknown field `colour`"),
        ] {
            let (status, problem) = bulk(&p.developer, body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
            assert!(problem["detail"].as_str().unwrap().contains(says), "{says}: {problem}");
        }
        let (status, _) = bulk(&p.viewer, json!({"filter": {}, "change": comment})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn the_ticket_page_shows_assignee_labels_watchers_and_links() {
    each_backend("http_collab_page", |env| async move {
        let world = world(&env).await;
        let (cookie, _) = signed_in(&env.fixgate, "dev", Role::Developer, &["shop-team"]).await;
        let (one, two) = (&world.shop[0], &world.shop[1]);
        let everything = fixgate_store::Visibility::everything();
        env.fixgate.assign(one, Some("dev"), &everything, "lead").await.unwrap();
        env.fixgate.watch(one, "dev", &everything, "lead").await.unwrap();
        env.fixgate.change_labels(one, &["PCI".into()], &[], &everything, "lead").await.unwrap();
        env.fixgate
            .link(one, fixgate_domain::LinkKind::BlockedBy, two, &everything, "lead")
            .await
            .unwrap();
        env.fixgate
            .link(one, fixgate_domain::LinkKind::RelatesTo, &world.bank, &everything, "lead")
            .await
            .unwrap();

        let request = Request::get(format!("/tickets/{one}"))
            .header(header::COOKIE, format!("__Host-fixgate_session={cookie}"))
            .body(Body::empty())
            .unwrap();
        let response = world.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let html = String::from_utf8(bytes.to_vec()).unwrap();
        for expected in [
            "<dt>Assignee</dt>",
            "<dt>Labels</dt>",
            "<li class=\"label\">pci</li>",
            "<dt>Watchers</dt>",
            "<dd>dev</dd>",
            "<h2 id=\"linked-tickets\">Linked tickets</h2>",
            "<dt>Blocked by</dt>",
            &format!("<a href=\"/tickets/{two}\">{two}</a>"),
            "assigned to dev",
            "dev now watches",
            "labels added pci",
            &format!("linked: blocked by {two}"),
            "linked: relates to a ticket you cannot see",
        ] {
            assert!(html.contains(expected), "{expected:?} is not on the page:\n{html}");
        }
        assert!(!html.contains(&world.bank), "the page names bank's ticket:\n{html}");
    })
    .await;
}
