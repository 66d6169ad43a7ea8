//! A bound on failed sign-in attempts, per account and per client IP, kept in MongoDB (`auth_attempt`)
//! so that every worker and every server instance sees the same counts.
//!
//! Fixed windows of [`WINDOW`]: each failure increments a counter document keyed by
//! `(kind, sha256(key), window start)`; a TTL index removes old windows. While a counter is at its limit,
//! further attempts are refused with 429 and `Retry-After` (the end of the window) — even with the right
//! password. Account keys are counted for unknown emails too, so a lockout reveals nothing about which
//! emails exist. The price of a per-account bound is that someone can lock an account for one window.

use std::time::Duration;

use chrono::{DateTime, Utc};
use mongodb::bson::{self, doc};
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};
use crate::domain::{Email, TokenDigest};

/// Collection name.
pub const COLLECTION: &str = "auth_attempt";
/// Length of one counting window.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed attempts allowed per account (normalised email) and window.
pub const PER_ACCOUNT: i64 = 10;
/// Failed attempts allowed per client IP and window.
pub const PER_IP: i64 = 100;

/// What is being counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptKey {
    /// Failures for one account (also for emails without an account).
    Account(Email),
    /// Failures from one client address.
    Ip(String),
}

impl AttemptKey {
    fn parts(&self) -> (&'static str, String, i64) {
        match self {
            AttemptKey::Account(email) => (
                "account",
                TokenDigest::of(email.as_str()).as_str().to_owned(),
                PER_ACCOUNT,
            ),
            AttemptKey::Ip(ip) => ("ip", TokenDigest::of(ip).as_str().to_owned(), PER_IP),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct AttemptDoc {
    #[serde(rename = "_id")]
    id: String,
    count: i64,
    #[serde(rename = "expiresAt")]
    expires_at: bson::DateTime,
}

/// The window `now` falls in: its start and end.
fn window_of(now: DateTime<Utc>) -> (i64, DateTime<Utc>) {
    let window = WINDOW.as_secs() as i64;
    let start = now.timestamp().div_euclid(window) * window;
    let end = DateTime::<Utc>::from_timestamp(start + window, 0).unwrap_or(now);
    (start, end)
}

/// Counters of failed attempts.
#[derive(Debug, Clone)]
pub struct Attempts {
    collection: Collection<AttemptDoc>,
}

impl Attempts {
    /// The counters in `store`.
    pub fn new(store: &Store) -> Self {
        Self {
            collection: store.collection(COLLECTION),
        }
    }

    fn id(key: &AttemptKey, now: DateTime<Utc>) -> (String, i64) {
        let (kind, digest, limit) = key.parts();
        let (start, _) = window_of(now);
        (format!("{kind}:{digest}:{start}"), limit)
    }

    /// `Err(retry_after)` when any of `keys` has reached its limit in the current window.
    pub async fn check(
        &self,
        keys: &[AttemptKey],
        now: DateTime<Utc>,
    ) -> Result<Result<(), Duration>, StoreError> {
        for key in keys {
            let (id, limit) = Self::id(key, now);
            if let Some(counter) = self.collection.find_one(doc! { "_id": &id }).await? {
                if counter.count >= limit {
                    let (_, end) = window_of(now);
                    let retry_after = (end - now).to_std().unwrap_or(Duration::from_secs(1));
                    return Ok(Err(retry_after));
                }
            }
        }
        Ok(Ok(()))
    }

    /// Counts one failure for each of `keys`.
    pub async fn record_failure(
        &self,
        keys: &[AttemptKey],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (_, end) = window_of(now);
        for key in keys {
            let (id, _) = Self::id(key, now);
            self.collection
                .update_one(
                    doc! { "_id": &id },
                    doc! {
                        "$inc": { "count": 1_i64 },
                        "$setOnInsert": { "expiresAt": bson::DateTime::from_millis(end.timestamp_millis()) },
                    },
                )
                .upsert(true)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned_and_contain_now() {
        let now = DateTime::<Utc>::from_timestamp(1_700_000_123, 0).unwrap();
        let (start, end) = window_of(now);
        assert_eq!(start % WINDOW.as_secs() as i64, 0);
        assert!(start <= now.timestamp() && now < end);
        assert_eq!(end.timestamp() - start, WINDOW.as_secs() as i64);
    }

    #[test]
    fn keys_do_not_store_the_email_in_clear() {
        let email = Email::parse("ann@example.com").unwrap();
        let now = Utc::now();
        let (id, limit) = Attempts::id(&AttemptKey::Account(email), now);
        assert!(!id.contains("ann"));
        assert!(id.starts_with("account:"));
        assert_eq!(limit, PER_ACCOUNT);
        let (ip_id, ip_limit) = Attempts::id(&AttemptKey::Ip("127.0.0.1".into()), now);
        assert!(ip_id.starts_with("ip:"));
        assert_eq!(ip_limit, PER_IP);
    }
}
