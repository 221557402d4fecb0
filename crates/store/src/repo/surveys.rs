//! Surveys, invitations with access codes, and responses: the submission
//! path (replay, judge, record) with its acknowledgement, reward and
//! follow-up case or recovery.

use super::cases::{insert_case, lock_case, save_case};
use super::notifications::{add_with_job, insert_notification, with_job};
use super::people::{load_customer, reward_for_new, RewardFor};
use super::insight::{answer_and_loyalty, with_loyalty_read_for_response};
use super::settings::{load_area, load_settings};
use super::timeline::insert_events;
use super::*;
use redress_core::customer::Customer;
use redress_core::feedback::{ResponseContext, ResponsePlan};
use redress_core::insight::{day_of, InvitationFacts, ResponseFacts, ScoredResponse};
use redress_core::settings::OrgSettings;
use std::collections::HashMap;
use redress_core::store::{Submission, Submitted};
use redress_core::survey::{Answers, Invitation, NewInvitation, NewSurvey, Receipt, Response, Survey, SurveyPurpose};
use redress_core::{InvitationId, ResponseId, SurveyId};

pub(super) fn survey_from((id, data): (i64, String)) -> StoreResult<Survey> {
    let mut s: Survey = from_json(&data)?;
    s.id = SurveyId(id);
    Ok(s)
}

pub(super) async fn load_survey(c: &mut Conn, id: SurveyId) -> StoreResult<Option<Survey>> {
    let row: Option<(i64, String)> = sqlx::query_as("SELECT id, data FROM surveys WHERE id = $1").bind(id.0).fetch_optional(&mut *c).await.map_err(db_error)?;
    row.map(survey_from).transpose()
}

/// The survey sent when a case closes: the oldest one with purpose `recovery`
/// (a built-in one ships with the schema).
pub(super) async fn recovery_survey(c: &mut Conn) -> StoreResult<SurveyId> {
    let id: Option<i64> = sqlx::query_scalar("SELECT MIN(id) FROM surveys WHERE purpose = 'recovery'").fetch_one(&mut *c).await.map_err(db_error)?;
    id.map(SurveyId).ok_or_else(|| StoreError::Backend("no recovery survey is defined".into()))
}

