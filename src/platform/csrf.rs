//! CSRF protection for every state-changing request from a browser: each visitor holds a random
//! token in an HttpOnly cookie; every form carries it in a hidden `csrf_token` field and every
//! script request in an `x-csrf-token` header. A request whose copy does not match changes
//! nothing. (The JSON API authenticates with bearer tokens, which browsers never send by
//! themselves, so it needs none.)

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::error::ErrorPage;
use super::ids::random_token;
use super::web::{cookie, set_cookie};
use crate::AppState;

pub const COOKIE: &str = "portico_csrf";
pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";
/// Larger forms (file uploads) send the token in the header instead.
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// The visitor's token, for templates to put in forms.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

fn is_token(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Outer layer: gives every visitor a token (set as a cookie on first sight) and puts it in the
/// request for templates.
pub async fn assign(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let existing = cookie(request.headers(), COOKIE).filter(|v| is_token(v));
    let token = existing.clone().unwrap_or_else(random_token);
    request.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(request).await;
    if existing.is_none() {
        let secure = state.config.is_https();
        if let Ok(value) = HeaderValue::from_str(&set_cookie(COOKIE, &token, secure, None)) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Inner layer: a state-changing browser request whose token does not match the cookie's is
/// refused before any handler runs.
pub async fn verify(request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !unsafe_method || request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let expected = cookie(request.headers(), COOKIE).filter(|v| is_token(v));
    match check(request, expected.as_deref()).await {
        Ok(request) => next.run(request).await,
        Err(response) => response,
    }
}

/// Passes the request on when its token matches the cookie's; answers 400 otherwise.
async fn check(request: Request, expected: Option<&str>) -> Result<Request, Response> {
    let rejected = || ErrorPage::response(StatusCode::BAD_REQUEST);
    let Some(expected) = expected else {
        return Err(rejected());
    };
    if let Some(sent) = request.headers().get(HEADER) {
        return if sent.as_bytes() == expected.as_bytes() {
            Ok(request)
        } else {
            Err(rejected())
        };
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // File uploads carry the token in the form's address: reading it from the multipart body
    // would mean buffering the whole upload here.
    if content_type.starts_with("multipart/form-data") {
        let in_address = request.uri().query().is_some_and(|query| {
            form_urlencoded::parse(query.as_bytes())
                .any(|(name, value)| name == FIELD && value.as_bytes() == expected.as_bytes())
        });
        return if in_address {
            Ok(request)
        } else {
            Err(rejected())
        };
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(rejected());
    }
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| ErrorPage::response(StatusCode::PAYLOAD_TOO_LARGE))?;
    let matches = form_urlencoded::parse(&bytes)
        .any(|(name, value)| name == FIELD && value.as_bytes() == expected.as_bytes());
    if matches {
        Ok(Request::from_parts(parts, Body::from(bytes)))
    } else {
        Err(rejected())
    }
}
