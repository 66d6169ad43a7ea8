//! Command-line interface of the `compass` binary: `compass serve` and `compass migrate`.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, Parser, Subcommand};

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

/// What `main` should do with a command line that clap refused.
#[derive(Debug)]
pub enum ParseOutcome {
    /// Help or version was asked for: let clap print it and exit as usual.
    Show(clap::Error),
    /// A usage or configuration error: this one line (without the `compass: ` prefix) and exit code 2.
    Invalid(String),
}

/// Parses the command line; a refused one becomes a single line that names the flag and its
/// environment variable (a bad value often comes from the environment, which clap does not say).
pub fn parse() -> Result<Cli, ParseOutcome> {
    Cli::try_parse().map_err(|error| match error.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => ParseOutcome::Show(error),
        _ => ParseOutcome::Invalid(one_line(&error)),
    })
}

/// The first line of clap's message, without its `error: ` prefix, plus the environment variable of
/// the argument at fault when it has one.
fn one_line(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    let first = rendered
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("invalid command line");
    let first = first.strip_prefix("error: ").unwrap_or(first).trim();
    match env_of_invalid_arg(error) {
        Some(env) => format!("{first} (flag or environment variable {env})"),
        None => first.to_owned(),
    }
}

/// The `env` name of the argument an error is about, looked up in every subcommand.
fn env_of_invalid_arg(error: &clap::Error) -> Option<String> {
    let ContextValue::String(arg) = error.get(ContextKind::InvalidArg)? else {
        return None;
    };
    let long = arg.strip_prefix("--")?.split([' ', '=']).next()?;
    let command = Cli::command();
    let env = command
        .get_subcommands()
        .flat_map(|sub| sub.get_arguments())
        .find(|a| a.get_long() == Some(long))
        .and_then(|a| a.get_env())
        .map(|env| env.to_string_lossy().into_owned());
    env
}
