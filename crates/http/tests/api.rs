//! The JSON API, called in process on every backend: uploads (raw and
//! multipart), bad reports, ticket lists, the workflow, tokens and the
//! OpenAPI document.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fixgate_domain::Role;
use fixgate_http::AppState;
use fixgate_service::testkit::{Env, each_backend, examples, sarif, service_token};
use serde_json::{Value, json};
use tower::ServiceExt;

struct Api {
    router: Router,
    /// A security service account's token, which every request carries
    /// unless it names its own.
    token: String,
    _spool: tempfile::TempDir,
}

async fn api(env: &Env, max_upload: u64) -> Api {
    let spool = tempfile::tempdir().unwrap();
    let state = AppState::new(env.fixgate.clone(), spool.path(), max_upload);
    let token = service_token(&env.fixgate, "triage-bot", Role::Security, None, &[]).await;
    Api { router: fixgate_http::router(state), token, _spool: spool }
}

impl Api {
    async fn call(&self, mut request: Request<Body>) -> (StatusCode, String, Value) {
        if !request.headers().contains_key(header::AUTHORIZATION) {
            let bearer = format!("Bearer {}", self.token).parse().unwrap();
            request.headers_mut().insert(header::AUTHORIZATION, bearer);
        }
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, content_type, body)
    }

    async fn get(&self, uri: &str) -> (StatusCode, String, Value) {
        self.call(Request::get(uri).body(Body::empty()).unwrap()).await
    }

    async fn post(&self, uri: &str, body: impl Into<Body>) -> (StatusCode, String, Value) {
        self.call(Request::post(uri).body(body.into()).unwrap()).await
    }

    async fn post_json(&self, uri: &str, body: Value) -> (StatusCode, String, Value) {
        let request = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.call(request).await
    }
}

const SCANS: &str =
    "/api/v1/scans?application=shop&repository=https%3A%2F%2Fgithub.com%2Facme%2Fshop";

fn report() -> Vec<u8> {
    sarif(
        "CodeQL",
        &[
            ("py/sql-injection", "app/db.py", 10, "cursor.execute(q % name)"),
            ("py/xss", "app/views.py", 5, "return Markup(user)"),
        ],
    )
}

#[tokio::test]
async fn a_raw_upload_imports_and_the_same_upload_changes_nothing() {
    each_backend("api_upload", |env| async move {
        let api = api(&env, 1 << 30).await;
        let (status, _, body) = api.post(SCANS, report()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["opened"], 2);
        assert_eq!(body["application"], "shop");

        let (status, _, body) = api.post(SCANS, report()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!((body["duplicate"].clone(), body["unchanged"].clone()), (json!(true), json!(2)));
    })
    .await;
}

#[tokio::test]
async fn a_multipart_upload_carries_its_context_in_form_fields() {
    each_backend("api_multipart", |env| async move {
        let api = api(&env, 1 << 30).await;
        let boundary = "fixgate-boundary";
        let mut body = Vec::new();
        let fields = [
            ("application", "shop"),
            ("branch", "release/2"),
            ("default_branch", "release/2"),
            ("partial", "true"),
        ];
        for (name, value) in fields {
            body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes());
        }
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"report\"; filename=\"r.sarif\"\r\nContent-Type: application/json\r\n\r\n").bytes());
        body.extend(report());
        body.extend(format!("\r\n--{boundary}--\r\n").bytes());
        let request = Request::post("/api/v1/scans")
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap();
        let (status, _, body) = api.call(request).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["branch"], "release/2");
        assert_eq!((body["tracked"].clone(), body["partial"].clone()), (json!(true), json!(true)));
        assert_eq!(body["opened"], 2);
    })
    .await;
}

