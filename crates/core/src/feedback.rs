//! A survey response, end to end: validate the answers, thank the customer,
//! credit the reward, and let the follow-up rules decide whether a case opens
//! and who owns it. Pure: the store loads a [`ResponseContext`] and writes the
//! returned [`ResponsePlan`] in one transaction.

use crate::case::{Assignee, Case, Channel, NewCase};
use crate::customer::Customer;
use crate::notification::{NewNotification, NotificationKind, Recipient};
use crate::rules::{FollowUpPlan, Party};
use crate::service_area::ServiceArea;
use crate::settings::OrgSettings;
use crate::survey::{Answers, Invitation, Survey};
use crate::terms::{Reward, Severity};
use crate::timeline::NewEvent;
use crate::user::User;
use crate::{DomainError, Lang, UserId};
use redress_i18n as i18n;
use jiff::Timestamp;
use serde_json::json;
use std::collections::HashMap;

/// Everything a response is judged against, loaded in the write transaction.
#[derive(Clone, Debug)]
pub struct ResponseContext {
    pub invitation: Invitation,
    pub survey: Survey,
    pub customer: Customer,
    pub settings: OrgSettings,
    pub area: Option<ServiceArea>,
    /// The client manager, the service manager and the default owner, when set.
    pub users: HashMap<UserId, User>,
    /// Active seniors, lowest id first.
    pub seniors: Vec<User>,
    /// The first active supervisor: the owner of last resort.
    pub any_supervisor: Option<User>,
    /// For a recovery survey: the closed case it measures.
    pub recovery_case: Option<Case>,
}

/// What to write for a response.
#[derive(Clone, Debug)]
pub struct ResponsePlan {
    pub answers: Answers,
    pub lowest_rating: Option<u8>,
    pub nps: Option<u8>,
    pub thank_you: String,
    pub next: String,
    pub reward: Option<Reward>,
    pub acknowledgement: NewNotification,
    /// A follow-up case to open, with its first timeline events.
    pub case: Option<(Case, Vec<NewEvent>)>,
    /// The recovery case with its recovery recorded.
    pub recovery: Option<(Case, NewEvent)>,
}

impl ResponseContext {
    fn active(&self, id: Option<UserId>) -> Option<&User> {
        id.and_then(|id| self.users.get(&id)).filter(|u| u.active && u.role.is_staff())
    }

    /// Who a rule's party is for this response, if anyone.
    fn resolve(&self, party: Party) -> Option<&User> {
        match party {
            Party::ClientManager => self.active(self.customer.client_manager_id),
            Party::ServiceManager => self.active(self.area.as_ref().map(|a| a.service_manager_id)),
            Party::Senior => self.seniors.first(),
            Party::User(id) => self.active(Some(id)),
        }
    }

    /// The owner: the rule's choice, else the service manager, else the
    /// organisation's default owner, else the first supervisor.
    fn owner(&self, plan: &FollowUpPlan) -> Option<&User> {
        plan.owner
            .and_then(|p| self.resolve(p))
            .or_else(|| self.resolve(Party::ServiceManager))
            .or_else(|| self.active(self.settings.default_owner_id))
            .or(self.any_supervisor.as_ref())
    }
}

/// Judges one submission. The code was found by its digest; here it must
/// still be unused and unexpired, and the answers must fit the survey.
///
/// The acknowledgement (and the receipt's "what happens next") is written in
/// the customer's language, else `page_lang` (the language the survey page
/// was read in), else the organisation's.
pub fn respond(ctx: &ResponseContext, raw: &serde_json::Map<String, serde_json::Value>, page_lang: Option<Lang>, now: Timestamp) -> Result<ResponsePlan, DomainError> {
    if ctx.invitation.used_at.is_some() || ctx.invitation.expires_at <= now {
        return Err(DomainError::AccessRefused);
    }
    let survey = &ctx.survey;
    let answers = survey.parse_answers(raw)?;
    let lowest = survey.lowest_rating(&answers);
    let nps = survey.nps(&answers);
    let reward = (survey.reward_points > 0).then_some(Reward { points: survey.reward_points, reason: "survey_response" });

    let mut case = None;
    let mut recovery = None;
    let lang = ctx.customer.language.or(page_lang).unwrap_or(ctx.settings.language);
    let mut next = i18n::t(lang, "survey-next-default");
    if let Some(mut closed) = ctx.recovery_case.clone() {
        if let Some(score) = lowest.or(nps.map(|n| (n / 2).max(1))) {
            let event = closed.record_recovery(score, now);
            recovery = Some((closed, event));
        }
    } else if let Some(plan) = ctx.settings.follow_up_rules.plan(lowest) {
        let owner = ctx.owner(&plan).ok_or_else(|| DomainError::conflict("no staff member can own the follow-up: set the organisation's default_owner_id"))?;
        let opened = open_follow_up(ctx, &answers, lowest, &plan, owner, now)?;
        let cal = ctx.settings.calendar();
        let severity = if plan.significant { Severity::High } else { Severity::Normal };
        let due = cal.add(now, ctx.settings.targets_for(ctx.area.as_ref(), severity).first_response).to_zoned(ctx.customer.time_zone());
        let id = if plan.require_report { "survey-next-follow-up-report" } else { "survey-next-follow-up" };
        next = i18n::text(lang, id, &[("owner", (&owner.name).into()), ("due", (&i18n::date_time(lang, &due)).into())]);
        case = Some(opened);
    }
    let mut body = format!("{}\n\n{}\n\n{next}", i18n::text(lang, "email-dear", &[("name", (&ctx.customer.name).into())]), survey.thank_you);
    if let Some(r) = &reward {
        body.push_str(&format!("\n\n{}", i18n::text(lang, "survey-reward", &[("points", r.points.into())])));
    }
    let acknowledgement = NewNotification {
        kind: NotificationKind::Acknowledgement,
        recipient: Recipient::Customer(ctx.customer.id),
        address: ctx.customer.email.clone(),
        subject: i18n::text(lang, "survey-ack-subject", &[("survey", (&survey.title).into())]),
        body,
        scheduled_for: now,
    };
    Ok(ResponsePlan { answers, lowest_rating: lowest, nps, thank_you: survey.thank_you.clone(), next, reward, acknowledgement, case, recovery })
}

