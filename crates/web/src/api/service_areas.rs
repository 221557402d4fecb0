//! Service areas and their targets.

use super::audit;
use super::directory::found;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use redress_core::service_area::{NewServiceArea, ServiceArea};
use redress_core::terms::{Severity, Targets};
use redress_core::user::{required_text, User};
use redress_core::{ServiceAreaId, UserId};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServiceArea {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    name: String,
    service_manager_id: UserId,
    /// Overrides of the organisation's targets, such as `{"first_response": "4h"}`.
    #[serde(default)]
    targets: Targets,
    /// Overrides per case severity (`low`, `normal`, `high`, `critical`).
    #[serde(default)]
    #[schema(value_type = Object)]
    targets_by_severity: std::collections::BTreeMap<Severity, Targets>,
}

/// Creates a service area (admin or manager).
#[utoipa::path(post, path = "/api/v1/service-areas", tag = "directory", request_body = CreateServiceArea,
    responses((status = 201, body = ServiceArea)))]
pub async fn create_service_area(
    State(app): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<CreateServiceArea>,
) -> ApiResult<(StatusCode, Json<ServiceArea>)> {
    let actor = actor.staff()?;
    Ok((StatusCode::CREATED, Json(create(&app, &actor, req).await?)))
}

/// Checks and stores a service area on behalf of `actor`, a supervisor.
pub(crate) async fn create(app: &AppState, actor: &User, req: CreateServiceArea) -> ApiResult<ServiceArea> {
    let area = checked(actor, req)?;
    Ok(app.store().create_service_area(area, audit::by(app, actor)).await?)
}

/// Checks and applies a replacement of area `id` on behalf of `actor`.
pub(crate) async fn replace(app: &AppState, actor: &User, id: ServiceAreaId, req: CreateServiceArea) -> ApiResult<ServiceArea> {
    let area = checked(actor, req)?;
    Ok(app.store().update_service_area(id, area, audit::by(app, actor)).await?)
}

fn checked(actor: &User, req: CreateServiceArea) -> ApiResult<NewServiceArea> {
    if !actor.role.supervises() {
        return Err(ApiError::forbidden("only a manager, senior or admin may define service areas"));
    }
    Ok(NewServiceArea {
        name: required_text("name", &req.name, 200)?,
        service_manager_id: req.service_manager_id,
        targets: req.targets,
        targets_by_severity: req.targets_by_severity,
    })
}

/// Replaces an area's name, manager and targets (admin or manager); its
/// cases keep the due times they have.
#[utoipa::path(put, path = "/api/v1/service-areas/{id}", tag = "directory", params(("id" = i64, Path)), request_body = CreateServiceArea,
    responses((status = 200, body = ServiceArea)))]
pub async fn put_service_area(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>, ApiJson(req): ApiJson<CreateServiceArea>) -> ApiResult<Json<ServiceArea>> {
    let actor = actor.staff()?;
    Ok(Json(replace(&app, &actor, ServiceAreaId(id), req).await?))
}

#[utoipa::path(get, path = "/api/v1/service-areas", tag = "directory", responses((status = 200, body = Vec<ServiceArea>)))]
pub async fn list_service_areas(State(app): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<ServiceArea>>> {
    actor.staff()?;
    Ok(Json(app.store().service_areas().await?))
}

#[utoipa::path(get, path = "/api/v1/service-areas/{id}", tag = "directory", params(("id" = i64, Path)), responses((status = 200, body = ServiceArea)))]
pub async fn get_service_area(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<ServiceArea>> {
    actor.staff()?;
    Ok(Json(found(app.store().service_area(ServiceAreaId(id)).await?, "service area", id)?))
}
