//! Priorities, calendars, sync state, watches and leases over the wire.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::Utc;
use compass_backend::store::calendars::{CalendarEntry, Calendars};
use compass_backend::store::leases::Leases;
use compass_backend::store::priorities::{Priorities, DEFAULT_NAMES};
use compass_backend::store::sync_dirty::DirtyMarks;
use compass_backend::store::sync_state::SyncStates;
use compass_backend::store::watches::{WatchDoc, Watches, CALENDAR_LIST};
use compass_backend::store::{migrate, StoreError};
use compass_core::{PriorityId, UserId};
use mongodb::bson::{doc, oid::ObjectId};

use crate::support::db::TestDb;

fn new_user() -> UserId {
    UserId::from_bytes(ObjectId::new().bytes())
}

#[tokio::test]
async fn priorities_defaults_upsert_update_and_delete() {
    let db = TestDb::new().await;
    let store = db.store();
    migrate::run(&store).await.unwrap();
    let priorities = Priorities::new(&store);
    let (user, other) = (new_user(), new_user());

    priorities.create_defaults(&user, None).await.unwrap();
    priorities.create_defaults(&user, None).await.unwrap(); // idempotent
    let mut names: Vec<String> = priorities
        .list(&user)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|p| p.name)
        .collect();
    names.sort();
    let mut expected: Vec<String> = DEFAULT_NAMES.iter().map(|n| (*n).to_owned()).collect();
    expected.sort();
    assert_eq!(names, expected);
    assert!(priorities.list(&other).await.unwrap().items.is_empty());

    let gym = priorities
        .upsert(
            &user,
            "gym",
            &doc! { "color": "#ff0000", "user": "spoofed" },
        )
        .await
        .unwrap();
    assert_eq!(gym.extra.get_str("color").unwrap(), "#ff0000");
    assert_eq!(
        gym.user.to_hex(),
        user.as_str(),
        "a client cannot move a label to another user"
    );
    let again = priorities
        .upsert(&user, "gym", &doc! { "color": "#00ff00" })
        .await
        .unwrap();
    assert_eq!(again.id, gym.id);
    assert_eq!(again.extra.get_str("color").unwrap(), "#00ff00");

    let id = gym.priority_id();
    let renamed = priorities
        .update(&user, &id, Some("sport"), &doc! {})
        .await
        .unwrap();
    assert_eq!(renamed.name, "sport");
    let clash = priorities
        .update(&user, &id, Some("work"), &doc! {})
        .await
        .unwrap_err();
    assert!(clash.is_conflict_on("user_name_unique"), "{clash:?}");
    assert!(matches!(
        priorities.update(&other, &id, Some("x"), &doc! {}).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(priorities.get(&other, &id).await.unwrap().is_none());
    let missing = PriorityId::from_bytes(ObjectId::new().bytes());
    assert!(!priorities.delete(&user, &missing).await.unwrap());
    assert!(priorities.delete(&user, &id).await.unwrap());
    assert_eq!(priorities.delete_all(&user, None).await.unwrap(), 4);
}

fn entry(id: &str, primary: bool) -> CalendarEntry {
    CalendarEntry {
        g_calendar_id: id.to_owned(),
        background_color: "#123456".to_owned(),
        color: "#ffffff".to_owned(),
        selected: true,
        primary,
        timezone: Some("Europe/Berlin".to_owned()),
        rest: doc! { "summary": id, "accessRole": "owner", "defaultReminders": [], "conferenceProperties": { "allowedConferenceSolutionTypes": [] } },
    }
}

#[tokio::test]
async fn calendars_refresh_from_google_keeps_the_users_selection() {
    let db = TestDb::new().await;
    let store = db.store();
    migrate::run(&store).await.unwrap();
    let calendars = Calendars::new(&store);
    let user = new_user();

    let primary = calendars
        .upsert_from_google(&user, &entry("me@example.com", true), None)
        .await
        .unwrap();
    calendars
        .upsert_from_google(&user, &entry("team@group", false), None)
        .await
        .unwrap();
    calendars
        .set_selected(&user, "team@group", false)
        .await
        .unwrap();
    // A later calendar-list import says selected=true again: the user's choice wins.
    let refreshed = calendars
        .upsert_from_google(&user, &entry("team@group", false), None)
        .await
        .unwrap();
    assert!(!refreshed.selected);
    let again = calendars
        .upsert_from_google(&user, &entry("me@example.com", true), None)
        .await
        .unwrap();
    assert_eq!(again.id, primary.id);
    assert_eq!(
        again.metadata.rest.get_str("summary").unwrap(),
        "me@example.com"
    );

    assert_eq!(calendars.list(&user).await.unwrap().items.len(), 2);
    let selected: Vec<String> = calendars
        .selected(&user)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.metadata.id)
        .collect();
    assert_eq!(selected, vec!["me@example.com".to_owned()]);
    assert_eq!(
        calendars.primary(&user).await.unwrap().unwrap().id,
        primary.id
    );
    // A second primary calendar for the same user violates the partial unique index.
    let error = calendars
        .upsert_from_google(&user, &entry("other@example.com", true), None)
        .await
        .unwrap_err();
    assert!(error.is_conflict_on("user_primary_unique"), "{error:?}");
    assert!(matches!(
        calendars
            .set_selected(&new_user(), "team@group", true)
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        calendars
            .delete_missing(&user, &["me@example.com".to_owned()], None)
            .await
            .unwrap(),
        1
    );
    assert_eq!(calendars.delete_all(&user, None).await.unwrap(), 1);
}

#[tokio::test]
async fn sync_state_tokens_and_the_dirty_flag() {
    let db = TestDb::new().await;
    let store = db.store();
    migrate::run(&store).await.unwrap();
    let states = SyncStates::new(&store);
    let user = new_user();
    let cal = "me@example.com";

    assert!(states.get(&user, cal, None).await.unwrap().is_none());
    let paged = states
        .save_page_token(&user, cal, "page-2", None)
        .await
        .unwrap();
    assert_eq!(paged.next_page_token.as_deref(), Some("page-2"));
    assert!(paged.last_synced_at.is_none());
    let committed = states
        .commit_sync_token(&user, cal, "sync-1", None)
        .await
        .unwrap();
    assert_eq!(committed.id, paged.id, "one state per user and calendar");
    assert_eq!(committed.next_sync_token.as_deref(), Some("sync-1"));
    assert!(committed.next_page_token.is_none());
    assert!(committed.last_synced_at.is_some());

    // A notification marks it dirty; the worker reads generation g and clears with it...
    let marks = DirtyMarks::new(&store);
    let seen = marks.mark(&user, cal).await.unwrap();
    assert!(seen.dirty);
    assert_eq!(marks.due(10).await.unwrap().items.len(), 1);
    // ...but a notification arriving while it works keeps the mark.
    marks.mark(&user, cal).await.unwrap();
    assert!(!marks
        .clear(&user, cal, seen.dirty_generation)
        .await
        .unwrap());
    let now_mark = marks.get(&user, cal).await.unwrap().unwrap();
    assert!(now_mark.dirty);
    assert!(marks
        .clear(&user, cal, now_mark.dirty_generation)
        .await
        .unwrap());
    assert!(marks.due(10).await.unwrap().items.is_empty());

    // A mark whose sync failed waits for its retry time; clearing it forgets that time.
    let failing = marks.mark(&user, cal).await.unwrap();
    marks
        .defer(&user, cal, Utc::now() + chrono::Duration::minutes(5))
        .await
        .unwrap();
    assert!(marks.due(10).await.unwrap().items.is_empty(), "deferred");
    marks
        .defer(&user, cal, Utc::now() - chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(marks.due(10).await.unwrap().items.len(), 1, "due again");
    assert!(marks
        .clear(&user, cal, failing.dirty_generation)
        .await
        .unwrap());
    assert!(marks
        .get(&user, cal)
        .await
        .unwrap()
        .unwrap()
        .retry_at
        .is_none());

    // The polling backstop finds states not synced recently.
    states
        .save_page_token(&user, CALENDAR_LIST, "page-1", None)
        .await
        .unwrap(); // never synced
    let stale: Vec<String> = states
        .stale(Utc::now() - chrono::Duration::hours(1), 10)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|s| s.g_calendar_id)
        .collect();
    assert_eq!(stale, vec![CALENDAR_LIST.to_owned()]);

    let reset = states.reset_tokens(&user, cal).await.unwrap();
    assert!(reset.next_sync_token.is_none());
    assert_eq!(states.list(&user).await.unwrap().items.len(), 2);
    assert_eq!(states.delete_all(&user).await.unwrap(), 2);
    assert!(
        marks.get(&user, cal).await.unwrap().is_none(),
        "marks go too"
    );
}

/// A notification's dirty mark never waits for the calendar's sync transaction, which writes the sync
/// cursor and stays open while it stores the changes: a write to a document an open transaction wrote waits
/// for it, and enough waiting notifications could leave the transaction without a connection to commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dirty_mark_does_not_wait_for_an_open_sync_transaction() {
    let db = TestDb::new().await;
    let store = db.store().clone();
    migrate::run(&store).await.unwrap();
    let user = new_user();
    let cal = "me@example.com";
    let states = SyncStates::new(&store);
    states
        .commit_sync_token(&user, cal, "sync-1", None)
        .await
        .unwrap();
    DirtyMarks::new(&store).mark(&user, cal).await.unwrap();

    let written = std::sync::Arc::new(tokio::sync::Notify::new());
    let release = std::sync::Arc::new(tokio::sync::Notify::new());
    let syncing = {
        let (store, user, written, release) = (
            store.clone(),
            user.clone(),
            written.clone(),
            release.clone(),
        );
        tokio::spawn(async move {
            store
                .transaction(|mut session| {
                    let states = SyncStates::new(&store);
                    let (user, written, release) = (user.clone(), written.clone(), release.clone());
                    async move {
                        let result = states
                            .commit_sync_token(&user, cal, "sync-2", Some(&mut session))
                            .await
                            .map(drop);
                        written.notify_one();
                        release.notified().await;
                        (session, result)
                    }
                })
                .await
        })
    };
    written.notified().await;
    let marked = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        DirtyMarks::new(&store).mark(&user, cal),
    )
    .await;
    release.notify_one();
    let marked = marked
        .expect("the mark waited for the transaction")
        .unwrap();
    assert_eq!(marked.dirty_generation, 2);
    syncing.await.unwrap().unwrap();
    let state = states.get(&user, cal, None).await.unwrap().unwrap();
    assert_eq!(state.next_sync_token.as_deref(), Some("sync-2"));
}

