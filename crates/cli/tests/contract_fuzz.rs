//! The OpenAPI document is the contract: Schemathesis, from PyPI, drives a
//! real `redress serve` from it with every check on (`--checks all`: no
//! server error, only documented statuses, answers that match their
//! schemas, schema-valid requests accepted, invalid ones refused) and a
//! fixed seed, and must find nothing (see [`contract_holds_under_fuzzing`]
//! for a run that does). On both backends. `scripts/test`
//! installs Schemathesis; `REDRESS_TEST_SCHEMATHESIS` names its `st`.

use redress_store::scratch::{test_postgres_server, ScratchDatabase};
use std::process::Command;

mod serving;
use serving::BIN;
const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis.toml");

fn schemathesis() -> String {
    std::env::var("REDRESS_TEST_SCHEMATHESIS").unwrap_or_else(|_| "st".into())
}

/// One Schemathesis run against a fresh server on a fresh database:
/// whether it found nothing, and its report.
fn fuzz_once(backend: redress_store::Backend) -> (bool, String) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(ScratchDatabase::create(backend, &test_postgres_server())).unwrap();
    let out = Command::new(BIN).args(["admin", "create", "--database-url", &db.url]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (mut server, base) = serving::serve(&db.url, &[("REDRESS_LOG", "warn")]);
    // Schemathesis keeps a cache of what it found in its working folder and
    // replays it; a fresh folder keeps each run to its seed.
    let scratch = tempfile::tempdir().unwrap();
    let run = Command::new(schemathesis())
        .current_dir(scratch.path())
        .args(["--config-file", CONFIG, "run", &format!("{base}/api/openapi.json"), "--checks", "all", "--seed", "1", "--max-examples", "20"])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(["--request-timeout", "20", "--no-color"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run Schemathesis ({}): {e}; scripts/test installs it", schemathesis()));
    let _ = server.kill();
    let _ = server.wait();
    let report = format!("{}\n{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    let summary = report.lines().rev().find(|l| l.contains(" in ") && l.starts_with('=')).unwrap_or_default().to_string();
    println!("{backend:?}: {summary}");
    (run.status.success() && !summary.contains("failure") && !summary.contains("error"), report)
}

/// The stateful phase meets the server's real clock and state, so a run is
/// not exactly repeatable. A run that finds something is kept under the
/// build's tmp folder (`contract-fuzz-*.txt`) and repeated once on a fresh
/// database; a finding that comes back fails the test.
fn contract_holds_under_fuzzing(backend: redress_store::Backend) {
    let (clean, report) = fuzz_once(backend);
    if clean {
        return;
    }
    let kept = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("contract-fuzz-{backend:?}-{}.txt", std::process::id()));
    let _ = std::fs::write(&kept, &report);
    eprintln!("Schemathesis found problems once (kept in {}):\n{report}", kept.display());
    let (clean, again) = fuzz_once(backend);
    assert!(clean, "Schemathesis found problems twice:\n{again}");
}

#[test]
fn sqlite_contract_holds_under_fuzzing() {
    contract_holds_under_fuzzing(redress_store::Backend::Sqlite);
}

#[test]
fn postgres_contract_holds_under_fuzzing() {
    contract_holds_under_fuzzing(redress_store::Backend::Postgres);
}
