//! Benchmark of Google sync against the emulator (docs/benchmarks.md, "Google sync"):
//!
//! 1. **Full import**: N events at Google, a Google sign-in, the time until the tab reads `IMPORT_GCAL_END`;
//!    then a repair (`{"force": true}`) of the same calendar, and a second repair after `--changed` events
//!    were renamed at Google while Compass heard nothing (notifications dropped: the repair rewrites them).
//!    Compared with a **raw bulk insert** of the very documents the import stored (`insert_many` into a fresh
//!    collection with the same indexes, same database).
//! 2. **Google → tab**: an event changed at Google (control API) → `EVENT_CHANGED` read on the tab's stream.
//! 3. **Compass → Google**: `POST /api/event` → the event listed by Google (control API, polled every 2 ms).
//!
//! Everything runs in this process on 127.0.0.1: the app (the test harness's `spawn_app`), the emulator, and a
//! SecantusDB (or `MONGODB_URI`). Every wait has a deadline; the run stops by itself.
//!
//! ```sh
//! cargo bench -p compass-backend --bench gcal_sync -- --events 10000 --changes 200 --writes 200 --changed 1000
//! ```
//!
//! `--skip-repair` leaves both repairs out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/api/support/mod.rs"]
#[allow(dead_code, unused_imports)]
mod support;

use std::time::{Duration, Instant};

use futures::{StreamExt as _, TryStreamExt as _};
use gcal_emulator::{FaultKind, FaultSpec};
use mongodb::bson::{doc, Document};
use mongodb::IndexModel;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::app::{spawn_app, Read, SseFrame, SseReader, TestApp};
use support::google::{session_client, sign_in_with_google};

/// The longest any single step may take.
const STEP_DEADLINE: Duration = Duration::from_secs(600);
const EMAIL: &str = "bench@example.com";
/// A second Google user with an empty calendar, for the Compass → Google writes (polling a calendar of 10 000
/// events every 2 ms would measure the listing, not the propagation).
const WRITER: &str = "writer@example.com";

struct Options {
    events: usize,
    changes: usize,
    writes: usize,
    /// `--skip-repair`: measure the import and the latencies only.
    repair: bool,
    /// `--changed N`: events renamed at Google (unheard) before the second repair.
    changed: usize,
}

fn options() -> Options {
    let mut options = Options {
        events: 10_000,
        changes: 200,
        writes: 200,
        repair: true,
        changed: 1000,
    };
    let args: Vec<String> = std::env::args().collect();
    options.repair = !args.iter().any(|a| a == "--skip-repair");
    for pair in args.windows(2) {
        let value = || pair[1].parse::<usize>().expect("a number");
        match pair[0].as_str() {
            "--events" => options.events = value(),
            "--changes" => options.changes = value(),
            "--writes" => options.writes = value(),
            "--changed" => options.changed = value(),
            _ => {}
        }
    }
    options
}

fn main() {
    let options = options();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let outcome = runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(45 * 60), run(options)).await });
    if outcome.is_err() {
        eprintln!("gcal_sync: gave up after 45 minutes");
        std::process::exit(1);
    }
    // Leave without dropping the app's runtime-bound handles (the driver's pool would complain).
    std::process::exit(0);
}

