//! `redress bench --workload insight`: the insight figures at scale.
//!
//! For each of `--sizes` (survey-response counts, reached one after another
//! in the same database), bulk-loads the responses still missing, with
//! `--cases-per-response` cases, spread over 2026 in the organisation's zone
//! across eight service areas, every channel, ten categories, fifty owners
//! and up to 200,000 customers (one per five responses) (`redress_store::bench`); rebuilds the rollups
//! (`Store::rebuild_rollups`); then, over HTTP with a manager's token, times
//! `GET /api/v1/metrics` for the whole year, one service area over the year,
//! and one week, and a two-word case search, `--queries` times each, one
//! after another. Peak resident memory is read from /proc before and after
//! the queries (the server runs in this process).

use super::{peak_memory_kib, reset_peak_memory, Args};
use crate::client::Client;
use jiff::{SignedDuration, Timestamp};
use redress_core::case::{ActionStatus, Case, Channel, CorrectiveAction, FollowUp, FollowUpOutcome, Gift, NewCase, RemedyKind, Status};
use redress_core::customer::Customer;
use redress_core::money::Money;
use redress_core::service_area::ServiceArea;
use redress_core::settings::OrgSettings;
use redress_core::store::Store;
use redress_core::survey::{AnswerValue, Answers, Survey};
use redress_core::terms::Severity;
use redress_core::user::User;
use redress_core::{CustomerId, UserId};
use redress_store::bench::{BulkCustomer, BulkLoader, BulkResponse};
use serde_json::json;
use std::time::{Duration, Instant};

const AREAS: [&str; 8] = ["Deliveries", "Billing", "Repairs", "Installations", "Returns", "Online shop", "Stores", "Contact centre"];
const CATEGORIES: [&str; 10] =
    ["Late delivery", "Damaged goods", "Wrong item", "Overcharged", "Refund delay", "Rude staff", "Faulty product", "Missed appointment", "Website error", "Poor communication"];
const OWNERS: usize = 50;
/// Customers at most: one for every five responses of the largest size, up to 200,000.
const CUSTOMERS: usize = 200_000;
/// Words the case texts are drawn from, so a two-word search finds some cases, not all.
const NOUNS: [&str; 40] = [
    "parcel", "invoice", "engineer", "boiler", "router", "fridge", "washer", "sofa", "mattress", "laptop", "phone", "tablet", "printer", "kettle",
    "oven", "heater", "bicycle", "voucher", "refund", "account", "booking", "ticket", "order", "courier", "driver", "technician", "warranty",
    "receipt", "payment", "subscription", "meter", "cable", "battery", "charger", "screen", "door", "window", "carpet", "lamp", "desk",
];
const PROBLEMS: [&str; 30] = [
    "damaged", "missing", "late", "broken", "cracked", "leaking", "noisy", "faulty", "overcharged", "cancelled", "lost", "scratched", "dented",
    "unsafe", "incomplete", "delayed", "rejected", "duplicated", "wrong", "dirty", "expired", "blocked", "frozen", "flickering", "rattling",
    "overheating", "disconnected", "mislabelled", "unreadable", "stuck",
];
const FILLER: [&str; 24] = [
    "the", "customer", "says", "arrived", "after", "two", "weeks", "and", "nobody", "called", "back", "again", "promised", "yesterday", "still",
    "waiting", "for", "a", "reply", "from", "your", "team", "about", "it",
];
const CHANNELS: [Channel; 7] = [Channel::Phone, Channel::Email, Channel::Web, Channel::Retailer, Channel::Survey, Channel::Social, Channel::InPerson];

/// A small deterministic generator (SplitMix64): the same data every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.below(from.len())]
    }
    /// An index drawn with the given weights.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let mut r = self.below(weights.iter().sum::<u32>() as usize) as u32;
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }
    fn secs(&mut self, lo: i64, hi: i64) -> SignedDuration {
        SignedDuration::from_secs(lo + self.below((hi - lo).max(1) as usize) as i64)
    }
}

