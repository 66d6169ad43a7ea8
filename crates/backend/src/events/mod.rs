//! The event domain: series, recurrence expansion, edit scopes, provenance.
//!
//! - [`recurrence`]: RRULE expansion (the `rrule` crate) and series cuts.
//! - [`model`]: the stored event as the domain sees it, and its wire form.
//! - [`plan`]: what a create/update/delete with a scope does to the stored events (pure).

pub mod model;
pub mod plan;
pub mod recurrence;

#[cfg(test)]
mod plan_tests;
