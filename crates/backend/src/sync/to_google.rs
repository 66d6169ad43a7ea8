//! Compass → Google: makes Google agree with what Compass holds for the event of one outbox entry
//! ([`push`]), through `crate::google` (only `sync/` writes to Google), and records what Google answered
//! (`gEventId`, `gCalendarId`, etag, `updated`) on the Compass event in the transaction that completes the
//! entry. The entry goes only after Google answered.
//!
//! | Compass holds | Google gets |
//! |---|---|
//! | a grid event or series base without `gEventId` | `events.insert` with the Compass id as Google id (a retried or repeated insert finds its own event: 409 → read → ours or a deleted copy → patched back); a base's instances then get their Google instance ids from `events.instances` |
//! | a grid event or base with `gEventId` | `events.patch` with `If-Match: <stored etag>` (a base: the whole rule, `UNTIL` and `EXDATE` included; a former base: `recurrence: null`) |
//! | an instance changed with This Event | `events.patch` of its Google instance id (an exception) |
//! | nothing (deleted), or a someday event | `events.delete` of the copy the entry kept, with `If-Match` on the etag it kept (an instance id cancels that instance; 404/410 count as done) |
//!
//! The body is [`super::google_body`]'s. Writes go to the calendar the event belongs to (`gCalendarId`),
//! new events to the primary calendar (§15 item 29), the new part of a This and Following split to the calendar
//! of the series it split (the entry names it).
//!
//! **Conflicts.** A 412 on `If-Match` means Google changed the event since Compass last saw it. The
//! current Google version is read and the later writer wins: Google's `updated` against the time of the
//! Compass write (`changedAt` of the entry); for an instance, a time that the last series version
//! Compass recorded explains is not a Google edit of it (`Push::google_later`). Google later → Google's
//! version is applied to Compass (the Compass edit is dropped); Compass later → the patch is sent again
//! with the new etag. Deletes carry `If-Match` too and settle a 412 the same way (`remove`). Either way
//! [`super::conflicts`] traces it: a
//! `WARN` naming both versions and a stored `sync_conflict` record.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use compass_core::{EventDate, EventId, GoogleEventId, Origin, SseEvent, UserId};
use mongodb::ClientSession;

use super::conflicts;
use super::engine::{SyncEngine, SyncError};
use super::from_google::{self, Target};
use super::google_body::google_body;
use crate::google::calendar::{ApiErrorDetails, CalendarClient, Event, GoogleError};
use crate::store::calendars::Calendars;
use crate::store::events::{EventDoc, Events, GoogleCopy};
use crate::store::outbox::{Outbox, OutboxDoc, Pending};
use crate::store::StoreError;

mod create;
mod remove;

/// How long a push waits for the calendar's lease (a running sync of that calendar holds it).
const LEASE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// What [`push`] did with an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// Google agrees with Compass; the entry is complete (or was superseded by a newer change).
    Done,
    /// Google changed the event later than Compass: Google's version was applied to Compass.
    GoogleWon,
    /// Not possible yet (the calendar list or the series is not known): try again soon.
    NotReady(&'static str),
}

/// Pushes one outbox entry of `user` (see the module docs).
pub async fn push(
    engine: &SyncEngine,
    client: &CalendarClient,
    user: &UserId,
    entry: &OutboxDoc,
) -> Result<Pushed, SyncError> {
    let Some(calendar) = Loaded::read(engine, user, entry).await?.calendar else {
        return Ok(Pushed::NotReady("the primary calendar is not known yet"));
    };
    let job = Push {
        engine,
        client,
        user,
        entry,
        calendar: &calendar,
    };
    engine
        .with_calendar_lease(user, &calendar, LEASE_PATIENCE, || async {
            // Read again under the lease: a sync of the calendar may have written the event since (its
            // etag above all); what is pushed and compared must be what is stored now.
            let loaded = Loaded::read(engine, user, entry).await?;
            if loaded.calendar.as_deref() != Some(calendar.as_str()) {
                return Ok(Pushed::NotReady("the event moved to another calendar"));
            }
            match loaded.doc {
                None => job.remove_copy().await,
                Some(doc) if doc.base_id().is_some() => job.instance(doc, loaded.base).await,
                Some(doc) => job.event(doc).await,
            }
        })
        .await
}

/// What Compass holds for an entry: the event (unless gone or someday), its base, and the calendar its Google
/// copy belongs in.
struct Loaded {
    doc: Option<EventDoc>,
    base: Option<EventDoc>,
    calendar: Option<String>,
}

