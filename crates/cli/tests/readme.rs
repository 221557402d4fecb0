//! The README's API examples, pasted as a newcomer pastes them: every shell
//! block made of `curl` commands runs, in order, against a real `redress
//! serve` on a fresh database, with the token `redress admin create`
//! printed. Only the address (`localhost:8080`) and the token differ from
//! the text. A command answered with a 4xx or 5xx fails the test.

use redress_store::scratch::{test_postgres_server, ScratchDatabase};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_redress");
const README: &str = include_str!("../../../README.md");

/// The shell blocks whose commands are all `curl` (or set `T` and `H`).
fn curl_blocks() -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in README.lines() {
        match (&mut current, line.trim_start().starts_with("```")) {
            (None, true) if line.trim() == "```sh" => current = Some(String::new()),
            (Some(block), true) => {
                let commands = block.lines().filter(|l| !l.starts_with(' ') && !l.trim().is_empty());
                if block.contains("curl ") && commands.clone().all(|l| l.starts_with("curl ") || l.starts_with("T=") || l.starts_with("H=")) {
                    blocks.push(block.clone());
                }
                current = None;
            }
            (Some(block), false) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

fn readme_examples_run_as_written(backend: redress_store::Backend) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(ScratchDatabase::create(backend, &test_postgres_server())).unwrap();
    let out = Command::new(BIN).args(["admin", "create", "--database-url", &db.url, "--name", "Your Name"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let mut server = Command::new(BIN)
        .args(["serve", "--database-url", &db.url, "--bind", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = server.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let addr = loop {
        let line = rx.recv_timeout(Duration::from_secs(60)).expect("serve prints its address");
        if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            break url.trim_start_matches("http://").to_string();
        }
    };
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
