//! Forms as every page reads them: urlencoded fields within the body limit,
//! CSRF protection by double submit (a `SameSite=Strict` cookie and a hidden
//! field that must match), cookies, and random tokens.

use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

pub const CSRF_COOKIE: &str = "redress_csrf";

/// An urlencoded form as ordered name/value pairs, within the body limit.
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A field's value with surrounding space trimmed; empty when absent.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().trim().to_string()
    }
}

impl FromRequest<AppState> for FormFields {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, Html("<p>The form is too large.</p>".to_string())).into_response())?;
        serde_urlencoded::from_bytes(&bytes)
            .map(FormFields)
            .map_err(|_| (StatusCode::BAD_REQUEST, Html("<p>The form could not be read.</p>".to_string())).into_response())
    }
}

/// A value of the request's `Cookie` header.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// `bytes` random bytes as hex, or `None` when the system has no randomness
/// (a predictable token must never be handed out).
pub fn random_hex(bytes: usize) -> Option<String> {
    let mut b = vec![0u8; bytes];
    match getrandom::fill(&mut b) {
        Ok(()) => Some(hex::encode(b)),
        Err(e) => {
            tracing::error!(error = %e, "no randomness available");
            None
        }
    }
}

/// The CSRF token of this browser, and the cookie that sets it when it was
/// minted just now.
pub fn csrf_token(headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match cookie(headers, CSRF_COOKIE).filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())) {
        Some(t) => (t, None),
        None => {
            // Without randomness the page shows no usable token and every
            // form it holds is refused as expired: safe, and logged above.
            let t = random_hex(16).unwrap_or_default();
            let set = HeaderValue::from_str(&format!("{CSRF_COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict")).ok().filter(|_| !t.is_empty());
            (t, set)
        }
    }
}

/// Whether a posted form's CSRF field matches this browser's cookie.
pub fn csrf_ok(headers: &HeaderMap, form: &FormFields) -> bool {
    match (cookie(headers, CSRF_COOKIE), form.get("csrf")) {
        (Some(c), Some(f)) => !c.is_empty() && c == f,
        _ => false,
    }
}
