//! The `watch` collection: Google push channels, one per user and Google calendar (or the literal
//! `calendarlist` for the calendar-list channel). The document id is the channel id Google echoes in
//! `X-Goog-Channel-ID`. A record whose `resourceId` is [`NOT_OPEN`] ([`WatchDoc::wanted`]) stands for a
//! channel that is wanted but not open yet: its expiration is the epoch, so the renewal worker opens it
//! first, and no notification can match it (notifications need an unexpired record).

use chrono::{DateTime, Utc};
use compass_core::UserId;
use mongodb::bson::{self, doc, oid::ObjectId, Document};
use mongodb::{ClientSession, Collection};
use serde::{Deserialize, Serialize};

use super::convert::{now, to_bson_date, user_oid};
use super::decode::{decode_all, decode_one, Listing};
use super::scoped::UserScoped;
use super::{Store, StoreError};

/// Collection name (the reference's).
pub const COLLECTION: &str = "watch";
/// Unique index: one channel per user and calendar.
pub const USER_CALENDAR_INDEX: &str = "user_gCalendarId_unique";
/// The `gCalendarId` of the calendar-list channel.
pub const CALENDAR_LIST: &str = "calendarlist";
/// The `resourceId` of a record whose channel is wanted but not open (Google's ids never look like it).
pub const NOT_OPEN: &str = "not-open";

/// A stored push channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchDoc {
    /// The channel id (its hex is the id given to Google).
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Owner.
    pub user: ObjectId,
    /// The watched calendar, or [`CALENDAR_LIST`].
    pub g_calendar_id: String,
    /// Google's `resourceId` for the channel.
    pub resource_id: String,
    /// When Google stops sending notifications.
    pub expiration: bson::DateTime,
    /// When the channel was stored.
    pub created_at: bson::DateTime,
    /// After a failed open or renewal: not to be tried again before this (every server instance skips it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<bson::DateTime>,
}

impl WatchDoc {
    /// A new channel record with a fresh channel id.
    pub fn new(
        user: &UserId,
        g_calendar_id: &str,
        resource_id: &str,
        expiration: DateTime<Utc>,
    ) -> Self {
        WatchDoc {
            id: ObjectId::new(),
            user: user_oid(user),
            g_calendar_id: g_calendar_id.to_owned(),
            resource_id: resource_id.to_owned(),
            expiration: to_bson_date(expiration),
            created_at: now(),
            retry_at: None,
        }
    }

    /// A record for a channel that is wanted but not open (no resource id, expired at the epoch).
    pub fn wanted(user: &UserId, g_calendar_id: &str) -> Self {
        WatchDoc {
            expiration: bson::DateTime::from_millis(0),
            ..WatchDoc::new(user, g_calendar_id, NOT_OPEN, Utc::now())
        }
    }

    /// True when a channel is open at Google for this record (it may have expired since).
    pub fn is_open(&self) -> bool {
        !self.resource_id.is_empty() && self.resource_id != NOT_OPEN
    }

    /// True when the channel is open and not expired at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.is_open() && self.expiration.timestamp_millis() > now.timestamp_millis()
    }

    /// The owner.
    pub fn user_id(&self) -> UserId {
        super::convert::user_id(self.user)
    }
}

/// Typed access to the `watch` collection.
#[derive(Clone, Debug)]
pub struct Watches {
    raw: Collection<Document>,
    scoped: UserScoped,
    typed: Collection<WatchDoc>,
}

impl Watches {
    /// The collection of `store`.
    pub fn new(store: &Store) -> Self {
        Watches {
            raw: store.collection(COLLECTION),
            scoped: UserScoped::new(store, COLLECTION),
            typed: store.collection(COLLECTION),
        }
    }

    /// Stores a new channel. A second channel for the same user and calendar is a
    /// [`StoreError::Conflict`] on [`USER_CALENDAR_INDEX`].
    pub async fn insert(&self, watch: &WatchDoc) -> Result<(), StoreError> {
        self.typed.insert_one(watch).await?;
        Ok(())
    }

    /// Replaces the user's channel `old` by `new` inside `session` (one transaction: a notification
    /// always finds one of them).
    pub async fn swap(
        &self,
        session: &mut ClientSession,
        old: &ObjectId,
        new: &WatchDoc,
    ) -> Result<(), StoreError> {
        self.raw
            .delete_one(doc! { "_id": old, "user": new.user })
            .session(&mut *session)
            .await?;
        self.typed.insert_one(new).session(&mut *session).await?;
        Ok(())
    }

    /// The user's channel on one calendar.
    pub async fn for_calendar(
        &self,
        user: &UserId,
        g_calendar_id: &str,
    ) -> Result<Option<WatchDoc>, StoreError> {
        let filter = doc! { "user": user_oid(user), "gCalendarId": g_calendar_id };
        self.find_one(filter).await
    }

    /// The channel a notification names (channel id and resource id must both match).
    pub async fn by_channel(
        &self,
        channel_id: &ObjectId,
        resource_id: &str,
    ) -> Result<Option<WatchDoc>, StoreError> {
        self.find_one(doc! { "_id": channel_id, "resourceId": resource_id })
            .await
    }

    async fn find_one(&self, filter: Document) -> Result<Option<WatchDoc>, StoreError> {
        match self.raw.find_one(filter).await? {
            Some(document) => Ok(Some(decode_one(COLLECTION, document)?)),
            None => Ok(None),
        }
    }

    /// The user's channels.
    pub async fn list(&self, user: &UserId) -> Result<Listing<WatchDoc>, StoreError> {
        self.scoped
            .list(user, doc! {}, doc! { "expiration": 1 }, None)
            .await
    }

    /// All users' channels that expire at or before `at` (renewal worker), soonest first, leaving out
    /// the ones postponed past `now` ([`Watches::postpone`]), so failing records never crowd out the rest.
    pub async fn expiring_before(
        &self,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Listing<WatchDoc>, StoreError> {
        let cursor = self
            .raw
            .find(doc! {
                "expiration": { "$lte": to_bson_date(at) },
                "$or": [
                    { "retryAt": { "$exists": false } },
                    { "retryAt": { "$lte": to_bson_date(now) } },
                ],
            })
            .sort(doc! { "expiration": 1 })
            .limit(limit)
            .await?;
        decode_all(COLLECTION, cursor).await
    }

    /// Postpones the next attempt on the user's record for `g_calendar_id` until `until` (after a failure).
    pub async fn postpone(
        &self,
        user: &UserId,
        g_calendar_id: &str,
        until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.raw
            .update_one(
                doc! { "user": user_oid(user), "gCalendarId": g_calendar_id },
                doc! { "$set": { "retryAt": to_bson_date(until) } },
            )
            .await?;
        Ok(())
    }

    /// Deletes one channel of the user; `false` when there was none.
    pub async fn delete(&self, user: &UserId, channel_id: &ObjectId) -> Result<bool, StoreError> {
        self.scoped
            .delete_one(user, doc! { "_id": channel_id }, None)
            .await
    }

    /// Deletes all of the user's channels. Returns the count.
    pub async fn delete_all(
        &self,
        user: &UserId,
        session: Option<&mut ClientSession>,
    ) -> Result<u64, StoreError> {
        self.scoped.delete_many(user, doc! {}, session).await
    }
}
