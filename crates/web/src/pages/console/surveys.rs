//! Surveys: the list; a builder for rating, NPS, choice and text questions
//! (managers and above); each survey with a preview of what customers see;
//! and invitations for a list of customers, their access codes handed over
//! once as a CSV download.

use super::Staff;
use crate::api::surveys::{create as create_survey, issue_invitations, CreateSurvey};
use crate::error::{ApiError, ApiResult};
use crate::extract::from_form;
use crate::pages::format::when;
use crate::pages::forms::{csrf_matches, csrf_ok, FormFields};
use crate::pages::frame::{redirect_with, Flash, Frame, PagePath, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use redress_core::survey::{QuestionKind, Survey};
use redress_core::user::User;
use redress_core::{CustomerId, SurveyId};
use serde_json::{json, Value};

/// Question rows the builder offers; empty ones are left out.
const ROWS: usize = 8;
const KINDS: [(&str, &str); 4] = [("rating", "Rating 1–5"), ("nps", "Likely to recommend, 0–10"), ("choice", "One of several options"), ("text", "Free text")];

pub struct Row {
    id: i64,
    title: String,
    questions: usize,
    purpose: &'static str,
}

#[derive(Template)]
#[template(path = "console/surveys/list.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    may_build: bool,
    areas: Vec<(String, String)>,
    /// Active complaint categories a rating question may point to.
    categories: Vec<(String, String)>,
    kinds: [(&'static str, &'static str); 4],
    slots: Vec<usize>,
    error: Option<String>,
    kept: FormFields,
}

impl ListPage {
    fn kept(&self, field: &str) -> &str {
        self.kept.get(field).unwrap_or_default()
    }
    fn kept_at(&self, n: &usize, field: &str) -> &str {
        self.kept(&format!("q{n}.{field}"))
    }
}

async fn list_page(app: &AppState, frame: Frame, user: &User, status: StatusCode, error: Option<String>, kept: FormFields) -> PageResult {
    let rows = app
        .store()
        .surveys()
        .await?
        .into_iter()
        .map(|s| Row { id: s.id.0, questions: s.questions.len(), purpose: if crate::pages::format::wire(&s.purpose) == "recovery" { "recovery" } else { "" }, title: s.title })
        .collect();
    let areas = app.store().service_areas().await?.into_iter().map(|a| (a.id.to_string(), a.name)).collect();
    let categories = app.store().categories().await?.into_iter().filter(|c| c.active).map(|c| (c.id.to_string(), c.name)).collect();
    let page = ListPage { may_build: user.role.supervises(), frame: frame.signed_in(user), rows, areas, categories, kinds: KINDS, slots: (1..=ROWS).collect(), error, kept };
    Ok(page.frame.page(status, &page))
}

pub async fn list(State(app): State<AppState>, Staff(user): Staff, frame: Frame) -> PageResult {
    list_page(&app, frame, &user, StatusCode::OK, None, FormFields(Vec::new())).await
}

/// A question's key from its prompt: `How punctual was it?` → `how_punctual_was_it`.
fn key_of(prompt: &str, taken: &[String]) -> String {
    let words: Vec<String> = prompt.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).take(4).map(str::to_lowercase).collect();
    let base: String = words.join("_").chars().filter(char::is_ascii).take(40).collect();
    let base = if base.is_empty() { "question".to_string() } else { base };
    let mut key = base.clone();
    let mut n = 2;
    while taken.contains(&key) {
        key = format!("{base}_{n}");
        n += 1;
    }
    key
}

