//! Repository-wide rules that `cargo test` enforces, so that they cannot quietly drift.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use tidy::{
    crate_dir, crate_paths, depth, opens_with_module_doc, parent_dir, parent_runs, repo_root,
    top_module, tracked_files,
};

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

/// Every Rust source in the workspace (library and binary modules, integration tests and their helpers,
/// benches, build scripts) opens with a `//!` comment saying what it is for. No exclusions: a test's
/// `main.rs` says which flows it covers, a bench says how to run it.
#[test]
fn every_rust_file_opens_with_a_module_doc() {
    let root = repo_root();
    let missing: Vec<String> = tracked_files()
        .into_iter()
        .filter(|file| file.ends_with(".rs"))
        .filter(|file| {
            std::fs::read_to_string(root.join(file))
                .map(|text| !opens_with_module_doc(&text))
                .unwrap_or(true)
        })
        .collect();
    assert!(
        missing.is_empty(),
        "these Rust files do not open with a `//!` comment saying what they are for:\n{}",
        missing.join("\n")
    );
}

/// The backend's module graph, top to bottom: each top-level module of `crates/backend/src` and the
/// top-level modules it may name in a `crate::` path. Everything else is refused, and the table itself
/// must stay acyclic, so no module imports one above it or its importer. `docs/architecture.md` shows
/// the same table in words.
const BACKEND_LAYERS: &[(&str, &[&str])] = &[
    // wiring
    ("cli", &["app", "settings", "telemetry"]),
    (
        "app",
        &[
            "http",
            "state",
            "accounts",
            "relay",
            "sync",
            "store",
            "sse",
            "settings",
            "telemetry",
        ],
    ),
    // HTTP: routes, extractors, CSRF, ApiError with every From impl
    (
        "http",
        &[
            "state",
            "accounts",
            "events",
            "priorities",
            "sync",
            "store",
            "sse",
            "google",
            "domain",
            "settings",
        ],
    ),
    // the handles handlers reach (used by http; built by app)
    ("state", &["accounts", "sync", "store", "sse", "settings"]),
    // flows
    // accounts reads the sync health (`sync::health`) for the metadata it shows
    (
        "accounts",
        &["store", "sse", "google", "sync", "domain", "settings"],
    ),
    ("events", &["store", "sse", "domain"]),
    ("priorities", &["store", "domain"]),
    ("sync", &["store", "sse", "google", "domain", "settings"]),
    // cross-instance SSE fan-out (a transport for the hub over a store collection; built by app)
    ("relay", &["store", "sse"]),
    // below the flows
    ("store", &["domain"]),
    ("sse", &["settings"]),
    ("google", &["settings", "domain"]),
    // leaves
    ("domain", &[]),
    ("settings", &[]),
    ("telemetry", &[]),
];

/// The allowed imports of `module`, or `None` when the table does not place it.
fn allowed(module: &str) -> Option<&'static [&'static str]> {
    BACKEND_LAYERS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, allowed)| *allowed)
}

/// Files of `crates/backend/src` whose `crate::` paths break [`BACKEND_LAYERS`].
fn layering_problems(files: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (rel, text) in files {
        let Some(module) = top_module(rel) else {
            continue;
        };
        if module == "main" {
            continue; // the binary uses the library by its crate name, never `crate::`
        }
        let Some(may_import) = allowed(module) else {
            problems.push(format!(
                "src/{rel}: module `{module}` is not placed in BACKEND_LAYERS (crates/tidy/tests/tidy.rs)"
            ));
            continue;
        };
        for (line, target) in crate_paths(text) {
            if target != module && !may_import.contains(&target.as_str()) {
                problems.push(format!(
                    "src/{rel}:{line}: `{module}` may not import `crate::{target}` (allowed: {})",
                    may_import.join(", ")
                ));
            }
        }
    }
    problems
}

/// Each backend module imports only what the layer table allows (checked by scanning `crate::` paths,
/// in the style of rust-analyzer's tidy tests).
#[test]
fn backend_modules_import_only_modules_below_them() {
    let root = repo_root();
    let prefix = "crates/backend/src/";
    let files: Vec<(String, String)> = tracked_files()
        .into_iter()
        .filter(|file| file.starts_with(prefix) && file.ends_with(".rs"))
        .filter_map(|file| {
            let text = std::fs::read_to_string(root.join(&file)).ok()?;
            Some((file[prefix.len()..].to_owned(), text))
        })
        .collect();
    assert!(files.len() > 20, "the backend sources were not found");
    let problems = layering_problems(&files);
    assert!(
        problems.is_empty(),
        "backend modules import against the layer table (move the code down, or change the table and \
         docs/architecture.md together):\n{}",
        problems.join("\n")
    );
}

/// The layer table is a graph without cycles: following "may import" never leads back.
#[test]
fn backend_layer_table_has_no_cycles() {
    fn visit(module: &str, path: &mut Vec<String>) {
        assert!(
            !path.iter().any(|m| m == module),
            "BACKEND_LAYERS has a cycle: {} -> {module}",
            path.join(" -> ")
        );
        path.push(module.to_owned());
        for next in allowed(module).unwrap_or_else(|| panic!("`{module}` is not in the table")) {
            visit(next, path);
        }
        path.pop();
    }
    for (module, _) in BACKEND_LAYERS {
        visit(module, &mut Vec::new());
    }
}

