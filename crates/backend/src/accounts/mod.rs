//! Accounts and sessions flows: email + password, Google sign-in/connect, sessions, profile and metadata.
//!
//! Each flow is a small struct over the handles it needs (`PasswordAccounts::new(&store, &hub, ..)`,
//! `GoogleAccounts::new(&store, &hub, &settings)`, `Profiles::new(&store, &hub)`, `Streams::new(&store, &hub, &sessions)`
//! for the SSE connection) and returns its own error
//! type; `crate::http::{auth, user}` parse requests, call one flow and map the error. Flows publish to the
//! hub after their writes, never the handlers. Pure building blocks: `password` (argon2id work),
//! `token_cipher` (refresh tokens at rest); the newtypes they share with the store are in `crate::domain`,
//! the collections in `crate::store` (`users`, `sessions`, `attempts`, `oauth_state`). See `docs/auth.md`.

pub mod batch;
pub mod google_flow;
pub mod password;
pub mod password_flow;
pub mod profile;
pub mod session;
pub mod stream;
pub mod token_cipher;

pub use google_flow::{GoogleAccounts, GoogleAuthError};
pub use password_flow::{AuthError, PasswordAccounts};
pub use profile::Profiles;
pub use session::{SessionId, SessionUser};
pub use stream::{OpenStreamError, Streams};
