//! `redress bench`: starts a server on a fresh database and measures, over
//! HTTP, case creation (`--workload cases`), survey-response ingest
//! (`--workload responses`: 80% good scores, 20% low scores that open
//! follow-up cases, against a pool of invitations), or notification delivery
//! (`--workload delivery`: acknowledgements sent by the job worker to a local
//! SMTP server while responses arrive), or the console's pages
//! (`--workload console`: the home page's queues and a case page with 200
//! timeline events, over `--cases` cases), or the insight figures at scale
//! (`--workload insight`: millions of survey responses and their cases
//! bulk-loaded, then the metrics API and case search timed; see
//! [`insight`]). Prints throughput and latency percentiles. Every 2xx counted is durable: the store commits before answering.

mod insight;

use crate::client::Client;
use crate::server;
use redress_core::customer::NewCustomer;
use redress_core::store::Store;
use redress_core::survey::NewInvitation;
use redress_store::scratch::ScratchDatabase;
use serde_json::{json, Value};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Args {
    /// What to measure: `cases`, `responses`, `delivery`, `console` or `insight`.
    #[arg(long, default_value = "cases")]
    workload: String,
    /// How many cases to create (workload `cases`).
    #[arg(long, default_value_t = 10_000)]
    cases: usize,
    /// How many survey responses to submit (workload `responses`).
    #[arg(long, default_value_t = 10_000)]
    responses: usize,
    /// Invitations in the database before the run (workload `responses`).
    #[arg(long, default_value_t = 100_000)]
    invitations: usize,
    /// Page views of each console page timed (workload `console`).
    #[arg(long, default_value_t = 200)]
    views: usize,
    /// Notifications to deliver (workload `delivery`).
    #[arg(long, default_value_t = 5_000)]
    notifications: usize,
    /// How many requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Backend to measure: sqlite (a fresh temporary file) or postgres (a fresh
    /// database on the server at --postgres-url, dropped afterwards).
    #[arg(long, default_value = "sqlite")]
    backend: String,
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres", env = "REDRESS_BENCH_POSTGRES")]
    postgres_url: String,
    /// Survey-response counts to reach, one after another in the same
    /// database (workload `insight`).
    #[arg(long, default_value = "100000,10000000", value_delimiter = ',')]
    sizes: Vec<usize>,
    /// Cases loaded per survey response (workload `insight`): 0.1 is one
    /// case for every ten responses.
    #[arg(long, default_value_t = 0.1)]
    cases_per_response: f64,
    /// Requests of each kind timed at each size (workload `insight`).
    #[arg(long, default_value_t = 200)]
    queries: usize,
    /// Print the figures as JSON too (workload `insight`).
    #[arg(long)]
    json: bool,
}

pub async fn run(args: Args) -> Result<(), String> {
    if args.cases == 0 || args.responses == 0 || args.concurrency == 0 {
        return Err("--cases, --responses and --concurrency must be at least 1".into());
    }
    if args.workload == "responses" && args.responses > args.invitations {
        return Err("--responses cannot exceed --invitations: each code answers once".into());
    }
    let backend = match args.backend.as_str() {
        "sqlite" => redress_store::Backend::Sqlite,
        "postgres" => redress_store::Backend::Postgres,
        other => return Err(format!("unknown backend '{other}': use sqlite or postgres")),
    };
    let db = ScratchDatabase::create(backend, &args.postgres_url).await?;
    let result = measure(&db.url, &args).await;
    if let Some(name) = db.postgres_name() {
        let _ = redress_store::scratch::drop_postgres_database(&args.postgres_url, name).await;
    }
    result
}

async fn measure(url: &str, args: &Args) -> Result<(), String> {
    let store = redress_store::open(url).await.map_err(|e| e.to_string())?;
    let (_, token) = server::create_admin(store.as_ref(), "Bench", None, None).await?;
    // The request path alone: no job worker, so deliveries do not share the run.
    let sink = redress_mail::sink::SmtpSink::start().await.map_err(|e| e.to_string())?;
    let background = (args.workload == "delivery").then(|| {
        let smtp = redress_mail::SmtpConfig {
            host: "127.0.0.1".into(),
            port: sink.port,
            security: redress_mail::Security::None,
            username: None,
            password: None,
            from: "Bench <bench@example.com>".into(),
        };
        redress_mail::SmtpMailer::new(&smtp).map(|m| server::Background { mailer: Arc::new(m), poll: Duration::from_millis(20) })
    });
    let background = background.transpose()?;
    let web = redress_web::WebConfig { public_url: String::new(), ..Default::default() };
    let running = server::start(store.clone(), "127.0.0.1:0", web, background).await?;
    let api = Client::new(&running.base_url, &token)?;
    let result = match args.workload.as_str() {
        "cases" => cases(&api, args).await,
        "responses" => responses(store.as_ref(), &api, args).await,
        "delivery" => delivery(store.as_ref(), &api, &sink, args).await,
        "console" => console(store.as_ref(), &api, &running.base_url, url, args).await,
        "insight" => insight::run(store.as_ref(), &api, &running.base_url, url, args).await,
        other => Err(format!("unknown workload '{other}': use cases, responses, delivery, console or insight")),
    };
    running.stop().await;
    result
}

