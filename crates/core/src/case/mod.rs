//! The case: one customer problem, one owner, and the loop that closes it.
//!
//! A case moves through SPEC §1: captured and owned ([`open`](Case::open)),
//! responded to ([`communicate`](Case::communicate)), a corrective action agreed
//! within a mandate or escalated ([`propose_action`](Case::propose_action),
//! [`decide`](Case::decide)), apologised for the next morning, prevented
//! ([`record_preventive`](Case::record_preventive)), independently verified
//! ([`follow_up`](Case::follow_up)) and closed ([`close`](Case::close)) once every
//! step is done or waived by a recorded deviation. Each method checks its guards,
//! changes the case and returns the timeline events and messages the change
//! causes; the store writes them all in one transaction.

mod action;
mod capture;
mod close;
mod debrief;
mod prevent;
mod report;
mod targets;

pub use action::{ActionStatus, CorrectiveAction, Decision, RemedyKind};
pub use debrief::{Contribution, Debrief, DebriefEntry, TargetOutcome};
pub use capture::{first_name, status_digest, status_token, Acknowledgement, CasePatch, MessageFrom, NewCase};
pub use prevent::{FollowUp, FollowUpOutcome, Preventive, PreventiveInput};
pub use report::{Assignee, FormalReport, Recovery, RecoveryInvite};
pub use targets::{TargetMarks, TargetName};

pub use crate::authorisation::CaseAction;
use crate::customer::Customer;
use crate::notification::NewNotification;
use crate::settings::OrgSettings;
use crate::terms::{EffectiveTargets, Severity, Step};
use crate::timeline::NewEvent;
use crate::user::User;
use crate::{CaseId, CategoryId, CustomerId, DomainError, Money, ServiceAreaId, UserId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Where a problem reached the company.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Phone,
    Email,
    Web,
    Retailer,
    Survey,
    Social,
    /// Walked in: told to staff in a shop or office.
    InPerson,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Phone => "phone",
            Channel::Email => "email",
            Channel::Web => "web",
            Channel::Retailer => "retailer",
            Channel::Survey => "survey",
            Channel::Social => "social",
            Channel::InPerson => "in_person",
        }
    }

    pub const ALL: [Channel; 7] = [Channel::Phone, Channel::Email, Channel::Web, Channel::Retailer, Channel::Survey, Channel::Social, Channel::InPerson];

    /// The channel written as [`as_str`](Channel::as_str) writes it.
    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Where a case stands. Derived from the case's facts, never set by hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Captured and owned; nobody has answered the customer yet.
    Open,
    /// Answered; the loop is being worked.
    InProgress,
    /// A corrective action above its proposer's mandate waits for a supervisor.
    AwaitingApproval,
    /// The independent follow-up found the matter not resolved.
    Reopened,
    Closed,
}

impl Status {
    pub const ALL: [Status; 5] = [Status::Open, Status::InProgress, Status::AwaitingApproval, Status::Reopened, Status::Closed];

