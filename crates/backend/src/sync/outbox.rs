//! The outbox (skeleton): a pending Google write recorded by a flow in the same transaction as the change
//! it describes (z2p-style), so a crash between commit and Google loses nothing. Drained by the worker.
