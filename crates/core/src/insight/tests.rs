//! Every figure against values worked out by hand. Durations come out of a
//! sketch, exact below 128 s and within 1/128 of the exact value above, so
//! larger ones are checked with [`near`].

use super::*;
use crate::calendar::{BusinessCalendar, Target, WeekHours};
use crate::case::{ActionStatus, Case, CorrectiveAction, FollowUp, FollowUpOutcome, Gift, Recovery, RemedyKind, Status, TargetMarks};
use crate::terms::{Severity, Step};
use crate::{CaseId, CustomerId};
use std::collections::BTreeMap;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

/// Whether a sketch's answer is within its bound of the exact value.
fn near(got: Option<u64>, exact: u64) -> bool {
    got.is_some_and(|g| g.abs_diff(exact) * 128 <= exact)
}

/// London, Monday to Friday 09:00–17:00, with Monday 23 November 2026 a holiday.
fn london() -> BusinessCalendar {
    BusinessCalendar::new(TimeZone::get("Europe/London").unwrap(), WeekHours::default(), [d("2026-11-23")])
}

/// A case reported on Friday 20 November 2026 at 16:00 London time (UTC in November).
fn case() -> Case {
    let reported = t("2026-11-20T16:00:00Z");
    Case {
        id: CaseId(1),
        reference: "RD-1".into(),
        customer_id: CustomerId(1),
        channel: Channel::Phone,
        summary: "Parcel arrived broken".into(),
        description: "The vase was in pieces".into(),
        desired_resolution: None,
        order_reference: None,
        category_id: None,
        facts: None,
        severity: Severity::Normal,
        significant: false,
        service_area_id: Some(ServiceAreaId(3)),
        occurred_at: t("2026-11-17T16:00:00Z"),
        reported_at: reported,
        created_at: reported,
        created_by: UserId(1),
        owner_id: UserId(1),
        status: Status::Open,
        transfers: Vec::new(),
        flagged: false,
        reopen_count: 0,
        first_response_due_at: london().add(reported, Target::Days(2)),
        responded_at: None,
        last_outbound_at: None,
        update_due_at: None,
        resolution_due_at: t("2026-12-04T16:00:00Z"),
        follow_up_due_at: None,
        actions: Vec::new(),
        apology: None,
        preventive: None,
        follow_ups: Vec::new(),
        deviations: Vec::new(),
        gifts: Vec::new(),
        closed_at: None,
        closed_by: None,
        assignees: Vec::new(),
        requires_report: false,
        reports: Vec::new(),
        survey_response_id: None,
        opening_score: None,
        recovery: None,
        target_marks: TargetMarks::default(),
    }
}

fn action(id: u32, minor: i64, status: ActionStatus) -> CorrectiveAction {
    CorrectiveAction {
        id,
        description: "Refund".into(),
        remedy_kind: RemedyKind::Refund,
        remedy_value: Money::new(minor, 2),
        proposed_by: UserId(1),
        proposed_at: t("2026-11-24T10:00:00Z"),
        status,
        decided_by: None,
        decided_at: None,
        decision_note: None,
        proposed_value: None,
    }
}

/// Facts of a plain case reported on `day`, adjusted by `f`.
fn facts(day: &str, f: impl FnOnce(&mut CaseFacts)) -> CaseFacts {
    let mut facts = CaseFacts::of(&case(), &london());
    facts.day = d(day);
    f(&mut facts);
    facts
}

/// What a store keeps: one rollup per key, changed by contributions.
#[derive(Default)]
struct Rows(BTreeMap<RollupKey, Rollup>);

impl Rows {
    fn put(&mut self, old: Option<&KeyedRollup>, new: Option<&KeyedRollup>) {
        if let Some(old) = old {
            self.0.get_mut(&old.key).expect("row exists").subtract(&old.rollup).unwrap();
        }
        if let Some(new) = new {
            self.0.entry(new.key).or_default().add(&new.rollup);
        }
        self.0.retain(|_, r| !r.is_empty());
    }

