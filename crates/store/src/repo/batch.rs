//! PostgreSQL's batch writer: new cases and survey responses written many
//! to a transaction, each step of theirs one statement for all of them.
//!
//! A case written alone costs PostgreSQL six statements and a commit, and
//! on a small machine the processor, not the disk, runs out first: each
//! statement opens its tables and every index afresh, and checks its
//! foreign keys. [`Batches`] queues new cases and responses instead, and a
//! few workers each take what is queued (up to [`MAX_BATCH`]) and write it
//! in one transaction of five statements:
//!
//! 1. the responses' codes marked used (each only if unused, and only while
//!    the directory is at the version it was judged at), then every
//!    customer concerned locked in id order, and the new rows' ids drawn;
//! 2. every row inserted: cases with their opening events, responses with
//!    their follow-up cases, rewards, notifications with their delivery jobs;
//! 3. one loyalty read for every customer, after the inserts and with the
//!    customers locked, so it sees this batch and everything committed
//!    before;
//! 4. one append of the rollup changes and the customers' loyalty parts.
//!
//! Locking customers in id order keeps two workers from deadlocking. What a
//! batch cannot write as it is — a code used already or judged on rules
//! since changed, a customer gone — is written alone afterwards, where it
//! gets the answer it would have got without batching. Should a batch fail
//! before its commit, nothing of it is stored and each of its writes is
//! written alone, so one bad write never fails the others. SQLite's writer
//! batches on its own connection (`sqlite::Direct`) and does not use this.

use super::cases::{Queues, PROJECTION};
use super::*;
use redress_core::calendar::BusinessCalendar;
use redress_core::case::{Case, Outcome};
use redress_core::timeline::NewEvent;
use redress_core::feedback::ResponsePlan;
use redress_core::insight::{day_of, CaseFacts, InvitationFacts, ResponseFacts};
use redress_core::notification::{NewNotification, NotificationStatus};
use redress_core::settings::OrgSettings;
use redress_core::store::{Submission, Submitted};
use redress_core::survey::{Invitation, Receipt, Survey, SurveyPurpose};
use redress_core::terms::Reward;
use redress_core::ResponseId;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// The most writes one transaction holds.
pub(crate) const MAX_BATCH: usize = 64;
/// How many batches are written at once, each on a pooled connection.
const WORKERS: usize = 2;

/// A new case as `Store::create_case` is given it.
pub(crate) struct NewCase {
    pub(crate) case: Case,
    pub(crate) opening: Outcome,
    pub(crate) reward: Option<Reward>,
    pub(crate) settings: OrgSettings,
}

/// A survey response judged against the directory at `version`, as
/// `surveys::record_at` writes it.
pub(crate) struct NewResponse {
    pub(crate) invitation: Invitation,
    pub(crate) plan: ResponsePlan,
    pub(crate) survey: Survey,
    pub(crate) settings: OrgSettings,
    pub(crate) version: i64,
    pub(crate) submission: Submission,
}

enum Write {
    Case(Box<NewCase>),
    Response(Box<NewResponse>),
}

enum Written {
    Case(Box<Case>),
    Response(Submitted),
}

/// What became of a queued write.
enum Answer {
    Written(StoreResult<Written>),
    /// Not written: to be written in a transaction of its own.
    Alone(Write),
}

struct Job {
    write: Write,
    reply: oneshot::Sender<Answer>,
}

type Queue = Arc<Mutex<mpsc::Receiver<Job>>>;

/// The queue of PostgreSQL's batch writer.
pub(crate) struct Batches {
    queue: mpsc::Sender<Job>,
}

impl Batches {
    /// Starts the workers, on the calling runtime, writing on `pool`'s connections.
    pub(crate) fn start(pool: Pool) -> Batches {
        let (queue, taken) = mpsc::channel(MAX_BATCH * WORKERS * 4);
        let taken: Queue = Arc::new(Mutex::new(taken));
        for _ in 0..WORKERS {
            tokio::spawn(work(pool.clone(), taken.clone()));
        }
        Batches { queue }
    }

