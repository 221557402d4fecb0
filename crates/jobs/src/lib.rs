//! The worker inside every `redress serve`: claims due jobs, runs them, and
//! records the outcome with retries and dead letters. Several processes can
//! share one PostgreSQL database: a claimed job is leased to one of them, and
//! a lease that runs out (a killed process) frees the job for another.
#![forbid(unsafe_code)]

use jiff::{SignedDuration, Timestamp};
use redress_core::clock::Clock;
use redress_core::jobs::{after_failure, Job, JobOutcome, DELIVER_NOTIFICATION};
use redress_core::mail::{MailError, Mailer};
use redress_core::notification::{NotificationKind, NotificationStatus, Recipient};
use redress_core::store::{Attempted, DeliveryUpdate, FinishedJob, NotificationUpdate, Store};
use redress_core::{CaseId, NotificationId};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

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
    /// Jobs run at once: new ones are claimed as these slots free.
    pub slots: usize,
    /// Notified when this process enqueues a job.
    pub wake: Option<&'static tokio::sync::Notify>,
    /// Where customers reach Redress: every e-mail to a customer about a
    /// case ends with a fresh private link to its status page here. None
    /// is added while it is empty.
    pub public_url: String,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig { poll: Duration::from_millis(500), lease: SignedDuration::from_mins(2), batch: 32, slots: 64, wake: None, public_url: String::new() }
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
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot build the HTTP client for webhook delivery: {e}"))?;
        Ok(Worker { store, mailer, clock, config, http })
    }

    /// Runs until `shutdown` resolves, then lets the jobs in hand finish.
    /// Jobs are claimed as slots free, never more than are free; with none
    /// due, it sleeps until the next one falls due, this process enqueues
    /// one, or `poll` passes. Target checks run at most once a `poll`.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let slots = Arc::new(tokio::sync::Semaphore::new(self.config.slots.max(1)));
        let mut running = tokio::task::JoinSet::new();
        let mut targets_checked = tokio::time::Instant::now() - self.config.poll;
        let never = tokio::sync::Notify::new();
        let wake = self.config.wake.unwrap_or(&never);
        let (finisher, recording) = Finisher::start(self.store.clone());
        loop {
            // Registered before looking, so a job enqueued meanwhile is not missed.
            let enqueued = wake.notified();
            tokio::pin!(enqueued);
            enqueued.as_mut().enable();
            while running.try_join_next().is_some() {}
            let free = slots.available_permits();
            let claimed = if free == 0 { Some(0) } else { self.claim_into(&slots, free, &mut running, &finisher).await };
            // A full batch of target checks leaves more to check at once.
            let mut more_targets = false;
            if targets_checked.elapsed() >= self.config.poll {
                match self.check_targets().await {
                    Ok(n) if n >= self.config.batch as usize => more_targets = true,
                    Ok(_) => targets_checked = tokio::time::Instant::now(),
                    Err(e) => {
                        targets_checked = tokio::time::Instant::now();
                        tracing::error!(error = %e, "checking targets failed");
                    }
                }
            }
            let Some(claimed) = claimed else {
                // The database refused: try again after the poll interval, not at once.
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = tokio::time::sleep(self.config.poll) => {}
                }
                continue;
            };
            if claimed > 0 && claimed == free {
                // Every slot is busy: go on once one frees.
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = running.join_next() => {}
                }
                continue;
            }
            if more_targets {
                continue;
            }
            let until = self.next_due().await;
            tokio::select! {
                _ = &mut shutdown => break,
                _ = &mut enqueued => {}
                _ = tokio::time::sleep_until(until) => {}
            }
        }
        while running.join_next().await.is_some() {}
        drop(finisher);
        let _ = recording.await;
    }

    /// When to look again with nothing to do: when the next job falls due,
    /// or after `poll` at the latest.
    async fn next_due(&self) -> tokio::time::Instant {
        let latest = tokio::time::Instant::now() + self.config.poll;
        match self.store.next_job_at().await {
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

    /// Claims up to `free` due jobs and starts each in a slot; answers how
    /// many it claimed, or none when claiming failed.
    async fn claim_into(&self, slots: &Arc<tokio::sync::Semaphore>, free: usize, running: &mut tokio::task::JoinSet<()>, finisher: &Finisher) -> Option<usize> {
        let jobs = match self.store.claim_jobs(self.clock.now(), self.config.lease, free as u32).await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::error!(error = %e, "claiming jobs failed");
                return None;
            }
        };
        let n = jobs.len();
        for job in jobs {
            let Ok(slot) = slots.clone().try_acquire_owned() else { break };
            let worker = self.clone();
            let finisher = finisher.clone();
            running.spawn(async move {
                let finished = worker.run_job(job).await;
                finisher.record(finished).await;
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
    async fn run_job(&self, job: Job) -> FinishedJob {
        let (outcome, attempted) = match job.kind.as_str() {
            DELIVER_NOTIFICATION => {
                let (outcome, notification) = self.deliver(&job).await;
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
    async fn status_link(&self, case: CaseId) -> Result<(Option<String>, redress_i18n::Lang), redress_core::store::StoreError> {
        let Some((_, ctx)) = self.store.case_with_context(case).await? else { return Ok((None, redress_i18n::Lang::En)) };
        let lang = ctx.customer.lang(&ctx.settings);
        let mut random = [0u8; 24];
        if self.config.public_url.is_empty() {
            return Ok((None, lang));
        }
        if let Err(e) = getrandom::fill(&mut random) {
            tracing::error!(error = %e, "no randomness for a status link; the e-mail goes without one");
            return Ok((None, lang));
        }
        let (token, digest) = redress_core::case::status_token(random);
        self.store.add_status_link(case, digest, self.clock.now()).await?;
        let link = format!("{}/status/{token}", self.config.public_url.trim_end_matches('/'));
        Ok((Some(redress_i18n::text(lang, "status-link-footer", &[("link", link.as_str().into())])), lang))
    }

    /// Sends a notification. Already handled ones are left alone (a job may
    /// run again after a crash); no address or no SMTP is recorded as not
    /// sent, with the reason; a server that is down is retried with backoff.
    async fn deliver(&self, job: &Job) -> (JobOutcome, Option<NotificationUpdate>) {
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
        if let (Recipient::Customer(_), Some(case)) = (n.recipient, n.case_id) {
            match self.status_link(case).await {
                Ok((f, l)) => (footer, lang) = (f, l),
                Err(e) => return (after_failure(job.attempts, self.clock.now(), e.to_string()), None),
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

/// Records finished jobs in batches: whatever finished while one batch was
/// being written goes into the next, in one transaction. A job's slot stays
/// taken until its attempt is recorded.
#[derive(Clone)]
struct Finisher(mpsc::Sender<(FinishedJob, oneshot::Sender<()>)>);

/// Most attempts recorded in one transaction.
const FINISHED_PER_BATCH: usize = 256;

impl Finisher {
    fn start(store: Arc<dyn Store>) -> (Finisher, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(FINISHED_PER_BATCH);
        (Finisher(tx), tokio::spawn(record_batches(store, rx)))
    }

    /// Hands over an attempt and waits until it is recorded (or recording
    /// failed, which is logged: the lease then runs out and the job runs again).
    async fn record(&self, finished: FinishedJob) {
        let (done, recorded) = oneshot::channel();
        if self.0.send((finished, done)).await.is_ok() {
            let _ = recorded.await;
        }
    }
}

async fn record_batches(store: Arc<dyn Store>, mut rx: mpsc::Receiver<(FinishedJob, oneshot::Sender<()>)>) {
    let mut batch = Vec::with_capacity(FINISHED_PER_BATCH);
    while rx.recv_many(&mut batch, FINISHED_PER_BATCH).await > 0 {
        let (finished, replies): (Vec<FinishedJob>, Vec<_>) = batch.drain(..).unzip();
        match store.finish_jobs(finished.clone()).await {
            Ok(()) => {}
            Err(e) if finished.len() == 1 => tracing::error!(job = finished[0].job, error = %e, "recording a job's outcome failed"),
            // One attempt that cannot be recorded must not hold back the
            // others: each is tried on its own.
            Err(_) => {
                for f in finished {
                    let job = f.job;
                    if let Err(e) = store.finish_jobs(vec![f]).await {
                        tracing::error!(job, error = %e, "recording a job's outcome failed");
                    }
                }
            }
        }
        for reply in replies {
            let _ = reply.send(());
        }
    }
}
