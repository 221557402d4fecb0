//! `--workload delivery`: the job worker delivering survey
//! acknowledgements to a local SMTP server, in two phases on one database:
//!
//! 1. **backlog**: `--notifications` responses are submitted with no worker
//!    running, then a worker starts and the time until the last message
//!    is received is measured: messages a second;
//! 2. **on time**: as many more responses arrive at `--rate` a second
//!    (1,000 when absent) while the worker runs; for each message, the
//!    delay from when it was due (`scheduled_for`) to when it was recorded
//!    as sent.

use super::{drive, percentile, Args};
use crate::client::Client;
use redress_core::customer::NewCustomer;
use redress_core::store::Store;
use redress_core::survey::NewInvitation;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Arrivals a second in the on-time phase when `--rate` is absent.
const ARRIVALS: f64 = 1000.0;

pub async fn run(store: Arc<dyn Store>, api: &Client, sink: &redress_mail::sink::SmtpSink, args: &Args) -> Result<Value, String> {
    let n = args.notifications;
    let survey = api.post("/api/v1/surveys", json!({ "title": "S", "questions": [{ "key": "q", "prompt": "How was it?", "kind": "rating" }] })).await?;
    let survey_id = redress_core::SurveyId(survey["id"].as_i64().unwrap_or(1));
    let now = jiff::Timestamp::now();
    let mut customer_ids = Vec::new();
    for i in 0..100 {
        let c = NewCustomer { name: format!("Respondent {i}"), email: Some(format!("r{i}@example.com")), phone: None, timezone: "UTC".into(), client_manager_id: None, language: None };
        customer_ids.push(store.create_customer(c, now).await.map_err(|e| e.to_string())?.id);
    }
    let mut codes = Vec::with_capacity(2 * n);
    let mut batch = Vec::new();
    for i in 0..2 * n {
        let (code, digest) = redress_web::auth::new_access_code().map_err(|e| e.detail)?;
        codes.push(code);
        batch.push(NewInvitation { customer_id: customer_ids[i % customer_ids.len()], code_digest: digest, expires_at: now + jiff::SignedDuration::from_hours(24), case_id: None });
        if batch.len() == 1000 || i + 1 == 2 * n {
            store.create_invitations(survey_id, std::mem::take(&mut batch), now).await.map_err(|e| e.to_string())?;
        }
    }
    let codes = Arc::new(codes);
    let submit = |from: usize, rate: Option<f64>| {
        let (api, codes) = (api.clone(), codes.clone());
        drive(n, args.concurrency, rate, move |i| {
            let (api, codes) = (api.clone(), codes.clone());
            async move { api.post_public("/api/v1/responses", json!({ "code": codes[from + i], "answers": { "q": 5 } })).await.map(|_| ()) }
        })
    };
    // 1. A backlog, then a worker.
    submit(0, None).await.ok()?;
    let smtp = redress_mail::SmtpConfig {
        host: "127.0.0.1".into(),
        port: sink.port,
        security: redress_mail::Security::None,
        username: None,
        password: None,
        from: "Bench <bench@example.com>".into(),
        attempt_timeout_secs: 60,
    };
    let mailer = Arc::new(redress_mail::SmtpMailer::new(&smtp)?);
    let worker = redress_jobs::Worker::new(store.clone(), mailer, Arc::new(redress_core::clock::SystemClock), redress_jobs::WorkerConfig { wake: Some(&redress_store::JOBS_ADDED), ..Default::default() })?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    let started = Instant::now();
    arrived(sink, n).await?;
    let drain = started.elapsed();
    // 2. Arrivals at a steady rate while the worker runs.
    let rate = args.rate.unwrap_or(ARRIVALS);
    let arrivals = submit(n, Some(rate)).await;
    arrivals.ok()?;
    arrived(sink, 2 * n).await?;
    let _ = stop.send(());
    let _ = running.await;
    let recorded = newest_delays(store.as_ref(), 2 * n).await?.len();
    // The on-time phase's messages are the newest n.
    let mut on_time = newest_delays(store.as_ref(), n).await?;
    on_time.sort_by(f64::total_cmp);
    let per_s = n as f64 / drain.as_secs_f64();
    println!("backend      {}", args.backend);
    println!("backlog      {n} messages delivered to a local SMTP server in {:.2} s: {per_s:.0} messages/s", drain.as_secs_f64());
    println!(
        "on time      {n} more while {:.0} responses/s arrived ({:.0} achieved): due to sent p50 {:.0} ms   p99 {:.0} ms   max {:.0} ms",
        rate,
        arrivals.rate(),
        percentile(&on_time, 0.5),
        percentile(&on_time, 0.99),
        percentile(&on_time, 1.0)
    );
    println!("received     {} messages in all ({recorded} recorded as sent)", sink.count());
    Ok(json!({
        "backend": args.backend,
        "workload": "delivery",
        "backlog": { "messages": n, "elapsed_s": drain.as_secs_f64(), "per_s": per_s },
        "on_time": {
            "messages": n, "arrivals_per_s": rate, "achieved_per_s": arrivals.rate(),
            "delay_p50_ms": percentile(&on_time, 0.5), "delay_p99_ms": percentile(&on_time, 0.99), "delay_max_ms": percentile(&on_time, 1.0),
        },
        "received": sink.count(),
        "rss_peak_mib": super::peak_memory_kib().map(|k| k as f64 / 1024.0),
    }))
}

/// Waits until the SMTP server has received `n` messages (ten minutes at most).
async fn arrived(sink: &redress_mail::sink::SmtpSink, n: usize) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(600);
    while sink.count() < n {
        if Instant::now() > deadline {
            return Err(format!("only {} of {n} messages arrived", sink.count()));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// Milliseconds from `scheduled_for` to `sent_at` of each of the newest
/// `n` notifications recorded as sent, once all of them are recorded.
async fn newest_delays(store: &dyn Store, n: usize) -> Result<Vec<f64>, String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut delays = Vec::new();
        let mut seen = 0;
        let mut before = None;
        while seen < n {
            let filter = redress_core::store::NotificationFilter { before_id: before, limit: 500, ..Default::default() };
            let page = store.notifications(&filter).await.map_err(|e| e.to_string())?;
            let Some(last) = page.last() else { break };
            before = Some(last.id.0);
            for m in page.iter().take(n - seen) {
                seen += 1;
                if let Some(s) = m.sent_at {
                    delays.push(s.duration_since(m.scheduled_for).as_secs_f64() * 1000.0);
                }
            }
        }
        // Each message is recorded as sent just after the server accepts it.
        if delays.len() == seen || Instant::now() > deadline {
            return Ok(delays);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
