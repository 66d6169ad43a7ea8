//! The `gcal-emulator` binary: runs the emulator on a port until Ctrl-C.
//!
//! `gcal-emulator --port 4002 --seed demo.json` — see `docs/gcal-emulator.md`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use gcal_emulator::{Emulator, EmulatorConfig, Seed};

/// Command-line options.
#[derive(Debug, Parser)]
#[command(
    name = "gcal-emulator",
    about = "A local Google Calendar v3 + OAuth 2 emulator"
)]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "GCAL_EMULATOR_PORT", default_value_t = 4002)]
    port: u16,
    /// Address to listen on.
    #[arg(long, env = "GCAL_EMULATOR_HOST", default_value = "127.0.0.1")]
    host: String,
    /// JSON seed file with users, calendars, events and OAuth clients.
    #[arg(long, env = "GCAL_EMULATOR_SEED")]
    seed: Option<PathBuf>,
    /// Access-token lifetime in seconds.
    #[arg(long, default_value_t = 3599)]
    access_token_lifetime: u64,
    /// Refresh-token lifetime in seconds (default: never expire).
    #[arg(long)]
    refresh_token_lifetime: Option<u64>,
    /// Approve the OAuth consent at once for this email (no consent page).
    #[arg(long)]
    auto_approve: Option<String>,
    /// Refuse http:// watch addresses (as Google does).
    #[arg(long)]
    https_only: bool,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Send one notification per change instead of coalescing changes into one pending `exists` message.
    #[arg(long)]
    no_coalescing: bool,
    /// Milliseconds an `exists` notification waits before it is sent (changes meanwhile coalesce into it).
    #[arg(long, default_value_t = 1000)]
    notification_delay_ms: u64,
    /// Sync-token lifetime in seconds (0: never expire on their own). Default 7 days.
    #[arg(long, default_value_t = 7 * 24 * 3600)]
    sync_token_lifetime: u64,
    /// Seconds cancelled events are kept before they are purged (0: forever); also the oldest `updatedMin`
    /// accepted. Default 28 days.
    #[arg(long, default_value_t = 28 * 24 * 3600)]
    tombstone_retention: u64,
}

/// `Some(seconds)`, or `None` for 0 ("off").
fn optional_secs(seconds: u64) -> Option<Duration> {
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

fn load_seed(path: &PathBuf) -> Result<Seed, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read seed file {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("invalid seed file {}: {e}", path.display()))
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    let seed = match args.seed.as_ref().map(load_seed).transpose() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("gcal-emulator: {e}");
            std::process::exit(2);
        }
    };
    let config = EmulatorConfig {
        access_token_lifetime: Duration::from_secs(args.access_token_lifetime),
        refresh_token_lifetime: args.refresh_token_lifetime.map(Duration::from_secs),
        allow_http_addresses: !args.https_only,
        auto_approve: args.auto_approve,
        seed,
        workers: args.workers,
        coalesce_notifications: !args.no_coalescing,
        notification_delay: Duration::from_millis(args.notification_delay_ms),
        sync_token_lifetime: optional_secs(args.sync_token_lifetime),
        tombstone_retention: optional_secs(args.tombstone_retention),
        ..EmulatorConfig::default()
    };
    let running = match Emulator::bind(config, &format!("{}:{}", args.host, args.port)).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("gcal-emulator: {e}");
            std::process::exit(1);
        }
    };
    println!("gcal-emulator listening on {}", running.base_url());
    let stop = running.stopper();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop();
        }
    });
    if let Err(e) = running.wait().await {
        eprintln!("gcal-emulator: {e}");
        std::process::exit(1);
    }
}
