//! "Repair" in the Google connection status: shown when the server says the connection needs repair
//! (`ATTENTION`), it asks for a forced re-import (`POST /api/sync/import-gcal {"force": true}`), shows
//! "Repairing…" until `IMPORT_GCAL_END`, and says so when the server refuses.

use compass_core::{SseEvent, UserId, UserMetadata};
use fantoccini::Locator;

use crate::support::app::{spawn_app_with_google, TestApp};
use crate::support::browser::{Browser, Chromedriver};
use crate::{docs_screenshot, fetch_json, sign_up, wait_live, User};

const REPAIRING: &str =
    "//*[@role='status'][contains(., 'Repairing Google Calendar in the background')]";

async fn user_id(browser: &Browser) -> UserId {
    let (status, session) = fetch_json(browser, "/api/auth/session").await;
    assert_eq!(status, 200, "{session}");
    UserId::parse(session["userId"].as_str().unwrap_or_default()).unwrap()
}

/// Publishes `USER_METADATA` saying the connection needs repair, and waits for the Repair button.
async fn needs_repair(app: &TestApp, browser: &Browser) -> fantoccini::elements::Element {
    let meta: UserMetadata = serde_json::from_value(serde_json::json!({
        "sync": {"importGCal": "RESTART"},
        "google": {"connectionState": "ATTENTION"},
    }))
    .unwrap();
    app.publish(&user_id(browser).await, &SseEvent::UserMetadata(meta));
    browser
        .wait_for(
            Locator::XPath(
                "//span[@class='google-state'][normalize-space(.)='Google Calendar needs repair']",
            ),
            "the needs-repair state",
        )
        .await;
    browser
        .wait_for(
            Locator::XPath("//button[normalize-space(.)='Repair']"),
            "the Repair button",
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repair_reimports_and_shows_progress() {
    let user = User::generate();
    let app = spawn_app_with_google(&user.email).await;
    let driver = Chromedriver::start();
    let browser = driver.browser("repair").await;
    sign_up(&browser, &app, &user).await;
    let connect = browser
        .wait_for(
            Locator::LinkText("Connect Google Calendar"),
            "the connect link",
        )
        .await;
    docs_screenshot(&browser, "connection-status").await;
    browser.click(&connect, "Connect Google Calendar").await;
    wait_live(&browser).await;
    // Wait for the import that follows connecting to be over.
    browser
        .wait_for(
            Locator::XPath("//span[@class='google-state'][not(contains(., 'not connected'))][not(contains(., 'Syncing'))][not(contains(., 'Checking'))]"),
            "a settled connected state",
        )
        .await;

    let repair = needs_repair(&app, &browser).await;
    docs_screenshot(&browser, "connection-needs-repair").await;
    browser.click(&repair, "Repair").await;
    browser
        .wait_for(Locator::XPath(REPAIRING), "the repairing status")
        .await;
    // The server runs the forced import and ends it with IMPORT_GCAL_END.
    browser
        .wait_gone(Locator::XPath(REPAIRING), "the repairing status")
        .await;
    assert!(browser
        .client
        .find_all(Locator::XPath(
            "//p[@role='alert'][contains(., 'repair failed')]"
        ))
        .await
        .unwrap()
        .is_empty());
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_repair_says_so() {
    let user = User::generate();
    let app = spawn_app_with_google(&user.email).await;
    let driver = Chromedriver::start();
    let browser = driver.browser("repair-refused").await;
    sign_up(&browser, &app, &user).await;
    browser
        .wait_for(
            Locator::LinkText("Connect Google Calendar"),
            "the connect link",
        )
        .await;
    // Not connected, so the server refuses the import (400).
    let repair = needs_repair(&app, &browser).await;
    browser.click(&repair, "Repair").await;
    browser
        .wait_for(
            Locator::XPath(
                "//p[@role='alert'][contains(., 'Google Calendar repair failed. Please try again.')]",
            ),
            "the failure notice",
        )
        .await;
    browser
        .wait_gone(Locator::XPath(REPAIRING), "the repairing status")
        .await;
    browser.close().await;
}
