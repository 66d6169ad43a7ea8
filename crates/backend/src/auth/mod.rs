//! Accounts and sessions: passwords, session cookies, CSRF, Google sign-in and connect.
//!
//! Pure building blocks (unit-tested here): `email`, `password`, `token`, `cookie`, `csrf`,
//! `token_cipher`, `metadata`. Flows that combine them with the store: `accounts` (email + password),
//! `session_user` (sessions and the [`SessionUser`] extractor), `attempts` (failed-attempt bound),
//! `metadata_view` (metadata as clients see it), `google_flow` + `oauth_state` (Google sign-in/connect). HTTP handlers live in `crate::http::{auth, user}`.
//! See `docs/auth.md`.

pub mod accounts;
pub mod attempts;
pub mod cookie;
pub mod csrf;
pub mod email;
pub mod google_flow;
pub mod metadata;
pub mod metadata_view;
pub mod oauth_state;
pub mod password;
pub mod session_user;
pub mod token;
pub mod token_cipher;

pub use session_user::{SessionId, SessionUser};
