//! Finding cases: the filters of the API's case list and of the console's
//! queues, their order and pages, and how many match.

use super::cases::case_from;
use super::*;
use super::run::{arguments, Param};
use redress_core::case::Case;
use redress_core::store::{CaseFilter, CaseSort};

/// The `WHERE` clause of `f` (after `WHERE 1 = 1`) with its bind values,
/// numbered after those in `args`.
fn conditions(f: &CaseFilter, mut args: Vec<Param>) -> (String, Vec<Param>) {
    let mut sql = String::new();
    let mut push = |sql: &mut String, clause: &str, arg: Param| {
        args.push(arg);
        sql.push_str(&clause.replace('?', &format!("${}", args.len())));
    };
    if let Some(s) = f.status {
        push(&mut sql, " AND status = ?", Param::from(s.as_str()));
    }
    if let Some(o) = f.owner_id {
        push(&mut sql, " AND owner_id = ?", Param::from(o.0));
    }
    if let Some(p) = f.problem_id {
        push(&mut sql, " AND problem_id = ?", Param::from(p.0));
    }
    if let Some(o) = f.not_owner_id {
        push(&mut sql, " AND owner_id <> ?", Param::from(o.0));
    }
    if let Some(cu) = f.customer_id {
        push(&mut sql, " AND customer_id = ?", Param::from(cu.0));
    }
    if let Some(cb) = f.created_by {
        push(&mut sql, " AND created_by = ?", Param::from(cb.0));
    }
    if let Some(ch) = f.channel {
        push(&mut sql, " AND channel = ?", Param::from(ch.as_str()));
    }
    if let Some(a) = f.service_area_id {
        push(&mut sql, " AND service_area_id = ?", Param::from(a.0));
    }
    if let Some(k) = f.category_id {
        push(&mut sql, " AND category_id = ?", Param::from(k.0));
    }
    if let Some(t) = f.reported_from {
        push(&mut sql, " AND reported_at >= ?", Param::from(micros(t)));
    }
    if let Some(t) = f.reported_to {
        push(&mut sql, " AND reported_at < ?", Param::from(micros(t)));
    }
    // Flags are written as literals so that partial indexes (`WHERE flagged`)
    // serve them.
    let flag = |sql: &mut String, column: &str, v: Option<bool>| match v {
        Some(true) => sql.push_str(&format!(" AND {column}")),
        Some(false) => sql.push_str(&format!(" AND NOT {column}")),
        None => {}
    };
    flag(&mut sql, "significant", f.significant);
    flag(&mut sql, "flagged", f.flagged);
    flag(&mut sql, "awaits_follow_up", f.awaits_follow_up);
    match f.open {
        Some(true) => sql.push_str(" AND closed_at IS NULL"),
        Some(false) => sql.push_str(" AND closed_at IS NOT NULL"),
        None => {}
    }
    if let Some((user, mandate)) = f.approvable_by {
        push(&mut sql, " AND pending_value_scaled IS NOT NULL AND pending_value_scaled <= ?", Param::from(mandate.scaled_minor()));
        push(&mut sql, " AND pending_proposer_id <> ?", Param::from(user.0));
    }
    if let Some(t) = f.overdue_at {
        push(&mut sql, " AND closed_at IS NULL AND next_due_at < ?", Param::from(micros(t)));
    }
    if let Some(t) = f.due_before {
        let t = micros(t);
        push(&mut sql, " AND closed_at IS NULL AND ((responded_at IS NULL AND first_response_due_at < ?)", Param::from(t));
        push(&mut sql, " OR update_due_at < ?", Param::from(t));
        push(&mut sql, " OR resolution_due_at < ?)", Param::from(t));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if let Some(id) = CaseId::parse_reference(q) {
            push(&mut sql, " AND id = ?", Param::from(id.0));
        } else {
            // The words through the full-text index; the customer's name as
            // typed. One set of ids, so the database looks up just those
            // cases rather than testing every case against either.
            sql.push_str(" AND id IN (");
            let query = text_query(&words(q));
            if !query.is_empty() {
                push(&mut sql, &format!("{TEXT_MATCH} UNION "), Param::from(query));
            }
            let (names, pattern) = named(q);
            push(&mut sql, &format!("SELECT id FROM cases WHERE customer_id IN ({names}))"), pattern);
        }
    }
    (sql, args)
}

/// The ids of customers whose name contains `q` as typed (`?`: the
/// pattern), with the pattern. A pattern with escapes tests every name: the
/// indexes serve plain ones.
fn named(q: &str) -> (String, Param) {
    let pattern = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let names = if q.contains(['%', '_', '\\']) { format!("SELECT id FROM customers WHERE name {ILIKE} ? ESCAPE '\\'") } else { NAME_MATCH.to_string() };
    (names, Param::from(pattern))
}

/// The words of a search: runs of letters and digits, lower-cased (so
/// nothing typed can reach the full-text query's own syntax), at most ten.
fn words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).take(10).map(str::to_lowercase).collect()
}

