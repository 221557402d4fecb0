//! The persistence contract. Implementations (SQLite, PostgreSQL) live in
//! `redress-store`; this crate only says what must be kept and how atomically.

use crate::audit::ChangedBy;
use crate::case::{Case, CaseContext, Channel, Communication, Outcome, Status};
use crate::customer::{Customer, NewCustomer};
use crate::notification::{Notification, NotificationKind, NotificationStatus};
use crate::privacy::{Erasure, ErasureReport};
use crate::problem::{NewProblem, Problem, ProblemContext, ProblemEvent, ProblemStatus};
use crate::service_area::{NewServiceArea, ServiceArea};
use crate::settings::OrgSettings;
use crate::timeline::TimelineEvent;
use crate::user::{NewUser, User};
use crate::feedback::{ResponseContext, ResponsePlan};
use crate::terms::Reward;
use crate::jobs::{Job, JobOutcome, JobRecord, JobStatus};
use crate::survey::{Invitation, NewInvitation, NewSurvey, Receipt, Response, Survey};
use crate::{CaseId, CustomerId, DomainError, ProblemId, ResponseId, ServiceAreaId, SurveyId, UserId};
use jiff::Timestamp;

#[derive(Clone, Debug, thiserror::Error)]
pub enum StoreError {
    /// A rule of the domain refused the change; nothing was written.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The database cannot be reached for now (restarting, connection
    /// lost); nothing was written, and the same request may succeed later.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The database's disk is full; nothing was written. Reads go on.
    #[error("the database's disk is full: {0}")]
    Full(String),
    /// The database itself failed. Details are logged, not shown to users.
    #[error("storage failure: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A change to one case, applied to its current state inside the write
/// transaction. Returning an error leaves the case and everything else as it was.
pub type CaseMutation = Box<dyn FnOnce(&mut Case, &CaseContext) -> Result<Outcome, DomainError> + Send>;

/// A change to one problem, applied to its current state inside the write
/// transaction; answers the history entries it makes. Returning an error
/// leaves the problem as it was.
pub type ProblemMutation = Box<dyn FnOnce(&mut Problem, &ProblemContext) -> Result<Vec<crate::timeline::NewEvent>, DomainError> + Send>;

/// A case linked to a problem, as the problem's record lists it: read from
/// the case's columns, not its full state.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct LinkedCase {
    pub id: CaseId,
    /// "RD-42".
    pub reference: String,
    pub summary: String,
    pub status: Status,
    pub owner_id: UserId,
    /// Its agreed remedies, summed.
    pub remedies: crate::Money,
    /// Its gifts' costs, summed.
    pub gifts: crate::Money,
}

/// Judges a survey submission against its context; see [`crate::feedback::respond`].
/// It may be asked twice: again inside the write, when what it was judged
/// against changed meanwhile.
pub type ResponseJudge = Box<dyn Fn(&ResponseContext) -> Result<ResponsePlan, DomainError> + Send + Sync>;

/// A submission as it arrives: the digest of its access code, the key that
/// makes retries safe, and the judge that decides what it means.
pub struct Submission {
    pub code_digest: String,
    pub idempotency_key: Option<String>,
    pub judge: ResponseJudge,
}

/// The answer to a submission; `replayed` when an `Idempotency-Key` repeated.
#[derive(Clone, Debug)]
pub struct Submitted {
    pub receipt: Receipt,
    pub replayed: bool,
}

/// One entry of a customer's rewards ledger.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RewardEntry {
    pub id: i64,
    pub points: i64,
    /// `survey_response` or `fast_report`.
    pub reason: String,
    pub case_id: Option<CaseId>,
    pub response_id: Option<ResponseId>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// A webhook delivery ready to attempt.
#[derive(Clone, Debug)]
pub struct PendingDelivery {
    pub delivery: crate::webhook::WebhookDelivery,
    pub payload: String,
    pub url: String,
    pub secret: String,
    pub active: bool,
}

/// A webhook delivery after an attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryUpdate {
    pub id: i64,
    /// `pending`, `delivered` or `failed`.
    pub status: &'static str,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub delivered_at: Option<Timestamp>,
}

/// A notification's state after a delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationUpdate {
    pub id: crate::NotificationId,
    /// The case the message is about: its timeline records the outcome.
    pub case_id: Option<CaseId>,
    pub kind: crate::notification::NotificationKind,
    pub address: Option<String>,
    pub status: NotificationStatus,
    pub sent_at: Option<Timestamp>,
    pub error: Option<String>,
    /// The text as sent, when it was written afresh at send time.
    pub body: Option<String>,
}

