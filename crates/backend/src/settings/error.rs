//! [`SettingsError`]: the one line an operator reads when the configuration is unusable.

/// A configuration problem found at start-up; `Display` is the one line an operator reads.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    /// A value is present but unusable.
    #[error("invalid configuration: {key}: {reason}")]
    Invalid {
        /// The flag/env var at fault, e.g. `COMPASS_PUBLIC_URL`.
        key: &'static str,
        /// What is wrong with it (never the secret value itself).
        reason: String,
    },
    /// A value is required in this configuration but absent.
    #[error("missing configuration: {key}: {reason}")]
    Missing {
        /// The flag/env var that must be set.
        key: &'static str,
        /// Why it is required.
        reason: String,
    },
}
