//! The request log keeps what a client sent: headers (credentials redacted) and bodies.
#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{spawn, timed};

#[tokio::test]
async fn the_log_keeps_headers_and_bodies_with_credentials_redacted() {
    let t = spawn().await;
    let e = t
        .insert(timed(
            "logged",
            "2030-04-01T10:00:00Z",
            "2030-04-01T11:00:00Z",
        ))
        .await;
    let etag = e["etag"].as_str().unwrap().to_owned();
    let path = format!("/calendars/primary/events/{}", e["id"].as_str().unwrap());
    let r = t
        .send(
            Method::PATCH,
            &t.api(&path),
            Some(&t.token),
            &[],
            Some(&json!({"summary": "renamed"})),
            &[("If-Match", etag.as_str())],
        )
        .await;
    assert_eq!(r.status, 200);

    let patch = t.ctl.requests(Some("calendar.events.patch")).await.unwrap();
    let entry = &patch[0];
    assert_eq!(entry.headers["if-match"], etag);
    assert_eq!(entry.headers["authorization"], "[redacted]");
    assert!(entry.headers["content-type"].starts_with("application/json"));
    let body: Value = serde_json::from_str(entry.body.as_deref().unwrap()).unwrap();
    assert_eq!(body, json!({"summary": "renamed"}));
    let insert = t
        .ctl
        .requests(Some("calendar.events.insert"))
        .await
        .unwrap();
    assert!(insert[0].body.as_deref().unwrap().contains("logged"));
    let list = t.get("/calendars/primary/events", &[]).await;
    assert_eq!(list.status, 200);
    let listed = t.ctl.requests(Some("calendar.events.list")).await.unwrap();
    assert_eq!(listed[0].body, None, "no body, none logged");

    let token = t
        .http
        .post(format!("{}/token", t.base))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", t.refresh_token.as_str()),
            ("client_id", t.client_id.as_str()),
            ("client_secret", "very-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        token.status(),
        200,
        "the handler still reads the logged body"
    );
    let logged = t.ctl.requests(Some("oauth.token")).await.unwrap();
    let form = logged[0].body.as_deref().unwrap();
    assert!(form.contains("grant_type=refresh_token"));
    assert!(form.contains("client_secret=%5Bredacted%5D"), "{form}");
    assert!(!form.contains("very-secret"));
}
