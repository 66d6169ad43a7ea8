//! The Google Calendar v3 resources the sync engine reads and writes, as serde types with Google's JSON
//! field names (camelCase), and the query parameters of the listing methods.
//!
//! Every resource keeps the fields it does not name in `extra`, so that a read-modify-write
//! (`events.update`) never drops what Google or another client stored (attendees, reminders, colours…).
//! Optional fields are left out of requests when `None`; to remove a field with `events.patch`, put a
//! JSON `null` under its name in `extra`.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use compass_core::GoogleEventId;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

google_enum! {
    /// `Event.status`.
    EventStatus {
        /// The default.
        Confirmed => "confirmed",
        /// Tentatively confirmed.
        Tentative => "tentative",
        /// Deleted, or a cancelled instance of a series.
        Cancelled => "cancelled",
    }
}

google_enum! {
    /// `CalendarListEntry.accessRole`.
    AccessRole {
        /// Sees free/busy only.
        FreeBusyReader => "freeBusyReader",
        /// Reads events.
        Reader => "reader",
        /// Reads and writes events.
        Writer => "writer",
        /// Owns the calendar.
        Owner => "owner",
    }
}

/// `EventDateTime`: either `date` (all-day; the end is exclusive) or `dateTime` (with an offset), and the
/// IANA `timeZone` (required on the start of a recurring event: the series expands in it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventDateTime {
    /// All-day date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// Instant with its UTC offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_time: Option<DateTime<FixedOffset>>,
    /// IANA time zone name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

impl EventDateTime {
    /// An all-day date.
    pub fn date(date: NaiveDate) -> Self {
        Self {
            date: Some(date),
            ..Self::default()
        }
    }

    /// A timed instant, optionally with the zone it was written in.
    pub fn date_time(at: DateTime<FixedOffset>, time_zone: Option<&str>) -> Self {
        Self {
            date_time: Some(at),
            time_zone: time_zone.map(str::to_owned),
            ..Self::default()
        }
    }
}

/// `Event.extendedProperties`: string maps, `private` to this app's copy, `shared` to every attendee's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtendedProperties {
    /// Visible only on this calendar's copy (Compass stamps its own ids here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<BTreeMap<String, String>>,
    /// Visible on every attendee's copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared: Option<BTreeMap<String, String>>,
}

/// A Google `Event`. Deleted events in incremental listings are often sparse: `id` and `status` only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Event id (instance ids are `<series>_<YYYYMMDDTHHMMSSZ>` or `<series>_<YYYYMMDD>`). Compass sets it
    /// on insert (base32hex, 5–1024 characters) so that a retried insert is recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<GoogleEventId>,
    /// Confirmed, tentative or cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<EventStatus>,
    /// Quoted version tag; changes on every write (use with `If-Match`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<EventDateTime>,
    /// End (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<EventDateTime>,
    /// RRULE / EXRULE / RDATE / EXDATE lines of a series master.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<Vec<String>>,
    /// The series an instance belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurring_event_id: Option<GoogleEventId>,
    /// The slot of an instance in its series (immutable, also for moved instances).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_start_time: Option<EventDateTime>,
    /// iCalendar sequence number (a write with a lower one is refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<i64>,
    /// Last modification (server-set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
    /// Creation (server-set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    /// iCalendar UID.
    #[serde(default, rename = "iCalUID", skip_serializing_if = "Option::is_none")]
    pub ical_uid: Option<String>,
    /// Private / shared string properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_properties: Option<ExtendedProperties>,
    /// Every other field, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Event {
    /// True for `status: "cancelled"` (a deleted event or a cancelled instance).
    pub fn is_cancelled(&self) -> bool {
        self.status == Some(EventStatus::Cancelled)
    }

    /// One `extendedProperties.private` value.
    pub fn private_property(&self, key: &str) -> Option<&str> {
        self.extended_properties
            .as_ref()?
            .private
            .as_ref()?
            .get(key)
            .map(String::as_str)
    }
}

