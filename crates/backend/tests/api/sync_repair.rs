//! Repair (`POST /api/sync/import-gcal {"force": true}`) of a calendar whose events changed at Google while
//! Compass heard nothing (every notification lost, no polling backstop): the stored events are replaced in
//! bulk — more than one write batch, and more Google ids than are looked up one by one — keeping their
//! Compass ids and `createdAt`; the events Google deleted go; nothing is duplicated.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;

use futures::{StreamExt as _, TryStreamExt as _};
use gcal_emulator::{FaultKind, FaultSpec};
use mongodb::bson::{doc, Document};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::app::{spawn_app, TestApp};
use crate::sync::{expect_event, sign_in, timed};

/// More than one `update` batch (500) and more than the ids looked up by index (200).
const EVENTS: usize = 620;
/// Renamed at Google while Compass hears nothing.
const RENAMED: usize = 560;
/// Deleted at Google meanwhile.
const DELETED: usize = 5;

async fn stored(app: &TestApp) -> HashMap<String, Document> {
    let documents: Vec<Document> = app
        .store()
        .collection::<Document>("event")
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let count = documents.len();
    let by_gid: HashMap<String, Document> = documents
        .into_iter()
        .map(|d| (d.get_str("gEventId").unwrap().to_owned(), d))
        .collect();
    assert_eq!(by_gid.len(), count, "one event per Google id");
    by_gid
}

#[tokio::test]
async fn a_repair_replaces_changed_events_in_bulk_keeping_their_ids_and_removes_deleted_ones() {
    let app = spawn_app()
        .with_google()
        .with_settings(|s| s.sync.backstop = Duration::from_secs(3600))
        .await;
    let email = "bulk@example.com";
    let control = app.control();
    control.create_user(email, None).await.unwrap();
    let ids: Vec<String> = futures::stream::iter(0..EVENTS)
        .map(|i| {
            let control = control.clone();
            async move {
                let start = chrono::DateTime::parse_from_rfc3339("2027-02-01T08:00:00Z").unwrap()
                    + chrono::Duration::hours(i as i64);
                let end = start + chrono::Duration::minutes(30);
                let event = timed(
                    &format!("Event {i}"),
                    &start.to_rfc3339(),
                    &end.to_rfc3339(),
                );
                let created = control.insert_event(email, email, &event).await.unwrap();
                created["id"].as_str().unwrap().to_owned()
            }
        })
        .buffered(16)
        .collect()
        .await;
    let user = sign_in(&app, email).await;
    user.wait_imported(&app).await;
    let before = stored(&app).await;
    assert_eq!(before.len(), EVENTS);

    // Compass hears nothing of what follows until the repair.
    control
        .add_fault(&FaultSpec::new(
            "notifications",
            FaultKind::DropNotification,
        ))
        .await
        .unwrap();
    futures::stream::iter(ids.iter().take(RENAMED).enumerate())
        .map(|(i, id)| {
            let control = control.clone();
            async move {
                control
                    .patch_event(
                        email,
                        email,
                        id,
                        &json!({"summary": format!("Renamed {i}")}),
                    )
                    .await
                    .unwrap();
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
    let deleted: Vec<&String> = ids.iter().rev().take(DELETED).collect();
    for id in &deleted {
        control.delete_event(email, email, id).await.unwrap();
    }
    assert_eq!(
        stored(&app).await,
        before,
        "nothing synced before the repair"
    );

    let mut stream = user.stream(&app).await;
    assert_eq!(
        user.import(&app, &json!({"force": true})).await,
        StatusCode::NO_CONTENT
    );
    let end = expect_event(&mut stream, "IMPORT_GCAL_END").await;
    assert_eq!(end["status"], "COMPLETED", "{end}");
    assert_eq!(end["eventsCount"], EVENTS - DELETED);

    let after = stored(&app).await;
    assert_eq!(after.len(), EVENTS - DELETED);
    for (i, id) in ids.iter().enumerate() {
        let Some(now) = after.get(id) else {
            assert!(deleted.contains(&id), "event {i} lost");
            continue;
        };
        let was = &before[id];
        assert_eq!(now.get("_id"), was.get("_id"), "event {i} keeps its id");
        assert_eq!(
            now.get("createdAt"),
            was.get("createdAt"),
            "event {i} keeps createdAt"
        );
        let title = if i < RENAMED {
            format!("Renamed {i}")
        } else {
            format!("Event {i}")
        };
        assert_eq!(now.get_str("title").unwrap(), title);
        if i < RENAMED {
            assert_ne!(now.get("gEtag"), was.get("gEtag"), "event {i}: new etag");
        }
    }
}
