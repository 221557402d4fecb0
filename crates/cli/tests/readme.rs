//! The README's API examples, pasted as a newcomer pastes them: every shell
//! block made of `curl` commands runs, in order, against a real `redress
//! serve` on a fresh database, with the token `redress admin create`
//! printed. Only the address (`localhost:8080`) and the token differ from
//! the text. A command answered with a 4xx or 5xx fails the test.

use redress_store::scratch::{test_postgres_server, ScratchDatabase};
use std::process::Command;

mod serving;
use serving::BIN;
const README: &str = include_str!("../../../README.md");

/// Every shell block of the README, in order.
fn sh_blocks() -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in README.lines() {
        let fence = line.trim_start().starts_with("```");
        match current.take() {
            None if line.trim() == "```sh" => current = Some(String::new()),
            None => {}
            Some(block) if fence => blocks.push(block),
            Some(mut block) => {
                block.push_str(line);
                block.push('\n');
                current = Some(block);
            }
        }
    }
    blocks
}

/// The shell blocks whose commands are all `curl` (or set `T` and `H`).
fn curl_blocks() -> Vec<String> {
    sh_blocks()
        .into_iter()
        .filter(|block| {
            let mut commands = block.lines().filter(|l| !l.starts_with(' ') && !l.trim().is_empty());
            block.contains("curl ") && commands.all(|l| l.starts_with("curl ") || l.starts_with("T=") || l.starts_with("H="))
        })
        .collect()
}

fn readme_examples_run_as_written(backend: redress_store::Backend) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(ScratchDatabase::create(backend, &test_postgres_server())).unwrap();
    let out = Command::new(BIN).args(["admin", "create", "--database-url", &db.url, "--name", "Your Name"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (mut server, base) = serving::serve(&db.url, &[]);
    let addr = base.trim_start_matches("http://").to_string();
    let blocks = curl_blocks();
    assert!(blocks.len() >= 3, "the README's curl examples: {blocks:?}");
    // Each curl must be answered with a 2xx; its body is printed as usual.
    let mut script = String::from(
        "set -e\ncurl() { out=$(command curl -w '\\n%{http_code}' \"$@\"); code=${out##*$'\\n'}; printf '%s\\n' \"${out%$'\\n'*}\"; \
         if [ \"$code\" -ge 400 ] || [ \"$code\" = 000 ]; then echo \"answered $code: $*\" >&2; return 1; fi; }\n",
    );
    for block in &blocks {
        script.push_str(&block.replace("localhost:8080", &addr).replace("T=rdr_...", &format!("T={token}")));
    }
    let run = Command::new("bash").arg("-c").arg(&script).output().unwrap();
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        run.status.success(),
        "a README example failed:\n{}\n{}\nscript:\n{script}",
        String::from_utf8_lossy(&run.stderr),
        String::from_utf8_lossy(&run.stdout)
    );
}

#[test]
fn sqlite_readme_examples_run_as_written() {
    readme_examples_run_as_written(redress_store::Backend::Sqlite);
}

#[test]
fn postgres_readme_examples_run_as_written() {
    readme_examples_run_as_written(redress_store::Backend::Postgres);
}

/// The README's benchmark of a running server, pasted as written in an
/// empty folder with `redress` on the PATH; only the port differs.
#[test]
fn readme_bench_of_a_running_server_runs_as_written() {
    let block = sh_blocks().into_iter().find(|b| b.contains("redress bench --url")).expect("the README's --url example");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let bin = std::path::Path::new(BIN).parent().unwrap();
    // Stops the server should a command fail before the block's own `kill`.
    let script = format!("set -e\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{}", block.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}")));
    let run = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()))
        .env_remove("REDRESS_DATABASE_URL")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "the README's --url example failed:\n{}\n{out}", String::from_utf8_lossy(&run.stderr));
    let figures: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(figures["workload"], "cases", "{figures}");
    assert_eq!(figures["backend"], "sqlite", "{figures}");
    assert_eq!(figures["scenario"]["done"], 2000, "{figures}");
    assert!(figures["storage_ceiling_per_s"].as_f64().unwrap() > 0.0, "{figures}");
}

/// The README's setting for the writer's log, as written: `serve` logs its
/// writer's batches and, on SQLite, its copies of the write-ahead log back;
/// on PostgreSQL the batch writer's batches of new cases.
fn readme_writer_log_setting(backend: redress_store::Backend) {
    let setting = README.split('`').find(|s| s.starts_with("REDRESS_LOG=") && s.contains("redress_store::writer")).expect("the README's writer log setting");
    let value = setting.trim_start_matches("REDRESS_LOG=");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(ScratchDatabase::create(backend, &test_postgres_server())).unwrap();
    let out = Command::new(BIN).args(["admin", "create", "--database-url", &db.url, "--name", "Your Name"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (mut server, base, log) = serving::serve_logging(&db.url, &[("REDRESS_LOG", value)]);
    let opened = rt.block_on(async {
        let client = reqwest::Client::new();
        let customer: serde_json::Value =
            client.post(format!("{base}/api/v1/customers")).bearer_auth(&token).json(&serde_json::json!({ "name": "Ada" })).send().await.unwrap().json().await.unwrap();
        let case = serde_json::json!({ "customer_id": customer["id"], "channel": "phone", "summary": "Parcel arrived damaged", "description": "The box was crushed" });
        client.post(format!("{base}/api/v1/cases")).bearer_auth(&token).json(&case).send().await.unwrap().status()
    });
    assert_eq!(opened, 201);
    let sqlite = backend == redress_store::Backend::Sqlite;
    let (mut batch, mut copy) = (false, !sqlite);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !(batch && copy) && std::time::Instant::now() < deadline {
        if let Ok(line) = log.recv_timeout(std::time::Duration::from_millis(200)) {
            let wanted = if sqlite { "batch on the" } else { "batch of new cases and responses" };
            batch |= line.contains(wanted) && line.contains("writes");
            copy |= line.contains("log copied back");
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    assert!(batch, "no writer batch was logged with {setting}");
    assert!(copy, "no copy of the log back was logged with {setting}");
}

#[test]
fn readme_writer_log_setting_logs_batches_and_log_copies() {
    readme_writer_log_setting(redress_store::Backend::Sqlite);
}

#[test]
fn readme_writer_log_setting_logs_the_postgres_batch_writer() {
    readme_writer_log_setting(redress_store::Backend::Postgres);
}

/// The README's "Who may do what" table is the authorisation matrix the
/// server enforces, cell for cell.
#[test]
fn readme_shows_the_authorisation_matrix_the_server_enforces() {
    let table = redress_core::authorisation::markdown();
    assert!(README.contains(&table), "README.md's authorisation table is out of date; it should read:\n{table}");
}
