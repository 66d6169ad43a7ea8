//! The someday sidebar: add an event to this week's list, rename it, move it to the grid and back.

use fantoccini::Locator;

use crate::support::app::spawn_app;
use crate::support::browser::{event_button, Chromedriver};
use crate::{sign_up, User};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_edit_and_schedule_a_someday_event() {
    let app = spawn_app().await;
    let driver = Chromedriver::start();
    let browser = driver.browser("someday").await;
    sign_up(&browser, &app, &User::generate()).await;

    let add = browser
        .wait_css("#sidebar button[aria-label='Add to week']")
        .await;
    browser.click(&add, "Add to week").await;
    let title = browser
        .wait_css("form[aria-label='Someday Event Form'] #ef-title")
        .await;
    title.send_keys("Read a book").await.unwrap();
    let save = browser.wait_css("form button[type='submit']").await;
    browser.click(&save, "Save").await;
    let in_sidebar = format!("//aside[@id='sidebar']{}", event_button("Read a book"));
    let item = browser
        .wait_for(Locator::XPath(&in_sidebar), "the someday event")
        .await;
    browser.screenshot("someday-added").await;

    browser.click(&item, "the someday event").await;
    let title = browser.wait_css("#ef-title").await;
    browser.replace_text(&title, "Read two books").await;
    let save = browser.wait_css("form button[type='submit']").await;
    browser.click(&save, "Save").await;
    let renamed = format!("//aside[@id='sidebar']{}", event_button("Read two books"));
    let item = browser
        .wait_for(Locator::XPath(&renamed), "the renamed someday event")
        .await;

    browser.click(&item, "the someday event").await;
    let schedule = browser
        .wait_for(
            Locator::XPath("//button[normalize-space(.)='Move to grid']"),
            "Move to grid",
        )
        .await;
    browser.click(&schedule, "Move to grid").await;
    browser
        .wait_for(
            Locator::XPath(&format!(
                "//*[@id='timedColumns']{}",
                event_button("Read two books")
            )),
            "the event on the grid",
        )
        .await;
    browser
        .wait_gone(Locator::XPath(&renamed), "the event in the sidebar")
        .await;

    let on_grid = browser
        .wait_for(
            Locator::XPath(&format!(
                "//*[@id='timedColumns']{}",
                event_button("Read two books")
            )),
            "the event on the grid",
        )
        .await;
    browser.click(&on_grid, "the event on the grid").await;
    let back = browser
        .wait_for(
            Locator::XPath("//button[normalize-space(.)='Move to sidebar']"),
            "Move to sidebar",
        )
        .await;
    browser.click(&back, "Move to sidebar").await;
    browser
        .wait_for(Locator::XPath(&renamed), "the event back in the sidebar")
        .await;
    browser
        .wait_gone(
            Locator::XPath(&format!(
                "//*[@id='timedColumns']{}",
                event_button("Read two books")
            )),
            "the event on the grid",
        )
        .await;
    browser.close().await;
}