    fn of(contributions: impl IntoIterator<Item = KeyedRollup>) -> Rows {
        let mut rows = Rows::default();
        contributions.into_iter().for_each(|c| rows.put(None, Some(&c)));
        rows
    }

    fn keyed(&self) -> Vec<KeyedRollup> {
        self.0.iter().map(|(key, rollup)| KeyedRollup { key: *key, rollup: rollup.clone() }).collect()
    }
}

fn november() -> MetricsQuery {
    MetricsQuery { from: d("2026-11-01"), to: d("2026-11-30"), service_area_id: None, channel: None, owner_id: None, category_id: None }
}

/// The figures from the per-day rows; for a query with a summary plan, the
/// figures from the summaries too, which must be the same.
fn metrics(rows: &Rows, query: &MetricsQuery) -> Metrics {
    let keyed = rows.keyed();
    let m = Metrics::from_rollups(&keyed, &keyed, query);
    if SummaryPlan::of(query).is_some() {
        let summaries = summary::summaries_of(keyed.iter().map(|k| (&k.key, &k.rollup)), None);
        assert_eq!(Metrics::from_summaries(&summaries, &[], query), m, "summaries and per-day rows disagree on {query:?}");
    }
    m
}

#[test]
fn first_response_and_resolution_in_business_and_calendar_time() {
    let mut c = case();
    // Answered Tuesday 10:00. Business time: Friday 16:00–17:00 is 1 h; the
    // weekend and Monday's holiday count nothing; Tuesday 09:00–10:00 is
    // 1 h: 2 h = 7,200 s. Calendar time: Friday 16:00 to Tuesday 10:00 is
    // 3 × 24 h + 18 h = 90 h = 324,000 s.
    c.responded_at = Some(t("2026-11-24T10:00:00Z"));
    // Closed Wednesday 12:00: 1 h Friday + 8 h Tuesday + 3 h Wednesday = 12 h
    // = 43,200 s of business time; 4 × 24 h + 20 h = 116 h = 417,600 s calendar.
    c.closed_at = Some(t("2026-11-25T12:00:00Z"));
    let f = CaseFacts::of(&c, &london());
    assert_eq!(f.first_response, Some(Elapsed { business_secs: 7_200, calendar_secs: 324_000 }));
    assert_eq!(f.resolution, Some(Elapsed { business_secs: 43_200, calendar_secs: 417_600 }));
    // Two business days from Friday 16:00, skipping the weekend and the
    // holiday, is Wednesday 16:00: answered Tuesday is in time.
    assert_eq!(c.first_response_due_at, t("2026-11-25T16:00:00Z"));
    assert_eq!(f.first_response_met, Some(true));
    // Lag: occurred Tuesday 17 16:00, reported Friday 20 16:00 = 259,200 s.
    assert_eq!(f.identification_lag_secs, 259_200);
    assert_eq!(f.day, d("2026-11-20"));

    let m = metrics(&Rows::of([Rollup::of_case(&f)]), &november());
    assert!(near(m.first_response.business.median_seconds, 7_200));
    assert!(near(m.first_response.calendar.p90_seconds, 324_000));
    assert!(near(m.resolution.business.median_seconds, 43_200));
    assert!(near(m.resolution.calendar.median_seconds, 417_600));
    assert_eq!((m.first_response.business.count, m.resolution.calendar.count), (1, 1));
}

#[test]
fn a_case_counts_on_its_report_day_in_the_organisations_zone() {
    // 23:30 UTC on 20 November is already the 21st in Berlin.
    let mut c = case();
    c.reported_at = t("2026-11-20T23:30:00Z");
    let berlin = BusinessCalendar::new(TimeZone::get("Europe/Berlin").unwrap(), WeekHours::default(), []);
    assert_eq!(CaseFacts::of(&c, &berlin).day, d("2026-11-21"));
    assert_eq!(CaseFacts::of(&c, &london()).day, d("2026-11-20"));
}

