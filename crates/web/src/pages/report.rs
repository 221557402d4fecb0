//! The printable formal action report at its private link.

use super::*;
use axum::extract::{Path, State};

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    org: String,
    reference: String,
    date: String,
    customer: String,
    summary: String,
    actions: Vec<String>,
    owner: String,
}

pub async fn show(State(app): State<AppState>, Path(token): Path<String>) -> Response {
    let org = org_name(&app).await;
    let not_found = |org| message(StatusCode::NOT_FOUND, org, "Report not found", "This link does not lead to a report. Check it was copied in full.", "/");
    let found = match app.store().report_by_token(&crate::auth::digest(&token)).await {
        Ok(found) => found,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some((case, report_id)) = found else { return not_found(org) };
    let Some(report) = case.reports.iter().find(|r| r.id == report_id) else { return not_found(org) };
    let customer = app.store().customer(case.customer_id).await.ok().flatten().map_or_else(String::new, |c| c.name);
    let owner = app.store().user(report.by).await.ok().flatten().map_or_else(String::new, |u| u.name);
    page(
        StatusCode::OK,
        &ReportPage {
            org,
            reference: case.reference.clone(),
            date: report.at.strftime("%-d %B %Y").to_string(),
            customer,
            summary: report.summary.clone(),
            actions: report.actions.clone(),
            owner,
        },
    )
}
