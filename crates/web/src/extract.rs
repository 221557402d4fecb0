//! Request extractors whose every rejection is a clear problem detail.

use crate::error::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, StatusCode};
use serde::de::DeserializeOwned;

/// A JSON body. Malformed JSON is a 400, JSON of the wrong shape a 422, a body
/// over the configured limit a 413, a non-JSON content type a 415. An empty
/// body reads as `{}`, so requests without options need not send one.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let has_json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
            });
        let sent_type = req.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or("an unreadable type").to_string());
        let limit = state.config().max_body_bytes;
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("the request body exceeds the limit of {limit} bytes"))
            } else {
                ApiError::bad_request(format!("cannot read the request body: {}", e.body_text()))
            }
        })?;
        if bytes.is_empty() {
            return parse(b"{}");
        }
        if let (Some(sent), false) = (sent_type, has_json_type) {
            // `curl -d` sends a form type unless told otherwise.
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("the body was sent as {sent}; send it as JSON with Content-Type: application/json (curl --json '{{…}}'), or with no Content-Type"),
            ));
        }
        parse(&bytes)
    }
}

/// Reads a console form, already turned into JSON, as the API request it
/// stands for: the same rules, and a refusal naming the field.
pub(crate) fn from_form<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." { String::new() } else { format!("{path}: ") };
        ApiError::unprocessable(format!("the form is not filled in right: {at}{}", e.into_inner()))
    })
}

/// Parses JSON, naming the offending field (`customer_id: invalid type…`).
fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<ApiJson<T>, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        use serde_json::error::Category;
        let path = e.path().to_string();
        let inner = e.into_inner();
        let at = if path == "." { String::new() } else { format!("{path}: ") };
        match inner.classify() {
            Category::Data => ApiError::unprocessable(format!("the JSON body does not fit this request: {at}{inner}")),
            Category::Syntax | Category::Eof | Category::Io => ApiError::bad_request(format!("the body is not valid JSON: {inner}")),
        }
    })?;
    de.end().map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))?;
    if holds_nul(bytes) {
        return Err(ApiError::unprocessable("text must not contain the NUL character (\\u0000)"));
    }
    Ok(ApiJson(value))
}

/// Whether valid JSON text holds a NUL character, which no text field may
/// (PostgreSQL cannot store it): raw control characters are not valid JSON,
/// so a NUL can only be written `\u0000`, and `\\` escapes a backslash.
fn holds_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json.get(i + 1) == Some(&b'u') && json.get(i + 2..i + 6) == Some(b"0000") {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// Path parameters; an id that is not a number is a 400 saying so.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e: PathRejection| ApiError::bad_request(e.body_text()))
    }
}

/// Query parameters; a wrong type or unknown value is a 400 naming it.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| ApiError::bad_request(e.body_text()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_an_escaped_nul_and_nothing_else() {
        assert!(super::holds_nul(br#"{"title": "a\u0000b"}"#));
        assert!(!super::holds_nul(br#"{"title": "a\\u0000b"}"#), "an escaped backslash, then text");
        assert!(super::holds_nul(br#"{"title": "a\\\u0000b"}"#));
        assert!(!super::holds_nul(br#"{"title": "a\u0001b"}"#));
    }
}
