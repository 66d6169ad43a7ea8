//! Notification ingress (skeleton): turns a verified Google push notification (channel id, resource id,
//! `X-Goog-Resource-State`) into a dirty mark on (user, calendar) in `crate::store::sync_state`, and
//! nothing more, so the HTTP answer is immediate. The `sync` and `exists` states are the only ones Google
//! sends; an unknown channel is ignored (Google retries a 5xx, so only storage failures answer one).
