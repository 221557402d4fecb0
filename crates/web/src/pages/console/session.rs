//! Signing in and out. A session is a random token in an `HttpOnly;
//! SameSite=Strict` cookie (also `Secure` behind HTTPS), stored only as a
//! digest; failed sign-ins are rate-limited per client like access codes.

use crate::auth::{digest, verify_password};
use crate::error::ApiError;
use crate::pages::forms::{cookie, csrf_ok, random_hex, FormFields};
use crate::pages::frame::{redirect_with, Flash, Frame, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;

pub(super) const SESSION_COOKIE: &str = "redress_session";
const SESSION_HOURS: i64 = 12;

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage<'a> {
    frame: &'a Frame,
    email: String,
    error: Option<String>,
}

pub async fn login_page(frame: Frame) -> Response {
    frame.page(StatusCode::OK, &LoginPage { frame: &frame, email: String::new(), error: None })
}

pub async fn login(State(app): State<AppState>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, frame: Frame, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form("/console/login"));
    }
    let email = form.text("email");
    let again = |status, error: String| frame.page(status, &LoginPage { frame: &frame, email: email.clone(), error: Some(error) });
    if let Err(wait) = app.logins().check(peer.ip()) {
        return Ok(again(StatusCode::TOO_MANY_REQUESTS, format!("Too many failed sign-ins. Try again in {wait} seconds.")));
    }
    let (user, hash) = match app.store().user_for_login(&email).await? {
        Some((u, h)) if u.active && u.role.is_staff() => (Some(u), h),
        _ => (None, None),
    };
    let password = form.get("password").unwrap_or_default().to_string();
    let Some(user) = user.filter(|_| hash.is_some()) else {
        verify_password(password, None).await;
        app.logins().fail(peer.ip());
        return Ok(again(StatusCode::UNAUTHORIZED, "The e-mail or password is wrong.".into()));
    };
    if !verify_password(password, hash).await {
        app.logins().fail(peer.ip());
        return Ok(again(StatusCode::UNAUTHORIZED, "The e-mail or password is wrong.".into()));
    }
    let token = random_hex(32).ok_or_else(ApiError::internal)?;
    let now = app.now();
    let expires = now + jiff::SignedDuration::from_hours(SESSION_HOURS);
    app.store().create_session(digest(&token), user.id, expires, now).await?;
    let secure = if app.config().public_url.starts_with("https://") { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}", SESSION_HOURS * 3600);
    let mut resp = Redirect::to("/console").into_response();
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
