//! The customer's survey: enter the password you were given, answer, and be
//! thanked. The same submission path as `POST /api/v1/responses`.

use crate::api::responses::{code_digest, submit};
use crate::error::ApiError;
use crate::pages::forms::{csrf_ok, random_hex, FormFields};
use crate::pages::frame::Frame;
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use redress_core::survey::{QuestionKind, Survey};
use redress_core::DomainError;
use std::net::SocketAddr;

#[derive(Template)]
#[template(path = "public/survey/code.html")]
struct CodePage<'a> {
    frame: &'a Frame,
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
#[template(path = "public/survey/form.html")]
struct FormPage<'a> {
    frame: &'a Frame,
    code: String,
    idempotency_key: String,
    title: String,
    intro: Option<String>,
    questions: Vec<QuestionView>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "public/survey/thanks.html")]
struct ThanksPage<'a> {
    frame: &'a Frame,
    thank_you: String,
    next: String,
    reward_points: i64,
}

pub async fn code_page(frame: Frame) -> Response {
    frame.page(StatusCode::OK, &CodePage { frame: &frame, code: String::new(), error: None })
}

/// The code page again, saying why in the visitor's language.
fn refuse(frame: &Frame, code: &str, e: ApiError) -> Response {
    let text = match (e.status, e.retry_after) {
        (StatusCode::TOO_MANY_REQUESTS, Some(wait)) => frame.tn("survey-too-many", "seconds", wait as i64),
        (StatusCode::FORBIDDEN, _) => frame.t("survey-refused"),
        _ => e.detail,
    };
    let mut resp = frame.page(e.status, &CodePage { frame, code: code.to_string(), error: Some(text) });
    crate::error::retry_after(&mut resp, e.retry_after);
    resp
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

fn form_page(frame: &Frame, code: &str, survey: &Survey, given: &FormFields, error: Option<String>) -> Response {
    // Without randomness the form goes out with no key; the submission is
    // then simply not replay-protected.
    let idempotency_key = given.get("idempotency_key").map(str::to_string).or_else(|| random_hex(16)).unwrap_or_default();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let form = FormPage {
        frame,
        code: code.to_string(),
        idempotency_key,
        title: survey.title.clone(),
        intro: survey.intro.clone(),
        questions: questions(survey, given),
        error,
    };
    frame.page(status, &form)
}

/// Checks the code (rate-limited like the API) and shows its survey.
pub async fn open_survey(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    frame: Frame,
    form: FormFields,
) -> Response {
    if !csrf_ok(&headers, &form) {
        return frame.expired_form("/survey");
    }
    let code = form.get("code").unwrap_or_default().trim().to_string();
    let digest = match code_digest(&app, peer.ip(), &code).await {
        Ok(d) => d,
        Err(e) => return refuse(&frame, &code, e),
    };
    match app.store().invitation_by_code(&digest).await {
        Ok(Some((inv, survey))) if inv.used_at.is_none() && inv.expires_at > app.now() => {
            let frame = customer_frame(&app, frame, inv.customer_id).await;
            form_page(&frame, &code, &survey, &FormFields(Vec::new()), None)
        }
        Ok(_) => {
            app.guesses().fail(app.store(), app.now(), peer.ip()).await;
            refuse(&frame, &code, DomainError::AccessRefused.into())
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Takes the answers; thanks the customer, or shows the form again with
/// what needs fixing and the answers kept.
pub async fn submit_answers(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    frame: Frame,
    form: FormFields,
) -> Response {
    if !csrf_ok(&headers, &form) {
        return frame.expired_form("/survey");
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
    let digest = redress_core::access_code::digest_of(&code).unwrap_or_default();
    let frame = match app.store().invitation_by_code(&digest).await {
        Ok(Some((inv, _))) => customer_frame(&app, frame, inv.customer_id).await,
        _ => frame,
    };
    match submit(&app, peer.ip(), &code, answers, key, Some(frame.lang)).await {
        Ok(s) => frame.page(
            StatusCode::OK,
            &ThanksPage { frame: &frame, thank_you: s.receipt.thank_you, next: s.receipt.next, reward_points: s.receipt.reward_points },
        ),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            match app.store().invitation_by_code(&digest).await {
                Ok(Some((_, survey))) => form_page(&frame, &code, &survey, &form, Some(e.detail)),
                _ => refuse(&frame, &code, DomainError::AccessRefused.into()),
            }
        }
        Err(e) if e.status.is_client_error() => refuse(&frame, &code, e),
        Err(e) => e.into_response(),
    }
}

/// The page's frame in the invited customer's language (when they have one).
async fn customer_frame(app: &AppState, frame: Frame, customer: redress_core::CustomerId) -> Frame {
    match app.store().customer(customer).await {
        Ok(Some(c)) => frame.for_customer(&c),
        _ => frame,
    }
}
