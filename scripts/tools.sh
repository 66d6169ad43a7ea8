# Sourced by the other scripts (not run on its own): where the project keeps the tools it installs,
# and how a script finds them. Everything lives inside the repository, in .tools/ (git-ignored).
#
#   SECANTUSD_PY   path of a secantusd-py to use instead of the project's own (optional)

SECANTUSDB_VERSION="0.7.0b3"
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
