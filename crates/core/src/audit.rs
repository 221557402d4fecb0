//! The audit trail: every administrative change — accounts, roles,
//! mandates, tokens issued and revoked, passwords set, follow-up rules,
//! targets, settings, webhooks, categories, erasures — with who made it,
//! when, and the record before and after. Append-only: the store refuses
//! to change or remove an entry. Secrets (tokens, passwords, webhook keys)
//! and erased personal data never appear in it.

use crate::UserId;
use jiff::Timestamp;
use serde::Serialize;

/// One recorded change.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Who made it; absent for a change made from the command line.
    pub actor_id: Option<UserId>,
    /// What was done, such as `user.changed` or `settings.changed`.
    pub action: String,
    /// What it was done to, such as `user 4`.
    pub subject: String,
    /// The record before the change, where there was one.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The record after the change, where there is one.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

/// Who makes an administrative change, and when. The store writes the
/// change's audit entry in the change's own transaction, so no change is
/// stored without its entry, nor an entry without its change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChangedBy {
    /// Absent for a change made from the command line.
    pub actor: Option<UserId>,
    pub at: Timestamp,
}

impl ChangedBy {
    /// A change by `actor`, signed in or with a token.
    pub fn user(actor: UserId, at: Timestamp) -> ChangedBy {
        ChangedBy { actor: Some(actor), at }
    }

    /// A change made from the command line, by whoever runs it.
    pub fn command_line(at: Timestamp) -> ChangedBy {
        ChangedBy { actor: None, at }
    }

    /// The entry for `action` on `subject` by this actor.
    pub fn entry(&self, action: &'static str, subject: impl Into<String>, before: Option<&impl Serialize>, after: Option<&impl Serialize>) -> NewAuditEntry {
        NewAuditEntry { at: self.at, actor_id: self.actor, action, subject: subject.into(), before: json(before), after: json(after) }
    }
}

/// For a change with nothing to show before or after (a password set).
pub const NOTHING: Option<&()> = None;

fn json(v: Option<&impl Serialize>) -> Option<serde_json::Value> {
    v.and_then(|v| serde_json::to_value(v).ok())
}

/// A change to record ([`ChangedBy::entry`]).
#[derive(Clone, Debug, PartialEq)]
pub struct NewAuditEntry {
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    pub action: &'static str,
    pub subject: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}
