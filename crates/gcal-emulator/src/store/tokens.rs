//! Opaque sync and page tokens. Sync tokens carry (collection, epoch, change sequence, issue time); expiring
//! tokens bumps the collection's epoch, so older tokens answer 410, and a token older than the configured
//! sync-token lifetime (virtual clock) answers 410 as well. Page tokens carry the paging cursor and a hash of the
//! request's parameters so a page token cannot be reused with a different query.
//!
//! Every token is sealed with a keyed hash under the store's [`TokenKey`], made fresh for each store (start-up
//! and control-API reset): an edited token is refused instead of being trusted (its numbers could point past
//! the end of the change sequence), and a sync token of an earlier store (before a reset) is told apart as
//! "no longer valid" (410) because it names that store's generation.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The secret that seals tokens, and the public number of the store generation that made them.
#[derive(Debug, Clone)]
pub(crate) struct TokenKey {
    /// Random per store; written into sync tokens in clear.
    pub generation: u64,
    /// Random per store; never leaves the process.
    secret: [u8; 32],
}

impl TokenKey {
    /// A fresh random key.
    pub(crate) fn random() -> Self {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        Self {
            generation: rng.gen(),
            secret: rng.gen(),
        }
    }

    /// The seal of `text` (16 hex digits of SHA-256 over secret and text).
    fn seal(&self, text: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.secret);
        hasher.update(text.as_bytes());
        hasher
            .finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Why a sync token is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyncTokenProblem {
    /// Not a token this emulator made, or edited: 400 "Invalid sync token value."
    Invalid,
    /// A token of an earlier store generation (before a reset): 410 `fullSyncRequired`.
    Stale,
}

/// What a sync token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SyncPoint {
    /// Internal number of the calendar (events) or user (calendar list).
    pub collection: u64,
    /// Token epoch of that collection when the token was made.
    pub epoch: u64,
    /// Global change sequence the token stands for.
    pub seq: u64,
}

/// Encodes a sync token issued at `issued_ms` (virtual unix ms); `kind` is `E` (events) or `L` (calendar list).
pub(crate) fn encode_sync(key: &TokenKey, kind: char, point: SyncPoint, issued_ms: i64) -> String {
    let raw = format!(
        "C{kind}{}.{}.{}.{}.{}",
        point.collection,
        point.epoch,
        point.seq,
        key.generation,
        issued_ms.max(0)
    );
    let seal = key.seal(&raw);
    URL_SAFE_NO_PAD.encode(format!("{raw}.{seal}"))
}

/// Decodes a sync token of the given kind made under `key`: its point and issue time (virtual unix ms).
pub(crate) fn decode_sync(
    key: &TokenKey,
    kind: char,
    token: &str,
) -> Result<(SyncPoint, i64), SyncTokenProblem> {
    use SyncTokenProblem::Invalid;
    let bytes = URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|_| Invalid)?;
    let text = String::from_utf8(bytes).map_err(|_| Invalid)?;
    let (raw, seal) = text.rsplit_once('.').ok_or(Invalid)?;
    let rest = raw
        .strip_prefix('C')
        .and_then(|r| r.strip_prefix(kind))
        .ok_or(Invalid)?;
    let numbers: Vec<u64> = rest
        .split('.')
        .map(str::parse::<u64>)
        .collect::<Result<_, _>>()
        .map_err(|_| Invalid)?;
    let [collection, epoch, seq, generation, issued] = numbers[..] else {
        return Err(Invalid);
    };
    if generation != key.generation {
        return Err(SyncTokenProblem::Stale);
    }
    if key.seal(raw) != seal {
        return Err(Invalid);
    }
    Ok((
        SyncPoint {
            collection,
            epoch,
            seq,
        },
        i64::try_from(issued).unwrap_or(i64::MAX),
    ))
}

/// The state a page token carries.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct PageCursor {
    /// Collection number.
    pub c: u64,
    /// Snapshot sequence of the listing (changes after it belong to the next sync).
    pub s: u64,
    /// Sequence the listing started after (incremental) or 0.
    pub f: u64,
    /// Whether this listing is incremental (started from a sync token).
    pub i: bool,
    /// Epoch of the collection (checked for incremental listings).
    pub e: u64,
    /// Next change sequence to read.
    pub n: u64,
    /// Items to skip within the event at `n` (expanded series) or, in ordered listings, the offset.
    pub k: usize,
    /// Hash of the query parameters.
    pub h: String,
    /// Ordered listings: the sort key (microseconds) and id of the last item served; the next page starts after.
    #[serde(default)]
    pub a: Option<(i64, String)>,
}

/// Encodes a page token (the cursor's JSON and its seal).
pub(crate) fn encode_page(key: &TokenKey, cursor: &PageCursor) -> String {
    let json = serde_json::to_string(cursor).unwrap_or_default();
    let seal = key.seal(&json);
    URL_SAFE_NO_PAD.encode(format!("{json}.{seal}"))
}

/// Decodes a page token; `None` when it is not one this store made (garbage, edited, or from before a reset).
pub(crate) fn decode_page(key: &TokenKey, token: &str) -> Option<PageCursor> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim_end_matches('=')).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (json, seal) = text.rsplit_once('.')?;
    if key.seal(json) != seal {
        return None;
    }
    serde_json::from_str(json).ok()
}

/// Hash of the parameters that define a listing (everything except paging, sync token and global ones).
pub(crate) fn params_hash(params: &[(String, String)]) -> String {
    const IGNORED: [&str; 10] = [
        "pageToken",
        "maxResults",
        "syncToken",
        "fields",
        "prettyPrint",
        "alt",
        "key",
        "oauth_token",
        "quotaUser",
        "access_token",
    ];
    let mut kept: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, _)| !IGNORED.contains(&k.as_str()))
        .collect();
    kept.sort();
    let mut hasher = Sha256::new();
    for (k, v) in kept {
        hasher.update(k.as_bytes());
        hasher.update([0]);
        hasher.update(v.as_bytes());
        hasher.update([1]);
    }
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_tokens_round_trip_and_refuse_garbage() {
        let key = TokenKey::random();
        let p = SyncPoint {
            collection: 7,
            epoch: 2,
            seq: 99,
        };
        let t = encode_sync(&key, 'E', p, 1_700_000_000_000);
        assert_eq!(decode_sync(&key, 'E', &t), Ok((p, 1_700_000_000_000)));
        assert_eq!(decode_sync(&key, 'L', &t), Err(SyncTokenProblem::Invalid));
        assert_eq!(
            decode_sync(&key, 'E', "not-a-token"),
            Err(SyncTokenProblem::Invalid)
        );
        let other = TokenKey::random();
        assert_eq!(decode_sync(&other, 'E', &t), Err(SyncTokenProblem::Stale));
    }
}
