//! Where the test database server's program is: the same search as `scripts/tools.sh`.
//!
//! `$SECANTUSD_PY` when set, else the project's own `.tools/venv/bin/secantusd-py` (made by
//! `scripts/setup.sh`), else `secantusd-py` on `PATH`. Shared with the benchmarks through `#[path]`.

use std::path::{Path, PathBuf};

/// The SecantusDB version `scripts/setup.sh` installs.
pub const SECANTUS_VERSION: &str = "0.7.0b3";

/// What to tell a person who has none.
pub const INSTALL_HINT: &str =
    "run `bash scripts/setup.sh` (it installs SecantusDB into .tools/venv), \
     set SECANTUSD_PY to a secantusd-py, or set MONGODB_URI to a MongoDB 6+ replica set";

/// The `secantusd-py` to run, if any.
pub fn locate() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SECANTUSD_PY").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let local = workspace.join(".tools/venv/bin/secantusd-py");
    if local.is_file() {
        return Some(local);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("secantusd-py"))
        .find(|candidate| candidate.is_file())
}
