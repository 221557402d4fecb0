//! Forms as every page reads them: urlencoded fields within the body limit,
//! CSRF protection by double submit (a `SameSite=Strict` cookie and a hidden
//! field that must match), cookies, and random tokens.

use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

pub const CSRF_COOKIE: &str = "redress_csrf";

/// An urlencoded form as ordered name/value pairs, within the body limit.
pub struct FormFields(pub Vec<(String, String)>);

/// How a form's fields become the JSON request they stand for. Fields not
/// named here are strings; empty fields are left out; `csrf` never goes.
#[derive(Default)]
pub struct Shape<'a> {
    /// Only fields starting with this, which it is stripped from.
    pub prefix: &'a str,
    /// Whole numbers (ids, scores).
    pub numbers: &'a [&'a str],
    /// Tick boxes: present means `true`.
    pub ticks: &'a [&'a str],
    /// `true` or `false` chosen from a list.
    pub booleans: &'a [&'a str],
    /// One item a line, as a list.
    pub lines: &'a [&'a str],
    /// `datetime-local` values, read in the organisation's zone.
    pub local_times: &'a [&'a str],
    /// Choices whose value `none` means `null` (clear it).
    pub nullable: &'a [&'a str],
}

impl FormFields {
    /// The JSON request this form stands for, shaped by `shape`. A value
    /// that does not read as its kind is passed on as typed, so the refusal
    /// names the field.
    pub fn to_json(&self, shape: &Shape, tz: &jiff::tz::TimeZone) -> serde_json::Value {
        use serde_json::Value;
        let mut out = serde_json::Map::new();
        for (name, value) in &self.0 {
            let (Some(name), v) = (name.strip_prefix(shape.prefix), value.trim()) else { continue };
            if name == "csrf" || v.is_empty() {
                continue;
            }
            let is = |list: &[&str]| list.contains(&name);
            let json = if is(shape.nullable) && v == "none" {
                Value::Null
            } else if is(shape.numbers) || is(shape.nullable) {
                v.parse::<i64>().map_or_else(|_| Value::from(v), Value::from)
            } else if is(shape.ticks) {
                Value::Bool(true)
            } else if is(shape.booleans) {
                v.parse::<bool>().map_or_else(|_| Value::from(v), Value::Bool)
            } else if is(shape.lines) {
                Value::from(v.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>())
            } else if is(shape.local_times) {
                v.parse::<jiff::civil::DateTime>()
                    .ok()
                    .and_then(|dt| dt.to_zoned(tz.clone()).ok())
                    .map_or_else(|| Value::from(v), |z| Value::from(z.timestamp().to_string()))
            } else {
                Value::from(v)
            };
            out.insert(name.to_string(), json);
        }
        Value::Object(out)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A field's value with surrounding space trimmed; empty when absent.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().trim().to_string()
    }
}

impl FromRequest<AppState> for FormFields {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, Html("<p>The form is too large.</p>".to_string())).into_response())?;
        serde_urlencoded::from_bytes(&bytes)
            .map(FormFields)
            .map_err(|_| (StatusCode::BAD_REQUEST, Html("<p>The form could not be read.</p>".to_string())).into_response())
    }
}

/// A value of the request's `Cookie` header.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// `bytes` random bytes as hex, or `None` when the system has no randomness
/// (a predictable token must never be handed out).
pub fn random_hex(bytes: usize) -> Option<String> {
    let mut b = vec![0u8; bytes];
    match getrandom::fill(&mut b) {
        Ok(()) => Some(hex::encode(b)),
        Err(e) => {
            tracing::error!(error = %e, "no randomness available");
            None
        }
    }
}

/// The CSRF token of this browser, and the cookie that sets it when it was
/// minted just now.
pub fn csrf_token(headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match cookie(headers, CSRF_COOKIE).filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())) {
        Some(t) => (t, None),
        None => {
            // Without randomness the page shows no usable token and every
            // form it holds is refused as expired: safe, and logged above.
            let t = random_hex(16).unwrap_or_default();
            let set = HeaderValue::from_str(&format!("{CSRF_COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict")).ok().filter(|_| !t.is_empty());
            (t, set)
        }
    }
}

/// Whether a posted form's CSRF field matches this browser's cookie.
pub fn csrf_ok(headers: &HeaderMap, form: &FormFields) -> bool {
    csrf_matches(headers, form.get("csrf"))
}

/// Whether `token` (a form's CSRF field, however the form was encoded)
/// matches this browser's cookie.
pub fn csrf_matches(headers: &HeaderMap, token: Option<&str>) -> bool {
    match (cookie(headers, CSRF_COOKIE), token) {
        (Some(c), Some(f)) => !c.is_empty() && c == f,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> FormFields {
        FormFields(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn forms_read_as_the_api_request() {
        let tz = jiff::tz::TimeZone::get("Europe/London").unwrap();
        let f = form(&[
            ("csrf", "abc"),
            ("x.satisfaction", "4"),
            ("x.confirmed", "on"),
            ("x.active", "false"),
            ("x.notes", "  "),
            ("x.actions", "Retrain\n\n  Re-route \n"),
            ("x.at", "2026-07-01T09:30"),
            ("x.to_user_id", "x"),
            ("x.manager_id", "none"),
            ("y.other", "left out"),
        ]);
        let shape = Shape {
            prefix: "x.",
            numbers: &["satisfaction", "to_user_id"],
            ticks: &["confirmed"],
            booleans: &["active"],
            lines: &["actions"],
            local_times: &["at"],
            nullable: &["manager_id"],
        };
        assert_eq!(
            f.to_json(&shape, &tz),
            serde_json::json!({ "satisfaction": 4, "confirmed": true, "active": false, "actions": ["Retrain", "Re-route"],
                                "at": "2026-07-01T08:30:00Z", "to_user_id": "x", "manager_id": null })
        );
    }
}
