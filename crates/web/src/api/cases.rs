//! Cases: capture, search, read with timeline, correct.

use super::metrics::CaseBrief;
use super::mutate::mutate;
use super::page_limit;
use super::views::{CaseDetailView, CaseView};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use jiff::Timestamp;
use redress_core::case::{Case, CaseAction, CasePatch, Channel, NewCase, Outcome, Status};
use redress_core::terms::Severity;
use redress_core::customer::Customer;
use redress_core::store::CaseFilter;
use redress_core::user::{Role, User};
use redress_core::category::require_choosable;
use redress_core::insight::similar::{case_text, SimilarityIndex, DEFAULT_THRESHOLD};
use redress_core::{CaseId, CategoryId, CustomerId, ProblemId, ServiceAreaId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCase {
    customer_id: CustomerId,
    channel: Channel,
    summary: String,
    #[serde(default)]
    description: String,
    /// What the customer says would put it right.
    desired_resolution: Option<String>,
    /// When the problem happened (RFC 3339); `reported_at` when absent.
    #[schema(value_type = Option<String>, format = DateTime)]
    occurred_at: Option<Timestamp>,
    /// When the company was informed (RFC 3339); now when absent.
    #[schema(value_type = Option<String>, format = DateTime)]
    reported_at: Option<Timestamp>,
    #[serde(default)]
    significant: bool,
    #[serde(default)]
    severity: Severity,
    service_area_id: Option<ServiceAreaId>,
    /// The owner; the recording staff member when absent. Partners cannot choose.
    owner_id: Option<UserId>,
    /// The customer's order, invoice or booking number (at most 100 characters).
    order_reference: Option<String>,
    /// The complaint's category (`GET /api/v1/categories`; not a retired one).
    category_id: Option<CategoryId>,
}

/// Captures a problem as a case with one owner. A partner account may submit
/// only `retailer` cases; they are owned by the service area's manager, else
/// the organisation's default owner, else the first supervisor.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = CreateCase,
    responses((status = 201, body = CaseView, headers(("location" = String)))))]
pub async fn create_case(State(app): State<AppState>, Actor(actor): Actor, ApiJson(req): ApiJson<CreateCase>) -> ApiResult<impl IntoResponse> {
    let (customer, settings) = app
        .store()
        .customer_with_settings(req.customer_id)
        .await?
        .ok_or_else(|| ApiError::unprocessable(format!("customer_id {} does not exist", req.customer_id)))?;
    let now = app.now();
    let case = prepare_case(&app, &actor, req, &customer, settings, now).await?.open(&app).await?;
    let location = format!("/api/v1/cases/{}", case.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(CaseView::new(case, now))))
}

/// A case checked and ready to store, with what storing it needs.
pub(crate) struct PreparedCase {
    pub(crate) case: Case,
    /// What opening it causes: its first timeline events, and more a caller adds.
    pub(crate) opening: Outcome,
    pub(crate) reward: Option<redress_core::terms::Reward>,
    pub(crate) settings: redress_core::settings::OrgSettings,
}

impl PreparedCase {
    /// Stores the case with what opening it causes (and any fast-report reward).
    pub(crate) async fn open(self, app: &AppState) -> ApiResult<Case> {
        Ok(app.store().create_case(self.case, self.opening, self.reward, &self.settings).await?)
    }
}

/// Checks a request to open a case for `customer` as `actor` and decides
/// everything about it (owner, targets, due times, reward) under `settings`
/// without storing anything. `req.customer_id` is not looked up: `customer`
/// is the one.
pub(crate) async fn prepare_case(app: &AppState, actor: &User, req: CreateCase, customer: &Customer, settings: redress_core::settings::OrgSettings, now: Timestamp) -> ApiResult<PreparedCase> {
    let store = app.store();
    let area = match req.service_area_id {
        Some(id) => Some(store.service_area(id).await?.ok_or_else(|| ApiError::unprocessable(format!("service_area_id {id} does not exist")))?),
        None => None,
    };
    let owner = match req.owner_id {
        Some(_) if actor.role == Role::Partner => return Err(ApiError::forbidden("a partner account cannot choose the owner of a case")),
        Some(id) => store.user(id).await?.ok_or_else(|| ApiError::unprocessable(format!("owner_id {id} does not exist")))?,
        None if actor.role.is_staff() => actor.clone(),
        None => intake_owner(app, area.as_ref().map(|a| a.service_manager_id), settings.default_owner_id).await?,
    };
    if let Some(id) = req.category_id {
        require_choosable(id, &store.categories().await?)?;
    }
    let targets = settings.targets_for(area.as_ref(), req.severity);
    let input = NewCase {
        channel: req.channel,
        summary: req.summary,
        description: req.description,
        desired_resolution: req.desired_resolution,
        severity: req.severity,
        significant: req.significant,
        service_area_id: req.service_area_id,
        occurred_at: req.occurred_at,
        reported_at: req.reported_at,
        order_reference: req.order_reference,
        category_id: req.category_id,
    };
    let (case, events) = Case::open(input, customer, actor, &owner, &settings, targets, now)?;
    let reward = settings.fast_report_reward(case.identification_lag());
    Ok(PreparedCase { case, opening: Outcome { events, ..Default::default() }, reward, settings })
}

