//! gcal-emulator: a stateful local stand-in for Google Calendar v3 and Google OAuth 2.
//!
//! Start one with [`Emulator::spawn`] (binds `127.0.0.1`, random port) and point a client at
//! [`RunningEmulator::base_url`]: Calendar paths are under `/calendar/v3/`, OAuth at `/o/oauth2/v2/auth`,
//! `/token`, `/revoke`, `/v1/userinfo`, and the control API under `/_emulator/` (see `docs/gcal-emulator.md`
//! and [`control::ControlClient`]).

mod clock;
pub mod config;
pub mod control;
pub mod error;
mod http;
mod id_token;
mod notify;
pub mod scopes;
mod server;
mod store;
pub mod strictness;

pub use config::{EmulatorConfig, OAuthClient, Seed, SeedCalendar, SeedUser};
pub use control::{ClockState, PendingNotification};
pub use error::EmulatorError;
pub use server::{Emulator, RunningEmulator};
pub use store::channels::DeliveryRecord;
pub use store::faults::{FaultKind, FaultSpec};
pub use store::request_log::LoggedRequest;
pub use strictness::ListingBehaviour;
