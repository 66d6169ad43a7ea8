//! The `calendar` collection: the Google calendar-list entries copied into Compass, one per user and
//! Google calendar, with the user's `selected` toggle.

use compass_core::UserId;
use mongodb::bson::{self, doc, oid::ObjectId, Document};
use mongodb::options::ReturnDocument;
use mongodb::{ClientSession, Collection};
use serde::{Deserialize, Serialize};

use super::convert::{now, user_oid};
use super::decode::{decode_one, Listing};
use super::scoped::UserScoped;
use super::{Store, StoreError};

/// Collection name (the reference's).
pub const COLLECTION: &str = "calendar";
/// Unique index: one entry per user, Google calendar id and provider.
pub const USER_CALENDAR_INDEX: &str = "user_metadata_id_provider_unique";
/// Unique partial index: at most one primary calendar per user.
pub const USER_PRIMARY_INDEX: &str = "user_primary_unique";
/// The provider of Google calendars.
pub const PROVIDER_GOOGLE: &str = "google";

/// The calendar-list entry as Google describes it (`metadata` in the reference).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarMetadata {
    /// Google's calendar id (e.g. the account's email for the primary calendar).
    pub id: String,
    /// `google`.
    pub provider: String,
    /// The entry's other fields as Google sent them (`summary`, `accessRole`, `etag`, ...).
    #[serde(flatten)]
    pub rest: Document,
}

/// A stored calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarDoc {
    /// Compass id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Owner.
    pub user: ObjectId,
    /// Background colour `#rrggbb`.
    pub background_color: String,
    /// Foreground colour `#rrggbb`.
    pub color: String,
    /// Shown in Compass.
    pub selected: bool,
    /// The user's primary Google calendar.
    pub primary: bool,
    /// IANA time zone of the calendar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// The Google entry.
    pub metadata: CalendarMetadata,
    /// First stored.
    pub created_at: bson::DateTime,
    /// Last written.
    pub updated_at: bson::DateTime,
}

/// What a calendar-list import knows about one calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarEntry {
    /// Google's calendar id.
    pub g_calendar_id: String,
    /// Background colour.
    pub background_color: String,
    /// Foreground colour.
    pub color: String,
    /// Google's `selected` (used only when the calendar is new; later the user's choice wins).
    pub selected: bool,
    /// Google's `primary`.
    pub primary: bool,
    /// Google's `timeZone`.
    pub timezone: Option<String>,
    /// The rest of the entry (`summary`, `accessRole`, ...).
    pub rest: Document,
}

/// Typed access to the `calendar` collection, scoped per user.
#[derive(Clone, Debug)]
pub struct Calendars {
    raw: Collection<Document>,
    scoped: UserScoped,
}

impl Calendars {
    /// The collection of `store`.
    pub fn new(store: &Store) -> Self {
        Calendars {
            raw: store.collection(COLLECTION),
            scoped: UserScoped::new(store, COLLECTION),
        }
    }

    /// Creates or refreshes the user's entry for one Google calendar; the user's `selected` choice is
    /// kept on refresh. Returns the stored document.
    pub async fn upsert_from_google(
        &self,
        user: &UserId,
        entry: &CalendarEntry,
        session: Option<&mut ClientSession>,
    ) -> Result<CalendarDoc, StoreError> {
        let mut metadata = entry.rest.clone();
        metadata.insert("id", &entry.g_calendar_id);
        metadata.insert("provider", PROVIDER_GOOGLE);
        let filter = doc! {
            "user": user_oid(user),
            "metadata.id": &entry.g_calendar_id,
            "metadata.provider": PROVIDER_GOOGLE,
        };
        let mut set = doc! {
            "backgroundColor": &entry.background_color,
            "color": &entry.color,
            "primary": entry.primary,
            "metadata": metadata,
            "updatedAt": now(),
        };
        if let Some(tz) = &entry.timezone {
            set.insert("timezone", tz);
        }
        let update = doc! {
            "$set": set,
            "$setOnInsert": { "user": user_oid(user), "selected": entry.selected, "createdAt": now() },
        };
        let stored = in_session!(
            self.raw
                .find_one_and_update(filter, update)
                .upsert(true)
                .return_document(ReturnDocument::After),
            session
        )?
        .ok_or_else(|| StoreError::not_found(COLLECTION, &entry.g_calendar_id))?;
        Ok(decode_one(COLLECTION, stored)?)
    }

    /// The user's calendars, primary first.
    pub async fn list(&self, user: &UserId) -> Result<Listing<CalendarDoc>, StoreError> {
        self.scoped
            .list(
                user,
                doc! {},
                doc! { "primary": -1, "metadata.id": 1 },
                None,
            )
            .await
    }

    /// The user's selected calendars.
    pub async fn selected(&self, user: &UserId) -> Result<Listing<CalendarDoc>, StoreError> {
        self.scoped
            .list(
                user,
                doc! { "selected": true },
                doc! { "primary": -1, "metadata.id": 1 },
                None,
            )
            .await
    }

    /// The user's primary calendar.
    pub async fn primary(&self, user: &UserId) -> Result<Option<CalendarDoc>, StoreError> {
        self.scoped
            .find_one(user, doc! { "primary": true }, None)
            .await
    }

    /// Shows or hides one of the user's calendars (by Google calendar id); [`StoreError::NotFound`]
    /// when the user has no such calendar.
    pub async fn set_selected(
        &self,
        user: &UserId,
        g_calendar_id: &str,
        selected: bool,
    ) -> Result<(), StoreError> {
        let result = self
            .raw
            .update_one(
                doc! { "user": user_oid(user), "metadata.id": g_calendar_id },
                doc! { "$set": { "selected": selected, "updatedAt": now() } },
            )
            .await?;
        if result.matched_count == 0 {
            return Err(StoreError::not_found(COLLECTION, g_calendar_id));
        }
        Ok(())
    }

    /// Removes the user's calendars that are not in `keep` (calendars deleted at Google). Returns the
    /// count.
    pub async fn delete_missing(
        &self,
        user: &UserId,
        keep: &[String],
        session: Option<&mut ClientSession>,
    ) -> Result<u64, StoreError> {
        let filter = doc! { "metadata.id": { "$nin": keep } };
        match session {
            Some(session) => self.scoped.delete_many(user, filter, Some(session)).await,
            None => self.scoped.delete_many_if_any(user, filter).await,
        }
    }

    /// Deletes all of the user's calendars. Returns the count.
    pub async fn delete_all(
        &self,
        user: &UserId,
        session: Option<&mut ClientSession>,
    ) -> Result<u64, StoreError> {
        self.scoped.delete_many(user, doc! {}, session).await
    }
}
