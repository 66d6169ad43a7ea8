//! `spawn_app()`: the real application on 127.0.0.1 port 0 with its own database, and a client for it.
//!
//! The client keeps cookies and sends `Origin: <app base URL>` on every request (as a browser on the app's
//! own page would), so CSRF checks pass unless a test removes it. [`TestApp::open_stream`] reads
//! `GET /api/events/stream` as raw bytes and parses SSE frames itself, every read bounded by a deadline.
//! Dropping a `TestApp` stops its server.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::time::Duration;

use compass_backend::app::{AppState, Application, ShutdownHandle};
use compass_backend::settings::Settings;
use futures::StreamExt as _;
use reqwest::header::{HeaderMap, HeaderValue, ORIGIN};
use serde_json::{json, Value};

use super::db::TestDb;

/// How long a single read from a stream may take before the test fails.
pub const STREAM_DEADLINE: Duration = Duration::from_secs(10);

/// A running application for one test.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The bound port.
    pub port: u16,
    /// This test's database.
    pub db: TestDb,
    /// A cookie-keeping client that sends the app's `Origin`.
    pub client: reqwest::Client,
    state: AppState,
    shutdown: ShutdownHandle,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// Spawns the app with default test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns the app after letting the test adjust the settings.
pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    let db = TestDb::new().await;
    let mut settings = Settings::local("127.0.0.1:0", db.uri(), db.name());
    settings.workers = Some(1);
    settings.shutdown_timeout = Duration::from_secs(5);
    customize(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("the application builds");
    let port = app.port();
    let address = format!("http://127.0.0.1:{port}");
    let state = app.state().clone();
    let shutdown = app.shutdown_handle();
    // `run`, not `run_until_stopped`: no signal handlers in the test process (Ctrl-C must still kill it).
    let server = tokio::spawn(app.run());
    let client = client_for(&address);
    TestApp {
        address,
        port,
        db,
        client,
        state,
        shutdown,
        server: Some(server),
    }
}

/// A fresh browser-like client (own cookie jar) for the app at `address`.
pub fn client_for(address: &str) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(ORIGIN, HeaderValue::from_str(address).unwrap());
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A test user's credentials.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// Email.
    pub email: String,
    /// Password.
    pub password: String,
    /// Display name.
    pub name: String,
}

impl TestUser {
    /// A unique user.
    pub fn generate() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        Self {
            email: format!("user-{}@example.test", &id[..12]),
            password: format!("correct horse {}", &id[12..]),
            name: "Test User".into(),
        }
    }
}

impl TestApp {
    /// The shared application state (tests may publish through `app_state().hub`).
    pub fn app_state(&self) -> &AppState {
        &self.state
    }

    /// Full URL of an `/api/...` path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// GET with the default client.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// GET, expecting JSON back: (status, body).
    pub async fn get_json(&self, path: &str) -> (reqwest::StatusCode, Value) {
        json_of(self.get(path).await).await
    }

    /// POST a JSON body: (status, body or `null` when empty).
    pub async fn post_json(&self, path: &str, body: &Value) -> (reqwest::StatusCode, Value) {
        json_of(
            self.client
                .post(self.url(path))
                .json(body)
                .send()
                .await
                .expect("request sent"),
        )
        .await
    }

    /// `POST /api/auth/signup` with the default client (which then holds the session cookie).
    pub async fn signup(&self, user: &TestUser) -> (reqwest::StatusCode, Value) {
        self.signup_with(&self.client, user).await
    }

    /// `POST /api/auth/signup` with a given client.
    pub async fn signup_with(
        &self,
        client: &reqwest::Client,
        user: &TestUser,
    ) -> (reqwest::StatusCode, Value) {
        let body = json!({"email": user.email, "password": user.password, "name": user.name});
        json_of(
            client
                .post(self.url("/api/auth/signup"))
                .json(&body)
                .send()
                .await
                .expect("sent"),
        )
        .await
    }

