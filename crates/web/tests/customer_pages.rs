//! What customers do on the web, over plain HTTP as a browser without
//! script would: the complaint form (with its limits), the private status
//! page (with its privacy, revocation and guessing limit), messages both
//! ways, and every public page in each language. On both backends.

mod common;

use common::forms::Browser;
use common::{eventually, smtp, Backend, TestApp};
use redress_mail::sink::SmtpSink;
use reqwest::StatusCode;
use serde_json::{json, Value};

both_backends!(
    a_complaint_with_a_photo_opens_a_web_case_with_a_status_link,
    the_complaint_form_refuses_and_stores_nothing,
    fifty_complaints_a_minute_meet_429,
    the_status_page_shows_only_this_case_and_what_the_customer_may_see,
    a_withdrawn_or_wrong_link_is_404_and_guessing_meets_429,
    messages_go_both_ways_between_the_status_page_and_the_case,
    pages_and_emails_speak_the_customers_language,
    every_public_page_is_fully_translated,
    the_acknowledgement_email_carries_a_working_status_link,
);

/// A small JPEG-looking photo.
fn photo(size: usize) -> Vec<u8> {
    let mut p = vec![0xFF, 0xD8, 0xFF, 0xE0];
    p.resize(size, 0x42);
    p
}

fn complaint<'a>(name: &'a str, email: &'a str, summary: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("email", email),
        ("phone", "+44 20 7946 0000"),
        ("summary", summary),
        ("description", "The vase was in pieces when I opened the box."),
        ("occurred_date", "2026-11-19"),
        ("occurred_time", "10:30"),
        ("desired_resolution", "A new vase"),
        ("order_reference", "ORD-991"),
        ("website", ""),
    ]
}

/// The `href` of the element with `id`.
fn href_of(html: &str, id: &str) -> String {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {html}"));
    let before = &html[..at];
    let start = before.rfind("href=\"").expect("an href") + 6;
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_string()
}

/// The path of a status link (`/status/…`).
fn path_of(url: &str) -> String {
    url[url.find("/status/").expect("a status link")..].to_string()
}

/// Files a complaint as a new visitor; answers the answer page's HTML and the status page's path.
async fn file(app: &TestApp, name: &str, email: &str, summary: &str) -> (String, String) {
    let v = Browser::visitor(app, "/complain", None).await;
    let resp = v.post_multipart("/complain", &complaint(name, email, summary), &[("files", "vase.jpg", "image/jpeg", photo(2048))]).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let html = resp.text().await.unwrap();
    let link = path_of(&href_of(&html, "status-link"));
    (html, link)
}

async fn cases(app: &TestApp) -> Vec<Value> {
    app.get(&app.admin, "/api/v1/cases").await.1["items"].as_array().unwrap().clone()
}

