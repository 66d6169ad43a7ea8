#!/usr/bin/env bash
# Installs what a fresh machine lacks to build and test Compass, one line per step:
#   - the wasm32 target, rustfmt and clippy (rustup, as rust-toolchain.toml asks);
#   - a project-local Python environment in .tools/venv with the pinned SecantusDB, the MongoDB
#     wire-compatible server the tests start (set SECANTUSD_PY to use another secantusd-py instead);
#   - wasm-bindgen-cli 0.2.130 (the web app's build, scripts/build-web.sh);
#   - binaryen's wasm-opt 132, terser and zopfli from npm into .tools (release builds of the web app);
#   - Chromium and chromedriver from the Debian packages (the browser tests in crates/e2e).
# Safe to run twice: a step that is already done says so and moves on. A failing step names what
# failed and how to fix it; the script never exits silently.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tools.sh

say() { printf 'setup: %s\n' "$*"; }
fail() {
    printf 'setup: FAILED: %s\n' "$1" >&2
    if [ $# -gt 1 ]; then printf 'setup: to fix: %s\n' "$2" >&2; fi
    exit 1
}
trap 'fail "unexpected error at scripts/setup.sh line $LINENO: \"$BASH_COMMAND\"" "rerun with bash -x scripts/setup.sh to see every step"' ERR

# --- Rust ------------------------------------------------------------------------------------------
command -v rustup >/dev/null ||
    fail "rustup is not on PATH" "install Rust with rustup (https://rustup.rs), then rerun"
command -v cargo >/dev/null ||
    fail "cargo is not on PATH" "add ~/.cargo/bin to PATH, then rerun"
installed_targets=$(rustup target list --installed) ||
    fail "rustup could not list installed targets" "check that 'rustup show' works in this directory"
if grep -qx wasm32-unknown-unknown <<<"$installed_targets"; then
    say "wasm32-unknown-unknown target: present"
else
    say "wasm32-unknown-unknown target: adding (rustup target add)"
    rustup target add wasm32-unknown-unknown ||
        fail "rustup could not add the wasm32-unknown-unknown target" "run: rustup target add wasm32-unknown-unknown"
fi
installed_components=$(rustup component list --installed) ||
    fail "rustup could not list installed components" "check that 'rustup show' works in this directory"
for component in rustfmt clippy; do
    if grep -q "^${component}" <<<"$installed_components"; then
        say "${component}: present"
    else
        say "${component}: adding (rustup component add)"
        rustup component add "$component" ||
            fail "rustup could not add ${component}" "run: rustup component add ${component}"
    fi
done

# --- SecantusDB (the test database) ----------------------------------------------------------------
if [ -n "${SECANTUSD_PY:-}" ]; then
    [ -x "$SECANTUSD_PY" ] ||
        fail "SECANTUSD_PY=$SECANTUSD_PY is not an executable file" "unset SECANTUSD_PY to use the project's own install"
    say "SecantusDB: using SECANTUSD_PY=$SECANTUSD_PY (not installing)"
else
    command -v python3 >/dev/null ||
        fail "python3 is not on PATH (SecantusDB is a Python package)" "install Python 3.9+ (Debian: apt-get install python3 python3-venv)"
    if [ -x "${TOOLS_VENV}/bin/python" ] && "${TOOLS_VENV}/bin/python" -c 'import sys' 2>/dev/null; then
        say "Python environment ${TOOLS_VENV}: present"
    else
        say "Python environment ${TOOLS_VENV}: creating (python3 -m venv)"
        rm -rf "$TOOLS_VENV"
        mkdir -p "$TOOLS_DIR"
        if ! python3 -m venv "$TOOLS_VENV" 2>"${TOOLS_DIR}/venv-error.log"; then
            if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
                say "python3 has no venv module; installing python3-venv (apt-get)"
                { apt-get update -qq && apt-get install -y -qq python3-venv; } >"${TOOLS_DIR}/apt.log" 2>&1 ||
                    fail "apt-get could not install python3-venv (log: ${TOOLS_DIR}/apt.log)" "install python3-venv by hand, then rerun"
                rm -rf "$TOOLS_VENV"
                python3 -m venv "$TOOLS_VENV" 2>"${TOOLS_DIR}/venv-error.log" ||
                    fail "python3 -m venv ${TOOLS_VENV} failed: $(tail -n 1 "${TOOLS_DIR}/venv-error.log")" "check that python3 can create virtual environments"
            else
                fail "python3 -m venv ${TOOLS_VENV} failed: $(tail -n 1 "${TOOLS_DIR}/venv-error.log")" "install the venv module (Debian: apt-get install python3-venv), then rerun"
            fi
        fi
    fi
    have=$("${TOOLS_VENV}/bin/python" -m pip show secantusdb 2>/dev/null | awk '/^Version:/ {print $2}' || true)
    if [ "$have" = "$SECANTUSDB_VERSION" ] && [ -x "${TOOLS_VENV}/bin/secantusd-py" ]; then
        say "SecantusDB ${SECANTUSDB_VERSION}: present in ${TOOLS_VENV}"
    else
        say "SecantusDB ${SECANTUSDB_VERSION}: installing into ${TOOLS_VENV} (pip, about 15 s)"
        "${TOOLS_VENV}/bin/python" -m pip install --quiet --disable-pip-version-check --pre \
            "secantusdb==${SECANTUSDB_VERSION}" >"${TOOLS_DIR}/pip.log" 2>&1 ||
            fail "pip could not install secantusdb==${SECANTUSDB_VERSION} (log: ${TOOLS_DIR}/pip.log): $(tail -n 1 "${TOOLS_DIR}/pip.log")" \
                "check that PyPI is reachable ('${TOOLS_VENV}/bin/python -m pip download --no-deps secantusdb==${SECANTUSDB_VERSION}'), then rerun"
    fi
    [ -x "${TOOLS_VENV}/bin/secantusd-py" ] ||
        fail "secantusd-py is missing from ${TOOLS_VENV}/bin after the install" "remove ${TOOLS_DIR} and rerun"
fi
db=$(secantusd_path) || fail "no secantusd-py found" "rerun setup without SECANTUSD_PY"
"$db" --help >/dev/null 2>&1 ||
    fail "$db does not start ('$db --help' failed)" "remove ${TOOLS_DIR} and rerun, or point SECANTUSD_PY at a working secantusd-py"
# --- Web app build: wasm-bindgen-cli -----------------------------------------------------------------
WASM_BINDGEN_VERSION="0.2.130"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" = "$WASM_BINDGEN_VERSION" ]; then
    say "wasm-bindgen-cli ${WASM_BINDGEN_VERSION}: present"
else
    say "wasm-bindgen-cli ${WASM_BINDGEN_VERSION}: installing (cargo install, about 4 minutes)"
    mkdir -p "$TOOLS_DIR"
    # Not --locked: a locked dependency of this version is missing from the registry mirror.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" >"${TOOLS_DIR}/wasm-bindgen-install.log" 2>&1 ||
        fail "cargo install wasm-bindgen-cli --version ${WASM_BINDGEN_VERSION} failed (log: ${TOOLS_DIR}/wasm-bindgen-install.log): $(tail -n 1 "${TOOLS_DIR}/wasm-bindgen-install.log")" \
            "check that crates.io is reachable, then run: cargo install wasm-bindgen-cli --version ${WASM_BINDGEN_VERSION}"
    [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" = "$WASM_BINDGEN_VERSION" ] ||
        fail "wasm-bindgen ${WASM_BINDGEN_VERSION} is still not the one on PATH ($(command -v wasm-bindgen || echo none))" \
            "put ~/.cargo/bin first on PATH, then rerun"
fi

# --- Web app release build: binaryen's wasm-opt and terser (npm, into .tools) -----------------------
if wasm_opt=$(wasm_opt_path) && terser=$(terser_path) && zopfli=$(zopfli_path); then
    say "wasm-opt (binaryen ${BINARYEN_MIN_MAJOR}+), terser and zopfli: present (${wasm_opt}, ${terser}, ${zopfli})"
else
    if ! command -v npm >/dev/null; then
        command -v apt-get >/dev/null && [ "$(id -u)" = 0 ] ||
            fail "npm is not on PATH (binaryen's wasm-opt, which release builds of the web app need, comes from npm)" \
                "install Node.js and npm (Debian: apt-get install nodejs npm), then rerun"
        say "npm: installing (apt-get install nodejs npm)"
        mkdir -p "$TOOLS_DIR"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; } \
            >"${TOOLS_DIR}/apt-npm.log" 2>&1 ||
            fail "apt-get could not install nodejs and npm (log: ${TOOLS_DIR}/apt-npm.log)" "install Node.js and npm by hand, then rerun"
    fi
    say "wasm-opt, terser and zopfli: installing binaryen ${BINARYEN_VERSION}, terser ${TERSER_VERSION} and @gfx/zopfli ${ZOPFLI_VERSION} into ${TOOLS_DIR} (npm, a few seconds)"
    mkdir -p "$TOOLS_DIR"
    npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --no-save \
        "binaryen@${BINARYEN_VERSION}" "terser@${TERSER_VERSION}" "@gfx/zopfli@${ZOPFLI_VERSION}" >"${TOOLS_DIR}/npm-web-tools.log" 2>&1 ||
        fail "npm could not install binaryen@${BINARYEN_VERSION}, terser@${TERSER_VERSION} and @gfx/zopfli@${ZOPFLI_VERSION} (log: ${TOOLS_DIR}/npm-web-tools.log): $(tail -n 1 "${TOOLS_DIR}/npm-web-tools.log")" \
            "check that the npm registry is reachable, then run: npm install --prefix ${TOOLS_DIR} binaryen@${BINARYEN_VERSION} terser@${TERSER_VERSION} @gfx/zopfli@${ZOPFLI_VERSION}"
    wasm_opt=$(wasm_opt_path) ||
        fail "wasm-opt ${BINARYEN_MIN_MAJOR}+ is still missing after installing binaryen@${BINARYEN_VERSION} into ${TOOLS_DIR}" \
            "remove ${TOOLS_DIR}/node_modules and rerun"
    terser_path >/dev/null ||
        fail "terser is still missing after installing terser@${TERSER_VERSION} into ${TOOLS_DIR}" \
            "remove ${TOOLS_DIR}/node_modules and rerun"
    zopfli_path >/dev/null ||
        fail "zopfli is still missing after installing @gfx/zopfli@${ZOPFLI_VERSION} into ${TOOLS_DIR}" \
            "remove ${TOOLS_DIR}/node_modules and rerun"
fi

# --- Browser tests: Chromium and chromedriver (Debian packages) -------------------------------------
if command -v chromedriver >/dev/null && { command -v chromium >/dev/null || command -v chromium-browser >/dev/null; }; then
    say "Chromium and chromedriver: present ($(chromedriver --version 2>/dev/null | awk '{print $2}'))"
else
    command -v apt-get >/dev/null ||
        fail "Chromium or chromedriver is missing and apt-get is not available" \
            "install Chromium and a matching chromedriver on PATH (Debian: apt-get install chromium chromium-driver)"
    [ "$(id -u)" = 0 ] ||
        fail "Chromium or chromedriver is missing and installing packages needs root" \
            "run: sudo apt-get update && sudo apt-get install -y chromium chromium-driver"
    say "Chromium and chromedriver: installing (apt-get install chromium chromium-driver, about 40 s)"
    mkdir -p "$TOOLS_DIR"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; } \
        >"${TOOLS_DIR}/apt-chromium.log" 2>&1 ||
        fail "apt-get could not install chromium and chromium-driver (log: ${TOOLS_DIR}/apt-chromium.log): $(tail -n 1 "${TOOLS_DIR}/apt-chromium.log")" \
            "run: apt-get update && apt-get install -y chromium chromium-driver"
    command -v chromedriver >/dev/null ||
        fail "chromedriver is not on PATH after installing chromium-driver" "check that /usr/bin is on PATH, then rerun"
fi
say "ready: Rust targets and components, SecantusDB at ${db}, wasm-bindgen, wasm-opt, terser, zopfli, Chromium and chromedriver"
