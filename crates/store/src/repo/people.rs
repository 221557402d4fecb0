//! People: staff accounts with their API tokens and console sessions,
//! customers, and each customer's rewards ledger.

use super::*;
use redress_core::customer::{Customer, NewCustomer};
use redress_core::store::RewardEntry;
use redress_core::user::{ApiToken, NewUser, Role, User, UserChange};
use redress_core::money::MAX_EXPONENT;
use redress_core::{Money, ResponseId};

pub(super) const USER_COLS: &str = "id, name, email, role, mandate_minor, manager_id, active, created_at, mandate_exponent";
pub(super) type UserRow = (i64, String, Option<String>, String, i64, Option<i64>, bool, i64, i16);

/// User `id`'s mandate as stored: minor units at their exponent.
pub(super) fn mandate(id: i64, minor: i64, exponent: i16) -> StoreResult<Money> {
    let exponent = u8::try_from(exponent).ok().filter(|e| *e <= MAX_EXPONENT).ok_or_else(|| StoreError::Backend(format!("user {id} has a mandate exponent of {exponent}")))?;
    Ok(Money::new(minor, exponent))
}

pub(super) fn user_from(r: UserRow) -> StoreResult<User> {
    Ok(User {
        id: UserId(r.0),
        name: r.1,
        email: r.2,
        role: Role::parse(&r.3).ok_or_else(|| StoreError::Backend(format!("unknown role {}", r.3)))?,
        mandate: mandate(r.0, r.4, r.8)?,
        manager_id: r.5.map(UserId),
        active: r.6,
        created_at: ts(r.7)?,
    })
}

/// The customer's columns, and when their data was erased (from `erasures`).
pub(super) const CUSTOMER_COLS: &str =
    "id, name, email, phone, timezone, client_manager_id, created_at, language, (SELECT e.erased_at FROM erasures e WHERE e.customer_id = customers.id)";
pub(super) type CustomerRow = (i64, String, Option<String>, Option<String>, String, Option<i64>, i64, Option<String>, Option<i64>);

pub(super) fn customer_from(r: CustomerRow) -> StoreResult<Customer> {
    Ok(Customer {
        id: CustomerId(r.0),
        name: r.1,
        email: r.2,
        phone: r.3,
        timezone: r.4,
        client_manager_id: r.5.map(UserId),
        created_at: ts(r.6)?,
        language: r.7.as_deref().and_then(redress_core::Lang::parse),
        erased_at: opt_ts(r.8)?,
    })
}

pub(super) async fn load_user(c: &mut Conn, id: UserId) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
    let row: Option<UserRow> = sqlx::query_as(&sql).bind(id.0).fetch_optional(&mut *c).await.map_err(db_error)?;
    row.map(user_from).transpose()
}

pub(super) async fn require_user(c: &mut Conn, field: &str, id: UserId) -> StoreResult<User> {
    load_user(c, id)
        .await?
        .ok_or_else(|| DomainError::invalid(format!("{field} {id} does not exist")).into())
}

pub(super) async fn load_customer<R: Run>(c: &mut R, id: CustomerId) -> StoreResult<Option<Customer>> {
    static SQL: std::sync::LazyLock<Call> = std::sync::LazyLock::new(|| Call::one(format!("SELECT {CUSTOMER_COLS} FROM customers WHERE id = $1")));
    let mut params = Params::default();
    params.add(id.0);
    c.rows(&SQL, params).await?.first().map(|r| customer_from(customer_row(r)?)).transpose()
}

/// A customer with the directory version, read in the same statement.
pub(super) async fn load_customer_at<R: Run>(c: &mut R, id: CustomerId) -> StoreResult<Option<(Customer, i64)>> {
    static SQL: std::sync::LazyLock<Call> =
        std::sync::LazyLock::new(|| Call::one(format!("SELECT {CUSTOMER_COLS}, {} FROM customers WHERE id = $1", super::directory::VERSION)));
    let mut params = Params::default();
    params.add(id.0);
    c.rows(&SQL, params).await?.first().map(|r| Ok((customer_from(customer_row(r)?)?, r.int(9)?))).transpose()
}

/// A row starting with [`CUSTOMER_COLS`].
fn customer_row<C: Cells>(r: &C) -> StoreResult<CustomerRow> {
    customer_row_at(r, 0)
}

