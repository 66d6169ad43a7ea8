//! Google: the HTTP clients for Google's APIs. Only base URLs differ between Google and the emulator
//! (`crate::settings::GoogleSettings`).
//!
//! - [`oauth`]: the OAuth 2 client (authorization URL with PKCE, code exchange, userinfo, revocation).
//! - [`calendar`]: the Calendar v3 client (typed resources, classified errors, retries with backoff and
//!   deadlines, access tokens refreshed from the grant's refresh token, counters).
//!
//! May import: `settings`, `domain` and compass-core only; callers (`accounts`, `sync`) map its errors.

pub mod calendar;
pub mod oauth;