pub(super) async fn insert_survey(c: &mut Conn, s: NewSurvey, now: Timestamp) -> StoreResult<Survey> {
    if let Some(area) = s.service_area_id {
        load_area(c, area).await?.ok_or_else(|| DomainError::invalid(format!("service_area_id {area} does not exist")))?;
    }
    let mut survey = Survey {
        id: SurveyId(0),
        title: s.title,
        intro: s.intro,
        service_area_id: s.service_area_id,
        questions: s.questions,
        reward_points: s.reward_points,
        thank_you: s.thank_you,
        purpose: s.purpose,
        created_at: now,
    };
    let id: i64 = sqlx::query_scalar("INSERT INTO surveys (title, purpose, service_area_id, data, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(&survey.title)
        .bind(name_of(&survey.purpose)?)
        .bind(survey.service_area_id.map(|a| a.0))
        .bind(to_json(&survey)?)
        .bind(micros(now))
        .fetch_one(&mut *c)
        .await
        .map_err(db_error)?;
    survey.id = SurveyId(id);
    Ok(survey)
}

/// Refuses invitations for customers that do not exist, naming the first.
pub(super) async fn require_customers(c: &mut Conn, invitations: &[NewInvitation]) -> StoreResult<()> {
    let ids: std::collections::BTreeSet<i64> = invitations.iter().map(|i| i.customer_id.0).collect();
    for id in ids {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM customers WHERE id = $1").bind(id).fetch_optional(&mut *c).await.map_err(db_error)?;
        if found.is_none() {
            return Err(DomainError::invalid(format!("customer_id {id} does not exist")).into());
        }
    }
    Ok(())
}

/// Rows per multi-row INSERT (6 parameters each, well under both limits).
const INVITATION_CHUNK: usize = 500;

pub(super) async fn insert_invitations(c: &mut Conn, survey: SurveyId, invitations: &[NewInvitation], now: Timestamp) -> StoreResult<Vec<Invitation>> {
    let mut out = Vec::with_capacity(invitations.len());
    let of = load_survey(c, survey).await?.ok_or_else(|| DomainError::not_found(format!("survey {survey} does not exist")))?;
    let cal = load_settings(c).await?.calendar();
    for chunk in invitations.chunks(INVITATION_CHUNK) {
        let sql = format!(
            "INSERT INTO invitations (survey_id, customer_id, code_sha256, expires_at, case_id, created_at) VALUES {} RETURNING id, code_sha256",
            values_list(chunk.len(), 6)
        );
        let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
        for inv in chunk {
            q = q.bind(survey.0).bind(inv.customer_id.0).bind(inv.code_digest.clone()).bind(micros(inv.expires_at)).bind(inv.case_id.map(|c| c.0)).bind(micros(now));
        }
        let ids: HashMap<String, i64> = q.fetch_all(&mut *c).await.map_err(db_error)?.into_iter().map(|(id, d)| (d, id)).collect();
        for inv in chunk {
            let id = ids.get(&inv.code_digest).copied().ok_or_else(|| StoreError::Backend("an invitation id went missing".into()))?;
            out.push(Invitation {
                id: InvitationId(id),
                survey_id: survey,
                customer_id: inv.customer_id,
                expires_at: inv.expires_at,
                used_at: None,
                case_id: inv.case_id,
                created_at: now,
            });
        }
    }
    super::insight::invitations_created(c, out.iter().map(|i| InvitationFacts::of(i, &of, &cal))).await?;
    Ok(out)
}

type InvitationRow = (i64, i64, i64, i64, Option<i64>, Option<i64>, i64);

fn invitation_from(r: InvitationRow) -> StoreResult<Invitation> {
    Ok(Invitation {
        id: InvitationId(r.0),
        survey_id: SurveyId(r.1),
        customer_id: CustomerId(r.2),
        expires_at: ts(r.3)?,
        used_at: opt_ts(r.4)?,
        case_id: r.5.map(CaseId),
        created_at: ts(r.6)?,
    })
}

pub(super) async fn load_invitation(c: &mut Conn, digest: &str, lock: bool) -> StoreResult<Option<Invitation>> {
    let sql = format!(
        "SELECT id, survey_id, customer_id, expires_at, used_at, case_id, created_at FROM invitations WHERE code_sha256 = $1{}",
        if lock { LOCK_FOR_UPDATE } else { "" }
    );
    let row: Option<InvitationRow> = sqlx::query_as(&sql).bind(digest).fetch_optional(&mut *c).await.map_err(db_error)?;
    row.map(invitation_from).transpose()
}

pub(super) const RESPONSE_COLS: &str = "id, survey_id, invitation_id, customer_id, answers, lowest_rating, nps, case_id, created_at";
pub(super) type ResponseRow = (i64, i64, i64, i64, String, Option<i64>, Option<i64>, Option<i64>, i64);

pub(super) fn response_from(r: ResponseRow) -> StoreResult<Response> {
    Ok(Response {
        id: ResponseId(r.0),
        survey_id: SurveyId(r.1),
        invitation_id: InvitationId(r.2),
        customer_id: CustomerId(r.3),
        answers: from_json::<Answers>(&r.4)?,
        lowest_rating: r.5.map(|v| v as u8),
        nps: r.6.map(|v| v as u8),
        case_id: r.7.map(CaseId),
        created_at: ts(r.8)?,
    })
}

/// Loads what a response is judged against, all of it read on `c` (in a
/// write transaction: as it is now).
pub(super) async fn response_context(c: &mut Conn, invitation: Invitation) -> StoreResult<ResponseContext> {
    let directory = super::directory::load(c).await?;
    context_on(c, &directory, invitation).await
}

/// What a response to `invitation` is judged against: `directory`, with the
/// customer (and a recovery survey's case) read on `c`.
pub(super) async fn context_on(c: &mut Conn, directory: &super::directory::Directory, invitation: Invitation) -> StoreResult<ResponseContext> {
    let customer = load_customer(c, invitation.customer_id).await?.ok_or_else(|| StoreError::Backend("invitation without customer".into()))?;
    let recovery_case = match invitation.case_id {
        Some(id) => lock_case(c, id).await?,
        None => None,
    };
    directory.context(invitation, customer, recovery_case)
}

/// An invitation by its code's digest, with the directory version and the
/// invitation's customer, in one statement: what a submission reads
/// before it is judged.
pub(super) async fn load_invitation_with_customer<R: Run>(c: &mut R, digest: &str) -> StoreResult<Option<(Invitation, i64, Customer)>> {
    static SQL: std::sync::LazyLock<Call> = std::sync::LazyLock::new(|| {
        // The invitation's `id` and `created_at` renamed, so the customer's
        // columns keep their names.
        Call::one(format!(
            "SELECT i.invitation_id, i.survey_id, i.customer_id, i.expires_at, i.used_at, i.case_id, i.invited_at, {}, {} \
             FROM (SELECT id AS invitation_id, survey_id, customer_id, expires_at, used_at, case_id, created_at AS invited_at \
             FROM invitations WHERE code_sha256 = $1) AS i JOIN customers ON customers.id = i.customer_id",
            super::directory::VERSION,
            super::people::CUSTOMER_COLS
        ))
    });
    let mut params = Params::default();
    params.add(digest);
    c.rows(&SQL, params)
        .await?
        .first()
        .map(|r| {
            let invitation = invitation_from((r.int(0)?, r.int(1)?, r.int(2)?, r.int(3)?, r.opt_int(4)?, r.opt_int(5)?, r.int(6)?))?;
            Ok((invitation, r.int(7)?, super::people::customer_at(r, 8)?))
        })
        .transpose()
}

/// The first answer to a repeated `Idempotency-Key`, if it belongs to this
/// invitation; a key reused for another submission is refused.
pub(super) async fn replay<R: Run>(c: &mut R, key: &str, invitation: InvitationId) -> StoreResult<Option<Submitted>> {
    static SQL: std::sync::LazyLock<Call> = std::sync::LazyLock::new(|| Call::one("SELECT id, invitation_id, receipt FROM responses WHERE idempotency_key = $1".into()));
    let mut params = Params::default();
    params.add(key);
    let rows = c.rows(&SQL, params).await?;
    let seen = rows.first().map(|r| Ok::<_, StoreError>((r.int(0)?, r.int(1)?, r.text(2)?))).transpose()?;
    match seen {
        None => Ok(None),
        Some((_, id, _)) if id != invitation.0 => Err(DomainError::invalid("this Idempotency-Key was already used for a different submission").into()),
        Some((response, _, receipt)) => {
            // The row's id is the receipt's (it is stored before the id is known).
            let receipt = Receipt { response_id: ResponseId(response), ..from_json(&receipt)? };
            Ok(Some(Submitted { receipt, replayed: true }))
        }
    }
}

/// Takes a submission entirely inside the write transaction: used for
/// recovery surveys, which change the case they measure.
pub(super) async fn submit(c: &mut Conn, s: Submission) -> StoreResult<Submitted> {
    let invitation = load_invitation(c, &s.code_digest, true).await?.ok_or(DomainError::AccessRefused)?;
    if let Some(key) = &s.idempotency_key {
        if let Some(done) = replay(c, key, invitation.id).await? {
            return Ok(done);
        }
    }
    let ctx = response_context(c, invitation.clone()).await?;
    let plan = (s.judge)(&ctx)?;
    record(c, invitation, s.idempotency_key, plan, &ctx.survey, &ctx.settings).await
}

/// Writes a judged response: marks the code used — only if nobody did
/// meanwhile — then the response, follow-up case or recovery,
/// acknowledgement and reward. A code used meanwhile is refused, unless
/// the same `Idempotency-Key` used it, whose answer is replayed.
pub(super) async fn record<R: Run>(c: &mut R, invitation: Invitation, key: Option<String>, plan: ResponsePlan, survey: &Survey, settings: &OrgSettings) -> StoreResult<Submitted> {
    match mark_used(c, &invitation, key.as_deref(), plan.acknowledgement.scheduled_for, None).await? {
        Marked::Now => write_response(c, invitation, key, plan, survey, settings).await,
        Marked::Before(done) => Ok(done),
        // Not asked to compare versions, so never moved.
        Marked::Moved => Err(StoreError::Backend("the directory version was compared unasked".into())),
    }
}

/// Writes `plan`, judged against the directory at `version`, as
/// [`record`] does (the submission's `key` its `Idempotency-Key`) — unless
/// the directory has moved on since: then nothing is written, and the
/// answer is none (the caller judges the submission again, in a write of
/// its own, on the directory as it is then).
pub(super) async fn record_at<R: Run>(c: &mut R, invitation: Invitation, plan: ResponsePlan, survey: &Survey, settings: &OrgSettings, version: i64, key: Option<String>) -> StoreResult<Option<Submitted>> {
    match mark_used(c, &invitation, key.as_deref(), plan.acknowledgement.scheduled_for, Some(version)).await? {
        Marked::Now => write_response(c, invitation, key, plan, survey, settings).await.map(Some),
        Marked::Before(done) => Ok(Some(done)),
        Marked::Moved => Ok(None),
    }
}

/// What marking a code used found.
enum Marked {
    /// Marked now: write the response.
    Now,
    /// Used before, by the same `Idempotency-Key`: its first answer.
    Before(Submitted),
    /// The directory moved on from the version the response was judged at.
    Moved,
}

/// Marks `invitation`'s code used at `now` if it is not, and (with a
/// `version`) only while the directory is still at that version. A code
/// used before is refused unless `key` used it.
async fn mark_used<R: Run>(c: &mut R, invitation: &Invitation, key: Option<&str>, now: Timestamp, version: Option<i64>) -> StoreResult<Marked> {
    static MARK: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("UPDATE invitations SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND ($3 IS NULL OR {} = $3)", super::directory::VERSION));
    let mut params = Params::with_capacity(3);
    params.add(micros(now)).add(invitation.id.0).add(version);
    if c.execute(&MARK, params).await? == 1 {
        return Ok(Marked::Now);
    }
    if let Some(v) = version {
        if super::directory::version_now(c).await? != v {
            return Ok(Marked::Moved);
        }
    }
    if let Some(k) = key {
        if let Some(done) = replay(c, k, invitation.id).await? {
            return Ok(Marked::Before(done));
        }
    }
    Err(DomainError::AccessRefused.into())
}

