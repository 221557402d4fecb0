//! The `redress` binary from the outside: migrate, admin create, serve (with
//! durability across a SIGKILL), demo and bench, on both backends.

use redress_store::scratch::{test_postgres_server, ScratchDatabase};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_redress");
const README: &str = include_str!("../../../README.md");

/// A fresh database for `backend` ("sqlite" or "postgres").
fn fresh(backend: &str, rt: &tokio::runtime::Runtime) -> ScratchDatabase {
    let kind = if backend == "sqlite" { redress_store::Backend::Sqlite } else { redress_store::Backend::Postgres };
    rt.block_on(ScratchDatabase::create(kind, &test_postgres_server())).expect("a scratch database")
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN).args(args).env_remove("REDRESS_DATABASE_URL").output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Starts a long-running subcommand and waits for the line naming its URL.
/// The caller owns the child and waits for it.
#[allow(clippy::zombie_processes)]
fn start(args: &[&str]) -> (Child, String, Vec<String>) {
    start_with_env(args, &[])
}

#[allow(clippy::zombie_processes)]
fn start_with_env(args: &[&str], env: &[(&str, String)]) -> (Child, String, Vec<String>) {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_remove("REDRESS_DATABASE_URL").stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    for stream in [Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>, Box::new(child.stderr.take().unwrap())] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let mut lines = Vec::new();
    loop {
        // The demo writes months of history one step at a time first (on
        // PostgreSQL a commit each, while other tests share the disk).
        let line = rx.recv_timeout(Duration::from_secs(180)).unwrap_or_else(|_| panic!("no URL printed; got {lines:?}"));
        lines.push(line.clone());
        if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            // The demo prints its tokens after the URL line.
            std::thread::sleep(Duration::from_millis(200));
            lines.extend(rx.try_iter());
            return (child, url.to_string(), lines);
        }
    }
}

fn terminate(child: &mut Child) {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful shutdown on SIGTERM: {status}");
}

