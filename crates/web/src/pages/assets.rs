//! Static files the pages use, compiled into the binary: nothing to deploy
//! beside it, and the Content-Security-Policy can forbid every inline style
//! and script.

use crate::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const STYLESHEET: &str = include_str!("../../assets/redress.css");
/// The insight page's live figures; every other page works without script.
const INSIGHT_SCRIPT: &str = include_str!("../../assets/insight.js");

pub fn router() -> Router<AppState> {
    Router::new().route("/assets/redress.css", get(stylesheet)).route("/assets/insight.js", get(insight_script))
}

async fn insight_script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], INSIGHT_SCRIPT)
}

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], STYLESHEET)
}
