//! Google → Compass: turns the items of a Google listing (`events.list`, full or with a sync token) into
//! [`Change`]s — asking Google for each series' instances, so that recurrences are expanded by Google in
//! the series' own IANA time zone (never a fixed offset) — and applies them to `crate::store::events`
//! inside the caller's transaction, together with the new sync token. Replays are idempotent: every
//! write is an upsert by `{user, gEventId}`, every delete is scoped to the user.
//!
//! The shapes: a timed or all-day standalone; a series master (stored as a Compass base) with its
//! instances (each linked to the base by `recurrence.eventId`); an exception (moved or edited instance,
//! stored under its own Google id and linked to its base); a cancellation, full or sparse
//! (`{id, status: "cancelled"}` only) — the event goes, and with a master every instance goes too; a
//! series cut by `UNTIL` (the instances Google no longer lists are deleted) and its new series (a new
//! master); an instance detached into a standalone (the same id without `recurringEventId`: replaced
//! whole, so its series link goes).
//!
//! Every stored event keeps its IANA zone (`timeZone`): Google's `start.timeZone`, else the calendar's
//! zone (the listing's `timeZone`); instances take their master's. Compass-side edits of an imported
//! series (scopes, splits, `EXDATE`) then expand it in the same zone as Google does. A zone the tz
//! database does not know is dropped (logged) in favour of the next one.
//!
//! Echoes: Compass's own writes come back from Google (a notification, then the item in the incremental
//! listing). An item whose etag is the one Compass recorded when it wrote the event is skipped, as is an
//! item whose Compass event has a change waiting in the outbox (the push decides, by the conflict rule in
//! [`super::to_google`]): no write, no `EVENT_CHANGED`. A Google change of a Compass-owned event is
//! applied and the event stays Compass-owned.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, Utc};
use compass_core::{EventDate, EventId, Origin, Priority, UserId};
use mongodb::ClientSession;

use crate::domain::{exdate, time_zone};
use crate::google::calendar::{
    CalendarClient, Event, EventDateTime, EventsPage, GoogleError, InstancesQuery,
};
use crate::store::events::{EventDoc, Events, Provenance, RecurrenceDoc};
use crate::store::outbox::Outbox;
use crate::store::StoreError;

/// Most instances stored per series (the reference materialises at most 730).
pub const MAX_INSTANCES: usize = 730;
/// How far ahead a series' instances are asked for (from the later of now and the series' start).
pub const INSTANCE_HORIZON_DAYS: i64 = 2 * 366;

/// One Google change, with everything Google had to be asked already fetched.
#[derive(Debug, Clone)]
pub enum Change {
    /// A series master and its instances as Google expands them (exceptions applied, cancelled left out).
    Series {
        /// The master (`recurrence` set).
        base: Event,
        /// Its current instances.
        instances: Vec<Event>,
    },
    /// A standalone event (timed or all-day), or a former instance detached from its series.
    Single(Event),
    /// One instance of a series (an exception: moved or edited).
    Instance(Event),
    /// A cancelled event, instance or whole series (full or sparse tombstone): its Google id.
    Cancelled(String),
}

impl Change {
    /// Every Google id this change keeps alive (the master and its instances for a series).
    fn live_ids(&self, into: &mut Vec<String>) {
        let id = |e: &Event| e.id.as_ref().map(|i| i.as_str().to_owned());
        match self {
            Change::Series { base, instances } => {
                into.extend(id(base));
                into.extend(instances.iter().filter_map(id));
            }
            Change::Single(e) | Change::Instance(e) => into.extend(id(e)),
            Change::Cancelled(_) => {}
        }
    }

    /// Apply order: series first (so that instances in the same batch find their base), then single
    /// events and exceptions, then cancellations (a Google id appears once per listing).
    fn rank(&self) -> u8 {
        match self {
            Change::Series { .. } => 0,
            Change::Single(_) => 1,
            Change::Instance(_) => 2,
            Change::Cancelled(_) => 3,
        }
    }
}