impl Loaded {
    async fn read(
        engine: &SyncEngine,
        user: &UserId,
        entry: &OutboxDoc,
    ) -> Result<Loaded, SyncError> {
        let events = Events::new(&engine.store);
        let doc = events
            .get(user, &entry.event_id(), None)
            .await?
            .filter(|d| !d.is_someday);
        let base = match doc.as_ref().and_then(EventDoc::base_id) {
            Some(base) => events.get(user, &base, None).await?,
            None => None,
        };
        let own = doc
            .as_ref()
            .and_then(|d| d.g_calendar_id.clone())
            .or_else(|| base.as_ref().and_then(|b| b.g_calendar_id.clone()))
            .or_else(|| entry.g_calendar_id.clone());
        let calendar = match own {
            Some(calendar) => Some(calendar),
            None => Calendars::new(&engine.store)
                .primary(user)
                .await?
                .map(|c| c.metadata.id),
        };
        Ok(Loaded {
            doc,
            base,
            calendar,
        })
    }
}

/// One push, holding the calendar's lease.
struct Push<'a> {
    engine: &'a SyncEngine,
    client: &'a CalendarClient,
    user: &'a UserId,
    entry: &'a OutboxDoc,
    calendar: &'a str,
}

impl Push<'_> {
    fn outbox(&self) -> Outbox {
        Outbox::new(&self.engine.store)
    }

    /// Deletes the copy `gid` without a precondition (a copy the entry kept under another id).
    async fn delete_remote(&self, calendar: &str, gid: &str) -> Result<(), SyncError> {
        let gid = google_id(gid)?;
        match self.client.delete_event(calendar, &gid, None).await {
            Ok(_) | Err(GoogleError::NotFound(_) | GoogleError::Deleted(_)) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// A standalone event or a series base on the grid.
    async fn event(&self, doc: EventDoc) -> Result<Pushed, SyncError> {
        let own_id = doc.id.to_hex();
        let written = match doc.g_event_id.clone() {
            None => {
                // A copy the entry kept under another id (a Google event moved to someday and back) goes.
                if let Some(old) = self.entry.g_event_id.as_deref().filter(|g| *g != own_id) {
                    let calendar = self.entry.g_calendar_id.as_deref().unwrap_or(self.calendar);
                    self.delete_remote(calendar, old).await?;
                }
                match self.create(&doc).await? {
                    Some(written) => written,
                    None => return Ok(Pushed::GoogleWon),
                }
            }
            Some(gid) => match self.update(&doc, &gid).await? {
                Updated::Written(event) => *event,
                Updated::GoogleWon => return Ok(Pushed::GoogleWon),
                Updated::Gone => match self.create(&doc).await? {
                    Some(written) => written,
                    None => return Ok(Pushed::GoogleWon),
                },
            },
        };
        let gid = written
            .id
            .as_ref()
            .map(|g| g.as_str().to_owned())
            .ok_or_else(|| unexpected("events.insert/patch answered without an id"))?;
        let instances = if doc.is_base() {
            self.instance_copies(&doc, &gid).await?
        } else {
            InstanceCopies::default()
        };
        let copy = GoogleCopy {
            g_event_id: gid,
            g_recurring_event_id: None,
            g_calendar_id: self.calendar.to_owned(),
            etag: written.etag.clone(),
            updated: written.updated,
        };
        self.record(&doc.event_id(), None, copy, instances).await?;
        Ok(Pushed::Done)
    }

    /// Patches the Google copy `gid` with `If-Match`; resolves a 412 by the conflict rule.
    async fn update(&self, doc: &EventDoc, gid: &str) -> Result<Updated, SyncError> {
        let id = google_id(gid)?;
        let body = google_body(doc, true);
        match self
            .client
            .patch_event(self.calendar, &id, &body, doc.g_etag.as_deref())
            .await
        {
            Ok(event) => Ok(Updated::Written(Box::new(event))),
            Err(GoogleError::PreconditionFailed(_)) => self.resolve(doc, &id, &body).await,
            Err(GoogleError::NotFound(_) | GoogleError::Deleted(_)) => Ok(Updated::Gone),
            Err(other) => Err(other.into()),
        }
    }

    /// Both sides changed the event: the later writer wins (see the module docs).
    async fn resolve(
        &self,
        doc: &EventDoc,
        id: &GoogleEventId,
        body: &Event,
    ) -> Result<Updated, SyncError> {
        let current = self.client.get_event(self.calendar, id).await?;
        let compass_at = self.entry.changed_at();
        let google_later = self.google_later(&current).await?;
        conflicts::record(
            &self.engine.store,
            self.user,
            conflicts::Conflict {
                event: &doc.event_id(),
                compass_change: "changed",
                compass_changed_at: compass_at,
                compass_seen_etag: doc.g_etag.as_deref(),
                google: &current,
                g_calendar_id: self.calendar,
                winner: conflicts::Winner::of(google_later),
            },
        )
        .await;
        if google_later {
            self.take_google_version(current).await?;
            return Ok(Updated::GoogleWon);
        }
        match self
            .client
            .patch_event(self.calendar, id, body, current.etag.as_deref())
            .await
        {
            Ok(event) => Ok(Updated::Written(Box::new(event))),
            Err(GoogleError::NotFound(_) | GoogleError::Deleted(_)) => Ok(Updated::Gone),
            Err(other) => Err(other.into()),
        }
    }

    /// The later-writer rule: true when Google's `current` version was written after the Compass change of
    /// the entry. An instance's `updated` also moves when its whole series is written — by Compass's own
    /// series push, too (seed 15951: a This and Following delete lost to the rename Compass itself had just
    /// pushed, and the instance came back beyond its series' end) — so for an instance, a time that the
    /// last series version Compass recorded already explains is not a Google edit of that instance, and a
    /// pending Compass change of the whole series made after it wins over it.
    pub(super) async fn google_later(&self, current: &Event) -> Result<bool, SyncError> {
        let Some(at) = current.updated else {
            return Ok(false);
        };
        if at <= self.entry.changed_at() {
            return Ok(false);
        }
        let Some(series) = current.recurring_event_id.as_ref() else {
            return Ok(true);
        };
        let Some(base) = Events::new(&self.engine.store)
            .by_g_event_id(self.user, series.as_str(), None)
            .await?
        else {
            return Ok(true);
        };
        let seen = base.g_updated.map(crate::store::convert::from_bson_date);
        if seen.is_some_and(|seen| at <= seen) {
            return Ok(false);
        }
        // A Compass change of the whole series made after that time, still on its way to Google, is the later
        // write: its push overwrites the series, this instance included (seed 16680: an instance delete lost to
        // Google's later rename of the series, came back, and Compass's cut of the series, later still, then
        // took it away at Google only).
        let series_change = self
            .outbox()
            .get(self.user, &base.event_id(), None)
            .await?
            .filter(|entry| entry.failed.is_none())
            .map(|entry| entry.changed_at());
        Ok(series_change.is_none_or(|changed| changed < at))
    }

    /// Applies Google's version of the event to Compass and completes the entry, in one transaction.
    async fn take_google_version(&self, current: Event) -> Result<(), SyncError> {
        self.take_google_version_in(self.calendar, current, None)
            .await
    }

    /// [`Self::take_google_version`] for a copy in `calendar`; `replaces`: a Compass event that Google's
    /// version takes the place of (a someday event whose move off the grid lost to a later Google edit),
    /// deleted in the same transaction.
    async fn take_google_version_in(
        &self,
        calendar: &str,
        current: Event,
        replaces: Option<EventId>,
    ) -> Result<(), SyncError> {
        let changes =
            std::sync::Arc::new(from_google::collect(self.client, calendar, vec![current]).await?);
        let events = Events::new(&self.engine.store);
        let outbox = self.outbox();
        let (user, entry) = (self.user, self.entry);
        let applied = self
            .engine
            .store
            .transaction(|mut session| {
                let (events, outbox, changes) = (events.clone(), outbox.clone(), changes.clone());
                let replaces = replaces.clone();
                async move {
                    let result = async {
                        outbox
                            .complete(user, &entry.event_id(), entry.version, Some(&mut session))
                            .await?;
                        let mut removed = false;
                        if let Some(id) = &replaces {
                            removed = events.delete(user, id, Some(&mut session)).await?;
                        }
                        // Google's version wins even when Compass recorded its etag meanwhile (the
                        // event read for the push may be older than the stored one): never an echo.
                        events
                            .forget_etag(user, &entry.event_id(), Some(&mut session))
                            .await?;
                        let target = Target {
                            user,
                            g_calendar_id: calendar,
                            origin: Origin::Google,
                            complete: false,
                            // Google's item names its own zone; the calendar's is not at hand here.
                            time_zone: None,
                        };
                        let mut applied =
                            from_google::apply(&events, &outbox, &mut session, target, &changes)
                                .await?;
                        applied.someday |= removed;
                        Ok(applied)
                    }
                    .await;
                    (session, result)
                }
            })
            .await?;
        if applied.grid {
            self.engine.publish(user, &SseEvent::EventChanged);
        }
        if applied.someday {
            self.engine.publish(user, &SseEvent::SomedayEventChanged);
        }
        Ok(())
    }

    /// One instance changed with This Event: patches its Google instance (an exception).
    async fn instance(&self, doc: EventDoc, base: Option<EventDoc>) -> Result<Pushed, SyncError> {
        let gid = match doc.g_event_id.clone() {
            Some(gid) => gid,
            None => {
                let Some(g_base) = base.as_ref().and_then(|b| b.g_event_id.clone()) else {
                    return Ok(Pushed::NotReady("the series is not at Google yet"));
                };
                // Not matched when the series was pushed (moved before that): found by its slot, else
                // by its start (the entry's slot was taken in another series: a This and Following
                // edit made the instance the first of a new one).
                let google = self.google_instances(&doc.base_id(), &g_base).await?;
                let found = [self.entry.slot, Some(doc.start_date())]
                    .into_iter()
                    .flatten()
                    .find_map(|at| {
                        google
                            .iter()
                            .find(|g| Slot::of_event(g) == Some(Slot::of(at)))
                            .and_then(|g| g.id.as_ref())
                    });
                let Some(found) = found else {
                    return Err(no_instance("Google has no instance at this occurrence"));
                };
                found.as_str().to_owned()
            }
        };
        let written = match self.update(&doc, &gid).await? {
            Updated::Written(event) => *event,
            Updated::GoogleWon => return Ok(Pushed::GoogleWon),
            Updated::Gone => return Err(no_instance("the Google instance is gone")),
        };
        let g_base = written
            .recurring_event_id
            .as_ref()
            .map(|g| g.as_str().to_owned())
            .or_else(|| doc.g_recurring_event_id.clone())
            .or_else(|| base.and_then(|b| b.g_event_id));
        let copy = GoogleCopy {
            g_event_id: gid,
            g_recurring_event_id: g_base,
            g_calendar_id: self.calendar.to_owned(),
            etag: written.etag.clone(),
            updated: written.updated,
        };
        self.record(
            &doc.event_id(),
            doc.base_id().as_ref(),
            copy,
            InstanceCopies::default(),
        )
        .await?;
        Ok(Pushed::Done)
    }

    /// The Google instance of every Compass instance of `base` (matched by start), with its etag.
    async fn instance_copies(
        &self,
        base: &EventDoc,
        g_base: &str,
    ) -> Result<InstanceCopies, SyncError> {
        self.instance_copies_of(&Some(base.event_id()), g_base)
            .await
    }

    async fn instance_copies_of(
        &self,
        base: &Option<EventId>,
        g_base: &str,
    ) -> Result<InstanceCopies, SyncError> {
        let Some(base) = base else {
            return Ok(InstanceCopies::default());
        };
        let compass = Events::new(&self.engine.store)
            .instances_of(self.user, base)
            .await?
            .into_items();
        let google = self.google_instances(&Some(base.clone()), g_base).await?;
        // Instances changed on their own (This Event) whose change waits in the outbox: found by the slot
        // their entry kept (they may have moved off it before Google knew the series), and left to their
        // own entry to push.
        let ids: Vec<EventId> = compass.iter().map(EventDoc::event_id).collect();
        let pending = self.outbox().pending_instances(self.user, &ids).await?;
        let mut copies = InstanceCopies::default();
        // Within the listing's horizon (and a complete listing), an instance Google knew and no longer lists is
        // gone there.
        let complete = google.len() < from_google::MAX_INSTANCES;
        let horizon = Utc::now() + chrono::Duration::days(from_google::INSTANCE_HORIZON_DAYS - 1);
        for instance in compass {
            // An instance Google already knows is found by its id (it may have moved off its slot).
            let own = pending.get(&instance.event_id());
            let slot = Slot::of(own.copied().flatten().unwrap_or(instance.start_date()));
            let found = match instance.g_event_id.as_deref() {
                Some(known) => google
                    .iter()
                    .find(|g| g.id.as_ref().is_some_and(|id| id.as_str() == known)),
                None => None,
            }
            .or_else(|| google.iter().find(|g| Slot::of_event(g) == Some(slot)));
            if let Some(found) = found {
                let Some(gid) = found.id.as_ref() else {
                    continue;
                };
                let found = match own {
                    Some(_) => found.clone(),
                    None => self.align_instance(&instance, found, gid).await?,
                };
                copies.found.push((
                    instance.event_id(),
                    GoogleCopy {
                        g_event_id: gid.as_str().to_owned(),
                        g_recurring_event_id: Some(g_base.to_owned()),
                        g_calendar_id: self.calendar.to_owned(),
                        etag: found.etag.clone(),
                        updated: found.updated,
                    },
                ));
            } else if let Some(known) = instance.g_event_id.as_deref() {
                if own.is_none() && complete && instance.start_date().start_instant_utc() < horizon
                {
                    copies.gone.push(known.to_owned());
                }
            }
        }
        Ok(copies)
    }

    /// Makes Google's instance `found` say what the Compass instance says. A change of the master does not
    /// reach Google's exceptions (an instance changed on its own keeps its own title, description, times),
    /// while a Compass `All Events` / `This and Following` edit rewrites every instance: after the master
    /// is pushed, an instance that still differs is patched (with `If-Match` on the etag just read; a 412
    /// here means Google changed it meanwhile and is left to the next sync). Returns Google's version.
    async fn align_instance(
        &self,
        instance: &EventDoc,
        found: &Event,
        gid: &GoogleEventId,
    ) -> Result<Event, SyncError> {
        let wanted = google_body(instance, true);
        let same_text = found.summary.as_deref().unwrap_or_default()
            == wanted.summary.as_deref().unwrap_or_default()
            && found.description.as_deref().unwrap_or_default()
                == wanted.description.as_deref().unwrap_or_default();
        let same_times = [
            (&found.start, instance.start_date()),
            (&found.end, instance.end_date()),
        ]
        .into_iter()
        .all(|(google, compass)| {
            google
                .as_ref()
                .and_then(|at| Slot::of_google(at.date, at.date_time))
                == Some(Slot::of(compass))
        });
        if same_text && same_times {
            return Ok(found.clone());
        }
        match self
            .client
            .patch_event(self.calendar, gid, &wanted, found.etag.as_deref())
            .await
        {
            Ok(written) => Ok(written),
            Err(GoogleError::PreconditionFailed(_)) => Ok(found.clone()),
            Err(other) => Err(other.into()),
        }
    }

    /// Google's current instances of the series `g_base` (whose Compass base is `base`).
    async fn google_instances(
        &self,
        base: &Option<EventId>,
        g_base: &str,
    ) -> Result<Vec<Event>, SyncError> {
        let from = match base {
            Some(base) => Events::new(&self.engine.store)
                .get(self.user, base, None)
                .await?
                .map(|b| b.start_date().start_instant_utc()),
            None => None,
        };
        Ok(from_google::instances_of(
            self.client,
            self.calendar,
            &google_id(g_base)?,
            from.unwrap_or_else(Utc::now),
        )
        .await?)
    }

    /// Records the Google copy of `event` (an instance: of `series`) and of its instances, and completes
    /// the entry, in one transaction. When the event went meanwhile (deleted, moved to someday, split
    /// off into another series), the entry is recorded again with the copy, so that the next push
    /// removes it or pushes it where it belongs now. An instance that left the series meanwhile keeps
    /// no link to it (its new series' push records its Google copy).
    async fn record(
        &self,
        event: &EventId,
        series: Option<&EventId>,
        copy: GoogleCopy,
        instances: InstanceCopies,
    ) -> Result<(), SyncError> {
        let events = Events::new(&self.engine.store);
        let outbox = self.outbox();
        let (user, entry) = (self.user, self.entry);
        let series = series.cloned();
        let parts = std::sync::Arc::new((copy, instances));
        let removed = self
            .engine
            .store
            .transaction(|session| {
                let (events, outbox, parts) = (events.clone(), outbox.clone(), parts.clone());
                let (event, series) = (event.clone(), series.clone());
                async move {
                    let mut session = session;
                    let target = Recorded {
                        event: &event,
                        series: series.as_ref(),
                    };
                    let result =
                        record_in(&events, &outbox, &mut session, user, entry, target, &parts)
                            .await;
                    (session, result)
                }
            })
            .await?;
        if removed > 0 {
            self.engine.publish(user, &SseEvent::EventChanged);
        }
        Ok(())
    }
}

/// The event whose Google copy [`Push::record`] records, and the series it must still belong to.
#[derive(Clone, Copy)]
struct Recorded<'a> {
    event: &'a EventId,
    series: Option<&'a EventId>,
}

