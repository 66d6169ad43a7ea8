//! Conformance with Google's discovery document (`tests/fixtures/calendar.v3.json`, see its README): every served method
//! is called at the HTTP method and path template the document gives, and its JSON answer is checked
//! against the document's response schema (every field known, every JSON type right, formats parsed).
//! The query parameters the emulator understands must be documented for their method.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Map, Value};

use crate::support::{enc, spawn, Receiver, TestEmu};

fn discovery() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/calendar.v3.json"
    );
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("discovery document at {path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// Checks `value` against a discovery schema; pushes one message per violation.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(name) = schema.get("$ref").and_then(Value::as_str) {
        let target = &doc["schemas"][name];
        assert!(target.is_object(), "unknown schema {name}");
        return check(doc, target, value, at, errors);
    }
    let kind = schema.get("type").and_then(Value::as_str).unwrap_or("any");
    let format = schema.get("format").and_then(Value::as_str);
    let ok = match (kind, value) {
        ("any", _) => true,
        ("object", Value::Object(map)) => {
            check_object(doc, schema, map, at, errors);
            true
        }
        ("array", Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                check(doc, &schema["items"], item, &format!("{at}[{i}]"), errors);
            }
            true
        }
        ("string", Value::String(s)) => check_format(format, s),
        ("integer", Value::Number(n)) => n.is_i64(),
        ("number", Value::Number(_)) => true,
        ("boolean", Value::Bool(_)) => true,
        _ => false,
    };
    if !ok {
        errors.push(format!(
            "{at}: expected {kind}{} but got {value}",
            format.map(|f| format!(" ({f})")).unwrap_or_default()
        ));
    }
}

fn check_object(
    doc: &Value,
    schema: &Value,
    map: &Map<String, Value>,
    at: &str,
    errors: &mut Vec<String>,
) {
    for (key, v) in map {
        let path = format!("{at}.{key}");
        if let Some(prop) = schema.get("properties").and_then(|p| p.get(key)) {
            check(doc, prop, v, &path, errors);
        } else if let Some(extra) = schema.get("additionalProperties") {
            check(doc, extra, v, &path, errors);
        } else {
            errors.push(format!("{path}: field not in the discovery schema"));
        }
    }
}

fn check_format(format: Option<&str>, s: &str) -> bool {
    match format {
        Some("date-time") => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
        Some("date") => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
        Some("int64") => s.parse::<i64>().is_ok(),
        _ => true,
    }
}

/// Calls a discovery method (resource.method) with path parameters; returns the status and JSON body.
async fn call(
    t: &TestEmu,
    doc: &Value,
    method: &str,
    params: &[(&str, &str)],
    query: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, Value) {
    let (resource, name) = method.split_once('.').unwrap();
    let m = &doc["resources"][resource]["methods"][name];
    let mut path = m["path"].as_str().unwrap().to_owned();
    for (k, v) in params {
        path = path.replace(&format!("{{{k}}}"), &enc(v));
    }
    assert!(!path.contains('{'), "{method}: unfilled path {path}");
    let http_method =
        reqwest::Method::from_bytes(m["httpMethod"].as_str().unwrap().as_bytes()).unwrap();
    let url = format!(
        "{}/{}{}",
        t.base,
        doc["servicePath"].as_str().unwrap(),
        path
    );
    let r = t
        .send(http_method, &url, Some(&t.token), query, body, &[])
        .await;
    (r.status, r.body)
}

/// Calls and checks the answer against the method's response schema.
async fn conforms(
    t: &TestEmu,
    doc: &Value,
    method: &str,
    params: &[(&str, &str)],
    query: &[(&str, &str)],
    body: Option<&Value>,
) -> Value {
    let (status, value) = call(t, doc, method, params, query, body).await;
    assert!(status == 200, "{method} answered {status}: {value}");
    let (resource, name) = method.split_once('.').unwrap();
    let schema = &doc["resources"][resource]["methods"][name]["response"];
    let mut errors = Vec::new();
    check(doc, schema, &value, method, &mut errors);
    assert!(
        errors.is_empty(),
        "{method} does not match the discovery document:\n{}",
        errors.join("\n")
    );
    value
}

