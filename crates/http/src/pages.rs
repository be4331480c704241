//! The web pages: the ticket list with its filters and bulk changes, the
//! board by state, a person's work and saved views, repositories' scan
//! histories, the dashboard, and one ticket's page with the forms to work
//! on it, rendered on the server from compile-checked templates
//! (`templates/`) and usable without JavaScript. Report text is hostile
//! input, so templates escape everything, only `http(s)` URLs become
//! links, and a Content Security Policy that allows no script at all backs
//! both up.

mod acceptance;
mod account;
mod board;
mod bulk;
mod charts;
mod collab;
mod dashboard;
mod error;
mod forms;
mod list;
mod moves;
mod my;
mod repos;
mod ticket;
mod triage;
mod view;
mod views;

#[cfg(test)]
mod tests;

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::auth::SignedIn;
use crate::routes::Routes;
use error::PageError;

const STYLESHEET: &str = include_str!("../static/fixgate.css");

/// Changes whenever the stylesheet does. Pages ask for
/// `/static/fixgate.css?v=CSS_VERSION`, so browsers may cache it for a year
/// and still fetch a new one after an upgrade.
pub(crate) const CSS_VERSION: u64 = fnv1a(STYLESHEET.as_bytes());

/// Pages run no script, load nothing from elsewhere and post forms only here.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/", || async { Redirect::to("/tickets") })
        .get("/tickets", list::page)
        .get("/tickets/{key}", ticket::page)
        .post("/tickets/bulk", bulk::submit)
        .get("/dashboard", dashboard::page)
        .post("/tickets/{key}/move", moves::submit)
        .post("/tickets/{key}/comment", forms::comment)
        .post("/tickets/{key}/assignee", forms::assign)
        .post("/tickets/{key}/labels", forms::labels)
        .post("/tickets/{key}/priority", forms::priority)
        .post("/tickets/{key}/acceptance", acceptance::ask)
        .post("/tickets/{key}/acceptance/{verdict}", acceptance::decide)
        .get("/board", board::page)
        .get("/my", my::page)
        .get("/repos", repos::list)
        .get("/repos/{id}", repos::history)
        .get("/views", views::page)
        .post("/views", views::save)
        .get("/views/{id}", views::open)
        .post("/views/{id}/rename", views::rename)
        .post("/views/{id}/delete", views::delete)
        .get("/static/fixgate.css", stylesheet)
        .get("/login", account::sign_in_form)
        .post("/login", account::sign_in)
        .post("/logout", account::sign_out)
        .get("/account", account::page)
        .post("/account/password", account::change_password)
        .post("/account/tokens", account::create_token)
        .post("/account/tokens/{id}/revoke", account::revoke_token)
}

/// The signed-in person, as the top bar shows them.
pub(crate) struct Nav {
    pub name: String,
    pub role: &'static str,
    /// For the sign-out form.
    pub csrf: String,
}

impl Nav {
    pub(crate) fn of(me: &SignedIn) -> Option<Nav> {
        Some(Nav { name: me.0.name.clone(), role: me.0.role.as_str(), csrf: me.csrf() })
    }
}

async fn stylesheet() -> impl IntoResponse {
    let headers = [
        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
        (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
    ];
    (headers, STYLESHEET)
}

/// Headers on every response, pages and API alike.
pub(crate) async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    // A response may bring its own policy (the evidence pack's page allows
    // its inline print style sheet, and still no script); others get this.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = HeaderValue::from_static(CONTENT_SECURITY_POLICY);
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // What a signed-in person saw stays out of shared caches and the
    // browser's history cache; the stylesheet says otherwise for itself.
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    // Deep links lead to code hosts; they need not learn our ticket URLs.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

/// Renders a page with its status.
fn render(status: StatusCode, page: &impl Template) -> Result<Response, PageError> {
    Ok((status, Html(page.render()?)).into_response())
}

/// 64-bit FNV-1a, at compile time.
const fn fnv1a(mut bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    while let [byte, rest @ ..] = bytes {
        hash = (hash ^ *byte as u64).wrapping_mul(0x0100_0000_01b3);
        bytes = rest;
    }
    hash
}
