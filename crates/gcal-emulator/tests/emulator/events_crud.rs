//! Events CRUD over HTTP: insert with client ids, get, update, patch, delete (twice → 410), etags and
//! If-Match, 404 / 401 / 409 errors in Google's envelope, extended properties and the `primary` alias.
#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::json;

use crate::support::{enc, spawn, timed, ALICE};

#[tokio::test]
async fn insert_get_patch_update_delete_round_trip() {
    let t = spawn().await;
    let mut body = timed(
        "Standup",
        "2030-01-07T09:00:00+01:00",
        "2030-01-07T09:15:00+01:00",
    );
    body["id"] = json!("standup0001");
    body["extendedProperties"] = json!({"private": {"compassId": "c-42"}});
    let created = t.insert(body).await;
    assert_eq!(created["id"], "standup0001");
    assert_eq!(created["kind"], "calendar#event");
    assert_eq!(created["status"], "confirmed");
    assert_eq!(created["iCalUID"], "standup0001@google.com");
    assert_eq!(created["organizer"]["email"], ALICE);
    assert_eq!(
        created["extendedProperties"]["private"]["compassId"],
        "c-42"
    );
    let etag1 = created["etag"].as_str().unwrap().to_owned();
    assert!(etag1.starts_with('"') && etag1.ends_with('"'));

    let got = t.get("/calendars/primary/events/standup0001", &[]).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, created);
    let by_email = t
        .get(
            &format!("/calendars/{}/events/standup0001", enc(ALICE)),
            &[],
        )
        .await;
    assert_eq!(by_email.body["id"], "standup0001");

    let patched = t
        .patch(
            "/calendars/primary/events/standup0001",
            &json!({"summary": "Daily"}),
        )
        .await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.body["summary"], "Daily");
    assert_eq!(
        patched.body["start"], created["start"],
        "patch keeps other fields"
    );
    assert_eq!(
        patched.body["extendedProperties"]["private"]["compassId"],
        "c-42"
    );
    let etag2 = patched.body["etag"].as_str().unwrap().to_owned();
    assert_ne!(etag1, etag2, "etag changes on every write");

    let full = timed("Replaced", "2030-01-08T10:00:00Z", "2030-01-08T11:00:00Z");
    let updated = t.put("/calendars/primary/events/standup0001", &full).await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.body["summary"], "Replaced");
    assert!(
        updated.body.get("extendedProperties").is_none(),
        "update replaces the whole event"
    );
    assert_eq!(updated.body["created"], created["created"]);
    assert!(
        updated.body["sequence"].as_i64().unwrap() >= 1,
        "moving an event bumps its sequence"
    );

    let del = t.delete("/calendars/primary/events/standup0001").await;
    assert_eq!(del.status, 204);
    let again = t.delete("/calendars/primary/events/standup0001").await;
    assert_eq!(again.status, 410);
    assert_eq!(again.reason(), "deleted");
    let gone = t.get("/calendars/primary/events/standup0001", &[]).await;
    assert_eq!(gone.status, 200, "get returns cancelled events");
    assert_eq!(gone.body["status"], "cancelled");
}

#[tokio::test]
async fn client_ids_are_validated_and_reuse_is_a_duplicate() {
    let t = spawn().await;
    for bad in [
        json!("abc"),
        json!("UPPERCASE1"),
        json!("has-dash-1"),
        json!("wxyz12345"),
        json!(1234567),
        json!(["abcdefgh"]),
    ] {
        let mut body = timed("x", "2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z");
        body["id"] = bad.clone();
        let r = t.post("/calendars/primary/events", &body).await;
        assert_eq!(r.status, 400, "id {bad} must be refused");
    }
    let mut body = timed("x", "2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z");
    body["id"] = json!("0123456789abcdefghijklmnopqrstuv");
    assert_eq!(t.post("/calendars/primary/events", &body).await.status, 200);
    let dup = t.post("/calendars/primary/events", &body).await;
    assert_eq!(dup.status, 409);
    assert_eq!(dup.reason(), "duplicate");
    t.delete("/calendars/primary/events/0123456789abcdefghijklmnopqrstuv")
        .await;
    let after_delete = t.post("/calendars/primary/events", &body).await;
    assert_eq!(after_delete.status, 409, "a deleted id stays taken");
}

