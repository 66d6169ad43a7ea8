//! How accounts meet the SSE stream: sign-out ends that session's streams (and only those), and a metadata
//! write reaches every open tab of its user and nobody else.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::support::app::{spawn_app, Read};

#[tokio::test]
async fn signout_ends_the_streams_of_that_session_only() {
    let app = spawn_app().await;
    let (client, user, _) = app.signed_in_client().await;
    // A second session of the same user in another "browser".
    let other = crate::support::app::client_for(&app.address);
    let (status, _) = app.signin_with(&other, &user).await;
    assert_eq!(status, StatusCode::OK);

    let mut ending = app.open_stream_with(&client, None).await;
    let mut staying = app.open_stream_with(&other, None).await;
    assert_eq!(ending.next_event().await.name(), Some("USER_METADATA"));
    assert_eq!(staying.next_event().await.name(), Some("USER_METADATA"));

    assert_eq!(app.signout_with(&client).await, StatusCode::OK);
    loop {
        match ending.read(Duration::from_secs(10)).await {
            Read::End => break,
            Read::Timeout => panic!("the signed-out session's stream stayed open"),
            Read::Frame(_) => {}
        }
    }
    staying.expect_no_event(Duration::from_millis(300)).await;
    let reopened = app.stream_response(&client, None).await;
    assert_eq!(reopened.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_metadata_write_reaches_all_tabs_of_its_user_only() {
    let app = spawn_app().await;
    let (ann, _, _) = app.signed_in_client().await;
    let (bob, _, _) = app.signed_in_client().await;
    let mut tab1 = app.open_stream_with(&ann, None).await;
    let mut tab2 = app.open_stream_with(&ann, None).await;
    let mut bobs = app.open_stream_with(&bob, None).await;
    for tab in [&mut tab1, &mut tab2, &mut bobs] {
        let first = tab.next_event().await;
        assert_eq!(first.name(), Some("USER_METADATA"));
        assert_eq!(first.json()["google"]["connectionState"], "NOT_CONNECTED");
    }

    let response = ann
        .post(app.url("/api/user/metadata"))
        .json(&json!({"skipOnboarding": true}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    for tab in [&mut tab1, &mut tab2] {
        let event = tab.next_event().await;
        assert_eq!(event.name(), Some("USER_METADATA"));
        assert_eq!(event.json()["skipOnboarding"], true);
    }
    bobs.expect_no_event(Duration::from_millis(300)).await;
}
