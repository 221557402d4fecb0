//! The steps of the loop on one case: respond, act, approve, prevent, verify,
//! transfer, deviate, give, close. Each answers with the case as it now stands.

use super::mutate::{apply, Applied};
use super::views::CaseView;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use jiff::Timestamp;
use redress_core::case::{Channel, Decision, Direction, FollowUpOutcome, MessageFrom, PreventiveInput, RecoveryInvite, RemedyKind};
use redress_core::terms::Step;
use redress_core::user::{Role, User};
use redress_core::{CaseId, Money, ProblemId, UserId};
use serde::Deserialize;
use utoipa::ToSchema;

/// A user named in a request body must exist: otherwise a 422 naming the field.
async fn named_user(app: &AppState, field: &str, id: UserId) -> ApiResult<User> {
    app.store().user(id).await?.ok_or_else(|| ApiError::unprocessable(format!("{field} {id} does not exist")))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommunicationRequest {
    direction: Direction,
    channel: Channel,
    body: String,
    /// When the contact happened (RFC 3339); now when absent.
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<Timestamp>,
}

/// Logs a contact with the customer. The first outbound one is the first
/// response; each outbound one restarts the update interval.
///
/// A partner account sends a message on a case it submitted: `direction`
/// `inbound`, `channel` `retailer`, no `at` (it is recorded as it arrives).
/// It lands in the case's communications and the owner is notified
/// (`case_message`). Anything else is refused (403), and any case the
/// partner did not submit does not exist for it (404).
#[utoipa::path(post, path = "/api/v1/cases/{id}/communications", tag = "cases", params(("id" = i64, Path)),
    request_body = CommunicationRequest, responses((status = 200, body = CaseView)))]
pub async fn communicate(State(app): State<AppState>, Actor(actor): Actor, ApiPath(id): ApiPath<i64>, ApiJson(req): ApiJson<CommunicationRequest>) -> ApiResult<Json<CaseView>> {
    if actor.role == Role::Partner {
        return partner_message(&app, actor, id, req).await;
    }
    StepRequest::Communication(req).answer(&app, actor, id).await
}

/// A partner's message on a case it submitted, taken as the domain takes
/// one: an inbound communication on the retailer channel and a notice to
/// the owner.
async fn partner_message(app: &AppState, partner: User, id: i64, req: CommunicationRequest) -> ApiResult<Json<CaseView>> {
    if req.direction != Direction::Inbound {
        return Err(ApiError::forbidden("a partner account may only send inbound messages (direction inbound) on the cases it submitted"));
    }
    if req.channel != Channel::Retailer {
        return Err(ApiError::forbidden(format!("a partner account's messages arrive on the retailer channel, not {}", req.channel.as_str())));
    }
    if req.at.is_some() {
        return Err(ApiError::unprocessable("a partner's message is recorded when it arrives: leave out at"));
    }
    if req.body.trim().is_empty() {
        return Err(ApiError::unprocessable("body must not be empty"));
    }
    let applied = apply(app, id, vec![], move |case, ctx, now| case.receive_message(MessageFrom::Partner(&partner), &req.body, vec![], ctx, now)).await?;
    Ok(Json(CaseView::new(applied.case, applied.at)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    description: String,
    #[serde(default)]
    remedy_kind: RemedyKind,
    /// Refund, credit or gift value; 0 when absent.
    #[serde(default)]
    remedy_value: Money,
    /// Who owns preventive action; naming them lets the apology be scheduled.
    preventive_owner_id: Option<UserId>,
}

/// Records a corrective action: agreed at once within the actor's mandate,
/// otherwise escalated for approval.
#[utoipa::path(post, path = "/api/v1/cases/{id}/actions", tag = "cases", params(("id" = i64, Path)),
    request_body = ActionRequest, responses((status = 200, body = CaseView)))]
pub async fn propose_action(State(app): State<AppState>, Actor(actor): Actor, ApiPath(id): ApiPath<i64>, ApiJson(req): ApiJson<ActionRequest>) -> ApiResult<Json<CaseView>> {
    StepRequest::Action(req).answer(&app, actor, id).await
}

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Approve,
    Decline,
    Amend,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRequest {
    decision: DecisionKind,
    /// Required with `amend`: the value agreed instead.
    amended_value: Option<Money>,
    note: Option<String>,
}

/// A manager whose mandate covers the value approves, declines or amends the
/// escalated action.
#[utoipa::path(post, path = "/api/v1/cases/{id}/approvals", tag = "cases", params(("id" = i64, Path)),
    request_body = ApprovalRequest, responses((status = 200, body = CaseView)))]