/// Turns a listing's items into changes, fetching each live series' instances from Google.
pub async fn collect(
    client: &CalendarClient,
    g_calendar_id: &str,
    items: Vec<Event>,
) -> Result<Vec<Change>, GoogleError> {
    let mut changes = Vec::with_capacity(items.len());
    for item in items {
        let Some(id) = item.id.clone() else {
            tracing::warn!(
                calendar = g_calendar_id,
                "Google event without an id skipped"
            );
            continue;
        };
        if item.is_cancelled() {
            changes.push(Change::Cancelled(id.as_str().to_owned()));
        } else if item.recurring_event_id.is_some() {
            changes.push(Change::Instance(item));
        } else if item.recurrence.as_ref().is_some_and(|r| !r.is_empty()) {
            let starts = item
                .start
                .as_ref()
                .and_then(date_of)
                .map(|d| d.start_instant_utc())
                .unwrap_or_else(Utc::now);
            let instances = instances_of(client, g_calendar_id, &id, starts).await?;
            changes.push(Change::Series {
                base: item,
                instances,
            });
        } else {
            changes.push(Change::Single(item));
        }
    }
    changes.sort_by_key(Change::rank);
    Ok(changes)
}

/// Every current instance of a series (every page, up to [`MAX_INSTANCES`], within the horizon after
/// the later of now and the series' start).
pub(crate) async fn instances_of(
    client: &CalendarClient,
    g_calendar_id: &str,
    id: &compass_core::GoogleEventId,
    starts: chrono::DateTime<Utc>,
) -> Result<Vec<Event>, GoogleError> {
    let query = InstancesQuery {
        max_results: Some(2500),
        time_max: Some(starts.max(Utc::now()) + Duration::days(INSTANCE_HORIZON_DAYS)),
        ..InstancesQuery::default()
    };
    let mut page: EventsPage = client.list_instances(g_calendar_id, id, &query).await?;
    let mut instances = std::mem::take(&mut page.items);
    while let Some(token) = page.next_page_token.take() {
        if instances.len() >= MAX_INSTANCES {
            break;
        }
        page = client
            .list_instances(g_calendar_id, id, &query.page(token))
            .await?;
        instances.append(&mut page.items);
    }
    instances.retain(|i| !i.is_cancelled());
    instances.truncate(MAX_INSTANCES);
    Ok(instances)
}

/// What applying a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Events written (inserted or replaced).
    pub written: u64,
    /// Events deleted.
    pub deleted: u64,
    /// Events Google listed that Compass already holds as they are (echoes of its own writes) or that
    /// wait for a pending Compass change: not written.
    pub unchanged: u64,
    /// A scheduled (grid) event changed: publish `EVENT_CHANGED`.
    pub grid: bool,
    /// A someday event changed: publish `SOMEDAY_EVENT_CHANGED`.
    pub someday: bool,
}

impl Applied {
    /// True when anything changed.
    pub fn changed(&self) -> bool {
        self.written > 0 || self.deleted > 0
    }
}

/// Where a batch goes: the user, the calendar, the origin recorded on new events, and whether the
/// batch is a complete listing (then the calendar's Google events it does not name are deleted).
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The owner.
    pub user: &'a UserId,
    /// The Google calendar.
    pub g_calendar_id: &'a str,
    /// `googleimport` for full listings, `google` for incremental ones (the reference's values).
    pub origin: Origin,
    /// The batch lists the whole calendar.
    pub complete: bool,
    /// The calendar's IANA zone (`timeZone` of the listing): the zone of events that name none.
    pub time_zone: Option<&'a str>,
}

/// What Compass holds for an incoming Google item.
enum Seen {
    /// Nothing: a new event.
    New,
    /// This stored event (its Compass id, `createdAt` and provenance are kept).
    Stored(Box<EventDoc>),
    /// Nothing to apply: the echo of Compass's own write (same etag), or a Compass change of the event
    /// is still waiting in the outbox (it is pushed with `If-Match`, and a 412 there decides by the
    /// conflict rule; an echo of an older write must not overwrite it).
    Skip,
}

