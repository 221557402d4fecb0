//! The loop's rules, checked without any I/O.

use super::*;
use crate::notification::NotificationKind;
use crate::user::Role;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn user(id: i64, role: Role, mandate: i64) -> User {
    User {
        id: UserId(id),
        name: format!("User {id}"),
        email: None,
        role,
        mandate: Money::parse(&mandate.to_string()).unwrap(),
        manager_id: None,
        active: true,
        created_at: t("2026-01-01T00:00:00Z"),
    }
}

fn customer() -> Customer {
    Customer {
        id: CustomerId(1),
        name: "Ada".into(),
        email: Some("ada@example.com".into()),
        phone: None,
        timezone: "Europe/London".into(),
        client_manager_id: None,
        language: None,
        created_at: t("2026-01-01T00:00:00Z"),
        erased_at: None,
    }
}

fn new_case(channel: Channel, significant: bool) -> NewCase {
    NewCase {
        channel,
        summary: "Parcel arrived broken".into(),
        description: "The vase was in pieces".into(),
        desired_resolution: Some("A replacement".into()),
        severity: Severity::Normal,
        significant,
        service_area_id: None,
        occurred_at: Some(t("2026-11-17T16:00:00Z")),
        reported_at: Some(t("2026-11-20T16:00:00Z")),
        order_reference: None,
        category_id: None,
    }
}

struct World {
    ctx: CaseContext,
    agent: User,
    colleague: User,
    small_manager: User,
    big_manager: User,
    senior: User,
}

fn world() -> World {
    let (agent, colleague) = (user(1, Role::Agent, 50), user(2, Role::Agent, 50));
    let (small_manager, big_manager, senior) = (user(3, Role::Manager, 100), user(4, Role::Manager, 500), user(5, Role::Senior, 1000));
    let settings = OrgSettings { timezone: "Europe/London".into(), ..OrgSettings::default() };
    let users = [&agent, &colleague, &small_manager, &big_manager, &senior].into_iter().map(|u| (u.id, u.clone())).collect();
    let ctx = CaseContext { targets: settings.default_targets(), settings, customer: customer(), users };
    World { ctx, agent, colleague, small_manager, big_manager, senior }
}

fn opened(w: &World, significant: bool) -> Case {
    let now = t("2026-11-20T16:00:00Z");
    let (mut case, events) = Case::open(new_case(Channel::Phone, significant), &w.ctx.customer, &w.agent, &w.agent, &w.ctx.settings, w.ctx.targets, now).unwrap();
    case.assign_id(CaseId(7));
    assert_eq!(events.len(), 2);
    case
}

const NOW: &str = "2026-11-20T16:30:00Z";

#[test]
fn capture_records_lag_owner_and_business_dues() {
    let w = world();
    let case = opened(&w, false);
    assert_eq!(case.identification_lag().as_hours(), 72);
    assert_eq!(case.owner_id, w.agent.id);
    assert_eq!(case.status, Status::Open);
    assert_eq!(case.first_response_due_at, t("2026-11-24T16:00:00Z"));
    assert_eq!(case.update_due_at, Some(t("2026-11-23T16:00:00Z")));
}

#[test]
fn capture_refuses_impossible_times_and_partner_channels() {
    let w = world();
    let now = t(NOW);
    let mut bad = new_case(Channel::Phone, false);
    bad.occurred_at = Some(t("2026-11-21T00:00:00Z"));
    let err = Case::open(bad, &w.ctx.customer, &w.agent, &w.agent, &w.ctx.settings, w.ctx.targets, now).unwrap_err();
    assert!(matches!(err, DomainError::Invalid(m) if m.contains("after reported_at")));
    let partner = user(9, Role::Partner, 0);
    let err = Case::open(new_case(Channel::Phone, false), &w.ctx.customer, &partner, &w.agent, &w.ctx.settings, w.ctx.targets, now).unwrap_err();
    assert!(matches!(err, DomainError::Forbidden(_)));
    assert!(Case::open(new_case(Channel::Retailer, false), &w.ctx.customer, &partner, &w.agent, &w.ctx.settings, w.ctx.targets, now).is_ok());
    let err = Case::open(new_case(Channel::Retailer, false), &w.ctx.customer, &partner, &partner, &w.ctx.settings, w.ctx.targets, now).unwrap_err();
    assert!(matches!(err, DomainError::Invalid(_)));
}

