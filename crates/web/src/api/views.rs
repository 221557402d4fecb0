//! What the API answers with about a case: the case as stored plus the
//! figures derived from it at the time of the request. Shared by every
//! handler that returns a case.

use jiff::Timestamp;
use redress_core::case::{Case, Communication};
use redress_core::store::CaseDetail;
use redress_core::terms::Step;
use redress_core::timeline::TimelineEvent;
use redress_core::user::{Role, User};
use redress_core::UserId;
use serde::Serialize;
use utoipa::ToSchema;

/// A case with the figures derived from it at the time of the request.
#[derive(Serialize, ToSchema)]
pub struct CaseView {
    #[serde(flatten)]
    case: Case,
    /// Seconds from the problem occurring to the company being informed.
    identification_lag_seconds: i64,
    transfer_count: usize,
    /// Steps neither done nor waived: what closing still needs.
    missing_steps: Vec<Step>,
    /// What should happen next, in words.
    next_steps: Vec<String>,
    /// No first response and its target has passed.
    first_response_overdue: bool,
    /// The customer has not heard from us within the update interval.
    update_due: bool,
}

impl CaseView {
    pub fn new(case: Case, now: Timestamp) -> Self {
        let missing = case.missing_steps();
        let mut next_steps: Vec<String> = Vec::new();
        if let Some(a) = case.pending_action() {
            next_steps.push(format!("a manager whose mandate covers {} approves, declines or amends action {}", a.remedy_value, a.id));
        }
        if !case.is_closed() {
            next_steps.extend(missing.iter().map(|s| format!("{}: {}", s.as_str(), s.what_to_do())));
            if missing.is_empty() && case.pending_action().is_none() {
                next_steps.push("close the case".into());
            }
        }
        CaseView {
            identification_lag_seconds: case.identification_lag().as_secs(),
            transfer_count: case.transfers.len(),
            first_response_overdue: !case.is_closed() && case.responded_at.is_none() && now > case.first_response_due_at,
            update_due: case.update_due_at.is_some_and(|d| now > d),
            missing_steps: missing,
            next_steps,
            case,
        }
    }
}

/// The partner account (a retailer) that submitted a case.
#[derive(Serialize, ToSchema)]
pub struct PartnerRef {
    id: UserId,
    name: String,
}

/// A case with its debrief: every change and every contact.
#[derive(Serialize, ToSchema)]
pub struct CaseDetailView {
    #[serde(flatten)]
    view: CaseView,
    /// The partner that submitted the case (its `created_by`); null when
    /// staff recorded it.
    submitted_by_partner: Option<PartnerRef>,
    timeline: Vec<TimelineEvent>,
    communications: Vec<Communication>,
}

impl CaseDetailView {
    /// `creator` is the account that created the case, when known.
    pub fn new(detail: CaseDetail, creator: Option<User>, now: Timestamp) -> Self {
        let submitted_by_partner = creator.filter(|u| u.role == Role::Partner && u.id == detail.case.created_by).map(|u| PartnerRef { id: u.id, name: u.name });
        CaseDetailView { view: CaseView::new(detail.case, now), submitted_by_partner, timeline: detail.timeline, communications: detail.communications }
    }
}
