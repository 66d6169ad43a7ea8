//! compass-backend: the Compass server (auth, events API, Google sync, SSE stream).
//!
//! `main.rs` only parses the command line; everything else lives here so that the integration tests
//! can build and run the real application on a random port.
//!
//! Modules, top to bottom (each imports only modules below it; `crates/tidy` checks the table in
//! `docs/architecture.md`):
//!
//! - wiring: [`cli`] (the command line), [`app`] (the application builder);
//! - [`http`]: routes, extractors, CSRF, `ApiError`; reaches the shared handles through [`state`];
//! - flows: [`accounts`], [`events`], [`priorities`], [`sync`]; [`relay`] (cross-instance SSE fan-out);
//! - [`store`] (MongoDB), [`sse`] (the hub), [`google`] (Google clients);
//! - leaves: [`domain`] (shared newtypes), [`settings`], [`telemetry`]; then compass-core.

pub mod accounts;
pub mod app;
pub mod cli;
pub mod domain;
pub mod events;
pub mod google;
pub mod http;
pub mod priorities;
pub mod relay;
pub mod settings;
pub mod sse;
pub mod state;
pub mod store;
pub mod sync;
pub mod telemetry;
