//! Webhook subscriptions for case events, and their delivery log.

use redress_core::user::User;
use super::audit;
use super::page_limit;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use redress_core::webhook::{NewWebhook, Webhook, WebhookDelivery};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// Where events are POSTed.
    url: String,
    /// `case.<timeline kind>` such as `case.created`, `case.closed`,
    /// `case.target_breached`; `*` for every event.
    events: Vec<String>,
    /// The HMAC-SHA256 key (16 to 200 characters); generated when absent.
    #[schema(min_length = 16, max_length = 200)]
    secret: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    webhook: Webhook,
    /// Shown once: verify `Redress-Signature: t=<unix>,v1=<hex>` as
    /// HMAC-SHA256(secret, "<t>.<body>").
    secret: String,
}

/// Subscribes a URL to case events (admin only).
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "notifications", request_body = CreateWebhook, responses((status = 201, body = CreatedWebhook)))]
pub async fn create_webhook(State(app): State<AppState>, actor: Actor, ApiJson(req): ApiJson<CreateWebhook>) -> ApiResult<(StatusCode, Json<CreatedWebhook>)> {
    let admin = actor.admin()?;
    let (webhook, secret) = create(&app, &admin, req).await?;
    Ok((StatusCode::CREATED, Json(CreatedWebhook { webhook, secret })))
}

/// Checks and stores a subscription; answers it with its secret (shown once).
pub(crate) async fn create(app: &AppState, admin: &User, req: CreateWebhook) -> ApiResult<(Webhook, String)> {
    let secret = match req.secret {
        Some(s) if (16..=200).contains(&s.chars().count()) => s,
        Some(_) => return Err(ApiError::unprocessable("secret must be 16 to 200 characters")),
        None => crate::auth::new_token()?.0,
    };
    let hook = NewWebhook::parse(&req.url, req.events, secret.clone())?;
    let webhook = app.store().create_webhook(hook, audit::by(app, admin)).await?;
    Ok((webhook, secret))
}

#[utoipa::path(get, path = "/api/v1/webhooks", tag = "notifications", responses((status = 200, body = Vec<Webhook>)))]
pub async fn list_webhooks(State(app): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<Webhook>>> {
    actor.admin()?;
    Ok(Json(app.store().webhooks().await?))
}

/// The delivery log of a subscription, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<WebhookDelivery>)))]
pub async fn deliveries(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Vec<WebhookDelivery>>> {
    actor.admin()?;
    if !app.store().webhooks().await?.iter().any(|w| w.id == id) {
        return Err(ApiError::not_found(format!("webhook {id} does not exist")));
    }
    Ok(Json(app.store().webhook_deliveries(id, page_limit(None)?).await?))
}
