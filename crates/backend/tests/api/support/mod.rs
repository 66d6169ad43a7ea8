//! Shared test helpers: database, application, clients.
