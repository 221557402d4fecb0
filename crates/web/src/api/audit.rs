//! The audit trail over HTTP (admins), and the one way the rest of the web
//! layer records an administrative change in it.

use super::page_limit;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use redress_core::audit::{AuditEntry, NewAuditEntry};
use redress_core::store::Store;
use redress_core::user::User;
use serde::{Deserialize, Serialize};
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

/// Records `action` on `subject` by `actor`, right after the change was
/// stored. A failure to record is logged loudly; the change stands.
pub(crate) async fn record<B: Serialize, A: Serialize>(app: &AppState, actor: &User, action: &'static str, subject: impl Into<String>, before: Option<&B>, after: Option<&A>) {
    record_in(app.store(), app.now(), actor, NewAuditEntry::new(Some(actor.id), action, subject, before, after)).await;
}

/// [`record`] for code that holds the store but no request (an erasure
/// from the command line).
pub(crate) async fn record_in(store: &dyn Store, at: jiff::Timestamp, actor: &User, entry: NewAuditEntry) {
    if let Err(e) = store.record_audit(entry.clone(), at).await {
        tracing::error!(error = %e, actor = actor.id.0, action = entry.action, subject = %entry.subject, "cannot record an administrative change in the audit log");
    }
}

/// For a change with nothing to show before or after (a password set).
pub(crate) const NOTHING: Option<&()> = None;
