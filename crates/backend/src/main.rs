//! The `compass` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use compass_backend::cli::{parse, run, ParseOutcome};

/// The global allocator: jemalloc (feature `jemalloc`, the default), or mimalloc with feature `mimalloc`.
/// With jemalloc an idle SSE stream stays resident in about 9 KiB instead of 14 KiB with the system
/// allocator: the untouched pages of actix-http's per-connection buffers are never written (measured in
/// docs/benchmarks.md, "Issue 13").
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
