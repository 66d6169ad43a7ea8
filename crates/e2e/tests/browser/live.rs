//! Two tabs of one user stay in sync through the SSE stream, without reloading.

use fantoccini::Locator;

use crate::support::app::spawn_app;
use crate::support::browser::{event_button, Chromedriver};
use crate::{sign_up, wait_live, User};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_stay_in_sync() {
    let app = spawn_app().await;
    let driver = Chromedriver::start();
    let browser = driver.browser("live").await;
    sign_up(&browser, &app, &User::generate()).await;
    let tab_a = browser.client.window().await.unwrap();

    let tab_b = browser.client.new_window(true).await.unwrap().handle;
    browser
        .client
        .switch_to_window(tab_b.clone())
        .await
        .unwrap();
    browser.goto(&app.url("/week")).await;
    wait_live(&browser).await;

    // Tab A creates an event...
    browser
        .client
        .switch_to_window(tab_a.clone())
        .await
        .unwrap();
    let friday = browser
        .wait_css("#timedColumns .day-column:nth-child(6)")
        .await;
    browser.click(&friday, "Friday's column").await;
    let title = browser.wait_css("#ef-title").await;
    title.send_keys("Shared plan").await.unwrap();
    let save = browser
        .wait_css("form[aria-label='Event Form'] button[type='submit']")
        .await;
    browser.click(&save, "Save").await;
    browser
        .wait_for(
            Locator::XPath(&event_button("Shared plan")),
            "the event in tab A",
        )
        .await;

    // ...and tab B shows it without a reload.
    browser
        .client
        .switch_to_window(tab_b.clone())
        .await
        .unwrap();
    let in_b = browser
        .wait_for(
            Locator::XPath(&event_button("Shared plan")),
            "the event in tab B",
        )
        .await;
    browser.screenshot("tab-b-got-it").await;

    // Tab B deletes it; tab A loses it.
    browser.click(&in_b, "the event in tab B").await;
    let delete = browser
        .wait_for(
            Locator::XPath("//form//button[normalize-space(.)='Delete']"),
            "Delete",
        )
        .await;
    browser.click(&delete, "Delete").await;
    browser.client.switch_to_window(tab_a).await.unwrap();
    browser
        .wait_gone(
            Locator::XPath(&event_button("Shared plan")),
            "the event in tab A",
        )
        .await;
    browser.close().await;
}