async fn customers(api: &Client, n: usize) -> Result<Vec<i64>, String> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let c = api.post("/api/v1/customers", json!({ "name": format!("Customer {i}"), "timezone": "Europe/London" })).await?;
        ids.push(c["id"].as_i64().unwrap_or(1));
    }
    Ok(ids)
}

async fn cases(api: &Client, args: &Args) -> Result<(), String> {
    let customers = Arc::new(customers(api, 100).await?);
    let api = api.clone();
    let report = drive(args.cases, args.concurrency, move |i| {
        let (api, customers) = (api.clone(), customers.clone());
        async move {
            let body = json!({
                "customer_id": customers[i % customers.len()], "channel": "phone",
                "summary": format!("Benchmark complaint {i}"), "description": "Parcel arrived damaged",
                "desired_resolution": "A replacement",
            });
            api.post("/api/v1/cases", body).await.map(|_| ())
        }
    })
    .await;
    report.print(&args.backend, "cases", args.concurrency);
    report.ok()
}

async fn responses(store: &dyn Store, api: &Client, args: &Args) -> Result<(), String> {
    let manager = api.post("/api/v1/users", json!({ "name": "Client manager", "role": "manager", "mandate": "100" })).await?;
    let area = api.post("/api/v1/service-areas", json!({ "name": "Deliveries", "service_manager_id": manager["id"] })).await?;
    let survey = api
        .post("/api/v1/surveys", json!({
            "title": "Delivery survey", "service_area_id": area["id"], "reward_points": 10,
            "questions": [
                { "key": "speed", "prompt": "Speed?", "kind": "rating" },
                { "key": "care", "prompt": "Care?", "kind": "rating" },
                { "key": "tracking", "prompt": "Tracking?", "kind": "rating" },
                { "key": "nps", "prompt": "Recommend us?", "kind": "nps" },
            ],
        }))
        .await?;
    let survey_id = redress_core::SurveyId(survey["id"].as_i64().unwrap_or(1));
    // Customers and invitations go straight to the store: setup, not measured.
    let now = jiff::Timestamp::now();
    let mut customer_ids = Vec::new();
    for i in 0..1000 {
        let c = NewCustomer {
            name: format!("Respondent {i}"),
            email: None,
            phone: None,
            timezone: "Europe/London".into(),
            client_manager_id: manager["id"].as_i64().map(redress_core::UserId),
            language: None,
        };
        customer_ids.push(store.create_customer(c, now).await.map_err(|e| e.to_string())?.id);
    }
    let started = Instant::now();
    let mut codes = Vec::with_capacity(args.invitations);
    let expires_at = now + jiff::SignedDuration::from_hours(24 * 30);
    for chunk in (0..args.invitations).collect::<Vec<_>>().chunks(1000) {
        let mut batch = Vec::with_capacity(chunk.len());
        for i in chunk {
            let (code, digest) = redress_web::auth::new_access_code().map_err(|e| e.detail)?;
            codes.push(code);
            batch.push(NewInvitation { customer_id: customer_ids[i % customer_ids.len()], code_digest: digest, expires_at, case_id: None });
        }
        store.create_invitations(survey_id, batch, now).await.map_err(|e| e.to_string())?;
    }
    eprintln!("setup        {} invitations in {:.1} s", args.invitations, started.elapsed().as_secs_f64());
    let codes = Arc::new(codes);
    let load = api.clone();
    let report = drive(args.responses, args.concurrency, move |i| {
        let (api, codes) = (load.clone(), codes.clone());
        async move {
            // Every fifth response has a low score and opens a follow-up case.
            let low = i % 5 == 0;
            let answers = json!({ "speed": if low { 1 + (i / 5 % 3) } else { 5 }, "care": 4, "tracking": 5, "nps": if low { 3 } else { 9 } });
            let body = json!({ "code": codes[i], "answers": answers });
            api.post_public("/api/v1/responses", body).await.map(|_: Value| ())
        }
    })
    .await;
    report.print(&args.backend, "responses", args.concurrency);
    let opened: i64 = store.case_counts_by_status().await.map_err(|e| e.to_string())?.iter().map(|(_, n)| n).sum();
    println!("follow-ups   {opened} survey cases opened");
    report.ok()
}

