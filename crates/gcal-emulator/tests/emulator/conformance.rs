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

/// The served methods and the query parameters each honours (besides the global `fields` and `oauth_token`).
/// `alwaysIncludeEmail` is "Deprecated and ignored" at Google too, so ignoring it honours it.
const SERVED: [(&str, &[&str]); 13] = [
    (
        "calendarList.list",
        &[
            "maxResults",
            "pageToken",
            "syncToken",
            "showDeleted",
            "showHidden",
            "minAccessRole",
        ],
    ),
    ("calendarList.get", &[]),
    ("calendarList.watch", &[]),
    ("calendars.get", &[]),
    (
        "events.list",
        &[
            "alwaysIncludeEmail",
            "eventTypes",
            "iCalUID",
            "maxAttendees",
            "maxResults",
            "orderBy",
            "pageToken",
            "privateExtendedProperty",
            "q",
            "sharedExtendedProperty",
            "showDeleted",
            "singleEvents",
            "syncToken",
            "timeMax",
            "timeMin",
            "timeZone",
            "updatedMin",
        ],
    ),
    (
        "events.get",
        &["alwaysIncludeEmail", "maxAttendees", "timeZone"],
    ),
    (
        "events.instances",
        &[
            "alwaysIncludeEmail",
            "maxAttendees",
            "maxResults",
            "originalStart",
            "pageToken",
            "showDeleted",
            "timeMax",
            "timeMin",
            "timeZone",
        ],
    ),
    ("events.insert", &["maxAttendees"]),
    ("events.update", &["alwaysIncludeEmail", "maxAttendees"]),
    ("events.patch", &["alwaysIncludeEmail", "maxAttendees"]),
    ("events.delete", &[]),
    ("events.watch", &[]),
    ("channels.stop", &[]),
];

/// Global parameters every served method honours.
const GLOBAL_SERVED: [&str; 2] = ["fields", "oauth_token"];

/// The table under "### Query parameters not served" in docs/gcal-emulator.md: method (or `every method`) to the
/// parameters listed there.
fn documented_as_not_served() -> Vec<(String, Vec<String>)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/gcal-emulator.md");
    let text = std::fs::read_to_string(path).unwrap();
    let section = text
        .split("### Query parameters not served")
        .nth(1)
        .expect("docs/gcal-emulator.md has a section \"### Query parameters not served\"");
    let section = section.split("\n#").next().unwrap();
    let ticked = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    let mut rows = Vec::new();
    for line in section.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (Some(methods), Some(params)) = (cells.get(1), cells.get(2)) else {
            continue;
        };
        let names = if methods.starts_with("every method") {
            vec!["*".to_owned()]
        } else {
            ticked(methods)
        };
        for name in names {
            rows.push((name, ticked(params)));
        }
    }
    rows
}