#[tokio::test]
async fn bad_reports_get_problem_details_that_name_the_cause() {
    each_backend("api_bad_reports", |env| async move {
        let api = api(&env, 1 << 30).await;
        let mut truncated = report();
        truncated.truncate(100);
        let deep = format!(
            "{{\"version\":\"2.1.0\",\"runs\":[{{\"tool\":{{\"driver\":{{\"name\":\"x\"}}}},\
             \"results\":[{{\"ruleId\":\"r\",\"locations\":{}{}}}]}}]}}",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"this is not json".to_vec(), "text"),
            (b"[1, 2, 3]".to_vec(), "JSON array"),
            (
                br#"{"version": "2.1.0", "items": []}"#.to_vec(),
                "unrecognised report format: a JSON object",
            ),
            (br#"{"version": "2.0.0", "runs": []}"#.to_vec(), "2.1.0"),
            (truncated, "line 1"),
            (deep.into_bytes(), "nested deeper than 128 levels at line 1"),
        ];
        for (bytes, expected) in cases {
            let (status, content_type, body) = api.post(SCANS, bytes).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(content_type, "application/problem+json");
            let detail = body["detail"].as_str().unwrap();
            assert!(detail.contains(expected), "{expected:?} not in {detail:?}");
        }
        let (_, _, page) = api.get("/api/v1/tickets").await;
        assert_eq!(page["total"], 0, "a failed import stored nothing");
    })
    .await;
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_early() {
    each_backend("api_too_large", |env| async move {
        let api = api(&env, 1024).await;
        let chunks = (0..4096).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024 * 1024]));
        let body = Body::from_stream(futures_util::stream::iter(chunks));
        let (status, _, body) = api.post(SCANS, body).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        assert!(body["detail"].as_str().unwrap().contains("1024 bytes"));

        // A body that announces 2 GB is refused before it is read.
        let request = Request::post(SCANS)
            .header(header::CONTENT_LENGTH, 2_u64 << 30)
            .body(Body::empty())
            .unwrap();
        let (status, _, _) = api.call(request).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    })
    .await;
}

#[tokio::test]
async fn tickets_list_filters_and_show_findings_and_history() {
    each_backend("api_tickets", |env| async move {
        let api = api(&env, 1 << 30).await;
        api.post(SCANS, report()).await;
        let (status, _, page) = api.get("/api/v1/tickets?cwe=CWE-89&limit=10").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page["total"], 1);
        let item = &page["items"][0];
        assert_eq!(
            (item["key"].as_str(), item["severity"].as_str()),
            (Some("SEC-1"), Some("critical"))
        );
        assert_eq!(item["cwes"], json!([89]));

        let (status, content_type, problem) = api.get("/api/v1/tickets?page=-1").await;
        assert_eq!(
            (status, content_type.as_str()),
            (StatusCode::BAD_REQUEST, "application/problem+json")
        );
        assert!(problem["detail"].as_str().unwrap().contains("page"), "{problem}");
        let (status, content_type, _) = api.get("/api/v1/nothing-here").await;
        assert_eq!(
            (status, content_type.as_str()),
            (StatusCode::NOT_FOUND, "application/problem+json")
        );

        let (status, _, problem) = api.get("/api/v1/tickets?severity=urgent").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(problem["detail"].as_str().unwrap().contains("severity"));

        let (status, _, ticket) = api.get("/api/v1/tickets/SEC-1").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ticket["findings"][0]["finding"]["location"]["start_line"], 10);
        assert_eq!(ticket["events"][0]["kind"], "opened");
        let (status, _, problem) = api.get("/api/v1/tickets/SEC-999").await;
        assert_eq!((status, problem["status"].clone()), (StatusCode::NOT_FOUND, json!(404)));
    })
    .await;
}

