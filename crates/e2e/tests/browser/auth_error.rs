//! A failed Google sign-in or connect comes back as `?auth_error=<code>`: the app says what happened in
//! words, removes the parameter from the URL, and the message can be dismissed.

use fantoccini::Locator;

use crate::support::app::spawn_app;
use crate::support::browser::Chromedriver;
use crate::{sign_up, wait_live, User};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_errors_are_explained_and_removed_from_the_url() {
    let app = spawn_app().await;
    let driver = Chromedriver::start();
    let browser = driver.browser("auth-error").await;

    // Signed out, on the sign-in page.
    browser
        .goto(&app.url("/signin?auth_error=GOOGLE_PERMISSIONS_MISSING&keep=1"))
        .await;
    let alert = browser
        .wait_for(
            Locator::XPath(
                "//p[@role='alert'][contains(., 'Missing Google Calendar permissions')]",
            ),
            "the explanation",
        )
        .await;
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.path(), "/signin");
    assert_eq!(url.query(), Some("keep=1"), "only auth_error is removed");
    let dismiss = alert
        .find(Locator::XPath(".//button[normalize-space(.)='Dismiss']"))
        .await
        .unwrap();
    browser.click(&dismiss, "Dismiss").await;
    browser
        .wait_gone(
            Locator::Css("p.app-notice[role='alert']"),
            "the explanation",
        )
        .await;
    // A reload does not bring it back.
    browser.client.refresh().await.unwrap();
    browser.wait_css("#auth-email").await;
    assert!(browser
        .client
        .find_all(Locator::Css("p.app-notice[role='alert']"))
        .await
        .unwrap()
        .is_empty());

    // Signed in, on the week, a code the app does not know: the general message.
    sign_up(&browser, &app, &User::generate()).await;
    browser
        .goto(&app.url("/week?auth_error=SOMETHING_NEW"))
        .await;
    wait_live(&browser).await;
    browser
        .wait_for(
            Locator::XPath(
                "//p[@role='alert'][contains(., 'Google authorization could not be completed. Please try again.')]",
            ),
            "the general message",
        )
        .await;
    let url = browser.client.current_url().await.unwrap();
    assert_eq!((url.path(), url.query()), ("/week", None));

    browser
        .goto(&app.url("/week?auth_error=GOOGLE_ACCESS_DENIED"))
        .await;
    browser
        .wait_for(
            Locator::XPath("//p[@role='alert'][contains(., 'Google sign-in was cancelled')]"),
            "the cancel message",
        )
        .await;
    browser.close().await;
}
