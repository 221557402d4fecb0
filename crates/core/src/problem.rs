//! Problems: systemic issues shared by many cases, with their own root cause
//! and permanent solution.

use crate::{ProblemId, UserId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Problem {
    pub id: ProblemId,
    pub title: String,
    pub description: Option<String>,
    pub root_cause: Option<String>,
    pub permanent_solution: Option<String>,
    pub created_by: UserId,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Cases linked to this problem through their preventive action.
    #[serde(default)]
    pub case_count: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewProblem {
    pub title: String,
    pub description: Option<String>,
    pub root_cause: Option<String>,
    pub permanent_solution: Option<String>,
    pub created_by: UserId,
}
