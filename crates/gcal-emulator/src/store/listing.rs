//! Listings: events.list (paging, sync tokens, deleted entries, series expansion, time windows, filters),
//! events.instances and calendarList.list (with its own sync tokens).

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

use super::event_time::{display_zone, parse_query_time, rfc3339_millis, zone_or_utc};
use super::tokens::{self, PageCursor, SyncPoint};
use super::{recurrence, Calendar, Event, Store};
use crate::error::ApiError;

/// Query parameters as received (repeated keys allowed).
pub(crate) type Params = Vec<(String, String)>;

fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn bool_param(params: &Params, name: &str) -> Result<Option<bool>, ApiError> {
    match param(params, name) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid_param(
            name,
            format!("Invalid value for: {name}"),
        )),
    }
}

fn max_results(params: &Params, default: usize, max: usize) -> Result<usize, ApiError> {
    match param(params, "maxResults") {
        None => Ok(default),
        Some(text) => match text.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(max).min(max)),
            _ => Err(ApiError::invalid_param(
                "maxResults",
                "Invalid value for: maxResults",
            )),
        },
    }
}

/// Parsed events.list query.
struct EventQuery {
    max: usize,
    show_deleted: Option<bool>,
    single_events: bool,
    time_min: Option<DateTime<Utc>>,
    time_max: Option<DateTime<Utc>>,
    updated_min: Option<DateTime<Utc>>,
    order_by: Option<String>,
    q: Option<String>,
    private_props: Vec<(String, String)>,
    shared_props: Vec<(String, String)>,
    ical_uid: Option<String>,
    event_types: Vec<String>,
}

/// The `eventTypes` Google knows (discovery document).
const EVENT_TYPES: [&str; 6] = [
    "birthday",
    "default",
    "focusTime",
    "fromGmail",
    "outOfOffice",
    "workingLocation",
];

/// Repeated `eventTypes` values, each one Google knows.
fn event_types(params: &Params) -> Result<Vec<String>, ApiError> {
    params
        .iter()
        .filter(|(k, _)| k == "eventTypes")
        .map(|(_, v)| {
            if EVENT_TYPES.contains(&v.as_str()) {
                Ok(v.clone())
            } else {
                Err(ApiError::invalid_param(
                    "eventTypes",
                    "Invalid value for: eventTypes",
                ))
            }
        })
        .collect()
}

fn props(params: &Params, name: &str) -> Result<Vec<(String, String)>, ApiError> {
    params
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| {
            v.split_once('=')
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .ok_or_else(|| ApiError::invalid_param(name, format!("Invalid value for: {name}")))
        })
        .collect()
}

impl EventQuery {
    fn parse(params: &Params) -> Result<Self, ApiError> {
        let time = |name| {
            param(params, name)
                .map(|t| parse_query_time(name, t))
                .transpose()
        };
        let q = Self {
            max: max_results(params, 250, 2500)?,
            show_deleted: bool_param(params, "showDeleted")?,
            single_events: bool_param(params, "singleEvents")?.unwrap_or(false),
            time_min: time("timeMin")?,
            time_max: time("timeMax")?,
            updated_min: time("updatedMin")?,
            order_by: param(params, "orderBy").map(str::to_owned),
            q: param(params, "q").map(str::to_lowercase),
            private_props: props(params, "privateExtendedProperty")?,
            shared_props: props(params, "sharedExtendedProperty")?,
            ical_uid: param(params, "iCalUID").map(str::to_owned),
            event_types: event_types(params)?,
        };
        if let (Some(min), Some(max)) = (q.time_min, q.time_max) {
            if min >= max {
                return Err(ApiError::time_range_empty("timeMax"));
            }
        }
        match q.order_by.as_deref() {
            None | Some("updated") => {}
            Some("startTime") if q.single_events => {}
            Some(_) => {
                return Err(ApiError::invalid_param(
                    "orderBy",
                    "The requested ordering is not available for the particular query.",
                ))
            }
        }
        Ok(q)
    }

    /// Restrictions that may not be combined with a sync token.
    fn has_sync_restrictions(&self, params: &Params) -> bool {
        let names = [
            "iCalUID",
            "orderBy",
            "privateExtendedProperty",
            "q",
            "sharedExtendedProperty",
            "timeMin",
            "timeMax",
            "updatedMin",
        ];
        names.iter().any(|n| param(params, n).is_some())
    }