async fn run(options: Options) {
    println!("load average at start: {}", load_average());
    let app = spawn_app().with_google().await;
    let control = app.control();
    control.create_user(EMAIL, Some("Bench")).await.unwrap();

    let seeded = Instant::now();
    seed_google(&app, options.events).await;
    println!(
        "seeded {} events at Google in {:.2} s",
        options.events,
        seeded.elapsed().as_secs_f64()
    );

    let (client, started) = sign_in(&app, EMAIL).await;
    let mut stream = open_stream(&app, &client).await;
    let end = wait_for(&mut stream, "IMPORT_GCAL_END").await;
    let import = started.elapsed();
    assert_eq!(end["status"], "COMPLETED", "the import: {end}");
    // The import's own EVENT_CHANGED, so that it is not taken for an answer later.
    wait_for(&mut stream, "EVENT_CHANGED").await;
    let stored = count_events(&app).await;
    assert_eq!(stored, options.events as u64, "every Google event stored");

    let (repair, changed_repair) = if options.repair {
        let repair = run_repair(&app, &client, &mut stream, options.events).await;
        wait_for_watch(&app).await;
        let fault = control
            .add_fault(&FaultSpec::new(
                "notifications",
                FaultKind::DropNotification,
            ))
            .await
            .unwrap();
        rename_at_google(&app, options.changed.min(options.events)).await;
        let changed = run_repair(&app, &client, &mut stream, options.events).await;
        control.clear_fault(fault).await.unwrap();
        (repair, changed)
    } else {
        (Duration::ZERO, Duration::ZERO)
    };

    let raw = raw_bulk_insert(&app).await;
    println!();
    println!("| events | import (sign-in → IMPORT_GCAL_END) | repair | repair after {} changes | raw bulk insert | raw ÷ import | repair ÷ import | changed repair ÷ import |", options.changed);
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {:.2} s | {:.2} s | {:.2} s | {:.2} s | {:.0} % | {:.2} | {:.2} |",
        options.events,
        import.as_secs_f64(),
        repair.as_secs_f64(),
        changed_repair.as_secs_f64(),
        raw.as_secs_f64(),
        100.0 * raw.as_secs_f64() / import.as_secs_f64(),
        repair.as_secs_f64() / import.as_secs_f64(),
        changed_repair.as_secs_f64() / import.as_secs_f64(),
    );

    wait_for_watch(&app).await;
    let changes = google_to_tab(&app, &mut stream, options.changes).await;
    println!();
    print_latencies("Google change → EVENT_CHANGED on the tab", &changes);

    control.create_user(WRITER, Some("Writer")).await.unwrap();
    let (writer, _) = sign_in(&app, WRITER).await;
    let mut writer_stream = open_stream(&app, &writer).await;
    wait_for(&mut writer_stream, "IMPORT_GCAL_END").await;
    let writes = compass_to_google(&app, &writer, options.writes).await;
    print_latencies("POST /api/event → listed by Google", &writes);
    println!("load average at end: {}", load_average());
}

