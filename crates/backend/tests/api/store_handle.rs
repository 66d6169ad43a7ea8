//! The store handle over the wire: connecting, failing fast, conflicts, transactions, test isolation.

use std::time::{Duration, Instant};

use compass_backend::store::{Store, StoreConfig, StoreError};
use mongodb::bson::{doc, Document};
use mongodb::options::IndexOptions;
use mongodb::IndexModel;

use crate::support::db::TestDb;

#[tokio::test]
async fn each_test_database_is_separate_and_answers_ping() {
    let a = TestDb::new().await;
    let b = TestDb::new().await;
    assert_ne!(a.name(), b.name());
    a.store().ping().await.expect("ping");
    assert_eq!(a.store().database_name(), a.name());

    let coll = a.store().collection::<Document>("things");
    coll.insert_one(doc! { "n": 1 }).await.unwrap();
    let seen_in_b = b
        .store()
        .collection::<Document>("things")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(seen_in_b, 0);
    assert_eq!(coll.count_documents(doc! {}).await.unwrap(), 1);
}

#[tokio::test]
async fn unreachable_server_fails_fast_naming_the_host_but_not_the_password() {
    // A port that nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = StoreConfig::new(
        format!("mongodb://alice:hunter2@127.0.0.1:{port}/?directConnection=true"),
        "compass",
    );
    config.server_selection_timeout = Duration::from_millis(500);
    config.connect_timeout = Duration::from_millis(500);
    let started = Instant::now();
    let error = Store::connect(&config)
        .await
        .expect_err("nothing listens there");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let message = error.to_string();
    assert!(matches!(error, StoreError::Connect { .. }), "{error:?}");
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    assert!(!format!("{error:?}").contains("hunter2"));
}

#[tokio::test]
async fn malformed_uri_is_a_config_error_without_the_password() {
    let config = StoreConfig::new("mongodb://bob:pa55@", "compass");
    let error = Store::connect(&config).await.expect_err("malformed");
    assert!(
        matches!(error, StoreError::InvalidConfig { .. }),
        "{error:?}"
    );
    assert!(!error.to_string().contains("pa55"));
}

#[tokio::test]
async fn duplicate_key_becomes_a_conflict_naming_the_index() {
    let db = TestDb::new().await;
    let coll = db.store().collection::<Document>("people");
    coll.create_index(
        IndexModel::builder()
            .keys(doc! { "email": 1 })
            .options(
                IndexOptions::builder()
                    .unique(true)
                    .name("email_unique".to_owned())
                    .build(),
            )
            .build(),
    )
    .await
    .unwrap();
    coll.insert_one(doc! { "email": "a@example.com" })
        .await
        .unwrap();
    let error = StoreError::from(
        coll.insert_one(doc! { "email": "a@example.com" })
            .await
            .expect_err("duplicate"),
    );
    assert!(error.is_conflict_on("email_unique"), "{error:?}");
    assert!(!error.to_string().contains("a@example.com"), "{error}");
}

#[tokio::test]
async fn transaction_commits_every_write() {
    let db = TestDb::new().await;
    let store = db.store();
    let coll = store.collection::<Document>("ledger");
    coll.insert_one(doc! { "_id": "seed" }).await.unwrap(); // collections must exist before a transaction on some servers
    store
        .transaction(|mut session| {
            let coll = coll.clone();
            async move {
                let result = async {
                    coll.insert_one(doc! { "_id": "a" })
                        .session(&mut session)
                        .await?;
                    coll.insert_one(doc! { "_id": "b" })
                        .session(&mut session)
                        .await?;
                    Ok::<_, StoreError>(())
                }
                .await;
                (session, result)
            }
        })
        .await
        .expect("commit");
    assert_eq!(coll.count_documents(doc! {}).await.unwrap(), 3);
}

#[tokio::test]
async fn aborted_transaction_leaves_nothing_half_written() {
    let db = TestDb::new().await;
    let store = db.store();
    let coll = store.collection::<Document>("ledger");
    coll.insert_one(doc! { "_id": "taken" }).await.unwrap();
    let mut runs = 0;
    let error = store
        .transaction(|mut session| {
            runs += 1;
            let coll = coll.clone();
            async move {
                let result = async {
                    coll.insert_one(doc! { "_id": "first" })
                        .session(&mut session)
                        .await?;
                    // Fails: duplicate _id. The first insert must be rolled back.
                    coll.insert_one(doc! { "_id": "taken" })
                        .session(&mut session)
                        .await?;
                    Ok::<_, StoreError>(())
                }
                .await;
                (session, result)
            }
        })
        .await
        .expect_err("the second insert conflicts");
    assert!(matches!(error, StoreError::Conflict { .. }), "{error:?}");
    assert_eq!(runs, 1, "a conflict is not retried");
    let ids: Vec<Document> = {
        use futures::TryStreamExt;
        coll.find(doc! {})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    };
    assert_eq!(ids, vec![doc! { "_id": "taken" }]);
}

