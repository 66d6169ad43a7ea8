//! Time-based Google behaviour on the virtual clock: sync tokens that expire after their lifetime, tombstones
//! purged after the retention (older sync tokens then need a full sync), `updatedMin` older than the retention
//! answered 410 — and none of it with the default (test) configuration.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use gcal_emulator::EmulatorConfig;

use crate::support::{spawn, spawn_with, timed, TestEmu, ALICE};

const DAY: u64 = 24 * 3600;

async fn incremental(t: &TestEmu, token: &str) -> crate::support::Resp {
    t.get("/calendars/primary/events", &[("syncToken", token)])
        .await
}

async fn virtual_now(t: &TestEmu) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(&t.ctl.clock().await.unwrap().now)
        .unwrap()
        .into()
}

#[tokio::test]
async fn sync_tokens_expire_after_their_lifetime() {
    let mut t = spawn_with(EmulatorConfig {
        sync_token_lifetime: Some(Duration::from_secs(3600)),
        ..EmulatorConfig::default()
    })
    .await;
    let (_, first, _) = t.list_all(&[]).await;
    t.advance(1800).await;
    let half = incremental(&t, &first).await;
    assert_eq!(half.status, 200, "half-way the token works");
    let second = half.body["nextSyncToken"].as_str().unwrap().to_owned();
    t.advance(1801).await;
    let old = incremental(&t, &first).await;
    assert_eq!(old.status, 410);
    assert_eq!(old.reason(), "fullSyncRequired");
    assert_eq!(
        incremental(&t, &second).await.status,
        200,
        "a token is timed from when it was issued"
    );
    let list = t.get("/users/me/calendarList", &[]).await.body["nextSyncToken"]
        .as_str()
        .unwrap()
        .to_owned();
    t.advance(3601).await;
    let r = t
        .get("/users/me/calendarList", &[("syncToken", &list)])
        .await;
    assert_eq!(r.status, 410, "calendar-list tokens expire too");
}

#[tokio::test]
async fn tombstones_are_purged_after_the_retention_and_older_tokens_need_a_full_sync() {
    let mut t = spawn_with(EmulatorConfig {
        tombstone_retention: Some(Duration::from_secs(DAY)),
        ..EmulatorConfig::default()
    })
    .await;
    let gone = t
        .insert(timed(
            "gone",
            "2030-05-01T10:00:00Z",
            "2030-05-01T11:00:00Z",
        ))
        .await;
    let series = t
        .insert(serde_json::json!({
            "summary": "weekly", "start": {"dateTime": "2030-05-06T09:00:00Z", "timeZone": "UTC"}, "end": {"dateTime": "2030-05-06T10:00:00Z", "timeZone": "UTC"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
        }))
        .await;
    let gone_id = gone["id"].as_str().unwrap().to_owned();
    let instance = format!("{}_20300513T090000Z", series["id"].as_str().unwrap());
    let (_, before, _) = t.list_all(&[]).await;
    assert_eq!(
        t.delete(&format!("/calendars/primary/events/{gone_id}"))
            .await
            .status,
        204
    );
    assert_eq!(
        t.delete(&format!("/calendars/primary/events/{instance}"))
            .await
            .status,
        204
    );
    let after_delete = incremental(&t, &before).await;
    assert_eq!(after_delete.status, 200);
    let after = after_delete.body["nextSyncToken"]
        .as_str()
        .unwrap()
        .to_owned();

    t.advance(2 * DAY).await;
    let (items, _, _) = t.list_all(&[("showDeleted", "true")]).await;
    let ids: Vec<&str> = items.iter().filter_map(|e| e["id"].as_str()).collect();
    assert!(
        !ids.contains(&gone_id.as_str()),
        "the deleted event was purged"
    );
    assert!(
        ids.contains(&instance.as_str()),
        "a cancelled instance of a live series stays for the series' life"
    );
    let stale = incremental(&t, &before).await;
    assert_eq!(
        stale.status, 410,
        "the token would need the purged tombstone"
    );
    assert_eq!(stale.reason(), "fullSyncRequired");
    assert_eq!(
        incremental(&t, &after).await.status,
        200,
        "a later token is fine"
    );
    assert_eq!(
        t.ctl.events(ALICE, "primary").await.unwrap().len(),
        2,
        "the series and its cancelled instance remain"
    );
}

#[tokio::test]
async fn updated_min_older_than_the_retention_is_410() {
    let mut t = spawn_with(EmulatorConfig {
        tombstone_retention: Some(Duration::from_secs(DAY)),
        ..EmulatorConfig::default()
    })
    .await;
    t.advance(10 * DAY).await;
    let now = virtual_now(&t).await;
    let old = (now - chrono::Duration::days(2)).to_rfc3339();
    let r = t
        .get("/calendars/primary/events", &[("updatedMin", &old)])
        .await;
    assert_eq!(r.status, 410);
    assert_eq!(r.reason(), "updatedMinTooLongAgo");
    assert_eq!(r.body["error"]["errors"][0]["location"], "updatedMin");
    let recent = (now - chrono::Duration::hours(1)).to_rfc3339();
    let ok = t
        .get("/calendars/primary/events", &[("updatedMin", &recent)])
        .await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn by_default_nothing_expires_or_is_purged_on_its_own() {
    let mut t = spawn().await;
    let e = t
        .insert(timed(
            "kept",
            "2030-05-01T10:00:00Z",
            "2030-05-01T11:00:00Z",
        ))
        .await;
    let (_, token, _) = t.list_all(&[]).await;
    t.delete(&format!(
        "/calendars/primary/events/{}",
        e["id"].as_str().unwrap()
    ))
    .await;
    t.advance(400 * DAY).await;
    let r = incremental(&t, &token).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["items"][0]["status"], "cancelled");
    let long_ago = (virtual_now(&t).await - chrono::Duration::days(399)).to_rfc3339();
    assert_eq!(
        t.get("/calendars/primary/events", &[("updatedMin", &long_ago)])
            .await
            .status,
        200
    );
}
