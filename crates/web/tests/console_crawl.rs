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

both_backends!(every_console_page_answers_for_every_role);

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

/// Console links on a page (`href="/console…"`), without fragments.
fn links(html: &str) -> Vec<String> {
    html.split(r#"href=""#).skip(1).filter_map(|s| s.split('"').next()).filter(|h| h.starts_with("/console")).map(|h| h.replace("&#38;", "&").replace("&amp;", "&")).collect()
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
        if !status.is_success() {
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
