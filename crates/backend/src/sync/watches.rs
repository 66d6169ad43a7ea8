//! Watches (skeleton): opens a notification channel per calendar (and the calendar list), renews each
//! before it expires (the server does it itself), stops them on revocation; `crate::store::watches` holds them.
