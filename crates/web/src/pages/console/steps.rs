//! The loop's steps posted from the case page. Each form is read as the API
//! request it stands for and takes the same path
//! ([`StepRequest`](crate::api::loop_steps::StepRequest)): the same rules,
//! the same refusals. Success redirects to the case page with a notice
//! (post/redirect/get); a refusal shows the case page again with the
//! message at the form and what was typed kept.

use super::case::{render, Failed};
use super::Staff;
use crate::api::loop_steps::StepRequest;
use crate::error::ApiError;
use crate::extract::from_form;
use crate::pages::format::zone;
use crate::pages::forms::{csrf_ok, FormFields};
use crate::pages::frame::{redirect_with, Flash, Frame, PageResult};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use jiff::tz::TimeZone;
use serde_json::{Map, Value};

/// The steps, by the last segment of their address (as in the API).
const STEPS: [(&str, &str); 10] = [
    ("communications", "Contact recorded."),
    ("actions", "Corrective action recorded."),
    ("approvals", "Decision recorded."),
    ("preventive", "Preventive action recorded."),
    ("follow-up", "Follow-up recorded."),
    ("transfer", "Case transferred."),
    ("deviations", "Step waived; the reason is on the timeline."),
    ("gifts", "Gift recorded."),
    ("reports", "Formal action report sent to the customer."),
    ("close", "Case closed. A recovery survey goes to the customer next business morning."),
];

/// Fields that carry a number, a tick box, one item a line, or a local time.
const NUMBERS: [&str; 5] = ["preventive_owner_id", "owner_id", "problem_id", "to_user_id", "satisfaction"];
const TICKS: [&str; 1] = ["preventive_confirmed"];
const LINES: [&str; 1] = ["actions"];
const LOCAL_TIMES: [&str; 1] = ["at"];

/// A form as the JSON request it stands for: empty fields left out, numbers
/// as numbers, ticks as `true`, lines as a list, local times (`datetime-local`)
/// read in the organisation's zone. Anything unreadable is passed on as typed,
/// so the refusal names the field.
fn form_json(form: &FormFields, tz: &TimeZone) -> Value {
    let mut out = Map::new();
    for (name, value) in &form.0 {
        let v = value.trim();
        if name == "csrf" || v.is_empty() {
            continue;
        }
        let json = if NUMBERS.contains(&name.as_str()) {
            v.parse::<i64>().map_or_else(|_| Value::from(v), Value::from)
        } else if TICKS.contains(&name.as_str()) {
            Value::Bool(true)
        } else if LINES.contains(&name.as_str()) {
            Value::from(v.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>())
        } else if LOCAL_TIMES.contains(&name.as_str()) {
            v.parse::<jiff::civil::DateTime>()
                .ok()
                .and_then(|dt| dt.to_zoned(tz.clone()).ok())
                .map_or_else(|| Value::from(v), |z| Value::from(z.timestamp().to_string()))
        } else {
            Value::from(v)
        };
        out.insert(name.clone(), json);
    }
    Value::Object(out)
}

/// The request a step's form stands for.
fn request(step: &str, json: Value) -> Result<StepRequest, ApiError> {
    Ok(match step {
        "communications" => StepRequest::Communication(from_form(json)?),
        "actions" => StepRequest::Action(from_form(json)?),
        "approvals" => StepRequest::Approval(from_form(json)?),
        "preventive" => StepRequest::Preventive(from_form(json)?),
        "follow-up" => StepRequest::FollowUp(from_form(json)?),
        "transfer" => StepRequest::Transfer(from_form(json)?),
        "deviations" => StepRequest::Deviation(from_form(json)?),
        "gifts" => StepRequest::Gift(from_form(json)?),
        "reports" => StepRequest::Report(from_form(json)?),
        _ => StepRequest::Close(from_form(json)?),
    })
}

pub async fn post_step(
    State(app): State<AppState>,
    Staff(user): Staff,
    headers: HeaderMap,
    frame: Frame,
    Path((id, step)): Path<(String, String)>,
    form: FormFields,
) -> PageResult {
    let frame = frame.signed_in(&user);
    let (Ok(id), Some(&(step, done))) = (id.parse::<i64>(), STEPS.iter().find(|(s, _)| *s == step)) else {
        return Ok(frame.message(StatusCode::NOT_FOUND, "Not found", "There is no such page.", "/console"));
    };
    let back = format!("/console/cases/{id}");
    if !csrf_ok(&headers, &form) {
        return Ok(frame.expired_form(&back));
    }
    let tz = zone(&app.store().settings().await?);
    let applied = match request(step, form_json(&form, &tz)) {
        Ok(req) => req.apply(&app, user.clone(), id).await,
        Err(e) => Err(e),
    };
    match applied {
        Ok(a) => {
            let notice = match a.report_url {
                Some(url) => format!("{done} Its private link: {url}"),
                None => done.to_string(),
            };
            Ok(redirect_with(&back, Flash::notice(notice)))
        }
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            render(&app, frame, &user, id, Some(Failed { step, status: e.status, error: e.detail, kept: form })).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> FormFields {
        FormFields(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn forms_read_as_the_api_request() {
        let tz = TimeZone::get("Europe/London").unwrap();
        let f = form(&[
            ("csrf", "abc"),
            ("satisfaction", "4"),
            ("preventive_confirmed", "on"),
            ("notes", "  "),
            ("actions", "Retrain\n\n  Re-route \n"),
            ("at", "2026-07-01T09:30"),
            ("to_user_id", "x"),
        ]);
        let json = form_json(&f, &tz);
        assert_eq!(
            json,
            serde_json::json!({ "satisfaction": 4, "preventive_confirmed": true, "actions": ["Retrain", "Re-route"], "at": "2026-07-01T08:30:00Z", "to_user_id": "x" })
        );
        let Err(e) = request("transfer", json) else { panic!("a name is not a user id") };
        assert!(e.detail.contains("to_user_id"), "{}", e.detail);
    }
}
