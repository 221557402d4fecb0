//! A customer and the owner of their case in a real headless Chromium: the
//! customer files a complaint with a photo from the front page and gets a
//! reference and a status link; the owner replies in the console; the
//! status page then shows the reply and the new stage; the customer writes
//! back there, and it lands on the case's timeline. Screenshots are kept
//! with `REDRESS_SCREENSHOTS=DIR` (the README's come from `docs/screenshots`).

mod common;

use common::chromium::{browser, choose, click, fill, flash, screenshot, sign_in, submit, text_of, PASSWORD};
use common::Backend;
use fantoccini::{Client, Locator};
use serde_json::json;

both_backends!(a_complaint_from_the_front_page_to_the_timeline);

async fn attach(c: &Client, css: &str, path: &std::path::Path) {
    c.find(Locator::Css(css)).await.unwrap().send_keys(&path.display().to_string()).await.unwrap();
}

/// Nothing on the page is wider than the phone it is shown on.
async fn fits_the_screen(c: &Client, what: &str) {
    let fits = c.execute("return document.documentElement.scrollWidth <= window.innerWidth", vec![]).await.unwrap();
    assert_eq!(fits, json!(true), "{what} is wider than the screen");
}

async fn a_complaint_from_the_front_page_to_the_timeline(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let olivia = app
        .ok(&app.admin, "/api/v1/users", json!({ "name": "Olivia Owner", "email": "olivia@example.com", "role": "manager", "mandate": "100", "password": PASSWORD }))
        .await["id"]
        .clone();
    let (_, mut settings) = app.get(&app.admin, "/api/v1/settings").await;
    settings["default_owner_id"] = olivia;
    app.send(reqwest::Method::PUT, Some(&app.admin), "/api/v1/settings", Some(settings)).await;
    let files = tempfile::tempdir().unwrap();
    let photo = files.path().join("broken-vase.jpg");
    std::fs::write(&photo, [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F']).unwrap();
    let receipt = files.path().join("receipt.pdf");
    std::fs::write(&receipt, b"%PDF-1.4 receipt").unwrap();

    let (_driver, c) = browser().await;
    c.goto(&format!("{}/", app.base)).await.unwrap();
    screenshot(&c, b, "customer-front").await;
    fits_the_screen(&c, "the front page").await;
    submit(&c, "#go-complain").await;
    fill(&c, "#name", "Grace Hopper").await;
    fill(&c, "#email", "grace@example.com").await;
    fill(&c, "#summary", "Vase arrived broken").await;
    fill(&c, "#description", "The vase was in pieces when I opened the box.").await;
    c.execute("document.getElementById('occurred_date').value = arguments[0]", vec![json!("2026-11-19")]).await.unwrap();
    fill(&c, "#desired_resolution", "A new vase, please").await;
    fill(&c, "#order_reference", "ORD-991").await;
    attach(&c, "#files", &photo).await;
    screenshot(&c, b, "customer-complaint").await;
    fits_the_screen(&c, "the complaint form").await;
    submit(&c, "#send").await;
    let reference = text_of(&c, "#reference").await;
    assert_eq!(reference, "RD-1");
    assert!(text_of(&c, "#next").await.contains("Olivia"), "the owner's first name");
    let link = c.find(Locator::Css("#status-link")).await.unwrap().attr("href").await.unwrap().unwrap();
    screenshot(&c, b, "customer-complaint-done").await;
    fits_the_screen(&c, "the answer page").await;

    // The owner answers in the console, for the status page.
    sign_in(&c, &app, "olivia@example.com").await;
    c.goto(&format!("{}/console/cases/1", app.base)).await.unwrap();
    assert!(text_of(&c, "#attachments").await.contains("broken-vase.jpg"), "the photo is kept with the case");
    click(&c, "#step-communications summary").await;
    click(&c, "#comm-outbound").await;
    choose(&c, "#comm-channel", "web").await;
    fill(&c, "#comm-body", "I am so sorry. A new vase leaves our warehouse today.").await;
    submit(&c, "#comm-submit").await;
    assert!(flash(&c).await.contains("Contact recorded"));

    // The customer sees the reply, and that the case has moved on.
    c.goto(&link).await.unwrap();
    assert!(text_of(&c, "#messages").await.contains("A new vase leaves our warehouse today."));
    let current = text_of(&c, "#stages li[aria-current=step]").await;
    assert!(current.contains("Action agreed"), "being looked into is done; the action is next: {current}");
    assert!(text_of(&c, "#stages li.done:nth-child(2)").await.contains("Being looked into by Olivia"));
    fill(&c, "#message", "Thank you! Here is the receipt.").await;
    attach(&c, "#write #files", &receipt).await;
    submit(&c, "#send").await;
    assert!(flash(&c).await.contains("Olivia"));
    assert!(text_of(&c, "#messages").await.contains("Here is the receipt."));
    screenshot(&c, b, "customer-status").await;
    fits_the_screen(&c, "the status page").await;
    c.set_window_size(1280, 1000).await.unwrap();
    screenshot(&c, b, "customer-status-wide").await;

    // It is on the case's timeline, for staff.
    c.goto(&format!("{}/console/cases/1", app.base)).await.unwrap();
    let timeline = text_of(&c, "#timeline").await;
    assert!(timeline.contains("Message from the customer on the status page"), "{timeline}");
    assert!(timeline.contains("Here is the receipt."), "{timeline}");
    assert!(text_of(&c, "#attachments").await.contains("receipt.pdf"));
    c.close().await.unwrap();
}
