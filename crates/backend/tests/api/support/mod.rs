//! Shared test helpers: the one application harness (`app`), databases (`db`, `db_proxy` for outages),
//! Google sign-in through the emulator (`google`), both sides of a user's sync as text for failure reports
//! (`sync_dump`), waiting with a deadline (`wait::eventually`) and the `TEST_LOG` switch (`log`).

pub mod app;
pub mod db;
pub mod db_proxy;
pub mod google;
pub mod log;
pub mod secantus_bin;
pub mod sync_dump;
pub mod wait;
