//! Helpers of the browser tests: the database server, the application, chromedriver and Chromium.

pub mod app;
pub mod browser;
pub mod db;
