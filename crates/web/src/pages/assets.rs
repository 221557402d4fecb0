//! Static files the pages use, compiled into the binary: nothing to deploy
//! beside it, and the Content-Security-Policy can forbid every inline style
//! and script.

use crate::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const STYLESHEET: &str = include_str!("../../assets/redress.css");

pub fn router() -> Router<AppState> {
    Router::new().route("/assets/redress.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], STYLESHEET)
}
