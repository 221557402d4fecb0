//! The staff console over plain HTTP: the whole loop run through the case
//! page's forms, and every refusal shown on the page with the input kept.
//! On both backends.

mod common;

use common::forms::{client, Browser};
use common::{invite, world, Backend, TestApp};
use reqwest::{header, StatusCode};
use serde_json::{json, Value};

both_backends!(
    the_loop_runs_through_the_case_page,
    refusals_show_on_the_page_with_input_kept,
    queues_count_filter_sort_and_page,
    a_complaint_is_logged_with_its_customer_or_not_at_all,
    admins_manage_staff_and_others_may_not,
    problems_gather_their_cases_and_what_they_cost,
    a_customer_page_shows_their_cases_responses_and_rewards,
    admins_set_the_organisation_up,
    service_areas_and_integrations,
    surveys_are_built_previewed_and_sent,
    admins_edit_the_follow_up_rules,
    the_case_page_corrects_details_and_offers_its_files,
    the_owner_assigns_a_colleague_who_then_works_the_case
);

const PASSWORD: &str = "correct horse battery";

async fn staff(app: &TestApp, name: &str, role: &str, mandate: &str, manager: Option<i64>) -> (i64, Browser) {
    let email = format!("{}@example.com", name.to_lowercase());
    let u = app.ok(&app.admin, "/api/v1/users", json!({ "name": name, "email": email, "role": role, "mandate": mandate, "manager_id": manager, "password": PASSWORD })).await;
    (u["id"].as_i64().unwrap(), Browser::sign_in(app, &email, PASSWORD).await)
}

/// `text` as the pages escape it.
fn escaped(text: &str) -> String {
    text.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;").replace('"', "&#34;").replace('\'', "&#39;")
}

async fn token_of(app: &TestApp, user: i64) -> String {
    app.ok(&app.admin, &format!("/api/v1/users/{user}/tokens"), json!({})).await["token"].as_str().unwrap().to_string()
}

/// Posts a step's form and expects the redirect back to the case page.
async fn step(b: &Browser, case: i64, step: &str, fields: &[(&str, &str)]) {
    let resp = b.post(&format!("/console/cases/{case}/{step}"), fields).await;
    let status = resp.status();
    let location = resp.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_string());
    assert_eq!(status, StatusCode::SEE_OTHER, "{step}: {}", resp.text().await.unwrap());
    assert_eq!(location.as_deref(), Some(format!("/console/cases/{case}").as_str()), "{step}");
}

async fn case_json(app: &TestApp, case: i64) -> Value {
    app.get(&app.admin, &format!("/api/v1/cases/{case}")).await.1
}

