//! Webhook subscriptions and deliveries: case events fan out to
//! subscribers in the writing transaction, each delivery a durable job.

use super::*;
use redress_core::store::PendingDelivery;
use redress_core::timeline::NewEvent;
use redress_core::webhook::{NewWebhook, Webhook, WebhookDelivery, WebhookEvent, DELIVER_WEBHOOK};

type HookRow = (i64, String, String, bool, i64);

fn hook_from(r: HookRow) -> StoreResult<Webhook> {
    Ok(Webhook { id: r.0, url: r.1, events: from_json(&r.2)?, active: r.3, created_at: ts(r.4)? })
}

pub(super) async fn insert(c: &mut Conn, h: NewWebhook, now: Timestamp) -> StoreResult<Webhook> {
    let id: i64 = sqlx::query_scalar("INSERT INTO webhooks (url, secret, events, active, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(&h.url)
        .bind(&h.secret)
        .bind(to_json(&h.events)?)
        .bind(true)
        .bind(micros(now))
        .fetch_one(&mut *c)
        .await
        .map_err(db_error)?;
    Ok(Webhook { id, url: h.url, events: h.events, active: true, created_at: now })
}

pub(super) async fn all(pool: &sqlx::Pool<Db>) -> StoreResult<Vec<Webhook>> {
    let rows: Vec<HookRow> = sqlx::query_as("SELECT id, url, events, active, created_at FROM webhooks ORDER BY id").fetch_all(pool).await.map_err(db_error)?;
    rows.into_iter().map(hook_from).collect()
}

/// Queues a delivery (and its job) for every subscription wanting one of
/// `events` (each of its case), in the caller's transaction.
pub(super) async fn fan_out<R: Run>(c: &mut R, events: &[(CaseId, &NewEvent)], now: Timestamp) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut params = Params::default();
    params.add(true);
    let rows = c.rows(&Call::one("SELECT id, url, events, active, created_at FROM webhooks WHERE active = $1".into()), params).await?;
    if rows.is_empty() {
        return Ok(());
    }
    let hooks = rows.iter().map(|r| hook_from((r.int(0)?, r.text(1)?, r.text(2)?, r.flag(3)?, r.int(4)?))).collect::<StoreResult<Vec<_>>>()?;
    for &(case, e) in events {
        for h in hooks.iter().filter(|h| h.wants(e.kind)) {
            let payload = WebhookEvent {
                event: format!("case.{}", e.kind),
                case_id: case,
                reference: case.reference(),
                at: e.at,
                summary: e.summary.clone(),
                detail: e.detail.clone(),
            };
            let mut params = Params::with_capacity(4);
            params.add(h.id).add(payload.event.as_str()).add(to_json(&payload)?).add(micros(now));
            let insert = "INSERT INTO webhook_deliveries (webhook_id, event, payload, status, created_at) VALUES ($1, $2, $3, 'pending', $4) RETURNING id";
            let id = run::first(&c.rows(&Call::one(insert.into()), params).await?)?.int(0)?;
            super::jobs::enqueue(c, DELIVER_WEBHOOK, &serde_json::json!({ "delivery_id": id }), now, now).await?;
        }
    }
    Ok(())
}

type DeliveryRow = (i64, i64, String, String, i64, Option<i64>, Option<String>, Option<i64>);
const DELIVERY_COLS: &str = "d.id, d.webhook_id, d.event, d.status, d.attempts, d.last_status, d.last_error, d.delivered_at";

fn delivery_from(r: DeliveryRow) -> StoreResult<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: r.0,
        webhook_id: r.1,
        event: r.2,
        status: r.3,
        attempts: r.4 as u32,
        last_status: r.5.map(|s| s as u16),
        last_error: r.6,
        delivered_at: opt_ts(r.7)?,
    })
}

pub(super) async fn deliveries(pool: &sqlx::Pool<Db>, webhook: i64, limit: u32) -> StoreResult<Vec<WebhookDelivery>> {
    let sql = format!("SELECT {DELIVERY_COLS} FROM webhook_deliveries d WHERE d.webhook_id = $1 ORDER BY d.id DESC LIMIT $2");
    let rows: Vec<DeliveryRow> = sqlx::query_as(&sql).bind(webhook).bind(i64::from(limit.max(1))).fetch_all(pool).await.map_err(db_error)?;
    rows.into_iter().map(delivery_from).collect()
}

type PendingRow = (i64, i64, String, String, i64, Option<i64>, Option<String>, Option<i64>, String, String, String, bool);

pub(super) async fn pending(pool: &sqlx::Pool<Db>, id: i64) -> StoreResult<Option<PendingDelivery>> {
    let sql = format!(
        "SELECT {DELIVERY_COLS}, d.payload, w.url, w.secret, w.active FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1"
    );
    let row: Option<PendingRow> = sqlx::query_as(&sql).bind(id).fetch_optional(pool).await.map_err(db_error)?;
    row.map(|r| {
        Ok(PendingDelivery {
            delivery: delivery_from((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7))?,
            payload: r.8,
            url: r.9,
            secret: r.10,
            active: r.11,
        })
    })
    .transpose()
}

/// Scrubs the stored payloads of `case`'s deliveries with `redactor` (see
/// [`redress_core::privacy`]); ones still to be sent go out scrubbed.
/// Answers how many changed.
pub(super) async fn scrub_deliveries(c: &mut Conn, case: CaseId, redactor: &redress_core::privacy::Redactor) -> StoreResult<usize> {
    let pattern = format!("%\"case_id\":{},\"reference\":\"{}\"%", case.0, case.reference());
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, payload FROM webhook_deliveries WHERE payload LIKE $1").bind(pattern).fetch_all(&mut *c).await.map_err(db_error)?;
    let mut changed = 0;
    for (id, payload) in rows {
        let mut event: WebhookEvent = from_json(&payload)?;
        if event.case_id != case {
            continue;
        }
        event.summary = redactor.scrub(&event.summary);
        redactor.scrub_detail(&mut event.detail);
        let scrubbed = to_json(&event)?;
        if scrubbed != payload {
            sqlx::query("UPDATE webhook_deliveries SET payload = $2 WHERE id = $1").bind(id).bind(scrubbed).execute(&mut *c).await.map_err(db_error)?;
            changed += 1;
        }
    }
    Ok(changed)
}