/// One page of `events.list` or `events.instances`. More pages exist exactly when `next_page_token` is
/// set (a page may hold fewer items than asked, even none); `next_sync_token` comes on the last page only.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsPage {
    /// The events of this page.
    #[serde(default)]
    pub items: Vec<Event>,
    /// Token of the next page.
    #[serde(default)]
    pub next_page_token: Option<String>,
    /// Token for the next incremental sync (last page only).
    #[serde(default)]
    pub next_sync_token: Option<String>,
    /// The calendar's time zone.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Collection version tag.
    #[serde(default)]
    pub etag: Option<String>,
    /// Last modification of the calendar.
    #[serde(default)]
    pub updated: Option<DateTime<Utc>>,
}

/// A `CalendarListEntry` (the user's view of one calendar).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarListEntry {
    /// Calendar id (the email for a primary calendar).
    pub id: String,
    /// Version tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The user's own title for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_override: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// IANA time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// What the user may do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_role: Option<AccessRole>,
    /// The user's primary calendar.
    #[serde(default)]
    pub primary: bool,
    /// Shown in Google's UI.
    #[serde(default)]
    pub selected: bool,
    /// Hidden from the list in Google's UI.
    #[serde(default)]
    pub hidden: bool,
    /// Removed from the list (incremental sync).
    #[serde(default)]
    pub deleted: bool,
    /// Background colour (`#rrggbb`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_color: Option<String>,
    /// Every other field, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One page of `calendarList.list` (same paging rules as [`EventsPage`]).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarListPage {
    /// The entries of this page.
    #[serde(default)]
    pub items: Vec<CalendarListEntry>,
    /// Token of the next page.
    #[serde(default)]
    pub next_page_token: Option<String>,
    /// Token for the next incremental sync (last page only).
    #[serde(default)]
    pub next_sync_token: Option<String>,
    /// Collection version tag.
    #[serde(default)]
    pub etag: Option<String>,
}

/// A push-notification channel (`events.watch`, `calendarList.watch`; stopped with `channels.stop`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    /// Channel id chosen by Compass (unique among live channels, at most 64 characters).
    pub id: String,
    /// Google's stable id of the watched resource (needed to stop the channel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// Version-specific URI of the watched resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_uri: Option<String>,
    /// The verification token echoed in `X-Goog-Channel-Token` (a secret of the webhook: not logged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Expiry in Unix milliseconds (Google sends a string, sometimes a number; both are read).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "int64_string_or_number",
        serialize_with = "int64_as_string"
    )]
    pub expiration: Option<i64>,
}

impl Channel {
    /// The expiry as a UTC instant.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_millis(self.expiration?)
    }
}

/// The body of a watch request.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchRequest {
    /// New channel id (unique; at most 64 characters).
    pub id: String,
    /// Always `web_hook`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Where Google POSTs notifications (https; loopback http for the emulator).
    pub address: String,
    /// Echoed in `X-Goog-Channel-Token`, to authenticate notifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Requested expiry in Unix milliseconds (Google may shorten it).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "int64_as_string"
    )]
    pub expiration: Option<i64>,
}

impl WatchRequest {
    /// A `web_hook` channel `id` delivering to `address`.
    pub fn new(id: impl Into<String>, address: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            kind: "web_hook",
            address: address.into(),
            token: None,
            expiration: None,
        }
    }

    /// The verification token for `X-Goog-Channel-Token`.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The requested expiry.
    pub fn expiring_at(mut self, at: DateTime<Utc>) -> Self {
        self.expiration = Some(at.timestamp_millis());
        self
    }
}

impl std::fmt::Debug for WatchRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchRequest")
            .field("id", &self.id)
            .field("address", &self.address)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// Parameters of `events.list`. A sync token excludes the window and filter parameters (Google answers
/// 400), so [`EventsQuery::incremental`] sets nothing else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventsQuery {
    /// Continue an incremental sync from this token.
    pub sync_token: Option<String>,
    /// The page to fetch.
    pub page_token: Option<String>,
    /// Page size (Google: 250 by default, at most 2500).
    pub max_results: Option<u32>,
    /// Include cancelled events (always on with a sync token).
    pub show_deleted: Option<bool>,
    /// Expand series into instances.
    pub single_events: Option<bool>,
    /// Exclusive lower bound on an event's end.
    pub time_min: Option<DateTime<Utc>>,
    /// Exclusive upper bound on an event's start.
    pub time_max: Option<DateTime<Utc>>,
    /// Only events changed since.
    pub updated_min: Option<DateTime<Utc>>,
    /// `key=value` filters on private extended properties.
    pub private_extended_property: Vec<String>,
    /// Zone of the answer's `dateTime`s.
    pub time_zone: Option<String>,
}

