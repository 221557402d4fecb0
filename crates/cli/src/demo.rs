//! `redress demo`: a demo organisation with cases at every stage of the loop,
//! seeded through the real API, then served.

use crate::client::Client;
use crate::server;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};

pub async fn run(database_url: Option<String>, cfg: &crate::config::Config, bind: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let url = database_url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("redress-demo.db").display()));
    let store = redress_store::open(&url).await.map_err(|e| e.to_string())?;
    let (_, admin_token) = server::create_admin(store.as_ref(), "Ada Admin", Some("ada.admin@demo.example"), Some(DEMO_PASSWORD)).await?;
    let background = server::Background { mailer: std::sync::Arc::new(redress_core::mail::NoMailer), poll: std::time::Duration::from_millis(500), lease: jiff::SignedDuration::from_mins(2) };
    let running = server::start(store.clone(), bind, server::web_config(cfg), Some(background)).await?;
    let api = Client::new(&running.base_url, &admin_token)?;
    let seeded = match seed(&api).await {
        Ok(s) => insight_history(store.as_ref()).await.map(|()| s),
        Err(e) => Err(e),
    };
    let Seeded { tokens, codes } = match seeded {
        Ok(s) => s,
        Err(e) => {
            running.stop().await;
            return Err(format!("seeding the demo failed: {e}"));
        }
    };
    let base = &running.base_url;
    println!("Redress demo is serving on {base}  (database: {url})\n");
    println!("Customers: {base}/complain takes a complaint (its answer page links to the case's private status page);");
    println!("  or open {base}/survey and enter a password from the Demo Survey:");
    for (who, code) in &codes {
        println!("  {who:<29} {code}");
    }
    println!("Insight: {base}/console/insight (as a manager) — four months of figures; \"Damaged in transit\" is rising this week.");
    println!("\nStaff console: {base}/console — sign in as ada.admin@demo.example, alice@demo.example,");
    println!("  max@demo.example, maya@demo.example, sam@demo.example or bob@demo.example; password {DEMO_PASSWORD}");
    println!("Partner portal: {base}/console — sign in as {PARTNER_EMAIL} (High Street Retail, a retailer); password {DEMO_PASSWORD}\n");
    println!("API: send a token as Authorization: Bearer <token>:");
    println!("  admin   Ada Admin             {admin_token}");
    for (who, token) in &tokens {
        println!("  {who:<29} {token}");
    }
    println!("\nTry:");
    println!("  curl -s -H 'Authorization: Bearer {admin_token}' {base}/api/v1/cases | jq");
    println!("  curl -s -H 'Authorization: Bearer {admin_token}' '{base}/api/v1/cases?status=awaiting_approval' | jq");
    println!("  curl -s -H 'Authorization: Bearer {admin_token}' {base}/api/v1/cases/1 | jq .timeline");
    println!("  curl -s -H 'Authorization: Bearer {admin_token}' {base}/api/v1/notifications | jq");
    println!("  curl -s {base}/api/openapi.json | jq .paths");
    println!("\nCtrl-C stops the demo.");
    server::shutdown_signal().await;
    running.stop().await;
    Ok(())
}

/// Every demo staff member and the demo partner sign in to the console
/// with this password.
pub const DEMO_PASSWORD: &str = "redress-demo";

/// The demo partner (a retailer) signs in with this e-mail address.
pub const PARTNER_EMAIL: &str = "retailer@demo.example";

/// Months of survey responses and cases for the insight pages, by the
/// seeded staff and areas.
async fn insight_history(store: &dyn redress_core::store::Store) -> Result<(), String> {
    let users = store.users().await.map_err(|e| e.to_string())?;
    let by = |email: &str| users.iter().find(|u| u.email.as_deref() == Some(email)).cloned().ok_or_else(|| format!("the demo has no {email}"));
    let areas = store.service_areas().await.map_err(|e| e.to_string())?;
    let area = |name: &str| areas.iter().find(|a| a.name == name).map(|a| a.id).ok_or_else(|| format!("the demo has no area {name}"));
    let cast = crate::demo_history::Cast {
        agents: vec![by("alice@demo.example")?, by("bob@demo.example")?],
        manager: by("maya@demo.example")?,
        senior: by("sam@demo.example")?,
        deliveries: area("Deliveries")?,
        billing: area("Billing")?,
    };
    crate::demo_history::seed(store, &cast, Timestamp::now()).await
}

