//! Notifications: every outbound message, stored with its delivery job in
//! the transaction that causes it.

use super::*;
use redress_core::notification::{NewNotification, Notification, NotificationKind, NotificationStatus, Recipient};
use redress_core::store::NotificationFilter;
use redress_core::NotificationId;

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

/// Records a notification and enqueues its delivery for `scheduled_for`, in
/// one round trip.
pub(super) async fn insert_notification<R: Run>(c: &mut R, case: Option<CaseId>, n: &NewNotification, now: Timestamp) -> StoreResult<()> {
    static CALL: std::sync::LazyLock<Call> = std::sync::LazyLock::new(|| in_one_round_trip(&with_job(1), "id"));
    let mut params = Params::with_capacity(11);
    add_with_job(&mut params, case, n, now);
    c.rows(&CALL, params).await?;
    crate::note_enqueued();
    Ok(())
}

/// A notification and its delivery job, as writes of [`in_one_round_trip`]:
/// the notification's case, kind, recipient kind and id, address,
/// subject, body, time it is scheduled for, status and time created are
/// parameters `$first` to `$first + 9`, the job's kind the next; the job's
/// payload names the new notification.
pub(super) fn with_job(first: usize) -> [Write; 2] {
    let p = |i: usize| format!("${}", first + i);
    let values: Vec<String> = (0..10).map(p).collect();
    [
        Write::named(
            "notification",
            "notifications",
            format!(
                "INSERT INTO notifications (case_id, kind, recipient_kind, recipient_id, address, subject, body, scheduled_for, status, created_at) VALUES ({})",
                values.join(", ")
            ),
        ),
        Write::then(format!(
            "INSERT INTO jobs (kind, payload, run_at, status, created_at, updated_at) \
             SELECT {}, '{{\"notification_id\":' || notification.id || '}}', {}, 'pending', {}, {} FROM {{notification}}",
            p(10),
            p(7),
            p(9),
            p(9)
        )),
    ]
}

/// A recipient as stored: `recipient_kind` and `recipient_id`.
pub(super) fn recipient_cols(r: Recipient) -> (&'static str, i64) {
    match r {
        Recipient::Customer(id) => ("customer", id.0),
        Recipient::User(id) => ("user", id.0),
    }
}

/// Appends a notification's parameters and its job's, in [`with_job`]'s order.
pub(super) fn add_with_job(params: &mut Params, case: Option<CaseId>, n: &NewNotification, now: Timestamp) {
    let (kind, id) = recipient_cols(n.recipient);
    params
        .add(case.map(|c| c.0))
        .add(n.kind.as_str())
        .add(kind)
        .add(id)
        .add(n.address.clone())
        .add(n.subject.clone())
        .add(n.body.clone())
        .add(micros(n.scheduled_for))
        .add(NotificationStatus::Pending.as_str())
        .add(micros(now))
        .add(redress_core::jobs::DELIVER_NOTIFICATION);
}

/// Makes a failed message pending again from `now` with a new delivery job.
pub(super) async fn retry(c: &mut Conn, id: NotificationId, now: Timestamp) -> StoreResult<Notification> {
    let sql = format!("SELECT {NOTIFICATION_COLS} FROM notifications WHERE id = $1{LOCK_FOR_UPDATE}");
    let row: Option<NotificationRow> = sqlx::query_as(&sql).bind(id.0).fetch_optional(&mut *c).await.map_err(db_error)?;
    let mut n = row.map(notification_from).transpose()?.ok_or_else(|| DomainError::not_found(format!("notification {id} does not exist")))?;
    if n.status != NotificationStatus::Failed {
        return Err(DomainError::conflict(format!("notification {id} is {}; only a failed one is sent again", n.status.as_str())).into());
    }
    sqlx::query("UPDATE notifications SET status = $2, scheduled_for = $3, last_error = NULL WHERE id = $1")
        .bind(id.0)
        .bind(NotificationStatus::Pending.as_str())
        .bind(micros(now))
        .execute(&mut *c)
        .await
        .map_err(db_error)?;
    jobs::enqueue(c, redress_core::jobs::DELIVER_NOTIFICATION, &serde_json::json!({ "notification_id": id.0 }), now, now).await?;
    n.status = NotificationStatus::Pending;
    n.scheduled_for = now;
    n.last_error = None;
    Ok(n)
}

// ---- reads ------------------------------------------------------------------

pub(super) async fn list(pool: &Pool, f: &NotificationFilter) -> StoreResult<Vec<Notification>> {
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
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    rows.into_iter().map(notification_from).collect()
}

pub(super) async fn get(pool: &Pool, id: NotificationId) -> StoreResult<Option<Notification>> {
    let sql = format!("SELECT {NOTIFICATION_COLS} FROM notifications WHERE id = $1");
    let row: Option<NotificationRow> = sqlx::query_as(&sql).bind(id.0).fetch_optional(pool).await.map_err(db_error)?;
    row.map(notification_from).transpose()
}

/// Every message to `customer` and every message about one of their cases,
/// oldest first.
pub(super) async fn of_customer(c: &mut Conn, customer: CustomerId) -> StoreResult<Vec<Notification>> {
    let sql = format!(
        "SELECT {NOTIFICATION_COLS} FROM notifications WHERE (recipient_kind = 'customer' AND recipient_id = $1) \
         OR case_id IN (SELECT id FROM cases WHERE customer_id = $1) ORDER BY id"
    );
    let rows: Vec<NotificationRow> = sqlx::query_as(&sql).bind(customer.0).fetch_all(&mut *c).await.map_err(db_error)?;
    rows.into_iter().map(notification_from).collect()
}

/// Replaces a message's address, text, state and error (erasure does).
pub(super) async fn rewrite(c: &mut Conn, n: &Notification) -> StoreResult<()> {
    sqlx::query("UPDATE notifications SET address = $2, subject = $3, body = $4, status = $5, last_error = $6 WHERE id = $1")
        .bind(n.id.0)
        .bind(&n.address)
        .bind(&n.subject)
        .bind(&n.body)
        .bind(n.status.as_str())
        .bind(&n.last_error)
        .execute(&mut *c)
        .await
        .map_err(db_error)?;
    Ok(())
}
