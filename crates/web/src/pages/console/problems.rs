//! Problems: systemic issues behind many cases. The list (by status, with
//! owner, cases and cost) with a way to record a new one, and each problem's
//! page: its cases, root cause, permanent solution, owner, status, cost and
//! history, with forms to edit it, change its owner, link cases, close it and
//! reopen it. Every form is read into the API's own request, so it obeys the
//! same rules and is refused with the same words.

use super::Staff;
use crate::api::problems::{self as api, CreateProblem, PatchProblem};
use crate::error::ApiError;
use crate::extract::from_form;
use crate::pages::format::{money, when, zone};
use crate::pages::forms::{csrf_ok, FormFields, Shape};
use crate::pages::frame::{redirect_with, Flash, Frame, PagePath, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use redress_core::problem::{Problem, ProblemStatus};
use redress_core::user::User;
use redress_core::{CaseId, ProblemId, UserId};
use serde_json::{json, Value};
use std::collections::HashMap;

pub struct Choice {
    value: String,
    label: String,
}

/// Active staff by name, for owner choices.
fn staff_choices(users: &[User]) -> Vec<Choice> {
    let mut staff: Vec<Choice> = users
        .iter()
        .filter(|u| u.active && u.role.is_staff())
        .map(|u| Choice { value: u.id.to_string(), label: format!("{} ({})", u.name, u.role.as_str()) })
        .collect();
    staff.sort_by(|a, b| a.label.cmp(&b.label));
    staff
}

/// A refused form, shown again at its place with what was typed.
pub struct Failed {
    form: &'static str,
    error: String,
    kept: FormFields,
}

/// What was typed into `field` of the refused `form`, if it was that one.
fn kept<'a>(failed: &'a Option<Failed>, form: &str, field: &str) -> Option<&'a str> {
    failed.as_ref().filter(|f| f.form == form).map(|f| f.kept.get(field).unwrap_or_default())
}

/// Case references typed into a form ("RD-12, RD-15" or "12 15") as ids,
/// refusing any that is not one.
fn case_ids(text: &str) -> Result<Vec<CaseId>, ApiError> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|t| !t.is_empty())
        .map(|t| {
            CaseId::parse_reference(t)
                .or_else(|| t.parse::<i64>().ok().filter(|n| *n > 0).map(CaseId))
                .ok_or_else(|| ApiError::unprocessable(format!("'{t}' is not a case reference: write RD-12, or just 12")))
        })
        .collect()
}

// ---- the list ---------------------------------------------------------------

pub struct Row {
    id: i64,
    title: String,
    status: &'static str,
    status_key: &'static str,
    owner: String,
    cases: i64,
    open_cases: i64,
    cost: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "console/problems/list.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    /// The status filter: `""` for all.
    status: &'static str,
    statuses: Vec<(&'static str, &'static str)>,
    staff: Vec<Choice>,
    me: String,
    failed: Option<Failed>,
}

impl ListPage {
    fn kept(&self, field: &str) -> &str {
        kept(&self.failed, "new", field).unwrap_or_default()
    }

    fn error(&self) -> Option<&str> {
        self.failed.as_ref().map(|f| f.error.as_str())
    }

    fn owner_chosen(&self, value: &str) -> bool {
        kept(&self.failed, "new", "owner_id").map_or(value == self.me, |v| v == value)
    }
}

async fn list_page(app: &AppState, frame: Frame, user: &User, status: Option<ProblemStatus>, code: StatusCode, failed: Option<Failed>) -> PageResult {
    let store = app.store();
    let settings = store.settings().await?;
    let tz = zone(&settings);
    let users = store.users().await?;
    let names: HashMap<UserId, &str> = users.iter().map(|u| (u.id, u.name.as_str())).collect();
    let rows = store
        .problems(status)
        .await?
        .into_iter()
        .map(|p| Row {
            id: p.id.0,
            status: p.status.label(),
            status_key: p.status.as_str(),
            owner: names.get(&p.owner_id).map_or_else(|| format!("user {}", p.owner_id), |n| n.to_string()),
            cases: p.cost.cases,
            open_cases: p.cost.open_cases,
            cost: money(p.cost.total, &settings),
            updated: when(p.updated_at, &tz),
            title: p.title,
        })
        .collect();
    let page = ListPage {
        frame: frame.signed_in(user),
        rows,
        status: status.map_or("", ProblemStatus::as_str),
        statuses: ProblemStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
        staff: staff_choices(&users),
        me: user.id.to_string(),
        failed,
    };
    Ok(page.frame.page(code, &page))
}

