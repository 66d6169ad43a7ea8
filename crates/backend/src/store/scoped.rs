//! [`UserScoped`]: one per-user collection seen through the user every query is scoped to. It puts
//! `user` into each filter, decodes what it reads (a listing logs and skips documents that do not decode;
//! a single read reports them) and runs inside a session when one is given: the find / list / delete code
//! that `events`, `calendars`, `priorities`, `sync_state` and `watches` would otherwise each repeat.

use compass_core::UserId;
use mongodb::bson::{doc, Document};
use mongodb::options::FindOptions;
use mongodb::{ClientSession, Collection};
use serde::de::DeserializeOwned;

use super::convert::user_oid;
use super::decode::{decode_all, decode_one, Listing};
use super::{Store, StoreError};

/// Reads and deletes in one collection, always for one user.
#[derive(Debug, Clone)]
pub(crate) struct UserScoped {
    name: &'static str,
    raw: Collection<Document>,
}

impl UserScoped {
    /// The collection `name` of `store`.
    pub(crate) fn new(store: &Store, name: &'static str) -> Self {
        Self {
            name,
            raw: store.collection(name),
        }
    }

    /// `{user, ...filter}`.
    fn filter(user: &UserId, filter: Document) -> Document {
        let mut scoped = doc! { "user": user_oid(user) };
        scoped.extend(filter);
        scoped
    }

    /// The user's one document matching `filter`.
    pub(crate) async fn find_one<T: DeserializeOwned>(
        &self,
        user: &UserId,
        filter: Document,
        session: Option<&mut ClientSession>,
    ) -> Result<Option<T>, StoreError> {
        let filter = Self::filter(user, filter);
        match in_session!(self.raw.find_one(filter), session)? {
            Some(document) => Ok(Some(decode_one(self.name, document)?)),
            None => Ok(None),
        }
    }

    /// The user's documents matching `filter`, in `sort` order, at most `limit` when given.
    pub(crate) async fn list<T: DeserializeOwned>(
        &self,
        user: &UserId,
        filter: Document,
        sort: Document,
        limit: Option<i64>,
    ) -> Result<Listing<T>, StoreError> {
        let options = FindOptions::builder().sort(sort).limit(limit).build();
        let cursor = self
            .raw
            .find(Self::filter(user, filter))
            .with_options(options)
            .await?;
        decode_all(self.name, cursor).await
    }

    /// Deletes the user's one document matching `filter`; `false` when there was none.
    pub(crate) async fn delete_one(
        &self,
        user: &UserId,
        filter: Document,
        session: Option<&mut ClientSession>,
    ) -> Result<bool, StoreError> {
        let filter = Self::filter(user, filter);
        let result = in_session!(self.raw.delete_one(filter), session)?;
        Ok(result.deleted_count == 1)
    }

    /// [`Self::delete_many`] for cleanups that usually find nothing (calendars or events no longer synced,
    /// checked on every calendar-list sync): one read, and the delete only when a document matches. A
    /// delete is a write even when it removes nothing; dozens of them at once on the `event` collection
    /// held SecantusDB's collection lock against the sync transactions for minutes (the long convergence
    /// run of 2026-11-26). Outside transactions only: what appears between the read and the next check is
    /// removed by that check.
    pub(crate) async fn delete_many_if_any(
        &self,
        user: &UserId,
        filter: Document,
    ) -> Result<u64, StoreError> {
        let scoped = Self::filter(user, filter.clone());
        let found = self
            .raw
            .find_one(scoped)
            .projection(doc! { "_id": 1 })
            .await?;
        match found {
            Some(_) => self.delete_many(user, filter, None).await,
            None => Ok(0),
        }
    }

    /// Deletes the user's documents matching `filter` (`doc! {}`: all of them). Returns the count.
    pub(crate) async fn delete_many(
        &self,
        user: &UserId,
        filter: Document,
        session: Option<&mut ClientSession>,
    ) -> Result<u64, StoreError> {
        let filter = Self::filter(user, filter);
        let result = in_session!(self.raw.delete_many(filter), session)?;
        Ok(result.deleted_count)
    }
}