/// The calls that insert a response, by whether it has a reward and
/// whether its acknowledgement is written with it, built once. The
/// customer's row is locked for the rest of the transaction (on
/// PostgreSQL), as the loyalty read that ends each call needs; a customer
/// gone fails the write either way. The reward is written in the same round
/// trip, and so is the acknowledgement with its job unless it names a
/// follow-up case, not yet written.
fn response_calls() -> &'static [[Call; 2]; 2] {
    static CALLS: std::sync::LazyLock<[[Call; 2]; 2]> = std::sync::LazyLock::new(|| {
        let columns = "INSERT INTO responses (survey_id, invitation_id, customer_id, answers, lowest_rating, nps, idempotency_key, receipt, created_at)";
        let insert = if LOCK_FOR_CHANGE.is_empty() {
            format!("{columns} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        } else {
            format!("{columns} SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM customers WHERE id = $3{LOCK_FOR_CHANGE}")
        };
        let call = |reward: bool, acknowledged: bool| {
            let mut writes = vec![Write::named("new", "responses", insert.clone())];
            if reward {
                writes.push(Write::then(reward_for_new(RewardFor::Response, 3, 10, 9)));
            }
            if acknowledged {
                writes.extend(with_job(if reward { 12 } else { 10 }));
            }
            with_loyalty_read_for_response(in_one_round_trip(&writes, "id"), 3)
        };
        [[call(false, false), call(false, true)], [call(true, false), call(true, true)]]
    });
    &CALLS
}

