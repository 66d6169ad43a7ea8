//! Browser tests: headless Chromium driven through chromedriver against the real server (in process),
//! a database of each test's own, and the built web app. One binary; one module per flow.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod auth;
mod bench;
mod drag;
mod events;
mod google;
mod keyboard;
mod live;
mod reconnect;
mod recurring;
mod screenshot;
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
