//! Compass → Google (skeleton): turns one outbox entry into a Calendar API call (insert, patch, delete)
//! through `crate::google`, records the returned `gEventId`, and removes the entry only after Google
//! answered. Only this module writes to Google.
