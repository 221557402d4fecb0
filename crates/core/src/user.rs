//! Staff and partner accounts, and what each role may do.

use crate::{Money, UserId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// What an account is for. Roles are ordered only where the loop needs it:
/// managers and above approve escalated remedies; seniors attend significant
/// follow-ups; admins manage the organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    Manager,
    Senior,
    Admin,
    /// A retailer's system: may submit `retailer` cases and read its own.
    Partner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Manager => "manager",
            Role::Senior => "senior",
            Role::Admin => "admin",
            Role::Partner => "partner",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "agent" => Role::Agent,
            "manager" => Role::Manager,
            "senior" => Role::Senior,
            "admin" => Role::Admin,
            "partner" => Role::Partner,
            _ => return None,
        })
    }

    /// Staff work cases; partners only submit them.
    pub fn is_staff(self) -> bool {
        self != Role::Partner
    }

    /// Managers, seniors and admins supervise: they approve, transfer and waive.
    pub fn supervises(self) -> bool {
        matches!(self, Role::Manager | Role::Senior | Role::Admin)
    }
}

/// A staff member or partner account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub email: Option<String>,
    pub role: Role,
    /// The appeasement mandate: the largest remedy this person may agree alone.
    pub mandate: Money,
    pub manager_id: Option<UserId>,
    pub active: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// A validated change to an account: each field given replaces the current
/// value (`Some(None)` clears an optional one).
#[derive(Clone, Debug, Default)]
pub struct UserChange {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub role: Option<Role>,
    pub mandate: Option<Money>,
    pub manager_id: Option<Option<UserId>>,
    /// `false` deactivates: the account can no longer sign in or use its tokens.
    pub active: Option<bool>,
}

/// An API token as listed: never the token itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: i64,
    pub label: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// A validated request to create an account.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub name: String,
    pub email: Option<String>,
    pub role: Role,
    pub mandate: Money,
    pub manager_id: Option<UserId>,
    /// An argon2 hash for signing in to the console; none for API-only accounts.
    pub password_hash: Option<String>,
}

/// Trims a required text field and checks its length, naming the field on failure.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, crate::DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(crate::DomainError::invalid(format!("{field} must not be empty")));
    }
    if v.chars().count() > max {
        return Err(crate::DomainError::invalid(format!("{field} is longer than {max} characters")));
    }
    Ok(v.to_string())
}

/// Like [`required_text`] for an optional field; blank becomes `None`.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, crate::DomainError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required_text(field, v, max).map(Some),
    }
}

/// A plausible e-mail address: one `@`, something either side, no spaces.
pub fn parse_email(value: Option<&str>) -> Result<Option<String>, crate::DomainError> {
    let Some(v) = optional_text("email", value, 254)? else { return Ok(None) };
    let ok = v.split_once('@').is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !b.contains('@'))
        && !v.chars().any(char::is_whitespace);
    if ok {
        Ok(Some(v))
    } else {
        Err(crate::DomainError::invalid(format!("email '{v}' is not an e-mail address")))
    }
}
