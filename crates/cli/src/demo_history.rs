//! Four months of history for `redress demo`, so the insight dashboard and
//! its trends tell a story: about 2,700 survey responses (the low ones
//! opening follow-up cases) and some 600 cases across areas, channels,
//! categories and outcomes — most answered, many closed through the whole
//! loop, some reopened once — with one category, "Damaged in transit",
//! rising clearly in the last week.
//!
//! Written through the store with the domain's own steps at past times
//! (the API stamps everything with the present), so every row, timeline
//! and rollup is what the real write path keeps. Deterministic: the same
//! seed gives the same history.

use jiff::{SignedDuration, Timestamp};
use redress_core::case::{Case, Channel, Direction, FollowUpOutcome, NewCase, Outcome, PreventiveInput, RemedyKind};
use redress_core::category::NewCategory;
use redress_core::customer::{Customer, NewCustomer};
use redress_core::feedback;
use redress_core::store::{CaseFilter, Store, Submission};
use redress_core::survey::{NewInvitation, NewSurvey, Question, QuestionKind, SurveyPurpose};
use redress_core::terms::Severity;
use redress_core::user::User;
use redress_core::{CategoryId, Money, ServiceAreaId};
use serde_json::json;

/// Days of history, ending now.
const DAYS: i64 = 120;

/// A small deterministic generator (xorshift64*): the demo needs variety,
/// not cryptography.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// 0 to n − 1.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// Who the history is about, from the demo's seed.
pub struct Cast {
    pub agents: Vec<User>,
    pub manager: User,
    /// Follows up significant cases.
    pub senior: User,
    pub deliveries: ServiceAreaId,
    pub billing: ServiceAreaId,
}

