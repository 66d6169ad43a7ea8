//! Command-line interface of the `compass` binary: `compass serve` and `compass migrate`.

use clap::{Parser, Subcommand};

use crate::app::{connect_store, run_migrations, Application, StartupError};
use crate::settings::{DatabaseSettings, DbArgs, ServeArgs, Settings};

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
    /// Run the HTTP server (applies pending migrations first unless --skip-migrations).
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate(DbArgs),
}

/// Runs one subcommand to completion.
pub async fn run(cli: Cli) -> Result<(), StartupError> {
    match cli.command {
        Command::Serve(args) => {
            let settings = Settings::from_args(*args)?;
            tracing::info!(
                bind = %settings.bind,
                public_url = %settings.public_url,
                database = %settings.database.name,
                db_host = %settings.database.host_for_display(),
                google_configured = settings.google.is_configured(),
                "starting compass"
            );
            let app = Application::build(settings).await?;
            tracing::info!(port = app.port(), "listening");
            app.run_until_stopped()
                .await
                .map_err(|source| StartupError::Bind {
                    bind: "the listener".into(),
                    source,
                })?;
            tracing::info!("stopped");
            Ok(())
        }
        Command::Migrate(args) => {
            let database = DatabaseSettings::from_args(&args)?;
            let store = connect_store(&database).await?;
            let report = run_migrations(&store).await?;
            println!(
                "migrations: {} applied, {} already applied",
                report.applied.len(),
                report.already_applied.len()
            );
            Ok(())
        }
    }
}
