//! Signing in and out, and a person's own account: their password and
//! their API tokens.
//!
//! The sign-in form has no session yet to tie a CSRF value to, so it uses a
//! double-submit cookie: the form's hidden value must equal a cookie only
//! this site could have set. Every other form carries the session's value.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use fixgate_domain::Role;
use fixgate_service::access::{MIN_PASSWORD_CHARS, SESSION_LIFETIME};
use fixgate_service::{CreateToken, TokenHolder};
use serde::Deserialize;

use super::error::PageError;
use super::forms::checked;
use super::view::date;
use super::{Nav, render};
use crate::auth::{self, Authenticated, SESSION_COOKIE, SignedIn, cookie, local_path, set_cookie};
use crate::limits::ClientAddress;
use crate::{ApiError, AppState};

/// The sign-in form's double-submit cookie.
const SIGN_IN_COOKIE: &str = "__Host-fixgate_signin";

#[derive(Template)]
#[template(path = "login.html")]
struct SignInPage {
    csrf: String,
    next: String,
    name: String,
    error: Option<String>,
    nav: Option<Nav>,
}

#[derive(Deserialize)]
pub(super) struct NextQuery {
    next: Option<String>,
}

pub(super) async fn sign_in_form(
    Extension(found): Extension<Authenticated>,
    Query(query): Query<NextQuery>,
) -> Result<Response, PageError> {
    let next = local_path(query.next.as_deref()).to_string();
    if found.0.is_some_and(|p| p.session.is_some()) {
        return Ok(Redirect::to(&next).into_response());
    }
    sign_in_page(StatusCode::OK, next, String::new(), None)
}

/// The form with a fresh double-submit value.
fn sign_in_page(
    status: StatusCode,
    next: String,
    name: String,
    error: Option<String>,
) -> Result<Response, PageError> {
    let csrf = random_value()?;
    let page = SignInPage { csrf: csrf.clone(), next, name, error, nav: None };
    let mut response = render(status, &page)?;
    set(&mut response, &set_cookie(SIGN_IN_COOKIE, &csrf, 3600));
    Ok(response)
}

