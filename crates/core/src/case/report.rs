//! What survey follow-ups add to a case: assignees, the formal action report
//! and the recovery survey that measures how far satisfaction came back.

use super::*;
use redress_i18n as i18n;
use crate::notification::{NotificationKind, Recipient};
use crate::survey::NewInvitation;
use crate::user::required_text;
use serde_json::json;

/// Someone assigned to a case besides its owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Assignee {
    pub user_id: UserId,
    /// Why: `service_manager` or `senior` (by a follow-up rule), or
    /// `named` (by the owner or a supervisor).
    pub role: String,
}

impl Case {
    /// Assigns `user` beside the owner to help with the case: they may then
    /// agree remedies, record prevention and report (see the authorisation
    /// matrix). Assigning someone already assigned changes nothing.
    pub fn assign(&mut self, actor: &User, user: &User, now: Timestamp) -> Result<Outcome, DomainError> {
        self.authorise(actor, CaseAction::Assign)?;
        self.require_open("assign people to it")?;
        if !user.role.is_staff() || !user.active {
            return Err(DomainError::invalid(format!("user {} cannot be assigned: only active staff work cases", user.id)));
        }
        if user.id == self.owner_id {
            return Err(DomainError::invalid(format!("user {} owns {}; assign someone besides the owner", user.id, self.reference)));
        }
        if self.assignees.iter().any(|a| a.user_id == user.id) {
            return Ok(Outcome::default());
        }
        self.assignees.push(Assignee { user_id: user.id, role: "named".into() });
        Ok(Outcome::default().event(NewEvent::new(
            actor.id,
            now,
            "assigned",
            format!("{} assigned to help", user.name),
            json!({ "user_id": user.id, "role": "named" }),
        )))
    }

    /// Withdraws an assignment (one a follow-up rule made, too).
    pub fn unassign(&mut self, actor: &User, user_id: UserId, ctx: &CaseContext, now: Timestamp) -> Result<Outcome, DomainError> {
        self.authorise(actor, CaseAction::Assign)?;
        self.require_open("change who is assigned")?;
        let Some(at) = self.assignees.iter().position(|a| a.user_id == user_id) else {
            return Err(DomainError::not_found(format!("user {user_id} is not assigned to {}", self.reference)));
        };
        let removed = self.assignees.remove(at);
        let name = ctx.users.get(&user_id).map_or_else(|| format!("user {user_id}"), |u| u.name.clone());
        Ok(Outcome::default().event(NewEvent::new(
            actor.id,
            now,
            "unassigned",
            format!("{name} no longer assigned"),
            json!({ "user_id": user_id, "role": removed.role }),
        )))
    }
}

/// The formal action report: the actions committed to the customer, printable
/// at a private link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FormalReport {
    pub id: u32,
    pub summary: String,
    /// The actions committed to the customer.
    pub actions: Vec<String>,
    pub by: UserId,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

/// The recovery survey's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Recovery {
    /// The lowest rating in the recovery survey.
    pub score: u8,
    /// The score that opened the case, when a survey opened it.
    pub opening_score: Option<u8>,
    /// `score - opening_score`: how far satisfaction recovered.
    pub delta: Option<i8>,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

/// A freshly generated recovery-survey access code for the closing case.
#[derive(Clone, Debug)]
pub struct RecoveryInvite {
    /// As the customer types it.
    pub code: String,
    pub digest: String,
    /// Where the customer enters it.
    pub survey_url: String,
    pub expires_at: Timestamp,
}

