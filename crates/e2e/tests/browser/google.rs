//! "Connect Google Calendar" against the Google emulator: the header offers the link when the server has
//! Google configured, the OAuth round trip comes back to the app, and the new state arrives through
//! `USER_METADATA` (the import has not run, so the server says the connection needs repair). And the
//! notice after `GOOGLE_REVOKED`, with the app still working.

use fantoccini::Locator;

use compass_core::{SseEvent, UserId};

use crate::support::app::{spawn_app, spawn_app_with_google};
use crate::support::browser::Chromedriver;
use crate::{connect_google, sign_up, User};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_google_calendar_from_the_header() {
    let user = User::generate();
    let app = spawn_app_with_google(&user.email).await;
    let driver = Chromedriver::start();
    let browser = driver.browser("google").await;
    sign_up(&browser, &app, &user).await;

    browser
        .wait_for(
            Locator::XPath("//*[contains(., 'Google Calendar not connected')]"),
            "the not-connected state",
        )
        .await;
    // Emulator consent (approved at once) → callback → back to the app.
    connect_google(&browser).await;
    browser
        .wait_for(
            Locator::XPath("//span[@class='google-state'][not(contains(., 'not connected'))]"),
            "a connected state",
        )
        .await;
    let state = browser
        .wait_css("span.google-state")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        [
            "Google Calendar needs repair",
            "Syncing Google Calendar…",
            "Google Calendar connected"
        ]
        .contains(&state.as_str()),
        "{state:?}"
    );
    browser.screenshot("connected").await;
    assert!(
        browser
            .client
            .find_all(Locator::LinkText("Connect Google Calendar"))
            .await
            .unwrap()
            .is_empty(),
        "the connect link is gone"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_revoked_shows_a_notice_and_the_app_keeps_working() {
    let app = spawn_app().await;
    let driver = Chromedriver::start();
    let browser = driver.browser("revoked").await;
    sign_up(&browser, &app, &User::generate()).await;
    let user_id = browser
        .client
        .execute_async(
            "const done = arguments[0]; \
             fetch('/api/auth/session').then(r => r.json()).then(s => done(s.userId), e => done(String(e)));",
            vec![],
        )
        .await
        .unwrap();
    let user = UserId::parse(user_id.as_str().unwrap_or_default()).unwrap();

    app.publish(&user, &SseEvent::GoogleRevoked);
    browser
        .wait_for(
            Locator::XPath(
                "//p[@role='alert'][contains(., 'Google access revoked. Your Google data has been removed.')]",
            ),
            "the revocation notice",
        )
        .await;
    browser.screenshot("revoked").await;

    // Compass data still works: create an event.
    let friday = browser
        .wait_css("#timedColumns .day-column:nth-child(6)")
        .await;
    browser.click(&friday, "Friday's column").await;
    let title = browser.wait_css("#ef-title").await;
    title.send_keys("Still here\u{e007}").await.unwrap();
    browser
        .wait_for(
            Locator::XPath(&crate::support::browser::event_button("Still here")),
            "the new event",
        )
        .await;
    browser.close().await;
}
