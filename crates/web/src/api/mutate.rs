//! The one write path of every handler that changes a case: the domain
//! decides inside the store's transaction, and the answer is the case as it
//! now stands.

use super::views::CaseView;
use crate::error::ApiResult;
use crate::AppState;
use axum::Json;
use jiff::Timestamp;
use redress_core::case::{Case, CaseContext, Outcome};
use redress_core::{CaseId, DomainError, UserId};

/// A change applied: the case as it now stands, the time it was applied at,
/// and for a formal report its private link.
pub(crate) struct Applied {
    pub case: Case,
    pub at: Timestamp,
    pub report_url: Option<String>,
}

/// Applies `change` to case `id` in one transaction.
pub(crate) async fn apply<F>(app: &AppState, id: i64, users: Vec<UserId>, change: F) -> ApiResult<Applied>
where
    F: FnOnce(&mut Case, &CaseContext, Timestamp) -> Result<Outcome, DomainError> + Send + 'static,
{
    let now = app.now();
    let case = app.store().update_case(CaseId(id), users, Box::new(move |case, ctx| change(case, ctx, now))).await?;
    Ok(Applied { case, at: now, report_url: None })
}

/// Applies `change` to case `id` in one transaction and answers with the result.
pub(crate) async fn mutate<F>(app: &AppState, id: i64, users: Vec<UserId>, change: F) -> ApiResult<Json<CaseView>>
where
    F: FnOnce(&mut Case, &CaseContext, Timestamp) -> Result<Outcome, DomainError> + Send + 'static,
{
    let applied = apply(app, id, users, change).await?;
    Ok(Json(CaseView::new(applied.case, applied.at)))
}
