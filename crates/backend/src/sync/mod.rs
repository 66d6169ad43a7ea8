//! Google sync in both directions (a later issue).