async fn a_complaint_with_a_photo_opens_a_web_case_with_a_status_link(b: Backend) {
    let app = common::spawn(b).await;
    let (html, link) = file(&app, "Grace Hopper", "grace@example.com", "Vase arrived broken").await;
    assert!(html.contains("RD-1"), "the reference: {html}");
    assert!(html.contains("2 working days"), "the first-response target in words: {html}");
    assert!(html.contains("Tuesday 24 November 2026, 16:59"), "by when, in business time: {html}");
    let token = link.trim_start_matches("/status/");
    assert!(token.len() >= 32 && token.bytes().all(|c| c.is_ascii_hexdigit()), "at least 128 random bits: {token}");

    let all = cases(&app).await;
    assert_eq!(all.len(), 1);
    let case = app.case_json(all[0]["id"].as_i64().unwrap()).await;
    assert_eq!(case["channel"], "web");
    assert_eq!(case["summary"], "Vase arrived broken");
    assert_eq!(case["desired_resolution"], "A new vase");
    assert_eq!(case["order_reference"], "ORD-991");
    assert_eq!(case["occurred_at"], "2026-11-19T10:30:00Z");
    assert_eq!(case["identification_lag_seconds"], 30 * 3600 + 29 * 60);
    assert_eq!(case["timeline"][0]["actor_id"], Value::Null, "the customer reported it, not staff");
    assert!(case["timeline"].as_array().unwrap().iter().any(|e| e["kind"] == "attachments_received"));
    let (_, files) = app.get(&app.admin, &format!("/api/v1/cases/{}/attachments", case["id"])).await;
    assert_eq!(files[0]["filename"], "vase.jpg");
    assert_eq!(files[0]["size"], 2048);
    let (_, customers) = app.get(&app.admin, "/api/v1/customers").await;
    assert_eq!(customers[0]["email"], "grace@example.com");
    assert_eq!(customers[0]["phone"], "+44 20 7946 0000");
    assert_eq!(customers[0]["language"], "en");
    let (_, notes) = app.get(&app.admin, "/api/v1/notifications?kind=complaint_received").await;
    assert_eq!(notes.as_array().unwrap().len(), 1, "the acknowledgement: {notes}");
    assert!(notes[0]["subject"].as_str().unwrap().contains("[RD-1]"));
    assert_eq!(notes[0]["address"], "grace@example.com");
    assert!(!notes[0]["body"].as_str().unwrap().contains(token), "no working link is stored with the message");

    let v = Browser::anonymous(&app);
    let (status, page) = v.get(&link).await;
    assert_eq!(status, StatusCode::OK);
    for text in ["RD-1", "Vase arrived broken", "The vase was in pieces", "ORD-991", "vase.jpg", "Received"] {
        assert!(page.contains(text), "{text} on the status page");
    }

    // A second complaint from the same address belongs to the same customer.
    file(&app, "G. Hopper", "GRACE@example.com", "Second problem").await;
    let (_, customers) = app.get(&app.admin, "/api/v1/customers").await;
    assert_eq!(customers.as_array().unwrap().len(), 1, "found by e-mail, not created again");
}

async fn nothing_stored(app: &TestApp) {
    assert!(cases(app).await.is_empty(), "no case");
    assert!(app.get(&app.admin, "/api/v1/customers").await.1.as_array().unwrap().is_empty(), "no customer");
}

