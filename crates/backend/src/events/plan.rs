//! The write planner: what one create, update or delete does to the stored events, decided without I/O.
//!
//! The service loads the target event and, when it belongs to a series, the base and every instance;
//! the planner returns the documents to write and to delete ([`Changes`]). Rules (backend spec §6, with
//! the reference's bugs fixed, see `docs/http-api.md`):
//!
//! - **This Event** edits or deletes one standalone event or one instance; a base is refused (400).
//!   A deleted instance's occurrence (for a moved instance: the one it was moved from) goes into the base's
//!   `EXDATE` (the last one takes the series).
//!   An instance cannot leave its series or move between the grid and someday on its own (400).
//! - **All Events** edits the series through its base: title, description, priority and the someday
//!   flag go to the base and every instance; a changed rule re-materialises the instances (instances
//!   whose start still occurs keep their id); `rule: null` turns the series into a standalone event
//!   that keeps the base id and takes the edited instance's dates; delete removes the whole series.
//! - **This and Following Events** cuts the series before the targeted instance (`UNTIL`, instances from
//!   there deleted; an instance moved later than its occurrence is cut at that occurrence, see
//!   [`super::slot`]) and, for an edit, starts a new series at the instance with the edited fields; the
//!   first new instance keeps the targeted instance's id. On the first instance (or its occurrence) it is
//!   All Events.
//! - For a standalone event every scope means the event itself.
//! - **Time zone**: a series expands in its base's IANA zone (`EventRecord::time_zone`, see
//!   [`super::recurrence`]); instances always carry the base's zone. A draft without `timeZone` keeps the
//!   stored zone; a changed zone re-materialises the series like a changed rule.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use compass_core::{
    EventDate, EventDraft, EventId, EventSpan, GoogleEventId, Origin, RecurrenceDraft, UpdateScope,
    UserId,
};

use super::model::{new_event_id, span_like, span_start, EventRecord, SeriesRole};
use super::recurrence::{self, expand, in_zone, until_before, with_until, SeriesStart};
use super::slot::{slot_of, split_of};
use crate::domain::{time_zone, Provenance};

/// Why a write was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The request asks for something impossible; `field` names the input at fault.
    #[error("{field}: {message}")]
    BadRequest {
        /// The JSON field or query parameter.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The series an instance belongs to no longer exists.
    #[error("the series of this event no longer exists")]
    SeriesGone,
}

fn bad(field: &'static str, message: impl Into<String>) -> PlanError {
    PlanError::BadRequest {
        field,
        message: message.into(),
    }
}

/// The zone the draft names, resolved (`None` when it names none). The handler has already refused
/// unknown names; this keeps the planner total.
fn draft_zone(draft: &EventDraft) -> Result<Option<chrono_tz::Tz>, PlanError> {
    draft
        .time_zone
        .as_ref()
        .map(|name| time_zone::resolve(name).map_err(|e| bad("timeZone", e.to_string())))
        .transpose()
}

/// What the store holds for the targeted event.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The event named in the path.
    pub target: EventRecord,
    /// When the target is a base or an instance: the base (if it still exists) and all its instances.
    pub series: Option<Series>,
}

/// A series as stored.
#[derive(Debug, Clone)]
pub struct Series {
    /// The base, `None` when an instance outlived it.
    pub base: Option<EventRecord>,
    /// Every instance of the base.
    pub instances: Vec<EventRecord>,
}

/// The documents one planned write puts and removes.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// Documents that exist and are replaced (matched by id and user).
    pub upserts: Vec<EventRecord>,
    /// Documents that are new.
    pub inserts: Vec<EventRecord>,
    /// Documents to delete.
    pub deletes: Vec<EventRecord>,
    /// A calendar-grid event was touched (publish `EVENT_CHANGED`).
    pub touched_grid: bool,
    /// A someday event was touched (publish `SOMEDAY_EVENT_CHANGED`).
    pub touched_someday: bool,
    /// The Google copies the replaced documents had before the change (id → Google id, calendar, etag): the
    /// outbox keeps them when the change clears them (a move to someday).
    pub google_before: HashMap<EventId, (GoogleEventId, Option<String>, Option<String>)>,
    /// Set for a This Event change of one instance: Google patches or cancels that instance alone.
    pub single_instance: Option<EventId>,
    /// That instance's start before the change (its slot in the series, if it had not moved before):
    /// how its Google instance is found when Google's instance id is not known yet.
    pub instance_slot: Option<EventDate>,
    /// The Google calendar of the series a This and Following edit split: the new series is created
    /// there (not in the primary calendar).
    pub split_calendar: Option<String>,
    /// The instance a This and Following edit made the first of a new series (it keeps its id), with its
    /// start there (its slot in the new series): a This Event change of it still waiting for Google named
    /// its place in the old series.
    pub split_target: Option<(EventId, EventDate)>,
}

