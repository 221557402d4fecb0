//! Complaint categories: the admin-managed list cases carry and survey
//! questions map to; trends and candidate problems are counted by it.

use redress_core::user::User;
use super::audit;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use redress_core::category::{Category, NewCategory};
use redress_core::CategoryId;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    /// 1 to 100 characters, unique (case-insensitively).
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    name: String,
    description: Option<String>,
    /// `false` retires it: cases keep it, nobody can choose it any more.
    #[serde(default = "yes")]
    active: bool,
}

fn yes() -> bool {
    true
}

impl CategoryInput {
    fn checked(&self) -> ApiResult<NewCategory> {
        Ok(NewCategory::checked(&self.name, self.description.as_deref(), self.active)?)
    }
}

/// Adds a category (admins).
#[utoipa::path(post, path = "/api/v1/categories", tag = "directory", request_body = CategoryInput,
    responses((status = 201, body = Category)))]
pub async fn create_category(State(app): State<AppState>, actor: Actor, ApiJson(req): ApiJson<CategoryInput>) -> ApiResult<(StatusCode, Json<Category>)> {
    let admin = actor.admin()?;
    Ok((StatusCode::CREATED, Json(store_new(&app, &admin, req.checked()?).await?)))
}

/// Every category, active and retired, by name (staff).
#[utoipa::path(get, path = "/api/v1/categories", tag = "directory", responses((status = 200, body = Vec<Category>)))]
pub async fn list_categories(State(app): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<Category>>> {
    actor.staff()?;
    Ok(Json(app.store().categories().await?))
}

/// Renames, describes, retires or reinstates a category (admins).
#[utoipa::path(put, path = "/api/v1/categories/{id}", tag = "directory", params(("id" = i64, Path)), request_body = CategoryInput,
    responses((status = 200, body = Category)))]
pub async fn put_category(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>, ApiJson(req): ApiJson<CategoryInput>) -> ApiResult<Json<Category>> {
    let admin = actor.admin()?;
    Ok(Json(store_change(&app, &admin, CategoryId(id), req.checked()?).await?))
}

/// Stores a checked category on behalf of `admin` (the store records it in
/// the audit trail).
pub(crate) async fn store_new(app: &AppState, admin: &User, new: NewCategory) -> ApiResult<Category> {
    Ok(app.store().create_category(new, audit::by(app, admin)).await?)
}

/// Applies a checked change to category `id` on behalf of `admin`; an
/// unknown category is a 404.
pub(crate) async fn store_change(app: &AppState, admin: &User, id: CategoryId, change: NewCategory) -> ApiResult<Category> {
    Ok(app.store().update_category(id, change, audit::by(app, admin)).await?)
}
