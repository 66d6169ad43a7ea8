//! The Google Calendar v3 client (skeleton): `calendarList.list`, `events.list` (pages, sync tokens, 410),
//! `events.insert/patch/delete`, `events.watch` and `channels.stop`, against
//! `GoogleSettings::calendar_api_url`. Its error type will separate rate limits (429/403 `rateLimitExceeded`),
//! unavailability (5xx), an expired sync token (410) and a revoked grant (`invalid_grant`), so that `sync/`
//! decides retries in one place. Only `crate::sync` calls the write methods.
