//! Survey follow-up rules: thresholds and roles are data, not code.
//!
//! Each rule applies when the lowest 1–5 rating in a response is at or below
//! its threshold; every applying rule contributes. The defaults are SPEC §2:
//! below 4 opens a follow-up case owned by the customer's client manager with
//! the service area's manager assigned and a formal action report required;
//! 1 or 2 also assigns a senior manager to attend and marks the case
//! significant.

use crate::{DomainError, UserId};
use serde::{Deserialize, Serialize};

/// Someone a rule names, resolved for each response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The customer's relationship manager.
    ClientManager,
    /// The manager of the survey's service area.
    ServiceManager,
    /// An active senior manager (the lowest id).
    Senior,
    /// A named staff member.
    #[schema(value_type = i64)]
    User(UserId),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpRule {
    /// Applies when the lowest rating is at most this (1–5).
    pub lowest_rating_at_most: u8,
    /// Open a follow-up case (channel `survey`) with the answers attached.
    #[serde(default)]
    pub open_case: bool,
    /// Who owns the case; the first applying rule that names one decides.
    #[serde(default)]
    pub owner: Option<Party>,
    /// Who else is assigned (to attend the call, say).
    #[serde(default)]
    pub assign: Vec<Party>,
    #[serde(default)]
    pub significant: bool,
    /// The owner must deliver a formal action report before the case closes.
    #[serde(default)]
    pub require_report: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpRules {
    pub rules: Vec<FollowUpRule>,
}

impl Default for FollowUpRules {
    fn default() -> Self {
        FollowUpRules {
            rules: vec![
                FollowUpRule {
                    lowest_rating_at_most: 3,
                    open_case: true,
                    owner: Some(Party::ClientManager),
                    assign: vec![Party::ServiceManager],
                    significant: false,
                    require_report: true,
                },
                FollowUpRule {
                    lowest_rating_at_most: 2,
                    open_case: false,
                    owner: None,
                    assign: vec![Party::Senior],
                    significant: true,
                    require_report: false,
                },
            ],
        }
    }
}

/// What the applying rules ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowUpPlan {
    pub owner: Option<Party>,
    pub assign: Vec<Party>,
    pub significant: bool,
    pub require_report: bool,
}

impl FollowUpRules {
    pub fn validate(self) -> Result<Self, DomainError> {
        if self.rules.len() > 20 {
            return Err(DomainError::invalid("at most 20 follow-up rules"));
        }
        for (i, r) in self.rules.iter().enumerate() {
            if !(1..=5).contains(&r.lowest_rating_at_most) {
                return Err(DomainError::invalid(format!("rules[{i}].lowest_rating_at_most must be 1 to 5")));
            }
        }
        Ok(self)
    }

    /// The follow-up a response with this lowest rating needs; `None` when no
    /// applying rule opens a case (or there is no rating at all).
    pub fn plan(&self, lowest_rating: Option<u8>) -> Option<FollowUpPlan> {
        let lowest = lowest_rating?;
        let applying: Vec<&FollowUpRule> = self.rules.iter().filter(|r| lowest <= r.lowest_rating_at_most).collect();
        if !applying.iter().any(|r| r.open_case) {
            return None;
        }
        let mut assign = Vec::new();
        for p in applying.iter().flat_map(|r| r.assign.iter()) {
            if !assign.contains(p) {
                assign.push(*p);
            }
        }
        Some(FollowUpPlan {
            owner: applying.iter().find_map(|r| r.owner),
            assign,
            significant: applying.iter().any(|r| r.significant),
            require_report: applying.iter().any(|r| r.require_report),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_spec() {
        let rules = FollowUpRules::default();
        assert_eq!(rules.plan(Some(4)), None);
        assert_eq!(rules.plan(None), None);
        let three = rules.plan(Some(3)).unwrap();
        assert_eq!(three.owner, Some(Party::ClientManager));
        assert_eq!(three.assign, vec![Party::ServiceManager]);
        assert!(three.require_report && !three.significant);
        let one = rules.plan(Some(1)).unwrap();
        assert_eq!(one.assign, vec![Party::ServiceManager, Party::Senior]);
        assert!(one.significant && one.require_report);
    }

    #[test]
    fn rules_are_data() {
        let json = r#"{"rules":[{"lowest_rating_at_most":4,"open_case":true,"owner":{"user":7},"assign":["senior"]}]}"#;
        let rules: FollowUpRules = serde_json::from_str(json).unwrap();
        let plan = rules.plan(Some(4)).unwrap();
        assert_eq!(plan.owner, Some(Party::User(UserId(7))));
        assert!(FollowUpRules { rules: vec![FollowUpRule { lowest_rating_at_most: 9, ..rules.rules[0].clone() }] }.validate().is_err());
    }
}