/// A repair (`{"force": true}`): the time from the request until the tab reads `IMPORT_GCAL_END` (and the
/// `EVENT_CHANGED` that follows it is read too). Checks it completed and that nothing was duplicated.
async fn run_repair(
    app: &TestApp,
    client: &reqwest::Client,
    stream: &mut SseReader,
    events: usize,
) -> Duration {
    let started = Instant::now();
    let answer = client
        .post(app.url("/api/sync/import-gcal"))
        .json(&json!({"force": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::NO_CONTENT);
    let end = wait_for(stream, "IMPORT_GCAL_END").await;
    let took = started.elapsed();
    assert_eq!(end["status"], "COMPLETED", "{end}");
    wait_for(stream, "EVENT_CHANGED").await;
    assert_eq!(count_events(app).await, events as u64);
    took
}

/// Renames the first `n` events at Google (32 requests in flight).
async fn rename_at_google(app: &TestApp, n: usize) {
    let control = app.control();
    let ids: Vec<String> = control
        .events(EMAIL, EMAIL)
        .await
        .unwrap()
        .iter()
        .take(n)
        .map(|event| event["id"].as_str().unwrap().to_owned())
        .collect();
    futures::stream::iter(ids)
        .map(|id| {
            let control = control.clone();
            async move {
                control
                    .patch_event(
                        EMAIL,
                        EMAIL,
                        &id,
                        &json!({"summary": format!("Renamed {id}")}),
                    )
                    .await
                    .unwrap();
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
}

/// Inserts `n` timed events over the next year into the user's primary calendar (32 requests in flight).
async fn seed_google(app: &TestApp, n: usize) {
    let control = app.control();
    let base = chrono::DateTime::parse_from_rfc3339("2027-01-04T08:00:00Z").unwrap();
    futures::stream::iter(0..n)
        .map(|i| {
            let control = control.clone();
            let start = base + chrono::Duration::minutes(30 * i as i64);
            let end = start + chrono::Duration::minutes(25);
            async move {
                let event = json!({
                    "summary": format!("Imported {i}"),
                    "description": "seeded by the gcal_sync benchmark",
                    "start": {"dateTime": start.to_rfc3339(), "timeZone": "UTC"},
                    "end": {"dateTime": end.to_rfc3339(), "timeZone": "UTC"},
                });
                control.insert_event(EMAIL, EMAIL, &event).await.unwrap();
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
}

/// Google sign-in (the emulator consents at once); the clock starts when the callback answered (the server
/// starts the import then).
async fn sign_in(app: &TestApp, email: &str) -> (reqwest::Client, Instant) {
    let cookie = sign_in_with_google(app, email).await;
    let started = Instant::now();
    (session_client(app, &cookie), started)
}

async fn open_stream(app: &TestApp, client: &reqwest::Client) -> SseReader {
    let response = client
        .get(app.url("/api/events/stream"))
        .timeout(STEP_DEADLINE * 4)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    SseReader::new(response)
}

/// Reads frames until the event `name` arrives; its data as JSON (`null` when it is not JSON).
async fn wait_for(stream: &mut SseReader, name: &str) -> Value {
    let until = Instant::now() + STEP_DEADLINE;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match stream.read(left).await {
            Read::Frame(frame @ SseFrame::Event { .. }) if frame.name() == Some(name) => {
                return frame.json();
            }
            Read::Frame(_) => {}
            other => panic!("waiting for {name}: {other:?}"),
        }
    }
}

async fn count_events(app: &TestApp) -> u64 {
    app.store()
        .collection::<Document>("event")
        .count_documents(doc! {})
        .await
        .unwrap()
}

/// The documents the import stored, inserted again with one `insert_many` into a fresh collection that has the
/// same indexes: what the import's writes would cost with nothing else to do.
async fn raw_bulk_insert(app: &TestApp) -> Duration {
    let store = app.store();
    let events = store.collection::<Document>("event");
    let documents: Vec<Document> = events
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let indexes: Vec<IndexModel> = events
        .list_indexes()
        .await
        .unwrap()
        .try_collect::<Vec<IndexModel>>()
        .await
        .unwrap()
        .into_iter()
        .filter(|index| index.keys != doc! {"_id": 1})
        .map(|index| {
            // The same names: two indexes on the same keys (the partial unique one and the plain lookup
            // one) would get the same generated name.
            let options = index.options.unwrap_or_default();
            IndexModel::builder()
                .keys(index.keys)
                .options(options)
                .build()
        })
        .collect();
    let raw = store.collection::<Document>("bench_raw_event");
    if !indexes.is_empty() {
        raw.create_indexes(indexes).await.unwrap();
    }
    let started = Instant::now();
    raw.insert_many(documents).await.unwrap();
    started.elapsed()
}

async fn wait_for_watch(app: &TestApp) {
    let control = app.control();
    control.set_notification_coalescing(false).await.unwrap();
    let until = Instant::now() + STEP_DEADLINE;
    while control.channels().await.unwrap().is_empty() {
        assert!(Instant::now() < until, "no watch channel opened");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Renames one Google event at a time and waits for the tab's `EVENT_CHANGED`.
async fn google_to_tab(app: &TestApp, stream: &mut SseReader, n: usize) -> Vec<Duration> {
    let control = app.control();
    let ids: Vec<String> = control
        .events(EMAIL, EMAIL)
        .await
        .unwrap()
        .iter()
        .take(n.max(1))
        .map(|event| event["id"].as_str().unwrap().to_owned())
        .collect();
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let id = &ids[i % ids.len()];
        let started = Instant::now();
        control
            .patch_event(
                EMAIL,
                EMAIL,
                id,
                &json!({"summary": format!("Changed {i}")}),
            )
            .await
            .unwrap();
        wait_for(stream, "EVENT_CHANGED").await;
        samples.push(started.elapsed());
    }
    samples
}

/// Creates one Compass event at a time and polls Google until it lists it.
async fn compass_to_google(app: &TestApp, client: &reqwest::Client, n: usize) -> Vec<Duration> {
    let control = app.control();
    let base = chrono::DateTime::parse_from_rfc3339("2026-06-01T08:00:00Z").unwrap();
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let start = base + chrono::Duration::hours(i as i64);
        let end = start + chrono::Duration::minutes(30);
        let title = format!("Written {i}");
        let started = Instant::now();
        let answer = client
            .post(app.url("/api/event"))
            .json(&json!({
                "title": title,
                "startDate": start.to_rfc3339(),
                "endDate": end.to_rfc3339(),
                "isAllDay": false,
                "isSomeday": false,
                "origin": "compass",
                "priority": "unassigned",
            }))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "{}", answer.status());
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            let listed = control.events(WRITER, WRITER).await.unwrap();
            if listed
                .iter()
                .any(|event| event["summary"] == title.as_str())
            {
                break;
            }
            assert!(Instant::now() < until, "{title} never reached Google");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        samples.push(started.elapsed());
    }
    samples
}

fn print_latencies(what: &str, samples: &[Duration]) {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let at = |p: f64| {
        let index = ((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1);
        sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1000.0
    };
    println!(
        "{what}: n={} p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        sorted.len(),
        at(0.50),
        at(0.99),
        at(1.0)
    );
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into())
}