fn ago(hours: i64) -> String {
    (Timestamp::now() - SignedDuration::from_hours(hours)).to_string()
}

/// The `id` of a created record. Every 2xx answer of a create carries one;
/// were it missing, the 0 is refused by the next call that names it.
fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_default()
}

/// What the demo prints: tokens per user and survey access codes.
struct Seeded {
    tokens: Vec<(String, String)>,
    codes: Vec<(String, String)>,
}

/// Seeds staff, customers, areas, a problem, one case per stage of the loop
/// and the "Demo Survey" with invitations.
async fn seed(api: &Client) -> Result<Seeded, String> {
    api.put("/api/v1/settings", json!({ "name": "Demo Company", "timezone": "Europe/London", "currency": "GBP" })).await?;
    let user = |name: &str, email: &str, role: &str, mandate: &str, manager: Option<i64>| {
        json!({ "name": name, "email": email, "role": role, "mandate": mandate, "manager_id": manager, "password": DEMO_PASSWORD })
    };
    let max = api.post("/api/v1/users", user("Max Manager", "max@demo.example", "manager", "500", None)).await?;
    let maya = api.post("/api/v1/users", user("Maya Manager", "maya@demo.example", "manager", "100", Some(id(&max)))).await?;
    let sam = api.post("/api/v1/users", user("Sam Senior", "sam@demo.example", "senior", "2000", None)).await?;
    let alice = api.post("/api/v1/users", user("Alice Agent", "alice@demo.example", "agent", "50", Some(id(&maya)))).await?;
    let bob = api.post("/api/v1/users", user("Bob Agent", "bob@demo.example", "agent", "50", Some(id(&maya)))).await?;
    let partner = api.post("/api/v1/users", user("High Street Retail", PARTNER_EMAIL, "partner", "0", None)).await?;
    let mut tokens = Vec::new();
    for (label, u) in [("manager Max (mandate 500)", &max), ("manager Maya (mandate 100)", &maya), ("senior Sam", &sam), ("agent Alice (mandate 50)", &alice), ("agent Bob (mandate 50)", &bob), ("partner High Street Retail", &partner)] {
        tokens.push((label.to_string(), api.token_for(id(u)).await?));
    }
    let as_alice = api.as_user(&tokens[3].1);
    let as_bob = api.as_user(&tokens[4].1);
    let as_max = api.as_user(&tokens[0].1);
    let as_sam = api.as_user(&tokens[2].1);
    let as_maya = api.as_user(&tokens[1].1);
    let as_partner = api.as_user(&tokens[5].1);

    let deliveries = api.post("/api/v1/service-areas", json!({ "name": "Deliveries", "service_manager_id": id(&maya), "targets": { "first_response": "1d" } })).await?;
    api.post("/api/v1/service-areas", json!({ "name": "Billing", "service_manager_id": id(&max) })).await?;
    let problem = api.post("/api/v1/problems", json!({ "title": "Fragile items packed in thin boxes", "root_cause": "Single-wall cartons for glassware" })).await?;
    let mut customers = Vec::new();
    for (name, email, tz) in [
        ("Grace Hopper", "grace@customer.example", "Europe/London"),
        ("Alan Turing", "alan@customer.example", "Europe/London"),
        ("Katherine Johnson", "katherine@customer.example", "America/New_York"),
        ("Edsger Dijkstra", "edsger@customer.example", "Europe/Amsterdam"),
    ] {
        customers.push(id(&api.post("/api/v1/customers", json!({ "name": name, "email": email, "timezone": tz, "client_manager_id": id(&maya) })).await?));
    }
    let case = |customer: i64, channel: &str, summary: &str, occurred_h: i64, reported_h: i64| {
        json!({ "customer_id": customer, "channel": channel, "summary": summary, "occurred_at": ago(occurred_h), "reported_at": ago(reported_h),
                "desired_resolution": "Put it right", "service_area_id": id(&deliveries) })
    };
    let path = |c: &Value, step: &str| format!("/api/v1/cases/{}/{step}", id(c));
    let reply = json!({ "direction": "outbound", "channel": "phone", "body": "Called the customer, heard them out and apologised." });
    let preventive = |owner: i64| json!({ "owner_id": owner, "root_cause": "Thin packaging", "action": "Double-walled boxes for glassware", "problem_id": id(&problem) });

    // 1. Captured, nobody has answered yet (reported three days after it happened).
    as_alice.post("/api/v1/cases", case(customers[0], "phone", "Vase arrived broken", 74, 2)).await?;
    // 2. Answered by e-mail.
    let c = as_alice.post("/api/v1/cases", case(customers[1], "email", "Invoice charged twice", 30, 20)).await?;
    as_alice.post(&path(&c, "communications"), reply.clone()).await?;
    // 3. A remedy above the agent's mandate, waiting for a manager.
    let c = as_alice.post("/api/v1/cases", case(customers[2], "web", "Sofa delivered three weeks late", 500, 48)).await?;
    as_alice.post(&path(&c, "communications"), reply.clone()).await?;
    as_alice.post(&path(&c, "actions"), json!({ "description": "Refund the delivery charge and a month's instalment", "remedy_kind": "refund", "remedy_value": "200" })).await?;
    // 4. Action agreed; apology held until a preventive-action owner is named.
    let c = as_bob.post("/api/v1/cases", case(customers[3], "phone", "Driver left parcel in the rain", 10, 8)).await?;
    as_bob.post(&path(&c, "communications"), reply.clone()).await?;
    as_bob.post(&path(&c, "actions"), json!({ "description": "Replacement books sent", "remedy_kind": "replacement", "remedy_value": "35" })).await?;
    // 5. Apology scheduled, preventive action recorded: ready for the independent follow-up.
    let c = as_alice.post("/api/v1/cases", case(customers[0], "phone", "Glasses arrived cracked", 50, 46)).await?;
    as_alice.post(&path(&c, "communications"), reply.clone()).await?;
    as_alice.post(&path(&c, "actions"), json!({ "description": "New set of glasses", "remedy_kind": "replacement", "remedy_value": "40", "preventive_owner_id": id(&maya) })).await?;
    as_alice.post(&path(&c, "preventive"), preventive(id(&maya))).await?;
    // 6. Follow-up found it not resolved: reopened.
    let c = as_bob.post("/api/v1/cases", case(customers[1], "social", "Complaint on social media about rude courier", 30, 29)).await?;
    as_bob.post(&path(&c, "communications"), reply.clone()).await?;
    as_bob.post(&path(&c, "actions"), json!({ "description": "Apology and a voucher", "remedy_kind": "credit", "remedy_value": "20", "preventive_owner_id": id(&bob) })).await?;
    as_bob.post(&path(&c, "preventive"), json!({ "root_cause": "Courier under time pressure", "action": "Courier briefing" })).await?;
    as_alice.post(&path(&c, "follow-up"), json!({ "outcome": "not_resolved", "satisfaction": 2, "notes": "Voucher has not arrived" })).await?;
    // 7. The whole loop, closed, with a goodwill gesture.
    let c = as_alice.post("/api/v1/cases", case(customers[2], "email", "Wrong colour curtains", 100, 96)).await?;
    as_alice.post(&path(&c, "communications"), reply.clone()).await?;
    as_alice.post(&path(&c, "actions"), json!({ "description": "Exchange for the right colour", "remedy_kind": "replacement", "remedy_value": "0", "preventive_owner_id": id(&maya) })).await?;
    as_alice.post(&path(&c, "preventive"), preventive(id(&maya))).await?;
    as_bob.post(&path(&c, "follow-up"), json!({ "outcome": "resolved", "satisfaction": 5, "preventive_confirmed": true })).await?;
    as_alice.post(&path(&c, "gifts"), json!({ "description": "Tree planted in the customer's name", "cost": "8.50" })).await?;
    as_alice.post(&path(&c, "close"), json!({ "note": "Customer delighted" })).await?;
    // 8. Significant: approved by a manager, verified by a senior, closed.
    let c = as_alice.post("/api/v1/cases", json!({ "customer_id": customers[3], "channel": "phone", "summary": "Boiler not fitted; family without heating", "significant": true, "occurred_at": ago(30), "reported_at": ago(29) })).await?;
    as_alice.post(&path(&c, "communications"), reply.clone()).await?;
    as_alice.post(&path(&c, "actions"), json!({ "description": "Emergency fitter and hotel costs", "remedy_kind": "refund", "remedy_value": "400" })).await?;
    as_max.post(&path(&c, "approvals"), json!({ "decision": "approve", "note": "Family without heat: approved" })).await?;
    as_alice.post(&path(&c, "preventive"), preventive(id(&max))).await?;
    as_sam.post(&path(&c, "follow-up"), json!({ "outcome": "resolved", "satisfaction": 4, "preventive_confirmed": true })).await?;
    as_alice.post(&path(&c, "close"), json!({})).await?;
    // 9. Bounced between people: flagged on the third transfer.
    let c = as_alice.post("/api/v1/cases", case(customers[1], "phone", "Nobody can tell me where my order is", 12, 10)).await?;
    as_alice.post(&path(&c, "transfer"), json!({ "to_user_id": id(&bob), "reason": "Bob handles tracking" })).await?;
    as_bob.post(&path(&c, "transfer"), json!({ "to_user_id": id(&maya), "reason": "Needs the courier account" })).await?;
    api.post(&path(&c, "transfer"), json!({ "to_user_id": id(&alice), "reason": "Back to the first contact" })).await?;
    // 10. Submitted by a retailer, and answered by its owner (the area's manager).
    let c = as_partner
        .post("/api/v1/cases", json!({ "customer_id": customers[0], "channel": "retailer", "summary": "Customer returned a faulty kettle in store",
            "description": "Bought online, delivered to our Oxford Street shop; it stopped heating after a week.", "desired_resolution": "A replacement kettle",
            "order_reference": "HS-4411", "occurred_at": ago(28), "service_area_id": id(&deliveries) }))
        .await?;
    as_maya.post(&path(&c, "communications"), json!({ "direction": "outbound", "channel": "phone", "body": "Called Grace: a replacement kettle goes out today, and the shop keeps the faulty one for us." })).await?;
    // 11. Submitted by the retailer, with a message from the shop still to answer.
    let c = as_partner
        .post("/api/v1/cases", json!({ "customer_id": customers[1], "channel": "retailer", "summary": "Toaster sparks at the plug",
            "description": "The customer brought it back to the shop: it sparks when switched on.", "desired_resolution": "His money back", "occurred_at": ago(6) }))
        .await?;
    as_partner.post(&path(&c, "communications"), json!({ "direction": "inbound", "channel": "retailer", "body": "The customer has the receipt: bought three weeks ago. He would like a call after 5pm." })).await?;

    history(api, &[&as_alice, &as_bob], &as_max, id(&deliveries), id(&maya), id(&problem)).await?;

    // The Demo Survey, with an access code per customer.
    let survey = api
        .post("/api/v1/surveys", json!({
            "title": "Demo Survey",
            "intro": "Three quick questions about your last delivery.",
            "service_area_id": id(&deliveries),
            "reward_points": 20,
            "thank_you": "Thank you for your feedback: it goes straight to the people who can act on it.",
            "questions": [
                { "key": "punctuality", "prompt": "How punctual was your delivery?", "kind": "rating" },
                { "key": "condition", "prompt": "How was the condition of your order?", "kind": "rating" },
                { "key": "courtesy", "prompt": "How courteous was the driver?", "kind": "rating" },
                { "key": "recommend", "prompt": "How likely are you to recommend us to a friend?", "kind": "nps" },
                { "key": "comment", "prompt": "Anything else you would like to tell us?", "kind": "text", "required": false },
            ],
        }))
        .await?;
    answered(api, id(&survey), id(&maya)).await?;
    let invited = api.post(&format!("/api/v1/surveys/{}/invitations", id(&survey)), json!({ "customer_ids": customers })).await?;
    let names = ["Grace Hopper", "Alan Turing", "Katherine Johnson", "Edsger Dijkstra"];
    let codes = invited
        .as_array()
        .map(|a| a.iter().zip(names).map(|(i, n)| (n.to_string(), i["code"].as_str().unwrap_or_default().to_string())).collect())
        .unwrap_or_default();
    Ok(Seeded { tokens, codes })
}

