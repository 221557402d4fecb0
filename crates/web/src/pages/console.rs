//! The staff console: sign in with e-mail and password, see the queue and a
//! case with its survey answers and timeline. Sessions are random tokens in
//! an `HttpOnly; SameSite=Strict` cookie, stored as digests.

use super::*;
use crate::auth::{digest, verify_password};
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use redress_core::store::CaseFilter;
use redress_core::user::User;
use redress_core::{CaseId, UserId};
use std::collections::HashMap;
use std::net::SocketAddr;

const SESSION_COOKIE: &str = "redress_session";
const SESSION_HOURS: i64 = 12;

#[derive(Template)]
#[template(path = "console_login.html")]
struct LoginPage {
    org: String,
    csrf: String,
    email: String,
    error: Option<String>,
}

pub struct CaseRow {
    id: i64,
    reference: String,
    status: &'static str,
    summary: String,
    owner: String,
}

#[derive(Template)]
#[template(path = "console_cases.html")]
struct CasesPage {
    org: String,
    user: String,
    csrf: String,
    cases: Vec<CaseRow>,
}

#[derive(Template)]
#[template(path = "console_case.html")]
struct CasePage {
    org: String,
    user: String,
    reference: String,
    summary: String,
    status: &'static str,
    owner: String,
    channel: &'static str,
    significant: bool,
    description: String,
    missing: Vec<&'static str>,
    answers: Vec<(String, String)>,
    timeline: Vec<(String, String, String)>,
}

/// A signed-in staff member; anyone else is sent to the sign-in page.
pub struct Staff(User);

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let to_login = || Redirect::to("/console/login").into_response();
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(to_login)?;
        match app.store().user_by_session(&digest(&token), app.now()).await {
            Ok(Some(u)) if u.active && u.role.is_staff() => Ok(Staff(u)),
            Ok(_) => Err(to_login()),
            Err(e) => Err(ApiError::from(e).into_response()),
        }
    }
}

pub async fn login_page(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let (csrf, set) = csrf_token(&headers);
    with_cookie(page(StatusCode::OK, &LoginPage { org: org_name(&app).await, csrf, email: String::new(), error: None }), set)
}

pub async fn login(State(app): State<AppState>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, form: FormFields) -> Response {
    let org = org_name(&app).await;
    if !csrf_ok(&headers, &form) {
        return expired_form(org, "/console/login");
    }
    let email = form.get("email").unwrap_or_default().trim().to_string();
    let again = |status, error: String| {
        let (csrf, set) = csrf_token(&headers);
        with_cookie(page(status, &LoginPage { org: org.clone(), csrf, email: email.clone(), error: Some(error) }), set)
    };
    if let Err(wait) = app.logins().check(peer.ip()) {
        return again(StatusCode::TOO_MANY_REQUESTS, format!("Too many failed sign-ins. Try again in {wait} seconds."));
    }
    let found = match app.store().user_for_login(&email).await {
        Ok(f) => f,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let (user, hash) = match found {
        Some((u, h)) if u.active && u.role.is_staff() => (Some(u), h),
        _ => (None, None),
    };
    let password = form.get("password").unwrap_or_default().to_string();
    let Some(user) = user.filter(|_| hash.is_some()) else {
        verify_password(password, None).await;
        app.logins().fail(peer.ip());
        return again(StatusCode::UNAUTHORIZED, "The e-mail or password is wrong.".into());
    };
    if !verify_password(password, hash).await {
        app.logins().fail(peer.ip());
        return again(StatusCode::UNAUTHORIZED, "The e-mail or password is wrong.".into());
    }
    let token = random_hex(32);
    let now = app.now();
    let expires = now + jiff::SignedDuration::from_hours(SESSION_HOURS);
    if let Err(e) = app.store().create_session(digest(&token), user.id, expires, now).await {
        return ApiError::from(e).into_response();
    }
    let secure = if app.config().public_url.starts_with("https://") { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}", SESSION_HOURS * 3600);
    let mut resp = Redirect::to("/console").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

pub async fn logout(State(app): State<AppState>, headers: HeaderMap, form: FormFields) -> Response {
    if !csrf_ok(&headers, &form) {
        return expired_form(org_name(&app).await, "/console");
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        let _ = app.store().delete_session(&digest(&token)).await;
    }
    let mut resp = Redirect::to("/console/login").into_response();
    resp.headers_mut().append(header::SET_COOKIE, HeaderValue::from_static("redress_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"));
    resp
}

/// Names of the given users, for display.
async fn names(app: &AppState) -> HashMap<UserId, String> {
    app.store().users().await.unwrap_or_default().into_iter().map(|u| (u.id, u.name)).collect()
}

pub async fn cases(State(app): State<AppState>, headers: HeaderMap, Staff(user): Staff) -> Response {
    let filter = CaseFilter { limit: 100, ..CaseFilter::default() };
    let list = match app.store().cases(&filter).await {
        Ok(l) => l,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let names = names(&app).await;
    let cases = list
        .into_iter()
        .map(|c| CaseRow {
            id: c.id.0,
            reference: c.reference.clone(),
            status: c.status.as_str(),
            summary: c.summary.clone(),
            owner: names.get(&c.owner_id).cloned().unwrap_or_default(),
        })
        .collect();
    let (csrf, set) = csrf_token(&headers);
    with_cookie(page(StatusCode::OK, &CasesPage { org: org_name(&app).await, user: user.name, csrf, cases }), set)
}

pub async fn case_page(State(app): State<AppState>, Staff(user): Staff, Path(id): Path<String>) -> Response {
    let org = org_name(&app).await;
    let Ok(id) = id.parse::<i64>() else {
        return message(StatusCode::NOT_FOUND, org, "Case not found", "That is not a case number.", "/console");
    };
    let detail = match app.store().case_detail(CaseId(id)).await {
        Ok(Some(d)) => d,
        Ok(None) => return message(StatusCode::NOT_FOUND, org, "Case not found", &format!("There is no case {id}."), "/console"),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let names = names(&app).await;
    let case = detail.case;
    let mut answers = Vec::new();
    if let Some(rid) = case.survey_response_id {
        if let Ok(Some(response)) = app.store().response(rid).await {
            if let Ok(Some(survey)) = app.store().survey(response.survey_id).await {
                for q in &survey.questions {
                    if let Some(a) = response.answers.get(&q.key) {
                        let text = match a {
                            redress_core::survey::AnswerValue::Score(n) => n.to_string(),
                            redress_core::survey::AnswerValue::Text(t) => t.clone(),
                        };
                        answers.push((q.prompt.clone(), text));
                    }
                }
            }
        }
    }
    let timeline = detail
        .timeline
        .iter()
        .map(|e| {
            let who = e.actor_id.and_then(|a| names.get(&a).cloned()).unwrap_or_else(|| "Redress".into());
            (e.at.strftime("%Y-%m-%d %H:%M").to_string(), who, e.summary.clone())
        })
        .collect();
    page(
        StatusCode::OK,
        &CasePage {
            org,
            user: user.name,
            reference: case.reference.clone(),
            summary: case.summary.clone(),
            status: case.status.as_str(),
            owner: names.get(&case.owner_id).cloned().unwrap_or_default(),
            channel: case.channel.as_str(),
            significant: case.significant,
            description: case.description.clone(),
            missing: case.missing_steps().into_iter().map(|s| s.as_str()).collect(),
            answers,
            timeline,
        },
    )
}
