//! Sign-out while the database is unreachable: the answer is a 503 (the client can retry), never a 200
//! that clears the cookie but leaves the session valid on the server.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use compass_backend::store::redacted_hosts;
use reqwest::StatusCode;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

use crate::support::app::spawn_app_with;

/// A TCP proxy to the database that can drop every connection and refuse new ones.
struct Proxy {
    addr: SocketAddr,
    open: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
    accept_loop: JoinHandle<()>,
}

impl Proxy {
    fn start(upstream: String) -> Proxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let open = Arc::new(AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (flag, handles) = (open.clone(), connections.clone());
        let accept_loop = tokio::spawn(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            while let Ok((mut client, _)) = listener.accept().await {
                if !flag.load(Ordering::SeqCst) {
                    continue; // refused: dropped at once
                }
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                handles.lock().unwrap().push(task.abort_handle());
            }
        });
        Proxy {
            addr,
            open,
            connections,
            accept_loop,
        }
    }

    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

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

/// `uri` with its first host replaced by `proxy`, as a direct connection; and that first host.
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

#[tokio::test]
async fn sign_out_during_a_database_outage_is_503_and_the_session_stays_usable_for_a_retry() {
    let proxy: Arc<Mutex<Option<Proxy>>> = Arc::default();
    let slot = proxy.clone();
    let app = spawn_app_with(move |settings| {
        let uri = settings.database.uri.expose().to_owned();
        let (_, upstream) = through(&uri, "127.0.0.1:1".parse().unwrap());
        let started = Proxy::start(upstream);
        let (proxied, _) = through(&uri, started.addr);
        settings.database.uri = compass_backend::settings::Secret::new(proxied);
        settings.database.selection_timeout = Duration::from_secs(1);
        settings.database.connect_timeout = Duration::from_secs(1);
        *slot.lock().unwrap() = Some(started);
    })
    .await;
    let (client, _, _) = app.signed_in_client().await;
    let session_status = |client: &reqwest::Client| {
        let request = client.get(app.url("/api/auth/session"));
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(session_status(&client).await, StatusCode::OK);

    proxy.lock().unwrap().as_ref().unwrap().cut();
    let status = app.signout_with(&client).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "a sign-out that could not revoke the session must not report success"
    );

    // Back online: the cookie was kept, the session is still there and a retry signs out.
    proxy.lock().unwrap().as_ref().unwrap().restore();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = session_status(&client).await;
        if status == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "store did not recover: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.signout_with(&client).await, StatusCode::OK);
    assert_eq!(session_status(&client).await, StatusCode::UNAUTHORIZED);
}
