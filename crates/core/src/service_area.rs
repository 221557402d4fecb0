//! Service areas (transaction types): who answers for them and their targets.

use crate::calendar::Target;
use crate::{ServiceAreaId, UserId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Service-level targets in business time. Unset fields fall back to the
/// organisation's defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// From being informed to the owner's first response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response: Option<Target>,
    /// Longest silence towards the customer while a case is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_interval: Option<Target>,
    /// From being informed to closing the case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Target>,
    /// From the agreed corrective action to the independent follow-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<Target>,
}

/// Targets with every field resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EffectiveTargets {
    pub first_response: Target,
    pub update_interval: Target,
    pub resolution: Target,
    pub follow_up: Target,
}

impl Targets {
    /// These targets where set, `fallback` elsewhere.
    pub fn over(&self, fallback: &EffectiveTargets) -> EffectiveTargets {
        EffectiveTargets {
            first_response: self.first_response.unwrap_or(fallback.first_response),
            update_interval: self.update_interval.unwrap_or(fallback.update_interval),
            resolution: self.resolution.unwrap_or(fallback.resolution),
            follow_up: self.follow_up.unwrap_or(fallback.follow_up),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServiceArea {
    pub id: ServiceAreaId,
    pub name: String,
    /// Answers for the area; assigned to its low-score survey follow-ups.
    pub service_manager_id: UserId,
    pub targets: Targets,
    /// Overrides for cases of a given severity, such as `{"critical": {"first_response": "2h"}}`.
    #[serde(default)]
    pub targets_by_severity: std::collections::BTreeMap<crate::case::Severity, Targets>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NewServiceArea {
    pub name: String,
    pub service_manager_id: UserId,
    pub targets: Targets,
    pub targets_by_severity: std::collections::BTreeMap<crate::case::Severity, Targets>,
}