#[test]
fn average_rating_distribution_nps_and_response_rate() {
    // Lowest ratings 5, 4, 4, 2, 1: mean (5 + 4 + 4 + 2 + 1) / 5 = 16 / 5 = 3.2.
    // Recommendation scores 10, 9, 9, 8, 6, 3, 10, 7, 5, 10: promoters (9–10)
    // are 10, 9, 9, 10, 10 = 5; passives (7–8) 8, 7 = 2; detractors (0–6)
    // 6, 3, 5 = 3; NPS = 100 × (5 − 3) / 10 = 20.
    let ratings = [Some(5), Some(4), Some(4), Some(2), Some(1), None, None, None, None, None];
    let nps = [10, 9, 9, 8, 6, 3, 10, 7, 5, 10];
    let mut contributions: Vec<KeyedRollup> = ratings
        .iter()
        .zip(nps)
        .map(|(r, n)| Rollup::of_response(&ResponseFacts { day: d("2026-11-10"), service_area_id: None, rating: *r, nps: Some(n), recovery: false }))
        .collect();
    // A recovery survey's answer counts in recovery, not here.
    contributions.push(Rollup::of_response(&ResponseFacts { day: d("2026-11-10"), service_area_id: None, rating: Some(1), nps: Some(0), recovery: true }));
    // 8 invitations, 5 answered: 5 / 8 = 0.625. The recovery invitation is left out.
    for answered in [true, true, false, true, false, true, false, true] {
        contributions.push(Rollup::of_invitation(&InvitationFacts { day: d("2026-11-09"), service_area_id: None, answered, recovery: false }));
    }
    contributions.push(Rollup::of_invitation(&InvitationFacts { day: d("2026-11-09"), service_area_id: None, answered: true, recovery: true }));
    let m = metrics(&Rows::of(contributions), &november());
    let s = &m.satisfaction;
    assert_eq!((s.responses, s.rated), (10, 5));
    assert_eq!(s.average_rating, Some(3.2));
    assert_eq!(s.distribution, vec![1, 1, 0, 2, 1]);
    assert_eq!(s.nps, Nps { answered: 10, promoters: 5, passives: 2, detractors: 3, score: Some(20.0) });
    assert_eq!(m.response_rate, ResponseRate { invitations: 8, answered: 5, rate: Some(0.625) });
    // Surveys have no channel: a channel filter leaves them out.
    let phone = metrics(&Rows::of([]), &MetricsQuery { channel: Some(Channel::Phone), ..november() });
    assert_eq!((phone.satisfaction.responses, phone.satisfaction.average_rating), (0, None));
}

#[test]
fn response_facts_read_the_survey_purpose_and_the_day() {
    use crate::survey::{Response, Survey, SurveyPurpose};
    use crate::{InvitationId, ResponseId, SurveyId};
    let survey = |purpose| Survey {
        id: SurveyId(1),
        title: "After delivery".into(),
        intro: None,
        service_area_id: Some(ServiceAreaId(3)),
        questions: Vec::new(),
        reward_points: 0,
        thank_you: "Thanks".into(),
        purpose,
        created_at: t("2026-11-01T00:00:00Z"),
    };
    let response = Response {
        id: ResponseId(1),
        survey_id: SurveyId(1),
        invitation_id: InvitationId(1),
        customer_id: CustomerId(1),
        answers: Default::default(),
        lowest_rating: Some(2),
        nps: Some(11),
        case_id: None,
        created_at: t("2026-11-10T12:00:00Z"),
    };
    let f = ResponseFacts::of(&response, &survey(SurveyPurpose::Feedback), &london());
    // An out-of-range score (11) is not a score.
    assert_eq!(f, ResponseFacts { day: d("2026-11-10"), service_area_id: Some(ServiceAreaId(3)), rating: Some(2), nps: None, recovery: false });
    assert!(ResponseFacts::of(&response, &survey(SurveyPurpose::Recovery), &london()).recovery);
}

