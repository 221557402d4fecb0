//! The audit trail over HTTP (admins), and who the web layer says made an
//! administrative change ([`by`]): the store writes the entry with the change.

use super::page_limit;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use redress_core::audit::{AuditEntry, ChangedBy};
use redress_core::user::User;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries with an id below this (the previous page's last id).
    before: Option<i64>,
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// The audit trail of administrative changes, newest first (admin only):
/// who changed what, when, and the record before and after.
#[utoipa::path(get, path = "/api/v1/audit", tag = "directory", params(AuditQuery), responses((status = 200, body = Vec<AuditEntry>)))]
pub async fn list_audit(State(app): State<AppState>, actor: Actor, ApiQuery(q): ApiQuery<AuditQuery>) -> ApiResult<Json<Vec<AuditEntry>>> {
    actor.admin()?;
    Ok(Json(app.store().audit_log(q.before, page_limit(q.limit)?).await?))
}

/// An administrative change by `actor`, now: the store records it in the
/// audit trail in the change's own transaction.
pub(crate) fn by(app: &AppState, actor: &User) -> ChangedBy {
    ChangedBy::user(actor.id, app.now())
}
