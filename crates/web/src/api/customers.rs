//! Customers.

use super::directory::found;
use super::page_limit;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use redress_core::customer::{parse_time_zone, Customer, NewCustomer};
use redress_core::store::RewardEntry;
use redress_core::user::{optional_text, parse_email, required_text};
use redress_core::{CustomerId, UserId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    name: String,
    email: Option<String>,
    phone: Option<String>,
    /// IANA zone; the organisation's when absent.
    timezone: Option<String>,
    client_manager_id: Option<UserId>,
    /// The language customer pages and e-mails use for them (`en`, `de`);
    /// the organisation's when absent.
    #[schema(value_type = Option<redress_core::Lang>)]
    language: Option<redress_core::Lang>,
}

/// Creates a customer (staff only).
#[utoipa::path(post, path = "/api/v1/customers", tag = "directory", request_body = CreateCustomer,
    responses((status = 201, body = Customer)))]
pub async fn create_customer(State(app): State<AppState>, actor: Actor, ApiJson(req): ApiJson<CreateCustomer>) -> ApiResult<(StatusCode, Json<Customer>)> {
    actor.staff()?;
    let customer = new_customer(&app, req).await?;
    Ok((StatusCode::CREATED, Json(app.store().create_customer(customer, app.now()).await?)))
}

/// A customer as requested, checked: name, e-mail, phone and zone (the
/// organisation's when none is given).
pub(crate) async fn new_customer(app: &AppState, req: CreateCustomer) -> ApiResult<NewCustomer> {
    let timezone = match req.timezone {
        Some(tz) => parse_time_zone(&tz)?,
        None => app.store().settings().await?.timezone,
    };
    Ok(NewCustomer {
        name: required_text("name", &req.name, 200)?,
        email: parse_email(req.email.as_deref())?,
        phone: optional_text("phone", req.phone.as_deref(), 50)?,
        timezone,
        client_manager_id: req.client_manager_id,
        language: req.language,
    })
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    /// Only customers with an id below this (the previous page's last id).
    before: Option<i64>,
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// Lists customers, newest first.
#[utoipa::path(get, path = "/api/v1/customers", tag = "directory", params(CustomerQuery), responses((status = 200, body = Vec<Customer>)))]
pub async fn list_customers(State(app): State<AppState>, actor: Actor, ApiQuery(q): ApiQuery<CustomerQuery>) -> ApiResult<Json<Vec<Customer>>> {
    actor.staff()?;
    Ok(Json(app.store().customers(q.before.map(CustomerId), page_limit(q.limit)?).await?))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "directory", params(("id" = i64, Path)), responses((status = 200, body = Customer)))]
pub async fn get_customer(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Customer>> {
    actor.staff()?;
    Ok(Json(found(app.store().customer(CustomerId(id)).await?, "customer", id)?))
}

#[derive(serde::Serialize, ToSchema)]
pub struct RewardsLedger {
    pub balance: i64,
    pub entries: Vec<RewardEntry>,
}

/// A customer's rewards: points for answering surveys and reporting fast.
#[utoipa::path(get, path = "/api/v1/customers/{id}/rewards", tag = "directory", params(("id" = i64, Path)), responses((status = 200, body = RewardsLedger)))]
pub async fn rewards(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<RewardsLedger>> {
    actor.staff()?;
    found(app.store().customer(CustomerId(id)).await?, "customer", id)?;
    let entries = app.store().rewards(CustomerId(id)).await?;
    Ok(Json(RewardsLedger { balance: entries.iter().map(|e| e.points).sum(), entries }))
}
