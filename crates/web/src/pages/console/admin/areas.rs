//! Service areas (transaction types): who answers for each and its own
//! targets. Everyone sees them; managers and above add them.

use super::super::Staff;
use crate::api::service_areas::{create as create_area, replace as replace_area, CreateServiceArea};
use crate::extract::from_form;
use crate::pages::forms::{csrf_ok, FormFields};
use crate::pages::frame::{redirect_with, Flash, Frame, PagePath, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use redress_core::user::User;
use serde_json::{Map, Value};
use std::collections::HashMap;

const TARGETS: [(&str, &str); 4] = [("first_response", "First response"), ("update_interval", "Update interval"), ("resolution", "Resolution"), ("follow_up", "Follow-up")];

pub struct Row {
    id: i64,
    name: String,
    manager: String,
    targets: String,
}

#[derive(Template)]
#[template(path = "console/admin/areas.html")]
struct AreasPage {
    frame: Frame,
    rows: Vec<Row>,
    managers: Vec<(String, String)>,
    targets: [(&'static str, &'static str); 4],
    may_add: bool,
    error: Option<String>,
    kept: FormFields,
}

impl AreasPage {
    /// A field of the new area as typed (when refused).
    fn value(&self, field: &str) -> &str {
        self.kept.get(field).unwrap_or_default()
    }
}

async fn page(app: &AppState, frame: Frame, user: &User, status: StatusCode, error: Option<String>, kept: FormFields) -> PageResult {
    let users = app.store().users().await?;
    let names: HashMap<_, _> = users.iter().map(|u| (u.id, u.name.clone())).collect();
    let rows = app
        .store()
        .service_areas()
        .await?
        .into_iter()
        .map(|a| {
            let t = serde_json::to_value(&a.targets).unwrap_or_default();
            let targets = TARGETS.iter().filter_map(|(k, label)| t.get(k).and_then(Value::as_str).map(|v| format!("{label} {v}"))).collect::<Vec<_>>().join(" · ");
            Row { id: a.id.0, manager: names.get(&a.service_manager_id).cloned().unwrap_or_default(), targets, name: a.name }
        })
        .collect();
    let mut managers: Vec<(String, String)> = users.iter().filter(|u| u.active && u.role.is_staff()).map(|u| (u.id.to_string(), u.name.clone())).collect();
    managers.sort_by(|a, b| a.1.cmp(&b.1));
    let page = AreasPage { may_add: user.role.supervises(), frame: frame.signed_in(user), rows, managers, targets: TARGETS, error, kept };
    Ok(page.frame.page(status, &page))
}

pub async fn list(State(app): State<AppState>, Staff(user): Staff, frame: Frame) -> PageResult {
    page(&app, frame, &user, StatusCode::OK, None, FormFields(Vec::new())).await
}

/// The area form as the API's request.
fn area_json(form: &FormFields) -> Value {
    let targets: Map<String, Value> = TARGETS.iter().filter_map(|(k, _)| Some(((*k).to_string(), Value::from(Some(form.text(&format!("targets.{k}"))).filter(|v| !v.is_empty())?)))).collect();
    let manager = form.text("service_manager_id");
    serde_json::json!({ "name": form.text("name"), "service_manager_id": manager.parse::<i64>().map_or(Value::from(manager), Value::from), "targets": targets })
}

pub async fn create(State(app): State<AppState>, Staff(user): Staff, headers: HeaderMap, frame: Frame, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form("/console/areas"));
    }
    let created = async {
        let req: CreateServiceArea = from_form(area_json(&form))?;
        create_area(&app, &user, req).await
    }
    .await;
    match created {
        Ok(a) => Ok(redirect_with("/console/areas", Flash::notice(format!("{} added.", a.name)))),
        Err(e) if e.status.is_client_error() => page(&app, frame, &user, e.status, Some(e.detail), form).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "console/admin/area.html")]
struct AreaPage {
    frame: Frame,
    id: i64,
    managers: Vec<(String, String)>,
    targets: [(&'static str, &'static str); 4],
    error: Option<String>,
    /// The area's fields as shown: saved, or as typed when refused.
    values: FormFields,
}

impl AreaPage {
    fn value(&self, field: &str) -> &str {
        self.values.get(field).unwrap_or_default()
    }
}

async fn area_page(app: &AppState, frame: Frame, user: &User, id: i64, status: StatusCode, error: Option<String>, values: Option<FormFields>) -> PageResult {
    let frame = frame.signed_in(user);
    let Some(area) = app.store().service_area(redress_core::ServiceAreaId(id)).await? else {
        return Ok(frame.message(StatusCode::NOT_FOUND, "No such service area", &format!("There is no service area {id}."), "/console/areas"));
    };
    let values = values.unwrap_or_else(|| {
        let t = serde_json::to_value(&area.targets).unwrap_or_default();
        let mut v = vec![("name".to_string(), area.name.clone()), ("service_manager_id".to_string(), area.service_manager_id.to_string())];
        v.extend(TARGETS.iter().map(|(k, _)| (format!("targets.{k}"), t.get(k).and_then(Value::as_str).unwrap_or_default().to_string())));
        FormFields(v)
    });
    let mut managers: Vec<(String, String)> = app.store().users().await?.into_iter().filter(|u| u.active && u.role.is_staff()).map(|u| (u.id.to_string(), u.name)).collect();
    managers.sort_by(|a, b| a.1.cmp(&b.1));
    let page = AreaPage { frame, id, managers, targets: TARGETS, error, values };
    Ok(page.frame.page(status, &page))
}

pub async fn show(State(app): State<AppState>, Staff(user): Staff, frame: Frame, PagePath(id): PagePath<i64>) -> PageResult {
    if !user.role.supervises() {
        return Err(crate::error::ApiError::forbidden("only a manager, senior or admin may change a service area").into());
    }
    area_page(&app, frame, &user, id, StatusCode::OK, None, None).await
}

pub async fn save(State(app): State<AppState>, Staff(user): Staff, headers: HeaderMap, frame: Frame, PagePath(id): PagePath<i64>, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form(&format!("/console/areas/{id}")));
    }
    let saved = async {
        let req: CreateServiceArea = from_form(area_json(&form))?;
        replace_area(&app, &user, redress_core::ServiceAreaId(id), req).await
    }
    .await;
    match saved {
        Ok(a) => Ok(redirect_with("/console/areas", Flash::notice(format!("{} saved. New cases use its targets; cases already open keep their due times.", a.name)))),
        Err(e) if e.status.is_client_error() => area_page(&app, frame, &user, id, e.status, Some(e.detail), Some(form)).await,
        Err(e) => Err(e.into()),
    }
}
