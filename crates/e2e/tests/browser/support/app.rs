//! The real application, in process, on 127.0.0.1 port 0 with a database of its own and the built web
//! app (`web/dist`) as `COMPASS_WEB_DIR`. Built through the backend's public `Application::build`;
//! [`spawn_app_with_google`] also starts a Google emulator (gcal-emulator) and points Google at it.

use std::path::PathBuf;
use std::time::Duration;

use compass_backend::app::{AppState, Application, ShutdownHandle};
use compass_backend::settings::{GoogleSettings, Secret, Settings};
use compass_core::{SseEvent, UserId};
use gcal_emulator::{Emulator, EmulatorConfig, RunningEmulator};

use super::db;

/// A running application; dropping it stops the server.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    port: u16,
    db_name: String,
    google: Option<GoogleSettings>,
    state: AppState,
    shutdown: ShutdownHandle,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// The Google emulator, when started.
    pub emulator: Option<RunningEmulator>,
}

/// `web/dist`, checked: the tests fail (never skip) when the app was not built.
pub fn web_dist() -> PathBuf {
    let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web/dist");
    let has_wasm = std::fs::read_dir(&dist).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().extension().is_some_and(|ext| ext == "wasm"))
    });
    assert!(
        dist.join("index.html").is_file() && has_wasm,
        "the web app is not built (no index.html and .wasm in {}): run `bash scripts/build-web.sh` \
         first (scripts/test.sh does it)",
        dist.display()
    );
    dist
}

fn settings(bind: &str, db_name: &str, google: Option<&GoogleSettings>) -> Settings {
    let mut settings = Settings::local(bind, db::server().uri.clone(), db_name);
    settings.workers = Some(1);
    settings.shutdown_timeout = Duration::from_secs(2);
    settings.web_dir = Some(web_dist());
    if let Some(google) = google {
        settings.google = google.clone();
    }
    settings
}

/// Starts the application.
pub async fn spawn_app() -> TestApp {
    start(None, None).await
}

/// Starts a Google emulator that approves every consent at once as `google_email`, and the application
/// with Google configured against it.
pub async fn spawn_app_with_google(google_email: &str) -> TestApp {
    let emulator = Emulator::spawn(EmulatorConfig {
        auto_approve: Some(google_email.to_owned()),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap_or_else(|e| panic!("the Google emulator does not start: {e}"));
    let base = url::Url::parse(&emulator.base_url())
        .unwrap_or_else(|e| panic!("the emulator's base URL: {e}"));
    let mut google = GoogleSettings::unconfigured().with_base_url(&base);
    google.client_id = Some("compass-e2e.apps.googleusercontent.com".into());
    google.client_secret = Some(Secret::new("compass-e2e-secret"));
    start(Some(google), Some(emulator)).await
}

async fn start(google: Option<GoogleSettings>, emulator: Option<RunningEmulator>) -> TestApp {
    let db_name = db::unique_db_name();
    let app = Application::build(settings("127.0.0.1:0", &db_name, google.as_ref()))
        .await
        .unwrap_or_else(|e| panic!("the application does not start: {e}"));
    let port = app.port();
    let state = app.state().clone();
    let shutdown = app.shutdown_handle();
    let server = tokio::spawn(app.run());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        db_name,
        google,
        state,
        shutdown,
        server: Some(server),
        emulator,
    }
}

impl TestApp {
    /// The URL of a path of the app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Publishes an event to every open stream of `user`, as the server's flows do (e.g. the sync
    /// engine's `GOOGLE_REVOKED`, which no flow can trigger in these tests yet).
    pub fn publish(&self, user: &UserId, event: &SseEvent) {
        self.state.hub.publish(user, event);
    }

    /// Stops the server gracefully (open streams end, the port is released).
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            self.shutdown.shutdown().await;
            let _ = server.await;
        }
    }

    /// Starts the server again on the same port and database (sessions survive, like a restart).
    pub async fn start_again(&mut self) {
        assert!(self.server.is_none(), "the server is still running");
        let bind = format!("127.0.0.1:{}", self.port);
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let app = loop {
            match Application::build(settings(&bind, &self.db_name, self.google.as_ref())).await {
                Ok(app) => break app,
                Err(e) if std::time::Instant::now() < deadline => {
                    eprintln!("restart: {e}; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("the application does not start again on {bind}: {e}"),
            }
        };
        self.state = app.state().clone();
        self.shutdown = app.shutdown_handle();
        self.server = Some(tokio::spawn(app.run()));
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            let shutdown = self.shutdown.clone();
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move { shutdown.shutdown().await });
            }
            server.abort();
        }
    }
}
