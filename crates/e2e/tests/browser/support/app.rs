//! The real application, in process, on 127.0.0.1 port 0 with a database of its own and the built web
//! app (`web/dist`) as `COMPASS_WEB_DIR`. Built through the backend's public `Application::build`.

use std::path::PathBuf;
use std::time::Duration;

use compass_backend::app::{Application, ShutdownHandle};
use compass_backend::settings::Settings;

use super::db;

/// A running application; dropping it stops the server.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    shutdown: ShutdownHandle,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// `web/dist`, checked: the tests fail (never skip) when the app was not built.
pub fn web_dist() -> PathBuf {
    let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web/dist");
    let wasm = dist.join("compass_web_bg.wasm");
    assert!(
        dist.join("index.html").is_file() && wasm.is_file(),
        "the web app is not built ({} is missing): run `bash scripts/build-web.sh` first \
         (scripts/test.sh does it)",
        wasm.display()
    );
    dist
}

/// Starts the application.
pub async fn spawn_app() -> TestApp {
    let web_dir = web_dist();
    let server = db::server();
    let mut settings = Settings::local("127.0.0.1:0", server.uri.clone(), db::unique_db_name());
    settings.workers = Some(1);
    settings.shutdown_timeout = Duration::from_secs(2);
    settings.web_dir = Some(web_dir);
    let app = Application::build(settings)
        .await
        .unwrap_or_else(|e| panic!("the application does not start: {e}"));
    let address = format!("http://127.0.0.1:{}", app.port());
    let shutdown = app.shutdown_handle();
    let server = tokio::spawn(app.run());
    TestApp {
        address,
        shutdown,
        server: Some(server),
    }
}

impl TestApp {
    /// The URL of a path of the app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
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
