//! The printable formal action report at its private link.

use crate::pages::frame::{Frame, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;

#[derive(Template)]
#[template(path = "public/report.html")]
struct ReportPage {
    frame: Frame,
    reference: String,
    date: String,
    customer: String,
    summary: String,
    actions: Vec<String>,
    owner: String,
}

pub async fn show(State(app): State<AppState>, frame: Frame, Path(token): Path<String>) -> PageResult {
    let not_found = |frame: &Frame| {
        frame.message(StatusCode::NOT_FOUND, "Report not found", "This link does not lead to a report. Check it was copied in full.", "/")
    };
    let Some((case, report_id)) = app.store().report_by_token(&crate::auth::digest(&token)).await? else { return Ok(not_found(&frame)) };
    let Some(report) = case.reports.iter().find(|r| r.id == report_id) else { return Ok(not_found(&frame)) };
    let customer = app.store().customer(case.customer_id).await?.map_or_else(String::new, |c| c.name);
    let owner = app.store().user(report.by).await?.map_or_else(String::new, |u| u.name);
    let page = ReportPage {
        reference: case.reference.clone(),
        date: report.at.strftime("%-d %B %Y").to_string(),
        customer,
        summary: report.summary.clone(),
        actions: report.actions.clone(),
        owner,
        frame,
    };
    Ok(page.frame.page(StatusCode::OK, &page))
}
