//! Google: the Calendar API client and the OAuth 2 client.

pub mod oauth;
