//! The [`Store`] for this backend. Each method opens a read on the pool or
//! a write (a transaction; on SQLite a part of the next group commit)
//! and hands it to the aggregate's module, which holds the SQL.

use super::*;
use redress_core::audit::{ChangedBy, NOTHING};
use redress_core::case::{Attachment, Case, CaseContext, Outcome, Status};
use redress_core::customer::{Customer, NewCustomer};
use redress_core::jobs::{Job, JobRecord, JobStatus};
use redress_core::notification::Notification;
use redress_core::privacy::{Erasure, ErasureReport};
use redress_core::category::{Category, NewCategory};
use redress_core::insight::MetricsQuery;
use redress_core::problem::{NewProblem, Problem, ProblemEvent, ProblemStatus};
use redress_core::service_area::{NewServiceArea, ServiceArea};
use redress_core::settings::OrgSettings;
use redress_core::store::{
    CaseDetail, CaseFilter, CaseMutation, CustomerData, FinishedJob, LinkedCase, NotificationFilter, PendingDelivery, ProblemMutation,
    RewardEntry, Store, Submission, Submitted, TimeRange,
};
use redress_core::survey::{Invitation, NewInvitation, NewSurvey, Response, Survey};
use redress_core::terms::Reward;
use redress_core::user::{ApiToken, NewUser, User, UserChange};
use redress_core::webhook::{NewWebhook, Webhook, WebhookDelivery};
use redress_core::store::{RebuildReport, RollupRows};
use redress_core::{CategoryId, NotificationId, ProblemId, ResponseId, ServiceAreaId, SurveyId};

impl This {
    /// The directory at `version`: the one kept, else read afresh on a
    /// pooled connection.
    async fn directory_at(&self, version: i64) -> StoreResult<std::sync::Arc<directory::Directory>> {
        if let Some(d) = self.directory.kept(version) {
            return Ok(d);
        }
        let mut c = self.reads.acquire().await.map_err(db_error)?;
        self.directory.at(&mut c, version).await
    }
}

/// What a submission's code was found to be, read before judging.
enum Found {
    /// An invitation still to be answered, with the directory version and
    /// its customer.
    Open(Invitation, i64, Customer),
    /// Answered before with the same `Idempotency-Key`: its first answer.
    Replayed(Submitted),
    /// Of a recovery survey, judged inside its write.
    Recovery,
}