    /// `POST /api/auth/signin` with a given client.
    pub async fn signin_with(
        &self,
        client: &reqwest::Client,
        user: &TestUser,
    ) -> (reqwest::StatusCode, Value) {
        let body = json!({"email": user.email, "password": user.password});
        json_of(
            client
                .post(self.url("/api/auth/signin"))
                .json(&body)
                .send()
                .await
                .expect("sent"),
        )
        .await
    }

    /// `POST /api/auth/signout` with a given client.
    pub async fn signout_with(&self, client: &reqwest::Client) -> reqwest::StatusCode {
        client
            .post(self.url("/api/auth/signout"))
            .send()
            .await
            .expect("sent")
            .status()
    }

    /// A new client (own cookie jar) signed up as a fresh user, and that user's id.
    pub async fn signed_in_client(&self) -> (reqwest::Client, TestUser, String) {
        let client = client_for(&self.address);
        let user = TestUser::generate();
        let (status, _) = self.signup_with(&client, &user).await;
        assert!(status.is_success(), "signup failed: {status}");
        let (status, session) = json_of(
            client
                .get(self.url("/api/auth/session"))
                .send()
                .await
                .expect("sent"),
        )
        .await;
        assert!(status.is_success(), "session lookup failed: {status}");
        let user_id = session["userId"]
            .as_str()
            .expect("userId in session")
            .to_owned();
        (client, user, user_id)
    }

    /// Opens `GET /api/events/stream` with the default client; panics unless it answers 200 `text/event-stream`.
    pub async fn open_stream(&self) -> SseReader {
        self.open_stream_with(&self.client, None).await
    }

    /// Opens the stream with a given client and optional `Last-Event-ID`.
    pub async fn open_stream_with(
        &self,
        client: &reqwest::Client,
        last_event_id: Option<&str>,
    ) -> SseReader {
        let response = self.stream_response(client, last_event_id).await;
        assert_eq!(response.status(), 200, "stream refused");
        let content_type = response
            .headers()
            .get("content-type")
            .expect("content type");
        assert!(content_type
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        SseReader::new(response)
    }

    /// The raw response of `GET /api/events/stream` (for status checks).
    pub async fn stream_response(
        &self,
        client: &reqwest::Client,
        last_event_id: Option<&str>,
    ) -> reqwest::Response {
        let mut request = client
            .get(self.url("/api/events/stream"))
            .header("accept", "text/event-stream")
            .timeout(Duration::from_secs(3600));
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        request.send().await.expect("request sent")
    }

    /// Graceful shutdown (as on SIGTERM); returns what `run_until_stopped` returned.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        self.shutdown.shutdown().await;
        let server = self.server.take().expect("running");
        tokio::time::timeout(Duration::from_secs(15), server)
            .await
            .expect("server stops within the deadline")
            .expect("server task did not panic")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            // Best effort without awaiting: end streams, tell actix to stop, abort the task.
            self.state.hub.close();
            let shutdown = self.shutdown.clone();
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move { shutdown.shutdown().await });
            }
            server.abort();
        }
    }
}

/// Reads the response as JSON (`null` for an empty body).
pub async fn json_of(response: reqwest::Response) -> (reqwest::StatusCode, Value) {
    let status = response.status();
    let bytes = response.bytes().await.expect("body read");
    if bytes.is_empty() {
        return (status, Value::Null);
    }
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("not JSON ({status}): {}", String::from_utf8_lossy(&bytes)));
    (status, value)
}

/// One parsed SSE block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseFrame {
    /// `id`, `event`, `data` (multiple data lines joined by `\n`).
    Event {
        /// The `id:` field.
        id: Option<String>,
        /// The `event:` field.
        name: Option<String>,
        /// The `data:` lines.
        data: String,
    },
    /// A `: comment` block (e.g. `keepalive`).
    Comment(String),
    /// A `retry:` block.
    Retry(String),
}

impl SseFrame {
    /// The event name, for events.
    pub fn name(&self) -> Option<&str> {
        match self {
            SseFrame::Event { name, .. } => name.as_deref(),
            _ => None,
        }
    }

