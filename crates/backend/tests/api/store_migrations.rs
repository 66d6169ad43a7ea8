//! Migrations over the wire: applied once and recorded, idempotent, indexes and validators in place,
//! a failing migration stops with a message naming it.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use compass_backend::store::migrate::{self, MigrationError, MIGRATIONS};
use compass_backend::store::StoreError;
use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Document};

use crate::support::db::TestDb;

async fn index_names(db: &TestDb, collection: &str) -> BTreeSet<String> {
    db.store()
        .collection::<Document>(collection)
        .list_index_names()
        .await
        .unwrap()
        .into_iter()
        .collect()
}

#[tokio::test]
async fn migrations_apply_once_and_running_twice_changes_nothing() {
    let db = TestDb::new().await;
    let store = db.store();
    let first = migrate::run(&store).await.unwrap();
    let all: Vec<String> = MIGRATIONS.iter().map(|(n, _)| (*n).to_owned()).collect();
    assert_eq!(first.applied, all);
    assert!(first.already_applied.is_empty());

    let mut before = Vec::new();
    for c in [
        "user", "session", "event", "priority", "calendar", "sync", "watch", "lease",
    ] {
        before.push((c, index_names(&db, c).await));
    }
    let records: Vec<Document> = store
        .collection::<Document>("migrations")
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(records.len(), all.len());

    let second = migrate::run(&store).await.unwrap();
    assert!(second.applied.is_empty());
    assert_eq!(second.already_applied, all);
    assert!(second.changed.is_empty());
    for (c, names) in before {
        assert_eq!(index_names(&db, c).await, names, "{c}");
    }
    let count = store
        .collection::<Document>("migrations")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(count as usize, all.len());
}

#[tokio::test]
async fn migrations_create_the_unique_and_ttl_indexes() {
    let db = TestDb::new().await;
    let store = db.store();
    migrate::run(&store).await.unwrap();
    assert!(index_names(&db, "user").await.contains("email_unique"));
    assert!(index_names(&db, "watch")
        .await
        .contains("user_gCalendarId_unique"));
    assert!(index_names(&db, "event")
        .await
        .contains("user_someday_start"));
    // The plain lookup index next to the partial unique one (0006).
    let event_indexes = index_names(&db, "event").await;
    assert!(event_indexes.contains("user_gEventId_unique"));
    assert!(event_indexes.contains("user_gEventId"));

    let users = store.collection::<Document>("user");
    users
        .insert_one(doc! { "email": "a@example.com" })
        .await
        .unwrap();
    let error = StoreError::from(
        users
            .insert_one(doc! { "email": "a@example.com" })
            .await
            .unwrap_err(),
    );
    assert!(error.is_conflict_on("email_unique"), "{error:?}");

    let sessions = store.collection::<Document>("session");
    let ttl = sessions
        .list_indexes()
        .await
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.options.as_ref().and_then(|o| o.name.as_deref()) == Some("expires_at_ttl"))
        .expect("the session TTL index");
    assert_eq!(
        ttl.options.unwrap().expire_after,
        Some(std::time::Duration::ZERO)
    );
}

#[tokio::test]
async fn the_event_validator_rejects_documents_without_provenance_or_bson_dates() {
    let db = TestDb::new().await;
    let store = db.store();
    migrate::run(&store).await.unwrap();
    let events = store.collection::<Document>("event");
    let valid = doc! {
        "_id": ObjectId::new(), "user": ObjectId::new(),
        "startDate": "2025-01-05", "endDate": "2025-01-06",
        "startsAt": mongodb::bson::DateTime::from_millis(0), "endsAt": mongodb::bson::DateTime::from_millis(86_400_000),
        "daySpan": true, "origin": "compass", "priority": "work", "provenance": "compass",
    };
    events.insert_one(valid.clone()).await.unwrap();
    let mut no_provenance = valid.clone();
    no_provenance.insert("_id", ObjectId::new());
    no_provenance.remove("provenance");
    assert!(events.insert_one(no_provenance).await.is_err());
    let mut string_date = valid.clone();
    string_date.insert("_id", ObjectId::new());
    string_date.insert("startsAt", "2025-01-05");
    assert!(events.insert_one(string_date).await.is_err());
    let mut string_user = valid;
    string_user.insert("_id", ObjectId::new());
    string_user.insert("user", "5f1b2c3d4e5f60718293a4b5");
    assert!(events.insert_one(string_user).await.is_err());
}

#[tokio::test]
async fn a_failing_migration_stops_with_a_message_naming_it_and_is_not_recorded() {
    let db = TestDb::new().await;
    let store = db.store();
    let good = r#"{"description": "an index", "steps": [
        {"command": {"createIndexes": "thing", "indexes": [{"key": {"a": 1}, "name": "a_idx"}]}}
    ]}"#;
    // Same index name, different key: the server refuses.
    let bad = r#"{"description": "a clash", "steps": [
        {"command": {"createIndexes": "thing", "indexes": [{"key": {"b": 1}, "name": "a_idx"}]}}
    ]}"#;
    let never = r#"{"description": "after the failure", "steps": [{"command": {"ping": 1}}]}"#;
    let error = migrate::run_these(
        &store,
        &[
            ("0001_good", good),
            ("0002_bad", bad),
            ("0003_never", never),
        ],
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&error, MigrationError::StepFailed { name, step: 1, .. } if name == "0002_bad"),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("migration 0002_bad failed at step 1: "),
        "{error}"
    );
    let recorded: Vec<String> = store
        .collection::<Document>("migrations")
        .find(doc! {})
        .await
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.get_str("_id").unwrap().to_owned())
        .collect();
    assert_eq!(recorded, vec!["0001_good".to_owned()]);

    // Malformed files are refused before anything runs.
    let error = migrate::run_these(
        &store,
        &[("0009_typo", r#"{"description": "x", "stepz": []}"#)],
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, MigrationError::Malformed { .. }),
        "{error:?}"
    );
    // A changed, already applied migration is reported, not re-run.
    let changed = good.replace("an index", "an index (edited)");
    let report = migrate::run_these(&store, &[("0001_good", &changed)])
        .await
        .unwrap();
    assert_eq!(report.changed, vec!["0001_good".to_owned()]);
    assert!(report.applied.is_empty());
}
