//! The pages customers see: the front page, the complaint form, the private
//! status page of a case, the survey by access code and the formal action
//! report at its private link. Every one is written in the customer's
//! language (see [`Frame::lang`](crate::pages::frame::Frame)).

mod complaint;
pub(crate) mod report;
mod status;
mod survey;
mod upload;

use crate::pages::frame::Frame;
use crate::AppState;
use askama::Template;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(front))
        // Forms with files read their own limits, file by file (see `upload`).
        .route("/complain", get(complaint::complaint_page).post(complaint::submit).layer(DefaultBodyLimit::disable()))
        .route("/status/{token}", get(status::show).post(status::post_message).layer(DefaultBodyLimit::disable()))
        .route("/survey", get(survey::code_page).post(survey::open_survey))
        .route("/survey/answers", post(survey::submit_answers))
        .route("/reports/{token}", get(report::show))
}

#[derive(Template)]
#[template(path = "public/front.html")]
struct FrontPage<'a> {
    frame: &'a Frame,
}

/// The front page: tell us about a problem, or complete a survey.
async fn front(frame: Frame) -> Response {
    frame.page(StatusCode::OK, &FrontPage { frame: &frame })
}
