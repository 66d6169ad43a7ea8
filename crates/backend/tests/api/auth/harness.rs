//! The account tests' harness: the real application on a random port with its own database (and, when
//! asked, its own Google emulator), a plain HTTP client that does not follow redirects, and explicit cookie
//! handling so tests can inspect, drop and replay cookies.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::time::Duration;

use compass_backend::app::{Application, ShutdownHandle};
use compass_backend::settings::{GoogleSettings, Secret, SecretKey, Settings};
use compass_backend::store::Store;
use gcal_emulator::control::ControlClient;
use gcal_emulator::{Emulator, EmulatorConfig, RunningEmulator};
use reqwest::header::{HeaderMap, COOKIE, ORIGIN, SET_COOKIE};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::support::db::TestDb;

/// The public base URL the test server believes it has (the client connects to 127.0.0.1:port).
pub const PUBLIC_URL: &str = "http://compass.test";
/// Its origin, sent as `Origin` by default.
pub const PUBLIC_ORIGIN: &str = "http://compass.test";
/// Refresh-token encryption key of the test server.
pub const ENCRYPTION_KEY: [u8; 32] = [42u8; 32];
/// OAuth client registered with the emulator.
pub const CLIENT_ID: &str = "compass-test-client";
/// Its secret.
pub const CLIENT_SECRET: &str = "compass-test-secret";

/// What a test needs from the server.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Start a Google emulator and configure Google against it.
    pub google: bool,
}

/// A running server for one test.
pub struct AccountsApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// Client without cookie store and without redirects.
    pub http: reqwest::Client,
    /// This test's database.
    pub db: TestDb,
    /// The emulator, with [`Options::google`].
    pub emulator: Option<RunningEmulator>,
    shutdown: Option<ShutdownHandle>,
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

impl AccountsApp {
    /// Spawns the application with its own database.
    pub async fn spawn(options: Options) -> AccountsApp {
        let db = TestDb::new().await;
        let store = db.store();
        compass_backend::app::run_migrations(&store)
            .await
            .expect("migrations");
        let mut settings = Settings::local("127.0.0.1:0", db.uri(), db.name());
        settings.public_url = url::Url::parse(PUBLIC_URL).unwrap();
        settings.workers = Some(1);
        settings.encryption_key = SecretKey::new(ENCRYPTION_KEY);
        let emulator = if options.google {
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
        let app = Application::build_with_store(settings, store).expect("app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let shutdown = app.shutdown_handle();
        tokio::spawn(app.run());
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        AccountsApp {
            address,
            http,
            db,
            emulator,
            shutdown: Some(shutdown),
        }
    }

    /// The store of this test's database.
    pub fn store(&self) -> Store {
        self.db.store()
    }

    /// The emulator's control client.
    pub fn control(&self) -> ControlClient {
        ControlClient::new(
            self.emulator
                .as_ref()
                .expect("spawned with google")
                .base_url(),
        )
    }

    /// Any request: `Origin` is the public origin unless `origin` says otherwise (`Some(None)` = none).
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        cookie: Option<&CookiePair>,
        origin: Option<Option<&str>>,
    ) -> Response {
        let mut request = self.http.request(method, format!("{}{path}", self.address));
        if let Some(origin) = origin.unwrap_or(Some(PUBLIC_ORIGIN)) {
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
    pub async fn post(&self, path: &str, body: &Value, cookie: Option<&CookiePair>) -> Response {
        self.request(Method::POST, path, Some(body), cookie, None)
            .await
    }

    /// `GET path` with an optional cookie.
    pub async fn get(&self, path: &str, cookie: Option<&CookiePair>) -> Response {
        self.request(Method::GET, path, None, cookie, None).await
    }

    /// Signs up; returns the response.
    pub async fn signup_raw(&self, email: &str, password: &str, name: &str) -> Response {
        self.post(
            "/api/auth/signup",
            &json!({"email": email, "password": password, "name": name}),
            None,
        )
        .await
    }

    /// Signs up successfully; returns the user id and the session cookie.
    pub async fn signup(&self, email: &str, password: &str, name: &str) -> (String, CookiePair) {
        let response = self.signup_raw(email, password, name).await;
        assert_eq!(response.status(), StatusCode::OK, "signup of {email}");
        let cookie = cookie_pair(response.headers(), "compass_session").expect("session cookie");
        let body: Value = response.json().await.unwrap();
        (body["userId"].as_str().unwrap().to_owned(), cookie)
    }

    /// Signs in; returns the response.
    pub async fn signin_raw(&self, email: &str, password: &str) -> Response {
        self.post(
            "/api/auth/signin",
            &json!({"email": email, "password": password}),
            None,
        )
        .await
    }

    /// `GET` and JSON body with status.
    pub async fn get_json(&self, path: &str, cookie: Option<&CookiePair>) -> (StatusCode, Value) {
        let response = self.get(path, cookie).await;
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `POST` and JSON body with status.
    pub async fn post_json(
        &self,
        path: &str,
        body: &Value,
        cookie: Option<&CookiePair>,
    ) -> (StatusCode, Value) {
        let response = self.post(path, body, cookie).await;
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Stops the server and the emulator.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            shutdown.shutdown().await;
        }
        if let Some(emulator) = self.emulator.take() {
            emulator.stop().await;
        }
    }
}

impl Drop for AccountsApp {
    /// A test that panicked before `stop` still asks its server to stop, without blocking (the server's
    /// task lives on the test runtime; the emulator stops itself when dropped).
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move { shutdown.shutdown().await });
            }
        }
    }
}
