//! Integration tests of the Compass backend: the real app on a random port, a real database per test.

mod support;

mod health;
mod store_collections;
mod store_events;
mod store_faults;
mod store_handle;
mod store_migrations;
mod stream;
mod stream_caps;
mod stream_instances;

mod auth;
mod auth_bodies;
mod events_bad_input;
mod events_crud;
mod events_hostile;
mod events_isolation;
mod events_series;
mod events_support;
mod events_time_zone;
mod google_client;
mod priorities;
mod sync;
mod sync_convergence;
mod sync_lifecycle;
mod sync_races;
mod sync_repair;
mod to_google;
mod to_google_conflicts;
mod to_google_secondary;
mod user;
mod web_app;
