//! The event domain: series, recurrence expansion, edit scopes, provenance.
