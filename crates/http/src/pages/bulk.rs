//! Bulk changes from the ticket list. The list's form carries the filters
//! in force as hidden fields and, when the person ticks rows, their keys;
//! it applies to every ticket the filters match or only to the ticked ones
//! among them. The first step is a dry run through the service's bulk
//! change, which shows how many tickets would change and which, and which
//! would be skipped and why; confirming applies the same change and shows
//! what it did. The use case is the API's, so each ticket goes through the
//! checks one change of its kind goes through.
//!
//! The result is the answer to the confirming POST rather than a page
//! reached by a redirect: the skipped tickets' reasons are too long for a
//! URL and the server keeps no state between requests. Sending the form
//! again (a reload) changes nothing more: the tickets already changed are
//! skipped as already as asked, and a move is refused from the state it
//! led to.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::Response;
use fixgate_domain::triage::TriagePolicy;
use fixgate_domain::{Action, TicketState, TicketType};
use fixgate_service::access::parse_expiry;
use fixgate_service::{BULK_LIMIT, BulkChange, BulkOutcome};
use fixgate_store::TicketFilter;
use serde_json::{Map, Value};

use super::error::PageError;
use super::forms::{checked, value_of, words};
use super::view::count_of;
use super::{Nav, render};
use crate::auth::SignedIn;
use crate::{ApiError, AppState};

/// The list's filters, by the names of its query parameters: the hidden
/// fields the bulk form carries.
pub(super) const FILTERS: [&str; 15] = [
    "state",
    "severity",
    "type",
    "application",
    "repository",
    "tool",
    "cwe",
    "q",
    "seen",
    "assignee",
    "label",
    "owner",
    "priority",
    "sla",
    "key",
];

/// The most tickets a preview names; the count covers them all.
const SHOWN: usize = 100;

#[derive(Template)]
#[template(path = "bulk.html")]
struct BulkPage {
    /// The list the change came from, with its filters.
    back: String,
    /// Why the change cannot be made, with the page's status.
    error: Option<String>,
    dry_run: bool,
    /// `12 tickets`.
    matched: String,
    /// `5 tickets`.
    changed: String,
    changed_count: u64,
    /// The tickets that would change (on a preview), at most [`SHOWN`].
    changing: Vec<Listed>,
    /// How many more would change than `changing` names.
    more: u64,
    skipped: Vec<Listed>,
    /// More tickets matched than one change takes.
    capped: Option<String>,
    /// The change, one part a line.
    parts: Vec<String>,
    /// What the confirming form sends again.
    fields: Vec<(String, String)>,
    csrf: String,
    nav: Option<Nav>,
}

/// A ticket the page names: why it is skipped, or what it is.
struct Listed {
    key: String,
    text: String,
}

