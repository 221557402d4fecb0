//! A real headless Chromium (Debian's `chromium` and `chromium-driver`)
//! driven over WebDriver, for the page tests that need a browser.

use super::{Backend, TestApp};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A chromedriver on a free port, in a process group of its own with the
/// browsers it starts; the whole group is stopped on drop (killing the
/// driver alone would leave its browsers running).
pub struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn browser() -> (Driver, Client) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (Debian's chromium-driver) must be installed; the test command installs it");
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver { child, port, _profile: profile };
    let caps = json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=420,900", format!("--user-data-dir={}", driver._profile.path().display()),
            ]
        }
    });
    let caps = caps.as_object().unwrap().clone();
    let url = format!("http://127.0.0.1:{}", driver.port);
    for _ in 0..100 {
        if let Ok(client) = ClientBuilder::native().capabilities(caps.clone()).connect(&url).await {
            return (driver, client);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

pub async fn text_of(c: &Client, css: &str) -> String {
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).text().await.unwrap()
}


/// The password of staff the browser tests sign in as.
pub const PASSWORD: &str = "correct horse battery";

/// Signs `email` in at the console (password [`PASSWORD`]).
pub async fn sign_in(c: &Client, app: &TestApp, email: &str) {
    c.goto(&format!("{}/console/login", app.base)).await.unwrap();
    c.find(Locator::Css("#email")).await.unwrap().send_keys(email).await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    submit(c, "#signin").await;
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("#signout")).await.unwrap();
}

pub async fn sign_out(c: &Client) {
    submit(c, "#signout").await;
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("#signin")).await.unwrap();
}

pub async fn fill(c: &Client, css: &str, text: &str) {
    c.find(Locator::Css(css)).await.unwrap().send_keys(text).await.unwrap();
}

pub async fn click(c: &Client, css: &str) {
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
}

pub async fn choose(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css)).await.unwrap().select_by_value(value).await.unwrap();
}

/// Clicks a button that loads a new page, and waits until it has.
pub async fn submit(c: &Client, css: &str) {
    c.execute("window.__stale = true", vec![]).await.unwrap();
    click(c, css).await;
    for _ in 0..200 {
        if c.execute("return window.__stale === undefined && document.readyState === 'complete'", vec![]).await.ok() == Some(json!(true)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{css} led to no new page");
}

/// The notice the last redirect left.
pub async fn flash(c: &Client) -> String {
    text_of(c, "#flash").await
}

pub async fn screenshot(c: &Client, b: Backend, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name} is a PNG");
    if let (Backend::Sqlite, Ok(dir)) = (b, std::env::var("REDRESS_SCREENSHOTS")) {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(format!("{dir}/{name}.png"), png).unwrap();
    }
}