/// Looks the Google item `gid` (at `etag`) up (see [`Seen`]).
async fn seen(
    events: &Events,
    outbox: &Outbox,
    session: &mut ClientSession,
    user: &UserId,
    gid: &str,
    etag: Option<&str>,
) -> Result<Seen, StoreError> {
    match events.by_g_event_id(user, gid, Some(&mut *session)).await? {
        Some(doc) => {
            if etag.is_some() && doc.g_etag.as_deref() == etag {
                tracing::debug!(event = %doc.id, "echo of a Compass write skipped");
                return Ok(Seen::Skip);
            }
            if outbox
                .is_pending(user, &doc.event_id(), Some(&mut *session))
                .await?
            {
                tracing::debug!(event = %doc.id, "Google change skipped: a Compass change is pending");
                return Ok(Seen::Skip);
            }
            Ok(Seen::Stored(Box::new(doc)))
        }
        None => {
            // A create of ours in flight (Google id = Compass id), or a copy about to be removed.
            let ours_in_flight = match EventId::parse(gid) {
                Ok(id) => outbox.is_pending(user, &id, Some(&mut *session)).await?,
                Err(_) => false,
            };
            if ours_in_flight
                || outbox
                    .removes_google_copy(user, gid, Some(&mut *session))
                    .await?
            {
                return Ok(Seen::Skip);
            }
            Ok(Seen::New)
        }
    }
}

/// Keeps the stored event's ownership on the incoming version.
fn keep_owner(doc: &mut EventDoc, seen: &Seen) {
    if let Seen::Stored(stored) = seen {
        doc.provenance = stored.provenance;
    }
}

/// What Compass holds for a batch of Google items, read up front in two queries (the stored events by
/// Google id, the user's pending outbox entries) instead of several per item: a full import of thousands of
/// events was bound by those round trips. An id written earlier in the same batch is looked up in the
/// database again (the map would be stale).
struct Known {
    events: HashMap<String, EventDoc>,
    pending: HashSet<EventId>,
    removing: HashSet<String>,
    written: HashSet<String>,
}

impl Known {
    async fn read(
        events: &Events,
        outbox: &Outbox,
        session: &mut ClientSession,
        user: &UserId,
        changes: &[Change],
    ) -> Result<Known, StoreError> {
        let mut ids = Vec::new();
        for change in changes {
            change.live_ids(&mut ids);
        }
        let stored = events.by_g_event_ids(session, user, &ids).await?;
        let (pending, removing) = outbox.pending_index(session, user).await?;
        Ok(Known {
            events: stored,
            pending,
            removing,
            written: HashSet::new(),
        })
    }

    /// [`seen`] from the batch's reads (the database for an id already written in this batch); the id
    /// counts as written from here on.
    async fn seen(
        &mut self,
        events: &Events,
        outbox: &Outbox,
        session: &mut ClientSession,
        user: &UserId,
        gid: &str,
        etag: Option<&str>,
    ) -> Result<Seen, StoreError> {
        if !self.written.insert(gid.to_owned()) {
            return seen(events, outbox, session, user, gid, etag).await;
        }
        match self.events.get(gid) {
            Some(doc) => {
                if etag.is_some() && doc.g_etag.as_deref() == etag {
                    tracing::debug!(event = %doc.id, "echo of a Compass write skipped");
                    return Ok(Seen::Skip);
                }
                if self.pending.contains(&doc.event_id()) {
                    tracing::debug!(event = %doc.id, "Google change skipped: a Compass change is pending");
                    return Ok(Seen::Skip);
                }
                Ok(Seen::Stored(Box::new(doc.clone())))
            }
            None => {
                let ours_in_flight = EventId::parse(gid).is_ok_and(|id| self.pending.contains(&id));
                if ours_in_flight || self.removing.contains(gid) {
                    return Ok(Seen::Skip);
                }
                Ok(Seen::New)
            }
        }
    }