/// A row holding [`CUSTOMER_COLS`] from column `at`, as a customer.
pub(super) fn customer_at<C: Cells>(r: &C, at: usize) -> StoreResult<Customer> {
    customer_from(customer_row_at(r, at)?)
}

fn customer_row_at<C: Cells>(r: &C, at: usize) -> StoreResult<CustomerRow> {
    Ok((r.int(at)?, r.text(at + 1)?, r.opt_text(at + 2)?, r.opt_text(at + 3)?, r.text(at + 4)?, r.opt_int(at + 5)?, r.int(at + 6)?, r.opt_text(at + 7)?, r.opt_int(at + 8)?))
}

pub(super) async fn insert_user(c: &mut Conn, mut u: NewUser, now: Timestamp) -> StoreResult<User> {
    u.mandate = super::settings::load_settings(c).await?.amount("mandate", u.mandate)?;
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
        "INSERT INTO users (name, email, role, mandate_minor, manager_id, active, created_at, password_hash, mandate_exponent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(&u.name)
    .bind(&u.email)
    .bind(u.role.as_str())
    .bind(u.mandate.minor())
    .bind(u.manager_id.map(|m| m.0))
    .bind(true)
    .bind(micros(now))
    .bind(&u.password_hash)
    .bind(i16::from(u.mandate.exponent()))
    .fetch_one(&mut *c)
    .await
    .map_err(db_error)?;
    Ok(User { id: UserId(id), name: u.name, email: u.email, role: u.role, mandate: u.mandate, manager_id: u.manager_id, active: true, created_at: now })
}

pub(super) async fn insert_customer(c: &mut Conn, n: NewCustomer, now: Timestamp) -> StoreResult<Customer> {
    if let Some(m) = n.client_manager_id {
        let u = require_user(c, "client_manager_id", m).await?;
        if !u.role.is_staff() {
            return Err(DomainError::invalid(format!("client_manager_id {m} is a partner account, not staff")).into());
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO customers (name, email, phone, timezone, client_manager_id, created_at, language) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&n.name)
    .bind(&n.email)
    .bind(&n.phone)
    .bind(&n.timezone)
    .bind(n.client_manager_id.map(|m| m.0))
    .bind(micros(now))
    .bind(n.language.map(|l| l.code()))
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
        language: n.language,
        created_at: now,
        erased_at: None,
    })
}

/// What a reward written by [`reward_for_new`] is for.
pub(super) enum RewardFor {
    Case,
    Response,
}

/// The `INSERT` of a reward, as one of [`in_one_round_trip`]'s writes, for
/// its new row `new` (the case or the response): the customer and the time are
/// parameters `$customer` and `$at`, the points and the reason `$points`
/// and the next.
pub(super) fn reward_for_new(of: RewardFor, customer: usize, points: usize, at: usize) -> String {
    let (case, response) = match of {
        RewardFor::Case => ("new.id", "NULL"),
        RewardFor::Response => ("NULL", "new.id"),
    };
    format!(
        "INSERT INTO rewards (customer_id, points, reason, case_id, response_id, created_at) \
         SELECT ${customer}, CAST(${points} AS BIGINT), CAST(${} AS TEXT), {case}, {response}, ${at} FROM {{new}}",
        points + 1
    )
}

/// Applies `change` to account `id`, checking what the database knows.
pub(super) async fn update_user(c: &mut Conn, id: UserId, change: UserChange) -> StoreResult<User> {
    let mut user = load_user(c, id).await?.ok_or_else(|| DomainError::not_found(format!("user {id} does not exist")))?;
    if let Some(Some(m)) = change.manager_id {
        if m == id {
            return Err(DomainError::invalid("manager_id cannot be the user themself").into());
        }
        require_user(c, "manager_id", m).await?;
    }
    if let Some(Some(email)) = &change.email {
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE lower(email) = lower($1) AND id <> $2")
            .bind(email)
            .bind(id.0)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_error)?;
        if taken.is_some() {
            return Err(DomainError::conflict(format!("a user with email {email} already exists")).into());
        }
    }
    if let Some(v) = change.name {
        user.name = v;
    }
    if let Some(v) = change.email {
        user.email = v;
    }
    if let Some(v) = change.role {
        user.role = v;
    }
    if let Some(v) = change.mandate {
        user.mandate = super::settings::load_settings(c).await?.amount("mandate", v)?;
    }
    if let Some(v) = change.manager_id {
        user.manager_id = v;
    }
    if let Some(v) = change.active {
        user.active = v;
    }
    sqlx::query("UPDATE users SET name = $2, email = $3, role = $4, mandate_minor = $5, manager_id = $6, active = $7, mandate_exponent = $8 WHERE id = $1")
        .bind(id.0)
        .bind(&user.name)
        .bind(&user.email)
        .bind(user.role.as_str())
        .bind(user.mandate.minor())
        .bind(user.manager_id.map(|m| m.0))
        .bind(user.active)
        .bind(i16::from(user.mandate.exponent()))
        .execute(&mut *c)
        .await
        .map_err(db_error)?;
    if !user.active {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id.0).execute(&mut *c).await.map_err(db_error)?;
    }
    Ok(user)
}

