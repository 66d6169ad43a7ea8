//! The server shell over real HTTP: health, config, error bodies, request ids, body limit, start-up
//! failures of the real binary, and graceful shutdown on SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use compass_backend::settings::Secret;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::support::app::{spawn_app, spawn_app_with};
use crate::support::db::TestDb;
use crate::support::db_proxy::DbProxy;
use crate::support::wait::eventually;

#[tokio::test]
async fn health_is_ok_with_a_reachable_database() {
    let app = spawn_app().await;
    let response = app.get("/api/health").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("x-request-id").is_some());
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    let ts = body["timestamp"].as_str().expect("timestamp");
    chrono::DateTime::parse_from_rfc3339(ts).expect("RFC 3339 timestamp");

    // a stale or forged session cookie does not matter here
    let response = app
        .client
        .get(app.url("/api/health"))
        .header("cookie", "compass_session=not-a-real-session")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
}

/// The reference answered 500 here (§4.2); 503 tells a load balancer the instance is unavailable.
#[tokio::test]
async fn health_is_503_when_the_database_goes_away_and_ok_again_when_it_returns() {
    let db = TestDb::new().await; // only for the database server's address
    let (proxy, uri) = DbProxy::in_front_of(db.uri());
    let app = spawn_app_with(|s| s.database.uri = Secret::new(uri.clone())).await;
    assert_eq!(app.get("/api/health").await.status(), 200);

    proxy.cut();
    let (status, body) = app.get_json("/api/health").await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "error");
    assert!(body["timestamp"].is_string());

    proxy.restore();
    let app = &app;
    eventually(
        "health did not recover",
        Duration::from_secs(30),
        || async move { app.get("/api/health").await.status() == 200 },
    )
    .await;
}

#[tokio::test]
async fn config_reports_whether_google_is_configured() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/config").await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"google": {"isConfigured": false}}));

    let app = spawn_app_with(|s| {
        s.google.client_id = Some("client".into());
        s.google.client_secret = Some(Secret::new("secret"));
    })
    .await;
    let (_, body) = app.get_json("/api/config").await;
    assert_eq!(body, json!({"google": {"isConfigured": true}}));
}

/// Reference bug §15 item 17 (requests left without an answer): unknown paths get a JSON 404 too.
#[tokio::test]
async fn unknown_routes_are_json_404s_and_request_ids_are_echoed() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/no-such-route"))
        .header("x-request-id", "trace-abc.123")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["x-request-id"], "trace-abc.123");
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body, json!({"result": "Not Found", "message": "Not found"}));

    // an unacceptable client id is replaced, not echoed
    let response = app
        .client
        .get(app.url("/api/health"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .expect("sent");
    let id = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_ne!(id, "bad id with spaces");
    uuid::Uuid::parse_str(&id).expect("a generated UUID");
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_json() {
    let app = spawn_app_with(|s| s.body_limit = 4096).await;
    let big = "x".repeat(5000);
    let response = app
        .client
        .post(app.url("/api/auth/signin"))
        .header("content-type", "application/json")
        .body(format!(r#"{{"email":"{big}","password":"p"}}"#))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["result"], "Payload Too Large");
    assert_eq!(body["message"], "Request body is larger than 4096 bytes");
}

#[tokio::test]
async fn chunked_bodies_over_the_limit_are_413_json() {
    let app = spawn_app_with(|s| s.body_limit = 4096).await;
    // no Content-Length: the JSON extractor's limit answers while reading
    let chunks = futures::stream::iter((0..10).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1000])));
    let response = app
        .client
        .post(app.url("/api/auth/signin"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["message"], "Request body is larger than 4096 bytes");
}

/// The `compass` binary built for these tests.
fn compass() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_compass"));
    // start from a clean configuration environment
    for (key, _) in std::env::vars() {
        if key.starts_with("COMPASS_") || key.starts_with("GOOGLE_") || key == "MONGODB_URI" {
            cmd.env_remove(key);
        }
    }
    cmd.env("RUST_LOG", "info");
    cmd
}

#[test]
fn misconfiguration_is_one_line_and_a_non_zero_exit() {
    let output = compass()
        .args(["serve", "--google-client-id", "only-the-id"])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("GOOGLE_CLIENT_SECRET"), "{stderr}");
}

