//! A customer's data (GDPR articles 15 and 17), for admins: everything held
//! about them as one JSON document, and erasing it at their request. The
//! console and `redress customer` use the same functions.

use super::customers::RewardsLedger;
use super::directory::found;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use jiff::Timestamp;
use redress_core::case::{Attachment, Case, Communication};
use redress_core::customer::Customer;
use redress_core::notification::Notification;
use redress_core::privacy::ErasureReport;
use redress_core::store::Store;
use redress_core::survey::{Invitation, Response};
use redress_core::timeline::TimelineEvent;
use redress_core::user::{Role, User};
use redress_core::{CustomerId, SurveyId, UserId};
use serde::Serialize;
use utoipa::ToSchema;

/// Everything Redress holds about one customer.
#[derive(Serialize, ToSchema)]
pub struct CustomerExport {
    #[schema(value_type = String, format = DateTime)]
    pub exported_at: Timestamp,
    pub customer: Customer,
    /// `null` while their personal data is held; after it was erased, who
    /// erased it and when.
    pub erasure: Option<ErasureEntry>,
    /// Their cases, oldest first, each with its timeline, communications and files.
    pub cases: Vec<ExportedCase>,
    /// Their survey responses, oldest first, with the answers.
    pub survey_responses: Vec<ExportedResponse>,
    /// The survey invitations sent to them (the access codes are never kept).
    pub invitations: Vec<Invitation>,
    pub rewards: RewardsLedger,
    /// Messages to them and messages about their cases, oldest first.
    pub notifications: Vec<Notification>,
}

/// Who erased a customer's personal data, and when.
#[derive(Serialize, ToSchema)]
pub struct ErasureEntry {
    #[schema(value_type = String, format = DateTime)]
    pub erased_at: Timestamp,
    pub erased_by: UserId,
    /// The admin's name, when the account still exists.
    pub erased_by_name: Option<String>,
}

/// A case as held, with its debrief and the files kept with it.
#[derive(Serialize, ToSchema)]
pub struct ExportedCase {
    #[serde(flatten)]
    pub case: Case,
    pub timeline: Vec<TimelineEvent>,
    pub communications: Vec<Communication>,
    /// The files' descriptions; their bytes are downloaded one by one
    /// (`GET /api/v1/attachments/{id}`).
    pub attachments: Vec<Attachment>,
    /// Private status-page links that still work.
    pub live_status_links: i64,
}

/// A survey response with the survey's title.
#[derive(Serialize, ToSchema)]
pub struct ExportedResponse {
    #[serde(flatten)]
    pub response: Response,
    pub survey_title: Option<String>,
}

/// Gathers everything held about customer `id` as of `now`; 404 for an
/// unknown customer.
pub async fn export(store: &dyn Store, id: CustomerId, now: Timestamp) -> ApiResult<CustomerExport> {
    let data = found(store.customer_data(id).await?, "customer", id.0)?;
    let erasure = match data.erasure {
        Some(e) => Some(ErasureEntry { erased_at: e.erased_at, erased_by: e.erased_by, erased_by_name: store.user(e.erased_by).await?.map(|u| u.name) }),
        None => None,
    };
    let title = |id: SurveyId| data.surveys.iter().find(|s| s.id == id).map(|s| s.title.clone());
    let survey_responses = data.responses.into_iter().map(|r| ExportedResponse { survey_title: title(r.survey_id), response: r }).collect();
    let cases = data
        .cases
        .into_iter()
        .map(|r| ExportedCase {
            case: r.detail.case,
            timeline: r.detail.timeline,
            communications: r.detail.communications,
            attachments: r.attachments,
            live_status_links: r.live_status_links,
        })
        .collect();
    Ok(CustomerExport {
        exported_at: now,
        customer: data.customer,
        erasure,
        cases,
        survey_responses,
        invitations: data.invitations,
        rewards: RewardsLedger { balance: data.rewards.iter().map(|e| e.points).sum(), entries: data.rewards },
        notifications: data.notifications,
    })
}

/// Erases customer `id`'s personal data for good, by `admin` (who must be
/// an active admin); 404 for an unknown customer, 409 when already erased.
pub async fn erase(store: &dyn Store, admin: &User, id: CustomerId, now: Timestamp) -> ApiResult<ErasureReport> {
    if admin.role != Role::Admin || !admin.active {
        return Err(ApiError::forbidden(format!("only an active admin may erase a customer's data; user {} is {}", admin.id, admin.role.as_str())));
    }
    // The store records the erasure in the audit trail: only that it was
    // made, and how much, never what was erased.
    Ok(store.erase_customer(id, redress_core::audit::ChangedBy::user(admin.id, now)).await?)
}

/// Everything held about a customer, as one document (admins only): the
/// customer, their cases with timelines, communications and files (described,
/// not their bytes), survey responses with answers, invitations, rewards and
/// the messages to them or about their cases; `erasure` says whether and when
/// their personal data was erased.
#[utoipa::path(get, path = "/api/v1/customers/{id}/export", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = CustomerExport)))]
pub async fn export_customer(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<CustomerExport>> {
    actor.admin()?;
    Ok(Json(export(app.store(), CustomerId(id), app.now()).await?))
}

/// Erases a customer's personal data at their request, in one transaction
/// and for good (admins only). Their name becomes "Erased customer N" and
/// their e-mail and phone go; their cases' summaries, descriptions, desired
/// resolutions and facts, every communication on their cases, their text
/// answers and the text of messages to them become `[erased]`, and other
/// text on their records loses every quotation of them; their files are
/// deleted, pending messages to them cancelled, their cases' status links
/// revoked. Scores, times, counts, statuses, remedy values and reward points
/// stay. Each case gets a `customer_erased` event. A second erasure is 409.
#[utoipa::path(post, path = "/api/v1/customers/{id}/erase", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = ErasureReport)))]
pub async fn erase_customer(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<ErasureReport>> {
    let admin = actor.admin()?;
    Ok(Json(erase(app.store(), &admin, CustomerId(id), app.now()).await?))
}
