//! One error type for HTTP: every failure leaves as an RFC 9457 problem detail
//! (`application/problem+json`) whose `detail` says exactly what is wrong. A
//! 500 logs its cause and shows a generic message.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use redress_core::store::StoreError;
use redress_core::DomainError;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: String,
    /// Extension members, such as `missing` when a close is refused.
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<u64>,
}

/// The problem-detail body, for the OpenAPI document.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What is wrong, in words a developer can act on.
    pub detail: String,
    /// For a refused close: the steps neither done nor waived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<redress_core::terms::Step>>,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        ApiError { status, detail: detail.into(), extra: None, retry_after: None }
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }
    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
    }
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "an internal error occurred; it has been logged")
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let detail = e.to_string();
        match e {
            DomainError::Invalid(_) => Self::unprocessable(detail),
            DomainError::Forbidden(_) => Self::forbidden(detail),
            DomainError::Conflict(_) => Self::new(StatusCode::CONFLICT, detail),
            DomainError::NotFound(_) => Self::not_found(detail),
            DomainError::AccessRefused => Self::forbidden(detail),
            DomainError::Incomplete(missing) => {
                let mut extra = serde_json::Map::new();
                extra.insert("missing".into(), serde_json::json!(missing));
                ApiError { status: StatusCode::CONFLICT, detail, extra: Some(extra), retry_after: None }
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => d.into(),
            StoreError::Unavailable(msg) => {
                tracing::warn!(error = %msg, "the database is unavailable");
                let mut e = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the database is unavailable for a moment; nothing was written: try again shortly");
                e.retry_after = Some(2);
                e
            }
            StoreError::Full(msg) => {
                tracing::error!(error = %msg, "the database's disk is full");
                ApiError::new(StatusCode::INSUFFICIENT_STORAGE, "the database's disk is full; nothing was written. Reading goes on; writing resumes once space is freed")
            }
            StoreError::Backend(msg) => {
                tracing::error!(error = %msg, "storage failure");
                Self::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::Map::new();
        body.insert("type".into(), "about:blank".into());
        body.insert("title".into(), self.status.canonical_reason().unwrap_or("Error").into());
        body.insert("status".into(), self.status.as_u16().into());
        body.insert("detail".into(), self.detail.into());
        if let Some(extra) = self.extra {
            body.extend(extra);
        }
        // A map of JSON values always serialises.
        let mut resp = (self.status, serde_json::to_vec(&body).unwrap_or_default()).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        retry_after(&mut resp, self.retry_after);
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Adds `Retry-After` (seconds) to a refusal, HTML or JSON.
pub fn retry_after(resp: &mut Response, seconds: Option<u64>) {
    if let Some(v) = seconds.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
}
