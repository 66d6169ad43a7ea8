//! The live stream survives a server restart: the header shows the offline state while the server is
//! away, the tab reconnects by itself (backoff), and a change made meanwhile in another tab shows up.

use fantoccini::Locator;

use crate::support::app::spawn_app;
use crate::support::browser::{event_button, Chromedriver};
use crate::{sign_up, wait_live, User};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_the_server_restarts() {
    let mut app = spawn_app().await;
    let driver = Chromedriver::start();
    let browser = driver.browser("reconnect").await;
    sign_up(&browser, &app, &User::generate()).await;
    let tab_a = browser.client.window().await.unwrap();

    app.stop().await;
    browser
        .wait_for(
            Locator::XPath("//span[@role='status'][contains(., 'Offline')]"),
            "the offline state",
        )
        .await;
    browser.screenshot("offline").await;

    app.start_again().await;
    wait_live(&browser).await;

    // A second tab (same session) adds an event; the first one shows it without a reload.
    let tab_b = browser.client.new_window(true).await.unwrap().handle;
    browser.client.switch_to_window(tab_b).await.unwrap();
    browser.goto(&app.url("/week")).await;
    wait_live(&browser).await;
    let thursday = browser
        .wait_css("#timedColumns .day-column:nth-child(5)")
        .await;
    browser.click(&thursday, "Thursday's column").await;
    let title = browser.wait_css("#ef-title").await;
    title.send_keys("After the restart\u{e007}").await.unwrap();
    browser
        .wait_for(
            Locator::XPath(&event_button("After the restart")),
            "the event in tab B",
        )
        .await;
    browser.client.switch_to_window(tab_a).await.unwrap();
    browser
        .wait_for(
            Locator::XPath(&event_button("After the restart")),
            "the event in tab A",
        )
        .await;
    browser.close().await;
}