pub async fn list(State(app): State<AppState>, Staff(user): Staff, frame: Frame, RawQuery(query): RawQuery) -> PageResult {
    let pairs: Vec<(String, String)> = query.and_then(|q| serde_urlencoded::from_str(&q).ok()).unwrap_or_default();
    let asked = pairs.iter().find(|(k, _)| k == "status").map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
    let status = match api::parse_status(asked) {
        Ok(s) => s,
        Err(e) => return Ok(frame.signed_in(&user).message(e.status, "No such status", &e.detail, "/console/problems")),
    };
    list_page(&app, frame, &user, status, StatusCode::OK, None).await
}

pub async fn create(State(app): State<AppState>, Staff(user): Staff, headers: HeaderMap, frame: Frame, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form("/console/problems"));
    }
    let created = async {
        let mut req = form.to_json(&Shape { numbers: &["owner_id"], ..Shape::default() }, &jiff::tz::TimeZone::UTC);
        if let Some(obj) = req.as_object_mut() {
            let cases = obj.remove("cases").and_then(|v| v.as_str().map(case_ids)).transpose()?.unwrap_or_default();
            obj.insert("case_ids".into(), json!(cases));
        }
        let req: CreateProblem = from_form(req)?;
        api::create(&app, &user, req).await
    }
    .await;
    match created {
        Ok(p) => {
            let notice = match p.case_count {
                0 => "Problem recorded. Link its cases below, or from a case's preventive action.".to_string(),
                1 => "Problem recorded with its case.".to_string(),
                n => format!("Problem recorded with its {n} cases."),
            };
            Ok(redirect_with(&format!("/console/problems/{}", p.id), Flash::notice(notice)))
        }
        Err(e) if e.status.is_client_error() => list_page(&app, frame, &user, None, e.status, Some(Failed { form: "new", error: e.detail, kept: form })).await,
        Err(e) => Err(e.into()),
    }
}

// ---- one problem --------------------------------------------------------------

pub struct CaseRow {
    id: i64,
    reference: String,
    summary: String,
    owner: String,
    status: &'static str,
    remedies: String,
    gifts: String,
}

pub struct HistoryRow {
    at: String,
    who: String,
    what: String,
}

#[derive(Template)]
#[template(path = "console/problems/show.html")]
struct ProblemPage {
    frame: Frame,
    id: i64,
    title: String,
    description: Option<String>,
    root_cause: Option<String>,
    permanent_solution: Option<String>,
    status: &'static str,
    status_key: &'static str,
    closed: bool,
    owner: String,
    owner_id: String,
    recorded: String,
    updated: String,
    closed_note: Option<String>,
    cases: Vec<CaseRow>,
    case_count: i64,
    open_cases: i64,
    remedies: String,
    gifts: String,
    total: String,
    touches: i64,
    more: bool,
    history: Vec<HistoryRow>,
    staff: Vec<Choice>,
    /// Statuses a problem that is not closed may be set to by the edit form.
    working: Vec<(&'static str, &'static str)>,
    /// What a reopened problem becomes unless another is chosen.
    reopen_as: &'static str,
    may_close: bool,
    may_reopen: bool,
    failed: Option<Failed>,
}

impl ProblemPage {
    /// The value of `field` in `form`: as typed when that form was refused,
    /// else as recorded.
    fn value<'a>(&'a self, form: &str, field: &str, recorded: &'a Option<String>) -> &'a str {
        kept(&self.failed, form, field).unwrap_or_else(|| recorded.as_deref().unwrap_or_default())
    }

