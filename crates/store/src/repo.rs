//! The repository, written once and compiled for each backend: the including
//! module supplies `Db` (the sqlx driver), `This` (the store type with its
//! `write` and `reads`), `LOCK_FOR_UPDATE` and `ILIKE`.

use super::{Db, This, ILIKE, LOCK_FOR_UPDATE, SKIP_LOCKED};
use crate::db_error;
use jiff::Timestamp;
use redress_core::case::{Case, CaseContext, Communication, NewCommunication, Outcome, Status};
use redress_core::customer::{Customer, NewCustomer};
use redress_core::notification::{NewNotification, Notification, NotificationKind, NotificationStatus, Recipient};
use redress_core::problem::{NewProblem, Problem};
use redress_core::service_area::{NewServiceArea, ServiceArea, Targets};
use redress_core::settings::OrgSettings;
use redress_core::store::{CaseDetail, CaseFilter, CaseMutation, NotificationFilter, Store, StoreError, StoreResult};
use redress_core::timeline::{NewEvent, TimelineEvent};
use redress_core::user::{NewUser, Role, User};
use redress_core::feedback::Reward;
use redress_core::store::{RewardEntry, Submission, Submitted};
use redress_core::survey::{Invitation, NewInvitation, NewSurvey, Response, Survey};
use redress_core::{CaseId, CustomerId, DomainError, Money, NotificationId, ProblemId, ResponseId, ServiceAreaId, SurveyId, UserId};
use serde::{de::DeserializeOwned, Serialize};
use std::collections::HashMap;

type Conn = <Db as sqlx::Database>::Connection;

#[path = "surveys.rs"]
mod surveys;

#[path = "jobs.rs"]
mod jobs;

#[path = "webhooks.rs"]
mod webhooks;

// ---- conversions ------------------------------------------------------------

fn ts(micros: i64) -> StoreResult<Timestamp> {
    Timestamp::from_microsecond(micros).map_err(|e| StoreError::Backend(format!("stored time {micros} is invalid: {e}")))
}

fn opt_ts(micros: Option<i64>) -> StoreResult<Option<Timestamp>> {
    micros.map(ts).transpose()
}

fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

fn to_json<T: Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(format!("cannot encode: {e}")))
}

fn from_json<T: DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Backend(format!("stored JSON is unreadable: {e}")))
}

/// An enum's wire name (`"in_progress"`), as stored in text columns.
fn name_of<T: Serialize>(v: &T) -> StoreResult<String> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(StoreError::Backend("enum without a name".into())),
    }
}

fn parse_name<T: DeserializeOwned>(s: String) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(s)).map_err(|e| StoreError::Backend(format!("stored name is unknown: {e}")))
}

/// A bind value for queries assembled at run time.
enum Arg {
    I(i64),
    S(String),
    B(bool),
}

fn bind_all<'q>(
    mut q: sqlx::query::QueryAs<'q, Db, (i64, String), <Db as sqlx::Database>::Arguments<'q>>,
    args: Vec<Arg>,
) -> sqlx::query::QueryAs<'q, Db, (i64, String), <Db as sqlx::Database>::Arguments<'q>> {
    for a in args {
        q = match a {
            Arg::I(v) => q.bind(v),
            Arg::S(v) => q.bind(v),
            Arg::B(v) => q.bind(v),
        };
    }
    q
}

// ---- rows -------------------------------------------------------------------

const USER_COLS: &str = "id, name, email, role, mandate_minor, manager_id, active, created_at";
type UserRow = (i64, String, Option<String>, String, i64, Option<i64>, bool, i64);

fn user_from(r: UserRow) -> StoreResult<User> {
    Ok(User {
        id: UserId(r.0),
        name: r.1,
        email: r.2,
        role: Role::parse(&r.3).ok_or_else(|| StoreError::Backend(format!("unknown role {}", r.3)))?,
        mandate: Money::from_minor(r.4),
        manager_id: r.5.map(UserId),
        active: r.6,
        created_at: ts(r.7)?,
    })
}

const CUSTOMER_COLS: &str = "id, name, email, phone, timezone, client_manager_id, created_at";
type CustomerRow = (i64, String, Option<String>, Option<String>, String, Option<i64>, i64);

fn customer_from(r: CustomerRow) -> StoreResult<Customer> {
    Ok(Customer {
        id: CustomerId(r.0),
        name: r.1,
        email: r.2,
        phone: r.3,
        timezone: r.4,
        client_manager_id: r.5.map(UserId),
        created_at: ts(r.6)?,
    })
}

const AREA_COLS: &str = "id, name, service_manager_id, targets, created_at";

/// How an area's targets are stored: its own and those per severity.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredTargets {
    #[serde(flatten)]
    targets: Targets,
    #[serde(default)]
    by_severity: std::collections::BTreeMap<redress_core::case::Severity, Targets>,
}
type AreaRow = (i64, String, i64, String, i64);

fn area_from(r: AreaRow) -> StoreResult<ServiceArea> {
    Ok(ServiceArea {
        id: ServiceAreaId(r.0),
        name: r.1,
        service_manager_id: UserId(r.2),
        targets: from_json::<StoredTargets>(&r.3)?.targets,
        targets_by_severity: from_json::<StoredTargets>(&r.3)?.by_severity,
        created_at: ts(r.4)?,
    })
}

const PROBLEM_COLS: &str = "p.id, p.title, p.description, p.root_cause, p.permanent_solution, p.created_by, p.created_at, \
     (SELECT COUNT(*) FROM cases c WHERE c.problem_id = p.id)";
type ProblemRow = (i64, String, Option<String>, Option<String>, Option<String>, i64, i64, i64);

fn problem_from(r: ProblemRow) -> StoreResult<Problem> {
    Ok(Problem {
        id: ProblemId(r.0),
        title: r.1,
        description: r.2,
        root_cause: r.3,
        permanent_solution: r.4,
        created_by: UserId(r.5),
        created_at: ts(r.6)?,
        case_count: r.7,
    })
}

