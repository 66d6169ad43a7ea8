//! The seam for delivering events to other server instances.
//!
//! A single instance needs nothing ([`LocalOnly`]). With several instances behind a load balancer, a broker
//! implementation (MongoDB change streams or Redis pub/sub — an existing engine, never a home-made protocol)
//! forwards every [`Outbound`] message and, on each receiving instance, hands it to
//! [`crate::sse::Hub::deliver_remote`] (`crate::relay` does this through MongoDB change streams).

use compass_core::ids::UserId;
use compass_core::sse::SseEventName;

/// A message published on this instance, as handed to the fan-out transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    /// The user whose tabs receive it.
    pub user: UserId,
    /// The event name.
    pub name: SseEventName,
    /// The JSON data.
    pub data: String,
    /// The wire `id:` this instance gave it; receivers keep it, so `Last-Event-ID` resumes on any instance.
    pub id: String,
}

/// Forwards published messages beyond this process. Must not block: queue internally if needed.
pub trait Fanout: Send + Sync + 'static {
    /// Called once per [`crate::sse::Hub::publish`], after local delivery.
    fn forward(&self, message: Outbound);

    /// Called once per [`crate::sse::Hub::end_session`] (sign-out), after the local streams ended; receiving
    /// instances call [`crate::sse::Hub::end_session_local`].
    fn end_session(&self, _session: &str) {}

    /// True when messages leave this process (the hub then remembers every user's recent events, not only
    /// those of connected users, so that a tab moving here from another instance can resume).
    fn is_shared(&self) -> bool {
        true
    }
}

/// The single-instance transport: nothing to forward.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalOnly;

impl Fanout for LocalOnly {
    fn forward(&self, _message: Outbound) {}

    fn is_shared(&self) -> bool {
        false
    }
}