#[test]
fn median_and_p90_of_identification_lag_overall_and_by_channel() {
    // Phone lags 1, 2, 3, 4 h; e-mail lags 1 and 2 days. Sorted overall:
    // 3600, 7200, 10800, 14400, 86400, 172800. Nearest rank: the median is
    // rank ⌈6/2⌉ = 3 → 10,800; p90 is rank ⌈5.4⌉ = 6 → 172,800.
    // Phone alone: median rank 2 → 7,200; p90 rank ⌈3.6⌉ = 4 → 14,400.
    // E-mail alone: median rank 1 → 86,400; p90 rank ⌈1.8⌉ = 2 → 172,800.
    let mut all: Vec<CaseFacts> = [3_600, 7_200, 10_800, 14_400].map(|lag| facts("2026-11-02", |f| f.identification_lag_secs = lag)).to_vec();
    for lag in [86_400, 172_800] {
        all.push(facts("2026-11-03", |f| {
            f.identification_lag_secs = lag;
            f.channel = Channel::Email;
        }));
    }
    let m = metrics(&Rows::of(all.iter().map(Rollup::of_case)), &november());
    let lag = &m.identification_lag;
    assert_eq!(lag.overall.count, 6);
    assert!(near(lag.overall.median_seconds, 10_800) && near(lag.overall.p90_seconds, 172_800));
    let phone = &lag.by_channel.iter().find(|c| c.channel == Channel::Phone).unwrap().lag;
    assert!(near(phone.median_seconds, 7_200) && near(phone.p90_seconds, 14_400));
    let email = &lag.by_channel.iter().find(|c| c.channel == Channel::Email).unwrap().lag;
    assert!(near(email.median_seconds, 86_400) && near(email.p90_seconds, 172_800));
    assert_eq!(lag.by_channel.len(), 2);
}

#[test]
fn target_compliance_from_case_facts() {
    let cal = london();
    let mut answered_in_time = case();
    answered_in_time.responded_at = Some(t("2026-11-24T10:00:00Z"));
    let mut answered_late = case();
    answered_late.responded_at = Some(t("2026-11-26T10:00:00Z"));
    let mut breached = case();
    breached.target_marks.breached.push(TargetName::FirstResponse);
    let running = case();
    // Follow-up due 1 December; resolved 30 November (in time); a waived one is not decided.
    let mut followed = answered_in_time.clone();
    followed.follow_up_due_at = Some(t("2026-12-01T17:00:00Z"));
    followed.follow_ups.push(FollowUp {
        by: UserId(2),
        at: t("2026-11-30T11:00:00Z"),
        outcome: FollowUpOutcome::Resolved,
        satisfaction: 4,
        preventive_confirmed: true,
        notes: None,
    });
    followed.closed_at = Some(t("2026-11-30T12:00:00Z"));
    let mut waived = case();
    waived.follow_up_due_at = Some(t("2026-12-01T17:00:00Z"));
    waived.deviations.push(crate::case::Deviation { step: Step::FollowUp, reason: "Customer moved abroad".into(), by: UserId(3), at: t("2026-11-25T10:00:00Z") });
    let cases = [answered_in_time, answered_late, breached, running, followed, waived];
    let rows = Rows::of(cases.iter().map(|c| Rollup::of_case(&CaseFacts::of(c, &cal))));
    let m = metrics(&rows, &november());
    // First response: in time, late, breached, running, in time, running:
    // decided 4, met 2: 2 / 4 = 0.5.
    let first = &m.compliance[0];
    assert_eq!((first.target, first.total, first.met, first.share), (TargetName::FirstResponse, 4, 2, Some(0.5)));
    // Resolution: one closed, 30 November, before its 4 December due time: 1 / 1.
    assert_eq!((m.compliance[1].total, m.compliance[1].met, m.compliance[1].share), (1, 1, Some(1.0)));
    // Follow-up: resolved in time once; the waived one is not decided: 1 / 1.
    assert_eq!((m.compliance[2].target, m.compliance[2].total, m.compliance[2].met), (TargetName::FollowUp, 1, 1));
}

