//! The state every handler and every notification delivery task shares: the store behind one lock, the
//! virtual clock, the configuration and the ID-token signer. Lives below `http` and `notify` so that
//! neither imports the other to reach it.

use std::sync::{Mutex, MutexGuard};

use crate::clock::Clock;
use crate::config::EmulatorConfig;
use crate::store::Store;

/// State shared by all handlers.
pub(crate) struct AppState {
    /// Everything mutable.
    pub store: Mutex<Store>,
    /// The virtual clock (the store holds a handle on the same one).
    pub clock: Clock,
    /// The configuration the emulator started with (seed clients merged in).
    pub config: EmulatorConfig,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Signs ID tokens.
    pub signer: crate::id_token::IdTokenSigner,
}

impl AppState {
    /// Locks the store (a panic elsewhere does not make the state unusable).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
