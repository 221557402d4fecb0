//! Staff accounts: the list and a new account; one account's details,
//! role, mandate, manager and status, its password, and its API tokens
//! (issued once, listed without the secret, revoked at once). Each form
//! takes the API's path.

use super::Admin;
use crate::api::users::{change_password, change_user, create as create_user, issue_token as issue_api_token, revoke, CreateUser, PatchUser};
use crate::error::{ApiError, ApiResult};
use crate::extract::from_form;
use crate::pages::format::{money, when, zone};
use crate::pages::forms::{csrf_ok, FormFields, Shape};
use crate::pages::frame::{redirect_with, Flash, Frame, PagePath, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use redress_core::user::User;
use redress_core::UserId;
use std::collections::HashMap;

const ROLES: [&str; 5] = ["agent", "manager", "senior", "admin", "partner"];

/// How the account forms' fields read as JSON.
const SHAPE: Shape = Shape { prefix: "", numbers: &[], ticks: &[], booleans: &["active"], lines: &[], local_times: &[], nullable: &["manager_id"] };

pub struct Row {
    id: i64,
    name: String,
    email: String,
    role: &'static str,
    mandate: String,
    manager: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "console/admin/staff.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    roles: [&'static str; 5],
    managers: Vec<(String, String)>,
    currency: String,
    error: Option<String>,
    kept: FormFields,
}

impl ListPage {
    fn kept(&self, field: &str) -> &str {
        self.kept.get(field).unwrap_or_default()
    }
}

pub struct TokenRow {
    id: i64,
    label: String,
    created: String,
}

#[derive(Template)]
#[template(path = "console/admin/staff_user.html")]
struct UserPage {
    frame: Frame,
    user: User,
    mandate: String,
    roles: [&'static str; 5],
    managers: Vec<(String, String)>,
    currency: String,
    tokens: Vec<TokenRow>,
    /// A token just issued, shown this once.
    issued: Option<String>,
    error: Option<String>,
}

impl UserPage {
    fn manager_is(&self, id: &str) -> bool {
        self.user.manager_id.map(|m| m.to_string()).as_deref() == Some(id)
    }
}

/// Everyone who can manage others, as (id, "Name (role)") choices.
fn managers(users: &[User]) -> Vec<(String, String)> {
    let mut m: Vec<(String, String)> = users.iter().filter(|u| u.active && u.role.supervises()).map(|u| (u.id.to_string(), format!("{} ({})", u.name, u.role.as_str()))).collect();
    m.sort_by(|a, b| a.1.cmp(&b.1));
    m
}

async fn list_page(app: &AppState, frame: Frame, admin: &User, status: StatusCode, error: Option<String>, kept: FormFields) -> PageResult {
    let users = app.store().users().await?;
    let settings = app.store().settings().await?;
    let names: HashMap<UserId, String> = users.iter().map(|u| (u.id, u.name.clone())).collect();
    let rows = users
        .iter()
        .map(|u| Row {
            id: u.id.0,
            name: u.name.clone(),
            email: u.email.clone().unwrap_or_default(),
            role: u.role.as_str(),
            mandate: money(u.mandate, &settings),
            manager: u.manager_id.and_then(|m| names.get(&m).cloned()).unwrap_or_default(),
            active: u.active,
        })
        .collect();
    let page = ListPage { frame: frame.signed_in(admin), managers: managers(&users), rows, roles: ROLES, currency: settings.currency, error, kept };
    Ok(page.frame.page(status, &page))
}

pub async fn list(State(app): State<AppState>, Admin(admin): Admin, frame: Frame) -> PageResult {
    list_page(&app, frame, &admin, StatusCode::OK, None, FormFields(Vec::new())).await
}

pub async fn create(State(app): State<AppState>, Admin(admin): Admin, headers: HeaderMap, frame: Frame, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form("/console/admin/staff"));
    }
    let created = async {
        let req: CreateUser = from_form(form.to_json(&SHAPE, &jiff::tz::TimeZone::UTC))?;
        create_user(&app, &admin, req).await
    }
    .await;
    match created {
        Ok(u) => Ok(redirect_with(&format!("/console/admin/staff/{}", u.id), Flash::notice(format!("{} can now be given cases.", u.name)))),
        Err(e) if e.status.is_client_error() => list_page(&app, frame, &admin, e.status, Some(e.detail), form).await,
        Err(e) => Err(e.into()),
    }
}

