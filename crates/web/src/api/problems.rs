//! Problems: systemic issues behind many cases, as managed records — owner,
//! status, root cause, permanent solution, the cases linked to them, what
//! those cost, and the history of every change. The rules live in
//! `redress_core::problem`; these handlers read requests into them.

use super::directory::{found, present};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use redress_core::problem::{NewProblem, Problem, ProblemChange, ProblemEvent, ProblemStatus};
use redress_core::store::{LinkedCase, StoreError};
use redress_core::user::User;
use redress_core::{CaseId, DomainError, ProblemId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Most cases one request links, and most linked cases a problem's record lists.
pub(crate) const MOST_CASES: u32 = 500;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProblem {
    /// At most 300 characters.
    #[schema(min_length = 1, max_length = 300, pattern = r"\S")]
    title: String,
    description: Option<String>,
    /// The root cause, if known: the problem starts `diagnosed`.
    root_cause: Option<String>,
    /// The permanent solution, if in place: the problem starts `solved`.
    permanent_solution: Option<String>,
    /// The owner, an active staff member; the recording staff member when absent.
    owner_id: Option<UserId>,
    /// Existing cases to link at once (at most 500), as
    /// `POST /api/v1/problems/{id}/cases` does. An unknown case, or one
    /// linked to another problem, stores nothing (not the problem either).
    #[serde(default)]
    case_ids: Vec<CaseId>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkCases {
    /// Existing cases to link (1 to 500).
    #[schema(min_items = 1, max_items = 500)]
    case_ids: Vec<CaseId>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchProblem {
    #[schema(min_length = 1, max_length = 300, pattern = r"\S")]
    title: Option<String>,
    /// `null` or `""` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    description: Option<Option<String>>,
    /// `null` or `""` clears it (not while the status needs it).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    root_cause: Option<Option<String>>,
    /// `null` or `""` clears it (not while the status needs it).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    permanent_solution: Option<Option<String>>,
    /// An active staff member.
    owner_id: Option<UserId>,
    /// `diagnosed` needs a root cause; `solved` and `closed` a permanent
    /// solution. Closing is for the owner or a supervisor; a closed problem
    /// is reopened (any other status) only by a manager, senior or admin.
    status: Option<ProblemStatus>,
}

impl PatchProblem {
    pub(crate) fn into_change(self) -> ProblemChange {
        ProblemChange {
            title: self.title,
            description: self.description,
            root_cause: self.root_cause,
            permanent_solution: self.permanent_solution,
            owner_id: self.owner_id,
            status: self.status,
        }
    }
}

/// A problem with its linked cases and its history.
#[derive(Serialize, ToSchema)]
pub struct ProblemDetail {
    #[serde(flatten)]
    problem: Problem,
    /// The linked cases, newest first: at most 500 (`case_count` says how
    /// many there are; `GET /api/v1/cases?problem_id=` pages through them all).
    cases: Vec<LinkedCase>,
    /// Every change to the problem, oldest first: who, when, what.
    history: Vec<ProblemEvent>,
}

/// The problem as it now stands, with its cases and history.
pub(crate) async fn detail(app: &AppState, problem: Problem) -> ApiResult<ProblemDetail> {
    let cases = app.store().linked_cases(problem.id, MOST_CASES).await?;
    let history = app.store().problem_history(problem.id).await?;
    Ok(ProblemDetail { problem, cases, history })
}

/// Checks the cases a request names: at most [`MOST_CASES`], each existing.
async fn named_cases(app: &AppState, ids: &[CaseId]) -> ApiResult<()> {
    if ids.len() > MOST_CASES as usize {
        return Err(ApiError::unprocessable(format!("case_ids names {} cases; link at most {MOST_CASES} at a time", ids.len())));
    }
    for id in ids {
        if app.store().case(*id).await?.is_none() {
            return Err(ApiError::unprocessable(format!("case_ids: case {id} does not exist")));
        }
    }
    Ok(())
}

/// A case named in the body that went missing meanwhile is the body's fault.
fn in_body(e: StoreError) -> ApiError {
    match e {
        StoreError::Domain(DomainError::NotFound(m)) => ApiError::unprocessable(format!("case_ids: {m}")),
        e => e.into(),
    }
}

/// Records a problem (staff only), linking `case_ids` to it in the same
/// write: each case's timeline records the link, and a case without a
/// preventive-action owner gets the problem's owner as one.
#[utoipa::path(post, path = "/api/v1/problems", tag = "directory", request_body = CreateProblem,
    responses((status = 201, body = ProblemDetail, headers(("location" = String)))))]
pub async fn create_problem(State(app): State<AppState>, actor: Actor, ApiJson(req): ApiJson<CreateProblem>) -> ApiResult<impl IntoResponse> {
    let actor = actor.staff()?;
    let problem = create(&app, &actor, req).await?;
    let location = format!("/api/v1/problems/{}", problem.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(detail(&app, problem).await?)))
}