#[test]
fn every_documented_query_parameter_is_honoured_or_listed_as_not_served() {
    let doc = discovery();
    let not_served = documented_as_not_served();
    let listed_for = |method: &str| -> Vec<String> {
        not_served
            .iter()
            .filter(|(m, _)| m == method || m == "*")
            .flat_map(|(_, p)| p.iter().cloned())
            .collect()
    };
    let globals: Vec<String> = doc["parameters"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let mut problems = Vec::new();
    for (method, honoured) in SERVED {
        let (resource, name) = method.split_once('.').unwrap();
        let m = &doc["resources"][resource]["methods"][name];
        assert!(m.is_object(), "{method} is not in the discovery document");
        let mut documented: Vec<String> = m["parameters"]
            .as_object()
            .map(|p| {
                p.iter()
                    .filter(|(_, v)| v["location"] == "query")
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        for p in honoured {
            if !documented.iter().any(|d| d == p) {
                problems.push(format!("{method} honours {p}, which it does not document"));
            }
        }
        documented.extend(globals.iter().cloned());
        let listed = listed_for(method);
        for p in &documented {
            let is_honoured = honoured.contains(&p.as_str()) || GLOBAL_SERVED.contains(&p.as_str());
            let is_listed = listed.contains(p);
            match (is_honoured, is_listed) {
                (false, false) => problems.push(format!(
                    "{method}: {p} is neither honoured nor listed as not served in docs/gcal-emulator.md"
                )),
                (true, true) => problems.push(format!(
                    "{method}: {p} is honoured but listed as not served in docs/gcal-emulator.md"
                )),
                _ => {}
            }
        }
        for p in &listed {
            if !documented.contains(p) {
                problems.push(format!(
                    "docs/gcal-emulator.md lists {p} as not served by {method}, which does not document it"
                ));
            }
        }
    }
    for (method, _) in &not_served {
        if method != "*" && !SERVED.iter().any(|(m, _)| m == method) {
            problems.push(format!(
                "docs/gcal-emulator.md lists {method}, which is not served"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let max = &doc["resources"]["events"]["methods"]["list"]["parameters"]["maxResults"];
    assert_eq!(max["default"], "250");
}

#[test]
fn method_scopes_are_the_discovery_documents() {
    let doc = discovery();
    for (method, _) in SERVED {
        let (resource, name) = method.split_once('.').unwrap();
        let m = &doc["resources"][resource]["methods"][name];
        let id = m["id"].as_str().unwrap();
        let mut documented: Vec<&str> = m["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        let mut served = gcal_emulator::scopes::accepted_scopes(id)
            .unwrap_or_else(|| panic!("no scopes for {id}"))
            .to_vec();
        documented.sort_unstable();
        served.sort_unstable();
        assert_eq!(served, documented, "{id}");
    }
}

/// The canonical `status` Google's envelope carries for an HTTP status.
fn canonical_status(code: u16) -> &'static str {
    match code {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ALREADY_EXISTS",
        410 | 412 => "FAILED_PRECONDITION",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    }
}

/// Checks a Google error answer: JSON, `{"error": {"code", "message", "errors": [{"domain", "reason",
/// "message", ("locationType", "location")?}], "status"}}` and nothing else, `code` the HTTP status.
fn check_error(what: &str, r: &crate::support::Resp, status: u16, reason: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.body);
    let content_type = r.headers["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{what}: {content_type}"
    );
    let top: Vec<&String> = r.body.as_object().unwrap().keys().collect();
    assert_eq!(top, ["error"], "{what}");
    let e = r.body["error"].as_object().unwrap();
    for k in e.keys() {
        assert!(
            ["code", "message", "errors", "status"].contains(&k.as_str()),
            "{what}: unexpected error.{k}"
        );
    }
    assert_eq!(e["code"], status, "{what}");
    assert!(!e["message"].as_str().unwrap().is_empty(), "{what}");
    assert_eq!(e["status"], canonical_status(status), "{what}");
    let items = e["errors"].as_array().unwrap();
    assert!(!items.is_empty(), "{what}");
    for item in items {
        let item = item.as_object().unwrap();
        for k in ["domain", "reason", "message"] {
            assert!(item[k].is_string(), "{what}: errors[].{k}");
        }
        for k in item.keys() {
            assert!(
                ["domain", "reason", "message", "locationType", "location"].contains(&k.as_str()),
                "{what}: unexpected errors[].{k}"
            );
        }
        assert_eq!(
            item.contains_key("locationType"),
            item.contains_key("location"),
            "{what}"
        );
    }
    assert_eq!(r.reason(), reason, "{what}");
}

#[tokio::test]
async fn error_bodies_have_googles_shape_for_every_status() {
    use gcal_emulator::{FaultKind, FaultSpec};
    use reqwest::Method;

    let t = spawn().await;
    let event =
        json!({"id": "errshape01", "start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}});
    t.insert(event.clone()).await;
    let (_, token, _) = t.list_all(&[]).await;

    let r = t
        .get("/calendars/primary/events", &[("timeMin", "yesterday")])
        .await;
    check_error("bad timeMin", &r, 400, "invalid");
    assert_eq!(r.body["error"]["errors"][0]["location"], "timeMin");
    let r = t
        .get("/calendars/primary/events", &[("fields", "items(")])
        .await;
    check_error("bad fields", &r, 400, "invalidParameter");
    let r = t
        .send(
            Method::GET,
            &t.api("/calendars/primary/events"),
            Some("not-a-token"),
            &[],
            None,
            &[],
        )
        .await;
    check_error("bad token", &r, 401, "authError");
    assert!(r.headers.contains_key("www-authenticate"));
    let r = t
        .send(
            Method::GET,
            &t.api("/calendars/primary/events"),
            None,
            &[],
            None,
            &[],
        )
        .await;
    check_error("no token", &r, 401, "required");
    let narrow = t
        .http
        .post(format!(
            "{}/_emulator/users/{}/tokens",
            t.base,
            crate::support::ALICE
        ))
        .json(&json!({"scope": "https://www.googleapis.com/auth/calendar.calendarlist.readonly"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let r = t
        .send(
            Method::GET,
            &t.api("/calendars/primary/events"),
            narrow["access_token"].as_str(),
            &[],
            None,
            &[],
        )
        .await;
    check_error("scope", &r, 403, "insufficientPermissions");
    let r = t.get("/calendars/primary/events/nosuchevent", &[]).await;
    check_error("unknown event", &r, 404, "notFound");
    let r = t.post("/calendars/primary/events", &event).await;
    check_error("duplicate id", &r, 409, "duplicate");
    let r = t
        .send(
            Method::PATCH,
            &t.api("/calendars/primary/events/errshape01"),
            Some(&t.token),
            &[],
            Some(&json!({"summary": "x"})),
            &[("If-Match", "\"123\"")],
        )
        .await;
    check_error("stale etag", &r, 412, "conditionNotMet");
    assert_eq!(
        t.delete("/calendars/primary/events/errshape01")
            .await
            .status,
        204
    );
    let r = t.delete("/calendars/primary/events/errshape01").await;
    check_error("second delete", &r, 410, "deleted");
    t.ctl
        .expire_sync_tokens(Some(crate::support::ALICE), None)
        .await
        .unwrap();
    let r = t
        .get("/calendars/primary/events", &[("syncToken", &token)])
        .await;
    check_error("expired sync token", &r, 410, "fullSyncRequired");
    for (kind, status, reason) in [
        (FaultKind::RateLimit429, 429, "rateLimitExceeded"),
        (FaultKind::RateLimit403, 403, "rateLimitExceeded"),
        (FaultKind::BackendError, 500, "backendError"),
        (FaultKind::ServiceUnavailable, 503, "backendError"),
    ] {
        t.ctl
            .add_fault(&FaultSpec::new("calendar.events.list", kind).times(1))
            .await
            .unwrap();
        let r = t.get("/calendars/primary/events", &[]).await;
        check_error(&format!("{kind:?}"), &r, status, reason);
    }
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
