//! Shared test helpers: database, application, clients.

pub mod app;
pub mod db;
pub mod db_proxy;
pub mod secantus_bin;
