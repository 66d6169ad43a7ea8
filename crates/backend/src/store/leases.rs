//! The `lease` collection: named, expiring locks so that one background job (a calendar's sync
//! worker, the watch renewer) runs on one server instance at a time.
//!
//! A lease is free when it does not exist or has expired; its holder may renew it. Acquisition is one
//! atomic upsert: when another holder's live lease exists, the upsert collides with its `_id` and
//! the attempt simply fails.

use std::time::Duration;

use chrono::Utc;
use mongodb::bson::{self, doc, Document};
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use super::convert::{now, to_bson_date};
use super::decode::decode_one;
use super::{Store, StoreError};

/// Collection name.
pub const COLLECTION: &str = "lease";

/// A held lease.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseDoc {
    /// The lease name (e.g. `sync:<user>:<calendar>`).
    #[serde(rename = "_id")]
    pub name: String,
    /// Who holds it (an instance/worker id).
    pub holder: String,
    /// When it lapses unless renewed.
    pub expires_at: bson::DateTime,
    /// When it was last acquired or renewed.
    pub renewed_at: bson::DateTime,
}

/// Typed access to the `lease` collection.
#[derive(Clone, Debug)]
pub struct Leases {
    raw: Collection<Document>,
}

impl Leases {
    /// The collection of `store`.
    pub fn new(store: &Store) -> Self {
        Leases {
            raw: store.collection(COLLECTION),
        }
    }

    /// Takes (or renews, for its holder) the lease `name` for `ttl`. `Ok(None)` when someone else
    /// holds a live lease.
    pub async fn acquire(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<LeaseDoc>, StoreError> {
        let at = Utc::now();
        let expires = at + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
        let filter = doc! {
            "_id": name,
            "$or": [ { "holder": holder }, { "expiresAt": { "$lte": to_bson_date(at) } } ],
        };
        let update = doc! { "$set": {
            "holder": holder,
            "expiresAt": to_bson_date(expires),
            "renewedAt": now(),
        } };
        match self
            .raw
            .find_one_and_update(filter, update)
            .upsert(true)
            .return_document(mongodb::options::ReturnDocument::After)
            .await
            .map_err(StoreError::from)
        {
            Ok(Some(document)) => Ok(Some(decode_one(COLLECTION, document)?)),
            Ok(None) => Ok(None),
            Err(StoreError::Conflict { .. }) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// Runs `job` while `holder` renews the lease `name` every third of `ttl`, so that a lease whose holder
    /// died (a crash, a killed process, a shutdown that dropped the job) lapses within `ttl` instead of
    /// after the longest a job may take. The caller acquired the lease and releases it afterwards. A failed
    /// renewal is logged and tried again at the next tick (the job is not interrupted: its writes commit
    /// in one transaction, and a lost lease at worst lets another instance run the same idempotent work).
    ///
    /// The renewal runs *beside* the job, both polled all the time. (It used to run in a `select!` arm,
    /// which left the job unpolled while the renewal waited for a pooled connection; a job frozen there
    /// keeps the connection it holds, so once as many jobs as the pool has connections renewed at once,
    /// every connection sat in a frozen job and the whole server waited for ever: the long convergence
    /// run's "one-minute stall".)
    pub async fn renewing<F: std::future::Future>(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
        job: F,
    ) -> F::Output {
        let period = (ttl / 3).max(Duration::from_millis(10));
        let renew = async {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match self.acquire(name, holder, ttl).await {
                    Ok(Some(_)) => {}
                    Ok(None) => {
                        tracing::warn!(
                            lease = name,
                            "lease taken by another holder while its job ran"
                        );
                    }
                    Err(error) => {
                        tracing::warn!(%error, lease = name, "lease not renewed (tried again)")
                    }
                }
            }
        };
        tokio::pin!(job, renew);
        tokio::select! {
            output = &mut job => output,
            // The renewal loop never ends; were it to, the job still runs to its end.
            () = &mut renew => job.await,
        }
    }

    /// Gives the lease up if `holder` holds it; `false` otherwise.
    pub async fn release(&self, name: &str, holder: &str) -> Result<bool, StoreError> {
        let result = self
            .raw
            .delete_one(doc! { "_id": name, "holder": holder })
            .await?;
        Ok(result.deleted_count == 1)
    }

    /// The current lease record, live or expired.
    pub async fn get(&self, name: &str) -> Result<Option<LeaseDoc>, StoreError> {
        match self.raw.find_one(doc! { "_id": name }).await? {
            Some(document) => Ok(Some(decode_one(COLLECTION, document)?)),
            None => Ok(None),
        }
    }
}
