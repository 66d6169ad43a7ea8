//! The one application builder, used by `main` and by the integration tests.
//!
//! [`Application::build`] connects to MongoDB, applies migrations (unless disabled), binds the listener
//! (port 0 picks a free port) and assembles the actix-web server around the shared [`AppState`] (defined in
//! `crate::state`, re-exported here for callers of the old path).
//! [`Application::run_until_stopped`] serves until SIGTERM/SIGINT (or a [`ShutdownHandle`]) and then shuts
//! down gracefully: stop accepting, end every SSE stream cleanly, let in-flight requests finish, and stop
//! the sync worker (its current unit of work finishes or is abandoned uncommitted, leases released; see
//! `crate::sync`). [`Application::run`] returns only once the worker has ended (or the shutdown timeout
//! passed).

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpServer};

use crate::accounts::password::PasswordWork;
use crate::accounts::session::SessionCache;
use crate::http::body_limit::reject_oversized_bodies;
use crate::http::error::{json_error, path_error, query_error};
use crate::relay::{MongoFanout, Relay};
use crate::settings::{DatabaseSettings, Settings, SettingsError};
use crate::sse::Hub;
pub use crate::state::AppState;
use crate::store::migrate::{MigrationError, MigrationReport};
use crate::store::{Store, StoreConfig, StoreError};
use crate::sync::SyncEngine;
use crate::telemetry;