    /// Writes `case` in the next batch; answers it back when it is to be
    /// written alone.
    pub(crate) async fn case(&self, case: NewCase) -> Result<StoreResult<Case>, NewCase> {
        match self.write(Write::Case(Box::new(case))).await {
            Ok(Ok(Written::Case(case))) => Ok(Ok(*case)),
            Ok(Err(e)) => Ok(Err(e)),
            Err(Write::Case(case)) => Err(*case),
            Ok(Ok(Written::Response(_))) | Err(Write::Response(_)) => Ok(Err(StoreError::Backend("a case answered as a response".into()))),
        }
    }

    /// Writes `response` in the next batch; answers it back when it is to
    /// be written alone (as a response to a recovery survey always is).
    pub(crate) async fn response(&self, response: NewResponse) -> Result<StoreResult<Submitted>, NewResponse> {
        if response.survey.purpose == SurveyPurpose::Recovery || response.plan.recovery.is_some() {
            return Err(response);
        }
        match self.write(Write::Response(Box::new(response))).await {
            Ok(Ok(Written::Response(done))) => Ok(Ok(done)),
            Ok(Err(e)) => Ok(Err(e)),
            Err(Write::Response(response)) => Err(*response),
            Ok(Ok(Written::Case(_))) | Err(Write::Case(_)) => Ok(Err(StoreError::Backend("a response answered as a case".into()))),
        }
    }

    async fn write(&self, write: Write) -> Result<StoreResult<Written>, Write> {
        let (reply, answer) = oneshot::channel();
        if let Err(mpsc::error::SendError(job)) = self.queue.send(Job { write, reply }).await {
            return Err(job.write);
        }
        match answer.await {
            Ok(Answer::Written(written)) => Ok(written),
            Ok(Answer::Alone(write)) => Err(write),
            // Taken and dropped: it may have been committed, so never written again.
            Err(_) => Ok(Err(StoreError::Backend("the batch writer stopped while writing".into()))),
        }
    }
}

/// A worker: takes what is queued and writes it, until the queue closes.
async fn work(pool: Pool, queue: Queue) {
    loop {
        let jobs = {
            let mut queue = queue.lock().await;
            let Some(first) = queue.recv().await else { return };
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            jobs
        };
        let (writes, replies): (Vec<_>, Vec<_>) = jobs.into_iter().map(|j| (j.write, j.reply)).unzip();
        let answers = write_batch(&pool, writes).await;
        for (reply, answer) in replies.into_iter().zip(answers) {
            let _ = reply.send(answer);
        }
    }
}

/// Writes `writes` in one transaction; answers each, in order.
async fn write_batch(pool: &Pool, writes: Vec<Write>) -> Vec<Answer> {
    let alone = |writes: Vec<Write>| writes.into_iter().map(Answer::Alone).collect();
    let started = std::time::Instant::now();
    let enqueued = crate::enqueued();
    // The driver's transaction, as a write alone has: should the rollback
    // fail, the connection is not handed out again mid-transaction.
    let Ok(mut tx) = pool.begin().await else { return alone(writes) };
    let written = match insert_batch(&mut *tx, &writes).await {
        Ok(written) => written,
        Err(e) => {
            tracing::debug!(target: "redress_store::writer", writes = writes.len(), error = %e, "batch rolled back; its writes are written alone");
            let _ = tx.rollback().await;
            return alone(writes);
        }
    };
    if let Err(e) = tx.commit().await {
        // Perhaps committed, perhaps not: answered as a write alone's failed
        // commit is (the database unavailable, when it went away meanwhile).
        let failed = db_error(e);
        return writes.iter().map(|_| Answer::Written(Err(failed.clone()))).collect();
    }
    crate::committed_since(enqueued);
    tracing::debug!(target: "redress_store::writer", writes = writes.len(), took_us = started.elapsed().as_micros() as u64, "batch of new cases and responses");
    writes.into_iter().zip(written).map(|(write, done)| done.map_or(Answer::Alone(write), |done| Answer::Written(Ok(done)))).collect()
}

/// A JSON list built a row at a time: what a statement of a batch reads
/// its rows from (`json_to_recordset`), one parameter whatever their number.
struct JsonList(Vec<u8>);

impl JsonList {
    fn new() -> JsonList {
        JsonList(b"[".to_vec())
    }

    fn push<T: Serialize>(&mut self, row: &T) -> StoreResult<()> {
        if self.0.len() > 1 {
            self.0.push(b',');
        }
        serde_json::to_writer(&mut self.0, row).map_err(|e| StoreError::Backend(format!("cannot encode: {e}")))
    }

