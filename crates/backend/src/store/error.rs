//! The store boundary's one error type, and how driver errors are classified into it.
//!
//! Callers match on the kind of failure, never on driver details: a duplicate key is a
//! [`StoreError::Conflict`], a lost or unreachable server is [`StoreError::Unavailable`] (the HTTP
//! layer answers 503), a stored document that no longer fits its type is [`StoreError::Decode`].
//! `Display` texts are safe to log: they never contain the connection string or document contents.

use mongodb::error::{
    Error as DriverError, ErrorKind, WriteFailure, RETRYABLE_WRITE_ERROR,
    TRANSIENT_TRANSACTION_ERROR, UNKNOWN_TRANSACTION_COMMIT_RESULT,
};

/// The server error code for a duplicate key in a unique index.
pub const DUPLICATE_KEY: i32 = 11000;

/// The server error code for a write that met another write of the same document.
const WRITE_CONFLICT: i32 = 112;

/// Server error codes that mean "this node cannot serve the request right now" (shutdown, step-down,
/// network trouble between nodes). They are classified as [`StoreError::Unavailable`].
const UNAVAILABLE_CODES: &[i32] = &[
    6,     // HostUnreachable
    7,     // HostNotFound
    89,    // NetworkTimeout
    91,    // ShutdownInProgress
    189,   // PrimarySteppedDown
    262,   // ExceededTimeLimit
    9001,  // SocketException
    10107, // NotWritablePrimary
    11600, // InterruptedAtShutdown
    11602, // InterruptedDueToReplStateChange
    13435, // NotPrimaryNoSecondaryOk
    13436, // NotPrimaryOrSecondary
];

/// Everything that can go wrong in the store layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A write hit a unique index (duplicate key, server code 11000).
    #[error("duplicate key in {collection} (unique index {index})")]
    Conflict {
        /// The collection written to (without the database name), or `unknown`.
        collection: String,
        /// The name of the unique index that was violated (e.g. `email_unique`), or `unknown`.
        index: String,
    },
    /// The document that an update or delete addressed does not exist (for this user).
    #[error("no {collection} document with id {id}")]
    NotFound {
        /// The collection searched.
        collection: &'static str,
        /// The id (or key) that was looked for.
        id: String,
    },
    /// The database cannot be reached right now: network error, server selection timeout,
    /// cleared pool, a node shutting down or stepping down. Retrying later may succeed.
    #[error("the database is unavailable")]
    Unavailable {
        /// The driver error, for logs.
        #[source]
        source: DriverError,
    },
    /// The database could not be reached when the store was opened (start-up).
    #[error("cannot reach MongoDB at {hosts}: {reason}")]
    Connect {
        /// The hosts of the connection string, without credentials.
        hosts: String,
        /// A short reason (e.g. "no server answered within 5s").
        reason: String,
    },
    /// The store configuration is unusable (e.g. a malformed connection string).
    #[error("invalid database configuration: {message}")]
    InvalidConfig {
        /// What is wrong, without secrets.
        message: String,
    },
    /// A stored document does not decode into its Rust type.
    #[error("document {id} in {collection} cannot be read: {message}")]
    Decode {
        /// The collection the document lives in.
        collection: &'static str,
        /// The document's `_id` (as text), or `unknown`.
        id: String,
        /// What did not fit.
        message: String,
    },
    /// Any other database failure.
    #[error("database operation failed")]
    Other {
        /// The driver error, for logs.
        #[source]
        source: DriverError,
    },
}

impl StoreError {
    /// Builds a [`StoreError::NotFound`].
    pub fn not_found(collection: &'static str, id: impl ToString) -> Self {
        StoreError::NotFound {
            collection,
            id: id.to_string(),
        }
    }

    /// The error of one failed statement of a multi-statement write command (its `writeErrors` entry):
    /// a duplicate key is a [`StoreError::Conflict`], anything else [`StoreError::Other`].
    pub(crate) fn from_write_error(code: i32, message: &str) -> Self {
        if code == DUPLICATE_KEY {
            let (collection, index) = parse_duplicate_key_message(message);
            return StoreError::Conflict { collection, index };
        }
        StoreError::Other {
            source: DriverError::custom(format!("write error {code}: {message}")),
        }
    }

    /// True for a duplicate-key conflict on the named unique index.
    pub fn is_conflict_on(&self, index_name: &str) -> bool {
        matches!(self, StoreError::Conflict { index, .. } if index == index_name)
    }

