//! The organisation's settings: name, time zone, currency, business hours,
//! holidays, default targets and the numbers behind flags and rewards. The
//! form is read over the current settings into the API's own request type
//! (`OrgSettings`), so it is checked exactly as `PUT /api/v1/settings` is.

use super::Admin;
use crate::extract::from_form;
use crate::pages::forms::{csrf_ok, FormFields};
use crate::pages::frame::{redirect_with, Flash, Frame, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use redress_core::settings::OrgSettings;
use redress_core::user::User;
use serde_json::{Map, Value};

const DAYS: [(&str, &str); 7] = [("mon", "Monday"), ("tue", "Tuesday"), ("wed", "Wednesday"), ("thu", "Thursday"), ("fri", "Friday"), ("sat", "Saturday"), ("sun", "Sunday")];
const TARGETS: [(&str, &str); 4] = [
    ("first_response", "First response"),
    ("update_interval", "Longest silence towards the customer"),
    ("resolution", "Resolution"),
    ("follow_up", "Independent follow-up, after the action is agreed"),
];
const NUMBERS: [&str; 4] = ["transfer_flag_after", "fast_report_within_hours", "fast_report_points", "invitation_valid_days"];

#[derive(Template)]
#[template(path = "console/admin/settings.html")]
struct SettingsPage {
    frame: Frame,
    /// The settings as shown: saved, or as typed when refused.
    values: Map<String, Value>,
    days: [(&'static str, &'static str); 7],
    targets: [(&'static str, &'static str); 4],
    staff: Vec<(String, String)>,
    error: Option<String>,
}

impl SettingsPage {
    /// A setting as text for its field (`targets.resolution`, `hours.mon`).
    fn value(&self, path: &str) -> String {
        let (head, tail) = path.split_once('.').unwrap_or((path, ""));
        let head = if head == "hours" { "business_hours" } else { head };
        let v = self.values.get(head);
        let v = if tail.is_empty() { v } else { v.and_then(|o| o.get(tail)) };
        match v {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("\n"),
            _ => String::new(),
        }
    }
}

async fn page(app: &AppState, frame: Frame, admin: &User, status: StatusCode, values: Map<String, Value>, error: Option<String>) -> PageResult {
    let mut staff: Vec<(String, String)> = app.store().users().await?.into_iter().filter(|u| u.active && u.role.is_staff()).map(|u| (u.id.to_string(), u.name)).collect();
    staff.sort_by(|a, b| a.1.cmp(&b.1));
    let page = SettingsPage { frame: frame.signed_in(admin), values, days: DAYS, targets: TARGETS, staff, error };
    Ok(page.frame.page(status, &page))
}

fn as_object(settings: &OrgSettings) -> Map<String, Value> {
    match serde_json::to_value(settings) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

pub async fn show(State(app): State<AppState>, Admin(admin): Admin, frame: Frame) -> PageResult {
    let settings = app.store().settings().await?;
    page(&app, frame, &admin, StatusCode::OK, as_object(&settings), None).await
}

/// The form laid over the current settings: the request it stands for.
fn overlay(current: &OrgSettings, form: &FormFields) -> Map<String, Value> {
    let mut v = as_object(current);
    for key in ["name", "timezone", "currency"] {
        v.insert(key.into(), Value::from(form.text(key)));
    }
    for key in NUMBERS {
        let t = form.text(key);
        v.insert(key.into(), t.parse::<i64>().map_or_else(|_| Value::from(t), Value::from));
    }
    let hours: Map<String, Value> = DAYS.iter().filter_map(|(d, _)| Some(((*d).to_string(), Value::from(Some(form.text(&format!("hours.{d}"))).filter(|t| !t.is_empty())?)))).collect();
    v.insert("business_hours".into(), Value::Object(hours));
    let holidays: Vec<Value> = form.text("holidays").lines().map(str::trim).filter(|l| !l.is_empty()).map(Value::from).collect();
    v.insert("holidays".into(), Value::Array(holidays));
    let targets: Map<String, Value> =
        TARGETS.iter().filter_map(|(t, _)| Some(((*t).to_string(), Value::from(Some(form.text(&format!("targets.{t}"))).filter(|x| !x.is_empty())?)))).collect();
    v.insert("targets".into(), Value::Object(targets));
    let owner = form.text("default_owner_id");
    v.insert("default_owner_id".into(), owner.parse::<i64>().map_or(Value::Null, Value::from));
    v
}

pub async fn save(State(app): State<AppState>, Admin(admin): Admin, headers: HeaderMap, frame: Frame, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form("/console/admin/settings"));
    }
    let current = app.store().settings().await?;
    let values = overlay(&current, &form);
    let saved = async {
        let settings: OrgSettings = from_form(Value::Object(values.clone()))?;
        crate::api::settings::put(&app, &admin, settings.validate()?).await
    }
    .await;
    match saved {
        Ok(_) => Ok(redirect_with("/console/admin/settings", Flash::notice("Settings saved. New cases use them; due times already set are kept."))),
        Err(e) if e.status.is_client_error() => page(&app, frame, &admin, e.status, values, Some(e.detail)).await,
        Err(e) => Err(e.into()),
    }
}