/// Six weeks of history, so every queue and page has something in it:
/// cases reported on different days at every stage — most closed, some
/// overdue or breached, some awaiting approval or the follow-up — and a
/// second problem shared by several of them.
async fn history(api: &Client, agents: &[&Client; 2], manager: &Client, area: i64, maya: i64, problem: i64) -> Result<(), String> {
    let late = api.post("/api/v1/problems", json!({ "title": "Evening deliveries arrive the next morning", "description": "Couriers finish their rounds before the last slot" })).await?;
    let names = ["Ada Lovelace", "Claude Shannon", "Barbara Liskov", "Donald Knuth", "Frances Allen", "John Backus"];
    let mut customers = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let email = format!("{}@customer.example", name.split(' ').next().unwrap_or("someone").to_lowercase());
        customers.push(id(&api.post("/api/v1/customers", json!({ "name": name, "email": email, "timezone": "Europe/London", "client_manager_id": maya, "phone": format!("+44 20 7946 01{i:02}") })).await?));
    }
    let summaries = [
        "Parcel left with the wrong neighbour",
        "Evening delivery arrived next morning",
        "Refund not received after return",
        "Mug arrived chipped",
        "Delivery slot missed twice",
        "Charged for express, arrived late",
    ];
    let reply = json!({ "direction": "outbound", "channel": "phone", "body": "Called back, listened, apologised and agreed the next step." });
    for i in 0..24_i64 {
        let (owner, colleague) = (agents[(i % 2) as usize], agents[((i + 1) % 2) as usize]);
        let hours_ago = 48 + i * 40;
        let summary = summaries[(i % 6) as usize];
        let channel = ["phone", "email", "web", "social"][(i % 4) as usize];
        let c = owner
            .post("/api/v1/cases", json!({ "customer_id": customers[(i % 6) as usize], "channel": channel,
                "summary": summary, "description": format!("{summary}. The customer called us about it."), "desired_resolution": "Put it right and make sure it stops",
                "occurred_at": ago(hours_ago + 20), "reported_at": ago(hours_ago), "service_area_id": area }))
            .await?;
        let path = |step: &str| format!("/api/v1/cases/{}/{step}", id(&c));
        let shared = if summary.contains("Evening") { id(&late) } else { problem };
        let stage = i % 6;
        if stage == 2 {
            continue; // never answered: overdue, and breached for the older ones
        }
        owner.post(&path("communications"), reply.clone()).await?;
        let value = if stage == 4 { "150" } else { "25" };
        owner.post(&path("actions"), json!({ "description": "Refund the delivery charge", "remedy_kind": "refund", "remedy_value": value, "preventive_owner_id": maya })).await?;
        if stage == 3 || stage == 4 {
            continue; // in progress, or waiting for a manager's approval
        }
        manager.post(&path("preventive"), json!({ "root_cause": "Rounds planned without the last slot", "action": "Plan rounds to the last slot", "problem_id": shared })).await?;
        if stage == 5 {
            continue; // ready for the independent follow-up
        }
        colleague.post(&path("follow-up"), json!({ "outcome": "resolved", "satisfaction": 4 + (i % 2), "preventive_confirmed": true })).await?;
        owner.post(&path("close"), json!({ "note": "Resolved" })).await?;
    }
    Ok(())
}

