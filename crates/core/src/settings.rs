//! Organisation settings: zone, currency, working calendar, default targets.

use crate::money::Currency;
use crate::calendar::{BusinessCalendar, WeekHours};
use crate::service_area::ServiceArea;
use crate::terms::{EffectiveTargets, Reward, Severity, Targets};
use crate::{DomainError, UserId};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgSettings {
    #[serde(default = "default_name")]
    pub name: String,
    /// IANA zone of the organisation's business hours. UTC until set.
    #[serde(default = "default_zone")]
    pub timezone: String,
    /// ISO 4217 code; amounts are held in minor units (two decimals).
    #[serde(default = "default_currency")]
    pub currency: String,
    #[serde(default)]
    pub business_hours: WeekHours,
    /// Closed dates, `YYYY-MM-DD`, in the organisation's zone.
    #[serde(default)]
    #[schema(value_type = Vec<String>, format = Date)]
    pub holidays: Vec<Date>,
    /// Defaults for every case; a service area may override each.
    #[serde(default = "default_targets")]
    pub targets: Targets,
    /// Organisation-wide overrides per case severity.
    #[serde(default)]
    pub targets_by_severity: std::collections::BTreeMap<Severity, Targets>,
    /// Owner of cases submitted by partners when no service area names one.
    #[serde(default)]
    pub default_owner_id: Option<UserId>,
    /// A case transferred more than this many times is flagged.
    #[serde(default = "default_transfer_limit")]
    pub transfer_flag_after: u32,
    /// What low survey scores set in motion.
    #[serde(default)]
    pub follow_up_rules: crate::rules::FollowUpRules,
    /// A complaint reported within this many hours of occurring earns
    /// `fast_report_points` for the customer.
    #[serde(default = "default_fast_report_hours")]
    pub fast_report_within_hours: u32,
    #[serde(default = "default_fast_report_points")]
    pub fast_report_points: i64,
    /// Days an invitation's access code stays valid unless the request says otherwise.
    #[serde(default = "default_invitation_days")]
    pub invitation_valid_days: u32,
    /// The language of customer pages and e-mails for customers whose
    /// record and browser name none Redress speaks.
    #[serde(default)]
    pub language: redress_i18n::Lang,
}

fn default_fast_report_hours() -> u32 {
    24
}
fn default_fast_report_points() -> i64 {
    10
}
fn default_invitation_days() -> u32 {
    30
}

fn default_name() -> String {
    "Redress".into()
}
fn default_zone() -> String {
    "UTC".into()
}
fn default_currency() -> String {
    "EUR".into()
}
fn default_transfer_limit() -> u32 {
    2
}
fn default_targets() -> Targets {
    let d = EffectiveTargets::builtin();
    Targets {
        first_response: Some(d.first_response),
        update_interval: Some(d.update_interval),
        resolution: Some(d.resolution),
        follow_up: Some(d.follow_up),
    }
}

impl Default for OrgSettings {
    fn default() -> Self {
        OrgSettings {
            name: default_name(),
            timezone: default_zone(),
            currency: default_currency(),
            business_hours: WeekHours::default(),
            holidays: Vec::new(),
            targets: default_targets(),
            targets_by_severity: Default::default(),
            default_owner_id: None,
            transfer_flag_after: default_transfer_limit(),
            follow_up_rules: crate::rules::FollowUpRules::default(),
            fast_report_within_hours: default_fast_report_hours(),
            fast_report_points: default_fast_report_points(),
            invitation_valid_days: default_invitation_days(),
            language: redress_i18n::Lang::En,
        }
    }
}

impl OrgSettings {
    /// The organisation's currency: every amount is in it, at its exponent.
    pub fn currency(&self) -> Currency {
        // Checked on every write (`validate`); the default stands in for a
        // code a later ISO 4217 table withdrew.
        Currency::from_code(&self.currency).or_else(|_| Currency::from_code(&default_currency())).expect("the default currency is in ISO 4217")
    }

    /// `amount`, named `field` in a refusal, in the organisation's currency.
    pub fn amount(&self, field: &str, amount: crate::Money) -> Result<crate::Money, DomainError> {
        self.currency().amount(field, amount)
    }

    /// Checks what serde cannot: the zone, the currency code, an open week.
    pub fn validate(mut self) -> Result<Self, DomainError> {
        self.timezone = crate::customer::parse_time_zone(&self.timezone)?;
        self.currency = Currency::from_code(&self.currency)?.code().to_string();
        if !self.business_hours.any_open() {
            return Err(DomainError::invalid("business_hours must open on at least one weekday"));
        }
        self.name = crate::user::required_text("name", &self.name, 200)?;
        self.follow_up_rules = self.follow_up_rules.validate()?;
        if !(0..=1_000_000).contains(&self.fast_report_points) {
            return Err(DomainError::invalid("fast_report_points must be 0 to 1000000"));
        }
        if !(1..=3650).contains(&self.invitation_valid_days) {
            return Err(DomainError::invalid("invitation_valid_days must be 1 to 3650"));
        }
        self.holidays.sort();
        self.holidays.dedup();
        Ok(self)
    }

    pub fn calendar(&self) -> BusinessCalendar {
        BusinessCalendar::new(self.time_zone(), self.business_hours.clone(), self.holidays.iter().copied())
    }

    /// The organisation's time zone (UTC if the stored name is unknown).
    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// The points a customer earns for reporting a problem this soon after it
    /// occurred, if any.
    pub fn fast_report_reward(&self, lag: jiff::SignedDuration) -> Option<Reward> {
        let fast = lag.as_secs() <= i64::from(self.fast_report_within_hours) * 3600;
        (fast && self.fast_report_points > 0).then_some(Reward { points: self.fast_report_points, reason: "fast_report" })
    }

    /// The targets of a case: the service area's for its severity, then the
    /// area's own, then the organisation's for the severity, then the
    /// organisation's, then the built-in ones.
    pub fn targets_for(&self, area: Option<&ServiceArea>, severity: Severity) -> EffectiveTargets {
        let mut t = self.default_targets();
        if let Some(s) = self.targets_by_severity.get(&severity) {
            t = s.over(&t);
        }
        if let Some(a) = area {
            t = a.targets.over(&t);
            if let Some(s) = a.targets_by_severity.get(&severity) {
                t = s.over(&t);
            }
        }
        t
    }

    /// The organisation's targets with the built-in ones behind them.
    pub fn default_targets(&self) -> EffectiveTargets {
        self.targets.over(&EffectiveTargets::builtin())
    }
}
