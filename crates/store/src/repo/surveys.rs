//! Surveys, invitations with access codes, and responses: the submission
//! path (replay, judge, record) with its acknowledgement, reward and
//! follow-up case or recovery.

use super::cases::{insert_case, lock_case, save_case};
use super::notifications::insert_notification;
use super::people::{first_active_with_role, insert_reward, load_customer, load_user};
use super::settings::{load_area, load_settings};
use super::timeline::insert_events;
use super::*;
use redress_core::feedback::ResponseContext;
use redress_core::insight::{day_of, InvitationFacts, ResponseFacts};
use redress_core::settings::OrgSettings;
use redress_core::user::Role;
use std::collections::HashMap;
use redress_core::store::{Submission, Submitted};
use redress_core::survey::{Answers, Invitation, NewInvitation, NewSurvey, Receipt, Response, Survey, SurveyPurpose};
use redress_core::{InvitationId, ResponseId, SurveyId};

fn survey_from((id, data): (i64, String)) -> StoreResult<Survey> {
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

/// Loads what a response is judged against.
pub(super) async fn response_context(c: &mut Conn, invitation: Invitation) -> StoreResult<ResponseContext> {
    let survey = load_survey(c, invitation.survey_id).await?.ok_or_else(|| StoreError::Backend("invitation without survey".into()))?;
    let customer = load_customer(c, invitation.customer_id).await?.ok_or_else(|| StoreError::Backend("invitation without customer".into()))?;
    let settings = load_settings(c).await?;
    let area = match survey.service_area_id {
        Some(a) => load_area(c, a).await?,
        None => None,
    };
    let named = settings.follow_up_rules.rules.iter().flat_map(|r| r.owner.iter().chain(r.assign.iter())).filter_map(|p| match p {
        redress_core::rules::Party::User(id) => Some(*id),
        _ => None,
    });
    let wanted: Vec<UserId> =
        [customer.client_manager_id, area.as_ref().map(|a| a.service_manager_id), settings.default_owner_id].into_iter().flatten().chain(named).collect();
    let mut users = HashMap::new();
    for id in wanted {
        if let Some(u) = load_user(c, id).await? {
            users.insert(id, u);
        }
    }
    let senior = first_active_with_role(c, &[Role::Senior]).await?;
    let supervisor = first_active_with_role(c, &[Role::Manager, Role::Senior, Role::Admin]).await?;
    let recovery_case = match invitation.case_id {
        Some(id) => lock_case(c, id).await?,
        None => None,
    };
    Ok(ResponseContext {
        invitation,
        survey,
        customer,
        settings,
        area,
        users,
        seniors: senior.into_iter().collect(),
        any_supervisor: supervisor,
        recovery_case,
    })
}

/// The first answer to a repeated `Idempotency-Key`, if it belongs to this
/// invitation; a key reused for another submission is refused.
pub(super) async fn replay(c: &mut Conn, key: &str, invitation: InvitationId) -> StoreResult<Option<Submitted>> {
    let seen: Option<(i64, String)> =
        sqlx::query_as("SELECT invitation_id, receipt FROM responses WHERE idempotency_key = $1").bind(key).fetch_optional(&mut *c).await.map_err(db_error)?;
    match seen {
        None => Ok(None),
        Some((id, _)) if id != invitation.0 => Err(DomainError::invalid("this Idempotency-Key was already used for a different submission").into()),
        Some((_, receipt)) => Ok(Some(Submitted { receipt: from_json(&receipt)?, replayed: true })),
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
    record(c, invitation, s.idempotency_key, plan, &ctx.settings).await
}

/// Writes a judged response: marks the code used — only if nobody did
/// meanwhile — then the response, follow-up case or recovery,
/// acknowledgement and reward. A code used meanwhile is refused, unless
/// the same `Idempotency-Key` used it, whose answer is replayed.
pub(super) async fn record(
    c: &mut Conn,
    invitation: redress_core::survey::Invitation,
    key: Option<String>,
    plan: redress_core::feedback::ResponsePlan,
    settings: &OrgSettings,
) -> StoreResult<Submitted> {
    let now = plan.acknowledgement.scheduled_for;
    let used = sqlx::query("UPDATE invitations SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
        .bind(micros(now))
        .bind(invitation.id.0)
        .execute(&mut *c)
        .await
        .map_err(db_error)?;
    if used.rows_affected() != 1 {
        if let Some(k) = &key {
            if let Some(done) = replay(c, k, invitation.id).await? {
                return Ok(done);
            }
        }
        return Err(DomainError::AccessRefused.into());
    }
    let response_id: i64 = sqlx::query_scalar(
        "INSERT INTO responses (survey_id, invitation_id, customer_id, answers, lowest_rating, nps, idempotency_key, receipt, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, '{}', $8) RETURNING id",
    )
    .bind(invitation.survey_id.0)
    .bind(invitation.id.0)
    .bind(invitation.customer_id.0)
    .bind(to_json(&plan.answers)?)
    .bind(plan.lowest_rating.map(i64::from))
    .bind(plan.nps.map(i64::from))
    .bind(&key)
    .bind(micros(now))
    .fetch_one(&mut *c)
    .await
    .map_err(db_error)?;
    let survey = load_survey(c, invitation.survey_id).await?.ok_or_else(|| StoreError::Backend("invitation without survey".into()))?;
    let cal = settings.calendar();
    let response_facts = ResponseFacts {
        day: day_of(now, &cal),
        service_area_id: survey.service_area_id,
        rating: plan.lowest_rating.filter(|r| (1..=5).contains(r)),
        nps: plan.nps.filter(|n| *n <= 10),
        recovery: survey.purpose == SurveyPurpose::Recovery,
    };
    super::insight::response_recorded(c, response_facts, InvitationFacts::of(&invitation, &survey, &cal), invitation.customer_id, &cal).await?;
    let mut case_id = None;
    if let Some((mut case, events)) = plan.case {
        case.survey_response_id = Some(ResponseId(response_id));
        let opening = redress_core::case::Outcome { events, ..Default::default() };
        let case = insert_case(c, case, opening, None, settings).await?;
        case_id = Some(case.id);
    }
    if let Some((case, event)) = plan.recovery {
        save_case(c, &case, settings).await?;
        insert_events(c, case.id, &[event]).await?;
    }
    insert_notification(c, case_id, &plan.acknowledgement, now).await?;
    if let Some(r) = &plan.reward {
        insert_reward(c, invitation.customer_id, r, None, Some(response_id), now).await?;
    }
    let receipt = Receipt {
        response_id: ResponseId(response_id),
        thank_you: plan.thank_you,
        next: plan.next,
        reward_points: plan.reward.map_or(0, |r| r.points),
    };
    sqlx::query("UPDATE responses SET receipt = $1, case_id = $2 WHERE id = $3")
        .bind(to_json(&receipt)?)
        .bind(case_id.map(|c| c.0))
        .bind(response_id)
        .execute(&mut *c)
        .await
        .map_err(db_error)?;
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