pub(super) async fn revoke_token(c: &mut Conn, user: UserId, token_id: i64) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2").bind(token_id).bind(user.0).execute(&mut *c).await.map_err(db_error)?;
    Ok(done.rows_affected() > 0)
}

/// Stores an API token's digest for an existing user.
pub(super) async fn insert_token(c: &mut Conn, user: UserId, token_sha256: String, label: Option<String>, now: Timestamp) -> StoreResult<i64> {
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
}

pub(super) async fn set_password(c: &mut Conn, user: UserId, password_hash: String) -> StoreResult<()> {
    require_user(c, "user", user).await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(password_hash).bind(user.0).execute(&mut *c).await.map_err(db_error)?;
    // A new password ends every session of the account.
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.0).execute(&mut *c).await.map_err(db_error)?;
    Ok(())
}

/// Stores a session by its token's digest, clearing expired ones on the way.
pub(super) async fn insert_session(c: &mut Conn, token_sha256: String, user: UserId, expires_at: Timestamp, now: Timestamp) -> StoreResult<()> {
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
}

pub(super) async fn touch_session(c: &mut Conn, token_sha256: String, now: Timestamp) -> StoreResult<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_sha256 = $1").bind(token_sha256).bind(micros(now)).execute(&mut *c).await.map_err(db_error)?;
    Ok(())
}

pub(super) async fn delete_session(c: &mut Conn, token_sha256: String) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_sha256 = $1").bind(token_sha256).execute(&mut *c).await.map_err(db_error)?;
    Ok(())
}

// ---- reads ------------------------------------------------------------------

/// `USER_COLS` qualified with the alias `u`, for joins.
fn user_cols_of_u() -> String {
    USER_COLS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
}

pub(super) async fn api_tokens(pool: &Pool, user: UserId) -> StoreResult<Vec<ApiToken>> {
    let rows: Vec<(i64, Option<String>, i64)> =
        sqlx::query_as("SELECT id, label, created_at FROM api_tokens WHERE user_id = $1 ORDER BY id").bind(user.0).fetch_all(pool).await.map_err(db_error)?;
    rows.into_iter().map(|(id, label, at)| Ok(ApiToken { id, label, created_at: ts(at)? })).collect()
}

pub(super) async fn users(pool: &Pool) -> StoreResult<Vec<User>> {
    let sql = format!("SELECT {USER_COLS} FROM users ORDER BY id");
    let rows: Vec<UserRow> = sqlx::query_as(&sql).fetch_all(pool).await.map_err(db_error)?;
    rows.into_iter().map(user_from).collect()
}

pub(super) async fn user_by_token(pool: &Pool, token_sha256: &str) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {} FROM users u JOIN api_tokens t ON t.user_id = u.id WHERE t.token_sha256 = $1", user_cols_of_u());
    let row: Option<UserRow> = sqlx::query_as(&sql).bind(token_sha256).fetch_optional(pool).await.map_err(db_error)?;
    row.map(user_from).transpose()
}

#[allow(clippy::type_complexity)] // one row: the user's columns and the password hash
pub(super) async fn user_for_login(pool: &Pool, email: &str) -> StoreResult<Option<(User, Option<String>)>> {
    let sql = format!("SELECT {USER_COLS}, password_hash FROM users WHERE lower(email) = lower($1)");
    let row: Option<(i64, String, Option<String>, String, i64, Option<i64>, bool, i64, i16, Option<String>)> =
        sqlx::query_as(&sql).bind(email.trim()).fetch_optional(pool).await.map_err(db_error)?;
    row.map(|r| Ok((user_from((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8))?, r.9))).transpose()
}