async fn the_complaint_form_refuses_and_stores_nothing(b: Backend) {
    let app = common::spawn(b).await;
    let v = Browser::visitor(&app, "/complain", None).await;

    let mut fields = complaint("Grace", "", "Vase arrived broken");
    let resp = v.post_multipart("/complain", &fields, &[]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Please give your e-mail address"), "{html}");
    assert!(html.contains("value=\"Vase arrived broken\""), "what was typed is kept");
    nothing_stored(&app).await;

    fields[1] = ("email", "grace@example.com");
    let resp = v.post_multipart("/complain", &fields, &[("files", "huge.jpg", "image/jpeg", photo(10 * 1024 * 1024))]).await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let html = resp.text().await.unwrap();
    assert!(html.contains("The file \"huge.jpg\" is too large") || html.contains("The file &#34;huge.jpg&#34; is too large"), "{html}");
    assert!(html.contains("5 MB"), "{html}");
    nothing_stored(&app).await;

    let resp = v.post_multipart("/complain", &fields, &[("files", "a.jpg", "image/jpeg", photo(10)), ("files", "b.jpg", "image/jpeg", photo(10)), ("files", "c.jpg", "image/jpeg", photo(10)), ("files", "d.jpg", "image/jpeg", photo(10))]).await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(resp.text().await.unwrap().contains("at most 3 files"));
    nothing_stored(&app).await;

    let mut spam = fields.clone();
    spam.retain(|(k, _)| *k != "website");
    spam.push(("website", "http://spam.example"));
    let resp = v.post_multipart("/complain", &spam, &[]).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("a field that must stay empty was filled in"));
    nothing_stored(&app).await;

    let mut future = fields.clone();
    future[5] = ("occurred_date", "2026-12-24");
    let resp = v.post_multipart("/complain", &future, &[]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("cannot be in the future"));
    let mut bad_date = fields.clone();
    bad_date[5] = ("occurred_date", "last tuesday");
    assert_eq!(v.post_multipart("/complain", &bad_date, &[]).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut bad_email = fields.clone();
    bad_email[1] = ("email", "grace at example");
    let resp = v.post_multipart("/complain", &bad_email, &[]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("does not look like an e-mail address"));
    nothing_stored(&app).await;

    // A form without its CSRF token, or not a form at all.
    let forged = common::forms::client().post(format!("{}/complain", app.base)).multipart(reqwest::multipart::Form::new().text("name", "x")).send().await.unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let junk = common::forms::client().post(format!("{}/complain", app.base)).header("content-type", "text/plain").body("hello").send().await.unwrap();
    assert_eq!(junk.status(), StatusCode::BAD_REQUEST);
    nothing_stored(&app).await;
}

async fn fifty_complaints_a_minute_meet_429(b: Backend) {
    let app = common::spawn(b).await;
    let v = Browser::visitor(&app, "/complain", None).await;
    let mut statuses = Vec::new();
    for i in 0..50 {
        let email = format!("spam{i}@example.com");
        let resp = v.post_multipart("/complain", &complaint("Spammer", &email, "Again"), &[]).await;
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            let wait: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=600).contains(&wait), "{wait}");
        }
        statuses.push(resp.status());
    }
    assert!(statuses[..10].iter().all(|s| *s == StatusCode::CREATED), "{statuses:?}");
    assert!(statuses[10..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    assert_eq!(cases(&app).await.len(), 10, "refused submissions store nothing");
}

async fn the_status_page_shows_only_this_case_and_what_the_customer_may_see(b: Backend) {
    let app = common::spawn(b).await;
    let (_, mine) = file(&app, "Grace Hopper", "grace@example.com", "Vase arrived broken").await;
    let (_, theirs) = file(&app, "Alan Turing", "alan@example.com", "Enigma manual missing").await;
    let ids: Vec<i64> = cases(&app).await.iter().map(|c| c["id"].as_i64().unwrap()).collect();
    let grace = *ids.iter().min().unwrap();
    // Staff work Grace's case: things the customer must never see.
    let (_, agent) = app.user("agent", "10").await;
    app.ok(&app.admin, &format!("/api/v1/cases/{grace}/transfer"), json!({ "to_user_id": 2, "reason": "INTERNAL-TRANSFER-REASON" })).await;
    app.send(reqwest::Method::PATCH, Some(&agent), &format!("/api/v1/cases/{grace}"), Some(json!({ "facts": "INTERNAL-FACTS" }))).await;
    app.ok(&agent, &format!("/api/v1/cases/{grace}/communications"), json!({ "direction": "outbound", "channel": "phone", "body": "INTERNAL-CALL-NOTE" })).await;
    app.ok(&agent, &format!("/api/v1/cases/{grace}/actions"), json!({ "description": "Refund the vase", "remedy_value": "500" })).await;
    app.ok(&agent, &format!("/api/v1/cases/{grace}/deviations"), json!({ "step": "apology", "reason": "INTERNAL-DEVIATION-REASON" })).await;

    let v = Browser::anonymous(&app);
    let (_, page) = v.get(&mine).await;
    assert!(page.contains("Vase arrived broken"));
    assert!(page.contains("We spoke with you"), "the call is mentioned");
    for secret in ["INTERNAL-", "Enigma", "alan@example.com", "Alan", "mandate", "500.00", "€500", "Refund the vase", "approval"] {
        assert!(!page.contains(secret), "{secret} must not show on the customer's page");
    }
    let (_, other) = v.get(&theirs).await;
    assert!(other.contains("Enigma manual missing") && !other.contains("Vase"), "each link shows its own case only");
    let (_, html) = v.get(&format!("{mine}?lang=de")).await;
    assert!(!html.contains("INTERNAL-"));
}

async fn a_withdrawn_or_wrong_link_is_404_and_guessing_meets_429(b: Backend) {
    let app = common::spawn(b).await;
    let (_, link) = file(&app, "Grace Hopper", "grace@example.com", "Vase arrived broken").await;
    let id = cases(&app).await[0]["id"].as_i64().unwrap();
    let v = Browser::anonymous(&app);
    assert_eq!(v.get(&link).await.0, StatusCode::OK);
    let (_, agent) = app.user("agent", "10").await;
    let (status, _) = app.send(reqwest::Method::DELETE, Some(&agent), &format!("/api/v1/cases/{id}/status-links"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the owner or a supervisor withdraws links");
    let (status, _) = app.send(reqwest::Method::DELETE, Some(&app.admin), &format!("/api/v1/cases/{id}/status-links"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(app.case_json(id).await["timeline"].as_array().unwrap().iter().any(|e| e["kind"] == "status_links_revoked"));
    let (status, html) = v.get(&link).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a withdrawn link");
    assert!(html.contains("does not lead to a case") && !html.contains("Vase"));
    // Nine more wrong links are plain 404s; the eleventh attempt waits.
    for i in 0..9 {
        let (status, _) = v.get(&format!("/status/{:048x}", i)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let resp = common::forms::client().get(format!("{}/status/nonsense", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().contains_key("retry-after"));
}

async fn messages_go_both_ways_between_the_status_page_and_the_case(b: Backend) {
    let app = common::spawn(b).await;
    let (_, link) = file(&app, "Grace Hopper", "grace@example.com", "Vase arrived broken").await;
    let id = cases(&app).await[0]["id"].as_i64().unwrap();
    let v = Browser::visitor(&app, &link, None).await;

    let empty = v.post_multipart(&link, &[("message", "  ")], &[]).await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text().await.unwrap().contains("Please write a message"));
    let resp = v.post_multipart(&link, &[("message", "Here is the receipt. <b>bold</b>")], &[("files", "receipt.pdf", "application/pdf", photo(100))]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, page) = v.get(&link).await;
    assert!(page.contains("Here is the receipt. &#60;b&#62;bold&#60;/b&#62;") || page.contains("Here is the receipt. &lt;b&gt;"), "shown, escaped: {page}");
    assert!(page.contains("has reached"), "the notice after sending");
    assert!(page.contains("receipt.pdf"));

    let case = app.case_json(id).await;
    let inbound = case["communications"].as_array().unwrap().iter().find(|c| c["direction"] == "inbound").expect("an inbound communication").clone();
    assert_eq!(inbound["channel"], "web");
    assert_eq!(inbound["actor_id"], Value::Null);
    assert!(case["timeline"].as_array().unwrap().iter().any(|e| e["kind"] == "customer_message"));
    let (_, notes) = app.get(&app.admin, "/api/v1/notifications?kind=case_message").await;
    assert_eq!(notes[0]["recipient"]["kind"], "user", "the owner is told: {notes}");
    assert_eq!(notes[0]["recipient"]["id"], case["owner_id"]);

    // The owner replies for the status page: the customer sees it there and gets it by e-mail.
    app.ok(&app.admin, &format!("/api/v1/cases/{id}/communications"), json!({ "direction": "outbound", "channel": "web", "body": "A new vase leaves today." })).await;
    let (_, page) = v.get(&link).await;
    assert!(page.contains("A new vase leaves today."));
    assert!(page.contains("class=\"done\""), "the first response moved the case on");
    let (_, notes) = app.get(&app.admin, "/api/v1/notifications?kind=reply").await;
    assert_eq!(notes[0]["address"], "grace@example.com");
    assert!(notes[0]["body"].as_str().unwrap().contains("A new vase leaves today."));
}

async fn pages_and_emails_speak_the_customers_language(b: Backend) {
    let app = common::spawn(b).await;
    // A browser that asks for German gets German.
    let de = Browser::visitor(&app, "/complain", Some("de-DE,de;q=0.9,en;q=0.5")).await;
    let (_, html) = de.get("/complain").await;
    assert!(html.contains("<html lang=\"de\">") && html.contains("Ein Problem melden"), "{html}");
    let resp = de.post_multipart("/complain", &complaint("Grete Müller", "grete@example.com", "Vase kaputt"), &[]).await;
    let html = resp.text().await.unwrap();
    assert!(html.contains("Danke, wir haben Ihre Beschwerde erhalten") && html.contains("2 Werktagen") && html.contains("Dienstag, 24. November 2026"), "{html}");
    let (_, customers) = app.get(&app.admin, "/api/v1/customers").await;
    assert_eq!(customers[0]["language"], "de", "the language she wrote in is kept");
    let (_, notes) = app.get(&app.admin, "/api/v1/notifications?kind=complaint_received").await;
    assert!(notes[0]["subject"].as_str().unwrap().starts_with("Wir haben Ihre Beschwerde erhalten"), "{notes}");
    assert!(notes[0]["body"].as_str().unwrap().starts_with("Guten Tag Grete Müller,"));

    // The switch: a visitor who chose English keeps it.
    let en = Browser::visitor(&app, "/?lang=en", Some("de")).await;
    let (_, html) = en.get("/complain").await;
    assert!(html.contains("Tell us about a problem"), "the choice is remembered");

    // A customer whose record says German, on a browser that says nothing.
    let c = app.ok(&app.admin, "/api/v1/customers", json!({ "name": "Hans", "email": "hans@example.com", "language": "de" })).await;
    let survey = app.ok(&app.admin, "/api/v1/surveys", json!({ "title": "Umfrage", "thank_you": "Danke!", "questions": [{ "key": "q", "prompt": "Wie war es?", "kind": "rating" }] })).await;
    let code = common::invite(&app, survey["id"].as_i64().unwrap(), c["id"].as_i64().unwrap(), json!({})).await;
    let v = Browser::visitor(&app, "/survey", None).await;
    let (_, html) = v.get("/survey").await;
    assert!(html.contains("Here to complete a survey?"), "no language known yet: the organisation's");
    let html = v.post("/survey", &[("code", &code)]).await.text().await.unwrap();
    assert!(html.contains("Antworten senden") && html.contains("<html lang=\"de\">"), "{html}");
    let html = v.post("/survey/answers", &[("code", &code), ("q.q", "5")]).await.text().await.unwrap();
    assert!(html.contains("Vielen Dank"), "{html}");
    let (_, notes) = app.get(&app.admin, "/api/v1/notifications?kind=acknowledgement").await;
    assert!(notes[0]["body"].as_str().unwrap().contains("Wir lesen jede Antwort"), "{notes}");

    // Bad language codes are refused by the API.
    let (status, v) = app.post(&app.admin, "/api/v1/customers", json!({ "name": "X", "language": "klingon" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
}

/// Message ids of the English catalog (every catalog has the same ones).
fn catalog_ids() -> Vec<String> {
    include_str!("../../i18n/locales/en.ftl")
        .lines()
        .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim()))
        .filter(|id| id.contains('-') && !id.starts_with('#') && !id.starts_with(' ') && !id.is_empty())
        .map(str::to_string)
        .collect()
}

async fn every_public_page_is_fully_translated(b: Backend) {
    let app = common::spawn(b).await;
    let ids = catalog_ids();
    assert!(ids.len() > 50, "{ids:?}");
    let c = app.ok(&app.admin, "/api/v1/customers", json!({ "name": "Ada", "email": "ada@example.com" })).await;
    let survey = app.ok(&app.admin, "/api/v1/surveys", json!({ "title": "S", "thank_you": "♥", "questions": [{ "key": "r", "prompt": "Rate", "kind": "rating" }, { "key": "n", "prompt": "Recommend", "kind": "nps" }, { "key": "t", "prompt": "Say", "kind": "text", "required": false }] })).await;
    let survey = survey["id"].as_i64().unwrap();
    let (_, link) = file(&app, "Grace Hopper", "grace@example.com", "Vase arrived broken").await;
    let case = cases(&app).await[0]["id"].as_i64().unwrap();
    let report = app.ok(&app.admin, &format!("/api/v1/cases/{case}/reports"), json!({ "summary": "What went wrong", "actions": ["A new vase"] })).await;
    let report = report["report_url"].as_str().unwrap();
    let report = &report[report.find("/reports/").unwrap()..];
    for (lang, marker) in [("en", "lang=\"en\""), ("de", "lang=\"de\"")] {
        let v = Browser::visitor(&app, &format!("/?lang={lang}"), None).await;
        let code = common::invite(&app, survey, c["id"].as_i64().unwrap(), json!({})).await;
        let mut pages = Vec::new();
        for path in ["/", "/complain", "/survey", link.as_str(), report, "/status/0000", "/reports/nope"] {
            pages.push((path.to_string(), v.get(path).await.1));
        }
        pages.push(("complaint refused".into(), v.post_multipart("/complain", &complaint("G", "", "S"), &[]).await.text().await.unwrap()));
        pages.push(("complaint done".into(), v.post_multipart("/complain", &complaint("G", &format!("g-{lang}@example.com"), "S"), &[]).await.text().await.unwrap()));
        pages.push(("wrong code".into(), v.post("/survey", &[("code", "AAAA-AAAA-AAAA")]).await.text().await.unwrap()));
        pages.push(("survey form".into(), v.post("/survey", &[("code", &code)]).await.text().await.unwrap()));
        pages.push(("survey thanks".into(), v.post("/survey/answers", &[("code", &code), ("q.r", "4"), ("q.n", "9")]).await.text().await.unwrap()));
        pages.push(("message refused".into(), v.post_multipart(&link, &[("message", "")], &[]).await.text().await.unwrap()));
        pages.push(("expired form".into(), v.post_raw("/survey", &[("code", "x")]).await.text().await.unwrap()));
        for (what, html) in &pages {
            assert!(html.contains(marker), "{what} in {lang}: {html}");
            for id in &ids {
                assert!(!html.contains(id.as_str()), "{what} in {lang} shows the untranslated key {id}");
            }
        }
        if lang == "de" {
            for (what, html) in &pages {
                for english in ["Tell us", "Thank you", "Please", "Send my", "Go back", "What happened"] {
                    assert!(!html.contains(english), "{what} in German still says {english:?}");
                }
            }
        }
    }
}

async fn the_acknowledgement_email_carries_a_working_status_link(b: Backend) {
    let sink = SmtpSink::start().await.unwrap();
    let app = common::spawn_with_worker(b, smtp(sink.port)).await;
    let de = Browser::visitor(&app, "/complain", Some("de")).await;
    let resp = de.post_multipart("/complain", &complaint("Grete", "grete@example.com", "Vase kaputt"), &[]).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    eventually("the acknowledgement", || async { !sink.messages().is_empty() }).await;
    let m = sink.messages()[0].clone();
    assert_eq!(m.to, vec!["grete@example.com".to_string()]);
    let mail = redress_mail::inbound::parse(m.data.as_bytes(), 1 << 20).unwrap();
    assert!(mail.subject.contains("[RD-1]") && mail.subject.starts_with("Wir haben"), "{}", mail.subject);
    assert!(mail.text.contains("Verfolgen Sie Ihren Vorgang"), "the footer, in German: {}", mail.text);
    let url = mail.text.split_whitespace().find(|w| w.contains("/status/")).expect("a status link").to_string();
    let (status, page) = Browser::anonymous(&app).get(&path_of(&url)).await;
    assert_eq!(status, StatusCode::OK, "the e-mailed link works");
    assert!(page.contains("Vase kaputt") && page.contains("lang=\"de\""));
    // Its own link, not the answer page's: each customer e-mail carries a fresh one.
    let answer = path_of(&href_of(&resp.text().await.unwrap(), "status-link"));
    assert_ne!(answer, path_of(&url));
}