/// Opens the follow-up case: channel `survey`, the answers attached, owned
/// and assigned as the rules say.
fn open_follow_up(
    ctx: &ResponseContext,
    answers: &Answers,
    lowest: Option<u8>,
    plan: &FollowUpPlan,
    owner: &User,
    now: Timestamp,
) -> Result<(Case, Vec<NewEvent>), DomainError> {
    let survey = &ctx.survey;
    let input = NewCase {
        channel: Channel::Survey,
        summary: format!("{}: lowest rating {}", survey.title, lowest.map_or("-".into(), |l| l.to_string())),
        description: format!("Answers from {}:\n{}", ctx.customer.name, survey.describe(answers)),
        desired_resolution: None,
        severity: if plan.significant { Severity::High } else { Severity::Normal },
        significant: plan.significant,
        service_area_id: survey.service_area_id,
        occurred_at: Some(now),
        reported_at: Some(now),
        order_reference: None,
        category_id: survey.category_of(answers),
    };
    let targets = ctx.settings.targets_for(ctx.area.as_ref(), input.severity);
    let (mut case, mut events) = Case::open(input, &ctx.customer, owner, owner, &ctx.settings, targets, now)?;
    for e in &mut events {
        e.actor_id = None;
    }
    case.requires_report = plan.require_report;
    case.opening_score = lowest;
    for party in &plan.assign {
        let role = match party {
            Party::ClientManager => "client_manager",
            Party::ServiceManager => "service_manager",
            Party::Senior => "senior",
            Party::User(_) => "named",
        };
        if let Some(u) = ctx.resolve(*party) {
            if u.id != owner.id && !case.assignees.iter().any(|a| a.user_id == u.id) {
                case.assignees.push(Assignee { user_id: u.id, role: role.into() });
                events.push(NewEvent::system(now, "assigned", format!("{} assigned as {}", u.name, role.replace('_', " ")), json!({ "user_id": u.id, "role": role })));
            }
        }
    }
    events.push(NewEvent::system(now, "survey_follow_up", format!(
            "Opened by a survey response (lowest rating {}){}{}",
            lowest.map_or("-".into(), |l| l.to_string()),
            if plan.significant { "; significant" } else { "" },
            if plan.require_report { "; formal action report required" } else { "" }
        ), json!({ "survey_id": survey.id, "lowest_rating": lowest, "significant": plan.significant, "require_report": plan.require_report })));
    Ok((case, events))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::{Question, QuestionKind, SurveyPurpose};
    use crate::user::Role;
    use crate::{CustomerId, InvitationId, Money, ServiceAreaId, SurveyId};

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn user(id: i64, role: Role) -> User {
        User { id: UserId(id), name: format!("U{id}"), email: None, role, mandate: Money::ZERO, manager_id: None, active: true, created_at: t("2026-01-01T00:00:00Z") }
    }

    fn q(key: &str, kind: QuestionKind) -> Question {
        Question { key: key.into(), prompt: format!("{key}?"), kind, options: vec![], required: true, category_id: None }
    }

    fn ctx(client_manager: Option<i64>) -> ResponseContext {
        let survey = Survey {
            id: SurveyId(1),
            title: "Delivery survey".into(),
            intro: None,
            service_area_id: Some(ServiceAreaId(1)),
            questions: vec![q("a", QuestionKind::Rating), q("b", QuestionKind::Rating), q("c", QuestionKind::Rating), Question { required: false, ..q("nps", QuestionKind::Nps) }],
            reward_points: 50,
            thank_you: "Thanks!".into(),
            purpose: SurveyPurpose::Feedback,
            created_at: t("2026-01-01T00:00:00Z"),
        };
        let users = [user(10, Role::Manager), user(20, Role::Manager)].into_iter().map(|u| (u.id, u)).collect();
        ResponseContext {
            invitation: Invitation { id: InvitationId(1), survey_id: SurveyId(1), customer_id: CustomerId(1), expires_at: t("2026-12-01T00:00:00Z"), used_at: None, case_id: None, created_at: t("2026-11-01T00:00:00Z") },
            survey,
            customer: Customer { id: CustomerId(1), name: "Ada".into(), email: None, phone: None, timezone: "UTC".into(), client_manager_id: client_manager.map(UserId), language: None, created_at: t("2026-01-01T00:00:00Z"), erased_at: None },
            settings: OrgSettings::default(),
            area: Some(ServiceArea { id: ServiceAreaId(1), name: "Deliveries".into(), service_manager_id: UserId(20), targets: Default::default(), targets_by_severity: Default::default(), created_at: t("2026-01-01T00:00:00Z") }),
            users,
            seniors: vec![user(30, Role::Senior)],
            any_supervisor: Some(user(10, Role::Manager)),
            recovery_case: None,
        }
    }

    fn answers(a: u8, b: u8, c: u8) -> serde_json::Map<String, serde_json::Value> {
        serde_json::json!({ "a": a, "b": b, "c": c }).as_object().unwrap().clone()
    }

    const NOW: &str = "2026-11-20T12:00:00Z";

    #[test]
    fn good_scores_thank_and_reward_without_a_case() {
        let plan = respond(&ctx(Some(10)), &answers(5, 4, 4), None, t(NOW)).unwrap();
        assert!(plan.case.is_none());
        assert_eq!(plan.reward, Some(Reward { points: 50, reason: "survey_response" }));
        assert_eq!(plan.acknowledgement.scheduled_for, t(NOW));
        assert!(plan.acknowledgement.body.contains("Thanks!"));
    }

    #[test]
    fn a_three_goes_to_the_client_manager_with_the_service_manager() {
        let plan = respond(&ctx(Some(10)), &answers(4, 3, 5), None, t(NOW)).unwrap();
        let (case, events) = plan.case.unwrap();
        assert_eq!(case.owner_id, UserId(10));
        assert_eq!(case.channel, Channel::Survey);
        assert_eq!(case.assignees, vec![Assignee { user_id: UserId(20), role: "service_manager".into() }]);
        assert!(case.requires_report && !case.significant);
        assert_eq!(case.opening_score, Some(3));
        assert!(case.description.contains("b?: 3"));
        assert!(events.iter().all(|e| e.actor_id.is_none()));
        assert!(plan.next.contains("U10"));
    }

    #[test]
    fn a_two_brings_a_senior_and_significance() {
        let plan = respond(&ctx(Some(10)), &answers(2, 5, 5), None, t(NOW)).unwrap();
        let (case, _) = plan.case.unwrap();
        assert!(case.significant);
        assert!(case.assignees.iter().any(|a| a.user_id == UserId(30) && a.role == "senior"));
        assert_eq!(plan.reward.unwrap().points, 50, "rewarded whatever the score");
    }

    #[test]
    fn without_a_client_manager_the_service_manager_owns() {
        let plan = respond(&ctx(None), &answers(3, 5, 5), None, t(NOW)).unwrap();
        let (case, _) = plan.case.unwrap();
        assert_eq!(case.owner_id, UserId(20));
        assert!(case.assignees.is_empty(), "the owner is not assigned twice");
    }

    #[test]
    fn nps_alone_triggers_no_rating_rule() {
        let mut c = ctx(Some(10));
        c.survey.questions = vec![q("nps", QuestionKind::Nps)];
        let plan = respond(&c, serde_json::json!({ "nps": 0 }).as_object().unwrap(), None, t(NOW)).unwrap();
        assert!(plan.case.is_none());
        assert_eq!(plan.nps, Some(0));
    }

    #[test]
    fn used_or_expired_codes_are_refused_alike() {
        let mut used = ctx(Some(10));
        used.invitation.used_at = Some(t(NOW));
        assert_eq!(respond(&used, &answers(5, 5, 5), None, t(NOW)).unwrap_err(), DomainError::AccessRefused);
        let expired = ctx(Some(10));
        assert_eq!(respond(&expired, &answers(5, 5, 5), None, t("2026-12-02T00:00:00Z")).unwrap_err(), DomainError::AccessRefused);
    }

    #[test]
    fn answers_must_fit_the_survey() {
        let c = ctx(Some(10));
        for bad in [serde_json::json!({ "a": 6, "b": 1, "c": 1 }), serde_json::json!({ "a": 1, "b": 1 }), serde_json::json!({ "a": 1, "b": 1, "c": 1, "zzz": 1 }), serde_json::json!({ "a": "x", "b": 1, "c": 1 })] {
            assert!(matches!(respond(&c, bad.as_object().unwrap(), None, t(NOW)), Err(DomainError::Invalid(_))), "{bad}");
        }
    }
}
