//! The pages in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`): a customer answers a survey, a wrong code gets a clear
//! message, and a `<script>` typed into an answer is shown as text to staff.

mod common;

use common::chromium::{browser, text_of};
use common::{invite, world, Backend};
use fantoccini::Locator;
use serde_json::json;
use std::time::Duration;

both_backends!(survey_pages_in_chromium);

async fn survey_pages_in_chromium(b: Backend) {
    let app = common::spawn(b).await;
    let w = world(&app).await;
    let code = invite(&app, w.survey, w.customer, json!({})).await;
    let (_driver, c) = browser().await;

    // A wrong code: a clear message, on the same page.
    c.goto(&format!("{}/survey", app.base)).await.unwrap();
    c.find(Locator::Css("#code")).await.unwrap().send_keys("WRNG-C0DE-1234").await.unwrap();
    c.find(Locator::Css("#start")).await.unwrap().click().await.unwrap();
    assert!(text_of(&c, "#error").await.contains("This access code is not valid"));

    // The customer's code, typed in lower case with spaces.
    c.goto(&format!("{}/survey", app.base)).await.unwrap();
    c.find(Locator::Css("#code")).await.unwrap().send_keys(&code.to_lowercase().replace('-', " ")).await.unwrap();
    c.find(Locator::Css("#start")).await.unwrap().click().await.unwrap();
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("#submit")).await.unwrap();
    assert!(c.source().await.unwrap().contains("How careful was the driver?"));
    for id in ["#q_speed_2", "#q_care_5", "#q_tracking_4"] {
        c.find(Locator::Css(id)).await.unwrap().click().await.unwrap();
    }
    let script = "<script>window.__xss = 1</script> the box was crushed";
    c.find(Locator::Css("#q_comment")).await.unwrap().send_keys(script).await.unwrap();
    c.find(Locator::Css("#submit")).await.unwrap().click().await.unwrap();
    let thanks = text_of(&c, "#thanks").await;
    assert!(thanks.contains("Thank you, Grace's feedback matters."), "{thanks}");
    assert!(thanks.contains("25 points"), "{thanks}");

    // The low score opened a case; staff see the script as text.
    let (_, page) = app.get(&app.admin, "/api/v1/cases?channel=survey").await;
    let case = page["items"][0]["id"].as_i64().unwrap();
    app.ok(&app.admin, "/api/v1/users", json!({ "name": "Sue Staff", "email": "sue@example.com", "role": "agent", "password": "correct horse battery" })).await;
    c.goto(&format!("{}/console/cases/{case}", app.base)).await.unwrap();
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("#signin")).await.unwrap();
    c.find(Locator::Css("#email")).await.unwrap().send_keys("sue@example.com").await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys("wrong password!").await.unwrap();
    c.find(Locator::Css("#signin")).await.unwrap().click().await.unwrap();
    assert!(text_of(&c, "#error").await.contains("e-mail or password is wrong"));
    c.find(Locator::Css("#password")).await.unwrap().send_keys("correct horse battery").await.unwrap();
    c.find(Locator::Css("#signin")).await.unwrap().click().await.unwrap();
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::LinkText("Cases")).await.ok();
    c.goto(&format!("{}/console/cases/{case}", app.base)).await.unwrap();
    let answers = text_of(&c, "#answers").await;
    assert!(answers.contains(script), "{answers}");
    let executed = c.execute("return window.__xss === undefined", vec![]).await.unwrap();
    assert_eq!(executed, json!(true), "the customer's script must not run");
    assert!(text_of(&c, "#timeline").await.contains("Opened by a survey response"));
    c.close().await.unwrap();
}
