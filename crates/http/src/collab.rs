//! The API's routes for working on tickets together: the assignee, the
//! watchers, labels, links between tickets, and bulk changes. Each change
//! answers with the ticket as the caller sees it; a bulk change answers
//! with what it did.

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use fixgate_domain::{Action, LinkKind};
use fixgate_service::{BulkChange, Principal};
use fixgate_store::{TicketDetail, Visibility};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::api::{JsonBody, visible_ticket};
use crate::auth::Caller;
use crate::filters::TicketQuery;
use crate::routes::Routes;
use crate::{ApiError, AppState};

pub(crate) fn routes() -> Routes {
    Routes::new()
        .put("/api/v1/tickets/{key}/assignee", assign)
        .put("/api/v1/tickets/{key}/watchers/{name}", watch)
        .delete("/api/v1/tickets/{key}/watchers/{name}", unwatch)
        .post("/api/v1/tickets/{key}/labels", change_labels)
        .post("/api/v1/tickets/{key}/links", link)
        .delete("/api/v1/tickets/{key}/links/{kind}/{target}", unlink)
        .post("/api/v1/tickets/bulk", bulk)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Assignee {
    /// A person's name; `null` unassigns.
    #[serde(deserialize_with = "given")]
    assignee: Option<Option<String>>,
}

async fn assign(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
    JsonBody(request): JsonBody<Assignee>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Work)?;
    let assignee = match request.assignee {
        Some(Some(name)) if name.trim().is_empty() => None,
        given => given,
    }
    .ok_or_else(|| ApiError::bad_request("assignee: give a person's name, or null to unassign"))?;
    let assignee = assignee.as_deref().map(|name| person_name(&caller, name));
    let visibility = caller.visibility();
    state.fixgate.assign(&key, assignee, &visibility, &caller.actor()).await?;
    Ok(Json(visible_ticket(&state, &caller, &key).await?))
}

/// `me` in a person's place is the caller.
pub(crate) fn person_name<'a>(caller: &'a Principal, name: &'a str) -> &'a str {
    if name.trim().eq_ignore_ascii_case("me") { &caller.name } else { name.trim() }
}

/// Following a ticket oneself needs only to read it; changing who else
/// follows it is work on it.
fn watch_action(caller: &Principal, name: &str) -> Action {
    if name == caller.name { Action::Read } else { Action::Work }
}