/// Survey responses arrive at `--concurrency` while the worker delivers each
/// acknowledgement to a local SMTP server; reports messages per second and
/// the delay from `scheduled_for` to delivery.
async fn delivery(store: &dyn Store, api: &Client, sink: &redress_mail::sink::SmtpSink, args: &Args) -> Result<(), String> {
    let survey = api.post("/api/v1/surveys", json!({ "title": "S", "questions": [{ "key": "q", "prompt": "How was it?", "kind": "rating" }] })).await?;
    let survey_id = redress_core::SurveyId(survey["id"].as_i64().unwrap_or(1));
    let now = jiff::Timestamp::now();
    let mut customer_ids = Vec::new();
    for i in 0..100 {
        let c = NewCustomer { name: format!("Respondent {i}"), email: Some(format!("r{i}@example.com")), phone: None, timezone: "UTC".into(), client_manager_id: None, language: None };
        customer_ids.push(store.create_customer(c, now).await.map_err(|e| e.to_string())?.id);
    }
    let mut codes = Vec::with_capacity(args.notifications);
    let mut batch = Vec::new();
    for i in 0..args.notifications {
        let (code, digest) = redress_web::auth::new_access_code().map_err(|e| e.detail)?;
        codes.push(code);
        batch.push(NewInvitation { customer_id: customer_ids[i % customer_ids.len()], code_digest: digest, expires_at: now + jiff::SignedDuration::from_hours(24), case_id: None });
        if batch.len() == 1000 || i + 1 == args.notifications {
            store.create_invitations(survey_id, std::mem::take(&mut batch), now).await.map_err(|e| e.to_string())?;
        }
    }
    let codes = Arc::new(codes);
    let load = api.clone();
    let started = Instant::now();
    let submitted = drive(args.notifications, args.concurrency, move |i| {
        let (api, codes) = (load.clone(), codes.clone());
        async move { api.post_public("/api/v1/responses", json!({ "code": codes[i], "answers": { "q": 5 } })).await.map(|_| ()) }
    })
    .await;
    submitted.ok()?;
    let deadline = Instant::now() + Duration::from_secs(600);
    while sink.messages().len() < args.notifications {
        if Instant::now() > deadline {
            return Err(format!("only {} of {} messages arrived", sink.messages().len(), args.notifications));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    // Each message is recorded as sent just after the server accepts it.
    let mut delays = sent_delays(store).await?;
    while delays.len() < args.notifications && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        delays = sent_delays(store).await?;
    }
    delays.sort_by(f64::total_cmp);
    let pct = |p: f64| delays.get(((delays.len() as f64 * p) as usize).min(delays.len().saturating_sub(1))).copied().unwrap_or_default();
    println!("backend      {}", args.backend);
    println!("delivered    {} messages to a local SMTP server ({} received), responses at concurrency {}", delays.len(), sink.messages().len(), args.concurrency);
    println!("elapsed      {:.2} s (first response to last delivery)", elapsed.as_secs_f64());
    println!("throughput   {:.0} messages/s", args.notifications as f64 / elapsed.as_secs_f64());
    println!("delay        scheduled_for to sent: p50 {:.0} ms   p99 {:.0} ms   max {:.0} ms", pct(0.5), pct(0.99), pct(1.0));
    Ok(())
}

/// The console's two busiest pages over a full database: `--cases` cases
/// (created over HTTP, not timed; then the planner's statistics refreshed,
/// as autovacuum would), then the home page (seven queue counts
/// and a page of the signed-in person's cases) and a case page with 200
/// timeline events, each viewed `--views` times one after another.
async fn console(store: &dyn Store, api: &Client, base: &str, url: &str, args: &Args) -> Result<(), String> {
    let customers = Arc::new(customers(api, 100).await?);
    let seeding = api.clone();
    let seeded = drive(args.cases, args.concurrency, move |i| {
        let (api, customers) = (seeding.clone(), customers.clone());
        async move {
            let body = json!({ "customer_id": customers[i % customers.len()], "channel": "phone", "summary": format!("Benchmark complaint {i}"), "description": "Parcel arrived damaged" });
            api.post("/api/v1/cases", body).await.map(|_| ())
        }
    })
    .await;
    seeded.ok()?;
    let busy = api.post("/api/v1/cases", json!({ "customer_id": 1, "channel": "phone", "summary": "A long conversation" })).await?;
    let busy = busy["id"].as_i64().unwrap_or(1);
    for i in 0..198 {
        let body = json!({ "direction": if i % 2 == 0 { "inbound" } else { "outbound" }, "channel": "phone", "body": format!("Call {i}: the customer explained again what happened, and we said what comes next.") });
        api.post(&format!("/api/v1/cases/{busy}/communications"), body).await?;
    }
    redress_store::refresh_statistics(url).await.map_err(|e| e.to_string())?;
    // A console session for the bench's admin, who owns every case.
    let me = api.get("/api/v1/me").await?;
    let user = redress_core::UserId(me["id"].as_i64().unwrap_or(1));
    let (token, digest) = redress_web::auth::new_token().map_err(|e| e.detail)?;
    let now = jiff::Timestamp::now();
    store.create_session(digest, user, now + jiff::SignedDuration::from_hours(12), now).await.map_err(|e| e.to_string())?;
    let http = reqwest::Client::new();
    let cookie = format!("redress_session={token}");
    for (what, path) in [("home page", "/console".to_string()), ("case page", format!("/console/cases/{busy}"))] {
        let (http, cookie, url) = (http.clone(), cookie.clone(), format!("{base}{path}"));
        let report = drive(args.views, 1, move |_| {
            let (http, cookie, url) = (http.clone(), cookie.clone(), url.clone());
            async move {
                let resp = http.get(&url).header(reqwest::header::COOKIE, cookie).send().await.map_err(|e| e.to_string())?;
                let status = resp.status();
                let body = resp.bytes().await.map_err(|e| e.to_string())?;
                if status.is_success() && !body.is_empty() {
                    Ok(())
                } else {
                    Err(format!("{url} answered {status}"))
                }
            }
        })
        .await;
        report.ok()?;
        println!("{what:<12} {} views over {} cases: p50 {:.2} ms   p90 {:.2} ms   p99 {:.2} ms", report.latencies.len(), args.cases + 1, report.pct(0.5), report.pct(0.9), report.pct(0.99));
    }
    println!("backend      {}", args.backend);
    Ok(())
}

/// Milliseconds from `scheduled_for` to `sent_at` of every sent notification.
async fn sent_delays(store: &dyn Store) -> Result<Vec<f64>, String> {
    let mut delays = Vec::new();
    let mut before = None;
    loop {
        let filter = redress_core::store::NotificationFilter { before_id: before, limit: 500, ..Default::default() };
        let page = store.notifications(&filter).await.map_err(|e| e.to_string())?;
        let Some(last) = page.last() else { break };
        before = Some(last.id.0);
        delays.extend(page.iter().filter_map(|n| n.sent_at.map(|s| s.duration_since(n.scheduled_for).as_secs_f64() * 1000.0)));
    }
    Ok(delays)
}

/// Runs `total` requests at `concurrency`, timing each: every worker takes
/// the next index until none are left.
async fn drive<F, Fut>(total: usize, concurrency: usize, request: F) -> Report
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let request = Arc::new(request);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (next, request) = (next.clone(), request.clone());
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut failures) = (Vec::new(), Vec::new());
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                match request(i).await {
                    Ok(()) => latencies.push(t.elapsed()),
                    Err(e) => failures.push(e),
                }
            }
            (latencies, failures)
        }));
    }
    let mut report = Report { latencies: Vec::with_capacity(total), failures: Vec::new(), elapsed: Duration::ZERO };
    for w in workers {
        if let Ok((l, f)) = w.await {
            report.latencies.extend(l);
            report.failures.extend(f);
        }
    }
    report.elapsed = started.elapsed();
    report.latencies.sort();
    report
}

