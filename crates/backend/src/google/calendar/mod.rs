//! The Google Calendar v3 client: typed requests and answers for the methods the sync engine needs
//! (`events.list/get/insert/patch/update/delete/instances/watch`, `calendarList.list/watch`,
//! `channels.stop`), against `GoogleSettings::calendar_api_url` (Google, or the emulator in tests).
//!
//! - [`types`]: the Google resources (serde), enums mirroring Google's strings with an `Unknown` arm;
//! - [`error`]: [`GoogleError`], every failure classified once (revoked grant, 401, 403 rate vs
//!   permission, 404, 409, 410 full-sync vs deleted, 412, 429, 5xx, timeout, transport);
//! - [`retry`]: [`RetryPolicy`], exponential backoff with full jitter honouring `Retry-After`, bounded
//!   attempts, a per-request timeout and an overall deadline on every call;
//! - [`token`]: access tokens from the (decrypted) refresh token through `oauth2`, cached until shortly
//!   before expiry, refreshed once on a 401;
//! - [`metrics`]: counters per outcome and a snapshot;
//! - [`client`]: [`CalendarApi`] (shared: HTTP pool, policy, counters) and [`CalendarClient`] (one grant).
//!
//! Which calls are retried, and why a retried insert cannot create a second event, is written down in
//! `docs/google-client.md` and on [`client`]. Only `crate::sync` calls the write methods.

/// Declares an enum mirroring a set of Google strings, with an `Unknown(String)` arm so that a value
/// Google adds later never aborts a sync: `as_str`, `Display`, `From<&str>` and serde (as the string).
macro_rules! google_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this client does not know (kept verbatim).
            Unknown(String),
        }

        impl $name {
            /// The string Google uses.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Unknown(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $wire => $name::$variant, )+
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = <::std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok($name::from(raw.as_ref()))
            }
        }
    };
}

pub mod client;
pub mod error;
pub mod metrics;
pub mod retry;
pub mod token;
pub mod types;

pub use client::{CalendarApi, CalendarClient, DeleteOutcome};
pub use error::{ApiErrorDetails, ErrorClass, ErrorReason, GoogleError};
pub use metrics::MetricsSnapshot;
pub use retry::RetryPolicy;
pub use types::{
    AccessRole, CalendarListEntry, CalendarListPage, CalendarListQuery, Channel, Event,
    EventDateTime, EventStatus, EventsPage, EventsQuery, ExtendedProperties, InstancesQuery,
    WatchRequest,
};