/// The rest of [`record`], once the code is marked used.
async fn write_response<R: Run>(c: &mut R, invitation: Invitation, key: Option<String>, plan: ResponsePlan, survey: &Survey, settings: &OrgSettings) -> StoreResult<Submitted> {
    let now = plan.acknowledgement.scheduled_for;
    // Stored with the response, its id not yet known: replay takes it from the row.
    let mut receipt = Receipt {
        response_id: ResponseId(0),
        thank_you: plan.thank_you.clone(),
        next: plan.next.clone(),
        reward_points: plan.reward.as_ref().map_or(0, |r| r.points),
    };
    let acknowledged = plan.case.is_none();
    let call = &response_calls()[usize::from(plan.reward.is_some())][usize::from(acknowledged)];
    let mut params = Params::with_capacity(22);
    params
        .add(invitation.survey_id.0)
        .add(invitation.id.0)
        .add(invitation.customer_id.0)
        .add(to_json(&plan.answers)?)
        .add(plan.lowest_rating.map(i64::from))
        .add(plan.nps.map(i64::from))
        .add(key.clone())
        .add(to_json(&receipt)?)
        .add(micros(now));
    if let Some(r) = &plan.reward {
        params.add(r.points).add(r.reason);
    }
    if acknowledged {
        add_with_job(&mut params, None, &plan.acknowledgement, now);
    }
    let rows = c.rows(call, params).await?;
    let (first, loyalty) = answer_and_loyalty(&rows, 1)?;
    let response_id = first.int(0)?;
    if acknowledged {
        crate::note_enqueued();
    }
    receipt.response_id = ResponseId(response_id);
    let cal = settings.calendar();
    let response_facts = ResponseFacts {
        day: day_of(now, &cal),
        service_area_id: survey.service_area_id,
        rating: plan.lowest_rating.filter(|r| (1..=5).contains(r)),
        nps: plan.nps.filter(|n| *n <= 10),
        recovery: survey.purpose == SurveyPurpose::Recovery,
    };
    // As the response is stored, and as its customer's later reads see it.
    let scored = ScoredResponse { at: ts(micros(now))?, rating: plan.lowest_rating, nps: plan.nps };
    super::insight::response_recorded(c, response_facts, InvitationFacts::of(&invitation, survey, &cal), invitation.customer_id, scored, &cal, loyalty).await?;
    let mut case_id = None;
    if let Some((mut case, events)) = plan.case {
        case.survey_response_id = Some(ResponseId(response_id));
        let opening = redress_core::case::Outcome { events, ..Default::default() };
        let case = insert_case(c, case, opening, None, settings).await?;
        case_id = Some(case.id);
    }
    if let Some((case, event)) = plan.recovery {
        let c = c.driver()?;
        save_case(c, &case, settings).await?;
        insert_events(c, &[(case.id, &event)]).await?;
    }
    if !acknowledged {
        insert_notification(c, case_id, &plan.acknowledgement, now).await?;
    }
    if let Some(case) = case_id {
        let mut params = Params::with_capacity(2);
        params.add(case.0).add(response_id);
        c.execute("UPDATE responses SET case_id = $1 WHERE id = $2", params).await?;
    }
    Ok(Submitted { receipt, replayed: false })
}