fn case_from((id, data): (i64, String)) -> StoreResult<Case> {
    let mut case: Case = from_json(&data)?;
    case.assign_id(CaseId(id));
    Ok(case)
}

type EventRow = (i64, i64, i64, Option<i64>, String, String, String);

fn event_from(r: EventRow) -> StoreResult<TimelineEvent> {
    Ok(TimelineEvent {
        id: r.0,
        case_id: CaseId(r.1),
        at: ts(r.2)?,
        actor_id: r.3.map(UserId),
        kind: r.4,
        summary: r.5,
        detail: from_json(&r.6)?,
    })
}

type CommunicationRow = (i64, i64, String, String, String, i64, Option<i64>);

fn communication_from(r: CommunicationRow) -> StoreResult<Communication> {
    Ok(Communication {
        id: r.0,
        case_id: CaseId(r.1),
        direction: parse_name(r.2)?,
        channel: parse_name(r.3)?,
        body: r.4,
        at: ts(r.5)?,
        actor_id: r.6.map(UserId),
    })
}

const NOTIFICATION_COLS: &str =
    "id, case_id, kind, recipient_kind, recipient_id, address, subject, body, scheduled_for, status, sent_at, created_at, last_error, attempts";
type NotificationRow = (i64, Option<i64>, String, String, i64, Option<String>, String, String, i64, String, Option<i64>, i64, Option<String>, i64);

fn notification_from(r: NotificationRow) -> StoreResult<Notification> {
    let bad = |what: &str, v: &str| StoreError::Backend(format!("unknown notification {what} {v}"));
    Ok(Notification {
        id: NotificationId(r.0),
        case_id: r.1.map(CaseId),
        kind: NotificationKind::parse(&r.2).ok_or_else(|| bad("kind", &r.2))?,
        recipient: match r.3.as_str() {
            "customer" => Recipient::Customer(CustomerId(r.4)),
            "user" => Recipient::User(UserId(r.4)),
            other => return Err(bad("recipient", other)),
        },
        address: r.5,
        subject: r.6,
        body: r.7,
        scheduled_for: ts(r.8)?,
        status: NotificationStatus::parse(&r.9).ok_or_else(|| bad("status", &r.9))?,
        sent_at: opt_ts(r.10)?,
        created_at: ts(r.11)?,
        last_error: r.12,
        attempts: r.13 as u32,
    })
}

// ---- statements used inside write transactions --------------------------------

async fn load_user(c: &mut Conn, id: UserId) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
    let row: Option<UserRow> = sqlx::query_as(&sql).bind(id.0).fetch_optional(&mut *c).await.map_err(db_error)?;
    row.map(user_from).transpose()
}

async fn require_user(c: &mut Conn, field: &str, id: UserId) -> StoreResult<User> {
    load_user(c, id)
        .await?
        .ok_or_else(|| DomainError::invalid(format!("{field} {id} does not exist")).into())
}

async fn load_settings(c: &mut Conn) -> StoreResult<OrgSettings> {
    let data: Option<String> = sqlx::query_scalar("SELECT data FROM settings WHERE id = 1").fetch_optional(&mut *c).await.map_err(db_error)?;
    data.map_or_else(|| Ok(OrgSettings::default()), |d| from_json(&d))
}

async fn load_customer(c: &mut Conn, id: CustomerId) -> StoreResult<Option<Customer>> {
    let sql = format!("SELECT {CUSTOMER_COLS} FROM customers WHERE id = $1");
    let row: Option<CustomerRow> = sqlx::query_as(&sql).bind(id.0).fetch_optional(&mut *c).await.map_err(db_error)?;
    row.map(customer_from).transpose()
}

async fn load_area(c: &mut Conn, id: ServiceAreaId) -> StoreResult<Option<ServiceArea>> {
    let sql = format!("SELECT {AREA_COLS} FROM service_areas WHERE id = $1");
    let row: Option<AreaRow> = sqlx::query_as(&sql).bind(id.0).fetch_optional(&mut *c).await.map_err(db_error)?;
    row.map(area_from).transpose()
}