/// Survey responses across the scale from customers invited earlier: the
/// low scores open follow-up cases, as the rules say.
async fn answered(api: &Client, survey: i64, maya: i64) -> Result<(), String> {
    let scores: [(u8, u8); 12] = [(5, 10), (5, 9), (4, 9), (4, 8), (3, 7), (2, 4), (1, 0), (5, 10), (4, 8), (3, 6), (5, 9), (4, 7)];
    let mut customers = Vec::new();
    for n in 0..scores.len() {
        customers.push(id(&api.post("/api/v1/customers", json!({ "name": format!("Survey respondent {}", n + 1), "email": format!("respondent{}@customer.example", n + 1), "timezone": "Europe/London", "client_manager_id": maya })).await?));
    }
    let invited = api.post(&format!("/api/v1/surveys/{survey}/invitations"), json!({ "customer_ids": customers })).await?;
    for (invitation, (rating, nps)) in invited.as_array().into_iter().flatten().zip(scores) {
        let code = invitation["code"].as_str().unwrap_or_default();
        let mut answers = json!({ "punctuality": rating, "condition": rating.max(2), "courtesy": (rating + 1).min(5), "recommend": nps });
        if rating < 4 {
            answers["comment"] = json!("The driver was in a hurry and the box was dented.");
        }
        api.post_public("/api/v1/responses", json!({ "code": code, "answers": answers })).await?;
    }
    Ok(())
}
