//! Backend-only domain newtypes that several layers share: parsed at the boundary, stored by `store`,
//! used by the flows. Nothing here does I/O or imports another backend module (only compass-core and
//! small crates), so every module may import it.
//!
//! - [`email`]: normalised email addresses (account keys).
//! - [`token`]: random secrets handed to browsers and the SHA-256 digests that are stored instead.
//! - [`provenance`]: whether Compass or Google owns an event.
//! - [`token_cipher`]: encryption at rest of Google refresh tokens (accounts encrypt, sync decrypts).
//! - [`time_zone`]: IANA zones of events (`timeZone`), resolved with the backend's tz database.
//! - [`metadata`]: which user-metadata keys a client may write, and the computed Google connection state.
//! - [`exdate`]: the `EXDATE` values Compass writes to exclude one occurrence of a series.
//!
//! Types the web app shares live in compass-core instead.

pub mod email;
pub mod exdate;
pub mod metadata;
pub mod provenance;
pub mod time_zone;
pub mod token;
pub mod token_cipher;

pub use email::{Email, EmailError};
pub use provenance::Provenance;
pub use token::{SecretToken, TokenDigest};
