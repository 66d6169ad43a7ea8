//! Ordered, recorded, idempotent database migrations (`migrations/*.json`, embedded at build time).
//!
//! Each migration is a JSON file `NNNN_name.json`: `{"description": "...", "steps": [...]}`. A step
//! is either `{"command": {<a MongoDB command such as createIndexes or collMod>}}` (optionally with
//! `"ignoreCodes": [..]`, server error codes that mean "already done") or `{"rust": "<name>"}`, a data
//! move written in Rust and registered in [`rust_step`]. Migrations run in file order; each applied
//! one is recorded in the `migrations` collection (`_id` = file name, with a checksum) and skipped
//! afterwards. Steps are idempotent themselves, so a migration interrupted half-way is simply run
//! again. `compass migrate` and the server start-up call [`run`].

use mongodb::bson::{doc, Document};
use mongodb::Collection;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::convert::now;
use super::{Store, StoreError};

/// Collection holding one record per applied migration.
pub const COLLECTION: &str = "migrations";

/// The migrations, in order. A unit test checks that every file in `migrations/` is listed here.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_initial_indexes",
        include_str!("../../../../migrations/0001_initial_indexes.json"),
    ),
    (
        "0002_validators",
        include_str!("../../../../migrations/0002_validators.json"),
    ),
    (
        "0003_auth_ttl_indexes",
        include_str!("../../../../migrations/0003_auth_ttl_indexes.json"),
    ),
    (
        "0004_sse_frame_ttl",
        include_str!("../../../../migrations/0004_sse_frame_ttl.json"),
    ),
    (
        "0005_outbox_indexes",
        include_str!("../../../../migrations/0005_outbox_indexes.json"),
    ),
    (
        "0006_event_gEventId_lookup",
        include_str!("../../../../migrations/0006_event_gEventId_lookup.json"),
    ),
    (
        "0007_sync_conflicts",
        include_str!("../../../../migrations/0007_sync_conflicts.json"),
    ),
    (
        "0008_sync_dirty",
        include_str!("../../../../migrations/0008_sync_dirty.json"),
    ),
];

/// Why migrating failed. `Display` is one line naming the migration and step.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// A migration file is not valid.
    #[error("migration {name} is malformed: {message}")]
    Malformed {
        /// The migration.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// A step failed on the server.
    #[error("migration {name} failed at step {step}: {message}")]
    StepFailed {
        /// The migration.
        name: String,
        /// 1-based step number.
        step: usize,
        /// The server's reason.
        message: String,
    },
    /// The database could not be used (unreachable, or the `migrations` collection unreadable).
    #[error("migrations could not run: {0}")]
    Store(#[from] StoreError),
}

/// What [`run`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// Migrations applied by this run, in order.
    pub applied: Vec<String>,
    /// Migrations that were already recorded.
    pub already_applied: Vec<String>,
    /// Recorded migrations whose file changed since they were applied (not re-run; logged).
    pub changed: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MigrationFile {
    description: String,
    steps: Vec<StepFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    #[serde(default)]
    command: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default, rename = "ignoreCodes")]
    ignore_codes: Vec<i32>,
    #[serde(default)]
    rust: Option<String>,
}

/// A parsed step.
enum Step {
    Command { command: Document, ignore: Vec<i32> },
    Rust(String),
}

/// A parsed migration.
struct Migration {
    name: String,
    description: String,
    checksum: String,
    steps: Vec<Step>,
}

fn parse(name: &str, text: &str) -> Result<Migration, MigrationError> {
    let malformed = |message: String| MigrationError::Malformed {
        name: name.to_owned(),
        message,
    };
    let file: MigrationFile = serde_json::from_str(text).map_err(|e| malformed(e.to_string()))?;
    let mut steps = Vec::with_capacity(file.steps.len());
    for (i, step) in file.steps.into_iter().enumerate() {
        match (step.command, step.rust) {
            (Some(command), None) => {
                let command = Document::try_from(command)
                    .map_err(|e| malformed(format!("step {}: {e}", i + 1)))?;
                steps.push(Step::Command {
                    command,
                    ignore: step.ignore_codes,
                });
            }
            (None, Some(rust)) => steps.push(Step::Rust(rust)),
            _ => {
                return Err(malformed(format!(
                    "step {} needs exactly one of `command` and `rust`",
                    i + 1
                )))
            }
        }
    }
    let checksum = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Migration {
        name: name.to_owned(),
        description: file.description,
        checksum,
        steps,
    })
}

