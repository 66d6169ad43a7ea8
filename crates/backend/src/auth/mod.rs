//! Accounts and sessions: passwords, session cookies, CSRF, Google sign-in and connect.
//!
//! The building blocks are pure and unit-tested here (`email`, `password`, `token`, `cookie`, `csrf`,
//! `token_cipher`, `metadata`); the flows that combine them with the store live in `accounts`; the HTTP
//! handlers are in `crate::http::{auth, user}`. See `docs/auth.md`.

pub mod cookie;
pub mod csrf;
pub mod email;
pub mod metadata;
pub mod password;
pub mod token;
pub mod token_cipher;