/// What the load shares: the organisation, its people and surveys.
struct World {
    settings: OrgSettings,
    areas: Vec<ServiceArea>,
    categories: Vec<redress_core::CategoryId>,
    owners: Vec<User>,
    customers: Vec<CustomerId>,
    customer: Customer,
    surveys: Vec<Survey>,
    /// The period loaded: 2026 up to its first of December (no case may be reported in the future).
    start: Timestamp,
    span_secs: i64,
}

/// The figures at one size.
#[derive(serde::Serialize)]
struct Figures {
    responses: usize,
    cases: usize,
    load_secs: f64,
    load_rows_per_sec: f64,
    rebuild_secs: f64,
    rollup_rows: u64,
    metrics_year: Timing,
    metrics_area: Timing,
    metrics_week: Timing,
    search: Timing,
    peak_rss_load_mib: f64,
    peak_rss_queries_mib: f64,
}

#[derive(serde::Serialize, Clone, Copy)]
struct Timing {
    p50_ms: f64,
    p99_ms: f64,
}

pub async fn run(store: &dyn Store, admin: &Client, base: &str, url: &str, args: &Args) -> Result<(), String> {
    let mut sizes = args.sizes.clone();
    if sizes.is_empty() || sizes.contains(&0) || sizes.windows(2).any(|w| w[0] >= w[1]) {
        return Err("--sizes must be increasing response counts, each at least 1".into());
    }
    if !(0.0..=1.0).contains(&args.cases_per_response) {
        return Err("--cases-per-response must be between 0 and 1".into());
    }
    sizes.dedup();
    let started = Instant::now();
    let mut loader = BulkLoader::connect(url).await.map_err(|e| e.to_string())?;
    let customers = (sizes[sizes.len() - 1] / 5).clamp(100, CUSTOMERS);
    let world = setup(store, admin, &mut loader, customers).await?;
    eprintln!("setup        {} areas, {} categories, {} owners, {} customers in {:.1} s", world.areas.len(), world.categories.len(), world.owners.len(), world.customers.len(), started.elapsed().as_secs_f64());
    let manager = admin.post("/api/v1/users", json!({ "name": "Insight manager", "role": "manager", "mandate": "500" })).await?;
    let api = admin.as_user(&admin.token_for(manager["id"].as_i64().unwrap_or(1)).await?);
    let area = world.areas[0].id.0;
    let mut rng = Rng(2026);
    let (mut responses, mut cases) = (0usize, 0usize);
    let mut all = Vec::new();
    for size in sizes {
        reset_peak_memory();
        let load = Instant::now();
        let want_cases = (size as f64 * args.cases_per_response).round() as usize;
        let (new_responses, new_cases) = (size - responses, want_cases.saturating_sub(cases));
        load_rows(&mut loader, &world, &mut rng, responses, new_responses, new_cases).await?;
        let load_secs = load.elapsed().as_secs_f64();
        (responses, cases) = (size, cases + new_cases);
        eprintln!("loaded       {new_responses} responses and {new_cases} cases in {load_secs:.1} s");
        let rebuild = Instant::now();
        let report = store.rebuild_rollups().await.map_err(|e| e.to_string())?;
        let rebuild_secs = rebuild.elapsed().as_secs_f64();
        eprintln!("rebuilt      {} rollup rows in {rebuild_secs:.1} s", report.rows);
        redress_store::refresh_statistics(url).await.map_err(|e| e.to_string())?;
        let peak_load = peak_memory_kib().unwrap_or(0);
        reset_peak_memory();
        let year = "/api/v1/metrics?from=2026-01-01&to=2026-12-31".to_string();
        let metrics_year = time(&api, args.queries, |_| year.clone()).await?;
        let metrics_area = time(&api, args.queries, |_| format!("{year}&service_area_id={area}")).await?;
        let metrics_week = time(&api, args.queries, |_| "/api/v1/metrics?from=2026-06-01&to=2026-06-07".to_string()).await?;
        let search = time(&api, args.queries, |i| format!("/api/v1/cases?q={}+{}&limit=50", NOUNS[i % NOUNS.len()], PROBLEMS[(i * 7) % PROBLEMS.len()])).await?;
        let figures = Figures {
            responses,
            cases,
            load_secs,
            load_rows_per_sec: (new_responses + new_cases) as f64 / load_secs,
            rebuild_secs,
            rollup_rows: report.rows,
            metrics_year,
            metrics_area,
            metrics_week,
            search,
            peak_rss_load_mib: peak_load as f64 / 1024.0,
            peak_rss_queries_mib: peak_memory_kib().unwrap_or(0) as f64 / 1024.0,
        };
        print_size(&figures, &args.backend);
        all.push(figures);
    }
    if let (Some(first), Some(last)) = (all.first(), all.last()) {
        if all.len() > 1 {
            let ratio = |a: Timing, b: Timing| b.p50_ms / a.p50_ms.max(1e-9);
            println!(
                "ratio        metrics p50 at {} / {} responses: year {:.2}   area {:.2}   week {:.2}   search {:.2}",
                last.responses,
                first.responses,
                ratio(first.metrics_year, last.metrics_year),
                ratio(first.metrics_area, last.metrics_area),
                ratio(first.metrics_week, last.metrics_week),
                ratio(first.search, last.search)
            );
        }
    }
    if args.json {
        println!("{}", json!({ "backend": args.backend, "base_url": base, "sizes": all }));
    }
    Ok(())
}

