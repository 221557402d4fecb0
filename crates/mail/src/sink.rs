//! An SMTP server for tests: speaks enough SMTP over TCP for a real client
//! (lettre) to deliver to it, records every message, can refuse chosen
//! recipients, and can be stopped and started again on the same port.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// One message as received.
#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    /// The message's Message-ID header, as sent.
    pub fn message_id(&self) -> Option<&str> {
        self.data.lines().take_while(|l| !l.is_empty()).find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("message-id").then(|| value.trim())
        })
    }
}

#[derive(Default)]
struct Shared {
    /// How long the answer to each message's data is held back (a slow server).
    delay: Mutex<std::time::Duration>,
    messages: Mutex<Vec<Received>>,
    rejected: Mutex<Vec<String>>,
    /// How many of the next connections are accepted and never greeted.
    silent: std::sync::atomic::AtomicUsize,
    /// How long each connection waits for its greeting.
    greeting_delay: Mutex<std::time::Duration>,
}

pub struct SmtpSink {
    pub port: u16,
    shared: Arc<Shared>,
    task: Option<JoinHandle<()>>,
}

impl SmtpSink {
    /// Starts on a free port.
    pub async fn start() -> std::io::Result<SmtpSink> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared::default());
        let task = Some(tokio::spawn(serve(listener, shared.clone())));
        Ok(SmtpSink { port, shared, task })
    }

    /// Stops listening and drops every open connection: clients now get
    /// "connection refused".
    pub fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn restart(&mut self) -> std::io::Result<()> {
        self.stop();
        let mut last = None;
        for _ in 0..50 {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => {
                    self.task = Some(tokio::spawn(serve(l, self.shared.clone())));
                    return Ok(());
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("cannot bind")))
    }

    /// Refuses mail to `address` with a permanent 550.
    pub fn reject(&self, address: &str) {
        self.shared.rejected.lock().unwrap_or_else(|e| e.into_inner()).push(address.to_lowercase());
    }

    /// Accepts mail to `address` again.
    pub fn accept(&self, address: &str) {
        self.shared.rejected.lock().unwrap_or_else(|e| e.into_inner()).retain(|a| *a != address.to_lowercase());
    }

    /// Holds back the answer to each message's data this long (a slow
    /// server); the message counts as received once answered.
    pub fn delay_each(&self, delay: std::time::Duration) {
        *self.shared.delay.lock().unwrap_or_else(|e| e.into_inner()) = delay;
    }

    /// Accepts the next `n` connections and never says a word on them (a
    /// server too busy to greet); later ones are served as usual.
    pub fn never_greet(&self, n: usize) {
        self.shared.silent.store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// Greets each new connection only after `delay` (a slow server).
    pub fn greet_after(&self, delay: std::time::Duration) {
        *self.shared.greeting_delay.lock().unwrap_or_else(|e| e.into_inner()) = delay;
    }

    /// How many messages were received, without copying them.
    pub fn count(&self) -> usize {
        self.shared.messages.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn messages(&self) -> Vec<Received> {
        self.shared.messages.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    // Dropping the set (when this task is aborted) aborts every connection.
    let mut connections = JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        connections.spawn(session(stream, shared.clone()));
        while connections.try_join_next().is_some() {}
    }
}

fn address(arg: &str) -> String {
    let a = arg.split_once(':').map_or(arg, |(_, a)| a).trim();
    a.trim_start_matches('<').split('>').next().unwrap_or_default().to_lowercase()
}

async fn session(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    use std::sync::atomic::Ordering;
    if shared.silent.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
        // Held open, unanswered, until the sink stops.
        let _held = stream;
        return std::future::pending().await;
    }
    let delay = *shared.greeting_delay.lock().unwrap_or_else(|e| e.into_inner());
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 redress-sink ESMTP\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-redress-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") {
            b"250 redress-sink\r\n"
        } else if upper.starts_with("MAIL FROM") {
            from = address(&line);
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO") {
            let a = address(&line);
            if shared.rejected.lock().unwrap_or_else(|e| e.into_inner()).contains(&a) {
                b"550 5.1.1 no such mailbox\r\n"
            } else {
                to.push(a);
                b"250 OK\r\n"
            }
        } else if upper == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            while let Some(l) = lines.next_line().await? {
                if l == "." {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
                data.push('\n');
            }
            let delay = *shared.delay.lock().unwrap_or_else(|e| e.into_inner());
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let msg = Received { from: from.clone(), to: std::mem::take(&mut to), data };
            shared.messages.lock().unwrap_or_else(|e| e.into_inner()).push(msg);
            b"250 2.0.0 queued\r\n"
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 OK\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
    Ok(())
}