/// Checks and stores a problem recorded by `actor`, with its cases.
pub(crate) async fn create(app: &AppState, actor: &User, req: CreateProblem) -> ApiResult<Problem> {
    let owner = match req.owner_id {
        Some(id) if id != actor.id => app.store().user(id).await?.ok_or_else(|| ApiError::unprocessable(format!("owner_id {id} does not exist")))?,
        _ => actor.clone(),
    };
    let problem = NewProblem::check(actor, &owner, &req.title, req.description.as_deref(), req.root_cause.as_deref(), req.permanent_solution.as_deref())?;
    named_cases(app, &req.case_ids).await?;
    app.store().create_problem(problem, req.case_ids, actor.clone(), app.now()).await.map_err(in_body)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProblemQuery {
    /// Only problems in this status: `open`, `diagnosed`, `solved` or
    /// `closed`; any other value is a 400.
    #[param(value_type = Option<ProblemStatus>)]
    status: Option<String>,
}

/// Reads a `status` parameter strictly, naming it when it is wrong.
pub(crate) fn parse_status(status: Option<&str>) -> ApiResult<Option<ProblemStatus>> {
    match status {
        None => Ok(None),
        Some(s) => ProblemStatus::parse(s)
            .map(Some)
            .ok_or_else(|| ApiError::bad_request(format!("status '{s}' is not a problem status: give {}", ProblemStatus::choices()))),
    }
}

/// Lists problems, newest first, each with its owner, status and cost
/// (staff only).
#[utoipa::path(get, path = "/api/v1/problems", tag = "directory", params(ProblemQuery), responses((status = 200, body = Vec<Problem>)))]
pub async fn list_problems(State(app): State<AppState>, actor: Actor, ApiQuery(q): ApiQuery<ProblemQuery>) -> ApiResult<Json<Vec<Problem>>> {
    actor.staff()?;
    let status = parse_status(q.status.as_deref())?;
    Ok(Json(app.store().problems(status).await?))
}

/// Reads a problem with its cost, its linked cases and its history (staff only).
#[utoipa::path(get, path = "/api/v1/problems/{id}", tag = "directory", params(("id" = i64, Path)), responses((status = 200, body = ProblemDetail)))]
pub async fn get_problem(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<ProblemDetail>> {
    actor.staff()?;
    let problem = found(app.store().problem(ProblemId(id)).await?, "problem", id)?;
    Ok(Json(detail(&app, problem).await?))
}

/// Changes a problem: its texts, owner or status (staff only). Every change
/// lands in its history; a refusal changes nothing.
#[utoipa::path(patch, path = "/api/v1/problems/{id}", tag = "directory", params(("id" = i64, Path)), request_body = PatchProblem,
    responses((status = 200, body = ProblemDetail)))]
pub async fn patch_problem(
    State(app): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PatchProblem>,
) -> ApiResult<Json<ProblemDetail>> {
    let actor = actor.staff()?;
    let problem = change(&app, actor, ProblemId(id), req.into_change()).await?;
    Ok(Json(detail(&app, problem).await?))
}

/// Applies `change` to problem `id` on behalf of `actor`.
pub(crate) async fn change(app: &AppState, actor: User, id: ProblemId, change: ProblemChange) -> ApiResult<Problem> {
    found(app.store().problem(id).await?, "problem", id.0)?;
    let users = change.owner_id.into_iter().collect();
    let now = app.now();
    Ok(app.store().update_problem(id, users, Box::new(move |p, ctx| p.change(&actor, change, ctx, now))).await?)
}

/// Links existing cases to a problem that is not closed (staff only). Each
/// case's timeline records the link; a case without a preventive-action
/// owner gets the problem's owner as one. A case already linked here stays
/// as it is; an unknown case, or one linked to another problem, stores
/// nothing.
#[utoipa::path(post, path = "/api/v1/problems/{id}/cases", tag = "directory", params(("id" = i64, Path)), request_body = LinkCases,
    responses((status = 200, body = ProblemDetail)))]
pub async fn link_cases(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>, ApiJson(req): ApiJson<LinkCases>) -> ApiResult<Json<ProblemDetail>> {
    let actor = actor.staff()?;
    let problem = link(&app, actor, ProblemId(id), req.case_ids).await?;
    Ok(Json(detail(&app, problem).await?))
}

/// Links `cases` to problem `id` on behalf of `actor`.
pub(crate) async fn link(app: &AppState, actor: User, id: ProblemId, cases: Vec<CaseId>) -> ApiResult<Problem> {
    found(app.store().problem(id).await?, "problem", id.0)?;
    if cases.is_empty() {
        return Err(ApiError::unprocessable("case_ids is empty: name the cases to link"));
    }
    named_cases(app, &cases).await?;
    app.store().link_cases(id, cases, actor, app.now()).await.map_err(in_body)
}
