//! Model-based convergence of Google sync in both directions.
//!
//! Each case is one Google-connected user driven by a plan drawn from its seed: Compass edits through the REST
//! API (timed, all-day and weekly events; rename, move and delete with every recurring scope; to someday and
//! back), Google-side edits through the emulator's control API (insert, rename, move, delete, series),
//! notification faults (lost, duplicated, reordered), Calendar API faults (429, 403 quota, 503, a write that
//! Google applied but whose answer was lost), and — in some batches — a server restart halfway. After
//! quiescence (faults cleared) Compass's grid and Google's expanded calendar must hold the same events (same
//! titles at the same times, nothing duplicated) within a deadline. The polling backstop is 2 s here, so a lost
//! notification is recovered the way production recovers it.
//!
//! Cases run in batches of concurrent users on one server and one emulator (each user is isolated, so this
//! also checks that users never cross); a batch's users disconnect Google once checked, so every batch runs
//! against the same background load. Environment:
//!
//! - `CONVERGENCE_CASES` (default 4 — what CI runs), `CONVERGENCE_SEED` (first seed, default 1; case *i* uses
//!   seed + *i*), `CONVERGENCE_PARALLEL` (users per batch, default 4), `CONVERGENCE_OPS` (steps per case,
//!   default 14), `CONVERGENCE_KEEP_GOING=1` (run every case and list the diverged seeds at the end instead of
//!   stopping at the first), `CONVERGENCE_RESTART=0|1` (restart halfway in no batch or in every batch instead
//!   of about a third, drawn from each batch's first seed), `CONVERGENCE_POOL=<n>` (the database pool),
//!   `CONVERGENCE_RETRY_WRITES=0` (the driver's retryable writes off: SecantusDB's bookkeeping of them was
//!   45 % of its time in the long run);
//! - a failing case prints its seed and its steps; replay it with
//!   `CONVERGENCE_SEED=<seed> CONVERGENCE_CASES=1 CONVERGENCE_RESTART=<0|1>`
//!   `cargo test -p compass-backend --test api sync_convergence -- --nocapture` (the report prints it whole).
//!
//! The long run (docs/sync.md, "Convergence"):
//! `CONVERGENCE_CASES=10000 CONVERGENCE_PARALLEL=40 cargo test --release -p compass-backend --test api sync_convergence -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use compass_backend::settings::Secret;
use gcal_emulator::{FaultKind, FaultSpec};
use rand::rngs::StdRng;
use rand::seq::SliceRandom as _;
use rand::{Rng as _, SeedableRng as _};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::app::{json_of, spawn_app, CookiePair, TestApp};
use crate::support::google::{google_events, session_client, sign_in_with_google};
use crate::support::sync_dump::sync_dump;

/// How long a batch may take to converge once the faults are cleared.
const CONVERGE_DEADLINE: Duration = Duration::from_secs(90);
/// The step-log line of a server restart (its replay restarts too).
const RESTARTED: &str = "-- server restarted --";
/// First day events are placed on (a Monday); every event falls in the eight weeks after it.
const FIRST_DAY: &str = "2027-02-01";

/// What to run, from the environment.
struct Plan {
    first_seed: u64,
    cases: u64,
    parallel: usize,
    steps: usize,
    keep_going: bool,
    /// Forced restart decision for every batch (`CONVERGENCE_RESTART`), else drawn from the batch's first seed.
    restart: Option<bool>,
}

impl Plan {
    fn from_env() -> Plan {
        let number = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .map(|v| {
                    v.parse::<u64>()
                        .unwrap_or_else(|_| panic!("{name} is a number"))
                })
                .unwrap_or(default)
        };
        Plan {
            first_seed: number("CONVERGENCE_SEED", 1),
            cases: number("CONVERGENCE_CASES", 4),
            parallel: number("CONVERGENCE_PARALLEL", 4).max(1) as usize,
            steps: number("CONVERGENCE_OPS", 14) as usize,
            keep_going: std::env::var("CONVERGENCE_KEEP_GOING").is_ok_and(|v| v == "1"),
            restart: std::env::var("CONVERGENCE_RESTART").ok().map(|v| v == "1"),
        }
    }
}

