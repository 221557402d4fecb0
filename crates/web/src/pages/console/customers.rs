//! Customers: the list (newest first, or found by e-mail) and each customer
//! with their cases, survey responses and rewards; for admins, everything
//! held about them as a download and the erasure of their personal data.

use super::admin::Admin;
use super::{names, Staff};
use crate::api::customer_data;
use crate::pages::format::{when, zone};
use crate::pages::forms::{csrf_ok, FormFields};
use crate::pages::frame::{redirect_with, Flash, Frame, PagePath, PageResult};
use crate::pages::pager::Pager;
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use redress_core::store::CaseFilter;
use redress_core::user::{Role, User};
use redress_core::CustomerId;

/// What an admin types to confirm an erasure.
const CONFIRM_WORD: &str = "ERASE";

const PAGE_SIZE: u32 = 50;
/// Most cases and responses a customer's page lists.
const MOST: u32 = 200;

pub struct Row {
    id: i64,
    name: String,
    email: String,
    phone: String,
    since: String,
}

#[derive(Template)]
#[template(path = "console/customers/list.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    email: String,
    pager: Pager,
}

pub async fn list(State(app): State<AppState>, Staff(user): Staff, frame: Frame, RawQuery(query): RawQuery) -> PageResult {
    let pairs: Vec<(String, String)> = query.and_then(|q| serde_urlencoded::from_str(&q).ok()).unwrap_or_default();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let (email, before) = (get("email"), get("before").parse::<i64>().ok());
    let store = app.store();
    let tz = zone(&store.settings().await?);
    let found = if email.is_empty() { store.customers(before.map(CustomerId), PAGE_SIZE).await? } else { store.customer_by_email(&email).await?.into_iter().collect() };
    let older = (email.is_empty() && found.len() == PAGE_SIZE as usize).then(|| found.last().map(|c| format!("/console/customers?before={}", c.id.0))).flatten();
    let rows = found
        .into_iter()
        .map(|c| Row { id: c.id.0, since: when(c.created_at, &tz), name: c.name, email: c.email.unwrap_or_default(), phone: c.phone.unwrap_or_default() })
        .collect();
    let page = ListPage { frame: frame.signed_in(&user), rows, email, pager: Pager { first: before.map(|_| "/console/customers".to_string()), newer: None, older } };
    Ok(page.frame.page(StatusCode::OK, &page))
}

pub struct CaseRow {
    id: i64,
    reference: String,
    summary: String,
    owner: String,
    status: &'static str,
    opened: String,
}

pub struct ResponseRow {
    at: String,
    lowest: String,
    nps: String,
    case: Option<i64>,
}

