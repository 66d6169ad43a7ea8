//! SSE fan-out benchmark: N open streams to one server, publish-to-receive latency and memory per stream.
//!
//! Run: `cargo bench -p compass-backend --bench sse_fanout` (options after `--`, see `usage()`).
//! The benchmark starts the server as a child process (this same binary with `--server`), so the server's
//! resident memory can be read from `/proc/<pid>/status` without the clients' memory in it. Users sign up
//! over HTTP; then N raw TCP clients (HTTP/1.1, cookie auth) open `GET /api/events/stream`, and the server
//! publishes `EVENT_CHANGED` to every user once per round with the publish time in the data. Each client
//! records receive time minus publish time. The same clients then run against a minimal actix-web-lab hub
//! (`lab_hub`, `--server-lab`) for a side-by-side row. Opening is timed cold (nothing cached) with each
//! process's CPU time (`proc_stats`), then again warm (`--reopen`); `--soak-secs` holds the streams while
//! events flow and samples the server's memory. Everything is on 127.0.0.1, bounded by deadlines, and stops
//! by itself. Results and the exact commands are in `docs/benchmarks.md`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use compass_backend::app::Application;
use compass_backend::settings::Settings;
use compass_core::ids::UserId;
use compass_core::sse::SseEventName;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// With `--features dhat-heap`, every allocation goes through DHAT (only while a profile is being taken).
#[cfg(feature = "dhat-heap")]
#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Otherwise the same global allocator as the `compass` binary (`src/main.rs`): the system's by default,
/// jemalloc with `--features jemalloc`, mimalloc with `--features mimalloc`.
#[cfg(all(feature = "mimalloc", not(feature = "dhat-heap")))]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// See above.
#[cfg(all(
    feature = "jemalloc",
    not(feature = "mimalloc"),
    not(feature = "dhat-heap")
))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The global allocator of this build (a column of the table).
const ALLOCATOR: &str = if cfg!(feature = "dhat-heap") {
    "dhat"
} else if cfg!(feature = "mimalloc") {
    "mimalloc"
} else if cfg!(feature = "jemalloc") {
    "jemalloc"
} else {
    "system"
};

mod lab_hub;
mod proc_stats;

use proc_stats::{load_average, CpuTimes};

#[path = "../../tests/api/support/secantus_bin.rs"]
#[allow(dead_code)]
mod secantus_bin;

/// Whole run must finish within this.
const RUN_DEADLINE: Duration = Duration::from_secs(20 * 60);

