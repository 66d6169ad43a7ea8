//! compass-backend: the Compass server (auth, events API, Google sync, SSE stream).
//!
//! `main.rs` only parses the command line; everything else lives here so that the integration tests
//! can build and run the real application on a random port.

pub mod app;
pub mod auth;
pub mod cli;
pub mod events;
pub mod google;
pub mod http;
pub mod settings;
pub mod sse;
pub mod store;
pub mod sync;
pub mod telemetry;