fn print_size(f: &Figures, backend: &str) {
    let t = |t: Timing| format!("p50 {:>8.2} ms   p99 {:>8.2} ms", t.p50_ms, t.p99_ms);
    println!("== {} responses, {} cases ({backend}) ==", f.responses, f.cases);
    println!("load         {:.1} s ({:.0} rows/s, responses with their invitations, and cases)", f.load_secs, f.load_rows_per_sec);
    println!("rebuild      {:.1} s ({} rollup rows)", f.rebuild_secs, f.rollup_rows);
    println!("metrics year {}", t(f.metrics_year));
    println!("metrics area {}", t(f.metrics_area));
    println!("metrics week {}", t(f.metrics_week));
    println!("search       {}", t(f.search));
    println!("peak RSS     {:.0} MiB loading and rebuilding, {:.0} MiB serving the queries", f.peak_rss_load_mib, f.peak_rss_queries_mib);
}

/// Times `n` GETs of `path(i)`, one after another.
async fn time(api: &Client, n: usize, path: impl Fn(usize) -> String) -> Result<Timing, String> {
    api.get(&path(0)).await?;
    let mut took = Vec::with_capacity(n);
    for i in 0..n {
        let p = path(i);
        let t = Instant::now();
        api.get(&p).await?;
        took.push(t.elapsed());
    }
    took.sort();
    let pct = |p: f64| took.get(((took.len() as f64 * p) as usize).min(took.len().saturating_sub(1))).copied().unwrap_or(Duration::ZERO).as_secs_f64() * 1000.0;
    Ok(Timing { p50_ms: pct(0.5), p99_ms: pct(0.99) })
}

