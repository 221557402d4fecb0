//! Small helpers shared by the directory resources.

use crate::error::ApiError;
use redress_core::user::User;

/// `Some` → the value; `None` → a 404 naming what is missing.
pub fn found<T>(value: Option<T>, what: &str, id: i64) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::not_found(format!("{what} {id} does not exist")))
}

/// A user referenced by a request must be active.
pub fn require_existing_user(user: &User) -> Result<(), ApiError> {
    if user.active {
        Ok(())
    } else {
        Err(ApiError::unprocessable(format!("user {} is deactivated", user.id)))
    }
}

/// A field that may be sent as `null` to clear it: absent is `None`,
/// `null` is `Some(None)`.
pub fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}
