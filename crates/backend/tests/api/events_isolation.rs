//! Cross-user isolation of the events API: user B can neither read, list, change, delete nor hear
//! about user A's events, and B's attempts look exactly like unknown ids (404).

use reqwest::StatusCode;
use serde_json::json;

use crate::events_support::{
    app, expect_events, expect_silence, field, someday, titles, weekly, Calendar,
};

#[tokio::test]
async fn another_user_gets_404_for_everything_and_hears_nothing() {
    let app = app().await;
    let alice = Calendar::sign_up(&app).await;
    let bob = Calendar::sign_up(&app).await;
    let mut bob_stream = bob.stream().await;
    let mut alice_stream = alice.stream().await;

    alice.create_ok(&weekly("Alice weekly", 3)).await;
    alice
        .create_ok(&someday("Alice someday", "2025-01-05", "2025-01-12"))
        .await;
    expect_events(
        &mut alice_stream,
        &["EVENT_CHANGED", "SOMEDAY_EVENT_CHANGED"],
    )
    .await;
    expect_silence(&mut bob_stream).await;

    let instance = alice.grid().await.remove(1);
    let id = field(&instance, "_id").to_owned();
    let base = instance["recurrence"]["eventId"]
        .as_str()
        .unwrap()
        .to_owned();
    let parked = field(&alice.someday().await[0], "_id").to_owned();

    assert!(bob.grid().await.is_empty());
    assert!(bob.someday().await.is_empty());
    for target in [&id, &base, &parked] {
        assert_eq!(bob.get(target).await.0, StatusCode::NOT_FOUND);
        for scope in [
            None,
            Some("This Event"),
            Some("All Events"),
            Some("This and Following Events"),
        ] {
            let mut edit = instance.clone();
            edit["title"] = json!("Bob was here");
            edit.as_object_mut().unwrap().remove("_id");
            let (status, body) = bob.put(target, scope, &edit).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
            assert_eq!(bob.delete(target, scope).await.0, StatusCode::NOT_FOUND);
        }
    }
    let (status, _) = bob.reorder(&json!([{"_id": parked, "order": 1}])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Bob cannot take over Alice's id either (a conflict, never an overwrite).
    let mut steal = someday("Bob someday", "2025-01-05", "2025-01-12");
    steal["_id"] = json!(parked);
    assert_eq!(bob.create(&steal).await.0, StatusCode::CONFLICT);

    expect_silence(&mut bob_stream).await;
    expect_silence(&mut alice_stream).await;
    assert_eq!(
        titles(&alice.grid().await),
        ["Alice weekly", "Alice weekly", "Alice weekly"]
    );
    assert_eq!(titles(&alice.someday().await), ["Alice someday"]);
    assert_eq!(alice.someday().await[0].get("order"), None);
}

#[tokio::test]
async fn bug_15_27_unknown_ids_are_404_and_signed_out_requests_are_401() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    let unknown = "65a1b2c3d4e5f60718293a4e";
    assert_eq!(me.get(unknown).await.0, StatusCode::NOT_FOUND);
    let body = crate::events_support::timed("X", "2025-01-06T09:00:00Z", "2025-01-06T10:00:00Z");
    assert_eq!(me.put(unknown, None, &body).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        me.delete(unknown, Some("All Events")).await.0,
        StatusCode::NOT_FOUND
    );

    let anonymous = crate::support::app::client_for(&app.address);
    for (method, path) in [
        (reqwest::Method::GET, "/api/event?someday=true"),
        (reqwest::Method::POST, "/api/event"),
        (reqwest::Method::GET, "/api/event/65a1b2c3d4e5f60718293a4e"),
        (reqwest::Method::PUT, "/api/event/65a1b2c3d4e5f60718293a4e"),
        (
            reqwest::Method::DELETE,
            "/api/event/65a1b2c3d4e5f60718293a4e",
        ),
        (reqwest::Method::PUT, "/api/event/reorder"),
        (reqwest::Method::GET, "/api/priority"),
    ] {
        let response = anonymous
            .request(method.clone(), app.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }
}
