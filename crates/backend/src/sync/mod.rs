//! Google sync in both directions. The Google → Compass direction is built (import, notifications,
//! worker, watches, revocation on `invalid_grant`); Compass → Google ([`outbox`], [`to_google`]) is still
//! a skeleton. [`SyncEngine`] is the handle the server holds: it runs the background worker, starts
//! imports, and is woken by notifications.
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
//!    (→ the user's tabs). A 410 from Google leads to one guarded full resync by [`import`].
//!
//! A change made in **Compass** travels:
//!
//! 1. the flow (`crate::events::service`) writes the event **and an outbox entry in one transaction**
//!    ([`outbox`]: the pending Google write, `crate::store` collection `outbox`);
//! 2. [`worker`] drains the outbox (at-least-once, idempotent by Compass id) and
//! 3. [`to_google`] calls the Calendar API (`crate::google`); only `sync/` writes to Google.
//!
//! Around them: [`watches`] (events and calendar-list channels: open, renew before expiry, repair the
//! missing ones, stop on the last sign-out, disconnect or revocation), [`calendars`] (the calendar list,
//! re-read when its channel says it changed), [`import`] (first and repair imports,
//! `IMPORT_GCAL_START`/`_END`), [`health`] (what `google.connectionState` reports; `USER_METADATA` when it
//! changes), [`revocation`] (a revoked grant removes Google-derived data only, then `GOOGLE_REVOKED`; and
//! disconnect). The worker stops with the server (`engine`: work under way is abandoned uncommitted, its
//! leases released).
//!
//! May import: `store`, `sse`, `google`, `domain`, `settings` (never `http` or another flow's internals).

pub mod calendars;
mod engine;
pub mod from_google;
pub mod health;
pub mod import;
pub mod notifications;
pub mod outbox;
pub mod revocation;
pub mod to_google;
pub mod watches;
pub mod worker;

pub use engine::{SyncEngine, SyncError};