#[allow(clippy::type_complexity)] // one row: the user's columns and when the session was last used
pub(super) async fn user_by_session(pool: &Pool, token_sha256: &str, now: Timestamp, idle_since: Timestamp) -> StoreResult<Option<(User, Timestamp)>> {
    let sql = format!(
        "SELECT {}, COALESCE(s.last_seen_at, s.created_at) FROM users u JOIN sessions s ON s.user_id = u.id \
         WHERE s.token_sha256 = $1 AND s.expires_at > $2 AND COALESCE(s.last_seen_at, s.created_at) > $3",
        user_cols_of_u()
    );
    let row: Option<(i64, String, Option<String>, String, i64, Option<i64>, bool, i64, i16, i64)> =
        sqlx::query_as(&sql).bind(token_sha256).bind(micros(now)).bind(micros(idle_since)).fetch_optional(pool).await.map_err(db_error)?;
    row.map(|r| Ok((user_from((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8))?, ts(r.9)?))).transpose()
}

pub(super) async fn customer_by_email(pool: &Pool, email: &str) -> StoreResult<Option<Customer>> {
    let sql = format!("SELECT {CUSTOMER_COLS} FROM customers WHERE lower(email) = lower($1) ORDER BY id LIMIT 1");
    let row: Option<CustomerRow> = sqlx::query_as(&sql).bind(email.trim()).fetch_optional(pool).await.map_err(db_error)?;
    row.map(customer_from).transpose()
}

pub(super) async fn customers(pool: &Pool, before_id: Option<CustomerId>, limit: u32) -> StoreResult<Vec<Customer>> {
    let sql = format!("SELECT {CUSTOMER_COLS} FROM customers WHERE id < $1 ORDER BY id DESC LIMIT $2");
    let rows: Vec<CustomerRow> = sqlx::query_as(&sql)
        .bind(before_id.map_or(i64::MAX, |c| c.0))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    rows.into_iter().map(customer_from).collect()
}

/// Names of the customers with these ids (unknown ids left out).
pub(super) async fn customer_names(pool: &Pool, ids: &[CustomerId]) -> StoreResult<std::collections::HashMap<CustomerId, String>> {
    let mut ids: Vec<i64> = ids.iter().map(|c| c.0).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!("SELECT id, name FROM customers WHERE id IN ({})", (1..=ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", "));
    let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
    for id in ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(pool).await.map_err(db_error)?.into_iter().map(|(id, name)| (CustomerId(id), name)).collect())
}

type RewardRow = (i64, i64, String, Option<i64>, Option<i64>, i64);

fn reward_from(r: RewardRow) -> StoreResult<RewardEntry> {
    Ok(RewardEntry { id: r.0, points: r.1, reason: r.2, case_id: r.3.map(CaseId), response_id: r.4.map(ResponseId), created_at: ts(r.5)? })
}

pub(super) async fn rewards(pool: &Pool, customer: CustomerId) -> StoreResult<Vec<RewardEntry>> {
    let mut c = pool.acquire().await.map_err(db_error)?;
    rewards_on(&mut c, customer).await
}

// ---- erasure ------------------------------------------------------------------

/// Loads a customer to erase them, locking the row until the transaction ends.
pub(super) async fn lock_customer(c: &mut Conn, id: CustomerId) -> StoreResult<Option<Customer>> {
    let sql = format!("SELECT {CUSTOMER_COLS} FROM customers WHERE id = $1{LOCK_FOR_UPDATE}");
    let row: Option<CustomerRow> = sqlx::query_as(&sql).bind(id.0).fetch_optional(&mut *c).await.map_err(db_error)?;
    row.map(customer_from).transpose()
}

/// Replaces the customer's name and clears their e-mail address and phone.
pub(super) async fn anonymise_customer(c: &mut Conn, id: CustomerId, name: &str) -> StoreResult<()> {
    sqlx::query("UPDATE customers SET name = $2, email = NULL, phone = NULL WHERE id = $1").bind(id.0).bind(name).execute(&mut *c).await.map_err(db_error)?;
    Ok(())
}

/// A customer's rewards ledger, read on `c`.
pub(super) async fn rewards_on(c: &mut Conn, customer: CustomerId) -> StoreResult<Vec<RewardEntry>> {
    let rows: Vec<RewardRow> =
        sqlx::query_as("SELECT id, points, reason, case_id, response_id, created_at FROM rewards WHERE customer_id = $1 ORDER BY id")
            .bind(customer.0)
            .fetch_all(&mut *c)
            .await
            .map_err(db_error)?;
    rows.into_iter().map(reward_from).collect()
}
