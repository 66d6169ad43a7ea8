#!/usr/bin/env bash
# Builds the web app into web/dist: wasm32 build + wasm-bindgen JS glue + static files.
#   bash scripts/build-web.sh [release|debug]   (default: release)
# Honours CARGO_TARGET_DIR. Installs wasm-bindgen-cli 0.2.130 (must equal the wasm-bindgen crate version)
# when it is missing (scripts/setup.sh does that too). When `wasm-opt` (npm binaryen 132, see
# docs/web-app.md) is on PATH, release builds are optimised for size with it; Debian's binaryen 108 is
# refused because its output crashes at start-up.
# The JS, WASM and CSS files get their content's hash in their names (`name.<16 hex>.ext`) and index.html
# refers to those names, so the server can let browsers cache them for a year (crates/backend/src/http/
# web_app.rs); index.html itself is revalidated on every load.
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

# Content hashes: the wasm first (the JS glue names it), then the glue (boot.js imports it), then boot.js
# and the stylesheet (index.html names them).
hash_of() { sha256sum "$1" | cut -c1-16; }
hashed() { # file (in web/dist) -> renames it to name.<hash>.ext and prints the new name
    local file="$1" name="${1%.*}" ext="${1##*.}" hash
    hash=$(hash_of "web/dist/$file")
    mv "web/dist/$file" "web/dist/$name.$hash.$ext"
    echo "$name.$hash.$ext"
}
wasm_name=$(hashed compass_web_bg.wasm)
sed -i "s|'compass_web_bg.wasm'|'${wasm_name}'|" web/dist/compass_web.js
grep -q "'${wasm_name}'" web/dist/compass_web.js || { echo "build-web: the JS glue does not name the wasm" >&2; exit 1; }
glue_name=$(hashed compass_web.js)
sed -i "s|\"/compass_web.js\"|\"/${glue_name}\"|" web/dist/boot.js
grep -q "/${glue_name}" web/dist/boot.js || { echo "build-web: boot.js does not import the glue" >&2; exit 1; }
boot_name=$(hashed boot.js)
css_name=$(hashed style.css)
sed -i -e "s|\"/boot.js\"|\"/${boot_name}\"|" -e "s|\"/style.css\"|\"/${css_name}\"|" web/dist/index.html
grep -q "/${boot_name}" web/dist/index.html && grep -q "/${css_name}" web/dist/index.html \
    || { echo "build-web: index.html does not name the hashed files" >&2; exit 1; }

wasm_kb=$(( $(wc -c <"web/dist/${wasm_name}") / 1024 ))
gzip_kb=$(( $(cat web/dist/*.wasm web/dist/*.js web/dist/*.css web/dist/*.html | gzip -9 | wc -c) / 1024 ))
echo "build-web: web/dist is ready (${profile}; wasm ${wasm_kb} KiB, everything gzipped ${gzip_kb} KiB)"
