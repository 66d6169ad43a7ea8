//! Browser tests: headless Chromium driven through chromedriver against the real server (in process),
//! a database of each test's own, and the built web app. One binary; one module per flow.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod auth;
mod auth_error;
mod bench;
mod drag;
mod events;
mod google;
mod google_live;
mod keyboard;
mod live;
mod local_events;
mod memory;
mod palette;
mod reconnect;
mod recurring;
mod repair;
mod screenshot;
mod sidebar_drag;
mod someday;
mod support;

use fantoccini::Locator;
use support::app::TestApp;
use support::browser::Browser;

/// A unique user for one test.
pub struct User {
    pub name: String,
    pub email: String,
    pub password: String,
}

impl User {
    pub fn generate() -> User {
        let id: u64 = rand::random();
        User {
            name: "Ann Example".into(),
            email: format!("ann-{id:016x}@example.test"),
            password: format!("correct horse {id:x}"),
        }
    }
}

/// Signs up through the sign-up page and waits for the live week view.
pub async fn sign_up(browser: &Browser, app: &TestApp, user: &User) {
    browser.goto(&app.url("/signup")).await;
    let name = browser.wait_css("#auth-name").await;
    name.send_keys(&user.name).await.unwrap();
    let email = browser.wait_css("input#auth-email[type='email']").await;
    email.send_keys(&user.email).await.unwrap();
    let password = browser
        .wait_css("input#auth-password[type='password']")
        .await;
    password.send_keys(&user.password).await.unwrap();
    let submit = browser.wait_css("form button[type='submit']").await;
    browser.click(&submit, "Sign up").await;
    wait_live(browser).await;
}

/// Waits for the week grid and the live stream.
pub async fn wait_live(browser: &Browser) {
    browser.wait_css("#cal #timedColumns .day-column").await;
    browser
        .wait_for(
            Locator::XPath("//span[@role='status'][contains(., 'Live')]"),
            "the live stream status",
        )
        .await;
}

/// Clicks the header's "Connect Google Calendar" and waits until the emulator's consent (approved at once)
/// and the OAuth callback have brought the app back, live.
pub async fn connect_google(browser: &Browser) {
    let connect = browser
        .wait_for(
            Locator::LinkText("Connect Google Calendar"),
            "the connect link",
        )
        .await;
    browser.click(&connect, "Connect Google Calendar").await;
    wait_live(browser).await;
}

/// Presses a key with the page (not a field) focused, as a shortcut.
pub async fn press(browser: &Browser, key: &str) {
    let body = browser.wait_css("body").await;
    body.send_keys(key)
        .await
        .unwrap_or_else(|e| panic!("cannot press {key:?}: {e}"));
}

/// Waits until no change is on its way to the server (optimistic changes show before they are saved).
pub async fn wait_saved(browser: &Browser) {
    browser
        .wait_gone(Locator::Css(".app[aria-busy='true']"), "the pending save")
        .await;
}

/// Saves a screenshot for the docs as `docs/screenshots/<name>.png` when `COMPASS_DOCS_SCREENSHOTS=1` (so
/// that ordinary runs leave the repository alone); always saves the usual test screenshot.
pub async fn docs_screenshot(browser: &Browser, name: &str) {
    let shot = browser.screenshot(name).await;
    if std::env::var_os("COMPASS_DOCS_SCREENSHOTS").is_some_and(|v| v == "1") {
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::copy(&shot, docs.join(format!("{name}.png"))).unwrap();
    }
}

/// Runs `fetch(path)` in the page (with its session) and returns `[status, parsed JSON body or null]`.
pub async fn fetch_json(browser: &Browser, path: &str) -> (u64, serde_json::Value) {
    let answer = browser
        .client
        .execute_async(
            "const [path, done] = arguments; \
             fetch(path).then(async r => { const t = await r.text(); \
               let j = null; try { j = JSON.parse(t); } catch (e) {} done([r.status, j]); }, \
               e => done([0, String(e)]));",
            vec![serde_json::Value::String(path.to_owned())],
        )
        .await
        .unwrap();
    (answer[0].as_u64().unwrap_or(0), answer[1].clone())
}
