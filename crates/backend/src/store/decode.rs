//! Reading documents one by one so that a document that no longer fits its type is reported with its
//! id (a `tracing` warning and an entry in [`Listing::failures`]) instead of failing the whole listing.

use futures::TryStreamExt;
use mongodb::bson::{self, Bson, Document};
use mongodb::Cursor;
use serde::de::DeserializeOwned;

use super::StoreError;

/// A document that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeFailure {
    /// The collection it lives in.
    pub collection: &'static str,
    /// Its `_id` as text (`unknown` when it has none).
    pub id: String,
    /// What did not fit.
    pub message: String,
}

impl From<DecodeFailure> for StoreError {
    fn from(f: DecodeFailure) -> Self {
        StoreError::Decode {
            collection: f.collection,
            id: f.id,
            message: f.message,
        }
    }
}

/// The documents of a query that decoded, and those that did not.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing<T> {
    /// Decoded documents, in query order.
    pub items: Vec<T>,
    /// Documents that were skipped because they do not decode.
    pub failures: Vec<DecodeFailure>,
}

impl<T> Default for Listing<T> {
    fn default() -> Self {
        Listing {
            items: Vec::new(),
            failures: Vec::new(),
        }
    }
}

impl<T> Listing<T> {
    /// The decoded documents (failures were already logged).
    pub fn into_items(self) -> Vec<T> {
        self.items
    }
}

/// The `_id` of a raw document as text.
pub(crate) fn id_text(document: &Document) -> String {
    match document.get("_id") {
        Some(Bson::ObjectId(oid)) => oid.to_hex(),
        Some(Bson::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "unknown".to_owned(),
    }
}

/// Decodes one raw document; a failure names the document.
pub(crate) fn decode_one<T: DeserializeOwned>(
    collection: &'static str,
    document: Document,
) -> Result<T, DecodeFailure> {
    let id = id_text(&document);
    bson::from_document(document).map_err(|e| {
        let failure = DecodeFailure {
            collection,
            id,
            message: e.to_string(),
        };
        tracing::warn!(
            collection = failure.collection,
            id = %failure.id,
            error = %failure.message,
            "skipping a stored document that does not decode"
        );
        failure
    })
}

/// Drains a cursor of raw documents, decoding each one on its own.
pub(crate) async fn decode_all<T: DeserializeOwned>(
    collection: &'static str,
    mut cursor: Cursor<Document>,
) -> Result<Listing<T>, StoreError> {
    let mut listing = Listing::default();
    while let Some(document) = cursor.try_next().await? {
        match decode_one(collection, document) {
            Ok(item) => listing.items.push(item),
            Err(failure) => listing.failures.push(failure),
        }
    }
    Ok(listing)
}
