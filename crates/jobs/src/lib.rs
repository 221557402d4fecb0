//! The worker inside every `redress serve`: claims due jobs, runs them, and
//! records the outcome with retries and dead letters. Several processes can
//! share one PostgreSQL database: a claimed job is leased to one of them, and
//! a lease that runs out (a killed process) frees the job for another.
#![forbid(unsafe_code)]

mod batch;

use jiff::{SignedDuration, Timestamp};
use redress_core::clock::Clock;
use redress_core::jobs::{after_failure, Job, JobOutcome, DELIVER_NOTIFICATION};
use redress_core::mail::{MailError, Mailer};
use redress_core::notification::{NotificationKind, NotificationStatus, Recipient};
use batch::Batcher;
use redress_core::customer::Customer;
use redress_core::store::{Attempted, DeliveryUpdate, FinishedJob, NotificationUpdate, Store};
use redress_core::{CaseId, CustomerId, NotificationId};
use std::sync::Arc;
use std::time::Duration;

/// The kinds of job, each run in a lane of its own. A kind not listed
/// (written by a newer version sharing the database) is left for a process
/// that knows it.
pub const LANES: [&str; 2] = [DELIVER_NOTIFICATION, redress_core::webhook::DELIVER_WEBHOOK];

/// Resolves once `stopping` turns true.
async fn stopped(stopping: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// How often to look for due jobs at least (jobs another process
    /// enqueues are found this way); the worker also wakes when the next
    /// known job falls due and when this process enqueues one (`wake`).
    pub poll: Duration,
    /// How long a claimed job is reserved for this process.
    pub lease: SignedDuration,
    /// Cases checked for their targets at a time.
    pub batch: u32,
    /// E-mails sent at once; up to as many more are claimed ahead, to wait
    /// for a slot. One that waited longer than a quarter of its lease is not
    /// started (an attempt may take half the lease: `smtp.attempt_timeout_secs`
    /// is at most that), and runs once its lease runs out.
    pub slots: usize,
    /// Webhook events posted at once, in a lane of their own, claimed the
    /// same way.
    pub webhook_slots: usize,
    /// Longest a webhook receiver may take to answer, connecting included;
    /// past it the attempt fails and is retried with backoff.
    pub webhook_timeout: Duration,
    /// Notified when this process enqueues a job.
    pub wake: Option<&'static tokio::sync::Notify>,
    /// Where customers reach Redress: every e-mail to a customer about a
    /// case ends with a fresh private link to its status page here. None
    /// is added while it is empty.
    pub public_url: String,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig { poll: Duration::from_millis(500), lease: SignedDuration::from_mins(2), batch: 32, slots: 64, webhook_slots: 32, webhook_timeout: Duration::from_secs(10), wake: None, public_url: String::new() }
    }
}

#[derive(Clone)]
pub struct Worker {
    store: Arc<dyn Store>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    config: WorkerConfig,
    http: reqwest::Client,
}

impl Worker {
    /// Fails only when no HTTP client can be built for webhooks (no TLS
    /// backend on this system).
    pub fn new(store: Arc<dyn Store>, mailer: Arc<dyn Mailer>, clock: Arc<dyn Clock>, config: WorkerConfig) -> Result<Worker, String> {
        let http = reqwest::Client::builder()
            .timeout(config.webhook_timeout)
            .build()
            .map_err(|e| format!("cannot build the HTTP client for webhook delivery: {e}"))?;
        Ok(Worker { store, mailer, clock, config, http })
    }

