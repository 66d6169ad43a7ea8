//! Starting and stopping an emulator: `Emulator::spawn` (tests, port 0 on 127.0.0.1) and `Emulator::bind`
//! (the binary), the `RunningEmulator` handle that stops the server on `stop()` or on drop, and the
//! construction of a fresh store from the configuration's seed.

use std::sync::Mutex;

use actix_web::dev::ServerHandle;
use actix_web::{web, HttpServer};
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::config::{EmulatorConfig, Seed};
use crate::error::EmulatorError;
use crate::http::{app, AppState};
use crate::store::Store;

/// Entry point: starts emulators.
#[derive(Debug)]
pub struct Emulator;

/// A running emulator. Dropping it stops the server.
pub struct RunningEmulator {
    base_url: String,
    handle: ServerHandle,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningEmulator")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// Builds a store holding the configuration's seed, reading `clock`.
pub(crate) fn fresh_store(config: &EmulatorConfig, clock: Clock) -> Result<Store, EmulatorError> {
    let mut store = Store::new(config, clock);
    if let Some(seed) = &config.seed {
        apply_seed(&mut store, seed)?;
    }
    Ok(store)
}

fn apply_seed(store: &mut Store, seed: &Seed) -> Result<(), EmulatorError> {
    let fail = |what: &str, e: crate::error::ApiError| {
        EmulatorError::Seed(format!("{what}: {}", e.message))
    };
    for u in &seed.users {
        let user = store
            .ensure_user(&u.email, u.name.as_deref(), u.time_zone.as_deref())
            .map_err(|e| fail(&u.email, e))?;
        for ev in &u.events {
            store
                .insert_event(&user.email, "primary", ev)
                .map_err(|e| fail("event", e))?;
        }
        for c in &u.calendars {
            let zone = c
                .time_zone
                .clone()
                .or_else(|| u.time_zone.clone())
                .unwrap_or_else(|| "UTC".to_owned());
            let entry = store
                .create_calendar(&user.email, c.id.as_deref(), &c.summary, &zone, false)
                .map_err(|e| fail(&c.summary, e))?;
            let cal_id = entry
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            for ev in &c.events {
                store
                    .insert_event(&user.email, &cal_id, ev)
                    .map_err(|e| fail("event", e))?;
            }
        }
    }
    Ok(())
}

impl Emulator {
    /// Starts an emulator on `127.0.0.1`, on a random free port.
    pub async fn spawn(config: EmulatorConfig) -> Result<RunningEmulator, EmulatorError> {
        Self::bind(config, "127.0.0.1:0").await
    }

    /// Starts an emulator on the given address (`host:port`; port 0 picks a free one).
    pub async fn bind(
        mut config: EmulatorConfig,
        address: &str,
    ) -> Result<RunningEmulator, EmulatorError> {
        if let Some(seed) = &config.seed {
            config.clients.extend(seed.clients.iter().cloned());
        }
        let listener = std::net::TcpListener::bind(address)?;
        let local = listener.local_addr()?;
        let host = if local.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            local.ip().to_string()
        };
        let base_url = format!("http://{host}:{}", local.port());
        let clock = Clock::new();
        let store = fresh_store(&config, clock.clone())?;
        let workers = config.workers.max(1);
        let signer = crate::id_token::IdTokenSigner::new()?;
        let state = web::Data::new(AppState {
            store: Mutex::new(store),
            clock,
            config,
            base_url: base_url.clone(),
            signer,
        });
        let server = HttpServer::new(move || app(state.clone()))
            .on_connect(crate::http::remember_connection)
            .workers(workers)
            .disable_signals()
            .shutdown_timeout(1)
            .listen(listener)?
            .run();
        let handle = server.handle();
        let task = tokio::spawn(server);
        Ok(RunningEmulator {
            base_url,
            handle,
            task: Some(task),
        })
    }
}

impl RunningEmulator {
    /// Base URL, e.g. `http://127.0.0.1:41234`; every Google path and `/_emulator/...` is under it.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        self.handle.stop(false).await;
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Waits until the server ends (the binary's main loop).
    pub async fn wait(mut self) -> std::io::Result<()> {
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }

    /// A handle that can stop the server from elsewhere (e.g. a signal handler).
    pub fn stopper(&self) -> impl FnOnce() + Send + 'static {
        let handle = self.handle.clone();
        move || {
            // The stop command is sent when `stop` is called; the returned future only waits for completion.
            drop(handle.stop(false));
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            // Sends the stop command now; the future only waits for completion.
            drop(self.handle.stop(false));
            task.abort();
        }
    }
}
