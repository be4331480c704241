//! The ticket list: a filter form whose values live in the URL (so a
//! filtered list is a link to share), one page of matching tickets, and
//! links to the neighbouring pages. It filters exactly as the API does,
//! through [`TicketQuery`]. A role that works on tickets also gets the
//! bulk change form (see `bulk.rs`) and a box to tick on each row.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use fixgate_domain::triage::{Priority, SlaStatus};
use fixgate_domain::{Severity, TicketState, TicketType};
use fixgate_store::{FilterValues, Page, TicketRow};

use fixgate_domain::Action;

use super::bulk::BulkForm;
use super::error::PageError;
use super::view::{count_of, date, severity_label};
use super::views::SavedViews;
use super::{Nav, render};
use crate::AppState;
use crate::auth::SignedIn;
use crate::filters::TicketQuery;

const PAGE_SIZE: u32 = 50;

#[derive(Template)]
#[template(path = "tickets.html")]
struct ListPage {
    /// Where the filter form goes.
    action: &'static str,
    fields: Vec<Field>,
    /// Filters the form has no control for, kept when it is sent again.
    hidden: Vec<(&'static str, String)>,
    saved: SavedViews,
    /// Why the filters could not be applied.
    error: Option<String>,
    filtered: bool,
    /// `1,234 tickets`.
    total: String,
    /// `51–100`, when the list is not empty.
    showing: Option<String>,
    rows: Vec<Row>,
    /// What to say when there are no rows.
    empty: &'static str,
    previous: Option<String>,
    next: Option<String>,
    /// The bulk change form, for a role that works on tickets; its rows
    /// then get a box to tick.
    bulk: Option<BulkForm>,
    nav: Option<Nav>,
}

/// One control of the filter form: a select when it has options, else a
/// text box.
pub(super) struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    pub placeholder: &'static str,
    pub options: Option<Vec<Choice>>,
}

pub(super) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

struct Row {
    key: String,
    severity: Severity,
    severity_label: &'static str,
    priority: Option<Priority>,
    title: String,
    /// The custom workflow's label when the ticket has one.
    state: String,
    no_longer_seen: bool,
    owner: String,
    /// The day it is due in the policy's time zone, and the exact moment.
    due: Option<(String, String)>,
    sla: Option<SlaStatus>,
    application: String,
    tool: String,
    cwes: String,
    advisories: String,
    path: String,
    created: String,
}

pub(super) async fn page(
    State(state): State<AppState>,
    me: SignedIn,
    query: Result<Query<TicketQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    me.0.require(Action::Read)?;
    let visibility = me.0.visibility();
    let (asked, query, filter) = match query {
        Ok(Query(asked)) => {
            let query = asked.clone().for_caller(&me.0.name);
            let filter =
                query.to_filter(PAGE_SIZE, visibility.clone()).map_err(|err| err.to_string());
            (asked, query, filter)
        }
        Err(rejection) => {
            (TicketQuery::default(), TicketQuery::default(), Err(rejection.body_text()))
        }
    };
    let choices = state.fixgate.store().filter_values(&visibility).await?;

    let mut page = match filter {
        Ok(filter) => {
            let tickets = state.fixgate.list_tickets(&filter).await?;
            let total = tickets.total;
            let mut page = ListPage::found(&query, &choices, tickets);
            if me.0.require(Action::Work).is_ok() && !page.rows.is_empty() {
                let policy = state.fixgate.triage_policy().await?;
                page.bulk = Some(BulkForm::of(filter_pairs(&query), total, &policy, &me));
            }
            page
        }
        Err(message) => ListPage::rejected(&query, &choices, message),
    };
    page.nav = Nav::of(&me);
    page.saved = SavedViews::of(&state, &me, "tickets", &asked).await?;
    let status = if page.error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    render(status, &page)
}

