//! Google sign-in and connect against the gcal-emulator (OAuth 2 code flow with PKCE).
