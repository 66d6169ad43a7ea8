//! Time-based Google behaviour, read from the virtual clock: sync tokens that expire on their own after the
//! configured lifetime, tombstones (cancelled events) purged after the configured retention — a sync token made
//! before a purge it would have needed then answers 410 — and `updatedMin` older than the retention answered
//! with 410 `updatedMinTooLongAgo`. Each knob is off when `None` (the library default, for deterministic tests).

use chrono::{DateTime, Utc};

use super::tokens::{self, SyncPoint, SyncTokenProblem};
use super::Store;
use crate::error::ApiError;

/// 410 `updatedMinTooLongAgo`, as Google answers an `updatedMin` beyond its tombstone retention.
fn updated_min_too_long_ago() -> ApiError {
    ApiError::new(
        410,
        "calendar",
        "updatedMinTooLongAgo",
        "The requested minimum modification time lies too far in the past.",
    )
    .at("parameter", "updatedMin")
}

fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// A sync token for `point`, stamped with the virtual now; `kind` is `E` (events) or `L` (calendar list).
    pub(crate) fn sync_token(&self, kind: char, point: SyncPoint) -> String {
        tokens::encode_sync(&self.token_key, kind, point, self.clock.now_ms())
    }

    /// Opens a sync token of `kind` and checks it belongs to `collection` in its current `epoch`: another
    /// collection's token is invalid (400); an older epoch's (before a reset or expiry), one older than the
    /// sync-token lifetime, or one made before tombstones of `calendar` it would need were purged needs a full
    /// sync (410).
    pub(crate) fn open_sync_token(
        &self,
        kind: char,
        token: &str,
        collection: u64,
        epoch: u64,
        calendar: Option<&str>,
    ) -> Result<SyncPoint, ApiError> {
        let (point, issued_ms) =
            tokens::decode_sync(&self.token_key, kind, token).map_err(|p| match p {
                SyncTokenProblem::Invalid => ApiError::invalid_sync_token(),
                SyncTokenProblem::Stale => ApiError::full_sync_required(),
            })?;
        if point.collection != collection {
            return Err(ApiError::invalid_sync_token());
        }
        if point.epoch != epoch {
            return Err(ApiError::full_sync_required());
        }
        if let Some(lifetime) = self.config.sync_token_lifetime {
            if self.clock.now_ms().saturating_sub(issued_ms) > millis(lifetime) {
                return Err(ApiError::full_sync_required());
            }
        }
        let purged = calendar.and_then(|c| self.purged.get(c)).copied();
        if purged.is_some_and(|horizon| point.seq < horizon) {
            return Err(ApiError::full_sync_required());
        }
        Ok(point)
    }

    /// Refuses an `updatedMin` older than the tombstone retention (when one is configured).
    pub(crate) fn check_updated_min(
        &self,
        updated_min: Option<DateTime<Utc>>,
    ) -> Result<(), ApiError> {
        let (Some(min), Some(retention)) = (updated_min, self.config.tombstone_retention) else {
            return Ok(());
        };
        let horizon = self.clock.now_ms().saturating_sub(millis(retention));
        if min.timestamp_millis() < horizon {
            return Err(updated_min_too_long_ago());
        }
        Ok(())
    }

    /// Purges tombstones at most once per virtual second (called before Calendar requests).
    pub(crate) fn purge_tombstones_now_and_then(&mut self) {
        let now = self.clock.now_ms();
        if self.config.tombstone_retention.is_some() && now - self.last_purge_ms >= 1000 {
            self.last_purge_ms = now;
            self.purge_tombstones();
        }
    }

    /// Forgets cancelled events last changed before the retention horizon (when one is configured): deleted
    /// events, and cancelled instances whose series is gone too (a cancelled instance of a live series is kept
    /// for the series' life, as Google does). Records, per calendar, the change sequence sync tokens must be
    /// newer than. Returns how many were purged.
    pub(crate) fn purge_tombstones(&mut self) -> usize {
        let Some(retention) = self.config.tombstone_retention else {
            return 0;
        };
        let horizon = self.clock.now_ms().saturating_sub(millis(retention));
        let mut purged = 0;
        for (cal_id, cal) in &mut self.calendars {
            let old: Vec<(String, u64)> = cal
                .events
                .values()
                .filter(|e| e.is_cancelled() && e.updated.timestamp_millis() < horizon)
                .filter(|e| {
                    e.recurring_event_id
                        .as_ref()
                        .and_then(|s| cal.events.get(s))
                        .is_none_or(|m| m.is_cancelled())
                })
                .map(|e| (e.id.clone(), e.changed_seq))
                .collect();
            for (id, seq) in &old {
                cal.events.remove(id);
                cal.by_change.remove(seq);
                let mark = self.purged.entry(cal_id.clone()).or_default();
                *mark = (*mark).max(*seq);
            }
            purged += old.len();
        }
        self.total_events = self.total_events.saturating_sub(purged);
        purged
    }
}
