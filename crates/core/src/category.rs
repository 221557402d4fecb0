//! Complaint categories: an admin-managed list ("Late delivery", "Billing
//! error") a case can carry and survey questions map to. Trends and
//! candidate problems are counted per category, so the list is what lets
//! management see *what kind* of problem is rising, not only where.
//!
//! Categories are never deleted, only retired (`active: false`): old cases
//! keep theirs, new cases and questions can no longer choose it.

use crate::user::{optional_text, required_text};
use crate::{CategoryId, DomainError};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Category {
    pub id: CategoryId,
    /// Unique, case-insensitively.
    pub name: String,
    pub description: Option<String>,
    /// A retired category stays on its cases but cannot be chosen again.
    pub active: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// A category as an admin writes it, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCategory {
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
}

impl NewCategory {
    pub fn checked(name: &str, description: Option<&str>, active: bool) -> Result<NewCategory, DomainError> {
        Ok(NewCategory { name: required_text("name", name, 100)?, description: optional_text("description", description, 2_000)?, active })
    }
}

/// Whether `id` may be put on a case or question now: it must be on the
/// list and not retired.
pub fn require_choosable(id: CategoryId, list: &[Category]) -> Result<(), DomainError> {
    match list.iter().find(|c| c.id == id) {
        None => Err(DomainError::invalid(format!("category_id {id} is not a category: see GET /api/v1/categories"))),
        Some(c) if !c.active => Err(DomainError::invalid(format!("category {id} ({}) is retired and cannot be chosen", c.name))),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(id: i64, active: bool) -> Category {
        Category { id: CategoryId(id), name: format!("c{id}"), description: None, active, created_at: Timestamp::UNIX_EPOCH }
    }

    #[test]
    fn names_are_required_and_trimmed() {
        assert_eq!(NewCategory::checked("  Late delivery ", Some(""), true).unwrap().name, "Late delivery");
        assert!(NewCategory::checked("   ", None, true).is_err());
        assert!(NewCategory::checked(&"x".repeat(101), None, true).is_err());
    }

    #[test]
    fn only_active_listed_categories_are_choosable() {
        let list = [cat(1, true), cat(2, false)];
        assert!(require_choosable(CategoryId(1), &list).is_ok());
        assert!(require_choosable(CategoryId(2), &list).unwrap_err().to_string().contains("retired"));
        assert!(require_choosable(CategoryId(3), &list).unwrap_err().to_string().contains("not a category"));
    }
}