impl Changes {
    /// Builds the change set from what was loaded (`before`), the documents to write and those to
    /// delete. Writes of documents in `before` are replacements (dropped when equal to what is stored,
    /// apart from `updatedAt`); the others are inserts.
    fn new(before: &[&EventRecord], upserts: Vec<EventRecord>, deletes: Vec<EventRecord>) -> Self {
        let old: HashMap<&EventId, &EventRecord> = before.iter().map(|r| (&r.id, *r)).collect();
        let mut changes = Changes::default();
        for record in before {
            if let Some(g) = &record.g_event_id {
                changes.google_before.insert(
                    record.id.clone(),
                    (
                        g.clone(),
                        record.g_calendar_id.clone(),
                        record.g_etag.clone(),
                    ),
                );
            }
        }
        let touch = |record: &EventRecord, changes: &mut Changes| {
            if record.is_someday {
                changes.touched_someday = true;
            } else {
                changes.touched_grid = true;
            }
        };
        for record in upserts {
            match old.get(&record.id) {
                Some(previous) => {
                    let mut same = record.clone();
                    same.updated_at = previous.updated_at;
                    if &same == *previous {
                        continue;
                    }
                    touch(previous, &mut changes);
                    touch(&record, &mut changes);
                    changes.upserts.push(record);
                }
                None => {
                    touch(&record, &mut changes);
                    changes.inserts.push(record);
                }
            }
        }
        for record in deletes {
            touch(&record, &mut changes);
            changes.deletes.push(record);
        }
        changes
    }

    /// Marks the change set as a This Event change of `instance`.
    fn for_instance(mut self, instance: &EventRecord) -> Self {
        self.single_instance = Some(instance.id.clone());
        self.instance_slot = Some(instance.span.start());
        self
    }

    /// Appends another change set.
    pub fn extend(&mut self, other: Changes) {
        self.upserts.extend(other.upserts);
        self.inserts.extend(other.inserts);
        self.deletes.extend(other.deletes);
        self.touched_grid |= other.touched_grid;
        self.touched_someday |= other.touched_someday;
        self.google_before.extend(other.google_before);
        self.single_instance = self.single_instance.take().or(other.single_instance);
        self.instance_slot = self.instance_slot.take().or(other.instance_slot);
        self.split_calendar = self.split_calendar.take().or(other.split_calendar);
        self.split_target = self.split_target.take().or(other.split_target);
    }
}

/// Plans `POST /api/event` for one draft: a standalone event, or a series base with its instances.
/// Events made through the API are made in Compass (`origin: compass`); Google ids are never taken
/// from clients.
pub fn plan_create(
    user: &UserId,
    draft: &EventDraft,
    now: DateTime<Utc>,
) -> Result<Changes, PlanError> {
    let mut record = EventRecord {
        id: draft.id.clone().unwrap_or_else(new_event_id),
        user: user.clone(),
        title: draft.title.clone(),
        description: draft.description.value().cloned(),
        span: draft.span,
        time_zone: draft_zone(draft)?,
        is_all_day: draft.is_all_day,
        is_someday: draft.is_someday,
        origin: Origin::Compass,
        provenance: Provenance::Compass,
        priority: draft.priority,
        role: SeriesRole::Standalone,
        g_event_id: None,
        g_recurring_event_id: None,
        g_calendar_id: None,
        g_etag: None,
        g_updated: None,
        order: draft.order,
        all_day_order: draft.all_day_order,
        created_at: now,
        updated_at: now,
    };
    match &draft.recurrence {
        RecurrenceDraft::None | RecurrenceDraft::Remove => {
            Ok(Changes::new(&[], vec![record], vec![]))
        }
        RecurrenceDraft::Series(rule) => {
            record.role = SeriesRole::Base {
                rule: rule.lines().to_vec(),
            };
            let instances = materialise(&record, &[], None)?;
            let mut upserts = vec![record];
            upserts.extend(instances);
            Ok(Changes::new(&[], upserts, vec![]))
        }
        RecurrenceDraft::Instance { .. } => Err(bad(
            "recurrence.eventId",
            "a new event cannot be an instance of an existing series",
        )),
    }
}

