#!/usr/bin/env bash
# Builds the web app into web/dist: wasm32 build + wasm-bindgen JS glue + static files.
#   bash scripts/build-web.sh [release|debug]   (default: release)
# Honours CARGO_TARGET_DIR. Installs wasm-bindgen-cli 0.2.130 (must equal the wasm-bindgen crate version)
# when it is missing (scripts/setup.sh does that too). When `wasm-opt` (npm binaryen 132, see
# docs/web-app.md) is on PATH, release builds are optimised for size with it; Debian's binaryen 108 is
# refused because its output crashes at start-up.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION="0.2.130"
profile="${1:-release}"
case "$profile" in
    release|debug) ;;
    *) echo "build-web: unknown profile '$profile' (use release or debug)" >&2; exit 2 ;;
esac
target_dir="${CARGO_TARGET_DIR:-target}"

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    # Not --locked: a locked dependency of this version is missing from the registry mirror.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# release: the size-optimised `wasm-release` profile of the root Cargo.toml (opt-level z, fat LTO).
cargo_profile="dev"; out_dir="debug"
[ "$profile" = "release" ] && { cargo_profile="wasm-release"; out_dir="wasm-release"; }
cargo build -p compass-web --target wasm32-unknown-unknown --profile "$cargo_profile"
rm -rf web/dist && mkdir -p web/dist
wasm-bindgen --target web --no-typescript --out-dir web/dist \
    "${target_dir}/wasm32-unknown-unknown/${out_dir}/compass_web.wasm"
if [ "$profile" = "release" ] && command -v wasm-opt >/dev/null; then
    if wasm-opt --version 2>/dev/null | grep -q 'version 1[3-9][0-9]'; then
        wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
            --enable-mutable-globals --enable-reference-types --enable-multivalue \
            -o web/dist/compass_web_bg.wasm web/dist/compass_web_bg.wasm
    else
        echo "build-web: ignoring $(command -v wasm-opt) ($(wasm-opt --version)): it needs binaryen 132 or later"
    fi
fi
cp web/index.html web/boot.js web/style.css web/dist/
wasm_kb=$(( $(wc -c <web/dist/compass_web_bg.wasm) / 1024 ))
gzip_kb=$(( $(cat web/dist/*.wasm web/dist/*.js web/dist/*.css web/dist/*.html | gzip -9 | wc -c) / 1024 ))
echo "build-web: web/dist is ready (${profile}; wasm ${wasm_kb} KiB, everything gzipped ${gzip_kb} KiB)"