    /// True when the stored event of `gid` has a Compass change waiting in the outbox.
    fn is_pending(&self, gid: &str) -> bool {
        self.events
            .get(gid)
            .is_some_and(|doc| self.pending.contains(&doc.event_id()))
    }

    /// True when `gid` is neither stored nor written in this batch: a plain insert will do.
    fn is_new(&mut self, gid: &str) -> bool {
        !self.events.contains_key(gid) && self.written.insert(gid.to_owned())
    }

    /// The stored event `gid` when it is not yet written in this batch (it counts as written from here
    /// on): its replacement can join a bulk replace.
    fn stored_once(&mut self, gid: &str) -> Option<&EventDoc> {
        if !self.events.contains_key(gid) || !self.written.insert(gid.to_owned()) {
            return None;
        }
        self.events.get(gid)
    }
}

/// `doc` made the replacement of `stored` (the same Compass id and `createdAt`) under Google id `gid`.
fn replacing(mut doc: EventDoc, stored: &EventDoc, gid: String) -> EventDoc {
    doc.id = stored.id;
    doc.created_at = stored.created_at;
    doc.g_event_id = Some(gid);
    doc
}

/// Applies `changes` inside `session` (the caller commits, with the new sync token). Echoes of
/// Compass's own writes and items whose Compass event has a pending outbox entry are skipped (no
/// write, no `EVENT_CHANGED`); Compass-owned events stay Compass-owned when Google changes them.
pub async fn apply(
    events: &Events,
    outbox: &Outbox,
    session: &mut ClientSession,
    target: Target<'_>,
    changes: &[Change],
) -> Result<Applied, StoreError> {
    let mut applied = Applied::default();
    let mut known = Known::read(events, outbox, session, target.user, changes).await?;
    // New events, inserted together, and replacements of stored events, written together (both
    // before anything that reads the collection by Google id): a repair of thousands of stored events
    // was bound by a read and a replace per event.
    let mut fresh: Vec<EventDoc> = Vec::new();
    let mut replaced: Vec<EventDoc> = Vec::new();
    for change in changes {
        if matches!(change, Change::Instance(_) | Change::Cancelled(_)) {
            events.insert_new(session, &mut fresh).await?;
            events.replace_stored(session, &mut replaced).await?;
        }
        match change {
            Change::Series { base, instances } => {
                let Some(mut base_doc) = to_doc(target, base) else {
                    continue;
                };
                let base_gid = base_doc.1.clone();
                let base_seen = known
                    .seen(
                        events,
                        outbox,
                        session,
                        target.user,
                        &base_gid,
                        base.etag.as_deref(),
                    )
                    .await?;
                if matches!(base_seen, Seen::Skip) {
                    applied.unchanged += 1 + instances.len() as u64;
                    continue;
                }
                keep_owner(&mut base_doc.0, &base_seen);
                let owner = base_doc.0.provenance;
                let base_id = events
                    .upsert_by_g_event_id(&base_gid, &base_doc.0, Some(&mut *session))
                    .await?;
                applied.written += 1;
                let mut keep = Vec::with_capacity(instances.len());
                for instance in instances {
                    let Some((mut doc, gid)) = to_doc(target, instance) else {
                        continue;
                    };
                    if known.is_pending(&gid) {
                        // Changed on its own in Compass (This Event), not pushed yet: its push decides.
                        applied.unchanged += 1;
                        keep.push(gid);
                        continue;
                    }
                    doc.recurrence = Some(RecurrenceDoc::instance(&base_id));
                    doc.g_recurring_event_id = Some(base_gid.clone());
                    doc.time_zone = base_doc.0.time_zone.clone();
                    doc.provenance = owner;
                    if known.is_new(&gid) {
                        doc.g_event_id = Some(gid.clone());
                        fresh.push(doc);
                    } else if let Some(stored) = known.stored_once(&gid) {
                        replaced.push(replacing(doc, stored, gid.clone()));
                    } else {
                        events
                            .upsert_by_g_event_id(&gid, &doc, Some(&mut *session))
                            .await?;
                    }
                    applied.written += 1;
                    keep.push(gid);
                }
                applied.deleted += events
                    .delete_google_instances_except(
                        target.user,
                        &base_gid,
                        &keep,
                        Some(&mut *session),
                    )
                    .await?;
                // Instances the series' push never matched to Google (seed 15149: Google moved the series
                // before the push read its instances) are not Google's: its own instances replace them.
                // One changed on its own whose push is pending stays; that push decides. (A series new to
                // Compass has no instances to look at.)
                let mut unlinked = match base_seen {
                    Seen::Stored(_) => {
                        events
                            .unlinked_instances(target.user, &base_id, Some(&mut *session))
                            .await?
                    }
                    Seen::New | Seen::Skip => Vec::new(),
                };
                unlinked.retain(|id| !known.pending.contains(id));
                if !unlinked.is_empty() {
                    applied.deleted += events
                        .delete_many(target.user, &unlinked, Some(&mut *session))
                        .await?;
                }
                applied.grid = true;
            }
            Change::Single(event) => {
                let Some((mut doc, gid)) = to_doc(target, event) else {
                    continue;
                };
                let found = known
                    .seen(
                        events,
                        outbox,
                        session,
                        target.user,
                        &gid,
                        event.etag.as_deref(),
                    )
                    .await?;
                match &found {
                    Seen::Skip => {
                        applied.unchanged += 1;
                        continue;
                    }
                    Seen::New => {
                        doc.g_event_id = Some(gid);
                        fresh.push(doc);
                    }
                    Seen::Stored(stored) => {
                        let former_master = stored.is_base();
                        keep_owner(&mut doc, &found);
                        replaced.push(replacing(doc, stored, gid.clone()));
                        if former_master {
                            // A former master turned single: its instances go.
                            applied.deleted += events
                                .delete_google_instances_except(
                                    target.user,
                                    &gid,
                                    &[],
                                    Some(&mut *session),
                                )
                                .await?;
                        }
                    }
                }
                applied.written += 1;
                applied.grid = true;
            }
            Change::Instance(event) => {
                let Some((mut doc, gid)) = to_doc(target, event) else {
                    continue;
                };
                let found = known
                    .seen(
                        events,
                        outbox,
                        session,
                        target.user,
                        &gid,
                        event.etag.as_deref(),
                    )
                    .await?;
                if matches!(found, Seen::Skip) {
                    applied.unchanged += 1;
                    continue;
                }
                keep_owner(&mut doc, &found);
                if let Some(base_gid) = event.recurring_event_id.as_ref() {
                    let base = events
                        .by_g_event_id(target.user, base_gid.as_str(), Some(&mut *session))
                        .await?;
                    if let Some(base) = base.filter(EventDoc::is_base) {
                        doc.recurrence = Some(RecurrenceDoc::instance(&base.event_id()));
                        doc.time_zone = base.time_zone.clone().or(doc.time_zone);
                        doc.provenance = base.provenance;
                        restore_occurrence(events, session, target.user, &base, event).await?;
                    }
                    doc.g_recurring_event_id = Some(base_gid.as_str().to_owned());
                }
                events
                    .upsert_by_g_event_id(&gid, &doc, Some(&mut *session))
                    .await?;
                applied.written += 1;
                applied.grid = true;
            }
            Change::Cancelled(gid) => {
                if let Some(stored) = events
                    .by_g_event_id(target.user, gid, Some(&mut *session))
                    .await?
                {
                    if outbox
                        .is_pending(target.user, &stored.event_id(), Some(&mut *session))
                        .await?
                    {
                        tracing::debug!(event = %stored.id, "Google delete skipped: a Compass change is pending");
                        continue;
                    }
                }
                let removed = events
                    .delete_google_tree(target.user, gid, Some(&mut *session))
                    .await?;
                if removed.count > 0 {
                    applied.deleted += removed.count;
                    applied.grid = true;
                    applied.someday |= removed.someday;
                }
            }
        }
    }
    events.insert_new(session, &mut fresh).await?;
    events.replace_stored(session, &mut replaced).await?;
    if target.complete {
        let mut keep = Vec::new();
        for change in changes {
            change.live_ids(&mut keep);
        }
        let gone = events
            .delete_google_calendar_except(
                target.user,
                target.g_calendar_id,
                &keep,
                Some(&mut *session),
            )
            .await?;
        if gone > 0 {
            applied.deleted += gone;
            applied.grid = true;
        }
    }
    Ok(applied)
}

