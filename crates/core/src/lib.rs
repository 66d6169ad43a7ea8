//! compass-core: the one wire contract shared by the Compass backend and web app.
//!
//! Everything here is pure data and parsing: no I/O, no clock, and it builds for `wasm32-unknown-unknown`.
//! The JSON produced and accepted by these types is pinned by the golden fixtures in `tests/fixtures/` and
//! described in `docs/wire-contract.md`.

pub mod error;
pub mod ids;
pub mod import_gcal;
pub mod metadata;
pub mod nullable;
pub mod sse;

pub use error::ErrorBody;
pub use ids::{EventId, GoogleEventId, IdError, PriorityId, UserId};
pub use import_gcal::{
    ImportGCalEndPayload, ImportGCalEndSeen, ImportGCalEndShapeError, ImportGCalOperation,
    ImportGCalStatus,
};
pub use metadata::{GoogleConnectionState, GoogleMetadata, SyncMetadata, SyncStatus, UserMetadata};
pub use nullable::Nullable;
pub use sse::{SseEventName, UnknownSseEventName};
