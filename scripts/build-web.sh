#!/usr/bin/env bash
# Builds the web app into web/dist: wasm32 release build + wasm-bindgen JS glue + static files.
# Installs wasm-bindgen-cli 0.2.130 (must equal the wasm-bindgen crate version) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION="0.2.130"
profile="${1:-release}"

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    # Not --locked: a locked dependency of this version is missing from the registry mirror.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

flag=""; [ "$profile" = "release" ] && flag="--release"
cargo build -p compass-web --target wasm32-unknown-unknown $flag
rm -rf web/dist && mkdir -p web/dist
wasm-bindgen --target web --no-typescript --out-dir web/dist \
    "target/wasm32-unknown-unknown/${profile}/compass_web.wasm"
cp web/index.html web/style.css web/dist/
echo "build-web: web/dist is ready ($(du -sh web/dist | cut -f1))"
