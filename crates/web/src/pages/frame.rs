//! The frame every page shares — the organisation's name, the signed-in
//! staff member on console pages, this browser's CSRF token and a one-time
//! flash message — and the ways a page leaves: rendered in its frame, as a
//! message page, or as a redirect that leaves a flash for the next page.

use super::forms::{cookie, csrf_token};
use crate::error::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use redress_core::store::StoreError;
use redress_core::user::User;
use redress_core::Lang;
use std::convert::Infallible;

const FLASH_COOKIE: &str = "redress_flash";
/// The language a visitor chose with the public pages' language switch.
pub const LANG_COOKIE: &str = "redress_lang";
/// Longest flash text kept; longer ones are cut at a character boundary.
const FLASH_MAX: usize = 500;

/// A one-time message shown on the page after a redirect (post/redirect/get).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flash {
    /// `notice` (something was done) or `alert` (something was refused).
    pub kind: &'static str,
    pub text: String,
}

impl Flash {
    pub fn notice(text: impl Into<String>) -> Flash {
        Flash { kind: "notice", text: text.into() }
    }
    pub fn alert(text: impl Into<String>) -> Flash {
        Flash { kind: "alert", text: text.into() }
    }

    /// The cookie value: kind, then the text hex-encoded (cookie-safe).
    fn encode(&self) -> String {
        let mut text = self.text.clone();
        if text.len() > FLASH_MAX {
            let mut end = FLASH_MAX;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
        }
        format!("{}.{}", self.kind, hex::encode(text))
    }

    fn decode(value: &str) -> Option<Flash> {
        let (kind, text) = value.split_once('.')?;
        let kind = match kind {
            "notice" => "notice",
            "alert" => "alert",
            _ => return None,
        };
        let text = String::from_utf8(hex::decode(text).ok()?).ok()?;
        Some(Flash { kind, text })
    }
}

/// The frame of one page. Taken from the request by every page handler; a
/// console handler adds the signed-in user with [`Frame::signed_in`], a
/// partner page with [`Frame::partner`].
pub struct Frame {
    pub org: String,
    /// The signed-in person's name, on console and partner pages.
    pub user: Option<String>,
    /// The console's sections this person may open: (address, name).
    pub nav: Vec<(&'static str, &'static str)>,
    /// This browser's CSRF token, for every form on the page.
    pub csrf: String,
    pub flash: Option<Flash>,
    /// The language customer pages are written in (console pages are English).
    pub lang: Lang,
    /// Where this language came from: chosen with the switch, the browser's
    /// `Accept-Language`, the organisation's default.
    chosen: Option<Lang>,
    browser: Option<Lang>,
    org_lang: Lang,
    /// The page's path, for the language switch's links.
    pub path: String,
    /// Cookies the response must set: a newly minted CSRF token, a flash consumed.
    cookies: Vec<HeaderValue>,
}

impl FromRequestParts<AppState> for Frame {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Infallible> {
        let (csrf, minted) = csrf_token(&parts.headers);
        let mut cookies: Vec<HeaderValue> = minted.into_iter().collect();
        let flash = cookie(&parts.headers, FLASH_COOKIE).map(|v| {
            cookies.push(HeaderValue::from_static("redress_flash=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"));
            Flash::decode(&v)
        });
        let settings = app.store().settings().await;
        let (org, org_lang) = settings.map(|s| (s.name, s.language)).unwrap_or_else(|_| ("Redress".into(), Lang::En));
        let asked = parts.uri.query().and_then(|q| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok()?.into_iter().find(|(k, _)| k == "lang").and_then(|(_, v)| Lang::parse(&v))
        });
        if let Some(l) = asked {
            cookies.extend(HeaderValue::from_str(&format!("{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000", l.code())).ok());
        }
        let chosen = asked.or_else(|| cookie(&parts.headers, LANG_COOKIE).and_then(|v| Lang::parse(&v)));
        let browser = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Lang::negotiate);
        let path = parts.uri.path().to_string();
        // The console is written in English; customer pages in the customer's language.
        let lang = if path.starts_with("/console") { Lang::En } else { chosen.or(browser).unwrap_or(org_lang) };
        Ok(Frame { org, user: None, nav: Vec::new(), csrf, flash: flash.flatten(), lang, chosen, browser, org_lang, path, cookies })
    }
}

impl Frame {
    /// The frame of a page that could not learn more (a failure page).
    fn bare() -> Frame {
        Frame {
            org: "Redress".into(),
            user: None,
            nav: Vec::new(),
            csrf: String::new(),
            flash: None,
            lang: Lang::En,
            chosen: None,
            browser: None,
            org_lang: Lang::En,
            path: "/".into(),
            cookies: Vec::new(),
        }
    }