pub async fn decide(State(app): State<AppState>, Actor(actor): Actor, ApiPath(id): ApiPath<i64>, ApiJson(req): ApiJson<ApprovalRequest>) -> ApiResult<Json<CaseView>> {
    StepRequest::Approval(req).answer(&app, actor, id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreventiveRequest {
    /// Who establishes preventive action; required the first time.
    owner_id: Option<UserId>,
    root_cause: Option<String>,
    action: Option<String>,
    /// Links the case to a systemic problem.
    problem_id: Option<ProblemId>,
    /// Records a new problem with this title and links the case to it, in
    /// the same transaction; instead of `problem_id`.
    new_problem_title: Option<String>,
}

/// Records the root cause, the preventive action and its owner; naming the
/// owner releases an apology that was waiting for one.
#[utoipa::path(post, path = "/api/v1/cases/{id}/preventive", tag = "cases", params(("id" = i64, Path)),
    request_body = PreventiveRequest, responses((status = 200, body = CaseView)))]
pub async fn record_preventive(State(app): State<AppState>, Actor(actor): Actor, ApiPath(id): ApiPath<i64>, ApiJson(req): ApiJson<PreventiveRequest>) -> ApiResult<Json<CaseView>> {
    StepRequest::Preventive(req).answer(&app, actor, id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpRequest {
    outcome: FollowUpOutcome,
    /// The customer's satisfaction, 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
    satisfaction: u8,
    /// Whether the preventive action was confirmed to be in place.
    #[serde(default)]
    preventive_confirmed: bool,
    notes: Option<String>,
}

/// The independent follow-up: refused to the owner; significant cases need a
/// senior. `not_resolved` reopens the case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/follow-up", tag = "cases", params(("id" = i64, Path)),
    request_body = FollowUpRequest, responses((status = 200, body = CaseView)))]
pub async fn follow_up(State(app): State<AppState>, Actor(actor): Actor, ApiPath(id): ApiPath<i64>, ApiJson(req): ApiJson<FollowUpRequest>) -> ApiResult<Json<CaseView>> {
    StepRequest::FollowUp(req).answer(&app, actor, id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    to_user_id: UserId,
    reason: String,
}

/// Hands the case to a new owner with a reason; every transfer counts and a
/// case passed along more than twice is flagged.
#[utoipa::path(post, path = "/api/v1/cases/{id}/transfer", tag = "cases", params(("id" = i64, Path)),
    request_body = TransferRequest, responses((status = 200, body = CaseView)))]
pub async fn transfer(State(app): State<AppState>, Actor(actor): Actor, ApiPath(id): ApiPath<i64>, ApiJson(req): ApiJson<TransferRequest>) -> ApiResult<Json<CaseView>> {
    StepRequest::Transfer(req).answer(&app, actor, id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// The staff member to assign beside the owner.
    user_id: UserId,
}

/// Assigns a staff member beside the owner (the owner or a supervisor may):
/// an assignee may agree remedies, record prevention and deliver reports.
/// Assigning someone already assigned changes nothing.
#[utoipa::path(post, path = "/api/v1/cases/{id}/assignees", tag = "cases", params(("id" = i64, Path)),
    request_body = AssignRequest, responses((status = 200, body = CaseView)))]
pub async fn assign(State(app): State<AppState>, Actor(actor): Actor, ApiPath(id): ApiPath<i64>, ApiJson(req): ApiJson<AssignRequest>) -> ApiResult<Json<CaseView>> {
    StepRequest::Assign(req).answer(&app, actor, id).await
}

/// Withdraws an assignment (the owner or a supervisor may); 404 when the
/// user is not assigned to the case.
#[utoipa::path(delete, path = "/api/v1/cases/{id}/assignees/{user_id}", tag = "cases", params(("id" = i64, Path), ("user_id" = i64, Path)),
    responses((status = 200, body = CaseView)))]
pub async fn unassign(State(app): State<AppState>, Actor(actor): Actor, ApiPath((id, user_id)): ApiPath<(i64, i64)>) -> ApiResult<Json<CaseView>> {
    StepRequest::Unassign(AssignRequest { user_id: UserId(user_id) }).answer(&app, actor, id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviationRequest {
    step: Step,
    reason: String,
}

/// Waives a step with a reason, recorded for the debrief.
#[utoipa::path(post, path = "/api/v1/cases/{id}/deviations", tag = "cases", params(("id" = i64, Path)),
    request_body = DeviationRequest, responses((status = 200, body = CaseView)))]
