//! Keyboard shortcuts: `?` overlay, `C` new event, `[` sidebar, Escape closes; the form works without a
//! mouse (type, Enter saves).

use fantoccini::Locator;

use crate::support::app::spawn_app;
use crate::support::browser::{event_button, Chromedriver};
use crate::{press, sign_up, User};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shortcuts_and_a_keyboard_only_event() {
    let app = spawn_app().await;
    let driver = Chromedriver::start();
    let browser = driver.browser("keyboard").await;
    sign_up(&browser, &app, &User::generate()).await;

    press(&browser, "?").await;
    browser
        .wait_for(
            Locator::XPath("//h2[normalize-space(.)='Keyboard shortcuts']"),
            "the overlay",
        )
        .await;
    browser.screenshot("shortcuts").await;
    press(&browser, "\u{e00c}").await; // Escape
    browser
        .wait_gone(Locator::Css("[role='dialog']"), "the overlay")
        .await;

    press(&browser, "[").await;
    browser
        .wait_gone(Locator::Css("#sidebar"), "the sidebar")
        .await;
    press(&browser, "[").await;
    browser.wait_css("#sidebar").await;

    // C opens a new event with the title focused; typing and Enter save it.
    press(&browser, "c").await;
    browser
        .wait_css("form[aria-label='Event Form'] #ef-title")
        .await;
    let focused = browser.client.active_element().await.unwrap();
    assert_eq!(
        focused.attr("id").await.unwrap().as_deref(),
        Some("ef-title")
    );
    focused.send_keys("Typed event\u{e007}").await.unwrap(); // Enter
    browser
        .wait_for(
            Locator::XPath(&event_button("Typed event")),
            "the typed event",
        )
        .await;
    browser
        .wait_gone(Locator::Css("[role='dialog']"), "the form")
        .await;

    // Escape closes a form without saving.
    press(&browser, "c").await;
    browser.wait_css("#ef-title").await;
    press(&browser, "\u{e00c}").await;
    browser
        .wait_gone(Locator::Css("[role='dialog']"), "the form")
        .await;
    browser.close().await;
}