/// Google holds the instance `event` of `base`, so Compass's base must not exclude its occurrence (seed
/// 10710: a Compass delete of the instance lost to a later Google edit, which brought the instance back;
/// the base kept the delete's `EXDATE`, and its next push cancelled the occurrence at Google again while
/// Compass showed it).
async fn restore_occurrence(
    events: &Events,
    session: &mut ClientSession,
    user: &UserId,
    base: &EventDoc,
    event: &Event,
) -> Result<(), StoreError> {
    let (Some(rule), Some(at)) = (
        base.recurrence.as_ref().and_then(|r| r.rule.as_deref()),
        event.original_start_time.as_ref().and_then(date_of),
    ) else {
        return Ok(());
    };
    if let Some(rule) = exdate::without(rule, at) {
        events
            .set_rule(user, &base.event_id(), &rule, Some(&mut *session))
            .await?;
    }
    Ok(())
}

/// The Compass document for a Google event (a fresh id; the upsert keeps a stored event's id) and its
/// Google id; `None` (logged) for an event without id or dates.
fn to_doc(target: Target<'_>, event: &Event) -> Option<(EventDoc, String)> {
    let gid = event.id.as_ref()?.as_str().to_owned();
    let (Some(start), Some(end)) = (
        event.start.as_ref().and_then(date_of),
        event.end.as_ref().and_then(date_of),
    ) else {
        tracing::warn!(
            calendar = target.g_calendar_id,
            "Google event without usable dates skipped"
        );
        return None;
    };
    let origin = event
        .private_property("origin")
        .and_then(|o| o.parse::<Origin>().ok())
        .unwrap_or(target.origin);
    let priority = event
        .private_property("priority")
        .and_then(|p| p.parse::<Priority>().ok())
        .unwrap_or_default();
    let id = EventId::from_bytes(mongodb::bson::oid::ObjectId::new().bytes());
    let mut doc = EventDoc::new(
        &id,
        target.user,
        start,
        end,
        origin,
        priority,
        Provenance::Google,
    );
    doc.title = Some(event.summary.clone().unwrap_or_default());
    doc.description = Some(event.description.clone().unwrap_or_default());
    doc.g_calendar_id = Some(target.g_calendar_id.to_owned());
    doc.time_zone = zone_of(target, event);
    doc.g_etag = event.etag.clone();
    doc.g_updated = event.updated.map(crate::store::convert::to_bson_date);
    if let Some(rule) = event.recurrence.as_ref().filter(|r| !r.is_empty()) {
        if event.recurring_event_id.is_none() {
            doc.recurrence = Some(RecurrenceDoc::base(rule.clone()));
        }
    }
    Some((doc, gid))
}

/// The event's zone: Google's `start.timeZone`, else the calendar's; only names the tz database knows.
fn zone_of(target: Target<'_>, event: &Event) -> Option<String> {
    let own = event.start.as_ref().and_then(|s| s.time_zone.as_deref());
    [own, target.time_zone]
        .into_iter()
        .flatten()
        .find_map(|name| match time_zone::resolve_str(name) {
            Ok(zone) => Some(zone.name().to_owned()),
            Err(error) => {
                tracing::warn!(calendar = target.g_calendar_id, %error, "Google time zone ignored");
                None
            }
        })
}

/// Google's `{date}` or `{dateTime}` as written (the offset Google gives, computed in the event's zone).
fn date_of(at: &EventDateTime) -> Option<EventDate> {
    match (at.date, at.date_time) {
        (Some(day), _) => Some(EventDate::Day(day)),
        (None, Some(instant)) => Some(EventDate::Timed(instant)),
        (None, None) => None,
    }
}
