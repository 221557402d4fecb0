//! The case page: what was reported, where the loop stands, the survey
//! answers that opened it and the timeline.

use super::{names, Staff};
use crate::pages::frame::{Frame, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use redress_core::case::Case;
use redress_core::survey::AnswerValue;
use redress_core::CaseId;

#[derive(Template)]
#[template(path = "console/case.html")]
struct CasePage {
    frame: Frame,
    reference: String,
    summary: String,
    status: &'static str,
    owner: String,
    channel: &'static str,
    significant: bool,
    description: String,
    missing: Vec<&'static str>,
    answers: Vec<(String, String)>,
    timeline: Vec<(String, String, String)>,
}

/// The survey answers that opened a case, as (question, answer) in the
/// survey's order.
async fn answers(app: &AppState, case: &Case) -> Result<Vec<(String, String)>, crate::pages::frame::PageError> {
    let Some(rid) = case.survey_response_id else { return Ok(Vec::new()) };
    let Some(response) = app.store().response(rid).await? else { return Ok(Vec::new()) };
    let Some(survey) = app.store().survey(response.survey_id).await? else { return Ok(Vec::new()) };
    Ok(survey
        .questions
        .iter()
        .filter_map(|q| {
            let text = match response.answers.get(&q.key)? {
                AnswerValue::Score(n) => n.to_string(),
                AnswerValue::Text(t) => t.clone(),
            };
            Some((q.prompt.clone(), text))
        })
        .collect())
}

pub async fn case_page(State(app): State<AppState>, Staff(user): Staff, frame: Frame, Path(id): Path<String>) -> PageResult {
    let frame = frame.signed_in(&user);
    let Ok(id) = id.parse::<i64>() else {
        return Ok(frame.message(StatusCode::NOT_FOUND, "Case not found", "That is not a case number.", "/console"));
    };
    let Some(detail) = app.store().case_detail(CaseId(id)).await? else {
        return Ok(frame.message(StatusCode::NOT_FOUND, "Case not found", &format!("There is no case {id}."), "/console"));
    };
    let names = names(&app).await?;
    let case = detail.case;
    let answers = answers(&app, &case).await?;
    let timeline = detail
        .timeline
        .iter()
        .map(|e| {
            let who = e.actor_id.and_then(|a| names.get(&a).cloned()).unwrap_or_else(|| "Redress".into());
            (e.at.strftime("%Y-%m-%d %H:%M").to_string(), who, e.summary.clone())
        })
        .collect();
    let page = CasePage {
        frame,
        reference: case.reference.clone(),
        summary: case.summary.clone(),
        status: case.status.as_str(),
        owner: names.get(&case.owner_id).cloned().unwrap_or_default(),
        channel: case.channel.as_str(),
        significant: case.significant,
        description: case.description.clone(),
        missing: case.missing_steps().into_iter().map(|s| s.as_str()).collect(),
        answers,
        timeline,
    };
    Ok(page.frame.page(StatusCode::OK, &page))
}
