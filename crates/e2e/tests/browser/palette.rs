//! The command palette: Ctrl+K opens it (also from a text field), typing filters, arrows move the
//! highlight, Enter runs it, Escape closes it, Tab stays in it and focus returns where it was.

use fantoccini::key::Key;
use fantoccini::Locator;

use crate::support::app::spawn_app;
use crate::support::browser::{Browser, Chromedriver};
use crate::{docs_screenshot, press, sign_up, User};

const PALETTE: &str = "[role='dialog'][aria-label='Command palette']";

fn ctrl_k() -> String {
    format!("{}k{}", char::from(Key::Control), char::from(Key::Null))
}

async fn active_id(browser: &Browser) -> Option<String> {
    let active = browser.client.active_element().await.unwrap();
    active.attr("id").await.unwrap()
}

async fn options(browser: &Browser) -> Vec<String> {
    let mut labels = Vec::new();
    for option in browser
        .client
        .find_all(Locator::Css(&format!(
            "{PALETTE} [role='listbox'] [role='option'] > span"
        )))
        .await
        .unwrap()
    {
        labels.push(option.text().await.unwrap());
    }
    labels
}

async fn selected(browser: &Browser) -> String {
    browser
        .wait_css(&format!(
            "{PALETTE} [role='option'][aria-selected='true'] > span"
        ))
        .await
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_palette_filters_runs_and_gives_focus_back() {
    let app = spawn_app().await;
    let driver = Chromedriver::start();
    let browser = driver.browser("palette").await;
    sign_up(&browser, &app, &User::generate()).await;
    let first_path = browser
        .client
        .current_url()
        .await
        .unwrap()
        .path()
        .to_owned();

    // Opened from the header button: focus goes to the field, and back to the button on Escape.
    let button = browser
        .wait_css("button[aria-label='Command palette']")
        .await;
    browser.click(&button, "the palette button").await;
    let input = browser
        .wait_css(&format!("{PALETTE} input[role='combobox']"))
        .await;
    let input_id = input.attr("id").await.unwrap();
    let active = browser.client.active_element().await.unwrap();
    assert_eq!(
        active.attr("role").await.unwrap().as_deref(),
        Some("combobox"),
        "the field has focus ({input_id:?})"
    );
    assert!(options(&browser).await.len() >= 8);
    docs_screenshot(&browser, "command-palette").await;
    // Tab stays inside.
    active
        .send_keys(&char::from(Key::Tab).to_string())
        .await
        .unwrap();
    let still = browser.client.active_element().await.unwrap();
    assert_eq!(
        still.attr("role").await.unwrap().as_deref(),
        Some("combobox")
    );
    still
        .send_keys(&char::from(Key::Escape).to_string())
        .await
        .unwrap();
    browser
        .wait_gone(Locator::Css(PALETTE), "the palette")
        .await;
    let back = browser.client.active_element().await.unwrap();
    assert_eq!(
        back.attr("aria-label").await.unwrap().as_deref(),
        Some("Command palette"),
        "focus returned to the palette button"
    );

    // Ctrl+K; typing filters; Enter runs the highlighted command.
    press(&browser, &ctrl_k()).await;
    let input = browser
        .wait_css(&format!("{PALETTE} input[role='combobox']"))
        .await;
    input.send_keys("next week").await.unwrap();
    assert_eq!(options(&browser).await, vec!["Go to Next Week"]);
    input
        .send_keys(&char::from(Key::Enter).to_string())
        .await
        .unwrap();
    browser
        .wait_gone(Locator::Css(PALETTE), "the palette")
        .await;
    let next_path = browser
        .client
        .current_url()
        .await
        .unwrap()
        .path()
        .to_owned();
    assert_ne!(next_path, first_path, "the week changed");
    assert!(next_path.starts_with("/week/"), "{next_path}");

    // Arrows move the highlight (and wrap); the field names the highlighted option.
    press(&browser, &ctrl_k()).await;
    let input = browser
        .wait_css(&format!("{PALETTE} input[role='combobox']"))
        .await;
    input.send_keys("go to").await.unwrap();
    assert_eq!(
        options(&browser).await,
        vec!["Go to Today", "Go to Previous Week", "Go to Next Week"]
    );
    assert_eq!(selected(&browser).await, "Go to Today");
    input
        .send_keys(&char::from(Key::Down).to_string())
        .await
        .unwrap();
    assert_eq!(selected(&browser).await, "Go to Previous Week");
    input
        .send_keys(&char::from(Key::Up).to_string())
        .await
        .unwrap();
    input
        .send_keys(&char::from(Key::Up).to_string())
        .await
        .unwrap();
    assert_eq!(selected(&browser).await, "Go to Next Week");
    assert_eq!(
        input
            .attr("aria-activedescendant")
            .await
            .unwrap()
            .as_deref(),
        Some("cmd-go-to-next-week")
    );
    input
        .send_keys(&char::from(Key::Up).to_string())
        .await
        .unwrap();
    input
        .send_keys(&char::from(Key::Enter).to_string())
        .await
        .unwrap(); // Go to Previous Week
    browser
        .wait_gone(Locator::Css(PALETTE), "the palette")
        .await;
    let url = browser.client.current_url().await.unwrap();
    let day = |path: &str| {
        chrono::NaiveDate::parse_from_str(path.trim_start_matches("/week/"), "%Y-%m-%d").unwrap()
    };
    assert_eq!(
        day(url.path()),
        day(&next_path) - chrono::Duration::days(7),
        "back a week"
    );

    // Nothing matches: a message, Enter does nothing. Then a new all-day event from the palette.
    press(&browser, &ctrl_k()).await;
    let input = browser
        .wait_css(&format!("{PALETTE} input[role='combobox']"))
        .await;
    input.send_keys("zzz").await.unwrap();
    browser
        .wait_for(
            Locator::XPath("//li[normalize-space(.)='No matching commands']"),
            "the empty message",
        )
        .await;
    browser.replace_text(&input, "all-day").await;
    input
        .send_keys(&char::from(Key::Enter).to_string())
        .await
        .unwrap();
    browser
        .wait_css("form[aria-label='Event Form'] #ef-title")
        .await;
    let all_day = browser.wait_css("#ef-all-day").await;
    assert!(all_day.prop("checked").await.unwrap().as_deref() == Some("true"));
    assert_eq!(active_id(&browser).await.as_deref(), Some("ef-title"));
    browser.close().await;
}