async fn user_page(app: &AppState, frame: Frame, admin: &User, id: i64, status: StatusCode, issued: Option<String>, error: Option<String>) -> PageResult {
    let store = app.store();
    let Some(user) = store.user(UserId(id)).await? else {
        return Ok(frame.message(StatusCode::NOT_FOUND, "No such account", &format!("There is no user {id}."), "/console/admin/staff"));
    };
    let settings = store.settings().await?;
    let tz = zone(&settings);
    let tokens = store
        .api_tokens(user.id)
        .await?
        .into_iter()
        .map(|t| TokenRow { id: t.id, label: t.label.unwrap_or_else(|| "(no label)".into()), created: when(t.created_at, &tz) })
        .collect();
    let users = store.users().await?;
    let page = UserPage {
        frame: frame.signed_in(admin),
        mandate: user.mandate.to_string(),
        managers: managers(&users).into_iter().filter(|(m, _)| *m != user.id.to_string()).collect(),
        roles: ROLES,
        currency: settings.currency,
        tokens,
        issued,
        error,
        user,
    };
    Ok(page.frame.page(status, &page))
}

pub async fn show(State(app): State<AppState>, Admin(admin): Admin, frame: Frame, PagePath(id): PagePath<i64>) -> PageResult {
    user_page(&app, frame, &admin, id, StatusCode::OK, None, None).await
}

/// Runs a form's change and answers as pages do: back to the account with
/// a notice, or the account again with the refusal.
async fn answer(app: &AppState, frame: Frame, admin: &User, id: i64, done: ApiResult<String>) -> PageResult {
    match done {
        Ok(notice) => Ok(redirect_with(&format!("/console/admin/staff/{id}"), Flash::notice(notice))),
        Err(e) if e.status.is_client_error() => user_page(app, frame, admin, id, e.status, None, Some(e.detail)).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn change(State(app): State<AppState>, Admin(admin): Admin, headers: HeaderMap, frame: Frame, PagePath(id): PagePath<i64>, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form(&format!("/console/admin/staff/{id}")));
    }
    let done = async {
        let req: PatchUser = from_form(form.to_json(&SHAPE, &jiff::tz::TimeZone::UTC))?;
        let u = change_user(&app, &admin, UserId(id), req).await?;
        Ok(format!("{} saved.", u.name))
    }
    .await;
    answer(&app, frame, &admin, id, done).await
}

pub async fn password(State(app): State<AppState>, Admin(admin): Admin, headers: HeaderMap, frame: Frame, PagePath(id): PagePath<i64>, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form(&format!("/console/admin/staff/{id}")));
    }
    let done = async {
        let password = form.get("password").unwrap_or_default().to_string();
        change_password(&app, &admin, UserId(id), password).await?;
        Ok("Password set; their console sessions have ended.".to_string())
    }
    .await;
    answer(&app, frame, &admin, id, done).await
}

pub async fn issue_token(State(app): State<AppState>, Admin(admin): Admin, headers: HeaderMap, frame: Frame, PagePath(id): PagePath<i64>, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form(&format!("/console/admin/staff/{id}")));
    }
    let issued = async {
        let (_, token) = issue_api_token(&app, &admin, UserId(id), form.get("label")).await?;
        Ok::<_, ApiError>(token)
    }
    .await;
    match issued {
        // Shown on this page only: it is never stored and never redirected.
        Ok(token) => user_page(&app, frame, &admin, id, StatusCode::CREATED, Some(token), None).await,
        Err(e) if e.status.is_client_error() => user_page(&app, frame, &admin, id, e.status, None, Some(e.detail)).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_token(
    State(app): State<AppState>,
    Admin(admin): Admin,
    headers: HeaderMap,
    frame: Frame,
    PagePath((id, token)): PagePath<(i64, i64)>,
    form: FormFields,
) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form(&format!("/console/admin/staff/{id}")));
    }
    let done = revoke(&app, &admin, UserId(id), token).await.map(|()| "Token revoked: it no longer works.".to_string());
    answer(&app, frame, &admin, id, done).await
}
