//! `spawn_app()`: the real application on 127.0.0.1 port 0 with its own database, and clients for it. The one
//! test harness of this crate; options are builder methods on [`spawn_app`]:
//!
//! - `spawn_app().await`: default test settings;
//! - `.with_google()`: a Google emulator of its own on port 0, with Google configured against it;
//! - `.with_public_url(PUBLIC_URL)`: the app believes it is served at that URL (cookies, redirects, CSRF
//!   origin) while the clients connect to 127.0.0.1;
//! - `.with_settings(|settings| ..)`: any other setting.
//!
//! Two kinds of client: [`TestApp::client`] keeps cookies and sends `Origin: <public origin>` on every request
//! (as a browser on the app's own page would), so CSRF checks pass unless a test removes it; [`TestApp::http`]
//! keeps no cookies and follows no redirects, for tests that inspect, drop and replay cookies by hand
//! (`request`, `get_with_cookie`, `post_json_with_cookie`, `signup_cookie`, ...).
//! [`TestApp::open_stream`] reads `GET /api/events/stream` as raw bytes and parses SSE frames itself, every
//! read bounded by a deadline. Dropping a `TestApp` stops its server (and its emulator).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use compass_backend::app::{AppState, Application, ShutdownHandle};
use compass_backend::settings::{GoogleSettings, Secret, SecretKey, Settings};
use compass_backend::store::Store;
use futures::StreamExt as _;
use gcal_emulator::control::ControlClient;
use gcal_emulator::{Emulator, EmulatorConfig, RunningEmulator};
use reqwest::header::{HeaderMap, HeaderValue, COOKIE, ORIGIN, SET_COOKIE};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use super::db::TestDb;

/// How long a single read from a stream may take before the test fails.
pub const STREAM_DEADLINE: Duration = Duration::from_secs(10);
/// A public base URL for [`TestAppBuilder::with_public_url`] (the client connects to 127.0.0.1:port).
pub const PUBLIC_URL: &str = "http://compass.test";
/// Its origin.
pub const PUBLIC_ORIGIN: &str = "http://compass.test";
/// Refresh-token encryption key of every test server.
pub const ENCRYPTION_KEY: [u8; 32] = [42u8; 32];
/// OAuth client registered with the emulator ([`TestAppBuilder::with_google`]).
pub const CLIENT_ID: &str = "compass-test-client";
/// Its secret.
pub const CLIENT_SECRET: &str = "compass-test-secret";

/// A running application for one test.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The bound port.
    pub port: u16,
    /// This test's database.
    pub db: TestDb,
    /// A cookie-keeping client that sends the app's public `Origin`.
    pub client: reqwest::Client,
    /// A client without cookie store and without redirects (cookies and `Origin` passed by hand).
    pub http: reqwest::Client,
    /// The emulator, with [`TestAppBuilder::with_google`].
    pub emulator: Option<RunningEmulator>,
    /// The origin of the app's public URL (sent as `Origin` by default).
    pub origin: String,
    state: AppState,
    shutdown: ShutdownHandle,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// A settings adjustment a test asks for.
type Customize<'a> = Box<dyn FnOnce(&mut Settings) + 'a>;

/// How [`spawn_app`] builds the app; `.await` it to spawn.
#[must_use = "await it to spawn the app"]
pub struct TestAppBuilder<'a> {
    google: bool,
    public_url: Option<String>,
    customize: Vec<Customize<'a>>,
}

/// The app with default test settings; add options before awaiting it (see the module docs).
pub fn spawn_app() -> TestAppBuilder<'static> {
    TestAppBuilder {
        google: false,
        public_url: None,
        customize: Vec::new(),
    }
}

/// Spawns the app after letting the test adjust the settings (`spawn_app().with_settings(..)`).
pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app().with_settings(customize).await
}

impl<'a> TestAppBuilder<'a> {
    /// Starts a Google emulator for this test and configures Google (client id and secret) against it.
    pub fn with_google(mut self) -> Self {
        self.google = true;
        self
    }

