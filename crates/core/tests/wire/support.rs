//! Fixture loading helpers shared by the test modules.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The directory holding the golden fixtures.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every fixture file as a path relative to [`fixtures_dir`], with `/` separators, sorted.
pub fn all_fixtures() -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    let root = fixtures_dir();
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.sort();
    out
}

/// The fixture files directly inside `dir` (relative paths), sorted; fails if there are none.
pub fn fixtures_in(dir: &str) -> Vec<String> {
    let prefix = format!("{dir}/");
    let files: Vec<String> = all_fixtures()
        .into_iter()
        .filter(|f| {
            f.strip_prefix(&prefix)
                .is_some_and(|rest| !rest.contains('/'))
        })
        .collect();
    assert!(!files.is_empty(), "no fixtures in {dir}");
    files
}

/// The raw text of a fixture.
pub fn read_text(rel: &str) -> String {
    std::fs::read_to_string(fixtures_dir().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A fixture parsed as JSON.
pub fn read_json(rel: &str) -> Value {
    serde_json::from_str(&read_text(rel)).unwrap_or_else(|e| panic!("{rel} is not JSON: {e}"))
}

/// Parses a fixture into `T`, serializes it back and checks the JSON value is unchanged.
pub fn assert_round_trip<T>(rel: &str) -> T
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let original = read_json(rel);
    let parsed: T = serde_json::from_value(original.clone())
        .unwrap_or_else(|e| panic!("{rel} does not parse: {e}"));
    let written = serde_json::to_value(&parsed).unwrap();
    assert_eq!(written, original, "{rel} changed in a round trip");
    parsed
}