/// The owner of a case a partner submits: the first active staff member among
/// the service area's manager, the default owner, then any supervisor.
pub(crate) async fn intake_owner(app: &AppState, area_manager: Option<UserId>, default_owner: Option<UserId>) -> ApiResult<User> {
    for id in [area_manager, default_owner].into_iter().flatten() {
        if let Some(u) = app.store().user(id).await?.filter(|u| u.active && u.role.is_staff()) {
            return Ok(u);
        }
    }
    app.store()
        .users()
        .await?
        .into_iter()
        .find(|u| u.active && u.role.supervises())
        .ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "no staff member can own this case: set the organisation's default_owner_id"))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    #[param(value_type = Option<Status>)]
    status: Option<Status>,
    owner_id: Option<i64>,
    customer_id: Option<i64>,
    #[param(value_type = Option<Channel>)]
    channel: Option<Channel>,
    service_area_id: Option<i64>,
    category_id: Option<i64>,
    /// Cases reported at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    reported_from: Option<Timestamp>,
    /// Cases reported before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    reported_to: Option<Timestamp>,
    significant: Option<bool>,
    /// Passed along more often than allowed.
    flagged: Option<bool>,
    /// Open cases whose first response, update or resolution is due before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    due_before: Option<Timestamp>,
    /// `true`: open cases whose first response, update or resolution is overdue now.
    breached: Option<bool>,
    /// Words in the summary, description or customer's name, or a reference such as RD-42.
    q: Option<String>,
    /// Cases linked to this problem (through their preventive action).
    problem_id: Option<i64>,
    /// Only cases with an id below this (the previous page's `next_before`).
    before: Option<i64>,
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct CasePage {
    items: Vec<CaseView>,
    /// Pass as `before` for the next page; absent on the last page.
    next_before: Option<i64>,
}

/// Lists cases, newest first. A partner sees only the cases it submitted.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseQuery), responses((status = 200, body = CasePage)))]
pub async fn list_cases(State(app): State<AppState>, Actor(actor): Actor, ApiQuery(q): ApiQuery<CaseQuery>) -> ApiResult<Json<CasePage>> {
    let now = app.now();
    let limit = page_limit(q.limit)?;
    if q.breached == Some(false) {
        return Err(ApiError::unprocessable("breached takes only true; leave it out for all cases"));
    }
    let due_before = match (q.due_before, q.breached) {
        (Some(_), Some(true)) => return Err(ApiError::unprocessable("give either due_before or breached, not both")),
        (Some(t), _) => Some(t),
        (None, Some(true)) => Some(now),
        (None, _) => None,
    };
    let filter = CaseFilter {
        status: q.status,
        owner_id: q.owner_id.map(UserId),
        customer_id: q.customer_id.map(CustomerId),
        created_by: (actor.role == Role::Partner).then_some(actor.id),
        channel: q.channel,
        service_area_id: q.service_area_id.map(ServiceAreaId),
        category_id: q.category_id.map(CategoryId),
        reported_from: q.reported_from,
        reported_to: q.reported_to,
        significant: q.significant,
        flagged: q.flagged,
        due_before,
        q: q.q,
        problem_id: q.problem_id.map(ProblemId),
        before_id: q.before.map(CaseId),
        limit,
        ..CaseFilter::default()
    };
    let cases = app.store().cases(&filter).await?;
    let next_before = (cases.len() == limit as usize).then(|| cases.last().map(|c| c.id.0)).flatten();
    Ok(Json(CasePage { items: cases.into_iter().map(|c| CaseView::new(c, now)).collect(), next_before }))
}