fn usage() -> &'static str {
    "sse_fanout [--streams 1000,10000] [--hubs compass,lab] [--tabs-per-user 10] [--rounds 20] [--soak-secs 0] [--reopen true] \
     [--heap-profile FILE (with --features dhat-heap)] \
     (MONGODB_URI to use a running server; otherwise SecantusDB from scripts/setup.sh is started on a free port)"
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) == Some("--server") {
        return server_main(&args[1..]);
    }
    if args.first().map(String::as_str) == Some("--server-lab") {
        return lab_server_main();
    }
    match Options::parse(&args) {
        Ok(options) => driver_main(options),
        Err(message) => {
            eprintln!("{message}\nusage: {}", usage());
            ExitCode::FAILURE
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Server side (child process)

/// `--server <mongodb uri> <database>`: runs the app, prints `PORT <n>`, then obeys stdin commands:
/// `user <id>` (remember a user), `round <n>` (publish to every user, answer `ok`), `quit`.
fn server_main(args: &[String]) -> ExitCode {
    let (uri, db) = (args[0].clone(), args[1].clone());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async move {
        let mut settings = Settings::local("127.0.0.1:0", uri, db);
        settings.shutdown_timeout = Duration::from_secs(5);
        let app = Application::build(settings).await.expect("server builds");
        let hub = app.state().hub.clone();
        let shutdown = app.shutdown_handle();
        println!("PORT {}", app.port());
        std::io::stdout().flush().expect("flush");
        let server = tokio::spawn(app.run_until_stopped());

        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut users = Vec::new();
        #[cfg(feature = "dhat-heap")]
        let mut profiler: Option<dhat::Profiler> = None;
        while let Some(line) = rx.recv().await {
            let mut parts = line.split_whitespace();
            match (parts.next(), parts.next()) {
                // `profile-start <file>`: heap-profile every allocation from now on;
                // `profile-stop`: write the profile (what is still live then is in its `eb` fields)
                #[cfg(feature = "dhat-heap")]
                (Some("profile-start"), Some(file)) => {
                    profiler = Some(dhat::Profiler::builder().file_name(file).build());
                    println!("ok");
                    std::io::stdout().flush().expect("flush");
                }
                #[cfg(feature = "dhat-heap")]
                (Some("profile-stop"), _) => {
                    drop(profiler.take());
                    println!("ok");
                    std::io::stdout().flush().expect("flush");
                }
                (Some("user"), Some(id)) => users.push(UserId::parse(id).expect("user id")),
                (Some("round"), Some(n)) => {
                    let n: u64 = n.parse().expect("round number");
                    for user in &users {
                        let t = now_nanos();
                        hub.deliver(
                            user,
                            SseEventName::EventChanged,
                            &serde_json::json!({ "n": n, "t": t }).to_string(),
                        );
                    }
                    println!("ok");
                    std::io::stdout().flush().expect("flush");
                }
                _ => break, // "quit" or EOF
            }
        }
        shutdown.shutdown().await;
        let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
    });
    ExitCode::SUCCESS
}

/// `--server-lab`: the minimal actix-web-lab hub (`lab_hub`), same stdin protocol (`round <n>`, `quit`).
fn lab_server_main() -> ExitCode {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async move {
        let hub = lab_hub::LabHub::default();
        let (port, server) = hub.serve().expect("lab server starts");
        let handle = server.handle();
        println!("PORT {port}");
        std::io::stdout().flush().expect("flush");
        let server = tokio::spawn(server);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        while let Some(line) = rx.recv().await {
            let mut parts = line.split_whitespace();
            match (parts.next(), parts.next()) {
                (Some("user"), _) => {}
                (Some("round"), Some(n)) => {
                    let n: u64 = n.parse().expect("round number");
                    hub.publish_round(|| {
                        serde_json::json!({ "n": n, "t": now_nanos() }).to_string()
                    });
                    println!("ok");
                    std::io::stdout().flush().expect("flush");
                }
                _ => break,
            }
        }
        handle.stop(false).await;
        let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
    });
    ExitCode::SUCCESS
}

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

// ------------------------------------------------------------------------------------------------
// Driver side

/// Which server a row measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HubKind {
    /// Compass (`GET /api/events/stream` of the real app, sessions in the database).
    Compass,
    /// The minimal actix-web-lab hub (`lab_hub`).
    Lab,
}

impl HubKind {
    fn name(self) -> &'static str {
        match self {
            HubKind::Compass => "compass",
            HubKind::Lab => "actix-web-lab",
        }
    }
}

struct Options {
    streams: Vec<usize>,
    hubs: Vec<HubKind>,
    tabs_per_user: usize,
    rounds: u64,
    /// After the rounds, hold the streams this long with one publish round per second, sampling memory.
    soak_secs: u64,
    /// After the first (cold) opening, close every stream and open them again with warm caches.
    reopen: bool,
    /// Heap-profile the opening of the streams into this DHAT file (needs `--features dhat-heap`).
    heap_profile: Option<String>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut options = Options {
            streams: vec![1000, 10_000],
            hubs: vec![HubKind::Compass, HubKind::Lab],
            tabs_per_user: 10,
            rounds: 20,
            soak_secs: 0,
            reopen: true,
            heap_profile: None,
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let value = it.next().ok_or(format!("{flag} needs a value"))?;
            let bad = |_| format!("bad value for {flag}: {value}");
            match flag.as_str() {
                "--streams" => {
                    options.streams = value
                        .split(',')
                        .map(|v| v.trim().parse::<usize>().map_err(bad))
                        .collect::<Result<_, _>>()?
                }
                "--hubs" => {
                    options.hubs = value
                        .split(',')
                        .map(|v| match v.trim() {
                            "compass" => Ok(HubKind::Compass),
                            "lab" => Ok(HubKind::Lab),
                            _ => Err(format!("bad value for --hubs: {v} (compass, lab)")),
                        })
                        .collect::<Result<_, _>>()?
                }
                "--tabs-per-user" => options.tabs_per_user = value.parse().map_err(bad)?,
                "--rounds" => options.rounds = value.parse().map_err(bad)?,
                "--soak-secs" => options.soak_secs = value.parse().map_err(bad)?,
                "--reopen" => {
                    options.reopen = value
                        .parse()
                        .map_err(|_| format!("bad value for {flag}: {value}"))?
                }
                "--heap-profile" => {
                    if !cfg!(feature = "dhat-heap") {
                        return Err("--heap-profile needs `--features dhat-heap`".into());
                    }
                    options.heap_profile = Some(value.clone());
                }
                other => return Err(format!("unknown option {other}")),
            }
        }
        if options.tabs_per_user == 0
            || options.rounds == 0
            || options.streams.contains(&0)
            || options.hubs.is_empty()
        {
            return Err("all numbers must be at least 1".into());
        }
        Ok(options)
    }
}

