//! The priority-label flows of `/api/priority` ([`PriorityService`]): list, create (upsert by name),
//! read, rename and delete a user's labels, on top of the store's `priority` collection.
//!
//! A label is `{_id, user, name, ...}`: `name` is required (trimmed, 1–100 characters) and unique per
//! user; other keys (e.g. `color`) are kept as the client sent them (see [`input`]). `crate::http::priorities`
//! parses, calls one method and maps [`PrioritiesError`].

pub mod input;

pub use input::{to_wire, PriorityInput, PriorityInputError, MAX_EXTRA_KEYS, MAX_NAME_CHARS};

use compass_core::{PriorityId, UserId};

use crate::store::priorities::{Priorities, PriorityDoc};
use crate::store::{Store, StoreError};

/// Why a priority flow failed.
#[derive(Debug, thiserror::Error)]
pub enum PrioritiesError {
    /// No such label for this user (404).
    #[error("priority not found")]
    NotFound,
    /// A rename onto a name another label of the user already has (409).
    #[error("name: another label already has this name")]
    NameTaken,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The priority flows over one store.
#[derive(Debug, Clone)]
pub struct PriorityService {
    priorities: Priorities,
}

impl PriorityService {
    /// The flows on `store`.
    pub fn new(store: &Store) -> Self {
        Self {
            priorities: Priorities::new(store),
        }
    }

    /// Every label of `user`.
    pub async fn list(&self, user: &UserId) -> Result<Vec<PriorityDoc>, PrioritiesError> {
        Ok(self.priorities.list(user).await?.items)
    }

    /// Creates the label, or updates the one with the same name.
    pub async fn create(
        &self,
        user: &UserId,
        input: &PriorityInput,
    ) -> Result<PriorityDoc, PrioritiesError> {
        Ok(self
            .priorities
            .upsert(user, &input.name, &input.extra)
            .await?)
    }

    /// One label of `user`.
    pub async fn get(
        &self,
        user: &UserId,
        id: &PriorityId,
    ) -> Result<PriorityDoc, PrioritiesError> {
        self.priorities
            .get(user, id)
            .await?
            .ok_or(PrioritiesError::NotFound)
    }

    /// Replaces a label's name and fields.
    pub async fn update(
        &self,
        user: &UserId,
        id: &PriorityId,
        input: &PriorityInput,
    ) -> Result<PriorityDoc, PrioritiesError> {
        self.priorities
            .update(user, id, Some(&input.name), &input.extra)
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => PrioritiesError::NameTaken,
                other => other.into(),
            })
    }

    /// Deletes a label of `user`.
    pub async fn delete(&self, user: &UserId, id: &PriorityId) -> Result<(), PrioritiesError> {
        if self.priorities.delete(user, id).await? {
            Ok(())
        } else {
            Err(PrioritiesError::NotFound)
        }
    }
}