#[derive(Template)]
#[template(path = "console/customers/show.html")]
struct CustomerPage {
    frame: Frame,
    id: i64,
    /// Admins see the export and the erasure.
    admin: bool,
    /// "Erased on … by …", once it was.
    erased: Option<String>,
    /// Why the erasure form was refused.
    error: Option<String>,
    confirm_word: &'static str,
    name: String,
    details: Vec<(&'static str, String)>,
    cases: Vec<CaseRow>,
    responses: Vec<ResponseRow>,
    balance: i64,
    rewards: Vec<(String, String, i64)>,
}

pub async fn show(State(app): State<AppState>, Staff(user): Staff, frame: Frame, PagePath(id): PagePath<i64>) -> PageResult {
    customer_page(&app, frame, &user, id, StatusCode::OK, None).await
}

async fn customer_page(app: &AppState, frame: Frame, user: &User, id: i64, status: StatusCode, error: Option<String>) -> PageResult {
    let frame = frame.signed_in(user);
    let store = app.store();
    let Some(customer) = store.customer(CustomerId(id)).await? else {
        return Ok(frame.message(StatusCode::NOT_FOUND, "No such customer", &format!("There is no customer {id}."), "/console/customers"));
    };
    let tz = zone(&store.settings().await?);
    let names = names(app).await?;
    let erased = store.erasure(customer.id).await?.map(|e| {
        let by = names.get(&e.erased_by).cloned().unwrap_or_else(|| format!("user {}", e.erased_by));
        format!("Personal data erased on {} by {by}, at the customer's request.", when(e.erased_at, &tz))
    });
    let cases = store
        .cases(&CaseFilter { customer_id: Some(customer.id), limit: MOST, ..CaseFilter::default() })
        .await?
        .into_iter()
        .map(|c| CaseRow {
            id: c.id.0,
            owner: names.get(&c.owner_id).cloned().unwrap_or_default(),
            status: c.status.label(),
            opened: when(c.reported_at, &tz),
            reference: c.reference,
            summary: c.summary,
        })
        .collect();
    let responses = store
        .responses_of(customer.id, MOST)
        .await?
        .into_iter()
        .map(|r| ResponseRow {
            at: when(r.created_at, &tz),
            lowest: r.lowest_rating.map_or_else(|| "—".into(), |s| format!("{s}/5")),
            nps: r.nps.map_or_else(|| "—".into(), |s| s.to_string()),
            case: r.case_id.map(|c| c.0),
        })
        .collect();
    let entries = store.rewards(customer.id).await?;
    let mut details = vec![("E-mail", customer.email.clone().unwrap_or_default()), ("Phone", customer.phone.clone().unwrap_or_default()), ("Time zone", customer.timezone.clone())];
    details.extend(customer.client_manager_id.map(|m| ("Client manager", names.get(&m).cloned().unwrap_or_default())));
    details.push(("Customer since", when(customer.created_at, &tz)));
    details.retain(|(_, v)| !v.is_empty());
    let page = CustomerPage {
        frame,
        id,
        admin: user.role == Role::Admin,
        erased,
        error,
        confirm_word: CONFIRM_WORD,
        name: customer.name,
        details,
        cases,
        responses,
        balance: entries.iter().map(|e| e.points).sum(),
        rewards: entries.into_iter().map(|e| (when(e.created_at, &tz), e.reason.replace('_', " "), e.points)).collect(),
    };
    Ok(page.frame.page(status, &page))
}

/// Everything held about the customer, as a JSON download (admins only):
/// the document `GET /api/v1/customers/{id}/export` answers.
pub async fn export(State(app): State<AppState>, Admin(_admin): Admin, PagePath(id): PagePath<i64>) -> PageResult {
    let document = customer_data::export(app.store(), CustomerId(id), app.now()).await?;
    let body = serde_json::to_vec_pretty(&document).map_err(|e| {
        tracing::error!(error = %e, "an export could not be written");
        crate::error::ApiError::internal()
    })?;
    let disposition = format!("attachment; filename=\"customer-{id}.json\"");
    Ok(([(header::CONTENT_TYPE, "application/json".to_string()), (header::CONTENT_DISPOSITION, disposition)], body).into_response())
}

/// Erases the customer's personal data (admins only), once the admin has
/// typed the confirmation word; a refusal shows the page again with the reason.
pub async fn erase(State(app): State<AppState>, Admin(admin): Admin, headers: HeaderMap, frame: Frame, PagePath(id): PagePath<i64>, form: FormFields) -> PageResult {
    let back = format!("/console/customers/{id}");
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form(&back));
    }
    let typed = form.text("confirm");
    if typed != CONFIRM_WORD {
        let why = if typed.is_empty() {
            format!("Nothing was erased: type {CONFIRM_WORD} in the box to confirm that this customer's personal data is to be erased for good.")
        } else {
            format!("Nothing was erased: you typed “{typed}”, not {CONFIRM_WORD}. Type {CONFIRM_WORD} (in capitals) to confirm.")
        };
        return customer_page(&app, frame, &admin, id, StatusCode::UNPROCESSABLE_ENTITY, Some(why)).await;
    }
    match customer_data::erase(app.store(), &admin, CustomerId(id), app.now()).await {
        Ok(r) => Ok(redirect_with(
            &back,
            Flash::notice(format!(
                "Personal data erased: {} case(s) anonymised, {} file(s) deleted, {} message(s) to the customer cancelled. The figures are kept.",
                r.cases, r.attachments_deleted, r.notifications_cancelled
            )),
        )),
        Err(e) if e.status.is_client_error() => customer_page(&app, frame, &admin, id, e.status, Some(e.detail)).await,
        Err(e) => Err(e.into()),
    }
}
