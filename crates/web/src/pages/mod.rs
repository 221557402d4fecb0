//! Server-rendered pages: the public survey and report pages, and the staff
//! console. No JavaScript; every form carries a CSRF token (double-submit:
//! a `SameSite=Strict` cookie and a hidden field that must match).

mod console;
mod report;
mod survey;

use crate::error::ApiError;
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/survey") }))
        .route("/survey", get(survey::code_page).post(survey::open_survey))
        .route("/survey/answers", axum::routing::post(survey::submit_answers))
        .route("/reports/{token}", get(report::show))
        .route("/console", get(console::cases))
        .route("/console/login", get(console::login_page).post(console::login))
        .route("/console/logout", axum::routing::post(console::logout))
        .route("/console/cases/{id}", get(console::case_page))
}

const CSRF_COOKIE: &str = "redress_csrf";

/// Renders a template as an HTML response with `status`.
fn page(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page failed to render");
            ApiError::internal().into_response()
        }
    }
}

/// A value of the request's `Cookie` header.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    if getrandom::fill(&mut b).is_err() {
        tracing::error!("no randomness available");
    }
    hex::encode(b)
}

/// The CSRF token of this browser, minting one (and its cookie) when absent.
fn csrf_token(headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match cookie(headers, CSRF_COOKIE).filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())) {
        Some(t) => (t, None),
        None => {
            let t = random_hex(16);
            let set = HeaderValue::from_str(&format!("{CSRF_COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict")).ok();
            (t, set)
        }
    }
}

/// Adds a minted CSRF cookie to a response.
fn with_cookie(mut resp: Response, set: Option<HeaderValue>) -> Response {
    if let Some(v) = set {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// Whether a posted form's CSRF field matches this browser's cookie.
fn csrf_ok(headers: &HeaderMap, form: &FormFields) -> bool {
    match (cookie(headers, CSRF_COOKIE), form.get("csrf")) {
        (Some(c), Some(f)) => !c.is_empty() && c == f,
        _ => false,
    }
}

/// A page saying what went wrong, with a way back.
fn message(status: StatusCode, org: String, heading: &str, text: &str, back: &str) -> Response {
    page(status, &MessagePage { org, heading: heading.to_string(), text: text.to_string(), back: back.to_string() })
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    org: String,
    heading: String,
    text: String,
    back: String,
}

fn expired_form(org: String, back: &str) -> Response {
    message(StatusCode::FORBIDDEN, org, "Please try again", "This form has expired or was sent from another site. Reload the page and send it again.", back)
}

/// An urlencoded form as ordered name/value pairs, within the body limit.
pub struct FormFields(Vec<(String, String)>);

impl FormFields {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
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

/// The organisation's name for page headers.
async fn org_name(app: &AppState) -> String {
    app.store().settings().await.map(|s| s.name).unwrap_or_else(|_| "Redress".into())
}
