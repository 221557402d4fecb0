//! The case page: who and what, where the loop stands (due times, what is
//! still to do, in words), the timeline with the conversation inline, and a
//! form for every step the signed-in person may take. The forms post to
//! [`super::steps`]; a refusal comes back here with the message at its form
//! and what was typed kept.

use super::Staff;
use crate::pages::format::{duration, local_input, money, when, wire, zone};
use crate::pages::forms::FormFields;
use crate::pages::frame::{Frame, PageError, PagePath, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use redress_core::case::{ActionStatus, Case, CaseAction, Communication, FollowUpOutcome};
use redress_core::settings::OrgSettings;
use redress_core::survey::AnswerValue;
use redress_core::terms::Step;
use redress_core::timeline::TimelineEvent;
use redress_core::user::{Role, User};
use redress_core::{mandate, CaseId, UserId};
use std::collections::HashMap;

/// A step's form shown again with what was typed: refused (with the
/// reason), or previewed (the formal report, before it is sent).
pub(super) struct Failed {
    pub step: &'static str,
    pub status: StatusCode,
    /// The refusal; `None` for a preview.
    pub error: Option<String>,
    pub kept: FormFields,
}

/// A due time and how it stands.
pub struct Due {
    what: &'static str,
    when: String,
    /// `done`, `overdue`, `due soon` or `on time`.
    state: &'static str,
    /// The state as a CSS class.
    class: &'static str,
    /// How long until, or since, in words.
    relative: String,
}

/// One line of the timeline; `body` carries a communication's full text.
pub struct Line {
    at: String,
    who: String,
    text: String,
    body: Option<String>,
    /// `inbound`, `outbound` or `event`.
    kind: &'static str,
}

pub struct ActionRow {
    id: u32,
    description: String,
    kind: String,
    value: String,
    status: &'static str,
    by: String,
    decision: String,
}

pub struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "console/case.html")]
struct CasePage {
    frame: Frame,
    id: i64,
    reference: String,
    summary: String,
    description: String,
    desired_resolution: Option<String>,
    order_reference: Option<String>,
    facts: Option<String>,
    /// Live private links to the customer's status page.
    status_links: i64,
    status: &'static str,
    channel: &'static str,
    severity: String,
    significant: bool,
    flagged: bool,
    closed: bool,
    transfers: usize,
    customer: Vec<(&'static str, String)>,
    customer_id: i64,
    customer_name: String,
    /// Files kept with the case: (id, name, size in words).
    attachments: Vec<(i64, String, String)>,
    lag: String,
    owner: String,
    /// The partner account (a retailer) that submitted the case, if one did.
    partner: Option<String>,
    /// Assigned besides the owner: (user id, name, why).
    assignees: Vec<(i64, String, String)>,
    area: Option<String>,
    due: Vec<Due>,
    todo: Vec<(&'static str, &'static str)>,
    actions: Vec<ActionRow>,
    pending: Option<ActionRow>,
    preventive: Vec<(&'static str, String)>,
    records: Vec<String>,
    answers: Vec<(String, String)>,
    timeline: Vec<Line>,
    currency: String,
    now_local: String,
    /// What the authorisation matrix allows the viewer on this case.
    allowed: Vec<CaseAction>,
    can_approve: bool,
    approve_refusal: Option<String>,
    can_follow_up: bool,
    report_needed: bool,
    staff: Vec<Choice>,
    /// Staff who may be assigned: neither the owner nor assigned already.
    helpers: Vec<Choice>,
    problems: Vec<Choice>,
    /// The formal action reports sent: (number, "sent by … on …").
    reports: Vec<(u32, String)>,
    /// The case's category, by name.
    category: Option<String>,
    /// Categories the case may be filed under (the active ones), the chosen one marked.
    categories: Vec<(i64, String, bool)>,
    /// The customer's other open cases: (id, reference, summary).
    same_customer: Vec<(i64, String, String)>,
    /// Other open cases that read alike: (id, reference, summary, score in per cent).
    similar: Vec<(i64, String, String, u32)>,
    /// The problem the case is linked to: its id and title.
    problem: Option<(i64, String)>,
    waivable: Vec<Choice>,
    failed: Option<Failed>,
}

impl CasePage {
    /// What was typed into `field` of the refused form `step`, else empty.
    fn kept(&self, step: &str, field: &str) -> &str {
        self.failed.as_ref().filter(|f| f.step == step).and_then(|f| f.kept.get(field)).unwrap_or_default()
    }

    /// Whether `value` was the choice of `field` in the refused form `step`.
    fn chosen(&self, step: &str, field: &str, value: &str) -> bool {
        self.kept(step, field) == value
    }

    /// The refusal of the form `step`, if it was the one refused.
    fn error_for(&self, step: &str) -> Option<&str> {
        self.failed.as_ref().filter(|f| f.step == step).and_then(|f| f.error.as_deref())
    }

    /// Whether the form of `step` is the one shown again.
    fn posted(&self, step: &str) -> bool {
        self.failed.as_ref().is_some_and(|f| f.step == step)
    }

    /// The formal report as typed, when its preview was asked for.
    fn report_preview(&self) -> Option<(&str, Vec<&str>)> {
        let f = self.failed.as_ref().filter(|f| f.step == "reports" && f.error.is_none())?;
        let actions = f.kept.get("actions").unwrap_or_default().lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        Some((f.kept.get("summary").unwrap_or_default(), actions))
    }

    /// Whether the page offers the form of `step` to the viewer: exactly
    /// where the server would not refuse them outright.
    fn shows_form(&self, step: &str) -> bool {
        let may = |action| self.allowed.contains(&action);
        if step == "status-links" {
            return may(CaseAction::RevokeStatusLinks) && self.status_links > 0;
        }
        if self.closed {
            return false;
        }
        match step {
            "details" => may(CaseAction::Update),
            "communications" => may(CaseAction::Communicate),
            "approvals" => self.can_approve,
            "actions" => may(CaseAction::ProposeAction) && self.pending.is_none(),
            "follow-up" => self.can_follow_up,
            "reports" => may(CaseAction::Report),
            "preventive" => may(CaseAction::RecordPreventive),
            "deviations" => !self.waivable.is_empty(),
            "transfer" => may(CaseAction::Transfer),
            "close" => may(CaseAction::Close),
            "gifts" => may(CaseAction::Gift),
            "assignees" | "unassign" => may(CaseAction::Assign),
            _ => false,
        }
    }

    /// A refusal of a form this viewer is not offered (a forged or stale
    /// post): shown at the top of the page instead.
    fn orphan_error(&self) -> Option<&str> {
        self.failed.as_ref().filter(|f| !self.shows_form(f.step)).and_then(|f| f.error.as_deref())
    }
}

/// Why someone is assigned beside the owner, in words.
fn assigned_as(role: &str) -> String {
    match role {
        "named" => "Helping".into(),
        "service_manager" => "Service manager".into(),
        "senior" => "Senior to attend".into(),
        other => other.replace('_', " "),
    }
}

/// A file kept with a case, downloaded by staff.
pub async fn attachment(State(app): State<AppState>, Staff(user): Staff, PagePath(id): PagePath<i64>) -> PageResult {
    Ok(crate::api::inbound::download(&app, &user, id).await?)
}

pub async fn case_page(State(app): State<AppState>, Staff(user): Staff, frame: Frame, Path(id): Path<String>) -> PageResult {
    let frame = frame.signed_in(&user);
    let Ok(id) = id.parse::<i64>() else {
        return Ok(frame.message(StatusCode::NOT_FOUND, "Case not found", "That is not a case number.", "/console"));
    };
    render(&app, frame, &user, id, None).await
}

/// The case page for `viewer`, with `failed` shown at its form.
pub(super) async fn render(app: &AppState, frame: Frame, viewer: &User, id: i64, failed: Option<Failed>) -> PageResult {
    let store = app.store();
    let Some(detail) = store.case_detail(CaseId(id)).await? else {
        return Ok(frame.message(StatusCode::NOT_FOUND, "Case not found", &format!("There is no case {id}."), "/console"));
    };
    let settings = store.settings().await?;
    let users: HashMap<UserId, User> = store.users().await?.into_iter().map(|u| (u.id, u)).collect();
    let name = |id: UserId| users.get(&id).map_or_else(|| format!("user {id}"), |u| u.name.clone());
    let case = detail.case;
    let tz = zone(&settings);
    let now = app.now();
    let customer = store.customer(case.customer_id).await?;
    let area = match case.service_area_id {
        Some(a) => store.service_area(a).await?.map(|a| a.name),
        None => None,
    };
    let pending = case.pending_action().map(|a| action_row(a, &settings, &name));
    let approve_refusal = case.pending_action().and_then(|a| mandate::check_approver(viewer, a.proposed_by, a.remedy_value).err()).map(|e| e.to_string());
    let all_problems = store.problem_records().await?;
    let linked = case.preventive.as_ref().and_then(|p| p.problem_id);
    let problem_title = |id: redress_core::ProblemId| all_problems.iter().find(|p| p.id == id).map_or_else(|| format!("problem {id}"), |p| p.title.clone());
    // A closed problem takes no new cases: offered only to the case already linked to it.
    let problems: Vec<Choice> = all_problems
        .iter()
        .filter(|p| !p.is_closed() || Some(p.id) == linked)
        .map(|p| Choice { value: p.id.to_string(), label: p.title.clone() })
        .collect();
    let waivable = case
        .missing_steps()
        .into_iter()
        .filter(|s| case.may(viewer, if *s == Step::FollowUp { CaseAction::WaiveFollowUp } else { CaseAction::Waive }))
        .map(|s| Choice { value: s.as_str().into(), label: s.title().into() })
        .collect();
    let status = failed.as_ref().map_or(StatusCode::OK, |f| f.status);
    let all_categories = store.categories().await?;
    let category = case.category_id.and_then(|c| all_categories.iter().find(|k| k.id == c)).map(|k| k.name.clone());
    let categories = all_categories.iter().filter(|k| k.active || Some(k.id) == case.category_id).map(|k| (k.id.0, k.name.clone(), Some(k.id) == case.category_id)).collect();
    let alike = crate::api::cases::similar(app, case.id).await?;
    let page = CasePage {
        id,
        reference: case.reference.clone(),
        summary: case.summary.clone(),
        description: case.description.clone(),
        desired_resolution: case.desired_resolution.clone(),
        order_reference: case.order_reference.clone(),
        facts: case.facts.clone(),
        status_links: store.status_link_count(CaseId(id)).await?,
        status: case.status.label(),
        channel: case.channel.as_str(),
        severity: wire(&case.severity),
        significant: case.significant,
        flagged: case.flagged,
        closed: case.is_closed(),
        transfers: case.transfers.len(),
        customer_id: case.customer_id.0,
        customer_name: customer.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
        attachments: store
            .attachments(CaseId(id))
            .await?
            .into_iter()
            .map(|a| (a.id, a.filename, if a.size >= 1024 * 1024 { format!("{:.1} MB", a.size as f64 / 1048576.0) } else { format!("{} KB", (a.size + 1023) / 1024) }))
            .collect(),
        customer: customer
            .map(|c| {
                let language = c.language.map(|l| l.name().to_string());
                [("Name", Some(c.name)), ("E-mail", c.email), ("Phone", c.phone), ("Time zone", Some(c.timezone)), ("Language", language)]
                    .into_iter()
                    .filter_map(|(k, v)| v.map(|v| (k, v)))
                    .collect()
            })
            .unwrap_or_default(),
        lag: duration(case.identification_lag()),
        owner: name(case.owner_id),
        partner: users.get(&case.created_by).filter(|u| u.role == Role::Partner).map(|u| u.name.clone()),
        assignees: case.assignees.iter().map(|a| (a.user_id.0, name(a.user_id), assigned_as(&a.role))).collect(),
        area,
        due: due_times(&case, now, &tz),
        todo: case.missing_steps().into_iter().map(|s| (s.title(), s.what_to_do())).collect(),
        actions: case.actions.iter().filter(|a| a.status != ActionStatus::PendingApproval).map(|a| action_row(a, &settings, &name)).collect(),
        pending,
        preventive: case
            .preventive
            .as_ref()
            .map(|p| {
                let mut rows = vec![("Owner", name(p.owner_id))];
                rows.extend(p.root_cause.clone().map(|r| ("Root cause", r)));
                rows.extend(p.action.clone().map(|a| ("Preventive action", a)));
                rows
            })
            .unwrap_or_default(),
        problem: linked.map(|p| (p.0, problem_title(p))),
        records: records(&case, &settings, &tz, &name),
        answers: answers(app, &case).await?,
        timeline: timeline(&detail.timeline, &detail.communications, &tz, &name),
        currency: settings.currency.clone(),
        now_local: local_input(now, &tz),
        allowed: CaseAction::ALL.into_iter().filter(|a| case.may(viewer, *a)).collect(),
        can_approve: case.pending_action().is_some() && case.may(viewer, CaseAction::DecideAction) && approve_refusal.is_none(),
        approve_refusal,
        can_follow_up: case.may(viewer, case.follow_up_action()),
        report_needed: case.needs(Step::FormalReport) && !case.is_done(Step::FormalReport),
        staff: staff_choices(&users),
        helpers: staff_choices(&users)
            .into_iter()
            .filter(|c| c.value != case.owner_id.to_string() && !case.assignees.iter().any(|a| c.value == a.user_id.to_string()))
            .collect(),
        problems,
        reports: case.reports.iter().map(|r| (r.id, format!("sent by {} on {}", name(r.by), crate::pages::format::when(r.at, &tz)))).collect(),
        category,
        categories,
        same_customer: alike.same_customer.iter().map(|c| (c.id.0, c.reference.clone(), c.summary.clone())).collect(),
        similar: alike.similar_text.iter().map(|s| (s.case.id.0, s.case.reference.clone(), s.case.summary.clone(), (s.score * 100.0).round() as u32)).collect(),
        waivable,
        frame,
        failed,
    };
    Ok(page.frame.page(status, &page))
}

/// Active staff by name, for owner and transfer choices.
fn staff_choices(users: &HashMap<UserId, User>) -> Vec<Choice> {
    let mut staff: Vec<Choice> = users
        .values()
        .filter(|u| u.active && u.role.is_staff())
        .map(|u| Choice { value: u.id.to_string(), label: format!("{} ({})", u.name, u.role.as_str()) })
        .collect();
    staff.sort_by(|a, b| a.label.cmp(&b.label));
    staff
}

fn action_row(a: &redress_core::case::CorrectiveAction, settings: &OrgSettings, name: &impl Fn(UserId) -> String) -> ActionRow {
    ActionRow {
        id: a.id,
        description: a.description.clone(),
        kind: wire(&a.remedy_kind),
        value: money(a.remedy_value, settings),
        status: match a.status {
            ActionStatus::Agreed => "agreed",
            ActionStatus::PendingApproval => "awaiting approval",
            ActionStatus::Declined => "declined",
        },
        by: name(a.proposed_by),
        decision: match (a.decided_by, &a.decision_note) {
            (Some(by), Some(note)) => format!("decided by {}: {note}", name(by)),
            (Some(by), None) => format!("decided by {}", name(by)),
            _ => String::new(),
        },
    }
}

/// Each target's due time and how it stands now.
fn due_times(case: &Case, now: Timestamp, tz: &jiff::tz::TimeZone) -> Vec<Due> {
    let soon = jiff::SignedDuration::from_hours(24);
    let rows = [
        ("First response", Some(case.first_response_due_at), case.responded_at.is_some()),
        ("Next update to the customer", case.update_due_at, case.is_closed()),
        ("Independent follow-up", case.follow_up_due_at, case.is_done(Step::FollowUp) || case.is_waived(Step::FollowUp)),
        ("Resolution", Some(case.resolution_due_at), case.is_closed()),
    ];
    rows.into_iter()
        .filter_map(|(what, at, done)| {
            let at = at?;
            let left = at.duration_since(now);
            let (state, relative) = if done {
                ("done", String::new())
            } else if left.is_negative() {
                ("overdue", format!("{} overdue", duration(left)))
            } else if left < soon {
                ("due soon", format!("in {}", duration(left)))
            } else {
                ("on time", format!("in {}", duration(left)))
            };
            let class = match state {
                "done" => "done",
                "overdue" => "overdue",
                "due soon" => "due-soon",
                _ => "on-time",
            };
            Some(Due { what, when: when(at, tz), state, class, relative })
        })
        .collect()
}

/// Follow-ups, deviations, gifts and reports, one line each.
fn records(case: &Case, settings: &OrgSettings, tz: &jiff::tz::TimeZone, name: &impl Fn(UserId) -> String) -> Vec<String> {
    let mut out = Vec::new();
    for f in &case.follow_ups {
        let verdict = if f.outcome == FollowUpOutcome::Resolved { "resolved" } else { "not resolved" };
        out.push(format!("Follow-up by {} on {}: {verdict}, satisfaction {}/5", name(f.by), when(f.at, tz), f.satisfaction));
    }
    for d in &case.deviations {
        out.push(format!("{} waived by {} on {}: {}", d.step.title(), name(d.by), when(d.at, tz), d.reason));
    }
    for g in &case.gifts {
        out.push(format!("Gift by {}: {} ({})", name(g.by), g.description, money(g.cost, settings)));
    }
    for r in &case.reports {
        out.push(format!("Formal action report sent by {} on {}", name(r.by), when(r.at, tz)));
    }
    out
}

/// The timeline, with each communication's full text at its event.
fn timeline(events: &[TimelineEvent], comms: &[Communication], tz: &jiff::tz::TimeZone, name: &impl Fn(UserId) -> String) -> Vec<Line> {
    let mut unused: Vec<&Communication> = comms.iter().collect();
    let mut lines: Vec<Line> = events
        .iter()
        .map(|e| {
            let who = match e.actor_id {
                Some(a) => name(a),
                None if e.kind == "customer_message" => "Customer".to_string(),
                None => "Redress".to_string(),
            };
            let mut line = Line { at: when(e.at, tz), who, text: e.summary.clone(), body: None, kind: "event" };
            // A contact staff recorded, or a message from the customer or
            // the submitting partner (written at the time of its event).
            if e.kind == "communication" || e.kind == "customer_message" {
                let stated = e.detail.get("at").and_then(|v| v.as_str()).and_then(|s| s.parse::<Timestamp>().ok());
                let at = stated.or((e.kind == "customer_message").then_some(e.at));
                if let Some(pos) = unused.iter().position(|c| Some(c.at) == at) {
                    let c = unused.remove(pos);
                    line.body = Some(c.body.clone());
                    line.kind = if wire(&c.direction) == "inbound" { "inbound" } else { "outbound" };
                }
            }
            line
        })
        .collect();
    for c in unused {
        let who = c.actor_id.map_or_else(|| "Customer".to_string(), name);
        let kind = if wire(&c.direction) == "inbound" { "inbound" } else { "outbound" };
        lines.push(Line { at: when(c.at, tz), who, text: format!("{} {}", if kind == "inbound" { "From the customer by" } else { "To the customer by" }, c.channel.as_str()), body: Some(c.body.clone()), kind });
    }
    lines
}

/// The survey answers that opened a case, as (question, answer) in the
/// survey's order.
async fn answers(app: &AppState, case: &Case) -> Result<Vec<(String, String)>, PageError> {
    let Some(rid) = case.survey_response_id else { return Ok(Vec::new()) };
    let Some(response) = app.store().response(rid).await? else { return Ok(Vec::new()) };
    let Some(survey) = app.store().survey(response.survey_id).await? else { return Ok(Vec::new()) };
    Ok(survey
        .questions
        .iter()
        .filter_map(|q| {
            let text = match response.answers.get(&q.key)? {
                AnswerValue::Score(n) => n.to_string(),
                AnswerValue::Text(t) => t.clone(),
            };
            Some((q.prompt.clone(), text))
        })
        .collect())
}

/// A formal action report of the case as its customer reads it, for staff.
pub async fn report(State(app): State<AppState>, Staff(user): Staff, frame: Frame, Path((id, n)): Path<(String, String)>) -> PageResult {
    let frame = frame.signed_in(&user);
    let case = match (id.parse::<i64>(), n.parse::<u32>()) {
        (Ok(id), Ok(_)) => app.store().case(CaseId(id)).await?,
        _ => None,
    };
    match (case, n.parse::<u32>()) {
        (Some(case), Ok(n)) => crate::pages::public::report::render(&app, frame, &case, n).await,
        _ => Ok(frame.message(StatusCode::NOT_FOUND, "Report not found", "There is no such report.", "/console")),
    }
}