#[tokio::test]
async fn watches_one_channel_per_user_and_calendar() {
    let db = TestDb::new().await;
    let store = db.store();
    migrate::run(&store).await.unwrap();
    let watches = Watches::new(&store);
    let (user, other) = (new_user(), new_user());
    let soon = Utc::now() + chrono::Duration::minutes(10);
    let later = Utc::now() + chrono::Duration::days(6);

    let events_channel = WatchDoc::new(&user, "me@example.com", "res-1", later);
    watches.insert(&events_channel).await.unwrap();
    let list_channel = WatchDoc::new(&user, CALENDAR_LIST, "res-list", soon);
    watches.insert(&list_channel).await.unwrap();
    let error = watches
        .insert(&WatchDoc::new(&user, "me@example.com", "res-2", later))
        .await
        .unwrap_err();
    assert!(error.is_conflict_on("user_gCalendarId_unique"), "{error:?}");
    watches
        .insert(&WatchDoc::new(&other, "me@example.com", "res-3", later))
        .await
        .unwrap();

    let found = watches
        .by_channel(&events_channel.id, "res-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.user_id(), user);
    assert!(watches
        .by_channel(&events_channel.id, "res-other")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        watches
            .for_calendar(&user, CALENDAR_LIST)
            .await
            .unwrap()
            .unwrap()
            .id,
        list_channel.id
    );
    let expiring = |now: chrono::DateTime<Utc>| {
        let watches = watches.clone();
        async move {
            watches
                .expiring_before(Utc::now() + chrono::Duration::days(3), now, 10)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|w| w.id)
                .collect::<Vec<ObjectId>>()
        }
    };
    assert_eq!(expiring(Utc::now()).await, vec![list_channel.id]);
    // A postponed record (a failed renewal) is left out until its retry time.
    watches
        .postpone(
            &user,
            CALENDAR_LIST,
            Utc::now() + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    assert!(expiring(Utc::now()).await.is_empty());
    assert_eq!(
        expiring(Utc::now() + chrono::Duration::hours(2)).await,
        vec![list_channel.id]
    );
    assert!(!watches.delete(&other, &events_channel.id).await.unwrap());
    assert!(watches.delete(&user, &events_channel.id).await.unwrap());
    assert_eq!(watches.list(&user).await.unwrap().items.len(), 1);
    assert_eq!(watches.delete_all(&user, None).await.unwrap(), 1);
}

#[tokio::test]
async fn a_lease_has_one_holder_until_it_expires_or_is_released() {
    let db = TestDb::new().await;
    let leases = Leases::new(&db.store());
    let long = Duration::from_secs(60);

    let held = leases
        .acquire("sync:alice", "instance-a", long)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.holder, "instance-a");
    assert!(leases
        .acquire("sync:alice", "instance-b", long)
        .await
        .unwrap()
        .is_none());
    // The holder renews.
    assert!(leases
        .acquire("sync:alice", "instance-a", long)
        .await
        .unwrap()
        .is_some());
    // Another lease name is independent.
    assert!(leases
        .acquire("sync:bob", "instance-b", long)
        .await
        .unwrap()
        .is_some());
    // After release, the other instance gets it.
    assert!(!leases.release("sync:alice", "instance-b").await.unwrap());
    assert!(leases.release("sync:alice", "instance-a").await.unwrap());
    assert!(leases
        .acquire("sync:alice", "instance-b", Duration::ZERO)
        .await
        .unwrap()
        .is_some());
    // A lease that has expired (zero TTL) can be taken over.
    let taken = leases
        .acquire("sync:alice", "instance-c", long)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.holder, "instance-c");
    assert_eq!(
        leases.get("sync:alice").await.unwrap().unwrap().holder,
        "instance-c"
    );
}

