#!/usr/bin/env bash
# Runs Compass locally: SecantusDB (MongoDB-compatible), the Google emulator and the Compass server, with the
# web app built and served by the server. Installs what is missing first. Ctrl-C stops everything it started.
#
# Usage: scripts/dev.sh          then open http://127.0.0.1:3000
# Ports: COMPASS_PORT (3000), DB_PORT (27017), GCAL_EMULATOR_PORT (4002).
set -euo pipefail
cd "$(dirname "$0")/.."

COMPASS_PORT="${COMPASS_PORT:-3000}"
DB_PORT="${DB_PORT:-27017}"
EMULATOR_PORT="${GCAL_EMULATOR_PORT:-4002}"
SECRETS="target/dev-secrets.env"

bash scripts/setup.sh

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# Database: reuse one that is already running on the port, otherwise start one for this session.
db_out=$(DB_PORT="$DB_PORT" bash scripts/db.sh --background)
echo "$db_out"
db_pid=$(sed -n 's/.*pid \([0-9]*\).*/\1/p' <<<"$db_out" | head -n 1)
[ -n "$db_pid" ] && pids+=("$db_pid")

cargo build --bin compass --bin gcal-emulator
bash scripts/build-web.sh debug

# Development secrets, made once and kept out of git (target/ is ignored).
if [ ! -f "$SECRETS" ]; then
    mkdir -p target
    umask 077
    {
        echo "COMPASS_COOKIE_KEY=$(head -c 32 /dev/urandom | base64)"
        echo "COMPASS_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)"
    } >"$SECRETS"
fi
set -a; . "$SECRETS"; set +a

target/debug/gcal-emulator --port "$EMULATOR_PORT" --seed crates/gcal-emulator/seed/demo.json &
pids+=("$!")
emulator="http://127.0.0.1:${EMULATOR_PORT}"

export MONGODB_URI="mongodb://127.0.0.1:${DB_PORT}/?directConnection=true"
export COMPASS_BIND="127.0.0.1:${COMPASS_PORT}"
export COMPASS_WEB_DIR="web/dist"
export GOOGLE_CLIENT_ID="compass-dev.apps.googleusercontent.com"  # registered in the seed file
export GOOGLE_CLIENT_SECRET="compass-dev-secret"
export GOOGLE_AUTH_URL="${emulator}/o/oauth2/v2/auth"
export GOOGLE_TOKEN_URL="${emulator}/token"
export GOOGLE_REVOKE_URL="${emulator}/revoke"
export GOOGLE_USERINFO_URL="${emulator}/v1/userinfo"
export GOOGLE_CALENDAR_API_URL="${emulator}/calendar/v3"
export RUST_LOG="${RUST_LOG:-info}"

echo "dev.sh: Compass on http://127.0.0.1:${COMPASS_PORT}, Google emulator on ${emulator} (Ctrl-C stops all)"
target/debug/compass serve &
pids+=("$!")
wait -n
