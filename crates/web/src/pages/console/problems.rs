//! Problems: systemic issues behind many cases. The list with a way to
//! record a new one, and each problem with the cases linked to it and what
//! they cost in remedies and gifts.

use super::{names, Staff};
use crate::api::problems::{create as create_problem, CreateProblem};
use crate::extract::from_form;
use crate::pages::format::{money, when, zone};
use crate::pages::forms::{csrf_ok, FormFields, Shape};
use crate::pages::frame::{redirect_with, Flash, Frame, PagePath, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use redress_core::case::{ActionStatus, Case};
use redress_core::store::CaseFilter;
use redress_core::user::User;
use redress_core::{Money, ProblemId};

/// Most linked cases one problem page lists.
const MOST_CASES: u32 = 500;

pub struct Row {
    id: i64,
    title: String,
    cases: i64,
    created: String,
}

#[derive(Template)]
#[template(path = "console/problems/list.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    error: Option<String>,
    kept: FormFields,
}

impl ListPage {
    fn kept(&self, field: &str) -> &str {
        self.kept.get(field).unwrap_or_default()
    }
}

pub struct CaseRow {
    id: i64,
    reference: String,
    summary: String,
    owner: String,
    status: &'static str,
    remedies: String,
    gifts: String,
}

#[derive(Template)]
#[template(path = "console/problems/show.html")]
struct ProblemPage {
    frame: Frame,
    title: String,
    details: Vec<(&'static str, String)>,
    cases: Vec<CaseRow>,
    remedies: String,
    gifts: String,
    more: bool,
}

/// What a case cost: its agreed remedies and its gifts.
fn costs(case: &Case) -> (Money, Money) {
    let remedies = case.actions.iter().filter(|a| a.status == ActionStatus::Agreed).map(|a| a.remedy_value.minor()).sum();
    let gifts = case.gifts.iter().map(|g| g.cost.minor()).sum();
    (Money::from_minor(remedies), Money::from_minor(gifts))
}

async fn list_page(app: &AppState, frame: Frame, user: &User, status: StatusCode, error: Option<String>, kept: FormFields) -> PageResult {
    let tz = zone(&app.store().settings().await?);
    let rows = app
        .store()
        .problems()
        .await?
        .into_iter()
        .map(|p| Row { id: p.id.0, title: p.title, cases: p.case_count, created: when(p.created_at, &tz) })
        .collect();
    let page = ListPage { frame: frame.signed_in(user), rows, error, kept };
    Ok(page.frame.page(status, &page))
}

pub async fn list(State(app): State<AppState>, Staff(user): Staff, frame: Frame) -> PageResult {
    list_page(&app, frame, &user, StatusCode::OK, None, FormFields(Vec::new())).await
}

pub async fn create(State(app): State<AppState>, Staff(user): Staff, headers: HeaderMap, frame: Frame, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form("/console/problems"));
    }
    let created = async {
        let req: CreateProblem = from_form(form.to_json(&Shape::default(), &jiff::tz::TimeZone::UTC))?;
        create_problem(&app, &user, req).await
    }
    .await;
    match created {
        Ok(p) => Ok(redirect_with(&format!("/console/problems/{}", p.id), Flash::notice("Problem recorded. Link cases to it from their preventive action."))),
        Err(e) if e.status.is_client_error() => list_page(&app, frame, &user, e.status, Some(e.detail), form).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn show(State(app): State<AppState>, Staff(user): Staff, frame: Frame, PagePath(id): PagePath<i64>) -> PageResult {
    let frame = frame.signed_in(&user);
    let store = app.store();
    let Some(problem) = store.problem(ProblemId(id)).await? else {
        return Ok(frame.message(StatusCode::NOT_FOUND, "No such problem", &format!("There is no problem {id}."), "/console/problems"));
    };
    let settings = store.settings().await?;
    let tz = zone(&settings);
    let names = names(&app).await?;
    let mut cases = store.cases(&CaseFilter { problem_id: Some(problem.id), limit: MOST_CASES + 1, ..CaseFilter::default() }).await?;
    let more = cases.len() > MOST_CASES as usize;
    cases.truncate(MOST_CASES as usize);
    let (mut all_remedies, mut all_gifts) = (0, 0);
    let rows = cases
        .iter()
        .map(|c| {
            let (remedies, gifts) = costs(c);
            all_remedies += remedies.minor();
            all_gifts += gifts.minor();
            CaseRow {
                id: c.id.0,
                reference: c.reference.clone(),
                summary: c.summary.clone(),
                owner: names.get(&c.owner_id).cloned().unwrap_or_default(),
                status: c.status.label(),
                remedies: money(remedies, &settings),
                gifts: money(gifts, &settings),
            }
        })
        .collect();
    let mut details = vec![("Recorded", format!("{} by {}", when(problem.created_at, &tz), names.get(&problem.created_by).cloned().unwrap_or_default()))];
    details.extend(problem.description.map(|d| ("Description", d)));
    details.extend(problem.root_cause.map(|r| ("Root cause", r)));
    details.extend(problem.permanent_solution.map(|s| ("Permanent solution", s)));
    let page = ProblemPage {
        frame,
        title: problem.title,
        details,
        cases: rows,
        remedies: money(Money::from_minor(all_remedies), &settings),
        gifts: money(Money::from_minor(all_gifts), &settings),
        more,
    };
    Ok(page.frame.page(StatusCode::OK, &page))
}
