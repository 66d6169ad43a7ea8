//! Several server instances on 127.0.0.1 against one database, with the MongoDB change-stream fan-out
//! (`--sse-fanout`): a write through one instance reaches the user's tabs on every instance, in order, once;
//! `Last-Event-ID` resumes on another instance; an instance that loses the database keeps serving its own tabs
//! and tells them to resync when it is back.

use std::time::Duration;

use compass_backend::settings::{DatabaseSettings, Secret};
use compass_core::ids::UserId;
use compass_core::SseEvent;
use serde_json::json;

use crate::support::app::{
    spawn_app, spawn_app_with, CookiePair, Read, SseFrame, SseReader, TestApp,
};
use crate::support::db_proxy::DbProxy;
use crate::support::wait::eventually;

/// A first instance with the fan-out on, and the database settings the others share.
async fn first_instance() -> (TestApp, DatabaseSettings) {
    let app = spawn_app_with(|s| s.sse.fanout = true).await;
    let database = app.app_state().settings.database.clone();
    (app, database)
}

/// Another instance on the same database.
async fn another_instance(database: &DatabaseSettings) -> TestApp {
    let database = database.clone();
    spawn_app()
        .with_settings(move |s| {
            s.database = database;
            s.sse.fanout = true;
        })
        .await
}

async fn following_the_broker(apps: &[&TestApp]) {
    for app in apps {
        eventually(
            "the instance follows the broker",
            Duration::from_secs(10),
            || std::future::ready(app.app_state().hub.broker_up()),
        )
        .await;
    }
}

const SEQUENCE: [&str; 6] = [
    "EVENT_CHANGED",
    "SOMEDAY_EVENT_CHANGED",
    "IMPORT_GCAL_START",
    "EVENT_CHANGED",
    "GOOGLE_REVOKED",
    "SOMEDAY_EVENT_CHANGED",
];

fn publish_sequence(app: &TestApp, user: &UserId) {
    for name in SEQUENCE {
        let event = SseEvent::decode_strict(name, &json!({})).expect("a payload-free event");
        app.app_state().hub.publish(user, &event);
    }
}

async fn names_of_next(tab: &mut SseReader, n: usize) -> Vec<String> {
    let mut names = Vec::new();
    for _ in 0..n {
        let frame = tab.next_event().await;
        names.push(frame.name().unwrap_or_default().to_owned());
    }
    names
}

