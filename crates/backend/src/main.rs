//! The `compass` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use compass_backend::cli::{parse, run, ParseOutcome};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(ParseOutcome::Show(help)) => help.exit(),
        Err(ParseOutcome::Invalid(line)) => {
            eprintln!("compass: {line}");
            return ExitCode::from(2);
        }
    };
    compass_backend::telemetry::init();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("compass: {error}");
            ExitCode::FAILURE
        }
    }
}