    /// This frame for a page about `customer`: their recorded language
    /// comes before the browser's, unless the visitor chose one.
    pub fn for_customer(mut self, customer: &redress_core::customer::Customer) -> Frame {
        self.lang = self.chosen.or(customer.language).or(self.browser).unwrap_or(self.org_lang);
        self
    }

    /// Message `id` of the customer catalogs in this page's language.
    pub fn t(&self, id: &str) -> String {
        redress_i18n::t(self.lang, id)
    }

    /// Message `id` with one argument.
    pub fn ta(&self, id: &str, name: &str, value: &str) -> String {
        redress_i18n::text(self.lang, id, &[(name, value.into())])
    }

    /// Message `id` with one number (plurals follow it).
    pub fn tn(&self, id: &str, name: &str, value: i64) -> String {
        redress_i18n::text(self.lang, id, &[(name, value.into())])
    }

    /// The language switch: every other language with a link to this page in it.
    pub fn languages(&self) -> Vec<(&'static str, &'static str)> {
        Lang::ALL.into_iter().filter(|l| *l != self.lang).map(|l| (l.code(), l.name())).collect()
    }

    pub fn signed_in(mut self, user: &User) -> Frame {
        self.user = Some(user.name.clone());
        self.nav = vec![("/console", "Cases"), ("/console/cases/new", "Log a complaint"), ("/console/customers", "Customers"), ("/console/problems", "Problems"), ("/console/areas", "Service areas"), ("/console/surveys", "Surveys"), ("/console/outbox", "Outbox")];
        if user.role.supervises() {
            self.nav.insert(4, ("/console/insight", "Insight"));
        }
        if user.role == redress_core::user::Role::Admin {
            self.nav.push(("/console/admin", "Admin"));
        }
        self
    }

    /// The frame of a partner page: the partner's own sections only.
    pub fn partner(mut self, user: &User) -> Frame {
        self.user = Some(user.name.clone());
        self.nav = vec![("/console/partner", "My cases"), ("/console/partner/cases/new", "Submit a case")];
        self
    }

    /// Renders a template that shows this frame, with `status`.
    pub fn page(&self, status: StatusCode, t: &impl Template) -> Response {
        let mut resp = match t.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "a page failed to render");
                return ApiError::internal().into_response();
            }
        };
        for c in &self.cookies {
            resp.headers_mut().append(header::SET_COOKIE, c.clone());
        }
        resp
    }

    /// A page saying what went wrong (or what happened), with a way back.
    pub fn message(&self, status: StatusCode, heading: &str, text: &str, back: &str) -> Response {
        self.page(status, &MessagePage { frame: self, heading, text, back })
    }

    /// The refusal of a form whose CSRF token is missing or wrong.
    pub fn expired_form(&self, back: &str) -> Response {
        self.message(StatusCode::FORBIDDEN, &self.t("form-expired-heading"), &self.t("form-expired-text"), back)
    }
}

/// Redirects (303) to `to`, leaving `flash` for the page it leads to.
pub fn redirect_with(to: &str, flash: Flash) -> Response {
    let mut resp = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{FLASH_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=300", flash.encode())) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

#[derive(Template)]
#[template(path = "layout/message.html")]
struct MessagePage<'a> {
    frame: &'a Frame,
    heading: &'a str,
    text: &'a str,
    back: &'a str,
}

/// A page handler's failure, shown as a page: the refusal's own words for a
/// 4xx, a generic message for a 5xx (whose cause is logged where it arose).
pub struct PageError(pub ApiError);

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError(e.into())
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = self.0;
        let text = if e.status.is_server_error() { "Something went wrong on our side. It has been logged; please try again in a moment." } else { e.detail.as_str() };
        let heading = if e.status.is_server_error() { "Sorry" } else { "That did not work" };
        let mut resp = Frame::bare().message(e.status, heading, text, "/");
        crate::error::retry_after(&mut resp, e.retry_after);
        resp
    }
}

pub type PageResult = Result<Response, PageError>;

/// Path parameters of a page; one that does not read (`/staff/abc`) is a
/// 404 page, as a missing record is.
pub struct PagePath<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send> FromRequestParts<AppState> for PagePath<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, PageError> {
        axum::extract::Path::<T>::from_request_parts(parts, app)
            .await
            .map(|p| PagePath(p.0))
            .map_err(|_| PageError(ApiError::not_found("There is no such page.")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flash_survives_the_cookie_and_nothing_else_does() {
        let f = Flash::alert("Refused; \"quoted\", with commas = and ünïcode");
        assert_eq!(Flash::decode(&f.encode()), Some(f));
        assert_eq!(Flash::decode("bogus.41"), None);
        assert_eq!(Flash::decode("notice.zz"), None);
        let long = Flash::notice("é".repeat(400));
        assert!(Flash::decode(&long.encode()).is_some_and(|f| f.text.len() <= FLASH_MAX));
    }
}