    /// The event id, for events.
    pub fn id(&self) -> Option<&str> {
        match self {
            SseFrame::Event { id, .. } => id.as_deref(),
            _ => None,
        }
    }

    /// The data parsed as JSON, for events.
    pub fn json(&self) -> Value {
        match self {
            SseFrame::Event { data, .. } => serde_json::from_str(data).expect("data is JSON"),
            other => panic!("not an event: {other:?}"),
        }
    }
}

/// What a read from the stream produced.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    /// A frame.
    Frame(SseFrame),
    /// The server closed the stream cleanly.
    End,
    /// Nothing within the deadline.
    Timeout,
}

/// A raw SSE reader over a streaming response.
pub struct SseReader {
    headers: reqwest::header::HeaderMap,
    body: futures::stream::BoxStream<'static, reqwest::Result<Vec<u8>>>,
    buffer: String,
}

impl SseReader {
    fn new(response: reqwest::Response) -> Self {
        Self {
            headers: response.headers().clone(),
            body: response
                .bytes_stream()
                .map(|r| r.map(|b| b.to_vec()))
                .boxed(),
            buffer: String::new(),
        }
    }

    /// The response headers.
    pub fn headers(&self) -> &reqwest::header::HeaderMap {
        &self.headers
    }

    /// The next frame, the end of the stream, or a timeout after `deadline`.
    pub async fn read(&mut self, deadline: Duration) -> Read {
        let until = tokio::time::Instant::now() + deadline;
        loop {
            if let Some(frame) = self.take_frame() {
                return Read::Frame(frame);
            }
            match tokio::time::timeout_at(until, self.body.next()).await {
                Err(_) => return Read::Timeout,
                Ok(None) => return Read::End,
                Ok(Some(Err(e))) => panic!("stream broke (not a clean end): {e}"),
                Ok(Some(Ok(bytes))) => self
                    .buffer
                    .push_str(std::str::from_utf8(&bytes).expect("utf-8")),
            }
        }
    }

    /// The next frame; panics on end or timeout ([`STREAM_DEADLINE`]).
    pub async fn next_frame(&mut self) -> SseFrame {
        match self.read(STREAM_DEADLINE).await {
            Read::Frame(frame) => frame,
            other => panic!("expected a frame, got {other:?}"),
        }
    }

    /// The next named event, skipping comments; panics on end or timeout.
    pub async fn next_event(&mut self) -> SseFrame {
        loop {
            let frame = self.next_frame().await;
            if matches!(frame, SseFrame::Event { .. }) {
                return frame;
            }
        }
    }

    /// Asserts that no named event arrives within `window` (comments are allowed).
    pub async fn expect_no_event(&mut self, window: Duration) {
        let until = tokio::time::Instant::now() + window;
        loop {
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return;
            }
            match self.read(left).await {
                Read::Timeout => return,
                Read::Frame(SseFrame::Comment(_)) => {}
                other => panic!("expected no event, got {other:?}"),
            }
        }
    }

    fn take_frame(&mut self) -> Option<SseFrame> {
        let end = self.buffer.find("\n\n")?;
        let block: String = self.buffer[..end].to_owned();
        self.buffer.drain(..end + 2);
        let (mut id, mut name, mut data, mut comment, mut retry) =
            (None, None, Vec::new(), None, None);
        for line in block.lines() {
            let (field, value) = match line.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (line, ""),
            };
            match field {
                "" => comment = Some(value.to_owned()),
                "id" => id = Some(value.to_owned()),
                "event" => name = Some(value.to_owned()),
                "data" => data.push(value.to_owned()),
                "retry" => retry = Some(value.to_owned()),
                other => panic!("unexpected SSE field {other:?} in {block:?}"),
            }
        }
        if name.is_some() || id.is_some() || !data.is_empty() {
            Some(SseFrame::Event {
                id,
                name,
                data: data.join("\n"),
            })
        } else if let Some(retry) = retry {
            Some(SseFrame::Retry(retry))
        } else {
            Some(SseFrame::Comment(comment.unwrap_or_default()))
        }
    }
}