/// Plans `PUT /api/event/:id` with the given scope.
pub fn plan_update(
    loaded: &Loaded,
    draft: &EventDraft,
    scope: UpdateScope,
    now: DateTime<Utc>,
) -> Result<Changes, PlanError> {
    let target = &loaded.target;
    match (&target.role, scope) {
        (SeriesRole::Standalone, _) => update_standalone(target, draft, now),
        (SeriesRole::Base { .. }, UpdateScope::ThisEvent) => Err(base_with_this_event()),
        (SeriesRole::Instance { .. }, UpdateScope::ThisEvent) => {
            update_instance(target, draft, now).map(|c| c.for_instance(target))
        }
        (_, UpdateScope::AllEvents) => update_all(loaded, draft, now),
        (SeriesRole::Base { .. }, UpdateScope::ThisAndFollowing) => update_all(loaded, draft, now),
        (SeriesRole::Instance { .. }, UpdateScope::ThisAndFollowing) => {
            update_following(loaded, draft, now)
        }
    }
}

/// Plans `DELETE /api/event/:id` with the given scope.
pub fn plan_delete(
    loaded: &Loaded,
    scope: UpdateScope,
    now: DateTime<Utc>,
) -> Result<Changes, PlanError> {
    let target = &loaded.target;
    match (&target.role, scope) {
        (SeriesRole::Standalone, _) => Ok(Changes::new(&[], vec![], vec![target.clone()])),
        (SeriesRole::Instance { .. }, UpdateScope::ThisEvent) => {
            delete_instance(loaded, now).map(|c| c.for_instance(target))
        }
        (SeriesRole::Base { .. }, UpdateScope::ThisEvent) => Err(base_with_this_event()),
        (_, UpdateScope::AllEvents) | (SeriesRole::Base { .. }, UpdateScope::ThisAndFollowing) => {
            let series = series_of(loaded)?;
            let mut deletes = series.instances.clone();
            deletes.extend(series.base.clone());
            Ok(Changes::new(&[], vec![], deletes))
        }
        (SeriesRole::Instance { .. }, UpdateScope::ThisAndFollowing) => {
            let (base, instances) = base_of(loaded)?;
            let split = split_of(base, instances, target);
            if split.instant() <= base.series_start().instant() {
                let mut deletes = instances.to_vec();
                deletes.push(base.clone());
                return Ok(Changes::new(&[], vec![], deletes));
            }
            truncate(base, instances, split, now)
        }
    }
}

/// Deletes one instance. Its occurrence is added to the base's `EXDATE` so that re-materialising the
/// series does not bring it back; deleting the last instance deletes the whole series.
fn delete_instance(loaded: &Loaded, now: DateTime<Utc>) -> Result<Changes, PlanError> {
    let target = &loaded.target;
    let Some(Series {
        base: Some(base),
        instances,
    }) = &loaded.series
    else {
        return Ok(Changes::new(&[], vec![], vec![target.clone()]));
    };
    if instances.iter().all(|i| i.id == target.id) {
        return Ok(Changes::new(
            &[],
            vec![],
            vec![target.clone(), base.clone()],
        ));
    }
    let rule = base.rule().unwrap_or_default();
    // A moved instance stands for the occurrence it was moved from (its slot).
    let at = slot_of(base, instances, target);
    let occurs =
        expand(rule, base.series_start(), base.time_zone).is_ok_and(|starts| starts.contains(&at));
    let excluded = recurrence::with_exdate(rule, at);
    if !occurs || compass_core::RecurrenceRule::parse(&excluded).is_err() {
        // No occurrence is left for it; a rule at its size limit stays as it is.
        return Ok(Changes::new(&[], vec![], vec![target.clone()]));
    }
    let mut next = base.clone();
    next.role = SeriesRole::Base { rule: excluded };
    next.updated_at = now;
    Ok(Changes::new(&[base], vec![next], vec![target.clone()]))
}

fn base_with_this_event() -> PlanError {
    bad(
        "applyTo",
        "This Event cannot change a series base; use All Events",
    )
}