impl ListPage {
    /// The form alone, before any ticket is read.
    fn new(query: &TicketQuery, choices: &FilterValues) -> ListPage {
        ListPage {
            action: "/tickets",
            fields: fields(query, choices),
            hidden: hidden(query),
            saved: SavedViews::default(),
            error: None,
            filtered: query.is_filtered(),
            total: String::new(),
            showing: None,
            rows: Vec::new(),
            empty: "",
            previous: None,
            next: None,
            bulk: None,
            nav: None,
        }
    }

    fn found(query: &TicketQuery, choices: &FilterValues, tickets: Page<TicketRow>) -> ListPage {
        let first = u64::from(tickets.page.saturating_sub(1)) * u64::from(tickets.limit);
        let last = first + tickets.items.len() as u64;
        let last_page = u32::try_from(tickets.total.div_ceil(u64::from(tickets.limit).max(1)))
            .unwrap_or(u32::MAX)
            .max(1);
        let link = |page| page_link(query, page);
        ListPage {
            showing: (last > first).then(|| format!("{}–{last}", first + 1)),
            // Past the end, "previous" leads back to the last page.
            previous: (tickets.page > 1).then(|| link((tickets.page - 1).min(last_page))),
            next: (last > first && last < tickets.total).then(|| link(tickets.page + 1)),
            empty: empty_message(query, tickets.total),
            total: count_of(tickets.total, "ticket", "tickets"),
            rows: tickets.items.iter().map(Row::of).collect(),
            ..ListPage::new(query, choices)
        }
    }

    fn rejected(query: &TicketQuery, choices: &FilterValues, message: String) -> ListPage {
        ListPage { error: Some(message), ..ListPage::new(query, choices) }
    }
}

fn empty_message(query: &TicketQuery, total: u64) -> &'static str {
    if total > 0 {
        "This page is past the end of the list."
    } else if query.is_filtered() {
        "No tickets match these filters."
    } else {
        "No tickets yet. Tickets open when a scan report is imported."
    }
}

impl Row {
    fn of(ticket: &TicketRow) -> Row {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        Row {
            key: ticket.key.clone(),
            severity: ticket.severity,
            severity_label: severity_label(ticket.severity),
            priority: ticket.priority,
            title: ticket.title.clone(),
            state: super::ticket::state_label(ticket),
            no_longer_seen: ticket.ticket_type == TicketType::Vulnerability && !ticket.present,
            owner: text(&ticket.owner),
            due: ticket.due.zip(ticket.due_at).map(|(day, at)| (day.to_string(), at.to_string())),
            sla: ticket.sla,
            application: text(&ticket.application),
            tool: text(&ticket.tool),
            cwes: ticket.cwes.iter().map(|id| format!("CWE-{id}")).collect::<Vec<_>>().join(", "),
            advisories: ticket.advisories.join(", "),
            path: text(&ticket.path),
            created: date(ticket.created_at),
        }
    }
}

pub(super) fn fields(query: &TicketQuery, choices: &FilterValues) -> Vec<Field> {
    let states = TicketState::ALL.map(|s| (s.as_str().to_string(), s.label().to_string()));
    let severities = Severity::ALL.map(|s| (s.as_str().to_string(), severity_label(s).into()));
    let types = TicketType::ALL.map(|t| (t.as_str().to_string(), capitalized(t.as_str())));
    let priorities = Priority::ALL.map(|p| (p.as_str().to_string(), p.label().to_string()));
    let sla = SlaStatus::ALL.map(|s| (s.as_str().to_string(), s.label().to_string()));
    let seen = [("yes", "Still seen"), ("no", "No longer seen")].map(|(v, l)| (v.into(), l.into()));
    let names = |names: &[String]| names.iter().map(|n| (n.clone(), n.clone())).collect();

    vec![
        Field::text("q", "Search", &query.q, "key, title, rule, path, CVE"),
        Field::select("state", "State", &query.state, states.into()),
        Field::select("severity", "Severity", &query.severity, severities.into()),
        Field::select("type", "Type", &query.ticket_type, types.into()),
        Field::select("priority", "Priority", &query.priority, priorities.into()),
        Field::select("owner", "Owner", &query.owner, names(&choices.owners)),
        Field::select("sla", "SLA", &query.sla, sla.into()),
        Field::select(
            "application",
            "Application",
            &query.application,
            names(&choices.applications),
        ),
        Field::select("repository", "Repository", &query.repository, names(&choices.repositories)),
        Field::select("tool", "Tool", &query.tool, names(&choices.tools)),
        Field::text("cwe", "CWE", &query.cwe, "79 or CWE-79"),
        Field::select("seen", "Seen", &query.seen, seen.into()),
        Field::select("label", "Label", &query.label, names(&choices.labels)),
        Field::select("assignee", "Assignee", &query.assignee, assignees(&choices.assignees)),
    ]
}

