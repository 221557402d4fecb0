//! The OpenAPI document is the contract: Schemathesis, from PyPI, drives a
//! real `redress serve` from it with every check on (`--checks all`: no
//! server error, only documented statuses, answers that match their
//! schemas, schema-valid requests accepted, invalid ones refused) and a
//! fixed seed, and must find nothing. On both backends. `scripts/test`
//! installs Schemathesis; `REDRESS_TEST_SCHEMATHESIS` names its `st`.

use redress_store::scratch::{test_postgres_server, ScratchDatabase};
use std::process::Command;

mod serving;
use serving::BIN;
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
    let (mut server, base) = serving::serve(&db.url, &[("REDRESS_LOG", "warn")]);
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
