//! The organisation's settings (zone, calendar, targets, follow-up rules)
//! and its service areas with their managers and targets.

use super::people::require_user;
use super::*;
use redress_core::service_area::{NewServiceArea, ServiceArea};
use redress_core::settings::OrgSettings;
use redress_core::terms::{Severity, Targets};
use redress_core::money::Currency;
use redress_core::ServiceAreaId;

pub(super) const AREA_COLS: &str = "id, name, service_manager_id, targets, created_at";

/// How an area's targets are stored: its own and those per severity.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredTargets {
    #[serde(flatten)]
    targets: Targets,
    #[serde(default)]
    by_severity: std::collections::BTreeMap<Severity, Targets>,
}
pub(super) type AreaRow = (i64, String, i64, String, i64);

pub(super) fn area_from(r: AreaRow) -> StoreResult<ServiceArea> {
    let stored: StoredTargets = from_json(&r.3)?;
    Ok(ServiceArea {
        id: ServiceAreaId(r.0),
        name: r.1,
        service_manager_id: UserId(r.2),
        targets: stored.targets,
        targets_by_severity: stored.by_severity,
        created_at: ts(r.4)?,
    })
}

/// The organisation's currency, for reads that write amounts in it.
pub(super) async fn currency(pool: &Pool) -> StoreResult<Currency> {
    let mut c = pool.acquire().await.map_err(db_error)?;
    Ok(load_settings(&mut c).await?.currency())
}

pub(super) async fn load_settings(c: &mut Conn) -> StoreResult<OrgSettings> {
    let data: Option<String> = sqlx::query_scalar("SELECT data FROM settings WHERE id = 1").fetch_optional(&mut *c).await.map_err(db_error)?;
    data.map_or_else(|| Ok(OrgSettings::default()), |d| from_json(&d))
}

pub(super) async fn load_area(c: &mut Conn, id: ServiceAreaId) -> StoreResult<Option<ServiceArea>> {
    let sql = format!("SELECT {AREA_COLS} FROM service_areas WHERE id = $1");
    let row: Option<AreaRow> = sqlx::query_as(&sql).bind(id.0).fetch_optional(&mut *c).await.map_err(db_error)?;
    row.map(area_from).transpose()
}

/// Refuses a manager who is not staff, or a name another area has.
async fn check_area(c: &mut Conn, a: &NewServiceArea, id: Option<ServiceAreaId>) -> StoreResult<()> {
    let m = require_user(c, "service_manager_id", a.service_manager_id).await?;
    if !m.role.is_staff() {
        return Err(DomainError::invalid(format!("service_manager_id {} is a partner account, not staff", m.id)).into());
    }
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM service_areas WHERE name = $1 AND id <> $2")
        .bind(&a.name)
        .bind(id.map_or(0, |i| i.0))
        .fetch_optional(&mut *c)
        .await
        .map_err(db_error)?;
    if taken.is_some() {
        return Err(DomainError::conflict(format!("a service area named '{}' already exists", a.name)).into());
    }
    Ok(())
}

pub(super) async fn insert_area(c: &mut Conn, a: NewServiceArea, now: Timestamp) -> StoreResult<ServiceArea> {
    check_area(c, &a, None).await?;
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

pub(super) async fn update_area(c: &mut Conn, id: ServiceAreaId, a: NewServiceArea) -> StoreResult<ServiceArea> {
    let current = load_area(c, id).await?.ok_or_else(|| DomainError::not_found(format!("service area {id} does not exist")))?;
    check_area(c, &a, Some(id)).await?;
    sqlx::query("UPDATE service_areas SET name = $2, service_manager_id = $3, targets = $4 WHERE id = $1")
        .bind(id.0)
        .bind(&a.name)
        .bind(a.service_manager_id.0)
        .bind(to_json(&StoredTargets { targets: a.targets.clone(), by_severity: a.targets_by_severity.clone() })?)
        .execute(&mut *c)
        .await
        .map_err(db_error)?;
    Ok(ServiceArea { id, name: a.name, service_manager_id: a.service_manager_id, targets: a.targets, targets_by_severity: a.targets_by_severity, created_at: current.created_at })
}

/// Replaces the settings with `s`; answers the settings it replaced.
pub(super) async fn write_settings(c: &mut Conn, s: &OrgSettings) -> StoreResult<OrgSettings> {
    if let Some(owner) = s.default_owner_id {
        let u = require_user(c, "default_owner_id", owner).await?;
        if !u.role.is_staff() || !u.active {
            return Err(DomainError::invalid(format!("default_owner_id {owner} must be active staff")).into());
        }
    }
    let old = load_settings(c).await?;
    if old.currency != s.currency {
        change_currency(c, &old, s).await?;
    }
    if (&old.timezone, &old.business_hours, &old.holidays) != (&s.timezone, &s.business_hours, &s.holidays) {
        // Every day and business time moves: the rollups are recomputed.
        super::insight::require_rebuild(c).await?;
    }
    let data = to_json(s)?;
    sqlx::query(
        "INSERT INTO settings (id, data, updated_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
    )
    .bind(&data)
    .bind(micros(Timestamp::now()))
    .execute(&mut *c)
    .await
    .map_err(db_error)?;
    Ok(old)
}

/// A new currency, while no case carries an amount: the mandates are
/// written at its exponent (refused for one with digits it does not have).
/// Once a remedy or gift is recorded the currency stays: its amounts would
/// change meaning.
async fn change_currency(c: &mut Conn, old: &OrgSettings, new: &OrgSettings) -> StoreResult<()> {
    let priced: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM cases WHERE remedies_scaled > 0 OR gifts_scaled > 0 OR pending_value_scaled IS NOT NULL \
         OR data LIKE '%\"remedy_value\"%' OR data LIKE '%\"cost\"%' LIMIT 1",
    )
    .fetch_optional(&mut *c)
    .await
    .map_err(db_error)?;
    if let Some(case) = priced {
        return Err(DomainError::conflict(format!(
            "amounts are recorded in {} (case {} has one, and maybe others); the currency cannot change to {} without changing what they mean",
            old.currency,
            CaseId(case).reference(),
            new.currency
        ))
        .into());
    }
    let currency = new.currency();
    let mandates: Vec<(i64, i64, i16)> =
        sqlx::query_as("SELECT id, mandate_minor, mandate_exponent FROM users WHERE mandate_minor <> 0").fetch_all(&mut *c).await.map_err(db_error)?;
    for (id, minor, exponent) in mandates {
        let mandate = super::people::mandate(id, minor, exponent)?;
        let mandate = currency
            .amount("mandate", mandate)
            .map_err(|e| DomainError::conflict(format!("user {id}'s {e}; change that mandate before the currency")))?;
        sqlx::query("UPDATE users SET mandate_minor = $2, mandate_exponent = $3 WHERE id = $1")
            .bind(id)
            .bind(mandate.minor())
            .bind(i16::from(mandate.exponent()))
            .execute(&mut *c)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

// ---- reads ------------------------------------------------------------------

pub(super) async fn service_areas(pool: &Pool) -> StoreResult<Vec<ServiceArea>> {
    let sql = format!("SELECT {AREA_COLS} FROM service_areas ORDER BY name");
    let rows: Vec<AreaRow> = sqlx::query_as(&sql).fetch_all(pool).await.map_err(db_error)?;
    rows.into_iter().map(area_from).collect()
}
