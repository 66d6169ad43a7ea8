//! Helpers for the repository-wide checks in `tests/tidy.rs` (in the style of rust-analyzer's `tidy.rs`):
//! the list of tracked files, and where a relative path in one of them points.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root directory (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// Repository-relative paths of the tracked files (`git ls-files`), or of every file outside the build
/// and tool folders when git cannot list them (e.g. an unpacked source archive).
pub fn tracked_files() -> Vec<String> {
    let root = repo_root();
    let listed = Command::new("git")
        .arg("ls-files")
        .arg("-z")
        .current_dir(&root)
        .output()
        .ok()
        .filter(|out| out.status.success());
    match listed {
        Some(out) => String::from_utf8_lossy(&out.stdout)
            .split('\0')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        None => {
            let mut files = Vec::new();
            walk(&root, &root, &mut files);
            files
        }
    }
}

fn walk(root: &Path, dir: &Path, files: &mut Vec<String>) {
    const SKIP: [&str; 6] = [".git", "target", ".tools", "dist", "node_modules", ".db"];
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if SKIP.iter().any(|s| name == *s) {
            continue;
        }
        if path.is_dir() {
            walk(root, &path, files);
        } else if let Ok(rel) = path.strip_prefix(root) {
            files.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// How many directories deep a repository-relative directory is (`""` is 0, `"crates/core"` is 2).
pub fn depth(dir: &str) -> usize {
    dir.split('/').filter(|part| !part.is_empty()).count()
}

/// The directory part of a repository-relative file path.
pub fn parent_dir(file: &str) -> &str {
    file.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The nearest directory at or above `dir` that holds a `Cargo.toml` (the crate a Rust file belongs to,
/// which is what `CARGO_MANIFEST_DIR` names), as a repository-relative path.
pub fn crate_dir(dir: &str) -> Option<String> {
    let root = repo_root();
    let mut current = dir.to_owned();
    loop {
        if root.join(&current).join("Cargo.toml").is_file() {
            return Some(current);
        }
        if current.is_empty() {
            return None;
        }
        current = parent_dir(&current).to_owned();
    }
}

/// Each run of `../` in `line` and how many levels it climbs.
pub fn parent_runs(line: &str) -> Vec<usize> {
    let bytes = line.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let mut ups = 0;
        let mut j = i;
        while j + 3 <= bytes.len() && &bytes[j..j + 3] == b"../" {
            ups += 1;
            j += 3;
        }
        if ups > 0 {
            runs.push(ups);
            i = j;
        } else {
            i += 1;
        }
    }
    runs
}

/// Whether a Rust source opens with a `//!` module comment (blank lines before it are allowed).
pub fn opens_with_module_doc(text: &str) -> bool {
    text.lines()
        .map(str::trim_start)
        .find(|line| !line.is_empty())
        .is_some_and(|line| line.starts_with("//!"))
}

/// The top-level module a backend source file belongs to, from its path relative to `src/`
/// (`http/auth.rs` → `http`, `app.rs` → `app`, `lib.rs` → `None`: the crate root declares, never imports).
pub fn top_module(rel_to_src: &str) -> Option<&str> {
    let first = rel_to_src.split('/').next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && !name.is_empty()).then_some(name)
}

/// Every top-level module named by a `crate::` path in `text`, with its 1-based line number. Comments
/// (anything from `//` to the end of a line, so also `///` and `//!`) are skipped; a grouped
/// `use crate::{a::x, b}` names each of `a` and `b`, also when rustfmt spreads it over several lines.
pub fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = code[from..].find("crate::") {
        let at = from + offset;
        from = at + "crate::".len();
        let preceded_by_ident = code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
        if preceded_by_ident {
            continue;
        }
        let line = code[..at].matches('\n').count() + 1;
        let after = &code[from..];
        if let Some(group) = after.strip_prefix('{') {
            found.extend(top_names_in_group(group).into_iter().map(|n| (line, n)));
        } else {
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push((line, name));
            }
        }
    }
    found
}

/// The first identifier of each comma-separated entry at the top level of `group` (the text after `{`).
fn top_names_in_group(group: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut depth = 0usize;
    let mut entry = String::new();
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                names.push(std::mem::take(&mut entry));
                continue;
            }
            _ => {}
        }
        if depth == 0 || c == '{' {
            entry.push(c);
        }
    }
    names.push(entry);
    names
        .iter()
        .map(|e| {
            e.trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|n| !n.is_empty() && n != "self")
        .collect()
}
