//! No single endpoint stalls delivery: e-mail and webhooks run in lanes of
//! their own, and every attempt ends at a deadline. Against a mail server
//! that never greets its first connections, one that greets only after
//! 30 s, and a webhook receiver that never answers, every message goes out
//! exactly once after the endpoint behaves, and the other kind goes out
//! meanwhile. On both backends, with the worker on the app's clock (for
//! backoff) and real TCP to real servers.

mod common;

use axum::http::{HeaderMap, StatusCode};
use common::{eventually, invite, world, Backend, TestApp};
use redress_mail::sink::SmtpSink;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

both_backends!(
    a_mail_server_that_never_greets_its_first_connections_delays_only_those_messages,
    a_mail_server_that_greets_after_30_s_delays_no_webhook,
    a_webhook_receiver_that_never_answers_delays_no_email,
);

/// A webhook receiver that holds every request unanswered until it
/// behaves, then accepts; it keeps the `Redress-Delivery` id of each event
/// it accepted.
#[derive(Default)]
struct Receiver {
    behaving: AtomicBool,
    accepted: Mutex<Vec<String>>,
}

async fn receiver(behaving: bool) -> (String, Arc<Receiver>) {
    let state = Arc::new(Receiver { behaving: AtomicBool::new(behaving), ..Default::default() });
    let shared = state.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap| {
            let state = shared.clone();
            async move {
                if !state.behaving.load(Ordering::SeqCst) {
                    std::future::pending::<()>().await;
                }
                let id = headers.get("redress-delivery").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                state.accepted.lock().unwrap().push(id);
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, state)
}

/// Subscribes `url` to every case event.
async fn subscribe(app: &TestApp, url: &str) -> i64 {
    app.ok(&app.admin, "/api/v1/webhooks", json!({ "url": url, "events": ["*"], "secret": "a-shared-secret-of-some-length" })).await["id"].as_i64().unwrap()
}

/// `n` poor survey responses: each is acknowledged by e-mail and opens a
/// follow-up case, whose events go to the webhook subscribers.
async fn poor_responses(app: &TestApp, n: usize) {
    let w = world(app).await;
    for _ in 0..n {
        let code = invite(app, w.survey, w.customer, json!({})).await;
        let (s, v) = app.send(reqwest::Method::POST, None, "/api/v1/responses", Some(json!({ "code": code, "answers": { "speed": 1, "care": 2, "tracking": 2 } }))).await;
        assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    }
}

async fn acknowledgements(app: &TestApp) -> Vec<Value> {
    app.get(&app.admin, "/api/v1/notifications?kind=acknowledgement").await.1.as_array().unwrap().clone()
}

async fn deliveries(app: &TestApp, hook: i64) -> Vec<Value> {
    app.get(&app.admin, &format!("/api/v1/webhooks/{hook}/deliveries")).await.1.as_array().unwrap().clone()
}

/// Polls `check` until it holds, for at most `secs` seconds.
async fn within<F, Fut>(secs: u64, what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "{what} did not happen within {secs} s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every acknowledgement reached the sink once, recorded as sent, and no
/// attempt sends one again later.
async fn each_message_once(app: &TestApp, sink: &SmtpSink, n: usize) {
    app.clock.advance(jiff::SignedDuration::from_hours(2));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut ids: Vec<String> = sink.messages().iter().filter_map(|m| m.message_id().map(str::to_string)).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((sink.count(), ids.len()), (n, n), "each message exactly once");
    assert!(acknowledgements(app).await.iter().all(|m| m["status"] == "sent"));
}

/// Every event reached the receiver once, and is recorded as delivered.
async fn each_event_once(app: &TestApp, receiver: &Receiver, hook: i64) {
    app.clock.advance(jiff::SignedDuration::from_hours(2));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = deliveries(app, hook).await;
    let mut ids = receiver.accepted.lock().unwrap().clone();
    ids.sort();
    ids.dedup();
    assert_eq!((receiver.accepted.lock().unwrap().len(), ids.len()), (log.len(), log.len()), "each event exactly once: {log:?}");
    assert!(log.iter().all(|d| d["status"] == "delivered"), "{log:?}");
}

async fn a_mail_server_that_never_greets_its_first_connections_delays_only_those_messages(b: Backend) {
    let sink = SmtpSink::start().await.unwrap();
    // Four messages, two at a time: each first attempt meets a silent
    // connection and ends at its 1 s deadline.
    sink.never_greet(4);
    let config = redress_jobs::WorkerConfig { slots: 2, ..common::worker_config() };
    let app = common::spawn_with_worker_config(b, common::smtp_with_deadline(sink.port, 1), config).await;
    let (url, hooked) = receiver(true).await;
    let hook = subscribe(&app, &url).await;
    poor_responses(&app, 4).await;

    eventually("every first attempt ended at its deadline", || async {
        let acks = acknowledgements(&app).await;
        acks.len() == 4 && acks.iter().all(|m| m["status"] == "pending" && m["attempts"] == 1 && m["last_error"].as_str().is_some_and(|e| e.contains("did not finish within 1 s")))
    })
    .await;
    // Meanwhile every case event reached its receiver.
    let log = deliveries(&app, hook).await;
    assert!(log.len() >= 4 && log.iter().all(|d| d["status"] == "delivered"), "webhooks went out while mail stalled: {log:?}");
    assert_eq!(sink.count(), 0);

    // The server now greets; the retries fall due after their backoff.
    app.clock.advance(jiff::SignedDuration::from_secs(20));
    eventually("every message sent", || async { acknowledgements(&app).await.iter().all(|m| m["status"] == "sent") }).await;
    each_message_once(&app, &sink, 4).await;
    each_event_once(&app, &hooked, hook).await;
}

async fn a_mail_server_that_greets_after_30_s_delays_no_webhook(b: Backend) {
    let sink = SmtpSink::start().await.unwrap();
    sink.greet_after(Duration::from_secs(30));
    let app = common::spawn_with_worker(b, common::smtp(sink.port)).await;
    let (url, hooked) = receiver(true).await;
    let hook = subscribe(&app, &url).await;
    poor_responses(&app, 3).await;

    eventually("every case event delivered", || async {
        let log = deliveries(&app, hook).await;
        log.len() >= 3 && log.iter().all(|d| d["status"] == "delivered")
    })
    .await;
    assert_eq!(sink.count(), 0, "webhooks did not wait for the mail server's greeting");
    // Within the attempt's 60 s deadline the greeting comes and the mail goes.
    within(60, "every message sent after the greeting", || async { acknowledgements(&app).await.iter().all(|m| m["status"] == "sent") }).await;
    assert!(acknowledgements(&app).await.iter().all(|m| m["attempts"] == 1), "sent on the first attempt");
    each_message_once(&app, &sink, 3).await;
    each_event_once(&app, &hooked, hook).await;
}

async fn a_webhook_receiver_that_never_answers_delays_no_email(b: Backend) {
    let sink = SmtpSink::start().await.unwrap();
    // Two posts at a time, each held until its 5 s deadline: the events
    // queue up behind them in their own lane.
    let config = redress_jobs::WorkerConfig { slots: 2, webhook_slots: 2, webhook_timeout: Duration::from_secs(5), ..common::worker_config() };
    let app = common::spawn_with_worker_config(b, common::smtp(sink.port), config).await;
    let (url, hooked) = receiver(false).await;
    let hook = subscribe(&app, &url).await;
    poor_responses(&app, 3).await;

    eventually("every message sent", || async { acknowledgements(&app).await.iter().all(|m| m["status"] == "sent") }).await;
    let log = deliveries(&app, hook).await;
    assert!(log.len() >= 3, "{log:?}");
    assert!(log.iter().all(|d| d["status"] == "pending" && d["last_error"].is_null()), "the e-mail went out while every post still hung: {log:?}");
    assert!(hooked.accepted.lock().unwrap().is_empty());

    // The receiver answers from now on; the posts that hung end at their
    // deadline and are retried after their backoff.
    hooked.behaving.store(true, Ordering::SeqCst);
    within(30, "the hung posts to end at their deadline", || async {
        let log = deliveries(&app, hook).await;
        log.iter().all(|d| d["status"] == "delivered" || d["last_error"].as_str().is_some_and(|e| !e.is_empty()))
    })
    .await;
    app.clock.advance(jiff::SignedDuration::from_secs(20));
    eventually("every event delivered", || async { deliveries(&app, hook).await.iter().all(|d| d["status"] == "delivered") }).await;
    each_event_once(&app, &hooked, hook).await;
    each_message_once(&app, &sink, 3).await;
}