#[tokio::test]
async fn if_match_guards_writes() {
    let t = spawn().await;
    let e = t
        .insert(timed("a", "2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"))
        .await;
    let id = e["id"].as_str().unwrap();
    let etag = e["etag"].as_str().unwrap();
    let path = t.api(&format!("/calendars/primary/events/{id}"));
    let stale = "\"123\"";
    let r = t
        .send(
            Method::PATCH,
            &path,
            Some(&t.token),
            &[],
            Some(&json!({"summary": "b"})),
            &[("If-Match", stale)],
        )
        .await;
    assert_eq!(r.status, 412);
    assert_eq!(r.reason(), "conditionNotMet");
    assert_eq!(r.body["error"]["errors"][0]["location"], "If-Match");
    let ok = t
        .send(
            Method::PATCH,
            &path,
            Some(&t.token),
            &[],
            Some(&json!({"summary": "b"})),
            &[("If-Match", etag)],
        )
        .await;
    assert_eq!(ok.status, 200);
    let del = t
        .send(
            Method::DELETE,
            &path,
            Some(&t.token),
            &[],
            None,
            &[("If-Match", etag)],
        )
        .await;
    assert_eq!(del.status, 412, "the old etag no longer matches");
    let new_etag = ok.body["etag"].as_str().unwrap();
    let not_modified = t
        .send(
            Method::GET,
            &path,
            Some(&t.token),
            &[],
            None,
            &[("If-None-Match", new_etag)],
        )
        .await;
    assert_eq!(not_modified.status, 304);
    let del = t
        .send(
            Method::DELETE,
            &path,
            Some(&t.token),
            &[],
            None,
            &[("If-Match", new_etag)],
        )
        .await;
    assert_eq!(del.status, 204);
}

#[tokio::test]
async fn errors_have_googles_shape() {
    let t = spawn().await;
    let missing = t.get("/calendars/primary/events/nosuchevent1", &[]).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["error"]["code"], 404);
    assert_eq!(missing.body["error"]["status"], "NOT_FOUND");
    assert_eq!(missing.reason(), "notFound");
    assert_eq!(missing.body["error"]["errors"][0]["domain"], "global");
    assert!(missing.body["error"]["message"].is_string());

    let other = t.get("/calendars/nobody%40example.com/events", &[]).await;
    assert_eq!(other.status, 404);
    t.ctl.create_user("bob@example.com", None).await.unwrap();
    let bobs = t.get("/calendars/bob%40example.com/events", &[]).await;
    assert_eq!(bobs.status, 404, "another user's calendar is not visible");

    let anon = t
        .send(
            Method::GET,
            &t.api("/calendars/primary/events"),
            None,
            &[],
            None,
            &[],
        )
        .await;
    assert_eq!(anon.status, 401);
    assert!(anon.headers.get("www-authenticate").is_some());
    let bad = t
        .send(
            Method::GET,
            &t.api("/calendars/primary/events"),
            Some("ya29.bogus"),
            &[],
            None,
            &[],
        )
        .await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.reason(), "authError");
    assert_eq!(bad.body["error"]["status"], "UNAUTHENTICATED");

    let no_end = t
        .post(
            "/calendars/primary/events",
            &json!({"start": {"dateTime": "2030-01-01T10:00:00Z"}}),
        )
        .await;
    assert_eq!(no_end.status, 400);
    let backwards = t
        .post(
            "/calendars/primary/events",
            &timed("x", "2030-01-01T10:00:00Z", "2030-01-01T09:00:00Z"),
        )
        .await;
    assert_eq!(backwards.status, 400);
    assert_eq!(backwards.reason(), "timeRangeEmpty");
    let junk = t
        .http
        .post(t.api("/calendars/primary/events"))
        .bearer_auth(&t.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(junk.status().as_u16(), 400);
}

#[tokio::test]
async fn private_extended_property_filter_and_calendar_resources() {
    let t = spawn().await;
    let mut a = timed("a", "2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z");
    a["extendedProperties"] = json!({"private": {"origin": "compass"}});
    t.insert(a).await;
    t.insert(timed("b", "2030-01-02T10:00:00Z", "2030-01-02T11:00:00Z"))
        .await;
    let r = t
        .get(
            "/calendars/primary/events",
            &[("privateExtendedProperty", "origin=compass")],
        )
        .await;
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["summary"], "a");

    let cal = t.get("/calendars/primary", &[]).await;
    assert_eq!(cal.status, 200);
    assert_eq!(cal.body["id"], ALICE);
    assert_eq!(cal.body["kind"], "calendar#calendar");
    let entry = t.get("/users/me/calendarList/primary", &[]).await;
    assert_eq!(entry.body["primary"], true);
    assert_eq!(entry.body["accessRole"], "owner");
}