#[test]
fn transfers_reopens_remedies_and_gifts() {
    // Five cases: transfers 0, 1, 3, 0, 0 = 4, per case 4 / 5 = 0.8; one flagged.
    // Reopened: one once, one twice: 2 cases, 3 reopenings, rate 2 / 5 = 0.4.
    let all = [
        facts("2026-11-02", |_| {}),
        facts("2026-11-02", |f| f.transfers = 1),
        facts("2026-11-03", |f| {
            f.transfers = 3;
            f.flagged = true;
            f.reopens = 2;
        }),
        facts("2026-11-04", |f| f.reopens = 1),
        facts("2026-11-05", |_| {}),
    ];
    let m = metrics(&Rows::of(all.iter().map(Rollup::of_case)), &november());
    assert_eq!(m.cases, 5);
    assert_eq!(m.transfers, Transfers { transfers: 4, per_case: Some(0.8), flagged: 1 });
    assert_eq!(m.reopens, Reopens { reopened: 2, reopens: 3, rate: Some(0.4) });

    // Remedies: agreed 30.00 and 12.50 count; a pending 500.00 and an agreed
    // 0.00 (an apology, a repair) do not: 2 remedies, 42.50.
    // Gifts: 5.00 + 7.25 = 12.25.
    let mut c = case();
    c.actions = vec![action(1, 3_000, ActionStatus::Agreed), action(2, 1_250, ActionStatus::Agreed), action(3, 50_000, ActionStatus::PendingApproval), action(4, 0, ActionStatus::Agreed)];
    for cost in [500, 725] {
        c.gifts.push(Gift { description: "Flowers".into(), cost: Money::new(cost, 2), by: UserId(1), at: t("2026-11-25T10:00:00Z") });
    }
    let m = metrics(&Rows::of([Rollup::of_case(&CaseFacts::of(&c, &london()))]), &november());
    assert_eq!(m.remedies.cost.to_string(), "42.5000", "summed in ten-thousandths, whatever the currency");
    let m = m.in_currency(crate::money::Currency::from_code("GBP").unwrap());
    assert_eq!((m.remedies.count, m.remedies.cost.to_string()), (2, "42.50".to_string()));
    assert_eq!((m.gifts.count, m.gifts.cost.to_string()), (2, "12.25".to_string()));
}

#[test]
fn satisfaction_recovery() {
    // Recovery minus opening: +2 (2 → 4), +1, 0, −1; one case never measured.
    // Mean (2 + 1 + 0 − 1) / 4 = 0.5; improved 2 of 4 = 0.5.
    let mut c = case();
    c.opening_score = Some(2);
    c.recovery = Some(Recovery { score: 4, opening_score: Some(2), delta: Some(2), at: t("2026-11-28T10:00:00Z") });
    let first = CaseFacts::of(&c, &london());
    assert_eq!(first.recovery_change, Some(2));
    let mut all = vec![first];
    for change in [1, 0, -1] {
        all.push(facts("2026-11-12", |f| f.recovery_change = Some(change)));
    }
    all.push(facts("2026-11-12", |_| {}));
    let m = metrics(&Rows::of(all.iter().map(Rollup::of_case)), &november());
    assert_eq!(m.recovery, RecoveryFigures { measured: 4, average_change: Some(0.5), improved: 2, share_improved: Some(0.5) });
}

