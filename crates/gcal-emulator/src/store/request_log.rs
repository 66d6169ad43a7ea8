//! The request log: a bounded record of every Google-facing request (not control-API calls) with its headers
//! (`Authorization` and `Cookie` redacted) and body (`client_secret` redacted), so tests can assert what a
//! client called and sent.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

/// One logged request.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    /// Increasing number.
    pub seq: u64,
    /// Time received (RFC 3339).
    pub at: String,
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Raw query string.
    pub query: String,
    /// Google operation id (`calendar.events.list`, `oauth.token`, ...), when recognised.
    pub operation: Option<String>,
    /// Authenticated user, when known.
    pub user: Option<String>,
    /// Response status.
    pub status: u16,
    /// Request headers, lower-case names; `authorization` and `cookie` values are `[redacted]`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Request body as text (first 64 KiB), when there was one; a form's `client_secret` is `[redacted]`.
    #[serde(default)]
    pub body: Option<String>,
}

/// Bounded ring of requests.
#[derive(Debug)]
pub(crate) struct RequestLog {
    entries: VecDeque<LoggedRequest>,
    capacity: usize,
    next: u64,
}

impl RequestLog {
    /// An empty log keeping at most `capacity` entries.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            next: 0,
        }
    }

    /// Appends an entry (its `seq` is assigned here).
    pub(crate) fn push(&mut self, mut entry: LoggedRequest) {
        self.next += 1;
        entry.seq = self.next;
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    /// Entries, optionally only those of one operation.
    pub(crate) fn entries(&self, operation: Option<&str>) -> Vec<LoggedRequest> {
        self.entries
            .iter()
            .filter(|e| operation.is_none_or(|op| e.operation.as_deref() == Some(op)))
            .cloned()
            .collect()
    }

    /// Forgets everything.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}
