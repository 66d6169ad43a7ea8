//! Input at the edges of the calendar never reaches the database as an unstorable date: events that
//! would start before 0001-01-01 or end after 9999-12-31T00:00Z (in UTC, or through their series'
//! occurrences) are a 400 naming the field, and list queries reaching past those dates are served,
//! not answered with a 500.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::events_support::{app, field, timed, Calendar};

fn series(mut body: Value, rule: &str) -> Value {
    body["recurrence"] = json!({ "rule": [rule] });
    body
}

fn all_day(start: &str, end: &str) -> Value {
    let mut body = timed("Day", start, end);
    body["isAllDay"] = json!(true);
    body["startDate"] = json!(start);
    body["endDate"] = json!(end);
    body
}

#[tokio::test]
async fn events_outside_years_1_to_9999_are_400_not_500() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    let late = timed("Late", "9999-12-30T23:00:00Z", "9999-12-30T23:59:59Z");
    let cases: Vec<(Value, &str)> = vec![
        (
            timed("Last day", "9999-12-31T01:00:00Z", "9999-12-31T02:00:00Z"),
            "endDate",
        ),
        (
            timed("Year 0", "0000-01-01T00:00:00Z", "0000-01-01T01:00:00Z"),
            "startDate",
        ),
        (
            timed(
                "Offset",
                "0001-01-01T00:00:00+23:59",
                "0001-01-01T00:30:00+23:59",
            ),
            "startDate",
        ),
        (
            timed(
                "Offset",
                "9999-12-31T23:00:00-23:59",
                "9999-12-31T23:30:00-23:59",
            ),
            "endDate",
        ),
        (
            series(late.clone(), "RRULE:FREQ=DAILY;COUNT=5"),
            "recurrence.rule",
        ),
        (
            series(all_day("9999-12-30", "9999-12-31"), "RRULE:FREQ=DAILY"),
            "recurrence.rule",
        ),
    ];
    for (body, expected_field) in cases {
        let (status, error) = me.create(&body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {error}");
        assert!(
            field(&error, "message").starts_with(&format!("{expected_field}:")),
            "{body} → {error}"
        );
    }
    assert!(me.list("start=0001-01-01&end=9999-12-31").await.is_empty());

    // The last storable hour still works, and so does moving an event there by PUT.
    me.create_ok(&late).await;
    let events = me.list("start=9999-12-30&end=9999-12-31").await;
    assert_eq!(events.len(), 1, "{events:?}");
    let id = field(&events[0], "_id").to_owned();
    let (status, error) = me
        .put(
            &id,
            None,
            &timed(
                "Later",
                "9999-12-31T23:00:00-05:00",
                "9999-12-31T23:30:00-05:00",
            ),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(field(&error, "message").starts_with("endDate:"), "{error}");
}

#[tokio::test]
async fn list_queries_reaching_past_year_9999_or_before_year_1_are_served() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&timed(
        "Now",
        "2025-01-06T09:00:00Z",
        "2025-01-06T10:00:00Z",
    ))
    .await;
    for query in [
        "start=9999-12-31&end=9999-12-31",
        "start=0000-01-01&end=9999-12-31",
        "start=0000-01-01T00:00:00%2B23:59&end=0000-06-01",
        "start=9999-12-31T23:59:59-23:59&end=9999-12-31T23:59:59-23:59",
        "someday=true&start=9999-12-31&end=9999-12-31",
    ] {
        let (status, body) = me.send(Method::GET, &format!("/event?{query}"), None).await;
        assert_eq!(status, StatusCode::OK, "{query} → {body}");
    }
    let all = me.list("start=0000-01-01&end=9999-12-31").await;
    assert_eq!(all.len(), 1, "{all:?}");
}

#[tokio::test]
async fn a_small_body_cannot_make_the_server_write_hundreds_of_thousands_of_events() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    let open_ended = series(
        timed("Daily", "2025-01-06T09:00:00Z", "2025-01-06T10:00:00Z"),
        "RRULE:FREQ=DAILY",
    );
    // ~20 KB asking for 100 open-ended series: 73,100 documents in one transaction.
    let batch = Value::Array(vec![open_ended.clone(); 100]);
    let started = std::time::Instant::now();
    let (status, error) = me.create(&batch).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(field(&error, "message").contains("at most 3000"), "{error}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "refusing took {:?}",
        started.elapsed()
    );
    assert!(me.grid().await.is_empty());
    // One open-ended series is still fine.
    me.create_ok(&open_ended).await;
    assert!(!me.grid().await.is_empty());
}

#[tokio::test]
async fn a_reorder_of_more_than_3000_items_is_refused_before_any_lookup() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    let items: Vec<Value> = (0..3_001)
        .map(|i| json!({ "_id": format!("{i:024x}"), "order": i }))
        .collect();
    let (status, error) = me.reorder(&Value::Array(items)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(field(&error, "message").contains("at most 3000"), "{error}");
}