    fn is_empty(&self) -> bool {
        self.0.len() == 1
    }

    fn done(mut self) -> StoreResult<String> {
        self.0.push(b']');
        String::from_utf8(self.0).map_err(|e| StoreError::Backend(format!("cannot encode: {e}")))
    }
}

/// A case's row, as `cases.id` to `cases.facts` in [`INSERT_ROWS`].
#[derive(Serialize)]
struct CaseRow<'a> {
    id: i64,
    customer_id: i64,
    channel: &'a str,
    status: &'a str,
    owner_id: i64,
    created_by: i64,
    service_area_id: Option<i64>,
    significant: bool,
    flagged: bool,
    summary: &'a str,
    description: &'a str,
    occurred_at: i64,
    reported_at: i64,
    created_at: i64,
    first_response_due_at: i64,
    responded_at: Option<i64>,
    update_due_at: Option<i64>,
    resolution_due_at: i64,
    data: String,
    target_check_at: Option<i64>,
    next_due_at: Option<i64>,
    pending_value_scaled: Option<i64>,
    pending_proposer_id: Option<i64>,
    awaits_follow_up: bool,
    projection: i64,
    remedies_scaled: i64,
    gifts_scaled: i64,
    category_id: Option<i64>,
    facts: String,
}

#[derive(Serialize)]
struct EventRow<'a> {
    case_id: i64,
    ord: usize,
    at: i64,
    actor_id: Option<i64>,
    kind: &'a str,
    summary: &'a str,
    detail: String,
}

#[derive(Serialize)]
struct ResponseRow<'a> {
    id: i64,
    survey_id: i64,
    invitation_id: i64,
    customer_id: i64,
    answers: String,
    lowest_rating: Option<i64>,
    nps: Option<i64>,
    idempotency_key: Option<&'a str>,
    receipt: String,
    created_at: i64,
    case_id: Option<i64>,
}

#[derive(Serialize)]
struct RewardRow {
    customer_id: i64,
    points: i64,
    reason: &'static str,
    case_id: Option<i64>,
    response_id: Option<i64>,
    created_at: i64,
}

#[derive(Serialize)]
struct NotificationRow<'a> {
    case_id: Option<i64>,
    ord: usize,
    kind: &'static str,
    recipient_kind: &'static str,
    recipient_id: i64,
    address: Option<&'a str>,
    subject: &'a str,
    body: &'a str,
    scheduled_for: i64,
    status: &'static str,
    created_at: i64,
}

/// A code to mark used, as in [`LOCK_AND_NUMBER`].
#[derive(Serialize)]
struct MarkRow {
    id: i64,
    at: i64,
    version: i64,
}

/// The rows a batch inserts, as [`INSERT_ROWS`] reads them.
struct Rows {
    cases: JsonList,
    events: JsonList,
    responses: JsonList,
    rewards: JsonList,
    notifications: JsonList,
    /// Events and notifications go in the order they are added.
    ord: usize,
}

impl Rows {
    fn new() -> Rows {
        Rows { cases: JsonList::new(), events: JsonList::new(), responses: JsonList::new(), rewards: JsonList::new(), notifications: JsonList::new(), ord: 0 }
    }

    /// Adds `case` as case `id` (stored as `insert_case` stores it: its
    /// state before it has its id) with its opening `events`; answers its facts.
    fn case(&mut self, id: CaseId, case: &Case, events: &[NewEvent], cal: &BusinessCalendar) -> StoreResult<CaseFacts> {
        let queues = Queues::of(case);
        let facts = CaseFacts::of(case, cal);
        self.cases.push(&CaseRow {
            id: id.0,
            customer_id: case.customer_id.0,
            channel: case.channel.as_str(),
            status: case.status.as_str(),
            owner_id: case.owner_id.0,
            created_by: case.created_by.0,
            service_area_id: case.service_area_id.map(|a| a.0),
            significant: case.significant,
            flagged: case.flagged,
            summary: &case.summary,
            description: &case.description,
            occurred_at: micros(case.occurred_at),
            reported_at: micros(case.reported_at),
            created_at: micros(case.created_at),
            first_response_due_at: micros(case.first_response_due_at),
            responded_at: case.responded_at.map(micros),
            update_due_at: case.update_due_at.map(micros),
            resolution_due_at: micros(case.resolution_due_at),
            data: to_json(case)?,
            target_check_at: case.next_target_check(cal).map(micros),
            next_due_at: queues.next_due_at,
            pending_value_scaled: queues.pending_value_scaled,
            pending_proposer_id: queues.pending_proposer_id,
            awaits_follow_up: queues.awaits_follow_up,
            projection: PROJECTION,
            remedies_scaled: queues.remedies_scaled,
            gifts_scaled: queues.gifts_scaled,
            category_id: case.category_id.map(|k| k.0),
            facts: to_json(&facts)?,
        })?;
        for e in events {
            self.ord += 1;
            self.events.push(&EventRow { case_id: id.0, ord: self.ord, at: micros(e.at), actor_id: e.actor_id.map(|a| a.0), kind: e.kind, summary: &e.summary, detail: to_json(&e.detail)? })?;
        }
        Ok(facts)
    }

