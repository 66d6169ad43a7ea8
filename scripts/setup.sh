#!/usr/bin/env bash
# Installs what a fresh machine lacks to build and test Compass: the wasm32 target, rustfmt and clippy,
# and the pinned SecantusDB (a MongoDB wire-compatible server) used by the tests. Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."

SECANTUSDB_VERSION="0.7.0b3"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi
for component in rustfmt clippy; do
    if ! rustup component list --installed | grep -q "^${component}"; then
        rustup component add "$component"
    fi
done

installed=$(python3 -m pip show secantusdb 2>/dev/null | awk '/^Version:/ {print $2}')
if [ "$installed" != "$SECANTUSDB_VERSION" ] || ! command -v secantusd-py >/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check --pre "secantusdb==${SECANTUSDB_VERSION}"
    hash -r
fi
command -v secantusd-py >/dev/null || { echo "setup: secantusd-py is not on PATH after install" >&2; exit 1; }
echo "setup: toolchain, wasm32 target and SecantusDB ${SECANTUSDB_VERSION} ready"