/// One user's run: its seed, its random source and what it did.
struct Case {
    seed: u64,
    email: String,
    cookie: CookiePair,
    rng: StdRng,
    log: Vec<String>,
    made: u32,
    /// With `CONVERGENCE_KEEP_GOING=1`: the first step the server failed (an error status, no answer), kept
    /// for the report instead of stopping the run.
    failure: Option<String>,
    keep_going: bool,
}

/// An event as both sides can state it: all-day or timed, start, end, title.
pub(crate) type Key = (bool, String, String, String);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compass_and_google_converge_under_random_interleavings() {
    let plan = Plan::from_env();
    let mut app = spawn_app()
        .with_google()
        .with_settings(|s| {
            s.sync.backstop = Duration::from_secs(2);
            // `CONVERGENCE_POOL=<n>`: the database connection pool's size (default: the server's).
            if let Some(size) = std::env::var("CONVERGENCE_POOL")
                .ok()
                .and_then(|n| n.parse().ok())
            {
                s.database.pool_size = size;
            }
            // `CONVERGENCE_RETRY_WRITES=0`: the driver's retryable writes off. SecantusDB keeps a record of
            // every retryable write (up to 10 000) and scans them, past 10 000 sorts them, on each write:
            // in the long run that was 45 % of the database's time (py-spy), which real MongoDB does not
            // spend. The test injects no database faults, so the driver would never retry a write anyway.
            if std::env::var("CONVERGENCE_RETRY_WRITES").is_ok_and(|v| v == "0") {
                let uri = s.database.uri.expose();
                let joiner = if uri.contains('?') { '&' } else { '?' };
                s.database.uri = Secret::new(format!("{uri}{joiner}retryWrites=false"));
            }
        })
        .await;
    let seeds: Vec<u64> = (plan.first_seed..plan.first_seed + plan.cases).collect();
    let started = Instant::now();
    let mut restarts = 0;
    let mut diverged: Vec<u64> = Vec::new();
    for (number, batch) in seeds.chunks(plan.parallel).enumerate() {
        let mut cases = Vec::new();
        for &seed in batch {
            cases.push(Case::sign_in(&app, seed, plan.keep_going).await);
        }
        for case in &cases {
            wait_imported(&app, case).await;
        }
        let restart = plan
            .restart
            .unwrap_or_else(|| StdRng::seed_from_u64(batch[0] ^ 0x5eed).gen_bool(0.3));
        let half = plan.steps / 2;
        run_steps(&app, &mut cases, half).await;
        if restart {
            app = app.restart().await;
            restarts += 1;
            for case in &mut cases {
                case.log.push(RESTARTED.into());
            }
        }
        run_steps(&app, &mut cases, plan.steps - half).await;
        quiesce(&app).await;
        // One case at a time: 40 concurrent checks polling the grid saturate a SecantusDB (a grid read then
        // waited more than a minute).
        for case in &cases {
            let checked = match (case.check_converged(&app).await, &case.failure) {
                (Ok(()), None) => Ok(()),
                (Ok(()), Some(failure)) => Err(format!(
                    "seed {} converged, but a step failed: {failure}\nsteps:\n{}",
                    case.seed,
                    case.log.join("\n")
                )),
                (Err(report), None) => Err(report),
                (Err(report), Some(failure)) => {
                    Err(format!("{report}\nand a step failed: {failure}"))
                }
            };
            if let Err(report) = checked {
                let report = format!("{report}\n{}", sync_dump(&app, &case.email).await);
                if !plan.keep_going {
                    panic!("{report}");
                }
                eprintln!("{report}");
                diverged.push(case.seed);
            }
        }
        // Checked users leave Google sync: otherwise every earlier batch's calendars stay due for the 2 s
        // backstop and each batch runs against more background syncing than the one before (the long run's
        // batches went from 26 s to 300 s by the fifth).
        for case in &cases {
            case.disconnect(&app).await;
        }
        eprintln!(
            "convergence: batch {} (seeds {}..={}) checked{}; {} diverged so far; {:.0} s so far",
            number + 1,
            batch[0],
            batch[batch.len() - 1],
            if restart { " across a restart" } else { "" },
            diverged.len(),
            started.elapsed().as_secs_f64()
        );
    }
    eprintln!(
        "convergence: {} cases, {} steps each, {} restarts, {} diverged, {:.0} s",
        plan.cases,
        plan.steps,
        restarts,
        diverged.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(diverged.is_empty(), "diverged seeds: {diverged:?}");
}

/// `n` steps of every case, the cases concurrently.
async fn run_steps(app: &TestApp, cases: &mut [Case], n: usize) {
    let runs = cases.iter_mut().map(|case| async move {
        let client = session_client(app, &case.cookie);
        for _ in 0..n {
            case.step(app, &client).await;
        }
    });
    futures::future::join_all(runs).await;
}

/// Faults off, held notifications out: from here on only the engine works.
async fn quiesce(app: &TestApp) {
    let control = app.control();
    control.clear_faults().await.unwrap();
    control.resume_notifications().await.unwrap();
    let _ = control.flush_notifications().await;
}

async fn wait_imported(app: &TestApp, case: &Case) {
    let client = session_client(app, &case.cookie);
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, metadata) = json_of(
            client
                .get(app.url("/api/user/metadata"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        if metadata["sync"]["importGCal"] == "COMPLETED" {
            return;
        }
        assert!(
            Instant::now() < until,
            "seed {}: import never completed",
            case.seed
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Case {
    async fn sign_in(app: &TestApp, seed: u64, keep_going: bool) -> Case {
        let email = format!("case-{seed}@example.com");
        let cookie = sign_in_with_google(app, &email).await;
        Case {
            seed,
            email,
            cookie,
            rng: StdRng::seed_from_u64(seed),
            log: Vec::new(),
            made: 0,
            failure: None,
            keep_going,
        }
    }

    /// Disconnects Google for this case's user (watches stopped, sync state and Google copies removed).
    async fn disconnect(&self, app: &TestApp) {
        let status = session_client(app, &self.cookie)
            .post(app.url("/api/auth/google/disconnect"))
            .send()
            .await
            .unwrap()
            .status();
        assert!(
            status.is_success(),
            "seed {}: disconnect answered {status}",
            self.seed
        );
    }

    fn title(&mut self, side: &str) -> String {
        self.made += 1;
        format!("{side}{}-{}", self.seed, self.made)
    }

    /// A random start: one of the eight weeks after [`FIRST_DAY`], 06:00–19:45 UTC on a quarter hour.
    fn start(&mut self) -> DateTime<Utc> {
        let day = self.rng.gen_range(0..56);
        let quarter = self.rng.gen_range(24..80);
        let first = DateTime::parse_from_rfc3339(&format!("{FIRST_DAY}T00:00:00Z"))
            .unwrap()
            .with_timezone(&Utc);
        first + chrono::Duration::days(day) + chrono::Duration::minutes(15 * quarter)
    }

    fn day(&mut self) -> chrono::NaiveDate {
        self.start().date_naive()
    }

    /// One random step; what it did goes to the case's log.
    async fn step(&mut self, app: &TestApp, client: &reqwest::Client) {
        let roll = self.rng.gen_range(0..100);
        let did = match roll {
            0..=13 => self.compass_create(app, client).await,
            14..=19 => self.compass_create_series(app, client).await,
            20..=31 => self.compass_edit(app, client, Edit::Rename).await,
            32..=38 => self.compass_edit(app, client, Edit::Move).await,
            39..=46 => self.compass_edit(app, client, Edit::Delete).await,
            47..=51 => self.compass_edit(app, client, Edit::ToSomeday).await,
            52..=54 => self.compass_from_someday(app, client).await,
            55..=64 => self.google_insert(app).await,
            65..=73 => self.google_change(app).await,
            74..=79 => self.google_delete(app).await,
            80..=86 => self.notification_fault(app).await,
            87..=94 => self.api_fault(app).await,
            _ => {
                let ms = self.rng.gen_range(20..400);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                format!("wait {ms} ms")
            }
        };
        self.log.push(did);
    }

    async fn compass_create(&mut self, app: &TestApp, client: &reqwest::Client) -> String {
        let title = self.title("c");
        let body = if self.rng.gen_bool(0.25) {
            let day = self.day();
            json!({
                "title": title, "startDate": day.to_string(),
                "endDate": (day + chrono::Duration::days(1)).to_string(),
                "isAllDay": true, "isSomeday": false, "origin": "compass", "priority": "work",
            })
        } else {
            let start = self.start();
            let minutes = 15 * self.rng.gen_range(1..8);
            timed(&title, start, start + chrono::Duration::minutes(minutes))
        };
        let status = send(app, client, Method::POST, "/api/event", Some(&body))
            .await
            .0;
        self.expect_ok(status, "create");
        format!("compass: create {body}")
    }

    async fn compass_create_series(&mut self, app: &TestApp, client: &reqwest::Client) -> String {
        let title = self.title("c");
        let start = self.start();
        let count = self.rng.gen_range(2..6);
        let mut body = timed(&title, start, start + chrono::Duration::minutes(45));
        body["recurrence"] = json!({ "rule": [format!("RRULE:FREQ=WEEKLY;COUNT={count}")] });
        let status = send(app, client, Method::POST, "/api/event", Some(&body))
            .await
            .0;
        self.expect_ok(status, "create series");
        format!("compass: create series {body}")
    }

    async fn compass_edit(
        &mut self,
        app: &TestApp,
        client: &reqwest::Client,
        edit: Edit,
    ) -> String {
        let grid = match compass_grid(app, client).await {
            Ok(grid) => grid,
            Err(error) => {
                self.failed(&format!("grid read before {edit:?}: {error}"));
                return format!("compass: {edit:?} skipped (the grid read failed)");
            }
        };
        let Some(mut event) = grid.choose(&mut self.rng).cloned() else {
            return format!("compass: {edit:?} skipped (empty grid)");
        };
        let id = event["_id"].as_str().unwrap_or_default().to_owned();
        let in_series = event["recurrence"]["eventId"].is_string();
        let scope = if in_series {
            let scopes = match edit {
                // Moving a whole series or its tail by a few hours is a rule change, kept to renames here.
                Edit::Move | Edit::ToSomeday => vec!["This Event"],
                _ => vec!["This Event", "This and Following Events", "All Events"],
            };
            Some(*scopes.choose(&mut self.rng).unwrap())
        } else {
            None
        };
        if matches!(edit, Edit::ToSomeday) && (in_series || event["isAllDay"] == true) {
            return format!("compass: to someday skipped ({id} is not a timed standalone)");
        }
        let path = match scope {
            Some(scope) => format!("/api/event/{id}?applyTo={}", scope.replace(' ', "%20")),
            None => format!("/api/event/{id}"),
        };
        let (method, what) = match edit {
            Edit::Rename => {
                let title = self.title("c");
                event["title"] = json!(title);
                (Method::PUT, format!("rename {id} to {title}"))
            }
            Edit::Move => {
                let hours = *[-2i64, -1, 1, 2, 24].choose(&mut self.rng).unwrap();
                if event["isAllDay"] == true {
                    return format!("compass: move skipped ({id} is all-day)");
                }
                for key in ["startDate", "endDate"] {
                    let at = DateTime::parse_from_rfc3339(event[key].as_str().unwrap()).unwrap();
                    event[key] = json!((at + chrono::Duration::hours(hours)).to_rfc3339());
                }
                (Method::PUT, format!("move {id} by {hours} h"))
            }
            Edit::Delete => (Method::DELETE, format!("delete {id}")),
            Edit::ToSomeday => {
                event["isSomeday"] = json!(true);
                (Method::PUT, format!("to someday {id}"))
            }
        };
        let body = (method == Method::PUT).then_some(&event);
        let (status, answer) = send(app, client, method, &path, body).await;
        // The event may have gone meanwhile (a Google deletion synced): 404 is a fair answer.
        if status != StatusCode::NOT_FOUND {
            self.expect_ok(status, &format!("{what}: {answer}"));
        }
        format!("compass: {what} [{}] → {status}", scope.unwrap_or("-"))
    }

    async fn compass_from_someday(&mut self, app: &TestApp, client: &reqwest::Client) -> String {
        let (_, listed) = send(app, client, Method::GET, "/api/event?someday=true", None).await;
        let someday = listed.as_array().cloned().unwrap_or_default();
        let Some(mut event) = someday.choose(&mut self.rng).cloned() else {
            return "compass: from someday skipped (none)".into();
        };
        let id = event["_id"].as_str().unwrap_or_default().to_owned();
        let start = self.start();
        event["isSomeday"] = json!(false);
        event["isAllDay"] = json!(false);
        event["startDate"] = json!(start.to_rfc3339());
        event["endDate"] = json!((start + chrono::Duration::minutes(30)).to_rfc3339());
        let (status, answer) = send(
            app,
            client,
            Method::PUT,
            &format!("/api/event/{id}"),
            Some(&event),
        )
        .await;
        if status != StatusCode::NOT_FOUND {
            self.expect_ok(status, &format!("from someday: {answer}"));
        }
        format!("compass: from someday {id} at {start} → {status}")
    }

    async fn google_insert(&mut self, app: &TestApp) -> String {
        let title = self.title("g");
        let start = self.start();
        let mut event = json!({
            "summary": title,
            "start": {"dateTime": start.to_rfc3339(), "timeZone": "UTC"},
            "end": {"dateTime": (start + chrono::Duration::minutes(30)).to_rfc3339(), "timeZone": "UTC"},
        });
        if self.rng.gen_bool(0.3) {
            let count = self.rng.gen_range(2..5);
            event["recurrence"] = json!([format!("RRULE:FREQ=WEEKLY;COUNT={count}")]);
        }
        let control = app.control();
        let created = control.insert_event(&self.email, &self.email, &event).await;
        format!("google: insert {event} → {}", created.is_ok())
    }

    /// A live event stored at Google (masters and exceptions, not expanded instances).
    async fn google_pick(&mut self, app: &TestApp) -> Option<Value> {
        let stored = app.control().events(&self.email, &self.email).await.ok()?;
        let live: Vec<Value> = stored
            .into_iter()
            .filter(|event| event["status"] != "cancelled")
            .collect();
        live.choose(&mut self.rng).cloned()
    }

    async fn google_change(&mut self, app: &TestApp) -> String {
        let Some(event) = self.google_pick(app).await else {
            return "google: change skipped (nothing stored)".into();
        };
        let id = event["id"].as_str().unwrap_or_default().to_owned();
        let patch = if self.rng.gen_bool(0.6) || event["start"]["dateTime"].is_null() {
            json!({ "summary": self.title("g") })
        } else {
            let shift = chrono::Duration::hours(*[-1i64, 1, 3].choose(&mut self.rng).unwrap());
            let at = |key: &str| {
                let time = DateTime::parse_from_rfc3339(event[key]["dateTime"].as_str().unwrap())
                    .unwrap()
                    + shift;
                json!({"dateTime": time.to_rfc3339(), "timeZone": "UTC"})
            };
            json!({ "start": at("start"), "end": at("end") })
        };
        let changed = app
            .control()
            .patch_event(&self.email, &self.email, &id, &patch)
            .await;
        format!("google: patch {id} {patch} → {}", changed.is_ok())
    }

    async fn google_delete(&mut self, app: &TestApp) -> String {
        let Some(event) = self.google_pick(app).await else {
            return "google: delete skipped (nothing stored)".into();
        };
        let id = event["id"].as_str().unwrap_or_default().to_owned();
        let deleted = app
            .control()
            .delete_event(&self.email, &self.email, &id)
            .await;
        format!("google: delete {id} → {}", deleted.is_ok())
    }

    async fn notification_fault(&mut self, app: &TestApp) -> String {
        let kind = *[
            FaultKind::DropNotification,
            FaultKind::DuplicateNotification,
            FaultKind::ReorderNotification,
        ]
        .choose(&mut self.rng)
        .unwrap();
        let spec = FaultSpec::new("notifications", kind)
            .times(1)
            .for_user(self.email.clone());
        let added = app.control().add_fault(&spec).await;
        format!("fault: next notification {kind:?} → {}", added.is_ok())
    }

    async fn api_fault(&mut self, app: &TestApp) -> String {
        let operation = *[
            "calendar.events.insert",
            "calendar.events.patch",
            "calendar.events.update",
            "calendar.events.delete",
            "calendar.events.list",
            "calendar.events.instances",
        ]
        .choose(&mut self.rng)
        .unwrap();
        let (kind, after_commit) = *[
            (FaultKind::RateLimit429, false),
            (FaultKind::QuotaExceeded, false),
            (FaultKind::ServiceUnavailable, false),
            (FaultKind::BackendError, true),
            (FaultKind::ConnectionReset, true),
        ]
        .choose(&mut self.rng)
        .unwrap();
        let after_commit =
            after_commit && !operation.ends_with("list") && !operation.ends_with("instances");
        let times = self.rng.gen_range(1..3);
        let mut spec = FaultSpec::new(operation, kind)
            .times(times)
            .for_user(self.email.clone());
        if after_commit {
            spec = spec.after_commit();
        }
        let added = app.control().add_fault(&spec).await;
        format!(
            "fault: {operation} {kind:?}{} ×{times} → {}",
            if after_commit { " after commit" } else { "" },
            added.is_ok()
        )
    }

    fn expect_ok(&mut self, status: StatusCode, what: &str) {
        if !status.is_success() {
            self.failed(&format!("{what} answered {status}"));
        }
    }

    /// A step the server failed: stops the run, or with `CONVERGENCE_KEEP_GOING=1` is kept for the report.
    fn failed(&mut self, what: &str) {
        assert!(
            self.keep_going,
            "seed {}: {what}\nsteps:\n{}",
            self.seed,
            self.log.join("\n")
        );
        if self.failure.is_none() {
            self.failure = Some(what.to_owned());
        }
    }

    /// Compass's grid and Google's expanded calendar hold the same events, within [`CONVERGE_DEADLINE`];
    /// otherwise the report of what differs and how to replay it.
    async fn check_converged(&self, app: &TestApp) -> Result<(), String> {
        let client = session_client(app, &self.cookie);
        let until = Instant::now() + CONVERGE_DEADLINE;
        loop {
            let compass = match compass_grid(app, &client).await {
                Ok(grid) => compass_keys(&grid),
                // An unanswered poll is not a verdict: the deadline decides.
                Err(_) => BTreeMap::new(),
            };
            let google = google_keys(&google_events(app, &self.email).await);
            if compass == google {
                return Ok(());
            }
            if Instant::now() >= until {
                return Err(format!(
                    "seed {} did not converge in {:?}\nonly in Compass: {:#?}\nonly in Google: {:#?}\nsteps:\n{}\n\
                     replay: CONVERGENCE_SEED={} CONVERGENCE_CASES=1 CONVERGENCE_RESTART={} cargo test \
                     -p compass-backend --test api sync_convergence -- --nocapture",
                    self.seed,
                    CONVERGE_DEADLINE,
                    difference(&compass, &google),
                    difference(&google, &compass),
                    self.log.join("\n"),
                    self.seed,
                    u8::from(self.log.iter().any(|line| line == RESTARTED)),
                ));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// What a Compass edit does.
#[derive(Debug, Clone, Copy)]
enum Edit {
    Rename,
    Move,
    Delete,
    ToSomeday,
}

fn timed(title: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Value {
    json!({
        "title": title,
        "startDate": start.to_rfc3339(),
        "endDate": end.to_rfc3339(),
        "isAllDay": false,
        "isSomeday": false,
        "origin": "compass",
        "priority": "work",
    })
}

async fn send(
    app: &TestApp,
    client: &reqwest::Client,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut request = client.request(method, app.url(path));
    if let Some(body) = body {
        request = request.json(body);
    }
    match request.send().await {
        Ok(response) => json_of(response).await,
        // No answer (the client's 60 s timeout, a reset): reported like an error status.
        Err(error) => (
            StatusCode::from_u16(599).unwrap_or(StatusCode::GATEWAY_TIMEOUT),
            json!({ "noAnswer": error.to_string() }),
        ),
    }
}

async fn compass_grid(app: &TestApp, client: &reqwest::Client) -> Result<Vec<Value>, String> {
    let (status, body) = send(
        app,
        client,
        Method::GET,
        "/api/event?start=2000-01-01&end=2100-01-01",
        None,
    )
    .await;
    if status != StatusCode::OK {
        return Err(format!("{status} {body}"));
    }
    Ok(body.as_array().cloned().unwrap_or_default())
}

fn instant(text: &str) -> String {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc).to_rfc3339())
        .unwrap_or_else(|_| text.to_owned())
}

/// Compass's grid as counted keys (a duplicate counts twice).
pub(crate) fn compass_keys(events: &[Value]) -> BTreeMap<Key, usize> {
    let mut keys = BTreeMap::new();
    for event in events {
        let all_day = event["isAllDay"] == true;
        let at = |key: &str| {
            let text = event[key].as_str().unwrap_or_default();
            if all_day {
                text.to_owned()
            } else {
                instant(text)
            }
        };
        let key = (
            all_day,
            at("startDate"),
            at("endDate"),
            event["title"].as_str().unwrap_or_default().to_owned(),
        );
        *keys.entry(key).or_default() += 1;
    }
    keys
}

/// Google's expanded calendar as counted keys.
pub(crate) fn google_keys(items: &[Value]) -> BTreeMap<Key, usize> {
    let mut keys = BTreeMap::new();
    for item in items {
        if item["status"] == "cancelled" {
            continue;
        }
        let all_day = item["start"]["date"].is_string();
        let at = |key: &str| match item[key]["date"].as_str() {
            Some(date) => date.to_owned(),
            None => instant(item[key]["dateTime"].as_str().unwrap_or_default()),
        };
        let key = (
            all_day,
            at("start"),
            at("end"),
            item["summary"].as_str().unwrap_or_default().to_owned(),
        );
        *keys.entry(key).or_default() += 1;
    }
    keys
}

/// Keys (with their count) that `a` holds more often than `b`.
pub(crate) fn difference(a: &BTreeMap<Key, usize>, b: &BTreeMap<Key, usize>) -> Vec<(Key, usize)> {
    a.iter()
        .filter(|(key, count)| b.get(*key).copied().unwrap_or(0) < **count)
        .map(|(key, count)| (key.clone(), *count))
        .collect()
}