impl Field {
    fn text(name: &'static str, label: &'static str, value: &str, hint: &'static str) -> Field {
        Field { name, label, value: value.to_string(), placeholder: hint, options: None }
    }

    /// A select with "any" first. A value the options do not hold (a
    /// hand-written URL such as `state=new,triaged`) is added, so the form
    /// still shows the filter that is applied.
    fn select(
        name: &'static str,
        label: &'static str,
        value: &str,
        options: Vec<(String, String)>,
    ) -> Field {
        let value = value.trim();
        let mut choices =
            vec![Choice { value: String::new(), label: "any".into(), selected: false }];
        choices.extend(options.into_iter().map(|(v, label)| Choice {
            value: v,
            label,
            selected: false,
        }));
        if !value.is_empty() && !choices.iter().any(|c| c.value == value) {
            choices.push(Choice { value: value.into(), label: value.into(), selected: false });
        }
        for choice in &mut choices {
            choice.selected = choice.value == value;
        }
        Field { name, label, value: value.into(), placeholder: "", options: Some(choices) }
    }
}

/// `/tickets?…&page=N` with the same filters.
fn page_link(query: &TicketQuery, page: u32) -> String {
    let mut pairs = filter_pairs(query);
    pairs.extend(query.limit.map(|limit| ("limit", limit.to_string())));
    pairs.push(("page", page.to_string()));
    format!("/tickets?{}", serde_urlencoded::to_string(pairs).unwrap_or_default())
}

/// The query's filters as a query string, without its paging: what a saved
/// view keeps and a board column's link carries.
pub(super) fn query_string(query: &TicketQuery) -> String {
    serde_urlencoded::to_string(filter_pairs(query)).unwrap_or_default()
}

/// The filters that are set, by parameter name.
fn filter_pairs(query: &TicketQuery) -> Vec<(&'static str, String)> {
    let filters = [
        ("state", &query.state),
        ("severity", &query.severity),
        ("type", &query.ticket_type),
        ("application", &query.application),
        ("repository", &query.repository),
        ("tool", &query.tool),
        ("cwe", &query.cwe),
        ("seen", &query.seen),
        ("label", &query.label),
        ("assignee", &query.assignee),
        ("owner", &query.owner),
        ("priority", &query.priority),
        ("sla", &query.sla),
        ("key", &query.key),
        ("q", &query.q),
        ("scan", &query.scan),
        ("change", &query.change),
    ];
    filters
        .into_iter()
        .filter(|(_, value)| !value.trim().is_empty())
        .map(|(name, value)| (name, value.clone()))
        .collect()
}

/// The filters the form has no control for: a scan's changes.
pub(super) fn hidden(query: &TicketQuery) -> Vec<(&'static str, String)> {
    let kept = [("scan", &query.scan), ("change", &query.change)];
    kept.into_iter().filter(|(_, v)| !v.trim().is_empty()).map(|(n, v)| (n, v.clone())).collect()
}

/// "Nobody" first, then the people tickets are assigned to.
fn assignees(names: &[String]) -> Vec<(String, String)> {
    let nobody = ("none".to_string(), "Nobody".to_string());
    std::iter::once(nobody).chain(names.iter().map(|n| (n.clone(), n.clone()))).collect()
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
