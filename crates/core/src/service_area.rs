//! Service areas (transaction types): who answers for them and their targets.

use crate::terms::{Severity, Targets};
use crate::{ServiceAreaId, UserId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServiceArea {
    pub id: ServiceAreaId,
    pub name: String,
    /// Answers for the area; assigned to its low-score survey follow-ups.
    pub service_manager_id: UserId,
    pub targets: Targets,
    /// Overrides for cases of a given severity, such as `{"critical": {"first_response": "2h"}}`.
    #[serde(default)]
    pub targets_by_severity: std::collections::BTreeMap<Severity, Targets>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NewServiceArea {
    pub name: String,
    pub service_manager_id: UserId,
    pub targets: Targets,
    pub targets_by_severity: std::collections::BTreeMap<Severity, Targets>,
}
