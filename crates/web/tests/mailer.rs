//! The mailer against a real SMTP server (the sink): connections kept and
//! reused, a refusal that is permanent, and a server that went away and came
//! back costing one transient failure, never a message; one that stops
//! answering, or never greets, costing an attempt that ends at its deadline.

use redress_core::mail::{Email, MailError, Mailer};
use redress_mail::sink::SmtpSink;
use redress_mail::{Security, SmtpConfig, SmtpMailer};

/// A mailer for the server on `port`, each attempt ending within `seconds`.
fn at(port: u16, seconds: u64) -> SmtpMailer {
    let cfg = SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        username: None,
        password: None,
        from: "Care <care@redress.example>".into(),
        attempt_timeout_secs: seconds,
    };
    SmtpMailer::new(&cfg).unwrap()
}

fn email(to: &str, n: u32) -> Email {
    Email { to: to.into(), subject: format!("Message {n}"), text: "Hello".into(), html: "<p>Hello</p>".into(), reference: None, id: format!("test.{n}") }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_go_out_over_kept_connections_and_a_refusal_is_permanent() {
    let sink = SmtpSink::start().await.unwrap();
    let mailer = std::sync::Arc::new(at(sink.port, 60));
    let mut sending = tokio::task::JoinSet::new();
    for n in 0..40 {
        let mailer = mailer.clone();
        sending.spawn(async move { mailer.send(&email("ada@customer.example", n)).await });
    }
    while let Some(sent) = sending.join_next().await {
        sent.unwrap().expect("sent");
    }
    sink.reject("bob@customer.example");
    match mailer.send(&email("bob@customer.example", 40)).await {
        Err(MailError::Permanent(e)) => assert!(e.contains("550"), "{e}"),
        other => panic!("a 550 is permanent: {other:?}"),
    }
    mailer.send(&email("ada@customer.example", 41)).await.expect("the next message goes out after a refusal");
    let received = sink.messages();
    assert_eq!(received.len(), 41);
    let mut ids: Vec<&str> = received.iter().filter_map(|m| m.message_id()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 41, "each message once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_dropped_its_connections_costs_one_transient_failure() {
    let mut sink = SmtpSink::start().await.unwrap();
    let mailer = at(sink.port, 60);
    mailer.send(&email("ada@customer.example", 1)).await.unwrap();
    sink.restart().await.unwrap();
    // The kept connection is gone: this attempt may fail, and says so as
    // something to try again; the next one connects afresh.
    let mut transient = 0;
    for n in 2..5 {
        match mailer.send(&email("ada@customer.example", n)).await {
            Ok(()) => {}
            Err(MailError::Transient(_)) => transient += 1,
            Err(e) => panic!("a dropped connection is not permanent: {e:?}"),
        }
    }
    assert!(transient <= 1, "{transient} transient failures");
    assert_eq!(sink.count(), 4 - transient);
    sink.stop();
    match mailer.send(&email("ada@customer.example", 9)).await {
        Err(MailError::Transient(e)) => assert!(!e.is_empty()),
        other => panic!("a server that is down is a transient failure: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_ends_at_its_deadline_when_the_server_stops_answering() {
    let sink = SmtpSink::start().await.unwrap();
    let mailer = at(sink.port, 1);
    sink.delay_each(std::time::Duration::from_secs(5));
    match mailer.send(&email("ada@customer.example", 1)).await {
        Err(MailError::Transient(e)) => assert!(e.contains("did not finish within 1 s"), "{e}"),
        other => panic!("a server that stops answering is a transient failure: {other:?}"),
    }
    sink.delay_each(std::time::Duration::ZERO);
    mailer.send(&email("ada@customer.example", 2)).await.expect("the next attempt goes out once the server answers");
    assert!(sink.messages().iter().any(|m| m.message_id().is_some_and(|id| id.contains("test.2"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_greets_ends_the_attempt_at_its_deadline() {
    // Accepts the first connection and never says a word on it.
    let sink = SmtpSink::start().await.unwrap();
    sink.never_greet(1);
    let port = sink.port;
    let mailer = at(port, 1);
    match mailer.send(&email("ada@customer.example", 1)).await {
        Err(MailError::Transient(e)) => assert!(e.contains("did not finish within 1 s"), "{e}"),
        other => panic!("a server that never greets is a transient failure: {other:?}"),
    }
    // The next connection is greeted: the message goes out.
    mailer.send(&email("ada@customer.example", 2)).await.unwrap();
    assert_eq!(sink.count(), 1);
}