async fn the_loop_runs_through_the_case_page(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (big, big_manager) = staff(&app, "Max", "manager", "500", None).await;
    let (_, small_manager) = staff(&app, "Mia", "manager", "100", None).await;
    let (alice, agent) = staff(&app, "Alice", "agent", "50", Some(big)).await;
    let (_, colleague) = staff(&app, "Bob", "agent", "50", Some(big)).await;
    let customer = app.customer().await;
    let problem = app.ok(&app.admin, "/api/v1/problems", json!({ "title": "Thin packaging" })).await["id"].as_i64().unwrap();
    let token = token_of(&app, alice).await;
    let case = app.case(&token, customer, false).await;
    let page = format!("/console/cases/{case}");

    let (status, html) = agent.get(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Still to do") && html.contains("First response"), "plain words, not step names");
    step(&agent, case, "communications", &[("direction", "outbound"), ("channel", "phone"), ("body", "Called: <b>so sorry</b>, we will put it right.")]).await;
    let (_, html) = agent.get(&page).await;
    assert!(html.contains(r#"id="flash">Contact recorded."#), "the redirect's notice is shown");
    assert!(!agent.get(&page).await.1.contains(r#"id="flash""#), "once");
    assert!(html.contains(&escaped("Called: <b>so sorry</b>")), "typed HTML is shown as text");

    step(&agent, case, "actions", &[("description", "Refund the delivery charge"), ("remedy_kind", "refund"), ("remedy_value", "200"), ("preventive_owner_id", &big.to_string())]).await;
    assert_eq!(case_json(&app, case).await["status"], "awaiting_approval", "above the agent's mandate");

    // A manager whose mandate is too small sees why, and a forged post is refused.
    let (_, html) = small_manager.get(&page).await;
    assert!(!html.contains(r#"id="form-approvals""#) && html.contains("exceeds your mandate"), "{html}");
    let resp = small_manager.post(&format!("{page}/approvals"), &[("decision", "approve")]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.text().await.unwrap().contains("exceeds your mandate"));

    let (_, html) = big_manager.get(&page).await;
    assert!(html.contains(r#"id="form-approvals""#));
    step(&big_manager, case, "approvals", &[("decision", "approve"), ("note", "Fair")]).await;
    step(&big_manager, case, "preventive", &[("root_cause", "Thin boxes"), ("action", "Double-walled boxes"), ("problem_id", &problem.to_string())]).await;

    // The owner is not offered the follow-up, and may not forge one.
    let (_, html) = agent.get(&page).await;
    assert!(!html.contains(r#"id="form-follow-up""#), "no follow-up form for the owner");
    let resp = agent.post(&format!("{page}/follow-up"), &[("outcome", "resolved"), ("satisfaction", "5")]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.text().await.unwrap().contains("someone other than the case owner"));

    let (_, html) = colleague.get(&page).await;
    assert!(html.contains(r#"id="form-follow-up""#));
    for form in ["form-transfer", "form-close", "form-preventive", "form-deviations", "form-reports", "form-actions"] {
        assert!(!html.contains(&format!(r#"id="{form}""#)), "a colleague who does not steer the case is not offered {form}");
    }
    let resp = colleague.post(&format!("{page}/transfer"), &[("to_user_id", "1"), ("reason", "mine now")]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "nor may forge it");
    step(&colleague, case, "follow-up", &[("outcome", "resolved"), ("satisfaction", "5"), ("preventive_confirmed", "on"), ("notes", "Happy")]).await;
    step(&agent, case, "close", &[("note", "All done")]).await;

    let c = case_json(&app, case).await;
    assert_eq!(c["status"], "closed");
    assert_eq!(c["follow_ups"][0]["preventive_confirmed"], true);
    assert_eq!(c["preventive"]["problem_id"], problem);
    let (_, html) = agent.get(&page).await;
    assert!(!html.contains(r#"id="steps""#), "a closed case offers no steps");
    let timeline = &html[html.find(r#"id="timeline""#).unwrap()..];
    for (who, what) in [("Alice", "Outbound contact"), ("Alice", "exceeds the proposer"), ("Max", "approved"), ("Max", "Preventive"), ("Bob", "Independent follow-up"), ("Alice", "closed")] {
        assert!(timeline.lines().any(|l| l.contains(who) && l.to_lowercase().contains(&what.to_lowercase())), "{who} / {what} in\n{timeline}");
    }
}

async fn refusals_show_on_the_page_with_input_kept(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (alice, agent) = staff(&app, "Alice", "agent", "50", None).await;
    let customer = app.customer().await;
    let token = token_of(&app, alice).await;
    let case = app.case(&token, customer, false).await;
    let page = format!("/console/cases/{case}");
    let before = app.timeline_len(case).await;

    // A value that is not money: the API's words, the typed text kept.
    let resp = agent.post(&format!("{page}/gifts"), &[("description", "Flowers <script>alert(1)</script>"), ("cost", "lots")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains(r#"id="error""#) && html.contains("cost"), "{html}");
    assert!(html.contains(r#"value="lots""#), "the input is kept");
    assert!(!html.contains("<script>alert(1)</script>") && html.contains(&escaped("Flowers <script>")), "kept input is escaped");
    assert!(html.contains(r#"<details id="step-gifts" open>"#), "the refused form is open");

    // Above the mandate for a gift: the domain's refusal, word for word.
    let (_, api_refusal) = app.post(&token, &format!("/api/v1/cases/{case}/gifts"), json!({ "description": "Hamper", "cost": "80" })).await;
    let resp = agent.post(&format!("{page}/gifts"), &[("description", "Hamper"), ("cost", "80")]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let detail = api_refusal["detail"].as_str().unwrap();
    assert!(resp.text().await.unwrap().contains(&escaped(detail)), "the same message as the API: {detail}");

    // The formal report is previewed before it is sent; a preview stores nothing.
    let report = [("summary", "Boxes <thin>"), ("actions", "Retrain\nRe-route")];
    let mut preview = report.to_vec();
    preview.push(("preview", "1"));
    let resp = agent.post(&format!("{page}/reports"), &preview).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains(r#"id="report-preview""#) && html.contains(&escaped("Boxes <thin>")) && html.contains("<li>Re-route</li>"), "{html}");
    assert_eq!(app.timeline_len(case).await, before, "a preview stores nothing");
    let resp = agent.post(&format!("{page}/reports"), &report).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(agent.get(&page).await.1.contains("Its private link: http"), "the link is shown once, when sent");
    let before = app.timeline_len(case).await;

    // Closing too early names what is missing.
    let resp = agent.post(&format!("{page}/close"), &[]).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(resp.text().await.unwrap().contains("first_response"));

    // No CSRF token, an unknown step, another's session: refused, nothing stored.
    let resp = agent.post_raw(&format!("{page}/communications"), &[("direction", "outbound"), ("channel", "phone"), ("body", "x")]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = agent.post(&format!("{page}/teleport"), &[]).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = client().post(format!("{}{page}/communications", app.base)).form(&[("direction", "outbound")]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "signed out: sent to sign in");
    assert_eq!(app.timeline_len(case).await, before, "nothing was stored");
}

/// The count on a queue's tab of the home page.
fn tab_count(html: &str, queue: &str) -> Option<i64> {
    let at = html.find(&format!(r#"id="queue-{queue}""#))?;
    let rest = &html[at..];
    let count = rest.split(r#"<span class="count">"#).nth(1)?.split('<').next()?;
    count.trim().parse().ok()
}

/// The case references a list page shows, in order.
fn listed(html: &str) -> Vec<String> {
    let Some(at) = html.find(r#"id="cases""#) else { return Vec::new() };
    html[at..].split(r#"<a href="/console/cases/"#).skip(1).filter_map(|s| s.split('>').nth(1)?.split('<').next().map(str::to_string)).collect()
}

async fn queues_count_filter_sort_and_page(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (max_id, max) = staff(&app, "Max", "manager", "500", None).await;
    let (_, mia) = staff(&app, "Mia", "manager", "100", None).await;
    let (_, sam) = staff(&app, "Sam", "senior", "1000", None).await;
    let (alice_id, alice) = staff(&app, "Alice", "agent", "50", Some(max_id)).await;
    let (_, bob) = staff(&app, "Bob", "agent", "50", Some(max_id)).await;
    let alice_token = token_of(&app, alice_id).await;
    let customer = app.customer().await;
    let other = app.ok(&app.admin, "/api/v1/customers", json!({ "name": "Zebedee Quill", "timezone": "Europe/London" })).await["id"].as_i64().unwrap();
    for n in 0..52 {
        app.ok(&app.admin, "/api/v1/cases", json!({ "customer_id": customer, "channel": if n % 2 == 0 { "phone" } else { "email" }, "summary": format!("Parcel {n} late") })).await;
    }
    let quill = app.ok(&app.admin, "/api/v1/cases", json!({ "customer_id": other, "channel": "social", "summary": "Rude courier" })).await["id"].as_i64().unwrap();
    // Alice's own: one escalated above her mandate, one ready for follow-up, one significant and ready.
    let escalated = app.case(&alice_token, customer, false).await;
    app.ok(&alice_token, &format!("/api/v1/cases/{escalated}/actions"), json!({ "description": "Refund", "remedy_value": "200" })).await;
    let mut ready = Vec::new();
    for significant in [false, true] {
        let c = app.case(&alice_token, customer, significant).await;
        app.ok(&alice_token, &format!("/api/v1/cases/{c}/actions"), json!({ "description": "Voucher", "remedy_value": "10", "preventive_owner_id": alice_id })).await;
        app.ok(&alice_token, &format!("/api/v1/cases/{c}/preventive"), json!({ "root_cause": "Thin boxes", "action": "Better boxes" })).await;
        ready.push(c);
    }

    let (_, home) = alice.get("/console").await;
    assert_eq!(tab_count(&home, "mine"), Some(3), "{home}");
    assert_eq!(tab_count(&home, "approvals"), None, "agents decide no escalations");
    assert_eq!(tab_count(&home, "follow-ups"), Some(0), "never one's own cases");
    assert_eq!(tab_count(&home, "open"), Some(56));
    assert_eq!(listed(&home).len(), 3, "the default queue is one's own");

    let (_, home) = max.get("/console?queue=approvals").await;
    assert_eq!(tab_count(&home, "approvals"), Some(1));
    assert_eq!(listed(&home), vec![format!("RD-{escalated}")]);
    assert_eq!(tab_count(&mia.get("/console").await.1, "approvals"), Some(0), "beyond Mia's mandate");
    let (_, home) = bob.get("/console?queue=follow-ups").await;
    assert_eq!(listed(&home), vec![format!("RD-{}", ready[0])], "significant follow-ups are for seniors");
    let (_, home) = sam.get("/console?queue=follow-ups").await;
    assert_eq!(listed(&home).len(), 2);

    // Search by customer name or reference; filter by channel; sort; page.
    let (_, found) = bob.get("/console?queue=open&q=zebedee").await;
    assert_eq!(listed(&found), vec![format!("RD-{quill}")]);
    let (_, found) = bob.get(&format!("/console?queue=open&q=RD-{quill}")).await;
    assert_eq!(listed(&found), vec![format!("RD-{quill}")]);
    let (_, email) = bob.get("/console?queue=open&channel=email").await;
    assert_eq!(listed(&email).len(), 26);
    let (_, first) = bob.get("/console?queue=open").await;
    assert_eq!(listed(&first).len(), 50);
    assert!(first.contains(r#"href="/console?queue=open&amp;page=2""#) || first.contains(r#"href="/console?queue=open&#38;page=2""#), "a next page");
    let (_, second) = bob.get("/console?queue=open&page=2").await;
    assert_eq!(listed(&second).len(), 6);
    assert!(!second.contains(r#"id="pager-older""#) && second.contains(r#"id="pager-newer""#));
    let (_, oldest) = bob.get("/console?queue=open&sort=oldest").await;
    assert_eq!(listed(&oldest)[0], "RD-1");
    assert_eq!(listed(&bob.get("/console?queue=bogus&page=-1&sort=sideways").await.1).len(), 0, "unreadable asks fall back to one's own, page 1");

    // A week later (signed in afresh: sessions last 12 hours) everything
    // open is overdue, with how long.
    app.clock.advance(jiff::SignedDuration::from_hours(24 * 7));
    assert_eq!(max.get("/console").await.0, StatusCode::SEE_OTHER, "the session has ended");
    let max = Browser::sign_in(&app, "max@example.com", PASSWORD).await;
    let alice = Browser::sign_in(&app, "alice@example.com", PASSWORD).await;
    let (_, overdue) = max.get("/console?queue=overdue&sort=due").await;
    assert_eq!(tab_count(&overdue, "overdue"), Some(56));
    assert!(overdue.contains("overdue by"), "{overdue}");
    assert_eq!(tab_count(&alice.get("/console").await.1, "overdue"), Some(3), "an agent's overdue queue is their own");
}

async fn customers(app: &TestApp) -> usize {
    app.get(&app.admin, "/api/v1/customers").await.1.as_array().unwrap().len()
}

async fn a_complaint_is_logged_with_its_customer_or_not_at_all(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (alice_id, alice) = staff(&app, "Alice", "agent", "50", None).await;
    let (_, home) = alice.get("/console").await;
    assert!(home.contains(r#"href="/console/cases/new""#));
    let (status, form) = alice.get("/console/cases/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(r#"for="case-summary""#) && form.contains(r#"for="customer-email""#), "labelled fields");

    // Refused: nothing stored, the input kept.
    let bad = [("customer.email", "new@example.com"), ("customer.name", "Nia <New>"), ("case.channel", "phone"), ("case.summary", "  ")];
    let resp = alice.post("/console/cases/new", &bad).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains(r#"id="error""#) && html.contains("summary"), "{html}");
    assert!(html.contains(&escaped("Nia <New>")), "kept, escaped");
    let future = [("customer.email", "new@example.com"), ("customer.name", "Nia"), ("case.channel", "phone"), ("case.summary", "Late"), ("case.occurred_at", "2027-01-01T10:00")];
    assert_eq!(alice.post("/console/cases/new", &future).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(customers(&app).await, 0, "no customer without a case");
    assert_eq!(app.case_count().await, 0);

    // A new customer and the case; times are read in the organisation's zone (UTC in November, BST in July).
    let good = [
        ("customer.email", "new@example.com"),
        ("customer.name", "Nia"),
        ("customer.phone", "+44 20 7946 0000"),
        ("case.channel", "social"),
        ("case.summary", "Rude courier"),
        ("case.desired_resolution", "An apology"),
        ("case.occurred_at", "2026-07-01T10:00"),
        ("case.reported_at", "2026-07-02T10:00"),
        ("case.significant", "on"),
    ];
    let resp = alice.post("/console/cases/new", &good).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()[header::LOCATION].to_str().unwrap().to_string();
    let id: i64 = location.rsplit('/').next().unwrap().parse().unwrap();
    let c = case_json(&app, id).await;
    assert_eq!((c["channel"].as_str(), c["significant"].as_bool(), c["owner_id"].as_i64()), (Some("social"), Some(true), Some(alice_id)));
    assert_eq!(c["occurred_at"], "2026-07-01T09:00:00Z");
    assert_eq!(c["identification_lag_seconds"], 86_400);
    let (_, page) = alice.get(&location).await;
    assert!(page.contains("opened. First response due"), "{page}");
    assert!(page.contains("Nia") && page.contains("+44 20 7946 0000"));

    // The same e-mail finds the same customer.
    let again = [("customer.email", "NEW@example.com"), ("case.channel", "in_person"), ("case.summary", "Second problem")];
    let resp = alice.post("/console/cases/new", &again).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let walk_in: i64 = resp.headers()[header::LOCATION].to_str().unwrap().rsplit('/').next().unwrap().parse().unwrap();
    assert_eq!(case_json(&app, walk_in).await["channel"], "in_person", "a walk-in");
    assert_eq!(customers(&app).await, 1);
    assert_eq!(app.case_count().await, 2);
}

async fn admins_manage_staff_and_others_may_not(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (_, agent) = staff(&app, "Alice", "agent", "50", None).await;
    let (admin_id, admin) = staff(&app, "Ada", "admin", "1000", None).await;
    for path in ["/console/admin/staff", &format!("/console/admin/staff/{admin_id}")] {
        let (status, html) = agent.get(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(html.contains("Only an admin"), "{html}");
    }
    assert_eq!(agent.post("/console/admin/staff", &[("name", "Mallory"), ("role", "admin")]).await.status(), StatusCode::FORBIDDEN);
    assert!(!agent.get("/console").await.1.contains(r#"href="/console/admin""#), "no Admin link for agents");
    assert!(admin.get("/console").await.1.contains(r#"href="/console/admin""#));
    assert!(admin.get("/console/admin").await.1.contains(r#"href="/console/admin/staff""#));
    assert_eq!(agent.get("/console/admin").await.0, StatusCode::FORBIDDEN);

    // A new colleague: refused with the reason and the input kept, then added.
    let resp = admin.post("/console/admin/staff", &[("name", "Bob <Builder>"), ("email", "bob@example.com"), ("role", "agent"), ("mandate", "lots")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains(r#"id="error""#) && html.contains("mandate") && html.contains(&escaped("Bob <Builder>")), "{html}");
    let resp = admin.post("/console/admin/staff", &[("name", "Bob"), ("email", "bob@example.com"), ("role", "agent"), ("mandate", "40"), ("password", PASSWORD)]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = resp.headers()[header::LOCATION].to_str().unwrap().to_string();
    let bob_id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    let bob = Browser::sign_in(&app, "bob@example.com", PASSWORD).await;
    assert_eq!(bob.get("/console").await.0, StatusCode::OK);

    // Promoted, given a manager and a mandate.
    let resp = admin.post(&page, &[("name", "Bob Builder"), ("role", "manager"), ("mandate", "300"), ("manager_id", &admin_id.to_string()), ("active", "true")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, u) = app.get(&app.admin, &format!("/api/v1/users/{bob_id}")).await;
    assert_eq!((u["role"].as_str(), u["mandate"].as_str(), u["manager_id"].as_i64()), (Some("manager"), Some("300.00"), Some(admin_id)));
    assert!(admin.get(&page).await.1.contains("Bob Builder saved."));

    // A token, shown once, that works until revoked.
    let resp = admin.post(&format!("{page}/tokens"), &[("label", "till")]).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let html = resp.text().await.unwrap();
    let token = html.split(r#"<code id="token">"#).nth(1).unwrap().split('<').next().unwrap().to_string();
    assert_eq!(app.get(&token, "/api/v1/me").await.1["name"], "Bob Builder");
    assert!(!admin.get(&page).await.1.contains(&token), "never shown again");
    let (_, tokens) = app.get(&app.admin, &format!("/api/v1/users/{bob_id}/tokens")).await;
    let token_id = tokens[0]["id"].as_i64().unwrap();
    assert_eq!(admin.post(&format!("{page}/tokens/{token_id}/revoke"), &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&token, "/api/v1/me").await.0, StatusCode::UNAUTHORIZED);

    // A new password ends Bob's sessions; deactivating keeps him out.
    let resp = admin.post(&format!("{page}/password"), &[("password", "short")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(admin.post(&format!("{page}/password"), &[("password", "another long password")]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(bob.get("/console").await.0, StatusCode::SEE_OTHER);
    let bob = Browser::sign_in(&app, "bob@example.com", "another long password").await;
    assert_eq!(admin.post(&page, &[("name", "Bob Builder"), ("role", "manager"), ("mandate", "300"), ("manager_id", "none"), ("active", "false")]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(bob.get("/console").await.0, StatusCode::SEE_OTHER, "deactivated: signed out");
    let (_, u) = app.get(&app.admin, &format!("/api/v1/users/{bob_id}")).await;
    assert_eq!((u["active"].as_bool(), u["manager_id"].is_null()), (Some(false), true));

    // Nobody locks themselves out; nonsense addresses are plain 404 pages.
    let resp = admin.post(&format!("/console/admin/staff/{admin_id}"), &[("name", "Ada"), ("role", "agent")]).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(admin.get("/console/admin/staff/abc").await.0, StatusCode::NOT_FOUND);
    assert_eq!(admin.get("/console/admin/staff/999").await.0, StatusCode::NOT_FOUND);
}

async fn problems_gather_their_cases_and_what_they_cost(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (alice_id, alice) = staff(&app, "Alice", "agent", "50", None).await;
    let token = token_of(&app, alice_id).await;
    let resp = alice.post("/console/problems", &[("title", " "), ("description", "Boxes <crush>")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains(&escaped("Boxes <crush>")), "kept");
    let resp = alice.post("/console/problems", &[("title", "Thin packaging"), ("root_cause", "Single-walled boxes")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = resp.headers()[header::LOCATION].to_str().unwrap().to_string();
    let problem: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    let customer = app.customer().await;
    for (value, gift) in [("30", Some("5")), ("12.50", None)] {
        let c = app.case(&token, customer, false).await;
        app.ok(&token, &format!("/api/v1/cases/{c}/actions"), json!({ "description": "Refund", "remedy_value": value })).await;
        app.ok(&token, &format!("/api/v1/cases/{c}/preventive"), json!({ "owner_id": alice_id, "problem_id": problem })).await;
        if let Some(cost) = gift {
            app.ok(&token, &format!("/api/v1/cases/{c}/gifts"), json!({ "description": "Flowers", "cost": cost })).await;
        }
    }
    // From a case's preventive form: a new problem, recorded and linked at once.
    let c = app.case(&token, customer, false).await;
    let resp = alice.post(&format!("/console/cases/{c}/preventive"), &[("owner_id", &alice_id.to_string()), ("problem_id", &problem.to_string()), ("new_problem_title", "Both")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "either one or the other");
    assert_eq!(app.get(&app.admin, "/api/v1/problems").await.1.as_array().unwrap().len(), 1, "nothing half-made");
    step(&alice, c, "preventive", &[("owner_id", &alice_id.to_string()), ("root_cause", "Night rounds"), ("new_problem_title", "Late evening rounds")]).await;
    let linked = case_json(&app, c).await["preventive"]["problem_id"].as_i64().unwrap();
    let (_, new) = app.get(&app.admin, &format!("/api/v1/problems/{linked}")).await;
    assert_eq!((new["title"].as_str(), new["root_cause"].as_str(), new["case_count"].as_i64()), (Some("Late evening rounds"), Some("Night rounds"), Some(1)));
    let (status, html) = alice.get(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed(&html).len(), 2, "only the linked cases");
    assert!(html.contains(r#"<td id="total-remedies">GBP 42.50</td>"#) && html.contains(r#"<td id="total-gifts">GBP 5.00</td>"#), "{html}");
    let (_, list) = alice.get("/console/problems").await;
    assert!(list.contains("Thin packaging") && list.contains(r#"<td data-label="Cases">2</td>"#), "{list}");
    assert_eq!(alice.get("/console/problems/999").await.0, StatusCode::NOT_FOUND);
}

async fn a_customer_page_shows_their_cases_responses_and_rewards(b: Backend) {
    let app = common::spawn(b).await;
    let w = world(&app).await;
    let (_, alice) = staff(&app, "Alice", "agent", "50", None).await;
    let code = invite(&app, w.survey, w.customer, json!({})).await;
    app.send(reqwest::Method::POST, None, "/api/v1/responses", Some(json!({ "code": code, "answers": { "speed": 2, "care": 5, "tracking": 5 } }))).await;
    let (_, list) = alice.get("/console/customers").await;
    assert!(list.contains(&format!(r#"href="/console/customers/{}""#, w.customer)) && list.contains("Grace"), "{list}");
    let (_, found) = alice.get("/console/customers?email=GRACE%40example.com").await;
    assert!(found.contains("Grace"), "{found}");
    assert!(alice.get("/console/customers?email=nobody%40example.com").await.1.contains("Nobody has the address"));
    let (status, page) = alice.get(&format!("/console/customers/{}", w.customer)).await;
    assert_eq!(status, StatusCode::OK);
    let links = listed(&page);
    assert!(links[0].starts_with("RD-") && links[1].starts_with("case "), "the survey's follow-up case, listed and linked from the response: {links:?}");
    assert!(page.contains("2/5"), "the response's lowest rating: {page}");
    assert!(page.contains("Rewards: 25 points"), "{page}");
    assert_eq!(alice.get("/console/customers/999").await.0, StatusCode::NOT_FOUND);
}

async fn admins_set_the_organisation_up(b: Backend) {
    let app = common::spawn(b).await;
    let (_, agent) = staff(&app, "Alice", "agent", "50", None).await;
    let (_, admin) = staff(&app, "Ada", "admin", "0", None).await;
    assert_eq!(agent.get("/console/admin/settings").await.0, StatusCode::FORBIDDEN);
    assert_eq!(agent.post("/console/admin/settings", &[("name", "Mine now")]).await.status(), StatusCode::FORBIDDEN);
    let (status, page) = admin.get("/console/admin/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"value="09:00-17:00""#) && page.contains(r#"value="2d""#), "the defaults are shown");

    let mut form = vec![
        ("name", "Acme <Stores>"),
        ("timezone", "Mars/Olympus"),
        ("currency", "usd"),
        ("hours.mon", "08:00-16:00"),
        ("hours.tue", "08:00-16:00"),
        ("hours.wed", "08:00-16:00"),
        ("hours.thu", "08:00-16:00"),
        ("hours.fri", "08:00-12:00"),
        ("holidays", "2026-12-25\n2026-12-26\n"),
        ("targets.first_response", "1d"),
        ("targets.update_interval", "4h"),
        ("targets.resolution", "10d"),
        ("targets.follow_up", "5d"),
        ("transfer_flag_after", "3"),
        ("fast_report_within_hours", "24"),
        ("fast_report_points", "10"),
        ("invitation_valid_days", "30"),
    ];
    let resp = admin.post("/console/admin/settings", &form).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Mars/Olympus") && html.contains("timezone"), "the refusal and what was typed: {html}");
    assert_eq!(app.get(&app.admin, "/api/v1/settings").await.1["timezone"], "UTC", "nothing saved");

    form[1] = ("timezone", "America/New_York");
    assert_eq!(admin.post("/console/admin/settings", &form).await.status(), StatusCode::SEE_OTHER);
    let (_, s) = app.get(&app.admin, "/api/v1/settings").await;
    assert_eq!((s["name"].as_str(), s["timezone"].as_str(), s["currency"].as_str()), (Some("Acme <Stores>"), Some("America/New_York"), Some("USD")));
    assert_eq!(s["business_hours"]["fri"], "08:00-12:00");
    assert!(s["business_hours"]["sat"].is_null(), "closed");
    assert_eq!(s["holidays"], json!(["2026-12-25", "2026-12-26"]));
    assert_eq!((s["targets"]["update_interval"].as_str(), s["transfer_flag_after"].as_i64()), (Some("4h"), Some(3)));
    let (_, page) = admin.get("/console/admin/settings").await;
    assert!(page.contains("Settings saved") && page.contains(&escaped("Acme <Stores>")), "{page}");
}

async fn service_areas_and_integrations(b: Backend) {
    let app = common::spawn(b).await;
    let (max_id, max) = staff(&app, "Max", "manager", "500", None).await;
    let (_, agent) = staff(&app, "Alice", "agent", "50", None).await;
    let (_, admin) = staff(&app, "Ada", "admin", "0", None).await;

    // Managers add service areas; agents see them but may not.
    let (_, areas) = agent.get("/console/areas").await;
    assert!(!areas.contains(r#"id="form-new-area""#));
    assert_eq!(agent.post("/console/areas", &[("name", "Billing"), ("service_manager_id", &max_id.to_string())]).await.status(), StatusCode::FORBIDDEN);
    let resp = max.post("/console/areas", &[("name", "Deliveries"), ("service_manager_id", &max_id.to_string()), ("targets.first_response", "4 hours")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("4 hours"), "kept");
    let resp = max.post("/console/areas", &[("name", "Deliveries"), ("service_manager_id", &max_id.to_string()), ("targets.first_response", "4h")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get(&app.admin, "/api/v1/service-areas").await;
    assert_eq!((list[0]["name"].as_str(), list[0]["targets"]["first_response"].as_str()), (Some("Deliveries"), Some("4h")));
    assert!(agent.get("/console/areas").await.1.contains("First response 4h"));

    // A manager changes it; an agent may not.
    let area = list[0]["id"].as_i64().unwrap();
    assert_eq!(agent.get(&format!("/console/areas/{area}")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(agent.post(&format!("/console/areas/{area}"), &[("name", "Mine"), ("service_manager_id", &max_id.to_string())]).await.status(), StatusCode::FORBIDDEN);
    let (_, form) = max.get(&format!("/console/areas/{area}")).await;
    assert!(form.contains(r#"value="4h""#) && form.contains(r#"value="Deliveries""#), "the saved values");
    let resp = max.post(&format!("/console/areas/{area}"), &[("name", "Home deliveries"), ("service_manager_id", &max_id.to_string()), ("targets.first_response", "2h"), ("targets.resolution", "5d")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, a) = app.get(&app.admin, &format!("/api/v1/service-areas/{area}")).await;
    assert_eq!((a["name"].as_str(), a["targets"]["first_response"].as_str(), a["targets"]["resolution"].as_str()), (Some("Home deliveries"), Some("2h"), Some("5d")));
    max.post("/console/areas", &[("name", "Billing"), ("service_manager_id", &max_id.to_string())]).await;
    let resp = max.post(&format!("/console/areas/{area}"), &[("name", "Billing"), ("service_manager_id", &max_id.to_string())]).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT, "names stay unique");

    // Admins subscribe webhooks (the secret shown once) and see dead letters.
    assert_eq!(max.get("/console/admin/integrations").await.0, StatusCode::FORBIDDEN);
    let resp = admin.post("/console/admin/integrations", &[("url", "ftp://example.com"), ("events", "case.closed")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp = admin.post("/console/admin/integrations", &[("url", "http://127.0.0.1:9/hook"), ("events", "case.created, case.closed")]).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let html = resp.text().await.unwrap();
    let secret = html.split(r#"<code id="secret">"#).nth(1).unwrap().split('<').next().unwrap().to_string();
    assert!(secret.len() >= 16);
    let (_, page) = admin.get("/console/admin/integrations").await;
    assert!(page.contains("http://127.0.0.1:9/hook") && page.contains("case.created, case.closed") && !page.contains(&secret), "{page}");
    assert!(page.contains(r#"id="no-dead""#));
}

async fn surveys_are_built_previewed_and_sent(b: Backend) {
    let app = common::spawn(b).await;
    let (_, max) = staff(&app, "Max", "manager", "500", None).await;
    let (_, agent) = staff(&app, "Alice", "agent", "50", None).await;
    for (name, email) in [("Grace, the \"first\"", "grace@example.com"), ("Alan", "alan@example.com")] {
        app.ok(&app.admin, "/api/v1/customers", json!({ "name": name, "email": email, "timezone": "Europe/London" })).await;
    }
    assert!(!agent.get("/console/surveys").await.1.contains(r#"id="form-new-survey""#));
    assert_eq!(agent.post("/console/surveys", &[("title", "Mine"), ("q1.prompt", "Fine?"), ("q1.kind", "rating")]).await.status(), StatusCode::FORBIDDEN);

    let mut form = vec![
        ("title", "After your delivery"),
        ("reward_points", "15"),
        ("q1.prompt", "How punctual was it?"),
        ("q1.kind", "rating"),
        ("q1.required", "on"),
        ("q2.prompt", "Which van came?"),
        ("q2.kind", "choice"),
        ("q2.required", "on"),
        ("q3.prompt", "Anything else?"),
        ("q3.kind", "text"),
    ];
    let resp = max.post("/console/surveys", &form).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "a choice needs options");
    let html = resp.text().await.unwrap();
    assert!(html.contains(r#"id="error""#) && html.contains("Which van came?"), "refused, the input kept: {html}");
    form.push(("q2.options", "Red, Blue"));
    let resp = max.post("/console/surveys", &form).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = resp.headers()[header::LOCATION].to_str().unwrap().to_string();
    let (_, html) = max.get(&page).await;
    assert!(html.contains("How punctual was it?") && html.contains(">Blue</label>") && html.contains("(optional)"), "the preview: {html}");
    let id = page.rsplit('/').next().unwrap();
    let (_, survey) = app.get(&app.admin, &format!("/api/v1/surveys/{id}")).await;
    assert_eq!(survey["questions"][0]["key"], "how_punctual_was_it");
    assert_eq!(survey["questions"][2]["required"], false);

    // Invitations: an unknown address is refused by its line; then the codes, once, as CSV.
    let resp = max.post(&format!("{page}/invitations"), &[("customers", "grace@example.com\nnobody@example.com"), ("valid_days", "30")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("line 2"));
    let resp = max.post(&format!("{page}/invitations"), &[("customers", "GRACE@example.com\n\nAlan,alan@example.com\n"), ("valid_days", "30")]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    assert!(resp.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().contains("attachment"));
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert_eq!(lines[0], "name,email,code,expires,url");
    assert!(lines[1].starts_with("\"Grace, the \"\"first\"\"\",grace@example.com,"), "quoted: {csv}");
    let code = lines[2].split(',').nth(2).unwrap();

    // The same from an uploaded CSV file.
    let boundary = "----redress-test-boundary";
    let part = |name: &str, extra: &str, value: &str| format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{extra}\r\n\r\n{value}\r\n");
    let body = [
        part("csrf", "", &max.csrf),
        part("valid_days", "", "7"),
        part("file", "; filename=\"list.csv\"\r\nContent-Type: text/csv", "name,email\r\nAlan,alan@example.com\r\n"),
        format!("--{boundary}--\r\n"),
    ]
    .concat();
    let upload = |body: String| {
        common::forms::client()
            .post(format!("{}{page}/invitations/upload", app.base))
            .header(header::COOKIE, max.cookie())
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
    };
    let resp = upload(body.clone()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let uploaded = resp.text().await.unwrap();
    assert_eq!(uploaded.lines().count(), 2, "a header and Alan: {uploaded}");
    let resp = upload(body.replace(&max.csrf, "0123456789abcdef0123456789abcdef")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "the upload needs its CSRF token too");
    let (s, r) = app.send(reqwest::Method::POST, None, "/api/v1/responses",
        Some(json!({ "code": code, "answers": { "how_punctual_was_it": 5, "which_van_came": "Red" } }))).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["reward_points"], 15);
}

async fn admins_edit_the_follow_up_rules(b: Backend) {
    let app = common::spawn(b).await;
    let (_, admin) = staff(&app, "Ada", "admin", "0", None).await;
    let (_, max) = staff(&app, "Max", "manager", "500", None).await;
    assert_eq!(max.get("/console/admin/rules").await.0, StatusCode::FORBIDDEN);
    let (_, page) = admin.get("/console/admin/rules").await;
    assert!(page.contains(r#"id="rule-4""#) && !page.contains(r#"id="rule-5""#), "two rules and two spare rows");
    assert!(page.contains(r#"<option value="3" selected>3</option>"#), "the default threshold of 3");

    let resp = admin.post("/console/admin/rules", &[("rows", "2"), ("r1.threshold", "9"), ("r1.open_case", "on")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("must be 1 to 5"));
    let form = [
        ("rows", "4"),
        ("r1.threshold", "3"),
        ("r1.open_case", "on"),
        ("r1.owner", "service_manager"),
        ("r1.assign", "client_manager"),
        ("r1.require_report", "on"),
        ("r2.threshold", ""),
        ("r3.threshold", "1"),
        ("r3.assign", "senior"),
        ("r3.significant", "on"),
    ];
    assert_eq!(admin.post("/console/admin/rules", &form).await.status(), StatusCode::SEE_OTHER);
    let (_, rules) = app.get(&app.admin, "/api/v1/follow-up-rules").await;
    assert_eq!(
        rules,
        json!({ "rules": [
            { "lowest_rating_at_most": 3, "open_case": true, "owner": "service_manager", "assign": ["client_manager"], "significant": false, "require_report": true },
            { "lowest_rating_at_most": 1, "open_case": false, "owner": null, "assign": ["senior"], "significant": true, "require_report": false },
        ] })
    );
}

async fn the_case_page_corrects_details_and_offers_its_files(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (_, bob) = staff(&app, "Bob", "agent", "50", None).await;
    let raw = "From: Zoe <zoe@example.com>\r\nTo: care@example.com\r\nSubject: Kettle leaks\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XYZ\r\n\r\n\
               --XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe kettle leaks from the base.\r\n\
               --XYZ\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"kettle <1>.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJDREVG\r\n--XYZ--\r\n";
    let resp = app.http.post(format!("{}/api/v1/inbound/email", app.base)).bearer_auth(&app.admin).header("content-type", "message/rfc822").body(raw).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let case = resp.json::<Value>().await.unwrap()["case_id"].as_i64().unwrap();
    let page = format!("/console/cases/{case}");
    let (_, html) = bob.get(&page).await;
    let link = html.split(r#"<ul id="attachments"><li><a href=""#).nth(1).and_then(|s| s.split('"').next()).expect("the file is listed").to_string();
    assert!(html.contains(&escaped("kettle <1>.jpg")), "{html}");
    let resp = client().get(format!("{}{link}", app.base)).header(header::COOKIE, bob.cookie()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment"), "downloaded, never shown inline");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"ABCDEF");
    let resp = client().get(format!("{}{link}", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "staff only");

    // Any staff member corrects the details and records the facts.
    step(&bob, case, "details", &[("summary", "Kettle leaks at the base"), ("desired_resolution", "A new kettle"), ("facts", "Bought 3 weeks ago; leaks when full"), ("severity", "high"), ("significant", "false")]).await;
    let c = case_json(&app, case).await;
    assert_eq!((c["summary"].as_str(), c["facts"].as_str(), c["severity"].as_str()), (Some("Kettle leaks at the base"), Some("Bought 3 weeks ago; leaks when full"), Some("high")));
    let resp = bob.post(&format!("{page}/details"), &[("severity", "extreme"), ("facts", "Kept <this>")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains(&escaped("Kept <this>")), "kept");
}

/// The case page offers exactly what the authorisation matrix allows: an
/// owner assigns a colleague, who is then offered the remedy, prevention
/// and report forms but not the owner's own (transfer, close, assigning);
/// withdrawn, the colleague is back to what any agent may do.
async fn the_owner_assigns_a_colleague_who_then_works_the_case(b: Backend) {
    let app = common::spawn(b).await;
    app.london().await;
    let (alice, owner) = staff(&app, "Alice", "agent", "50", None).await;
    let (bob, colleague) = staff(&app, "Bob", "agent", "50", None).await;
    let customer = app.customer().await;
    let case = app.case(&token_of(&app, alice).await, customer, false).await;
    let page = format!("/console/cases/{case}");
    let working = ["form-actions", "form-preventive", "form-reports", "step-gifts"];

    let (_, html) = colleague.get(&page).await;
    assert!(!html.contains(r#"id="form-assignees""#), "only the owner or a supervisor assigns");
    for form in working {
        assert!(!html.contains(&format!(r#"id="{form}""#)), "{form} is not offered before Bob is assigned");
    }
    let resp = colleague.post(&format!("{page}/assignees"), &[("user_id", &bob.to_string())]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "nor may he assign himself");
    assert!(resp.text().await.unwrap().contains("to assign people to the case you must be an agent who is the case&#39;s owner"));

    let (_, html) = owner.get(&page).await;
    let choices = |html: &str| html.split(r#"id="assignees-user""#).nth(1).and_then(|rest| rest.split("</select>").next()).unwrap_or_default().to_string();
    assert!(choices(&html).contains(&format!(r#"value="{bob}""#)) && !choices(&html).contains(&format!(r#"value="{alice}""#)), "the owner is not offered");
    step(&owner, case, "assignees", &[("user_id", &bob.to_string())]).await;
    let v = case_json(&app, case).await;
    assert_eq!(v["assignees"], json!([{ "user_id": bob, "role": "named" }]), "{v}");
    let (_, html) = owner.get(&page).await;
    assert!(html.contains(&format!(r#"id="form-unassign-{bob}""#)) && html.contains("<dt>Helping</dt><dd>Bob"), "{html}");
    assert!(!choices(&html).contains(&format!(r#"value="{bob}""#)), "nor is someone assigned already");

    let (_, html) = colleague.get(&page).await;
    for form in working {
        assert!(html.contains(&format!(r#"id="{form}""#)), "{form} is offered to an assignee");
    }
    for form in ["form-transfer", "form-close", "form-assignees"] {
        assert!(!html.contains(&format!(r#"id="{form}""#)), "{form} stays the owner's");
    }
    assert!(!html.contains(&format!(r#"id="form-unassign-{bob}""#)));
    step(&colleague, case, "preventive", &[("owner_id", &bob.to_string()), ("root_cause", "Thin boxes")]).await;

    // Assigning the owner is refused at the form, with the choice kept.
    let resp = owner.post(&format!("{page}/assignees"), &[("user_id", &alice.to_string())]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("assign someone besides the owner"));

    step(&owner, case, "unassign", &[("user_id", &bob.to_string())]).await;
    let v = case_json(&app, case).await;
    assert_eq!(v["assignees"], json!([]), "{v}");
    let timeline: Vec<&str> = v["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(timeline.contains(&"assigned") && timeline.contains(&"unassigned"), "{timeline:?}");
    // Bob still owns the preventive action, and may still record it; the
    // remedy form is the owner's again.
    let (_, html) = colleague.get(&page).await;
    assert!(html.contains(r#"id="form-preventive""#) && !html.contains(r#"id="form-actions""#));
}
