//! Sign up, sign out and sign in again through the pages.

use fantoccini::Locator;

use crate::support::app::spawn_app;
use crate::support::browser::Chromedriver;
use crate::{sign_up, wait_live, User};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_sign_out_and_sign_in_again() {
    let app = spawn_app().await;
    let driver = Chromedriver::start();
    let browser = driver.browser("auth").await;
    let user = User::generate();

    sign_up(&browser, &app, &user).await;
    // Seven day columns, each labelled with its date.
    let columns = browser
        .client
        .find_all(Locator::Css(
            "#timedColumns .day-column[role='group'][aria-label]",
        ))
        .await
        .unwrap();
    assert_eq!(columns.len(), 7);
    browser.screenshot("signed-up").await;

    // The session survives a reload.
    browser.client.refresh().await.unwrap();
    wait_live(&browser).await;

    let sign_out = browser
        .wait_for(
            Locator::XPath("//button[normalize-space(.)='Sign out']"),
            "Sign out",
        )
        .await;
    browser.click(&sign_out, "Sign out").await;
    browser.wait_css("input#auth-email[type='email']").await;
    crate::docs_screenshot(&browser, "sign-in").await;

    // A wrong password is refused inline.
    let email = browser.wait_css("#auth-email").await;
    email.send_keys(&user.email).await.unwrap();
    let password = browser.wait_css("#auth-password").await;
    password.send_keys("not the password").await.unwrap();
    let submit = browser.wait_css("form button[type='submit']").await;
    browser.click(&submit, "Sign in").await;
    browser
        .wait_for(
            Locator::XPath("//p[@role='alert'][contains(., 'Incorrect email or password')]"),
            "the refusal",
        )
        .await;

    browser.replace_text(&password, &user.password).await;
    browser.click(&submit, "Sign in").await;
    wait_live(&browser).await;
    browser.close().await;
}