// ---- reads ------------------------------------------------------------------

pub(super) async fn all(pool: &Pool) -> StoreResult<Vec<Survey>> {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, data FROM surveys ORDER BY id").fetch_all(pool).await.map_err(db_error)?;
    rows.into_iter().map(survey_from).collect()
}

pub(super) async fn response(pool: &Pool, id: ResponseId) -> StoreResult<Option<Response>> {
    let sql = format!("SELECT {RESPONSE_COLS} FROM responses WHERE id = $1");
    let row: Option<ResponseRow> = sqlx::query_as(&sql).bind(id.0).fetch_optional(pool).await.map_err(db_error)?;
    row.map(response_from).transpose()
}

/// Responses newest first, optionally of one survey.
pub(super) async fn responses(pool: &Pool, survey: Option<SurveyId>, before: Option<ResponseId>, limit: u32) -> StoreResult<Vec<Response>> {
    let sql = format!("SELECT {RESPONSE_COLS} FROM responses WHERE ($1 IS NULL OR survey_id = $1) AND id < $2 ORDER BY id DESC LIMIT $3");
    let rows: Vec<ResponseRow> = sqlx::query_as(&sql)
        .bind(survey.map(|s| s.0))
        .bind(before.map_or(i64::MAX, |b| b.0))
        .bind(i64::from(limit.max(1)))
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    rows.into_iter().map(response_from).collect()
}