/// Only `store/` names a MongoDB collection (`.collection(` or `.collection::<`): every other module goes
/// through the store's typed handles.
#[test]
fn only_the_store_opens_collections() {
    let root = repo_root();
    let offenders: Vec<String> = tracked_files()
        .into_iter()
        .filter(|f| f.starts_with("crates/backend/src/") && f.ends_with(".rs"))
        .filter(|f| !f.starts_with("crates/backend/src/store/"))
        .filter(|f| {
            std::fs::read_to_string(root.join(f)).is_ok_and(|text| {
                text.lines().any(|line| {
                    let code = line.split("//").next().unwrap_or_default();
                    code.contains(".collection(") || code.contains(".collection::<")
                })
            })
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "only crates/backend/src/store/ may open a MongoDB collection:\n{}",
        offenders.join("\n")
    );
}

/// Handlers never publish to the hub: a flow publishes after its commit (one flow shape per resource).
#[test]
fn http_handlers_never_publish() {
    let root = repo_root();
    let offenders: Vec<String> = tracked_files()
        .into_iter()
        .filter(|f| f.starts_with("crates/backend/src/http/") && f.ends_with(".rs"))
        .filter(|f| {
            std::fs::read_to_string(root.join(f)).is_ok_and(|text| {
                text.lines().any(|line| {
                    let code = line.split("//").next().unwrap_or_default();
                    code.contains(".publish(") || code.contains(".deliver(")
                })
            })
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "HTTP handlers publish to the SSE hub; move the publish into the flow, after its commit:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn crate_paths_reads_single_grouped_and_multiline_imports() {
    let text = "use crate::http::error::ApiError;\n\
                // use crate::app::AppState;\n\
                use crate::{store::Store, sse::{Hub, HubClosed}};\n\
                use crate::{\n    domain::Email,\n    settings,\n};\n\
                let x = crate::events::plan::run(); // crate::sync\n\
                $crate::nothing";
    let expected: Vec<(usize, String)> = [
        (1, "http"),
        (3, "store"),
        (3, "sse"),
        (4, "domain"),
        (4, "settings"),
        (8, "events"),
    ]
    .into_iter()
    .map(|(line, name)| (line, name.to_owned()))
    .collect();
    assert_eq!(crate_paths(text), expected);
    assert_eq!(top_module("http/auth.rs"), Some("http"));
    assert_eq!(top_module("app.rs"), Some("app"));
    assert_eq!(top_module("lib.rs"), None);
    assert!(opens_with_module_doc("\n//! Says what it is.\nfn x() {}"));
    assert!(!opens_with_module_doc("/// An item doc.\nfn x() {}"));
}

#[test]
fn layering_problems_name_the_file_line_and_rule() {
    let files = vec![
        (
            "store/users.rs".to_owned(),
            "use crate::accounts::Email;\n".to_owned(),
        ),
        ("brand_new.rs".to_owned(), "//! New.\n".to_owned()),
        (
            "events/plan.rs".to_owned(),
            "use crate::domain::Provenance;\n".to_owned(),
        ),
    ];
    let problems = layering_problems(&files);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems[0].starts_with("src/store/users.rs:1: `store` may not import `crate::accounts`")
    );
    assert!(problems[1].contains("`brand_new` is not placed"));
}

/// The emulator's top-level modules import each other one way only: following `crate::` imports from
/// any module never leads back to it (`notify` and `http` once imported each other for `AppState`).
#[test]
fn emulator_modules_import_without_cycles() {
    use std::collections::{BTreeMap, BTreeSet};
    let root = repo_root();
    let prefix = "crates/gcal-emulator/src/";
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in tracked_files() {
        if !(file.starts_with(prefix) && file.ends_with(".rs")) {
            continue;
        }
        let rel = &file[prefix.len()..];
        let Some(module) = top_module(rel) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(root.join(&file)) else {
            continue;
        };
        for (_, target) in crate_paths(&text) {
            if target != module {
                edges.entry(module.to_owned()).or_default().insert(target);
            }
        }
    }
    assert!(edges.len() > 5, "the emulator sources were not found");
    fn visit(
        module: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        problems: &mut BTreeSet<String>,
    ) {
        if let Some(start) = path.iter().position(|m| m == module) {
            problems.insert(format!("{} -> {module}", path[start..].join(" -> ")));
            return;
        }
        path.push(module.to_owned());
        for next in edges.get(module).into_iter().flatten() {
            visit(next, edges, path, problems);
        }
        path.pop();
    }
    let mut problems = BTreeSet::new();
    for module in edges.keys() {
        visit(module, &edges, &mut Vec::new(), &mut problems);
    }
    assert!(
        problems.is_empty(),
        "gcal-emulator modules import each other in a circle (move the shared piece below both):\n{}",
        problems.into_iter().collect::<Vec<_>>().join("\n")
    );
}
