//! The case timeline: append-only, one entry per change, the debrief.

use crate::{CaseId, UserId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One thing that happened to a case, written in the same transaction as the change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    pub actor_id: Option<UserId>,
    pub at: Timestamp,
    /// Machine-readable kind, such as `action_agreed`.
    pub kind: &'static str,
    /// One line a person reads in the debrief.
    pub summary: String,
    /// The facts of the change.
    pub detail: serde_json::Value,
}

impl NewEvent {
    pub fn new(actor: UserId, at: Timestamp, kind: &'static str, summary: impl Into<String>, detail: serde_json::Value) -> Self {
        NewEvent { actor_id: Some(actor), at, kind, summary: summary.into(), detail }
    }

    /// An event Redress itself caused (a target check, a delivery, a survey).
    pub fn system(at: Timestamp, kind: &'static str, summary: impl Into<String>, detail: serde_json::Value) -> Self {
        NewEvent { actor_id: None, at, kind, summary: summary.into(), detail }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TimelineEvent {
    pub id: i64,
    pub case_id: CaseId,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Who did it; absent for the system (a target breached, say).
    pub actor_id: Option<UserId>,
    pub kind: String,
    pub summary: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}
