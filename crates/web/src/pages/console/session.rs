//! Signing in and out, for staff and partner accounts alike (a partner
//! lands on their own cases). A session is a random token in an `HttpOnly;
//! SameSite=Strict` cookie (also `Secure` behind HTTPS), stored only as a
//! digest; failed sign-ins are rate-limited per client like access codes.

use crate::auth::{digest, verify_password};
use crate::error::ApiError;
use crate::pages::forms::{cookie, csrf_ok, random_hex, FormFields};
use crate::pages::frame::{redirect_with, Flash, Frame, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use redress_core::user::Role;
use std::net::SocketAddr;

pub(super) const SESSION_COOKIE: &str = "redress_session";
/// A session ends this long after signing in, however busy.
const SESSION_HOURS: i64 = 12;
/// A session unused for this long ends.
pub(super) const IDLE: jiff::SignedDuration = jiff::SignedDuration::from_hours(2);
/// How stale a session's last use may get before it is written again.
pub(super) const TOUCH_AFTER: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// Where to go after signing in: a console page, never another site.
fn next_page(next: Option<&str>) -> &str {
    next.filter(|n| n.starts_with("/console") && !n.starts_with("/console/login") && !n.contains("//") && !n.contains('\\')).unwrap_or("/console")
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage<'a> {
    frame: &'a Frame,
    email: String,
    next: String,
    error: Option<String>,
}

pub async fn login_page(frame: Frame, RawQuery(query): RawQuery) -> Response {
    let pairs: Vec<(String, String)> = query.and_then(|q| serde_urlencoded::from_str(&q).ok()).unwrap_or_default();
    let next = next_page(pairs.iter().find(|(k, _)| k == "next").map(|(_, v)| v.as_str())).to_string();
    frame.page(StatusCode::OK, &LoginPage { frame: &frame, email: String::new(), next, error: None })
}

pub async fn login(State(app): State<AppState>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, frame: Frame, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form("/console/login"));
    }
    let email = form.text("email");
    let next = next_page(form.get("next")).to_string();
    let again = |status, error: String| frame.page(status, &LoginPage { frame: &frame, email: email.clone(), next: next.clone(), error: Some(error) });
    if let Err(wait) = app.logins().check(app.store(), app.now(), peer.ip()).await {
        return Ok(again(StatusCode::TOO_MANY_REQUESTS, format!("Too many failed sign-ins. Try again in {wait} seconds.")));
    }
    let (user, hash) = match app.store().user_for_login(&email).await? {
        Some((u, h)) if u.active => (Some(u), h),
        _ => (None, None),
    };
    let password = form.get("password").unwrap_or_default().to_string();
    let Some(user) = user.filter(|_| hash.is_some()) else {
        verify_password(password, None).await;
        app.logins().fail(app.store(), app.now(), peer.ip()).await;
        return Ok(again(StatusCode::UNAUTHORIZED, "The e-mail or password is wrong.".into()));
    };
    if !verify_password(password, hash).await {
        app.logins().fail(app.store(), app.now(), peer.ip()).await;
        return Ok(again(StatusCode::UNAUTHORIZED, "The e-mail or password is wrong.".into()));
    }
    // Signing in rotates the session: the one this browser held ends.
    if let Some(old) = cookie(&headers, SESSION_COOKIE) {
        app.store().delete_session(&digest(&old)).await?;
    }
    let token = random_hex(32).ok_or_else(ApiError::internal)?;
    let now = app.now();
    let expires = now + jiff::SignedDuration::from_hours(SESSION_HOURS);
    app.store().create_session(digest(&token), user.id, expires, now).await?;
    let secure = if app.config().public_url.starts_with("https://") { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}", SESSION_HOURS * 3600);
    // A partner lands on their own cases unless they asked for one of them.
    let next = if user.role == Role::Partner && !next.starts_with(super::partner::HOME) { super::partner::HOME.to_string() } else { next };
    let mut resp = Redirect::to(&next).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

pub async fn logout(State(app): State<AppState>, headers: HeaderMap, frame: Frame, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form("/console"));
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        app.store().delete_session(&digest(&token)).await?;
    }
    let mut resp = redirect_with("/console/login", Flash::notice("You have signed out."));
    resp.headers_mut().append(header::SET_COOKIE, HeaderValue::from_static("redress_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"));
    Ok(resp)
}
