//! The console's home page: the newest cases, a page at a time.

use super::{names, Staff};
use crate::pages::frame::{Frame, PageResult};
use crate::pages::pager::Pager;
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use redress_core::store::CaseFilter;
use redress_core::CaseId;

const PAGE_SIZE: u32 = 100;

pub struct CaseRow {
    id: i64,
    reference: String,
    status: &'static str,
    summary: String,
    owner: String,
}

#[derive(Template)]
#[template(path = "console/home.html")]
struct HomePage {
    frame: Frame,
    cases: Vec<CaseRow>,
    pager: Pager,
}

/// `before=N` from the query; anything unreadable means the first page.
fn before(query: Option<&str>) -> Option<i64> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query?)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "before")
        .and_then(|(_, v)| v.parse().ok())
}

pub async fn home(State(app): State<AppState>, Staff(user): Staff, frame: Frame, RawQuery(query): RawQuery) -> PageResult {
    let before = before(query.as_deref());
    let filter = CaseFilter { before_id: before.map(CaseId), limit: PAGE_SIZE, ..CaseFilter::default() };
    let list = app.store().cases(&filter).await?;
    let names = names(&app).await?;
    let pager = Pager::new("/console", before, Pager::next_before(list.iter().map(|c| c.id.0), PAGE_SIZE as usize));
    let cases = list
        .into_iter()
        .map(|c| CaseRow {
            id: c.id.0,
            status: c.status.as_str(),
            owner: names.get(&c.owner_id).cloned().unwrap_or_default(),
            reference: c.reference,
            summary: c.summary,
        })
        .collect();
    let page = HomePage { frame: frame.signed_in(&user), cases, pager };
    Ok(page.frame.page(StatusCode::OK, &page))
}
