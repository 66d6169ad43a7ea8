//! Revocation (skeleton): when Google answers `invalid_grant` or the user disconnects, removes the
//! Google-derived events only (`crate::domain::Provenance::Google`), stops watches, clears the grant and
//! publishes `GOOGLE_REVOKED`. Compass-made events survive.
