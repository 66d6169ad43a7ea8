//! A weekly series made with the form's Repeat settings, then edited and deleted with each scope of the
//! `Apply Changes To` dialog; J and K move between weeks.

use fantoccini::Locator;

use crate::support::app::spawn_app;
use crate::support::browser::{event_button, Browser, Chromedriver};
use crate::{press, sign_up, User};

/// Opens the event, renames it, saves, and answers the scope dialog with `scope`.
async fn rename(browser: &Browser, from: &str, to: &str, scope: &str) {
    let event = browser
        .wait_for(Locator::XPath(&event_button(from)), from)
        .await;
    browser.click(&event, from).await;
    let title = browser.wait_css("#ef-title").await;
    browser.replace_text(&title, to).await;
    let save = browser
        .wait_css("form[aria-label='Event Form'] button[type='submit']")
        .await;
    browser.click(&save, "Save").await;
    answer_scope(browser, scope).await;
}

/// Picks `scope` in the scope dialog and confirms.
async fn answer_scope(browser: &Browser, scope: &str) {
    browser
        .wait_for(
            Locator::XPath("//fieldset/legend[normalize-space(.)='Apply Changes To']"),
            "the scope dialog",
        )
        .await;
    crate::docs_screenshot(browser, "scope-dialog").await;
    let option = browser
        .wait_for(
            Locator::XPath(&format!("//input[@type='radio'][@value='{scope}']")),
            scope,
        )
        .await;
    browser.click(&option, scope).await;
    let ok = browser
        .wait_for(Locator::XPath("//button[normalize-space(.)='Ok']"), "Ok")
        .await;
    browser.click(&ok, "Ok").await;
    browser
        .wait_gone(Locator::Css("[role='dialog']"), "the dialogs")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weekly_series_with_each_scope() {
    let app = spawn_app().await;
    let driver = Chromedriver::start();
    let browser = driver.browser("recurring").await;
    sign_up(&browser, &app, &User::generate()).await;

    // A weekly series on Mondays, ten times.
    let monday = browser
        .wait_css("#timedColumns .day-column:nth-child(2)")
        .await;
    browser.click(&monday, "Monday's column").await;
    let title = browser.wait_css("#ef-title").await;
    title.send_keys("Standup").await.unwrap();
    let repeat = browser.wait_css("#ef-repeat").await;
    browser.click(&repeat, "Repeat").await;
    let after = browser.wait_css("#ef-ends option[value='after']").await;
    browser.click(&after, "Ends after").await;
    browser.wait_css("#ef-count").await;
    browser.screenshot("repeat-form").await;
    let save = browser
        .wait_css("form[aria-label='Event Form'] button[type='submit']")
        .await;
    browser.click(&save, "Save").await;
    browser
        .wait_for(
            Locator::XPath(&event_button("Standup")),
            "this week's Standup",
        )
        .await;
    press(&browser, "k").await;
    browser
        .wait_for(
            Locator::XPath(&event_button("Standup")),
            "next week's Standup",
        )
        .await;
    press(&browser, "j").await;

    // This Event: only this week's changes.
    rename(&browser, "Standup", "Standup with Bea", "This Event").await;
    browser
        .wait_for(
            Locator::XPath(&event_button("Standup with Bea")),
            "the renamed instance",
        )
        .await;
    press(&browser, "k").await;
    browser
        .wait_gone(
            Locator::XPath(&event_button("Standup with Bea")),
            "the rename in next week",
        )
        .await;

    // All Events: every instance.
    rename(&browser, "Standup", "Daily sync", "All Events").await;
    browser
        .wait_for(
            Locator::XPath(&event_button("Daily sync")),
            "next week's renamed event",
        )
        .await;
    press(&browser, "k").await;
    browser
        .wait_for(
            Locator::XPath(&event_button("Daily sync")),
            "the week after",
        )
        .await;

    // This and Following Events (delete): from here on the series is gone, before it stays.
    let event = browser
        .wait_for(Locator::XPath(&event_button("Daily sync")), "Daily sync")
        .await;
    browser.click(&event, "Daily sync").await;
    let delete = browser
        .wait_for(
            Locator::XPath("//form//button[normalize-space(.)='Delete']"),
            "Delete",
        )
        .await;
    browser.click(&delete, "Delete").await;
    answer_scope(&browser, "This and Following Events").await;
    browser
        .wait_gone(
            Locator::XPath(&event_button("Daily sync")),
            "the deleted occurrence",
        )
        .await;
    press(&browser, "k").await;
    browser
        .wait_gone(
            Locator::XPath(&event_button("Daily sync")),
            "later occurrences",
        )
        .await;
    press(&browser, "j").await;
    press(&browser, "j").await;
    browser
        .wait_for(
            Locator::XPath(&event_button("Daily sync")),
            "the earlier occurrence",
        )
        .await;
    browser.close().await;
}
