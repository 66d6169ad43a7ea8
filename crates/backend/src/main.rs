//! The `compass` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use compass_backend::cli::{parse, run, ParseOutcome};

/// The global allocator: the system's by default; jemalloc with feature `jemalloc`, mimalloc with feature
/// `mimalloc`. Measured per idle SSE stream at 10 000 streams (docs/benchmarks.md, "Issue 13"): system
/// 13.4 KiB, jemalloc 13.3–13.4 KiB, mimalloc 20.6 KiB, so the default stays the system allocator.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// See above.
#[cfg(all(feature = "jemalloc", not(feature = "mimalloc")))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