/// What a job's attempt changed besides the job itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempted {
    Nothing,
    Notification(NotificationUpdate),
    Webhook(DeliveryUpdate),
}

/// A job's attempt, to be recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinishedJob {
    pub job: i64,
    pub outcome: JobOutcome,
    pub attempted: Attempted,
    pub at: Timestamp,
}

/// The order of a case list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CaseSort {
    #[default]
    Newest,
    Oldest,
    /// Earliest unmet due time first; cases with none last.
    DueSoonest,
    /// Best text match of `q` first (newest first without `q`).
    Relevance,
}

/// Which cases to list. Every field narrows the result.
#[derive(Clone, Debug, Default)]
pub struct CaseFilter {
    pub status: Option<Status>,
    pub owner_id: Option<UserId>,
    pub customer_id: Option<CustomerId>,
    pub created_by: Option<UserId>,
    pub channel: Option<Channel>,
    pub service_area_id: Option<ServiceAreaId>,
    pub category_id: Option<crate::CategoryId>,
    /// Cases reported in `[from, to)`: the cases behind a figure.
    pub reported_from: Option<Timestamp>,
    pub reported_to: Option<Timestamp>,
    pub significant: Option<bool>,
    pub flagged: Option<bool>,
    /// Open cases with a first response, update or resolution due before this instant.
    pub due_before: Option<Timestamp>,
    /// Open cases whose earliest unmet due time ([`Case::next_due`]) has passed by then.
    pub overdue_at: Option<Timestamp>,
    /// Words matched against summary, description and the customer's name, or a reference.
    pub q: Option<String>,
    /// `true`: not closed; `false`: closed.
    pub open: Option<bool>,
    /// Cases linked to this problem by their preventive action.
    pub problem_id: Option<crate::ProblemId>,
    /// Cases someone else owns.
    pub not_owner_id: Option<UserId>,
    /// Cases whose escalated action this user may decide: its value within
    /// the mandate given, proposed by someone else.
    pub approvable_by: Option<(UserId, crate::Money)>,
    /// Cases ready for the independent follow-up ([`Case::awaits_follow_up`]).
    pub awaits_follow_up: Option<bool>,
    /// Keyset pagination: only ids below this one (newest first).
    pub before_id: Option<CaseId>,
    pub sort: CaseSort,
    /// Rows to skip (pages of a list not sorted newest first).
    pub offset: u32,
    pub limit: u32,
}

/// A span of time from `from` (inclusive) to `to` (exclusive); an absent
/// end leaves that side open. What it selects is said where it is used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

impl TimeRange {
    /// Whether `t` falls in the span.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|to| t < to)
    }
}

#[derive(Clone, Debug, Default)]
pub struct NotificationFilter {
    pub case_id: Option<CaseId>,
    pub kind: Option<NotificationKind>,
    pub status: Option<NotificationStatus>,
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// A case with its debrief.
#[derive(Clone, Debug)]
pub struct CaseDetail {
    pub case: Case,
    pub timeline: Vec<TimelineEvent>,
    pub communications: Vec<Communication>,
}

/// One of a customer's cases with its debrief and files, for an export.
#[derive(Clone, Debug)]
pub struct CaseRecord {
    pub detail: CaseDetail,
    /// The files kept with the case, without their bytes.
    pub attachments: Vec<crate::case::Attachment>,
    /// Private status-page links that still work.
    pub live_status_links: i64,
}

/// Everything the store holds about one customer (GDPR article 15).
#[derive(Clone, Debug)]
pub struct CustomerData {
    pub customer: Customer,
    pub erasure: Option<Erasure>,
    /// Oldest first.
    pub cases: Vec<CaseRecord>,
    /// Oldest first, with their answers.
    pub responses: Vec<Response>,
    /// The surveys those responses and invitations belong to.
    pub surveys: Vec<Survey>,
    pub invitations: Vec<Invitation>,
    pub rewards: Vec<RewardEntry>,
    /// Messages to the customer and messages about their cases, oldest first.
    pub notifications: Vec<Notification>,
}

/// The rollup rows a metrics query needs ([`Store::rollups`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RollupRows {
    /// From [`MetricsQuery::first_day_needed`](crate::insight::MetricsQuery::first_day_needed)
    /// to `to`: per owner when the query names one, else summed over owners.
    /// Empty when the query has a [`SummaryPlan`](crate::insight::SummaryPlan).
    pub period: Vec<crate::insight::KeyedRollup>,
    /// The summaries the query's [`SummaryPlan`](crate::insight::SummaryPlan)
    /// reads for its period and channels, when it has one ...
    pub summaries: Vec<crate::insight::Summary>,
    /// ... and the case counts of its trend reads.
    pub trends: crate::insight::summary::TrendCounts,
    /// The [`RollupKey::of_day`](crate::insight::RollupKey::of_day) rows up to `to`, for loyalty.
    pub loyalty: Vec<crate::insight::KeyedRollup>,
}

