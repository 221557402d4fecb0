//! The Redress HTTP interface: the v1 JSON API (SPEC §6), its OpenAPI
//! document, liveness and Prometheus metrics.
//!
//! Handlers parse requests into domain types at the edge, ask the domain
//! (`redress-core`) to decide, and let the store write the result in one
//! transaction. [`serve`] takes an already-bound listener so tests and the
//! benchmark run the real server on port 0.
#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod error;
pub mod extract;
pub mod limiter;
mod pages;
mod ops;

use axum::Router;
use redress_core::clock::Clock;
use redress_core::store::Store;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

pub use api::openapi_json;

/// Settings of the HTTP layer.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Where customers reach this server, for links in messages
    /// (`https://feedback.example.com`); no trailing slash.
    pub public_url: String,
    /// Largest raw message `POST /api/v1/inbound/email` accepts, in bytes.
    pub max_inbound_bytes: usize,
    /// Largest single attachment kept with a case, in bytes.
    pub max_attachment_bytes: usize,
    /// Complaints one client may send from the public form in ten minutes.
    pub complaints_per_window: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            max_body_bytes: 1024 * 1024,
            public_url: "http://127.0.0.1:8080".into(),
            max_inbound_bytes: 25 * 1024 * 1024,
            max_attachment_bytes: 5 * 1024 * 1024,
            complaints_per_window: 10,
        }
    }
}

/// Everything a handler needs, cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    config: WebConfig,
    tokens: auth::TokenCache,
    guesses: limiter::SharedLimiter,
    logins: limiter::SharedLimiter,
    status_guesses: limiter::SharedLimiter,
    complaints: limiter::GuessLimiter,
    /// Set when the server begins to shut down: long-lived responses
    /// (server-sent events) end so the shutdown does not wait on them.
    closing: tokio::sync::watch::Sender<bool>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: WebConfig) -> Self {
        let complaints = limiter::GuessLimiter::new(config.complaints_per_window, limiter::COMPLAINT_WINDOW);
        AppState(Arc::new(Inner {
            store,
            clock,
            config,
            tokens: auth::TokenCache::default(),
            guesses: limiter::SharedLimiter::new("access_code"),
            logins: limiter::SharedLimiter::new("sign_in"),
            status_guesses: limiter::SharedLimiter::new("status_link"),
            complaints,
            closing: tokio::sync::watch::Sender::new(false),
        }))
    }

    /// Turns `true` when the server begins to shut down.
    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.0.closing.subscribe()
    }
    pub fn store(&self) -> &dyn Store {
        self.0.store.as_ref()
    }
    /// The store, for work that outlives the request (a streamed export).
    pub fn store_handle(&self) -> Arc<dyn Store> {
        self.0.store.clone()
    }
    /// The current time, to the microsecond (the precision the store keeps).
    pub fn now(&self) -> jiff::Timestamp {
        let now = self.0.clock.now();
        jiff::Timestamp::from_microsecond(now.as_microsecond()).unwrap_or(now)
    }
    pub fn config(&self) -> &WebConfig {
        &self.0.config
    }
    pub fn tokens(&self) -> &auth::TokenCache {
        &self.0.tokens
    }
    /// Failed access-code attempts per client.
    pub fn guesses(&self) -> &limiter::SharedLimiter {
        &self.0.guesses
    }
    /// Failed console sign-ins per client.
    pub fn logins(&self) -> &limiter::SharedLimiter {
        &self.0.logins
    }
    /// Wrong status-page links per client.
    pub fn status_guesses(&self) -> &limiter::SharedLimiter {
        &self.0.status_guesses
    }
    /// Complaints sent from the public form per client.
    pub fn complaints(&self) -> &limiter::GuessLimiter {
        &self.0.complaints
    }
    /// `path` on the public URL customers use.
    pub fn public_link(&self, path: &str) -> String {
        format!("{}{path}", self.0.config.public_url.trim_end_matches('/'))
    }
}

/// The whole application as a router.
pub fn router(state: AppState) -> Router {
    let max_body = state.config().max_body_bytes;
    api::router()
        .merge(ops::router())
        .merge(pages::router())
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(state.clone(), ops::security_headers))
        .layer(axum::middleware::from_fn(ops::track))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(ops::panicked))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes requests in flight.
/// Meanwhile it keeps the insight rollups compact.
pub async fn serve(listener: TcpListener, state: AppState, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    ops::install_metrics();
    let (_stop_compactor, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(compact_rollups(state.0.store.clone(), stopped));
    let closing = state.clone();
    let shutdown = async move {
        shutdown.await;
        closing.0.closing.send_replace(true);
    };
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// Folds the rollup changes writes append into the rollup rows, every
/// second and until none are pending, so figures read few rows; stops when
/// `stop` is dropped. Figures are exact without it, only slower to read.
async fn compact_rollups(store: Arc<dyn Store>, mut stop: tokio::sync::oneshot::Receiver<()>) {
    // Each fold is a write of its own: the writes that queue behind one
    // wait for it. 250 deltas take 2–5 ms on SQLite under load; 2,000 took
    // 17–30 ms, back to back, which set the p99 of every write path
    // (docs/PERFORMANCE.md).
    const BATCH: u32 = 250;
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
        loop {
            match store.compact_rollups(BATCH).await {
                Ok(n) if n as u32 == BATCH => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::error!(error = %e, "cannot compact the insight rollups");
                    break;
                }
            }
        }
    }
}