/// Reference bug §15 item 28 (start-up failure exited with code 0).
#[test]
fn unreachable_database_names_the_host_never_the_password() {
    // a port that is certainly closed: bind one, note it, close it
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let output = compass()
        .args(["serve", "--bind", "127.0.0.1:0", "--mongodb-uri"])
        .arg(format!(
            "mongodb://admin:hunter2@127.0.0.1:{port}/?serverSelectionTimeoutMS=500"
        ))
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.trim().lines().last().expect("a line");
    assert!(last.starts_with("compass: "), "{stderr}");
    assert!(last.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn compass_migrate_applies_pending_migrations_once() {
    let db = TestDb::new().await;
    let run = || {
        compass()
            .args([
                "migrate",
                "--mongodb-uri",
                db.uri(),
                "--database",
                db.name(),
            ])
            .output()
            .expect("runs")
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let first = String::from_utf8_lossy(&first.stdout).to_string();
    assert!(first.contains("applied, 0 already applied"), "{first}");
    assert!(!first.starts_with("migrations: 0 applied"), "{first}");
    let second = run();
    assert!(second.status.success());
    let second = String::from_utf8_lossy(&second.stdout).to_string();
    assert!(second.starts_with("migrations: 0 applied"), "{second}");
}

#[tokio::test]
async fn sigterm_stops_the_server_gracefully() {
    let app = spawn_app().await; // only for its database
    let mut child = compass()
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--mongodb-uri",
        ])
        .arg(app.db.uri())
        .args(["--database", app.db.name()])
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let mut guard = KillOnDrop(Some(child.id()));
    let stderr = child.stderr.take().expect("stderr");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let port = loop {
        let line = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("server starts")
            .expect("line");
        if let Some(rest) = line.split("port=").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .expect("port")
                .parse::<u16>()
                .expect("number");
        }
    };
    let health = reqwest::get(format!("http://127.0.0.1:{port}/api/health"))
        .await
        .expect("get");
    assert_eq!(health.status(), 200);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::task::spawn_blocking(move || child.wait()),
    )
    .await
    .expect("the server exits within 20 s of SIGTERM")
    .expect("join")
    .expect("wait");
    assert!(exit.success(), "exit status {exit:?}");
    guard.0 = None; // exited: nothing to kill (and the pid may be reused)
    let mut saw_shutdown = false;
    while let Ok(Some(line)) = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
        saw_shutdown |= line.contains("shutdown requested");
    }
    assert!(saw_shutdown);
}

/// Kills a child process (by pid) if the test fails before it exits.
struct KillOnDrop(Option<u32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Graceful shutdown finishes a request that is already in flight: its body arrives only after the stop
/// began, and it still gets its answer and its write, while new connections are no longer accepted.
///
/// "In flight" must mean the server has started the request: a head still unread in the socket buffer
/// when the stop begins is not served (actix drains only the current request). `Expect: 100-continue`
/// makes the server say so: its `100 Continue` comes once the request is being handled.
#[tokio::test]
async fn shutdown_finishes_an_in_flight_write_and_stops_accepting() {
    let app = spawn_app().await;
    let port = app.port;
    let user = crate::support::app::TestUser::generate();
    let body =
        json!({"email": user.email, "password": user.password, "name": user.name}).to_string();
    let mut conn = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let head = format!(
        "POST /api/auth/signup HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\
         Connection: close\r\n\r\n",
        app.address,
        body.len()
    );
    conn.write_all(head.as_bytes()).await.expect("head sent");
    let mut interim = [0u8; 25];
    tokio::time::timeout(Duration::from_secs(10), conn.read_exact(&mut interim))
        .await
        .expect("100 Continue in time")
        .expect("read");
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");

    let users = app.db.store().collection::<mongodb::bson::Document>("user");
    let shutdown = tokio::spawn(app.shutdown());
    // the listener closes: a new connection is refused (polled with a deadline)
    eventually(
        "still accepting connections after shutdown began",
        Duration::from_secs(10),
        || async move { TcpStream::connect(("127.0.0.1", port)).await.is_err() },
    )
    .await;
    assert!(
        !shutdown.is_finished(),
        "stopped before the in-flight request ended"
    );

    conn.write_all(body.as_bytes())
        .await
        .expect("body sent after the stop began");
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(10), conn.read_to_string(&mut response))
        .await
        .expect("answered in time")
        .expect("read");
    let status_line = response.lines().next().unwrap_or_default();
    assert!(status_line.starts_with("HTTP/1.1 20"), "{response}");
    let stored = users
        .count_documents(mongodb::bson::doc! { "email": &user.email })
        .await
        .expect("count");
    assert_eq!(stored, 1, "the in-flight sign-up was written");
    shutdown
        .await
        .expect("join")
        .expect("server stopped cleanly");
}

