//! A problem's page in a real headless Chromium, at a phone's width and a
//! desktop's: a manager finds a problem by its status, reads what its cases
//! cost, is refused closing it without a permanent solution (the message at
//! the form, what was typed kept, nothing stored), closes it with one, and
//! reopens it. With `REDRESS_SCREENSHOTS=DIR` the list and the page are kept
//! there: `console-problems.png`, `console-problem.png`,
//! `console-problem-closed.png` (a desktop's width) and `…-phone.png`.

mod common;

use common::chromium::{browser, click, fill, flash, screenshot, sign_in, submit, text_of, PASSWORD};
use common::{Backend, TestApp};
use fantoccini::{Client, Locator};
use serde_json::json;

both_backends!(a_problem_is_closed_through_its_page);

/// Both widths of the page now open, each its full height: no side-scrolling on a phone.
async fn shoot(c: &Client, b: Backend, name: &str) {
    for (width, suffix) in [(390, "-phone"), (1280, "")] {
        c.set_window_size(width, 900).await.unwrap();
        let h = c.execute("return document.documentElement.scrollHeight", vec![]).await.unwrap().as_u64().unwrap_or(900) as u32;
        c.set_window_size(width, h.clamp(600, 4000) + 120).await.unwrap();
        let overflow = c.execute("return document.documentElement.scrollWidth > window.innerWidth", vec![]).await.unwrap();
        assert_eq!(overflow, json!(false), "{name} scrolls sideways at {width}px");
        screenshot(c, b, &format!("{name}{suffix}")).await;
    }
    c.set_window_size(390, 900).await.unwrap();
}

async fn value_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css)).await.unwrap().prop("value").await.unwrap().unwrap_or_default()
}

