//! Database faults: the connection is cut and restored through a TCP proxy in front of the server;
//! operations fail as `Unavailable` (fast) while it is down and the store recovers by itself.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use compass_backend::store::{redacted_hosts, Store, StoreConfig, StoreError};
use mongodb::bson::{doc, Document};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

use crate::support::db::TestDb;

/// A TCP proxy on 127.0.0.1 that can drop every connection and refuse new ones, then recover.
struct Proxy {
    addr: SocketAddr,
    open: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
    accept_loop: JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let open = Arc::new(AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let accept_loop = tokio::spawn({
            let (open, connections) = (open.clone(), connections.clone());
            async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    if !open.load(Ordering::SeqCst) {
                        drop(client); // refused: closed at once
                        continue;
                    }
                    let upstream = upstream.clone();
                    let task = tokio::spawn(async move {
                        if let Ok(mut server) = TcpStream::connect(&upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                    connections.lock().unwrap().push(task.abort_handle());
                }
            }
        });
        Proxy {
            addr,
            open,
            connections,
            accept_loop,
        }
    }

    /// The database "goes away": every open connection is dropped, new ones are closed at once.
    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    /// The database is back.
    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept_loop.abort();
    }
}

/// The test server's connection string with its (first) host replaced by the proxy.
fn through(uri: &str, proxy: SocketAddr) -> (String, String) {
    let hosts = redacted_hosts(uri);
    let upstream = hosts.split(',').next().unwrap().to_owned();
    let mut proxied = uri.replacen(&hosts, &proxy.to_string(), 1);
    if !proxied.contains("directConnection=true") {
        let separator = if proxied.contains('?') {
            "&"
        } else if proxied.ends_with('/') {
            "?"
        } else {
            "/?"
        };
        proxied.push_str(separator);
        proxied.push_str("directConnection=true");
    }
    (proxied, upstream)
}

async fn wait_until_ping(store: &Store, deadline: Duration) -> Result<(), StoreError> {
    let until = Instant::now() + deadline;
    loop {
        match store.ping().await {
            Ok(()) => return Ok(()),
            Err(error) if Instant::now() > until => return Err(error),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

#[tokio::test]
async fn the_store_reports_unavailable_while_the_database_is_away_and_recovers_by_itself() {
    let db = TestDb::new().await;
    let (probe, upstream) = through(db.uri(), "127.0.0.1:1".parse().unwrap());
    drop(probe);
    let proxy = Proxy::start(upstream).await;
    let (uri, _) = through(db.uri(), proxy.addr);
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
    wait_until_ping(&store, Duration::from_secs(30))
        .await
        .expect("the store reconnects");
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
    let (probe, upstream) = through(db.uri(), "127.0.0.1:1".parse().unwrap());
    drop(probe);
    let proxy = Proxy::start(upstream).await;
    proxy.cut();
    let (uri, _) = through(db.uri(), proxy.addr);
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
