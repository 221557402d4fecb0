//! The insight dashboard in a real headless Chromium: a manager opens it,
//! the figures and charts render, and a survey response submitted while
//! the page is open changes its figures without a reload (server-sent
//! events). Without script the page is whole. With
//! `REDRESS_SCREENSHOTS=DIR` the dashboard is kept as `insight-*.png`.

mod common;

use common::chromium::{browser, screenshot, sign_in, text_of, PASSWORD};
use common::{Backend, TestApp};
use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

both_backends!(the_dashboard_renders_and_follows_new_responses_live);

async fn answer(app: &TestApp, survey: i64, customer: i64, overall: u8, recommend: u8) {
    let code = common::invite(app, survey, customer, json!({})).await;
    let (s, v) = app.send(reqwest::Method::POST, None, "/api/v1/responses", Some(json!({ "code": code, "answers": { "overall": overall, "recommend": recommend } }))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

/// A figure's text, read in one step: the live stream may replace the
/// element between finding it and reading it.
async fn figure(c: &Client, id: &str) -> String {
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(&format!("#figure-{id}"))).await.unwrap_or_else(|e| panic!("{id}: {e}"));
    let v = c.execute(&format!("return document.getElementById('figure-{id}').textContent.trim()"), vec![]).await.unwrap();
    v.as_str().unwrap_or_default().to_string()
}

async fn the_dashboard_renders_and_follows_new_responses_live(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    app.ok(&app.admin, "/api/v1/users", json!({ "name": "Mia Manager", "email": "mia@example.com", "role": "manager", "mandate": "500", "password": PASSWORD })).await;
    app.ok(&app.admin, "/api/v1/users", json!({ "name": "Al Agent", "email": "al@example.com", "role": "agent", "mandate": "50", "password": PASSWORD })).await;
    let survey = app
        .ok(&app.admin, "/api/v1/surveys", json!({
            "title": "How did we do?",
            "questions": [
                { "key": "overall", "prompt": "How was it?", "kind": "rating" },
                { "key": "recommend", "prompt": "Would you recommend us?", "kind": "nps", "required": false },
            ],
        }))
        .await["id"]
        .as_i64()
        .unwrap();
    let customer = app.customer().await;
    let (_, agent) = app.user("agent", "50").await;
    app.ok(&agent, "/api/v1/cases", json!({ "customer_id": customer, "channel": "phone", "summary": "Parcel late", "occurred_at": "2026-11-19T10:00:00Z" })).await;
    answer(&app, survey, customer, 5, 10).await;
    answer(&app, survey, customer, 4, 9).await;

    let (_driver, c) = browser().await;
    // An agent is refused the page.
    sign_in(&c, &app, "al@example.com").await;
    c.goto(&format!("{}/console/insight", app.base)).await.unwrap();
    assert!(c.source().await.unwrap().contains("managers, seniors and admins"));
    c.delete_all_cookies().await.unwrap();

    sign_in(&c, &app, "mia@example.com").await;
    c.goto(&format!("{}/console/insight", app.base)).await.unwrap();
    assert_eq!(figure(&c, "cases").await, "1");
    assert_eq!(figure(&c, "average-rating").await, "4.50 / 5");
    assert_eq!(figure(&c, "nps").await, "+100");
    for chart in ["#chart-satisfaction svg", "#chart-nps svg", "#chart-lag svg", "#chart-compliance svg", "#chart-loyalty svg"] {
        c.find(Locator::Css(chart)).await.unwrap_or_else(|e| panic!("{chart}: {e}"));
    }
    // The live stream has connected and sent its first rendering.
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("#figures[data-updates]")).await.expect("the live stream connects");

    // A response arrives while the page is open: 5, 4 and 1 average 3.33,
    // and a detractor brings the NPS to 100 × (2 − 1) / 3 = +33.
    answer(&app, survey, customer, 1, 2).await;
    let mut seen = String::new();
    for _ in 0..100 {
        seen = figure(&c, "average-rating").await;
        if seen == "3.33 / 5" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, "3.33 / 5", "the open page follows the new response");
    assert_eq!(figure(&c, "nps").await, "+33");
    let reloads = c.execute("return performance.getEntriesByType('navigation').length", vec![]).await.unwrap();
    assert_eq!(reloads, json!(1), "no reload happened");

    // The cases behind a figure.
    let href = c.execute("return document.getElementById('figure-cases').getAttribute('href')", vec![]).await.unwrap().as_str().unwrap().to_string();
    assert!(href.starts_with("/console/insight/cases?from="), "{href}");
    for (width, label) in [(390, "phone"), (1280, "desktop")] {
        c.set_window_size(width, 900).await.unwrap();
        let overflow = c.execute("return document.documentElement.scrollWidth > window.innerWidth", vec![]).await.unwrap();
        assert_eq!(overflow, json!(false), "the dashboard scrolls sideways at {width}px");
        let h = c.execute("return document.documentElement.scrollHeight", vec![]).await.unwrap().as_u64().unwrap_or(900) as u32;
        c.set_window_size(width, h.clamp(600, 5000) + 120).await.unwrap();
        screenshot(&c, b, &format!("insight-{label}")).await;
    }
    c.goto(&format!("{}{href}", app.base)).await.unwrap();
    assert!(text_of(&c, "#cases").await.contains("Parcel late"));

    // A filter that matches nothing.
    c.goto(&format!("{}/console/insight?channel=email", app.base)).await.unwrap();
    assert_eq!(figure(&c, "cases").await, "0");
    assert_eq!(figure(&c, "average-rating").await, "–", "surveys have no channel");

    // A rising category (1 case last week, 10 this week) is a candidate
    // problem; one click opens a problem with its cases.
    let late = app.ok(&app.admin, "/api/v1/categories", json!({ "name": "Late delivery" })).await["id"].as_i64().unwrap();
    let late_case = |day: u32| json!({ "customer_id": customer, "channel": "web", "summary": format!("Late on the {day}th"), "category_id": late, "reported_at": format!("2026-11-{day}T11:00:00Z"), "occurred_at": format!("2026-11-{day}T10:00:00Z") });
    app.ok(&agent, "/api/v1/cases", late_case(10)).await;
    for day in [14, 15, 16, 17, 18, 19, 20, 16, 17, 18] {
        app.ok(&agent, "/api/v1/cases", late_case(day)).await;
    }
    c.goto(&format!("{}/console/insight", app.base)).await.unwrap();
    let click = "const card = [...document.querySelectorAll('.candidate')].find(c => c.querySelector('h3').textContent === 'Category: Late delivery'); \
                 if (!card) { return false; } window.__stale = true; card.querySelector('button').click(); return true;";
    assert_eq!(c.execute(click, vec![]).await.unwrap(), json!(true), "the rising category is a candidate");
    for _ in 0..200 {
        if c.execute("return window.__stale === undefined && document.readyState === 'complete'", vec![]).await.ok() == Some(json!(true)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let url = c.current_url().await.unwrap();
    assert!(url.path().starts_with("/console/problems/"), "{url}");
    let id = url.path().rsplit('/').next().unwrap();
    let (_, problem) = app.get(&app.admin, &format!("/api/v1/problems/{id}")).await;
    assert_eq!(problem["title"], "Rising: Category: Late delivery");
    assert_eq!(problem["cases"].as_array().unwrap().len(), 10, "{problem}");
    c.close().await.unwrap();
}