struct Report {
    latencies: Vec<Duration>,
    failures: Vec<String>,
    elapsed: Duration,
}

impl Report {
    fn pct(&self, p: f64) -> f64 {
        let l = &self.latencies;
        let d = l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1))).copied().unwrap_or_default();
        d.as_secs_f64() * 1000.0
    }

    fn print(&self, backend: &str, what: &str, concurrency: usize) {
        println!("backend      {backend}");
        println!("{what:<12} {} created, {} failed, concurrency {concurrency}", self.latencies.len(), self.failures.len());
        println!("elapsed      {:.2} s", self.elapsed.as_secs_f64());
        println!("throughput   {:.0} {what}/s", self.latencies.len() as f64 / self.elapsed.as_secs_f64());
        println!("latency      p50 {:.2} ms   p90 {:.2} ms   p99 {:.2} ms   max {:.2} ms", self.pct(0.50), self.pct(0.90), self.pct(0.99), self.pct(1.0));
        if let Some(peak) = peak_memory_kib() {
            println!("peak memory  {:.1} MiB (server and load generator share this process)", peak as f64 / 1024.0);
        }
    }

    fn ok(&self) -> Result<(), String> {
        match self.failures.first() {
            None => Ok(()),
            Some(first) => Err(format!("{} requests failed; the first: {first}", self.failures.len())),
        }
    }
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
}
