//! Repository-wide rules that `cargo test` enforces, so that they cannot quietly drift.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use tidy::{crate_dir, depth, parent_dir, parent_runs, repo_root, tracked_files};

/// No tracked file refers to a path above the repository root: a fresh clone has nothing there
/// (a test once read Google's discovery document from a folder beside the checkout).
///
/// A relative path is read from the file's own directory, and — for Rust files that build it on
/// `CARGO_MANIFEST_DIR` (on that line or the three before) — from the crate's directory.
#[test]
fn no_tracked_file_reaches_above_the_repository_root() {
    let root = repo_root();
    // The design folder that sits beside the checkout on developers' machines (this file names it,
    // so it is exempt from the name rule).
    let outside_names = [
        "shared/spec",
        "shared/reference",
        "shared/DESIGN",
        "shared/STYLE",
        "shared/TOOLCHAIN",
    ];
    let mut problems = Vec::new();
    for file in tracked_files() {
        if file == "Cargo.lock" {
            continue;
        }
        let names_exempt = file == "crates/tidy/tests/tidy.rs";
        let Ok(text) = std::fs::read_to_string(root.join(&file)) else {
            continue; // binary or unreadable: no paths to check
        };
        let dir = parent_dir(&file);
        let manifest = crate_dir(dir);
        let lines: Vec<&str> = text.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            let near_manifest_dir = lines[index.saturating_sub(3)..=index]
                .iter()
                .any(|l| l.contains("CARGO_MANIFEST_DIR"));
            let base_depth = match (&manifest, near_manifest_dir) {
                (Some(krate), true) => depth(krate).min(depth(dir)),
                _ => depth(dir),
            };
            for ups in parent_runs(line) {
                if ups > base_depth {
                    problems.push(format!(
                        "{file}:{}: climbs {ups} levels from a folder {base_depth} deep: {}",
                        index + 1,
                        line.trim()
                    ));
                }
            }
            for name in outside_names {
                if !names_exempt && line.contains(name) {
                    problems.push(format!(
                        "{file}:{}: names `{name}`, a folder outside the repository: {}",
                        index + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "tracked files refer to paths outside the repository (vendor what they need instead):\n{}",
        problems.join("\n")
    );
}

#[test]
fn parent_runs_counts_each_run() {
    assert_eq!(parent_runs("a/../../b ../c"), vec![2, 1]);
    assert_eq!(parent_runs("no parents here .. ./x"), Vec::<usize>::new());
    assert_eq!(depth(parent_dir("crates/core/src/lib.rs")), 3);
    assert_eq!(crate_dir("crates/core/src").as_deref(), Some("crates/core"));
}