/// What a rebuild of the rollups went through.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RebuildReport {
    pub cases: u64,
    pub responses: u64,
    pub invitations: u64,
    /// Customers with a loyalty contribution.
    pub customers: u64,
    /// Rollup rows written.
    pub rows: u64,
    /// Summary rows written.
    pub summaries: u64,
}

#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Cheap liveness probe of the database.
    async fn ping(&self) -> StoreResult<()>;

    async fn settings(&self) -> StoreResult<OrgSettings>;
    /// Replaces the organisation settings; `default_owner_id` must name staff.
    /// Recorded in the audit trail (the follow-up rules apart from the rest).
    async fn put_settings(&self, settings: OrgSettings, by: ChangedBy) -> StoreResult<OrgSettings>;

    /// Creates an account; `manager_id` must exist.
    async fn create_user(&self, user: NewUser, by: ChangedBy) -> StoreResult<User>;
    async fn user(&self, id: UserId) -> StoreResult<Option<User>>;
    async fn users(&self) -> StoreResult<Vec<User>>;
    /// Stores an API token's SHA-256 digest (never the token).
    async fn add_token(&self, user: UserId, token_sha256: String, label: Option<String>, by: ChangedBy) -> StoreResult<i64>;
    async fn user_by_token(&self, token_sha256: &str) -> StoreResult<Option<User>>;
    /// Changes an account; a new `manager_id` must name another existing
    /// account, an e-mail must be free. Deactivating ends its console sessions.
    async fn update_user(&self, id: UserId, change: crate::user::UserChange, by: ChangedBy) -> StoreResult<User>;
    async fn api_tokens(&self, user: UserId) -> StoreResult<Vec<crate::user::ApiToken>>;
    /// Revokes one of the user's tokens; `false` when it has no such token.
    async fn revoke_token(&self, user: UserId, token_id: i64, by: ChangedBy) -> StoreResult<bool>;
    /// The account with this e-mail (any case) and its password hash, if any.
    async fn user_for_login(&self, email: &str) -> StoreResult<Option<(User, Option<String>)>>;
    async fn set_password(&self, user: UserId, password_hash: String, by: ChangedBy) -> StoreResult<()>;
    /// Stores a console session by the digest of its cookie token.
    async fn create_session(&self, token_sha256: String, user: UserId, expires_at: Timestamp, now: Timestamp) -> StoreResult<()>;
    /// The signed-in user of a session that has not expired and has been
    /// used since `idle_since`, with when it was last used.
    async fn user_by_session(&self, token_sha256: &str, now: Timestamp, idle_since: Timestamp) -> StoreResult<Option<(User, Timestamp)>>;
    /// Records that a session was used at `now`.
    async fn touch_session(&self, token_sha256: &str, now: Timestamp) -> StoreResult<()>;
    async fn delete_session(&self, token_sha256: &str) -> StoreResult<()>;

    /// Creates a customer; `client_manager_id` must exist.
    async fn create_customer(&self, customer: NewCustomer, now: Timestamp) -> StoreResult<Customer>;
    async fn customer(&self, id: CustomerId) -> StoreResult<Option<Customer>>;
    /// A customer with the organisation's settings as they are now, for a
    /// case about to be opened: one statement while this process's cached
    /// directory is current.
    async fn customer_with_settings(&self, id: CustomerId) -> StoreResult<Option<(Customer, OrgSettings)>>;
    /// The oldest customer with this e-mail address (any case).
    async fn customer_by_email(&self, email: &str) -> StoreResult<Option<Customer>>;
    async fn customers(&self, before_id: Option<CustomerId>, limit: u32) -> StoreResult<Vec<Customer>>;

    /// Creates a service area; its service manager must exist.
    async fn create_service_area(&self, area: NewServiceArea, by: ChangedBy) -> StoreResult<ServiceArea>;
    /// Replaces an area's name, manager and targets; its cases keep the due
    /// times they have.
    async fn update_service_area(&self, id: ServiceAreaId, area: NewServiceArea, by: ChangedBy) -> StoreResult<ServiceArea>;
    async fn service_area(&self, id: ServiceAreaId) -> StoreResult<Option<ServiceArea>>;
    async fn service_areas(&self) -> StoreResult<Vec<ServiceArea>>;

    /// Records a problem (its first history entry too) and links `cases` to
    /// it as `actor` ([`Case::link_problem`](crate::case::Case::link_problem)),
    /// all in one transaction: an unknown or refused case stores nothing.
    async fn create_problem(&self, problem: NewProblem, cases: Vec<CaseId>, actor: User, now: Timestamp) -> StoreResult<Problem>;
    /// The problem with its figures ([`crate::problem::ProblemCost`]).
    async fn problem(&self, id: ProblemId) -> StoreResult<Option<Problem>>;
    /// Problems, newest first, with their figures; only those in `status`
    /// when given.
    async fn problems(&self, status: Option<ProblemStatus>) -> StoreResult<Vec<Problem>>;
    /// Every problem's record without its figures (`cost` and `case_count`
    /// left at zero), newest first: cheap, for choosing one.
    async fn problem_records(&self) -> StoreResult<Vec<Problem>>;
    /// Loads the problem and the accounts the change needs (its owner and
    /// `users`), applies `change` and writes the problem and its history
    /// entries in one transaction.
    async fn update_problem(&self, id: ProblemId, users: Vec<UserId>, change: ProblemMutation) -> StoreResult<Problem>;
    /// Links `cases` to the problem as `actor`, in one transaction: each
    /// case changes through [`Case::link_problem`](crate::case::Case::link_problem)
    /// (its timeline records the link) and the problem's history gets one
    /// entry naming the cases newly linked. An unknown or refused case
    /// stores nothing.
    async fn link_cases(&self, id: ProblemId, cases: Vec<CaseId>, actor: User, now: Timestamp) -> StoreResult<Problem>;
    /// The problem's history, oldest first.
    async fn problem_history(&self, id: ProblemId) -> StoreResult<Vec<ProblemEvent>>;
    /// The cases linked to the problem, newest first, at most `limit`.
    async fn linked_cases(&self, id: ProblemId, limit: u32) -> StoreResult<Vec<LinkedCase>>;

    /// Inserts a newly opened case and its first timeline events atomically,
    /// returning it with its id.
    /// `settings` are those the case was opened under (its calendar sets the
    /// first target check).
    async fn create_case(&self, case: Case, opening: Outcome, reward: Option<Reward>, settings: &OrgSettings) -> StoreResult<Case>;
    async fn attachments(&self, case: CaseId) -> StoreResult<Vec<crate::case::Attachment>>;
    /// A stored file with its bytes.
    async fn attachment(&self, id: i64) -> StoreResult<Option<(crate::case::Attachment, Vec<u8>)>>;
    /// Loads the case and its context, applies `change` and writes the case,
    /// its timeline events, communication and notifications in one transaction.
    /// `users` names accounts the change needs besides the owner and the
    /// preventive-action owner.
    async fn update_case(&self, id: CaseId, users: Vec<UserId>, change: CaseMutation) -> StoreResult<Case>;
    async fn case(&self, id: CaseId) -> StoreResult<Option<Case>>;
    /// A case with the context its messages are written in (customer,
    /// settings, owner and preventive-action owner).
    async fn case_with_context(&self, id: CaseId) -> StoreResult<Option<(Case, CaseContext)>>;
    async fn case_detail(&self, id: CaseId) -> StoreResult<Option<CaseDetail>>;
    async fn cases(&self, filter: &CaseFilter) -> StoreResult<Vec<Case>>;
    /// How many cases match `filter` (its order and page ignored), counting
    /// no further than `at_most`: a queue's size is read at a glance, and
    /// counting stays fast however many cases there are.
    async fn count_cases(&self, filter: &CaseFilter, at_most: i64) -> StoreResult<i64>;
    /// Customers' names by id, for lists.
    async fn customer_names(&self, ids: &[CustomerId]) -> StoreResult<std::collections::HashMap<CustomerId, String>>;
    /// When each of these cases last changed: the time of its newest
    /// timeline event (every change writes one), for lists.
    async fn last_changes(&self, ids: &[CaseId]) -> StoreResult<std::collections::HashMap<CaseId, Timestamp>>;
    async fn case_counts_by_status(&self) -> StoreResult<Vec<(Status, i64)>>;
    /// One page of the case export: cases reported (`reported_at`) within
    /// `range` whose id is above `after`, lowest id first, at most `limit`.
    async fn cases_page(&self, range: TimeRange, after: Option<CaseId>, limit: u32) -> StoreResult<Vec<Case>>;
    /// How many cases were reported within `range`.
    async fn count_cases_in(&self, range: TimeRange) -> StoreResult<i64>;
    /// Cases with a target reminder, breach or update due at or before `now`.
    async fn cases_for_target_check(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<CaseId>>;

    async fn notifications(&self, filter: &NotificationFilter) -> StoreResult<Vec<Notification>>;
    async fn notification(&self, id: crate::NotificationId) -> StoreResult<Option<Notification>>;
    /// Sends a failed message again: pending from `now`, with a new delivery
    /// job. Refused (conflict) unless it failed.
    async fn retry_notification(&self, id: crate::NotificationId, now: Timestamp) -> StoreResult<Notification>;

    /// Claims up to `limit` jobs of `kind` that are due (or whose lease ran
    /// out) for `lease`; no other claimer gets them meanwhile. Each kind is
    /// claimed apart, so jobs of one kind never wait behind another's.
    async fn claim_jobs(&self, kind: &str, now: Timestamp, lease: jiff::SignedDuration, limit: u32) -> StoreResult<Vec<Job>>;

    /// When the next job of `kind` falls due (a pending one's time, or a
    /// lease running out); none when no such job waits.
    async fn next_job_at(&self, kind: &str) -> StoreResult<Option<Timestamp>>;
    /// Records attempts' outcomes, and with each the notification's or
    /// webhook delivery's new state, all in one transaction.
    async fn finish_jobs(&self, finished: Vec<FinishedJob>) -> StoreResult<()>;
    /// Records one attempt's outcome (see [`Store::finish_jobs`]).
    async fn finish_job(&self, job: i64, outcome: JobOutcome, notification: Option<NotificationUpdate>, now: Timestamp) -> StoreResult<()> {
        let attempted = notification.map_or(Attempted::Nothing, Attempted::Notification);
        self.finish_jobs(vec![FinishedJob { job, outcome, attempted, at: now }]).await
    }
    async fn jobs(&self, status: Option<JobStatus>, limit: u32) -> StoreResult<Vec<JobRecord>>;

    async fn create_webhook(&self, hook: crate::webhook::NewWebhook, by: ChangedBy) -> StoreResult<crate::webhook::Webhook>;
    async fn webhooks(&self) -> StoreResult<Vec<crate::webhook::Webhook>>;
    async fn webhook_deliveries(&self, webhook: i64, limit: u32) -> StoreResult<Vec<crate::webhook::WebhookDelivery>>;
    /// A delivery to attempt: its payload, and the subscription's URL and secret.
    async fn webhook_delivery(&self, id: i64) -> StoreResult<Option<PendingDelivery>>;

    async fn create_survey(&self, survey: NewSurvey, now: Timestamp) -> StoreResult<Survey>;
    async fn survey(&self, id: SurveyId) -> StoreResult<Option<Survey>>;
    async fn surveys(&self) -> StoreResult<Vec<Survey>>;
    /// Stores invitations (code digests only); every customer must exist.
    async fn create_invitations(&self, survey: SurveyId, invitations: Vec<NewInvitation>, now: Timestamp) -> StoreResult<Vec<Invitation>>;
    /// The invitation and survey a code opens, used or not (the caller judges).
    async fn invitation_by_code(&self, code_digest: &str) -> StoreResult<Option<(Invitation, Survey)>>;
    /// Takes a submission in one transaction: locks the invitation, replays a
    /// repeated `Idempotency-Key`, judges, then writes the response, marks the
    /// code used, queues the acknowledgement, credits the reward and opens
    /// the follow-up case (or records a recovery) — or nothing at all.
    async fn submit_response(&self, submission: Submission) -> StoreResult<Submitted>;
    async fn response(&self, id: ResponseId) -> StoreResult<Option<Response>>;
    async fn responses(&self, survey: Option<SurveyId>, before: Option<ResponseId>, limit: u32) -> StoreResult<Vec<Response>>;
    /// One page of the response export: responses given (`created_at`)
    /// within `range` whose id is above `after`, lowest id first, at most `limit`.
    async fn responses_page(&self, range: TimeRange, after: Option<ResponseId>, limit: u32) -> StoreResult<Vec<Response>>;
    /// How many responses were given within `range`.
    async fn count_responses_in(&self, range: TimeRange) -> StoreResult<i64>;
    async fn rewards(&self, customer: CustomerId) -> StoreResult<Vec<RewardEntry>>;
    /// A customer's survey responses, newest first.
    async fn responses_of(&self, customer: CustomerId, limit: u32) -> StoreResult<Vec<Response>>;
    /// The case and report a private report link shows.
    async fn report_by_token(&self, token_digest: &str) -> StoreResult<Option<(Case, u32)>>;

    /// Registers more private links to cases' status pages (each a case and
    /// a token's digest), in one transaction.
    async fn add_status_links(&self, links: Vec<(CaseId, String)>, now: Timestamp) -> StoreResult<()>;
    /// Registers another private link to a case's status page (its digest).
    async fn add_status_link(&self, case: CaseId, token_digest: String, now: Timestamp) -> StoreResult<()> {
        self.add_status_links(vec![(case, token_digest)], now).await
    }
    /// The case a live status link leads to; `None` for an unknown or revoked one.
    async fn status_link_case(&self, token_digest: &str) -> StoreResult<Option<CaseId>>;
    /// The audit trail, newest first: entries with an id below `before`.
    async fn audit_log(&self, before: Option<i64>, limit: u32) -> StoreResult<Vec<crate::audit::AuditEntry>>;
    /// Failed guesses (access codes, status links, sign-ins) that every
    /// process sharing the database recorded: how many `client` made at
    /// `limiter` since `since`, and when the oldest was.
    async fn guess_failures(&self, limiter: &str, client: &str, since: Timestamp) -> StoreResult<(u32, Option<Timestamp>)>;
    /// Records a failed guess, and forgets every one before `forget_before`.
    async fn record_guess_failure(&self, limiter: &str, client: &str, at: Timestamp, forget_before: Timestamp) -> StoreResult<()>;
    /// How many live status links a case has.
    async fn status_link_count(&self, case: CaseId) -> StoreResult<i64>;

    /// Everything held about a customer (GDPR article 15); `None` for an
    /// unknown one.
    async fn customer_data(&self, customer: CustomerId) -> StoreResult<Option<CustomerData>>;
    /// Who erased a customer's personal data and when, if anyone did.
    async fn erasure(&self, customer: CustomerId) -> StoreResult<Option<Erasure>>;
    /// Erases a customer's personal data (GDPR article 17) in one
    /// transaction, for good, keeping every figure (see [`crate::privacy`]):
    /// the customer anonymised; their cases' text, communications, text
    /// answers and the text of messages to or about them erased; their files
    /// deleted; pending messages to them cancelled with their jobs; their
    /// cases' status links revoked and report links removed; unused
    /// invitations expired; a `customer_erased` event on each case, by
    /// the admin `by` names; the erasure recorded. An unknown customer is not
    /// found; a second erasure is a conflict naming the first.
    async fn erase_customer(&self, customer: CustomerId, by: ChangedBy) -> StoreResult<ErasureReport>;

    // ---- insight ----

    /// Adds a category; a name already used (case-insensitively) is a conflict.
    async fn create_category(&self, category: crate::category::NewCategory, by: ChangedBy) -> StoreResult<crate::category::Category>;
    /// Renames, describes, retires or reinstates a category.
    async fn update_category(&self, id: crate::CategoryId, category: crate::category::NewCategory, by: ChangedBy) -> StoreResult<crate::category::Category>;
    /// Every category, by name.
    async fn categories(&self) -> StoreResult<Vec<crate::category::Category>>;
    /// The rollup rows `query` is computed from, with every committed write
    /// in them (rebuilt first when a rebuild is due).
    async fn rollups(&self, query: &crate::insight::MetricsQuery) -> StoreResult<RollupRows>;
    /// Folds up to `limit` pending changes into the rollup rows; answers how
    /// many (0: none pending). Reads are exact either way; this keeps them fast.
    async fn compact_rollups(&self, limit: u32) -> StoreResult<usize>;
    /// Recomputes every rollup row from the cases, responses and invitations.
    async fn rebuild_rollups(&self) -> StoreResult<RebuildReport>;
}
