//! Who is asking. Every request passes [`authenticate`] once: a bearer
//! token (the API's way) or a session cookie (the browser's way) becomes a
//! [`Principal`] in the request's extensions, and the request's log span
//! records who it is (never the secret). Handlers then take [`Caller`] (the
//! API: 401 without one) or [`SignedIn`] (pages: a redirect to the sign-in
//! form without one).
//!
//! Cookie-authenticated changes must prove they come from fixgate's own
//! pages: forms carry the session's CSRF value in a hidden field, API calls
//! in the `X-CSRF-Token` header. Bearer tokens are not sent by browsers on
//! their own, so they need no such proof.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use fixgate_service::Principal;

use crate::{ApiError, AppState};

/// The session cookie. `__Host-` makes browsers insist on `Secure`, `Path=/`
/// and no `Domain`, so no other site or subdomain can plant or read it.
pub(crate) const SESSION_COOKIE: &str = "__Host-fixgate_session";

/// The header API calls made from a signed-in page carry the CSRF value in.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// The principal [`authenticate`] found, if any.
#[derive(Clone)]
pub(crate) struct Authenticated(pub Option<Principal>);

/// Resolves the caller once per request. A bearer token that is not valid
/// is refused here, whatever the route: a client that sends one expects it
/// to count.
pub(crate) async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let principal = match bearer(request.headers()) {
        Some(Ok(token)) => match state.fixgate.authenticate_token(token).await {
            Ok(principal) => Some(principal),
            Err(err) => return ApiError::from(err).into_response(),
        },
        Some(Err(detail)) => return ApiError::unauthorized(detail).into_response(),
        None => match cookie(request.headers(), SESSION_COOKIE) {
            Some(value) => match state.fixgate.session(value).await {
                Ok(principal) => principal,
                Err(err) => return ApiError::from(err).into_response(),
            },
            None => None,
        },
    };
    if let Some(principal) = &principal {
        tracing::Span::current().record("actor", tracing::field::display(principal.actor()));
    }
    request.extensions_mut().insert(Authenticated(principal));
    next.run(request).await
}

/// The token of an `Authorization: Bearer` header; an error for any other
/// use of the header.
fn bearer(headers: &HeaderMap) -> Option<Result<&str, &'static str>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let parsed = value
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
        })
        .filter(|token| !token.is_empty())
        .ok_or("the Authorization header must be `Bearer TOKEN`");
    Some(parsed)
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// An API caller: a token, or a signed-in session that proved its CSRF
/// value on a change.
pub(crate) struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Caller, ApiError> {
        let principal =
            parts.extensions.get::<Authenticated>().and_then(|found| found.0.clone()).ok_or_else(
                || {
                    ApiError::unauthorized(
                        "this request needs `Authorization: Bearer TOKEN` (`fixgate admin \
                     create-token` makes one) or a signed-in session",
                    )
                },
            )?;
        if let Some(session) = &principal.session {
            if !is_safe(&parts.method) {
                let given = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
                if !given.is_some_and(|v| same(v, &session.csrf_token)) {
                    return Err(ApiError::forbidden(
                        "a change made with a session cookie needs the session's CSRF value in \
                         the X-CSRF-Token header",
                    ));
                }
            }
            if session.must_change_password {
                return Err(ApiError::forbidden("choose a new password first, at /account"));
            }
        }
        Ok(Caller(principal))
    }
}

/// A person signed in to the pages.
pub(crate) struct SignedIn(pub Principal);

/// Where a page sends someone who is not signed in.
pub(crate) struct SignInFirst(Response);

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        self.0
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = SignInFirst;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<SignedIn, SignInFirst> {
        let principal = parts
            .extensions
            .get::<Authenticated>()
            .and_then(|found| found.0.clone())
            .filter(|p| p.session.is_some());
        let Some(principal) = principal else {
            let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let target = format!("/login?next={}", encode_component(next));
            return Err(SignInFirst(Redirect::to(&target).into_response()));
        };
        let must_change = principal.session.as_ref().is_some_and(|s| s.must_change_password);
        let allowed = ["/account", "/account/password", "/logout"];
        if must_change && !allowed.contains(&parts.uri.path()) {
            return Err(SignInFirst(Redirect::to("/account").into_response()));
        }
        Ok(SignedIn(principal))
    }
}

impl SignedIn {
    /// Refuses a form that does not carry this session's CSRF value.
    pub(crate) fn check_form(&self, given: &str) -> Result<(), ApiError> {
        let expected = self.0.session.as_ref().map(|s| s.csrf_token.as_str()).unwrap_or("");
        if expected.is_empty() || !same(given, expected) {
            return Err(ApiError::forbidden(
                "the form is stale or came from elsewhere: reload the page and try again",
            ));
        }
        Ok(())
    }

    pub(crate) fn csrf(&self) -> String {
        self.0.session.as_ref().map(|s| s.csrf_token.clone()).unwrap_or_default()
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Compares two secrets in time that depends only on their length.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Percent-encodes a URL component.
pub(crate) fn encode_component(value: &str) -> String {
    serde_urlencoded::to_string([("", value)])
        .map(|s| s.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

/// A `Set-Cookie` value for a secret cookie: HTTP-only, Secure, same-site.
pub(crate) fn set_cookie(name: &str, value: &str, max_age_seconds: i64) -> String {
    format!("{name}={value}; Path=/; Max-Age={max_age_seconds}; HttpOnly; Secure; SameSite=Lax")
}

/// The redirect target a sign-in form was given, if it stays on this site
/// and can be a `Location` header as it is: visible ASCII only (the links
/// fixgate makes are percent-encoded), no `//` or backslash that a browser
/// would read as another host.
pub(crate) fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && path.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            path
        }
        _ => "/tickets",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn bearer_headers_parse_or_say_why_not() {
        let mut headers = HeaderMap::new();
        assert!(bearer(&headers).is_none());
        for (value, token) in [
            ("Bearer fgt_abc", Some("fgt_abc")),
            ("bearer  fgt_abc ", Some("fgt_abc")),
            ("Basic dXNlcjpwdw==", None),
            ("Bearer", None),
            ("Bearer ", None),
            ("fgt_abc", None),
        ] {
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            assert_eq!(bearer(&headers).and_then(Result::ok), token, "{value:?}");
            assert!(bearer(&headers).is_some());
        }
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; __Host-fixgate_sessionx=2"));
        headers.append(header::COOKIE, HeaderValue::from_static("__Host-fixgate_session=3"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("3"));
        assert_eq!(cookie(&headers, "b"), None);
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(local_path(Some("/tickets/SEC-1")), "/tickets/SEC-1");
        for bad in [
            "//evil.example/x",
            "https://evil.example/",
            "/\\evil.example",
            "tickets",
            "/a\r\nb",
            "/¡",
        ] {
            assert_eq!(local_path(Some(bad)), "/tickets", "{bad}");
        }
        assert_eq!(local_path(None), "/tickets");
    }
}
