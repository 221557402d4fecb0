//! A no-op POST: checks a token and parses a JSON body, changing nothing.
//! Clients use it to test their credentials and connection; `redress bench`
//! uses it as the HTTP ceiling a write path is measured against (routing,
//! authentication, JSON parsing and an answer, without storage).

use crate::auth::Actor;
use crate::extract::ApiJson;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Echo {
    /// The account the token belongs to.
    user_id: redress_core::UserId,
    /// How many top-level fields the JSON object sent had.
    fields: usize,
}

/// Answers who the token belongs to and how many fields the JSON object
/// had, storing nothing.
#[utoipa::path(post, path = "/api/v1/echo", tag = "directory", request_body(content = Object, description = "Any JSON object"),
    responses((status = 200, body = Echo)))]
pub async fn echo(actor: Actor, ApiJson(body): ApiJson<serde_json::Map<String, serde_json::Value>>) -> Json<Echo> {
    Json(Echo { user_id: actor.0.id, fields: body.len() })
}
