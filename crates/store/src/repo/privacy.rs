//! A customer's data: everything held about them read together (an
//! export), and their erasure — composed from each aggregate's statements
//! in one write transaction and recorded in `erasures`.

use super::*;
use redress_core::notification::{NotificationStatus, Recipient};
use redress_core::privacy::{erase_answers, erased_name, Erasure, ErasureReport, Redactor, CANCELLED_BY_ERASURE, ERASED};
use redress_core::store::{CaseRecord, CustomerData};
use redress_core::survey::{AnswerValue, Survey};
use redress_core::SurveyId;
use std::collections::BTreeMap;

pub(super) async fn load_erasure(c: &mut Conn, customer: CustomerId) -> StoreResult<Option<Erasure>> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT erased_by, erased_at FROM erasures WHERE customer_id = $1").bind(customer.0).fetch_optional(&mut *c).await.map_err(db_error)?;
    row.map(|(by, at)| Ok(Erasure { customer_id: customer, erased_by: UserId(by), erased_at: ts(at)? })).transpose()
}

pub(super) async fn erasure(pool: &Pool, customer: CustomerId) -> StoreResult<Option<Erasure>> {
    let mut c = pool.acquire().await.map_err(db_error)?;
    load_erasure(&mut c, customer).await
}

/// The surveys named by `ids`, by id.
async fn surveys_by_id(c: &mut Conn, ids: Vec<SurveyId>) -> StoreResult<BTreeMap<SurveyId, Survey>> {
    let mut found = BTreeMap::new();
    for id in ids {
        if let std::collections::btree_map::Entry::Vacant(slot) = found.entry(id) {
            if let Some(s) = surveys::load_survey(c, id).await? {
                slot.insert(s);
            }
        }
    }
    Ok(found)
}

/// Everything held about `id`, or `None` for an unknown customer.
pub(super) async fn customer_data(pool: &Pool, id: CustomerId) -> StoreResult<Option<CustomerData>> {
    let mut c = pool.acquire().await.map_err(db_error)?;
    let Some(customer) = people::load_customer(&mut *c, id).await? else { return Ok(None) };
    let erasure = load_erasure(&mut c, id).await?;
    let mut records = Vec::new();
    for case in cases::ids_of_customer(&mut c, id).await? {
        let Some(detail) = cases::detail_on(&mut c, case).await? else { continue };
        records.push(CaseRecord { detail, attachments: attachments::of_case(pool, case).await?, live_status_links: status_links::live_count(pool, case).await? });
    }
    let responses = surveys::responses_of_customer(&mut c, id).await?;
    let invitations = surveys::invitations_of_customer(&mut c, id).await?;
    let ids: Vec<SurveyId> = responses.iter().map(|r| r.survey_id).chain(invitations.iter().map(|i| i.survey_id)).collect();
    let surveys = surveys_by_id(&mut c, ids).await?;
    let rewards = people::rewards_on(&mut c, id).await?;
    let notifications = notifications::of_customer(&mut c, id).await?;
    Ok(Some(CustomerData { customer, erasure, cases: records, responses, surveys: surveys.into_values().collect(), invitations, rewards, notifications }))
}

