//! Integration tests of the emulator, driven only over HTTP: one test binary, one module per flow.

mod clock;
mod commit_faults;
mod conformance;
mod control;
mod events_crud;
mod faults;
mod notify_control;
mod notify_faults;
mod oauth;
mod paging_sync;
mod recurrence;
mod request_log;
mod retention;
mod robustness;
mod strictness;
mod support;
mod watch;
