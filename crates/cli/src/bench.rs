//! `redress bench`: starts a server on a fresh database, creates N cases over
//! HTTP at concurrency C and prints throughput and latency percentiles. Every
//! 2xx counted is durable (the store commits before answering).

use crate::client::Client;
use crate::server;
use redress_store::scratch::ScratchDatabase;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Args {
    /// How many cases to create.
    #[arg(long, default_value_t = 10_000)]
    cases: usize,
    /// How many requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Backend to measure: sqlite (a fresh temporary file) or postgres (a fresh
    /// database on the server at --postgres-url, dropped afterwards).
    #[arg(long, default_value = "sqlite")]
    backend: String,
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres", env = "REDRESS_BENCH_POSTGRES")]
    postgres_url: String,
}

pub async fn run(args: Args) -> Result<(), String> {
    if args.cases == 0 || args.concurrency == 0 {
        return Err("--cases and --concurrency must be at least 1".into());
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
    let running = server::start(store, "127.0.0.1:0", 1024 * 1024, None).await?;
    let api = Client::new(&running.base_url, &token);
    let mut customers = Vec::new();
    for i in 0..100 {
        let c = api.post("/api/v1/customers", json!({ "name": format!("Customer {i}"), "timezone": "Europe/London" })).await?;
        customers.push(c["id"].as_i64().unwrap_or(1));
    }
    let customers = Arc::new(customers);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (api, next, customers, total) = (api.clone(), next.clone(), customers.clone(), args.cases);
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let body = json!({
                    "customer_id": customers[i % customers.len()], "channel": "phone",
                    "summary": format!("Benchmark complaint {i}"), "description": "Parcel arrived damaged",
                    "desired_resolution": "A replacement",
                });
                let t = Instant::now();
                match api.post("/api/v1/cases", body).await {
                    Ok(_) => latencies.push(t.elapsed()),
                    Err(_) => failures += 1,
                }
            }
            (latencies, failures)
        }));
    }
    let mut latencies: Vec<Duration> = Vec::with_capacity(args.cases);
    let mut failures = 0;
    for w in workers {
        let (l, f) = w.await.map_err(|e| e.to_string())?;
        latencies.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed();
    running.stop().await;
    latencies.sort();
    let pct = |p: f64| latencies.get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1))).copied().unwrap_or_default();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("backend      {}", args.backend);
    println!("cases        {} created, {} failed, concurrency {}", latencies.len(), failures, args.concurrency);
    println!("elapsed      {:.2} s", elapsed.as_secs_f64());
    println!("throughput   {:.0} cases/s", latencies.len() as f64 / elapsed.as_secs_f64());
    println!("latency      p50 {:.2} ms   p90 {:.2} ms   p99 {:.2} ms   max {:.2} ms", ms(pct(0.50)), ms(pct(0.90)), ms(pct(0.99)), ms(pct(1.0)));
    if let Some(peak) = peak_memory_kib() {
        println!("peak memory  {:.1} MiB (server and load generator share this process)", peak as f64 / 1024.0);
    }
    if failures > 0 {
        return Err(format!("{failures} requests failed"));
    }
    Ok(())
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
}
