//! The write paths measured against this machine's own limits, back to back
//! with the same client and concurrency:
//!
//! - the **HTTP ceiling**: the same bodies POSTed to `POST /api/v1/echo`, an
//!   authenticated no-op (routing, authentication, JSON parsing, an answer);
//! - the **scenario**: case creation (`--workload cases`) or survey
//!   responses (`--workload responses`: 80% good scores, 20% low ones that
//!   open follow-up cases, each with an acknowledgement and a reward);
//! - the **storage ceiling**: as many more of the same writes, prepared
//!   beforehand, stored by the write path's own statements on the
//!   connection the server stores them with (on SQLite the writer's own)
//!   and with the statements it stores them with (on PostgreSQL the batch
//!   writer's), as many to a transaction as the server commits together
//!   ([`redress_store::Backend::group_commit`]), durably (`synchronous=FULL`
//!   on SQLite: one fsync a batch).
//!
//! The scenario's rate is printed as a share of the lower ceiling.

use super::{drive, Args, Report, Target};
use crate::client::Client;
use redress_core::case::{Channel, NewCase};
use redress_core::terms::Severity;
use redress_core::CustomerId;
use redress_store::bench::BulkLoader;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Instant;

/// Customers the cases are spread over.
const CUSTOMERS: usize = 100;
/// Respondents the invitations are spread over.
const RESPONDENTS: usize = 1000;

pub async fn cases(target: &Target, args: &Args) -> Result<Value, String> {
    let api = &target.api;
    let customers = super::customers(api, CUSTOMERS).await?;
    let body = move |customers: &[i64], i: usize| {
        json!({
            "customer_id": customers[i % customers.len()], "channel": "phone",
            "summary": format!("Benchmark complaint {i}"), "description": "Parcel arrived damaged",
            "desired_resolution": "A replacement",
        })
    };
    let storage = match &target.database {
        Some(url) => {
            let me = api.get("/api/v1/me").await?;
            let recorder = redress_core::UserId(me["id"].as_i64().ok_or("/api/v1/me without an id")?);
            let mut loader = BulkLoader::connect(url).await.map_err(|e| e.to_string())?;
            let inputs = (0..args.cases)
                .map(|i| {
                    let input = NewCase {
                        channel: Channel::Phone,
                        summary: format!("Benchmark complaint {i}"),
                        description: "Parcel arrived damaged".into(),
                        desired_resolution: Some("A replacement".into()),
                        severity: Severity::default(),
                        significant: false,
                        service_area_id: None,
                        occurred_at: None,
                        reported_at: None,
                        order_reference: None,
                        category_id: None,
                    };
                    (input, CustomerId(customers[i % customers.len()]))
                })
                .collect();
            let writes = loader.prepare_cases(inputs, recorder, jiff::Timestamp::now()).await.map_err(|e| e.to_string())?;
            Some(ceiling_storage(&mut loader, writes).await?)
        }
        None => None,
    };
    let (http, scenario, peak) = then_scenario(target, args, args.cases, "/api/v1/cases", true, move |i| body(&customers, i)).await?;
    Ok(figures(target, args, "cases", &scenario, &http, storage, peak))
}

pub async fn responses(target: &Target, args: &Args) -> Result<Value, String> {
    let api = &target.api;
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
    // Codes answer once: the scenario's, then the storage ceiling's.
    let answered = if target.database.is_some() { 2 * args.responses } else { args.responses };
    let wanted = answered.max(args.invitations);
    let started = Instant::now();
    let mut respondents = Vec::with_capacity(RESPONDENTS);
    for i in 0..RESPONDENTS.min(wanted) {
        let c = api.post("/api/v1/customers", json!({ "name": format!("Respondent {i}"), "timezone": "Europe/London", "client_manager_id": manager["id"] })).await?;
        respondents.push(c["id"].clone());
    }
    let mut codes = Vec::with_capacity(wanted);
    let path = format!("/api/v1/surveys/{}/invitations", survey["id"]);
    while codes.len() < wanted {
        let ids: Vec<Value> = (codes.len()..wanted.min(codes.len() + 500)).map(|i| respondents[i % respondents.len()].clone()).collect();
        let issued = api.post(&path, json!({ "customer_ids": ids, "valid_days": 30 })).await?;
        let issued = issued.as_array().ok_or("the invitations answer is not a list")?;
        codes.extend(issued.iter().filter_map(|inv| inv["code"].as_str().map(str::to_string)));
    }
    eprintln!("setup        {wanted} invitations in {:.1} s", started.elapsed().as_secs_f64());
    let body = |codes: &[String], i: usize| json!({ "code": codes[i], "answers": answers(i) });
    let storage = match &target.database {
        Some(url) => {
            let mut loader = BulkLoader::connect(url).await.map_err(|e| e.to_string())?;
            let judged = (0..args.responses)
                .map(|i| {
                    let code = &codes[args.responses + i];
                    let digest = redress_core::access_code::digest_of(code).ok_or("an issued code has no digest")?;
                    let Value::Object(raw) = answers(i) else { unreachable!("answers are an object") };
                    Ok((digest, raw))
                })
                .collect::<Result<Vec<(String, Map<String, Value>)>, String>>()?;
            let writes = loader.prepare_responses(judged, jiff::Timestamp::now()).await.map_err(|e| e.to_string())?;
            Some(ceiling_storage(&mut loader, writes).await?)
        }
        None => None,
    };
    let (http, scenario, peak) = then_scenario(target, args, args.responses, "/api/v1/responses", false, move |i| body(&codes, i)).await?;
    let mut out = figures(target, args, "responses", &scenario, &http, storage, peak);
    if let Some(store) = &target.store {
        let opened: i64 = store.case_counts_by_status().await.map_err(|e| e.to_string())?.iter().map(|(_, n)| n).sum();
        println!("follow-ups   {opened} survey cases opened (the storage ceiling's included)");
        out["follow_up_cases"] = json!(opened);
    }
    Ok(out)
}