    /// The status in words, for people.
    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "Open",
            Status::InProgress => "In progress",
            Status::AwaitingApproval => "Awaiting approval",
            Status::Reopened => "Reopened",
            Status::Closed => "Closed",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::InProgress => "in_progress",
            Status::AwaitingApproval => "awaiting_approval",
            Status::Reopened => "reopened",
            Status::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApologyStatus {
    /// The action is agreed but no preventive-action owner is named yet; the
    /// apology is scheduled the moment one is.
    Held,
    /// A notification is queued for `scheduled_for`.
    Scheduled,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Apology {
    pub status: ApologyStatus,
    /// The agreed action the apology confirms.
    pub action_id: u32,
    #[schema(value_type = String, format = DateTime)]
    pub agreed_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub scheduled_for: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Transfer {
    pub from: UserId,
    pub to: UserId,
    pub by: UserId,
    pub reason: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

/// A step consciously skipped: who, which, why. Shows in the debrief.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Deviation {
    pub step: Step,
    pub reason: String,
    pub by: UserId,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

/// A goodwill gesture: a small gift and what it cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Gift {
    pub description: String,
    pub cost: Money,
    pub by: UserId,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

/// One customer problem and everything done about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Case {
    pub id: CaseId,
    /// "RD-42": quoted on the phone and in mail subjects.
    pub reference: String,
    pub customer_id: CustomerId,
    pub channel: Channel,
    pub summary: String,
    pub description: String,
    /// What the customer says would put it right.
    pub desired_resolution: Option<String>,
    /// The customer's order, invoice or booking number, if they gave one.
    #[serde(default)]
    pub order_reference: Option<String>,
    /// What kind of complaint this is, from the organisation's list of
    /// categories; trends and candidate problems are counted by it.
    #[serde(default)]
    pub category_id: Option<CategoryId>,
    /// The facts as established with the customer.
    pub facts: Option<String>,
    pub severity: Severity,
    /// Customer out of pocket or seriously inconvenienced: the follow-up must
    /// come from senior management.
    pub significant: bool,
    pub service_area_id: Option<ServiceAreaId>,
    /// When the problem happened.
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: Timestamp,
    /// When the company was informed.
    #[schema(value_type = String, format = DateTime)]
    pub reported_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    pub created_by: UserId,
    /// The customer's single point of contact.
    pub owner_id: UserId,
    pub status: Status,
    pub transfers: Vec<Transfer>,
    /// Passed along more often than the organisation allows.
    pub flagged: bool,
    pub reopen_count: u32,
    #[schema(value_type = String, format = DateTime)]
    pub first_response_due_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub responded_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_outbound_at: Option<Timestamp>,
    /// The customer must hear from us by then; none once closed.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub update_due_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub resolution_due_at: Timestamp,
    /// Set when the first corrective action is agreed.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub follow_up_due_at: Option<Timestamp>,
    pub actions: Vec<CorrectiveAction>,
    pub apology: Option<Apology>,
    pub preventive: Option<Preventive>,
    pub follow_ups: Vec<FollowUp>,
    pub deviations: Vec<Deviation>,
    pub gifts: Vec<Gift>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<Timestamp>,
    pub closed_by: Option<UserId>,
    /// Others assigned besides the owner (a service manager, a senior to attend).
    #[serde(default)]
    pub assignees: Vec<Assignee>,
    /// A formal action report must reach the customer before closing.
    #[serde(default)]
    pub requires_report: bool,
    #[serde(default)]
    pub reports: Vec<FormalReport>,
    /// The survey response that opened the case.
    #[serde(default)]
    pub survey_response_id: Option<crate::ResponseId>,
    /// The lowest rating of that response.
    #[serde(default)]
    pub opening_score: Option<u8>,
    /// The recovery survey's score against the opening score.
    #[serde(default)]
    pub recovery: Option<Recovery>,
    /// Which target reminders and breaches have already been raised.
    #[serde(default)]
    pub target_marks: TargetMarks,
}

/// What a case mutation needs beyond the case itself, loaded by the store in
/// the same transaction.
#[derive(Clone, Debug)]
pub struct CaseContext {
    pub settings: OrgSettings,
    pub targets: EffectiveTargets,
    pub customer: Customer,
    /// The owner, the preventive-action owner and any user the request names.
    pub users: HashMap<UserId, User>,
}

impl CaseContext {
    pub fn user(&self, id: UserId) -> Result<&User, DomainError> {
        self.users.get(&id).ok_or_else(|| DomainError::not_found(format!("user {id} does not exist")))
    }
}

/// What a change causes besides the case's new state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub events: Vec<NewEvent>,
    pub notifications: Vec<NewNotification>,
    pub communication: Option<NewCommunication>,
    /// Survey invitations to create (the recovery survey on closing).
    pub invitations: Vec<crate::survey::NewInvitation>,
    /// A private report link to register: (digest of its token, report id).
    pub report_link: Option<(String, u32)>,
    /// A private status-page link to register: the digest of its token.
    pub status_link: Option<String>,
    /// Withdraw every private status-page link the case has.
    pub revoke_status_links: bool,
    /// For a newly opened case: the acknowledgement to queue once the case
    /// has its reference.
    pub acknowledgement: Option<Acknowledgement>,
    /// Files to keep with the case.
    pub attachments: Vec<NewAttachment>,
    /// A problem to record, and link the case's preventive action to.
    pub new_problem: Option<crate::problem::NewProblem>,
}

/// A file received with the case (a photo, a receipt).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAttachment {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// A stored file, without its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: i64,
    pub case_id: CaseId,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl Outcome {
    fn event(mut self, e: NewEvent) -> Self {
        self.events.push(e);
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCommunication {
    pub direction: Direction,
    pub channel: Channel,
    pub body: String,
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
}

/// A contact with the customer, in or out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Communication {
    pub id: i64,
    pub case_id: CaseId,
    pub direction: Direction,
    pub channel: Channel,
    pub body: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
}

/// How far in the future a stated time may lie (clock skew between systems).
const FUTURE_TOLERANCE_SECS: i64 = 300;

pub(crate) fn not_future(field: &str, t: Timestamp, now: Timestamp) -> Result<(), DomainError> {
    if t.as_second() > now.as_second() + FUTURE_TOLERANCE_SECS {
        return Err(DomainError::invalid(format!("{field} {t} is in the future")));
    }
    Ok(())
}

impl Case {
    /// Sets the id the store assigned, and the reference that follows from it.
    pub fn assign_id(&mut self, id: CaseId) {
        self.id = id;
        self.reference = id.reference();
    }

    /// Time from the problem occurring to the company being informed.
    pub fn identification_lag(&self) -> jiff::SignedDuration {
        self.reported_at.duration_since(self.occurred_at)
    }

    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }

    pub fn pending_action(&self) -> Option<&CorrectiveAction> {
        self.actions.iter().find(|a| a.status == ActionStatus::PendingApproval)
    }

    /// The agreed corrective actions' remedy values, summed (an amended
    /// action at its amended value).
    pub fn agreed_remedies(&self) -> Money {
        self.actions.iter().filter(|a| a.status == ActionStatus::Agreed).map(|a| a.remedy_value).sum()
    }

    /// What the goodwill gestures cost, summed.
    pub fn gift_costs(&self) -> Money {
        self.gifts.iter().map(|g| g.cost).sum()
    }

    /// The status that follows from the facts.
    pub fn derive_status(&self) -> Status {
        if self.is_closed() {
            Status::Closed
        } else if self.pending_action().is_some() {
            Status::AwaitingApproval
        } else if self.follow_ups.last().is_some_and(|f| f.outcome == FollowUpOutcome::NotResolved) {
            Status::Reopened
        } else if self.responded_at.is_some() {
            Status::InProgress
        } else {
            Status::Open
        }
    }

    pub fn is_done(&self, step: Step) -> bool {
        match step {
            Step::FirstResponse => self.responded_at.is_some(),
            Step::CorrectiveAction => self.actions.iter().any(|a| a.status == ActionStatus::Agreed),
            Step::Apology => self.apology.as_ref().is_some_and(|a| a.status == ApologyStatus::Scheduled),
            Step::PreventiveAction => self.preventive.as_ref().is_some_and(Preventive::is_complete),
            Step::FollowUp => self.follow_ups.last().is_some_and(|f| f.outcome == FollowUpOutcome::Resolved),
            Step::FormalReport => !self.reports.is_empty(),
        }
    }

    pub fn is_waived(&self, step: Step) -> bool {
        self.deviations.iter().any(|d| d.step == step)
    }

    /// Steps neither done nor waived: what stands between the case and closing.
    pub fn missing_steps(&self) -> Vec<Step> {
        Step::ALL.into_iter().filter(|s| self.needs(*s) && !self.is_done(*s) && !self.is_waived(*s)).collect()
    }

    /// Whether this case's loop includes `step`: all do but the formal
    /// report, which only a follow-up rule requires.
    pub fn needs(&self, step: Step) -> bool {
        step != Step::FormalReport || self.requires_report
    }

    /// Refuses `action` unless the authorisation matrix allows it to `actor`.
    pub fn authorise(&self, actor: &User, action: CaseAction) -> Result<(), DomainError> {
        crate::authorisation::authorise(self, actor, action)
    }

    /// Whether the authorisation matrix allows `action` to `actor`.
    pub fn may(&self, actor: &User, action: CaseAction) -> bool {
        crate::authorisation::may(self, actor, action)
    }

    fn require_open(&self, what: &str) -> Result<(), DomainError> {
        if self.is_closed() {
            Err(DomainError::conflict(format!("case {} is closed; cannot {what}", self.reference)))
        } else {
            Ok(())
        }
    }

    /// Brings derived fields up to date after a change.
    fn settle(&mut self) {
        self.status = self.derive_status();
    }
}

#[cfg(test)]
mod tests;
