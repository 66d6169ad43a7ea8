//! Server-Sent Events: the per-user hub and its wire format.
