//! The people whose problems Redress resolves.

use crate::{CustomerId, UserId};
use jiff::Timestamp;
use redress_i18n::Lang;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Customer {
    pub id: CustomerId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// IANA zone; "next morning" messages arrive at 09:00 here.
    pub timezone: String,
    /// The relationship manager, who owns survey follow-ups.
    pub client_manager_id: Option<UserId>,
    /// The language they read (`en`, `de`); the organisation's when absent.
    #[serde(default)]
    pub language: Option<Lang>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When their personal data was erased at their request (GDPR article
    /// 17); absent while it is held.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub erased_at: Option<Timestamp>,
}

impl Customer {
    /// The customer's zone; an unreadable one (never stored) falls back to UTC.
    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// The language to write to them in: their own, else the organisation's.
    pub fn lang(&self, settings: &crate::settings::OrgSettings) -> Lang {
        self.language.unwrap_or(settings.language)
    }
}

#[derive(Clone, Debug)]
pub struct NewCustomer {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub timezone: String,
    pub client_manager_id: Option<UserId>,
    pub language: Option<Lang>,
}

impl NewCustomer {
    /// The customer as they will be stored, before they have an id: a case
    /// is checked against it first, so nothing is stored unless both the
    /// customer and the case are acceptable.
    pub fn unsaved(&self, now: Timestamp) -> Customer {
        Customer {
            id: crate::CustomerId(0),
            name: self.name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            timezone: self.timezone.clone(),
            client_manager_id: self.client_manager_id,
            language: self.language,
            erased_at: None,
            created_at: now,
        }
    }
}

/// Checks an IANA time-zone name, returning its canonical spelling.
pub fn parse_time_zone(name: &str) -> Result<String, crate::DomainError> {
    jiff::tz::TimeZone::get(name.trim())
        .map(|_| name.trim().to_string())
        .map_err(|_| crate::DomainError::invalid(format!("timezone '{name}' is not an IANA time zone such as \"Europe/London\"")))
}