/// The body of [`Push::record`]'s transaction; how many instances Google no longer had were removed.
async fn record_in(
    events: &Events,
    outbox: &Outbox,
    session: &mut ClientSession,
    user: &UserId,
    entry: &OutboxDoc,
    Recorded { event, series }: Recorded<'_>,
    (copy, instances): &(GoogleCopy, InstanceCopies),
) -> Result<u64, StoreError> {
    let kept = events
        .set_google_copy(user, event, series, copy, Some(&mut *session))
        .await?;
    if !kept {
        let pending = Pending {
            event: event.clone(),
            instance: entry.instance,
            g_event_id: Some(copy.g_event_id.clone()),
            g_calendar_id: Some(copy.g_calendar_id.clone()),
            g_etag: copy.etag.clone(),
            slot: entry.slot,
        };
        outbox.record(user, &pending, Some(&mut *session)).await?;
        return Ok(0);
    }
    for (instance, instance_copy) in &instances.found {
        events
            .set_google_copy(
                user,
                instance,
                Some(event),
                instance_copy,
                Some(&mut *session),
            )
            .await?;
    }
    // Google holds Compass's series now: an instance it no longer has is outside the rule Compass pushed (seed
    // 16845: an instance brought back by a Google edit that won over its removal, while Compass's later cut
    // of the series was on its way; the cut then won at Google, and Compass kept the instance beyond its end).
    let mut removed = 0;
    for gone in &instances.gone {
        let pending = match events
            .by_g_event_id(user, gone, Some(&mut *session))
            .await?
        {
            Some(doc) => {
                outbox
                    .is_pending(user, &doc.event_id(), Some(&mut *session))
                    .await?
            }
            None => continue,
        };
        if !pending {
            removed += events
                .delete_google_tree(user, gone, Some(&mut *session))
                .await?
                .count;
        }
    }
    outbox
        .complete(user, event, entry.version, Some(&mut *session))
        .await?;
    Ok(removed)
}

