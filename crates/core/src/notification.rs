//! Outbound messages: recorded with when they are due; delivery comes later.

use crate::{CaseId, CustomerId, NotificationId, UserId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// "Sorry we messed up": the agreed action and who prevents a recurrence.
    Apology,
    /// Thanks a respondent at once and says what happens next.
    Acknowledgement,
    /// Invites the customer to a short survey after their case closed.
    RecoverySurvey,
    /// Sends the customer the link to their formal action report.
    ReportReady,
    /// Tells the owner a target is due today.
    TargetReminder,
    /// Tells the owner's manager a target was missed.
    TargetBreach,
    /// Tells the owner the customer has not heard from us for the update interval.
    UpdateReminder,
    /// Confirms to the customer that their complaint was received, with its
    /// reference, what happens next and by when.
    ComplaintReceived,
    /// Tells the owner the customer or the submitting partner wrote on the case.
    CaseMessage,
    /// A reply to the customer written on the case (channel `web`), which
    /// their status page shows too.
    Reply,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Apology => "apology",
            NotificationKind::Acknowledgement => "acknowledgement",
            NotificationKind::RecoverySurvey => "recovery_survey",
            NotificationKind::ReportReady => "report_ready",
            NotificationKind::TargetReminder => "target_reminder",
            NotificationKind::TargetBreach => "target_breach",
            NotificationKind::UpdateReminder => "update_reminder",
            NotificationKind::ComplaintReceived => "complaint_received",
            NotificationKind::CaseMessage => "case_message",
            NotificationKind::Reply => "reply",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "apology" => NotificationKind::Apology,
            "acknowledgement" => NotificationKind::Acknowledgement,
            "recovery_survey" => NotificationKind::RecoverySurvey,
            "report_ready" => NotificationKind::ReportReady,
            "target_reminder" => NotificationKind::TargetReminder,
            "target_breach" => NotificationKind::TargetBreach,
            "update_reminder" => NotificationKind::UpdateReminder,
            "complaint_received" => NotificationKind::ComplaintReceived,
            "case_message" => NotificationKind::CaseMessage,
            "reply" => NotificationKind::Reply,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    /// Waiting for `scheduled_for`.
    Pending,
    Sent,
    /// Gave up after every retry; `last_error` says why.
    Failed,
    Cancelled,
    /// Recorded but not sent, with the reason (no SMTP configured, no address).
    NotSent,
}

impl NotificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationStatus::Pending => "pending",
            NotificationStatus::Sent => "sent",
            NotificationStatus::Failed => "failed",
            NotificationStatus::Cancelled => "cancelled",
            NotificationStatus::NotSent => "not_sent",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => NotificationStatus::Pending,
            "sent" => NotificationStatus::Sent,
            "failed" => NotificationStatus::Failed,
            "cancelled" => NotificationStatus::Cancelled,
            "not_sent" => NotificationStatus::NotSent,
            _ => return None,
        })
    }
}

/// Who a message is for: a customer or a staff member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Recipient {
    #[schema(value_type = i64)]
    Customer(CustomerId),
    #[schema(value_type = i64)]
    User(UserId),
}

/// A message the loop wants sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNotification {
    pub kind: NotificationKind,
    pub recipient: Recipient,
    pub address: Option<String>,
    pub subject: String,
    pub body: String,
    pub scheduled_for: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: NotificationId,
    pub case_id: Option<CaseId>,
    pub kind: NotificationKind,
    pub recipient: Recipient,
    /// Where it goes; `None` when the recipient has no e-mail address on record.
    pub address: Option<String>,
    pub subject: String,
    pub body: String,
    #[schema(value_type = String, format = DateTime)]
    pub scheduled_for: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<Timestamp>,
    pub status: NotificationStatus,
    /// Why it was not sent, or the last delivery error.
    pub last_error: Option<String>,
    /// Delivery attempts so far.
    pub attempts: u32,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}
