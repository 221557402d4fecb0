//! The survey follow-up rules, for admins: for each threshold of the lowest
//! rating, whether a case opens, who owns it, who else is assigned, whether
//! it is significant and needs a formal report. Read into the API's own
//! request type, so they are checked as `PUT /api/v1/follow-up-rules` does.

use super::Admin;
use crate::extract::from_form;
use crate::pages::forms::{csrf_ok, FormFields};
use crate::pages::frame::{redirect_with, Flash, Frame, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use redress_core::rules::{FollowUpRule, FollowUpRules, Party};
use redress_core::user::User;
use serde_json::{json, Value};

/// Blank rows offered beyond the rules there are.
const SPARE: usize = 2;
const ROLES: [(&str, &str); 3] = [("client_manager", "the customer's client manager"), ("service_manager", "the service area's manager"), ("senior", "a senior manager")];

/// One rule as the form shows it.
pub struct RuleRow {
    n: usize,
    threshold: String,
    open_case: bool,
    owner: String,
    assign: Vec<String>,
    significant: bool,
    require_report: bool,
}

#[derive(Template)]
#[template(path = "console/admin/rules.html")]
struct RulesPage {
    frame: Frame,
    rows: Vec<RuleRow>,
    /// Who may own or be assigned: (form value, words).
    parties: Vec<(String, String)>,
    error: Option<String>,
}

impl RuleRow {
    fn assigns(&self, party: &str) -> bool {
        self.assign.iter().any(|a| a == party)
    }
}

fn party_value(p: &Party) -> String {
    match p {
        Party::ClientManager => "client_manager".into(),
        Party::ServiceManager => "service_manager".into(),
        Party::Senior => "senior".into(),
        Party::User(id) => format!("user:{id}"),
    }
}

fn party_json(value: &str) -> Option<Value> {
    match value.strip_prefix("user:") {
        Some(id) => Some(json!({ "user": id.parse::<i64>().map_or(Value::from(id), Value::from) })),
        None if value.is_empty() => None,
        None => Some(Value::from(value)),
    }
}

fn rows_of(rules: &[FollowUpRule]) -> Vec<RuleRow> {
    let mut rows: Vec<RuleRow> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| RuleRow {
            n: i + 1,
            threshold: r.lowest_rating_at_most.to_string(),
            open_case: r.open_case,
            owner: r.owner.as_ref().map(party_value).unwrap_or_default(),
            assign: r.assign.iter().map(party_value).collect(),
            significant: r.significant,
            require_report: r.require_report,
        })
        .collect();
    let next = rows.len();
    rows.extend((1..=SPARE).map(|k| RuleRow { n: next + k, threshold: String::new(), open_case: false, owner: String::new(), assign: Vec::new(), significant: false, require_report: false }));
    rows
}

/// The form's rows as they were posted, to show again with a refusal.
fn rows_posted(form: &FormFields, count: usize) -> Vec<RuleRow> {
    (1..=count)
        .map(|n| {
            let f = |k: &str| format!("r{n}.{k}");
            RuleRow {
                n,
                threshold: form.text(&f("threshold")),
                open_case: form.get(&f("open_case")).is_some(),
                owner: form.text(&f("owner")),
                assign: form.0.iter().filter(|(k, _)| *k == f("assign")).map(|(_, v)| v.clone()).collect(),
                significant: form.get(&f("significant")).is_some(),
                require_report: form.get(&f("require_report")).is_some(),
            }
        })
        .collect()
}

async fn page(app: &AppState, frame: Frame, admin: &User, status: StatusCode, rows: Vec<RuleRow>, error: Option<String>) -> PageResult {
    let mut parties: Vec<(String, String)> = ROLES.iter().map(|(v, w)| ((*v).to_string(), (*w).to_string())).collect();
    parties.extend(app.store().users().await?.into_iter().filter(|u| u.active && u.role.is_staff()).map(|u| (format!("user:{}", u.id), u.name)));
    let page = RulesPage { frame: frame.signed_in(admin), rows, parties, error };
    Ok(page.frame.page(status, &page))
}

pub async fn show(State(app): State<AppState>, Admin(admin): Admin, frame: Frame) -> PageResult {
    let rules = app.store().settings().await?.follow_up_rules;
    page(&app, frame, &admin, StatusCode::OK, rows_of(&rules.rules), None).await
}

/// The posted rows as the API's rules: rows without a threshold are left out.
fn rules_json(form: &FormFields, count: usize) -> Value {
    let rules: Vec<Value> = rows_posted(form, count)
        .into_iter()
        .filter(|r| !r.threshold.is_empty())
        .map(|r| {
            json!({
                "lowest_rating_at_most": r.threshold.parse::<i64>().map_or(Value::from(r.threshold.clone()), Value::from),
                "open_case": r.open_case,
                "owner": party_json(&r.owner),
                "assign": r.assign.iter().filter_map(|a| party_json(a)).collect::<Vec<_>>(),
                "significant": r.significant,
                "require_report": r.require_report,
            })
        })
        .collect();
    json!({ "rules": rules })
}

pub async fn save(State(app): State<AppState>, Admin(admin): Admin, headers: HeaderMap, frame: Frame, form: FormFields) -> PageResult {
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form("/console/admin/rules"));
    }
    let count = form.text("rows").parse::<usize>().unwrap_or(0).min(30);
    let saved = async {
        let rules: FollowUpRules = from_form(rules_json(&form, count))?;
        let mut settings = app.store().settings().await?;
        settings.follow_up_rules = rules;
        crate::api::settings::put(&app, &admin, settings.validate()?).await
    }
    .await;
    match saved {
        Ok(_) => Ok(redirect_with("/console/admin/rules", Flash::notice("Follow-up rules saved: they apply to the next survey response."))),
        Err(e) if e.status.is_client_error() => page(&app, frame, &admin, e.status, rows_posted(&form, count), Some(e.detail)).await,
        Err(e) => Err(e.into()),
    }
}
