//! Problems: systemic issues linked from many cases' preventive actions.

use super::directory::found;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use redress_core::problem::{NewProblem, Problem};
use redress_core::user::{optional_text, required_text, User};
use redress_core::ProblemId;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProblem {
    title: String,
    description: Option<String>,
    root_cause: Option<String>,
    permanent_solution: Option<String>,
}

/// Records a problem (staff only).
#[utoipa::path(post, path = "/api/v1/problems", tag = "directory", request_body = CreateProblem,
    responses((status = 201, body = Problem)))]
pub async fn create_problem(State(app): State<AppState>, actor: Actor, ApiJson(req): ApiJson<CreateProblem>) -> ApiResult<(StatusCode, Json<Problem>)> {
    let actor = actor.staff()?;
    Ok((StatusCode::CREATED, Json(create(&app, &actor, req).await?)))
}

/// Checks and stores a problem recorded by `actor`.
pub(crate) async fn create(app: &AppState, actor: &User, req: CreateProblem) -> ApiResult<Problem> {
    let problem = NewProblem {
        title: required_text("title", &req.title, 300)?,
        description: optional_text("description", req.description.as_deref(), 20_000)?,
        root_cause: optional_text("root_cause", req.root_cause.as_deref(), 20_000)?,
        permanent_solution: optional_text("permanent_solution", req.permanent_solution.as_deref(), 20_000)?,
        created_by: actor.id,
    };
    Ok(app.store().create_problem(problem, app.now()).await?)
}

#[utoipa::path(get, path = "/api/v1/problems", tag = "directory", responses((status = 200, body = Vec<Problem>)))]
pub async fn list_problems(State(app): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<Problem>>> {
    actor.staff()?;
    Ok(Json(app.store().problems().await?))
}

#[utoipa::path(get, path = "/api/v1/problems/{id}", tag = "directory", params(("id" = i64, Path)), responses((status = 200, body = Problem)))]
pub async fn get_problem(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Problem>> {
    actor.staff()?;
    Ok(Json(found(app.store().problem(ProblemId(id)).await?, "problem", id)?))
}
