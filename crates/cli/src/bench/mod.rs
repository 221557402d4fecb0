//! `redress bench`: measures Redress over HTTP on a fresh database (a
//! server started in this process), or an already running server
//! (`--url`, as an outside client would):
//!
//! - `--workload cases` and `--workload responses`: the write paths, each
//!   beside its HTTP and storage ceilings measured in the same run (see
//!   [`write`]);
//! - `--workload delivery`: acknowledgements sent by the job worker to a
//!   local SMTP server while survey responses arrive (see [`delivery`]);
//! - `--workload console`: the console's home page and a case page with
//!   200 timeline events, over `--cases` cases;
//! - `--workload insight`: millions of survey responses and their cases
//!   bulk-loaded, then the metrics API and case search timed (see
//!   [`insight`]).
//!
//! Prints throughput, latency percentiles and memory (`--json`: one JSON
//! object too). Every 2xx counted is durable: the store commits before
//! answering.

mod delivery;
mod insight;
mod write;

use crate::client::Client;
use crate::server;
use redress_core::store::Store;
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
    /// Invitations issued before the run (workload `responses`): at least
    /// one per response (and one per response of the storage ceiling).
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
    /// Start requests at this many a second at most (the scenario of
    /// `cases`, `responses` and `delivery`); as fast as answers come when absent.
    #[arg(long)]
    rate: Option<f64>,
    /// Backend to measure: sqlite (a fresh temporary file) or postgres (a fresh
    /// database on the server at --postgres-url, dropped afterwards).
    #[arg(long, default_value = "sqlite")]
    backend: String,
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres", env = "REDRESS_BENCH_POSTGRES")]
    postgres_url: String,
    /// Drive an already running server at this address instead (workloads
    /// `cases` and `responses`), with an admin's token (--token).
    #[arg(long)]
    url: Option<String>,
    /// An admin's API token for --url.
    #[arg(long, env = "REDRESS_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// With --url: the server's database, for the storage ceiling (it
    /// writes there, beside the server).
    #[arg(long)]
    database: Option<String>,
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
    /// Print the figures as one JSON object too.
    #[arg(long)]
    json: bool,
}

/// The server a run drives.
pub struct Target {
    api: Client,
    /// `sqlite` or `postgres`; `unknown` for a running server without --database.
    backend: String,
    /// Its address.
    base: String,
    /// Its database, where the storage ceiling writes (none: not measured).
    database: Option<String>,
    /// Its store, when it runs in this process.
    store: Option<Arc<dyn Store>>,
    /// This process's resident memory once the server was up (in this process only).
    idle_kib: Option<u64>,
}

pub async fn run(args: Args) -> Result<(), String> {
    if args.cases == 0 || args.responses == 0 || args.concurrency == 0 || args.notifications == 0 {
        return Err("--cases, --responses, --notifications and --concurrency must be at least 1".into());
    }
    if args.workload == "responses" && args.responses > args.invitations {
        return Err("--responses cannot exceed --invitations: each code answers once".into());
    }
    if args.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        return Err("--rate must be a positive number of requests a second".into());
    }
    if let Some(url) = &args.url {
        if !matches!(args.workload.as_str(), "cases" | "responses") {
            return Err(format!("--url drives the workloads cases and responses only, not {}", args.workload));
        }
        let token = args.token.as_deref().ok_or("--url needs an admin's API token: give --token or set REDRESS_TOKEN")?;
        let backend = match args.database.as_deref().map(redress_store::Backend::of).transpose().map_err(|e| e.to_string())? {
            Some(redress_store::Backend::Sqlite) => "sqlite",
            Some(redress_store::Backend::Postgres) => "postgres",
            None => "unknown",
        };
        let api = Client::new(url.trim_end_matches('/'), token)?;
        let target = Target { api, backend: backend.into(), base: url.clone(), database: args.database.clone(), store: None, idle_kib: None };
        return report(&args, workload(&target, &args).await?);
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

/// Prints `figures` as JSON when asked.
fn report(args: &Args, figures: Value) -> Result<(), String> {
    if args.json && !figures.is_null() {
        println!("{figures}");
    }
    Ok(())
}

async fn workload(target: &Target, args: &Args) -> Result<Value, String> {
    match args.workload.as_str() {
        "cases" => write::cases(target, args).await,
        "responses" => write::responses(target, args).await,
        other => Err(format!("unknown workload '{other}': use cases, responses, delivery, console or insight")),
    }
}

async fn measure(url: &str, args: &Args) -> Result<(), String> {
    let store = redress_store::open(url).await.map_err(|e| e.to_string())?;
    let (_, token) = server::create_admin(store.as_ref(), "Bench", None, None).await?;
    // The request path alone: the delivery workload starts its own worker.
    let web = redress_web::WebConfig { public_url: String::new(), ..Default::default() };
    let running = server::start(store.clone(), "127.0.0.1:0", web, None).await?;
    let api = Client::new(&running.base_url, &token)?;
    let target = Target { api: api.clone(), backend: args.backend.clone(), base: running.base_url.clone(), database: Some(url.to_string()), store: Some(store.clone()), idle_kib: resident_kib() };
    let result = match args.workload.as_str() {
        "delivery" => match redress_mail::sink::SmtpSink::start().await {
            Ok(sink) => delivery::run(store.clone(), &api, &sink, args).await,
            Err(e) => Err(e.to_string()),
        },
        "console" => console(store.as_ref(), &api, &running.base_url, url, args).await.map(|()| Value::Null),
        "insight" => insight::run(store.as_ref(), &api, &running.base_url, url, args).await.map(|()| Value::Null),
        _ => workload(&target, args).await,
    };
    running.stop().await;
    report(args, result?)
}

async fn customers(api: &Client, n: usize) -> Result<Vec<i64>, String> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let c = api.post("/api/v1/customers", json!({ "name": format!("Customer {i}"), "timezone": "Europe/London" })).await?;
        ids.push(c["id"].as_i64().unwrap_or(1));
    }
    Ok(ids)
}