#[tokio::test]
async fn a_write_through_one_instance_reaches_the_users_tabs_on_every_instance_in_order_once() {
    let (a, database) = first_instance().await;
    let b = another_instance(&database).await;
    let c = another_instance(&database).await;
    following_the_broker(&[&a, &b, &c]).await;

    let (client, _, user_id) = a.signed_in_client().await;
    let user = UserId::parse(&user_id).expect("user id");
    let mut tabs = Vec::new();
    for app in [&a, &b, &c] {
        let mut tab = app.open_stream_with(&client, None).await;
        assert_eq!(tab.next_frame().await.name(), Some("USER_METADATA"));
        tabs.push(tab);
    }

    // a real write through A: its USER_METADATA reaches the tabs on A, B and C
    let response = client
        .post(a.url("/api/user/metadata"))
        .json(&json!({"skipOnboarding": true}))
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_success());
    for tab in &mut tabs {
        let frame = tab.next_event().await;
        assert_eq!(frame.name(), Some("USER_METADATA"));
        assert_eq!(frame.json()["skipOnboarding"], true);
    }

    // a burst published on B arrives everywhere in B's order, with the same ids, and only once
    publish_sequence(&b, &user);
    let mut ids = Vec::new();
    for tab in &mut tabs {
        let mut names = Vec::new();
        let mut these = Vec::new();
        for _ in SEQUENCE {
            let frame = tab.next_event().await;
            names.push(frame.name().unwrap_or_default().to_owned());
            these.push(frame.id().unwrap_or_default().to_owned());
        }
        assert_eq!(names, SEQUENCE);
        ids.push(these);
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[1], ids[2]);
    for tab in &mut tabs {
        tab.expect_no_event(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn last_event_id_from_one_instance_resumes_on_another() {
    let (a, database) = first_instance().await;
    let b = another_instance(&database).await;
    following_the_broker(&[&a, &b]).await;
    let (client, _, user_id) = a.signed_in_client().await;
    let user = UserId::parse(&user_id).expect("user id");

    let mut on_a = a.open_stream_with(&client, None).await;
    let mut witness_on_b = b.open_stream_with(&client, None).await;
    assert_eq!(on_a.next_frame().await.name(), Some("USER_METADATA"));
    assert_eq!(
        witness_on_b.next_frame().await.name(),
        Some("USER_METADATA")
    );
    publish_sequence(&a, &user);
    let mut ids = Vec::new();
    for _ in SEQUENCE {
        ids.push(on_a.next_event().await.id().expect("id").to_owned());
    }
    assert_eq!(
        names_of_next(&mut witness_on_b, SEQUENCE.len()).await,
        SEQUENCE
    );
    drop(on_a);
    drop(witness_on_b);

    // the tab had read two events on A when its connection broke; it reconnects to B
    let mut resumed = b.open_stream_with(&client, Some(&ids[1])).await;
    let meta = resumed.next_frame().await;
    assert_eq!(meta.name(), Some("USER_METADATA"));
    assert_eq!(meta.id(), Some(ids[1].as_str()));
    for (name, id) in SEQUENCE[2..].iter().zip(&ids[2..]) {
        let frame = resumed.next_event().await;
        assert_eq!(frame.name(), Some(*name));
        assert_eq!(frame.id(), Some(id.as_str()));
        assert_eq!(frame.json(), json!({}));
    }
    resumed.expect_no_event(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn an_instance_that_loses_the_broker_serves_its_tabs_and_tells_them_to_resync_when_back() {
    let (a, database) = first_instance().await;
    let (proxy, proxied_uri) = DbProxy::in_front_of(database.uri.expose());
    let mut through_proxy = database.clone();
    through_proxy.uri = Secret::new(proxied_uri);
    through_proxy.selection_timeout = Duration::from_secs(1);
    let b = another_instance(&through_proxy).await;
    following_the_broker(&[&a, &b]).await;
    let (client, _, user_id) = a.signed_in_client().await;
    let user = UserId::parse(&user_id).expect("user id");
    let mut tab = b.open_stream_with(&client, None).await;
    assert_eq!(tab.next_frame().await.name(), Some("USER_METADATA"));

    proxy.cut();
    eventually("B notices the lost broker", Duration::from_secs(20), || {
        std::future::ready(!b.app_state().hub.broker_up())
    })
    .await;
    // B keeps serving its own tab meanwhile
    b.app_state().hub.publish(&user, &SseEvent::EventChanged);
    let local = tab.next_event().await;
    assert_eq!(local.name(), Some("EVENT_CHANGED"));
    assert_eq!(local.json(), json!({}));

    proxy.restore();
    following_the_broker(&[&b]).await;
    let hints: Vec<SseFrame> = vec![tab.next_event().await, tab.next_event().await];
    assert_eq!(hints[0].name(), Some("EVENT_CHANGED"));
    assert_eq!(hints[1].name(), Some("SOMEDAY_EVENT_CHANGED"));
    for hint in &hints {
        assert_eq!(hint.json(), json!({"resync": true}));
    }
    // and events from A flow again
    publish_sequence(&a, &user);
    assert_eq!(names_of_next(&mut tab, SEQUENCE.len()).await, SEQUENCE);
}

/// A client without a cookie jar that keeps sending `cookie` (as a replayed cookie would be).
fn client_sending(cookie: &CookiePair) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::COOKIE,
        reqwest::header::HeaderValue::from_str(&cookie.0).expect("cookie header"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}

#[tokio::test]
async fn sign_out_on_one_instance_ends_the_sessions_streams_on_the_others_and_refuses_new_ones() {
    let (a, database) = first_instance().await;
    let b = {
        let database = database.clone();
        spawn_app()
            .with_settings(move |s| {
                s.database = database;
                s.sse.fanout = true;
                s.sse.cache_ttl = Duration::from_secs(3600);
            })
            .await
    };
    following_the_broker(&[&a, &b]).await;
    let (_, cookie) = a
        .signup_cookie("instances@example.test", "a long password 123", "Two")
        .await;
    let replaying = client_sending(&cookie);
    let mut on_b = b.open_stream_with(&replaying, None).await;
    assert_eq!(on_b.next_frame().await.name(), Some("USER_METADATA"));
    assert_eq!(b.app_state().sessions.len(), 1, "B has the session cached");

    let signed_out = a
        .post_with_cookie("/api/auth/signout", &json!({}), Some(&cookie))
        .await;
    assert!(signed_out.status().is_success());
    loop {
        match on_b.read(Duration::from_secs(10)).await {
            Read::End => break,
            Read::Frame(SseFrame::Comment(_)) => {}
            other => panic!("expected the stream on B to end, got {other:?}"),
        }
    }
    // B still has the session in its cache, but refuses it
    assert_eq!(b.stream_response(&replaying, None).await.status(), 401);
}
