//! Signed webhooks: a receiver checks the HMAC-SHA256 signature of every
//! delivery; one that fails twice gets the event once it recovers. Both backends.

mod common;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use common::{eventually, Backend};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

both_backends!(a_failing_receiver_gets_the_event_once_it_recovers);

const SECRET: &str = "a-shared-secret-of-some-length";

#[derive(Default)]
struct Receiver {
    calls: usize,
    accepted: Vec<Value>,
    bad_signatures: usize,
}

async fn receiver() -> (String, Arc<Mutex<Receiver>>) {
    let state = Arc::new(Mutex::new(Receiver::default()));
    let shared = state.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let state = shared.clone();
            async move {
                let sig = headers.get("redress-signature").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                let t: i64 = sig.split(',').find_map(|p| p.strip_prefix("t=")).and_then(|t| t.parse().ok()).unwrap_or(-1);
                let at = jiff::Timestamp::from_second(t).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
                let valid = t >= 0 && redress_core::webhook::signature(SECRET, at, &body) == sig;
                let mut s = state.lock().unwrap();
                s.calls += 1;
                if !valid {
                    s.bad_signatures += 1;
                    return StatusCode::UNAUTHORIZED;
                }
                if s.calls <= 2 {
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                s.accepted.push(serde_json::from_slice(&body).unwrap());
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, state)
}

async fn a_failing_receiver_gets_the_event_once_it_recovers(b: Backend) {
    let app = common::spawn_with_worker(b, Arc::new(redress_core::mail::NoMailer)).await;
    let (url, state) = receiver().await;
    let (s, v) = app.post(&app.admin, "/api/v1/webhooks", json!({ "url": url, "events": ["case.created"], "secret": SECRET })).await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    assert_eq!(v["secret"], SECRET);
    let hook = v["id"].as_i64().unwrap();
    let (_, listed) = app.get(&app.admin, "/api/v1/webhooks").await;
    assert!(listed[0].get("secret").is_none(), "the secret is shown only once");
    for bad in [json!({ "url": "ftp://x", "events": ["*"] }), json!({ "url": url, "events": [] }), json!({ "url": url, "events": ["*"], "secret": "short" })] {
        assert_eq!(app.post(&app.admin, "/api/v1/webhooks", bad).await.0, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    }

    let customer = app.customer().await;
    let case = app.case(&app.admin, customer, false).await;
    eventually("the first attempt", || async { state.lock().unwrap().calls >= 1 }).await;
    app.clock.advance(jiff::SignedDuration::from_secs(16));
    eventually("the second attempt", || async { state.lock().unwrap().calls >= 2 }).await;
    app.clock.advance(jiff::SignedDuration::from_secs(31));
    eventually("the delivery", || async { state.lock().unwrap().accepted.len() == 1 }).await;
    app.clock.advance(jiff::SignedDuration::from_hours(1));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    {
        let s = state.lock().unwrap();
        assert_eq!((s.calls, s.accepted.len(), s.bad_signatures), (3, 1, 0), "three signed attempts, one accepted");
        assert_eq!(s.accepted[0]["event"], "case.created");
        assert_eq!(s.accepted[0]["case_id"], case);
    }
    eventually_delivered(&app, hook).await;
    let log: Value = app.get(&app.admin, &format!("/api/v1/webhooks/{hook}/deliveries")).await.1;
    assert_eq!(log.as_array().unwrap().len(), 1, "only case.created was subscribed");
}

async fn eventually_delivered(app: &common::TestApp, hook: i64) {
    eventually("the log to say delivered", || async {
        let (_, log) = app.get(&app.admin, &format!("/api/v1/webhooks/{hook}/deliveries")).await;
        log[0]["status"] == "delivered" && log[0]["attempts"] == 3 && log[0]["last_status"] == 200
    })
    .await;
}
