//! SSE fan-out benchmark: N open streams to one server, publish-to-receive latency and memory per stream.
//!
//! Run: `cargo bench -p compass-backend --bench sse_fanout` (options after `--`, see `usage()`).
//! The benchmark starts the server as a child process (this same binary with `--server`), so the server's
//! resident memory can be read from `/proc/<pid>/status` without the clients' memory in it. Users sign up
//! over HTTP; then N raw TCP clients (HTTP/1.1, cookie auth) open `GET /api/events/stream`, and the server
//! publishes `EVENT_CHANGED` to every user once per round with the publish time in the data. Each client
//! records receive time minus publish time. Everything is on 127.0.0.1, bounded by deadlines, and stops by
//! itself. Results and the exact command are in `docs/benchmarks.md`.
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

#[path = "../tests/api/support/secantus_bin.rs"]
#[allow(dead_code)]
mod secantus_bin;

/// Whole run must finish within this.
const RUN_DEADLINE: Duration = Duration::from_secs(20 * 60);

fn usage() -> &'static str {
    "sse_fanout [--streams 1000,10000] [--tabs-per-user 10] [--rounds 20] [--soak-secs 0] \
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

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

// ------------------------------------------------------------------------------------------------
// Driver side

struct Options {
    streams: Vec<usize>,
    tabs_per_user: usize,
    rounds: u64,
    /// After the rounds, hold the streams this long with one publish round per second, sampling memory.
    soak_secs: u64,
    /// Heap-profile the opening of the streams into this DHAT file (needs `--features dhat-heap`).
    heap_profile: Option<String>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut options = Options {
            streams: vec![1000, 10_000],
            tabs_per_user: 10,
            rounds: 20,
            soak_secs: 0,
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
                "--tabs-per-user" => options.tabs_per_user = value.parse().map_err(bad)?,
                "--rounds" => options.rounds = value.parse().map_err(bad)?,
                "--soak-secs" => options.soak_secs = value.parse().map_err(bad)?,
                "--heap-profile" => {
                    if !cfg!(feature = "dhat-heap") {
                        return Err("--heap-profile needs `--features dhat-heap`".into());
                    }
                    options.heap_profile = Some(value.clone());
                }
                other => return Err(format!("unknown option {other}")),
            }
        }
        if options.tabs_per_user == 0 || options.rounds == 0 || options.streams.contains(&0) {
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
    let (uri, _db_guard) = database();
    println!("open-files limit: {limit}");
    println!("| streams | users | tabs/user | rounds | samples | p50 | p99 | max | server RSS before | after | per stream | open all | API p50/p99/max quiet | API p50/p99/max during opening |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let started = Instant::now();
    for (i, &streams) in options.streams.iter().enumerate() {
        if (streams as u64) + 256 > limit {
            println!(
                "| {streams} | skipped: open-files limit {limit} is too low (raise `ulimit -n`) |"
            );
            continue;
        }
        let db = format!("sse_bench_{}_{i}", std::process::id());
        let budget = RUN_DEADLINE.saturating_sub(started.elapsed());
        let result = runtime.block_on(async {
            tokio::time::timeout(
                budget,
                run_one(
                    &uri,
                    &db,
                    streams,
                    options.tabs_per_user,
                    options.rounds,
                    options.soak_secs,
                    options.heap_profile.as_deref(),
                ),
            )
            .await
        });
        match result {
            Ok(Ok(row)) => println!("{row}"),
            Ok(Err(e)) => {
                eprintln!("run with {streams} streams failed: {e}");
                return ExitCode::FAILURE;
            }
            Err(_) => {
                eprintln!("run with {streams} streams exceeded the deadline");
                return ExitCode::FAILURE;
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
        let mut child = Command::new(std::env::current_exe().expect("exe"))
            .args(["--server", uri, db])
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
    streams: usize,
    tabs_per_user: usize,
    rounds: u64,
    soak_secs: u64,
    heap_profile: Option<&str>,
) -> Result<String, String> {
    let users = streams.div_ceil(tabs_per_user);
    // Sign up on a first server process: argon2 hashing leaves freed memory in the allocator's arenas, which
    // would then absorb the streams' allocations and hide them from the RSS delta. Sessions live in MongoDB,
    // so the cookies work on the fresh server that serves the streams.
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
    let open_started = Instant::now();

    // open the streams
    let ready = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(AtomicUsize::new(0));
    let (samples_tx, mut samples_rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
    let gate = Arc::new(tokio::sync::Semaphore::new(128));
    let mut clients = Vec::with_capacity(streams);
    for i in 0..streams {
        let cookie = cookies[i % users].clone();
        let (ready, received, samples_tx, gate) = (
            ready.clone(),
            received.clone(),
            samples_tx.clone(),
            gate.clone(),
        );
        let port = server.port;
        clients.push(tokio::spawn(async move {
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
        if let Some(failed) = clients.iter().find(|c| c.is_finished()) {
            let _ = failed;
            return Err("a client ended early (connection refused or closed)".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let open_all = open_started.elapsed();
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
    while let Ok(sample) = samples_rx.try_recv() {
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
    for c in &clients {
        c.abort();
    }
    server.send("quit");
    latencies.sort_unstable();
    let pick = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    let ms = |nanos: u64| format!("{:.2} ms", nanos as f64 / 1e6);
    let per_stream = (rss_after.saturating_sub(rss_before)) as f64 / streams as f64;
    Ok(format!(
        "| {streams} | {users} | {tabs_per_user} | {rounds} | {} | {} | {} | {} | {:.1} MiB | {:.1} MiB | {per_stream:.1} KiB | {:.2} s | {} | {} |",
        latencies.len(),
        ms(pick(0.50)),
        ms(pick(0.99)),
        ms(*latencies.last().unwrap_or(&0)),
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        open_all.as_secs_f64(),
        summary(quiet),
        summary(during),
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
    println!("| t | server RSS | delta since streams opened | rounds |");
    println!("|---|---|---|---|");
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
                "| {:.0} s | {:.1} MiB | {:+.1} MiB | {} |",
                started.elapsed().as_secs_f64(),
                rss as f64 / 1024.0,
                (rss as f64 - rss_start as f64) / 1024.0,
                round - rounds_done
            );
            next_sample += Duration::from_secs(30);
        }
        tokio::time::sleep(Duration::from_secs(1).saturating_sub(tick.elapsed())).await;
    }
    let rss = server.rss_kib();
    println!(
        "| {:.0} s (end) | {:.1} MiB | {:+.1} MiB | {} |",
        started.elapsed().as_secs_f64(),
        rss as f64 / 1024.0,
        (rss as f64 - rss_start as f64) / 1024.0,
        round - rounds_done
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