#[tokio::test]
async fn tickets_are_opened_by_hand_and_moved_along_the_workflow() {
    each_backend("api_workflow", |env| async move {
        let api = api(&env, 1 << 30).await;
        let (status, _, created) = api
            .post_json("/api/v1/tickets", json!({"type": "incident", "title": "Checkout down"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["key"], "INC-1");

        let triage = json!({"state": "triaged", "owner": "dana", "due_at": "2026-12-10T00:00:00Z"});
        let (status, _, moved) = api.post_json("/api/v1/tickets/INC-1/transitions", triage).await;
        assert_eq!((status, moved["state"].clone()), (StatusCode::OK, json!("triaged")));

        let (status, _, problem) =
            api.post_json("/api/v1/tickets/INC-1/transitions", json!({"state": "verified"})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains("cannot move from triaged to verified")
        );

        let (status, _, problem) = api
            .post_json(
                "/api/v1/tickets/INC-1/transitions",
                json!({"state": "fixed", "colour": "red"}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(problem["detail"].as_str().unwrap().contains("colour"), "{problem}");

        let (status, _, _) =
            api.post_json("/api/v1/tickets/INC-1/comments", json!({"text": "paged on-call"})).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, _, ticket) = api.get("/api/v1/tickets/INC-1").await;
        assert_eq!(ticket["events"].as_array().unwrap().len(), 5, "{}", ticket["events"]);
    })
    .await;
}

/// The policy's incident workflow: developers investigate and mitigate
/// (with a reason), security alone closes.
const INCIDENT_WORKFLOW: &str = r#"
[workflow.incident]
[[workflow.incident.state]]
name = "new"
means = "new"
[[workflow.incident.state]]
name = "investigating"
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
from = "mitigated"
to = "closed"
roles = ["security"]
"#;

#[tokio::test]
async fn moves_through_the_api_follow_the_policy_s_workflow() {
    each_backend("api_custom_workflow", |env| async move {
        let api = api(&env, 1 << 30).await;
        env.fixgate.load_triage_policy(INCIDENT_WORKFLOW, "admin").await.unwrap();
        env.fixgate.add_owner("payments", "ops").await.unwrap();
        let developer =
            service_token(&env.fixgate, "oncall", Role::Developer, None, &["ops"]).await;
        let incident =
            json!({"type": "incident", "title": "Checkout down", "application": "payments"});
        let (status, _, created) = api.post_json("/api/v1/tickets", incident).await;
        assert_eq!((status, created["status"].clone()), (StatusCode::CREATED, json!("new")));

        const MOVE: &str = "/api/v1/tickets/INC-1/transitions";
        let by = |token: &str, body: Value| {
            Request::post(MOVE)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap()
        };
        let refusals = [
            ("mitigated", StatusCode::CONFLICT, "an incident cannot move from new to mitigated"),
            ("triaged", StatusCode::BAD_REQUEST, "an incident has no state \"triaged\""),
        ];
        for (state, expected, says) in refusals {
            let (status, _, problem) = api.call(by(&developer, json!({"state": state}))).await;
            assert_eq!(status, expected, "{problem}");
            assert!(problem["detail"].as_str().unwrap().starts_with(says), "{problem}");
        }

        let (status, _, moved) = api.call(by(&developer, json!({"state": "investigating"}))).await;
        assert_eq!(status, StatusCode::OK, "{moved}");
        assert_eq!(
            (moved["state"].as_str(), moved["status"].as_str()),
            (Some("in_progress"), Some("investigating"))
        );
        let (status, _, problem) = api.call(by(&developer, json!({"state": "mitigated"}))).await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        assert_eq!(
            problem["detail"],
            "moving an incident from investigating to mitigated needs a reason (`reason`)"
        );
        let mitigate = json!({"state": "mitigated", "reason": "rolled back to 1.4"});
        let (status, _, moved) = api.call(by(&developer, mitigate)).await;
        assert_eq!((status, moved["status"].clone()), (StatusCode::OK, json!("mitigated")));

        let (status, _, problem) = api.call(by(&developer, json!({"state": "closed"}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
        assert_eq!(
            problem["detail"],
            "moving an incident from mitigated to closed needs the role security; \
             you have developer"
        );
        let (status, _, closed) = api.post_json(MOVE, json!({"state": "closed"})).await;
        assert_eq!(status, StatusCode::OK, "{closed}");
        assert_eq!(
            (closed["state"].as_str(), closed["status"].as_str()),
            (Some("closed"), Some("closed"))
        );
        let last = closed["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["data"]["from_status"].clone(), last["data"]["status"].clone()),
            (json!("mitigated"), json!("closed"))
        );
    })
    .await;
}

#[tokio::test]
async fn tickets_opened_by_hand_carry_the_policy_s_triage() {
    each_backend("api_hand_triage", |env| async move {
        let api = api(&env, 1 << 30).await;
        env.fixgate.add_owner("shop", "shop-team").await.unwrap();
        let incident = json!({"type": "incident", "title": "Checkout down", "severity": "high",
                              "application": "shop"});
        let (status, _, created) = api.post_json("/api/v1/tickets", incident.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["owner"], "shop-team", "{}: {created}", env.backend);
        assert_eq!(created["routed_by"], "owning team of shop");
        assert_eq!(created["priority"], "high");
        assert_eq!(created["triage"]["priority_reason"], "severity high");
        // 2026-12-01 09:00 UTC and the default policy's 30 days for high.
        assert_eq!(created["due"], "2026-12-31", "{created}");
        assert_eq!(created["sla"], "on_track");

        let given = json!({"type": "task", "title": "Rotate the signing key", "priority": "critical",
                           "owner": "platform", "application": "shop"});
        let (status, _, created) = api.post_json("/api/v1/tickets", given.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["priority"], "critical");
        // The actor is the token's holder and the token.
        assert!(created["routed_by"].as_str().unwrap().starts_with("set by triage-bot (token "));
        assert_eq!(created["triage"]["priority_reason"], created["routed_by"]);

        // A priority is security's decision; a developer opens without one.
        let developer = service_token(&env.fixgate, "dev", Role::Developer, None, &["shop-team"]);
        let bearer = format!("Bearer {}", developer.await);
        let as_developer = |body: &Value| {
            Request::post("/api/v1/tickets")
                .header(header::AUTHORIZATION, bearer.as_str())
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap()
        };
        let (status, _, problem) = api.call(as_developer(&given)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}: {problem}", env.backend);
        let (status, _, created) = api.call(as_developer(&incident)).await;
        assert_eq!((status, created["priority"].clone()), (StatusCode::CREATED, json!("high")));

        let past = json!({"type": "task", "title": "Late", "due_at": "2020-01-01T00:00:00Z"});
        let (status, _, problem) = api.post_json("/api/v1/tickets", past).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(problem["detail"].as_str().unwrap().contains("due_at"), "{problem}");
    })
    .await;
}

#[tokio::test]
async fn the_triage_policy_has_its_own_body_limit() {
    each_backend("api_policy_limit", |env| async move {
        let api = api(&env, 1 << 30).await;
        let put = |body: Vec<u8>| {
            Request::put("/api/v1/triage-policy")
                .header(header::CONTENT_TYPE, "application/toml")
                .body(Body::from(body))
                .unwrap()
        };
        // A policy with a route per application runs past 64 KiB.
        let mut policy = String::from("[sla.days]\ncritical = 5\n");
        for n in 0.. {
            if policy.len() >= 100 * 1024 {
                break;
            }
            policy.push_str(&format!(
                "\n[[route]]\nname = \"app {n}\"\napplication = [\"app-{n:05}\"]\nteam = \"team-{}\"\n",
                n % 40
            ));
        }
        assert!(policy.len() > fixgate_http::MAX_BODY, "{}", policy.len());
        let (status, _, body) = api.call(put(policy.clone().into_bytes())).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{}: {body}", env.backend);
        let stored = env.fixgate.stored_triage_policy().await.unwrap().unwrap();
        assert_eq!(stored.content, policy);
        let routes = policy.matches("[[route]]").count();
        assert_eq!(env.fixgate.triage_policy().await.unwrap().route_count(), routes);

        let too_large = vec![b'#'; fixgate_service::MAX_POLICY_BYTES + 1];
        let (status, content_type, problem) = api.call(put(too_large)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(problem["title"], "Policy too large");
        assert!(problem["detail"].as_str().unwrap().contains("1048576 bytes"), "{problem}");
        let kept = env.fixgate.stored_triage_policy().await.unwrap().unwrap();
        assert_eq!(kept.content, policy, "a refused file changes nothing");

        // Other JSON routes keep the general limit.
        let big = json!({"type": "task", "title": "x".repeat(fixgate_http::MAX_BODY)});
        let (status, _, problem) = api.post_json("/api/v1/tickets", big).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    })
    .await;
}

#[tokio::test]
async fn every_change_names_the_token_that_made_it() {
    each_backend("api_token", |env| async move {
        let api = api(&env, 1 << 30).await;
        let bare = Request::post(SCANS).header(header::AUTHORIZATION, "Bearer fgt_nope");
        let (status, _, problem) = api.call(bare.body(Body::from(report())).unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("not a fixgate token"), "{problem}");

        let ci = service_token(&env.fixgate, "ci", Role::Scanner, None, &[]).await;
        let request = Request::post(SCANS)
            .header(header::AUTHORIZATION, format!("Bearer {ci}"))
            .body(Body::from(report()))
            .unwrap();
        let (status, _, body) = api.call(request).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let key = body["opened_tickets"][0].as_str().unwrap().to_string();
        let (_, _, ticket) = api.get(&format!("/api/v1/tickets/{key}")).await;
        let id = env.fixgate.store().tokens(None).await.unwrap()[0].id;
        assert_eq!(ticket["events"][0]["actor"], format!("ci (token {id})"));

        let comment = json!({"text": "looking"});
        let (status, _, _) =
            api.post_json(&format!("/api/v1/tickets/{key}/comments"), comment).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, _, ticket) = api.get(&format!("/api/v1/tickets/{key}")).await;
        let last = ticket["events"].as_array().unwrap().last().unwrap().clone();
        assert!(last["actor"].as_str().unwrap().starts_with("triage-bot (token "), "{last}");
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    each_backend("api_openapi", |env| async move {
        let api = api(&env, 1 << 30).await;
        let (status, _, doc) = api.get("/api/v1/openapi.json").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(doc["openapi"], "3.1.0");
        for route in fixgate_http::route_table() {
            let Some(path) = route.path.strip_prefix("/api/v1") else { continue };
            let operation = &doc["paths"][route.path][route.method.to_lowercase()];
            assert!(operation.is_object(), "{} {path} is not in openapi.json", route.method);
        }
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_lists_every_report_format() {
    each_backend("api_openapi_formats", |env| async move {
        let api = api(&env, 1 << 30).await;
        let (_, _, doc) = api.get("/api/v1/openapi.json").await;
        let parameters = doc["paths"]["/api/v1/scans"]["post"]["parameters"].as_array().unwrap();
        let format = parameters.iter().find(|p| p["name"] == "format").unwrap();
        let listed: Vec<&str> = format["schema"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let ours: Vec<&str> = fixgate_intake::formats::FORMATS.iter().map(|f| f.name).collect();
        assert_eq!(listed, ours);
    })
    .await;
}

#[tokio::test]
async fn any_supported_format_is_detected_and_an_unknown_one_is_explained() {
    each_backend("api_formats", |env| async move {
        let api = api(&env, 1 << 30).await;
        let bytes = std::fs::read(examples().join("v1/checkov.json")).unwrap();
        let (status, _, body) = api.post("/api/v1/scans?application=vulnshop", bytes).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["format"], "checkov");
        assert_eq!((body["findings"].clone(), body["suppressed"].clone()), (json!(28), json!(1)));

        let (status, _, body) =
            api.post("/api/v1/scans?application=vulnshop", r#"{"hello": "world"}"#).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains("a JSON object with the keys hello"), "{detail}");
        assert!(detail.contains("trivy") && detail.contains("cyclonedx"), "{detail}");

        // Forced to a format it is not: the parser says what is wrong.
        let bytes = std::fs::read(examples().join("v1/bandit.json")).unwrap();
        let (status, _, body) =
            api.post("/api/v1/scans?application=vulnshop&format=cyclonedx", bytes).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    })
    .await;
}

#[tokio::test]
async fn the_example_reports_import_through_the_api() {
    each_backend("api_examples", |env| async move {
        let api = api(&env, 1 << 30).await;
        let bytes = std::fs::read(examples().join("v1/semgrep.sarif")).unwrap();
        let (status, _, body) = api.post("/api/v1/scans?application=vulnshop", bytes).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!((body["opened"].clone(), body["suppressed"].clone()), (json!(23), json!(1)));
        assert_eq!(body["tools"], json!(["Semgrep OSS"]));
    })
    .await;
}

#[tokio::test]
async fn channels_are_created_listed_and_removed_by_an_administrator() {
    each_backend("api_channels", |env| async move {
        let api = api(&env, 1 << 20).await;
        let admin = service_token(&env.fixgate, "admin-bot", Role::Administrator, None, &[]).await;
        let call = |method: &str, uri: &str, body: Option<Value>| {
            let mut request = Request::builder()
                .method(method)
                .uri(uri)
                .header(header::AUTHORIZATION, format!("Bearer {admin}"));
            if body.is_some() {
                request = request.header(header::CONTENT_TYPE, "application/json");
            }
            let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
            request.body(body).unwrap()
        };

        let hook = json!({"name": "siem", "kind": "webhook",
                          "target": "https://siem.example.com/in/t0k3n", "team": "shop-team",
                          "events": ["breached", "reopened"], "digest": "daily@17"});
        let (status, _, created) = api.call(call("POST", "/api/v1/channels", Some(hook))).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["secret"].as_str().unwrap().len(), 64);
        assert_eq!(created["channel"]["digest"], "daily@17");
        assert_eq!(created["channel"]["target"], "https://siem.example.com/…");

        let (status, _, listed) = api.call(call("GET", "/api/v1/channels", None)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(listed[0]["events"], json!(["breached", "reopened"]));
        assert!(!listed.to_string().contains("t0k3n") && listed[0].get("secret").is_none());

        for (body, expected) in [
            (json!({"name": "x", "kind": "pager", "target": "https://a.example"}), "unknown variant"),
            (json!({"name": "x", "kind": "slack", "target": "https://a.example", "digest": "hourly"}),
             "hourly"),
            (json!({"name": "a b", "kind": "slack", "target": "https://a.example"}), "name"),
        ] {
            let (status, _, problem) = api.call(call("POST", "/api/v1/channels", Some(body))).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
            assert!(problem["detail"].as_str().unwrap().contains(expected), "{problem}");
        }

        let (status, _, removed) = api.call(call("DELETE", "/api/v1/channels/siem", None)).await;
        assert_eq!((status, removed["given_up"].as_u64()), (StatusCode::OK, Some(0)));
        let (status, _, _) = api.call(call("DELETE", "/api/v1/channels/siem", None)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = api.get("/api/v1/channels").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "security may not manage channels");
    })
    .await;
}
