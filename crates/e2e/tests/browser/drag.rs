//! Drag an event to the next day and two hours later, then drag its bottom edge to make it an hour
//! longer (15-minute steps); both survive a reload.

use std::time::Duration;

use fantoccini::actions::{InputSource as _, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use fantoccini::elements::Element;
use fantoccini::Locator;

use crate::support::app::spawn_app;
use crate::support::browser::{event_button, Browser, Chromedriver};
use crate::{sign_up, wait_live, wait_saved, User};

/// Presses on `element` (at `dy` from its centre), moves by (`x`, `y`) in small steps, releases.
async fn drag(browser: &Browser, element: Element, dy: f64, x: f64, y: f64) {
    let step = Some(Duration::from_millis(50));
    let mut actions = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element,
            duration: None,
            x: 0.0,
            y: dy,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        });
    for _ in 0..4 {
        actions = actions.then(PointerAction::MoveBy {
            duration: step,
            x: x / 4.0,
            y: y / 4.0,
        });
    }
    actions = actions.then(PointerAction::Up {
        button: MOUSE_BUTTON_LEFT,
    });
    browser
        .client
        .perform_actions(actions)
        .await
        .unwrap_or_else(|e| panic!("the drag failed: {e}"));
}

/// The text of the event titled `title` in day column `n` (1 = Sunday), once it is there.
async fn event_in_column(browser: &Browser, n: usize, title: &str) -> String {
    let xpath = format!("//*[@id='timedColumns']/div[{n}]{}", event_button(title));
    browser
        .wait_for(Locator::XPath(&xpath), &format!("{title} in column {n}"))
        .await
        .text()
        .await
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drag_to_move_and_resize() {
    let app = spawn_app().await;
    let driver = Chromedriver::start();
    let browser = driver.browser("drag").await;
    sign_up(&browser, &app, &User::generate()).await;

    let tuesday = browser
        .wait_css("#timedColumns .day-column:nth-child(3)")
        .await;
    browser.click(&tuesday, "Tuesday's column").await;
    let title = browser.wait_css("#ef-title").await;
    title.send_keys("Workout").await.unwrap();
    // Start at 10:00 whatever the click hit (the time input takes keyboard input).
    let start = browser.wait_css("#ef-start-time").await;
    start.send_keys("1000AM").await.unwrap();
    let save = browser
        .wait_css("form[aria-label='Event Form'] button[type='submit']")
        .await;
    browser.click(&save, "Save").await;
    let text = event_in_column(&browser, 3, "Workout").await;
    assert!(text.contains("10:00 – 11:00"), "{text:?}");

    // Move: one column right, 96 px (two hours) down.
    let (_, _, column_width, _) = tuesday.rectangle().await.unwrap();
    let event = browser
        .wait_for(Locator::XPath(&event_button("Workout")), "Workout")
        .await;
    drag(&browser, event, 0.0, column_width, 96.0).await;
    let text = event_in_column(&browser, 4, "Workout").await;
    assert!(text.contains("12:00 – 13:00"), "{text:?}");
    browser.screenshot("moved").await;

    // Resize: the bottom edge 48 px (one hour) down.
    let event = browser
        .wait_for(Locator::XPath(&event_button("Workout")), "Workout")
        .await;
    let (_, _, _, height) = event.rectangle().await.unwrap();
    drag(&browser, event, height / 2.0 - 2.0, 0.0, 48.0).await;
    let text = event_in_column(&browser, 4, "Workout").await;
    assert!(text.contains("12:00 – 14:00"), "{text:?}");

    wait_saved(&browser).await;
    browser.client.refresh().await.unwrap();
    wait_live(&browser).await;
    let text = event_in_column(&browser, 4, "Workout").await;
    assert!(text.contains("12:00 – 14:00"), "{text:?} after a reload");

    // A click after a drag still opens the form.
    let event = browser
        .wait_for(Locator::XPath(&event_button("Workout")), "Workout")
        .await;
    browser.click(&event, "Workout").await;
    browser.wait_css("#ef-title").await;
    browser.close().await;
}