#[test]
fn first_outbound_contact_is_the_first_response() {
    let w = world();
    let mut case = opened(&w, false);
    let out = case.communicate(&w.agent, Direction::Inbound, Channel::Phone, "Still broken", None, &w.ctx, t(NOW)).unwrap();
    assert!(case.responded_at.is_none());
    assert!(out.communication.is_some());
    let out = case.communicate(&w.agent, Direction::Outbound, Channel::Phone, "Sorry, sending a new one", None, &w.ctx, t(NOW)).unwrap();
    assert_eq!(case.responded_at, Some(t(NOW)));
    assert_eq!(case.status, Status::InProgress);
    assert!(out.events.iter().any(|e| e.kind == "first_response"));
    assert_eq!(case.update_due_at, Some(t("2026-11-23T16:30:00Z")));
}

#[test]
fn mandate_decides_between_agreement_and_escalation() {
    let w = world();
    let mut case = opened(&w, false);
    case.propose_action(&w.agent, "Refund postage", RemedyKind::Refund, Money::parse("30").unwrap(), None, &w.ctx, t(NOW)).unwrap();
    assert_eq!(case.actions[0].status, ActionStatus::Agreed);
    assert_eq!(case.apology.as_ref().unwrap().status, ApologyStatus::Held);

    let mut case = opened(&w, false);
    let out = case.propose_action(&w.agent, "Full refund", RemedyKind::Refund, Money::parse("200").unwrap(), None, &w.ctx, t(NOW)).unwrap();
    assert_eq!(case.status, Status::AwaitingApproval);
    assert!(out.events.iter().any(|e| e.kind == "action_escalated"));
    for who in [&w.agent, &w.small_manager] {
        let err = case.decide(who, Decision::Approve, None, &w.ctx, t(NOW)).unwrap_err();
        assert!(matches!(err, DomainError::Forbidden(_)), "{err}");
    }
    case.decide(&w.big_manager, Decision::Approve, Some("fair"), &w.ctx, t(NOW)).unwrap();
    assert_eq!(case.actions[0].status, ActionStatus::Agreed);
    assert_ne!(case.status, Status::AwaitingApproval);
}

#[test]
fn amend_and_decline() {
    let w = world();
    let mut case = opened(&w, false);
    case.propose_action(&w.agent, "Full refund", RemedyKind::Refund, Money::parse("200").unwrap(), None, &w.ctx, t(NOW)).unwrap();
    case.decide(&w.small_manager, Decision::Amend { amended_value: Money::parse("80").unwrap() }, None, &w.ctx, t(NOW)).unwrap();
    assert_eq!(case.actions[0].remedy_value, Money::parse("80").unwrap());
    assert_eq!(case.actions[0].proposed_value, Some(Money::parse("200").unwrap()));

    let mut case = opened(&w, false);
    case.propose_action(&w.agent, "Full refund", RemedyKind::Refund, Money::parse("200").unwrap(), None, &w.ctx, t(NOW)).unwrap();
    case.decide(&w.big_manager, Decision::Decline, None, &w.ctx, t(NOW)).unwrap();
    assert!(!case.is_done(Step::CorrectiveAction));
    assert!(case.apology.is_none());
    let err = case.decide(&w.big_manager, Decision::Approve, None, &w.ctx, t(NOW)).unwrap_err();
    assert!(matches!(err, DomainError::Conflict(_)));
}

#[test]
fn apology_next_morning_names_preventive_owner_or_waits_for_one() {
    let w = world();
    let mut case = opened(&w, false);
    // Friday 16:59 London: the apology goes out Monday 09:00 London.
    let friday = t("2026-11-20T16:59:00Z");
    let out = case.propose_action(&w.agent, "Replacement vase", RemedyKind::Replacement, Money::parse("25").unwrap(), Some(w.colleague.id), &w.ctx, friday).unwrap();
    let apology = out.notifications.iter().find(|n| n.kind == NotificationKind::Apology).unwrap();
    assert_eq!(apology.scheduled_for, t("2026-11-23T09:00:00Z"));
    assert!(apology.body.contains("User 2"), "{}", apology.body);

    let mut held = opened(&w, false);
    let out = held.propose_action(&w.agent, "Replacement vase", RemedyKind::Replacement, Money::parse("25").unwrap(), None, &w.ctx, friday).unwrap();
    assert!(out.notifications.is_empty());
    assert!(held.missing_steps().contains(&Step::Apology));
    // Named on Tuesday: that morning has passed, so Wednesday 09:00.
    let tuesday = t("2026-11-24T11:00:00Z");
    let out = held.record_preventive(&w.agent, PreventiveInput { owner_id: Some(w.colleague.id), ..Default::default() }, &w.ctx, tuesday).unwrap();
    assert_eq!(out.notifications[0].scheduled_for, t("2026-11-25T09:00:00Z"));
    assert!(held.is_done(Step::Apology));
}