impl Case {
    /// Records the formal action report and queues the link to it for the
    /// customer. `token_digest` identifies the private link; `link` is it.
    #[allow(clippy::too_many_arguments)]
    pub fn add_report(
        &mut self,
        actor: &User,
        summary: &str,
        actions: &[String],
        token_digest: String,
        link: &str,
        ctx: &CaseContext,
        now: Timestamp,
    ) -> Result<Outcome, DomainError> {
        self.authorise(actor, CaseAction::Report)?;
        self.require_open("add a report")?;
        let summary = required_text("summary", summary, super::capture::TEXT_MAX)?;
        if actions.is_empty() || actions.len() > 50 {
            return Err(DomainError::invalid("a formal action report lists 1 to 50 actions committed to the customer"));
        }
        let actions = actions
            .iter()
            .enumerate()
            .map(|(i, a)| required_text(&format!("actions[{i}]"), a, 2000))
            .collect::<Result<Vec<_>, _>>()?;
        let id = self.reports.len() as u32 + 1;
        self.reports.push(FormalReport { id, summary, actions: actions.clone(), by: actor.id, at: now });
        let mut out = Outcome::default().event(NewEvent::new(
            actor.id,
            now,
            "report_delivered",
            format!("Formal action report {id} delivered with {} action(s)", actions.len()),
            json!({ "report_id": id, "actions": actions }),
        ));
        out.report_link = Some((token_digest, id));
        let lang = ctx.customer.lang(&ctx.settings);
        out.notifications.push(crate::notification::NewNotification {
            kind: NotificationKind::ReportReady,
            recipient: Recipient::Customer(self.customer_id),
            address: ctx.customer.email.clone(),
            subject: i18n::text(lang, "report-subject", &[("reference", self.reference.as_str().into())]),
            body: format!(
                "{}\n\n{}\n{link}\n\n{}",
                i18n::text(lang, "email-dear", &[("name", (&ctx.customer.name).into())]),
                i18n::t(lang, "report-body"),
                ctx.users.get(&self.owner_id).map_or_else(|| i18n::t(lang, "customer-care"), |u| u.name.clone())
            ),
            scheduled_for: now,
        });
        self.settle();
        Ok(out)
    }

    /// Queues the recovery survey for the morning after closing.
    pub(super) fn invite_to_recovery(&mut self, actor: UserId, invite: RecoveryInvite, ctx: &CaseContext, now: Timestamp, out: &mut Outcome) {
        let when = ctx.settings.calendar().next_morning(now, &ctx.customer.time_zone());
        let lang = ctx.customer.lang(&ctx.settings);
        let reference = self.reference.as_str();
        out.invitations.push(NewInvitation {
            customer_id: self.customer_id,
            code_digest: invite.digest,
            expires_at: invite.expires_at,
            case_id: Some(self.id),
        });
        out.notifications.push(crate::notification::NewNotification {
            kind: NotificationKind::RecoverySurvey,
            recipient: Recipient::Customer(self.customer_id),
            address: ctx.customer.email.clone(),
            subject: i18n::text(lang, "recovery-subject", &[("reference", reference.into())]),
            body: [
                i18n::text(lang, "email-dear", &[("name", (&ctx.customer.name).into())]),
                i18n::text(lang, "recovery-body", &[("reference", reference.into())]),
                i18n::text(lang, "recovery-code", &[("url", (&invite.survey_url).into()), ("code", (&invite.code).into())]),
                i18n::t(lang, "recovery-thanks"),
            ]
            .join("\n\n"),
            scheduled_for: when,
        });
        out.events.push(NewEvent::new(
            actor,
            now,
            "recovery_survey_queued",
            "Recovery survey invitation queued for the next business morning",
            json!({ "scheduled_for": when }),
        ));
    }

    /// Stores the recovery survey's score against the score that opened the case.
    pub fn record_recovery(&mut self, score: u8, now: Timestamp) -> NewEvent {
        let delta = self.opening_score.map(|o| score as i8 - o as i8);
        self.recovery = Some(Recovery { score, opening_score: self.opening_score, delta, at: now });
        NewEvent::system(now, "recovery_measured", match delta {
                Some(d) => format!("Recovery survey scored {score} ({d:+} against the opening score)"),
                None => format!("Recovery survey scored {score}"),
            }, json!({ "score": score, "opening_score": self.opening_score, "delta": delta }))
    }
}