    /// Field filters (q, extended properties, iCalUID, eventTypes, updatedMin) on the stored event.
    fn matches_filters(&self, e: &Event) -> bool {
        if let Some(q) = &self.q {
            let fields = ["summary", "description", "location"]
                .iter()
                .filter_map(|k| e.body.get(*k).and_then(Value::as_str));
            let attendees = e
                .body
                .get("attendees")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .flat_map(|a| ["email", "displayName"].map(|k| a.get(k).and_then(Value::as_str)))
                .flatten();
            let found = fields
                .chain(attendees)
                .any(|s| s.to_lowercase().contains(q));
            if !found {
                return false;
            }
        }
        let has_props = |scope: &str, wanted: &[(String, String)]| {
            wanted.iter().all(|(k, v)| {
                e.body
                    .get("extendedProperties")
                    .and_then(|x| x.get(scope))
                    .and_then(|x| x.get(k))
                    .and_then(Value::as_str)
                    == Some(v.as_str())
            })
        };
        if !has_props("private", &self.private_props) || !has_props("shared", &self.shared_props) {
            return false;
        }
        if self.ical_uid.as_ref().is_some_and(|u| *u != e.ical_uid) {
            return false;
        }
        if !self.event_types.is_empty() && !e.is_cancelled() {
            let kind = e
                .body
                .get("eventType")
                .and_then(Value::as_str)
                .unwrap_or("default");
            if !self.event_types.iter().any(|t| t == kind) {
                return false;
            }
        }
        self.updated_min.is_none_or(|m| e.updated >= m)
    }
}

/// One listing item, turned into JSON only when it lands on the page (ordered listings sort many of them).
enum Item<'a> {
    /// A stored event, full.
    Full(&'a Event),
    /// A stored cancelled event, sparse.
    Sparse(&'a Event),
    /// A generated instance of a series.
    Instance(Box<Event>),
}

impl Item<'_> {
    /// Start instant (for `orderBy=startTime`), all-day dates read in `zone`.
    fn start(&self, zone: Tz) -> DateTime<Utc> {
        match self {
            Self::Full(e) | Self::Sparse(e) => e.start.instant_in(zone),
            Self::Instance(e) => e.start.instant_in(zone),
        }
    }

    /// Last modification (for `orderBy=updated`).
    fn updated(&self) -> DateTime<Utc> {
        match self {
            Self::Full(e) | Self::Sparse(e) => e.updated,
            Self::Instance(e) => e.updated,
        }
    }

    /// Event id (instance id for instances).
    fn id(&self) -> &str {
        match self {
            Self::Full(e) | Self::Sparse(e) => &e.id,
            Self::Instance(e) => &e.id,
        }
    }

    /// Google's JSON for the item, `dateTime`s in `zone`; `bare` sends cancelled instances as only
    /// `{kind, etag, id, status}`.
    fn json(&self, cal: &Calendar, zone: Tz, bare: bool) -> Value {
        match self {
            Self::Full(e) => e.full_json_in(cal, zone),
            Self::Sparse(e) if bare && e.recurring_event_id.is_some() => e.bare_json(),
            Self::Sparse(e) => e.sparse_json(zone),
            Self::Instance(e) => e.full_json_in(cal, zone),
        }
    }
}

/// The generated instances of series `e` that overlap `[min, max)` (all-day dates read in `zone`).
fn instances_in(
    e: &Event,
    min: Option<DateTime<Utc>>,
    max: Option<DateTime<Utc>>,
    zone: Tz,
) -> impl Iterator<Item = Event> + '_ {
    let duration = e.end.utc() - e.start.utc();
    // All-day slots are expanded at midnight UTC; a day either side covers any calendar zone.
    let pad = if e.start.is_date() {
        Duration::days(1)
    } else {
        Duration::zero()
    };
    recurrence::occurrences(
        &e.start,
        &e.recurrence(),
        min.map(|t| t - duration - pad),
        max.map(|t| t + pad),
    )
    .into_iter()
    .map(|s| e.instance(s))
    .filter(move |i| i.overlaps(min, max, zone))
}

/// The items one stored event contributes to a listing; `zone` is the calendar's (for all-day dates).
fn event_items<'a>(
    cal: &Calendar,
    e: &'a Event,
    q: &EventQuery,
    include_deleted: bool,
    zone: Tz,
) -> Vec<Item<'a>> {
    if !q.matches_filters(e) {
        return Vec::new();
    }
    if e.is_cancelled() {
        let series_alive = e
            .recurring_event_id
            .as_ref()
            .and_then(|s| cal.events.get(s))
            .is_some_and(|m| !m.is_cancelled());
        let show = include_deleted || (series_alive && !q.single_events);
        if show && e.overlaps(q.time_min, q.time_max, zone) {
            return vec![Item::Sparse(e)];
        }
        return Vec::new();
    }
    if e.is_series() {
        let unbounded = q.time_min.is_none() && q.time_max.is_none();
        if !q.single_events && unbounded {
            return vec![Item::Full(e)];
        }
        let mut instances = instances_in(e, q.time_min, q.time_max, zone);
        if !q.single_events {
            return if instances.next().is_some() {
                vec![Item::Full(e)]
            } else {
                Vec::new()
            };
        }
        return instances
            .filter(|i| !cal.events.contains_key(&i.id))
            .map(|i| Item::Instance(Box::new(i)))
            .collect();
    }
    if e.overlaps(q.time_min, q.time_max, zone) {
        vec![Item::Full(e)]
    } else {
        Vec::new()
    }
}