/// Applies every migration that is not recorded yet, in order; stops at the first failure.
pub async fn run(store: &Store) -> Result<MigrationReport, MigrationError> {
    run_these(store, MIGRATIONS).await
}

/// Like [`run`] for a given list of `(name, json)` migrations (tests, tools). All are parsed before
/// any runs.
pub async fn run_these(
    store: &Store,
    migrations: &[(&str, &str)],
) -> Result<MigrationReport, MigrationError> {
    let migrations = migrations
        .iter()
        .map(|(name, text)| parse(name, text))
        .collect::<Result<Vec<_>, _>>()?;
    run_migrations(store, &migrations).await
}

async fn run_migrations(
    store: &Store,
    migrations: &[Migration],
) -> Result<MigrationReport, MigrationError> {
    let records: Collection<Document> = store.collection(COLLECTION);
    let mut report = MigrationReport::default();
    for migration in migrations {
        if let Some(record) = records
            .find_one(doc! { "_id": &migration.name })
            .await
            .map_err(StoreError::from)?
        {
            if record.get_str("checksum").ok() != Some(migration.checksum.as_str()) {
                tracing::warn!(
                    migration = %migration.name,
                    "an applied migration changed since it ran; it is not run again"
                );
                report.changed.push(migration.name.clone());
            }
            report.already_applied.push(migration.name.clone());
            continue;
        }
        tracing::info!(migration = %migration.name, description = %migration.description, "applying migration");
        for (i, step) in migration.steps.iter().enumerate() {
            run_step(store, migration, i + 1, step).await?;
        }
        let record = doc! {
            "_id": &migration.name,
            "description": &migration.description,
            "checksum": &migration.checksum,
            "appliedAt": now(),
        };
        match records.insert_one(record).await.map_err(StoreError::from) {
            // Another instance recorded it at the same time: the steps are idempotent, all is well.
            Ok(_) | Err(StoreError::Conflict { .. }) => {}
            Err(other) => return Err(other.into()),
        }
        report.applied.push(migration.name.clone());
    }
    Ok(report)
}

async fn run_step(
    store: &Store,
    migration: &Migration,
    number: usize,
    step: &Step,
) -> Result<(), MigrationError> {
    let failed = |message: String| MigrationError::StepFailed {
        name: migration.name.clone(),
        step: number,
        message,
    };
    match step {
        Step::Command { command, ignore } => {
            match store.database().run_command(command.clone()).await {
                Ok(_) => Ok(()),
                Err(error) => match error.kind.as_ref() {
                    mongodb::error::ErrorKind::Command(c) if ignore.contains(&c.code) => Ok(()),
                    mongodb::error::ErrorKind::Command(c) => {
                        Err(failed(format!("{} ({})", c.message, c.code_name)))
                    }
                    _ => Err(MigrationError::Store(StoreError::from(error))),
                },
            }
        }
        Step::Rust(name) => rust_step(store, name)
            .await
            .unwrap_or_else(|| Err(failed(format!("no Rust step named `{name}` is registered")))),
    }
}

/// The data moves written in Rust, by name. `None` when no step has that name.
async fn rust_step(store: &Store, name: &str) -> Option<Result<(), MigrationError>> {
    // Register data moves here, e.g.
    // `if name == "backfill_x" { return Some(backfill_x(store).await.map_err(MigrationError::from)); }`
    let _ = (store, name);
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_migration_parses() {
        for (name, text) in MIGRATIONS {
            let migration = parse(name, text).unwrap();
            assert!(!migration.steps.is_empty(), "{name}");
        }
    }

    #[test]
    fn every_file_in_the_migrations_folder_is_embedded_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter_map(|f| f.strip_suffix(".json").map(str::to_owned))
            .collect();
        files.sort();
        let embedded: Vec<String> = MIGRATIONS.iter().map(|(n, _)| (*n).to_owned()).collect();
        assert_eq!(files, embedded);
    }

    #[test]
    fn a_step_with_both_kinds_is_malformed() {
        let error = parse(
            "9999_bad",
            r#"{"description": "x", "steps": [{"command": {"ping": 1}, "rust": "y"}]}"#,
        )
        .err()
        .unwrap();
        assert!(error.to_string().contains("9999_bad"), "{error}");
    }
}