impl EventsQuery {
    /// A full listing (every event, cancelled ones included).
    pub fn full() -> Self {
        Self {
            show_deleted: Some(true),
            ..Self::default()
        }
    }

    /// An incremental listing from `sync_token`.
    pub fn incremental(sync_token: impl Into<String>) -> Self {
        Self {
            sync_token: Some(sync_token.into()),
            ..Self::default()
        }
    }

    /// The same query for the page `page_token`.
    pub fn page(&self, page_token: impl Into<String>) -> Self {
        Self {
            page_token: Some(page_token.into()),
            ..self.clone()
        }
    }

    /// Page size.
    pub fn max_results(mut self, n: u32) -> Self {
        self.max_results = Some(n);
        self
    }

    pub(crate) fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        push(&mut pairs, "syncToken", self.sync_token.clone());
        push(&mut pairs, "pageToken", self.page_token.clone());
        push(&mut pairs, "maxResults", self.max_results);
        push(&mut pairs, "showDeleted", self.show_deleted);
        push(&mut pairs, "singleEvents", self.single_events);
        push(&mut pairs, "timeMin", self.time_min.map(rfc3339));
        push(&mut pairs, "timeMax", self.time_max.map(rfc3339));
        push(&mut pairs, "updatedMin", self.updated_min.map(rfc3339));
        for filter in &self.private_extended_property {
            pairs.push(("privateExtendedProperty", filter.clone()));
        }
        push(&mut pairs, "timeZone", self.time_zone.clone());
        pairs
    }
}

/// Parameters of `events.instances`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstancesQuery {
    /// The page to fetch.
    pub page_token: Option<String>,
    /// Page size.
    pub max_results: Option<u32>,
    /// Include cancelled instances.
    pub show_deleted: Option<bool>,
    /// Only the instance whose original start is this (RFC 3339, as Google wants it).
    pub original_start: Option<String>,
    /// Exclusive lower bound on an instance's end.
    pub time_min: Option<DateTime<Utc>>,
    /// Exclusive upper bound on an instance's start.
    pub time_max: Option<DateTime<Utc>>,
}

impl InstancesQuery {
    /// The same query for the page `page_token`.
    pub fn page(&self, page_token: impl Into<String>) -> Self {
        Self {
            page_token: Some(page_token.into()),
            ..self.clone()
        }
    }

    pub(crate) fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        push(&mut pairs, "pageToken", self.page_token.clone());
        push(&mut pairs, "maxResults", self.max_results);
        push(&mut pairs, "showDeleted", self.show_deleted);
        push(&mut pairs, "originalStart", self.original_start.clone());
        push(&mut pairs, "timeMin", self.time_min.map(rfc3339));
        push(&mut pairs, "timeMax", self.time_max.map(rfc3339));
        pairs
    }
}

/// Parameters of `calendarList.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarListQuery {
    /// Continue an incremental sync from this token.
    pub sync_token: Option<String>,
    /// The page to fetch.
    pub page_token: Option<String>,
    /// Page size (Google: 100 by default, at most 250).
    pub max_results: Option<u32>,
    /// Include deleted entries.
    pub show_deleted: Option<bool>,
    /// Include hidden entries.
    pub show_hidden: Option<bool>,
}

impl CalendarListQuery {
    /// An incremental listing from `sync_token`.
    pub fn incremental(sync_token: impl Into<String>) -> Self {
        Self {
            sync_token: Some(sync_token.into()),
            ..Self::default()
        }
    }

    /// The same query for the page `page_token`.
    pub fn page(&self, page_token: impl Into<String>) -> Self {
        Self {
            page_token: Some(page_token.into()),
            ..self.clone()
        }
    }

    pub(crate) fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        push(&mut pairs, "syncToken", self.sync_token.clone());
        push(&mut pairs, "pageToken", self.page_token.clone());
        push(&mut pairs, "maxResults", self.max_results);
        push(&mut pairs, "showDeleted", self.show_deleted);
        push(&mut pairs, "showHidden", self.show_hidden);
        pairs
    }
}

