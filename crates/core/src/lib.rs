//! compass-core: the one wire contract shared by the Compass backend and web app.
//!
//! Everything here is pure data and parsing: no I/O, no clock, and it builds for `wasm32-unknown-unknown`.
//! The JSON produced and accepted by these types is pinned by the golden fixtures in `tests/fixtures/` and
//! described in `docs/wire-contract.md`.

#[macro_use]
mod wire_enum;

pub mod auth;
pub mod auth_error;
mod date_text;
pub mod error;
pub mod error_code;
pub mod event;
pub mod event_batch;
pub mod event_date;
pub mod event_draft;
pub mod event_error;
pub mod event_query;
pub mod event_span;
pub mod ids;
pub mod import_gcal;
mod json_fields;
pub mod metadata;
pub mod nullable;
pub mod origin;
pub mod priority;
pub mod recurrence;
pub mod recurrence_draft;
pub mod recurrence_rule;
pub mod sse;
pub mod sse_event;
pub mod sync_conflict;
pub mod time_zone;
pub mod timestamp;
pub mod update_scope;

pub use auth::{
    GoogleConfig, ImportGCalRequest, PublicConfig, SessionInfo, SignInRequest, SignUpRequest,
    SignedIn,
};
pub use auth_error::{AuthErrorCode, AUTH_ERROR_PARAM};
pub use error::ErrorBody;
pub use error_code::ErrorCode;
pub use event::{Event, PayloadOrder};
pub use event_batch::BatchError;
pub use event_date::{DateError, EventDate};
pub use event_draft::EventDraft;
pub use event_error::{EventError, MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};
pub use event_query::{DateRange, EventQuery, QueryError};
pub use event_span::{EventSpan, SpanError};
pub use ids::{EventId, GoogleEventId, IdError, PriorityId, UserId};
pub use import_gcal::{
    ImportGCalEndPayload, ImportGCalEndSeen, ImportGCalEndShapeError, ImportGCalOperation,
    ImportGCalStatus,
};
pub use metadata::{GoogleConnectionState, GoogleMetadata, SyncMetadata, SyncStatus, UserMetadata};
pub use nullable::Nullable;
pub use origin::Origin;
pub use priority::Priority;
pub use recurrence::{EmptyRecurrence, Recurrence};
pub use recurrence_draft::{DraftMode, RecurrenceDraft};
pub use recurrence_rule::{RecurrenceRule, RuleError};
pub use sse::{SseEventName, UnknownSseEventName};
pub use sse_event::{ReceivedSseEvent, SseDecodeError, SseEvent};
pub use sync_conflict::{CompassChange, ConflictWinner, SyncConflict, SyncConflictList};
pub use time_zone::{TimeZoneError, TimeZoneName};
pub use timestamp::Timestamp;
pub use update_scope::UpdateScope;
pub use wire_enum::UnknownValue;
