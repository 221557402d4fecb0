//! The console in a real headless Chromium: the whole loop run as staff run
//! it, only through the pages, by four people in turn. Screenshots of the
//! console are taken on the way; with `REDRESS_SCREENSHOTS=DIR` they are
//! kept there (the README's come from `docs/screenshots`).

mod common;

use common::chromium::{browser, choose, click, fill, flash, screenshot, sign_in, sign_out, submit, text_of, PASSWORD};
use common::Backend;
use serde_json::json;

both_backends!(the_loop_in_chromium);

async fn the_loop_in_chromium(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let staff = |name: &str, role: &str, mandate: &str| json!({ "name": name, "email": format!("{}@example.com", name.to_lowercase()), "role": role, "mandate": mandate, "password": PASSWORD });
    let max = app.ok(&app.admin, "/api/v1/users", staff("Max", "manager", "500")).await["id"].as_i64().unwrap();
    app.ok(&app.admin, "/api/v1/users", staff("Alice", "agent", "50")).await;
    app.ok(&app.admin, "/api/v1/users", staff("Bob", "agent", "50")).await;
    let problem = app.ok(&app.admin, "/api/v1/problems", json!({ "title": "Thin packaging" })).await["id"].as_i64().unwrap();
    let (_driver, c) = browser().await;
    c.set_window_size(1280, 1100).await.unwrap();

    // Alice takes a phone call and logs it.
    sign_in(&c, &app, "alice@example.com").await;
    submit(&c, "#log-complaint").await;
    fill(&c, "#customer-email", "grace@example.com").await;
    fill(&c, "#customer-name", "Grace <Hopper>").await;
    fill(&c, "#case-summary", "Vase arrived broken").await;
    fill(&c, "#case-description", "The box was crushed; <script>window.__xss = 1</script>").await;
    fill(&c, "#case-desired", "A new vase").await;
    screenshot(&c, b, "console-new-case").await;
    submit(&c, "#new-case-submit").await;
    assert!(flash(&c).await.contains("opened"));
    let case_url = c.current_url().await.unwrap().to_string();
    assert!(text_of(&c, "#customer").await.contains("Grace <Hopper>"), "typed HTML shown as text");
    assert_eq!(c.execute("return window.__xss === undefined", vec![]).await.unwrap(), json!(true), "and never run");

    // She answers the customer and proposes a remedy above her mandate.
    click(&c, "#step-communications summary").await;
    fill(&c, "#comm-body", "Called Grace, heard her out and apologised.").await;
    submit(&c, "#comm-submit").await;
    assert_eq!(flash(&c).await, "Contact recorded.");
    click(&c, "#step-actions summary").await;
    fill(&c, "#action-description", "Replace the vase and refund the delivery").await;
    choose(&c, "#action-kind", "replacement").await;
    fill(&c, "#action-value", "120").await;
    choose(&c, "#action-preventive-owner", &max.to_string()).await;
    submit(&c, "#action-submit").await;
    assert!(c.source().await.unwrap().contains("Awaiting approval"));
    assert!(!c.source().await.unwrap().contains(r#"id="form-follow-up""#), "the owner is offered no follow-up");
    sign_out(&c).await;

    // Max approves it from his approval queue and records the prevention.
    sign_in(&c, &app, "max@example.com").await;
    submit(&c, "#queue-approvals").await;
    screenshot(&c, b, "console-home").await;
    submit(&c, "#cases a").await;
    click(&c, "#decision-approve").await;
    fill(&c, "#approval-note", "Fair, she was patient").await;
    submit(&c, "#approve-submit").await;
    assert_eq!(flash(&c).await, "Decision recorded.");
    click(&c, "#step-preventive summary").await;
    fill(&c, "#prev-cause", "Single-walled boxes for glassware").await;
    fill(&c, "#prev-action", "Double-walled boxes for every fragile item").await;
    choose(&c, "#prev-problem", &problem.to_string()).await;
    submit(&c, "#prev-submit").await;
    assert_eq!(flash(&c).await, "Preventive action recorded.");
    c.goto(&format!("{}/console/surveys", app.base)).await.unwrap();
    fill(&c, "#survey-title", "After your delivery").await;
    fill(&c, "#q1-prompt", "How punctual was your delivery?").await;
    fill(&c, "#q2-prompt", "Which van came?").await;
    choose(&c, "#q2-kind", "choice").await;
    fill(&c, "#q2-options", "Red, Blue").await;
    c.execute("document.getElementById('form-new-survey').scrollIntoView()", vec![]).await.unwrap();
    screenshot(&c, b, "console-survey-builder").await;
    sign_out(&c).await;

    // Bob, not the owner, makes the independent follow-up.
    sign_in(&c, &app, "bob@example.com").await;
    submit(&c, "#queue-follow-ups").await;
    submit(&c, "#cases a").await;
    click(&c, "#step-follow-up summary").await;
    click(&c, "#fu-resolved").await;
    click(&c, "#fu-sat-5").await;
    click(&c, "#fu-confirmed").await;
    submit(&c, "#fu-submit").await;
    assert_eq!(flash(&c).await, "Follow-up recorded.");
    sign_out(&c).await;

    // Alice closes it; the timeline tells the whole story.
    sign_in(&c, &app, "alice@example.com").await;
    c.goto(&case_url).await.unwrap();
    screenshot(&c, b, "console-case").await;
    click(&c, "#step-close summary").await;
    submit(&c, "#close-submit").await;
    assert!(flash(&c).await.starts_with("Case closed."));
    let timeline = text_of(&c, "#timeline").await;
    for (who, what) in [
        ("Alice", "Case captured from phone"),
        ("Alice", "Outbound contact"),
        ("Alice", "exceeds the proposer"),
        ("Max", "approved"),
        ("Max", "Preventive"),
        ("Bob", "Independent follow-up"),
        ("Alice", "closed"),
    ] {
        assert!(timeline.lines().any(|l| l.contains(who) && l.to_lowercase().contains(&what.to_lowercase())), "{who} / {what} in\n{timeline}");
    }
    c.close().await.unwrap();
}