/// The answers of the `i`th response: every fifth has a low score and opens
/// a follow-up case.
fn answers(i: usize) -> Value {
    let low = i.is_multiple_of(5);
    json!({ "speed": if low { 1 + (i / 5 % 3) } else { 5 }, "care": 4, "tracking": 5, "nps": if low { 3 } else { 9 } })
}

/// After the storage ceiling: the HTTP ceiling (the same bodies POSTed to
/// the no-op `POST /api/v1/echo`), then the scenario (`body(i)` POSTed to
/// `path`, with the admin's token when `authenticated`); answers both, and
/// the peak memory meanwhile when the server runs in this process.
async fn then_scenario<B>(target: &Target, args: &Args, total: usize, path: &'static str, authenticated: bool, body: B) -> Result<(Report, Report, Option<u64>), String>
where
    B: Fn(usize) -> Value + Send + Sync + 'static,
{
    settle(target).await?;
    super::reset_peak_memory();
    let body = Arc::new(body);
    let post = move |api: Client, path: &'static str, b: Value, authenticated: bool| async move {
        let answer = if authenticated { api.post(path, b).await } else { api.post_public(path, b).await };
        answer.map(|_| ())
    };
    let (api, each) = (target.api.clone(), body.clone());
    let http = drive(total, args.concurrency, None, move |i| post(api.clone(), "/api/v1/echo", each(i), true)).await;
    http.ok()?;
    let api = target.api.clone();
    let scenario = drive(total, args.concurrency, args.rate, move |i| post(api.clone(), path, body(i), authenticated)).await;
    let peak = target.store.as_ref().and(super::peak_memory_kib());
    scenario.ok()?;
    Ok((http, scenario, peak))
}

/// Waits until the server has folded the rollup changes the storage
/// ceiling appended, so its compactor does not share the scenario's time:
/// in this process by folding them here, else by waiting a few seconds.
async fn settle(target: &Target) -> Result<(), String> {
    match &target.store {
        Some(store) => while store.compact_rollups(2000).await.map_err(|e| e.to_string())? > 0 {},
        None => tokio::time::sleep(std::time::Duration::from_secs(5)).await,
    }
    Ok(())
}

/// Writes prepared writes in group-commit batches; answers writes a second.
async fn ceiling_storage(loader: &mut BulkLoader, writes: redress_store::bench::CeilingWrites) -> Result<f64, String> {
    let n = writes.len();
    let started = Instant::now();
    loader.write_ceiling(writes).await.map_err(|e| e.to_string())?;
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// Prints a scenario's figures beside its ceilings; answers them as JSON.
fn figures(target: &Target, args: &Args, what: &str, scenario: &Report, http: &Report, storage: Option<f64>, peak_kib: Option<u64>) -> Value {
    let rate = scenario.rate();
    let lower = storage.map_or(http.rate(), |s| s.min(http.rate()));
    let share = 100.0 * rate / lower;
    println!("backend      {}", target.backend);
    println!("target       {}", target.base);
    scenario.print(what, "created", args.concurrency);
    println!("http ceiling {:.0} no-op POSTs/s of the same bodies   p50 {:.2} ms   p99 {:.2} ms", http.rate(), http.pct(0.5), http.pct(0.99));
    match storage {
        Some(s) => {
            let batch = target.database.as_deref().and_then(|url| redress_store::Backend::of(url).ok()).map_or(0, redress_store::Backend::group_commit);
            println!("storage ceiling {s:.0} {what}/s (the same writes, {batch} to a commit)");
        }
        None => println!("storage ceiling not measured: give --database with --url"),
    }
    println!("of ceiling   {share:.0} % of the lower ceiling");
    let idle = target.idle_kib;
    if let (Some(idle), Some(peak)) = (idle, peak_kib) {
        println!("memory       idle {:.1} MiB, peak {:.1} MiB (server and load generator share this process)", idle as f64 / 1024.0, peak as f64 / 1024.0);
    }
    json!({
        "backend": target.backend,
        "workload": what,
        "target": target.base,
        "concurrency": args.concurrency,
        "scenario": scenario.json(),
        "http_ceiling": http.json(),
        "storage_ceiling_per_s": storage,
        "percent_of_ceiling": share,
        "rss_idle_mib": idle.map(|k| k as f64 / 1024.0),
        "rss_peak_mib": peak_kib.map(|k| k as f64 / 1024.0),
    })
}
