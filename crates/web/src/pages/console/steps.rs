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
use crate::pages::forms::{csrf_ok, FormFields, Shape};
use crate::pages::frame::{redirect_with, Flash, Frame, PageResult};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

/// The steps, by the last segment of their address (as in the API).
const STEPS: [(&str, &str); 14] = [
    ("details", "Details saved."),
    ("communications", "Contact recorded."),
    ("actions", "Corrective action recorded."),
    ("approvals", "Decision recorded."),
    ("preventive", "Preventive action recorded."),
    ("follow-up", "Follow-up recorded."),
    ("transfer", "Case transferred."),
    ("deviations", "Step waived; the reason is on the timeline."),
    ("gifts", "Gift recorded."),
    ("assignees", "Assigned; they can now work the case with you."),
    ("unassign", "Assignment withdrawn."),
    ("reports", "Formal action report sent to the customer."),
    ("close", "Case closed. A recovery survey goes to the customer next business morning."),
    ("status-links", "The customer's status links are withdrawn. Their next e-mail about the case carries a new one."),
];

/// How the step forms' fields read as JSON.
const SHAPE: Shape = Shape {
    prefix: "",
    numbers: &["preventive_owner_id", "owner_id", "problem_id", "to_user_id", "user_id", "satisfaction", "category_id"],
    ticks: &["preventive_confirmed"],
    booleans: &["significant"],
    lines: &["actions"],
    local_times: &["at"],
    nullable: &[],
};

/// The request a step's form stands for.
fn request(step: &str, json: Value) -> Result<StepRequest, ApiError> {
    Ok(match step {
        "details" => StepRequest::Details(from_form(json)?),
        "communications" => StepRequest::Communication(from_form(json)?),
        "actions" => StepRequest::Action(from_form(json)?),
        "approvals" => StepRequest::Approval(from_form(json)?),
        "preventive" => StepRequest::Preventive(from_form(json)?),
        "follow-up" => StepRequest::FollowUp(from_form(json)?),
        "transfer" => StepRequest::Transfer(from_form(json)?),
        "deviations" => StepRequest::Deviation(from_form(json)?),
        "gifts" => StepRequest::Gift(from_form(json)?),
        "assignees" => StepRequest::Assign(from_form(json)?),
        "unassign" => StepRequest::Unassign(from_form(json)?),
        "reports" => StepRequest::Report(from_form(json)?),
        "status-links" => StepRequest::RevokeStatusLinks(from_form(json)?),
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
    if step == "reports" && form.get("preview").is_some() {
        return render(&app, frame, &user, id, Some(Failed { step, status: StatusCode::OK, error: None, kept: form })).await;
    }
    let tz = zone(&app.store().settings().await?);
    let applied = match request(step, form.to_json(&SHAPE, &tz)) {
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
            render(&app, frame, &user, id, Some(Failed { step, status: e.status, error: Some(e.detail), kept: form })).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_form_is_refused_naming_its_field() {
        let tz = jiff::tz::TimeZone::UTC;
        let form = FormFields(vec![("to_user_id".into(), "Bob".into()), ("reason".into(), "holiday".into())]);
        let Err(e) = request("transfer", form.to_json(&SHAPE, &tz)) else { panic!("a name is not a user id") };
        assert!(e.detail.contains("to_user_id"), "{}", e.detail);
    }
}
