//! The customer's survey: enter the password you were given, answer, and be
//! thanked. The same submission path as `POST /api/v1/responses`.

use super::*;
use crate::api::responses::{code_digest, submit};
use axum::extract::{ConnectInfo, State};
use redress_core::survey::{QuestionKind, Survey};
use redress_core::DomainError;
use std::net::SocketAddr;

#[derive(Template)]
#[template(path = "survey_code.html")]
struct CodePage {
    org: String,
    csrf: String,
    code: String,
    error: Option<String>,
}

pub struct ChoiceView {
    value: String,
    label: String,
    checked: bool,
}

pub struct QuestionView {
    key: String,
    prompt: String,
    kind: &'static str,
    required: bool,
    options: Vec<ChoiceView>,
    text: String,
}

#[derive(Template)]
#[template(path = "survey_form.html")]
struct FormPage {
    org: String,
    csrf: String,
    code: String,
    idempotency_key: String,
    title: String,
    intro: Option<String>,
    questions: Vec<QuestionView>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "survey_thanks.html")]
struct ThanksPage {
    org: String,
    thank_you: String,
    next: String,
    reward_points: i64,
}

pub async fn code_page(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let (csrf, set) = csrf_token(&headers);
    with_cookie(page(StatusCode::OK, &CodePage { org: org_name(&app).await, csrf, code: String::new(), error: None }), set)
}

/// The code page again, saying why.
async fn refuse(app: &AppState, headers: &HeaderMap, code: &str, e: ApiError) -> Response {
    let (csrf, set) = csrf_token(headers);
    let status = e.status;
    let mut resp = page(status, &CodePage { org: org_name(app).await, csrf, code: code.to_string(), error: Some(e.detail) });
    crate::error::retry_after(&mut resp, e.retry_after);
    with_cookie(resp, set)
}

fn questions(survey: &Survey, given: &FormFields) -> Vec<QuestionView> {
    survey
        .questions
        .iter()
        .map(|q| {
            let chosen = given.get(&format!("q.{}", q.key)).unwrap_or_default();
            let scale = |from: u8, to: u8| (from..=to).map(|n| n.to_string()).collect::<Vec<_>>();
            let values = match q.kind {
                QuestionKind::Rating => scale(1, 5),
                QuestionKind::Nps => scale(0, 10),
                QuestionKind::Choice => q.options.clone(),
                QuestionKind::Text => Vec::new(),
            };
            QuestionView {
                key: q.key.clone(),
                prompt: q.prompt.clone(),
                kind: match q.kind {
                    QuestionKind::Rating => "rating",
                    QuestionKind::Nps => "nps",
                    QuestionKind::Choice => "choice",
                    QuestionKind::Text => "text",
                },
                required: q.required,
                options: values.into_iter().map(|v| ChoiceView { checked: v == chosen, label: v.clone(), value: v }).collect(),
                text: if q.kind == QuestionKind::Text { chosen.to_string() } else { String::new() },
            }
        })
        .collect()
}

async fn form_page(app: &AppState, headers: &HeaderMap, code: &str, survey: &Survey, given: &FormFields, error: Option<String>) -> Response {
    let (csrf, set) = csrf_token(headers);
    let idempotency_key = given.get("idempotency_key").map_or_else(|| random_hex(16), str::to_string);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let form = FormPage {
        org: org_name(app).await,
        csrf,
        code: code.to_string(),
        idempotency_key,
        title: survey.title.clone(),
        intro: survey.intro.clone(),
        questions: questions(survey, given),
        error,
    };
    with_cookie(page(status, &form), set)
}

/// Checks the code (rate-limited like the API) and shows its survey.
pub async fn open_survey(State(app): State<AppState>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, form: FormFields) -> Response {
    if !csrf_ok(&headers, &form) {
        return expired_form(org_name(&app).await, "/survey");
    }
    let code = form.get("code").unwrap_or_default().trim().to_string();
    let digest = match code_digest(&app, peer.ip(), &code) {
        Ok(d) => d,
        Err(e) => return refuse(&app, &headers, &code, e).await,
    };
    match app.store().invitation_by_code(&digest).await {
        Ok(Some((inv, survey))) if inv.used_at.is_none() && inv.expires_at > app.now() => {
            form_page(&app, &headers, &code, &survey, &FormFields(Vec::new()), None).await
        }
        Ok(_) => {
            app.guesses().fail(peer.ip());
            refuse(&app, &headers, &code, DomainError::AccessRefused.into()).await
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Takes the answers; thanks the customer, or shows the form again with
/// what needs fixing and the answers kept.
pub async fn submit_answers(State(app): State<AppState>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, form: FormFields) -> Response {
    if !csrf_ok(&headers, &form) {
        return expired_form(org_name(&app).await, "/survey");
    }
    let code = form.get("code").unwrap_or_default().to_string();
    let mut answers = serde_json::Map::new();
    for (name, value) in &form.0 {
        if let Some(key) = name.strip_prefix("q.") {
            let v = match value.parse::<u64>() {
                Ok(n) if value.len() <= 2 => serde_json::Value::from(n),
                _ => serde_json::Value::from(value.clone()),
            };
            answers.insert(key.to_string(), v);
        }
    }
    let key = form.get("idempotency_key").filter(|k| !k.is_empty() && k.len() <= 200).map(str::to_string);
    match submit(&app, peer.ip(), &code, answers, key).await {
        Ok(s) => page(
            StatusCode::OK,
            &ThanksPage { org: org_name(&app).await, thank_you: s.receipt.thank_you, next: s.receipt.next, reward_points: s.receipt.reward_points },
        ),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let digest = redress_core::access_code::digest_of(&code).unwrap_or_default();
            match app.store().invitation_by_code(&digest).await {
                Ok(Some((_, survey))) => form_page(&app, &headers, &code, &survey, &form, Some(e.detail)).await,
                _ => refuse(&app, &headers, &code, DomainError::AccessRefused.into()).await,
            }
        }
        Err(e) if e.status.is_client_error() => refuse(&app, &headers, &code, e).await,
        Err(e) => e.into_response(),
    }
}
