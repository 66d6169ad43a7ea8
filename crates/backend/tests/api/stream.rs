//! `GET /api/events/stream` read as raw bytes: auth, metadata first, fan-out per user, heartbeat,
//! `Last-Event-ID` resume, slow clients, sign-out, session expiry, shutdown.
//!
//! Events go through the running app's hub (`app_state().hub`): payload-free ones with the typed `publish`
//! the write paths use, numbered test data with `deliver` (the same local delivery, as a fan-out transport
//! would call it), so that order and loss are visible.

use std::time::{Duration, Instant};

use compass_backend::settings::SseSettings;
use compass_core::ids::UserId;
use compass_core::sse::SseEventName;
use compass_core::SseEvent;
use serde_json::json;

use crate::support::app::{
    client_for, spawn_app, spawn_app_with, CookiePair, Read, SseFrame, SseReader, TestApp, TestUser,
};
use crate::support::wait::eventually;

fn uid(raw: &str) -> UserId {
    UserId::parse(raw).expect("a user id")
}

async fn publish_empty(app: &TestApp, user: &UserId, name: SseEventName) {
    let event = SseEvent::decode_strict(name.as_str(), &json!({})).expect("a payload-free event");
    app.app_state().hub.publish(user, &event);
}

#[tokio::test]
async fn without_a_session_the_stream_is_a_401_json() {
    let app = spawn_app().await;
    let response = app.stream_response(&client_for(&app.address), None).await;
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["result"], "Unauthorized");
    assert!(body["message"].is_string());
}