/// The console's two busiest pages over a full database: `--cases` cases
/// (created over HTTP, not timed; then the planner's statistics refreshed,
/// as autovacuum would), then the home page (seven queue counts
/// and a page of the signed-in person's cases) and a case page with 200
/// timeline events, each viewed `--views` times one after another.
async fn console(store: &dyn Store, api: &Client, base: &str, url: &str, args: &Args) -> Result<(), String> {
    let customers = Arc::new(customers(api, 100).await?);
    let seeding = api.clone();
    let seeded = drive(args.cases, args.concurrency, None, move |i| {
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
        let report = drive(args.views, 1, None, move |_| {
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

/// Runs `total` requests at `concurrency`, timing each: every worker takes
/// the next index until none are left. With a `rate`, request `i` starts
/// no earlier than `i / rate` seconds in (and is timed from then).
async fn drive<F, Fut>(total: usize, concurrency: usize, rate: Option<f64>, request: F) -> Report
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
                if let Some(r) = rate {
                    tokio::time::sleep_until((started + Duration::from_secs_f64(i as f64 / r)).into()).await;
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
        percentile(&self.latencies.iter().map(|d| d.as_secs_f64() * 1000.0).collect::<Vec<_>>(), p)
    }

    /// Successful requests a second.
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn print(&self, what: &str, done: &str, concurrency: usize) {
        println!("{what:<12} {} {done}, {} failed, concurrency {concurrency}", self.latencies.len(), self.failures.len());
        println!("elapsed      {:.2} s", self.elapsed.as_secs_f64());
        println!("throughput   {:.0} {what}/s", self.rate());
        println!("latency      p50 {:.2} ms   p90 {:.2} ms   p99 {:.2} ms   max {:.2} ms", self.pct(0.50), self.pct(0.90), self.pct(0.99), self.pct(1.0));
    }

    fn json(&self) -> Value {
        json!({
            "done": self.latencies.len(), "failed": self.failures.len(), "elapsed_s": self.elapsed.as_secs_f64(), "per_s": self.rate(),
            "p50_ms": self.pct(0.5), "p90_ms": self.pct(0.9), "p99_ms": self.pct(0.99), "max_ms": self.pct(1.0),
        })
    }

    fn ok(&self) -> Result<(), String> {
        match self.failures.first() {
            None => Ok(()),
            Some(first) => Err(format!("{} requests failed; the first: {first}", self.failures.len())),
        }
    }
}

/// The `p` quantile (0 to 1) of sorted `values`; 0 when there are none.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted.get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1))).copied().unwrap_or_default()
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_memory_kib() -> Option<u64> {
    status_kib("VmHWM:")
}

/// Resets the peak resident memory (VmHWM) to the current (Linux).
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Resident memory of this process now, from /proc (Linux).
fn resident_kib() -> Option<u64> {
    status_kib("VmRSS:")
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find(|l| l.starts_with(field))?.split_whitespace().nth(1)?.parse().ok()
}