/// What the HTTP flows write keeps one id type: every `_id` and every `user` reference in the user,
/// session, event and priority collections is an ObjectId (the reference mixed strings and ObjectIds),
/// and an event's `user` is the account's `_id`.
#[tokio::test]
async fn ids_written_through_the_api_are_object_ids_everywhere() {
    use crate::events_support::{someday, timed, Calendar};
    use mongodb::bson::{Bson, Document};
    let app = crate::support::app::spawn_app().await;
    let calendar = Calendar::sign_up(&app).await;
    calendar
        .create_ok(&someday("idea", "2025-03-03", "2025-03-04"))
        .await;
    calendar
        .create_ok(&timed(
            "call",
            "2025-03-05T10:00:00+01:00",
            "2025-03-05T11:00:00+01:00",
        ))
        .await;
    let store = app.db.store();
    let account: Document = store
        .collection::<Document>("user")
        .find_one(doc! {})
        .await
        .unwrap()
        .expect("the account");
    let account_id = account.get_object_id("_id").expect("an ObjectId _id");
    for (collection, at_least) in [("session", 1), ("event", 2), ("priority", 1)] {
        let documents: Vec<Document> = futures::TryStreamExt::try_collect(
            store
                .collection::<Document>(collection)
                .find(doc! {})
                .await
                .unwrap(),
        )
        .await
        .unwrap();
        assert!(documents.len() >= at_least, "{collection}: {documents:?}");
        for document in documents {
            assert!(
                matches!(document.get("_id"), Some(Bson::ObjectId(_))),
                "{collection} _id: {document:?}"
            );
            assert_eq!(
                document.get("user"),
                Some(&Bson::ObjectId(account_id)),
                "{collection} user: {document:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_lease_is_renewed_while_its_job_runs_and_lapses_soon_after_its_holder_dies() {
    let db = TestDb::new().await;
    let leases = Leases::new(&db.store());
    let ttl = Duration::from_millis(900);
    leases
        .acquire("sync:carol", "instance-a", ttl)
        .await
        .unwrap()
        .unwrap();
    // A job that outlasts the lease's ttl: another instance must not get the lease while it runs.
    let job = async {
        tokio::time::sleep(Duration::from_millis(2_000)).await;
        leases
            .acquire("sync:carol", "instance-b", ttl)
            .await
            .unwrap()
            .is_some()
    };
    let taken_meanwhile = leases.renewing("sync:carol", "instance-a", ttl, job).await;
    assert!(
        !taken_meanwhile,
        "the holder renewed the lease while its job ran"
    );
    // The holder dies without releasing: the lease lapses within its ttl, not after the longest job.
    tokio::time::sleep(ttl + Duration::from_millis(300)).await;
    assert!(leases
        .acquire("sync:carol", "instance-b", ttl)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn a_lease_renewal_never_freezes_its_job_while_both_want_a_pooled_connection() {
    // One pooled connection, and a job that always has a database read in flight: the renewals (every
    // 10 ms) must wait their turn beside the job instead of freezing it. Renewing in a `select!` arm left
    // the job unpolled holding the only connection while the renewal waited for it, for ever (with a
    // pool of 20 and ~100 jobs renewing together, the server stopped answering).
    let db = TestDb::new().await;
    let mut config = db.config();
    config.max_pool_size = 1;
    let store = compass_backend::store::Store::connect(&config)
        .await
        .unwrap();
    let leases = Leases::new(&store);
    let ttl = Duration::from_millis(30);
    let first = leases
        .acquire("sync:dave", "instance-a", ttl)
        .await
        .unwrap()
        .unwrap();
    let job = async {
        let started = std::time::Instant::now();
        let mut reads = 0;
        while started.elapsed() < Duration::from_millis(400) {
            leases.get("sync:other").await.unwrap();
            reads += 1;
        }
        reads
    };
    let reads = tokio::time::timeout(
        Duration::from_secs(20),
        leases.renewing("sync:dave", "instance-a", ttl, job),
    )
    .await
    .expect("the job ends while its lease is renewed beside it");
    assert!(reads > 1, "{reads} reads");
    let renewed = leases.get("sync:dave").await.unwrap().unwrap();
    assert_eq!(renewed.holder, "instance-a");
    assert!(
        renewed.renewed_at > first.renewed_at,
        "the lease was renewed while its job ran"
    );
}

#[tokio::test]
async fn an_idle_sync_advances_the_token_in_one_write_and_never_recreates_a_forgotten_state() {
    let db = TestDb::new().await;
    let store = db.store();
    migrate::run(&store).await.unwrap();
    let states = SyncStates::new(&store);
    let user = new_user();
    let cal = "primary@example.com";
    let first = states
        .commit_sync_token(&user, cal, "sync-1", None)
        .await
        .unwrap();
    assert!(states
        .advance_token(&user, cal, "sync-1", "sync-2")
        .await
        .unwrap());
    let advanced = states.get(&user, cal, None).await.unwrap().unwrap();
    assert_eq!(advanced.next_sync_token.as_deref(), Some("sync-2"));
    assert!(advanced.last_synced_at >= first.last_synced_at);
    // From a token the state no longer holds: nothing written.
    assert!(!states
        .advance_token(&user, cal, "sync-1", "sync-3")
        .await
        .unwrap());
    assert_eq!(
        states
            .get(&user, cal, None)
            .await
            .unwrap()
            .unwrap()
            .next_sync_token
            .as_deref(),
        Some("sync-2")
    );
    // Google disconnected meanwhile (the state is gone): not created again.
    assert_eq!(states.delete_all(&user).await.unwrap(), 1);
    assert!(!states
        .advance_token(&user, cal, "sync-2", "sync-3")
        .await
        .unwrap());
    assert!(states.get(&user, cal, None).await.unwrap().is_none());
}