/// Cases matching every field of `f`, in its order, one page.
pub(super) async fn search(pool: &Pool, f: &CaseFilter) -> StoreResult<Vec<Case>> {
    let searched = f.q.as_deref().map(words).filter(|w| !w.is_empty());
    let typed = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty() && CaseId::parse_reference(q).is_none());
    if let (Some(w), Some(q), CaseSort::Newest | CaseSort::Oldest | CaseSort::Relevance) = (&searched, typed, f.sort) {
        return search_words(pool, f, w, q).await;
    }
    let (mut sql, mut args) = conditions(f, Vec::new());
    if let Some(b) = f.before_id {
        args.push(Param::from(b.0));
        sql.push_str(&format!(" AND id < ${}", args.len()));
    }
    // (Nothing is ranked here: a reference, or no words to rank by.)
    let order = match f.sort {
        CaseSort::Newest | CaseSort::Relevance => "id DESC",
        CaseSort::Oldest => "id ASC",
        CaseSort::DueSoonest => "CASE WHEN next_due_at IS NULL THEN 1 ELSE 0 END, next_due_at, id",
    };
    args.push(Param::from(i64::from(f.limit.max(1))));
    args.push(Param::from(i64::from(f.offset)));
    let sql = format!("SELECT id, data FROM cases WHERE 1 = 1{sql} ORDER BY {order} LIMIT ${} OFFSET ${}", args.len() - 1, args.len());
    let rows = sqlx::query_as_with(&sql, arguments(args)?).fetch_all(pool).await.map_err(db_error)?;
    rows.into_iter().map(case_from).collect()
}

/// Cases found by their words or their customer's name, one page: newest or
/// oldest first, or best match first (cases found only by their customer's
/// name after every case found by its words, newest first). Each of the two
/// ways is one statement that stops at the page's end — in id order the
/// full-text index is walked by id and no list of every match is built — and
/// the two pages merge.
async fn search_words(pool: &Pool, f: &CaseFilter, words: &[String], typed: &str) -> StoreResult<Vec<Case>> {
    let unsearched = CaseFilter { q: None, ..f.clone() };
    let wanted = i64::from(f.limit.max(1)) + i64::from(f.offset);
    let page = |source: &str, order: String, arg: Param, limit: i64| {
        let (mut sql, mut args) = conditions(&unsearched, vec![arg]);
        if let Some(b) = f.before_id {
            args.push(Param::from(b.0));
            sql.push_str(&format!(" AND cases.id < ${}", args.len()));
        }
        args.push(Param::from(limit));
        (format!("SELECT cases.id, cases.data FROM {}{sql} ORDER BY {} LIMIT ${}", source.replace('?', "$1"), order.replace('?', "$1"), args.len()), args)
    };
    let (text_order, name_order) = match f.sort {
        CaseSort::Oldest => (format!("{TEXT_CASES_ORDER} ASC"), "cases.id ASC"),
        CaseSort::Relevance => (format!("{TEXT_CASES_RANK}, cases.id DESC"), "cases.id DESC"),
        _ => (format!("{TEXT_CASES_ORDER} DESC"), "cases.id DESC"),
    };
    let mut found: Vec<(i64, String)> = Vec::new();
    // Where the index cannot be walked in id order, the newest (or oldest)
    // cases are tried first: if they hold the page, no case beyond them can be on it.
    if let (Some((window, test)), CaseSort::Newest | CaseSort::Oldest) = (TEXT_WINDOW, f.sort) {
        let (dir, bound) = if f.sort == CaseSort::Oldest { ("ASC", String::new()) } else { ("DESC", f.before_id.map(|b| format!(" WHERE id < {}", b.0)).unwrap_or_default()) };
        let source = format!("(SELECT * FROM cases{bound} ORDER BY id {dir} LIMIT {window}) AS cases WHERE {test}");
        let (sql, args) = page(&source, text_order.clone(), Param::from(text_query(words)), wanted);
        found = sqlx::query_as_with(&sql, arguments(args)?).fetch_all(pool).await.map_err(db_error)?;
    }
    if (found.len() as i64) < wanted {
        let (by_text, args) = page(TEXT_CASES, text_order, Param::from(text_query(words)), wanted);
        found = sqlx::query_as_with(&by_text, arguments(args)?).fetch_all(pool).await.map_err(db_error)?;
    }
    // Best first, the names count only when the words did not fill the page
    // (then every case found by its words is in `found`).
    let ranked = f.sort == CaseSort::Relevance;
    if !ranked || (found.len() as i64) < wanted {
        let (names, pattern) = named(typed);
        let limit = if ranked { wanted + found.len() as i64 } else { wanted };
        let (by_name, args) = page(&format!("cases WHERE customer_id IN ({names})"), name_order.to_string(), pattern, limit);
        let by_name: Vec<(i64, String)> = sqlx::query_as_with(&by_name, arguments(args)?).fetch_all(pool).await.map_err(db_error)?;
        let seen: std::collections::HashSet<i64> = found.iter().map(|(id, _)| *id).collect();
        found.extend(by_name.into_iter().filter(|(id, _)| !seen.contains(id)));
        match f.sort {
            CaseSort::Oldest => found.sort_unstable_by_key(|(id, _)| *id),
            CaseSort::Relevance => {}
            _ => found.sort_unstable_by_key(|(id, _)| std::cmp::Reverse(*id)),
        }
    }
    found.into_iter().skip(f.offset as usize).take(f.limit.max(1) as usize).map(case_from).collect()
}

/// How many cases match `f`, whatever its order and page, up to `at_most`.
pub(super) async fn count(pool: &Pool, f: &CaseFilter, at_most: i64) -> StoreResult<i64> {
    let (sql, mut args) = conditions(f, Vec::new());
    args.push(Param::from(at_most.max(0)));
    let sql = format!("SELECT COUNT(*) FROM (SELECT 1 FROM cases WHERE 1 = 1{sql} LIMIT ${}) AS matching", args.len());
    let (n,): (i64,) = sqlx::query_as_with(&sql, arguments(args)?).fetch_one(pool).await.map_err(db_error)?;
    Ok(n)
}
