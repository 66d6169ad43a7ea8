//! Command-line interface of the `compass` binary.

use clap::{Parser, Subcommand};

/// Compass: a calendar that syncs both ways with Google Calendar.
#[derive(Debug, Parser)]
#[command(name = "compass", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `compass`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
}
