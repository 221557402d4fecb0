//! Operations: liveness, Prometheus metrics, request accounting, fallbacks.

use crate::error::ApiError;
use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

static PROMETHEUS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide Prometheus recorder once.
pub fn install_metrics() -> Option<&'static PrometheusHandle> {
    PROMETHEUS
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5])
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok().map(|_| handle)
        })
        .as_ref()
}

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/metrics", get(prometheus))
}

/// Liveness: 200 when the database answers, 503 when it does not.
async fn healthz(State(app): State<AppState>) -> Response {
    match app.store().ping().await {
        Ok(()) => Json(serde_json::json!({ "status": "ok" })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the database does not answer").into_response()
        }
    }
}

/// Prometheus text: request counts and latencies, cases by status.
async fn prometheus(State(app): State<AppState>) -> Response {
    if let Ok(counts) = app.store().case_counts_by_status().await {
        for status in redress_core::case::Status::ALL {
            let n = counts.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n);
            metrics::gauge!("redress_cases", "status" => status.as_str()).set(n as f64);
        }
    }
    let body = install_metrics().map(|h| h.render()).unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// Counts every request and times it, labelled by route pattern (not raw
/// path, so ids do not explode the label space).
/// The policy of every HTML page: nothing inline (scripts only from this
/// server's own files), nothing from elsewhere,
/// forms post only here, and no other site may frame the page.
const PAGE_POLICY: &str =
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Security headers on every response; the Content-Security-Policy on pages.
/// `no-referrer` keeps private links (report, status) out of other sites' logs.
/// Served behind TLS (an `https` public URL), browsers are told to come
/// back only over HTTPS, and every cookie is marked `Secure`.
pub async fn security_headers(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let html = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if html {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_POLICY));
    }
    if app.config().public_url.starts_with("https://") {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
        let cookies: Vec<HeaderValue> = h.get_all(header::SET_COOKIE).iter().cloned().collect();
        if !cookies.is_empty() {
            h.remove(header::SET_COOKIE);
            for c in cookies {
                let secure = c.to_str().ok().and_then(|v| HeaderValue::from_str(&format!("{v}; Secure")).ok());
                h.append(header::SET_COOKIE, secure.unwrap_or(c));
            }
        }
    }
    resp
}

pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("redress_http_requests_total", &labels).increment(1);
    metrics::histogram!("redress_http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    resp
}

pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no such route: {}", uri.path()))
}

pub async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, format!("{} is not allowed on {}", req.method(), req.uri().path()))
}

pub fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::internal().into_response()
}
