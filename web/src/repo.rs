//! Where the week page's events live: on the server ([`Repo::Remote`], through `api`) or, signed out, in
//! this browser ([`Repo::Local`], through `local`). Same operations, same errors; and
//! [`upload_local_events`], which moves the local events to the account after sign-up or sign-in.

use compass_core::{
    DateRange, ErrorBody, ErrorCode, Event, EventDraft, EventId, PayloadOrder, UpdateScope,
};

use crate::api::{self, ApiError};
use crate::local;

/// The event store of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repo {
    /// The signed-in user's events on the server.
    Remote,
    /// Events kept in this browser while signed out.
    Local,
}

fn local_error(message: String) -> ApiError {
    ApiError::Refused {
        status: 0,
        body: ErrorBody::new("Not saved", message),
    }
}

fn not_found() -> ApiError {
    local_error("This event no longer exists in this browser.".to_owned())
}

fn write(f: impl FnOnce(&mut Vec<Event>) -> Result<(), ApiError>) -> Result<(), ApiError> {
    let mut all = local::load();
    f(&mut all)?;
    local::save(&all).map_err(local_error)
}

impl Repo {
    /// Events overlapping `range` (grid or someday).
    pub async fn list(self, range: &DateRange, someday: bool) -> Result<Vec<Event>, ApiError> {
        match self {
            Repo::Remote => api::list_events(range, someday).await,
            Repo::Local => Ok(local::query(&local::load(), range, someday)),
        }
    }

    /// Creates one event.
    pub async fn create(self, draft: &EventDraft) -> Result<(), ApiError> {
        match self {
            Repo::Remote => api::create_event(draft).await,
            Repo::Local => write(|all| {
                let id = local::fresh_id();
                all.push(local::event_from_draft(&id, draft).map_err(local_error)?);
                Ok(())
            }),
        }
    }

    /// Replaces an event (locally the scope does not matter: a local series is one event).
    pub async fn update(
        self,
        id: &EventId,
        draft: &EventDraft,
        scope: UpdateScope,
    ) -> Result<(), ApiError> {
        match self {
            Repo::Remote => api::update_event(id, draft, scope).await,
            Repo::Local => write(|all| match local::update(all, id, draft) {
                Ok(true) => Ok(()),
                Ok(false) => Err(not_found()),
                Err(e) => Err(local_error(e)),
            }),
        }
    }

    /// Deletes an event.
    pub async fn delete(self, id: &EventId, scope: UpdateScope) -> Result<(), ApiError> {
        match self {
            Repo::Remote => api::delete_event(id, scope).await,
            Repo::Local => write(|all| {
                all.retain(|e| &e.id != id);
                Ok(())
            }),
        }
    }

    /// Sets someday positions.
    pub async fn reorder(self, items: &[PayloadOrder]) -> Result<(), ApiError> {
        match self {
            Repo::Remote => api::reorder(items).await,
            Repo::Local => write(|all| {
                local::reorder(all, items);
                Ok(())
            }),
        }
    }
}

/// True for the server's "an event with this id exists" refusal.
fn id_taken(error: &ApiError) -> bool {
    matches!(error, ApiError::Refused { status: 409, body }
        if body.code.as_deref() == Some(ErrorCode::EventIdTaken.as_str()))
}

/// Uploads the local events to the signed-in account, once: one batch with the events' client ids; on
/// "id taken" (an earlier upload was stored but not cleared, e.g. the tab reloaded) the events the server
/// already has are forgotten and the rest sent again. Local events are removed only after the server
/// accepted them. Returns how many were uploaded.
pub async fn upload_local_events() -> Result<usize, ApiError> {
    let mut pending = local::load();
    for _attempt in 0..3 {
        if pending.is_empty() {
            return Ok(0);
        }
        let drafts = pending
            .iter()
            .map(local::draft_of)
            .collect::<Result<Vec<_>, _>>()
            .map_err(local_error)?;
        match api::create_events(&drafts).await {
            Ok(()) => {
                forget(&pending)?;
                return Ok(pending.len());
            }
            Err(error) if id_taken(&error) => {
                let mut stored = Vec::new();
                for event in &pending {
                    if api::get_event(&event.id).await?.is_some() {
                        stored.push(event.clone());
                    }
                }
                if stored.is_empty() {
                    // Taken by nobody we can see: give these events new ids and try again.
                    for event in &mut pending {
                        event.id = local::fresh_id();
                    }
                    local::save(&pending).map_err(local_error)?;
                } else {
                    forget(&stored)?;
                    pending.retain(|e| !stored.iter().any(|s| s.id == e.id));
                }
            }
            Err(error) => return Err(error),
        }
    }
    Err(local_error(
        "Your local events could not be uploaded. They are still saved in this browser.".to_owned(),
    ))
}

/// Removes `done` from the stored local events (events created meanwhile stay).
fn forget(done: &[Event]) -> Result<(), ApiError> {
    let mut all = local::load();
    all.retain(|e| !done.iter().any(|d| d.id == e.id));
    local::save(&all).map_err(local_error)
}

/// The message when the upload failed (the reference's words, and why).
pub fn upload_failed(error: &ApiError) -> String {
    format!(
        "We could not sync your local events. Your changes are still saved on this device. ({error})"
    )
}
