//! `/api/priority` over HTTP: CRUD, upsert by name, isolation between users, bad input (§15 item 17:
//! the reference's priority routes could hang; here every request gets an answer).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::events_support::{app, field, Calendar};

#[tokio::test]
async fn create_list_read_update_delete() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    let (status, work) = me
        .send(
            Method::POST,
            "/priority",
            Some(&json!({"name": "work", "color": "#3366ff"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(field(&work, "name"), "work");
    assert_eq!(field(&work, "color"), "#3366ff");
    assert_eq!(field(&work, "user"), me.user_id);
    let id = field(&work, "_id").to_owned();

    // Same name again: the same label, updated.
    let (_, again) = me
        .send(
            Method::POST,
            "/priority",
            Some(&json!({"name": "work", "color": "#000000"})),
        )
        .await;
    assert_eq!(field(&again, "_id"), id);
    assert_eq!(field(&again, "color"), "#000000");

    let (_, listed) = me.send(Method::GET, "/priority", None).await;
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| field(p, "name"))
        .collect();
    assert!(names.contains(&"work"), "{listed}");

    let (status, read) = me.send(Method::GET, &format!("/priority/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, again);

    let (status, renamed) = me
        .send(
            Method::PUT,
            &format!("/priority/{id}"),
            Some(&json!({"name": "deep work"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(field(&renamed, "name"), "deep work");

    let (status, deleted) = me
        .send(Method::DELETE, &format!("/priority/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["deletedCount"], 1);
    assert_eq!(
        me.send(Method::GET, &format!("/priority/{id}"), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        me.send(Method::DELETE, &format!("/priority/{id}"), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn other_users_labels_are_404() {
    let app = app().await;
    let alice = Calendar::sign_up(&app).await;
    let bob = Calendar::sign_up(&app).await;
    let (_, label) = alice
        .send(Method::POST, "/priority", Some(&json!({"name": "secret"})))
        .await;
    let path = format!("/priority/{}", field(&label, "_id"));
    assert_eq!(
        bob.send(Method::GET, &path, None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bob.send(Method::PUT, &path, Some(&json!({"name": "mine"})))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bob.send(Method::DELETE, &path, None).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, bobs) = bob.send(Method::GET, "/priority", None).await;
    assert!(bobs
        .as_array()
        .unwrap()
        .iter()
        .all(|p| field(p, "name") != "secret"));
    let (status, still) = alice.send(Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(field(&still, "name"), "secret");
}

#[tokio::test]
async fn bug_15_17_bad_priority_input_is_400_naming_the_field() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    for (body, expected) in [
        (json!({}), "name:"),
        (json!({"name": ""}), "name:"),
        (json!({"name": 5}), "name:"),
        (json!({"name": "a", "$where": "1"}), "$where:"),
        (json!({"name": "a", "nested": {"x": 1}}), "nested:"),
        // A NUL byte cannot be part of a BSON key: refused here, not a 500 from the driver.
        (json!({"name": "a", "col\u{0}or": "red"}), "col\u{0}or:"),
    ] {
        let (status, error) = me.send(Method::POST, "/priority", Some(&body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            field(&error, "message").starts_with(expected),
            "{body}: {error}"
        );
    }
    let (status, error) = me.send(Method::GET, "/priority/not-an-id", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(field(&error, "message").starts_with("id:"));
    let (_, a) = me
        .send(Method::POST, "/priority", Some(&json!({"name": "a"})))
        .await;
    me.send(Method::POST, "/priority", Some(&json!({"name": "b"})))
        .await;
    let (status, _) = me
        .send(
            Method::PUT,
            &format!("/priority/{}", field(&a, "_id")),
            Some(&json!({"name": "b"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_new_account_starts_with_the_default_labels() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    let (status, listed) = me.send(Method::GET, "/priority", None).await;
    assert_eq!(status, StatusCode::OK);
    let mut names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| field(p, "name"))
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["relationships", "self", "unassigned", "work"]);
}