    /// Adds a notification (of `case`, if any) with its delivery job.
    fn notification(&mut self, case: Option<CaseId>, n: &NewNotification, now: Timestamp) -> StoreResult<()> {
        let (recipient_kind, recipient_id) = notifications::recipient_cols(n.recipient);
        self.ord += 1;
        self.notifications.push(&NotificationRow {
            case_id: case.map(|c| c.0),
            ord: self.ord,
            kind: n.kind.as_str(),
            recipient_kind,
            recipient_id,
            address: n.address.as_deref(),
            subject: &n.subject,
            body: &n.body,
            scheduled_for: micros(n.scheduled_for),
            status: NotificationStatus::Pending.as_str(),
            created_at: micros(now),
        })
    }
}

/// Step 1 of a batch: marks the codes of the JSON list `$1` used (each if
/// unused and while the directory is at its version), locks in id order
/// their customers and those of the JSON list `$2`, and draws `$3` case
/// and `$4` response ids. Rows: (0, a customer locked), (1, a case id),
/// (2, a response id), (3, a code marked), the ids rising. The customers
/// are locked once every code is marked (the sort waits for them all), as
/// a response written alone takes its code before its customer. A set of
/// ids is matched as `= ANY (ARRAY(…))`, which the primary key serves; the
/// planner would join a list of unknown length with a scan of the table.
static LOCK_AND_NUMBER: std::sync::LazyLock<Call> = std::sync::LazyLock::new(|| {
    Call::one(format!(
        "WITH marked AS (UPDATE invitations SET used_at = x.at FROM json_to_recordset(CAST($1 AS json)) AS x(id BIGINT, at BIGINT, version BIGINT) \
         WHERE invitations.id = x.id AND invitations.id = ANY (ARRAY(SELECT CAST(value ->> 'id' AS BIGINT) FROM json_array_elements(CAST($1 AS json)))) \
         AND invitations.used_at IS NULL AND x.version = {version} RETURNING invitations.id, invitations.customer_id), \
         locked AS (SELECT id FROM customers WHERE id = ANY (ARRAY(SELECT customer_id FROM marked \
         UNION ALL SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST($2 AS json)))) ORDER BY id FOR NO KEY UPDATE) \
         SELECT CAST(0 AS BIGINT), id FROM locked \
         UNION ALL SELECT 1, nextval(pg_get_serial_sequence('cases', 'id')) FROM generate_series(1, $3) \
         UNION ALL SELECT 2, nextval(pg_get_serial_sequence('responses', 'id')) FROM generate_series(1, $4) \
         UNION ALL SELECT 3, id FROM marked",
        version = super::directory::VERSION
    ))
});

