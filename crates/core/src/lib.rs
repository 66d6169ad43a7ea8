//! compass-core: the one wire contract shared by the Compass backend and web app.
//!
//! Everything here is pure data and parsing: no I/O, and it builds for `wasm32-unknown-unknown`.
