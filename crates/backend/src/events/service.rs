//! The events flows: load what a write needs, plan it, write it in one MongoDB transaction — together
//! with the outbox entries of the Google writes it owes ([`super::propagate`], `crate::store::outbox`;
//! only for users with Google connected) — and only after the commit tell the user's tabs
//! (`EVENT_CHANGED` for the grid, `SOMEDAY_EVENT_CHANGED` for someday, both when an event moves
//! between them). The sync worker drains the outbox; the HTTP layer wakes it after a write.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use compass_core::{
    Event, EventDraft, EventId, EventQuery, PayloadOrder, SseEvent, UpdateScope, UserId,
};
use mongodb::ClientSession;

use super::model::{EventRecord, SeriesRole};
use super::plan::{self, Changes, Loaded, PlanError, Series};
use super::propagate::propagation;
use super::repo::EventRepo;
use crate::sse::Hub;
use crate::store::outbox::Outbox;
use crate::store::users::Users;
use crate::store::{Store, StoreError};

/// Why an events request failed.
#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    /// The write is refused (400).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// No such event for this user (404).
    #[error("event not found")]
    NotFound,
    /// The client chose an id that is already used (409).
    #[error("an event with _id {0} already exists")]
    IdTaken(EventId),
    /// The request would write more events than one request may (400): a batch of open-ended series
    /// (730 occurrences each) would otherwise turn a small body into hundreds of thousands of writes.
    #[error(
        "this request would write at least {wanted} events; at most {limit} may be written at once \
         (give long series an end, or send fewer events per request)"
    )]
    TooManyWrites {
        /// Events the request would write (counted until the limit was passed).
        wanted: usize,
        /// [`MAX_WRITES_PER_REQUEST`].
        limit: usize,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Most events (inserted or replaced; deletes do not count) one request may write: a few open-ended
/// series, or a long series edited as a whole.
pub const MAX_WRITES_PER_REQUEST: usize = 3_000;

/// Tells the user's tabs what a committed change touched.
fn publish(hub: &Hub, user: &UserId, grid: bool, someday: bool) {
    if grid {
        hub.publish(user, &SseEvent::EventChanged);
    }
    if someday {
        hub.publish(user, &SseEvent::SomedayEventChanged);
    }
}

/// The events API over one store and hub.
#[derive(Debug, Clone)]
pub struct EventService {
    store: Store,
    repo: EventRepo,
    hub: Hub,
}

/// A planned outcome inside a transaction: either the changes were written, or the plan was refused
/// before anything was written.
type Planned = Result<Changes, EventsError>;

impl EventService {
    /// The service on `store`, publishing through `hub`.
    pub fn new(store: &Store, hub: &Hub) -> Self {
        EventService {
            store: store.clone(),
            repo: EventRepo::new(store),
            hub: hub.clone(),
        }
    }

    /// Runs `work` (load + plan) in a transaction, writes its changes there — and, when `push` and the
    /// user has Google connected, the outbox entries they owe —, commits, then publishes.
    async fn write<F, Fut>(&self, user: &UserId, push: bool, work: F) -> Result<(), EventsError>
    where
        F: Fn(EventRepo, ClientSession) -> Fut,
        Fut: std::future::Future<Output = (ClientSession, Result<Planned, StoreError>)>,
    {
        let repo = self.repo.clone();
        let outbox = (push && self.google_connected(user).await?).then(|| Outbox::new(&self.store));
        let written = self
            .store
            .transaction(|session| {
                let repo = repo.clone();
                let outbox = outbox.clone();
                let user = user.clone();
                let planning = work(repo.clone(), session);
                async move {
                    let (mut session, planned) = planning.await;
                    let result = match planned {
                        Ok(Ok(changes)) => match writable(&changes) {
                            Ok(()) => apply(&repo, outbox.as_ref(), &mut session, &user, &changes)
                                .await
                                .map(|()| Ok(changes)),
                            Err(refused) => Ok(Err(refused)),
                        },
                        other => other,
                    };
                    (session, result)
                }
            })
            .await??;
        publish(
            &self.hub,
            user,
            written.touched_grid,
            written.touched_someday,
        );
        Ok(())
    }

    /// True when `user` has a Google grant stored (then writes owe Google a copy).
    async fn google_connected(&self, user: &UserId) -> Result<bool, StoreError> {
        Ok(Users::new(&self.store)
            .find(user)
            .await?
            .is_some_and(|u| u.has_refresh_token()))
    }

    /// `POST /api/event`: creates every draft (all or nothing).
    pub async fn create(&self, user: &UserId, drafts: Vec<EventDraft>) -> Result<(), EventsError> {
        if drafts.len() > MAX_WRITES_PER_REQUEST {
            return Err(EventsError::TooManyWrites {
                wanted: drafts.len(),
                limit: MAX_WRITES_PER_REQUEST,
            });
        }
        self.write(user, true, |repo, mut session| {
            let drafts = drafts.clone();
            let user = user.clone();
            async move {
                let result = plan_creates(&repo, &mut session, &user, &drafts).await;
                (session, result)
            }
        })
        .await
    }

    /// `PUT /api/event/:id?applyTo=`.
    pub async fn update(
        &self,
        user: &UserId,
        id: &EventId,
        draft: EventDraft,
        scope: UpdateScope,
    ) -> Result<(), EventsError> {
        self.write(user, true, |repo, mut session| {
            let (user, id, draft) = (user.clone(), id.clone(), draft.clone());
            async move {
                let result = match load(&repo, &mut session, &user, &id).await {
                    Ok(Some(loaded)) => Ok(plan::plan_update(&loaded, &draft, scope, Utc::now())
                        .map_err(EventsError::from)),
                    Ok(None) => Ok(Err(EventsError::NotFound)),
                    Err(e) => Err(e),
                };
                (session, result)
            }
        })
        .await
    }

    /// `DELETE /api/event/:id?applyTo=`.
    pub async fn delete(
        &self,
        user: &UserId,
        id: &EventId,
        scope: UpdateScope,
    ) -> Result<(), EventsError> {
        self.write(user, true, |repo, mut session| {
            let (user, id) = (user.clone(), id.clone());
            async move {
                let result = match load(&repo, &mut session, &user, &id).await {
                    Ok(Some(loaded)) => Ok(
                        plan::plan_delete(&loaded, scope, Utc::now()).map_err(EventsError::from)
                    ),
                    Ok(None) => Ok(Err(EventsError::NotFound)),
                    Err(e) => Err(e),
                };
                (session, result)
            }
        })
        .await
    }

    /// `PUT /api/event/reorder`: sets `order` on each listed event (all or nothing; an unknown id is 404).
    pub async fn reorder(
        &self,
        user: &UserId,
        items: Vec<PayloadOrder>,
    ) -> Result<usize, EventsError> {
        let count = items.len();
        if count > MAX_WRITES_PER_REQUEST {
            return Err(EventsError::TooManyWrites {
                wanted: count,
                limit: MAX_WRITES_PER_REQUEST,
            });
        }
        // Someday order is not part of Google's copy: nothing to push.
        self.write(user, false, |repo, mut session| {
            let (user, items) = (user.clone(), items.clone());
            async move {
                let result = reorder_in(&repo, &mut session, &user, &items).await;
                (session, result)
            }
        })
        .await?;
        Ok(count)
    }

    /// `GET /api/event`: the listed events in the read model (instances carry their base's rule).
    pub async fn list(&self, user: &UserId, query: &EventQuery) -> Result<Vec<Event>, EventsError> {
        let records = self
            .repo
            .list(user, query.someday, query.range.as_ref())
            .await?;
        self.read_model(user, records).await
    }

    /// `GET /api/event/:id`.
    pub async fn get(&self, user: &UserId, id: &EventId) -> Result<Event, EventsError> {
        let record = self
            .repo
            .get(user, id)
            .await?
            .ok_or(EventsError::NotFound)?;
        let mut events = self.read_model(user, vec![record]).await?;
        events.pop().ok_or(EventsError::NotFound)
    }

    /// Wire events, with each instance's base rule attached.
    async fn read_model(
        &self,
        user: &UserId,
        records: Vec<EventRecord>,
    ) -> Result<Vec<Event>, EventsError> {
        let mut bases: Vec<EventId> = records
            .iter()
            .filter_map(|r| r.base_id().cloned())
            .collect();
        bases.sort();
        bases.dedup();
        let rules: HashMap<EventId, Vec<String>> = self
            .repo
            .rules_of(user, &bases)
            .await?
            .into_iter()
            .collect();
        Ok(records
            .iter()
            .map(|r| {
                let rule = r.base_id().and_then(|b| rules.get(b)).map(Vec::as_slice);
                r.to_wire(rule)
            })
            .collect())
    }
}

/// Loads the target and, for series members, the whole series.
async fn load(
    repo: &EventRepo,
    session: &mut ClientSession,
    user: &UserId,
    id: &EventId,
) -> Result<Option<Loaded>, StoreError> {
    let Some(target) = repo.find(session, user, id).await? else {
        return Ok(None);
    };
    let base_id = if target.is_base() {
        Some(target.id.clone())
    } else {
        target.base_id().cloned()
    };
    let series = match base_id {
        Some(base_id) => {
            let (base, instances) = repo.series(session, user, &base_id).await?;
            Some(Series { base, instances })
        }
        None => None,
    };
    Ok(Some(Loaded { target, series }))
}

/// Plans every create of a batch; ids must be new and distinct.
async fn plan_creates(
    repo: &EventRepo,
    session: &mut ClientSession,
    user: &UserId,
    drafts: &[EventDraft],
) -> Result<Planned, StoreError> {
    let now = Utc::now();
    let mut all = Changes::default();
    let mut seen: Vec<&EventId> = Vec::new();
    for draft in drafts {
        if let Some(id) = &draft.id {
            if seen.contains(&id) || repo.id_taken(session, id).await? {
                return Ok(Err(EventsError::IdTaken(id.clone())));
            }
            seen.push(id);
        }
        match plan::plan_create(user, draft, now) {
            Ok(changes) => all.extend(changes),
            Err(e) => return Ok(Err(e.into())),
        }
        // Stop planning as soon as the batch is too big (not after materialising all of it).
        if let Err(refused) = too_many(&all) {
            return Ok(Err(refused));
        }
    }
    Ok(Ok(all))
}

/// Sets the orders; 404 (nothing written) when one id is not the user's.
async fn reorder_in(
    repo: &EventRepo,
    session: &mut ClientSession,
    user: &UserId,
    items: &[PayloadOrder],
) -> Result<Planned, StoreError> {
    let mut changes = Changes::default();
    for item in items {
        match repo.find(session, user, &item.id).await? {
            Some(record) => {
                let mut next = record;
                next.order = Some(item.order);
                next.updated_at = Utc::now();
                if next.is_someday {
                    changes.touched_someday = true;
                } else {
                    changes.touched_grid = true;
                }
                changes.upserts.push(next);
            }
            None => return Ok(Err(EventsError::NotFound)),
        }
    }
    Ok(Ok(changes))
}

/// The first instant that can be stored and sent back: 0001-01-01T00:00:00Z (the wire format has
/// four-digit years, and the database refuses dates outside years 1–9999).
fn first_storable() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(1, 1, 1)
        .unwrap_or(NaiveDate::MIN)
        .and_time(NaiveTime::MIN)
        .and_utc()
}