/// The builder's form as the API's survey request.
fn survey_json(form: &FormFields) -> Value {
    let mut questions = Vec::new();
    let mut keys = Vec::new();
    for n in 1..=ROWS {
        let prompt = form.text(&format!("q{n}.prompt"));
        if prompt.is_empty() {
            continue;
        }
        let key = key_of(&prompt, &keys);
        keys.push(key.clone());
        let options: Vec<String> = form.text(&format!("q{n}.options")).split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_string).collect();
        let mut question = json!({ "key": key, "prompt": prompt, "kind": form.text(&format!("q{n}.kind")), "options": options,
                                   "required": form.get(&format!("q{n}.required")).is_some() });
        let category = form.text(&format!("q{n}.category_id"));
        if !category.is_empty() {
            question["category_id"] = category.parse::<i64>().map_or(Value::from(category), Value::from);
        }
        questions.push(question);
    }
    let mut v = json!({ "title": form.text("title"), "questions": questions });
    for key in ["intro", "thank_you"] {
        let t = form.text(key);
        if !t.is_empty() {
            v[key] = Value::from(t);
        }
    }
    let points = form.text("reward_points");
    if !points.is_empty() {
        v["reward_points"] = points.parse::<i64>().map_or(Value::from(points), Value::from);
    }
    if let Ok(area) = form.text("service_area_id").parse::<i64>() {
        v["service_area_id"] = Value::from(area);
    }
    v
}

pub async fn create(State(app): State<AppState>, Staff(user): Staff, headers: HeaderMap, frame: Frame, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form("/console/surveys"));
    }
    let created = async {
        let req: CreateSurvey = from_form(survey_json(&form))?;
        create_survey(&app, &user, req).await
    }
    .await;
    match created {
        Ok(s) => Ok(redirect_with(&format!("/console/surveys/{}", s.id), Flash::notice("Survey saved. Preview it below, then invite customers."))),
        Err(e) if e.status.is_client_error() => list_page(&app, frame, &user, e.status, Some(e.detail), form).await,
        Err(e) => Err(e.into()),
    }
}

pub struct Preview {
    prompt: String,
    kind: &'static str,
    choices: Vec<String>,
    required: bool,
}

#[derive(Template)]
#[template(path = "console/surveys/show.html")]
struct SurveyPage {
    frame: Frame,
    id: i64,
    title: String,
    intro: Option<String>,
    thank_you: String,
    reward_points: i64,
    questions: Vec<Preview>,
    valid_days: u32,
    error: Option<String>,
    kept: String,
}

fn preview(survey: &Survey) -> Vec<Preview> {
    survey
        .questions
        .iter()
        .map(|q| {
            let scale = |from: u8, to: u8| (from..=to).map(|n| n.to_string()).collect::<Vec<_>>();
            let (kind, choices) = match q.kind {
                QuestionKind::Rating => ("rating", scale(1, 5)),
                QuestionKind::Nps => ("nps", scale(0, 10)),
                QuestionKind::Choice => ("choice", q.options.clone()),
                QuestionKind::Text => ("text", Vec::new()),
            };
            Preview { prompt: q.prompt.clone(), kind, choices, required: q.required }
        })
        .collect()
}

async fn survey_page(app: &AppState, frame: Frame, user: &User, id: i64, status: StatusCode, error: Option<String>, kept: String) -> PageResult {
    let frame = frame.signed_in(user);
    let Some(survey) = app.store().survey(SurveyId(id)).await? else {
        return Ok(frame.message(StatusCode::NOT_FOUND, "No such survey", &format!("There is no survey {id}."), "/console/surveys"));
    };
    let valid_days = app.store().settings().await?.invitation_valid_days;
    let page = SurveyPage {
        frame,
        id,
        questions: preview(&survey),
        title: survey.title,
        intro: survey.intro,
        thank_you: survey.thank_you,
        reward_points: survey.reward_points,
        valid_days,
        error,
        kept,
    };
    Ok(page.frame.page(status, &page))
}

pub async fn show(State(app): State<AppState>, Staff(user): Staff, frame: Frame, PagePath(id): PagePath<i64>) -> PageResult {
    survey_page(&app, frame, &user, id, StatusCode::OK, None, String::new()).await
}