/// A bad value from the environment is refused in one line naming the variable (clap alone printed
/// three lines naming only the flag).
#[test]
fn a_bad_value_in_the_environment_is_one_line_naming_the_variable() {
    let output = compass()
        .args(["serve"])
        .env("COMPASS_SSE_HEARTBEAT_SECS", "soon")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("compass: "), "{stderr}");
    assert!(stderr.contains("COMPASS_SSE_HEARTBEAT_SECS"), "{stderr}");
    assert!(stderr.contains("soon"), "{stderr}");

    let output = compass()
        .args(["serve", "--no-such-flag"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");

    let help = compass().args(["serve", "--help"]).output().expect("runs");
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--bind"));
}

/// With a session cookie, a data route whose database is away is 503 JSON (not a 401 that would sign
/// the tab out, not a 500), also for writes; when the database returns, the same session works again.
#[tokio::test]
async fn data_routes_are_503_json_while_the_database_is_away_and_recover() {
    let db = TestDb::new().await; // only for the database server's address
    let (proxy, uri) = DbProxy::in_front_of(db.uri());
    let app = spawn_app_with(|s| {
        s.database.uri = Secret::new(uri.clone());
        s.database.selection_timeout = Duration::from_secs(1);
    })
    .await;
    let (client, _user, _id) = app.signed_in_client().await;
    let list = || async {
        let response = client
            .get(app.url("/api/event?someday=true"))
            .send()
            .await
            .expect("sent");
        crate::support::app::json_of(response).await
    };
    assert_eq!(list().await.0, 200);

    proxy.cut();
    let (status, body) = list().await;
    assert_eq!(status, 503, "{body}");
    assert!(body["message"].is_string(), "{body}");
    let event = json!({
        "title": "while away", "startDate": "2025-03-01", "endDate": "2025-03-02",
        "isAllDay": true, "isSomeday": true, "priority": "unassigned", "origin": "compass",
    });
    let response = client
        .post(app.url("/api/event"))
        .json(&event)
        .send()
        .await
        .expect("sent");
    let (status, body) = crate::support::app::json_of(response).await;
    assert_eq!(status, 503, "{body}");

    proxy.restore();
    let list = &list;
    eventually(
        "the data route did not recover",
        Duration::from_secs(30),
        || async move {
            let (status, _) = list().await;
            if status != 200 {
                assert_eq!(status, 503, "only 503 while recovering");
            }
            status == 200
        },
    )
    .await;
}

/// A migration that fails at start-up stops the server: one line naming the migration, non-zero exit,
/// nothing recorded; `compass migrate` says the same.
#[tokio::test]
async fn a_failing_migration_stops_start_up_with_one_line_naming_it() {
    let db = TestDb::new().await;
    // an index of the same name but another key: createIndexes of 0001 cannot succeed
    db.store()
        .database()
        .run_command(mongodb::bson::doc! {
            "createIndexes": "user",
            "indexes": [{ "key": { "name": 1 }, "name": "email_unique" }],
        })
        .await
        .expect("conflicting index created");
    for subcommand in ["serve", "migrate"] {
        let mut cmd = compass();
        cmd.arg(subcommand);
        if subcommand == "serve" {
            cmd.args(["--bind", "127.0.0.1:0"]);
        }
        let output = cmd
            .args(["--mongodb-uri", db.uri(), "--database", db.name()])
            .output()
            .expect("runs");
        assert!(!output.status.success(), "{subcommand} exited 0");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.trim().lines().last().expect("a line");
        assert!(
            last.starts_with("compass: migration 0001_initial_indexes failed at step 1"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!stderr.contains("listening"), "{stderr}");
    }
    let recorded = db
        .store()
        .collection::<mongodb::bson::Document>("migrations")
        .count_documents(mongodb::bson::doc! {})
        .await
        .expect("count");
    assert_eq!(recorded, 0);
}
