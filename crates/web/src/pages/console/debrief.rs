//! The printable debrief of a case (SPEC §1.9, "the documented timeline for
//! the debrief"): every target against when it was met in business and
//! calendar time, the timeline with the business time between entries, the
//! actions, deviations and gifts, and who did what. Print CSS leaves the
//! console's header off the paper.

use super::{names, Staff};
use crate::pages::format::{duration, money, when, zone};
use crate::pages::frame::{Frame, PagePath, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use redress_core::case::ActionStatus;
use redress_core::CaseId;

pub struct TargetRow {
    name: &'static str,
    due: String,
    met: String,
    business: String,
    calendar: String,
    /// `on time`, `late`, `overdue` or `open`.
    verdict: &'static str,
}

pub struct EntryRow {
    at: String,
    who: String,
    text: String,
    gap_business: String,
    gap_calendar: String,
}

#[derive(Template)]
#[template(path = "console/debrief.html")]
struct DebriefPage {
    frame: Frame,
    id: i64,
    reference: String,
    summary: String,
    customer: String,
    channel: &'static str,
    status: &'static str,
    owner: String,
    reported: String,
    lag: String,
    open_for: String,
    printed: String,
    targets: Vec<TargetRow>,
    entries: Vec<EntryRow>,
    /// (what, value, status, by).
    actions: Vec<(String, String, &'static str, String)>,
    /// (step, reason, by, when).
    deviations: Vec<(&'static str, String, String, String)>,
    /// (what, cost, by).
    gifts: Vec<(String, String, String)>,
    /// (who, what they did).
    people: Vec<(String, String)>,
}

/// A span in words, or a dash for none.
fn span(d: jiff::SignedDuration) -> String {
    if d.is_zero() { "—".into() } else { duration(d) }
}

pub async fn debrief(State(app): State<AppState>, Staff(user): Staff, frame: Frame, PagePath(id): PagePath<i64>) -> PageResult {
    let frame = frame.signed_in(&user);
    let store = app.store();
    let Some(detail) = store.case_detail(CaseId(id)).await? else {
        return Ok(frame.message(StatusCode::NOT_FOUND, "Case not found", &format!("There is no case {id}."), "/console"));
    };
    let settings = store.settings().await?;
    let tz = zone(&settings);
    let people = names(&app).await?;
    let name = |u: Option<redress_core::UserId>| u.map_or_else(|| "Redress".to_string(), |u| people.get(&u).cloned().unwrap_or_else(|| format!("user {u}")));
    let now = app.now();
    let case = &detail.case;
    let d = case.debrief(&detail.timeline, &settings.calendar(), now);
    let targets = d
        .targets
        .iter()
        .map(|t| TargetRow {
            name: t.name,
            due: when(t.due, &tz),
            met: t.met_at.map_or_else(|| "not yet".to_string(), |m| when(m, &tz)),
            business: span(t.business),
            calendar: span(t.calendar),
            verdict: match (t.on_time, t.met_at) {
                (Some(true), _) => "on time",
                (Some(false), Some(_)) => "late",
                (Some(false), None) => "overdue",
                (None, _) => "open",
            },
        })
        .collect();
    let entries = d
        .entries
        .iter()
        .map(|e| EntryRow {
            at: when(e.event.at, &tz),
            who: if e.event.actor_id.is_none() && e.event.kind == "customer_message" { "Customer".into() } else { name(e.event.actor_id) },
            text: e.event.summary.clone(),
            gap_business: span(e.gap_business),
            gap_calendar: span(e.gap_calendar),
        })
        .collect();
    let customer = store.customer(case.customer_id).await?.map(|c| c.name).unwrap_or_default();
    let page = DebriefPage {
        id,
        reference: case.reference.clone(),
        summary: case.summary.clone(),
        customer,
        channel: case.channel.as_str(),
        status: case.status.label(),
        owner: name(Some(case.owner_id)),
        reported: when(case.reported_at, &tz),
        lag: duration(case.identification_lag()),
        open_for: span(d.business_open),
        printed: when(now, &tz),
        targets,
        entries,
        actions: case
            .actions
            .iter()
            .map(|a| {
                let status = match a.status {
                    ActionStatus::Agreed => "agreed",
                    ActionStatus::PendingApproval => "awaiting approval",
                    ActionStatus::Declined => "declined",
                };
                let by = match a.decided_by {
                    Some(d) if d != a.proposed_by => format!("{}, decided by {}", name(Some(a.proposed_by)), name(Some(d))),
                    _ => name(Some(a.proposed_by)),
                };
                (a.description.clone(), money(a.remedy_value, &settings), status, by)
            })
            .collect(),
        deviations: case.deviations.iter().map(|v| (v.step.title(), v.reason.clone(), name(Some(v.by)), when(v.at, &tz))).collect(),
        gifts: case.gifts.iter().map(|g| (g.description.clone(), money(g.cost, &settings), name(Some(g.by)))).collect(),
        people: d
            .contributions
            .iter()
            .map(|c| {
                let who = if c.actor.is_none() { "Redress and the customer".to_string() } else { name(c.actor) };
                let what = c.kinds.iter().map(|(k, n)| if *n == 1 { k.replace('_', " ") } else { format!("{} ×{n}", k.replace('_', " ")) }).collect::<Vec<_>>().join(", ");
                (who, what)
            })
            .collect(),
        frame,
    };
    Ok(page.frame.page(StatusCode::OK, &page))
}