fn series_of(loaded: &Loaded) -> Result<&Series, PlanError> {
    loaded.series.as_ref().ok_or(PlanError::SeriesGone)
}

/// The base and instances of the target's series (the target may be the base).
fn base_of(loaded: &Loaded) -> Result<(&EventRecord, &[EventRecord]), PlanError> {
    let series = series_of(loaded)?;
    let base = series.base.as_ref().ok_or(PlanError::SeriesGone)?;
    Ok((base, &series.instances))
}

/// The target with the per-event fields of the draft (dates, title, ...); series role, time zone,
/// provenance and Google ids stay. `order`/`allDayOrder` stay unless the draft sets them (spec §15 item 13).
fn merged(target: &EventRecord, draft: &EventDraft, now: DateTime<Utc>) -> EventRecord {
    let mut next = target.clone();
    next.title = draft.title.clone();
    next.description = draft.description.value().cloned();
    next.span = draft.span;
    next.is_all_day = draft.is_all_day;
    next.is_someday = draft.is_someday;
    next.priority = draft.priority;
    next.order = draft.order.or(target.order);
    next.all_day_order = draft.all_day_order.or(target.all_day_order);
    next.updated_at = now;
    if next.is_someday {
        clear_google_ids(&mut next);
    }
    next
}

/// Someday events are never in Google: they carry no Google ids (spec §2.3.3). The Google copy is
/// removed by the outbox entry recorded with this change (it keeps the ids), and the event becomes
/// Compass-owned, so that a later revocation (which prunes Google-owned events) keeps it.
fn clear_google_ids(record: &mut EventRecord) {
    record.g_event_id = None;
    record.g_recurring_event_id = None;
    record.g_calendar_id = None;
    record.g_etag = None;
    record.g_updated = None;
    record.provenance = Provenance::Compass;
}

fn update_standalone(
    target: &EventRecord,
    draft: &EventDraft,
    now: DateTime<Utc>,
) -> Result<Changes, PlanError> {
    let mut next = merged(target, draft, now);
    next.time_zone = draft_zone(draft)?.or(target.time_zone);
    match &draft.recurrence {
        RecurrenceDraft::None | RecurrenceDraft::Remove => {
            Ok(Changes::new(&[target], vec![next], vec![]))
        }
        RecurrenceDraft::Series(rule) => {
            next.role = SeriesRole::Base {
                rule: rule.lines().to_vec(),
            };
            let instances = materialise(&next, &[], None)?;
            let mut upserts = vec![next];
            upserts.extend(instances);
            Ok(Changes::new(&[target], upserts, vec![]))
        }
        RecurrenceDraft::Instance { .. } => Err(bad(
            "recurrence.eventId",
            "this event is not part of a series",
        )),
    }
}

fn update_instance(
    target: &EventRecord,
    draft: &EventDraft,
    now: DateTime<Utc>,
) -> Result<Changes, PlanError> {
    match &draft.recurrence {
        RecurrenceDraft::Remove => {
            return Err(bad(
                "recurrence.rule",
                "removing the recurrence needs applyTo=All Events",
            ))
        }
        RecurrenceDraft::Instance { event_id, .. } if Some(event_id) != target.base_id() => {
            return Err(bad(
                "recurrence.eventId",
                "does not match the series of this event",
            ))
        }
        _ => {}
    }
    if draft.is_someday != target.is_someday {
        return Err(bad(
            "isSomeday",
            "one instance cannot move between the calendar and someday; use All Events",
        ));
    }
    Ok(Changes::new(
        &[target],
        vec![merged(target, draft, now)],
        vec![],
    ))
}

/// The rule lines the draft asks for, if it carries one.
fn draft_rule(draft: &EventDraft) -> Option<Vec<String>> {
    match &draft.recurrence {
        RecurrenceDraft::Series(rule) => Some(rule.lines().to_vec()),
        RecurrenceDraft::Instance {
            rule: Some(rule), ..
        } => Some(rule.lines().to_vec()),
        _ => None,
    }
}