/// The last instant an event may reach: 9999-12-31T00:00:00Z. (The database stores nothing after
/// year 9999, and list queries reach one day past their end, so the last day is kept free.)
fn past_storable() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .unwrap_or(NaiveDate::MAX)
        .and_time(NaiveTime::MIN)
        .and_utc()
}

/// Refuses (400) a write whose events start before 0001-01-01 or end after 9999-12-31T00:00Z (UTC) —
/// for example a time with a large offset on 0001-01-01, or a series whose occurrences run past year
/// 9999 — instead of letting the database reject it (500).
fn storable(changes: &Changes) -> Result<(), PlanError> {
    let (first, past) = (first_storable(), past_storable());
    for record in changes.upserts.iter().chain(&changes.inserts) {
        let start = record.span.start().start_instant_utc();
        let end = record.span.end().start_instant_utc();
        if start >= first && end <= past {
            continue;
        }
        let field = match (&record.role, start < first) {
            (SeriesRole::Instance { .. }, _) => "recurrence.rule",
            (_, true) => "startDate",
            (_, false) => "endDate",
        };
        let message = if field == "recurrence.rule" {
            "the series has occurrences outside 0001-01-01 to 9999-12-30"
        } else {
            "must lie between 0001-01-01 and 9999-12-30 (in UTC)"
        };
        return Err(PlanError::BadRequest {
            field,
            message: message.into(),
        });
    }
    Ok(())
}