/// The customers a pasted list or CSV file names: an e-mail address on each
/// line (a CSV header line is passed over), each of a customer on record.
/// Refused naming the first line that is not.
async fn customers_listed(app: &AppState, text: &str) -> ApiResult<Vec<(CustomerId, String, String)>> {
    let mut out = Vec::new();
    let lines: Vec<(usize, &str)> = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.is_empty()).collect();
    // A first line with no address in it is a CSV header.
    let skip = usize::from(lines.first().is_some_and(|(_, l)| !l.contains('@')));
    for &(n, line) in &lines[skip..] {
        let email = line.split(',').map(str::trim).find(|f| f.contains('@')).unwrap_or(line);
        let c = app.store().customer_by_email(email).await?.ok_or_else(|| ApiError::unprocessable(format!("line {n}: no customer has the address '{email}'")))?;
        out.push((c.id, c.name, c.email.unwrap_or_default()));
    }
    if out.is_empty() {
        return Err(ApiError::unprocessable("list at least one customer's e-mail address, one a line"));
    }
    Ok(out)
}

/// `field` quoted for CSV when it needs it.
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

pub async fn invite(State(app): State<AppState>, Staff(user): Staff, headers: HeaderMap, frame: Frame, PagePath(id): PagePath<i64>, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form(&format!("/console/surveys/{id}")));
    }
    let text = form.get("customers").unwrap_or_default().to_string();
    codes_for(&app, frame, &user, id, text, &form.text("valid_days")).await
}

/// The same as [`invite`], from an uploaded CSV file (a form sent as
/// `multipart/form-data` with `csrf`, `valid_days` and `file`).
pub async fn upload(State(app): State<AppState>, Staff(user): Staff, headers: HeaderMap, frame: Frame, PagePath(id): PagePath<i64>, mut parts: Multipart) -> PageResult {
    let (mut csrf, mut days, mut text) = (None, String::new(), String::new());
    loop {
        let field = match parts.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(ApiError::bad_request(format!("the upload could not be read: {e}")).into()),
        };
        let name = field.name().unwrap_or_default().to_string();
        let value = field.text().await.map_err(|e| ApiError::bad_request(format!("the upload could not be read: {e}")))?;
        match name.as_str() {
            "csrf" => csrf = Some(value),
            "valid_days" => days = value.trim().to_string(),
            "file" => text = value,
            _ => {}
        }
    }
    if !csrf_matches(&headers, csrf.as_deref()) {
        return Ok(frame.expired_form(&format!("/console/surveys/{id}")));
    }
    codes_for(&app, frame, &user, id, text, &days).await
}

/// Invites the customers a list names and answers with their codes as a
/// CSV download, or the survey page again with the refusal.
async fn codes_for(app: &AppState, frame: Frame, user: &User, id: i64, text: String, days: &str) -> PageResult {
    let issued = async {
        let days = match days.parse::<u32>() {
            Ok(d @ 1..=3650) => d,
            _ => return Err(ApiError::unprocessable("valid for: give 1 to 3650 days")),
        };
        let listed = customers_listed(app, &text).await?;
        let ids: Vec<CustomerId> = listed.iter().map(|(c, _, _)| *c).collect();
        let issued = issue_invitations(app, SurveyId(id), &ids, days).await?;
        Ok(listed.into_iter().zip(issued).collect::<Vec<_>>())
    }
    .await;
    match issued {
        Ok(rows) => {
            let tz = crate::pages::format::zone(&app.store().settings().await?);
            let mut csv = String::from("name,email,code,expires,url\r\n");
            for ((_, name, email), inv) in rows {
                let fields = [name, email, inv.code, when(inv.expires_at, &tz), inv.url];
                csv.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
                csv.push_str("\r\n");
            }
            let disposition = format!("attachment; filename=\"survey-{id}-codes.csv\"");
            // The codes exist only in this file: nothing but their digests is kept.
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition), (header::CACHE_CONTROL, "no-store".to_string())], csv).into_response())
        }
        Err(e) if e.status.is_client_error() => survey_page(app, frame, user, id, e.status, Some(e.detail), text).await,
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_prompts_and_never_repeat() {
        assert_eq!(key_of("How punctual was your delivery?", &[]), "how_punctual_was_your");
        assert_eq!(key_of("How punctual was your delivery?", &["how_punctual_was_your".into()]), "how_punctual_was_your_2");
        assert_eq!(key_of("¿?", &[]), "question");
        assert_eq!(csv_field("Hopper, Grace \"Amazing\""), "\"Hopper, Grace \"\"Amazing\"\"\"");
    }
}