/// Reads a case with its timeline and communications.
///
/// `submitted_by_partner` names the partner account that submitted it, if
/// one did. A partner reads only the cases it submitted; any other is 404.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)), responses((status = 200, body = CaseDetailView)))]
pub async fn get_case(State(app): State<AppState>, Actor(actor): Actor, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<CaseDetailView>> {
    let detail = app.store().case_detail(CaseId(id)).await?.ok_or_else(|| ApiError::not_found(format!("case {id} does not exist")))?;
    detail.case.authorise(&actor, CaseAction::Read)?;
    let creator = app.store().user(detail.case.created_by).await?;
    Ok(Json(CaseDetailView::new(detail, creator, app.now())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchCase {
    summary: Option<String>,
    description: Option<String>,
    desired_resolution: Option<String>,
    /// The facts as established with the customer.
    facts: Option<String>,
    severity: Option<Severity>,
    significant: Option<bool>,
    /// Files the case under another category (not a retired one).
    category_id: Option<CategoryId>,
}

/// Corrects what was captured or records facts and the desired resolution.
#[utoipa::path(patch, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)), request_body = PatchCase,
    responses((status = 200, body = CaseView)))]
pub async fn patch_case(State(app): State<AppState>, Actor(actor): Actor, ApiPath(id): ApiPath<i64>, ApiJson(req): ApiJson<PatchCase>) -> ApiResult<Json<CaseView>> {
    req.check(&app).await?;
    let patch = req.into_patch();
    mutate(&app, id, vec![], move |case, _, now| case.patch(&actor, patch, now)).await
}

impl PatchCase {
    /// Checks what the domain cannot: a named category is on the list and active.
    pub(crate) async fn check(&self, app: &AppState) -> ApiResult<()> {
        if let Some(category) = self.category_id {
            require_choosable(category, &app.store().categories().await?)?;
        }
        Ok(())
    }

    pub(crate) fn into_patch(self) -> CasePatch {
        CasePatch {
            summary: self.summary,
            description: self.description,
            desired_resolution: self.desired_resolution,
            facts: self.facts,
            severity: self.severity,
            significant: self.significant,
            category_id: self.category_id,
        }
    }
}

/// Withdraws every private link to the case's status page (the owner or a
/// supervisor); a wrong or withdrawn link is a plain 404. The customer's
/// next e-mail about the case carries a new link.
#[utoipa::path(delete, path = "/api/v1/cases/{id}/status-links", tag = "cases", params(("id" = i64, Path)), responses((status = 200, body = CaseView)))]
pub async fn revoke_status_links(State(app): State<AppState>, Actor(actor): Actor, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<CaseView>> {
    mutate(&app, id, vec![], move |case, _, now| case.revoke_status_links(&actor, now)).await
}

/// How many of the newest open cases a case is compared with.
const SIMILAR_POOL: u32 = 1000;

/// An open case like another, with how alike their texts are.
#[derive(Serialize, ToSchema)]
pub struct SimilarBrief {
    #[serde(flatten)]
    pub(crate) case: CaseBrief,
    /// TF-IDF cosine of the two texts' character trigrams, 0 to 1.
    pub(crate) score: f64,
}

/// Possible duplicates of a case, or cases of one problem.
#[derive(Serialize, ToSchema)]
pub struct SimilarCases {
    /// The same customer's other open cases, newest first.
    pub(crate) same_customer: Vec<CaseBrief>,
    /// Other customers' open cases whose summary and description read alike
    /// (TF-IDF cosine over character trigrams of at least 0.3), best first,
    /// at most 10, among the newest 1,000 open cases.
    pub(crate) similar_text: Vec<SimilarBrief>,
}

/// Open cases that may be duplicates of this one, or the same problem (staff).
#[utoipa::path(get, path = "/api/v1/cases/{id}/similar", tag = "cases", params(("id" = i64, Path)), responses((status = 200, body = SimilarCases)))]
pub async fn similar_cases(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<SimilarCases>> {
    actor.staff()?;
    Ok(Json(similar(&app, CaseId(id)).await?))
}

pub(crate) async fn similar(app: &AppState, id: CaseId) -> ApiResult<SimilarCases> {
    let store = app.store();
    let case = store.case(id).await?.ok_or_else(|| ApiError::not_found(format!("case {id} does not exist")))?;
    let open = CaseFilter { open: Some(true), limit: SIMILAR_POOL, ..CaseFilter::default() };
    let mine = store.cases(&CaseFilter { customer_id: Some(case.customer_id), ..open.clone() }).await?;
    let pool = store.cases(&open).await?;
    let others: Vec<&Case> = pool.iter().filter(|c| c.customer_id != case.customer_id).collect();
    let texts: Vec<(CaseId, String)> = others.iter().map(|c| (c.id, case_text(c))).collect();
    let index = SimilarityIndex::new(texts.iter().map(|(id, t)| (*id, t.as_str())));
    let similar_text = index
        .similar(&case_text(&case), Some(case.id), DEFAULT_THRESHOLD, 10)
        .into_iter()
        .filter_map(|s| others.iter().find(|c| c.id == s.case_id).map(|c| SimilarBrief { case: CaseBrief::of(c), score: s.score }))
        .collect();
    let same_customer = mine.iter().filter(|c| c.id != case.id).map(CaseBrief::of).collect();
    Ok(SimilarCases { same_customer, similar_text })
}
