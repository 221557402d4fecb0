//! The loop's shared vocabulary: words that cases, settings, service areas
//! and survey rules all speak. It sits below every one of them and imports
//! none of them, so dependencies between the domain's modules run one way.

use crate::calendar::Target;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    #[default]
    Normal,
    High,
    Critical,
}

/// The steps of the loop that must be done, or waived, before a case closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    FirstResponse,
    CorrectiveAction,
    Apology,
    PreventiveAction,
    FollowUp,
    /// Only where a follow-up rule asked for one (low survey scores).
    FormalReport,
}

impl Step {
    pub const ALL: [Step; 6] =
        [Step::FirstResponse, Step::CorrectiveAction, Step::Apology, Step::PreventiveAction, Step::FollowUp, Step::FormalReport];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::FirstResponse => "first_response",
            Step::CorrectiveAction => "corrective_action",
            Step::Apology => "apology",
            Step::PreventiveAction => "preventive_action",
            Step::FollowUp => "follow_up",
            Step::FormalReport => "formal_report",
        }
    }

    /// The step's name in words, for people.
    pub fn title(self) -> &'static str {
        match self {
            Step::FirstResponse => "First response",
            Step::CorrectiveAction => "Corrective action",
            Step::Apology => "Apology",
            Step::PreventiveAction => "Preventive action",
            Step::FollowUp => "Independent follow-up",
            Step::FormalReport => "Formal action report",
        }
    }

    /// What a person must do to complete the step.
    pub fn what_to_do(self) -> &'static str {
        match self {
            Step::FirstResponse => "the owner's first response to the customer (an outbound communication)",
            Step::CorrectiveAction => "an agreed corrective action",
            Step::Apology => "the apology, which needs an agreed action and a named preventive-action owner",
            Step::PreventiveAction => "the preventive action: owner, root cause and action",
            Step::FollowUp => "an independent follow-up confirming the matter is resolved",
            Step::FormalReport => "the formal action report delivered to the customer",
        }
    }
}

/// "first response (…), apology (…)" for a refusal's detail.
pub fn describe_missing(steps: &[Step]) -> String {
    let parts: Vec<String> = steps.iter().map(|s| format!("{} ({})", s.as_str(), s.what_to_do())).collect();
    format!("missing {}", parts.join("; "))
}

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

impl EffectiveTargets {
    /// SPEC defaults: first response in 2 business days, an update every
    /// business day; resolution in 10 and follow-up within 5 business days.
    pub fn builtin() -> Self {
        EffectiveTargets {
            first_response: Target::Days(2),
            update_interval: Target::Days(1),
            resolution: Target::Days(10),
            follow_up: Target::Days(5),
        }
    }
}

/// Points credited to a customer, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reward {
    pub points: i64,
    /// `survey_response` or `fast_report`.
    pub reason: &'static str,
}
