//! The partner pages in a real headless Chromium, at a phone's width and a
//! desktop's: a retailer signs in, submits a case for a customer and writes
//! to its owner, only through the pages. With `REDRESS_SCREENSHOTS=DIR` the
//! list and the case page are kept there as `partner-*.png`.

mod common;

use common::chromium::{browser, text_of};
use common::{Backend, TestApp};
use fantoccini::{Client, Locator};
use serde_json::json;
use std::time::Duration;

both_backends!(a_partner_submits_and_writes_in_chromium);

const PASSWORD: &str = "correct horse battery";

async fn fill(c: &Client, css: &str, text: &str) {
    c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).send_keys(text).await.unwrap();
}

/// Clicks a button or link that loads a new page, and waits until it has.
async fn submit(c: &Client, css: &str) {
    c.execute("window.__stale = true", vec![]).await.unwrap();
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
    for _ in 0..200 {
        if c.execute("return window.__stale === undefined && document.readyState === 'complete'", vec![]).await.ok() == Some(json!(true)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{css} led to no new page");
}

/// The page's full height, so a screenshot shows all of it.
async fn fit(c: &Client, width: u32) {
    c.set_window_size(width, 900).await.unwrap();
    let h = c.execute("return document.documentElement.scrollHeight", vec![]).await.unwrap().as_u64().unwrap_or(900) as u32;
    c.set_window_size(width, h.clamp(600, 4000) + 120).await.unwrap();
}

async fn screenshot(c: &Client, b: Backend, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name} is a PNG");
    if let (Backend::Sqlite, Ok(dir)) = (b, std::env::var("REDRESS_SCREENSHOTS")) {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(format!("{dir}/{name}.png"), png).unwrap();
    }
}

/// Both widths of the page now open: no side-scrolling on a phone.
async fn shoot(c: &Client, b: Backend, name: &str) {
    for (width, label) in [(390, "phone"), (1280, "desktop")] {
        fit(c, width).await;
        let overflow = c.execute("return document.documentElement.scrollWidth > window.innerWidth", vec![]).await.unwrap();
        assert_eq!(overflow, json!(false), "{name} scrolls sideways at {width}px");
        screenshot(c, b, &format!("partner-{name}-{label}")).await;
    }
}

async fn a_partner_submits_and_writes_in_chromium(b: Backend) {
    let app: TestApp = common::spawn(b).await;
    app.london().await;
    let max = app.ok(&app.admin, "/api/v1/users", json!({ "name": "Max Manager", "email": "max@example.com", "role": "manager", "mandate": "500", "password": PASSWORD })).await;
    app.send(reqwest::Method::PUT, Some(&app.admin), "/api/v1/settings", Some(json!({ "name": "Demo Company", "default_owner_id": max["id"] }))).await;
    app.ok(&app.admin, "/api/v1/service-areas", json!({ "name": "Small appliances", "service_manager_id": max["id"] })).await;
    let shop = app.ok(&app.admin, "/api/v1/users", json!({ "name": "High Street Retail", "email": "shop@example.com", "role": "partner", "password": PASSWORD })).await;
    let shop_token = app.ok(&app.admin, &format!("/api/v1/users/{}/tokens", shop["id"]), json!({})).await["token"].as_str().unwrap().to_string();
    let customer = app.ok(&app.admin, "/api/v1/customers", json!({ "name": "Alan Turing", "email": "alan@customer.example" })).await["id"].as_i64().unwrap();
    let earlier = app.ok(&shop_token, "/api/v1/cases", json!({ "customer_id": customer, "channel": "retailer", "summary": "Toaster returned: sparks from the plug" })).await;
    app.ok(&app.admin, &format!("/api/v1/cases/{}/communications", earlier["id"]), json!({ "direction": "outbound", "channel": "phone", "body": "Called Alan: a replacement toaster is on its way." })).await;

    let (_driver, c) = browser().await;
    c.set_window_size(390, 900).await.unwrap();
    c.goto(&format!("{}/console/login", app.base)).await.unwrap();
    fill(&c, "#email", "shop@example.com").await;
    fill(&c, "#password", PASSWORD).await;
    submit(&c, "#signin").await;
    assert!(c.current_url().await.unwrap().path().ends_with("/console/partner"), "a partner lands on their cases");
    assert!(text_of(&c, "#cases").await.contains("Toaster returned"));

    submit(&c, "#submit-case").await;
    fill(&c, "#customer-name", "Grace Hopper").await;
    fill(&c, "#customer-email", "grace@customer.example").await;
    fill(&c, "#customer-phone", "+44 20 7946 0018").await;
    fill(&c, "#case-summary", "Kettle stopped heating after a week").await;
    fill(&c, "#case-description", "Bought in our Oxford Street shop on Monday; it no longer heats. <script>window.__xss = 1</script>").await;
    // How a date is typed depends on the browser's locale; set it as a picker would.
    c.execute("document.querySelector('#case-occurred').value = '2026-11-18T10:30'", vec![]).await.unwrap();
    fill(&c, "#case-order", "R-20261116-0042").await;
    fill(&c, "#case-desired", "A working kettle, or her money back").await;
    c.find(Locator::Css("#case-area")).await.unwrap().select_by_label("Small appliances").await.unwrap();
    submit(&c, "#partner-case-submit").await;
    let flash = text_of(&c, "#flash").await;
    assert!(flash.contains("submitted. Max Manager looks after it"), "{flash}");
    assert!(text_of(&c, "#description").await.contains("<script>"), "typed HTML shown as text");
    assert_eq!(c.execute("return window.__xss === undefined", vec![]).await.unwrap(), json!(true), "and never run");

    fill(&c, "#message", "Grace came back to the shop today; she would like a call after 5pm.").await;
    submit(&c, "#message-submit").await;
    assert!(text_of(&c, "#flash").await.contains("Message sent. Max Manager has been told."));
    assert!(text_of(&c, "#messages").await.contains("after 5pm"));
    let case_url = c.current_url().await.unwrap().to_string();

    c.goto(&format!("{}/console/partner", app.base)).await.unwrap();
    shoot(&c, b, "cases").await;
    c.goto(&format!("{}/console/partner/cases/{}", app.base, earlier["id"])).await.unwrap();
    shoot(&c, b, "case").await;
    c.goto(&case_url).await.unwrap();
    shoot(&c, b, "new-case").await;
    c.goto(&format!("{}/console/partner/cases/new", app.base)).await.unwrap();
    shoot(&c, b, "form").await;
    c.close().await.unwrap();
}
