//! Problems: systemic issues shared by many cases, with their root-cause
//! analysis and permanent solution.

use super::*;
use redress_core::problem::{NewProblem, Problem};
use redress_core::ProblemId;

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

pub(super) async fn insert_problem(c: &mut Conn, p: NewProblem, now: Timestamp) -> StoreResult<Problem> {
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

// ---- reads ------------------------------------------------------------------

pub(super) async fn problem(pool: &Pool, id: ProblemId) -> StoreResult<Option<Problem>> {
    let sql = format!("SELECT {PROBLEM_COLS} FROM problems p WHERE p.id = $1");
    let row: Option<ProblemRow> = sqlx::query_as(&sql).bind(id.0).fetch_optional(pool).await.map_err(db_error)?;
    row.map(problem_from).transpose()
}

pub(super) async fn problems(pool: &Pool) -> StoreResult<Vec<Problem>> {
    let sql = format!("SELECT {PROBLEM_COLS} FROM problems p ORDER BY p.id DESC");
    let rows: Vec<ProblemRow> = sqlx::query_as(&sql).fetch_all(pool).await.map_err(db_error)?;
    rows.into_iter().map(problem_from).collect()
}
