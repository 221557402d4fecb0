//! A crawl of the console as each role: from the home page, every console
//! link is followed. No page may fail, every page has a title, every field
//! a label, and text typed with HTML in it is shown as text. On both
//! backends, over a small organisation with cases at every stage.

mod common;

use common::forms::Browser;
use common::{Backend, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::{BTreeSet, VecDeque};

both_backends!(every_console_page_answers_for_every_role, nonsense_posted_anywhere_is_refused_never_a_failure);

const PASSWORD: &str = "correct horse battery";
const HOSTILE: &str = "<img src=x onerror=alert(1)>\"'&";

/// An organisation with staff of every role and cases at every stage, its
/// text full of markup.
async fn organisation(app: &TestApp) {
    app.london().await;
    let mut ids = Vec::new();
    for (name, role, mandate) in [("Max", "manager", "500"), ("Sam", "senior", "1000"), ("Alice", "agent", "50"), ("Bob", "agent", "50"), ("Ada", "admin", "1000")] {
        let u = app.ok(&app.admin, "/api/v1/users", json!({ "name": format!("{name} {HOSTILE}"), "email": format!("{}@example.com", name.to_lowercase()), "role": role, "mandate": mandate, "password": PASSWORD })).await;
        ids.push(u["id"].as_i64().unwrap());
    }
    let alice = app.ok(&app.admin, &format!("/api/v1/users/{}/tokens", ids[2]), json!({})).await["token"].as_str().unwrap().to_string();
    let customer = app.ok(&app.admin, "/api/v1/customers", json!({ "name": format!("Grace {HOSTILE}"), "email": "grace@example.com", "timezone": "Europe/London" })).await["id"].as_i64().unwrap();
    let problem = app.ok(&app.admin, "/api/v1/problems", json!({ "title": format!("Boxes {HOSTILE}") })).await["id"].as_i64().unwrap();
    for stage in 0..5 {
        let c = app.ok(&alice, "/api/v1/cases", json!({ "customer_id": customer, "channel": "phone", "summary": format!("Case {stage} {HOSTILE}"), "description": HOSTILE })).await["id"].as_i64().unwrap();
        let path = |step: &str| format!("/api/v1/cases/{c}/{step}");
        if stage == 0 {
            continue;
        }
        app.ok(&alice, &path("communications"), json!({ "direction": "outbound", "channel": "phone", "body": HOSTILE })).await;
        let value = if stage == 2 { "200" } else { "20" };
        app.ok(&alice, &path("actions"), json!({ "description": HOSTILE, "remedy_value": value, "preventive_owner_id": ids[0] })).await;
        if stage == 2 {
            continue;
        }
        app.ok(&alice, &path("preventive"), json!({ "root_cause": HOSTILE, "action": HOSTILE, "problem_id": problem })).await;
        if stage == 3 {
            continue;
        }
        app.ok(&alice, &path("gifts"), json!({ "description": HOSTILE, "cost": "5" })).await;
        app.ok(&app.admin, &path("follow-up"), json!({ "outcome": "resolved", "satisfaction": 5, "notes": HOSTILE })).await;
        app.ok(&alice, &path("close"), json!({ "note": HOSTILE })).await;
    }
}

/// Console links on a page (`<a href="/console…">`), without fragments;
/// downloads (`<a download>`) are files, not pages.
fn links(html: &str) -> Vec<String> {
    html.split("<a ")
        .skip(1)
        .filter_map(|a| a.split('>').next())
        .filter(|a| !a.split_whitespace().any(|attr| attr == "download" || attr.starts_with("download=")))
        .filter_map(|a| a.split(r#"href=""#).nth(1).and_then(|s| s.split('"').next()))
        .filter(|h| h.starts_with("/console"))
        .map(|h| h.replace("&#38;", "&").replace("&amp;", "&"))
        .collect()
}

/// Fields a person fills in that have no label pointing at them.
fn unlabelled(html: &str) -> Vec<String> {
    let mut missing = Vec::new();
    for tag in ["<input", "<select", "<textarea"] {
        for rest in html.split(tag).skip(1) {
            let element = rest.split('>').next().unwrap_or_default();
            if element.contains(r#"type="hidden""#) || element.contains(r#"type="submit""#) || element.contains("aria-label=") {
                continue;
            }
            let id = element.split(r#"id=""#).nth(1).and_then(|s| s.split('"').next());
            match id {
                Some(id) if html.contains(&format!(r#"for="{id}""#)) => {}
                // A tick box or choice inside its own label.
                _ if element.contains(r#"type="radio""#) || element.contains(r#"type="checkbox""#) => {}
                _ => missing.push(format!("{tag} {element}")),
            }
        }
    }
    missing
}

async fn crawl(app: &TestApp, email: &str) -> usize {
    let browser = Browser::sign_in(app, email, PASSWORD).await;
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from(["/console".to_string()]);
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) || seen.len() > 300 {
            continue;
        }
        let (status, html) = browser.get(&path).await;
        assert!(status.is_success() || status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND, "{email}: {path} answered {status}");
        // Downloads (CSV, JSON) are followed and must answer, but are not pages.
        if !status.is_success() || !html.trim_start().to_ascii_lowercase().starts_with("<!doctype html") {
            continue;
        }
        let title = html.split("<title>").nth(1).and_then(|t| t.split("</title>").next()).unwrap_or_default();
        assert!(!title.trim().is_empty(), "{email}: {path} has no title");
        assert!(unlabelled(&html).is_empty(), "{email}: {path} has fields without a label: {:?}", unlabelled(&html));
        assert!(!html.contains("<img src=x"), "{email}: {path} shows typed markup as markup");
        queue.extend(links(&html).into_iter().filter(|l| !seen.contains(l)));
    }
    seen.len()
}

async fn every_console_page_answers_for_every_role(b: Backend) {
    let app = common::spawn(b).await;
    organisation(&app).await;
    for email in ["alice@example.com", "max@example.com", "sam@example.com", "ada@example.com"] {
        let pages = crawl(&app, email).await;
        assert!(pages >= 15, "{email} reached only {pages} pages");
    }
    // An agent is refused the administration, however the address is typed.
    let alice = Browser::sign_in(&app, "alice@example.com", PASSWORD).await;
    for path in ["/console/admin/staff", "/console/admin/staff/1", "/console/admin/staff/1/tokens"] {
        assert_eq!(alice.get(path).await.0, if path.ends_with("tokens") { StatusCode::METHOD_NOT_ALLOWED } else { StatusCode::FORBIDDEN }, "{path}");
    }
}

/// Every console form, posted with nonsense by an admin: each answer is a
/// page (a redirect, a refusal with its reason), never a server failure,
/// and nothing about the organisation is left half-changed.
async fn nonsense_posted_anywhere_is_refused_never_a_failure(b: Backend) {
    let app = common::spawn(b).await;
    organisation(&app).await;
    let ada = Browser::sign_in(&app, "ada@example.com", PASSWORD).await;
    let settings_before = app.get(&app.admin, "/api/v1/settings").await.1;
    let (long_label, long_summary) = ("L".repeat(5000), "S".repeat(3000));
    let nonsense: Vec<(&str, &str)> = vec![
        ("name", "\u{0}\u{202e}<x>"), ("email", "not an address"), ("role", "emperor"), ("mandate", "-1e9"), ("manager_id", "none"),
        ("active", "maybe"), ("password", "x"), ("label", &long_label), ("title", ""), ("summary", &long_summary),
        ("description", "d"), ("direction", "sideways"), ("channel", "pigeon"), ("body", ""), ("at", "yesterday"),
        ("remedy_kind", "gold"), ("remedy_value", "NaN"), ("preventive_owner_id", "999999999999"), ("decision", "perhaps"),
        ("amended_value", "1,000"), ("owner_id", "abc"), ("problem_id", "-5"), ("new_problem_title", ""), ("outcome", "meh"),
        ("satisfaction", "11"), ("to_user_id", "0"), ("reason", ""), ("step", "teleport"), ("cost", "∞"), ("actions", ""),
        ("note", "n"), ("timezone", "Mars/Olympus"), ("currency", "DOGE"), ("hours.mon", "25:00-26:00"), ("holidays", "someday"),
        ("targets.first_response", "soon"), ("transfer_flag_after", "-3"), ("rows", "999999"), ("r1.threshold", "0"),
        ("url", "javascript:alert(1)"), ("events", "everything"), ("service_manager_id", "x"), ("customers", "nobody"),
        ("valid_days", "0"), ("reward_points", "lots"), ("q1.prompt", "Q?"), ("q1.kind", "telepathy"), ("severity", "apocalyptic"),
        ("significant", "sometimes"), ("customer.email", "@"), ("case.channel", "carrier pigeon"), ("case.summary", ""),
    ];
    let posts = [
        "/console/cases/new", "/console/cases/1/details", "/console/cases/1/communications", "/console/cases/1/actions",
        "/console/cases/3/approvals", "/console/cases/1/preventive", "/console/cases/1/follow-up", "/console/cases/1/transfer",
        "/console/cases/1/deviations", "/console/cases/1/gifts", "/console/cases/1/reports", "/console/cases/1/close",
        "/console/cases/999/close", "/console/cases/abc/close", "/console/problems", "/console/problems/1/edit", "/console/problems/1/owner",
        "/console/problems/1/close", "/console/problems/1/reopen", "/console/problems/1/cases", "/console/problems/999/edit",
        "/console/problems/1/teleport", "/console/areas", "/console/areas/999",
        "/console/surveys", "/console/surveys/1/invitations", "/console/surveys/999/invitations", "/console/outbox/999/retry",
        "/console/admin/staff", "/console/admin/staff/2", "/console/admin/staff/2/password", "/console/admin/staff/2/tokens",
        "/console/admin/staff/2/tokens/999/revoke", "/console/admin/settings", "/console/admin/rules", "/console/admin/integrations",
    ];
    for path in posts {
        let resp = ada.post(path, &nonsense).await;
        let status = resp.status();
        assert!(!status.is_server_error(), "{path} answered {status}: {}", resp.text().await.unwrap_or_default());
        assert_ne!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}: the nonsense must reach the handler");
    }
    assert_eq!(app.get(&app.admin, "/api/v1/settings").await.1, settings_before, "the settings are as they were");
}