    fn title_value(&self) -> &str {
        kept(&self.failed, "edit", "title").unwrap_or(&self.title)
    }

    fn error_for(&self, form: &str) -> Option<&str> {
        self.failed.as_ref().filter(|f| f.form == form).map(|f| f.error.as_str())
    }

    fn posted(&self, form: &str) -> bool {
        self.failed.as_ref().is_some_and(|f| f.form == form)
    }

    /// Whether `value` is the choice of `field` in `form`: as typed when it
    /// was refused, else `current`.
    fn chosen(&self, form: &str, field: &str, value: &str, current: &str) -> bool {
        kept(&self.failed, form, field).map_or(value == current, |v| v == value)
    }

    fn typed(&self, form: &str, field: &str) -> &str {
        kept(&self.failed, form, field).unwrap_or_default()
    }
}

pub async fn show(State(app): State<AppState>, Staff(user): Staff, frame: Frame, PagePath(id): PagePath<i64>) -> PageResult {
    render(&app, frame, &user, id, StatusCode::OK, None).await
}

async fn render(app: &AppState, frame: Frame, viewer: &User, id: i64, code: StatusCode, failed: Option<Failed>) -> PageResult {
    let frame = frame.signed_in(viewer);
    let store = app.store();
    let Some(problem) = store.problem(ProblemId(id)).await? else {
        return Ok(frame.message(StatusCode::NOT_FOUND, "No such problem", &format!("There is no problem {id}."), "/console/problems"));
    };
    let settings = store.settings().await?;
    let tz = zone(&settings);
    let users = store.users().await?;
    let names: HashMap<UserId, String> = users.iter().map(|u| (u.id, u.name.clone())).collect();
    let name = |id: UserId| names.get(&id).cloned().unwrap_or_else(|| format!("user {id}"));
    let linked = store.linked_cases(problem.id, api::MOST_CASES).await?;
    let cases = linked
        .into_iter()
        .map(|c| CaseRow {
            id: c.id.0,
            owner: name(c.owner_id),
            status: c.status.label(),
            remedies: money(c.remedies, &settings),
            gifts: money(c.gifts, &settings),
            reference: c.reference,
            summary: c.summary,
        })
        .collect::<Vec<_>>();
    let history = store
        .problem_history(problem.id)
        .await?
        .into_iter()
        .rev()
        .map(|e| HistoryRow { at: when(e.at, &tz), who: e.actor_id.map_or_else(|| "Redress".to_string(), name), what: e.summary })
        .collect();
    let Problem { title, description, root_cause, permanent_solution, status, owner_id, created_by, created_at, updated_at, closed_at, closed_by, cost, .. } = problem;
    let page = ProblemPage {
        id,
        closed: status == ProblemStatus::Closed,
        status: status.label(),
        status_key: status.as_str(),
        owner: name(owner_id),
        owner_id: owner_id.to_string(),
        recorded: format!("{} by {}", when(created_at, &tz), name(created_by)),
        updated: when(updated_at, &tz),
        closed_note: closed_at.map(|t| format!("{} by {}", when(t, &tz), closed_by.map(name).unwrap_or_default())),
        more: cost.cases > cases.len() as i64,
        cases,
        case_count: cost.cases,
        open_cases: cost.open_cases,
        remedies: money(cost.remedies, &settings),
        gifts: money(cost.gifts, &settings),
        total: money(cost.total, &settings),
        touches: cost.staff_touches,
        history,
        staff: staff_choices(&users),
        working: ProblemStatus::ALL.iter().filter(|s| **s != ProblemStatus::Closed).map(|s| (s.as_str(), s.label())).collect(),
        reopen_as: if root_cause.is_some() { "diagnosed" } else { "open" },
        may_close: viewer.role.is_staff() && (viewer.id == owner_id || viewer.role.supervises()),
        may_reopen: viewer.role.supervises(),
        title,
        description,
        root_cause,
        permanent_solution,
        failed,
        frame,
    };
    Ok(page.frame.page(code, &page))
}

