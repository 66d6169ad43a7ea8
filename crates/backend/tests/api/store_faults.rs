//! Database faults: the connection is cut and restored through a TCP proxy in front of the server;
//! operations fail as `Unavailable` (fast) while it is down and the store recovers by itself.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use compass_backend::store::{Store, StoreConfig, StoreError};
use mongodb::bson::{doc, Document};

use crate::support::db::TestDb;
use crate::support::db_proxy::DbProxy;
use crate::support::wait::eventually;

#[tokio::test]
async fn the_store_reports_unavailable_while_the_database_is_away_and_recovers_by_itself() {
    let db = TestDb::new().await;
    let (proxy, uri) = DbProxy::in_front_of(db.uri());
    let mut config = StoreConfig::new(uri, db.name());
    config.server_selection_timeout = Duration::from_secs(1);
    config.connect_timeout = Duration::from_secs(1);
    let store = Store::connect(&config).await.unwrap();
    let things = store.collection::<Document>("things");
    things.insert_one(doc! { "_id": 1 }).await.unwrap();

    proxy.cut();
    let started = Instant::now();
    let error = StoreError::from(things.insert_one(doc! { "_id": 2 }).await.unwrap_err());
    assert!(matches!(error, StoreError::Unavailable { .. }), "{error:?}");
    assert_eq!(error.to_string(), "the database is unavailable");
    let error = StoreError::from(things.find_one(doc! {}).await.unwrap_err());
    assert!(matches!(error, StoreError::Unavailable { .. }), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "failing took {:?}",
        started.elapsed()
    );

    proxy.restore();
    let pinged = &store;
    eventually(
        "the store reconnects",
        Duration::from_secs(30),
        || async move { pinged.ping().await.is_ok() },
    )
    .await;
    things.insert_one(doc! { "_id": 3 }).await.unwrap();
    let ids: Vec<i32> = {
        use futures::TryStreamExt;
        things
            .find(doc! {})
            .sort(doc! { "_id": 1 })
            .await
            .unwrap()
            .try_collect::<Vec<Document>>()
            .await
            .unwrap()
            .iter()
            .map(|d| d.get_i32("_id").unwrap())
            .collect()
    };
    assert_eq!(
        ids,
        vec![1, 3],
        "nothing was written while away; nothing was lost"
    );
}

#[tokio::test]
async fn connecting_while_the_database_is_away_fails_fast_with_the_host() {
    let db = TestDb::new().await;
    let (proxy, uri) = DbProxy::in_front_of(db.uri());
    proxy.cut();
    let mut config = StoreConfig::new(uri, db.name());
    config.server_selection_timeout = Duration::from_millis(500);
    let started = Instant::now();
    let error = Store::connect(&config).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(error, StoreError::Connect { .. }), "{error:?}");
    assert!(
        error.to_string().contains(&proxy.addr.to_string()),
        "{error}"
    );
}
