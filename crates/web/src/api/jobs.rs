//! Background jobs, for operators: what is queued, what gave up.

use super::page_limit;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use redress_core::jobs::{JobRecord, JobStatus};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// `dead` lists the dead letters: jobs that failed on every attempt.
    #[param(value_type = Option<JobStatus>)]
    status: Option<JobStatus>,
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// Lists jobs, newest first (admin only).
#[utoipa::path(get, path = "/api/v1/jobs", tag = "notifications", params(JobQuery), responses((status = 200, body = Vec<JobRecord>)))]
pub async fn list_jobs(State(app): State<AppState>, actor: Actor, ApiQuery(q): ApiQuery<JobQuery>) -> ApiResult<Json<Vec<JobRecord>>> {
    actor.admin()?;
    Ok(Json(app.store().jobs(q.status, page_limit(q.limit)?).await?))
}