    /// The app believes it is served at `url` (e.g. [`PUBLIC_URL`]).
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = Some(url.to_owned());
        self
    }

    /// Adjusts any setting (after the defaults and the other options).
    pub fn with_settings<'b>(self, customize: impl FnOnce(&mut Settings) + 'b) -> TestAppBuilder<'b>
    where
        'a: 'b,
    {
        let mut customizers: Vec<Customize<'b>> = Vec::new();
        for earlier in self.customize {
            customizers.push(earlier);
        }
        customizers.push(Box::new(customize));
        TestAppBuilder {
            google: self.google,
            public_url: self.public_url,
            customize: customizers,
        }
    }

    async fn spawn(self) -> TestApp {
        super::log::init();
        let db = TestDb::new().await;
        let mut settings = Settings::local("127.0.0.1:0", db.uri(), db.name());
        settings.workers = Some(1);
        settings.shutdown_timeout = Duration::from_secs(5);
        settings.encryption_key = SecretKey::new(ENCRYPTION_KEY);
        if let Some(url) = &self.public_url {
            settings.public_url = url::Url::parse(url).expect("a valid public URL");
        }
        let emulator = if self.google {
            let emulator = Emulator::spawn(EmulatorConfig::default())
                .await
                .expect("emulator starts");
            let base = url::Url::parse(&emulator.base_url()).unwrap();
            let mut google = GoogleSettings::unconfigured().with_base_url(&base);
            google.client_id = Some(CLIENT_ID.into());
            google.client_secret = Some(Secret::new(CLIENT_SECRET));
            settings.google = google;
            Some(emulator)
        } else {
            None
        };
        for customize in self.customize {
            customize(&mut settings);
        }
        start(settings, db, emulator, self.public_url.as_deref()).await
    }
}

/// Builds and runs the application with `settings` on `db` (and `emulator`).
async fn start(
    settings: Settings,
    db: TestDb,
    emulator: Option<RunningEmulator>,
    public_url: Option<&str>,
) -> TestApp {
    {
        let app = Application::build(settings)
            .await
            .expect("the application builds");
        let port = app.port();
        let address = format!("http://127.0.0.1:{port}");
        let origin = match public_url {
            Some(url) => url::Url::parse(url).unwrap().origin().ascii_serialization(),
            None => address.clone(),
        };
        let state = app.state().clone();
        let shutdown = app.shutdown_handle();
        // `run`, not `run_until_stopped`: no signal handlers in the test process (Ctrl-C must still kill it).
        let server = tokio::spawn(app.run());
        let client = client_with_origin(&origin);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        TestApp {
            address,
            port,
            db,
            client,
            http,
            emulator,
            origin,
            state,
            shutdown,
            server: Some(server),
        }
    }
}

impl<'a> IntoFuture for TestAppBuilder<'a> {
    type Output = TestApp;
    type IntoFuture = Pin<Box<dyn Future<Output = TestApp> + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.spawn())
    }
}

/// A cookie value as `name=value`, ready for a `Cookie` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookiePair(pub String);

