//! A fresh database per test on one shared MongoDB-compatible server.
//!
//! `TestDb::new().await` names a new database (unique per test) and connects a [`Store`] to it on
//! the current test's runtime. The server is `MONGODB_URI` when set (a real MongoDB, e.g. in CI);
//! otherwise one SecantusDB started lazily for the whole test process, on a free 127.0.0.1 port, and
//! stopped when the process exits — even after a panic or a kill: it runs under a tiny `sh` wrapper
//! whose stdin is a pipe held open by this process; when the pipe closes the wrapper kills it.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use compass_backend::store::{Store, StoreConfig};

use super::secantus_bin::{self, INSTALL_HINT, SECANTUS_VERSION};

/// How long the shared server may take to accept connections.
const START_DEADLINE: Duration = Duration::from_secs(60);

/// A database of its own for one test.
#[derive(Debug)]
pub struct TestDb {
    uri: String,
    name: String,
    store: Store,
    external: bool,
}

impl TestDb {
    /// Creates a uniquely named database on the shared server and connects a store to it.
    pub async fn new() -> TestDb {
        super::log::init();
        let server = shared_server();
        let name = unique_db_name();
        let store = Store::connect(&test_config(&server.uri, &name))
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the test database server: {e}"));
        TestDb {
            uri: server.uri.clone(),
            name,
            store,
            external: server.external,
        }
    }

    /// The same database handed to a new owner (a restarted app): `old` stops owning it, so dropping `old`
    /// no longer drops the database.
    pub fn reopen(old: &mut TestDb) -> TestDb {
        let external = std::mem::replace(&mut old.external, false);
        TestDb {
            uri: old.uri.clone(),
            name: old.name.clone(),
            store: old.store.clone(),
            external,
        }
    }

    /// A store handle on this test's database (clones share the pool).
    pub fn store(&self) -> Store {
        self.store.clone()
    }

    /// The server's connection string (no database in it; see [`TestDb::name`]).
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// This test's database name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A [`StoreConfig`] for this test's database, e.g. to build the application's settings.
    pub fn config(&self) -> StoreConfig {
        test_config(&self.uri, &self.name)
    }
}

impl Drop for TestDb {
    /// On a server we did not start (a real MongoDB), drop the test database so runs do not pile
    /// up databases. Our own SecantusDB is in memory and goes away with the process.
    fn drop(&mut self) {
        if !self.external {
            return;
        }
        let config = self.config();
        // The test's runtime may be shutting down: use a short-lived runtime on its own thread.
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let store = Store::connect(&config).await.ok()?;
                store.database().drop().await.ok()
            })
        });
        let _ = dropper.join();
    }
}

/// The test configuration: short timeouts so that a missing server fails fast.
fn test_config(uri: &str, name: &str) -> StoreConfig {
    let mut config = StoreConfig::new(uri, name);
    config.max_pool_size = 8;
    config.server_selection_timeout = Duration::from_secs(10);
    config.app_name = "compass-tests".to_owned();
    config
}

/// `test_<pid>_<n>_<random>`: unique across tests and across concurrent test processes.
fn unique_db_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let random: u32 = rand::random();
    format!("test_{}_{n}_{random:08x}", std::process::id())
}

/// The server all tests of this process share.
#[derive(Debug)]
struct SharedServer {
    uri: String,
    external: bool,
    /// Kept alive for the life of the process: when it closes, the wrapper stops the server.
    _lifeline: Option<Mutex<ChildStdin>>,
}

fn shared_server() -> &'static SharedServer {
    static SERVER: OnceLock<SharedServer> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var("MONGODB_URI") {
        Ok(uri) if !uri.trim().is_empty() => SharedServer {
            uri: uri.trim().to_owned(),
            external: true,
            _lifeline: None,
        },
        _ => start_secantus(),
    })
}

/// Starts SecantusDB in memory on a free port and waits (with a deadline) until it accepts
/// connections. Panics with install instructions when `secantusd-py` is missing.
fn start_secantus() -> SharedServer {
    let program = secantus_bin::locate().unwrap_or_else(|| {
        panic!(
            "no SecantusDB {SECANTUS_VERSION} for the tests and MONGODB_URI is not set: {INSTALL_HINT}"
        )
    });
    let mut last_failure = String::new();
    // A freshly probed free port can be taken by someone else before the server binds it: retry.
    for _ in 0..3 {
        match try_start(&program) {
            Ok(server) => return server,
            Err(failure) => last_failure = failure,
        }
    }
    panic!("could not start SecantusDB for the tests: {last_failure}");
}

fn try_start(program: &PathBuf) -> Result<SharedServer, String> {
    let port = free_port();
    let log_path = std::env::temp_dir().join(format!(
        "compass-test-secantusdb-{}-{port}.log",
        std::process::id()
    ));
    let log =
        std::fs::File::create(&log_path).map_err(|e| format!("cannot create {log_path:?}: {e}"))?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    // The wrapper: run the server in the background, wait until our stdin closes (this process
    // exited, however it exited), then stop the server (SIGKILL 5 s later if it ignored SIGTERM: a busy
    // SecantusDB once outlived its test). If the server dies first, exit too.
    let script = concat!(
        r#"exec 3<&0; "$@" </dev/null & s=$!; "#,
        r#"(cat <&3 >/dev/null; kill $s 2>/dev/null; sleep 5; kill -9 $s 2>/dev/null) & wait $s"#,
    );
    let mut child: Child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("secantus-wrapper")
        .arg(program)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--storage-path", ":memory:", "--log-level", "WARNING"])
        .stdin(Stdio::piped())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log_err))
        .spawn()
        .map_err(|e| format!("cannot run sh to start {}: {e}", program.display()))?;
    let lifeline = child
        .stdin
        .take()
        .ok_or("no stdin pipe to the server wrapper")?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + START_DEADLINE;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "SecantusDB exited ({status}) before accepting connections on port {port}; log:\n{}",
                read_tail(&log_path)
            ));
        }
        if Instant::now() > deadline {
            drop(lifeline);
            let _ = child.kill();
            return Err(format!(
                "SecantusDB did not accept connections on port {port} within {START_DEADLINE:?}; log:\n{}",
                read_tail(&log_path)
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(SharedServer {
        uri: format!("mongodb://127.0.0.1:{port}/?directConnection=true"),
        external: false,
        _lifeline: Some(Mutex::new(lifeline)),
    })
}

/// A port that was free a moment ago on 127.0.0.1.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("cannot bind a probe socket on 127.0.0.1")
}

/// The last few KiB of a log file, for failure messages.
fn read_tail(path: &PathBuf) -> String {
    let mut text = String::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        let _ = file.read_to_string(&mut text);
    }
    let start = text.len().saturating_sub(4096);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    text[start..].to_owned()
}