/// Step 2 of a batch: every row, from the JSON lists of [`Rows`]: cases
/// (`$1`, ids drawn), their events (`$2`, in order), responses (`$3`, ids
/// drawn), rewards (`$4`) and notifications (`$5`, in order), each
/// notification with a delivery job of kind `$6`. Answers whether any
/// webhook is active.
const INSERT_ROWS: &str = "WITH \
     new_cases AS (INSERT INTO cases (id, customer_id, channel, status, owner_id, created_by, service_area_id, problem_id, significant, flagged, \
       summary, description, occurred_at, reported_at, created_at, first_response_due_at, responded_at, update_due_at, resolution_due_at, closed_at, \
       transfer_count, reopen_count, data, target_check_at, next_due_at, pending_value_scaled, pending_proposer_id, awaits_follow_up, projection, \
       remedies_scaled, gifts_scaled, category_id, facts) \
       SELECT id, customer_id, channel, status, owner_id, created_by, service_area_id, NULL, significant, flagged, summary, description, occurred_at, \
       reported_at, created_at, first_response_due_at, responded_at, update_due_at, resolution_due_at, NULL, 0, 0, data, target_check_at, next_due_at, \
       pending_value_scaled, pending_proposer_id, awaits_follow_up, projection, remedies_scaled, gifts_scaled, category_id, facts \
       FROM json_to_recordset(CAST($1 AS json)) AS x(id BIGINT, customer_id BIGINT, channel TEXT, status TEXT, owner_id BIGINT, created_by BIGINT, \
       service_area_id BIGINT, significant BOOLEAN, flagged BOOLEAN, summary TEXT, description TEXT, occurred_at BIGINT, reported_at BIGINT, \
       created_at BIGINT, first_response_due_at BIGINT, responded_at BIGINT, update_due_at BIGINT, resolution_due_at BIGINT, data TEXT, \
       target_check_at BIGINT, next_due_at BIGINT, pending_value_scaled BIGINT, pending_proposer_id BIGINT, awaits_follow_up BOOLEAN, \
       projection BIGINT, remedies_scaled BIGINT, gifts_scaled BIGINT, category_id BIGINT, facts TEXT) ORDER BY id), \
     new_events AS (INSERT INTO case_events (case_id, at, actor_id, kind, summary, detail) \
       SELECT case_id, at, actor_id, kind, summary, detail FROM json_to_recordset(CAST($2 AS json)) \
       AS x(case_id BIGINT, ord BIGINT, at BIGINT, actor_id BIGINT, kind TEXT, summary TEXT, detail TEXT) ORDER BY ord), \
     new_responses AS (INSERT INTO responses (id, survey_id, invitation_id, customer_id, answers, lowest_rating, nps, idempotency_key, receipt, created_at, case_id) \
       SELECT id, survey_id, invitation_id, customer_id, answers, lowest_rating, nps, idempotency_key, receipt, created_at, case_id \
       FROM json_to_recordset(CAST($3 AS json)) AS x(id BIGINT, survey_id BIGINT, invitation_id BIGINT, customer_id BIGINT, answers TEXT, \
       lowest_rating BIGINT, nps BIGINT, idempotency_key TEXT, receipt TEXT, created_at BIGINT, case_id BIGINT) ORDER BY id), \
     new_rewards AS (INSERT INTO rewards (customer_id, points, reason, case_id, response_id, created_at) \
       SELECT customer_id, points, reason, case_id, response_id, created_at FROM json_to_recordset(CAST($4 AS json)) \
       AS x(customer_id BIGINT, points BIGINT, reason TEXT, case_id BIGINT, response_id BIGINT, created_at BIGINT)), \
     new_notifications AS (INSERT INTO notifications (case_id, kind, recipient_kind, recipient_id, address, subject, body, scheduled_for, status, created_at) \
       SELECT case_id, kind, recipient_kind, recipient_id, address, subject, body, scheduled_for, status, created_at \
       FROM json_to_recordset(CAST($5 AS json)) AS x(case_id BIGINT, ord BIGINT, kind TEXT, recipient_kind TEXT, recipient_id BIGINT, address TEXT, \
       subject TEXT, body TEXT, scheduled_for BIGINT, status TEXT, created_at BIGINT) ORDER BY ord RETURNING id, scheduled_for, created_at), \
     new_jobs AS (INSERT INTO jobs (kind, payload, run_at, status, created_at, updated_at) \
       SELECT $6, '{\"notification_id\":' || id || '}', scheduled_for, 'pending', created_at, created_at FROM new_notifications ORDER BY id) \
     SELECT EXISTS (SELECT 1 FROM webhooks WHERE active = TRUE)";

/// Ids drawn in step 1, handed out in order.
struct Drawn(std::vec::IntoIter<i64>);

impl Drawn {
    fn next(&mut self, what: &str) -> StoreResult<i64> {
        self.0.next().ok_or_else(|| StoreError::Backend(format!("fewer {what} ids drawn than needed")))
    }
}

