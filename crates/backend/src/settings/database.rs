//! [`DatabaseSettings`]: where the database is and what it is called, validated from [`DbArgs`].

use std::time::Duration;

use super::{DbArgs, Secret, SettingsError};

/// Where the database is and what it is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseSettings {
    /// The connection string (may hold a password, hence [`Secret`]).
    pub uri: Secret,
    /// The database name.
    pub name: String,
    /// Most connections the pool opens to one server.
    pub pool_size: u32,
    /// How long one connection attempt may take.
    pub connect_timeout: Duration,
    /// How long an operation waits for a usable server.
    pub selection_timeout: Duration,
}

impl DatabaseSettings {
    /// Validates the raw database flags.
    pub fn from_args(args: &DbArgs) -> Result<Self, SettingsError> {
        let uri = args.mongodb_uri.expose().trim();
        if !(uri.starts_with("mongodb://") || uri.starts_with("mongodb+srv://")) {
            return Err(SettingsError::Invalid {
                key: "MONGODB_URI",
                reason: "must start with mongodb:// or mongodb+srv://".into(),
            });
        }
        let name = args.database.trim();
        if name.is_empty() || name.contains(['/', '\\', '.', ' ', '"', '$']) {
            return Err(SettingsError::Invalid {
                key: "COMPASS_DATABASE",
                reason: "must be a non-empty name without / \\ . space \" $".into(),
            });
        }
        if args.db_pool_size == 0 {
            return Err(SettingsError::Invalid {
                key: "COMPASS_DB_POOL_SIZE",
                reason: "must be at least 1".into(),
            });
        }
        for (key, secs) in [
            (
                "COMPASS_DB_CONNECT_TIMEOUT_SECS",
                args.db_connect_timeout_secs,
            ),
            (
                "COMPASS_DB_SELECTION_TIMEOUT_SECS",
                args.db_selection_timeout_secs,
            ),
        ] {
            if secs == 0 {
                return Err(SettingsError::Invalid {
                    key,
                    reason: "must be at least 1 second".into(),
                });
            }
        }
        Ok(Self {
            uri: Secret::new(uri),
            name: name.to_owned(),
            pool_size: args.db_pool_size,
            connect_timeout: Duration::from_secs(args.db_connect_timeout_secs),
            selection_timeout: Duration::from_secs(args.db_selection_timeout_secs),
        })
    }

    /// The host part of the URI (no user, no password), for error messages.
    pub fn host_for_display(&self) -> String {
        let uri = self.uri.expose();
        let rest = uri.split_once("://").map_or(uri, |(_, rest)| rest);
        let hosts = rest.split(['/', '?']).next().unwrap_or_default();
        hosts.rsplit_once('@').map_or(hosts, |(_, h)| h).to_owned()
    }
}
