//! Emulator configuration and the seed file format (users, calendars and events loaded at start-up).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Settings of one emulator instance. `Default` suits tests; the binary fills it from its flags.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Lifetime of access tokens (Google: about one hour; `expires_in` is answered in whole seconds).
    pub access_token_lifetime: Duration,
    /// Lifetime of refresh tokens; `None` means they never expire on their own (Google "production" apps).
    /// `Some(7 days)` imitates a consent screen in "Testing" mode.
    pub refresh_token_lifetime: Option<Duration>,
    /// Accept `http://` watch addresses on loopback hosts (127.0.0.0/8, `localhost`, `[::1]`).
    /// The only deliberate difference from Google; on by default.
    pub allow_http_addresses: bool,
    /// Longest lifetime a watch channel may have (Google's default and our clamp: 7 days).
    pub channel_max_ttl: Duration,
    /// Upper bound on stored events (live and deleted) over all calendars; inserts beyond it get 403 `quotaExceeded`.
    pub max_events: usize,
    /// How many requests the request log keeps (oldest dropped first).
    pub request_log_capacity: usize,
    /// Registered OAuth clients. Empty: any `client_id` / `client_secret` is accepted.
    pub clients: Vec<OAuthClient>,
    /// When set, the authorization endpoint approves at once for this user (tests), without the consent page.
    pub auto_approve: Option<String>,
    /// Optional state to load at start-up (and again on each control-API reset).
    pub seed: Option<Seed>,
    /// Number of actix worker threads (1 is plenty for tests).
    pub workers: usize,
    /// Coalesce changes into one `exists` message per channel while one is still pending (as Google does).
    /// On by default; off sends one message per change. Also switchable through the control API.
    pub coalesce_notifications: bool,
    /// How long an `exists` message waits before it is sent (virtual clock); changes in that window coalesce
    /// into it. Default 0 (sent at once); the binary defaults to 1 s, closer to Google.
    pub notification_delay: Duration,
    /// Sync tokens older than this answer 410 `fullSyncRequired` on their own. Default `None` (never); the
    /// binary defaults to 7 days. Google documents no figure.
    pub sync_token_lifetime: Option<Duration>,
    /// Cancelled events last changed longer ago than this are purged; a sync token made before a purge it would
    /// need, or an `updatedMin` older than this, answers 410. Default `None` (kept forever); the binary defaults
    /// to 28 days. Google documents no figure.
    pub tombstone_retention: Option<Duration>,
    /// Google's listing habits (short pages, sparse cancelled instances); Google-like by default.
    pub listing: crate::strictness::ListingBehaviour,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            access_token_lifetime: Duration::from_secs(3599),
            refresh_token_lifetime: None,
            allow_http_addresses: true,
            channel_max_ttl: Duration::from_secs(7 * 24 * 3600),
            max_events: 200_000,
            request_log_capacity: 10_000,
            clients: Vec::new(),
            auto_approve: None,
            seed: None,
            workers: 1,
            coalesce_notifications: true,
            notification_delay: Duration::ZERO,
            sync_token_lifetime: None,
            tombstone_retention: None,
            listing: crate::strictness::ListingBehaviour::default(),
        }
    }
}

/// A registered OAuth client (checked by the token endpoint when any client is registered).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthClient {
    /// The `client_id`.
    pub client_id: String,
    /// The `client_secret`.
    pub client_secret: String,
    /// Allowed redirect URIs; empty allows any.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
}

/// Seed data: JSON file given to `gcal-emulator --seed FILE`, or `EmulatorConfig::seed`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seed {
    /// Users to create, each with a primary calendar whose id is the email.
    #[serde(default)]
    pub users: Vec<SeedUser>,
    /// Registered OAuth clients (added to `EmulatorConfig::clients`).
    #[serde(default)]
    pub clients: Vec<OAuthClient>,
}

/// One seeded user.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedUser {
    /// The account email (also the primary calendar id).
    pub email: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Time zone of the primary calendar (IANA name), default `UTC`.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Events of the primary calendar, as Google `Event` JSON.
    #[serde(default)]
    pub events: Vec<serde_json::Value>,
    /// Secondary calendars.
    #[serde(default)]
    pub calendars: Vec<SeedCalendar>,
}

/// One seeded secondary calendar.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedCalendar {
    /// Calendar id; generated (`…@group.calendar.google.com`) when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Title.
    pub summary: String,
    /// Time zone (IANA name), default the user's.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Events, as Google `Event` JSON.
    #[serde(default)]
    pub events: Vec<serde_json::Value>,
}
