//! `TEST_LOG`: set it to see the server's `tracing` output in test runs (captured per test by the test
//! harness, printed for failing tests or with `--nocapture`). `TEST_LOG=1` shows `info` and above; any other
//! value is an `EnvFilter` directive, e.g. `TEST_LOG=debug` or `TEST_LOG=compass_backend=trace`. Unset, tests
//! log nothing.

use std::io::IsTerminal as _;
use std::sync::Once;

use tracing_subscriber::EnvFilter;

static INIT: Once = Once::new();

/// Installs the test subscriber once per test binary when `TEST_LOG` is set.
pub fn init() {
    INIT.call_once(|| {
        let Some(value) = std::env::var_os("TEST_LOG") else {
            return;
        };
        let value = value.to_string_lossy().into_owned();
        let directive = match value.as_str() {
            "" | "1" | "true" => "info,actix_server=warn,mongodb=warn".to_owned(),
            other => other.to_owned(),
        };
        let filter = EnvFilter::try_new(&directive).unwrap_or_else(|_| EnvFilter::new("info"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .with_ansi(std::io::stderr().is_terminal())
            .try_init();
    });
}