/// The forms of a problem's page, each the API request it stands for.
const FORMS: [&str; 5] = ["edit", "owner", "close", "reopen", "cases"];

/// A form of a problem's page, read into the API request it stands for.
fn patch_of(form: &str, fields: &FormFields) -> Result<PatchProblem, ApiError> {
    // Texts are sent even when empty, so emptying a field clears it.
    let texts = |names: &[&str]| -> serde_json::Map<String, Value> {
        names.iter().filter_map(|n| fields.get(n).map(|v| (n.to_string(), Value::from(v.trim())))).collect()
    };
    let mut req = match form {
        "edit" => texts(&["title", "description", "root_cause", "permanent_solution"]),
        "close" => texts(&["root_cause", "permanent_solution"]),
        _ => serde_json::Map::new(),
    };
    match form {
        "edit" | "reopen" => {
            if let Some(s) = fields.get("status").map(str::trim).filter(|s| !s.is_empty()) {
                req.insert("status".into(), Value::from(s));
            }
        }
        "close" => {
            req.insert("status".into(), Value::from("closed"));
        }
        _ => {}
    }
    if form == "owner" {
        let owner = fields.text("owner_id");
        req.insert("owner_id".into(), owner.parse::<i64>().map_or_else(|_| Value::from(owner), Value::from));
    }
    from_form(Value::Object(req))
}

/// A form posted on a problem's page: `edit`, `owner`, `close`, `reopen` or
/// `cases`. Success returns to the page with a notice; a refusal shows the
/// page again with the reason at the form and what was typed kept.
pub async fn post_form(
    State(app): State<AppState>,
    Staff(user): Staff,
    headers: HeaderMap,
    frame: Frame,
    PagePath((id, form)): PagePath<(i64, String)>,
    fields: FormFields,
) -> PageResult {
    let back = format!("/console/problems/{id}");
    let Some(form) = FORMS.into_iter().find(|f| *f == form) else {
        return Ok(frame.signed_in(&user).message(StatusCode::NOT_FOUND, "No such form", "There is no such form on a problem's page.", &back));
    };
    if !csrf_ok(&headers, &fields) {
        return Ok(frame.expired_form(&back));
    }
    let done = async {
        if form == "cases" {
            let cases = case_ids(&fields.text("cases"))?;
            let p = api::link(&app, user.clone(), ProblemId(id), cases).await?;
            return Ok(format!("Cases linked: the problem now has {} ({} open).", p.cost.cases, p.cost.open_cases));
        }
        let patch = patch_of(form, &fields)?;
        let before = app.store().problem(ProblemId(id)).await?;
        let p = api::change(&app, user.clone(), ProblemId(id), patch.into_change()).await?;
        let unchanged = before.as_ref() == Some(&p);
        Ok::<_, ApiError>(match form {
            _ if unchanged => "Nothing changed.".to_string(),
            "owner" => "Owner changed.".to_string(),
            "close" => "Problem closed.".to_string(),
            "reopen" => format!("Problem reopened: it is {} again.", p.status.as_str()),
            _ => "Problem saved.".to_string(),
        })
    }
    .await;
    match done {
        Ok(notice) => Ok(redirect_with(&back, Flash::notice(notice))),
        Err(e) if e.status == StatusCode::NOT_FOUND && e.detail.starts_with("problem") => {
            Ok(frame.signed_in(&user).message(StatusCode::NOT_FOUND, "No such problem", &format!("There is no problem {id}."), "/console/problems"))
        }
        Err(e) if e.status.is_client_error() => render(&app, frame, &user, id, e.status, Some(Failed { form, error: e.detail, kept: fields })).await,
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_references_read_in_any_usual_way() {
        assert_eq!(case_ids("RD-12, rd-15;7\n 9").unwrap(), vec![CaseId(12), CaseId(15), CaseId(7), CaseId(9)]);
        assert!(case_ids("").unwrap().is_empty());
        assert_eq!(case_ids("RD-12 twelve").unwrap_err().detail, "'twelve' is not a case reference: write RD-12, or just 12");
    }
}
