//! Every class of bad input to the events API is a 400 naming the field (or 413 over the body limit),
//! changes nothing and publishes nothing (backend spec §15 item 25: the reference answered 500).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::events_support::{app, expect_silence, field, timed, weekly, Calendar};
use crate::support::app::spawn_app_with;

fn valid() -> Value {
    timed("Valid", "2025-01-06T09:00:00Z", "2025-01-06T10:00:00Z")
}

/// `valid()` with `key` set to `value` (or removed for `Value::Null` when `remove`).
fn with(key: &str, value: Value) -> Value {
    let mut body = valid();
    body[key] = value;
    body
}

fn without(key: &str) -> Value {
    let mut body = valid();
    body.as_object_mut().expect("an object").remove(key);
    body
}

#[tokio::test]
async fn bug_15_25_bad_event_bodies_are_400_naming_the_field() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    let mut stream = me.stream().await;
    let cases: Vec<(Value, &str)> = vec![
        (json!("not an object"), ""),
        (json!(42), ""),
        (without("startDate"), "startDate"),
        (without("origin"), "origin"),
        (without("priority"), "priority"),
        (with("startDate", json!("tomorrow")), "startDate"),
        (with("startDate", json!("2025-01-06T09:00:00")), "startDate"),
        (with("endDate", json!(20250106)), "endDate"),
        (with("endDate", json!("2025-01-06T08:00:00Z")), "endDate"),
        (with("endDate", json!("2025-01-07")), "endDate"),
        (with("isAllDay", json!(true)), "isAllDay"),
        (with("isAllDay", json!("yes")), "isAllDay"),
        (with("origin", json!("gcal")), "origin"),
        (with("priority", json!("urgent")), "priority"),
        (with("title", json!(["a"])), "title"),
        (with("title", json!("x".repeat(2_000))), "title"),
        (with("_id", json!("not-an-id")), "_id"),
        (
            with("recurrence", json!({"rule": "RRULE:FREQ=DAILY"})),
            "recurrence.rule",
        ),
        (
            with("recurrence", json!({"rule": ["RRULE:FREQ=SOMETIMES"]})),
            "recurrence.rule",
        ),
        (
            with(
                "recurrence",
                json!({"rule": ["DTSTART:20250101", "RRULE:FREQ=DAILY"]}),
            ),
            "recurrence.rule",
        ),
        (
            with(
                "recurrence",
                json!({"rule": ["RRULE:FREQ=DAILY;COUNT=2;UNTIL=20250110"]}),
            ),
            "recurrence.rule",
        ),
        (
            with("recurrence", json!({"eventId": "65a1b2c3d4e5f60718293a4b"})),
            "recurrence.eventId",
        ),
        (with("gRecurringEventId", json!("abc")), "gRecurringEventId"),
    ];
    for (body, expected_field) in cases {
        let (status, error) = me.create(&body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {error}");
        assert_eq!(field(&error, "result"), "Bad Request");
        let message = field(&error, "message");
        assert!(
            message.starts_with(&format!("{expected_field}:")) || expected_field.is_empty(),
            "{body}: expected field {expected_field:?} in {message:?}"
        );
    }
    let (status, _) = me.create(&json!([])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    expect_silence(&mut stream).await;
    assert!(me.grid().await.is_empty());
}

#[tokio::test]
async fn malformed_json_content_type_ids_scopes_and_queries_are_400() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&weekly("Weekly", 2)).await;
    let instance = me.grid().await.remove(0);
    let id = field(&instance, "_id").to_owned();

    let raw = me
        .client
        .post(app.url("/api/event"))
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    let text = me
        .client
        .post(app.url("/api/event"))
        .header("content-type", "text/plain")
        .body(valid().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), StatusCode::BAD_REQUEST);

    let (status, error) = me.get("123").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(field(&error, "message").starts_with("id:"));
    let (status, error) = me.put(&id, Some("Every Event"), &instance).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(field(&error, "message").starts_with("applyTo:"));
    let (status, _) = me.delete(&id, Some("all events")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let mut other_id = instance.clone();
    other_id["_id"] = json!("65a1b2c3d4e5f60718293a4f");
    let (status, error) = me.put(&id, None, &other_id).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(field(&error, "message").starts_with("_id:"));
    let mut foreign_series = instance.clone();
    foreign_series["recurrence"]["eventId"] = json!("65a1b2c3d4e5f60718293a4f");
    let (status, error) = me.put(&id, None, &foreign_series).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(field(&error, "message").starts_with("recurrence.eventId:"));
    let mut remove_one = instance.clone();
    remove_one["recurrence"] = json!({"rule": null});
    let (status, _) = me.put(&id, Some("This Event"), &remove_one).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let mut following_someday = me.grid().await.remove(1);
    following_someday["isSomeday"] = json!(true);
    let second = field(&following_someday, "_id").to_owned();
    let (status, error) = me
        .put(
            &second,
            Some("This and Following Events"),
            &following_someday,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(field(&error, "message").starts_with("isSomeday:"));

    for (query, expected) in [
        ("start=2025-01-01", "end:"),
        ("start=2025-01-10&end=2025-01-01", "end:"),
        ("start=soon&end=2025-01-01", "start:"),
        ("start=2025-01-01&end=2025-01-02T00:00:00", "end:"),
        ("someday=maybe", "someday:"),
    ] {
        let (status, error) = me
            .send(reqwest::Method::GET, &format!("/event?{query}"), None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(
            field(&error, "message").starts_with(expected),
            "{query}: {error}"
        );
    }

    for body in [
        json!({"_id": id, "order": 1}),
        json!([{"_id": id}]),
        json!([{"_id": "x", "order": 1}]),
    ] {
        let (status, _) = me.reorder(&body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
    // Nothing changed.
    assert_eq!(me.grid().await.len(), 2);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let app = spawn_app_with(|settings| settings.body_limit = 4 * 1024).await;
    let me = Calendar::sign_up(&app).await;
    let mut body = valid();
    body["description"] = json!("x".repeat(8 * 1024));
    let (status, error) = me.create(&body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(field(&error, "message").contains("4096"));
    let many: Vec<Value> = (0..40).map(|_| valid()).collect();
    let (status, _) = me.create(&json!(many)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(me.grid().await.is_empty());
}
