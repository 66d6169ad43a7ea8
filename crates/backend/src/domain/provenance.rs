//! [`Provenance`]: who owns a stored event, Compass or Google. Revoking Google removes only Google-owned
//! events; Compass-made ones survive (DESIGN.md principle 4).

use serde::{Deserialize, Serialize};

/// Who owns an event: where it was made. Independent of whether Google holds a copy (`gEventId`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provenance {
    /// Made in Compass; survives a Google revocation.
    Compass,
    /// Imported from Google or created by a Google notification; removed when Google is revoked.
    Google,
}

impl Provenance {
    /// The stored string.
    pub fn as_str(self) -> &'static str {
        match self {
            Provenance::Compass => "compass",
            Provenance::Google => "google",
        }
    }
}