#[tokio::test]
async fn every_served_method_matches_the_discovery_document() {
    let doc = discovery();
    let t = spawn().await;
    let rx = Receiver::start().await;

    let mut single = json!({
        "id": "conform0001", "summary": "One", "description": "d", "location": "Room 1", "colorId": "5",
        "start": {"dateTime": "2030-01-07T10:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2030-01-07T11:00:00+01:00", "timeZone": "Europe/Berlin"},
        "extendedProperties": {"private": {"compassId": "x"}, "shared": {}},
        "reminders": {"useDefault": false, "overrides": [{"method": "popup", "minutes": 10}]},
        "attendees": [{"email": "bob@example.com", "responseStatus": "needsAction"}],
        "transparency": "opaque", "visibility": "default",
    });
    conforms(
        &t,
        &doc,
        "events.insert",
        &[("calendarId", "primary")],
        &[],
        Some(&single),
    )
    .await;
    let series = json!({
        "id": "conform0002", "summary": "Series",
        "start": {"dateTime": "2030-01-07T09:00:00Z", "timeZone": "UTC"}, "end": {"dateTime": "2030-01-07T09:30:00Z", "timeZone": "UTC"},
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=5"],
    });
    conforms(
        &t,
        &doc,
        "events.insert",
        &[("calendarId", "primary")],
        &[],
        Some(&series),
    )
    .await;
    let all_day = json!({"summary": "Holiday", "start": {"date": "2030-01-09"}, "end": {"date": "2030-01-10"}});
    conforms(
        &t,
        &doc,
        "events.insert",
        &[("calendarId", "primary")],
        &[],
        Some(&all_day),
    )
    .await;

    single["summary"] = json!("One, updated");
    conforms(
        &t,
        &doc,
        "events.update",
        &[("calendarId", "primary"), ("eventId", "conform0001")],
        &[],
        Some(&single),
    )
    .await;
    conforms(
        &t,
        &doc,
        "events.patch",
        &[("calendarId", "primary"), ("eventId", "conform0001")],
        &[],
        Some(&json!({"summary": "p"})),
    )
    .await;
    let moved = json!({"start": {"dateTime": "2030-01-08T12:00:00Z", "timeZone": "UTC"}, "end": {"dateTime": "2030-01-08T12:30:00Z", "timeZone": "UTC"}});
    conforms(
        &t,
        &doc,
        "events.patch",
        &[
            ("calendarId", "primary"),
            ("eventId", "conform0002_20300108T090000Z"),
        ],
        &[],
        Some(&moved),
    )
    .await;
    let (status, _) = call(
        &t,
        &doc,
        "events.delete",
        &[
            ("calendarId", "primary"),
            ("eventId", "conform0002_20300109T090000Z"),
        ],
        &[],
        None,
    )
    .await;
    assert_eq!(status, 204);

    for id in [
        "conform0001",
        "conform0002",
        "conform0002_20300108T090000Z",
        "conform0002_20300109T090000Z",
        "conform0002_20300110T090000Z",
    ] {
        conforms(
            &t,
            &doc,
            "events.get",
            &[("calendarId", "primary"), ("eventId", id)],
            &[],
            None,
        )
        .await;
    }
    conforms(
        &t,
        &doc,
        "events.list",
        &[("calendarId", "primary")],
        &[],
        None,
    )
    .await;
    let expanded = conforms(
        &t,
        &doc,
        "events.list",
        &[("calendarId", "primary")],
        &[
            ("singleEvents", "true"),
            ("showDeleted", "true"),
            ("maxResults", "3"),
        ],
        None,
    )
    .await;
    assert!(expanded["nextPageToken"].is_string());
    let full = conforms(
        &t,
        &doc,
        "events.list",
        &[("calendarId", "primary")],
        &[("orderBy", "updated")],
        None,
    )
    .await;
    let token = full["nextSyncToken"].as_str().unwrap().to_owned();
    call(
        &t,
        &doc,
        "events.delete",
        &[("calendarId", "primary"), ("eventId", "conform0001")],
        &[],
        None,
    )
    .await;
    let delta = conforms(
        &t,
        &doc,
        "events.list",
        &[("calendarId", "primary")],
        &[("syncToken", &token)],
        None,
    )
    .await;
    assert_eq!(delta["items"][0]["status"], "cancelled");
    conforms(
        &t,
        &doc,
        "events.instances",
        &[("calendarId", "primary"), ("eventId", "conform0002")],
        &[("showDeleted", "true")],
        None,
    )
    .await;

    conforms(&t, &doc, "calendarList.list", &[], &[], None).await;
    conforms(
        &t,
        &doc,
        "calendarList.get",
        &[("calendarId", "primary")],
        &[],
        None,
    )
    .await;
    conforms(
        &t,
        &doc,
        "calendars.get",
        &[("calendarId", "primary")],
        &[],
        None,
    )
    .await;
    let side = t
        .ctl
        .create_calendar(crate::support::ALICE, "Side")
        .await
        .unwrap();
    let side_id = side["id"].as_str().unwrap().to_owned();
    conforms(
        &t,
        &doc,
        "calendarList.get",
        &[("calendarId", &side_id)],
        &[],
        None,
    )
    .await;

    let channel = json!({"id": "conform-chan", "type": "web_hook", "address": rx.url, "token": "t", "params": {"ttl": "600"}});
    let watched = conforms(
        &t,
        &doc,
        "events.watch",
        &[("calendarId", "primary")],
        &[],
        Some(&channel),
    )
    .await;
    let list_channel = json!({"id": "conform-list", "type": "web_hook", "address": rx.url});
    conforms(
        &t,
        &doc,
        "calendarList.watch",
        &[],
        &[],
        Some(&list_channel),
    )
    .await;
    let stop = json!({"id": "conform-chan", "resourceId": watched["resourceId"]});
    let (status, _) = call(&t, &doc, "channels.stop", &[], &[], Some(&stop)).await;
    assert_eq!(status, 204);
}

