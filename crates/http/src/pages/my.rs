//! "My work": what the signed-in person should look at next. The open
//! tickets assigned to them, most urgent first (overdue, then due soon,
//! then by severity); the open tickets of one of their teams that nobody
//! has taken; and, for people who may decide, the risk acceptances waiting
//! for approval. Counts come first; a person in several teams picks one.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use fixgate_domain::{Action, TicketState};
use fixgate_store::{
    AssigneeFilter, Page, PendingAcceptance, TicketFilter, TicketOrder, TicketRow,
};
use serde::Deserialize;

use super::board::Card;
use super::error::PageError;
use super::view::{count, date, severity_label};
use super::views::teams_of;
use super::{Nav, render};
use crate::AppState;
use crate::auth::{SignedIn, encode_component};

/// Tickets shown per section; the section's link leads to the rest.
const SHOWN: u32 = 50;

#[derive(Template)]
#[template(path = "my.html")]
struct MyPage {
    assigned: Section,
    /// The team chosen, with its unassigned tickets.
    team: Option<(String, Section)>,
    /// The person's teams, when there is a choice.
    teams: Vec<String>,
    /// `None` for people who may not decide on risk acceptances.
    pending: Option<(String, Vec<Pending>)>,
    nav: Option<Nav>,
}

struct Section {
    count: String,
    cards: Vec<Card>,
    /// The ticket list with the same filter, when not every ticket is shown.
    more: Option<String>,
}

struct Pending {
    key: String,
    title: String,
    severity: &'static str,
    severity_class: &'static str,
    requested_by: String,
    requested: String,
    reason: String,
    expires: String,
}

#[derive(Deserialize)]
pub(super) struct MyQuery {
    team: Option<String>,
}

pub(super) async fn page(
    State(state): State<AppState>,
    me: SignedIn,
    Query(query): Query<MyQuery>,
) -> Result<Response, PageError> {
    me.0.require(Action::Read)?;
    let teams = teams_of(&state, &me).await?;
    let chosen = match query.team.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(team) if teams.iter().any(|t| t == team) => Some(team.to_string()),
        Some(team) => {
            return Err(PageError::Refused {
                status: StatusCode::BAD_REQUEST,
                message: format!("team: you are not in team {team:?}; choose one of yours"),
            });
        }
        // Without a choice, the first team by name: one team's queue at a
        // time keeps the section one list, most urgent first.
        None => teams.first().cloned(),
    };

    let mine = open_filter(&me, |f| f.assignee = Some(AssigneeFilter::Person(me.0.name.clone())));
    let assigned = state.fixgate.list_tickets(&mine).await?;
    let assigned = Section::of(&assigned, "assignee=me&state=".to_string());
    let team = match chosen {
        Some(team) => {
            let filter = open_filter(&me, |f| {
                f.owner = Some(team.clone());
                f.assignee = Some(AssigneeFilter::Nobody);
            });
            let tickets = state.fixgate.list_tickets(&filter).await?;
            let link = format!("owner={}&assignee=none&state=", encode_component(&team));
            Some((team, Section::of(&tickets, link)))
        }
        None => None,
    };
    let pending = if me.0.role.allows(Action::Decide) {
        let (total, requests) = state.fixgate.pending_acceptances(&me.0, SHOWN).await?;
        Some((count(total), requests.iter().map(Pending::of).collect()))
    } else {
        None
    };
    let page = MyPage {
        assigned,
        team,
        teams: if teams.len() > 1 { teams } else { Vec::new() },
        pending,
        nav: Nav::of(&me),
    };
    render(StatusCode::OK, &page)
}

/// The caller's open tickets, most urgent first, narrowed by `narrow`.
fn open_filter(me: &SignedIn, narrow: impl FnOnce(&mut TicketFilter)) -> TicketFilter {
    let mut filter = TicketFilter {
        states: open_states(),
        visibility: me.0.visibility(),
        order: TicketOrder::Urgency,
        limit: SHOWN,
        page: 1,
        ..TicketFilter::default()
    };
    narrow(&mut filter);
    filter
}

fn open_states() -> Vec<TicketState> {
    TicketState::ALL.into_iter().filter(|s| s.is_open()).collect()
}

impl Section {
    /// `link` is the list's query string up to the states, which are added.
    fn of(tickets: &Page<TicketRow>, link: String) -> Section {
        let states: Vec<&str> = open_states().iter().map(|s| s.as_str()).collect();
        let shown = tickets.items.len() as u64;
        Section {
            count: count(tickets.total),
            cards: tickets.items.iter().map(Card::of).collect(),
            more: (tickets.total > shown).then(|| format!("/tickets?{link}{}", states.join(","))),
        }
    }
}

impl Pending {
    fn of(request: &PendingAcceptance) -> Pending {
        Pending {
            key: request.key.clone(),
            title: request.title.clone(),
            severity: severity_label(request.severity),
            severity_class: request.severity.as_str(),
            requested_by: request.requested_by.clone(),
            requested: date(request.requested_at),
            reason: request.reason.clone(),
            expires: date(request.expires_at),
        }
    }
}
