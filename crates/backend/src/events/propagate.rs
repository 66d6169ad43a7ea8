//! Which Google writes a planned change owes: the outbox entries ([`Pending`]) that
//! `super::service` records in the same transaction as the change (pure, no I/O).
//!
//! - A series travels to Google through its **base** (the Google master): a create, an All Events or
//!   This and Following edit, a rule change, a cut with `UNTIL`, a delete of the whole series — one entry
//!   per base or standalone event written or deleted; the instances the change rewrote follow the master.
//! - A **This Event** edit or delete of one instance is one entry for that instance (Google: the instance
//!   patched or cancelled by its instance id); the base's `EXDATE` that a delete adds is not pushed
//!   separately (the cancelled instance says the same) — unless the instance has no Google id yet (the
//!   series was not pushed, or its instance ids not recorded): then the base is pushed, and its rule's
//!   `EXDATE` removes the occurrence at Google (found by the convergence test).
//! - A **This and Following** edit's new series is created in the calendar of the series it split
//!   (the entry names it; new events otherwise go to the primary calendar).
//! - The instance a **This and Following** edit starts the new series at keeps its id, and the new series'
//!   create carries it. A This Event change of it still waiting in the outbox named its place in the old
//!   series (the entry's slot, the old Google instance): that entry now names its place in the new series
//!   instead, its start there and no Google copy yet (seeds 17605, 17661: the stale slot matched no Google
//!   instance of the new series, and the instance's push failed for good). It is rewritten rather than
//!   dropped: a push of it in flight completes only the version it read.
//! - **Someday** events never reach Google: an event that is someday after the change gets an entry only
//!   when it had a Google copy before (the entry removes it); a deleted instance that never reached Google
//!   gets none (its pending entry is cancelled instead, see [`Propagation::cancelled`]).
//! - A deleted standalone event or series without a Google id, or one moved to someday, may still be at
//!   Google: its create may have been sent and its answer lost (a restart, a failed call after Google
//!   committed). It is [`Propagation::unconfirmed`]: when its create is still pending, the entry turns into
//!   a removal of the Google id the create uses (the Compass id), which Google answers 404 when it never
//!   got there.

use compass_core::{EventDate, EventId};

use super::model::{EventRecord, SeriesRole};
use super::plan::Changes;
use crate::store::outbox::Pending;

/// What one write owes Google.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Propagation {
    /// Entries to record (or coalesce into the pending ones).
    pub pending: Vec<Pending>,
    /// Instances deleted before Google ever held them: their pending entries are cancelled (the base's
    /// `EXDATE` speaks for them).
    pub cancelled: Vec<EventId>,
    /// Standalone events and series bases deleted or moved to someday without a Google id: Google may hold
    /// them under their Compass id if a create was sent (see the module docs).
    pub unconfirmed: Vec<EventId>,
    /// The instance a This and Following edit made the first of a new series, and its slot there: its pending
    /// This Event entry, if any, is moved to that slot (see the module docs).
    pub split_off: Option<(EventId, EventDate)>,
}

/// The outbox entries of `changes` (see the module docs).
pub fn propagation(changes: &Changes) -> Propagation {
    let mut out = Propagation {
        split_off: changes.split_target.clone(),
        ..Propagation::default()
    };
    // Deleting the last instance deletes the series: then the master goes.
    let this_event_instance = changes
        .single_instance
        .as_ref()
        .filter(|_| !changes.deletes.iter().any(EventRecord::is_base));
    // A This Event delete of an instance Google cannot name yet travels as the base's new EXDATE.
    let exdate_via_base = this_event_instance.is_some_and(|target| {
        changes
            .deletes
            .iter()
            .any(|d| &d.id == target && d.g_event_id.is_none())
    });
    let written = changes.upserts.iter().chain(&changes.inserts);
    for record in written {
        let via_base = exdate_via_base && record.is_base();
        let wanted = match this_event_instance {
            Some(target) => &record.id == target || via_base,
            None => !matches!(record.role, SeriesRole::Instance { .. }),
        };
        if !wanted {
            continue;
        }
        let before = changes.google_before.get(&record.id);
        if record.is_someday && before.is_none() && record.g_event_id.is_none() {
            // Never confirmed at Google, but its create may have been sent with the answer lost (seed
            // 10966): like a delete, see `unconfirmed`.
            out.unconfirmed.push(record.id.clone());
            continue;
        }
        let instance = this_event_instance.is_some() && !via_base;
        out.pending.push(Pending {
            event: record.id.clone(),
            instance,
            g_event_id: before.map(|(g, _, _)| g.as_str().to_owned()),
            // A new series split off another one goes to the calendar of that one.
            g_calendar_id: before
                .and_then(|(_, c, _)| c.clone())
                .or_else(|| changes.split_calendar.clone().filter(|_| record.is_base())),
            g_etag: before.and_then(|(_, _, e)| e.clone()),
            slot: if instance {
                changes.instance_slot
            } else {
                None
            },
        });
    }
    for record in &changes.deletes {
        let wanted = match this_event_instance {
            Some(target) => &record.id == target,
            None => !matches!(record.role, SeriesRole::Instance { .. }),
        };
        if !wanted {
            continue;
        }
        match google_copy(record) {
            Some((g, calendar, etag)) => out.pending.push(Pending {
                event: record.id.clone(),
                instance: this_event_instance.is_some(),
                g_event_id: Some(g),
                g_calendar_id: calendar,
                g_etag: etag,
                slot: None,
            }),
            None if this_event_instance.is_some() => out.cancelled.push(record.id.clone()),
            None => out.unconfirmed.push(record.id.clone()),
        }
    }
    out
}

/// The Google id, calendar and etag of a stored event, when Google holds a copy.
fn google_copy(record: &EventRecord) -> Option<(String, Option<String>, Option<String>)> {
    record.g_event_id.as_ref().map(|g| {
        (
            g.as_str().to_owned(),
            record.g_calendar_id.clone(),
            record.g_etag.clone(),
        )
    })
}
