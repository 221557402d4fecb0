//! Case text search through the database's full-text index (FTS5 on
//! SQLite, a GIN-indexed tsvector on PostgreSQL): words found as prefixes
//! in any order, ranked with the summary above the description, the
//! customer's name and references too, and nothing typed reaching the
//! index's own query syntax. On both backends.

mod common;

use common::forms::Browser;
use common::Backend;
use reqwest::StatusCode;
use serde_json::json;

both_backends!(search_finds_words_ranks_matches_and_reads_anything);

async fn search_finds_words_ranks_matches_and_reads_anything(b: Backend) {
    let app = common::spawn(b).await;
    app.ok(&app.admin, "/api/v1/users", json!({ "name": "Quinn", "email": "quinn@example.com", "role": "manager", "mandate": "100", "password": "correct horse battery" })).await;
    let customer = app.customer().await;
    let grace = app.ok(&app.admin, "/api/v1/customers", json!({ "name": "Grace Hopper" })).await["id"].as_i64().unwrap();
    let open = |customer: i64, summary: &'static str, description: &'static str| {
        let app = &app;
        async move {
            app.ok(&app.admin, "/api/v1/cases", json!({ "customer_id": customer, "channel": "phone", "summary": summary, "description": description })).await["id"].as_i64().unwrap()
        }
    };
    let kettle = open(customer, "Kettle leaks", "It leaks onto the vase shelf").await;
    let vase = open(customer, "Vase arrived broken", "Shattered in the box").await;
    let heater = open(grace, "Heater is noisy", "Rattles at night").await;
    let ids = |v: serde_json::Value| v["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect::<Vec<_>>();

    let (_, found) = app.get(&app.admin, "/api/v1/cases?q=vase").await;
    assert_eq!(ids(found), vec![vase, kettle], "both, newest first");
    let (_, found) = app.get(&app.admin, "/api/v1/cases?q=BROK%20vas").await;
    assert_eq!(ids(found), vec![vase], "every word, as a prefix, in any case");
    let (_, found) = app.get(&app.admin, "/api/v1/cases?q=grace").await;
    assert_eq!(ids(found), vec![heater], "the customer's name");
    for part in ["opp", "race%20HOP", "Ho", "r%20H"] {
        let (_, found) = app.get(&app.admin, &format!("/api/v1/cases?q={part}")).await;
        assert_eq!(ids(found), vec![heater], "any part of the customer's name, in any case: {part}");
    }
    let (_, found) = app.get(&app.admin, "/api/v1/cases?q=Gr_ce").await;
    assert!(ids(found).is_empty(), "a typed _ is a character, not a wildcard");
    let (_, found) = app.get(&app.admin, &format!("/api/v1/cases?q=RD-{kettle}")).await;
    assert_eq!(ids(found), vec![kettle], "a reference");
    for hostile in ["%22vase%22%20OR%20*", "NEAR(a%20b)", "vase:*%20%7C%20!x", "%27%3B--", "%E2%80%94%E2%80%94", "(((", "a%5Cb"] {
        let (status, v) = app.get(&app.admin, &format!("/api/v1/cases?q={hostile}")).await;
        assert_eq!(status, StatusCode::OK, "{hostile}: {v}");
    }

    // Words and names found together, newest first, page by page and under other filters.
    let period = app.ok(&app.admin, "/api/v1/cases", json!({ "customer_id": customer, "channel": "email", "summary": "Grace period ignored", "description": "Charged a late fee" })).await["id"].as_i64().unwrap();
    let (_, found) = app.get(&app.admin, "/api/v1/cases?q=grace").await;
    assert_eq!(ids(found), vec![period, heater], "by its words and by its customer's name");
    let (_, page) = app.get(&app.admin, "/api/v1/cases?q=grace&limit=1").await;
    let next = page["next_before"].as_i64().unwrap();
    assert_eq!(ids(page), vec![period]);
    let (_, page) = app.get(&app.admin, &format!("/api/v1/cases?q=grace&limit=1&before={next}")).await;
    assert_eq!(ids(page), vec![heater]);
    let (_, found) = app.get(&app.admin, "/api/v1/cases?q=grace&channel=phone").await;
    assert_eq!(ids(found), vec![heater]);

    // The console ranks the summary's match above the description's.
    let quinn = Browser::sign_in(&app, "quinn@example.com", "correct horse battery").await;
    let (_, html) = quinn.get("/console?queue=open&q=vase&sort=best").await;
    let (first, second) = (html.find(&format!("RD-{vase}")).unwrap(), html.find(&format!("RD-{kettle}")).unwrap());
    assert!(first < second, "best match first");
    assert!(!html.contains(&format!("RD-{heater}")));
    let (_, html) = quinn.get("/console?queue=open&q=vase&sort=oldest").await;
    assert!(html.find(&format!("RD-{kettle}")).unwrap() < html.find(&format!("RD-{vase}")).unwrap(), "or in the order asked for");
    let (_, html) = quinn.get("/console?queue=open&q=grace&sort=oldest").await;
    assert!(html.find(&format!("RD-{heater}")).unwrap() < html.find(&format!("RD-{period}")).unwrap(), "words and names, oldest first");
    // Best first, a case found by its words comes before a newer one found by its customer's name.
    let boiler = open(grace, "Boiler broken", "No hot water").await;
    let (_, html) = quinn.get("/console?queue=open&q=grace&sort=best").await;
    let at = |id: i64| html.find(&format!("RD-{id}")).unwrap();
    assert!(at(period) < at(boiler) && at(boiler) < at(heater), "words first, then names newest first");

    // A corrected summary is found by its new words, not its old ones.
    app.send(reqwest::Method::PATCH, Some(&app.admin), &format!("/api/v1/cases/{heater}"), Some(json!({ "summary": "Radiator is noisy" }))).await;
    let (_, found) = app.get(&app.admin, "/api/v1/cases?q=radiator").await;
    assert_eq!(ids(found), vec![heater]);
    let (_, found) = app.get(&app.admin, "/api/v1/cases?q=heater").await;
    assert!(ids(found).is_empty());
}