/// The bulk form on the list page.
pub(super) struct BulkForm {
    /// The filters in force, as hidden fields.
    pub filters: Vec<(&'static str, String)>,
    /// `All 12 tickets the filters match`.
    pub everything: String,
    pub states: Vec<(String, String)>,
    pub csrf: String,
}

impl BulkForm {
    /// The form for the list `query` selects, `total` tickets long, offering
    /// the moves `me`'s role may try.
    pub(super) fn of(
        filters: Vec<(&'static str, String)>,
        total: u64,
        policy: &TriagePolicy,
        me: &SignedIn,
    ) -> BulkForm {
        let filtered = !filters.is_empty();
        let tickets = count_of(total, "ticket", "tickets");
        BulkForm {
            filters,
            everything: if filtered {
                format!("All {tickets} the filters match")
            } else {
                format!("All {tickets} you can see")
            },
            states: move_targets(policy, me.0.require(Action::Decide).is_ok()),
            csrf: me.csrf(),
        }
    }
}

/// The states a bulk move may lead to: the built-in ones a person moves to
/// (the decisions only for a role that decides; a risk is accepted by
/// request and approval), then the custom workflows' states.
fn move_targets(policy: &TriagePolicy, decides: bool) -> Vec<(String, String)> {
    let built_in = TicketState::ALL.into_iter().filter(|state| {
        let by_scan_or_approval =
            matches!(state, TicketState::New | TicketState::Verified | TicketState::RiskAccepted);
        let decision =
            state.is_decision() || matches!(state, TicketState::Closed | TicketState::Duplicate);
        !by_scan_or_approval && (decides || !decision)
    });
    let mut targets: Vec<(String, String)> =
        built_in.map(|s| (s.as_str().to_string(), s.label().to_string())).collect();
    for ticket_type in TicketType::ALL {
        let Some(workflow) = policy.workflow(ticket_type).filter(|w| !w.is_built_in()) else {
            continue;
        };
        for state in workflow.states() {
            if !targets.iter().any(|(name, _)| *name == state.name) {
                let label = format!("{} ({})", state.label, ticket_type.as_str());
                targets.push((state.name.clone(), label));
            }
        }
    }
    targets
}

pub(super) async fn submit(
    State(state): State<AppState>,
    me: SignedIn,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, PageError> {
    let pairs = checked(&me, form, |pairs| value_of(pairs, "csrf"))?;
    let dry_run = value_of(&pairs, "step") != "apply";
    let mut page = BulkPage::new(&pairs, &me);

    let outcome = async {
        me.0.require(Action::Work)?;
        let filter = filter(&pairs, &me)?;
        let change = change(&pairs, &me)?;
        let outcome = state.fixgate.bulk_change(&filter, &change, dry_run, &me.0).await?;
        Ok::<_, ApiError>((filter, change, outcome))
    }
    .await;
    match outcome {
        Ok((filter, change, outcome)) => {
            page.parts = parts(&change);
            let names = if dry_run { changing(&state, &filter, &outcome).await? } else { vec![] };
            page.show(outcome, names);
            render(StatusCode::OK, &page)
        }
        Err(ApiError::Client { status, detail, .. }) => {
            page.error = Some(detail);
            render(status, &page)
        }
        Err(other) => Err(other.into()),
    }
}

/// The tickets the change takes: the list's filters, narrowed to the
/// ticked rows when the form says so.
fn filter(pairs: &[(String, String)], me: &SignedIn) -> Result<TicketFilter, ApiError> {
    let mut fields = Map::new();
    for (name, value) in pairs.iter().filter(|(name, _)| FILTERS.contains(&name.as_str())) {
        fields.insert(name.clone(), Value::String(value.clone()));
    }
    if value_of(pairs, "apply_to") == "ticked" {
        // Ticked rows narrow a list of chosen keys; they never widen it.
        let listed = words(value_of(pairs, "key"));
        let keys: Vec<&str> = pairs
            .iter()
            .filter(|(name, value)| name == "pick" && !value.trim().is_empty())
            .map(|(_, key)| key.as_str())
            .filter(|key| listed.is_empty() || listed.iter().any(|l| l.eq_ignore_ascii_case(key)))
            .collect();
        if keys.is_empty() {
            return Err(ApiError::bad_request(
                "no ticket is ticked: tick the tickets to change, or choose all the tickets the \
                 filters match",
            ));
        }
        fields.insert("key".into(), Value::String(keys.join(",")));
    }
    let query = crate::collab::bulk_query(fields)?.for_caller(&me.0.name);
    query.to_filter(1, me.0.visibility())
}

/// The change the form asks for; fields left empty change nothing.
fn change(pairs: &[(String, String)], me: &SignedIn) -> Result<BulkChange, ApiError> {
    let text = |name| Some(value_of(pairs, name).trim().to_string()).filter(|v| !v.is_empty());
    let due_at = match text("set_due") {
        Some(day) => Some(
            parse_expiry(&day).map_err(|err| ApiError::bad_request(format!("due date: {err}")))?,
        ),
        None => None,
    };
    let assignee = match (value_of(pairs, "unassign") == "yes", text("set_assignee")) {
        (true, Some(_)) => {
            return Err(ApiError::bad_request(
                "assignee: give a person to assign, or unassign, not both",
            ));
        }
        (true, None) => Some(None),
        (false, Some(name)) => Some(Some(crate::collab::person_name(&me.0, &name).to_string())),
        (false, None) => None,
    };
    Ok(BulkChange {
        state: text("set_state"),
        reason: text("set_reason"),
        owner: text("set_owner"),
        due_at,
        assignee,
        add_labels: words(value_of(pairs, "add_labels")),
        remove_labels: words(value_of(pairs, "remove_labels")),
        ..BulkChange::default()
    })
}

/// The change in words, one part a line: `add labels pci, edge`.
fn parts(change: &BulkChange) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(state) = &change.state {
        let mut part = format!("move to {}", state.replace('_', " "));
        let details = [("reason", &change.reason), ("owner", &change.owner)];
        for (what, value) in details {
            if let Some(value) = value {
                part.push_str(&format!(", {what} {value}"));
            }
        }
        if let Some(due) = change.due_at {
            part.push_str(&format!(", due {}", super::view::date(due)));
        }
        parts.push(part);
    }
    match &change.assignee {
        Some(Some(name)) => parts.push(format!("assign to {name}")),
        Some(None) => parts.push("unassign".into()),
        None => {}
    }
    if !change.add_labels.is_empty() {
        parts.push(format!("add labels {}", change.add_labels.join(", ")));
    }
    if !change.remove_labels.is_empty() {
        parts.push(format!("remove labels {}", change.remove_labels.join(", ")));
    }
    parts
}

/// The tickets a dry run would change, in the list's order: those the
/// change considered, less those it would skip.
async fn changing(
    state: &AppState,
    filter: &TicketFilter,
    outcome: &BulkOutcome,
) -> Result<Vec<Listed>, PageError> {
    let (_, tickets) = state.fixgate.store().matching_tickets(filter, BULK_LIMIT).await?;
    let skipped = |key: &String| outcome.skipped.iter().any(|s| s.key == *key);
    Ok(tickets
        .into_iter()
        .filter(|ticket| !skipped(&ticket.key))
        .take(SHOWN)
        .map(|ticket| Listed { key: ticket.key, text: ticket.title })
        .collect())
}

impl BulkPage {
    fn new(pairs: &[(String, String)], me: &SignedIn) -> BulkPage {
        let filters: Vec<(&str, &str)> = pairs
            .iter()
            .filter(|(name, value)| FILTERS.contains(&name.as_str()) && !value.trim().is_empty())
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let query = serde_urlencoded::to_string(&filters).unwrap_or_default();
        BulkPage {
            back: if query.is_empty() { "/tickets".into() } else { format!("/tickets?{query}") },
            error: None,
            dry_run: value_of(pairs, "step") != "apply",
            matched: String::new(),
            changed: String::new(),
            changed_count: 0,
            changing: Vec::new(),
            more: 0,
            skipped: Vec::new(),
            capped: None,
            parts: Vec::new(),
            fields: pairs
                .iter()
                .filter(|(name, _)| !matches!(name.as_str(), "csrf" | "step"))
                .cloned()
                .collect(),
            csrf: me.csrf(),
            nav: Nav::of(me),
        }
    }

    fn show(&mut self, outcome: BulkOutcome, changing: Vec<Listed>) {
        self.matched = count_of(outcome.matched, "ticket", "tickets");
        self.changed = count_of(outcome.changed, "ticket", "tickets");
        self.changed_count = outcome.changed;
        self.more = outcome.changed.saturating_sub(changing.len() as u64);
        self.changing = changing;
        self.capped = outcome.capped.then(|| {
            format!(
                "More tickets match than one change takes: only the first {} were considered. \
                 Run the change again for the rest.",
                outcome.limit
            )
        });
        self.skipped = outcome
            .skipped
            .into_iter()
            .map(|skipped| Listed { key: skipped.key, text: skipped.reason })
            .collect();
    }
}
