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
    /// "Reference RD-7 · 1 December 2026".
    reference_line: String,
    customer: String,
    summary: String,
    actions: Vec<String>,
    owner: String,
}

pub async fn show(State(app): State<AppState>, frame: Frame, Path(token): Path<String>) -> PageResult {
    let not_found = |frame: &Frame| frame.message(StatusCode::NOT_FOUND, &frame.t("report-not-found-heading"), &frame.t("report-not-found"), "/");
    let Some((case, report_id)) = app.store().report_by_token(&crate::auth::digest(&token)).await? else { return Ok(not_found(&frame)) };
    render(&app, frame, &case, report_id).await
}

/// Report `report_id` of `case` as its customer reads it (staff open it
/// from the case page too, by the report's number).
pub(crate) async fn render(app: &AppState, frame: Frame, case: &redress_core::case::Case, report_id: u32) -> PageResult {
    let not_found = |frame: &Frame| frame.message(StatusCode::NOT_FOUND, &frame.t("report-not-found-heading"), &frame.t("report-not-found"), "/");
    let Some(report) = case.reports.iter().find(|r| r.id == report_id) else { return Ok(not_found(&frame)) };
    let Some(customer) = app.store().customer(case.customer_id).await? else { return Ok(not_found(&frame)) };
    let frame = frame.for_customer(&customer);
    let owner = app.store().user(report.by).await?.map_or_else(String::new, |u| u.name);
    let date = redress_i18n::date(frame.lang, report.at.to_zoned(customer.time_zone()).date());
    let page = ReportPage {
        reference: case.reference.clone(),
        reference_line: redress_i18n::text(frame.lang, "report-reference", &[("reference", case.reference.as_str().into()), ("date", date.as_str().into())]),
        customer: customer.name,
        summary: report.summary.clone(),
        actions: report.actions.clone(),
        owner,
        frame,
    };
    Ok(page.frame.page(StatusCode::OK, &page))
}