async fn watch(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((key, name)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let name = person_name(&caller, &name);
    caller.require(watch_action(&caller, name))?;
    state.fixgate.watch(&key, name, &caller.visibility(), &caller.actor()).await?;
    Ok(Json(visible_ticket(&state, &caller, &key).await?))
}

async fn unwatch(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((key, name)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let name = person_name(&caller, &name);
    caller.require(watch_action(&caller, name))?;
    state.fixgate.unwatch(&key, name, &caller.visibility(), &caller.actor()).await?;
    Ok(Json(visible_ticket(&state, &caller, &key).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Labels {
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
}

async fn change_labels(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
    JsonBody(request): JsonBody<Labels>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Work)?;
    let (add, remove, visibility) = (&request.add, &request.remove, caller.visibility());
    state.fixgate.change_labels(&key, add, remove, &visibility, &caller.actor()).await?;
    Ok(Json(visible_ticket(&state, &caller, &key).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewLink {
    kind: String,
    target: String,
}

fn link_kind(kind: &str) -> Result<LinkKind, ApiError> {
    kind.parse().map_err(|err| ApiError::bad_request(format!("kind: {err}")))
}

async fn link(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
    JsonBody(request): JsonBody<NewLink>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Work)?;
    let kind = link_kind(&request.kind)?;
    let visibility = caller.visibility();
    state.fixgate.link(&key, kind, &request.target, &visibility, &caller.actor()).await?;
    Ok(Json(visible_ticket(&state, &caller, &key).await?))
}

/// Removing a link that is not there changes nothing and says so by the
/// ticket it answers with.
async fn unlink(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((key, kind, target)): Path<(String, String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Work)?;
    let kind = link_kind(&kind)?;
    state.fixgate.unlink(&key, kind, &target, &caller.visibility(), &caller.actor()).await?;
    Ok(Json(visible_ticket(&state, &caller, &key).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkRequest {
    /// The list's filters, by the names of its query parameters; `{}` is
    /// every ticket the caller sees, and must be said.
    filter: Map<String, Value>,
    change: BulkChange,
    #[serde(default)]
    dry_run: bool,
}

async fn bulk(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(request): JsonBody<BulkRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(Action::Work)?;
    let query = bulk_query(request.filter)?.for_caller(&caller.name);
    let filter = query.to_filter(1, caller.visibility())?;
    let mut change = request.change;
    if let Some(Some(name)) = &mut change.assignee {
        *name = person_name(&caller, name).to_string();
    }
    // The service checks a move's roles, as the workflow of each ticket's
    // type says.
    Ok(Json(state.fixgate.bulk_change(&filter, &change, request.dry_run, &caller).await?))
}

/// The list's query from a bulk change's `filter`. A field the list does
/// not know is refused rather than ignored: a misspelt filter must not
/// widen the change to every ticket. Lists may be JSON arrays.
pub(crate) fn bulk_query(filter: Map<String, Value>) -> Result<TicketQuery, ApiError> {
    let known = match serde_json::to_value(TicketQuery::default()) {
        Ok(Value::Object(fields)) => fields,
        _ => Map::new(),
    };
    let mut query = Map::new();
    for (name, value) in filter {
        if matches!(name.as_str(), "limit" | "page") {
            return Err(ApiError::bad_request(format!(
                "filter.{name}: a bulk change takes every matching ticket; leave out limit and page"
            )));
        }
        if !known.contains_key(&name) {
            let names: Vec<&str> = known
                .keys()
                .map(String::as_str)
                .filter(|n| !matches!(*n, "limit" | "page"))
                .collect();
            return Err(ApiError::bad_request(format!(
                "filter: unknown field {name:?}; the filters are {}",
                names.join(", ")
            )));
        }
        let text = filter_text(&value).ok_or_else(|| {
            ApiError::bad_request(format!("filter.{name}: give a text or a list"))
        })?;
        query.insert(name, Value::String(text));
    }
    serde_json::from_value(Value::Object(query))
        .map_err(|err| ApiError::bad_request(format!("filter: {err}")))
}

/// A filter's value as the query string has it: `["new", "triaged"]` is
/// `new,triaged`, `79` is `79`.
fn filter_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some(String::new()),
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Array(items) => {
            let texts = items.iter().map(filter_text).collect::<Option<Vec<_>>>()?;
            Some(texts.join(","))
        }
        Value::Object(_) => None,
    }
}

/// Leaves out the links to tickets the caller cannot see, and the keys of
/// such tickets that the history names (links made or removed, a move to
/// duplicate). The history keeps the event, without the key.
pub(crate) async fn hide_unseen_links(
    state: &AppState,
    visibility: &Visibility,
    detail: &mut TicketDetail,
) -> Result<(), ApiError> {
    let mut named: Vec<String> = detail.links.iter().map(|link| link.key.clone()).collect();
    for event in &detail.events {
        if let Some(key) = named_key(&event.kind).and_then(|field| event.data.get(field)) {
            named.extend(key.as_str().map(str::to_string));
        }
    }
    named.sort();
    named.dedup();
    if named.is_empty() {
        return Ok(());
    }
    let seen: HashSet<String> =
        state.fixgate.store().visible_keys(&named, visibility).await?.into_iter().collect();
    detail.links.retain(|link| seen.contains(&link.key));
    for event in &mut detail.events {
        let Some(field) = named_key(&event.kind) else { continue };
        let hidden =
            event.data.get(field).and_then(Value::as_str).is_some_and(|k| !seen.contains(k));
        if hidden && let Some(data) = event.data.as_object_mut() {
            data.insert(field.to_string(), Value::Null);
        }
    }
    Ok(())
}

/// The field of an event of `kind` that names another ticket.
fn named_key(kind: &str) -> Option<&'static str> {
    match kind {
        "link_added" | "link_removed" => Some("key"),
        "state_changed" => Some("duplicate_of"),
        _ => None,
    }
}

/// Reads `"assignee": null` as `Some(None)`, so that it differs from a
/// missing field.
fn given<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn query(filter: Value) -> Result<TicketQuery, String> {
        let Value::Object(filter) = filter else { return Err("not an object".into()) };
        bulk_query(filter).map_err(|err| err.to_string())
    }

    #[test]
    fn a_bulk_filter_reads_like_the_list_query() {
        let q = query(json!({"state": ["new", "triaged"], "cwe": 79, "application": "shop"}));
        let q = q.unwrap();
        assert_eq!(
            (q.state.as_str(), q.cwe.as_str(), q.application.as_str()),
            ("new,triaged", "79", "shop")
        );
    }

    #[test]
    fn a_misspelt_or_paged_bulk_filter_is_refused() {
        let err = query(json!({"stat": "new"})).unwrap_err();
        assert!(err.contains("unknown field \"stat\"") && err.contains("state"), "{err}");
        let err = query(json!({"page": 2})).unwrap_err();
        assert!(err.contains("leave out limit and page"), "{err}");
        let err = query(json!({"state": {"in": "new"}})).unwrap_err();
        assert!(err.contains("filter.state"), "{err}");
    }
}