#[test]
fn understood_query_parameters_are_documented() {
    let doc = discovery();
    let understood: [(&str, &str, &[&str]); 4] = [
        (
            "events",
            "list",
            &[
                "maxResults",
                "pageToken",
                "syncToken",
                "showDeleted",
                "singleEvents",
                "timeMin",
                "timeMax",
                "updatedMin",
                "orderBy",
                "q",
                "privateExtendedProperty",
                "sharedExtendedProperty",
                "iCalUID",
            ],
        ),
        (
            "events",
            "instances",
            &[
                "maxResults",
                "pageToken",
                "showDeleted",
                "timeMin",
                "timeMax",
                "originalStart",
            ],
        ),
        (
            "calendarList",
            "list",
            &[
                "maxResults",
                "pageToken",
                "syncToken",
                "showDeleted",
                "showHidden",
                "minAccessRole",
            ],
        ),
        ("events", "watch", &["calendarId"]),
    ];
    for (resource, method, params) in understood {
        let documented = &doc["resources"][resource]["methods"][method]["parameters"];
        for p in params {
            assert!(
                documented.get(p).is_some(),
                "{resource}.{method} does not document {p}"
            );
        }
    }
    let max = &doc["resources"]["events"]["methods"]["list"]["parameters"]["maxResults"];
    assert_eq!(max["default"], "250");
}

#[test]
fn the_schema_checker_catches_wrong_fields_and_types() {
    let doc = discovery();
    let schema = json!({"$ref": "Event"});
    let mut errors = Vec::new();
    check(
        &doc,
        &schema,
        &json!({"id": "x", "sequence": "1", "bogus": 1, "start": {"date": "2030-13-01"}}),
        "e",
        &mut errors,
    );
    assert_eq!(errors.len(), 3, "{errors:?}");
}