/// Copies the series-wide fields of `base` onto one of its instances (its dates are written in the
/// series' zone).
fn with_series_fields(
    instance: &EventRecord,
    base: &EventRecord,
    now: DateTime<Utc>,
) -> EventRecord {
    let mut next = instance.clone();
    next.time_zone = base.time_zone;
    if let (EventSpan::Timed { start, end }, Some(_)) = (instance.span, base.time_zone) {
        let (start, end) = (in_zone(start, base.time_zone), in_zone(end, base.time_zone));
        next.span =
            EventSpan::new(EventDate::Timed(start), EventDate::Timed(end)).unwrap_or(instance.span);
    }
    next.title = base.title.clone();
    next.description = base.description.clone();
    next.priority = base.priority;
    next.is_someday = base.is_someday;
    next.updated_at = now;
    if next.is_someday {
        clear_google_ids(&mut next);
    }
    next
}

fn update_all(
    loaded: &Loaded,
    draft: &EventDraft,
    now: DateTime<Utc>,
) -> Result<Changes, PlanError> {
    let (base, instances) = base_of(loaded)?;
    let mut before: Vec<&EventRecord> = instances.iter().collect();
    before.push(base);
    let mut next = base.clone();
    next.title = draft.title.clone();
    next.description = draft.description.value().cloned();
    next.priority = draft.priority;
    next.is_someday = draft.is_someday;
    next.time_zone = draft_zone(draft)?.or(base.time_zone);
    next.updated_at = now;
    if next.is_someday {
        clear_google_ids(&mut next);
    }
    if matches!(draft.recurrence, RecurrenceDraft::Remove) {
        // The series becomes one standalone event with the edited instance's dates.
        next.role = SeriesRole::Standalone;
        next.span = draft.span;
        next.is_all_day = draft.is_all_day;
        return Ok(Changes::new(&before, vec![next], instances.to_vec()));
    }
    let old_rule = base.rule().map(<[String]>::to_vec).unwrap_or_default();
    let rule = draft_rule(draft).unwrap_or_else(|| old_rule.clone());
    next.role = SeriesRole::Base { rule: rule.clone() };
    let (kept, deletes) = if rule != old_rule || zone_moves_occurrences(base, &rule, next.time_zone)
    {
        let rebuilt = materialise(&next, instances, None)?;
        let kept_ids: Vec<&EventId> = rebuilt.iter().map(|r| &r.id).collect();
        let deletes = instances
            .iter()
            .filter(|i| !kept_ids.contains(&&i.id))
            .cloned()
            .collect();
        (rebuilt, deletes)
    } else {
        (instances.to_vec(), Vec::new())
    };
    let mut upserts: Vec<EventRecord> = kept
        .iter()
        .map(|instance| with_series_fields(instance, &next, now))
        .collect();
    upserts.push(next);
    Ok(Changes::new(&before, upserts, deletes))
}

/// True when expanding `rule` from `base`'s start in `zone` instead of the base's zone gives other instants. A
/// zone that changes nothing (a series made without one, edited through an instance that carries Google's
/// `UTC`) must not rebuild the instances: that would undo their This Event moves and bring back the
/// occurrences deleted one by one (seed 11387: an occurrence Google had deleted came back in Compass only).
fn zone_moves_occurrences(
    base: &EventRecord,
    rule: &[String],
    zone: Option<chrono_tz::Tz>,
) -> bool {
    if zone == base.time_zone {
        return false;
    }
    let instants = |zone| {
        expand(rule, base.series_start(), zone)
            .map(|starts| starts.iter().map(SeriesStart::instant).collect::<Vec<_>>())
    };
    match (instants(base.time_zone), instants(zone)) {
        (Ok(before), Ok(after)) => before != after,
        _ => true,
    }
}

/// Cuts the series so that it ends before `split`: the base gets `UNTIL`, later instances go.
fn truncate(
    base: &EventRecord,
    instances: &[EventRecord],
    split: SeriesStart,
    now: DateTime<Utc>,
) -> Result<Changes, PlanError> {
    let rule = base.rule().map(<[String]>::to_vec).unwrap_or_default();
    let mut cut = base.clone();
    cut.role = SeriesRole::Base {
        rule: with_until(&rule, until_before(split)),
    };
    cut.updated_at = now;
    let deletes = instances
        .iter()
        .filter(|i| i.series_start().instant() >= split.instant())
        .cloned()
        .collect();
    Ok(Changes::new(&[base], vec![cut], deletes))
}