#[tokio::test]
async fn a_write_conflict_between_transactions_is_retried_until_both_commit() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::sync::Notify;

    let db = TestDb::new().await;
    let store = db.store();
    let coll = store.collection::<Document>("counter");
    coll.insert_one(doc! { "_id": 1, "n": 0 }).await.unwrap();
    let first_wrote = Arc::new(Notify::new());
    let second_failed = Arc::new(Notify::new());
    let second_runs = Arc::new(AtomicUsize::new(0));

    // The first transaction writes, lets the second one collide with its uncommitted write, and
    // only then commits.
    let first = tokio::spawn({
        let (store, coll) = (store.clone(), coll.clone());
        let (first_wrote, second_failed) = (first_wrote.clone(), second_failed.clone());
        async move {
            store
                .transaction(|mut session| {
                    let (coll, first_wrote, second_failed) =
                        (coll.clone(), first_wrote.clone(), second_failed.clone());
                    async move {
                        let result = coll
                            .update_one(doc! { "_id": 1 }, doc! { "$inc": { "n": 1 } })
                            .session(&mut session)
                            .await
                            .map(|_| ())
                            .map_err(StoreError::from);
                        first_wrote.notify_one();
                        second_failed.notified().await;
                        (session, result)
                    }
                })
                .await
        }
    });
    let second = tokio::spawn({
        let (store, coll, runs) = (store.clone(), coll.clone(), second_runs.clone());
        async move {
            store
                .transaction(|mut session| {
                    let (coll, first_wrote, second_failed, runs) = (
                        coll.clone(),
                        first_wrote.clone(),
                        second_failed.clone(),
                        runs.clone(),
                    );
                    async move {
                        if runs.fetch_add(1, Ordering::SeqCst) == 0 {
                            first_wrote.notified().await;
                        }
                        let result = coll
                            .update_one(doc! { "_id": 1 }, doc! { "$inc": { "n": 10 } })
                            .session(&mut session)
                            .await
                            .map(|_| ())
                            .map_err(StoreError::from);
                        if let Err(error) = &result {
                            assert!(error.is_transient_transaction_error(), "{error:?}");
                            second_failed.notify_one();
                        }
                        (session, result)
                    }
                })
                .await
        }
    });
    first.await.unwrap().expect("the first transaction commits");
    second
        .await
        .unwrap()
        .expect("the second transaction commits after retrying");
    assert!(
        second_runs.load(Ordering::SeqCst) >= 2,
        "the conflict was retried"
    );
    let n = coll
        .find_one(doc! { "_id": 1 })
        .await
        .unwrap()
        .unwrap()
        .get_i32("n")
        .unwrap();
    assert_eq!(n, 11, "both increments, each exactly once");
}

/// A transaction whose caller goes away together with its runtime (an HTTP worker's, at shutdown) is
/// aborted, not left open on the server until its lifetime (60 s) runs out: a later write to the document
/// it changed goes through at once, and its own write is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_abandoned_with_its_runtime_does_not_block_later_writes() {
    let db = TestDb::new().await;
    let store = db.store().clone();
    let coll = store.collection::<Document>("ledger");
    coll.insert_one(doc! { "_id": "row", "n": 0 })
        .await
        .unwrap();

    let abandoned = store.clone();
    let worker = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let coll = abandoned.collection::<Document>("ledger");
            let never_commits = abandoned.transaction(move |mut session| {
                let coll = coll.clone();
                async move {
                    let result = coll
                        .update_one(doc! { "_id": "row" }, doc! { "$set": { "n": 1 } })
                        .session(&mut session)
                        .await
                        .map(drop)
                        .map_err(StoreError::from);
                    if result.is_ok() {
                        std::future::pending::<()>().await;
                    }
                    (session, result)
                }
            });
            let waited = tokio::time::timeout(Duration::from_secs(2), never_commits).await;
            assert!(waited.is_err(), "the body never ends: {waited:?}");
        });
        // The runtime goes here, with every task spawned on it.
        drop(runtime);
    });
    tokio::task::spawn_blocking(move || worker.join().unwrap())
        .await
        .unwrap();

    let started = Instant::now();
    let written = tokio::time::timeout(
        Duration::from_secs(15),
        coll.update_one(doc! { "_id": "row" }, doc! { "$inc": { "n": 10 } }),
    )
    .await;
    assert!(
        matches!(written, Ok(Ok(_))),
        "a write after the abandoned transaction waited {:?}: {written:?}",
        started.elapsed()
    );
    let row = coll.find_one(doc! { "_id": "row" }).await.unwrap().unwrap();
    assert_eq!(row.get_i32("n").unwrap(), 10, "{row:?}");
}
