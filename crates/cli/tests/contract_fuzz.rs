//! The OpenAPI document is the contract: Schemathesis, from PyPI, drives a
//! real `redress serve` from it with every check on (`--checks all`: no
//! server error, only documented statuses, answers that match their
//! schemas, schema-valid requests accepted, invalid ones refused) and a
//! fixed seed, and must find nothing. On both backends. `scripts/test`
//! installs Schemathesis; `REDRESS_TEST_SCHEMATHESIS` names its `st`.

use redress_store::scratch::{test_postgres_server, ScratchDatabase};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_redress");
const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis.toml");

fn schemathesis() -> String {
    std::env::var("REDRESS_TEST_SCHEMATHESIS").unwrap_or_else(|_| "st".into())
}

fn contract_holds_under_fuzzing(backend: redress_store::Backend) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(ScratchDatabase::create(backend, &test_postgres_server())).unwrap();
    let out = Command::new(BIN).args(["admin", "create", "--database-url", &db.url]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let mut server = Command::new(BIN)
        .args(["serve", "--database-url", &db.url, "--bind", "127.0.0.1:0"])
        .env("REDRESS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read on, so the server never blocks on a full pipe.
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = server.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let base = loop {
        let line = rx.recv_timeout(Duration::from_secs(60)).expect("serve prints its address");
        if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            break url.to_string();
        }
    };
    let run = Command::new(schemathesis())
        .args(["--config-file", CONFIG, "run", &format!("{base}/api/openapi.json"), "--checks", "all", "--seed", "1", "--max-examples", "20"])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(["--request-timeout", "20", "--no-color"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run Schemathesis ({}): {e}; scripts/test installs it", schemathesis()));
    let _ = server.kill();
    let _ = server.wait();
    let report = String::from_utf8_lossy(&run.stdout);
    let summary = report.lines().rev().find(|l| l.contains(" in ") && l.starts_with('=')).unwrap_or_default();
    println!("{backend:?}: {summary}");
    assert!(run.status.success() && !summary.contains("failure") && !summary.contains("error"), "Schemathesis found problems:\n{report}\n{}", String::from_utf8_lossy(&run.stderr));
}

#[test]
fn sqlite_contract_holds_under_fuzzing() {
    contract_holds_under_fuzzing(redress_store::Backend::Sqlite);
}

#[test]
fn postgres_contract_holds_under_fuzzing() {
    contract_holds_under_fuzzing(redress_store::Backend::Postgres);
}
