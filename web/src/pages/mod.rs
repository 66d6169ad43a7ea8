//! One page per file: what a route shows.

pub mod not_found;
pub mod sign_in;
pub mod sign_up;
pub mod week;
