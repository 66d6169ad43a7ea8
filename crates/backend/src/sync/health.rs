//! Sync health (skeleton): what the computed `google.connectionState` reports once real signals exist
//! (refresh token, live watches, last successful sync); today `crate::accounts::profile` uses an interim rule.
