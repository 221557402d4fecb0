//! The audit trail (admins): every administrative change, newest first —
//! when, who, what, and which fields changed from what to what.

use super::Admin;
use crate::pages::format::{when, zone};
use crate::pages::frame::{Frame, PageResult};
use crate::pages::pager::Pager;
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde_json::Value;
use std::collections::HashMap;

/// Entries a page shows.
const PER_PAGE: u32 = 50;

struct Row {
    id: i64,
    when: String,
    who: String,
    action: String,
    subject: String,
    changes: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/admin/audit.html")]
struct AuditPage {
    frame: Frame,
    rows: Vec<Row>,
    pager: Pager,
}

/// `?before=ID` pages on; anything else in the address is ignored, as on
/// the other console lists.
pub async fn list(State(app): State<AppState>, Admin(admin): Admin, frame: Frame, RawQuery(query): RawQuery) -> PageResult {
    let pairs: Vec<(String, String)> = query.and_then(|q| serde_urlencoded::from_str(&q).ok()).unwrap_or_default();
    let before = pairs.iter().find(|(k, _)| k == "before").and_then(|(_, v)| v.parse::<i64>().ok());
    let tz = zone(&app.store().settings().await?);
    let names: HashMap<i64, String> = app.store().users().await?.into_iter().map(|u| (u.id.0, u.name)).collect();
    let mut entries = app.store().audit_log(before, PER_PAGE + 1).await?;
    let more = entries.len() > PER_PAGE as usize;
    entries.truncate(PER_PAGE as usize);
    let pager = Pager::keyset("/console/admin/audit", before, more.then(|| entries.last().map(|e| e.id)).flatten());
    let rows = entries
        .into_iter()
        .map(|e| Row {
            id: e.id,
            when: when(e.at, &tz),
            who: e.actor_id.map_or_else(|| "the command line".to_string(), |id| names.get(&id.0).cloned().unwrap_or_else(|| format!("user {}", id.0))),
            action: e.action.replace(['.', '_'], " "),
            subject: e.subject,
            changes: changes(e.before.as_ref(), e.after.as_ref()),
        })
        .collect();
    let page = AuditPage { frame: frame.signed_in(&admin), rows, pager };
    Ok(page.frame.page(StatusCode::OK, &page))
}

/// `field: before → after` for each field that differs; every field of a
/// record that only has an after (or before) side.
fn changes(before: Option<&Value>, after: Option<&Value>) -> Vec<String> {
    let show = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    };
    match (before, after) {
        (Some(Value::Object(b)), Some(Value::Object(a))) => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .filter(|k| b.get(*k) != a.get(*k))
                .map(|k| format!("{k}: {} → {}", b.get(k).map_or("—".into(), show), a.get(k).map_or("—".into(), show)))
                .collect()
        }
        // A new record: what was given, without its bookkeeping.
        (None, Some(Value::Object(a))) => a.iter().filter(|(k, v)| !v.is_null() && !matches!(k.as_str(), "id" | "created_at")).map(|(k, v)| format!("{k}: {}", show(v))).collect(),
        (Some(Value::Object(b)), None) => b.iter().map(|(k, v)| format!("{k} was {}", show(v))).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn only_changed_fields_are_listed() {
        let c = super::changes(Some(&json!({ "role": "agent", "name": "Sue" })), Some(&json!({ "role": "manager", "name": "Sue" })));
        assert_eq!(c, vec!["role: agent → manager"]);
        assert_eq!(super::changes(None, Some(&json!({ "id": 4, "label": "laptop", "note": null }))), vec!["label: laptop"]);
        assert!(super::changes(None, None).is_empty());
    }
}
