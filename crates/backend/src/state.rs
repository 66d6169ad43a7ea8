//! [`AppState`]: the handles every HTTP handler can reach, as `web::Data<AppState>`.
//!
//! Built once by `crate::app` and read only by `crate::http`: a handler takes from it exactly the handles
//! its flow needs (`EventService::new(&state.store, &state.hub)`), so flows never see the whole state.
//! It sits below `http` and above the flows, the way Lemmy keeps its context type in a lower crate.

use std::sync::Arc;

use crate::accounts::password::PasswordWork;
use crate::accounts::session::SessionCache;
use crate::settings::Settings;
use crate::sse::Hub;
use crate::store::Store;
use crate::sync::SyncEngine;

/// What every handler can reach, as `web::Data<AppState>`.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The validated configuration.
    pub settings: Arc<Settings>,
    /// The MongoDB handle.
    pub store: Store,
    /// The SSE hub (flows publish after each committed write).
    pub hub: Hub,
    /// Bounded argon2 work for sign-up and sign-in.
    pub passwords: PasswordWork,
    /// Recently resolved sessions, for opening SSE streams without a database read.
    pub sessions: SessionCache,
    /// The Google sync engine (imports, notifications, the background worker).
    pub sync: SyncEngine,
}
