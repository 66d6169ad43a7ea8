# Sourced by the other scripts (not run on its own): where the project keeps the tools it installs,
# and how a script finds them. Everything lives inside the repository, in .tools/ (git-ignored).
#
#   SECANTUSD_PY   path of a secantusd-py to use instead of the project's own (optional)

SECANTUSDB_VERSION="0.7.0b3"
# binaryen's wasm-opt (the npm package runs on Node): release builds of the web app need 132 or later
# (Debian's binaryen 108 produces a wasm that crashes at start-up).
BINARYEN_VERSION="132.0.0"
BINARYEN_MIN_MAJOR=132
# terser (npm) minifies the wasm-bindgen JS glue of release builds (8.9 -> 6.7 KB gzip).
TERSER_VERSION="5.51.2"
# zopfli (npm, WebAssembly: runs on Node) writes the .gz copies of a release build's assets that the server
# sends as they are: 5 % smaller than gzip -9 (scripts/precompress.mjs; brotli comes with Node itself).
ZOPFLI_VERSION="1.0.15"
TOOLS_DIR=".tools"
TOOLS_VENV="${TOOLS_DIR}/venv"

# Prints the secantusd-py to run: $SECANTUSD_PY, else the project's virtual environment, else PATH.
# Prints nothing and returns 1 when there is none.
secantusd_path() {
    if [ -n "${SECANTUSD_PY:-}" ]; then
        [ -x "$SECANTUSD_PY" ] || return 1
        printf '%s\n' "$SECANTUSD_PY"
    elif [ -x "${TOOLS_VENV}/bin/secantusd-py" ]; then
        printf '%s\n' "$PWD/${TOOLS_VENV}/bin/secantusd-py"
    else
        command -v secantusd-py
    fi
}

# Prints the wasm-opt to run: the project's own (.tools/node_modules, scripts/setup.sh installs it),
# else one on PATH, if its version is at least $BINARYEN_MIN_MAJOR. Prints nothing and returns 1 otherwise.
wasm_opt_path() {
    local candidate major
    for candidate in "$PWD/${TOOLS_DIR}/node_modules/.bin/wasm-opt" "$(command -v wasm-opt || true)"; do
        [ -n "$candidate" ] && [ -x "$candidate" ] || continue
        major=$("$candidate" --version 2>/dev/null | sed -n 's/.*version \([0-9][0-9]*\).*/\1/p')
        if [ -n "$major" ] && [ "$major" -ge "$BINARYEN_MIN_MAJOR" ]; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

# Prints the project's terser (.tools/node_modules, scripts/setup.sh installs it); returns 1 when missing.
terser_path() {
    local candidate="$PWD/${TOOLS_DIR}/node_modules/.bin/terser"
    [ -x "$candidate" ] && "$candidate" --version >/dev/null 2>&1 || return 1
    printf '%s\n' "$candidate"
}

# Prints the project's zopfli package directory (.tools/node_modules, scripts/setup.sh installs it);
# returns 1 when missing.
zopfli_path() {
    local candidate="$PWD/${TOOLS_DIR}/node_modules/@gfx/zopfli"
    [ -f "$candidate/package.json" ] || return 1
    printf '%s\n' "$candidate"
}