/// Reference bug §15 item 39: `USER_METADATA` is always the first message of a connection.
#[tokio::test]
async fn two_tabs_get_metadata_first_then_every_event_of_their_user() {
    let app = spawn_app().await;
    let (client, _, user_id) = app.signed_in_client().await;
    let user = uid(&user_id);
    let mut tab1 = app.open_stream_with(&client, None).await;
    let mut tab2 = app.open_stream_with(&client, None).await;
    for tab in [&tab1, &tab2] {
        assert_eq!(tab.headers()["x-accel-buffering"], "no");
        assert_eq!(tab.headers()["cache-control"], "no-cache");
    }
    for tab in [&mut tab1, &mut tab2] {
        let first = tab.next_frame().await;
        assert_eq!(first.name(), Some("USER_METADATA"), "{first:?}");
        assert!(first.id().is_some());
        assert!(first.json().is_object());
    }

    publish_empty(&app, &user, SseEventName::EventChanged).await;
    publish_empty(&app, &user, SseEventName::SomedayEventChanged).await;
    for tab in [&mut tab1, &mut tab2] {
        let a = tab.next_event().await;
        let b = tab.next_event().await;
        assert_eq!(a.name(), Some("EVENT_CHANGED"));
        assert_eq!(b.name(), Some("SOMEDAY_EVENT_CHANGED"));
        assert_eq!(a.json(), json!({}));
        assert_ne!(a.id(), b.id());
    }
    // a new tab gets its own USER_METADATA; the open tabs do not get it again
    let mut tab3 = app.open_stream_with(&client, None).await;
    assert_eq!(tab3.next_frame().await.name(), Some("USER_METADATA"));
    tab1.expect_no_event(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn user_a_never_sees_user_b_events() {
    let app = spawn_app().await;
    let (client_a, _, a) = app.signed_in_client().await;
    let (client_b, _, b) = app.signed_in_client().await;
    let mut stream_a = app.open_stream_with(&client_a, None).await;
    let mut stream_b = app.open_stream_with(&client_b, None).await;
    assert_eq!(stream_a.next_frame().await.name(), Some("USER_METADATA"));
    assert_eq!(stream_b.next_frame().await.name(), Some("USER_METADATA"));

    app.app_state().hub.deliver(
        &uid(&b),
        SseEventName::EventChanged,
        &json!({"for": "b"}).to_string(),
    );
    assert_eq!(stream_b.next_event().await.json(), json!({"for": "b"}));
    stream_a.expect_no_event(Duration::from_millis(500)).await;

    app.app_state().hub.deliver(
        &uid(&a),
        SseEventName::EventChanged,
        &json!({"for": "a"}).to_string(),
    );
    assert_eq!(stream_a.next_event().await.json(), json!({"for": "a"}));
    stream_b.expect_no_event(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn keepalive_comment_every_configured_interval() {
    let app = spawn_app_with(|s| {
        s.sse = SseSettings {
            heartbeat: Duration::from_millis(300),
            ..SseSettings::default()
        }
    })
    .await;
    let (client, _, _) = app.signed_in_client().await;
    let mut stream = app.open_stream_with(&client, None).await;
    assert_eq!(stream.next_frame().await.name(), Some("USER_METADATA"));
    assert_eq!(
        stream.next_frame().await,
        SseFrame::Comment("keepalive".into())
    );
    let started = Instant::now();
    for _ in 0..2 {
        assert_eq!(
            stream.next_frame().await,
            SseFrame::Comment("keepalive".into())
        );
    }
    // two more intervals (600 ms on the server; reads may lag, so allow slack both ways)
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[tokio::test]
async fn reconnect_with_last_event_id_gets_what_it_missed() {
    let app = spawn_app().await;
    let (client, _, user_id) = app.signed_in_client().await;
    let user = uid(&user_id);
    let hub = &app.app_state().hub;

    let mut stream = app.open_stream_with(&client, None).await;
    assert_eq!(stream.next_frame().await.name(), Some("USER_METADATA"));
    hub.deliver(
        &user,
        SseEventName::EventChanged,
        &json!({"n": 1}).to_string(),
    );
    let seen = stream.next_event().await;
    let last_id = seen.id().expect("id").to_owned();
    drop(stream);
    eventually(
        "the closed tab is unregistered",
        Duration::from_secs(5),
        || std::future::ready(hub.connections_of(&user) == 0),
    )
    .await;

    hub.deliver(
        &user,
        SseEventName::EventChanged,
        &json!({"n": 2}).to_string(),
    );
    hub.deliver(
        &user,
        SseEventName::SomedayEventChanged,
        &json!({"n": 3}).to_string(),
    );

    let mut resumed = app.open_stream_with(&client, Some(&last_id)).await;
    let meta = resumed.next_frame().await;
    assert_eq!(meta.name(), Some("USER_METADATA"));
    assert_eq!(meta.id(), Some(last_id.as_str()));
    let two = resumed.next_event().await;
    let three = resumed.next_event().await;
    assert_eq!(
        (two.name(), two.json()),
        (Some("EVENT_CHANGED"), json!({"n": 2}))
    );
    assert_eq!(
        (three.name(), three.json()),
        (Some("SOMEDAY_EVENT_CHANGED"), json!({"n": 3}))
    );
    resumed.expect_no_event(Duration::from_millis(300)).await;
}

/// A client that opens a new EventSource itself cannot send `Last-Event-ID`: the `lastEventID` query
/// parameter resumes the same way (and the header wins when both are sent).
#[tokio::test]
async fn last_event_id_query_parameter_resumes_like_the_header() {
    let app = spawn_app().await;
    let (client, _, user_id) = app.signed_in_client().await;
    let user = uid(&user_id);
    let hub = &app.app_state().hub;

    let mut stream = app.open_stream_with(&client, None).await;
    let start_id = stream.next_frame().await.id().expect("id").to_owned();
    hub.deliver(
        &user,
        SseEventName::EventChanged,
        &json!({"n": 1}).to_string(),
    );
    let first_id = stream.next_event().await.id().expect("id").to_owned();
    hub.deliver(
        &user,
        SseEventName::EventChanged,
        &json!({"n": 2}).to_string(),
    );
    stream.next_event().await;
    drop(stream);

    let open = |query: String, header: Option<String>| {
        let mut request = client.get(app.url(&format!("/api/events/stream?{query}")));
        if let Some(id) = header {
            request = request.header("Last-Event-ID", id);
        }
        request.send()
    };
    // From the query: both events after the stream's start.
    let response = open(format!("lastEventID={start_id}"), None)
        .await
        .expect("stream");
    assert_eq!(response.status(), 200);
    let mut resumed = SseReader::new(response);
    assert_eq!(resumed.next_frame().await.name(), Some("USER_METADATA"));
    assert_eq!(resumed.next_event().await.json(), json!({"n": 1}));
    assert_eq!(resumed.next_event().await.json(), json!({"n": 2}));
    resumed.expect_no_event(Duration::from_millis(300)).await;
    drop(resumed);

    // Header and query both present: the header's position is used.
    let response = open(format!("lastEventID={start_id}"), Some(first_id))
        .await
        .expect("stream");
    let mut resumed = SseReader::new(response);
    assert_eq!(resumed.next_frame().await.name(), Some("USER_METADATA"));
    assert_eq!(resumed.next_event().await.json(), json!({"n": 2}));
    resumed.expect_no_event(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn unknown_or_too_old_last_event_id_gets_the_full_refresh_hint() {
    let app = spawn_app_with(|s| s.sse.history = 2).await;
    let (client, _, user_id) = app.signed_in_client().await;
    let user = uid(&user_id);
    let hub = &app.app_state().hub;

    let mut stream = app.open_stream_with(&client, None).await;
    let meta_id = stream.next_frame().await.id().expect("id").to_owned();
    for n in 0..5 {
        hub.deliver(
            &user,
            SseEventName::EventChanged,
            &json!({ "n": n }).to_string(),
        );
    }
    for _ in 0..5 {
        stream.next_event().await;
    }
    drop(stream);

    for last_id in [meta_id.as_str(), "ffffffff-1", "not-an-id"] {
        let mut resumed = app.open_stream_with(&client, Some(last_id)).await;
        assert_eq!(resumed.next_frame().await.name(), Some("USER_METADATA"));
        let grid = resumed.next_event().await;
        let someday = resumed.next_event().await;
        assert_eq!(grid.name(), Some("EVENT_CHANGED"), "{last_id}");
        assert_eq!(someday.name(), Some("SOMEDAY_EVENT_CHANGED"), "{last_id}");
        assert_eq!(grid.json(), json!({"resync": true}));
        assert_eq!(someday.json(), json!({"resync": true}));
    }
}

#[tokio::test]
async fn a_slow_client_is_dropped_without_delaying_the_others() {
    let app = spawn_app_with(|s| s.sse.queue = 4).await;
    let (client, _, user_id) = app.signed_in_client().await;
    let user = uid(&user_id);
    let hub = &app.app_state().hub;

    let mut slow = app.open_stream_with(&client, None).await; // never read until the end
    let mut fast = app.open_stream_with(&client, None).await;
    assert_eq!(fast.next_frame().await.name(), Some("USER_METADATA"));
    eventually("both tabs registered", Duration::from_secs(5), || {
        std::future::ready(hub.connections_of(&user) == 2)
    })
    .await;

    // 64 KiB per event: the slow tab's socket buffers fill, then its queue, then it is dropped
    let payload = "x".repeat(64 * 1024);
    let started = Instant::now();
    let mut published = 0;
    while hub.connections_of(&user) == 2 {
        assert!(published < 1000, "the slow tab was never dropped");
        hub.deliver(
            &user,
            SseEventName::EventChanged,
            &json!({ "n": published, "pad": payload }).to_string(),
        );
        let got = fast.next_event().await;
        assert_eq!(got.json()["n"], published);
        published += 1;
    }
    // the fast tab keeps going at full speed after the drop
    for n in published..published + 20 {
        hub.deliver(
            &user,
            SseEventName::EventChanged,
            &json!({ "n": n }).to_string(),
        );
        assert_eq!(fast.next_event().await.json()["n"], n);
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "fast tab was slowed: {:?}",
        started.elapsed()
    );
    assert_eq!(hub.connections_of(&user), 1);

    // the slow tab gets what was queued, then a clean end, and can resume from its last id
    let mut last_id = None;
    loop {
        match slow.read(Duration::from_secs(10)).await {
            Read::Frame(frame) => {
                if let Some(id) = frame.id() {
                    last_id = Some(id.to_owned());
                }
            }
            Read::End => break,
            Read::Timeout => panic!("the dropped slow tab neither ended nor sent anything"),
        }
    }
    let last_id = last_id.expect("the slow tab received at least its metadata");
    let mut resumed = app.open_stream_with(&client, Some(&last_id)).await;
    assert_eq!(resumed.next_frame().await.name(), Some("USER_METADATA"));
    let next = resumed.next_event().await;
    assert_eq!(next.name(), Some("EVENT_CHANGED"));
    assert!(next.json()["n"].is_number());
}

#[tokio::test]
async fn closed_connections_are_removed_promptly() {
    let app = spawn_app().await;
    let (client, _, user_id) = app.signed_in_client().await;
    let user = uid(&user_id);
    let mut stream = app.open_stream_with(&client, None).await;
    assert_eq!(stream.next_frame().await.name(), Some("USER_METADATA"));
    assert_eq!(app.app_state().hub.connections_of(&user), 1);
    drop(stream);
    eventually(
        "the closed connection is removed",
        Duration::from_secs(5),
        || std::future::ready(app.app_state().hub.connections_of(&user) == 0),
    )
    .await;
}

/// Reference bug §15 item 39: streams were never re-checked after connect; sign-out now ends them.
#[tokio::test]
async fn sign_out_ends_that_sessions_streams_only() {
    let app = spawn_app().await;
    let (client, user, _) = app.signed_in_client().await;
    let other_session = client_for(&app.address);
    let (status, _) = app.signin_with(&other_session, &user).await;
    assert!(status.is_success());

    let mut ending = app.open_stream_with(&client, None).await;
    let mut staying = app.open_stream_with(&other_session, None).await;
    assert_eq!(ending.next_frame().await.name(), Some("USER_METADATA"));
    assert_eq!(staying.next_frame().await.name(), Some("USER_METADATA"));

    assert!(app.signout_with(&client).await.is_success());
    loop {
        match ending.read(Duration::from_secs(5)).await {
            Read::End => break,
            Read::Frame(SseFrame::Comment(_)) => {}
            other => panic!("expected the stream to end, got {other:?}"),
        }
    }
    assert_eq!(app.stream_response(&client, None).await.status(), 401);
    staying.expect_no_event(Duration::from_millis(200)).await;
    assert!(matches!(
        staying.read(Duration::from_millis(100)).await,
        Read::Timeout
    ));
}

/// A reconnect storm of cold opens (nothing cached, many users at once) shares batched session and user
/// reads, and every token is still checked on its own: signed-out and unknown tokens are refused, and each
/// stream that opens belongs to its own user.
#[tokio::test]
async fn a_storm_of_cold_opens_shares_batched_reads_and_checks_every_session() {
    const USERS: usize = 24;
    let app = spawn_app().await;
    let mut users = Vec::new();
    for _ in 0..USERS {
        let user = TestUser::generate();
        users.push(
            app.signup_cookie(&user.email, &user.password, &user.name)
                .await,
        );
    }
    // two users sign out (their sessions were never cached: the stream route has not seen them)
    for (_, cookie) in &users[..2] {
        let response = app
            .post_with_cookie("/api/auth/signout", &json!({}), Some(cookie))
            .await;
        assert!(response.status().is_success(), "{}", response.status());
    }
    let unknown = CookiePair(format!("compass_session={}", "A".repeat(43)));

    let opens = futures::future::join_all(
        users
            .iter()
            .map(|(_, cookie)| cookie)
            .chain([&unknown])
            .map(|cookie| app.get_with_cookie("/api/events/stream", Some(cookie))),
    )
    .await;
    let mut streams = Vec::new();
    for (i, response) in opens.into_iter().enumerate() {
        if i < 2 || i == USERS {
            assert_eq!(response.status(), 401, "open {i} (signed out or unknown)");
        } else {
            assert_eq!(response.status(), 200, "open {i}");
            let mut stream = SseReader::new(response);
            assert_eq!(stream.next_frame().await.name(), Some("USER_METADATA"));
            streams.push((users[i].0.clone(), stream));
        }
    }
    for (user, _) in &streams {
        app.app_state().hub.deliver(
            &uid(user),
            SseEventName::EventChanged,
            &json!({ "for": user }).to_string(),
        );
    }
    for (user, stream) in &mut streams {
        assert_eq!(stream.next_event().await.json(), json!({ "for": user }));
    }

    let [(session_reads, session_keys), (user_reads, user_keys)] =
        app.app_state().sessions.batch_stats();
    assert_eq!(
        session_keys,
        USERS as u64 + 1,
        "every cold token looked up once"
    );
    assert_eq!(user_keys, USERS as u64 - 2, "every opened user read once");
    assert!(
        session_reads < session_keys && user_reads < user_keys,
        "{session_reads} session reads for {session_keys} tokens, {user_reads} user reads for {user_keys} users"
    );
}

/// Reference bug §15 item 39: a stream does not outlive its session.
#[tokio::test]
async fn the_stream_ends_when_the_session_expires() {
    let app = spawn_app_with(|s| s.session_ttl = Duration::from_secs(2)).await;
    let (client, _, _) = app.signed_in_client().await;
    let mut stream = app.open_stream_with(&client, None).await;
    assert_eq!(stream.next_frame().await.name(), Some("USER_METADATA"));
    let started = Instant::now();
    loop {
        match stream.read(Duration::from_secs(10)).await {
            Read::End => break,
            Read::Frame(SseFrame::Comment(_)) => {}
            other => panic!("expected the stream to end, got {other:?}"),
        }
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(app.stream_response(&client, None).await.status(), 401);
}

#[tokio::test]
async fn graceful_shutdown_ends_open_streams_cleanly() {
    let app = spawn_app().await;
    let (client, _, _) = app.signed_in_client().await;
    let mut stream = app.open_stream_with(&client, None).await;
    assert_eq!(stream.next_frame().await.name(), Some("USER_METADATA"));
    let started = Instant::now();
    let reader = tokio::spawn(async move { stream.read(Duration::from_secs(10)).await });
    app.shutdown().await.expect("server stopped cleanly");
    assert_eq!(reader.await.expect("reader"), Read::End);
    // well under the 5 s shutdown timeout: the stream did not hold the server open
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}
