//! The event domain: series, recurrence expansion, edit scopes, provenance.
//!
//! - [`recurrence`]: RRULE expansion (the `rrule` crate) and series cuts.
//! - [`model`]: the stored event as the domain sees it, and its wire form.
//! - [`plan`]: what a create/update/delete with a scope does to the stored events (pure).
//! - [`propagate`]: the Google writes (outbox entries) a planned change owes.
//! - [`repo`]: records to and from the store's `event` documents (the queries live in `crate::store::events`).
//! - [`slot`]: where a This and Following change cuts a series (the targeted instance's occurrence).
//! - [`service`]: the flows: one transaction per request (the change and its outbox entries), SSE
//!   after the commit.

pub mod model;
pub mod plan;
pub mod propagate;
pub mod recurrence;
pub mod repo;
pub mod service;
pub mod slot;

#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod plan_zone_tests;
#[cfg(test)]
mod slot_tests;