fn ready_for_follow_up(w: &World, significant: bool) -> Case {
    let mut case = opened(w, significant);
    let now = t(NOW);
    case.communicate(&w.agent, Direction::Outbound, Channel::Phone, "Hello", None, &w.ctx, now).unwrap();
    case.propose_action(&w.agent, "Refund", RemedyKind::Refund, Money::parse("30").unwrap(), Some(w.agent.id), &w.ctx, now).unwrap();
    let input = PreventiveInput { root_cause: Some("Thin packaging".into()), action: Some("Double boxes".into()), ..Default::default() };
    case.record_preventive(&w.agent, input, &w.ctx, now).unwrap();
    assert_eq!(case.missing_steps(), vec![Step::FollowUp]);
    case
}

#[test]
fn a_case_awaits_follow_up_once_action_and_prevention_are_settled() {
    let w = world();
    let now = t(NOW);
    let mut case = opened(&w, false);
    assert!(!case.awaits_follow_up(), "nothing to verify yet");
    case.propose_action(&w.agent, "Refund", RemedyKind::Refund, Money::parse("300").unwrap(), None, &w.ctx, now).unwrap();
    case.deviate(&w.big_manager, Step::PreventiveAction, "one-off", now).unwrap();
    assert!(!case.awaits_follow_up(), "the escalated action is still undecided");
    case.decide(&w.big_manager, Decision::Approve, None, &w.ctx, now).unwrap();
    assert!(case.awaits_follow_up(), "agreed, and prevention waived");
    case.follow_up(&w.colleague, FollowUpOutcome::NotResolved, 2, false, None, now).unwrap();
    assert!(case.awaits_follow_up(), "reopened: it needs a new follow-up");
    case.follow_up(&w.colleague, FollowUpOutcome::Resolved, 5, true, None, now).unwrap();
    assert!(!case.awaits_follow_up());
    assert!(!case.may(&w.agent, case.follow_up_action()) && case.may(&w.colleague, case.follow_up_action()));
}

#[test]
fn next_due_is_the_earliest_unmet_target() {
    let w = world();
    let mut case = opened(&w, false);
    assert_eq!(case.next_due(), case.update_due_at.map(|u| (u, "update to the customer")), "the first update comes before the first response is due");
    case.communicate(&w.agent, Direction::Outbound, Channel::Phone, "Hello", None, &w.ctx, t(NOW)).unwrap();
    let (due, _) = case.next_due().unwrap();
    assert!(due > t(NOW) && due <= case.resolution_due_at);
    case.closed_at = Some(t(NOW));
    assert_eq!(case.next_due(), None, "a closed case owes nothing");
}

#[test]
fn follow_up_must_be_independent_and_senior_when_significant() {
    let w = world();
    let now = t(NOW);
    let mut case = ready_for_follow_up(&w, false);
    let err = case.follow_up(&w.agent, FollowUpOutcome::Resolved, 5, true, None, now).unwrap_err();
    assert!(matches!(&err, DomainError::Forbidden(m) if m.contains("other than the case owner")));
    case.follow_up(&w.colleague, FollowUpOutcome::Resolved, 5, true, None, now).unwrap();
    assert!(case.missing_steps().is_empty());

    let mut case = ready_for_follow_up(&w, true);
    let err = case.follow_up(&w.big_manager, FollowUpOutcome::Resolved, 4, true, None, now).unwrap_err();
    assert!(matches!(&err, DomainError::Forbidden(m) if m.contains("senior")));
    case.follow_up(&w.senior, FollowUpOutcome::NotResolved, 2, false, Some("still waiting"), now).unwrap();
    assert_eq!(case.status, Status::Reopened);
    assert_eq!(case.reopen_count, 1);
    assert_eq!(case.missing_steps(), vec![Step::FollowUp]);
}

