//! MongoDB persistence: the [`Store`] handle, its error type, and one module per collection.
//!
//! Every query of a per-user collection takes the user it is scoped to. Queried dates are BSON
//! dates; ids are ObjectIds. Multi-document writes go through [`Store::transaction`].

/// Runs a driver action with `.session(s)` when a session is given, else on its own.
macro_rules! in_session {
    ($action:expr, $session:expr) => {
        match $session {
            Some(session) => $action.session(session).await,
            None => $action.await,
        }
    };
}

pub mod attempts;
pub mod calendars;
mod config;
pub mod conflicts;
pub mod convert;
pub mod decode;
mod error;
pub mod events;
pub mod leases;
pub mod migrate;
pub mod oauth_state;
pub mod outbox;
pub mod priorities;
mod scoped;
pub mod sessions;
pub mod sse_frames;
pub mod sync_dirty;
pub mod sync_state;
mod transaction;
pub mod users;
pub mod watches;

pub use config::{redact_password, redacted_hosts, StoreConfig};
pub use decode::{DecodeFailure, Listing};
pub use error::{StoreError, DUPLICATE_KEY};
pub use transaction::RETRY_WINDOW;

use mongodb::bson::doc;
use mongodb::options::ClientOptions;
use mongodb::{Client, Collection, Database};

/// A handle on the Compass database. Cheap to clone (the driver's pool is shared); create it once
/// per process (or once per test runtime) with [`Store::connect`].
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    db: Database,
    /// The runtime the store was opened on (the server's main runtime): transactions start their
    /// sessions there (see `transaction`).
    runtime: tokio::runtime::Handle,
}

impl Store {
    /// Opens the connection pool and checks that the server answers within the server selection
    /// timeout. Fails with [`StoreError::Connect`] naming the hosts (never the password) when it
    /// does not, or with [`StoreError::InvalidConfig`] for a malformed connection string.
    pub async fn connect(config: &StoreConfig) -> Result<Store, StoreError> {
        if config.database.is_empty() {
            return Err(StoreError::InvalidConfig {
                message: "the database name is empty".to_owned(),
            });
        }
        let mut options =
            ClientOptions::parse(&config.uri)
                .await
                .map_err(|_| StoreError::InvalidConfig {
                    message: format!(
                        "MONGODB_URI is not a valid MongoDB connection string (hosts: {})",
                        config.redacted_hosts()
                    ),
                })?;
        options.app_name = Some(config.app_name.clone());
        options.max_pool_size = Some(config.max_pool_size.max(1));
        options.connect_timeout = Some(config.connect_timeout);
        options.server_selection_timeout = Some(config.server_selection_timeout);
        let hosts = options
            .hosts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let client = Client::with_options(options).map_err(|_| StoreError::InvalidConfig {
            message: format!("cannot build a MongoDB client for {hosts}"),
        })?;
        let store = Store {
            db: client.database(&config.database),
            client,
            runtime: tokio::runtime::Handle::current(),
        };
        store.ping().await.map_err(|error| StoreError::Connect {
            hosts,
            reason: match error {
                StoreError::Unavailable { .. } => format!(
                    "no server answered within {}s",
                    config.server_selection_timeout.as_secs_f32()
                ),
                StoreError::Other { source } => match source.kind.as_ref() {
                    mongodb::error::ErrorKind::Authentication { .. } => {
                        "authentication failed".to_owned()
                    }
                    _ => "the server refused the connection check".to_owned(),
                },
                other => other.to_string(),
            },
        })?;
        Ok(store)
    }

    /// Asks the server to answer a `ping`: `Ok` when the database is usable right now.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.run_command(doc! { "ping": 1 }).await?;
        Ok(())
    }

    /// The driver client (for sessions and transactions).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The Compass database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The database name.
    pub fn database_name(&self) -> &str {
        self.db.name()
    }

    /// A typed handle on one collection of the Compass database.
    pub fn collection<T: Send + Sync>(&self, name: &str) -> Collection<T> {
        self.db.collection(name)
    }
}