fn push<T: ToString>(pairs: &mut Vec<(&'static str, String)>, key: &'static str, value: Option<T>) {
    if let Some(value) = value {
        pairs.push((key, value.to_string()));
    }
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn int64_string_or_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(i64),
        Text(String),
    }
    match Option::<Raw>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Raw::Number(n)) => Ok(Some(n)),
        Some(Raw::Text(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("expiration is not an int64")),
    }
}

fn int64_as_string<S: Serializer>(value: &Option<i64>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(n) => serializer.serialize_str(&n.to_string()),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_reads_google_json_and_keeps_unknown_fields() {
        let raw = json!({
            "kind": "calendar#event", "etag": "\"3526\"", "id": "abc123", "status": "confirmed",
            "summary": "Standup", "updated": "2030-01-07T08:00:00.123Z",
            "start": {"dateTime": "2030-01-07T09:00:00+01:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2030-01-07T09:15:00+01:00", "timeZone": "Europe/Berlin"},
            "recurrence": ["RRULE:FREQ=DAILY;COUNT=10"], "sequence": 2, "iCalUID": "abc123@google.com",
            "extendedProperties": {"private": {"compassEventId": "5f1b"}},
            "attendees": [{"email": "a@example.com"}], "eventType": "default"
        });
        let event: Event = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(event.id.as_ref().map(GoogleEventId::as_str), Some("abc123"));
        assert_eq!(event.status, Some(EventStatus::Confirmed));
        assert_eq!(event.private_property("compassEventId"), Some("5f1b"));
        assert_eq!(event.sequence, Some(2));
        assert!(event.extra.contains_key("attendees"));
        // Round trip: nothing is lost.
        assert_eq!(serde_json::to_value(&event).unwrap(), raw);
    }

    #[test]
    fn sparse_tombstones_and_unknown_statuses_parse() {
        let event: Event =
            serde_json::from_value(json!({"id": "abc_20300107T080000Z", "status": "cancelled"}))
                .unwrap();
        assert!(event.is_cancelled());
        let odd: Event =
            serde_json::from_value(json!({"id": "abcde", "status": "archived"})).unwrap();
        assert_eq!(odd.status, Some(EventStatus::Unknown("archived".into())));
        assert_eq!(serde_json::to_value(&odd).unwrap()["status"], "archived");
    }

    #[test]
    fn all_day_dates_parse() {
        let event: Event = serde_json::from_value(json!({
            "id": "abcde", "start": {"date": "2030-01-07"}, "end": {"date": "2030-01-08"}
        }))
        .unwrap();
        assert_eq!(
            event.start.and_then(|s| s.date),
            NaiveDate::from_ymd_opt(2030, 1, 7)
        );
    }

    #[test]
    fn channel_expiration_reads_strings_and_numbers_and_writes_a_string() {
        let a: Channel =
            serde_json::from_value(json!({"id": "c1", "expiration": "1426325213000"})).unwrap();
        let b: Channel =
            serde_json::from_value(json!({"id": "c1", "expiration": 1426325213000_i64})).unwrap();
        assert_eq!(a.expiration, Some(1_426_325_213_000));
        assert_eq!(a, b);
        assert_eq!(
            serde_json::to_value(&a).unwrap()["expiration"],
            "1426325213000"
        );
        assert!(a.expires_at().is_some());
    }

    #[test]
    fn watch_request_debug_hides_the_token() {
        let request = WatchRequest::new("c1", "https://example.com/hook").with_token("s3cret");
        assert!(!format!("{request:?}").contains("s3cret"));
        let body = serde_json::to_value(&request).unwrap();
        assert_eq!(body["type"], "web_hook");
        assert_eq!(body["token"], "s3cret");
    }

    #[test]
    fn incremental_queries_carry_only_the_token() {
        let pairs = EventsQuery::incremental("tok").page("p2").pairs();
        assert_eq!(
            pairs,
            vec![("syncToken", "tok".into()), ("pageToken", "p2".into())]
        );
        let full = EventsQuery::full().max_results(50).pairs();
        assert!(full.contains(&("showDeleted", "true".into())));
        assert!(full.contains(&("maxResults", "50".into())));
    }
}