/// Writes the case's projection columns and its full state; `settings`
/// gives the calendar its next target check is reckoned on.
async fn save_case(c: &mut Conn, case: &Case, settings: &OrgSettings) -> StoreResult<()> {
    sqlx::query(
        "UPDATE cases SET status = $2, owner_id = $3, problem_id = $4, significant = $5, flagged = $6, summary = $7, \
         description = $8, responded_at = $9, update_due_at = $10, closed_at = $11, transfer_count = $12, \
         reopen_count = $13, data = $14, target_check_at = $15 WHERE id = $1",
    )
    .bind(case.id.0)
    .bind(case.status.as_str())
    .bind(case.owner_id.0)
    .bind(case.preventive.as_ref().and_then(|p| p.problem_id).map(|p| p.0))
    .bind(case.significant)
    .bind(case.flagged)
    .bind(&case.summary)
    .bind(&case.description)
    .bind(case.responded_at.map(micros))
    .bind(case.update_due_at.map(micros))
    .bind(case.closed_at.map(micros))
    .bind(case.transfers.len() as i64)
    .bind(i64::from(case.reopen_count))
    .bind(to_json(case)?)
    .bind(case.next_target_check(&settings.calendar()).map(micros))
    .execute(&mut *c)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// `($1, $2), ($3, $4)` for `rows` rows of `cols` parameters: a multi-row VALUES list.
fn values_list(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", (1..=cols).map(|c| format!("${}", r * cols + c)).collect::<Vec<_>>().join(", ")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Appends timeline events in one statement.
async fn insert_events(c: &mut Conn, case: CaseId, events: &[NewEvent]) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let sql = format!("INSERT INTO case_events (case_id, at, actor_id, kind, summary, detail) VALUES {}", values_list(events.len(), 6));
    let mut q = sqlx::query(&sql);
    for e in events {
        q = q.bind(case.0).bind(micros(e.at)).bind(e.actor_id.map(|a| a.0)).bind(e.kind).bind(e.summary.clone()).bind(to_json(&e.detail)?);
    }
    q.execute(&mut *c).await.map_err(db_error)?;
    Ok(())
}

async fn insert_communication(c: &mut Conn, case: CaseId, m: &NewCommunication) -> StoreResult<()> {
    sqlx::query("INSERT INTO communications (case_id, direction, channel, body, at, actor_id) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(case.0)
        .bind(name_of(&m.direction)?)
        .bind(m.channel.as_str())
        .bind(&m.body)
        .bind(micros(m.at))
        .bind(m.actor_id.map(|a| a.0))
        .execute(&mut *c)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Records a notification and enqueues its delivery for `scheduled_for`.
async fn insert_notification(c: &mut Conn, case: Option<CaseId>, n: &NewNotification, now: Timestamp) -> StoreResult<()> {
    let (kind, id) = match n.recipient {
        Recipient::Customer(id) => ("customer", id.0),
        Recipient::User(id) => ("user", id.0),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notifications (case_id, kind, recipient_kind, recipient_id, address, subject, body, scheduled_for, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(case.map(|c| c.0))
    .bind(n.kind.as_str())
    .bind(kind)
    .bind(id)
    .bind(&n.address)
    .bind(&n.subject)
    .bind(&n.body)
    .bind(micros(n.scheduled_for))
    .bind(NotificationStatus::Pending.as_str())
    .bind(micros(now))
    .fetch_one(&mut *c)
    .await
    .map_err(db_error)?;
    jobs::enqueue(c, redress_core::jobs::DELIVER_NOTIFICATION, &serde_json::json!({ "notification_id": id }), n.scheduled_for, now).await
}

async fn insert_user(c: &mut Conn, u: NewUser, now: Timestamp) -> StoreResult<User> {
    if let Some(m) = u.manager_id {
        require_user(c, "manager_id", m).await?;
    }
    if let Some(email) = &u.email {
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE lower(email) = lower($1)").bind(email).fetch_optional(&mut *c).await.map_err(db_error)?;
        if taken.is_some() {
            return Err(DomainError::conflict(format!("a user with email {email} already exists")).into());
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (name, email, role, mandate_minor, manager_id, active, created_at, password_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&u.name)
    .bind(&u.email)
    .bind(u.role.as_str())
    .bind(u.mandate.minor())
    .bind(u.manager_id.map(|m| m.0))
    .bind(true)
    .bind(micros(now))
    .bind(&u.password_hash)
    .fetch_one(&mut *c)
    .await
    .map_err(db_error)?;
    Ok(User { id: UserId(id), name: u.name, email: u.email, role: u.role, mandate: u.mandate, manager_id: u.manager_id, active: true, created_at: now })
}

async fn insert_customer(c: &mut Conn, n: NewCustomer, now: Timestamp) -> StoreResult<Customer> {
    if let Some(m) = n.client_manager_id {
        let u = require_user(c, "client_manager_id", m).await?;
        if !u.role.is_staff() {
            return Err(DomainError::invalid(format!("client_manager_id {m} is a partner account, not staff")).into());
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO customers (name, email, phone, timezone, client_manager_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&n.name)
    .bind(&n.email)
    .bind(&n.phone)
    .bind(&n.timezone)
    .bind(n.client_manager_id.map(|m| m.0))
    .bind(micros(now))
    .fetch_one(&mut *c)
    .await
    .map_err(db_error)?;
    Ok(Customer {
        id: CustomerId(id),
        name: n.name,
        email: n.email,
        phone: n.phone,
        timezone: n.timezone,
        client_manager_id: n.client_manager_id,
        created_at: now,
    })
}

async fn insert_area(c: &mut Conn, a: NewServiceArea, now: Timestamp) -> StoreResult<ServiceArea> {
    let m = require_user(c, "service_manager_id", a.service_manager_id).await?;
    if !m.role.is_staff() {
        return Err(DomainError::invalid(format!("service_manager_id {} is a partner account, not staff", m.id)).into());
    }
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM service_areas WHERE name = $1").bind(&a.name).fetch_optional(&mut *c).await.map_err(db_error)?;
    if taken.is_some() {
        return Err(DomainError::conflict(format!("a service area named '{}' already exists", a.name)).into());
    }
    let id: i64 = sqlx::query_scalar("INSERT INTO service_areas (name, service_manager_id, targets, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(&a.name)
        .bind(a.service_manager_id.0)
        .bind(to_json(&StoredTargets { targets: a.targets.clone(), by_severity: a.targets_by_severity.clone() })?)
        .bind(micros(now))
        .fetch_one(&mut *c)
        .await
        .map_err(db_error)?;
    Ok(ServiceArea {
        id: ServiceAreaId(id),
        name: a.name,
        service_manager_id: a.service_manager_id,
        targets: a.targets,
        targets_by_severity: a.targets_by_severity,
        created_at: now,
    })
}

async fn insert_problem(c: &mut Conn, p: NewProblem, now: Timestamp) -> StoreResult<Problem> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO problems (title, description, root_cause, permanent_solution, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&p.title)
    .bind(&p.description)
    .bind(&p.root_cause)
    .bind(&p.permanent_solution)
    .bind(p.created_by.0)
    .bind(micros(now))
    .fetch_one(&mut *c)
    .await
    .map_err(db_error)?;
    Ok(Problem {
        id: ProblemId(id),
        title: p.title,
        description: p.description,
        root_cause: p.root_cause,
        permanent_solution: p.permanent_solution,
        created_by: p.created_by,
        created_at: now,
        case_count: 0,
    })
}

async fn write_settings(c: &mut Conn, s: OrgSettings) -> StoreResult<OrgSettings> {
    if let Some(owner) = s.default_owner_id {
        let u = require_user(c, "default_owner_id", owner).await?;
        if !u.role.is_staff() || !u.active {
            return Err(DomainError::invalid(format!("default_owner_id {owner} must be active staff")).into());
        }
    }
    let data = to_json(&s)?;
    sqlx::query(
        "INSERT INTO settings (id, data, updated_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
    )
    .bind(&data)
    .bind(micros(Timestamp::now()))
    .execute(&mut *c)
    .await
    .map_err(db_error)?;
    Ok(s)
}

/// Inserts a new case. Its `data` is written before the id is known; the id
/// column is authoritative and every load assigns it (`case_from`).
async fn insert_case(c: &mut Conn, mut case: Case, opening: Outcome, reward: Option<Reward>, settings: &OrgSettings) -> StoreResult<Case> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cases (customer_id, channel, status, owner_id, created_by, service_area_id, problem_id, significant, flagged, \
         summary, description, occurred_at, reported_at, created_at, first_response_due_at, responded_at, update_due_at, \
         resolution_due_at, closed_at, transfer_count, reopen_count, data, target_check_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, NULL, 0, 0, $18, $19) RETURNING id",
    )
    .bind(case.customer_id.0)
    .bind(case.channel.as_str())
    .bind(case.status.as_str())
    .bind(case.owner_id.0)
    .bind(case.created_by.0)
    .bind(case.service_area_id.map(|a| a.0))
    .bind(case.significant)
    .bind(case.flagged)
    .bind(&case.summary)
    .bind(&case.description)
    .bind(micros(case.occurred_at))
    .bind(micros(case.reported_at))
    .bind(micros(case.created_at))
    .bind(micros(case.first_response_due_at))
    .bind(case.responded_at.map(micros))
    .bind(case.update_due_at.map(micros))
    .bind(micros(case.resolution_due_at))
    .bind(to_json(&case)?)
    .bind(case.next_target_check(&settings.calendar()).map(micros))
    .fetch_one(&mut *c)
    .await
    .map_err(db_error)?;
    case.assign_id(CaseId(id));
    write_outcome(c, case.id, &opening, case.created_at).await?;
    if let Some(r) = reward {
        insert_reward(c, case.customer_id, &r, Some(case.id), None, case.created_at).await?;
    }
    Ok(case)
}

async fn insert_reward(c: &mut Conn, customer: CustomerId, r: &Reward, case: Option<CaseId>, response: Option<i64>, now: Timestamp) -> StoreResult<()> {
    sqlx::query("INSERT INTO rewards (customer_id, points, reason, case_id, response_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(customer.0)
        .bind(r.points)
        .bind(r.reason)
        .bind(case.map(|c| c.0))
        .bind(response)
        .bind(micros(now))
        .execute(&mut *c)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// What a change to `case` (or a message about it) needs to know.
async fn case_context(c: &mut Conn, case: &Case, extra: Vec<UserId>) -> StoreResult<CaseContext> {
    let id = case.id;
    let settings = load_settings(c).await?;
    let area = match case.service_area_id {
        Some(a) => load_area(c, a).await?,
        None => None,
    };
    let targets = settings.targets_for(area.as_ref(), case.severity);
    let customer = load_customer(c, case.customer_id)
        .await?
        .ok_or_else(|| StoreError::Backend(format!("case {id} refers to a missing customer")))?;
    let mut users = HashMap::new();
    let owner = load_user(c, case.owner_id).await?;
    let wanted = [owner.as_ref().and_then(|o| o.manager_id), case.preventive.as_ref().map(|p| p.owner_id)].into_iter().flatten().chain(extra);
    if let Some(o) = owner {
        users.insert(o.id, o);
    }
    for uid in wanted {
        if let std::collections::hash_map::Entry::Vacant(slot) = users.entry(uid) {
            if let Some(u) = load_user(c, uid).await? {
                slot.insert(u);
            }
        }
    }
    Ok(CaseContext { settings, targets, customer, users })
}

async fn change_case(c: &mut Conn, id: CaseId, extra: Vec<UserId>, change: CaseMutation) -> StoreResult<Case> {
    let sql = format!("SELECT id, data FROM cases WHERE id = $1{LOCK_FOR_UPDATE}");
    let row: Option<(i64, String)> = sqlx::query_as(&sql).bind(id.0).fetch_optional(&mut *c).await.map_err(db_error)?;
    let Some(row) = row else {
        return Err(DomainError::not_found(format!("case {id} does not exist")).into());
    };
    let mut case = case_from(row)?;
    let ctx = case_context(c, &case, extra).await?;
    let outcome = change(&mut case, &ctx)?;
    save_case(c, &case, &ctx.settings).await?;
    let now = outcome.events.first().map_or_else(Timestamp::now, |e| e.at);
    write_outcome(c, id, &outcome, now).await?;
    Ok(case)
}

/// Writes everything a change to case `id` causes: timeline events, the
/// communication, notifications (with their delivery jobs), invitations, a
/// report link and attachments.
async fn write_outcome(c: &mut Conn, id: CaseId, outcome: &Outcome, now: Timestamp) -> StoreResult<()> {
    insert_events(c, id, &outcome.events).await?;
    webhooks::fan_out(c, id, &outcome.events, now).await?;
    if let Some(m) = &outcome.communication {
        insert_communication(c, id, m).await?;
    }
    for n in &outcome.notifications {
        insert_notification(c, Some(id), n, now).await?;
    }
    if !outcome.invitations.is_empty() {
        let survey = surveys::recovery_survey(c).await?;
        surveys::insert_invitations(c, survey, &outcome.invitations, now).await?;
    }
    if let Some((digest, report)) = &outcome.report_link {
        sqlx::query("INSERT INTO report_links (token_sha256, case_id, report_id) VALUES ($1, $2, $3)")
            .bind(digest)
            .bind(id.0)
            .bind(i64::from(*report))
            .execute(&mut *c)
            .await
            .map_err(db_error)?;
    }
    for a in &outcome.attachments {
        sqlx::query("INSERT INTO attachments (case_id, filename, content_type, size, data, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id.0)
            .bind(&a.filename)
            .bind(&a.content_type)
            .bind(a.data.len() as i64)
            .bind(a.data.as_slice())
            .bind(micros(now))
            .execute(&mut *c)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

// ---- the Store ----------------------------------------------------------------

#[async_trait::async_trait]
impl Store for This {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reads).await.map_err(db_error)?;
        Ok(())
    }

    async fn settings(&self) -> StoreResult<OrgSettings> {
        let mut c = self.reads.acquire().await.map_err(db_error)?;
        load_settings(&mut c).await
    }

    async fn put_settings(&self, settings: OrgSettings) -> StoreResult<OrgSettings> {
        self.write(move |c| Box::pin(write_settings(c, settings))).await
    }

    async fn create_user(&self, user: NewUser, now: Timestamp) -> StoreResult<User> {
        self.write(move |c| Box::pin(insert_user(c, user, now))).await
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        let mut c = self.reads.acquire().await.map_err(db_error)?;
        load_user(&mut c, id).await
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {USER_COLS} FROM users ORDER BY id");
        let rows: Vec<UserRow> = sqlx::query_as(&sql).fetch_all(&self.reads).await.map_err(db_error)?;
        rows.into_iter().map(user_from).collect()
    }

    async fn add_token(&self, user: UserId, token_sha256: String, label: Option<String>, now: Timestamp) -> StoreResult<i64> {
        self.write(move |c| {
            Box::pin(async move {
                require_user(c, "user", user).await?;
                let id: i64 = sqlx::query_scalar("INSERT INTO api_tokens (user_id, token_sha256, label, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                    .bind(user.0)
                    .bind(token_sha256)
                    .bind(label)
                    .bind(micros(now))
                    .fetch_one(&mut *c)
                    .await
                    .map_err(db_error)?;
                Ok(id)
            })
        })
        .await
    }

    async fn user_by_token(&self, token_sha256: &str) -> StoreResult<Option<User>> {
        let sql = format!(
            "SELECT {} FROM users u JOIN api_tokens t ON t.user_id = u.id WHERE t.token_sha256 = $1",
            USER_COLS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
        );
        let row: Option<UserRow> = sqlx::query_as(&sql).bind(token_sha256).fetch_optional(&self.reads).await.map_err(db_error)?;
        row.map(user_from).transpose()
    }

    async fn user_for_login(&self, email: &str) -> StoreResult<Option<(User, Option<String>)>> {
        let sql = format!("SELECT {USER_COLS}, password_hash FROM users WHERE lower(email) = lower($1)");
        let row: Option<(i64, String, Option<String>, String, i64, Option<i64>, bool, i64, Option<String>)> =
            sqlx::query_as(&sql).bind(email.trim()).fetch_optional(&self.reads).await.map_err(db_error)?;
        row.map(|r| Ok((user_from((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7))?, r.8))).transpose()
    }

    async fn set_password(&self, user: UserId, password_hash: String) -> StoreResult<()> {
        self.write(move |c| {
            Box::pin(async move {
                require_user(c, "user", user).await?;
                sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(password_hash).bind(user.0).execute(&mut *c).await.map_err(db_error)?;
                // A new password ends every session of the account.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.0).execute(&mut *c).await.map_err(db_error)?;
                Ok(())
            })
        })
        .await
    }

    async fn create_session(&self, token_sha256: String, user: UserId, expires_at: Timestamp, now: Timestamp) -> StoreResult<()> {
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(micros(now)).execute(&mut *c).await.map_err(db_error)?;
                sqlx::query("INSERT INTO sessions (token_sha256, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(token_sha256)
                    .bind(user.0)
                    .bind(micros(expires_at))
                    .bind(micros(now))
                    .execute(&mut *c)
                    .await
                    .map_err(db_error)?;
                Ok(())
            })
        })
        .await
    }

    async fn user_by_session(&self, token_sha256: &str, now: Timestamp) -> StoreResult<Option<User>> {
        let sql = format!(
            "SELECT {} FROM users u JOIN sessions s ON s.user_id = u.id WHERE s.token_sha256 = $1 AND s.expires_at > $2",
            USER_COLS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
        );
        let row: Option<UserRow> = sqlx::query_as(&sql).bind(token_sha256).bind(micros(now)).fetch_optional(&self.reads).await.map_err(db_error)?;
        row.map(user_from).transpose()
    }

    async fn delete_session(&self, token_sha256: &str) -> StoreResult<()> {
        let digest = token_sha256.to_string();
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query("DELETE FROM sessions WHERE token_sha256 = $1").bind(digest).execute(&mut *c).await.map_err(db_error)?;
                Ok(())
            })
        })
        .await
    }

    async fn create_customer(&self, customer: NewCustomer, now: Timestamp) -> StoreResult<Customer> {
        self.write(move |c| Box::pin(insert_customer(c, customer, now))).await
    }

    async fn customer(&self, id: CustomerId) -> StoreResult<Option<Customer>> {
        let mut c = self.reads.acquire().await.map_err(db_error)?;
        load_customer(&mut c, id).await
    }

    async fn customer_by_email(&self, email: &str) -> StoreResult<Option<Customer>> {
        let sql = format!("SELECT {CUSTOMER_COLS} FROM customers WHERE lower(email) = lower($1) ORDER BY id LIMIT 1");
        let row: Option<CustomerRow> = sqlx::query_as(&sql).bind(email.trim()).fetch_optional(&self.reads).await.map_err(db_error)?;
        row.map(customer_from).transpose()
    }

    async fn customers(&self, before_id: Option<CustomerId>, limit: u32) -> StoreResult<Vec<Customer>> {
        let sql = format!("SELECT {CUSTOMER_COLS} FROM customers WHERE id < $1 ORDER BY id DESC LIMIT $2");
        let rows: Vec<CustomerRow> = sqlx::query_as(&sql)
            .bind(before_id.map_or(i64::MAX, |c| c.0))
            .bind(i64::from(limit))
            .fetch_all(&self.reads)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(customer_from).collect()
    }

    async fn create_service_area(&self, area: NewServiceArea, now: Timestamp) -> StoreResult<ServiceArea> {
        self.write(move |c| Box::pin(insert_area(c, area, now))).await
    }

    async fn service_area(&self, id: ServiceAreaId) -> StoreResult<Option<ServiceArea>> {
        let mut c = self.reads.acquire().await.map_err(db_error)?;
        load_area(&mut c, id).await
    }

    async fn service_areas(&self) -> StoreResult<Vec<ServiceArea>> {
        let sql = format!("SELECT {AREA_COLS} FROM service_areas ORDER BY name");
        let rows: Vec<AreaRow> = sqlx::query_as(&sql).fetch_all(&self.reads).await.map_err(db_error)?;
        rows.into_iter().map(area_from).collect()
    }

    async fn create_problem(&self, problem: NewProblem, now: Timestamp) -> StoreResult<Problem> {
        self.write(move |c| Box::pin(insert_problem(c, problem, now))).await
    }

    async fn problem(&self, id: ProblemId) -> StoreResult<Option<Problem>> {
        let sql = format!("SELECT {PROBLEM_COLS} FROM problems p WHERE p.id = $1");
        let row: Option<ProblemRow> = sqlx::query_as(&sql).bind(id.0).fetch_optional(&self.reads).await.map_err(db_error)?;
        row.map(problem_from).transpose()
    }

    async fn problems(&self) -> StoreResult<Vec<Problem>> {
        let sql = format!("SELECT {PROBLEM_COLS} FROM problems p ORDER BY p.id DESC");
        let rows: Vec<ProblemRow> = sqlx::query_as(&sql).fetch_all(&self.reads).await.map_err(db_error)?;
        rows.into_iter().map(problem_from).collect()
    }

    async fn create_case(&self, case: Case, opening: Outcome, reward: Option<Reward>, settings: &OrgSettings) -> StoreResult<Case> {
        let settings = settings.clone();
        self.write(move |c| Box::pin(async move { insert_case(c, case, opening, reward, &settings).await })).await
    }

    async fn attachments(&self, case: CaseId) -> StoreResult<Vec<redress_core::case::Attachment>> {
        let rows: Vec<(i64, i64, String, String, i64, i64)> =
            sqlx::query_as("SELECT id, case_id, filename, content_type, size, created_at FROM attachments WHERE case_id = $1 ORDER BY id")
                .bind(case.0)
                .fetch_all(&self.reads)
                .await
                .map_err(db_error)?;
        rows.into_iter()
            .map(|r| Ok(redress_core::case::Attachment { id: r.0, case_id: CaseId(r.1), filename: r.2, content_type: r.3, size: r.4, created_at: ts(r.5)? }))
            .collect()
    }

    async fn attachment(&self, id: i64) -> StoreResult<Option<(redress_core::case::Attachment, Vec<u8>)>> {
        let row: Option<(i64, i64, String, String, i64, i64, Vec<u8>)> =
            sqlx::query_as("SELECT id, case_id, filename, content_type, size, created_at, data FROM attachments WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.reads)
                .await
                .map_err(db_error)?;
        row.map(|r| {
            let a = redress_core::case::Attachment { id: r.0, case_id: CaseId(r.1), filename: r.2, content_type: r.3, size: r.4, created_at: ts(r.5)? };
            Ok((a, r.6))
        })
        .transpose()
    }

    async fn update_case(&self, id: CaseId, users: Vec<UserId>, change: CaseMutation) -> StoreResult<Case> {
        self.write(move |c| Box::pin(change_case(c, id, users, change))).await
    }

    async fn case(&self, id: CaseId) -> StoreResult<Option<Case>> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT id, data FROM cases WHERE id = $1").bind(id.0).fetch_optional(&self.reads).await.map_err(db_error)?;
        row.map(case_from).transpose()
    }

    async fn case_with_context(&self, id: CaseId) -> StoreResult<Option<(Case, CaseContext)>> {
        let mut c = self.reads.acquire().await.map_err(db_error)?;
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT id, data FROM cases WHERE id = $1").bind(id.0).fetch_optional(&mut *c).await.map_err(db_error)?;
        let Some(row) = row else { return Ok(None) };
        let case = case_from(row)?;
        let ctx = case_context(&mut c, &case, vec![]).await?;
        Ok(Some((case, ctx)))
    }

    async fn case_detail(&self, id: CaseId) -> StoreResult<Option<CaseDetail>> {
        let mut c = self.reads.acquire().await.map_err(db_error)?;
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT id, data FROM cases WHERE id = $1").bind(id.0).fetch_optional(&mut *c).await.map_err(db_error)?;
        let Some(row) = row else { return Ok(None) };
        let case = case_from(row)?;
        let events: Vec<EventRow> =
            sqlx::query_as("SELECT id, case_id, at, actor_id, kind, summary, detail FROM case_events WHERE case_id = $1 ORDER BY id")
                .bind(id.0)
                .fetch_all(&mut *c)
                .await
                .map_err(db_error)?;
        let comms: Vec<CommunicationRow> =
            sqlx::query_as("SELECT id, case_id, direction, channel, body, at, actor_id FROM communications WHERE case_id = $1 ORDER BY id")
                .bind(id.0)
                .fetch_all(&mut *c)
                .await
                .map_err(db_error)?;
        Ok(Some(CaseDetail {
            case,
            timeline: events.into_iter().map(event_from).collect::<StoreResult<_>>()?,
            communications: comms.into_iter().map(communication_from).collect::<StoreResult<_>>()?,
        }))
    }

    async fn cases(&self, f: &CaseFilter) -> StoreResult<Vec<Case>> {
        let mut sql = String::from("SELECT id, data FROM cases WHERE 1 = 1");
        let mut args = Vec::new();
        let mut push = |sql: &mut String, clause: &str, arg: Arg| {
            args.push(arg);
            sql.push_str(&clause.replace('?', &format!("${}", args.len())));
        };
        if let Some(s) = f.status {
            push(&mut sql, " AND status = ?", Arg::S(s.as_str().into()));
        }
        if let Some(o) = f.owner_id {
            push(&mut sql, " AND owner_id = ?", Arg::I(o.0));
        }
        if let Some(cu) = f.customer_id {
            push(&mut sql, " AND customer_id = ?", Arg::I(cu.0));
        }
        if let Some(cb) = f.created_by {
            push(&mut sql, " AND created_by = ?", Arg::I(cb.0));
        }
        if let Some(ch) = f.channel {
            push(&mut sql, " AND channel = ?", Arg::S(ch.as_str().into()));
        }
        if let Some(s) = f.significant {
            push(&mut sql, " AND significant = ?", Arg::B(s));
        }
        if let Some(fl) = f.flagged {
            push(&mut sql, " AND flagged = ?", Arg::B(fl));
        }
        if let Some(t) = f.due_before {
            let t = micros(t);
            push(&mut sql, " AND closed_at IS NULL AND ((responded_at IS NULL AND first_response_due_at < ?)", Arg::I(t));
            push(&mut sql, " OR update_due_at < ?", Arg::I(t));
            push(&mut sql, " OR resolution_due_at < ?)", Arg::I(t));
        }
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            if let Some(id) = CaseId::parse_reference(q) {
                push(&mut sql, " AND id = ?", Arg::I(id.0));
            } else {
                let pattern = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
                push(&mut sql, &format!(" AND (summary {ILIKE} ? ESCAPE '\\'"), Arg::S(pattern.clone()));
                push(&mut sql, &format!(" OR description {ILIKE} ? ESCAPE '\\')"), Arg::S(pattern));
            }
        }
        if let Some(b) = f.before_id {
            push(&mut sql, " AND id < ?", Arg::I(b.0));
        }
        push(&mut sql, " ORDER BY id DESC LIMIT ?", Arg::I(i64::from(f.limit.max(1))));
        let rows = bind_all(sqlx::query_as(&sql), args).fetch_all(&self.reads).await.map_err(db_error)?;
        rows.into_iter().map(case_from).collect()
    }

    async fn cases_for_target_check(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<CaseId>> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM cases WHERE target_check_at <= $1 ORDER BY target_check_at LIMIT $2")
            .bind(micros(now))
            .bind(i64::from(limit))
            .fetch_all(&self.reads)
            .await
            .map_err(db_error)?;
        Ok(ids.into_iter().map(CaseId).collect())
    }

    async fn case_counts_by_status(&self) -> StoreResult<Vec<(Status, i64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT status, COUNT(*) FROM cases GROUP BY status").fetch_all(&self.reads).await.map_err(db_error)?;
        Ok(rows.into_iter().filter_map(|(s, n)| Status::parse(&s).map(|s| (s, n))).collect())
    }

    async fn notifications(&self, f: &NotificationFilter) -> StoreResult<Vec<Notification>> {
        let sql = format!(
            "SELECT {NOTIFICATION_COLS} FROM notifications WHERE ($1 IS NULL OR case_id = $1) AND ($2 IS NULL OR kind = $2) \
             AND ($3 IS NULL OR status = $3) AND id < $4 ORDER BY id DESC LIMIT $5"
        );
        let rows: Vec<NotificationRow> = sqlx::query_as(&sql)
            .bind(f.case_id.map(|c| c.0))
            .bind(f.kind.map(|k| k.as_str()))
            .bind(f.status.map(|s| s.as_str()))
            .bind(f.before_id.unwrap_or(i64::MAX))
            .bind(i64::from(f.limit.max(1)))
            .fetch_all(&self.reads)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(notification_from).collect()
    }

    async fn notification(&self, id: NotificationId) -> StoreResult<Option<Notification>> {
        let sql = format!("SELECT {NOTIFICATION_COLS} FROM notifications WHERE id = $1");
        let row: Option<NotificationRow> = sqlx::query_as(&sql).bind(id.0).fetch_optional(&self.reads).await.map_err(db_error)?;
        row.map(notification_from).transpose()
    }

    async fn claim_jobs(&self, now: Timestamp, lease: jiff::SignedDuration, limit: u32) -> StoreResult<Vec<redress_core::jobs::Job>> {
        self.write(move |c| Box::pin(jobs::claim(c, now, lease, limit))).await
    }

    async fn finish_job(
        &self,
        job: i64,
        outcome: redress_core::jobs::JobOutcome,
        notification: Option<redress_core::store::NotificationUpdate>,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.write(move |c| Box::pin(jobs::finish(c, job, outcome, notification, now))).await
    }

    async fn jobs(&self, status: Option<redress_core::jobs::JobStatus>, limit: u32) -> StoreResult<Vec<redress_core::jobs::JobRecord>> {
        jobs::list(&self.reads, status, limit).await
    }

    async fn create_webhook(&self, hook: redress_core::webhook::NewWebhook, now: Timestamp) -> StoreResult<redress_core::webhook::Webhook> {
        self.write(move |c| Box::pin(webhooks::insert(c, hook, now))).await
    }

    async fn webhooks(&self) -> StoreResult<Vec<redress_core::webhook::Webhook>> {
        webhooks::all(&self.reads).await
    }

    async fn webhook_deliveries(&self, webhook: i64, limit: u32) -> StoreResult<Vec<redress_core::webhook::WebhookDelivery>> {
        webhooks::deliveries(&self.reads, webhook, limit).await
    }

    async fn webhook_delivery(&self, id: i64) -> StoreResult<Option<redress_core::store::PendingDelivery>> {
        webhooks::pending(&self.reads, id).await
    }

    async fn finish_webhook(
        &self,
        job: i64,
        outcome: redress_core::jobs::JobOutcome,
        delivery: redress_core::store::DeliveryUpdate,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.write(move |c| Box::pin(webhooks::finish(c, job, outcome, delivery, now))).await
    }

    async fn create_survey(&self, survey: NewSurvey, now: Timestamp) -> StoreResult<Survey> {
        self.write(move |c| Box::pin(surveys::insert_survey(c, survey, now))).await
    }

    async fn survey(&self, id: SurveyId) -> StoreResult<Option<Survey>> {
        let mut c = self.reads.acquire().await.map_err(db_error)?;
        surveys::load_survey(&mut c, id).await
    }

    async fn surveys(&self) -> StoreResult<Vec<Survey>> {
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, data FROM surveys ORDER BY id").fetch_all(&self.reads).await.map_err(db_error)?;
        rows.into_iter().map(surveys::survey_from).collect()
    }

    async fn create_invitations(&self, survey: SurveyId, invitations: Vec<NewInvitation>, now: Timestamp) -> StoreResult<Vec<Invitation>> {
        self.write(move |c| {
            Box::pin(async move {
                surveys::load_survey(c, survey).await?.ok_or_else(|| DomainError::not_found(format!("survey {survey} does not exist")))?;
                surveys::require_customers(c, &invitations).await?;
                surveys::insert_invitations(c, survey, &invitations, now).await
            })
        })
        .await
    }

    async fn invitation_by_code(&self, code_digest: &str) -> StoreResult<Option<(Invitation, Survey)>> {
        let mut c = self.reads.acquire().await.map_err(db_error)?;
        let Some(inv) = surveys::load_invitation(&mut c, code_digest, false).await? else { return Ok(None) };
        let survey = surveys::load_survey(&mut c, inv.survey_id).await?.ok_or_else(|| StoreError::Backend("invitation without survey".into()))?;
        Ok(Some((inv, survey)))
    }

    /// Reads and judges on the read pool, so the single SQLite writer only
    /// marks the code used and writes the result; recovery surveys, which
    /// change a case, are judged inside the write transaction.
    async fn submit_response(&self, submission: Submission) -> StoreResult<Submitted> {
        let mut rc = self.reads.acquire().await.map_err(db_error)?;
        let invitation = surveys::load_invitation(&mut rc, &submission.code_digest, false).await?.ok_or(DomainError::AccessRefused)?;
        if invitation.case_id.is_some() {
            drop(rc);
            return self.write(move |c| Box::pin(surveys::submit(c, submission))).await;
        }
        if let Some(key) = &submission.idempotency_key {
            if let Some(done) = surveys::replay(&mut rc, key, invitation.id).await? {
                return Ok(done);
            }
        }
        let ctx = surveys::response_context(&mut rc, invitation.clone()).await?;
        drop(rc);
        let key = submission.idempotency_key;
        let plan = (submission.judge)(&ctx)?;
        let settings = ctx.settings;
        self.write(move |c| Box::pin(async move { surveys::record(c, invitation, key, plan, &settings).await })).await
    }

    async fn response(&self, id: ResponseId) -> StoreResult<Option<Response>> {
        let sql = format!("SELECT {} FROM responses WHERE id = $1", surveys::RESPONSE_COLS);
        let row: Option<surveys::ResponseRow> = sqlx::query_as(&sql).bind(id.0).fetch_optional(&self.reads).await.map_err(db_error)?;
        row.map(surveys::response_from).transpose()
    }

    async fn responses(&self, survey: Option<SurveyId>, before: Option<ResponseId>, limit: u32) -> StoreResult<Vec<Response>> {
        let sql = format!(
            "SELECT {} FROM responses WHERE ($1 IS NULL OR survey_id = $1) AND id < $2 ORDER BY id DESC LIMIT $3",
            surveys::RESPONSE_COLS
        );
        let rows: Vec<surveys::ResponseRow> = sqlx::query_as(&sql)
            .bind(survey.map(|s| s.0))
            .bind(before.map_or(i64::MAX, |b| b.0))
            .bind(i64::from(limit.max(1)))
            .fetch_all(&self.reads)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(surveys::response_from).collect()
    }

    async fn rewards(&self, customer: CustomerId) -> StoreResult<Vec<RewardEntry>> {
        let rows: Vec<(i64, i64, String, Option<i64>, Option<i64>, i64)> = sqlx::query_as(
            "SELECT id, points, reason, case_id, response_id, created_at FROM rewards WHERE customer_id = $1 ORDER BY id",
        )
        .bind(customer.0)
        .fetch_all(&self.reads)
        .await
        .map_err(db_error)?;
        rows.into_iter()
            .map(|r| {
                Ok(RewardEntry { id: r.0, points: r.1, reason: r.2, case_id: r.3.map(CaseId), response_id: r.4.map(ResponseId), created_at: ts(r.5)? })
            })
            .collect()
    }

    async fn report_by_token(&self, token_digest: &str) -> StoreResult<Option<(Case, u32)>> {
        let row: Option<(i64, String, i64)> = sqlx::query_as(
            "SELECT c.id, c.data, l.report_id FROM report_links l JOIN cases c ON c.id = l.case_id WHERE l.token_sha256 = $1",
        )
        .bind(token_digest)
        .fetch_optional(&self.reads)
        .await
        .map_err(db_error)?;
        row.map(|(id, data, report)| Ok((case_from((id, data))?, report as u32))).transpose()
    }
}
