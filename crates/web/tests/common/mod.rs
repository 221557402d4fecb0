//! Test support: the real server on port 0 over a fresh database of either
//! backend, and a tiny client for it.
#![allow(dead_code)]

use redress_core::clock::ManualClock;
use redress_core::store::Store;
use redress_web::{AppState, WebConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};
use redress_store::scratch::{test_postgres_server, ScratchDatabase};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub mod chromium;
pub mod forms;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Friday 20 November 2026, 16:59 in London (UTC in November).
pub const FRIDAY_1659: &str = "2026-11-20T16:59:00Z";

/// Body limit the test servers run with.
pub const MAX_BODY: usize = 64 * 1024;

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    /// An admin's token.
    pub admin: String,
    pub clock: ManualClock,
    pub store: Arc<dyn Store>,
    _db: ScratchDatabase,
    _stop: tokio::sync::oneshot::Sender<()>,
    _stop_worker: tokio::sync::watch::Sender<()>,
}

pub fn backend(b: Backend) -> redress_store::Backend {
    match b {
        Backend::Sqlite => redress_store::Backend::Sqlite,
        Backend::Postgres => redress_store::Backend::Postgres,
    }
}

pub async fn spawn(backend: Backend) -> TestApp {
    spawn_inner(backend, None).await
}

/// Like [`spawn`], with the job worker running on the app's clock and
/// delivering through `mailer`.
pub async fn spawn_with_worker(backend: Backend, mailer: Arc<dyn redress_core::mail::Mailer>) -> TestApp {
    spawn_inner(backend, Some((mailer, worker_config()))).await
}

/// Like [`spawn_with_worker`], with the worker's `config` (its public URL
/// is the app's).
pub async fn spawn_with_worker_config(backend: Backend, mailer: Arc<dyn redress_core::mail::Mailer>, config: redress_jobs::WorkerConfig) -> TestApp {
    spawn_inner(backend, Some((mailer, config))).await
}

/// The worker the tests run: it looks for work every 20 ms, and at once
/// when a job is enqueued.
pub fn worker_config() -> redress_jobs::WorkerConfig {
    redress_jobs::WorkerConfig { poll: std::time::Duration::from_millis(20), wake: Some(&redress_store::JOBS_ADDED), ..Default::default() }
}

/// An SMTP mailer for the sink on `port`.
pub fn smtp(port: u16) -> Arc<dyn redress_core::mail::Mailer> {
    smtp_with_deadline(port, 60)
}

/// An SMTP mailer for the sink on `port` whose every attempt ends within `secs`.
pub fn smtp_with_deadline(port: u16, secs: u64) -> Arc<dyn redress_core::mail::Mailer> {
    let cfg = redress_mail::SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security: redress_mail::Security::None,
        username: None,
        password: None,
        from: "Customer Care <care@example.com>".into(),
        attempt_timeout_secs: secs,
    };
    Arc::new(redress_mail::SmtpMailer::new(&cfg).unwrap())
}

/// Polls `check` until it holds, for at most ten seconds.
pub async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn spawn_inner(backend: Backend, worker: Option<(Arc<dyn redress_core::mail::Mailer>, redress_jobs::WorkerConfig)>) -> TestApp {
    let db = ScratchDatabase::create(self::backend(backend), &test_postgres_server())
        .await
        .expect("a scratch database (the test command provides PostgreSQL)");
    let store = redress_store::open(&db.url).await.expect("open store");
    let now: jiff::Timestamp = FRIDAY_1659.parse().unwrap();
    let clock = ManualClock::new(now);
    let admin = store
        .create_user(
            redress_core::user::NewUser {
                name: "Admin".into(),
                email: None,
                role: redress_core::user::Role::Admin,
                mandate: redress_core::Money::ZERO,
                manager_id: None,
                password_hash: None,
            },
            redress_core::audit::ChangedBy::command_line(now),
        )
        .await
        .unwrap();
    let (token, digest) = redress_web::auth::new_token().unwrap();
    store.add_token(admin.id, digest, None, redress_core::audit::ChangedBy::command_line(now)).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(store.clone(), Arc::new(clock.clone()), WebConfig { max_body_bytes: MAX_BODY, public_url: base.clone(), ..WebConfig::default() });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(redress_web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let (stop_worker, mut worker_stopped) = tokio::sync::watch::channel(());
    if let Some((mailer, config)) = worker {
        let config = redress_jobs::WorkerConfig { public_url: base.clone(), ..config };
        let worker = redress_jobs::Worker::new(store.clone(), mailer, Arc::new(clock.clone()), config).unwrap();
        tokio::spawn(worker.run(async move {
            let _ = worker_stopped.changed().await;
        }));
    }
    TestApp { base, http: reqwest::Client::new(), admin: token, clock, store, _db: db, _stop: stop, _stop_worker: stop_worker }
}

/// Runs each named test function once per backend.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::common::Backend::Sqlite).await }) *
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::common::Backend::Postgres).await }) *
        }
    };
}

