#!/usr/bin/env bash
# The project's test command (README "Test it"): formatting, lints, every test, and the wasm32 builds.
# Needs: the Rust toolchain from rust-toolchain.toml, SecantusDB, wasm-bindgen-cli, Chromium and chromedriver
# (`scripts/setup.sh` installs them all). The browser tests (crates/e2e) serve web/dist, built here first.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (native, all targets)"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo clippy (wasm32: compass-core, compass-web)"
cargo clippy -p compass-core -p compass-web --target wasm32-unknown-unknown -- -D warnings

step "cargo build (wasm32: compass-core, compass-web)"
cargo build -p compass-core -p compass-web --target wasm32-unknown-unknown

step "build the web app (web/dist, debug: the browser tests need it)"
bash scripts/build-web.sh debug

step "cargo test --workspace"
log="${CARGO_TARGET_DIR:-target}/test-output.log"
mkdir -p "$(dirname "$log")"
cargo test --workspace --no-fail-fast 2>&1 | tee "$log"
summary=$(grep -E '^test result:' "$log" || true)
passed=$(awk '/^test result:/ {for (i=1;i<=NF;i++) if ($(i+1) ~ /^passed/) s+=$i} END {print s+0}' <<<"$summary")
failed=$(awk '/^test result:/ {for (i=1;i<=NF;i++) if ($(i+1) ~ /^failed/) s+=$i} END {print s+0}' <<<"$summary")
printf '\nSummary: %s passed, %s failed\n' "$passed" "$failed"