async fn setup(store: &dyn Store, admin: &Client, loader: &mut BulkLoader, customer_count: usize) -> Result<World, String> {
    let mut owners = Vec::new();
    for i in 0..OWNERS {
        let role = if i % 10 == 0 { "manager" } else { "agent" };
        let u = admin.post("/api/v1/users", json!({ "name": format!("Owner {i}"), "role": role, "mandate": "250" })).await?;
        owners.push(u["id"].as_i64().unwrap_or(1));
    }
    let mut categories = Vec::new();
    for name in CATEGORIES {
        let c = admin.post("/api/v1/categories", json!({ "name": name })).await?;
        categories.push(redress_core::CategoryId(c["id"].as_i64().unwrap_or(1)));
    }
    for (i, name) in AREAS.iter().enumerate() {
        let area = admin.post("/api/v1/service-areas", json!({ "name": name, "service_manager_id": owners[i * 5 % OWNERS] })).await?;
        admin
            .post("/api/v1/surveys", json!({
                "title": format!("{name} survey"), "service_area_id": area["id"], "reward_points": 10,
                "questions": [
                    { "key": "speed", "prompt": "How quick were we?", "kind": "rating" },
                    { "key": "care", "prompt": "How well were you treated?", "kind": "rating" },
                    { "key": "outcome", "prompt": "How good was the outcome?", "kind": "rating" },
                    { "key": "nps", "prompt": "Would you recommend us?", "kind": "nps" },
                ],
            }))
            .await?;
    }
    let now = Timestamp::now();
    let mut customers = Vec::with_capacity(customer_count);
    let batch: Vec<usize> = (0..customer_count).collect();
    for chunk in batch.chunks(20_000) {
        let rows: Vec<BulkCustomer> = chunk
            .iter()
            .map(|i| BulkCustomer { name: format!("Customer {i}"), email: Some(format!("customer{i}@example.com")), timezone: "Europe/London".into(), client_manager_id: None })
            .collect();
        customers.extend(loader.customers(&rows, now).await.map_err(|e| e.to_string())?);
    }
    let e = |e: redress_core::store::StoreError| e.to_string();
    let settings = store.settings().await.map_err(e)?;
    let zone = settings.calendar().time_zone().clone();
    let start = jiff::civil::date(2026, 1, 1).to_zoned(zone.clone()).map_err(|e| e.to_string())?.timestamp();
    let end = jiff::civil::date(2026, 12, 1).to_zoned(zone).map_err(|e| e.to_string())?.timestamp().min(now);
    let customer = store.customer(customers[0]).await.map_err(e)?.ok_or("no customer")?;
    let mut users = Vec::new();
    for id in owners {
        users.push(store.user(UserId(id)).await.map_err(e)?.ok_or("no owner")?);
    }
    Ok(World {
        settings,
        areas: store.service_areas().await.map_err(e)?,
        categories,
        owners: users,
        customers,
        customer,
        surveys: store.surveys().await.map_err(e)?,
        start,
        span_secs: end.duration_since(start).as_secs().max(86_400),
    })
}

/// Loads `responses` more responses (numbered from `done`) and `cases` more
/// cases, in transactions of 20,000 responses and 10,000 cases.
async fn load_rows(loader: &mut BulkLoader, w: &World, rng: &mut Rng, done: usize, responses: usize, cases: usize) -> Result<(), String> {
    let e = |e: redress_core::store::StoreError| e.to_string();
    let (mut left, mut next) = (responses, done);
    while left > 0 {
        let n = left.min(20_000);
        let rows: Vec<BulkResponse> = (next..next + n).map(|i| response(w, rng, i)).collect();
        loader.responses(&rows).await.map_err(e)?;
        (left, next) = (left - n, next + n);
    }
    let mut left = cases;
    while left > 0 {
        let n = left.min(10_000);
        let rows = (0..n).map(|_| case(w, rng)).collect::<Result<Vec<_>, _>>()?;
        loader.cases(&rows, &w.settings).await.map_err(e)?;
        left -= n;
    }
    Ok(())
}

fn at(w: &World, rng: &mut Rng) -> Timestamp {
    w.start + rng.secs(0, w.span_secs)
}

/// A 1–5 rating: mostly good, a tail of poor ones.
fn rating(rng: &mut Rng) -> u8 {
    [1, 2, 3, 4, 5][rng.weighted(&[4, 6, 12, 35, 43])]
}

fn response(w: &World, rng: &mut Rng, i: usize) -> BulkResponse {
    let survey = rng.pick(&w.surveys);
    let created_at = at(w, rng);
    let scores = [rating(rng), rating(rng), rating(rng)];
    let nps = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10][rng.weighted(&[2, 1, 2, 2, 3, 5, 7, 12, 18, 24, 24])];
    let mut answers = Answers::new();
    for (key, s) in ["speed", "care", "outcome"].into_iter().zip(scores) {
        answers.insert(key.into(), AnswerValue::Score(s));
    }
    answers.insert("nps".into(), AnswerValue::Score(nps));
    BulkResponse {
        survey_id: survey.id,
        customer_id: *rng.pick(&w.customers),
        // Unique per response; not the digest of any code handed out.
        code_digest: format!("{:064x}", i as u64 + 1),
        invited_at: created_at - rng.secs(600, 3 * 86_400),
        created_at,
        answers,
        lowest_rating: scores.iter().min().copied(),
        nps: Some(nps),
        thank_you: survey.thank_you.clone(),
        next: "We read every answer, and they shape how we improve.".into(),
        reward_points: survey.reward_points,
    }
}

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut out = Vec::with_capacity(words);
    for i in 0..words {
        out.push(match i % 4 {
            1 => *rng.pick(&NOUNS),
            3 => *rng.pick(&PROBLEMS),
            _ => *rng.pick(&FILLER),
        });
    }
    out.join(" ")
}

