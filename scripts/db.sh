#!/usr/bin/env bash
# Starts a local MongoDB-compatible database (SecantusDB, pinned) on 127.0.0.1 for development and
# prints the MONGODB_URI to use. Runs scripts/setup.sh first when SecantusDB is not installed yet
# (it finds secantusd-py as scripts/tools.sh says: $SECANTUSD_PY, .tools/venv, then PATH).
#
# Usage: scripts/db.sh [--port N] [--data DIR | --memory] [--background]
#   --port N       port on 127.0.0.1 (default 27017, or $DB_PORT)
#   --data DIR     keep data in DIR (default target/secantusdb-data, or $DB_DATA)
#   --memory       keep data in memory only (gone when the server stops)
#   --background   start detached, wait until it accepts connections, print URI and pid, return
# Without --background the server runs in the foreground; Ctrl-C stops it.
# If something already listens on the port, the script prints the URI and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/tools.sh
HOST="127.0.0.1"
PORT="${DB_PORT:-27017}"
DATA="${DB_DATA:-target/secantusdb-data}"
BACKGROUND=0

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --port) PORT="${2:?--port needs a number}"; shift 2 ;;
        --data) DATA="${2:?--data needs a directory}"; shift 2 ;;
        --memory) DATA=":memory:"; shift ;;
        --background) BACKGROUND=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "db.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
case "$PORT" in ''|*[!0-9]*) echo "db.sh: --port must be a number, got '$PORT'" >&2; exit 2 ;; esac

URI="mongodb://${HOST}:${PORT}/?directConnection=true"

listening() { (exec 3<>"/dev/tcp/${HOST}/${PORT}") 2>/dev/null; }

if listening; then
    echo "db.sh: something already listens on ${HOST}:${PORT}; assuming it is the database"
    echo "MONGODB_URI=${URI}"
    exit 0
fi

if ! db=$(secantusd_path); then
    echo "db.sh: SecantusDB is not installed yet; running scripts/setup.sh"
    bash scripts/setup.sh
    db=$(secantusd_path) || { echo "db.sh: no secantusd-py after scripts/setup.sh (see its output above)" >&2; exit 1; }
fi

if [ "$DATA" != ":memory:" ]; then mkdir -p "$DATA"; fi
args=(--host "$HOST" --port "$PORT" --storage-path "$DATA" --log-level WARNING)

if [ "$BACKGROUND" = 0 ]; then
    echo "MONGODB_URI=${URI}"
    echo "db.sh: SecantusDB ${SECANTUSDB_VERSION} on ${HOST}:${PORT}, data: ${DATA} (Ctrl-C stops it)"
    exec "$db" "${args[@]}"
fi

mkdir -p target
LOG="target/secantusdb-${PORT}.log"
nohup "$db" "${args[@]}" >"$LOG" 2>&1 &
pid=$!
for _ in $(seq 1 300); do  # up to 30 s
    if listening; then
        echo "MONGODB_URI=${URI}"
        echo "db.sh: SecantusDB ${SECANTUSDB_VERSION} running in the background, pid ${pid}, log ${LOG}"
        echo "db.sh: stop it with: kill ${pid}"
        exit 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "db.sh: SecantusDB exited before accepting connections; log ${LOG}:" >&2
        tail -n 20 "$LOG" >&2
        exit 1
    fi
    sleep 0.1
done
echo "db.sh: SecantusDB did not accept connections on ${HOST}:${PORT} within 30 s; log ${LOG}" >&2
kill "$pid" 2>/dev/null || true
exit 1
