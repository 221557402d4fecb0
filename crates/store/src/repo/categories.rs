//! Complaint categories: the admin-managed list cases and survey questions
//! map to.

use super::*;
use redress_core::category::{Category, NewCategory};
use redress_core::CategoryId;

type CategoryRow = (i64, String, Option<String>, bool, i64);
const COLS: &str = "id, name, description, active, created_at";

fn category_from(r: CategoryRow) -> StoreResult<Category> {
    Ok(Category { id: CategoryId(r.0), name: r.1, description: r.2, active: r.3, created_at: ts(r.4)? })
}

async fn require_free_name(c: &mut Conn, name: &str, except: Option<CategoryId>) -> StoreResult<()> {
    let taken: Option<i64> =
        sqlx::query_scalar("SELECT id FROM categories WHERE lower(name) = lower($1)").bind(name).fetch_optional(&mut *c).await.map_err(db_error)?;
    match taken {
        Some(id) if Some(CategoryId(id)) != except => Err(DomainError::conflict(format!("a category named {name} already exists (id {id})")).into()),
        _ => Ok(()),
    }
}

pub(super) async fn insert(c: &mut Conn, n: NewCategory, now: Timestamp) -> StoreResult<Category> {
    require_free_name(c, &n.name, None).await?;
    let sql = format!("INSERT INTO categories (name, description, active, created_at) VALUES ($1, $2, $3, $4) RETURNING {COLS}");
    let row: CategoryRow =
        sqlx::query_as(&sql).bind(&n.name).bind(&n.description).bind(n.active).bind(micros(now)).fetch_one(&mut *c).await.map_err(db_error)?;
    category_from(row)
}

pub(super) async fn update(c: &mut Conn, id: CategoryId, n: NewCategory) -> StoreResult<Category> {
    require_free_name(c, &n.name, Some(id)).await?;
    let sql = format!("UPDATE categories SET name = $2, description = $3, active = $4 WHERE id = $1 RETURNING {COLS}");
    let row: Option<CategoryRow> =
        sqlx::query_as(&sql).bind(id.0).bind(&n.name).bind(&n.description).bind(n.active).fetch_optional(&mut *c).await.map_err(db_error)?;
    category_from(row.ok_or_else(|| DomainError::not_found(format!("category {id} does not exist")))?)
}

pub(super) async fn load(c: &mut Conn, id: CategoryId) -> StoreResult<Option<Category>> {
    let sql = format!("SELECT {COLS} FROM categories WHERE id = $1");
    let row: Option<CategoryRow> = sqlx::query_as(&sql).bind(id.0).fetch_optional(&mut *c).await.map_err(db_error)?;
    row.map(category_from).transpose()
}

pub(super) async fn all(pool: &Pool) -> StoreResult<Vec<Category>> {
    let sql = format!("SELECT {COLS} FROM categories ORDER BY lower(name)");
    let rows: Vec<CategoryRow> = sqlx::query_as(&sql).fetch_all(pool).await.map_err(db_error)?;
    rows.into_iter().map(category_from).collect()
}