fn update_following(
    loaded: &Loaded,
    draft: &EventDraft,
    now: DateTime<Utc>,
) -> Result<Changes, PlanError> {
    let target = &loaded.target;
    let (base, instances) = base_of(loaded)?;
    let split = split_of(base, instances, target);
    if split.instant() <= base.series_start().instant() {
        return update_all(loaded, draft, now);
    }
    if draft.is_someday {
        return Err(bad(
            "isSomeday",
            "This and Following Events cannot move part of a series to someday",
        ));
    }
    if matches!(draft.recurrence, RecurrenceDraft::Remove) {
        return Err(bad(
            "recurrence.rule",
            "removing the recurrence needs applyTo=All Events",
        ));
    }
    let mut changes = truncate(base, instances, split, now)?;
    let old_rule = base.rule().map(<[String]>::to_vec).unwrap_or_default();
    let mut rule = draft_rule(draft).unwrap_or_else(|| old_rule.clone());
    if rule == old_rule && recurrence::is_bounded(&old_rule) {
        // Unchanged bounded rule: the new part ends where the old series ended.
        let old_last = expand(&old_rule, base.series_start(), base.time_zone)
            .map_err(|e| bad("recurrence.rule", e.to_string()))?
            .last()
            .copied()
            .unwrap_or(target.series_start());
        // A new part that starts after the old series' end still holds its first occurrence (an `UNTIL`
        // before the start would leave Google none, seed 3063).
        let new_start = span_start(&draft.span);
        let until = if old_last.instant() < new_start.instant() {
            new_start
        } else {
            old_last
        };
        rule = with_until(&rule, until);
    }
    let new_base = EventRecord {
        id: new_event_id(),
        user: target.user.clone(),
        title: draft.title.clone(),
        description: draft.description.value().cloned(),
        span: draft.span,
        time_zone: draft_zone(draft)?.or(base.time_zone),
        is_all_day: draft.is_all_day,
        is_someday: false,
        origin: base.origin,
        provenance: base.provenance,
        priority: draft.priority,
        role: SeriesRole::Base { rule },
        g_event_id: None,
        g_recurring_event_id: None,
        g_calendar_id: None,
        g_etag: None,
        g_updated: None,
        order: None,
        all_day_order: None,
        created_at: now,
        updated_at: now,
    };
    let new_instances = materialise(&new_base, &[], Some(&target.id))?;
    // The cut deleted the target; its id lives on as the first new instance (a replacement).
    changes.deletes.retain(|d| d.id != target.id);
    let mut upserts = vec![new_base];
    upserts.extend(new_instances);
    changes.extend(Changes::new(&[target], upserts, vec![]));
    changes.split_calendar = base.g_calendar_id.clone();
    changes.split_target = Some((target.id.clone(), draft.span.start()));
    Ok(changes)
}

/// The instances of `base`: one per occurrence of its rule. An existing instance (from `reuse`) that
/// starts at an occurrence is kept as it is; new ones copy the base and get fresh ids, except the first
/// one, which gets `first_id` when given.
fn materialise(
    base: &EventRecord,
    reuse: &[EventRecord],
    first_id: Option<&EventId>,
) -> Result<Vec<EventRecord>, PlanError> {
    let rule = base.rule().unwrap_or_default();
    let starts = expand(rule, base.series_start(), base.time_zone)
        .map_err(|e| bad("recurrence.rule", e.to_string()))?;
    let by_start: HashMap<SeriesStart, &EventRecord> =
        reuse.iter().map(|r| (r.series_start(), r)).collect();
    let mut out = Vec::with_capacity(starts.len());
    for (index, start) in starts.into_iter().enumerate() {
        if let Some(existing) = by_start.get(&start) {
            out.push((*existing).clone());
            continue;
        }
        let span = span_like(&base.span, start, base.time_zone)
            .ok_or_else(|| bad("recurrence.rule", "produced an occurrence out of range"))?;
        let id = match (index, first_id) {
            (0, Some(id)) => id.clone(),
            _ => new_event_id(),
        };
        out.push(EventRecord {
            id,
            span,
            role: SeriesRole::Instance {
                base: base.id.clone(),
            },
            g_event_id: None,
            g_recurring_event_id: None,
            g_calendar_id: None,
            g_etag: None,
            g_updated: None,
            order: None,
            all_day_order: None,
            created_at: base.updated_at,
            ..base.clone()
        });
    }
    Ok(out)
}
