//! Survey responses: the public submission (by access code) and the staff view.

use super::directory::found;
use super::page_limit;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::Json;
use redress_core::store::{Submission, Submitted};
use redress_core::survey::{Receipt, Response};
use redress_core::{DomainError, ResponseId, SurveyId};
use serde::Deserialize;
use std::net::SocketAddr;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitResponse {
    /// The access code the customer was given (any case; spaces and dashes ignored).
    code: String,
    /// Answers by question key: numbers for ratings and NPS, text otherwise.
    #[schema(value_type = Object)]
    answers: serde_json::Map<String, serde_json::Value>,
}

/// Takes one survey submission by access code; what the public survey page
/// posts too. No bearer token: the code is the credential. A wrong, used or
/// expired code gets one and the same 403; after 10 failures in a minute a
/// client gets 429 with `Retry-After`. An `Idempotency-Key` header makes a
/// retry return the first answer instead of a refusal.
#[utoipa::path(post, path = "/api/v1/responses", tag = "surveys", request_body = SubmitResponse, security(()),
    params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[!-~]{1,200}$", description = "Client-chosen key of 1 to 200 visible ASCII characters; a repeat returns the first answer")),
    responses((status = 201, body = Receipt)))]
pub async fn submit_response(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SubmitResponse>,
) -> ApiResult<HttpResponse> {
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .map(str::trim)
                .filter(|k| !k.is_empty() && k.len() <= 200)
                .ok_or_else(|| ApiError::bad_request("Idempotency-Key must be 1 to 200 visible ASCII characters"))?
                .to_string(),
        ),
    };
    let submitted = submit(&app, peer.ip(), &req.code, req.answers, key, None).await?;
    Ok((StatusCode::CREATED, Json(submitted.receipt)).into_response())
}

/// Checks the guess limit, judges and stores a submission, and counts a
/// refused code against the client. Shared by the API and the survey page.
pub async fn submit(
    app: &AppState,
    client: std::net::IpAddr,
    code: &str,
    answers: serde_json::Map<String, serde_json::Value>,
    idempotency_key: Option<String>,
    page_lang: Option<redress_core::Lang>,
) -> ApiResult<Submitted> {
    let digest = code_digest(app, client, code).await?;
    let now = app.now();
    let submission = Submission {
        code_digest: digest,
        idempotency_key,
        judge: Box::new(move |ctx| redress_core::feedback::respond(ctx, &answers, page_lang, now)),
    };
    match app.store().submit_response(submission).await {
        Err(redress_core::store::StoreError::Domain(DomainError::AccessRefused)) => {
            app.guesses().fail(app.store(), app.now(), client).await;
            Err(DomainError::AccessRefused.into())
        }
        other => Ok(other?),
    }
}

/// The stored digest of a typed code, once the client is allowed to try.
/// Something that cannot be a code at all counts as a failed guess.
pub async fn code_digest(app: &AppState, client: std::net::IpAddr, code: &str) -> ApiResult<String> {
    if let Err(wait) = app.guesses().check(app.store(), app.now(), client).await {
        let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, format!("too many wrong access codes; try again in {wait} seconds"));
        e.retry_after = Some(wait);
        return Err(e);
    }
    match redress_core::access_code::digest_of(code) {
        Some(d) => Ok(d),
        None => {
            app.guesses().fail(app.store(), app.now(), client).await;
            Err(DomainError::AccessRefused.into())
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResponseQuery {
    survey_id: Option<i64>,
    /// Only ids below this (the previous page's last id).
    before: Option<i64>,
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// Lists responses, newest first (staff only).
#[utoipa::path(get, path = "/api/v1/responses", tag = "surveys", params(ResponseQuery), responses((status = 200, body = Vec<Response>)))]
pub async fn list_responses(State(app): State<AppState>, actor: Actor, ApiQuery(q): ApiQuery<ResponseQuery>) -> ApiResult<Json<Vec<Response>>> {
    actor.staff()?;
    Ok(Json(app.store().responses(q.survey_id.map(SurveyId), q.before.map(ResponseId), page_limit(q.limit)?).await?))
}

#[utoipa::path(get, path = "/api/v1/responses/{id}", tag = "surveys", params(("id" = i64, Path)), responses((status = 200, body = Response)))]
pub async fn get_response(State(app): State<AppState>, actor: Actor, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Response>> {
    actor.staff()?;
    Ok(Json(found(app.store().response(ResponseId(id)).await?, "response", id)?))
}
