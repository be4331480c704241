//! Saved views: a signed-in person names the filters of the ticket list or
//! the board, finds them in the page's side panel, opens, renames and
//! deletes them, and may share one with a team of theirs. Saving, renaming
//! and deleting are CSRF-checked forms; a refused form shows the views page
//! again with the reason.

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use fixgate_domain::Action;
use fixgate_service::{MAX_VIEW_NAME, ServiceError};
use fixgate_store::{SavedView, StoreError};
use serde::Deserialize;

use super::error::PageError;
use super::forms::checked;
use super::list::query_string;
use super::{Nav, render};
use crate::AppState;
use crate::auth::SignedIn;
use crate::filters::TicketQuery;

/// The side panel of the list and the board: the person's views and the
/// form that saves the current filters.
#[derive(Default)]
pub(super) struct SavedViews {
    pub views: Vec<ViewLink>,
    pub csrf: String,
    /// The page the form saves a view of.
    pub page: &'static str,
    /// The filters the form saves.
    pub query: String,
    /// The teams a view may be shared with.
    pub teams: Vec<String>,
    pub max_name: usize,
}

pub(super) struct ViewLink {
    pub id: i64,
    pub name: String,
    pub page: String,
    pub owner: String,
    pub own: bool,
    pub team: Option<String>,
}

impl SavedViews {
    pub(super) async fn of(
        state: &AppState,
        me: &SignedIn,
        page: &'static str,
        query: &TicketQuery,
    ) -> Result<SavedViews, PageError> {
        Ok(SavedViews {
            views: views_of(state, me).await?,
            csrf: me.csrf(),
            page,
            query: query_string(query),
            teams: teams_of(state, me).await?,
            max_name: MAX_VIEW_NAME,
        })
    }
}

async fn views_of(state: &AppState, me: &SignedIn) -> Result<Vec<ViewLink>, PageError> {
    let views = state.fixgate.saved_views(&me.0).await?;
    Ok(views.into_iter().map(|view| ViewLink::of(view, &me.0.name)).collect())
}

pub(super) async fn teams_of(state: &AppState, me: &SignedIn) -> Result<Vec<String>, PageError> {
    let user = state.fixgate.store().user(&me.0.name).await?;
    Ok(user.map(|u| u.teams).unwrap_or_default())
}

impl ViewLink {
    fn of(view: SavedView, me: &str) -> ViewLink {
        ViewLink {
            id: view.id,
            own: view.owner == me,
            name: view.name,
            page: view.page,
            owner: view.owner,
            team: view.team,
        }
    }
}

#[derive(Template)]
#[template(path = "saved.html")]
struct ViewsPage {
    views: Vec<ViewLink>,
    csrf: String,
    max_name: usize,
    message: Option<String>,
    error: Option<String>,
    nav: Option<Nav>,
}

/// `GET /views`: every view the person sees, their own with forms to
/// rename and delete them.
pub(super) async fn page(
    State(state): State<AppState>,
    me: SignedIn,
) -> Result<Response, PageError> {
    me.0.require(Action::Read)?;
    views_page(&state, &me, StatusCode::OK, None, None).await
}

async fn views_page(
    state: &AppState,
    me: &SignedIn,
    status: StatusCode,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let page = ViewsPage {
        views: views_of(state, me).await?,
        csrf: me.csrf(),
        max_name: MAX_VIEW_NAME,
        message,
        error,
        nav: Nav::of(me),
    };
    render(status, &page)
}

#[derive(Deserialize)]
pub(super) struct SaveForm {
    csrf: String,
    name: String,
    page: String,
    #[serde(default)]
    query: String,
    team: Option<String>,
}

/// `POST /views`: saves the filters, then opens the saved view.
pub(super) async fn save(
    State(state): State<AppState>,
    me: SignedIn,
    form: Result<Form<SaveForm>, FormRejection>,
) -> Result<Response, PageError> {
    let form = checked(&me, form, |f| &f.csrf)?;
    me.0.require(Action::Read)?;
    // Only filters the pages understand are kept, in their own spelling.
    let query = match serde_urlencoded::from_str::<TicketQuery>(&form.query) {
        Ok(query) => query_string(&query),
        Err(err) => {
            let error = format!("query: the filters cannot be read: {err}");
            return views_page(&state, &me, StatusCode::BAD_REQUEST, None, Some(error)).await;
        }
    };
    let team = form.team.as_deref();
    match state.fixgate.save_view(&me.0, &form.name, &form.page, &query, team).await {
        Ok(id) => Ok(Redirect::to(&format!("/views/{id}")).into_response()),
        Err(err) => refused(&state, &me, err).await,
    }
}

/// `GET /views/{id}`: the page the view was saved from, with its filters.
pub(super) async fn open(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    me.0.require(Action::Read)?;
    let view = state.fixgate.saved_view(view_id(&id)?, &me.0).await?;
    let page = if view.page == "board" { "/board" } else { "/tickets" };
    let target =
        if view.query.is_empty() { page.to_string() } else { format!("{page}?{}", view.query) };
    Ok(Redirect::to(&target).into_response())
}

#[derive(Deserialize)]
pub(super) struct RenameForm {
    csrf: String,
    name: String,
}

pub(super) async fn rename(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<String>,
    form: Result<Form<RenameForm>, FormRejection>,
) -> Result<Response, PageError> {
    let form = checked(&me, form, |f| &f.csrf)?;
    me.0.require(Action::Read)?;
    match state.fixgate.rename_view(&me.0, view_id(&id)?, &form.name).await {
        Ok(()) => {
            let message = Some(format!("The view is now named {:?}.", form.name.trim()));
            views_page(&state, &me, StatusCode::OK, message, None).await
        }
        Err(err) => refused(&state, &me, err).await,
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: String,
}

pub(super) async fn delete(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<String>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, PageError> {
    checked(&me, form, |f| &f.csrf)?;
    me.0.require(Action::Read)?;
    state.fixgate.delete_view(&me.0, view_id(&id)?).await?;
    Ok(Redirect::to("/views").into_response())
}

/// The views page again with why a form was refused; other failures are
/// the usual error pages.
async fn refused(
    state: &AppState,
    me: &SignedIn,
    err: ServiceError,
) -> Result<Response, PageError> {
    let status = match &err {
        ServiceError::Invalid(_) | ServiceError::Store(StoreError::Invalid(_)) => {
            StatusCode::BAD_REQUEST
        }
        ServiceError::Store(StoreError::Conflict(_)) => StatusCode::CONFLICT,
        _ => return Err(err.into()),
    };
    let message = match err {
        ServiceError::Store(StoreError::Invalid(why) | StoreError::Conflict(why)) => why,
        other => other.to_string(),
    };
    views_page(state, me, status, None, Some(format!("The view was not saved. {message}"))).await
}

fn view_id(id: &str) -> Result<i64, PageError> {
    id.parse().map_err(|_| PageError::NotFound(format!("The saved view {id} does not exist.")))
}
