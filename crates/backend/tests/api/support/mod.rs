//! Shared test helpers: database, application, clients.

pub mod db;
