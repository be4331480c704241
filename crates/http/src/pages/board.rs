//! The board: a column per workflow state, each with how many tickets the
//! filters match in it and the most urgent of them as cards, and a link to
//! the list filtered to that state for the rest. It takes the list's
//! filters and form.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use fixgate_domain::triage::{Priority, SlaStatus};
use fixgate_domain::{Action, Severity};
use fixgate_service::BoardColumn;
use fixgate_store::TicketRow;

use super::error::PageError;
use super::list::{Field, fields, hidden, query_string};
use super::view::{count, severity_label};
use super::views::SavedViews;
use super::{Nav, render};
use crate::AppState;
use crate::auth::SignedIn;
use crate::filters::TicketQuery;

/// Cards shown per column; the column's link leads to the rest.
pub(super) const CARDS_PER_COLUMN: u32 = 20;

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    action: &'static str,
    fields: Vec<Field>,
    hidden: Vec<(&'static str, String)>,
    filtered: bool,
    error: Option<String>,
    columns: Vec<Column>,
    saved: SavedViews,
    nav: Option<Nav>,
}

struct Column {
    state: &'static str,
    label: &'static str,
    /// `1,234`.
    count: String,
    cards: Vec<Card>,
    /// The list of every ticket of the column, when the cards are not all.
    more: Option<String>,
}

/// A ticket as the board and "my work" show it.
pub(super) struct Card {
    pub key: String,
    pub title: String,
    pub severity: Severity,
    pub severity_label: &'static str,
    pub priority: Option<Priority>,
    pub state: String,
    pub owner: Option<String>,
    pub assignee: Option<String>,
    /// The day it is due in the policy's time zone, and the exact moment.
    pub due: Option<(String, String)>,
    pub sla: Option<SlaStatus>,
}

impl Card {
    pub(super) fn of(ticket: &TicketRow) -> Card {
        Card {
            key: ticket.key.clone(),
            title: ticket.title.clone(),
            severity: ticket.severity,
            severity_label: severity_label(ticket.severity),
            priority: ticket.priority,
            state: super::ticket::state_label(ticket),
            owner: ticket.owner.clone(),
            assignee: ticket.assignee.clone(),
            due: ticket.due.zip(ticket.due_at).map(|(day, at)| (day.to_string(), at.to_string())),
            sla: ticket.sla,
        }
    }
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
            let filter = query
                .to_filter(CARDS_PER_COLUMN, visibility.clone())
                .map_err(|err| err.to_string());
            (asked, query, filter)
        }
        Err(rejection) => {
            (TicketQuery::default(), TicketQuery::default(), Err(rejection.body_text()))
        }
    };
    let choices = state.fixgate.store().filter_values(&visibility).await?;

    let (columns, error) = match filter {
        Ok(filter) => {
            let board = state.fixgate.board(&filter, CARDS_PER_COLUMN).await?;
            (board.iter().map(|c| Column::of(c, &query)).collect(), None)
        }
        Err(message) => (Vec::new(), Some(message)),
    };
    let page = BoardPage {
        action: "/board",
        fields: fields(&query, &choices),
        hidden: hidden(&query),
        filtered: query.is_filtered(),
        columns,
        saved: SavedViews::of(&state, &me, "board", &asked).await?,
        nav: Nav::of(&me),
        error,
    };
    let status = if page.error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    render(status, &page)
}

impl Column {
    fn of(column: &BoardColumn, query: &TicketQuery) -> Column {
        let shown = column.tickets.len() as u64;
        let list = TicketQuery { state: column.state.as_str().into(), ..query.clone() };
        Column {
            state: column.state.as_str(),
            label: column.state.label(),
            count: count(column.count),
            cards: column.tickets.iter().map(Card::of).collect(),
            more: (column.count > shown).then(|| format!("/tickets?{}", query_string(&list))),
        }
    }
}
