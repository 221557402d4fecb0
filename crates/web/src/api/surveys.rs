//! Survey definitions and invitations with access codes.

use super::directory::found;
use crate::auth::{new_access_code, Actor};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use jiff::{SignedDuration, Timestamp};
use redress_core::survey::{NewInvitation, NewSurvey, Question, Survey, SurveyPurpose};
use redress_core::{CustomerId, InvitationId, ServiceAreaId, SurveyId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most invitations created in one request (import larger lists in batches).
pub const MAX_INVITATIONS: usize = 10_000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSurvey {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    title: String,
    intro: Option<String>,
    service_area_id: Option<ServiceAreaId>,
    questions: Vec<Question>,
    /// Points every respondent earns, whatever they score.
    #[serde(default)]
    reward_points: i64,
    thank_you: Option<String>,
    #[serde(default)]
    purpose: SurveyPurpose,
}

/// Defines a survey (manager, senior or admin).
#[utoipa::path(post, path = "/api/v1/surveys", tag = "surveys", request_body = CreateSurvey, responses((status = 201, body = Survey)))]
pub async fn create_survey(State(app): State<AppState>, actor: Actor, ApiJson(req): ApiJson<CreateSurvey>) -> ApiResult<(StatusCode, Json<Survey>)> {
    let actor = actor.staff()?;
    Ok((StatusCode::CREATED, Json(create(&app, &actor, req).await?)))
}

/// Checks and stores a survey defined by `actor`, a supervisor.
pub(crate) async fn create(app: &AppState, actor: &redress_core::user::User, req: CreateSurvey) -> ApiResult<Survey> {
    if !actor.role.supervises() {
        return Err(ApiError::forbidden("only a manager, senior or admin may define surveys"));
    }
    let survey = NewSurvey::parse(&req.title, req.intro.as_deref(), req.service_area_id, req.questions, req.reward_points, req.thank_you.as_deref(), req.purpose)?;
    if survey.questions.iter().any(|q| q.category_id.is_some()) {
        let categories = app.store().categories().await?;
        for id in survey.questions.iter().filter_map(|q| q.category_id) {
            redress_core::category::require_choosable(id, &categories)?;
        }
    }
    Ok(app.store().create_survey(survey, app.now()).await?)
}

#[utoipa::path(get, path = "/api/v1/surveys", tag = "surveys", responses((status = 200, body = Vec<Survey>)))]
pub async fn list_surveys(State(app): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<Survey>>> {
    actor.staff()?;
    Ok(Json(app.store().surveys().await?))
}

#[utoipa::path(get, path = "/api/v1/surveys/{id}", tag = "surveys", params(("id" = i64, Path)), responses((status = 200, body = Survey)))]
pub async fn get_survey(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Survey>> {
    actor.staff()?;
    Ok(Json(found(app.store().survey(SurveyId(id)).await?, "survey", id)?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    /// One invitation per customer listed (repeats get separate codes).
    #[schema(min_items = 1, max_items = 10000)]
    customer_ids: Vec<CustomerId>,
    /// Days the codes stay valid; the organisation's `invitation_valid_days` when absent.
    valid_days: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct IssuedInvitation {
    pub invitation_id: InvitationId,
    pub customer_id: CustomerId,
    /// The access code, shown once: only its digest is stored.
    pub code: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    /// Where the customer enters the code.
    pub url: String,
}

/// Invites customers to a survey; answers with one access code each.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/invitations", tag = "surveys", params(("id" = i64, Path)),
    request_body = InviteRequest, responses((status = 201, body = Vec<IssuedInvitation>)))]
pub async fn invite(
    State(app): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<InviteRequest>,
) -> ApiResult<(StatusCode, Json<Vec<IssuedInvitation>>)> {
    actor.staff()?;
    if req.customer_ids.is_empty() || req.customer_ids.len() > MAX_INVITATIONS {
        return Err(ApiError::unprocessable(format!("customer_ids must list 1 to {MAX_INVITATIONS} customers")));
    }
    let days = match req.valid_days {
        Some(d @ 1..=3650) => d,
        Some(d) => return Err(ApiError::unprocessable(format!("valid_days must be 1 to 3650, not {d}"))),
        None => app.store().settings().await?.invitation_valid_days,
    };
    let issued = issue_invitations(&app, SurveyId(id), &req.customer_ids, days).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Creates invitations with fresh codes; shared by the API and `redress import`.
pub async fn issue_invitations(app: &AppState, survey: SurveyId, customers: &[CustomerId], valid_days: u32) -> ApiResult<Vec<IssuedInvitation>> {
    let now = app.now();
    let expires_at = now + SignedDuration::from_hours(24 * i64::from(valid_days));
    let mut codes = Vec::with_capacity(customers.len());
    let mut new = Vec::with_capacity(customers.len());
    for c in customers {
        let (code, digest) = new_access_code()?;
        codes.push(code);
        new.push(NewInvitation { customer_id: *c, code_digest: digest, expires_at, case_id: None });
    }
    let created = app.store().create_invitations(survey, new, now).await?;
    let url = app.public_link("/survey");
    Ok(created
        .into_iter()
        .zip(codes)
        .map(|(inv, code)| IssuedInvitation { invitation_id: inv.id, customer_id: inv.customer_id, code, expires_at: inv.expires_at, url: url.clone() })
        .collect())
}
