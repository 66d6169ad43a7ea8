//! Create an event by clicking the grid, edit it, delete it; each change survives a reload.

use fantoccini::Locator;

use crate::support::app::spawn_app;
use crate::support::browser::{event_button, Chromedriver};
use crate::{sign_up, wait_live, wait_saved, User};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_edit_and_delete_an_event() {
    let app = spawn_app().await;
    let driver = Chromedriver::start();
    let browser = driver.browser("events").await;
    sign_up(&browser, &app, &User::generate()).await;

    // Create: click an empty slot on Wednesday, type a title, save.
    let wednesday = browser
        .wait_css("#timedColumns .day-column:nth-child(4)")
        .await;
    browser.click(&wednesday, "Wednesday's column").await;
    let title = browser
        .wait_css("form[aria-label='Event Form'] #ef-title")
        .await;
    let start = browser
        .wait_css("#ef-start-time")
        .await
        .prop("value")
        .await
        .unwrap();
    title.send_keys("Lunch with Ann").await.unwrap();
    crate::docs_screenshot(&browser, "event-form").await;
    let save = browser
        .wait_css("form[aria-label='Event Form'] button[type='submit']")
        .await;
    browser.click(&save, "Save").await;
    let created = browser
        .wait_for(
            Locator::XPath(&event_button("Lunch with Ann")),
            "the new event",
        )
        .await;
    let text = created.text().await.unwrap();
    let start = start.unwrap_or_default();
    let start = start.trim_start_matches('0');
    assert!(
        text.contains(start),
        "{text:?} should show its start {start}"
    );
    browser.screenshot("created").await;

    browser.client.refresh().await.unwrap();
    wait_live(&browser).await;

    // Edit: open it, change the title, save.
    let created = browser
        .wait_for(
            Locator::XPath(&event_button("Lunch with Ann")),
            "the saved event",
        )
        .await;
    browser.click(&created, "the event").await;
    let title = browser.wait_css("#ef-title").await;
    assert_eq!(
        title.prop("value").await.unwrap().as_deref(),
        Some("Lunch with Ann")
    );
    browser.replace_text(&title, "Lunch with Bea").await;
    let save = browser
        .wait_css("form[aria-label='Event Form'] button[type='submit']")
        .await;
    browser.click(&save, "Save").await;
    browser
        .wait_for(
            Locator::XPath(&event_button("Lunch with Bea")),
            "the renamed event",
        )
        .await;
    browser
        .wait_gone(
            Locator::XPath(&event_button("Lunch with Ann")),
            "the old title",
        )
        .await;
    // The rename shows before the server has it (optimistic); while it is on its way the form's buttons
    // are disabled, so wait for it before opening the event again.
    wait_saved(&browser).await;

    // Delete: open it, press Delete.
    let renamed = browser
        .wait_for(
            Locator::XPath(&event_button("Lunch with Bea")),
            "the renamed event",
        )
        .await;
    browser.click(&renamed, "the event").await;
    let delete = browser
        .wait_for(
            Locator::XPath("//form//button[normalize-space(.)='Delete']"),
            "Delete",
        )
        .await;
    browser.click(&delete, "Delete").await;
    browser
        .wait_gone(
            Locator::XPath(&event_button("Lunch with Bea")),
            "the deleted event",
        )
        .await;
    wait_saved(&browser).await;
    browser.client.refresh().await.unwrap();
    wait_live(&browser).await;
    browser
        .wait_gone(
            Locator::XPath("//button[@data-event-id]"),
            "any event after the reload",
        )
        .await;
    browser.close().await;
}
