//! Compass removals against later Google edits: a delete (or a move to someday) is sent to Google with
//! `If-Match`, so it never silently destroys a Google edit Compass has not seen; the 412 is settled by the
//! later writer, and every resolved conflict leaves a trace in `sync_conflict` naming both versions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use compass_backend::store::conflicts::Conflicts;
use gcal_emulator::{FaultKind, FaultSpec};
use mongodb::bson::{doc, Document};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::events_support::timed;
use crate::support::app::{json_of, spawn_app, TestApp};
use crate::support::wait::eventually;
use crate::sync_races::{connect, Connected};

const WAIT: Duration = Duration::from_secs(30);

/// The user's stored conflict records.
async fn conflicts(app: &TestApp, user: &str) -> Vec<Document> {
    use futures::TryStreamExt;
    let user = mongodb::bson::oid::ObjectId::parse_str(user).unwrap();
    app.store()
        .collection::<Document>("sync_conflict")
        .find(doc! { "user": user })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

/// Creates a timed event and waits until Google holds it; its id.
async fn pushed(gina: &Connected<'_>, title: &str) -> String {
    let mut body = timed(title, "2027-04-05T09:00:00Z", "2027-04-05T10:00:00Z");
    let id = mongodb::bson::oid::ObjectId::new().to_hex();
    body["_id"] = json!(id);
    gina.cal.create_ok(&body).await;
    gina.converged().await;
    id
}

async fn google_copy(gina: &Connected<'_>, id: &str) -> Value {
    gina.app()
        .control()
        .events(&gina.email, &gina.email)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e["id"] == id)
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_compass_delete_later_than_a_google_edit_deletes_it_and_is_traced() {
    let app = spawn_app().with_google().await;
    let gina = connect(&app, "gina@example.com").await;
    let id = pushed(&gina, "Lunch").await;
    let control = app.control();
    control.pause_notifications().await.unwrap();
    control
        .patch_event(
            &gina.email,
            &gina.email,
            &id,
            &json!({ "summary": "Lunch (Google)" }),
        )
        .await
        .unwrap();
    let (status, _) = gina.cal.delete(&id, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    eventually("the copy is deleted at Google", WAIT, || async {
        google_copy(&gina, &id).await["status"] == "cancelled"
    })
    .await;
    let deletes = control
        .requests(Some("calendar.events.delete"))
        .await
        .unwrap();
    assert_eq!(
        deletes.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![412, 204],
        "sent with If-Match, then again with the current etag"
    );
    let traced = conflicts(&app, &gina.cal.user_id).await;
    assert_eq!(traced.len(), 1, "{traced:?}");
    assert_eq!(traced[0].get_str("winner").unwrap(), "compass");
    assert_eq!(traced[0].get_str("compassChange").unwrap(), "removed");
    assert_eq!(
        traced[0].get_str("googleSummary").unwrap(),
        "Lunch (Google)"
    );
    assert_eq!(traced[0].get_str("gEventId").unwrap(), id);
    // The store's reader (what an operator tool uses) finds it, scoped to the user.
    let user = compass_core::UserId::parse(&gina.cal.user_id).unwrap();
    let recent = Conflicts::new(&app.store())
        .recent(&user, 10)
        .await
        .unwrap()
        .into_items();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].winner, "compass");
    assert!(recent[0].compass_seen_etag.is_some());
    // The user sees it through the API (compass-core's wire type); another user sees none of it.
    let listed = gina
        .cal
        .client
        .get(app.url("/api/sync/conflicts"))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    let listed: compass_core::SyncConflictList = listed.json().await.unwrap();
    assert_eq!(listed.conflicts.len(), 1);
    let seen = &listed.conflicts[0];
    assert_eq!(seen.winner, compass_core::ConflictWinner::Compass);
    assert_eq!(seen.compass_change, compass_core::CompassChange::Removed);
    assert_eq!(seen.event.as_str(), id);
    assert_eq!(seen.g_event_id.as_str(), id);
    assert_eq!(seen.google_summary.as_deref(), Some("Lunch (Google)"));
    assert!(seen.google_updated.is_some());
    let other = crate::events_support::Calendar::sign_up(&app).await;
    let (status, body) = json_of(
        other
            .client
            .get(app.url("/api/sync/conflicts"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({ "conflicts": [] }));
    for bad in ["0", "201", "ten", "-1"] {
        let (status, body) = json_of(
            gina.cal
                .client
                .get(app.url(&format!("/api/sync/conflicts?limit={bad}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "limit={bad}: {body}");
    }
    let signed_out = reqwest::Client::new()
        .get(app.url("/api/sync/conflicts"))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), StatusCode::UNAUTHORIZED);
    gina.synced_after(chrono::Utc::now()).await;
    gina.converged().await;
    app.stop().await;
}

#[tokio::test]
async fn a_google_edit_later_than_a_compass_delete_brings_the_event_back() {
    let app = spawn_app().with_google().await;
    let gina = connect(&app, "gina@example.com").await;
    let id = pushed(&gina, "Lunch").await;
    let control = app.control();
    control.pause_notifications().await.unwrap();
    let fault = control
        .add_fault(
            &FaultSpec::new("calendar.events.delete", FaultKind::ServiceUnavailable).times(10_000),
        )
        .await
        .unwrap();
    let (status, _) = gina.cal.delete(&id, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    eventually("the delete failed once", WAIT, || async {
        gina.outbox()
            .await
            .first()
            .is_some_and(|e| e.get_i32("attempts").unwrap_or(0) >= 1)
    })
    .await;
    // Google's clock runs a minute ahead: its edit is unmistakably the later write.
    control.advance_clock(60).await.unwrap();
    control
        .patch_event(
            &gina.email,
            &gina.email,
            &id,
            &json!({ "summary": "Lunch (moved on)" }),
        )
        .await
        .unwrap();
    control.clear_fault(fault).await.unwrap();
    eventually("Google's later edit is back in Compass", WAIT, || async {
        gina.cal
            .grid()
            .await
            .iter()
            .any(|e| e["title"] == "Lunch (moved on)" && e["gEventId"] == id.as_str())
    })
    .await;
    assert_eq!(google_copy(&gina, &id).await["status"], "confirmed");
    let traced = conflicts(&app, &gina.cal.user_id).await;
    assert_eq!(traced.len(), 1, "{traced:?}");
    assert_eq!(traced[0].get_str("winner").unwrap(), "google");
    gina.synced_after(chrono::Utc::now()).await;
    gina.converged().await;
    app.stop().await;
}

#[tokio::test]
async fn a_google_edit_later_than_a_move_to_someday_puts_the_event_back_on_the_grid() {
    let app = spawn_app().with_google().await;
    let gina = connect(&app, "gina@example.com").await;
    let id = pushed(&gina, "Read").await;
    let control = app.control();
    control.pause_notifications().await.unwrap();
    let fault = control
        .add_fault(
            &FaultSpec::new("calendar.events.delete", FaultKind::ServiceUnavailable).times(10_000),
        )
        .await
        .unwrap();
    let (_, mut event) = gina.cal.get(&id).await;
    event["isSomeday"] = json!(true);
    gina.cal.put_ok(&id, None, &event).await;
    assert_eq!(gina.cal.someday().await.len(), 1);
    eventually("the delete failed once", WAIT, || async {
        gina.outbox()
            .await
            .first()
            .is_some_and(|e| e.get_i32("attempts").unwrap_or(0) >= 1)
    })
    .await;
    control.advance_clock(60).await.unwrap();
    control
        .patch_event(
            &gina.email,
            &gina.email,
            &id,
            &json!({ "summary": "Read (Google)" }),
        )
        .await
        .unwrap();
    control.clear_fault(fault).await.unwrap();
    eventually("the event is back on the grid", WAIT, || async {
        gina.cal
            .grid()
            .await
            .iter()
            .any(|e| e["title"] == "Read (Google)")
    })
    .await;
    assert!(gina.cal.someday().await.is_empty(), "no someday copy left");
    gina.synced_after(chrono::Utc::now()).await;
    gina.converged().await;
    app.stop().await;
}
