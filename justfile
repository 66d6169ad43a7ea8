# Everyday recipes. `just` may be missing on a fresh machine: `pip install rust-just` installs it, and every
# recipe is a thin wrapper around a script in scripts/ that runs without it.

# List the recipes.
default:
    @just --list

# Install what a fresh machine lacks (wasm32 target, SecantusDB).
setup:
    bash scripts/setup.sh

# The full test command that CI runs: fmt, clippy (native + wasm32), tests, wasm32 builds.
test:
    bash scripts/test.sh

# Start a local MongoDB-compatible server (SecantusDB) on 127.0.0.1:27017.
db:
    bash scripts/db.sh

# Build the web app into web/dist.
web:
    bash scripts/build-web.sh

# Format the workspace.
fmt:
    cargo fmt --all

# Lint like CI.
lint:
    cargo clippy --workspace --all-targets -- -D warnings

# Run database, Google emulator and server together (http://127.0.0.1:3000).
dev:
    bash scripts/dev.sh

# Run the Google emulator alone on 127.0.0.1:4002 with the demo seed.
emulator:
    cargo run -p gcal-emulator -- --seed crates/gcal-emulator/seed/demo.json

# The SSE fan-out benchmark (numbers in docs/benchmarks.md).
bench:
    cargo bench -p compass-backend --bench sse_fanout

# The long run of the sync convergence test: 10 000 cases in two lanes (results in docs/sync.md).
convergence:
    bash scripts/convergence-long.sh