#[derive(Deserialize)]
pub(super) struct SignInForm {
    name: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub(super) async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: axum::http::HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Result<Response, PageError> {
    // The limit comes first: a refused attempt costs no password hash.
    if let Err(err) = state.limits.sign_in(address) {
        let message = format!("Too many sign-in attempts from your address. {err}.");
        let mut response = sign_in_page(
            StatusCode::TOO_MANY_REQUESTS,
            "/tickets".into(),
            String::new(),
            Some(message),
        )?;
        if let ApiError::Limited { seconds } = err {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        return Ok(response);
    }
    let Form(form) = form.map_err(|err| ApiError::bad_request(err.body_text()))?;
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or("");
    if expected.is_empty() || !auth::same(&form.csrf, expected) {
        return Err(PageError::Forbidden(
            "The sign-in form is stale or came from elsewhere. Open the sign-in page again.".into(),
        ));
    }
    let next = local_path(form.next.as_deref()).to_string();
    match state.fixgate.sign_in(&form.name, &form.password).await {
        Ok(signed_in) => {
            let must_change =
                signed_in.principal.session.as_ref().is_some_and(|s| s.must_change_password);
            let target = if must_change { "/account" } else { &next };
            let mut response = Redirect::to(target).into_response();
            let max_age = SESSION_LIFETIME.as_secs();
            set(&mut response, &set_cookie(SESSION_COOKIE, &signed_in.cookie, max_age));
            set(&mut response, &set_cookie(SIGN_IN_COOKIE, "", 0));
            tracing::info!(user = %signed_in.principal.name, "signed in");
            Ok(response)
        }
        Err(fixgate_service::ServiceError::Unauthenticated(_)) => {
            tracing::info!(%address, "sign-in refused");
            let error = Some("Wrong name or password.".to_string());
            sign_in_page(StatusCode::UNAUTHORIZED, next, form.name, error)
        }
        Err(fixgate_service::ServiceError::Busy(why)) => {
            let error = Some(format!("The server is busy: {why}."));
            sign_in_page(StatusCode::TOO_MANY_REQUESTS, next, form.name, error)
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: String,
}

pub(super) async fn sign_out(
    State(state): State<AppState>,
    me: SignedIn,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, PageError> {
    checked(&me, form, |f| &f.csrf)?;
    if let Some(session) = &me.0.session {
        state.fixgate.sign_out(session).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    set(&mut response, &set_cookie(SESSION_COOKIE, "", 0));
    Ok(response)
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    name: String,
    role: &'static str,
    teams: Vec<String>,
    must_change: bool,
    message: Option<String>,
    error: Option<String>,
    new_token: Option<String>,
    tokens: Vec<TokenView>,
    grantable: Vec<&'static str>,
    csrf: String,
    min_password: usize,
    nav: Option<Nav>,
}

struct TokenView {
    id: i64,
    prefix: String,
    role: String,
    application: String,
    expires: String,
    last_used: String,
    revoked: bool,
}

/// What the account page says after a form.
#[derive(Default)]
struct Outcome {
    message: Option<String>,
    error: Option<String>,
    new_token: Option<String>,
}

pub(super) async fn page(
    State(state): State<AppState>,
    me: SignedIn,
) -> Result<Response, PageError> {
    account_page(&state, &me, StatusCode::OK, Outcome::default()).await
}

async fn account_page(
    state: &AppState,
    me: &SignedIn,
    status: StatusCode,
    outcome: Outcome,
) -> Result<Response, PageError> {
    let user = state.fixgate.store().user(&me.0.name).await?;
    let must_change = user.as_ref().is_some_and(|u| u.must_change_password);
    let tokens = state
        .fixgate
        .store()
        .tokens(Some(me.0.user_id))
        .await?
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            prefix: t.prefix,
            role: t.role,
            application: t.application.unwrap_or_else(|| "any".into()),
            expires: t.expires_at.map(date).unwrap_or_else(|| "never".into()),
            last_used: t.last_used_at.map(date).unwrap_or_else(|| "never".into()),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    let page = AccountPage {
        name: me.0.name.clone(),
        role: me.0.role.as_str(),
        teams: user.map(|u| u.teams).unwrap_or_default(),
        must_change,
        message: outcome.message,
        error: outcome.error,
        new_token: outcome.new_token,
        tokens,
        grantable: Role::ALL
            .into_iter()
            .filter(|r| me.0.role.can_grant(*r))
            .map(Role::as_str)
            .collect(),
        csrf: me.csrf(),
        min_password: MIN_PASSWORD_CHARS,
        nav: Nav::of(me),
    };
    render(status, &page)
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    repeat: String,
}

pub(super) async fn change_password(
    State(state): State<AppState>,
    me: SignedIn,
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Result<Response, PageError> {
    let form = checked(&me, form, |f| &f.csrf)?;
    if form.new != form.repeat {
        let error = Some("The two new passwords differ.".to_string());
        return account_page(
            &state,
            &me,
            StatusCode::BAD_REQUEST,
            Outcome { error, ..Outcome::default() },
        )
        .await;
    }
    match state.fixgate.change_password(&me.0, &form.current, &form.new).await {
        Ok(()) => {
            let message = Some("Your password is changed; your other sessions are ended.".into());
            account_page(&state, &me, StatusCode::OK, Outcome { message, ..Outcome::default() })
                .await
        }
        Err(fixgate_service::ServiceError::Invalid(why)) => {
            let outcome = Outcome { error: Some(why), ..Outcome::default() };
            account_page(&state, &me, StatusCode::BAD_REQUEST, outcome).await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    csrf: String,
    role: String,
    application: Option<String>,
    /// `YYYY-MM-DD`: the token stops working at the start of that day (UTC).
    expires: Option<String>,
}

pub(super) async fn create_token(
    State(state): State<AppState>,
    me: SignedIn,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Result<Response, PageError> {
    let form = checked(&me, form, |f| &f.csrf)?;
    let refuse = |error: String| Outcome { error: Some(error), ..Outcome::default() };
    let role = match form.role.parse::<Role>() {
        Ok(role) => role,
        Err(err) => {
            return account_page(&state, &me, StatusCode::BAD_REQUEST, refuse(err.to_string()))
                .await;
        }
    };
    let expires_at = match form.expires.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(day) => match fixgate_service::access::parse_expiry(day) {
            Ok(at) => Some(at),
            Err(err) => {
                return account_page(&state, &me, StatusCode::BAD_REQUEST, refuse(err.to_string()))
                    .await;
            }
        },
    };
    let request = CreateToken {
        holder: TokenHolder::User(me.0.name.clone()),
        role,
        application: form.application.map(|a| a.trim().to_string()).filter(|a| !a.is_empty()),
        expires_at,
        teams: Vec::new(),
    };
    match state.fixgate.create_token(request, &me.0.actor()).await {
        Ok(created) => {
            let outcome = Outcome { new_token: Some(created.token), ..Outcome::default() };
            account_page(&state, &me, StatusCode::CREATED, outcome).await
        }
        Err(fixgate_service::ServiceError::Invalid(why)) => {
            account_page(&state, &me, StatusCode::BAD_REQUEST, refuse(why)).await
        }
        Err(err) => Err(err.into()),
    }
}

pub(super) async fn revoke_token(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<String>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, PageError> {
    checked(&me, form, |f| &f.csrf)?;
    let id: i64 =
        id.parse().map_err(|_| PageError::NotFound(format!("The token {id} does not exist.")))?;
    state.fixgate.revoke_token(&me.0, id).await?;
    Ok(Redirect::to("/account").into_response())
}

/// Appends a `Set-Cookie` header (an empty value adds nothing).
fn set(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie)
        && !cookie.is_empty()
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

fn random_value() -> Result<String, PageError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|err| PageError::Internal(Box::new(err)))?;
    Ok(hex::encode(bytes))
}
