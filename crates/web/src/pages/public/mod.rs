//! The pages customers see: the front page, the survey by access code and
//! the formal action report at its private link.

mod report;
mod survey;

use crate::AppState;
use axum::response::Redirect;
use axum::routing::{get, post};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/survey") }))
        .route("/survey", get(survey::code_page).post(survey::open_survey))
        .route("/survey/answers", post(survey::submit_answers))
        .route("/reports/{token}", get(report::show))
}
