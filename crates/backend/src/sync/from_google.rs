//! Google → Compass (skeleton): applies one page of Google changes (`events.list` with a sync token) to the
//! store in one transaction (upsert by `gEventId`, cancellations delete, series by `gRecurringEventId`),
//! advances the sync token only after the commit, then publishes to the hub. Replays are idempotent.