/// Writes `writes` in the transaction `c` is in, each as it would be
/// written alone (`cases::insert_case`, `surveys::record_at`); answers
/// each, or `None` for one to be written alone: a code not marked (used
/// already, or judged on rules since changed), a second answer of one code
/// in the batch, a customer gone.
async fn insert_batch<R: Run>(c: &mut R, writes: &[Write]) -> StoreResult<Vec<Option<Written>>> {
    // 1: codes marked, customers locked, ids drawn.
    let (mut marks, mut customers, mut codes) = (JsonList::new(), BTreeSet::new(), HashSet::new());
    let mut first_answer = vec![false; writes.len()];
    let (mut case_ids, mut response_ids) = (0i64, 0i64);
    for (i, w) in writes.iter().enumerate() {
        match w {
            Write::Case(n) => {
                customers.insert(n.case.customer_id.0);
                case_ids += 1;
            }
            Write::Response(r) if codes.insert(r.invitation.id) => {
                first_answer[i] = true;
                marks.push(&MarkRow { id: r.invitation.id.0, at: micros(r.plan.acknowledgement.scheduled_for), version: r.version })?;
                response_ids += 1;
                case_ids += i64::from(r.plan.case.is_some());
            }
            Write::Response(_) => {}
        }
    }
    let mut params = Params::with_capacity(4);
    params.add(marks.done()?).add(to_json(&customers)?).add(case_ids).add(response_ids);
    let (mut locked, mut marked, mut drawn) = (HashSet::new(), HashSet::new(), [Vec::new(), Vec::new()]);
    for row in c.rows(&LOCK_AND_NUMBER, params).await? {
        let id = row.int(1)?;
        match row.int(0)? {
            0 => {
                locked.insert(id);
            }
            3 => {
                marked.insert(id);
            }
            kind => drawn[usize::from(kind == 2)].push(id),
        }
    }
    let [mut case_ids, mut response_ids] = drawn.map(|mut ids| {
        ids.sort_unstable();
        Drawn(ids.into_iter())
    });

    // 2: every row.
    let mut rows = Rows::new();
    let (mut written, mut case_facts, mut response_facts) = (Vec::with_capacity(writes.len()), Vec::new(), Vec::new());
    // Each customer's loyalty part is refreshed with the calendar of their last write.
    let mut calendars = BTreeMap::new();
    let mut opened: Vec<(CaseId, &[NewEvent], Timestamp)> = Vec::new();
    for (i, w) in writes.iter().enumerate() {
        match w {
            Write::Case(n) if locked.contains(&n.case.customer_id.0) => {
                let id = CaseId(case_ids.next("case")?);
                let cal = n.settings.calendar();
                case_facts.push(rows.case(id, &n.case, &n.opening.events, &cal)?);
                let mut case = n.case.clone();
                case.assign_id(id);
                if let Some(r) = &n.reward {
                    rows.rewards.push(&RewardRow { customer_id: case.customer_id.0, points: r.points, reason: r.reason, case_id: Some(id.0), response_id: None, created_at: micros(case.created_at) })?;
                }
                let acknowledgement = n.opening.acknowledgement.as_ref().map(|ack| ack.notification(&case));
                for notification in n.opening.notifications.iter().chain(acknowledgement.as_ref()) {
                    rows.notification(Some(id), notification, case.created_at)?;
                }
                opened.push((id, &n.opening.events, case.created_at));
                calendars.insert(case.customer_id, cal);
                written.push(Some(Written::Case(Box::new(case))));
            }
            Write::Response(r) if first_answer[i] && marked.contains(&r.invitation.id.0) && locked.contains(&r.invitation.customer_id.0) => {
                let (plan, customer) = (&r.plan, r.invitation.customer_id);
                let id = ResponseId(response_ids.next("response")?);
                let now = plan.acknowledgement.scheduled_for;
                let cal = r.settings.calendar();
                let follow_up = match &plan.case {
                    Some((case, events)) => {
                        let case_id = CaseId(case_ids.next("case")?);
                        let mut case = case.clone();
                        case.survey_response_id = Some(id);
                        case_facts.push(rows.case(case_id, &case, events, &cal)?);
                        opened.push((case_id, events, case.created_at));
                        Some(case_id)
                    }
                    None => None,
                };
                // Stored as `write_response` stores it: replay takes the id from the row.
                let mut receipt = Receipt { response_id: ResponseId(0), thank_you: plan.thank_you.clone(), next: plan.next.clone(), reward_points: plan.reward.as_ref().map_or(0, |r| r.points) };
                rows.responses.push(&ResponseRow {
                    id: id.0,
                    survey_id: r.invitation.survey_id.0,
                    invitation_id: r.invitation.id.0,
                    customer_id: customer.0,
                    answers: to_json(&plan.answers)?,
                    lowest_rating: plan.lowest_rating.map(i64::from),
                    nps: plan.nps.map(i64::from),
                    idempotency_key: r.submission.idempotency_key.as_deref(),
                    receipt: to_json(&receipt)?,
                    created_at: micros(now),
                    case_id: follow_up.map(|c| c.0),
                })?;
                if let Some(reward) = &plan.reward {
                    rows.rewards.push(&RewardRow { customer_id: customer.0, points: reward.points, reason: reward.reason, case_id: None, response_id: Some(id.0), created_at: micros(now) })?;
                }
                rows.notification(follow_up, &plan.acknowledgement, now)?;
                let facts = ResponseFacts {
                    day: day_of(now, &cal),
                    service_area_id: r.survey.service_area_id,
                    rating: plan.lowest_rating.filter(|r| (1..=5).contains(r)),
                    nps: plan.nps.filter(|n| *n <= 10),
                    recovery: false,
                };
                response_facts.push((facts, InvitationFacts::of(&r.invitation, &r.survey, &cal)));
                calendars.insert(customer, cal);
                receipt.response_id = id;
                written.push(Some(Written::Response(Submitted { receipt, replayed: false })));
            }
            _ => written.push(None),
        }
    }
    if opened.is_empty() && rows.responses.is_empty() {
        return Ok(written);
    }
    let notified = !rows.notifications.is_empty();
    let mut params = Params::with_capacity(6);
    params
        .add(rows.cases.done()?)
        .add(rows.events.done()?)
        .add(rows.responses.done()?)
        .add(rows.rewards.done()?)
        .add(rows.notifications.done()?)
        .add(redress_core::jobs::DELIVER_NOTIFICATION);
    static INSERT: std::sync::LazyLock<Call> = std::sync::LazyLock::new(|| Call::one(INSERT_ROWS.into()));
    let hooks = run::first(&c.rows(&INSERT, params).await?)?.flag(0)?;
    if notified {
        crate::note_enqueued();
    }
    if hooks {
        for (id, events, at) in opened {
            let events: Vec<_> = events.iter().map(|e| (id, e)).collect();
            webhooks::fan_out(c, &events, at).await?;
        }
    }

    // 3 and 4: the loyalty read, the rollup changes.
    let customers: Vec<_> = calendars.into_iter().collect();
    insight::batch_recorded(c, &case_facts, response_facts, &customers).await?;
    Ok(written)
}

