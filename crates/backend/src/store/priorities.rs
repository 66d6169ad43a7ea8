//! The `priority` collection: a user's priority labels (`/api/priority`), `{_id, name, user, ...}`.
//!
//! Extra fields a client sent are kept as they are. A new user gets the default set.

use compass_core::{PriorityId, UserId};
use mongodb::bson::{doc, oid::ObjectId, Document};
use mongodb::options::ReturnDocument;
use mongodb::{ClientSession, Collection};
use serde::{Deserialize, Serialize};

use super::convert::{priority_oid, user_oid};
use super::decode::{decode_one, Listing};
use super::scoped::UserScoped;
use super::{Store, StoreError};

/// Collection name (the reference's).
pub const COLLECTION: &str = "priority";
/// Unique index: one label of a name per user.
pub const NAME_INDEX: &str = "user_name_unique";
/// The labels every new user gets.
pub const DEFAULT_NAMES: [&str; 4] = ["unassigned", "self", "work", "relationships"];

/// A stored priority label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriorityDoc {
    /// Label id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Owner.
    pub user: ObjectId,
    /// Label name.
    pub name: String,
    /// Any other fields the client stored (e.g. `color`).
    #[serde(flatten)]
    pub extra: Document,
}

impl PriorityDoc {
    /// The label id.
    pub fn priority_id(&self) -> PriorityId {
        super::convert::priority_id(self.id)
    }
}

/// Typed access to the `priority` collection, scoped per user.
#[derive(Clone, Debug)]
pub struct Priorities {
    raw: Collection<Document>,
    scoped: UserScoped,
}

/// Removes the keys a client may not set through `extra`.
fn clean(fields: &Document) -> Document {
    let mut fields = fields.clone();
    for key in ["_id", "user", "name"] {
        fields.remove(key);
    }
    fields
}

impl Priorities {
    /// The collection of `store`.
    pub fn new(store: &Store) -> Self {
        Priorities {
            raw: store.collection(COLLECTION),
            scoped: UserScoped::new(store, COLLECTION),
        }
    }

    /// Creates the default labels the user does not have yet (idempotent).
    pub async fn create_defaults(
        &self,
        user: &UserId,
        mut session: Option<&mut ClientSession>,
    ) -> Result<(), StoreError> {
        for name in DEFAULT_NAMES {
            let filter = doc! { "user": user_oid(user), "name": name };
            let update = doc! { "$setOnInsert": { "user": user_oid(user), "name": name } };
            in_session!(
                self.raw.update_one(filter, update).upsert(true),
                session.as_deref_mut()
            )?;
        }
        Ok(())
    }

    /// Creates or updates the label `name` with `fields` (the reference's `POST /api/priority`).
    pub async fn upsert(
        &self,
        user: &UserId,
        name: &str,
        fields: &Document,
    ) -> Result<PriorityDoc, StoreError> {
        let filter = doc! { "user": user_oid(user), "name": name };
        let mut update = doc! { "$setOnInsert": { "user": user_oid(user), "name": name } };
        let fields = clean(fields);
        if !fields.is_empty() {
            update.insert("$set", fields);
        }
        let stored = self
            .raw
            .find_one_and_update(filter, update)
            .upsert(true)
            .return_document(ReturnDocument::After)
            .await?
            .ok_or_else(|| StoreError::not_found(COLLECTION, name))?;
        Ok(decode_one(COLLECTION, stored)?)
    }

    /// The user's labels, by name.
    pub async fn list(&self, user: &UserId) -> Result<Listing<PriorityDoc>, StoreError> {
        self.scoped
            .list(user, doc! {}, doc! { "name": 1 }, None)
            .await
    }

    /// One label of the user.
    pub async fn get(
        &self,
        user: &UserId,
        id: &PriorityId,
    ) -> Result<Option<PriorityDoc>, StoreError> {
        self.scoped
            .find_one(user, doc! { "_id": priority_oid(id) }, None)
            .await
    }

    /// Renames and/or sets fields of one label; [`StoreError::NotFound`] when the user has none with
    /// that id. A rename onto an existing name is a [`StoreError::Conflict`].
    pub async fn update(
        &self,
        user: &UserId,
        id: &PriorityId,
        name: Option<&str>,
        fields: &Document,
    ) -> Result<PriorityDoc, StoreError> {
        let mut set = clean(fields);
        if let Some(name) = name {
            set.insert("name", name);
        }
        let filter = doc! { "_id": priority_oid(id), "user": user_oid(user) };
        let found = if set.is_empty() {
            self.raw.find_one(filter).await?
        } else {
            self.raw
                .find_one_and_update(filter, doc! { "$set": set })
                .return_document(ReturnDocument::After)
                .await?
        };
        let document = found.ok_or_else(|| StoreError::not_found(COLLECTION, id))?;
        Ok(decode_one(COLLECTION, document)?)
    }

    /// Deletes one label; `false` when the user had none with that id.
    pub async fn delete(&self, user: &UserId, id: &PriorityId) -> Result<bool, StoreError> {
        self.scoped
            .delete_one(user, doc! { "_id": priority_oid(id) }, None)
            .await
    }

    /// Deletes all labels of the user (account deletion). Returns the count.
    pub async fn delete_all(
        &self,
        user: &UserId,
        session: Option<&mut ClientSession>,
    ) -> Result<u64, StoreError> {
        self.scoped.delete_many(user, doc! {}, session).await
    }
}