#[async_trait::async_trait]
impl Store for This {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reads).await.map_err(db_error)?;
        Ok(())
    }

    // ---- settings and service areas ----

    async fn settings(&self) -> StoreResult<OrgSettings> {
        let mut c = self.reads.acquire().await.map_err(db_error)?;
        settings::load_settings(&mut c).await
    }

    async fn put_settings(&self, s: OrgSettings, by: ChangedBy) -> StoreResult<OrgSettings> {
        self.write(move |c| {
            Box::pin(async move {
                let before = settings::write_settings(c, &s).await?;
                let saved = s;
                // The follow-up rules apart from the rest, as an admin thinks of them.
                if before.follow_up_rules != saved.follow_up_rules {
                    let entry = by.entry("follow_up_rules.changed", "follow-up rules", Some(&before.follow_up_rules), Some(&saved.follow_up_rules));
                    audit::record(c, &entry).await?;
                }
                let (mut was, mut is) = (before, saved.clone());
                was.follow_up_rules = Default::default();
                is.follow_up_rules = Default::default();
                if was != is {
                    audit::record(c, &by.entry("settings.changed", "settings", Some(&was), Some(&is))).await?;
                }
                Ok(saved)
            })
        })
        .await
    }

    async fn create_service_area(&self, area: NewServiceArea, by: ChangedBy) -> StoreResult<ServiceArea> {
        self.write(move |c| {
            Box::pin(async move {
                let area = settings::insert_area(c, area, by.at).await?;
                audit::record(c, &by.entry("service_area.created", format!("service area {}", area.id.0), NOTHING, Some(&area))).await?;
                Ok(area)
            })
        })
        .await
    }

    async fn update_service_area(&self, id: ServiceAreaId, area: NewServiceArea, by: ChangedBy) -> StoreResult<ServiceArea> {
        self.write(move |c| {
            Box::pin(async move {
                let before = settings::load_area(c, id).await?;
                let area = settings::update_area(c, id, area).await?;
                audit::record(c, &by.entry("service_area.changed", format!("service area {}", id.0), before.as_ref(), Some(&area))).await?;
                Ok(area)
            })
        })
        .await
    }

    async fn service_area(&self, id: ServiceAreaId) -> StoreResult<Option<ServiceArea>> {
        let mut c = self.reads.acquire().await.map_err(db_error)?;
        settings::load_area(&mut c, id).await
    }

    async fn service_areas(&self) -> StoreResult<Vec<ServiceArea>> {
        settings::service_areas(&self.reads).await
    }

    // ---- people ----

    async fn create_user(&self, user: NewUser, by: ChangedBy) -> StoreResult<User> {
        self.write(move |c| {
            Box::pin(async move {
                let user = people::insert_user(c, user, by.at).await?;
                audit::record(c, &by.entry("user.created", format!("user {}", user.id), NOTHING, Some(&user))).await?;
                Ok(user)
            })
        })
        .await
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        let mut c = self.reads.acquire().await.map_err(db_error)?;
        people::load_user(&mut c, id).await
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        people::users(&self.reads).await
    }

    async fn add_token(&self, user: UserId, token_sha256: String, label: Option<String>, by: ChangedBy) -> StoreResult<i64> {
        self.write(move |c| {
            Box::pin(async move {
                let token_id = people::insert_token(c, user, token_sha256, label.clone(), by.at).await?;
                let after = serde_json::json!({ "token_id": token_id, "label": label });
                audit::record(c, &by.entry("token.issued", format!("user {}", user.0), NOTHING, Some(&after))).await?;
                Ok(token_id)
            })
        })
        .await
    }

    async fn user_by_token(&self, token_sha256: &str) -> StoreResult<Option<User>> {
        people::user_by_token(&self.reads, token_sha256).await
    }

    async fn update_user(&self, id: UserId, change: UserChange, by: ChangedBy) -> StoreResult<User> {
        self.write(move |c| {
            Box::pin(async move {
                let before = people::load_user(c, id).await?;
                let user = people::update_user(c, id, change).await?;
                audit::record(c, &by.entry("user.changed", format!("user {}", id.0), before.as_ref(), Some(&user))).await?;
                Ok(user)
            })
        })
        .await
    }

    async fn api_tokens(&self, user: UserId) -> StoreResult<Vec<ApiToken>> {
        people::api_tokens(&self.reads, user).await
    }

    async fn revoke_token(&self, user: UserId, token_id: i64, by: ChangedBy) -> StoreResult<bool> {
        self.write(move |c| {
            Box::pin(async move {
                let revoked = people::revoke_token(c, user, token_id).await?;
                if revoked {
                    let before = serde_json::json!({ "token_id": token_id });
                    audit::record(c, &by.entry("token.revoked", format!("user {}", user.0), Some(&before), NOTHING)).await?;
                }
                Ok(revoked)
            })
        })
        .await
    }

    async fn user_for_login(&self, email: &str) -> StoreResult<Option<(User, Option<String>)>> {
        people::user_for_login(&self.reads, email).await
    }

    async fn set_password(&self, user: UserId, password_hash: String, by: ChangedBy) -> StoreResult<()> {
        self.write(move |c| {
            Box::pin(async move {
                people::set_password(c, user, password_hash).await?;
                audit::record(c, &by.entry("user.password_set", format!("user {}", user.0), NOTHING, NOTHING)).await
            })
        })
        .await
    }

    async fn create_session(&self, token_sha256: String, user: UserId, expires_at: Timestamp, now: Timestamp) -> StoreResult<()> {
        self.write(move |c| Box::pin(people::insert_session(c, token_sha256, user, expires_at, now))).await
    }

    async fn user_by_session(&self, token_sha256: &str, now: Timestamp, idle_since: Timestamp) -> StoreResult<Option<(User, Timestamp)>> {
        people::user_by_session(&self.reads, token_sha256, now, idle_since).await
    }

    async fn touch_session(&self, token_sha256: &str, now: Timestamp) -> StoreResult<()> {
        let digest = token_sha256.to_string();
        self.write(move |c| Box::pin(people::touch_session(c, digest, now))).await
    }

    async fn delete_session(&self, token_sha256: &str) -> StoreResult<()> {
        let digest = token_sha256.to_string();
        self.write(move |c| Box::pin(people::delete_session(c, digest))).await
    }

    async fn create_customer(&self, customer: NewCustomer, now: Timestamp) -> StoreResult<Customer> {
        self.write(move |c| Box::pin(people::insert_customer(c, customer, now))).await
    }

    async fn customer(&self, id: CustomerId) -> StoreResult<Option<Customer>> {
        self.read_direct(move |r| Box::pin(people::load_customer(r, id))).await
    }

    async fn customer_with_settings(&self, id: CustomerId) -> StoreResult<Option<(Customer, OrgSettings)>> {
        let Some((customer, version)) = self.read_direct(move |r| Box::pin(people::load_customer_at(r, id))).await? else { return Ok(None) };
        let directory = self.directory_at(version).await?;
        Ok(Some((customer, directory.settings().clone())))
    }

    async fn customer_by_email(&self, email: &str) -> StoreResult<Option<Customer>> {
        people::customer_by_email(&self.reads, email).await
    }

    async fn customers(&self, before_id: Option<CustomerId>, limit: u32) -> StoreResult<Vec<Customer>> {
        people::customers(&self.reads, before_id, limit).await
    }

    async fn rewards(&self, customer: CustomerId) -> StoreResult<Vec<RewardEntry>> {
        people::rewards(&self.reads, customer).await
    }

    // ---- problems ----

    async fn create_problem(&self, problem: NewProblem, cases: Vec<CaseId>, actor: User, now: Timestamp) -> StoreResult<Problem> {
        let id = self.write(move |c| Box::pin(async move { problems::create_with_cases(c, problem, cases, actor, now).await.map(|p| p.id) })).await?;
        self.problem(id).await?.ok_or_else(|| StoreError::Backend(format!("problem {id} went missing")))
    }

    async fn problem(&self, id: ProblemId) -> StoreResult<Option<Problem>> {
        problems::problem(&self.reads, id).await
    }

    async fn problems(&self, status: Option<ProblemStatus>) -> StoreResult<Vec<Problem>> {
        problems::problems(&self.reads, status).await
    }

    async fn problem_records(&self) -> StoreResult<Vec<Problem>> {
        problems::records(&self.reads).await
    }

    async fn update_problem(&self, id: ProblemId, users: Vec<UserId>, change: ProblemMutation) -> StoreResult<Problem> {
        self.write(move |c| Box::pin(problems::change_problem(c, id, users, change))).await?;
        self.problem(id).await?.ok_or_else(|| StoreError::Backend(format!("problem {id} went missing")))
    }

    async fn link_cases(&self, id: ProblemId, cases: Vec<CaseId>, actor: User, now: Timestamp) -> StoreResult<Problem> {
        self.write(move |c| Box::pin(problems::link_cases(c, id, cases, actor, now))).await?;
        self.problem(id).await?.ok_or_else(|| StoreError::Backend(format!("problem {id} went missing")))
    }

    async fn problem_history(&self, id: ProblemId) -> StoreResult<Vec<ProblemEvent>> {
        problems::history(&self.reads, id).await
    }

    async fn linked_cases(&self, id: ProblemId, limit: u32) -> StoreResult<Vec<LinkedCase>> {
        problems::linked_cases(&self.reads, id, limit).await
    }

    // ---- cases ----

    async fn create_case(&self, case: Case, opening: Outcome, reward: Option<Reward>, settings: &OrgSettings) -> StoreResult<Case> {
        let settings = settings.clone();
        if cases::writes_directly(&opening) {
            // Queued to the batch writer where there is one; what it leaves
            // out is written alone (a direct write is any write on PostgreSQL).
            let (case, opening, reward, settings) = match self.batches() {
                Some(batches) => match batches.case(batch::NewCase { case, opening, reward, settings }).await {
                    Ok(written) => return written,
                    Err(batch::NewCase { case, opening, reward, settings }) => (case, opening, reward, settings),
                },
                None => (case, opening, reward, settings),
            };
            // Run again should its batch be (see `write_direct`): from its own copies each time.
            let settings = std::sync::Arc::new(settings);
            self.write_direct(move |c| {
                let (case, opening, reward, settings) = (case.clone(), opening.clone(), reward.clone(), settings.clone());
                Box::pin(async move { cases::insert_case(c, case, opening, reward, &settings).await })
            })
            .await
        } else {
            self.write(move |c| Box::pin(async move { cases::insert_case(c, case, opening, reward, &settings).await })).await
        }
    }

    async fn update_case(&self, id: CaseId, users: Vec<UserId>, change: CaseMutation) -> StoreResult<Case> {
        self.write(move |c| Box::pin(cases::change_case(c, id, users, change))).await
    }

    async fn case(&self, id: CaseId) -> StoreResult<Option<Case>> {
        cases::case(&self.reads, id).await
    }

    async fn case_with_context(&self, id: CaseId) -> StoreResult<Option<(Case, CaseContext)>> {
        cases::case_with_context(&self.reads, id).await
    }

    async fn case_detail(&self, id: CaseId) -> StoreResult<Option<CaseDetail>> {
        cases::case_detail(&self.reads, id).await
    }

    async fn cases(&self, f: &CaseFilter) -> StoreResult<Vec<Case>> {
        case_search::search(&self.reads, f).await
    }

    async fn count_cases(&self, f: &CaseFilter, at_most: i64) -> StoreResult<i64> {
        case_search::count(&self.reads, f, at_most).await
    }

    async fn customer_names(&self, ids: &[CustomerId]) -> StoreResult<std::collections::HashMap<CustomerId, String>> {
        people::customer_names(&self.reads, ids).await
    }

    async fn last_changes(&self, ids: &[CaseId]) -> StoreResult<std::collections::HashMap<CaseId, Timestamp>> {
        timeline::last_changes(&self.reads, ids).await
    }

    async fn cases_page(&self, range: TimeRange, after: Option<CaseId>, limit: u32) -> StoreResult<Vec<Case>> {
        export::cases_page(&self.reads, range, after, limit).await
    }

    async fn count_cases_in(&self, range: TimeRange) -> StoreResult<i64> {
        export::count_cases(&self.reads, range).await
    }

    async fn cases_for_target_check(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<CaseId>> {
        cases::due_for_target_check(&self.reads, now, limit).await
    }

    async fn case_counts_by_status(&self) -> StoreResult<Vec<(Status, i64)>> {
        cases::counts_by_status(&self.reads).await
    }

    async fn report_by_token(&self, token_digest: &str) -> StoreResult<Option<(Case, u32)>> {
        cases::report_by_token(&self.reads, token_digest).await
    }

    async fn add_status_links(&self, links: Vec<(CaseId, String)>, now: Timestamp) -> StoreResult<()> {
        self.write(move |c| Box::pin(async move { status_links::insert_many(c, &links, now).await })).await
    }

    async fn audit_log(&self, before: Option<i64>, limit: u32) -> StoreResult<Vec<redress_core::audit::AuditEntry>> {
        audit::list(&self.reads, before, limit).await
    }

    async fn guess_failures(&self, limiter: &str, client: &str, since: Timestamp) -> StoreResult<(u32, Option<Timestamp>)> {
        let (limiter, client) = (limiter.to_string(), client.to_string());
        self.read_direct(move |r| Box::pin(async move { guesses::recent(r, &limiter, &client, since).await })).await
    }

    async fn record_guess_failure(&self, limiter: &str, client: &str, at: Timestamp, forget_before: Timestamp) -> StoreResult<()> {
        let (limiter, client) = (limiter.to_string(), client.to_string());
        self.write(move |c| Box::pin(async move { guesses::record(c, &limiter, &client, at, forget_before).await })).await
    }

    async fn status_link_case(&self, token_digest: &str) -> StoreResult<Option<CaseId>> {
        status_links::case_of(&self.reads, token_digest).await
    }

    async fn status_link_count(&self, case: CaseId) -> StoreResult<i64> {
        status_links::live_count(&self.reads, case).await
    }

    async fn attachments(&self, case: CaseId) -> StoreResult<Vec<Attachment>> {
        attachments::of_case(&self.reads, case).await
    }

    async fn attachment(&self, id: i64) -> StoreResult<Option<(Attachment, Vec<u8>)>> {
        attachments::get(&self.reads, id).await
    }

    // ---- notifications and jobs ----

    async fn notifications(&self, f: &NotificationFilter) -> StoreResult<Vec<Notification>> {
        notifications::list(&self.reads, f).await
    }

    async fn notification(&self, id: NotificationId) -> StoreResult<Option<Notification>> {
        notifications::get(&self.reads, id).await
    }

    async fn retry_notification(&self, id: NotificationId, now: Timestamp) -> StoreResult<Notification> {
        self.write(move |c| Box::pin(notifications::retry(c, id, now))).await
    }

    async fn claim_jobs(&self, kind: &str, now: Timestamp, lease: jiff::SignedDuration, limit: u32) -> StoreResult<Vec<Job>> {
        let kind = kind.to_string();
        self.write(move |c| Box::pin(async move { jobs::claim(c, &kind, now, lease, limit).await })).await
    }

    async fn next_job_at(&self, kind: &str) -> StoreResult<Option<Timestamp>> {
        jobs::next_at(&self.reads, kind).await
    }

    async fn finish_jobs(&self, finished: Vec<FinishedJob>) -> StoreResult<()> {
        self.write(move |c| Box::pin(async move { jobs::finish_all(c, &finished).await })).await
    }

    async fn jobs(&self, status: Option<JobStatus>, limit: u32) -> StoreResult<Vec<JobRecord>> {
        jobs::list(&self.reads, status, limit).await
    }

    // ---- webhooks ----

    async fn create_webhook(&self, hook: NewWebhook, by: ChangedBy) -> StoreResult<Webhook> {
        self.write(move |c| {
            Box::pin(async move {
                let webhook = webhooks::insert(c, hook, by.at).await?;
                audit::record(c, &by.entry("webhook.created", format!("webhook {}", webhook.id), NOTHING, Some(&webhook))).await?;
                Ok(webhook)
            })
        })
        .await
    }

    async fn webhooks(&self) -> StoreResult<Vec<Webhook>> {
        webhooks::all(&self.reads).await
    }

    async fn webhook_deliveries(&self, webhook: i64, limit: u32) -> StoreResult<Vec<WebhookDelivery>> {
        webhooks::deliveries(&self.reads, webhook, limit).await
    }

    async fn webhook_delivery(&self, id: i64) -> StoreResult<Option<PendingDelivery>> {
        webhooks::pending(&self.reads, id).await
    }

    // ---- surveys ----

    async fn create_survey(&self, survey: NewSurvey, now: Timestamp) -> StoreResult<Survey> {
        self.write(move |c| Box::pin(surveys::insert_survey(c, survey, now))).await
    }

    async fn survey(&self, id: SurveyId) -> StoreResult<Option<Survey>> {
        let mut c = self.reads.acquire().await.map_err(db_error)?;
        surveys::load_survey(&mut c, id).await
    }

    async fn surveys(&self) -> StoreResult<Vec<Survey>> {
        surveys::all(&self.reads).await
    }

    async fn create_invitations(&self, survey: SurveyId, invitations: Vec<NewInvitation>, now: Timestamp) -> StoreResult<Vec<Invitation>> {
        self.write(move |c| {
            Box::pin(async move {
                surveys::load_survey(c, survey).await?.ok_or_else(|| DomainError::not_found(format!("survey {survey} does not exist")))?;
                surveys::require_customers(c, &invitations).await?;
                surveys::insert_invitations(c, survey, &invitations, now).await
            })
        })
        .await
    }

    async fn invitation_by_code(&self, code_digest: &str) -> StoreResult<Option<(Invitation, Survey)>> {
        let mut c = self.reads.acquire().await.map_err(db_error)?;
        let Some(inv) = surveys::load_invitation(&mut c, code_digest, false).await? else { return Ok(None) };
        let survey = surveys::load_survey(&mut c, inv.survey_id).await?.ok_or_else(|| StoreError::Backend("invitation without survey".into()))?;
        Ok(Some((inv, survey)))
    }

    /// Reads and judges on the read pool, so the single SQLite writer only
    /// marks the code used and writes the result; the directory judged
    /// against comes from this process's cache while its version holds,
    /// and the write checks that version again. Recovery surveys, which
    /// change a case, are judged inside the write transaction.
    async fn submit_response(&self, submission: Submission) -> StoreResult<Submitted> {
        let (digest, key) = (submission.code_digest.clone(), submission.idempotency_key.clone());
        let found = self
            .read_direct(move |r| {
                Box::pin(async move {
                    let Some((invitation, version, customer)) = surveys::load_invitation_with_customer(r, &digest).await? else { return Err(DomainError::AccessRefused.into()) };
                    if invitation.case_id.is_some() {
                        return Ok(Found::Recovery);
                    }
                    if let Some(key) = &key {
                        if let Some(done) = surveys::replay(r, key, invitation.id).await? {
                            return Ok(Found::Replayed(done));
                        }
                    }
                    Ok(Found::Open(invitation, version, customer))
                })
            })
            .await?;
        let (invitation, version, customer) = match found {
            Found::Open(invitation, version, customer) => (invitation, version, customer),
            Found::Replayed(done) => return Ok(done),
            Found::Recovery => return self.write(move |c| Box::pin(surveys::submit(c, submission))).await,
        };
        let directory = self.directory_at(version).await?;
        let ctx = directory.context(invitation.clone(), customer, None)?;
        let plan = (submission.judge)(&ctx)?;
        let (survey, settings, version) = (ctx.survey, ctx.settings, directory.version());
        let (recorded, submission) = if plan.recovery.is_none() {
            // As a new case: batched where there is a batch writer, else (or
            // left out of its batch) written alone.
            let (invitation, plan, survey, settings, submission) = match self.batches() {
                Some(batches) => match batches.response(batch::NewResponse { invitation, plan, survey, settings, version, submission }).await {
                    Ok(written) => return written,
                    Err(batch::NewResponse { invitation, plan, survey, settings, submission, .. }) => (invitation, plan, survey, settings, submission),
                },
                None => (invitation, plan, survey, settings, submission),
            };
            let (key, survey, settings) = (submission.idempotency_key.clone(), std::sync::Arc::new(survey), std::sync::Arc::new(settings));
            // Run again should its batch be (see `write_direct`): from its own copies each time.
            let recorded = self
                .write_direct(move |c| {
                    let (invitation, plan, survey, settings, key) = (invitation.clone(), plan.clone(), survey.clone(), settings.clone(), key.clone());
                    Box::pin(async move { surveys::record_at(c, invitation, plan, &survey, &settings, version, key).await })
                })
                .await;
            (recorded, submission)
        } else {
            let key = submission.idempotency_key.clone();
            (self.write(move |c| Box::pin(async move { surveys::record_at(c, invitation, plan, &survey, &settings, version, key).await })).await, submission)
        };
        match recorded? {
            Some(done) => Ok(done),
            // The directory moved on since the judging: judged again, and
            // written, inside a write of its own.
            None => self.write(move |c| Box::pin(surveys::submit(c, submission))).await,
        }
    }

    async fn response(&self, id: ResponseId) -> StoreResult<Option<Response>> {
        surveys::response(&self.reads, id).await
    }

    async fn responses(&self, survey: Option<SurveyId>, before: Option<ResponseId>, limit: u32) -> StoreResult<Vec<Response>> {
        surveys::responses(&self.reads, survey, before, limit).await
    }

    async fn responses_page(&self, range: TimeRange, after: Option<ResponseId>, limit: u32) -> StoreResult<Vec<Response>> {
        export::responses_page(&self.reads, range, after, limit).await
    }

    async fn count_responses_in(&self, range: TimeRange) -> StoreResult<i64> {
        export::count_responses(&self.reads, range).await
    }

    async fn responses_of(&self, customer: CustomerId, limit: u32) -> StoreResult<Vec<Response>> {
        surveys::responses_of(&self.reads, customer, limit).await
    }

    // ---- a customer's data ----

    async fn customer_data(&self, customer: CustomerId) -> StoreResult<Option<CustomerData>> {
        privacy::customer_data(&self.reads, customer).await
    }

    async fn erasure(&self, customer: CustomerId) -> StoreResult<Option<Erasure>> {
        privacy::erasure(&self.reads, customer).await
    }

    async fn erase_customer(&self, customer: CustomerId, by: ChangedBy) -> StoreResult<ErasureReport> {
        let admin = by.actor.ok_or_else(|| DomainError::invalid("an erasure is made by a named admin"))?;
        self.write(move |c| {
            Box::pin(async move {
                let report = privacy::erase(c, customer, admin, by.at).await?;
                // What was erased is not repeated here: only that it was, and how much.
                audit::record(c, &by.entry("customer.erased", format!("customer {}", customer.0), NOTHING, Some(&report))).await?;
                Ok(report)
            })
        })
        .await
    }

    async fn create_category(&self, category: NewCategory, by: ChangedBy) -> StoreResult<Category> {
        self.write(move |c| {
            Box::pin(async move {
                let category = categories::insert(c, category, by.at).await?;
                audit::record(c, &by.entry("category.created", format!("category {}", category.id.0), NOTHING, Some(&category))).await?;
                Ok(category)
            })
        })
        .await
    }

    async fn update_category(&self, id: CategoryId, category: NewCategory, by: ChangedBy) -> StoreResult<Category> {
        self.write(move |c| {
            Box::pin(async move {
                let before = categories::load(c, id).await?;
                let after = categories::update(c, id, category).await?;
                audit::record(c, &by.entry("category.changed", format!("category {}", id.0), before.as_ref(), Some(&after))).await?;
                Ok(after)
            })
        })
        .await
    }

    async fn categories(&self) -> StoreResult<Vec<Category>> {
        categories::all(&self.reads).await
    }

    async fn rollups(&self, query: &MetricsQuery) -> StoreResult<RollupRows> {
        if insight::rebuild_needed(&self.reads).await? {
            self.write(|c| Box::pin(insight::rebuild(c, true))).await?;
        }
        insight::rows(&self.reads, query).await
    }

    async fn compact_rollups(&self, limit: u32) -> StoreResult<usize> {
        self.write(move |c| Box::pin(insight::compact(c, i64::from(limit)))).await
    }

    async fn rebuild_rollups(&self) -> StoreResult<RebuildReport> {
        let report = self.write(|c| Box::pin(insight::rebuild(c, false))).await?;
        Ok(report.unwrap_or_default())
    }
}