#[test]
fn adding_then_removing_a_contribution_gives_back_the_rollup_exactly() {
    let base = [facts("2026-11-02", |f| f.identification_lag_secs = 500), facts("2026-11-02", |f| f.transfers = 2)];
    let before = Rows::of(base.iter().map(Rollup::of_case));
    let mut c = case();
    c.responded_at = Some(t("2026-11-24T10:00:00Z"));
    c.gifts.push(Gift { description: "Voucher".into(), cost: Money::new(1_000, 2), by: UserId(1), at: t("2026-11-25T10:00:00Z") });
    let extra = Rollup::of_case(&CaseFacts::of(&c, &london()));
    let mut rows = Rows::of(base.iter().map(Rollup::of_case));
    rows.put(None, Some(&extra));
    assert_ne!(rows.keyed(), before.keyed());
    rows.put(Some(&extra), None);
    assert_eq!(rows.keyed(), before.keyed());

    // A case that changes moves its contribution: transferred to user 9 and
    // closed, it leaves user 1's row and lands in user 9's. The rows then
    // equal rows built from the final facts alone.
    let old = Rollup::of_case(&CaseFacts::of(&c, &london()));
    let mut changed = c.clone();
    changed.owner_id = UserId(9);
    changed.closed_at = Some(t("2026-11-26T12:00:00Z"));
    let new = Rollup::of_case(&CaseFacts::of(&changed, &london()));
    let mut live = Rows::of([old.clone()]);
    live.put(Some(&old), Some(&new));
    assert_eq!(live.keyed(), Rows::of([new.clone()]).keyed());

    // Removing what a row never held is refused and changes nothing.
    let mut row = old.rollup.clone();
    assert!(row.subtract(&new.rollup).is_err());
    assert_eq!(row, old.rollup);
    row.subtract(&old.rollup).unwrap();
    assert!(row.is_empty());

    // Rows keep as JSON and read back the same.
    let json = serde_json::to_string(&live.keyed()).unwrap();
    assert_eq!(serde_json::from_str::<Vec<KeyedRollup>>(&json).unwrap(), live.keyed());
    // A row written before a field existed reads that field as zero.
    let old_json: Rollup = serde_json::from_str(r#"{"cases": 2}"#).unwrap();
    assert_eq!(old_json, Rollup { cases: 2, ..Rollup::default() });
}

#[test]
fn weekly_series_trends_and_filters() {
    // Area 1: 2 cases in the week of 16 November, 12 in the week of 23
    // November (p = 106/16384 ≈ 0.0065): rising. Area 2: 10 then 11 (p = ½): flat.
    let mut all = Vec::new();
    let mut add = |area: i64, day: &str, n: usize, channel: Channel| {
        for _ in 0..n {
            all.push(facts(day, |f| {
                f.service_area_id = Some(ServiceAreaId(area));
                f.channel = channel;
            }));
        }
    };
    add(1, "2026-11-17", 2, Channel::Web);
    add(1, "2026-11-24", 12, Channel::Web);
    add(2, "2026-11-18", 10, Channel::Phone);
    add(2, "2026-11-27", 11, Channel::Phone);
    let rows = Rows::of(all.iter().map(Rollup::of_case));
    let query = MetricsQuery { from: d("2026-11-16"), to: d("2026-11-29"), ..november() };
    assert_eq!(query.first_day_needed(), d("2026-11-16"));
    let m = metrics(&rows, &query);
    let weeks: Vec<(Date, u32, u64)> = m.weekly.iter().map(|w| (w.week_start, w.days, w.cases)).collect();
    assert_eq!(weeks, vec![(d("2026-11-16"), 7, 12), (d("2026-11-23"), 7, 23)]);
    let rising: Vec<&TrendKey> = trend::candidates(&m.trends).into_iter().map(|t| &t.key).collect();
    // Area 1 rises, and so does the web channel it arrives on; area 2 and phone are flat.
    assert_eq!(rising, vec![&TrendKey::ServiceArea { service_area_id: Some(ServiceAreaId(1)) }, &TrendKey::Channel { channel: Channel::Web }]);
    let area2 = m.trends.iter().find(|t| t.key == TrendKey::ServiceArea { service_area_id: Some(ServiceAreaId(2)) }).unwrap();
    assert_eq!((area2.last_week, area2.this_week, area2.rising), (10, 11, false));

    // A period starting mid-week: its first point has the days inside it only.
    let short = metrics(&rows, &MetricsQuery { from: d("2026-11-26"), to: d("2026-11-29"), ..november() });
    assert_eq!(short.weekly.iter().map(|w| (w.days, w.cases)).collect::<Vec<_>>(), vec![(4, 11)]);
    // Filters: service area 2 only; owner 5 owns nothing.
    let area = metrics(&rows, &MetricsQuery { service_area_id: Some(ServiceAreaId(2)), ..query.clone() });
    assert_eq!(area.cases, 21);
    assert_eq!(metrics(&rows, &MetricsQuery { owner_id: Some(UserId(5)), ..query.clone() }).cases, 0);
    // Rows merged across owners give the same unfiltered figures.
    let coarse = Rows::of(all.iter().map(Rollup::of_case).map(|c| KeyedRollup { key: c.key.without_owner(), ..c }));
    assert!(coarse.0.keys().all(|k| k.owner_id.is_none()));
    assert_eq!(metrics(&coarse, &query), m);
}

#[test]
fn loyalty_of_resolved_complainants_against_customers_who_never_complained() {
    let r = |at: &str, rating: u8, nps: u8| ScoredResponse { at: t(at), rating: Some(rating), nps: Some(nps) };
    let customer = |id: i64, complained: bool, resolved: Option<&str>, responses: Vec<ScoredResponse>| CustomerFacts {
        customer_id: CustomerId(id),
        first_case_at: complained.then(|| t("2026-10-20T09:00:00Z")),
        resolved_at: resolved.map(t),
        responses,
    };
    let all = [
        // A: resolved 3 Nov; answers 10 Nov (5, 10) and 20 Nov (4, 9): both later.
        customer(1, true, Some("2026-11-03T10:00:00Z"), vec![r("2026-11-10T10:00:00Z", 5, 10), r("2026-11-20T10:00:00Z", 4, 9)]),
        // B: resolved 5 Nov; answered only before that: did not return.
        customer(2, true, Some("2026-11-05T10:00:00Z"), vec![r("2026-11-02T10:00:00Z", 1, 0)]),
        // C: complained, not resolved; G: resolved only after the period. Neither group.
        customer(3, true, None, vec![r("2026-11-10T10:00:00Z", 2, 2)]),
        customer(7, true, Some("2026-12-03T10:00:00Z"), vec![]),
        // D: first answer 15 Oct (the anchor), then 12 Nov (3, 6).
        customer(4, false, None, vec![r("2026-10-15T10:00:00Z", 4, 8), r("2026-11-12T10:00:00Z", 3, 6)]),
        // E: one answer, the anchor: did not return.
        customer(5, false, None, vec![r("2026-11-08T10:00:00Z", 5, 10)]),
        // F: anchor 2 Nov, then 9 Nov (4, 7) and 30 Nov (4, 9).
        customer(6, false, None, vec![r("2026-11-30T10:00:00Z", 4, 9), r("2026-11-02T10:00:00Z", 2, 3), r("2026-11-09T10:00:00Z", 4, 7)]),
        // H: first answer after the period: not yet in the group.
        customer(8, false, None, vec![r("2026-12-05T10:00:00Z", 5, 10)]),
    ];
    let l = Loyalty::compare(&all, &november().period(&TimeZone::UTC));
    // The rollups kept per customer give the same figures.
    let utc = BusinessCalendar::new(TimeZone::UTC, WeekHours::default(), []);
    let rows = Rows::of(all.iter().flat_map(|c| c.contributions(&utc)));
    assert_eq!(Loyalty::from_rollups(&rows.keyed(), &november()), l);
    let keyed = rows.keyed();
    let summaries = summary::summaries_of(keyed.iter().map(|k| (&k.key, &k.rollup)), None);
    assert_eq!(Loyalty::from_summaries(&summaries, &SummaryPlan::of(&november()).unwrap()), l, "the summaries give the same");
    // A customer's facts changing (C's case closes on 25 Nov) moves them:
    // take the old contributions out, put the new in, as the store does.
    let mut rows = rows;
    let mut c = all[2].clone();
    for old in c.contributions(&utc) {
        rows.put(Some(&old), None);
    }
    c.resolved_at = Some(t("2026-11-25T10:00:00Z"));
    for new in c.contributions(&utc) {
        rows.put(None, Some(&new));
    }
    let mut changed = all.clone();
    changed[2] = c;
    let moved = Loyalty::from_rollups(&rows.keyed(), &november());
    assert_eq!(moved, Loyalty::compare(&changed, &november().period(&TimeZone::UTC)));
    // C answered on 10 Nov, before the closing: in the group, not returned.
    assert_eq!((moved.resolved.customers, moved.resolved.returned, moved.unresolved), (3, 1, 1));
    // Resolved: A and B; A returned: 1 / 2 = 0.5. Ratings 5, 4: mean 4.5.
    // NPS 10 and 9, both promoters: 100 × (2 − 0) / 2 = 100.
    assert_eq!((l.resolved.customers, l.resolved.returned, l.resolved.repeat_response_rate), (2, 1, Some(0.5)));
    assert_eq!((l.resolved.responses, l.resolved.rated, l.resolved.average_rating), (2, 2, Some(4.5)));
    assert_eq!((l.resolved.nps.promoters, l.resolved.nps.score), (2, Some(100.0)));
    // Never complained: D, E, F; D and F returned: 2 / 3. Later ratings 3, 4, 4:
    // mean 11 / 3. NPS 6 (detractor), 7 (passive), 9 (promoter): 100 × (1 − 1) / 3 = 0.
    let n = &l.never_complained;
    assert_eq!((n.customers, n.returned, n.responses), (3, 2, 3));
    assert!((n.repeat_response_rate.unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert!((n.average_rating.unwrap() - 11.0 / 3.0).abs() < 1e-12);
    assert_eq!(n.nps, Nps { answered: 3, promoters: 1, passives: 1, detractors: 1, score: Some(0.0) });
    // C and G are left out, and counted; 4.5 − 11/3 = 5/6 in favour of the resolved.
    assert_eq!(l.unresolved, 2);
    assert!((l.rating_difference.unwrap() - 5.0 / 6.0).abs() < 1e-12);
}

#[test]
fn the_period_is_whole_days_in_the_zone() {
    let p = november().period(&TimeZone::get("Europe/London").unwrap());
    assert_eq!((p.start, p.end), (t("2026-11-01T00:00:00Z"), t("2026-12-01T00:00:00Z")));
    let berlin = november().period(&TimeZone::get("Europe/Berlin").unwrap());
    assert_eq!(berlin.start, t("2026-10-31T23:00:00Z"));
    // The trends reach two weeks back from `to`, before a short period's start.
    let q = MetricsQuery { from: d("2026-11-26"), ..november() };
    assert_eq!(q.first_day_needed(), d("2026-11-17"));
}

#[test]
fn metrics_serialise_with_their_definitions_in_the_schema() {
    let rows = Rows::of([Rollup::of_case(&facts("2026-11-27", |_| {}))]);
    let json = serde_json::to_value(metrics(&rows, &november()).in_currency(crate::money::Currency::from_code("EUR").unwrap())).unwrap();
    assert_eq!(json["from"], "2026-11-01");
    assert_eq!(json["cases"], 1);
    assert_eq!(json["satisfaction"]["average_rating"], serde_json::Value::Null);
    assert_eq!(json["remedies"]["cost"], "0.00");
    assert_eq!(json["compliance"][0]["target"], "first_response");
    assert_eq!(json["trends"][0]["key"], serde_json::json!({ "dimension": "service_area", "service_area_id": 3 }));
    // Doc comments are the OpenAPI descriptions.
    let schema = serde_json::to_string(&<Metrics as utoipa::PartialSchema>::schema()).unwrap();
    assert!(schema.contains("Cases reported in the period."), "{schema}");
    let nps = serde_json::to_string(&<Nps as utoipa::PartialSchema>::schema()).unwrap();
    assert!(nps.contains("100 × (promoters − detractors) / answered"), "{nps}");
}
