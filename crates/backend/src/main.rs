//! The `compass` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;
use compass_backend::cli::{run, Cli};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    compass_backend::telemetry::init();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("compass: {error}");
            ExitCode::FAILURE
        }
    }
}