fn serve_durably(backend: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = fresh(backend, &rt);
    let url = db.url.clone();
    let (ok, out, err) = run(&["migrate", "--database-url", &url]);
    let applied: usize = out.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(ok && applied > 0 && out.contains("migration(s) applied"), "{out}{err}");
    let (ok, out, _) = run(&["migrate", "--database-url", &url]);
    assert!(ok && out.contains("0 migration(s) applied"), "migrations are applied once: {out}");
    let (ok, token, err) = run(&["admin", "create", "--database-url", &url, "--name", "Root", "--email", "root@example.com"]);
    assert!(ok, "{err}");
    let token = token.trim().to_string();
    assert!(token.starts_with("rdr_") && token.len() == 68, "{token}");
    let (ok, _, err) = run(&["admin", "create", "--database-url", "mysql://nope"]);
    assert!(!ok && err.contains("not understood"), "{err}");

    let http = reqwest::Client::new();
    let (mut server, base, _) = start(&["serve", "--database-url", &url, "--bind", "127.0.0.1:0"]);
    let created: Vec<i64> = rt.block_on(async {
        assert_eq!(http.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
        let me: Value = http.get(format!("{base}/api/v1/me")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["role"], "admin");
        let c: Value = http.post(format!("{base}/api/v1/customers")).bearer_auth(&token).json(&json!({ "name": "C" })).send().await.unwrap().json().await.unwrap();
        let mut ids = Vec::new();
        for i in 0..20 {
            let resp = http
                .post(format!("{base}/api/v1/cases"))
                .bearer_auth(&token)
                .json(&json!({ "customer_id": c["id"], "channel": "phone", "summary": format!("case {i}") }))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 201);
            ids.push(resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
        }
        ids
    });
    // Acknowledged writes survive the process being killed outright.
    server.kill().unwrap();
    server.wait().unwrap();
    let (mut server, base, _) = start(&["serve", "--database-url", &url, "--bind", "127.0.0.1:0"]);
    rt.block_on(async {
        let page: Value = http.get(format!("{base}/api/v1/cases?limit=100")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let mut ids: Vec<i64> = page["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
        ids.sort();
        assert_eq!(ids, created);
    });
    terminate(&mut server);
}

fn demo_seeds_every_stage(backend: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut args = vec!["demo", "--bind", "127.0.0.1:0"];
    let db = fresh(backend, &rt);
    if backend == "postgres" {
        args.extend(["--database-url", db.url.as_str()]);
    }
    let (mut demo, base, lines) = start(&args);
    let admin = lines.iter().find(|l| l.contains("admin") && l.contains("rdr_")).and_then(|l| l.split_whitespace().last()).expect("admin token printed").to_string();
    rt.block_on(async {
        let http = reqwest::Client::new();
        // Every case, page by page: months of history come with the stages.
        let mut all = Vec::new();
        let mut next = String::new();
        loop {
            let page: Value = http.get(format!("{base}/api/v1/cases?limit=500{next}")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
            all.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_before"].as_i64() {
                Some(before) => next = format!("&before={before}"),
                None => break,
            }
        }
        assert!(all.len() > 300, "the demo has months of cases: {}", all.len());
        let items = &all;
        for status in ["open", "in_progress", "awaiting_approval", "reopened", "closed"] {
            assert!(items.iter().any(|c| c["status"] == status), "no {status} case in the demo");
        }
        assert!(items.iter().any(|c| c["flagged"] == true));
        assert!(items.iter().any(|c| c["channel"] == "retailer"));
        assert!(items.iter().any(|c| c["apology"]["status"] == "held"));
        // The insight pages tell a story: one category rises this week.
        let candidates: Value = http.get(format!("{base}/api/v1/candidate-problems")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
        let labels: Vec<&str> = candidates.as_array().unwrap().iter().filter_map(|c| c["label"].as_str()).collect();
        assert!(labels.contains(&"Category: Damaged in transit"), "{labels:?}");
        assert!(!labels.contains(&"Category: Billing error"), "{labels:?}");
        let m: Value = http.get(format!("{base}/api/v1/metrics")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
        assert!(m["satisfaction"]["responses"].as_u64().unwrap() > 500, "a month of responses: {}", m["satisfaction"]);
        let notes: Value = http.get(format!("{base}/api/v1/notifications")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
        assert!(!notes.as_array().unwrap().is_empty());
        let messages: Value = http.get(format!("{base}/api/v1/notifications?kind=case_message")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
        assert!(!messages.as_array().unwrap().is_empty(), "the partner wrote to an owner");

        // The demo partner signs in at the console and lands on its own cases.
        assert!(lines.iter().any(|l| l.contains("Partner portal") && l.contains("retailer@demo.example") && l.contains("redress-demo")), "{lines:?}");
        let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let login = browser.get(format!("{base}/console/login")).send().await.unwrap();
        let csrf = login.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|c| c.starts_with("redress_csrf=")).unwrap().split(';').next().unwrap().to_string();
        let token = csrf.split_once('=').unwrap().1.to_string();
        let form = format!("csrf={token}&email=retailer%40demo.example&password=redress-demo");
        let resp = browser.post(format!("{base}/console/login")).header("cookie", &csrf).header("content-type", "application/x-www-form-urlencoded").body(form).send().await.unwrap();
        assert_eq!(resp.status(), 303);
        assert_eq!(resp.headers()["location"], "/console/partner");
        let session = resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|c| c.starts_with("redress_session=")).unwrap().split(';').next().unwrap().to_string();
        let page = browser.get(format!("{base}/console/partner")).header("cookie", format!("{csrf}; {session}")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("Customer returned a faulty kettle in store") && html.contains("Toaster sparks at the plug"), "{html}");
        assert!(!html.contains("Vase arrived broken"), "only its own cases");
    });
    terminate(&mut demo);
}

fn bench_runs(backend: &str) {
    let (ok, out, err) = run(&["bench", "--cases", "200", "--concurrency", "8", "--backend", backend, "--postgres-url", &test_postgres_server()]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("200 created, 0 failed"), "{out}");
    assert!(out.contains("throughput") && out.contains("p99"), "{out}");
    assert!(out.contains("http ceiling") && out.contains("storage ceiling") && out.contains("% of the lower ceiling"), "{out}");
    assert!(out.contains("memory       idle"), "{out}");
}

/// The write scenarios driven from outside against a running server
/// (`--url`), their ceilings measured beside them, the figures as JSON.
fn bench_drives_a_running_server(backend: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = fresh(backend, &rt);
    let (ok, token, err) = run(&["admin", "create", "--database-url", &db.url, "--name", "Root"]);
    assert!(ok, "{err}");
    let (mut server, base, _) = start(&["serve", "--database-url", &db.url, "--bind", "127.0.0.1:0"]);
    for (workload, count) in [("cases", "--cases"), ("responses", "--responses")] {
        let args = ["bench", "--workload", workload, count, "60", "--invitations", "120", "--concurrency", "4", "--url", &base, "--token", token.trim(), "--database", &db.url, "--json"];
        let (ok, out, err) = run(&args);
        assert!(ok, "{out}{err}");
        let figures: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert_eq!(figures["workload"], workload, "{figures}");
        assert_eq!(figures["scenario"]["done"], 60, "{figures}");
        assert_eq!(figures["scenario"]["failed"], 0, "{figures}");
        assert_eq!(figures["http_ceiling"]["done"], 60, "{figures}");
        assert!(figures["storage_ceiling_per_s"].as_f64().unwrap() > 0.0, "{figures}");
        assert!(figures["percent_of_ceiling"].as_f64().unwrap() > 0.0, "{figures}");
        assert!(figures["rss_peak_mib"].is_null(), "the server's memory is not this process's: {figures}");
    }
    rt.block_on(async {
        let cases: Value = reqwest::Client::new().get(format!("{base}/api/v1/cases?limit=500")).bearer_auth(token.trim()).send().await.unwrap().json().await.unwrap();
        // 60 cases and 60 more by the storage ceiling; 12 + 12 follow-ups of the responses.
        assert_eq!(cases["items"].as_array().unwrap().len(), 144, "{cases}");
    });
    let (ok, _, err) = run(&["bench", "--url", &base, "--workload", "console"]);
    assert!(!ok && err.contains("--url drives the workloads cases and responses only"), "{err}");
    let (ok, _, err) = run(&["bench", "--url", &base]);
    assert!(!ok && err.contains("--token"), "{err}");
    terminate(&mut server);
}

#[test]
fn sqlite_bench_drives_a_running_server() {
    bench_drives_a_running_server("sqlite");
}
#[test]
fn postgres_bench_drives_a_running_server() {
    bench_drives_a_running_server("postgres");
}

/// Two processes on one database: follow-up rules changed through one
/// apply at once to responses the other takes, though it keeps the
/// directory responses are judged against in memory.
fn directory_changes_reach_every_process(backend: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = fresh(backend, &rt);
    let (ok, token, err) = run(&["admin", "create", "--database-url", &db.url]);
    assert!(ok, "{err}");
    let token = token.trim().to_string();
    let (mut a, base_a, _) = start(&["serve", "--database-url", &db.url, "--bind", "127.0.0.1:0"]);
    let (mut b, base_b, _) = start(&["serve", "--database-url", &db.url, "--bind", "127.0.0.1:0"]);
    rt.block_on(async {
        let http = reqwest::Client::new();
        let codes = survey_codes(&http, &base_a, &token, 2).await;
        let answer = |code: &str| http.post(format!("{base_a}/api/v1/responses")).json(&json!({ "code": code, "answers": { "q": 4 } })).send();
        let cases = || async {
            let page: Value = http.get(format!("{base_b}/api/v1/cases")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
            page["items"].as_array().unwrap().len()
        };
        assert_eq!(answer(&codes[0]).await.unwrap().status(), 201);
        assert_eq!(cases().await, 0, "a 4 opens no case under the default rules");
        let me: Value = http.get(format!("{base_b}/api/v1/me")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let stricter = json!({ "rules": [{ "lowest_rating_at_most": 4, "open_case": true, "owner": { "user": me["id"] } }] });
        let resp = http.put(format!("{base_b}/api/v1/follow-up-rules")).bearer_auth(&token).json(&stricter).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(answer(&codes[1]).await.unwrap().status(), 201);
        assert_eq!(cases().await, 1, "the other process judged the next 4 by the new rules");
    });
    terminate(&mut a);
    terminate(&mut b);
}

#[test]
fn sqlite_directory_changes_reach_every_process() {
    directory_changes_reach_every_process("sqlite");
}
#[test]
fn postgres_directory_changes_reach_every_process() {
    directory_changes_reach_every_process("postgres");
}

#[test]
fn sqlite_serve_survives_sigkill() {
    serve_durably("sqlite");
}
#[test]
fn postgres_serve_survives_sigkill() {
    serve_durably("postgres");
}
#[test]
fn sqlite_demo_seeds_every_stage() {
    demo_seeds_every_stage("sqlite");
}
#[test]
fn postgres_demo_seeds_every_stage() {
    demo_seeds_every_stage("postgres");
}
#[test]
fn sqlite_bench_runs() {
    bench_runs("sqlite");
}
#[test]
fn postgres_bench_runs() {
    bench_runs("postgres");
}

#[test]
fn config_file_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("from-file.db");
    let file = dir.path().join("redress.toml");
    std::fs::write(&file, format!("database_url = \"sqlite://{}\"\n", db.display())).unwrap();
    let (ok, out, err) = run(&["migrate", "--config", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("from-file.db") && db.exists(), "{out}");
    let (ok, _, err) = run(&["migrate", "--config", "/nonexistent/redress.toml"]);
    assert!(!ok && err.contains("does not exist"), "{err}");
    let env_db = dir.path().join("from-env.db");
    let out = Command::new(BIN).arg("migrate").env("REDRESS_DATABASE_URL", format!("sqlite://{}", env_db.display())).output().unwrap();
    assert!(out.status.success() && env_db.exists(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A misspelt key stops every command, naming it and the key meant, from
/// the file and from the environment; `config check` prints what is in
/// force with passwords hidden, as the README shows.
#[test]
fn config_check_refuses_unknown_keys_and_hides_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("redress.toml");
    std::fs::write(&file, "[smtp]\nhost = \"mail.example.com\"\nport = 587\nfrom = \"care@example.com\"\ntls = \"none\"\n").unwrap();
    let (ok, _, err) = run(&["migrate", "--config", file.to_str().unwrap()]);
    assert!(!ok && err.contains("unknown setting `smtp.tls`") && err.contains("did you mean `smtp.security`?"), "{err}");

    let out = Command::new(BIN).args(["config", "check"]).current_dir(dir.path()).env("REDRESS_JOB_LEASE", "30").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("environment variable REDRESS_JOB_LEASE") && err.contains("did you mean `job_lease_secs`?"), "{err}");

    std::fs::write(&file, "[smtp]\nhost = \"mail.example.com\"\nport = 587\nfrom = \"care@example.com\"\nusername = \"care\"\npassword = \"smtp-secret-9\"\n").unwrap();
    let block = README.split("```sh\n").find(|b| b.trim_start().starts_with("redress config check")).expect("the README's config check example");
    let out = Command::new("bash")
        .arg("-c")
        .arg(block.split("```").next().unwrap())
        .current_dir(dir.path())
        .env("PATH", format!("{}:{}", std::path::Path::new(BIN).parent().unwrap().display(), std::env::var("PATH").unwrap_or_default()))
        .env("REDRESS_DATABASE_URL", "postgres://redress:db-secret-7@db.example.com/redress")
        .env("REDRESS_TOKEN", "not a setting")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!shown.contains("smtp-secret-9") && !shown.contains("db-secret-7"), "{shown}");
    assert!(shown.contains("database_url = \"postgres://redress:***@db.example.com/redress\"") && shown.contains("host = \"mail.example.com\""), "{shown}");
}

fn import_invitations(backend: &str) {
    use redress_core::survey::{NewSurvey, Question, QuestionKind, SurveyPurpose};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = fresh(backend, &rt);
    let (survey, known) = rt.block_on(async {
        let store = redress_store::open(&db.url).await.unwrap();
        let q = Question { key: "q".into(), prompt: "How was it?".into(), kind: QuestionKind::Rating, options: vec![], required: true, category_id: None };
        let s = NewSurvey::parse("Imported", None, None, vec![q], 5, None, SurveyPurpose::Feedback).unwrap();
        let survey = store.create_survey(s, jiff::Timestamp::now()).await.unwrap();
        let c = redress_core::customer::NewCustomer { name: "Known".into(), email: Some("known@example.com".into()), phone: None, timezone: "UTC".into(), client_manager_id: None, language: None };
        (survey.id.0, store.create_customer(c, jiff::Timestamp::now()).await.unwrap().id.0)
    });
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let output = dir.path().join("codes.csv");
    std::fs::write(&input, format!("email,name,timezone,customer_id\nKNOWN@example.com,,,\nnew@example.com,New Person,Europe/London,\n,,,{known}\n")).unwrap();
    let (ok, _, err) = run(&["import", "invitations", "--database-url", &db.url, "--survey", &survey.to_string(), "--file", input.to_str().unwrap(), "--output", output.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(err.contains("invited 3 customer(s)"), "{err}");
    let written = std::fs::read_to_string(&output).unwrap();
    let rows: Vec<Vec<String>> = written.lines().skip(1).map(|l| l.split(',').map(str::to_string).collect()).collect();
    assert_eq!(rows.len(), 3, "{written}");
    assert_eq!(rows[0][0], known.to_string(), "found by e-mail, any case");
    assert_eq!(rows[2][0], known.to_string());
    assert_ne!(rows[1][0], known.to_string(), "a new customer");
    rt.block_on(async {
        let store = redress_store::open(&db.url).await.unwrap();
        for row in &rows {
            let digest = redress_core::access_code::digest_of(&row[3]).unwrap();
            let (inv, s) = store.invitation_by_code(&digest).await.unwrap().expect("the code opens the survey");
            assert_eq!((inv.customer_id.0.to_string(), s.id.0), (row[0].clone(), survey));
        }
    });
    std::fs::write(&input, "email,name\nnot-an-address,X\n").unwrap();
    let (ok, _, err) = run(&["import", "invitations", "--database-url", &db.url, "--survey", &survey.to_string(), "--file", input.to_str().unwrap()]);
    assert!(!ok && err.contains("line 2") && err.contains("not an e-mail address"), "{err}");
}

fn customer_export_and_erase(backend: &str) {
    use redress_core::case::{Case, NewCase, Outcome};
    use redress_core::terms::Severity;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = fresh(backend, &rt);
    let (admin, agent, customer) = rt.block_on(async {
        let store = redress_store::open(&db.url).await.unwrap();
        let now = jiff::Timestamp::now();
        let user = |name: &str, role| redress_core::user::NewUser { name: name.into(), email: None, role, mandate: redress_core::Money::ZERO, manager_id: None, password_hash: None };
        let admin = store.create_user(user("Root", redress_core::user::Role::Admin), redress_core::audit::ChangedBy::command_line(now)).await.unwrap();
        let agent = store.create_user(user("Alice", redress_core::user::Role::Agent), redress_core::audit::ChangedBy::command_line(now)).await.unwrap();
        let c = redress_core::customer::NewCustomer { name: "Hedy Lamarr".into(), email: Some("hedy@example.com".into()), phone: Some("555-0100".into()), timezone: "UTC".into(), client_manager_id: None, language: None };
        let customer = store.create_customer(c, now).await.unwrap();
        let settings = store.settings().await.unwrap();
        let input = NewCase {
            channel: redress_core::case::Channel::Phone,
            summary: "Radio jams every evening".into(),
            description: "Hedy says the radio jams at 8pm".into(),
            desired_resolution: None,
            severity: Severity::Normal,
            significant: false,
            service_area_id: None,
            occurred_at: None,
            reported_at: None,
            order_reference: None,
            category_id: None,
        };
        let targets = settings.targets_for(None, Severity::Normal);
        let (case, events) = Case::open(input, &customer, &agent, &agent, &settings, targets, now).unwrap();
        store.create_case(case, Outcome { events, ..Default::default() }, None, &settings).await.unwrap();
        (admin.id.0.to_string(), agent.id.0.to_string(), customer.id.0.to_string())
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("customer-{customer}.json"));
    let (ok, _, err) = run(&["customer", "export", "--id", &customer, "--output", file.to_str().unwrap(), "--database-url", &db.url]);
    assert!(ok, "{err}");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!((doc["customer"]["name"].as_str(), doc["cases"][0]["summary"].as_str()), (Some("Hedy Lamarr"), Some("Radio jams every evening")));
    assert!(doc["erasure"].is_null() && doc["cases"][0]["timeline"][0]["kind"] == "created", "{doc}");

    let (ok, _, err) = run(&["customer", "erase", "--id", &customer, "--by", &agent, "--database-url", &db.url]);
    assert!(!ok && err.contains("only an active admin"), "{err}");
    let (ok, out, err) = run(&["customer", "erase", "--id", &customer, "--by", &admin, "--database-url", &db.url]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("erased the personal data of customer {customer}: 1 case(s)")), "{out}");
    let (ok, out, err) = run(&["customer", "export", "--id", &customer, "--database-url", &db.url]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("Erased customer {customer}")) && !out.contains("Hedy") && !out.contains("555-0100") && !out.contains("Radio jams"), "{out}");
    let after: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(after["erasure"]["erased_by"].as_i64(), admin.parse().ok());
    // The erasure is in the audit trail, by the admin named, without the data it erased.
    let trail = rt.block_on(async { redress_store::open(&db.url).await.unwrap().audit_log(None, 50).await.unwrap() });
    let erased: Vec<_> = trail.iter().filter(|e| e.action == "customer.erased").collect();
    assert_eq!(erased.len(), 1, "{trail:?}");
    assert_eq!((erased[0].actor_id.map(|a| a.0.to_string()), erased[0].subject.as_str()), (Some(admin.clone()), format!("customer {customer}").as_str()));
    let written = serde_json::to_string(&erased[0]).unwrap();
    assert!(!written.contains("Hedy") && !written.contains("555-0100") && !written.contains("Radio jams"), "{written}");
    let (ok, _, err) = run(&["customer", "erase", "--id", &customer, "--by", &admin, "--database-url", &db.url]);
    assert!(!ok && err.contains("was already erased on"), "once only: {err}");
    let (ok, _, err) = run(&["customer", "export", "--id", "999", "--database-url", &db.url]);
    assert!(!ok && err.contains("customer 999 does not exist"), "{err}");
}

#[test]
fn sqlite_customer_export_and_erase() {
    customer_export_and_erase("sqlite");
}
#[test]
fn postgres_customer_export_and_erase() {
    customer_export_and_erase("postgres");
}

fn bench_responses_runs(backend: &str) {
    let (ok, out, err) = run(&[
        "bench", "--workload", "responses", "--responses", "100", "--invitations", "500", "--concurrency", "8", "--backend", backend,
        "--postgres-url", &test_postgres_server(),
    ]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("100 created, 0 failed"), "{out}");
    // The scenario's 100 and the storage ceiling's 100: every fifth opens a case.
    assert!(out.contains("follow-ups   40 survey cases opened"), "every fifth response opens a case: {out}");
    assert!(out.contains("storage ceiling") && out.contains("% of the lower ceiling"), "{out}");
}

#[test]
fn sqlite_import_invitations() {
    import_invitations("sqlite");
}
#[test]
fn postgres_import_invitations() {
    import_invitations("postgres");
}
#[test]
fn sqlite_bench_responses_runs() {
    bench_responses_runs("sqlite");
}
#[test]
fn postgres_bench_responses_runs() {
    bench_responses_runs("postgres");
}

/// Environment that points `serve` at the SMTP sink on `port`.
fn smtp_env(port: u16, poll_ms: u64) -> Vec<(&'static str, String)> {
    vec![
        ("REDRESS_SMTP__HOST", "127.0.0.1".into()),
        ("REDRESS_SMTP__PORT", port.to_string()),
        ("REDRESS_SMTP__SECURITY", "none".into()),
        ("REDRESS_SMTP__FROM", "Customer Care <care@example.com>".into()),
        ("REDRESS_JOB_POLL_MS", poll_ms.to_string()),
    ]
}

/// An SMTP attempt that could outlast its job's lease is refused at start,
/// naming both settings, before anything is served.
#[test]
fn an_smtp_attempt_longer_than_half_the_job_lease_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("r.db").display());
    let out = Command::new(BIN)
        .args(["serve", "--database-url", &url, "--bind", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("REDRESS_DATABASE_URL")
        .envs(smtp_env(25, 500))
        .env("REDRESS_JOB_LEASE_SECS", "60")
        .env("REDRESS_SMTP__ATTEMPT_TIMEOUT_SECS", "45")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("smtp.attempt_timeout_secs (45) must be at most half of job_lease_secs (60)"), "{err}");
}

/// A survey and `n` access codes for a customer with an e-mail address.
async fn survey_codes(http: &reqwest::Client, base: &str, token: &str, n: usize) -> Vec<String> {
    let post = |path: &str, body: Value| http.post(format!("{base}{path}")).bearer_auth(token).json(&body).send();
    let c: Value = post("/api/v1/customers", json!({ "name": "Grace", "email": "grace@example.com" })).await.unwrap().json().await.unwrap();
    let s: Value = post("/api/v1/surveys", json!({ "title": "S", "questions": [{ "key": "q", "prompt": "How was it?", "kind": "rating" }] })).await.unwrap().json().await.unwrap();
    let ids: Vec<Value> = (0..n).map(|_| c["id"].clone()).collect();
    let inv: Value = post(&format!("/api/v1/surveys/{}/invitations", s["id"]), json!({ "customer_ids": ids })).await.unwrap().json().await.unwrap();
    inv.as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap().to_string()).collect()
}

async fn respond(http: &reqwest::Client, base: &str, code: &str) {
    let resp = http.post(format!("{base}/api/v1/responses")).json(&json!({ "code": code, "answers": { "q": 5 } })).send().await.unwrap();
    assert_eq!(resp.status(), 201);
}

async fn wait_for_messages(sink: &redress_mail::sink::SmtpSink, n: usize) {
    for _ in 0..400 {
        if sink.messages().len() >= n {
            // Linger to catch any duplicate.
            tokio::time::sleep(Duration::from_millis(500)).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("only {} of {n} messages arrived", sink.messages().len());
}

#[test]
fn two_serve_processes_on_one_postgres_deliver_each_message_once() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = fresh("postgres", &rt);
    let (ok, token, err) = run(&["admin", "create", "--database-url", &db.url]);
    assert!(ok, "{err}");
    let token = token.trim().to_string();
    let sink = rt.block_on(redress_mail::sink::SmtpSink::start()).unwrap();
    let env = smtp_env(sink.port, 20);
    let (mut a, base_a, _) = start_with_env(&["serve", "--database-url", &db.url, "--bind", "127.0.0.1:0"], &env);
    let (mut b, base_b, _) = start_with_env(&["serve", "--database-url", &db.url, "--bind", "127.0.0.1:0"], &env);
    rt.block_on(async {
        let http = reqwest::Client::new();
        let codes = survey_codes(&http, &base_a, &token, 120).await;
        for (i, code) in codes.iter().enumerate() {
            respond(&http, if i % 2 == 0 { &base_a } else { &base_b }, code).await;
        }
        wait_for_messages(&sink, 120).await;
        assert_eq!(sink.messages().len(), 120, "every acknowledgement exactly once across two processes");
        let notes: Value = http.get(format!("{base_b}/api/v1/notifications?limit=500")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert!(notes.as_array().unwrap().iter().all(|n| n["status"] == "sent" && n["attempts"] == 1), "{notes}");
    });
    terminate(&mut a);
    terminate(&mut b);
}

/// The server is killed outright while it delivers acknowledgements to a
/// slow mail server, then started again: every message arrives, and a
/// message whose sending the kill interrupted (sent, not yet recorded) is
/// sent again under the same Message-ID, so a receiver keeps it once.
fn sigkill_during_delivery(backend: &str) {
    const N: usize = 150;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = fresh(backend, &rt);
    let (ok, token, err) = run(&["admin", "create", "--database-url", &db.url]);
    assert!(ok, "{err}");
    let token = token.trim().to_string();
    let sink = rt.block_on(redress_mail::sink::SmtpSink::start()).unwrap();
    sink.delay_each(Duration::from_millis(250));
    // A killed process's jobs run again once their lease (here 5 s) passes;
    // an attempt must end within half of it.
    let mut env = smtp_env(sink.port, 20);
    env.push(("REDRESS_JOB_LEASE_SECS", "5".into()));
    env.push(("REDRESS_SMTP__ATTEMPT_TIMEOUT_SECS", "2".into()));
    let (mut first, base, _) = start_with_env(&["serve", "--database-url", &db.url, "--bind", "127.0.0.1:0"], &env);
    let http = reqwest::Client::new();
    rt.block_on(async {
        for code in survey_codes(&http, &base, &token, N).await {
            respond(&http, &base, &code).await;
        }
        while sink.count() < 10 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    first.kill().unwrap();
    first.wait().unwrap();
    let at_kill = sink.count();
    assert!(at_kill < N, "the kill came while messages were still going out ({at_kill} of {N} received)");
    sink.delay_each(Duration::ZERO);
    let (mut again, base, _) = start_with_env(&["serve", "--database-url", &db.url, "--bind", "127.0.0.1:0"], &env);
    rt.block_on(async {
        let sent = || async {
            let notes: Value = http.get(format!("{base}/api/v1/notifications?limit=500")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
            notes.as_array().unwrap().iter().filter(|n| n["status"] == "sent").count()
        };
        for _ in 0..600 {
            if sent().await == N {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(sent().await, N, "every acknowledgement recorded as sent after the restart");
        // Linger to catch anything sent twice.
        tokio::time::sleep(Duration::from_millis(500)).await;
    });
    let messages = sink.messages();
    let mut ids: Vec<&str> = messages.iter().map(|m| m.message_id().expect("every message has a Message-ID")).collect();
    ids.sort();
    let total = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), N, "every acknowledgement arrived, each under its own Message-ID");
    // Only messages in flight at the kill (at most one per delivery slot) may repeat.
    assert!(total - N <= 64, "{} repeats of {N} messages", total - N);
    eprintln!("{backend}: {at_kill} of {N} received before the kill, {} sent again after it under the same Message-ID", total - N);
    terminate(&mut again);
}

#[test]
fn sqlite_sigkill_during_delivery_then_restart() {
    sigkill_during_delivery("sqlite");
}
#[test]
fn postgres_sigkill_during_delivery_then_restart() {
    sigkill_during_delivery("postgres");
}

fn bench_delivery_runs(backend: &str) {
    let (ok, out, err) = run(&[
        "bench", "--workload", "delivery", "--notifications", "60", "--concurrency", "4", "--rate", "200", "--backend", backend, "--postgres-url",
        &test_postgres_server(), "--json",
    ]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("backlog      60 messages delivered to a local SMTP server"), "{out}");
    assert!(out.contains("on time      60 more while 200 responses/s arrived") && out.contains("p99"), "{out}");
    assert!(out.contains("received     120 messages in all (120 recorded as sent)"), "{out}");
    let figures: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert!(figures["backlog"]["per_s"].as_f64().unwrap() > 0.0, "{figures}");
    assert!(figures["on_time"]["delay_p99_ms"].as_f64().unwrap() >= 0.0, "{figures}");
}

#[test]
fn sqlite_bench_delivery_runs() {
    bench_delivery_runs("sqlite");
}
#[test]
fn postgres_bench_delivery_runs() {
    bench_delivery_runs("postgres");
}

fn bench_console_runs(backend: &str) {
    let (ok, out, err) = run(&["bench", "--workload", "console", "--cases", "100", "--views", "5", "--concurrency", "4", "--backend", backend, "--postgres-url", &test_postgres_server()]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("home page    5 views over 101 cases") && out.contains("case page    5 views over 101 cases"), "{out}");
}

#[test]
fn sqlite_bench_console_runs() {
    bench_console_runs("sqlite");
}
#[test]
fn postgres_bench_console_runs() {
    bench_console_runs("postgres");
}

/// The insight workload end to end at a tiny size: bulk load, rollup
/// rebuild, metrics and search timed, figures printed (and as JSON).
#[test]
fn sqlite_bench_insight_runs() {
    let (ok, out, err) = run(&["bench", "--workload", "insight", "--sizes", "1000,2000", "--queries", "5", "--json", "--backend", "sqlite"]);
    assert!(ok, "bench failed: {out}\n{err}");
    for want in ["== 1000 responses, 100 cases (sqlite) ==", "== 2000 responses, 200 cases (sqlite) ==", "metrics year", "metrics week", "search", "peak RSS", "ratio"] {
        assert!(out.contains(want), "no '{want}' in {out}");
    }
    let figures: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(figures["sizes"][1]["cases"], 200);
    assert!(figures["sizes"][1]["rollup_rows"].as_u64().unwrap() > 0);
}

/// The `name=value` of the cookie `name` a response sets.
fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|v| v.starts_with(&format!("{name}="))).map(str::to_string)
}

/// A whole run with every log line on (`REDRESS_LOG=trace`): an admin
/// made with a password, a staff account, tokens issued, console sign-ins
/// right and wrong, access codes used and guessed, status links mailed and
/// opened, a database password in the URL. None of those secrets appears
/// in what the processes printed. Served behind TLS (an `https` public
/// URL), every response carries HSTS and every cookie is `Secure`.
fn secrets_never_reach_the_log(backend: &str) {
    const ADMIN_PASSWORD: &str = "admin-pass-27182818";
    const AGENT_PASSWORD: &str = "agent-pass-16180339";
    const DB_PASSWORD: &str = "db-pass-31415926";
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = fresh(backend, &rt);
    // Trust authentication takes any password: it only has to be in the URL.
    let url = db.url.replacen("postgres@", &format!("postgres:{DB_PASSWORD}@"), 1);
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("redress.log");
    let log = || std::fs::OpenOptions::new().create(true).append(true).open(&log_path).unwrap();
    let sink = rt.block_on(redress_mail::sink::SmtpSink::start()).unwrap();
    let mut env = smtp_env(sink.port, 20);
    env.extend([("REDRESS_LOG", "trace".to_string()), ("REDRESS_PUBLIC_URL", "https://feedback.example.com".to_string()), ("REDRESS_DATABASE_URL", url.clone())]);
    let command = |args: &[&str]| {
        let mut cmd = Command::new(BIN);
        cmd.args(args).env_remove("RUST_LOG").stdout(Stdio::piped()).stderr(log());
        for (k, v) in &env {
            cmd.env(k, v);
        }
        cmd
    };
    let out = command(&["admin", "create", "--email", "admin@example.com", "--password", ADMIN_PASSWORD]).output().unwrap();
    assert!(out.status.success());
    let admin_token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let mut server = command(&["serve", "--bind", "127.0.0.1:0"]).stdout(log()).spawn().unwrap();
    let base = (0..600)
        .find_map(|_| {
            std::thread::sleep(Duration::from_millis(50));
            let printed = std::fs::read_to_string(&log_path).unwrap_or_default();
            printed.split_whitespace().find(|w| w.starts_with("http://127.0.0.1")).map(str::to_string)
        })
        .expect("serve prints its address");
    let mut secrets = vec![ADMIN_PASSWORD.to_string(), AGENT_PASSWORD.to_string(), DB_PASSWORD.to_string(), admin_token.clone()];
    rt.block_on(async {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let post = |path: &str, body: Value| http.post(format!("{base}{path}")).bearer_auth(&admin_token).json(&body).send();
        let agent: Value = post("/api/v1/users", json!({ "name": "Sue", "email": "sue@example.com", "role": "agent", "password": AGENT_PASSWORD })).await.unwrap().json().await.unwrap();
        let issued: Value = post(&format!("/api/v1/users/{}/tokens", agent["id"]), json!({ "label": "laptop" })).await.unwrap().json().await.unwrap();
        let agent_token = issued["token"].as_str().unwrap().to_string();
        let me = http.get(format!("{base}/api/v1/me")).bearer_auth(&agent_token).send().await.unwrap();
        assert_eq!(me.status(), 200);
        secrets.push(agent_token);
        // `admin create` is on the audit trail, made from the command line.
        let trail: Value = http.get(format!("{base}/api/v1/audit?limit=500")).bearer_auth(&admin_token).send().await.unwrap().json().await.unwrap();
        let from_cli: Vec<&str> = trail.as_array().unwrap().iter().filter(|e| e["actor_id"].is_null()).map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(from_cli, ["token.issued", "user.created"], "{trail}");

        // Console sign-ins, wrong and right, behind TLS.
        let page = http.get(format!("{base}/console/login")).send().await.unwrap();
        assert_eq!(page.headers()["strict-transport-security"], "max-age=31536000");
        let csrf_cookie = set_cookie(&page, "redress_csrf").expect("a CSRF cookie");
        assert!(csrf_cookie.contains("; Secure"), "{csrf_cookie}");
        let csrf = csrf_cookie.split(';').next().unwrap().to_string();
        let token = csrf.split_once('=').unwrap().1.to_string();
        for password in ["agent-pass-wrong-1234", AGENT_PASSWORD] {
            let form = [("csrf", token.as_str()), ("email", "sue@example.com"), ("password", password)];
            let resp = http.post(format!("{base}/console/login")).header("cookie", &csrf).form(&form).send().await.unwrap();
            if password == AGENT_PASSWORD {
                assert_eq!(resp.status(), 303);
                let session = set_cookie(&resp, "redress_session").expect("a session cookie");
                assert!(session.contains("; Secure") && session.contains("HttpOnly"), "{session}");
                secrets.push(session.split(';').next().unwrap().split_once('=').unwrap().1.to_string());
            } else {
                assert_eq!(resp.status(), 401);
            }
        }
        secrets.push("agent-pass-wrong-1234".into());

        // Access codes: used, and guessed.
        let codes = survey_codes(&http, &base, &admin_token, 3).await;
        for code in &codes[..2] {
            respond(&http, &base, code).await;
        }
        let guess = http.post(format!("{base}/api/v1/responses")).json(&json!({ "code": "GUESSED-CODE-99", "answers": { "q": 5 } })).send().await.unwrap();
        assert!(guess.status().is_client_error());
        secrets.extend(codes);
        secrets.push("GUESSED-CODE-99".into());

        // A reply on a case goes out by e-mail with a status link, which is opened.
        let customer: Value = post("/api/v1/customers", json!({ "name": "Ada", "email": "ada@example.com" })).await.unwrap().json().await.unwrap();
        let case: Value = post("/api/v1/cases", json!({ "customer_id": customer["id"], "channel": "phone", "summary": "Parcel arrived broken" })).await.unwrap().json().await.unwrap();
        let reply = post(&format!("/api/v1/cases/{}/communications", case["id"]), json!({ "direction": "outbound", "channel": "web", "body": "We are sending a new one." })).await.unwrap();
        assert!(reply.status().is_success(), "{:?}", reply.text().await);
        wait_for_messages(&sink, 3).await;
        for m in sink.messages().iter().filter(|m| m.to == ["ada@example.com"]) {
            // Quoted-printable: soft line breaks undone.
            let text = m.data.replace("=\n", "");
            let at = text.find("https://feedback.example.com/status/").unwrap_or_else(|| panic!("a status link in {text}")) + "https://feedback.example.com/status/".len();
            let token: String = text[at..].chars().take_while(char::is_ascii_hexdigit).collect();
            let link = format!("/status/{token}");
            let page = http.get(format!("{base}/status/{token}")).send().await.unwrap();
            assert_eq!(page.status(), 200, "{link}");
            secrets.push(token);
        }
    });
    terminate(&mut server);
    let printed = std::fs::read_to_string(&log_path).unwrap();
    assert!(printed.lines().count() > 300 && printed.contains("sqlx::query"), "the run logged every statement, at trace level:\n{printed}");
    for secret in &secrets {
        assert!(!printed.contains(secret.as_str()), "a secret ({}…) reached the log", &secret[..6.min(secret.len())]);
    }
}

#[test]
fn sqlite_secrets_never_reach_the_log() {
    secrets_never_reach_the_log("sqlite");
}

#[test]
fn postgres_secrets_never_reach_the_log() {
    secrets_never_reach_the_log("postgres");
}

/// A backup taken while cases pour in holds every case acknowledged before
/// it began; restored in place of another database and served, each of
/// them reads back. Backing up over an existing file, restoring over a
/// database without `--replace`, and restoring something that is not a
/// backup are refused, naming what is wrong.
#[test]
fn sqlite_backup_under_write_load_restores_every_acknowledged_case() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let live = format!("sqlite://{}", dir.path().join("live.db").display());
    let (ok, token, err) = run(&["admin", "create", "--database-url", &live]);
    assert!(ok, "{err}");
    let token = token.trim().to_string();
    let (mut server, base, _) = start(&["serve", "--database-url", &live, "--bind", "127.0.0.1:0"]);
    let backup = dir.path().join("redress-backup.db");
    let (acknowledged_before, acknowledged_after) = rt.block_on(async {
        let http = reqwest::Client::new();
        let customer: Value = http.post(format!("{base}/api/v1/customers")).bearer_auth(&token).json(&json!({ "name": "Grace" })).send().await.unwrap().json().await.unwrap();
        let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
        let writing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let mut writers = Vec::new();
        for _ in 0..8 {
            let (http, base, token, acked, writing, customer) = (http.clone(), base.clone(), token.clone(), acked.clone(), writing.clone(), customer["id"].clone());
            writers.push(tokio::spawn(async move {
                while writing.load(std::sync::atomic::Ordering::SeqCst) {
                    let body = json!({ "customer_id": customer, "channel": "phone", "summary": "Parcel arrived broken" });
                    let resp = http.post(format!("{base}/api/v1/cases")).bearer_auth(&token).json(&body).send().await.unwrap();
                    assert_eq!(resp.status(), 201);
                    let case: Value = resp.json().await.unwrap();
                    acked.lock().unwrap().push(case["id"].as_i64().unwrap());
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = acked.lock().unwrap().clone();
        let args: Vec<String> = vec!["backup".into(), "--database-url".into(), live.clone(), "--output".into(), backup.display().to_string()];
        let out = tokio::task::spawn_blocking(move || Command::new(BIN).args(args).env_remove("REDRESS_DATABASE_URL").output().unwrap()).await.unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("backed up"), "{}", String::from_utf8_lossy(&out.stdout));
        tokio::time::sleep(Duration::from_millis(200)).await;
        writing.store(false, std::sync::atomic::Ordering::SeqCst);
        for w in writers {
            w.await.unwrap();
        }
        let after = acked.lock().unwrap().len();
        (before, after)
    });
    terminate(&mut server);
    assert!(acknowledged_before.len() > 20 && acknowledged_after > acknowledged_before.len(), "writes went on during the backup: {} then {acknowledged_after}", acknowledged_before.len());

    let (ok, _, err) = run(&["backup", "--database-url", &live, "--output", backup.to_str().unwrap()]);
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = run(&["restore", "--database-url", &live, "--input", backup.to_str().unwrap()]);
    assert!(!ok && err.contains("--replace"), "{err}");
    let junk = dir.path().join("notes.txt");
    std::fs::write(&junk, "not a database").unwrap();
    let (ok, _, err) = run(&["restore", "--database-url", &live, "--input", junk.to_str().unwrap(), "--replace"]);
    assert!(!ok && err.contains("is not a Redress backup"), "{err}");

    // Restored over the live database (stopped), and served.
    let (ok, out, err) = run(&["restore", "--database-url", &live, "--input", backup.to_str().unwrap(), "--replace"]);
    assert!(ok && out.contains("restored"), "{out}{err}");
    let (mut server, base, _) = start(&["serve", "--database-url", &live, "--bind", "127.0.0.1:0"]);
    rt.block_on(async {
        let http = reqwest::Client::new();
        for id in &acknowledged_before {
            let resp = http.get(format!("{base}/api/v1/cases/{id}")).bearer_auth(&token).send().await.unwrap();
            assert_eq!(resp.status(), 200, "case {id}, acknowledged before the backup began, is in it");
        }
    });
    terminate(&mut server);
}

/// PostgreSQL is backed up with its own tools; `redress backup` says so.
#[test]
fn postgres_backup_points_to_pg_dump() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = fresh("postgres", &rt);
    let (ok, _, err) = run(&["backup", "--database-url", &db.url, "--output", "/tmp/never-written.db"]);
    assert!(!ok && err.contains("pg_dump"), "{err}");
}

/// The README's backup, restore and PostgreSQL commands, pasted as written
/// in a folder with `redress` on the PATH: on the default SQLite database,
/// and with pg_dump and pg_restore against a PostgreSQL one.
#[test]
fn readme_backup_commands_run_as_written() {
    let blocks: Vec<&str> = README.split("```sh\n").skip(1).filter_map(|b| b.split("```").next()).collect();
    let pick = |word: &str| blocks.iter().find(|b| b.trim_start().starts_with(word)).copied().unwrap_or_else(|| panic!("the README's `{word}` example"));
    let (backup, restore, postgres) = (pick("redress backup"), pick("redress restore"), pick("pg_dump"));
    let dir = tempfile::tempdir().unwrap();
    let path = format!("{}:{}", std::path::Path::new(BIN).parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    let sh = |script: &str, env: &[(&str, &str)]| {
        let mut cmd = Command::new("bash");
        cmd.args(["-e", "-c", script]).current_dir(dir.path()).env("PATH", &path).env_remove("REDRESS_DATABASE_URL");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{script}\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    };
    sh("redress admin create >/dev/null", &[]);
    sh(backup, &[]);
    sh(restore, &[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = fresh("postgres", &rt);
    sh("redress migrate", &[("REDRESS_DATABASE_URL", &db.url)]);
    sh(postgres, &[("REDRESS_DATABASE_URL", &db.url)]);
}

/// A database written by the first release (the migration set of version
/// 1, seeded by its `redress demo`; committed under `tests/fixtures`)
/// migrates forward on start and serves: its cases, timelines and tokens
/// read back, and new work is written beside them.
fn first_release_database_upgrades_and_serves(backend: &str) {
    // The fixtures' admin tokens, as the first release's demo printed them.
    const SQLITE_ADMIN: &str = "rdr_e8176366be72bf3b16d5cca9e010c770d9fed58f1ae12deae900332861ec956d";
    const POSTGRES_ADMIN: &str = "rdr_f29dd4402f2d2fc448a7f68a83194517f507124358361c2e0ec706b6a213464b";
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (url, token, _db) = if backend == "sqlite" {
        let file = dir.path().join("v1.db");
        std::fs::copy(fixtures.join("v1.sqlite.db"), &file).unwrap();
        (format!("sqlite://{}", file.display()), SQLITE_ADMIN, None)
    } else {
        let db = fresh("postgres", &rt);
        let out = Command::new("psql").args([db.url.as_str(), "-q", "-v", "ON_ERROR_STOP=1", "-f"]).arg(fixtures.join("v1.postgres.sql")).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (db.url.clone(), POSTGRES_ADMIN, Some(db))
    };
    let (ok, out, err) = run(&["migrate", "--database-url", &url]);
    assert!(ok, "{err}");
    assert!(!out.starts_with("0 "), "the first release's database needed migrations: {out}");
    let (mut server, base, _) = start(&["serve", "--database-url", &url, "--bind", "127.0.0.1:0"]);
    rt.block_on(async {
        let http = reqwest::Client::new();
        let get = |path: String| http.get(format!("{base}{path}")).bearer_auth(token).send();
        let page: Value = get("/api/v1/cases?limit=100".into()).await.unwrap().json().await.unwrap();
        let cases = page["items"].as_array().unwrap_or_else(|| panic!("{page}"));
        assert_eq!(cases.len(), 10, "the demo's ten cases: {page}");
        for case in cases {
            let resp = get(format!("/api/v1/cases/{}", case["id"])).await.unwrap();
            assert_eq!(resp.status(), 200);
            let full: Value = resp.json().await.unwrap();
            assert!(!full["timeline"].as_array().unwrap().is_empty(), "{full}");
        }
        let users: Value = get("/api/v1/users".into()).await.unwrap().json().await.unwrap();
        assert_eq!(users.as_array().unwrap().len(), 7, "{users}");
        let customer = &cases[0]["customer_id"];
        let body = json!({ "customer_id": customer, "channel": "phone", "summary": "Written after the upgrade" });
        let resp = http.post(format!("{base}/api/v1/cases")).bearer_auth(token).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 201, "{:?}", resp.text().await);
        let figures = get("/api/v1/metrics".into()).await.unwrap();
        assert_eq!(figures.status(), 200, "the figures are computed over the old cases too");
    });
    terminate(&mut server);
}

#[test]
fn sqlite_first_release_database_upgrades_and_serves() {
    first_release_database_upgrades_and_serves("sqlite");
}

#[test]
fn postgres_first_release_database_upgrades_and_serves() {
    first_release_database_upgrades_and_serves("postgres");
}

/// Two processes on one PostgreSQL database enforce one guessing limit: ten
/// wrong access codes, or ten wrong status links, spread over both make the
/// next attempt at either a 429 with `Retry-After`.
#[test]
fn guessing_limits_hold_across_two_processes() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = fresh("postgres", &rt);
    let (ok, _, err) = run(&["migrate", "--database-url", &db.url]);
    assert!(ok, "{err}");
    let (mut a, base_a, _) = start(&["serve", "--database-url", &db.url, "--bind", "127.0.0.1:0"]);
    let (mut b, base_b, _) = start(&["serve", "--database-url", &db.url, "--bind", "127.0.0.1:0"]);
    rt.block_on(async {
        let http = reqwest::Client::new();
        for (i, base) in [&base_a, &base_b].into_iter().cycle().take(10).enumerate() {
            let resp = http.post(format!("{base}/api/v1/responses")).json(&json!({ "code": format!("WRONG-CODE-{i:04}"), "answers": {} })).send().await.unwrap();
            assert_eq!(resp.status(), 403, "wrong code {i} is refused as such");
        }
        for base in [&base_a, &base_b] {
            let resp = http.post(format!("{base}/api/v1/responses")).json(&json!({ "code": "ANOTHER-WRONG", "answers": {} })).send().await.unwrap();
            assert_eq!(resp.status(), 429, "the limit holds at {base}");
            assert!(resp.headers().contains_key("retry-after"));
        }
        for (i, base) in [&base_a, &base_b].into_iter().cycle().take(10).enumerate() {
            let resp = http.get(format!("{base}/status/{:048x}", i)).send().await.unwrap();
            assert_eq!(resp.status(), 404, "wrong link {i}");
        }
        for base in [&base_a, &base_b] {
            let resp = http.get(format!("{base}/status/{:048x}", 99)).send().await.unwrap();
            assert_eq!(resp.status(), 429, "the status-link limit holds at {base}");
            assert!(resp.headers().contains_key("retry-after"));
        }
    });
    terminate(&mut a);
    terminate(&mut b);
}

/// A PostgreSQL cluster of the test's own (Debian's `postgresql` package),
/// to restart at will without disturbing the suite's shared server.
struct Cluster {
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
    bin: std::path::PathBuf,
    port: u16,
}

impl Cluster {
    fn as_postgres(&self, tool: &str) -> Command {
        let tool = self.bin.join(tool);
        // As root, the server runs as the postgres account.
        let root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
        if root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(tool);
            c
        } else {
            Command::new(tool)
        }
    }

    fn start() -> Cluster {
        let bin = std::fs::read_dir("/usr/lib/postgresql").expect("Debian's postgresql package").filter_map(Result::ok).map(|e| e.path().join("bin")).find(|b| b.join("initdb").exists()).expect("initdb");
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let _ = Command::new("chown").args(["-R", "postgres"]).arg(dir.path()).status();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let cluster = Cluster { _dir: dir, data, bin, port };
        let out = cluster.as_postgres("initdb").args(["-A", "trust", "-U", "postgres", "-D"]).arg(&cluster.data).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        cluster.pg_ctl("start");
        cluster
    }

    fn pg_ctl(&self, action: &str) {
        let options = format!("-p {} -c listen_addresses=127.0.0.1 -k {}", self.port, self.data.display());
        let out = self.as_postgres("pg_ctl").args(["-D"]).arg(&self.data).args(["-o", &options, "-m", "fast", "-w", "-l"]).arg(self.data.join("log")).arg(action).output().unwrap();
        assert!(out.status.success(), "pg_ctl {action}: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.as_postgres("pg_ctl").args(["-D"]).arg(&self.data).args(["-m", "immediate", "stop"]).output();
    }
}

/// What clients saw while writing through a fault.
#[derive(Default)]
struct Tally {
    acknowledged: Vec<i64>,
    unavailable: usize,
    /// Acknowledged after a second or more: held until the database could take them.
    held: usize,
}

/// `clients` writers create cases until `stop`; a 503 must say when to
/// retry; any other refusal fails the test.
async fn write_cases_until(base: &str, token: &str, clients: usize, stop: std::sync::Arc<std::sync::atomic::AtomicBool>, expect_while_failing: u16) -> Tally {
    let http = reqwest::Client::new();
    let customer: Value = http.post(format!("{base}/api/v1/customers")).bearer_auth(token).json(&json!({ "name": "Grace" })).send().await.unwrap().json().await.unwrap();
    let tally = std::sync::Arc::new(std::sync::Mutex::new(Tally::default()));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, base, token, stop, tally, customer) = (http.clone(), base.to_string(), token.to_string(), stop.clone(), tally.clone(), customer["id"].clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let body = json!({ "customer_id": customer, "channel": "phone", "summary": "Parcel arrived broken" });
                let sent = Instant::now();
                let resp = http.post(format!("{base}/api/v1/cases")).bearer_auth(&token).json(&body).send().await.unwrap();
                let status = resp.status().as_u16();
                let retry_after = resp.headers().get("retry-after").is_some();
                let problem = resp.headers().get("content-type").is_some_and(|v| v == "application/problem+json");
                let v: Value = resp.json().await.unwrap();
                match status {
                    201 => {
                        let mut tally = tally.lock().unwrap();
                        tally.acknowledged.push(v["id"].as_i64().unwrap());
                        tally.held += usize::from(sent.elapsed() >= Duration::from_secs(1));
                    }
                    s if s == expect_while_failing => {
                        assert!(problem && v["detail"].is_string() && (s != 503 || retry_after), "{s} as problem details{}: {v}", if s == 503 { " with Retry-After" } else { "" });
                        tally.lock().unwrap().unavailable += 1;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    other => panic!("answered {other}: {v}"),
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let taken = std::mem::take(&mut *tally.lock().unwrap());
    taken
}

/// A server on `url` with an admin's token, and `clients` writers creating
/// cases on it until `stop` (see [`write_cases_until`]).
struct UnderLoad {
    server: Child,
    base: String,
    token: String,
    rt: tokio::runtime::Runtime,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    load: tokio::task::JoinHandle<Tally>,
}

/// A test that fails before it terminates the server leaves none running.
impl Drop for UnderLoad {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn serve_under_load(url: &str, clients: usize, expect_while_failing: u16) -> UnderLoad {
    let (ok, token, err) = run(&["admin", "create", "--database-url", url]);
    assert!(ok, "{err}");
    let token = token.trim().to_string();
    let (server, base, _) = start(&["serve", "--database-url", url, "--bind", "127.0.0.1:0"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = {
        let (base, token, stop) = (base.clone(), token.clone(), stop.clone());
        rt.spawn(async move { write_cases_until(&base, &token, clients, stop, expect_while_failing).await })
    };
    UnderLoad { server, base, token, rt, stop, load }
}

impl UnderLoad {
    /// Stops the writers; answers what they saw.
    fn finish(&mut self) -> Tally {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let load = std::mem::replace(&mut self.load, self.rt.spawn(async { Tally::default() }));
        self.rt.block_on(load).unwrap()
    }
}

/// PostgreSQL restarts while 16 clients write: requests caught by it get
/// 503 problem details with `Retry-After`, or are held until it is back
/// and then stored (a write whose batch the stop broke is written again
/// alone, waiting for a connection), the server recovers on its own, and
/// every acknowledged case is there, once.
#[test]
fn postgres_restart_mid_load_loses_nothing_acknowledged() {
    let cluster = Cluster::start();
    let mut under = serve_under_load(&cluster.url(), 16, 503);
    let (base, token) = (under.base.clone(), under.token.clone());
    std::thread::sleep(Duration::from_millis(1500));
    let before = Instant::now();
    cluster.pg_ctl("stop");
    std::thread::sleep(Duration::from_millis(1500));
    cluster.pg_ctl("start");
    let outage = before.elapsed();
    std::thread::sleep(Duration::from_millis(2500));
    let tally = under.finish();
    let (lost, duplicated) = under.rt.block_on(async {
        let http = reqwest::Client::new();
        let page: Value = http.get(format!("{base}/api/v1/cases?limit=500")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let mut stored: Vec<i64> = Vec::new();
        let mut next = page;
        loop {
            stored.extend(next["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()));
            let Some(before) = next["next_before"].as_i64() else { break };
            next = http.get(format!("{base}/api/v1/cases?limit=500&before={before}")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        }
        let lost = tally.acknowledged.iter().filter(|id| !stored.contains(id)).count();
        let mut acked = tally.acknowledged.clone();
        acked.sort();
        acked.dedup();
        (lost, tally.acknowledged.len() - acked.len())
    });
    println!(
        "PostgreSQL restart ({} ms down): {} acknowledged ({} held a second or more), {} answered 503, {lost} lost, {duplicated} duplicated",
        outage.as_millis(),
        tally.acknowledged.len(),
        tally.held,
        tally.unavailable
    );
    assert!(tally.unavailable + tally.held > 0, "requests were caught by the restart");
    assert_eq!((lost, duplicated), (0, 0));
    assert!(tally.acknowledged.len() > 50);
    // Recovered on its own: a write after the restart succeeds at once.
    let after = under.rt.block_on(async {
        reqwest::Client::new().get(format!("{base}/api/v1/cases?limit=1")).bearer_auth(&token).send().await.unwrap().status()
    });
    assert_eq!(after, 200);
    terminate(&mut under.server);
}

/// The SQLite database's filesystem fills up while clients write (a 4 MiB
/// tmpfs mounted by the test): writes get 507 problem details, reads go on,
/// writes resume once space returns, every acknowledged case is there, and
/// `PRAGMA integrity_check` is ok.
#[test]
fn sqlite_disk_full_refuses_writes_keeps_reads_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("small");
    std::fs::create_dir(&mount).unwrap();
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"]).arg(&mount).status().unwrap();
    assert!(mounted.success(), "mounting a 4 MiB tmpfs (the test runs as root, as CI does)");
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mount.clone());
    let mut under = serve_under_load(&format!("sqlite://{}", mount.join("redress.db").display()), 8, 507);
    let (base, token) = (under.base.clone(), under.token.clone());
    let rt = &under.rt;
    let http = reqwest::Client::new();
    // Until the disk is full, then a while longer.
    let full_at = (0..1200).find(|_| {
        std::thread::sleep(Duration::from_millis(50));
        let resp = rt.block_on(http.post(format!("{base}/api/v1/customers")).bearer_auth(&token).json(&json!({ "name": "Probe" })).send()).unwrap();
        resp.status() == 507
    });
    assert!(full_at.is_some(), "the 4 MiB disk filled up");
    std::thread::sleep(Duration::from_millis(500));
    let read = rt.block_on(http.get(format!("{base}/api/v1/cases?limit=5")).bearer_auth(&token).send()).unwrap();
    assert_eq!(read.status(), 200, "reads go on while the disk is full");
    let resized = Command::new("mount").args(["-o", "remount,size=64m"]).arg(&mount).status().unwrap();
    assert!(resized.success());
    let resumed = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        rt.block_on(http.post(format!("{base}/api/v1/customers")).bearer_auth(&token).json(&json!({ "name": "After" })).send()).unwrap().status() == 201
    });
    assert!(resumed, "writes resume once space returns");
    std::thread::sleep(Duration::from_millis(500));
    let tally = under.finish();
    let lost = under.rt.block_on(async {
        let mut lost = 0;
        for id in &tally.acknowledged {
            if http.get(format!("{base}/api/v1/cases/{id}")).bearer_auth(&token).send().await.unwrap().status() != 200 {
                lost += 1;
            }
        }
        lost
    });
    terminate(&mut under.server);
    println!("SQLite disk full: {} acknowledged, {} answered 507, {lost} lost", tally.acknowledged.len(), tally.unavailable);
    assert!(tally.unavailable > 0 && lost == 0);
    let out = Command::new("python3").args(["-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])"]).arg(mount.join("redress.db")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok", "{}", String::from_utf8_lossy(&out.stderr));
}