/// The storage ceiling of `redress bench` on PostgreSQL: the prepared
/// writes stored by the batch writer's own statements, `batch` to a
/// transaction, without what surrounds them in a request (HTTP, the reads
/// that decide a write, the queue).
pub(crate) async fn write_ceiling(c: &mut Conn, writes: crate::bench::CeilingWrites, batch: usize) -> StoreResult<usize> {
    use crate::bench::Prepared;
    let version = super::directory::version_now(c).await?;
    let settings = writes.settings;
    let writes: Vec<Write> = writes
        .items
        .into_iter()
        .map(|item| match item {
            Prepared::Case(case) => {
                let (case, opening, reward) = *case;
                Write::Case(Box::new(NewCase { case, opening, reward, settings: settings.clone() }))
            }
            Prepared::Response(response) => {
                let (invitation, survey, plan) = *response;
                // Judged already: never judged again here.
                let submission = Submission { code_digest: String::new(), idempotency_key: None, judge: Box::new(|_| Err(DomainError::invalid("judged already"))) };
                Write::Response(Box::new(NewResponse { invitation, plan, survey, settings: settings.clone(), version, submission }))
            }
        })
        .collect();
    for chunk in writes.chunks(batch.max(1)) {
        c.execute(BEGIN_WRITE, Params::default()).await?;
        if insert_batch(c, chunk).await?.iter().any(Option::is_none) {
            return Err(StoreError::Backend("a write of the storage ceiling was left out of its batch".into()));
        }
        c.execute("COMMIT", Params::default()).await?;
    }
    Ok(writes.len())
}