/// Why the server could not start. `Display` is the one line printed before exiting non-zero.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Bad configuration.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// MongoDB could not be reached or used (the message names the host, never the password).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A migration failed.
    #[error(transparent)]
    Migration(#[from] MigrationError),
    /// The listen address could not be bound.
    #[error("cannot listen on {bind}: {source}")]
    Bind {
        /// The configured address.
        bind: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A built server, bound and ready to run.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    relay: Option<Arc<Relay>>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// Triggers the same graceful shutdown as SIGTERM (used by tests and embedders).
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    server: ServerHandle,
    hub: Hub,
    relay: Option<Arc<Relay>>,
    sync: SyncEngine,
}

impl ShutdownHandle {
    /// Ends every SSE stream, tells the sync worker to stop, stops accepting, waits for in-flight requests
    /// (up to the shutdown timeout). The server future must be running elsewhere (e.g. a spawned `run`,
    /// which then also waits for the sync worker).
    pub async fn shutdown(&self) {
        self.hub.close();
        if let Some(relay) = &self.relay {
            relay.stop();
        }
        self.sync.stop();
        self.server.stop(true).await;
    }
}

/// Connects to the configured database.
pub async fn connect_store(database: &DatabaseSettings) -> Result<Store, StoreError> {
    let mut config = StoreConfig::new(database.uri.expose(), database.name.clone());
    config.max_pool_size = database.pool_size;
    config.connect_timeout = database.connect_timeout;
    config.server_selection_timeout = database.selection_timeout;
    Store::connect(&config).await
}

/// Applies pending migrations (safe to run twice) and logs what was done.
pub async fn run_migrations(store: &Store) -> Result<MigrationReport, StartupError> {
    let report = crate::store::migrate::run(store).await?;
    tracing::info!(
        applied = ?report.applied,
        already_applied = report.already_applied.len(),
        "migrations checked"
    );
    for name in &report.changed {
        tracing::warn!(migration = %name, "an applied migration's file changed since it ran (not re-run)");
    }
    Ok(report)
}

impl Application {
    /// Connects to MongoDB, migrates (unless disabled) and binds the listener.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let store = connect_store(&settings.database).await?;
        if settings.run_migrations {
            run_migrations(&store).await?;
        }
        Self::build_with_store(settings, store)
    }

    /// Binds the listener and assembles the server around an existing store.
    /// A public URL with port 0 (the default when binding port 0) is completed with the bound port.
    pub fn build_with_store(mut settings: Settings, store: Store) -> Result<Self, StartupError> {
        let bind = settings.bind.clone();
        let bind_error = |source| StartupError::Bind {
            bind: bind.clone(),
            source,
        };
        let listener = TcpListener::bind(&settings.bind).map_err(bind_error)?;
        let port = listener.local_addr().map_err(bind_error)?.port();
        if settings.public_url.port() == Some(0) {
            let _ = settings.public_url.set_port(Some(port));
        }
        let (hub, relay) = if settings.sse.fanout {
            let (fanout, pending) = MongoFanout::new();
            let hub = Hub::with_fanout(settings.sse, fanout);
            let relay = Relay::start(pending, &store, &hub);
            (hub, Some(Arc::new(relay)))
        } else {
            (Hub::new(settings.sse), None)
        };
        let sessions = SessionCache::new(settings.sse.cache_ttl);
        let shutdown_timeout = settings.shutdown_timeout.as_secs();
        let workers = settings.workers;
        let settings = Arc::new(settings);
        let sync = SyncEngine::new(store.clone(), hub.clone(), settings.clone());
        sync.start();
        let state = AppState {
            settings,
            store,
            hub,
            passwords: PasswordWork::for_this_machine(),
            sessions,
            sync,
        };
        let data = web::Data::new(state.clone());
        let mut server = HttpServer::new(move || {
            let limit = data.settings.body_limit;
            App::new()
                .app_data(data.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(limit)
                        .error_handler(move |e, req| json_error(e, req, limit)),
                )
                .app_data(web::PayloadConfig::new(limit))
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .app_data(web::PathConfig::default().error_handler(path_error))
                .configure(crate::http::routes)
                .configure(crate::http::web_app::routes(
                    data.settings.web_dir.as_deref(),
                ))
                .default_service(web::to(crate::http::not_found))
                // (CSRF and other middleware go here, *above* these two lines: the last `wrap` is outermost.)
                .wrap(crate::http::csrf::CsrfProtection::new(
                    &data.settings.public_url,
                ))
                .wrap(from_fn(reject_oversized_bodies))
                // Compresses what the client accepts; the SSE stream opts out with `identity`.
                .wrap(Compress::default())
                .wrap(crate::http::security_headers::default_headers())
                .wrap(from_fn(telemetry::request_span))
        })
        .listen(listener)
        .map_err(bind_error)?
        .disable_signals()
        // A client that closes its side is gone: drop its response at once, which unregisters an SSE
        // stream immediately instead of at the next heartbeat write.
        .h1_allow_half_closed(false)
        .shutdown_timeout(shutdown_timeout);
        if let Some(workers) = workers {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            server: server.run(),
            state,
            relay,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (tests publish through `app_state().hub`).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// A handle that triggers graceful shutdown.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            server: self.server.handle(),
            hub: self.state.hub.clone(),
            relay: self.relay.clone(),
            sync: self.state.sync.clone(),
        }
    }

    /// Serves until a [`ShutdownHandle`] stops it, then waits for the sync worker to end (up to the
    /// shutdown timeout). Installs no signal handlers, so an embedding process (the tests) keeps the
    /// default reaction to SIGINT/SIGTERM and can always be interrupted.
    pub async fn run(self) -> std::io::Result<()> {
        let sync = self.state.sync.clone();
        let patience = self.state.settings.shutdown_timeout;
        let result = self.server.await;
        sync.stopped(patience).await;
        result
    }

    /// Serves until SIGTERM/SIGINT or a [`ShutdownHandle`], then shuts down gracefully.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.shutdown_handle();
        let patience = self.state.settings.shutdown_timeout;
        let server = self.server;
        tokio::pin!(server);
        tokio::select! {
            result = &mut server => return result,
            () = shutdown_signal() => {}
        }
        tracing::info!("shutdown requested: closing SSE streams and finishing in-flight requests");
        handle.hub.close();
        if let Some(relay) = &handle.relay {
            relay.stop();
        }
        handle.sync.stop();
        // The stop command is sent at once; the server future (polled below) carries it out.
        let stopped = handle.server.stop(true);
        let result = server.await;
        stopped.await;
        handle.sync.stopped(patience).await;
        result
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