pub async fn deviate(State(app): State<AppState>, Actor(actor): Actor, ApiPath(id): ApiPath<i64>, ApiJson(req): ApiJson<DeviationRequest>) -> ApiResult<Json<CaseView>> {
    StepRequest::Deviation(req).answer(&app, actor, id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiftRequest {
    description: String,
    cost: Money,
}

/// Records a goodwill gesture and its cost (within the giver's mandate).
#[utoipa::path(post, path = "/api/v1/cases/{id}/gifts", tag = "cases", params(("id" = i64, Path)),
    request_body = GiftRequest, responses((status = 200, body = CaseView)))]
pub async fn give_gift(State(app): State<AppState>, Actor(actor): Actor, ApiPath(id): ApiPath<i64>, ApiJson(req): ApiJson<GiftRequest>) -> ApiResult<Json<CaseView>> {
    StepRequest::Gift(req).answer(&app, actor, id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    note: Option<String>,
}

/// Closes the case; 409 with `missing` listing every step neither done nor waived.
#[utoipa::path(post, path = "/api/v1/cases/{id}/close", tag = "cases", params(("id" = i64, Path)),
    request_body = CloseRequest, responses((status = 200, body = CaseView)))]
pub async fn close(State(app): State<AppState>, Actor(actor): Actor, ApiPath(id): ApiPath<i64>, ApiJson(req): ApiJson<CloseRequest>) -> ApiResult<Json<CaseView>> {
    StepRequest::Close(req).answer(&app, actor, id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// What went wrong and what we learned, for the customer.
    summary: String,
    /// The actions committed to the customer.
    actions: Vec<String>,
}

#[derive(serde::Serialize, ToSchema)]
pub struct ReportCreated {
    /// The private, printable link to the report (also sent to the customer).
    report_url: String,
    case: CaseView,
}

/// Delivers the formal action report: stored on the case, printable at a
/// private link, and the link queued to the customer.
#[utoipa::path(post, path = "/api/v1/cases/{id}/reports", tag = "cases", params(("id" = i64, Path)),
    request_body = ReportRequest, responses((status = 201, body = ReportCreated)))]
pub async fn add_report(
    State(app): State<AppState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ReportRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<ReportCreated>)> {
    let applied = StepRequest::Report(req).apply(&app, actor, id).await?;
    let report_url = applied.report_url.unwrap_or_default();
    Ok((axum::http::StatusCode::CREATED, Json(ReportCreated { report_url, case: CaseView::new(applied.case, applied.at) })))
}

/// One step of the loop on one case, as requested over the API or from a
/// console form: both parse into these and take the same path.
pub(crate) enum StepRequest {
    /// Corrections and the facts (`PATCH /api/v1/cases/{id}`).
    Details(super::cases::PatchCase),
    Communication(CommunicationRequest),
    Action(ActionRequest),
    Approval(ApprovalRequest),
    Preventive(PreventiveRequest),
    FollowUp(FollowUpRequest),
    Transfer(TransferRequest),
    Deviation(DeviationRequest),
    Assign(AssignRequest),
    Unassign(AssignRequest),
    Gift(GiftRequest),
    Report(ReportRequest),
    Close(CloseRequest),
    /// Withdraw the customer's status-page links (`DELETE /api/v1/cases/{id}/status-links`).
    RevokeStatusLinks(NoFields),
}

/// A form with nothing to say but its CSRF token.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoFields {}

