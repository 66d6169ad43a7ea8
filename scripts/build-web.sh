#!/usr/bin/env bash
# Builds the web app into web/dist: wasm32 build + wasm-bindgen JS glue + static files.
#   bash scripts/build-web.sh [release|debug]   (default: release)
# Honours CARGO_TARGET_DIR. Installs wasm-bindgen-cli 0.2.130 (must equal the wasm-bindgen crate version)
# when it is missing (scripts/setup.sh does that too). Release builds are optimised for size with
# binaryen's `wasm-opt` (132 or later: the project's own in .tools/, which scripts/setup.sh installs with
# npm, else one on PATH; Debian's binaryen 108 is refused because its output crashes at start-up), and
# their JS glue is minified with terser, and the hashed assets get precompressed copies (.gz with zopfli,
# .br; scripts/precompress.mjs) that the server sends as they are (all from .tools/, which
# scripts/setup.sh fills). Without them a release build fails, unless COMPASS_WASM_OPT=skip, which
# builds without them and says so.
# Every wasm32 build gets `--cfg erase_components` from .cargo/config.toml (smaller; docs/web-app.md).
# COMPASS_WEB_FEATURES=heap-stats adds the counting allocator the memory benchmark reads (not for shipping).
# The JS, WASM and CSS files get their content's hash in their names (`name.<16 hex>.ext`) and index.html
# refers to those names, so the server can let browsers cache them for a year (crates/backend/src/http/
# web_app.rs); index.html itself is revalidated on every load.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tools.sh

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
# A RUSTFLAGS variable replaces .cargo/config.toml's wasm32 rustflags: say so when it drops the erasure.
if [ -n "${RUSTFLAGS:-}${CARGO_ENCODED_RUSTFLAGS:-}" ] && [[ "${RUSTFLAGS:-}${CARGO_ENCODED_RUSTFLAGS:-}" != *erase_components* ]]; then
    echo "build-web: WARNING: RUSTFLAGS is set, so .cargo/config.toml's --cfg erase_components is not applied: the wasm will be about 10 % larger" >&2
fi
# COMPASS_WEB_FEATURES: extra cargo features of compass-web (e.g. heap-stats for the memory benchmark).
cargo build -p compass-web --target wasm32-unknown-unknown --profile "$cargo_profile" \
    ${COMPASS_WEB_FEATURES:+--features "$COMPASS_WEB_FEATURES"}
rm -rf web/dist && mkdir -p web/dist
wasm-bindgen --target web --no-typescript --out-dir web/dist \
    "${target_dir}/wasm32-unknown-unknown/${out_dir}/compass_web.wasm"
if [ "$profile" = "release" ]; then
    if wasm_opt=$(wasm_opt_path); then
        # -Oz, then binaryen's whole-program type analysis (--gufa, which drops unreachable indirect call
        # targets) and -Oz again on what it freed: 0.3 % smaller than -Oz alone.
        "$wasm_opt" -Oz --gufa -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
            --enable-mutable-globals --enable-reference-types --enable-multivalue \
            -o web/dist/compass_web_bg.wasm web/dist/compass_web_bg.wasm
        echo "build-web: optimised with ${wasm_opt} ($("$wasm_opt" --version))"
    elif [ "${COMPASS_WASM_OPT:-}" = "skip" ]; then
        echo "build-web: WARNING: COMPASS_WASM_OPT=skip and no wasm-opt ${BINARYEN_MIN_MAJOR}+ found: this release wasm is NOT size-optimised (about 50 % larger gzipped)" >&2
    else
        echo "build-web: no wasm-opt of binaryen ${BINARYEN_MIN_MAJOR} or later (in ${TOOLS_DIR}/node_modules/.bin or on PATH); a release build needs it." >&2
        echo "build-web: to fix: bash scripts/setup.sh (or: npm install --prefix ${TOOLS_DIR} binaryen@${BINARYEN_VERSION}); COMPASS_WASM_OPT=skip builds without it" >&2
        exit 1
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
if [ "$profile" = "release" ]; then
    if terser=$(terser_path); then
        "$terser" web/dist/compass_web.js --module --compress --mangle -o web/dist/compass_web.min.js
        mv web/dist/compass_web.min.js web/dist/compass_web.js
        grep -q "${wasm_name}" web/dist/compass_web.js || { echo "build-web: the minified glue lost the wasm's name" >&2; exit 1; }
    elif [ "${COMPASS_WASM_OPT:-}" = "skip" ]; then
        echo "build-web: WARNING: COMPASS_WASM_OPT=skip and no terser in ${TOOLS_DIR}: the JS glue is NOT minified (2 KB more gzipped)" >&2
    else
        echo "build-web: no terser in ${TOOLS_DIR}/node_modules/.bin; a release build needs it to minify the JS glue." >&2
        echo "build-web: to fix: bash scripts/setup.sh (or: npm install --prefix ${TOOLS_DIR} terser@${TERSER_VERSION}); COMPASS_WASM_OPT=skip builds without it" >&2
        exit 1
    fi
fi
glue_name=$(hashed compass_web.js)
sed -i "s|\"/compass_web.js\"|\"/${glue_name}\"|" web/dist/boot.js
grep -q "/${glue_name}" web/dist/boot.js || { echo "build-web: boot.js does not import the glue" >&2; exit 1; }
boot_name=$(hashed boot.js)
css_name=$(hashed style.css)
sed -i -e "s|\"/boot.js\"|\"/${boot_name}\"|" -e "s|\"/style.css\"|\"/${css_name}\"|" web/dist/index.html
grep -q "/${boot_name}" web/dist/index.html && grep -q "/${css_name}" web/dist/index.html \
    || { echo "build-web: index.html does not name the hashed files" >&2; exit 1; }

# Release: precompressed copies of the hashed assets (.gz with zopfli, .br), sent as they are by the server.
if [ "$profile" = "release" ]; then
    if zopfli=$(zopfli_path); then
        node scripts/precompress.mjs "$zopfli" "web/dist/${wasm_name}" "web/dist/${glue_name}" \
            "web/dist/${boot_name}" "web/dist/${css_name}"
    elif [ "${COMPASS_WASM_OPT:-}" = "skip" ]; then
        echo "build-web: WARNING: COMPASS_WASM_OPT=skip and no zopfli in ${TOOLS_DIR}: no precompressed copies (the server compresses at its fast level, about 15 % larger)" >&2
    else
        echo "build-web: no zopfli in ${TOOLS_DIR}/node_modules/@gfx/zopfli; a release build needs it for the precompressed copies." >&2
        echo "build-web: to fix: bash scripts/setup.sh (or: npm install --prefix ${TOOLS_DIR} @gfx/zopfli@${ZOPFLI_VERSION}); COMPASS_WASM_OPT=skip builds without it" >&2
        exit 1
    fi
fi

wasm_kb=$(( $(wc -c <"web/dist/${wasm_name}") / 1024 ))
# What a first visit downloads with gzip: the stored .gz copies where there are, else gzip -9 of the file.
gzip_bytes=0
for file in "${wasm_name}" "${glue_name}" "${boot_name}" "${css_name}" index.html; do
    if [ -f "web/dist/${file}.gz" ]; then
        size=$(wc -c <"web/dist/${file}.gz")
    else
        size=$(gzip -9 -c "web/dist/${file}" | wc -c)
    fi
    gzip_bytes=$(( gzip_bytes + size ))
done
echo "build-web: web/dist is ready (${profile}; wasm ${wasm_kb} KiB, first download gzipped ${gzip_bytes} B = $(( gzip_bytes / 1024 )) KiB)"
