//! The event domain: series, recurrence expansion, edit scopes, provenance.
//!
//! - [`recurrence`]: RRULE expansion (the `rrule` crate) and series cuts.
//! - [`model`]: the stored event as the domain sees it, and its wire form.
//! - [`plan`]: what a create/update/delete with a scope does to the stored events (pure).
//! - [`repo`]: the `event` collection (documents, queries).
//! - [`service`]: the flows: one transaction per request, SSE after the commit.
//! - [`priorities`]: the per-user priority labels of `/api/priority`.

pub mod model;
pub mod plan;
pub mod priorities;
pub mod recurrence;
pub mod repo;
pub mod service;

#[cfg(test)]
mod plan_tests;