    /// True when the failure is worth retrying as a whole transaction (MongoDB's
    /// `TransientTransactionError` label: write conflicts, lost primaries, network errors).
    pub fn is_transient_transaction_error(&self) -> bool {
        self.driver_error()
            .is_some_and(|e| e.contains_label(TRANSIENT_TRANSACTION_ERROR))
    }

    /// True when the database refused a write because another one held the same document
    /// (`WriteConflict`, code 112), with or without the transient label: what is left when a
    /// transaction kept meeting other writes for its whole retry window.
    pub fn is_write_conflict(&self) -> bool {
        self.is_transient_transaction_error()
            || self.driver_error().is_some_and(
                |e| matches!(&*e.kind, ErrorKind::Command(c) if c.code == WRITE_CONFLICT),
            )
    }

    /// True when the outcome of a commit is unknown and the commit itself may be retried.
    pub fn is_unknown_commit_result(&self) -> bool {
        self.driver_error()
            .is_some_and(|e| e.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT))
    }

    /// The underlying driver error, when there is one.
    pub fn driver_error(&self) -> Option<&DriverError> {
        match self {
            StoreError::Unavailable { source } | StoreError::Other { source } => Some(source),
            _ => None,
        }
    }
}

impl From<DriverError> for StoreError {
    fn from(error: DriverError) -> Self {
        if let Some(message) = duplicate_key_message(&error) {
            let (collection, index) = parse_duplicate_key_message(&message);
            return StoreError::Conflict { collection, index };
        }
        if is_unavailable(&error) {
            return StoreError::Unavailable { source: error };
        }
        StoreError::Other { source: error }
    }
}

/// The server message of a duplicate-key failure, if `error` is one.
fn duplicate_key_message(error: &DriverError) -> Option<String> {
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(w)) if w.code == DUPLICATE_KEY => {
            Some(w.message.clone())
        }
        ErrorKind::Command(c) if c.code == DUPLICATE_KEY => Some(c.message.clone()),
        ErrorKind::InsertMany(m) => m
            .write_errors
            .as_ref()?
            .iter()
            .find(|w| w.code == DUPLICATE_KEY)
            .map(|w| w.message.clone()),
        ErrorKind::BulkWrite(b) => b
            .write_errors
            .values()
            .find(|w| w.code == DUPLICATE_KEY)
            .map(|w| w.message.clone()),
        _ => None,
    }
}

/// Extracts `(collection, index)` from a message such as
/// `E11000 duplicate key error collection: db.users index: email_unique dup key: { ... }`.
/// The `dup key` part (user data) is deliberately dropped.
fn parse_duplicate_key_message(message: &str) -> (String, String) {
    let word_after = |marker: &str| {
        message
            .split_once(marker)
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .map(|w| w.trim_end_matches(',').to_owned())
    };
    let collection = word_after("collection: ")
        .map(|c| match c.split_once('.') {
            Some((_db, coll)) => coll.to_owned(),
            None => c,
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let index = word_after("index: ").unwrap_or_else(|| "unknown".to_owned());
    (collection, index)
}

/// Network, server-selection, pool and node-state failures: the database is (temporarily) away.
fn is_unavailable(error: &DriverError) -> bool {
    let kind_says_so = match error.kind.as_ref() {
        ErrorKind::Io(_)
        | ErrorKind::ServerSelection { .. }
        | ErrorKind::ConnectionPoolCleared { .. }
        | ErrorKind::DnsResolve { .. }
        | ErrorKind::Shutdown => true,
        ErrorKind::Command(c) => UNAVAILABLE_CODES.contains(&c.code),
        ErrorKind::Write(WriteFailure::WriteConcernError(w)) => UNAVAILABLE_CODES.contains(&w.code),
        _ => false,
    };
    kind_says_so
        || (error.contains_label(RETRYABLE_WRITE_ERROR)
            && !matches!(error.kind.as_ref(), ErrorKind::Write(_)))
        || std::error::Error::source(error)
            .and_then(|s| s.downcast_ref::<DriverError>())
            .is_some_and(is_unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_key_message_yields_collection_and_index_without_values() {
        let (collection, index) = parse_duplicate_key_message(
            "E11000 duplicate key error collection: compass.users index: email_unique dup key: { email: \"a@b.c\" }",
        );
        assert_eq!(collection, "users");
        assert_eq!(index, "email_unique");
    }

    #[test]
    fn unparseable_duplicate_key_message_is_unknown() {
        let (collection, index) = parse_duplicate_key_message("duplicate");
        assert_eq!(
            (collection.as_str(), index.as_str()),
            ("unknown", "unknown")
        );
    }
}
