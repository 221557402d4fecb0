//! `redress export` from the outside: on the database a running `redress
//! serve` uses, it writes the very CSV `GET /api/v1/export/…` answers, for
//! a period or all of it, to a file or standard output. Both backends.

use redress_store::scratch::{test_postgres_server, ScratchDatabase};
use serde_json::{json, Value};
use std::process::Command;

mod serving;
use serving::BIN;

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN).args(args).env_remove("REDRESS_DATABASE_URL").output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn export_matches_the_api(backend: redress_store::Backend) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(ScratchDatabase::create(backend, &test_postgres_server())).unwrap();
    let (ok, token, err) = run(&["admin", "create", "--database-url", &db.url, "--name", "Admin"]);
    assert!(ok, "{err}");
    let token = token.trim().to_string();
    let (mut server, base) = serving::serve(&db.url, &[]);

    let (cases, api_cases, api_november, api_responses) = rt.block_on(async {
        let http = reqwest::Client::new();
        let post = |path: &str, body: Value| {
            let req = http.post(format!("{base}{path}")).bearer_auth(&token).json(&body);
            async move {
                let resp = req.send().await.unwrap();
                assert!(resp.status().is_success(), "{}", resp.status());
                resp.json::<Value>().await.unwrap()
            }
        };
        let get = |path: String| {
            let req = http.get(format!("{base}{path}")).bearer_auth(&token);
            async move {
                let resp = req.send().await.unwrap();
                assert_eq!(resp.status(), 200);
                resp.text().await.unwrap()
            }
        };
        let customer = post("/api/v1/customers", json!({ "name": "Grace", "email": "grace@example.com" })).await["id"].clone();
        let mut cases = Vec::new();
        for (summary, at) in [("Vase \"Ming\", broken\nin two", "2025-11-03T10:00:00Z"), ("=1+2", "2025-11-20T10:00:00Z"), ("Late", "2025-12-01T10:00:00Z")] {
            let c = post("/api/v1/cases", json!({ "customer_id": customer, "channel": "phone", "summary": summary, "reported_at": at })).await;
            cases.push(c["id"].as_i64().unwrap());
        }
        let survey = post("/api/v1/surveys", json!({ "title": "Delivery, survey", "questions": [{ "key": "speed", "prompt": "How fast?", "kind": "rating" }] })).await;
        let invited = post(&format!("/api/v1/surveys/{}/invitations", survey["id"]), json!({ "customer_ids": [customer] })).await;
        let resp = http.post(format!("{base}/api/v1/responses")).json(&json!({ "code": invited[0]["code"], "answers": { "speed": 5 } })).send().await.unwrap();
        assert_eq!(resp.status(), 201);
        (cases, get("/api/v1/export/cases".into()).await, get("/api/v1/export/cases?from=2025-11-01&to=2025-12-01".into()).await, get("/api/v1/export/responses".into()).await)
    });

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f.csv");
    let (ok, _, err) = run(&["export", "--what", "cases", "--output", file.to_str().unwrap(), "--database-url", &db.url]);
    assert!(ok, "{err}");
    assert!(err.contains("exported 3 cases to"), "{err}");
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(written, api_cases, "the same CSV as the API");
    let mut reader = csv::Reader::from_reader(written.as_bytes());
    assert_eq!(reader.headers().unwrap().get(0), Some("id"));
    let summary = reader.headers().unwrap().iter().position(|h| h == "summary").expect("a summary column");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.iter().map(|r| r[0].parse::<i64>().unwrap()).collect::<Vec<_>>(), cases, "by id");
    assert_eq!((&rows[0][summary], &rows[1][summary]), ("Vase \"Ming\", broken\nin two", "'=1+2"), "the summary, quoted and neutralised");

    let (ok, out, err) = run(&["export", "--what", "cases", "--from", "2025-11-01", "--to", "2025-12-01", "--database-url", &db.url]);
    assert!(ok, "{err}");
    assert_eq!(out, api_november, "a period, to standard output");
    let (ok, out, err) = run(&["export", "--what", "responses", "--database-url", &db.url]);
    assert!(ok && err.contains("exported 1 responses"), "{err}");
    assert_eq!(out, api_responses);
    assert!(out.contains("\"Delivery, survey\""), "{out}");

    let (ok, _, err) = run(&["export", "--what", "cases", "--from", "last week", "--database-url", &db.url]);
    assert!(!ok && err.contains("from: 'last week'"), "{err}");
    let (ok, _, err) = run(&["export", "--what", "things", "--database-url", &db.url]);
    assert!(!ok && err.contains("things"), "{err}");

    // The README's `redress rollups rebuild`, on the same database while it is served.
    let (ok, out, err) = run(&["rollups", "rebuild", "--database-url", &db.url]);
    assert!(ok, "{err}");
    assert!(out.starts_with("rebuilt ") && out.contains("from 3 cases, 1 responses, 1 invitations"), "{out}");
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn sqlite_export_matches_the_api() {
    export_matches_the_api(redress_store::Backend::Sqlite);
}

#[test]
fn postgres_export_matches_the_api() {
    export_matches_the_api(redress_store::Backend::Postgres);
}
