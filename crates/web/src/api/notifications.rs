//! Outbound messages with when they are due and whether they went.

use super::page_limit;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use redress_core::notification::{Notification, NotificationKind, NotificationStatus};
use redress_core::store::NotificationFilter;
use redress_core::{CaseId, NotificationId};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    case_id: Option<i64>,
    #[param(value_type = Option<NotificationKind>)]
    kind: Option<NotificationKind>,
    #[param(value_type = Option<NotificationStatus>)]
    status: Option<NotificationStatus>,
    /// Only ids below this (the previous page's last id).
    before: Option<i64>,
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// Lists outbound messages, newest first (staff only).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationQuery),
    responses((status = 200, body = Vec<Notification>)))]
pub async fn list_notifications(State(app): State<AppState>, actor: Actor, ApiQuery(q): ApiQuery<NotificationQuery>) -> ApiResult<Json<Vec<Notification>>> {
    actor.staff()?;
    let filter = NotificationFilter { case_id: q.case_id.map(CaseId), kind: q.kind, status: q.status, before_id: q.before, limit: page_limit(q.limit)? };
    Ok(Json(app.store().notifications(&filter).await?))
}

/// Sends a failed message again, from now (managers, seniors and admins).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/retry", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 200, body = Notification)))]
pub async fn retry_notification(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Notification>> {
    let actor = actor.staff()?;
    Ok(Json(retry(&app, &actor, NotificationId(id)).await?))
}

/// Sends a failed message again on behalf of `actor`, a supervisor.
pub(crate) async fn retry(app: &AppState, actor: &redress_core::user::User, id: NotificationId) -> ApiResult<Notification> {
    if !actor.role.supervises() {
        return Err(crate::error::ApiError::forbidden("only a manager, senior or admin may send a failed message again"));
    }
    Ok(app.store().retry_notification(id, app.now()).await?)
}
