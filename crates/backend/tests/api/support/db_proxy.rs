//! A TCP proxy on 127.0.0.1 in front of the test database, to play an outage: [`DbProxy::cut`] drops every
//! open connection and refuses new ones, [`DbProxy::restore`] lets them through again.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use compass_backend::store::redacted_hosts;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

/// The proxy; dropping it cuts everything and stops it.
pub struct DbProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    open: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
    accept_loop: JoinHandle<()>,
}

impl DbProxy {
    /// A proxy in front of the (first) server of `uri`, and `uri` rewritten to go through it with a direct
    /// connection. Call inside a Tokio runtime (it may be called from a synchronous settings closure).
    pub fn in_front_of(uri: &str) -> (DbProxy, String) {
        let hosts = redacted_hosts(uri);
        let upstream = hosts.split(',').next().unwrap().to_owned();
        let proxy = DbProxy::start(upstream);
        let mut proxied = uri.replacen(&hosts, &proxy.addr.to_string(), 1);
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
        (proxy, proxied)
    }

    /// A proxy to `upstream` (`host:port`).
    pub fn start(upstream: String) -> DbProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let open = Arc::new(AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let accept_loop = tokio::spawn({
            let (open, connections) = (open.clone(), connections.clone());
            async move {
                let listener = TcpListener::from_std(listener).unwrap();
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
        DbProxy {
            addr,
            open,
            connections,
            accept_loop,
        }
    }

    /// The database "goes away": every open connection is dropped, new ones are closed at once.
    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    /// The database is back.
    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        self.cut();
        self.accept_loop.abort();
    }
}
