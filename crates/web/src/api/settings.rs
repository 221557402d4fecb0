//! Organisation settings: zone, currency, business hours, holidays, targets.

use redress_core::user::User;
use super::audit;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::extract::ApiJson;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use redress_core::rules::FollowUpRules;
use redress_core::settings::OrgSettings;

#[utoipa::path(get, path = "/api/v1/settings", tag = "directory", responses((status = 200, body = OrgSettings)))]
pub async fn get_settings(State(app): State<AppState>, actor: Actor) -> ApiResult<Json<OrgSettings>> {
    actor.staff()?;
    Ok(Json(app.store().settings().await?))
}

/// Replaces the settings (admin only). Fields left out take their defaults.
/// Due times of existing cases are kept; new ones use the new calendar.
#[utoipa::path(put, path = "/api/v1/settings", tag = "directory", request_body = OrgSettings, responses((status = 200, body = OrgSettings)))]
pub async fn put_settings(State(app): State<AppState>, actor: Actor, ApiJson(req): ApiJson<OrgSettings>) -> ApiResult<Json<OrgSettings>> {
    let admin = actor.admin()?;
    Ok(Json(put(&app, &admin, req.validate()?).await?))
}

/// The survey follow-up rules (thresholds and roles as data).
#[utoipa::path(get, path = "/api/v1/follow-up-rules", tag = "surveys", responses((status = 200, body = FollowUpRules)))]
pub async fn get_rules(State(app): State<AppState>, actor: Actor) -> ApiResult<Json<FollowUpRules>> {
    actor.staff()?;
    Ok(Json(app.store().settings().await?.follow_up_rules))
}

/// Replaces the follow-up rules (admin only).
#[utoipa::path(put, path = "/api/v1/follow-up-rules", tag = "surveys", request_body = FollowUpRules, responses((status = 200, body = FollowUpRules)))]
pub async fn put_rules(State(app): State<AppState>, actor: Actor, ApiJson(rules): ApiJson<FollowUpRules>) -> ApiResult<Json<FollowUpRules>> {
    let admin = actor.admin()?;
    let mut settings = app.store().settings().await?;
    settings.follow_up_rules = rules;
    let saved = put(&app, &admin, settings.validate()?).await?;
    Ok(Json(saved.follow_up_rules))
}

/// Stores checked settings on behalf of `admin`; the store records the
/// change (the follow-up rules apart from the rest).
pub(crate) async fn put(app: &AppState, admin: &User, settings: OrgSettings) -> ApiResult<OrgSettings> {
    Ok(app.store().put_settings(settings, audit::by(app, admin)).await?)
}
