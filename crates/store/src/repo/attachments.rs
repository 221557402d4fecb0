//! Files kept with a case (photos, receipts), written with the change that
//! brought them, all or nothing.

use super::*;
use redress_core::case::{Attachment, NewAttachment};

type AttachmentRow = (i64, i64, String, String, i64, i64);

fn attachment_from(r: AttachmentRow) -> StoreResult<Attachment> {
    Ok(Attachment { id: r.0, case_id: CaseId(r.1), filename: r.2, content_type: r.3, size: r.4, created_at: ts(r.5)? })
}

pub(super) async fn insert(c: &mut Conn, case: CaseId, a: &NewAttachment, now: Timestamp) -> StoreResult<()> {
    sqlx::query("INSERT INTO attachments (case_id, filename, content_type, size, data, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(case.0)
        .bind(&a.filename)
        .bind(&a.content_type)
        .bind(a.data.len() as i64)
        .bind(a.data.as_slice())
        .bind(micros(now))
        .execute(&mut *c)
        .await
        .map_err(db_error)?;
    Ok(())
}

// ---- reads ------------------------------------------------------------------

pub(super) async fn of_case(pool: &Pool, case: CaseId) -> StoreResult<Vec<Attachment>> {
    let rows: Vec<AttachmentRow> =
        sqlx::query_as("SELECT id, case_id, filename, content_type, size, created_at FROM attachments WHERE case_id = $1 ORDER BY id")
            .bind(case.0)
            .fetch_all(pool)
            .await
            .map_err(db_error)?;
    rows.into_iter().map(attachment_from).collect()
}

/// A stored file with its bytes.
#[allow(clippy::type_complexity)] // one row: the attachment's columns and its bytes
pub(super) async fn get(pool: &Pool, id: i64) -> StoreResult<Option<(Attachment, Vec<u8>)>> {
    let row: Option<(i64, i64, String, String, i64, i64, Vec<u8>)> =
        sqlx::query_as("SELECT id, case_id, filename, content_type, size, created_at, data FROM attachments WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await
            .map_err(db_error)?;
    row.map(|(id, case, filename, content_type, size, at, data)| Ok((attachment_from((id, case, filename, content_type, size, at))?, data))).transpose()
}

/// Deletes every file kept with `case`; answers how many there were.
pub(super) async fn delete_of_case(c: &mut Conn, case: CaseId) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM attachments WHERE case_id = $1").bind(case.0).execute(&mut *c).await.map_err(db_error)?;
    Ok(done.rows_affected())
}

/// The names of the files kept with `case`, read on `c`.
pub(super) async fn names_of(c: &mut Conn, case: CaseId) -> StoreResult<Vec<String>> {
    sqlx::query_scalar("SELECT filename FROM attachments WHERE case_id = $1 ORDER BY id").bind(case.0).fetch_all(&mut *c).await.map_err(db_error)
}
