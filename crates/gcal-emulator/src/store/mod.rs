//! The emulator's in-memory state: users, their calendars (each with its events indexed by id and by change
//! sequence), OAuth grants, watch channels, fault rules and the request log. One `Store` lives behind a mutex;
//! operations are synchronous and never do I/O (notifications are handed to delivery tasks through queues).

pub(crate) mod auth;
pub(crate) mod calendars;
pub(crate) mod channels;
pub(crate) mod event_time;
pub(crate) mod events;
pub(crate) mod faults;
pub(crate) mod listing;
pub(crate) mod recurrence;
pub(crate) mod request_log;
pub(crate) mod retention;
pub(crate) mod tokens;

use std::collections::{BTreeMap, HashMap, VecDeque};

use rand::distributions::Alphanumeric;
use rand::Rng;

use crate::clock::Clock;
use crate::config::EmulatorConfig;
use crate::error::ApiError;

pub(crate) use calendars::Calendar;
pub(crate) use events::Event;

/// A Google account known to the emulator.
#[derive(Debug, Clone)]
pub(crate) struct User {
    /// Email (lower case); also the id of the primary calendar.
    pub email: String,
    /// Stable numeric-looking subject id (`sub`).
    pub sub: String,
    /// Display name.
    pub name: String,
    /// Internal number (used in calendar-list sync tokens).
    pub num: u64,
    /// Calendar-list token epoch (bumped to expire tokens).
    pub list_epoch: u64,
    /// Stable resource id for calendar-list watches.
    pub list_resource_id: String,
    /// Ids of the calendars this user owns, live or deleted.
    pub calendars: Vec<String>,
}

/// Everything the emulator holds.
pub(crate) struct Store {
    /// Global change counter; every change of an event or calendar-list entry takes the next value.
    pub seq: u64,
    /// Internal numbering for users and calendars.
    pub next_num: u64,
    /// Users by lower-case email.
    pub users: BTreeMap<String, User>,
    /// Calendars by id.
    pub calendars: HashMap<String, Calendar>,
    /// Events stored over all calendars (live and cancelled).
    pub total_events: usize,
    /// OAuth state.
    pub auth: auth::AuthStore,
    /// Watch channels by channel id.
    pub channels: HashMap<String, channels::Channel>,
    /// Fault rules.
    pub faults: faults::Faults,
    /// Recent requests.
    pub log: request_log::RequestLog,
    /// Recent notification delivery attempts.
    pub deliveries: VecDeque<channels::DeliveryRecord>,
    /// Notification delivery control (pause, flush, coalescing).
    pub notifier: channels::Notifier,
    /// The virtual clock (shared with the application state; survives resets).
    pub clock: Clock,
    /// Per calendar id: the newest change sequence of a purged tombstone (older sync tokens answer 410).
    pub purged: HashMap<String, u64>,
    /// Virtual time (unix ms) of the last tombstone purge.
    pub last_purge_ms: i64,
    /// User the authorization endpoint approves at once for, if any.
    pub auto_approve: Option<String>,
    /// Limits taken from the configuration.
    pub config: Limits,
    /// Seals sync and page tokens; new for every store, so tokens do not survive a reset.
    pub token_key: tokens::TokenKey,
}

/// The limits of the configuration the store enforces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Most events stored.
    pub max_events: usize,
    /// Longest channel lifetime.
    pub channel_max_ttl: std::time::Duration,
    /// Sync tokens older than this answer 410 (`None`: never on their own).
    pub sync_token_lifetime: Option<std::time::Duration>,
    /// Cancelled events older than this are purged (`None`: kept forever).
    pub tombstone_retention: Option<std::time::Duration>,
    /// Listing habits (short pages, sparse cancelled instances).
    pub listing: crate::strictness::ListingBehaviour,
    /// Seed of the short-page sizes (the configured one, or random per store).
    pub listing_seed: u64,
}

/// Random lower-case alphanumeric string.
pub(crate) fn random_token(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Random id in Google's event-id alphabet (base32hex, `a-v0-9`).
pub(crate) fn random_base32hex(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuv0123456789";
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

impl Store {
    /// An empty store reading `clock`.
    pub(crate) fn new(config: &EmulatorConfig, clock: Clock) -> Self {
        Self {
            seq: 0,
            next_num: 1,
            users: BTreeMap::new(),
            calendars: HashMap::new(),
            total_events: 0,
            auth: auth::AuthStore::new(clock.clone()),
            channels: HashMap::new(),
            faults: faults::Faults::new(clock.clone()),
            log: request_log::RequestLog::new(config.request_log_capacity),
            deliveries: VecDeque::new(),
            notifier: channels::Notifier::new(
                config.coalesce_notifications,
                config.notification_delay,
            ),
            clock,
            purged: HashMap::new(),
            last_purge_ms: 0,
            auto_approve: config.auto_approve.clone(),
            config: Limits {
                max_events: config.max_events,
                channel_max_ttl: config.channel_max_ttl,
                sync_token_lifetime: config.sync_token_lifetime,
                tombstone_retention: config.tombstone_retention,
                listing: config.listing,
                listing_seed: config.listing.seed.unwrap_or_else(rand::random),
            },
            token_key: tokens::TokenKey::random(),
        }
    }

    /// Takes the next change sequence number.
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Creates a user with a primary calendar, or returns the existing one.
    pub(crate) fn ensure_user(
        &mut self,
        email: &str,
        name: Option<&str>,
        time_zone: Option<&str>,
    ) -> Result<User, ApiError> {
        let email = email.trim().to_ascii_lowercase();
        if !email.contains('@') || email.len() < 3 || email.len() > 254 {
            return Err(ApiError::bad_request("Invalid email address."));
        }
        if let Some(user) = self.users.get(&email) {
            return Ok(user.clone());
        }
        let num = self.next_num;
        self.next_num += 1;
        let local = email.split('@').next().unwrap_or_default().to_owned();
        let user = User {
            email: email.clone(),
            sub: format!(
                "1{:020}",
                rand::thread_rng().gen_range(0..10u64.pow(19)) + num
            ),
            name: name.map(str::to_owned).unwrap_or(local),
            num,
            list_epoch: 0,
            list_resource_id: random_token(27),
            calendars: Vec::new(),
        };
        self.users.insert(email.clone(), user);
        let zone = time_zone.unwrap_or("UTC");
        self.create_calendar(&email, Some(&email), &email, zone, true)?;
        self.users
            .get(&email)
            .cloned()
            .ok_or_else(ApiError::backend_error)
    }

    /// The user with this email.
    pub(crate) fn user(&self, email: &str) -> Option<&User> {
        self.users.get(&email.trim().to_ascii_lowercase())
    }
}