/// A case as `Case::open` captures it, then answered, closed, reopened,
/// remedied or given a gift as its life would have it.
fn case(w: &World, rng: &mut Rng) -> Result<Case, String> {
    let area = rng.pick(&w.areas);
    let owner = rng.pick(&w.owners);
    let reported_at = at(w, rng);
    let severity = [Severity::Low, Severity::Normal, Severity::High, Severity::Critical][rng.weighted(&[20, 65, 12, 3])];
    let input = NewCase {
        channel: *rng.pick(&CHANNELS),
        summary: format!("{} {} {}", rng.pick(&PROBLEMS), rng.pick(&NOUNS), rng.pick(&NOUNS)),
        description: sentence(rng, 24),
        desired_resolution: rng.chance(0.5).then(|| "A refund or a replacement".to_string()),
        severity,
        significant: rng.chance(0.05),
        service_area_id: Some(area.id),
        occurred_at: Some(reported_at - rng.secs(0, 3 * 86_400)),
        reported_at: Some(reported_at),
        order_reference: rng.chance(0.6).then(|| format!("ORD-{}", rng.below(10_000_000))),
        category_id: Some(*rng.pick(&w.categories)),
    };
    let customer = Customer { id: *rng.pick(&w.customers), ..w.customer.clone() };
    let targets = w.settings.targets_for(Some(area), severity);
    let created_at = reported_at + rng.secs(0, 600);
    let (mut case, _) = Case::open(input, &customer, owner, owner, &w.settings, targets, created_at).map_err(|e| e.to_string())?;
    // 10% untouched, 20% answered and being worked, 70% closed (some of those reopened first).
    let fate = rng.weighted(&[10, 20, 70]);
    if fate == 0 {
        return Ok(case);
    }
    let responded = created_at + rng.secs(1800, 3 * 86_400);
    case.responded_at = Some(responded);
    case.last_outbound_at = Some(responded);
    case.status = Status::InProgress;
    if rng.chance(0.3) {
        let value = Money::new(500 + 100 * rng.below(200) as i64, 2);
        case.actions.push(CorrectiveAction {
            id: 1,
            description: "Refund of the delivery charge".into(),
            remedy_kind: *rng.pick(&[RemedyKind::Refund, RemedyKind::Credit, RemedyKind::Replacement]),
            remedy_value: value,
            proposed_by: owner.id,
            proposed_at: responded,
            status: ActionStatus::Agreed,
            decided_by: None,
            decided_at: None,
            decision_note: None,
            proposed_value: None,
        });
        case.follow_up_due_at = Some(responded + SignedDuration::from_hours(24 * 14));
    }
    if rng.chance(0.1) {
        case.gifts.push(Gift { description: "Flowers".into(), cost: Money::new(2500, 2), by: owner.id, at: responded });
    }
    if fate == 1 {
        return Ok(case);
    }
    let closed = responded + rng.secs(3600, 20 * 86_400);
    if rng.chance(0.08) {
        case.reopen_count = 1;
        if rng.chance(0.3) {
            // Reopened by the follow-up and not closed again yet.
            case.follow_ups.push(FollowUp { by: owner.id, at: closed, outcome: FollowUpOutcome::NotResolved, satisfaction: 2, preventive_confirmed: false, notes: None });
            case.status = Status::Reopened;
            return Ok(case);
        }
    }
    case.status = Status::Closed;
    case.closed_at = Some(closed);
    case.closed_by = Some(owner.id);
    case.update_due_at = None;
    if case.follow_up_due_at.is_some() && rng.chance(0.7) {
        let satisfaction = rating(rng).max(3);
        case.follow_ups.push(FollowUp { by: owner.id, at: closed + rng.secs(86_400, 7 * 86_400), outcome: FollowUpOutcome::Resolved, satisfaction, preventive_confirmed: true, notes: None });
    }
    Ok(case)
}
