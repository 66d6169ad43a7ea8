//! Integration tests of the emulator, driven only over HTTP: one test binary, one module per flow.

mod conformance;
mod control;
mod events_crud;
mod faults;
mod oauth;
mod paging_sync;
mod recurrence;
mod robustness;
mod strictness;
mod support;
mod watch;