impl TestApp {
    pub async fn send(&self, method: reqwest::Method, token: Option<&str>, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let problem = resp.headers().get("content-type").is_some_and(|v| v == "application/problem+json");
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if !status.is_success() {
            assert!(problem, "{status} on {path} must be a problem detail: {value}");
            assert!(value["detail"].as_str().is_some_and(|d| !d.is_empty()), "problem without detail: {value}");
            assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "500 on {path}: {value}");
        }
        (status, value)
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, Some(token), path, Some(body)).await
    }

    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, Some(token), path, None).await
    }

    /// POST that must succeed; returns the body.
    pub async fn ok(&self, token: &str, path: &str, body: Value) -> Value {
        let (status, v) = self.post(token, path, body).await;
        assert!(status.is_success(), "POST {path} answered {status}: {v}");
        v
    }

    pub async fn london(&self) {
        let (s, v) = self.send(reqwest::Method::PUT, Some(&self.admin), "/api/v1/settings", Some(json!({ "timezone": "Europe/London", "currency": "GBP" }))).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }

    /// A new account with `role` and `mandate`; returns its id and a token.
    pub async fn user(&self, role: &str, mandate: &str) -> (i64, String) {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let u = self.ok(&self.admin, "/api/v1/users", json!({ "name": format!("{role} {n}"), "role": role, "mandate": mandate })).await;
        let id = u["id"].as_i64().unwrap();
        let t = self.ok(&self.admin, &format!("/api/v1/users/{id}/tokens"), json!({})).await;
        (id, t["token"].as_str().unwrap().to_string())
    }

    pub async fn customer(&self) -> i64 {
        let c = self.ok(&self.admin, "/api/v1/customers", json!({ "name": "Ada Customer", "email": "ada@customer.example", "timezone": "Europe/London" })).await;
        c["id"].as_i64().unwrap()
    }

    /// A phone case recorded (and owned) by `token`'s user.
    pub async fn case(&self, token: &str, customer: i64, significant: bool) -> i64 {
        let c = self
            .ok(token, "/api/v1/cases", json!({ "customer_id": customer, "channel": "phone", "summary": "Parcel arrived broken", "significant": significant }))
            .await;
        c["id"].as_i64().unwrap()
    }

    pub async fn case_json(&self, id: i64) -> Value {
        let (s, v) = self.get(&self.admin, &format!("/api/v1/cases/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    pub async fn timeline_len(&self, id: i64) -> usize {
        self.case_json(id).await["timeline"].as_array().unwrap().len()
    }

    pub async fn case_count(&self) -> usize {
        let (_, v) = self.get(&self.admin, "/api/v1/cases?limit=500").await;
        v["items"].as_array().unwrap().len()
    }
}

/// A survey with three ratings and a comment, its area, managers and a customer.
pub struct World {
    pub client_manager: i64,
    pub service_manager: i64,
    pub senior: i64,
    pub customer: i64,
    pub survey: i64,
}

pub async fn world(app: &TestApp) -> World {
    app.london().await;
    let (client_manager, _) = app.user("manager", "100").await;
    let (service_manager, _) = app.user("manager", "100").await;
    let (senior, _) = app.user("senior", "1000").await;
    let c = app.ok(&app.admin, "/api/v1/customers", json!({ "name": "Grace", "email": "grace@example.com", "client_manager_id": client_manager })).await;
    let area = app.ok(&app.admin, "/api/v1/service-areas", json!({ "name": "Deliveries", "service_manager_id": service_manager })).await;
    let survey = app
        .ok(&app.admin, "/api/v1/surveys", json!({
            "title": "Delivery survey", "service_area_id": area["id"], "reward_points": 25,
            "thank_you": "Thank you, Grace's feedback matters.",
            "questions": [
                { "key": "speed", "prompt": "How fast was the delivery?", "kind": "rating" },
                { "key": "care", "prompt": "How careful was the driver?", "kind": "rating" },
                { "key": "tracking", "prompt": "How useful was the tracking?", "kind": "rating" },
                { "key": "comment", "prompt": "Anything else?", "kind": "text", "required": false },
            ],
        }))
        .await;
    World { client_manager, service_manager, senior, customer: c["id"].as_i64().unwrap(), survey: survey["id"].as_i64().unwrap() }
}

/// Invites the customer; returns the access code.
pub async fn invite(app: &TestApp, survey: i64, customer: i64, extra: Value) -> String {
    let mut body = json!({ "customer_ids": [customer] });
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let v = app.ok(&app.admin, &format!("/api/v1/surveys/{survey}/invitations"), body).await;
    v[0]["code"].as_str().unwrap().to_string()
}