/// Erases customer `id`'s personal data for good, by `admin`; see
/// [`redress_core::store::Store::erase_customer`].
pub(super) async fn erase(c: &mut Conn, id: CustomerId, admin: UserId, now: Timestamp) -> StoreResult<ErasureReport> {
    let customer = people::lock_customer(c, id).await?.ok_or_else(|| DomainError::not_found(format!("customer {id} does not exist")))?;
    if let Some(done) = load_erasure(c, id).await? {
        return Err(done.already().into());
    }
    people::require_user(c, "erased_by", admin).await?;

    // Everything that may be quoted elsewhere, gathered before anything changes.
    let mut redactor = Redactor::for_customer(&customer);
    let mut details = Vec::new();
    for case in cases::ids_of_customer(c, id).await? {
        let detail = cases::detail_on(c, case).await?.ok_or_else(|| StoreError::Backend(format!("case {case} went missing")))?;
        redactor.add_case(&detail.case);
        detail.communications.iter().for_each(|m| redactor.add(&m.body));
        attachments::names_of(c, case).await?.iter().for_each(|n| redactor.add(n));
        details.push(detail);
    }
    let mut responses = surveys::responses_of_customer(c, id).await?;
    let surveys = surveys_by_id(c, responses.iter().map(|r| r.survey_id).collect()).await?;
    let mut erased_answers = Vec::new();
    for r in &mut responses {
        let before = r.answers.clone();
        if erase_answers(surveys.get(&r.survey_id), &mut r.answers) {
            for (key, was) in before {
                if let (AnswerValue::Text(text), Some(AnswerValue::Text(after))) = (&was, r.answers.get(&key)) {
                    if after != text {
                        redactor.add(text);
                    }
                }
            }
            erased_answers.push(r.clone());
        }
    }

    let erasure = Erasure { customer_id: id, erased_by: admin, erased_at: now };
    let mut report = ErasureReport {
        erasure: erasure.clone(),
        cases: details.len(),
        events: 0,
        communications: 0,
        attachments_deleted: 0,
        responses: erased_answers.len(),
        notifications: 0,
        notifications_cancelled: 0,
        status_links_revoked: 0,
    };
    for detail in details {
        let case = detail.case.id;
        for e in &detail.timeline {
            let summary = redactor.scrub(&e.summary);
            let mut scrubbed = e.detail.clone();
            redactor.scrub_detail(&mut scrubbed);
            if summary != e.summary || scrubbed != e.detail {
                timeline::rewrite_event(c, e.id, &summary, &scrubbed).await?;
                report.events += 1;
            }
        }
        report.communications += timeline::erase_communications(c, case, ERASED).await? as usize;
        report.attachments_deleted += attachments::delete_of_case(c, case).await? as usize;
        report.status_links_revoked += status_links::revoke_all(c, case, now).await?;
        cases::remove_report_links(c, case).await?;
        let r = redactor.clone();
        cases::change_case(c, case, vec![], Box::new(move |held, _| Ok(held.erase_personal_data(&r, admin, now)))).await?;
        webhooks::scrub_deliveries(c, case, &redactor).await?;
    }
    for r in &erased_answers {
        surveys::set_answers(c, r.id, &r.answers).await?;
    }
    for mut n in notifications::of_customer(c, id).await? {
        let before = n.clone();
        let to_customer = n.recipient == Recipient::Customer(id);
        n.subject = redactor.scrub(&n.subject);
        n.last_error = n.last_error.as_deref().map(|e| redactor.scrub(e));
        if to_customer {
            n.address = None;
            n.body = ERASED.to_string();
            if n.status == NotificationStatus::Pending {
                n.status = NotificationStatus::Cancelled;
                n.last_error = Some(CANCELLED_BY_ERASURE.to_string());
                jobs::end_deliveries(c, n.id, CANCELLED_BY_ERASURE, now).await?;
                report.notifications_cancelled += 1;
            }
        } else if n.status == NotificationStatus::Pending {
            // Still to reach staff: it keeps its sense, without the quotations.
            n.body = redactor.scrub(&n.body);
        } else {
            n.body = ERASED.to_string();
        }
        if n != before {
            notifications::rewrite(c, &n).await?;
            report.notifications += 1;
        }
    }
    surveys::expire_unused_invitations(c, id, now).await?;
    people::anonymise_customer(c, id, &erased_name(id)).await?;
    sqlx::query("INSERT INTO erasures (customer_id, erased_by, erased_at) VALUES ($1, $2, $3)")
        .bind(id.0)
        .bind(admin.0)
        .bind(micros(now))
        .execute(&mut *c)
        .await
        .map_err(db_error)?;
    Ok(report)
}