#[test]
fn close_names_missing_steps_until_done_or_waived() {
    let w = world();
    let now = t(NOW);
    let mut case = opened(&w, false);
    match case.close(&w.agent, None, None, &w.ctx, now).unwrap_err() {
        DomainError::Incomplete(missing) => assert_eq!(missing, Step::ALL[..5].to_vec()),
        other => panic!("{other}"),
    }
    let err = case.deviate(&w.agent, Step::FollowUp, "customer unreachable", now).unwrap_err();
    assert!(matches!(err, DomainError::Forbidden(_)));
    for step in [Step::FirstResponse, Step::CorrectiveAction, Step::Apology, Step::PreventiveAction] {
        case.deviate(&w.agent, step, "customer only wanted it logged", now).unwrap();
    }
    case.deviate(&w.big_manager, Step::FollowUp, "customer asked not to be contacted", now).unwrap();
    assert!(matches!(case.deviate(&w.agent, Step::Apology, "again", now), Err(DomainError::Conflict(_))));
    assert!(matches!(case.deviate(&w.agent, Step::FormalReport, "none asked", now), Err(DomainError::Conflict(_))));
    let invite = RecoveryInvite { code: "ABCD-EFGH-JKMN".into(), digest: "d".into(), survey_url: "http://x/survey".into(), expires_at: t("2026-12-20T00:00:00Z") };
    let out = case.close(&w.agent, Some("logged only"), Some(invite), &w.ctx, now).unwrap();
    assert_eq!(case.status, Status::Closed);
    assert_eq!(out.invitations.len(), 1);
    assert_eq!(out.notifications[0].scheduled_for, t("2026-11-23T09:00:00Z"), "recovery survey the next business morning");
    assert!(out.notifications[0].body.contains("ABCD-EFGH-JKMN"));
    assert!(matches!(case.close(&w.agent, None, None, &w.ctx, now), Err(DomainError::Conflict(_))));
}

#[test]
fn third_transfer_flags_the_case() {
    let w = world();
    let now = t(NOW);
    let mut case = opened(&w, false);
    let hops = [&w.colleague, &w.agent, &w.colleague];
    for (i, to) in hops.iter().enumerate() {
        let actor = w.ctx.user(case.owner_id).unwrap().clone();
        let out = case.transfer(&actor, to, "wrong team", &w.ctx, now).unwrap();
        assert_eq!(case.flagged, i == 2);
        assert_eq!(out.events.iter().any(|e| e.kind == "flagged"), i == 2);
    }
    let err = case.transfer(&w.agent, &w.colleague, "again", &w.ctx, now).unwrap_err();
    assert!(matches!(err, DomainError::Forbidden(_)), "a non-owner agent may not transfer");
}

#[test]
fn gifts_stay_within_mandate() {
    let w = world();
    let mut case = opened(&w, false);
    assert!(case.give_gift(&w.agent, "Flowers", Money::parse("20").unwrap(), &w.ctx, t(NOW)).is_ok());
    assert!(matches!(case.give_gift(&w.agent, "Concert tickets", Money::parse("120").unwrap(), &w.ctx, t(NOW)), Err(DomainError::Forbidden(_))));
}

#[test]
fn a_required_report_blocks_closing_until_delivered() {
    let w = world();
    let now = t(NOW);
    let mut case = ready_for_follow_up(&w, false);
    case.requires_report = true;
    case.follow_up(&w.colleague, FollowUpOutcome::Resolved, 4, true, None, now).unwrap();
    match case.close(&w.agent, None, None, &w.ctx, now).unwrap_err() {
        DomainError::Incomplete(missing) => assert_eq!(missing, vec![Step::FormalReport]),
        other => panic!("{other}"),
    }
    assert!(matches!(case.add_report(&w.agent, "What we do", &[], "x".into(), "l", &w.ctx, now), Err(DomainError::Invalid(_))));
    let out = case.add_report(&w.agent, "What went wrong", &["Double boxes from Monday".into()], "digest".into(), "http://x/reports/t", &w.ctx, now).unwrap();
    assert_eq!(out.report_link, Some(("digest".into(), 1)));
    assert!(out.notifications[0].body.contains("http://x/reports/t"));
    case.close(&w.agent, None, None, &w.ctx, now).unwrap();
}

