//! The database server the tests share: `MONGODB_URI` when set, otherwise one in-memory SecantusDB on a
//! free port, started on first use and stopped when the test process ends (even after a panic or a kill:
//! it runs under a tiny `sh` wrapper whose stdin is a pipe this process holds; when the pipe closes the
//! wrapper kills it). Each test gets a database of its own on it (see [`unique_db_name`]).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The server all tests of this process share.
#[derive(Debug)]
pub struct DbServer {
    /// Connection string without a database name.
    pub uri: String,
    _lifeline: Option<Mutex<ChildStdin>>,
    _wrapper: Option<Mutex<Child>>,
}

/// The shared server, started on first use.
pub fn server() -> &'static DbServer {
    static SERVER: OnceLock<DbServer> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var("MONGODB_URI") {
        Ok(uri) if !uri.trim().is_empty() => DbServer {
            uri: uri.trim().to_owned(),
            _lifeline: None,
            _wrapper: None,
        },
        _ => start_secantus(),
    })
}

/// `e2e_<pid>_<n>_<random>`: unique across tests and concurrent test processes.
pub fn unique_db_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let random: u32 = rand::random();
    format!("e2e_{}_{n}_{random:08x}", std::process::id())
}

/// `$SECANTUSD_PY`, else the project's `.tools/venv/bin/secantusd-py`, else `secantusd-py` on `PATH`.
fn locate_secantus() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SECANTUSD_PY").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/venv/bin/secantusd-py");
    if local.is_file() {
        return Some(local);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("secantusd-py"))
        .find(|candidate| candidate.is_file())
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("cannot bind a probe socket on 127.0.0.1: {e}"))
}

fn start_secantus() -> DbServer {
    let program = locate_secantus().unwrap_or_else(|| {
        panic!(
            "no SecantusDB for the browser tests and MONGODB_URI is not set: run `bash scripts/setup.sh` \
             (it installs SecantusDB into .tools/venv) or set SECANTUSD_PY"
        )
    });
    let port = free_port();
    let log = std::env::temp_dir().join(format!("compass-e2e-secantusdb-{port}.log"));
    let out = std::fs::File::create(&log).unwrap_or_else(|e| panic!("cannot create {log:?}: {e}"));
    let err = out
        .try_clone()
        .unwrap_or_else(|e| panic!("cannot clone the log handle: {e}"));
    let script = concat!(
        r#"exec 3<&0; "$@" </dev/null & s=$!; "#,
        r#"(cat <&3 >/dev/null; kill $s 2>/dev/null; sleep 5; kill -9 $s 2>/dev/null) & wait $s"#,
    );
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("secantus-wrapper")
        .arg(&program)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--storage-path", ":memory:", "--log-level", "WARNING"])
        .stdin(Stdio::piped())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let lifeline = child.stdin.take();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("SecantusDB exited ({status}) before accepting connections; log: {log:?}");
        }
        if Instant::now() > deadline {
            drop(lifeline);
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "SecantusDB did not accept connections on port {port} within 60 s; log: {log:?}"
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    DbServer {
        uri: format!("mongodb://127.0.0.1:{port}/?directConnection=true"),
        _lifeline: lifeline.map(Mutex::new),
        _wrapper: Some(Mutex::new(child)),
    }
}