/// Refuses planned changes that write more than [`MAX_WRITES_PER_REQUEST`] events.
fn too_many(changes: &Changes) -> Result<(), EventsError> {
    let wanted = changes.upserts.len() + changes.inserts.len();
    if wanted > MAX_WRITES_PER_REQUEST {
        return Err(EventsError::TooManyWrites {
            wanted,
            limit: MAX_WRITES_PER_REQUEST,
        });
    }
    Ok(())
}

/// Refuses planned changes that write too many events or unstorable dates (see [`storable`]).
fn writable(changes: &Changes) -> Result<(), EventsError> {
    too_many(changes)?;
    storable(changes).map_err(EventsError::from)
}

/// Writes planned changes inside the transaction, and the outbox entries they owe when `outbox` is given.
async fn apply(
    repo: &EventRepo,
    outbox: Option<&Outbox>,
    session: &mut ClientSession,
    user: &UserId,
    changes: &Changes,
) -> Result<(), StoreError> {
    repo.delete_all(session, user, &changes.deletes).await?;
    repo.upsert_all(session, &changes.upserts).await?;
    repo.insert_all(session, &changes.inserts).await?;
    if let Some(outbox) = outbox {
        let owed = propagation(changes);
        for pending in &owed.pending {
            outbox.record(user, pending, Some(&mut *session)).await?;
        }
        for event in &owed.cancelled {
            outbox.cancel(user, event, Some(&mut *session)).await?;
        }
        for event in &owed.unconfirmed {
            outbox
                .remove_own_copy(user, event, Some(&mut *session))
                .await?;
        }
        if let Some((event, slot)) = &owed.split_off {
            outbox
                .move_instance_slot(user, event, *slot, Some(&mut *session))
                .await?;
        }
    }
    Ok(())
}