async fn a_problem_is_closed_through_its_page(b: Backend) {
    let app: TestApp = common::spawn(b).await;
    app.send(reqwest::Method::PUT, Some(&app.admin), "/api/v1/settings", Some(json!({ "name": "Demo Company", "timezone": "Europe/London", "currency": "GBP" }))).await;
    let max = app.ok(&app.admin, "/api/v1/users", json!({ "name": "Max Manager", "email": "max@example.com", "role": "manager", "mandate": "500", "password": PASSWORD })).await;
    let max_token = app.ok(&app.admin, &format!("/api/v1/users/{}/tokens", max["id"]), json!({})).await["token"].as_str().unwrap().to_string();
    let customer = app.ok(&app.admin, "/api/v1/customers", json!({ "name": "Grace Hopper", "email": "grace@customer.example" })).await["id"].as_i64().unwrap();
    let mut cases = Vec::new();
    for (summary, refund, gift) in [("Vase arrived in pieces", "30", "5"), ("Glasses cracked in transit", "12.50", "2.25")] {
        let c = app.ok(&max_token, "/api/v1/cases", json!({ "customer_id": customer, "channel": "phone", "summary": summary })).await["id"].as_i64().unwrap();
        app.ok(&max_token, &format!("/api/v1/cases/{c}/communications"), json!({ "direction": "outbound", "channel": "phone", "body": "Sorry: we will put it right." })).await;
        app.ok(&max_token, &format!("/api/v1/cases/{c}/actions"), json!({ "description": "Refund", "remedy_value": refund, "preventive_owner_id": max["id"] })).await;
        app.ok(&max_token, &format!("/api/v1/cases/{c}/gifts"), json!({ "description": "Flowers", "cost": gift })).await;
        cases.push(c);
    }
    app.ok(&max_token, "/api/v1/problems", json!({ "title": "Lost parcels", "description": "Parcels not scanned at the depot" })).await;
    let p = app
        .ok(&max_token, "/api/v1/problems", json!({ "title": "Fragile items packed in thin boxes", "description": "Glassware travels in single-walled cartons.", "root_cause": "Thin cartons", "case_ids": cases }))
        .await;
    let id = p["id"].as_i64().unwrap();

    let (_driver, c) = browser().await;
    c.set_window_size(390, 900).await.unwrap();
    sign_in(&c, &app, "max@example.com").await;
    c.goto(&format!("{}/console/problems", app.base)).await.unwrap();
    c.find(Locator::Css("#filter-status")).await.unwrap().select_by_value("diagnosed").await.unwrap();
    submit(&c, "#filter").await;
    let list = text_of(&c, "#problems").await;
    assert!(list.contains("Fragile items packed in thin boxes") && list.contains("Diagnosed") && list.contains("GBP 49.75"), "{list}");
    assert!(!list.contains("Lost parcels"), "only diagnosed ones: {list}");
    shoot(&c, b, "console-problems").await;

    submit(&c, &format!("a[href='/console/problems/{id}']")).await;
    assert_eq!(text_of(&c, "#problem-status").await, "Diagnosed");
    assert_eq!(text_of(&c, "#cost-total").await, "GBP 49.75");
    assert_eq!(text_of(&c, "#cost-cases").await, "2 (2 open)");
    let listed = text_of(&c, "#cases").await;
    assert!(listed.contains("Vase arrived in pieces") && listed.contains("Glasses cracked in transit"), "{listed}");

    // Closing without a permanent solution: refused at the form, the typed root cause kept.
    click(&c, "#form-close-details summary").await;
    assert_eq!(value_of(&c, "#close-cause").await, "Thin cartons", "the form starts from what is recorded");
    c.find(Locator::Css("#close-cause")).await.unwrap().clear().await.unwrap();
    fill(&c, "#close-cause", "Single-walled cartons for glassware").await;
    submit(&c, "#close-submit").await;
    let error = text_of(&c, "#form-close #error").await;
    assert!(error.contains("permanent solution"), "{error}");
    assert_eq!(value_of(&c, "#close-cause").await, "Single-walled cartons for glassware", "what was typed is kept");
    assert_eq!(text_of(&c, "#problem-status").await, "Diagnosed");
    let stored = app.get(&app.admin, &format!("/api/v1/problems/{id}")).await.1;
    assert_eq!((stored["status"].as_str(), stored["root_cause"].as_str()), (Some("diagnosed"), Some("Thin cartons")), "nothing stored");
    shoot(&c, b, "console-problem").await;

    // With the solution in place it closes.
    fill(&c, "#close-solution", "Double-walled boxes for glassware").await;
    submit(&c, "#close-submit").await;
    assert_eq!(flash(&c).await, "Problem closed.");
    assert_eq!(text_of(&c, "#problem-status").await, "Closed");
    assert!(text_of(&c, "#problem-solution").await.contains("Double-walled boxes"));
    assert!(text_of(&c, "#history").await.contains("Closed: the permanent solution is in place"));
    assert!(c.find(Locator::Css("#form-edit")).await.is_err(), "a closed problem offers no edits");
    let stored = app.get(&app.admin, &format!("/api/v1/problems/{id}")).await.1;
    assert_eq!((stored["status"].as_str(), stored["closed_by"].as_i64()), (Some("closed"), max["id"].as_i64()));
    shoot(&c, b, "console-problem-closed").await;

    // A manager reopens it, as diagnosed by default.
    assert_eq!(value_of(&c, "#reopen-status").await, "diagnosed");
    submit(&c, "#reopen-submit").await;
    assert_eq!(flash(&c).await, "Problem reopened: it is diagnosed again.");
    assert_eq!(text_of(&c, "#problem-status").await, "Diagnosed");

    // Its cases lead to their pages, and back.
    submit(&c, &format!("#cases a[href='/console/cases/{}']", cases[0])).await;
    assert_eq!(text_of(&c, "#case-problem").await, "Fragile items packed in thin boxes");
    submit(&c, "#case-problem").await;
    assert_eq!(text_of(&c, "#problem-title").await, "Fragile items packed in thin boxes");
}