fn bad_page_token() -> ApiError {
    ApiError::invalid_param("pageToken", "Invalid page token value.")
}

impl Store {
    /// Most items of the listing page at `position` (short pages when configured).
    fn page_capacity(&self, max: usize, position: u64) -> usize {
        self.config
            .listing
            .page_capacity(self.config.listing_seed, max, position)
    }

    /// events.list.
    pub(crate) fn list_events(
        &self,
        user: &str,
        cal_id: &str,
        params: &Params,
    ) -> Result<Value, ApiError> {
        let cal = self.owned_calendar(user, cal_id)?;
        let q = EventQuery::parse(params)?;
        self.check_updated_min(q.updated_min)?;
        let zone = zone_or_utc(&cal.time_zone);
        let shown = display_zone(param(params, "timeZone"), &cal.time_zone)?;
        let hash = tokens::params_hash(params);
        let cursor = if let Some(page) = param(params, "pageToken") {
            let c = tokens::decode_page(&self.token_key, page).ok_or_else(bad_page_token)?;
            if c.c != cal.num || c.h != hash {
                return Err(bad_page_token());
            }
            if c.i && c.e != cal.token_epoch {
                return Err(ApiError::full_sync_required());
            }
            c
        } else if let Some(sync) = param(params, "syncToken") {
            if q.has_sync_restrictions(params) {
                return Err(ApiError::invalid_param(
                    "syncToken",
                    "Sync token cannot be used with other request restrictions.",
                ));
            }
            if q.show_deleted == Some(false) {
                return Err(ApiError::invalid_param(
                    "showDeleted",
                    "Sync token cannot be used with showDeleted=false.",
                ));
            }
            let point = self.open_sync_token('E', sync, cal.num, cal.token_epoch, Some(&cal.id))?;
            PageCursor {
                c: cal.num,
                s: self.seq,
                f: point.seq,
                i: true,
                e: cal.token_epoch,
                n: point.seq.saturating_add(1),
                k: 0,
                h: hash,
                a: None,
            }
        } else {
            PageCursor {
                c: cal.num,
                s: self.seq,
                f: 0,
                i: false,
                e: cal.token_epoch,
                n: 0,
                k: 0,
                h: hash,
                a: None,
            }
        };
        let include_deleted = cursor.i || q.updated_min.is_some() || q.show_deleted == Some(true);
        // Google's incremental sync often reports a cancelled instance without its series and slot.
        let bare = cursor.i && self.config.listing.sparse_cancelled_instances;
        // Open-ended ranges cut with take_while: a BTreeMap range must never start after its end.
        let snapshot = cursor.s;
        let range = cal
            .by_change
            .range(cursor.n..)
            .take_while(|(k, _)| **k <= snapshot);
        let mut items = Vec::new();
        let mut next: Option<PageCursor> = None;
        if let Some(order) = &q.order_by {
            let mut all: Vec<Item> = Vec::new();
            for (_, id) in cal
                .by_change
                .range(cursor.f.saturating_add(u64::from(cursor.i))..)
                .take_while(|(k, _)| **k <= snapshot)
            {
                if let Some(e) = cal.events.get(id) {
                    all.extend(event_items(cal, e, &q, include_deleted, zone));
                }
            }
            // Keyset paging on (sort key, id): an item that changes between pages leaves the snapshot without
            // shifting the others, so none is skipped or served twice.
            let by_updated = order == "updated";
            let key = |i: &Item| {
                let t = if by_updated {
                    i.updated()
                } else {
                    i.start(zone)
                };
                (t.timestamp_micros(), i.id().to_owned())
            };
            let mut keyed: Vec<((i64, String), Item)> =
                all.into_iter().map(|i| (key(&i), i)).collect();
            keyed.sort_by(|x, y| x.0.cmp(&y.0));
            let from = match &cursor.a {
                Some(after) => keyed.partition_point(|(k, _)| k <= after),
                None => 0,
            };
            let page = keyed.get(from..).unwrap_or_default();
            let cap = self.page_capacity(q.max, cursor.s ^ u64::try_from(from).unwrap_or(0));
            items = page
                .iter()
                .take(cap)
                .map(|(_, i)| i.json(cal, shown, bare))
                .collect();
            if page.len() > cap {
                next = Some(PageCursor {
                    a: page.get(cap.saturating_sub(1)).map(|(k, _)| k.clone()),
                    k: 0,
                    ..cursor.clone()
                });
            }
        } else {
            let cap = self.page_capacity(
                q.max,
                cursor.s ^ (cursor.n << 16) ^ u64::try_from(cursor.k).unwrap_or(0),
            );
            let mut iter = range.peekable();
            'events: while let Some((seq, id)) = iter.next() {
                let Some(e) = cal.events.get(id) else {
                    continue;
                };
                let produced = event_items(cal, e, &q, include_deleted, zone);
                let skip = if *seq == cursor.n { cursor.k } else { 0 };
                for (idx, item) in produced.into_iter().enumerate().skip(skip) {
                    if items.len() == cap {
                        next = Some(PageCursor {
                            n: *seq,
                            k: idx,
                            ..cursor.clone()
                        });
                        break 'events;
                    }
                    items.push(item.json(cal, shown, bare));
                }
                if items.len() == cap {
                    if let Some((after, _)) = iter.peek() {
                        next = Some(PageCursor {
                            n: **after,
                            k: 0,
                            ..cursor.clone()
                        });
                    }
                    break;
                }
            }
        }
        let mut body = json!({
            "kind": "calendar#events",
            "etag": format!("\"p{}\"", cursor.s),
            "summary": cal.summary,
            "description": cal.description.clone().unwrap_or_default(),
            "updated": rfc3339_millis(self.clock.now()),
            "timeZone": cal.time_zone,
            "accessRole": "owner",
            "defaultReminders": if cal.primary { json!([{"method": "popup", "minutes": 30}]) } else { json!([]) },
            "items": items,
        });
        match next {
            Some(c) => body["nextPageToken"] = json!(tokens::encode_page(&self.token_key, &c)),
            None => {
                let point = SyncPoint {
                    collection: cal.num,
                    epoch: cal.token_epoch,
                    seq: cursor.s,
                };
                body["nextSyncToken"] = json!(self.sync_token('E', point));
            }
        }
        Ok(body)
    }

    /// events.instances: the instances of a series (exceptions included), ordered by original start.
    pub(crate) fn list_instances(
        &self,
        user: &str,
        cal_id: &str,
        id: &str,
        params: &Params,
    ) -> Result<Value, ApiError> {
        let cal = self.owned_calendar(user, cal_id)?;
        let master = cal.events.get(id).ok_or_else(ApiError::not_found)?;
        if master.is_cancelled() {
            return Err(ApiError::deleted());
        }
        let max = max_results(params, 250, 2500)?;
        let show_deleted = bool_param(params, "showDeleted")?.unwrap_or(false);
        let time = |name| {
            param(params, name)
                .map(|t| parse_query_time(name, t))
                .transpose()
        };
        let (time_min, time_max) = (time("timeMin")?, time("timeMax")?);
        let original = time("originalStart")?;
        let zone = zone_or_utc(&cal.time_zone);
        let shown = display_zone(param(params, "timeZone"), &cal.time_zone)?;
        // Items keyed by their slot in the series (original start), for keyset paging.
        let mut items: Vec<(i64, Value)> = Vec::new();
        if master.is_series() {
            let duration = master.end.utc() - master.start.utc();
            let pad = if master.start.is_date() {
                Duration::days(1)
            } else {
                Duration::zero()
            };
            for slot in recurrence::occurrences(
                &master.start,
                &master.recurrence(),
                time_min.map(|t| t - duration - pad),
                time_max.map(|t| t + pad),
            ) {
                if original.is_some_and(|o| o != slot) {
                    continue;
                }
                let key = slot.timestamp_micros();
                let generated = master.instance(slot);
                if !generated.overlaps(time_min, time_max, zone)
                    && !cal.events.contains_key(&generated.id)
                {
                    continue;
                }
                match cal.events.get(&generated.id) {
                    Some(ex) if ex.is_cancelled() && show_deleted => {
                        items.push((key, ex.sparse_json(shown)))
                    }
                    Some(ex) if ex.is_cancelled() => {}
                    Some(ex) => items.push((key, ex.full_json_in(cal, shown))),
                    None => items.push((key, generated.full_json_in(cal, shown))),
                }
            }
        } else {
            items.push((
                master.start.utc().timestamp_micros(),
                master.full_json_in(cal, shown),
            ));
        }
        // Pages continue after the slot of the last item served (not at an offset): an instance cancelled or
        // restored between two pages does not shift the others.
        let hash = format!("{}/{id}", tokens::params_hash(params));
        let after = match param(params, "pageToken") {
            Some(t) => {
                let c = tokens::decode_page(&self.token_key, t).ok_or_else(bad_page_token)?;
                if c.c != cal.num || c.h != hash {
                    return Err(bad_page_token());
                }
                c.a.map(|(key, _)| key)
            }
            None => None,
        };
        let from = after.map_or(0, |a| items.partition_point(|(k, _)| *k <= a));
        let rest = items.get(from..).unwrap_or_default();
        let page: Vec<Value> = rest.iter().take(max).map(|(_, v)| v.clone()).collect();
        let mut body = json!({
            "kind": "calendar#events", "etag": master.etag(), "summary": cal.summary,
            "updated": rfc3339_millis(master.updated), "timeZone": cal.time_zone, "accessRole": "owner",
            "defaultReminders": [], "items": page,
        });
        if rest.len() > max {
            let last = rest
                .get(max.saturating_sub(1))
                .map(|(k, _)| (*k, String::new()));
            body["nextPageToken"] = json!(tokens::encode_page(
                &self.token_key,
                &PageCursor {
                    c: cal.num,
                    s: self.seq,
                    f: 0,
                    i: false,
                    e: cal.token_epoch,
                    n: 0,
                    k: 0,
                    h: hash,
                    a: last,
                }
            ));
        }
        Ok(body)
    }

    /// calendarList.list.
    pub(crate) fn list_calendar_list(
        &self,
        user: &str,
        params: &Params,
    ) -> Result<Value, ApiError> {
        let u = self.user(user).ok_or_else(ApiError::auth_error)?;
        let max = max_results(params, 100, 250)?;
        let show_deleted = bool_param(params, "showDeleted")?;
        let show_hidden = bool_param(params, "showHidden")?;
        let hash = tokens::params_hash(params);
        let cursor = if let Some(page) = param(params, "pageToken") {
            let c = tokens::decode_page(&self.token_key, page).ok_or_else(bad_page_token)?;
            if c.c != u.num || c.h != hash {
                return Err(bad_page_token());
            }
            if c.i && c.e != u.list_epoch {
                return Err(ApiError::full_sync_required());
            }
            c
        } else if let Some(sync) = param(params, "syncToken") {
            if show_deleted == Some(false)
                || show_hidden == Some(false)
                || param(params, "minAccessRole").is_some()
            {
                return Err(ApiError::invalid_param(
                    "syncToken",
                    "Sync token cannot be used with other request restrictions.",
                ));
            }
            let point = self.open_sync_token('L', sync, u.num, u.list_epoch, None)?;
            PageCursor {
                c: u.num,
                s: self.seq,
                f: point.seq,
                i: true,
                e: u.list_epoch,
                n: 0,
                k: 0,
                h: hash,
                a: None,
            }
        } else {
            PageCursor {
                c: u.num,
                s: self.seq,
                f: 0,
                i: false,
                e: u.list_epoch,
                n: 0,
                k: 0,
                h: hash,
                a: None,
            }
        };
        // Pages continue from the change sequence of the next entry (not an offset): an entry that changes
        // between pages leaves the snapshot without shifting the others.
        let mut cals: Vec<&Calendar> = u
            .calendars
            .iter()
            .filter_map(|id| self.calendars.get(id))
            .filter(|c| c.changed_seq <= cursor.s && (!cursor.i || c.changed_seq > cursor.f))
            .filter(|c| c.changed_seq >= cursor.n)
            .filter(|c| {
                cursor.i
                    || ((!c.deleted || show_deleted == Some(true))
                        && (!c.hidden || show_hidden == Some(true)))
            })
            .collect();
        cals.sort_by_key(|c| c.changed_seq);
        let items: Vec<Value> = cals.iter().take(max).map(|c| c.list_entry_json()).collect();
        let mut body = json!({"kind": "calendar#calendarList", "etag": format!("\"l{}\"", cursor.s), "items": items});
        if let Some(next) = cals.get(max) {
            body["nextPageToken"] = json!(tokens::encode_page(
                &self.token_key,
                &PageCursor {
                    n: next.changed_seq,
                    k: 0,
                    ..cursor
                }
            ));
        } else {
            let point = SyncPoint {
                collection: u.num,
                epoch: u.list_epoch,
                seq: cursor.s,
            };
            body["nextSyncToken"] = json!(self.sync_token('L', point));
        }
        Ok(body)
    }
}