/// The Google copies of a pushed series' instances.
#[derive(Debug, Default)]
struct InstanceCopies {
    /// Each Compass instance Google holds, with its Google copy.
    found: Vec<(EventId, GoogleCopy)>,
    /// The Google ids of Compass instances Google no longer lists (none has a pending change).
    gone: Vec<String>,
}

/// What a patch came to.
enum Updated {
    /// Google holds Compass's version now.
    Written(Box<Event>),
    /// Google's later version was applied to Compass instead.
    GoogleWon,
    /// The Google copy no longer exists (then it is created again).
    Gone,
}

/// An occurrence, comparable between Compass and Google: a day, or an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Day(NaiveDate),
    At(DateTime<Utc>),
}

impl Slot {
    fn of(date: EventDate) -> Slot {
        match date {
            EventDate::Day(day) => Slot::Day(day),
            EventDate::Timed(at) => Slot::At(at.with_timezone(&Utc)),
        }
    }

    /// The slot of a Google instance: its original start (its start when it never moved).
    fn of_event(event: &Event) -> Option<Slot> {
        let at = event
            .original_start_time
            .as_ref()
            .or(event.start.as_ref())?;
        Slot::of_google(at.date, at.date_time)
    }

    fn of_google(date: Option<NaiveDate>, at: Option<DateTime<FixedOffset>>) -> Option<Slot> {
        match (date, at) {
            (Some(day), _) => Some(Slot::Day(day)),
            (None, Some(at)) => Some(Slot::At(at.with_timezone(&Utc))),
            (None, None) => None,
        }
    }
}

fn google_id(id: &str) -> Result<GoogleEventId, SyncError> {
    GoogleEventId::parse(id).map_err(|_| unexpected("an empty Google event id"))
}

/// Google no longer holds the occurrence a This Event change is for (its series changed or went at Google):
/// a permanent failure, recorded on the entry (retrying cannot help; the next sync brings Google's series).
fn no_instance(message: &str) -> SyncError {
    SyncError::Google(GoogleError::NotFound(ApiErrorDetails {
        status: 404,
        reason: None,
        message: message.to_owned(),
        retry_after: None,
    }))
}

fn unexpected(message: &str) -> SyncError {
    SyncError::Google(GoogleError::Unexpected(message.to_owned()))
}
