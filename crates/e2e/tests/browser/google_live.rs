//! Google Calendar connected from the browser, then changed on Google's side (the emulator's control API):
//! the change reaches the open week through the server's sync and the tab's stream, without a reload; and an
//! event changed in Compass and, later, in Google is listed in the sync conflicts dialog with whose change
//! was kept.

use chrono::{Duration, Local, NaiveTime, TimeZone};
use fantoccini::Locator;
use gcal_emulator::control::ControlClient;
use gcal_emulator::{FaultKind, FaultSpec};
use serde_json::{json, Value};

use crate::support::app::{spawn_app_with_google, TestApp};
use crate::support::browser::{event_button, Browser, Chromedriver, WAIT};
use crate::{connect_google, docs_screenshot, sign_up, wait_saved, User};

/// Signs up, connects Google Calendar through the emulator's consent, and waits until the import and the
/// watch channels are done (`Google Calendar connected`). Returns the emulator's control client.
async fn connected(browser: &Browser, app: &TestApp, user: &User) -> ControlClient {
    sign_up(browser, app, user).await;
    connect_google(browser).await;
    browser
        .wait_for(
            Locator::XPath(
                "//span[@class='google-state'][normalize-space(.)='Google Calendar connected']",
            ),
            "the connected state",
        )
        .await;
    ControlClient::new(app.emulator.as_ref().expect("an emulator").base_url())
}

/// Today at `hour`:00 for an hour, in the browser's (and this process's) zone, as Google's `start`/`end`.
fn today_at(hour: u32) -> (Value, Value) {
    let day = Local::now().date_naive();
    let start = Local
        .from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap()))
        .unwrap();
    let end = start + Duration::hours(1);
    (
        json!({ "dateTime": start.to_rfc3339() }),
        json!({ "dateTime": end.to_rfc3339() }),
    )
}

/// Waits until Google's primary calendar of `email` holds an event titled `summary`; returns it.
async fn google_has(control: &ControlClient, email: &str, summary: &str) -> Value {
    let until = std::time::Instant::now() + WAIT;
    loop {
        let events = control.events(email, email).await.unwrap();
        if let Some(event) = events
            .into_iter()
            .find(|e| e["summary"] == summary && e["status"] != "cancelled")
        {
            return event;
        }
        assert!(
            std::time::Instant::now() < until,
            "Google never listed {summary:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_in_google_appears_without_a_reload() {
    let user = User::generate();
    let app = spawn_app_with_google(&user.email).await;
    let driver = Chromedriver::start();
    let browser = driver.browser("google-live").await;
    let control = connected(&browser, &app, &user).await;

    let (start, end) = today_at(10);
    let made = control
        .insert_event(
            &user.email,
            &user.email,
            &json!({ "summary": "Made in Google", "start": start, "end": end }),
        )
        .await
        .unwrap();
    browser
        .wait_for(
            Locator::XPath(&event_button("Made in Google")),
            "the event made in Google",
        )
        .await;
    browser.screenshot("google-made").await;

    let id = made["id"].as_str().unwrap();
    control
        .patch_event(
            &user.email,
            &user.email,
            id,
            &json!({ "summary": "Renamed in Google" }),
        )
        .await
        .unwrap();
    browser
        .wait_for(
            Locator::XPath(&event_button("Renamed in Google")),
            "the rename made in Google",
        )
        .await;
    browser
        .wait_gone(
            Locator::XPath(&event_button("Made in Google")),
            "the old title",
        )
        .await;

    control
        .delete_event(&user.email, &user.email, id)
        .await
        .unwrap();
    browser
        .wait_gone(
            Locator::XPath(&event_button("Renamed in Google")),
            "the event deleted in Google",
        )
        .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compass_edit_overridden_by_a_later_google_edit_is_listed_as_a_conflict() {
    let user = User::generate();
    let app = spawn_app_with_google(&user.email).await;
    let driver = Chromedriver::start();
    let browser = driver.browser("google-conflict").await;
    let control = connected(&browser, &app, &user).await;

    // An event made in Compass, pushed to Google.
    let noon = browser.wait_css("#timedColumns .day-column.today").await;
    browser.click(&noon, "today's column").await;
    let title = browser.wait_css("#ef-title").await;
    title.send_keys("Lunch\u{e007}").await.unwrap();
    wait_saved(&browser).await;
    let pushed = google_has(&control, &user.email, "Lunch").await;
    let id = pushed["id"].as_str().unwrap().to_owned();

    // Google edits it while Compass cannot list its changes (every `events.list` of this user answers 503,
    // so neither a notification nor the echo of the push above brings the edit in), with its clock a
    // minute ahead, so that its edit is unmistakably later than the Compass edit that follows; that edit's
    // push then meets Google's version (412).
    let blind = control
        .add_fault(
            &FaultSpec::new("calendar.events.list", FaultKind::ServiceUnavailable)
                .times(10_000)
                .for_user(user.email.clone()),
        )
        .await
        .unwrap();
    control.advance_clock(60).await.unwrap();
    control
        .patch_event(
            &user.email,
            &user.email,
            &id,
            &json!({ "summary": "Lunch (moved by Google)" }),
        )
        .await
        .unwrap();
    let event = browser
        .wait_for(Locator::XPath(&event_button("Lunch")), "the event")
        .await;
    browser.click(&event, "Lunch").await;
    let title = browser.wait_css("#ef-title").await;
    browser
        .replace_text(&title, "Lunch (changed in Compass)")
        .await;
    title.send_keys("\u{e007}").await.unwrap();

    // The later writer (Google) wins: its version comes back to the grid.
    browser
        .wait_for(
            Locator::XPath(&event_button("Lunch (moved by Google)")),
            "Google's version",
        )
        .await;
    let conflicts = browser
        .wait_for(
            Locator::XPath(
                "//button[contains(@class, 'conflicts')][normalize-space(.)='Conflicts']",
            ),
            "the Conflicts button",
        )
        .await;
    browser.click(&conflicts, "Conflicts").await;
    browser
        .wait_for(
            Locator::XPath(
                "//div[@role='dialog'][.//h2[normalize-space(.)='Sync conflicts']]\
                 //li[contains(@class, 'winner-google')][.//strong[normalize-space(.)='Lunch (moved by Google)']]\
                 [contains(., 'Google') and contains(., 'your change was not applied')]",
            ),
            "the conflict in the dialog",
        )
        .await;
    docs_screenshot(&browser, "sync-conflicts").await;

    // Escape closes the dialog.
    crate::press(&browser, "\u{e00c}").await;
    browser
        .wait_gone(
            Locator::XPath("//div[@role='dialog']"),
            "the conflicts dialog",
        )
        .await;
    control.clear_fault(blind).await.unwrap();
    browser.close().await;
}