struct Kind {
    name: &'static str,
    area: usize,
    summaries: [&'static str; 3],
}

const KINDS: [Kind; 5] = [
    Kind { name: "Late delivery", area: 0, summaries: ["Parcel arrived two days late", "Missed the promised delivery slot", "Evening delivery came next morning"] },
    Kind { name: "Damaged in transit", area: 0, summaries: ["Glass vase arrived shattered", "Box crushed, plates broken", "Lamp arrived with a cracked base"] },
    Kind { name: "Billing error", area: 1, summaries: ["Charged twice for one order", "Refund missing from the statement", "Invoice shows the wrong price"] },
    Kind { name: "Rude staff", area: 0, summaries: ["Driver was rude at the door", "Call centre agent hung up", "Shop assistant was dismissive"] },
    Kind { name: "Website problem", area: 1, summaries: ["Checkout failed at payment", "Tracking page shows nothing", "Password reset e-mail never arrives"] },
];

fn err(e: impl std::fmt::Display) -> String {
    format!("seeding the demo history failed: {e}")
}

pub async fn seed(store: &dyn Store, cast: &Cast, now: Timestamp) -> Result<(), String> {
    let mut dice = Dice(0x5eed_2026);
    let settings = store.settings().await.map_err(err)?;
    let start = now - SignedDuration::from_hours(24 * DAYS);
    let mut categories: Vec<CategoryId> = Vec::new();
    for k in &KINDS {
        let c = NewCategory::checked(k.name, None, true).map_err(err)?;
        categories.push(store.create_category(c, redress_core::audit::ChangedBy::command_line(start)).await.map_err(err)?.id);
    }
    let areas = [cast.deliveries, cast.billing];
    let mut customers: Vec<Customer> = Vec::new();
    for n in 0..1500 {
        let c = NewCustomer {
            name: format!("Customer {}", n + 1),
            email: Some(format!("customer{}@history.example", n + 1)),
            phone: None,
            timezone: "Europe/London".into(),
            client_manager_id: Some(cast.manager.id),
            language: None,
        };
        customers.push(store.create_customer(c, start).await.map_err(err)?);
    }
    let q = |key: &str, prompt: &str, kind: QuestionKind, category: Option<CategoryId>| Question {
        key: key.into(),
        prompt: prompt.into(),
        kind,
        options: Vec::new(),
        required: kind != QuestionKind::Nps,
        category_id: category,
    };
    let questions = vec![
        q("punctuality", "Did your order arrive when promised?", QuestionKind::Rating, Some(categories[0])),
        q("condition", "Did it arrive in good condition?", QuestionKind::Rating, Some(categories[1])),
        q("billing", "Was the bill right?", QuestionKind::Rating, Some(categories[2])),
        q("recommend", "How likely are you to recommend us?", QuestionKind::Nps, None),
    ];
    let survey = NewSurvey::parse("After your order", None, Some(cast.deliveries), questions, 0, None, SurveyPurpose::Feedback).map_err(err)?;
    let survey = store.create_survey(survey, start).await.map_err(err)?;

    let mut n = 0u64;
    for day in 0..DAYS {
        let morning = start + SignedDuration::from_hours(24 * day + 8);
        let last_week = day >= DAYS - 7;
        // Survey invitations, most answered within a day or two.
        let mut invitations = Vec::new();
        let mut codes = Vec::new();
        for _ in 0..25 {
            n += 1;
            let code = format!("HIST-{n:06}");
            let customer = &customers[dice.below(customers.len() as u64) as usize];
            invitations.push(NewInvitation {
                customer_id: customer.id,
                code_digest: redress_core::access_code::digest(&code),
                expires_at: now + SignedDuration::from_hours(24 * 60),
                case_id: None,
            });
            codes.push(code);
        }
        store.create_invitations(survey.id, invitations, morning).await.map_err(err)?;
        for code in codes {
            if !dice.chance(0.9) {
                continue;
            }
            let at = morning + SignedDuration::from_mins(30 + dice.below(60 * 40) as i64);
            if at >= now {
                continue;
            }
            // Mostly content, a little more so over the months; when not,
            // one thing went wrong — and in the last week parcels arrive
            // damaged far more often.
            let mut scores = [4 + dice.below(2), 4 + dice.below(2), 4 + dice.below(2)];
            if !dice.chance(0.9 + 0.04 * day as f64 / DAYS as f64) {
                let which = [0, 0, 0, 2, 2, 1][dice.below(6) as usize];
                scores[which] = 1 + dice.below(3);
            }
            if last_week && dice.chance(0.08) {
                scores[1] = 1 + dice.below(2);
            }
            let [punctuality, condition, billing] = scores;
            let low = punctuality.min(condition).min(billing);
            let recommend = (low * 2).min(10).saturating_sub(dice.below(3)) + u64::from(low >= 4) * dice.below(3);
            let answers = json!({ "punctuality": punctuality, "condition": condition, "billing": billing, "recommend": recommend.min(10) });
            let raw = answers.as_object().cloned().unwrap_or_default();
            let digest = redress_core::access_code::digest(&code);
            let submission = Submission { code_digest: digest, idempotency_key: None, judge: Box::new(move |ctx| feedback::respond(ctx, &raw, None, at)) };
            store.submit_response(submission).await.map_err(err)?;
        }
        // The follow-up cases the low scores opened are worked too.
        let opened = CaseFilter {
            channel: Some(Channel::Survey),
            reported_from: Some(morning),
            reported_to: Some(morning + SignedDuration::from_hours(24)),
            limit: 500,
            ..CaseFilter::default()
        };
        for case in store.cases(&opened).await.map_err(err)? {
            if let Some(owner) = store.user(case.owner_id).await.map_err(err)? {
                work(store, cast, &case, &owner, &mut dice, now).await?;
            }
        }

        // Cases told to staff directly: about three a day, ten extra
        // damaged parcels over the last week.
        let mut today = Vec::new();
        for _ in 0..(2 + dice.below(3)) {
            let kind = [0, 0, 0, 2, 2, 3, 4, 1][dice.below(8) as usize];
            today.push(kind);
        }
        if last_week && day % 2 == 0 {
            today.extend([1, 1, 1]);
        } else if last_week {
            today.push(1);
        }
        for kind in today {
            let reported = morning + SignedDuration::from_mins(60 + dice.below(60 * 9) as i64);
            if reported >= now {
                continue;
            }
            let customer = customers[dice.below(customers.len() as u64) as usize].clone();
            let owner = cast.agents[dice.below(cast.agents.len() as u64) as usize].clone();
            let k = &KINDS[kind];
            let channel = [Channel::Phone, Channel::Email, Channel::Web, Channel::Social, Channel::InPerson][dice.below(5) as usize];
            let summary = k.summaries[dice.below(3) as usize];
            let occurred = reported - SignedDuration::from_hours(2 + dice.below(70) as i64);
            let input = NewCase {
                channel,
                summary: summary.into(),
                description: format!("{summary}. The customer told us by {}.", channel.as_str().replace('_', " ")),
                desired_resolution: Some("Put it right".into()),
                severity: Severity::Normal,
                significant: false,
                service_area_id: Some(areas[k.area]),
                occurred_at: Some(occurred),
                reported_at: Some(reported),
                order_reference: None,
                category_id: Some(categories[kind]),
            };
            let area = store.service_area(areas[k.area]).await.map_err(err)?;
            let targets = settings.targets_for(area.as_ref(), Severity::Normal);
            let (case, events) = Case::open(input, &customer, &owner, &owner, &settings, targets, reported).map_err(err)?;
            let case = store.create_case(case, Outcome { events, ..Outcome::default() }, None, &settings).await.map_err(err)?;
            work(store, cast, &case, &owner, &mut dice, now).await?;
        }
    }
    Ok(())
}

/// What staff did about a case since it was reported: an answer within
/// hours for most; for older cases often the whole loop to closing, with a
/// reopening now and then, and a gift for some.
async fn work(store: &dyn Store, cast: &Cast, case: &Case, owner: &User, dice: &mut Dice, now: Timestamp) -> Result<(), String> {
    let mut at = case.reported_at;
    let mut step = |hours: u64| {
        at += SignedDuration::from_mins(30 + 60 * hours as i64);
        at
    };
    let answered = step(dice.below(30));
    if answered >= now || dice.chance(0.08) {
        return Ok(());
    }
    let who = owner.clone();
    let body = "Called the customer, listened and apologised.";
    store
        .update_case(case.id, vec![], Box::new(move |c, ctx| c.communicate(&who, Direction::Outbound, Channel::Phone, body, Some(answered), ctx, answered)))
        .await
        .map_err(err)?;
    if now.duration_since(answered) < SignedDuration::from_hours(24 * 5) || dice.chance(0.2) {
        return Ok(());
    }
    let (agreed, prevented, checked) = (step(2 + dice.below(20)), step(2 + dice.below(30)), step(24 + dice.below(72)));
    if checked >= now {
        return Ok(());
    }
    let (who, value) = (owner.clone(), Money::new(500 * (1 + dice.below(8) as i64), 2));
    let preventive_owner = Some(owner.id);
    store
        .update_case(case.id, vec![], Box::new(move |c, ctx| c.propose_action(&who, "Refund the order", RemedyKind::Refund, value, preventive_owner, ctx, agreed)))
        .await
        .map_err(err)?;
    let who = owner.clone();
    let input = PreventiveInput { root_cause: Some("Found with the team".into()), action: Some("Changed how we work".into()), ..PreventiveInput::default() };
    store.update_case(case.id, vec![], Box::new(move |c, ctx| c.record_preventive(&who, input, ctx, prevented))).await.map_err(err)?;
    if dice.chance(0.15) {
        let who = owner.clone();
        store.update_case(case.id, vec![], Box::new(move |c, ctx| c.give_gift(&who, "Flowers", Money::new(1500, 2), ctx, prevented))).await.map_err(err)?;
    }
    let colleague = if case.significant { &cast.senior } else { cast.agents.iter().find(|a| a.id != owner.id).unwrap_or(&cast.manager) }.clone();
    if dice.chance(0.1) {
        let who = colleague.clone();
        store
            .update_case(case.id, vec![who.id], Box::new(move |c, _| c.follow_up(&who, FollowUpOutcome::NotResolved, 2, false, Some("Not put right yet"), checked)))
            .await
            .map_err(err)?;
    }
    let resolved = step(24 + dice.below(48));
    if resolved >= now {
        return Ok(());
    }
    let who = colleague.clone();
    store
        .update_case(case.id, vec![who.id], Box::new(move |c, _| c.follow_up(&who, FollowUpOutcome::Resolved, 4 + dice_free(resolved), true, None, resolved)))
        .await
        .map_err(err)?;
    let closed = step(1 + dice.below(20));
    // A survey follow-up waits for its formal action report, sent by hand.
    if closed >= now || case.requires_report {
        return Ok(());
    }
    let who = owner.clone();
    store.update_case(case.id, vec![], Box::new(move |c, ctx| c.close(&who, Some("Resolved"), None, ctx, closed))).await.map_err(err)?;
    Ok(())
}

/// A satisfaction of 0 or 1 above four, from the time (the closure that
/// records it cannot borrow the dice).
fn dice_free(t: Timestamp) -> u8 {
    (t.as_second() % 2) as u8
}