pub(super) async fn responses_of(pool: &Pool, customer: CustomerId, limit: u32) -> StoreResult<Vec<Response>> {
    let sql = format!("SELECT {RESPONSE_COLS} FROM responses WHERE customer_id = $1 ORDER BY id DESC LIMIT $2");
    let rows: Vec<ResponseRow> = sqlx::query_as(&sql).bind(customer.0).bind(i64::from(limit.max(1))).fetch_all(pool).await.map_err(db_error)?;
    rows.into_iter().map(response_from).collect()
}

// ---- a customer's data ----------------------------------------------------------

/// Every response of `customer`, oldest first.
pub(super) async fn responses_of_customer(c: &mut Conn, customer: CustomerId) -> StoreResult<Vec<Response>> {
    let sql = format!("SELECT {RESPONSE_COLS} FROM responses WHERE customer_id = $1 ORDER BY id");
    let rows: Vec<ResponseRow> = sqlx::query_as(&sql).bind(customer.0).fetch_all(&mut *c).await.map_err(db_error)?;
    rows.into_iter().map(response_from).collect()
}

/// Every invitation of `customer`, oldest first (codes are never kept).
pub(super) async fn invitations_of_customer(c: &mut Conn, customer: CustomerId) -> StoreResult<Vec<Invitation>> {
    let rows: Vec<InvitationRow> =
        sqlx::query_as("SELECT id, survey_id, customer_id, expires_at, used_at, case_id, created_at FROM invitations WHERE customer_id = $1 ORDER BY id")
            .bind(customer.0)
            .fetch_all(&mut *c)
            .await
            .map_err(db_error)?;
    rows.into_iter().map(invitation_from).collect()
}

/// Replaces a response's answers (erasure does; its scores stay in their columns).
pub(super) async fn set_answers(c: &mut Conn, id: ResponseId, answers: &Answers) -> StoreResult<()> {
    sqlx::query("UPDATE responses SET answers = $2 WHERE id = $1").bind(id.0).bind(to_json(answers)?).execute(&mut *c).await.map_err(db_error)?;
    Ok(())
}

/// Ends `customer`'s unused invitations at `now`: nobody can answer with them any more.
pub(super) async fn expire_unused_invitations(c: &mut Conn, customer: CustomerId, now: Timestamp) -> StoreResult<u64> {
    let done = sqlx::query("UPDATE invitations SET expires_at = $2 WHERE customer_id = $1 AND used_at IS NULL AND expires_at > $2")
        .bind(customer.0)
        .bind(micros(now))
        .execute(&mut *c)
        .await
        .map_err(db_error)?;
    Ok(done.rows_affected())
}