fn a_problem(owner: &User) -> crate::problem::Problem {
    crate::problem::NewProblem::check(owner, owner, "Thin boxes", None, None, None).unwrap().into_problem(crate::ProblemId(3), t(NOW))
}

#[test]
fn linking_from_a_problem_names_its_owner_where_nobody_owns_prevention() {
    let w = world();
    let problem = a_problem(&w.big_manager);
    let mut held = opened(&w, false);
    held.propose_action(&w.agent, "Replacement vase", RemedyKind::Replacement, Money::parse("25").unwrap(), None, &w.ctx, t(NOW)).unwrap();
    let out = held.link_problem(&w.colleague, &problem, &w.ctx, t("2026-11-24T11:00:00Z")).unwrap();
    let p = held.preventive.as_ref().unwrap();
    assert_eq!((p.owner_id, p.problem_id, p.root_cause.as_deref()), (w.big_manager.id, Some(problem.id), None));
    let kinds: Vec<&str> = out.events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["preventive_owner_named", "problem_linked", "apology_scheduled"]);
    assert_eq!(out.events[1].summary, "Linked to problem 3: Thin boxes");
    assert!(out.events.iter().all(|e| e.actor_id == Some(w.colleague.id)));
    assert_eq!(out.notifications[0].scheduled_for, t("2026-11-25T09:00:00Z"), "the held apology goes out, naming the problem's owner");
    // Linking again changes nothing; another problem is refused.
    assert_eq!(held.link_problem(&w.agent, &problem, &w.ctx, t(NOW)).unwrap(), Outcome::default());
    let other = crate::problem::Problem { id: crate::ProblemId(4), ..problem.clone() };
    let err = held.link_problem(&w.agent, &other, &w.ctx, t(NOW)).unwrap_err();
    assert!(matches!(&err, DomainError::Conflict(m) if m.contains("already linked to problem 3")), "{err}");
}

#[test]
fn a_case_keeps_its_preventive_owner_and_a_closed_problem_takes_no_cases() {
    let w = world();
    let mut problem = a_problem(&w.big_manager);
    let mut case = opened(&w, false);
    case.record_preventive(&w.agent, PreventiveInput { owner_id: Some(w.colleague.id), root_cause: Some("Thin".into()), ..Default::default() }, &w.ctx, t(NOW)).unwrap();
    let out = case.link_problem(&w.agent, &problem, &w.ctx, t(NOW)).unwrap();
    assert_eq!(out.events.len(), 1);
    assert_eq!(case.preventive.as_ref().map(|p| (p.owner_id, p.problem_id)), Some((w.colleague.id, Some(problem.id))));
    problem.status = crate::problem::ProblemStatus::Closed;
    let mut other = opened(&w, false);
    let err = other.link_problem(&w.agent, &problem, &w.ctx, t(NOW)).unwrap_err();
    assert!(matches!(err, DomainError::Conflict(_)), "{err}");
    assert!(other.preventive.is_none());
    problem.status = crate::problem::ProblemStatus::Open;
    let partner = user(9, Role::Partner, 0);
    assert!(matches!(other.link_problem(&partner, &problem, &w.ctx, t(NOW)), Err(DomainError::Forbidden(_))));
}

#[test]
fn what_a_case_cost_is_its_agreed_remedies_and_gifts() {
    let w = world();
    let mut case = opened(&w, false);
    case.propose_action(&w.agent, "Refund", RemedyKind::Refund, Money::parse("30").unwrap(), None, &w.ctx, t(NOW)).unwrap();
    case.propose_action(&w.agent, "Full refund", RemedyKind::Refund, Money::parse("200").unwrap(), None, &w.ctx, t(NOW)).unwrap();
    assert_eq!(case.agreed_remedies(), Money::parse("30").unwrap(), "pending does not count");
    case.decide(&w.small_manager, Decision::Amend { amended_value: Money::parse("80").unwrap() }, None, &w.ctx, t(NOW)).unwrap();
    case.give_gift(&w.agent, "Flowers", Money::parse("5.50").unwrap(), &w.ctx, t(NOW)).unwrap();
    assert_eq!((case.agreed_remedies(), case.gift_costs()), (Money::parse("110").unwrap(), Money::parse("5.50").unwrap()));
}