    /// Runs until `shutdown` resolves, then lets the jobs in hand finish.
    ///
    /// Each kind of job runs in a lane of its own ([`LANES`]), with its own
    /// slots and its own claims, so a receiver that never answers can hold
    /// up only its own lane: a dead webhook receiver never delays e-mail,
    /// nor a mail server webhooks. Target checks run beside them, at most
    /// once a `poll`.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let (writers, writing) = Writers::start(&self);
        let mut tasks = tokio::task::JoinSet::new();
        for lane in LANES {
            let capacity = if lane == redress_core::webhook::DELIVER_WEBHOOK { self.config.webhook_slots } else { self.config.slots };
            tasks.spawn(self.clone().run_lane(lane, capacity.max(1), writers.clone(), stopping.clone()));
        }
        tasks.spawn(self.clone().run_target_checks(stopping));
        shutdown.await;
        let _ = stop.send(true);
        while tasks.join_next().await.is_some() {}
        drop(writers);
        for task in writing {
            let _ = task.await;
        }
    }

    /// One lane: claims its kind's jobs as slots free, up to `capacity` at
    /// once and as many again waiting for a slot; with none due, sleeps
    /// until the next one falls due, this process enqueues one, or `poll`
    /// passes.
    async fn run_lane(self, kind: &'static str, capacity: usize, writers: Writers, mut stopping: tokio::sync::watch::Receiver<bool>) {
        let slots = Arc::new(tokio::sync::Semaphore::new(capacity));
        let mut running = tokio::task::JoinSet::new();
        let never = tokio::sync::Notify::new();
        let wake = self.config.wake.unwrap_or(&never);
        loop {
            // Registered before looking, so a job enqueued meanwhile is not missed.
            let enqueued = wake.notified();
            tokio::pin!(enqueued);
            enqueued.as_mut().enable();
            while running.try_join_next().is_some() {}
            // Claimed jobs beyond the slots wait their turn; more are claimed
            // only once none waits, so each claim takes up to a slot's worth
            // of jobs rather than the one or two whose slots just freed (a
            // claim is a commit: many small ones would bound the rate).
            let waiting = running.len() > capacity;
            let room = 2 * capacity - running.len().min(capacity);
            let claimed = if waiting { Some(0) } else { self.claim_into(kind, &slots, room, &mut running, &writers).await };
            let Some(claimed) = claimed else {
                // The database refused: try again after the poll interval, not at once.
                tokio::select! {
                    _ = stopped(&mut stopping) => break,
                    _ = tokio::time::sleep(self.config.poll) => {}
                }
                continue;
            };
            if waiting || claimed == room {
                // Claimed jobs wait for slots: go on once one frees.
                tokio::select! {
                    _ = stopped(&mut stopping) => break,
                    _ = running.join_next() => {}
                }
                continue;
            }
            let until = self.next_due(kind).await;
            tokio::select! {
                _ = stopped(&mut stopping) => break,
                _ = &mut enqueued => {}
                _ = tokio::time::sleep_until(until) => {}
            }
        }
        while running.join_next().await.is_some() {}
    }

    /// Reminders, breaches and update-due marks, once a `poll`; a full
    /// batch leaves more to check at once.
    async fn run_target_checks(self, mut stopping: tokio::sync::watch::Receiver<bool>) {
        loop {
            let more = match self.check_targets().await {
                Ok(n) => n >= self.config.batch as usize,
                Err(e) => {
                    tracing::error!(error = %e, "checking targets failed");
                    false
                }
            };
            if more && !*stopping.borrow() {
                continue;
            }
            tokio::select! {
                _ = stopped(&mut stopping) => break,
                _ = tokio::time::sleep(self.config.poll) => {}
            }
        }
    }

    /// When to look again with nothing to do: when the next job of `kind`
    /// falls due, or after `poll` at the latest.
    async fn next_due(&self, kind: &str) -> tokio::time::Instant {
        let latest = tokio::time::Instant::now() + self.config.poll;
        match self.store.next_job_at(kind).await {
            Ok(Some(at)) => {
                let wait = at.duration_since(self.clock.now()).try_into().unwrap_or(Duration::ZERO);
                latest.min(tokio::time::Instant::now() + wait)
            }
            Ok(None) => latest,
            Err(e) => {
                tracing::error!(error = %e, "cannot read when the next job is due");
                latest
            }
        }
    }

    /// Claims up to `limit` due jobs, each to run once a slot is free;
    /// answers how many it claimed, or none when claiming failed.
    async fn claim_into(&self, kind: &str, slots: &Arc<tokio::sync::Semaphore>, limit: usize, running: &mut tokio::task::JoinSet<()>, writers: &Writers) -> Option<usize> {
        let jobs = match self.store.claim_jobs(kind, self.clock.now(), self.config.lease, limit as u32).await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::error!(error = %e, "claiming jobs failed");
                return None;
            }
        };
        let n = jobs.len();
        let claimed = tokio::time::Instant::now();
        let start_by = self.config.lease.unsigned_abs() / 4;
        for job in jobs {
            let (worker, writers, slots) = (self.clone(), writers.clone(), slots.clone());
            running.spawn(async move {
                // The semaphore is never closed.
                let Ok(slot) = slots.acquire_owned().await else { return };
                if claimed.elapsed() > start_by {
                    // Its lease might run out while it runs, and another
                    // process could run it too: left for the lease to free.
                    tracing::warn!(job = job.id, "a claimed job waited too long for a slot; it runs once its lease runs out");
                    return;
                }
                let finished = worker.run_job(job, &writers).await;
                // Should recording fail (logged), the lease runs out and the job runs again.
                let _ = writers.finished.write(finished).await;
                drop(slot);
            });
        }
        Some(n)
    }

    /// Reminders, breaches and update-due marks. Each is raised once, even
    /// with several processes: the check runs in the case's write
    /// transaction and records what it raised.
    async fn check_targets(&self) -> Result<usize, redress_core::store::StoreError> {
        let now = self.clock.now();
        let due = self.store.cases_for_target_check(now, self.config.batch).await?;
        let mut checked = 0;
        for id in due {
            match self.store.update_case(id, vec![], Box::new(move |case, ctx| case.check_targets(ctx, now))).await {
                Ok(_) => checked += 1,
                // Counted as nothing done, so a case that keeps failing
                // cannot keep the worker from sleeping.
                Err(e) => tracing::error!(case = %id, error = %e, "checking targets failed"),
            }
        }
        Ok(checked)
    }

    /// Runs a job; answers what is to be recorded of the attempt.
    async fn run_job(&self, job: Job, writers: &Writers) -> FinishedJob {
        let (outcome, attempted) = match job.kind.as_str() {
            DELIVER_NOTIFICATION => {
                let (outcome, notification) = self.deliver(&job, writers).await;
                (outcome, notification.map_or(Attempted::Nothing, Attempted::Notification))
            }
            redress_core::webhook::DELIVER_WEBHOOK => self.post_webhook(&job).await,
            other => (JobOutcome::Dead { error: format!("unknown job kind {other}") }, Attempted::Nothing),
        };
        let label = match &outcome {
            JobOutcome::Done => "done",
            JobOutcome::Retry { .. } => "retry",
            JobOutcome::Dead { .. } => "dead",
        };
        metrics::counter!("redress_jobs_total", "kind" => job.kind.clone(), "outcome" => label).increment(1);
        if let JobOutcome::Dead { error } = &outcome {
            tracing::error!(job = job.id, kind = %job.kind, %error, "job gave up after its last attempt");
        }
        FinishedJob { job: job.id, outcome, attempted, at: self.clock.now() }
    }

    /// POSTs one webhook event, signed. Anything but a 2xx is retried with
    /// backoff; a removed subscription ends the delivery.
    async fn post_webhook(&self, job: &Job) -> (JobOutcome, Attempted) {
        let now = self.clock.now();
        let Some(id) = job.payload.get("delivery_id").and_then(serde_json::Value::as_i64) else {
            return (JobOutcome::Dead { error: "payload without delivery_id".into() }, Attempted::Nothing);
        };
        let pending = match self.store.webhook_delivery(id).await {
            Ok(Some(p)) => p,
            Ok(None) => return (JobOutcome::Dead { error: format!("webhook delivery {id} does not exist") }, Attempted::Nothing),
            Err(e) => return (after_failure(job.attempts, now, e.to_string()), Attempted::Nothing),
        };
        let update = |status: &'static str, http_status: Option<u16>, error: Option<String>, delivered_at| {
            Attempted::Webhook(DeliveryUpdate { id, status, http_status, error, delivered_at })
        };
        if pending.delivery.status != "pending" {
            return (JobOutcome::Done, Attempted::Nothing);
        }
        if !pending.active {
            return (JobOutcome::Done, update("failed", None, Some("the subscription was deactivated".into()), None));
        }
        let signature = redress_core::webhook::signature(&pending.secret, now, pending.payload.as_bytes());
        let sent = self
            .http
            .post(&pending.url)
            .header("content-type", "application/json")
            .header("redress-signature", signature)
            .header("redress-event", pending.delivery.event.clone())
            .header("redress-delivery", id.to_string())
            .body(pending.payload.clone())
            .send()
            .await;
        let (code, error) = match sent {
            Ok(resp) if resp.status().is_success() => (Some(resp.status().as_u16()), None),
            Ok(resp) => (Some(resp.status().as_u16()), Some(format!("the receiver answered {}", resp.status()))),
            Err(e) => (None, Some(format!("cannot reach the receiver: {e}"))),
        };
        match error {
            None => (JobOutcome::Done, update("delivered", code, None, Some(now))),
            Some(error) => match after_failure(job.attempts, now, error.clone()) {
                dead @ JobOutcome::Dead { .. } => (dead, update("failed", code, Some(error), None)),
                retry => (retry, update("pending", code, Some(error), None)),
            },
        }
    }

    /// A new private link to the status page of `case`, as the closing line
    /// of an e-mail in the customer's language. Only its digest is kept, so
    /// the stored message never holds a working link.
    async fn status_link(&self, customer: CustomerId, case: CaseId, links: &Batcher<(CaseId, String)>) -> Result<(Option<String>, redress_i18n::Lang), String> {
        let lang = match self.store.customer(customer).await.map_err(|e| e.to_string())? {
            Some(Customer { language: Some(lang), .. }) => lang,
            _ => self.store.settings().await.map_err(|e| e.to_string())?.language,
        };
        let mut random = [0u8; 24];
        if self.config.public_url.is_empty() {
            return Ok((None, lang));
        }
        if let Err(e) = getrandom::fill(&mut random) {
            tracing::error!(error = %e, "no randomness for a status link; the e-mail goes without one");
            return Ok((None, lang));
        }
        let (token, digest) = redress_core::case::status_token(random);
        links.write((case, digest)).await?;
        let link = format!("{}/status/{token}", self.config.public_url.trim_end_matches('/'));
        Ok((Some(redress_i18n::text(lang, "status-link-footer", &[("link", link.as_str().into())])), lang))
    }

    /// Sends a notification. Already handled ones are left alone (a job may
    /// run again after a crash); no address or no SMTP is recorded as not
    /// sent, with the reason; a server that is down is retried with backoff.
    async fn deliver(&self, job: &Job, writers: &Writers) -> (JobOutcome, Option<NotificationUpdate>) {
        let Some(id) = job.payload.get("notification_id").and_then(serde_json::Value::as_i64).map(NotificationId) else {
            return (JobOutcome::Dead { error: "payload without notification_id".into() }, None);
        };
        let n = match self.store.notification(id).await {
            Ok(Some(n)) => n,
            Ok(None) => return (JobOutcome::Dead { error: format!("notification {id} does not exist") }, None),
            Err(e) => return (after_failure(job.attempts, self.clock.now(), e.to_string()), None),
        };
        if n.status != NotificationStatus::Pending {
            return (JobOutcome::Done, None);
        }
        let mut n = n;
        let mut rewritten = None;
        let (mut footer, mut lang) = (None, redress_i18n::Lang::En);
        if let (Recipient::Customer(customer), Some(case)) = (n.recipient, n.case_id) {
            match self.status_link(customer, case, &writers.links).await {
                Ok((f, l)) => (footer, lang) = (f, l),
                Err(e) => return (after_failure(job.attempts, self.clock.now(), e), None),
            }
        }
        if let (NotificationKind::Apology, Some(case)) = (n.kind, n.case_id) {
            // Written afresh from the case as it is now, or not sent at all.
            match self.store.case_with_context(case).await {
                Ok(Some((case, ctx))) => match case.apology_body(&ctx) {
                    Some(body) => {
                        n.body = body.clone();
                        rewritten = Some(body);
                    }
                    None => {
                        let update = NotificationUpdate {
                            id,
                            case_id: n.case_id,
                            kind: n.kind,
                            address: n.address.clone(),
                            status: NotificationStatus::Cancelled,
                            sent_at: None,
                            error: Some("the case no longer needs an apology".into()),
                            body: None,
                        };
                        return (JobOutcome::Done, Some(update));
                    }
                },
                Ok(None) => {}
                Err(e) => return (after_failure(job.attempts, self.clock.now(), e.to_string()), None),
            }
        }
        let (case_id, kind, address) = (n.case_id, n.kind, n.address.clone());
        let update = |status, sent_at: Option<Timestamp>, error: Option<String>| {
            Some(NotificationUpdate { id, case_id, kind, address: address.clone(), status, sent_at, error, body: rewritten.clone() })
        };
        let Some(email) = redress_mail::compose(&n, footer.as_deref(), lang) else {
            return (JobOutcome::Done, update(NotificationStatus::NotSent, None, Some("the recipient has no e-mail address".into())));
        };
        match self.mailer.send(&email).await {
            Ok(()) => (JobOutcome::Done, update(NotificationStatus::Sent, Some(self.clock.now()), None)),
            Err(MailError::NotConfigured) => (JobOutcome::Done, update(NotificationStatus::NotSent, None, Some(MailError::NotConfigured.to_string()))),
            Err(MailError::Permanent(e)) => (JobOutcome::Dead { error: e.clone() }, update(NotificationStatus::Failed, None, Some(e))),
            Err(MailError::Transient(e)) => match after_failure(job.attempts, self.clock.now(), e.clone()) {
                JobOutcome::Dead { error } => (JobOutcome::Dead { error }, update(NotificationStatus::Failed, None, Some(e))),
                retry => (retry, update(NotificationStatus::Pending, None, Some(e))),
            },
        }
    }
}

/// What running jobs write in batches: their recorded attempts, and the
/// status links their e-mails carry (each written before its e-mail goes).
#[derive(Clone)]
struct Writers {
    finished: Batcher<FinishedJob>,
    links: Batcher<(CaseId, String)>,
}

impl Writers {
    fn start(worker: &Worker) -> (Writers, [tokio::task::JoinHandle<()>; 2]) {
        let store = worker.store.clone();
        let (finished, recording) = Batcher::start(move |batch| {
            let store = store.clone();
            Box::pin(async move { store.finish_jobs(batch).await })
        }, "recording a job's outcome", |f: &FinishedJob| f.job);
        let (store, clock) = (worker.store.clone(), worker.clock.clone());
        let (links, linking) = Batcher::start(move |batch| {
            let (store, now) = (store.clone(), clock.now());
            Box::pin(async move { store.add_status_links(batch, now).await })
        }, "adding a status link", |l: &(CaseId, String)| l.0 .0);
        (Writers { finished, links }, [recording, linking])
    }
}
