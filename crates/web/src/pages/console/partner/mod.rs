//! The partner pages: a retailer's account, signed in at the console's
//! sign-in page, sees only the cases it submitted — the list here, one
//! case's page in [`case`] — and submits new ones for its customers
//! ([`submit`]). Every page takes a [`Partner`]; staff are refused them, and
//! a partner is refused every staff page (see [`super::Staff`]).

mod case;
mod submit;

use super::Partner;
use crate::pages::format::{when, zone};
use crate::pages::frame::{Frame, PageResult};
use crate::pages::pager::Pager;
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use redress_core::case::Status;
use redress_core::store::{CaseFilter, CaseSort};

/// Where a partner lands after signing in: their cases.
pub(super) const HOME: &str = "/console/partner";

const PAGE_SIZE: u32 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(HOME, get(list))
        .route("/console/partner/cases/new", get(submit::form).post(submit::submit))
        .route("/console/partner/cases/{id}", get(case::show))
        .route("/console/partner/cases/{id}/messages", post(case::message))
}

/// Where a case stands, in the words a partner reads: whether it has been
/// answered, is being put right, was reopened or is closed — never the
/// internal steps (an approval awaited is simply work in progress).
pub(super) fn in_words(status: Status) -> &'static str {
    match status {
        Status::Open => "Received, not yet answered",
        Status::InProgress | Status::AwaitingApproval => "Being put right",
        Status::Reopened => "Reopened: being looked at again",
        Status::Closed => "Closed",
    }
}

pub struct Row {
    id: i64,
    reference: String,
    summary: String,
    customer: String,
    status: &'static str,
    changed: String,
}

#[derive(Template)]
#[template(path = "console/partner/cases.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    page: u32,
    pager: Pager,
}

/// The cases this partner submitted, newest first, 50 a page.
async fn list(State(app): State<AppState>, Partner(user): Partner, frame: Frame, RawQuery(query): RawQuery) -> PageResult {
    let pairs: Vec<(String, String)> = query.and_then(|q| serde_urlencoded::from_str(&q).ok()).unwrap_or_default();
    let page = pairs.iter().find(|(k, _)| k == "page").and_then(|(_, v)| v.trim().parse::<u32>().ok()).filter(|p| (1..=10_000).contains(p)).unwrap_or(1);
    let store = app.store();
    let filter = CaseFilter { created_by: Some(user.id), sort: CaseSort::Newest, offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE + 1, ..CaseFilter::default() };
    let mut cases = store.cases(&filter).await?;
    let more = cases.len() > PAGE_SIZE as usize;
    cases.truncate(PAGE_SIZE as usize);
    let customers = store.customer_names(&cases.iter().map(|c| c.customer_id).collect::<Vec<_>>()).await?;
    let changes = store.last_changes(&cases.iter().map(|c| c.id).collect::<Vec<_>>()).await?;
    let tz = zone(&store.settings().await?);
    let rows = cases
        .into_iter()
        .map(|c| Row {
            id: c.id.0,
            customer: customers.get(&c.customer_id).cloned().unwrap_or_default(),
            status: in_words(c.status),
            changed: when(changes.get(&c.id).copied().unwrap_or(c.created_at), &tz),
            reference: c.reference,
            summary: c.summary,
        })
        .collect();
    let page = ListPage { frame: frame.partner(&user), rows, page, pager: Pager::numbered(HOME, page, more) };
    Ok(page.frame.page(StatusCode::OK, &page))
}
