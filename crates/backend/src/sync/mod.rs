//! Google sync in both directions: Google → Compass (import, notifications, worker, watches, revocation
//! on `invalid_grant`) and Compass → Google ([`outbox`], [`to_google`]: an outbox written with each change,
//! drained by the worker, echoes recognised, conflicts settled by the later writer, backfill after an
//! import). [`SyncEngine`] is the handle the server holds: it runs the background worker, starts imports,
//! and is woken by notifications and by event writes.
//!
//! A change made in **Google** travels:
//!
//! 1. [`notifications`] — ingress: Google POSTs to a watch address (`/api/sync/gcal/notifications`, a route
//!    in `crate::http`); the handler checks the channel token and calls this module, which only
//!    **marks (user, calendar) dirty** (`crate::store::sync_state`) and answers at once;
//! 2. [`worker`] — one worker per dirty calendar (a lease in `crate::store::leases`) drains **every page**
//!    of `events.list?syncToken=…` through `crate::google` and hands the changes to
//! 3. [`from_google`] — applies them to `crate::store::events` in one transaction, advances the sync token
//!    **only after the commit**, then publishes `EVENT_CHANGED`/`SOMEDAY_EVENT_CHANGED` on `crate::sse`
//!    (→ the user's tabs). Echoes of Compass's own writes (same etag) and items whose Compass event has a
//!    pending outbox entry are skipped: no write, no `EVENT_CHANGED`. A 410 from Google leads to one
//!    guarded full resync by [`import`].
//!
//! A change made in **Compass** travels:
//!
//! 1. the flow (`crate::events::service`) writes the event **and its outbox entries in one transaction**
//!    (`crate::events::propagate` decides which; `crate::store::outbox`, one entry per event, coalescing);
//!    the HTTP layer wakes the worker after the write;
//! 2. [`worker`] starts [`outbox`] drains: per user under a lease, oldest entry first, each under its
//!    calendar's lease, at least once, retried with a backoff stored on the entry, permanent failures
//!    recorded on it;
//! 3. [`to_google`] calls the Calendar API with [`google_body`] (`crate::google`; only `sync/` writes to Google): insert with the
//!    Compass id as Google id, patch and delete with `If-Match` (a 412 is settled by the later writer and
//!    traced by [`conflicts`]); then records `gEventId`/`gCalendarId`/etag on the event and completes the
//!    entry in one transaction.
//!
//! Around them: [`watches`] (events and calendar-list channels: open, renew before expiry, repair the
//! missing ones, stop on the last sign-out, disconnect or revocation), [`calendars`] (the calendar list,
//! re-read when its channel says it changed), [`import`] (first and repair imports,
//! `IMPORT_GCAL_START`/`_END`, then the backfill of Compass events made before Google was connected),
//! [`health`] (what `google.connectionState` reports; `USER_METADATA` when it changes), [`revocation`] (a
//! revoked grant removes Google-derived data and the pending Google writes only, then `GOOGLE_REVOKED`; and
//! disconnect). The worker stops with the server (`engine`: work under way is abandoned uncommitted, its
//! leases released).
//!
//! May import: `store`, `sse`, `google`, `domain`, `settings` (never `http` or another flow's internals).

pub mod calendars;
pub mod conflicts;
mod engine;
pub mod from_google;
pub mod google_body;
pub mod health;
pub mod import;
pub mod notifications;
pub mod outbox;
pub mod revocation;
pub mod to_google;
pub mod watches;
pub mod worker;

pub use engine::{SyncEngine, SyncError};