/// Kills a child process when dropped (also on panic).
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        // A database wrapper stops its server when its stdin closes: give it a moment to do so.
        if self.0.stdin.take().is_some() {
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && matches!(self.0.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn driver_main(options: Options) -> ExitCode {
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (uri, db_guard) = database();
    let db_pid = db_guard.as_ref().map(|g| g.0.id());
    println!(
        "open-files limit: {limit}; load average at start: {}",
        load_average()
    );
    println!("| hub | allocator | streams | users | tabs/user | rounds | samples | p50 | p99 | max | server RSS before | after | per stream | open all, cold (CPU s server/db/clients) | open all, warm (CPU) | API p50/p99/max quiet | API p50/p99/max during opening | load avg |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let started = Instant::now();
    for (i, &streams) in options.streams.iter().enumerate() {
        if (streams as u64) + 256 > limit {
            println!(
                "| {streams} | skipped: open-files limit {limit} is too low (raise `ulimit -n`) |"
            );
            continue;
        }
        for &hub in &options.hubs {
            let db = format!("sse_bench_{}_{i}", std::process::id());
            let budget = RUN_DEADLINE
                .max(Duration::from_secs(options.soak_secs + 600))
                .saturating_sub(started.elapsed());
            let result = runtime.block_on(async {
                tokio::time::timeout(budget, run_one(&uri, &db, db_pid, hub, streams, &options))
                    .await
            });
            match result {
                Ok(Ok(row)) => println!("{row}"),
                Ok(Err(e)) => {
                    eprintln!("{} run with {streams} streams failed: {e}", hub.name());
                    return ExitCode::FAILURE;
                }
                Err(_) => {
                    eprintln!(
                        "{} run with {streams} streams exceeded the deadline",
                        hub.name()
                    );
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    ExitCode::SUCCESS
}

/// The database: `MONGODB_URI`, or a SecantusDB started for this run (stopped on drop).
fn database() -> (String, Option<ChildGuard>) {
    if let Ok(uri) = std::env::var("MONGODB_URI") {
        return (uri, None);
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let program = secantus_bin::locate().unwrap_or_else(|| {
        panic!(
            "no SecantusDB and no MONGODB_URI: {}",
            secantus_bin::INSTALL_HINT
        )
    });
    // Under `sh`, with our pipe on its stdin: if this process dies, the pipe closes and the wrapper kills it.
    let script = format!(
        "\"$0\" --host 127.0.0.1 --port {port} --storage-path :memory: --log-level WARNING \
         </dev/null >/dev/null 2>&1 & s=$!; cat >/dev/null; kill $s"
    );
    let child = Command::new("sh")
        .args(["-c", &script])
        .arg(&program)
        .stdin(Stdio::piped())
        .spawn()
        .expect("cannot run sh to start the database");
    let guard = ChildGuard(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "database did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    (
        format!("mongodb://127.0.0.1:{port}/?directConnection=true"),
        Some(guard),
    )
}

struct Server {
    guard: ChildGuard,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    port: u16,
}

impl Server {
    fn start(uri: &str, db: &str) -> Server {
        Self::start_with(&["--server", uri, db])
    }

    fn start_lab() -> Server {
        Self::start_with(&["--server-lab"])
    }

    fn start_with(args: &[&str]) -> Server {
        let mut child = Command::new(std::env::current_exe().expect("exe"))
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("server child");
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("PORT line");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .expect("PORT line")
            .parse()
            .expect("port");
        Server {
            guard: ChildGuard(child),
            stdin,
            stdout,
            port,
        }
    }

    /// Waits (bounded) for the process to exit after `quit`.
    fn wait(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.guard.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("command sent");
        self.stdin.flush().expect("flush");
    }

    fn expect_ok(&mut self) {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("answer");
        assert_eq!(line.trim(), "ok");
    }

    /// Resident memory of the server process in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.guard.0.id()))
            .expect("proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("VmRSS")
    }
}

async fn run_one(
    uri: &str,
    db: &str,
    db_pid: Option<u32>,
    hub: HubKind,
    streams: usize,
    options: &Options,
) -> Result<String, String> {
    let (tabs_per_user, rounds, soak_secs) =
        (options.tabs_per_user, options.rounds, options.soak_secs);
    let heap_profile = options
        .heap_profile
        .as_deref()
        .filter(|_| hub == HubKind::Compass);
    let users = streams.div_ceil(tabs_per_user);
    let (mut server, cookies) = match hub {
        HubKind::Compass => {
            // Sign up on a first server process: argon2 hashing leaves freed memory in the allocator's
            // arenas, which would then absorb the streams' allocations and hide them from the RSS delta.
            // Sessions live in MongoDB, so the cookies work on the fresh server that serves the streams.
            let accounts = {
                let mut signup_server = Server::start(uri, db);
                let accounts = sign_up(signup_server.port, users).await?;
                signup_server.send("quit");
                signup_server.wait();
                accounts
            };
            let mut server = Server::start(uri, db);
            let mut cookies = Vec::with_capacity(users);
            for (cookie, id) in accounts {
                server.send(&format!("user {id}"));
                cookies.push(cookie);
            }
            (server, cookies)
        }
        // No accounts: the minimal hub takes the cookie value as the user.
        HubKind::Lab => (
            Server::start_lab(),
            (0..users)
                .map(|i| format!("compass_session=lab{i}"))
                .collect(),
        ),
    };

    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = server.rss_kib();

    // ordinary requests on a quiet server (also warms the probe's connection)
    let probe_cookie = cookies[0].clone();
    let quiet = probe_requests(server.port, &probe_cookie, 50, None).await?;
    let storm_over = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let storm_probe = tokio::spawn(probe_until(
        server.port,
        probe_cookie.clone(),
        storm_over.clone(),
    ));
    if let Some(file) = heap_profile {
        server.send(&format!("profile-start {file}"));
        server.expect_ok();
    }
    let cpu_before = CpuTimes::now(server.guard.0.id(), db_pid);
    let (mut clients, open_all) = open_clients(server.port, &cookies, streams).await?;
    let open_cpu = CpuTimes::now(server.guard.0.id(), db_pid).since(&cpu_before);
    storm_over.store(true, Ordering::Relaxed);
    let during = storm_probe
        .await
        .map_err(|e| format!("probe task: {e}"))??;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = server.rss_kib();
    if heap_profile.is_some() {
        server.send("profile-stop");
        server.expect_ok();
    }
    // The same streams again with every cache warm (sessions, metadata): no database read on this path.
    let open_warm = if options.reopen {
        for task in &clients.tasks {
            task.abort();
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let cpu_before = CpuTimes::now(server.guard.0.id(), db_pid);
        let (warm, took) = open_clients(server.port, &cookies, streams).await?;
        let cpu = CpuTimes::now(server.guard.0.id(), db_pid).since(&cpu_before);
        clients = warm;
        format!("{:.2} s ({cpu})", took.as_secs_f64())
    } else {
        "not run".into()
    };
    let received = clients.received.clone();

    // publish rounds; each round waits until every stream has its event
    let mut latencies = Vec::with_capacity(streams * rounds as usize);
    for round in 0..rounds {
        server.send(&format!("round {round}"));
        server.expect_ok();
        let want = streams * (round as usize + 1);
        let deadline = Instant::now() + Duration::from_secs(30);
        while received.load(Ordering::Relaxed) < want {
            if Instant::now() > deadline {
                return Err(format!(
                    "round {round}: {} of {want} events arrived",
                    received.load(Ordering::Relaxed)
                ));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    while let Ok(sample) = clients.samples.try_recv() {
        latencies.push(sample);
    }
    if soak_secs > 0 {
        soak(
            &mut server,
            &received,
            streams,
            rounds,
            soak_secs,
            rss_after,
        )
        .await?;
    }
    for task in &clients.tasks {
        task.abort();
    }
    server.send("quit");
    latencies.sort_unstable();
    let pick = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    let ms = |nanos: u64| format!("{:.2} ms", nanos as f64 / 1e6);
    let per_stream = (rss_after.saturating_sub(rss_before)) as f64 / streams as f64;
    Ok(format!(
        "| {} | {ALLOCATOR} | {streams} | {users} | {tabs_per_user} | {rounds} | {} | {} | {} | {} | {:.1} MiB | {:.1} MiB | {per_stream:.1} KiB | {:.2} s ({open_cpu}) | {open_warm} | {} | {} | {} |",
        hub.name(),
        latencies.len(),
        ms(pick(0.50)),
        ms(pick(0.99)),
        ms(*latencies.last().unwrap_or(&0)),
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        open_all.as_secs_f64(),
        summary(quiet),
        summary(during),
        load_average(),
    ))
}

/// The open clients of one run.
struct Clients {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Events received so far (all clients).
    received: Arc<AtomicUsize>,
    /// Each event's publish-to-receive time in nanoseconds.
    samples: tokio::sync::mpsc::UnboundedReceiver<u64>,
}

/// Opens `streams` streams (client `i` uses `cookies[i % cookies.len()]`), 128 connecting at a time (each
/// waits for its `USER_METADATA`); returns them and how long it took until all had it.
async fn open_clients(
    port: u16,
    cookies: &[String],
    streams: usize,
) -> Result<(Clients, Duration), String> {
    let started = Instant::now();
    let ready = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(AtomicUsize::new(0));
    let (samples_tx, samples) = tokio::sync::mpsc::unbounded_channel::<u64>();
    let gate = Arc::new(tokio::sync::Semaphore::new(128));
    let mut tasks = Vec::with_capacity(streams);
    for i in 0..streams {
        let cookie = cookies[i % cookies.len()].clone();
        let (ready, received, samples_tx, gate) = (
            ready.clone(),
            received.clone(),
            samples_tx.clone(),
            gate.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await.expect("gate");
            client(port, &cookie, ready, received, samples_tx, permit).await
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(180);
    while ready.load(Ordering::Relaxed) < streams {
        if Instant::now() > deadline {
            return Err(format!(
                "only {} of {streams} streams opened",
                ready.load(Ordering::Relaxed)
            ));
        }
        if tasks.iter().any(|c| c.is_finished()) {
            return Err("a client ended early (connection refused or closed)".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let took = started.elapsed();
    Ok((
        Clients {
            tasks,
            received,
            samples,
        },
        took,
    ))
}

/// `p50 / p99 / max (n)` of request latencies in nanoseconds.
fn summary(mut samples: Vec<u64>) -> String {
    if samples.is_empty() {
        return "none".into();
    }
    samples.sort_unstable();
    let pick = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    let ms = |nanos: u64| format!("{:.1}", nanos as f64 / 1e6);
    format!(
        "{} / {} / {} ms (n={})",
        ms(pick(0.5)),
        ms(pick(0.99)),
        ms(*samples.last().unwrap_or(&0)),
        samples.len()
    )
}

/// `count` sequential `GET /api/user/metadata` requests (an ordinary authenticated read that goes to the
/// database), or until `stop` is set; returns each one's latency.
async fn probe_requests(
    port: u16,
    cookie: &str,
    count: usize,
    stop: Option<&std::sync::atomic::AtomicBool>,
) -> Result<Vec<u64>, String> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let url = format!("http://127.0.0.1:{port}/api/user/metadata");
    let mut samples = Vec::new();
    while samples.len() < count && !stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
        let started = Instant::now();
        let response = http
            .get(&url)
            .header("cookie", cookie)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("probe request answered {}", response.status()));
        }
        let _ = response.bytes().await;
        samples.push(started.elapsed().as_nanos() as u64);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(samples)
}

async fn probe_until(
    port: u16,
    cookie: String,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Result<Vec<u64>, String> {
    probe_requests(port, &cookie, usize::MAX, Some(&stop)).await
}

/// Holds the open streams for `secs` with one publish round per second (every user gets an event), printing
/// the server's memory every 30 s; fails when a round is not delivered to every stream.
async fn soak(
    server: &mut Server,
    received: &AtomicUsize,
    streams: usize,
    rounds_done: u64,
    secs: u64,
    rss_start: u64,
) -> Result<(), String> {
    println!("soak: {streams} streams for {secs} s, one round (an event to every user) per second");
    println!("| t | server RSS | delta since streams opened | rounds | load avg |");
    println!("|---|---|---|---|---|");
    let started = Instant::now();
    let mut round = rounds_done;
    let mut next_sample = Duration::ZERO;
    while started.elapsed() < Duration::from_secs(secs) {
        let tick = Instant::now();
        server.send(&format!("round {round}"));
        server.expect_ok();
        round += 1;
        let want = streams * round as usize;
        let deadline = Instant::now() + Duration::from_secs(30);
        while received.load(Ordering::Relaxed) < want {
            if Instant::now() > deadline {
                return Err(format!(
                    "soak round {round}: {} of {want} events arrived",
                    received.load(Ordering::Relaxed)
                ));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if started.elapsed() >= next_sample {
            let rss = server.rss_kib();
            println!(
                "| {:.0} s | {:.1} MiB | {:+.1} MiB | {} | {} |",
                started.elapsed().as_secs_f64(),
                rss as f64 / 1024.0,
                (rss as f64 - rss_start as f64) / 1024.0,
                round - rounds_done,
                load_average()
            );
            next_sample += Duration::from_secs(30);
        }
        tokio::time::sleep(Duration::from_secs(1).saturating_sub(tick.elapsed())).await;
    }
    let rss = server.rss_kib();
    println!(
        "| {:.0} s (end) | {:.1} MiB | {:+.1} MiB | {} | {} |",
        started.elapsed().as_secs_f64(),
        rss as f64 / 1024.0,
        (rss as f64 - rss_start as f64) / 1024.0,
        round - rounds_done,
        load_average()
    );
    Ok(())
}

/// Signs up `users` accounts (8 at a time); returns each session cookie and user id.
async fn sign_up(port: u16, users: usize) -> Result<Vec<(String, String)>, String> {
    use futures::StreamExt as _;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .build()
        .map_err(|e| e.to_string())?;
    let signups = futures::stream::iter(0..users).map(|i| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let response = http
                .post(format!("{base}/api/auth/signup"))
                .header("origin", &base)
                .json(&serde_json::json!({
                    "email": format!("bench{i}@example.test"),
                    "password": "bench password 12345",
                    "name": "Bench"
                }))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if !response.status().is_success() {
                return Err(format!("signup answered {}", response.status()));
            }
            let cookie = response
                .headers()
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find(|v| v.starts_with("compass_session="))
                .and_then(|v| v.split(';').next())
                .ok_or("no session cookie")?
                .to_owned();
            let session: serde_json::Value = http
                .get(format!("{base}/api/auth/session"))
                .header("cookie", &cookie)
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            let id = session["userId"].as_str().ok_or("no userId")?.to_owned();
            Ok::<_, String>((cookie, id))
        }
    });
    let mut signups = signups.buffer_unordered(8);
    let mut accounts = Vec::with_capacity(users);
    while let Some(result) = signups.next().await {
        accounts.push(result?);
    }
    Ok(accounts)
}

/// One raw HTTP/1.1 SSE client: counts `USER_METADATA` as ready, then records the latency of each event.
async fn client(
    port: u16,
    cookie: &str,
    ready: Arc<AtomicUsize>,
    received: Arc<AtomicUsize>,
    samples: tokio::sync::mpsc::UnboundedSender<u64>,
    permit: tokio::sync::OwnedSemaphorePermit,
) {
    let Ok(mut socket) = TcpStream::connect(("127.0.0.1", port)).await else {
        return;
    };
    let request = format!(
        "GET /api/events/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\nCookie: {cookie}\r\n\r\n"
    );
    if socket.write_all(request.as_bytes()).await.is_err() {
        return;
    }
    let mut permit = Some(permit);
    let mut buffer: Vec<u8> = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        buffer.extend_from_slice(&chunk[..n]);
        if permit.is_some() {
            if find(&buffer, b"USER_METADATA").is_some() {
                permit = None; // let the next client connect
                ready.fetch_add(1, Ordering::Relaxed);
                buffer.clear();
            }
            continue;
        }
        // events look like `data: {"n":3,"t":1764000000000000000}`
        let mut consumed = 0;
        while let Some(at) = find(&buffer[consumed..], b"\"t\":") {
            let start = consumed + at + 4;
            let Some(len) = buffer[start..].iter().position(|b| !b.is_ascii_digit()) else {
                break; // number not complete yet
            };
            let now = now_nanos();
            let sent: u64 = std::str::from_utf8(&buffer[start..start + len])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(now);
            let _ = samples.send(now.saturating_sub(sent));
            received.fetch_add(1, Ordering::Relaxed);
            consumed = start + len;
        }
        buffer.drain(..consumed);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