/// The `Set-Cookie` header for `name`, whole.
pub fn set_cookie_header(response_headers: &HeaderMap, name: &str) -> Option<String> {
    response_headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The `name=value` part of the `Set-Cookie` header for `name`.
pub fn cookie_pair(response_headers: &HeaderMap, name: &str) -> Option<CookiePair> {
    set_cookie_header(response_headers, name)
        .and_then(|h| h.split(';').next().map(|p| CookiePair(p.trim().to_owned())))
}

/// A fresh browser-like client (own cookie jar) for the app at `address`, sending it as `Origin`.
pub fn client_for(address: &str) -> reqwest::Client {
    client_with_origin(address)
}

/// A fresh browser-like client (own cookie jar) sending `origin` as `Origin`.
pub fn client_with_origin(origin: &str) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(ORIGIN, HeaderValue::from_str(origin).unwrap());
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
        let client = client_with_origin(&self.origin);
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

    /// The store of this test's database.
    pub fn store(&self) -> Store {
        self.db.store()
    }

    /// The emulator's control client (with [`TestAppBuilder::with_google`]).
    pub fn control(&self) -> ControlClient {
        ControlClient::new(
            self.emulator
                .as_ref()
                .expect("spawned with google")
                .base_url(),
        )
    }

    /// Any request with [`TestApp::http`]: `Origin` is the public origin unless `origin` says otherwise
    /// (`Some(None)` = none).
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        cookie: Option<&CookiePair>,
        origin: Option<Option<&str>>,
    ) -> Response {
        let mut request = self.http.request(method, self.url(path));
        if let Some(origin) = origin.unwrap_or(Some(&self.origin)) {
            request = request.header(ORIGIN, origin);
        }
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, &cookie.0);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request reaches the app")
    }

    /// `POST path` with a JSON body, the public `Origin` and an optional cookie.
    pub async fn post_with_cookie(
        &self,
        path: &str,
        body: &Value,
        cookie: Option<&CookiePair>,
    ) -> Response {
        self.request(Method::POST, path, Some(body), cookie, None)
            .await
    }

    /// `GET path` with an optional cookie.
    pub async fn get_with_cookie(&self, path: &str, cookie: Option<&CookiePair>) -> Response {
        self.request(Method::GET, path, None, cookie, None).await
    }

    /// Signs up with [`TestApp::http`]; returns the response.
    pub async fn signup_raw(&self, email: &str, password: &str, name: &str) -> Response {
        self.post_with_cookie(
            "/api/auth/signup",
            &json!({"email": email, "password": password, "name": name}),
            None,
        )
        .await
    }

    /// Signs up successfully; returns the user id and the session cookie.
    pub async fn signup_cookie(
        &self,
        email: &str,
        password: &str,
        name: &str,
    ) -> (String, CookiePair) {
        let response = self.signup_raw(email, password, name).await;
        assert_eq!(response.status(), StatusCode::OK, "signup of {email}");
        let cookie = cookie_pair(response.headers(), "compass_session").expect("session cookie");
        let body: Value = response.json().await.unwrap();
        (body["userId"].as_str().unwrap().to_owned(), cookie)
    }

    /// Signs in with [`TestApp::http`]; returns the response.
    pub async fn signin_raw(&self, email: &str, password: &str) -> Response {
        self.post_with_cookie(
            "/api/auth/signin",
            &json!({"email": email, "password": password}),
            None,
        )
        .await
    }

    /// `GET` with an optional cookie: status and JSON body (`null` when not JSON).
    pub async fn get_json_with_cookie(
        &self,
        path: &str,
        cookie: Option<&CookiePair>,
    ) -> (StatusCode, Value) {
        let response = self.get_with_cookie(path, cookie).await;
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `POST` with an optional cookie: status and JSON body (`null` when not JSON).
    pub async fn post_json_with_cookie(
        &self,
        path: &str,
        body: &Value,
        cookie: Option<&CookiePair>,
    ) -> (StatusCode, Value) {
        let response = self.post_with_cookie(path, body, cookie).await;
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Stops the server and the emulator (without waiting for the server task; see [`TestApp::shutdown`]).
    pub async fn stop(mut self) {
        self.shutdown.shutdown().await;
        if let Some(emulator) = self.emulator.take() {
            emulator.stop().await;
        }
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

    /// Stops this server gracefully and starts a new one with the same settings on the same database, the
    /// same emulator and the same port (a server restart or a deploy: what was in memory is gone, the
    /// database remains, Google's watch channels still point at the right address).
    pub async fn restart(mut self) -> TestApp {
        let mut settings = self.state.settings.as_ref().clone();
        settings.bind = format!("127.0.0.1:{}", self.port);
        let emulator = self.emulator.take();
        let public_url = (self.origin != self.address).then(|| self.origin.clone());
        self.shutdown.shutdown().await;
        if let Some(server) = self.server.take() {
            let _ = tokio::time::timeout(Duration::from_secs(15), server).await;
        }
        let db = TestDb::reopen(&mut self.db);
        start(settings, db, emulator, public_url.as_deref()).await
    }

    /// Graceful shutdown of the server only (the emulator and the database stay, e.g. for a second app on
    /// them); returns what `Application::run` returned, which is after the sync worker ended.
    pub async fn stop_server(&mut self) -> std::io::Result<()> {
        self.shutdown.shutdown().await;
        let server = self.server.take().expect("running");
        tokio::time::timeout(Duration::from_secs(15), server)
            .await
            .expect("server stops within the deadline")
            .expect("server task did not panic")
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
    /// Reads the stream of an already sent request.
    pub fn new(response: reqwest::Response) -> Self {
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
