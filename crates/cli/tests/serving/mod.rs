//! `redress serve` started for a test on a free port: the child, and the
//! address it printed. Its log is read on, so it never blocks on a full pipe.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_redress");

/// Serves `database_url` with `env` set; answers the child and its base URL
/// (`http://127.0.0.1:PORT`).
pub fn serve(database_url: &str, env: &[(&str, &str)]) -> (Child, String) {
    let (server, base, _log) = serve_logging(database_url, env);
    (server, base)
}

/// [`serve`], with the lines the server logs after its address.
#[allow(dead_code)] // not every test binary reads the log
pub fn serve_logging(database_url: &str, env: &[(&str, &str)]) -> (Child, String, std::sync::mpsc::Receiver<String>) {
    let mut command = Command::new(BIN);
    command.args(["serve", "--database-url", database_url, "--bind", "127.0.0.1:0"]).env_remove("REDRESS_DATABASE_URL").stdout(Stdio::null()).stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut server = command.spawn().unwrap();
    let stderr = server.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
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
    (server, base, rx)
}
