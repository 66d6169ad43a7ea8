//! Drag and drop with the someday sidebar: reorder a list (saved through `PUT /api/event/reorder`), drop
//! an item on a time slot of the grid (scheduled there), drag a grid event onto the sidebar (someday).

use std::time::Duration;

use chrono::{Datelike, Local};
use compass_core::{EventDate, EventDraft, EventSpan, Nullable, Origin, Priority, RecurrenceDraft};
use fantoccini::actions::{InputSource as _, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use fantoccini::elements::Element;
use fantoccini::Locator;

use crate::support::app::spawn_app;
use crate::support::browser::{event_button, Browser, Chromedriver};
use crate::{docs_screenshot, fetch_json, sign_up, wait_live, wait_saved, User};

/// The middle of an element, in viewport pixels.
async fn middle(element: &Element) -> (f64, f64) {
    let (x, y, w, h) = element.rectangle().await.unwrap();
    (x + w / 2.0, y + h / 2.0)
}

/// Presses on `from`, moves in steps to the viewport point `to`, releases.
async fn drag_to(browser: &Browser, from: &Element, to: (f64, f64)) {
    let start = middle(from).await;
    let mut actions = MouseActions::new("mouse".into())
        .then(PointerAction::MoveTo {
            duration: None,
            x: start.0,
            y: start.1,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        });
    for i in 1..=5 {
        let f = f64::from(i) / 5.0;
        actions = actions.then(PointerAction::MoveTo {
            duration: Some(Duration::from_millis(40)),
            x: (start.0 + (to.0 - start.0) * f).round(),
            y: (start.1 + (to.1 - start.1) * f).round(),
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

async fn week_list(browser: &Browser) -> Vec<String> {
    let mut titles = Vec::new();
    for item in browser
        .client
        .find_all(Locator::Css(
            "#sidebar [data-list='week'] button[data-event-id]",
        ))
        .await
        .unwrap()
    {
        titles.push(item.text().await.unwrap());
    }
    titles
}

async fn wait_week_list(browser: &Browser, want: &[&str]) {
    let deadline = std::time::Instant::now() + crate::support::browser::WAIT;
    loop {
        let now = week_list(browser).await;
        if now == want {
            return;
        }
        if std::time::Instant::now() > deadline {
            let shot = browser.screenshot("failed").await;
            panic!("the week list is {now:?}, not {want:?}; {}", shot.display());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn someday(title: &str, order: i64) -> serde_json::Value {
    let today = Local::now().date_naive();
    let sunday = today - chrono::Duration::days(i64::from(today.weekday().num_days_from_sunday()));
    EventDraft {
        id: None,
        title: Some(title.to_owned()),
        description: Nullable::Absent,
        span: EventSpan::new(
            EventDate::Day(sunday),
            EventDate::Day(sunday + chrono::Duration::days(6)),
        )
        .unwrap(),
        is_all_day: false,
        is_someday: true,
        origin: Origin::Compass,
        priority: Priority::Myself,
        recurrence: RecurrenceDraft::None,
        g_event_id: None,
        g_recurring_event_id: None,
        order: Some(order),
        all_day_order: None,
        time_zone: None,
    }
    .to_json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drag_within_and_between_the_sidebar_and_the_grid() {
    let app = spawn_app().await;
    let driver = Chromedriver::start();
    let browser = driver.browser("sidebar-drag").await;
    sign_up(&browser, &app, &User::generate()).await;
    let body = vec![someday("Alpha", 0), someday("Beta", 1), someday("Gamma", 2)];
    let status = browser
        .client
        .execute_async(
            "const [body, done] = arguments; \
             fetch('/api/event', {method: 'POST', headers: {'content-type': 'application/json'}, \
             body: JSON.stringify(body)}).then(r => done(r.status), e => done(String(e)));",
            vec![serde_json::Value::Array(body)],
        )
        .await
        .unwrap();
    assert_eq!(status, serde_json::json!(204));
    browser.client.refresh().await.unwrap();
    wait_live(&browser).await;
    wait_week_list(&browser, &["Alpha", "Beta", "Gamma"]).await;

    // Reorder: Gamma onto Alpha goes before it; saved.
    let gamma = browser
        .wait_for(Locator::XPath(&event_button("Gamma")), "Gamma")
        .await;
    let alpha = browser
        .wait_for(Locator::XPath(&event_button("Alpha")), "Alpha")
        .await;
    let (x, y) = middle(&alpha).await;
    drag_to(&browser, &gamma, (x, y - 4.0)).await;
    wait_week_list(&browser, &["Gamma", "Alpha", "Beta"]).await;
    wait_saved(&browser).await;
    docs_screenshot(&browser, "someday-sidebar").await;
    browser.client.refresh().await.unwrap();
    wait_live(&browser).await;
    wait_week_list(&browser, &["Gamma", "Alpha", "Beta"]).await;

    // Sidebar → grid: Beta dropped on Wednesday's column (its visible middle).
    let beta = browser
        .wait_for(Locator::XPath(&event_button("Beta")), "Beta")
        .await;
    let wednesday = browser
        .wait_css("#timedColumns .day-column:nth-child(4)")
        .await;
    let scroller = browser.wait_css("#weekGridScroller").await;
    let (wx, _, ww, _) = wednesday.rectangle().await.unwrap();
    let (_, sy, _, sh) = scroller.rectangle().await.unwrap();
    drag_to(&browser, &beta, (wx + ww / 2.0, sy + sh * 0.6)).await;
    let on_grid = format!("//*[@id='timedColumns']/div[4]{}", event_button("Beta"));
    browser
        .wait_for(Locator::XPath(&on_grid), "Beta on Wednesday")
        .await;
    wait_week_list(&browser, &["Gamma", "Alpha"]).await;
    wait_saved(&browser).await;
    let (status, events) = fetch_json(
        &browser,
        "/api/event?start=2000-01-01&end=2100-01-01&someday=false",
    )
    .await;
    assert_eq!(status, 200);
    let titles: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["title"].as_str())
        .collect();
    assert_eq!(titles, vec!["Beta"], "scheduled on the server");

    // Grid → sidebar: Beta back onto the week list.
    let beta = browser
        .wait_for(Locator::XPath(&on_grid), "Beta on Wednesday")
        .await;
    let list = browser.wait_css("#sidebar [data-list='week']").await;
    drag_to(&browser, &beta, middle(&list).await).await;
    browser
        .wait_gone(Locator::XPath(&on_grid), "Beta on the grid")
        .await;
    wait_saved(&browser).await;
    let deadline = std::time::Instant::now() + crate::support::browser::WAIT;
    while !week_list(&browser).await.contains(&"Beta".to_owned()) {
        assert!(
            std::time::Instant::now() < deadline,
            "Beta is back in the week list"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.client.refresh().await.unwrap();
    wait_live(&browser).await;
    browser
        .wait_for(
            Locator::XPath(&format!("//aside[@id='sidebar']{}", event_button("Beta"))),
            "Beta in the sidebar after a reload",
        )
        .await;
    browser.close().await;
}
