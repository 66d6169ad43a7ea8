//! Signed out, the week works on events kept in the browser; signing up uploads them once. An upload
//! repeated after the server already stored it (a reload between the server's answer and the local
//! clean-up) adds nothing.

use fantoccini::Locator;

use crate::support::app::{spawn_app, TestApp};
use crate::support::browser::{event_button, Browser, Chromedriver};
use crate::{fetch_json, sign_up, wait_live, User};

const LOCAL_KEY: &str = "compass.local.events";

async fn create_on_column(browser: &Browser, column: usize, title: &str) {
    let day = browser
        .wait_css(&format!("#timedColumns .day-column:nth-child({column})"))
        .await;
    browser.click(&day, "a day column").await;
    let input = browser
        .wait_css("form[aria-label='Event Form'] #ef-title")
        .await;
    input.send_keys(title).await.unwrap();
    let save = browser
        .wait_css("form[aria-label='Event Form'] button[type='submit']")
        .await;
    browser.click(&save, "Save").await;
    browser
        .wait_for(Locator::XPath(&event_button(title)), title)
        .await;
}

async fn local_store(browser: &Browser) -> serde_json::Value {
    browser
        .client
        .execute(
            &format!("return localStorage.getItem('{LOCAL_KEY}');"),
            vec![],
        )
        .await
        .unwrap()
}

async fn on_grid(browser: &Browser, title: &str) -> usize {
    browser
        .client
        .find_all(Locator::XPath(&format!(
            "//*[@id='timedColumns']{}",
            event_button(title)
        )))
        .await
        .unwrap()
        .len()
}

/// The titles of the user's events on the server (a wide range, grid events).
async fn server_titles(browser: &Browser) -> Vec<String> {
    let (status, body) = fetch_json(
        browser,
        "/api/event?start=2000-01-01&end=2100-01-01&someday=false",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mut titles: Vec<String> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap_or_default().to_owned())
        .collect();
    titles.sort();
    titles
}

async fn wait_week(browser: &Browser) {
    browser.wait_css("#cal #timedColumns .day-column").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_made_signed_out_are_uploaded_once_on_sign_up() {
    let app: TestApp = spawn_app().await;
    let driver = Chromedriver::start();
    let browser = driver.browser("local").await;

    browser.goto(&app.url("/week")).await;
    wait_week(&browser).await;
    browser
        .wait_for(
            Locator::XPath("//*[@role='status'][contains(., 'Temporary account')]"),
            "the temporary account note",
        )
        .await;
    create_on_column(&browser, 3, "Local one").await;
    create_on_column(&browser, 5, "Local two").await;
    // Kept in the browser: a reload shows them.
    browser.client.refresh().await.unwrap();
    wait_week(&browser).await;
    browser
        .wait_for(Locator::XPath(&event_button("Local two")), "Local two")
        .await;
    let stored = local_store(&browser).await;
    let stored_text = stored.as_str().expect("local events stored").to_owned();
    assert_eq!(
        serde_json::from_str::<Vec<serde_json::Value>>(&stored_text)
            .unwrap()
            .len(),
        2
    );
    // Nothing reached the server, which does not even answer without a session.
    let (status, _) = fetch_json(&browser, "/api/event?start=2000-01-01&end=2100-01-01").await;
    assert_eq!(status, 401);

    sign_up(&browser, &app, &User::generate()).await;
    browser
        .wait_for(Locator::XPath(&event_button("Local one")), "Local one")
        .await;
    assert_eq!(on_grid(&browser, "Local one").await, 1);
    assert_eq!(on_grid(&browser, "Local two").await, 1);
    assert_eq!(
        server_titles(&browser).await,
        vec!["Local one", "Local two"]
    );
    assert_eq!(
        local_store(&browser).await,
        serde_json::Value::Null,
        "cleared"
    );

    // A reload: still once.
    browser.client.refresh().await.unwrap();
    wait_live(&browser).await;
    browser
        .wait_for(Locator::XPath(&event_button("Local two")), "Local two")
        .await;
    assert_eq!(on_grid(&browser, "Local one").await, 1);
    assert_eq!(on_grid(&browser, "Local two").await, 1);
    assert_eq!(
        server_titles(&browser).await,
        vec!["Local one", "Local two"]
    );

    // As if the tab had reloaded after the server stored the batch but before the local copy was
    // cleared: the same events (same ids) are local again. The next start uploads, finds them stored
    // (409, then GET by id) and only clears them.
    browser
        .client
        .execute(
            &format!("localStorage.setItem('{LOCAL_KEY}', arguments[0]);"),
            vec![serde_json::Value::String(stored_text)],
        )
        .await
        .unwrap();
    browser.client.refresh().await.unwrap();
    wait_live(&browser).await;
    browser
        .wait_for(Locator::XPath(&event_button("Local two")), "Local two")
        .await;
    // (The app uploads before it shows the signed-in week.)
    assert_eq!(local_store(&browser).await, serde_json::Value::Null);
    assert_eq!(
        server_titles(&browser).await,
        vec!["Local one", "Local two"]
    );
    assert_eq!(on_grid(&browser, "Local one").await, 1);
    browser.close().await;
}