impl StepRequest {
    /// Checks what the request names, then applies the step to case `id` as
    /// `actor` in one transaction.
    pub(crate) async fn apply(self, app: &AppState, actor: User, id: i64) -> ApiResult<Applied> {
        match self {
            StepRequest::RevokeStatusLinks(NoFields {}) => apply(app, id, vec![], move |case, _, now| case.revoke_status_links(&actor, now)).await,
            StepRequest::Details(req) => {
                req.check(app).await?;
                let patch = req.into_patch();
                apply(app, id, vec![], move |case, _, now| case.patch(&actor, patch, now)).await
            }
            StepRequest::Communication(req) => {
                apply(app, id, vec![], move |case, ctx, now| case.communicate(&actor, req.direction, req.channel, &req.body, req.at, ctx, now)).await
            }
            StepRequest::Action(req) => {
                let mut users = vec![];
                if let Some(p) = req.preventive_owner_id {
                    users.push(named_user(app, "preventive_owner_id", p).await?.id);
                }
                apply(app, id, users, move |case, ctx, now| {
                    case.propose_action(&actor, &req.description, req.remedy_kind, req.remedy_value, req.preventive_owner_id, ctx, now)
                })
                .await
            }
            StepRequest::Approval(req) => {
                let decision = match (req.decision, req.amended_value) {
                    (DecisionKind::Amend, Some(v)) => Decision::Amend { amended_value: v },
                    (DecisionKind::Amend, None) => return Err(ApiError::unprocessable("amend needs amended_value: the value agreed instead")),
                    (_, Some(_)) => return Err(ApiError::unprocessable("amended_value goes only with decision amend")),
                    (DecisionKind::Approve, None) => Decision::Approve,
                    (DecisionKind::Decline, None) => Decision::Decline,
                };
                apply(app, id, vec![], move |case, ctx, now| case.decide(&actor, decision, req.note.as_deref(), ctx, now)).await
            }
            StepRequest::Preventive(req) => {
                let mut users = vec![];
                if let Some(o) = req.owner_id {
                    users.push(named_user(app, "owner_id", o).await?.id);
                }
                if let Some(p) = req.problem_id {
                    let problem = app.store().problem(p).await?.ok_or_else(|| ApiError::unprocessable(format!("problem_id {p} does not exist")))?;
                    // A closed problem takes no new cases (one already linked may stay).
                    if problem.is_closed() {
                        let linked = app.store().case(CaseId(id)).await?.and_then(|c| c.preventive).and_then(|v| v.problem_id);
                        if linked != Some(p) {
                            problem.check_linkable(&actor)?;
                        }
                    }
                }
                let input = PreventiveInput {
                    owner_id: req.owner_id,
                    root_cause: req.root_cause,
                    action: req.action,
                    problem_id: req.problem_id,
                    new_problem: req.new_problem_title,
                };
                apply(app, id, users, move |case, ctx, now| case.record_preventive(&actor, input, ctx, now)).await
            }
            StepRequest::FollowUp(req) => {
                apply(app, id, vec![], move |case, _, now| {
                    case.follow_up(&actor, req.outcome, req.satisfaction, req.preventive_confirmed, req.notes.as_deref(), now)
                })
                .await
            }
            StepRequest::Transfer(req) => {
                let to = named_user(app, "to_user_id", req.to_user_id).await?;
                apply(app, id, vec![to.id], move |case, ctx, now| case.transfer(&actor, &to, &req.reason, ctx, now)).await
            }
            StepRequest::Assign(req) => {
                let user = named_user(app, "user_id", req.user_id).await?;
                apply(app, id, vec![], move |case, _, now| case.assign(&actor, &user, now)).await
            }
            StepRequest::Unassign(req) => apply(app, id, vec![req.user_id], move |case, ctx, now| case.unassign(&actor, req.user_id, ctx, now)).await,
            StepRequest::Deviation(req) => apply(app, id, vec![], move |case, _, now| case.deviate(&actor, req.step, &req.reason, now)).await,
            StepRequest::Gift(req) => apply(app, id, vec![], move |case, ctx, now| case.give_gift(&actor, &req.description, req.cost, ctx, now)).await,
            StepRequest::Report(req) => {
                let (token, digest) = crate::auth::new_token()?;
                let report_url = app.public_link(&format!("/reports/{token}"));
                let link = report_url.clone();
                let mut applied =
                    apply(app, id, vec![], move |case, ctx, now| case.add_report(&actor, &req.summary, &req.actions, digest, &link, ctx, now)).await?;
                applied.report_url = Some(report_url);
                Ok(applied)
            }
            StepRequest::Close(req) => {
                let (code, digest) = crate::auth::new_access_code()?;
                let survey_url = app.public_link("/survey");
                apply(app, id, vec![], move |case, ctx, now| {
                    let days = i64::from(ctx.settings.invitation_valid_days);
                    let invite = RecoveryInvite { code, digest, survey_url, expires_at: now + jiff::SignedDuration::from_hours(24 * days) };
                    case.close(&actor, req.note.as_deref(), Some(invite), ctx, now)
                })
                .await
            }
        }
    }

    /// The step applied, answered as the API answers: the case as it now stands.
    async fn answer(self, app: &AppState, actor: User, id: i64) -> ApiResult<Json<CaseView>> {
        let applied = self.apply(app, actor, id).await?;
        Ok(Json(CaseView::new(applied.case, applied.at)))
    }
}
