//! Multi-document transactions with MongoDB's retry rules.
//!
//! A flow that must write several documents atomically (a series edit, an import that replaces data,
//! a change plus its outbox entry) runs its writes through [`Store::transaction`]. The body receives
//! the session by value and hands it back with its result, which keeps the borrow checker out of the
//! way and the future `Send`:
//!
//! ```ignore
//! let saved = store
//!     .transaction(|mut session| async move {
//!         let result = write_both(&mut session).await;
//!         (session, result)
//!     })
//!     .await?;
//! ```
//!
//! The whole body is retried while the error carries `TransientTransactionError` (write conflicts,
//! a lost primary), the commit alone while its result is unknown; both within [`RETRY_WINDOW`].
//! Any other error aborts the transaction: nothing of it is written.
//!
//! **A transaction whose caller goes away is still aborted.** When the future running a transaction is
//! dropped mid-way (a request handler cancelled by the server's shutdown, a job abandoned), the driver
//! aborts the transaction from a task that it spawned when the session started, on the runtime current at
//! that moment. An HTTP worker's runtime ends with the worker at shutdown and takes that task with it, which
//! left the transaction open on the database until its lifetime ran out (60 s on mongod and SecantusDB),
//! and every write to a document it had touched waited that long: after a restart the new instance's sync
//! worker stalled on its first dirty mark. Sessions are therefore started on the store's own runtime (the
//! server's main one), which outlives the workers.

use std::future::Future;
use std::time::{Duration, Instant};

use mongodb::ClientSession;

use super::{Store, StoreError};

/// How long a transaction keeps being retried after transient failures.
pub const RETRY_WINDOW: Duration = Duration::from_secs(30);

/// The pause before retrying, doubled each time up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_millis(500);

impl Store {
    /// Starts a session whose clean-up (the abort of a transaction left open when the session is dropped)
    /// runs on the store's runtime, not on the caller's (see the module docs).
    async fn start_session(&self) -> Result<ClientSession, StoreError> {
        let client = self.client().clone();
        match self
            .runtime
            .spawn(async move { client.start_session().await })
            .await
        {
            Ok(started) => Ok(started?),
            // The store's runtime is shutting down: start it here, as the driver would.
            Err(_) => Ok(self.client().start_session().await?),
        }
    }

    /// Runs `body` inside a transaction and commits it; retries transient failures; aborts on any
    /// other error so that nothing of the body is written. `body` may run more than once, so it must
    /// not consume what it captures (clone owned values inside it).
    pub async fn transaction<T, F, Fut>(&self, mut body: F) -> Result<T, StoreError>
    where
        F: FnMut(ClientSession) -> Fut,
        Fut: Future<Output = (ClientSession, Result<T, StoreError>)>,
    {
        let started = Instant::now();
        let mut backoff = FIRST_BACKOFF;
        let mut session = self.start_session().await?;
        'attempt: loop {
            session.start_transaction().await?;
            let (returned, outcome) = body(session).await;
            session = returned;
            let value = match outcome {
                Ok(value) => value,
                Err(error) => {
                    // The server may already have aborted it; an abort error changes nothing then.
                    if let Err(abort_error) = session.abort_transaction().await {
                        tracing::debug!(error = %abort_error, "abort after a failed transaction body");
                    }
                    if error.is_transient_transaction_error() && started.elapsed() < RETRY_WINDOW {
                        tracing::debug!(%error, "transient transaction error; retrying");
                        pause(&mut backoff).await;
                        continue 'attempt;
                    }
                    return Err(error);
                }
            };
            loop {
                match session.commit_transaction().await.map_err(StoreError::from) {
                    Ok(()) => return Ok(value),
                    Err(error) if started.elapsed() >= RETRY_WINDOW => return Err(error),
                    Err(error) if error.is_unknown_commit_result() => {
                        tracing::debug!(%error, "unknown commit result; retrying the commit");
                        pause(&mut backoff).await;
                    }
                    Err(error) if error.is_transient_transaction_error() => {
                        tracing::debug!(%error, "transient commit error; retrying the transaction");
                        pause(&mut backoff).await;
                        continue 'attempt;
                    }
                    Err(error) => return Err(error),
                }
            }
        }
    }
}

/// Waits `backoff` and doubles it (bounded).
async fn pause(backoff: &mut Duration) {
    tokio::time::sleep(*backoff).await;
    *backoff = (*backoff * 2).min(MAX_BACKOFF);
}
