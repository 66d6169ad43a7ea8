//! The sync workers (skeleton): one task per dirty (user, calendar), held by a lease
//! (`crate::store::leases`) so that one server instance drains it at a time. Drains every page from Google
//! (`from_google`) and then the outbox of that user (`to_google`); retries with backoff on 429/5xx.
