//! How to reach the database: connection string, database name, pool size and timeouts.
//!
//! The connection string may hold a password, so `Debug` and every error show only the hosts.

use std::fmt;
use std::time::Duration;

/// Settings for [`Store::connect`](super::Store::connect).
#[derive(Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// The MongoDB connection string (`mongodb://user:pass@host:port/?replicaSet=rs0`).
    pub uri: String,
    /// The database that holds every Compass collection.
    pub database: String,
    /// The most connections the pool opens to one server.
    pub max_pool_size: u32,
    /// How long opening one connection may take.
    pub connect_timeout: Duration,
    /// How long an operation waits for a usable server before failing as unavailable.
    pub server_selection_timeout: Duration,
    /// The application name reported to the server (shows up in server logs).
    pub app_name: String,
}

impl StoreConfig {
    /// The default database name.
    pub const DEFAULT_DATABASE: &'static str = "compass";
    /// The default connection string: a local server as started by `scripts/db.sh`.
    pub const DEFAULT_URI: &'static str = "mongodb://127.0.0.1:27017/";

    /// A configuration with the given connection string and database, default pool and timeouts.
    pub fn new(uri: impl Into<String>, database: impl Into<String>) -> Self {
        StoreConfig {
            uri: uri.into(),
            database: database.into(),
            max_pool_size: 20,
            connect_timeout: Duration::from_secs(5),
            server_selection_timeout: Duration::from_secs(5),
            app_name: "compass".to_owned(),
        }
    }

    /// The hosts part of the connection string, without scheme, credentials, path or options.
    pub fn redacted_hosts(&self) -> String {
        redacted_hosts(&self.uri)
    }

    /// The connection string with any password replaced by `***`.
    pub fn redacted_uri(&self) -> String {
        redact_password(&self.uri)
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig::new(Self::DEFAULT_URI, Self::DEFAULT_DATABASE)
    }
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreConfig")
            .field("uri", &self.redacted_uri())
            .field("database", &self.database)
            .field("max_pool_size", &self.max_pool_size)
            .field("connect_timeout", &self.connect_timeout)
            .field("server_selection_timeout", &self.server_selection_timeout)
            .field("app_name", &self.app_name)
            .finish()
    }
}

/// Splits `scheme://[userinfo@]hosts[/rest]` into its parts.
fn split_uri(uri: &str) -> (&str, Option<&str>, &str, &str) {
    let (scheme, rest) = uri.split_once("://").unwrap_or(("", uri));
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => (scheme, Some(userinfo), hosts, tail),
        None => (scheme, None, authority, tail),
    }
}

/// The hosts of a connection string (`host1:27017,host2:27017`), never credentials.
pub fn redacted_hosts(uri: &str) -> String {
    let (_, _, hosts, _) = split_uri(uri);
    if hosts.is_empty() {
        "(no host)".to_owned()
    } else {
        hosts.to_owned()
    }
}

/// The connection string with the password (if any) replaced by `***`.
pub fn redact_password(uri: &str) -> String {
    match split_uri(uri) {
        (scheme, Some(userinfo), hosts, tail) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let prefix = if scheme.is_empty() {
                String::new()
            } else {
                format!("{scheme}://")
            };
            format!("{prefix}{user}:***@{hosts}{tail}")
        }
        _ => uri.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_never_include_credentials() {
        let uri = "mongodb://alice:s3cret@db1:27017,db2:27018/compass?replicaSet=rs0";
        assert_eq!(redacted_hosts(uri), "db1:27017,db2:27018");
        assert_eq!(
            redact_password(uri),
            "mongodb://alice:***@db1:27017,db2:27018/compass?replicaSet=rs0"
        );
        let config = StoreConfig::new(uri, "compass");
        assert!(!format!("{config:?}").contains("s3cret"));
    }

    #[test]
    fn uri_without_credentials_is_unchanged() {
        assert_eq!(
            redacted_hosts("mongodb://127.0.0.1:27017"),
            "127.0.0.1:27017"
        );
        assert_eq!(
            redact_password("mongodb://127.0.0.1:27017/?x=1"),
            "mongodb://127.0.0.1:27017/?x=1"
        );
    }
}
