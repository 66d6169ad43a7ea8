//! Control API and start-up: seeding from the configuration, reset, calendars changed in the "UI", events
//! listed by the control API, and the `gcal-emulator` binary with `--port`, `--seed` and its Google-like defaults.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use gcal_emulator::{EmulatorConfig, Seed, SeedCalendar, SeedUser};
use serde_json::{json, Value};

use crate::support::{spawn, spawn_with, ALICE};

fn seed() -> Seed {
    Seed {
        users: vec![SeedUser {
            email: ALICE.into(),
            name: Some("Alice".into()),
            time_zone: Some("Europe/Berlin".into()),
            events: vec![
                json!({"id": "seeded001", "summary": "Seeded", "start": {"date": "2030-06-01"}, "end": {"date": "2030-06-02"}}),
            ],
            calendars: vec![SeedCalendar {
                id: Some("team@group.calendar.google.com".into()),
                summary: "Team".into(),
                time_zone: None,
                events: vec![
                    json!({"summary": "Retro", "start": {"dateTime": "2030-06-03T10:00:00Z"}, "end": {"dateTime": "2030-06-03T11:00:00Z"}}),
                ],
            }],
        }],
        clients: vec![],
    }
}

#[tokio::test]
async fn seed_is_loaded_and_reset_restores_it() {
    let t = spawn_with(EmulatorConfig {
        seed: Some(seed()),
        ..Default::default()
    })
    .await;
    let (items, _, _) = t.list_all(&[]).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], "seeded001");
    let team = t
        .get("/calendars/team%40group.calendar.google.com/events", &[])
        .await;
    assert_eq!(team.body["items"][0]["summary"], "Retro");
    assert_eq!(team.body["timeZone"], "Europe/Berlin");

    t.insert(crate::support::timed(
        "extra",
        "2030-06-05T10:00:00Z",
        "2030-06-05T11:00:00Z",
    ))
    .await;
    t.ctl.reset().await.unwrap();
    // Tokens are gone after a reset: mint new ones for the re-seeded user.
    assert_eq!(t.get("/calendars/primary/events", &[]).await.status, 401);
    let tokens = t.ctl.mint_tokens(ALICE).await.unwrap();
    let r = t
        .send(
            reqwest::Method::GET,
            &t.api("/calendars/primary/events"),
            Some(&tokens.access_token),
            &[],
            None,
            &[],
        )
        .await;
    assert_eq!(
        r.body["items"].as_array().unwrap().len(),
        1,
        "reset brings back exactly the seed"
    );
}

#[tokio::test]
async fn ui_changes_and_control_listing() {
    let t = spawn().await;
    let cal = t.ctl.create_calendar(ALICE, "Gym").await.unwrap();
    let id = cal["id"].as_str().unwrap().to_owned();
    assert!(id.ends_with("@group.calendar.google.com"));
    let url = format!("{}/_emulator/users/{ALICE}/calendars/{id}", t.base);
    let renamed: Value = t
        .http
        .patch(&url)
        .json(&json!({"summary": "Fitness", "hidden": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(renamed["summary"], "Fitness");
    let visible = t.get("/users/me/calendarList", &[]).await;
    assert_eq!(
        visible.body["items"].as_array().unwrap().len(),
        1,
        "hidden calendars need showHidden"
    );
    let all = t
        .get("/users/me/calendarList", &[("showHidden", "true")])
        .await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 2);

    let e = t
        .ctl
        .insert_event(
            ALICE,
            &id,
            &crate::support::timed("lift", "2030-01-01T07:00:00Z", "2030-01-01T08:00:00Z"),
        )
        .await
        .unwrap();
    let eid = e["id"].as_str().unwrap();
    t.ctl.delete_event(ALICE, &id, eid).await.unwrap();
    let stored = t.ctl.events(ALICE, &id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["status"], "cancelled");
    let bad = t
        .http
        .post(format!("{}/_emulator/users", t.base))
        .json(&json!({"email": "not-an-email"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let unknown = t
        .http
        .post(format!(
            "{}/_emulator/users/nobody@example.com/tokens",
            t.base
        ))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
}

/// Kills the child process when dropped.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_serves_on_a_port_with_a_seed_file() {
    let dir = std::env::temp_dir().join(format!("gcal-emulator-seed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seed_path = dir.join("seed.json");
    std::fs::write(&seed_path, serde_json::to_vec(&seed()).unwrap()).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_gcal-emulator"))
        .args(["--port", "0", "--workers", "1", "--seed"])
        .arg(&seed_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut guard = ChildGuard(child);
    let stdout = guard.0.stdout.take().unwrap();
    // Bounded wait: if the binary never announces itself, the guard kills it (which also ends the read).
    let line = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        }),
    )
    .await
    .expect("the binary prints its address within 30 s")
    .unwrap()
    .unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");
    let ctl = gcal_emulator::control::ControlClient::new(base.clone());
    let tokens = ctl.mint_tokens(ALICE).await.unwrap();
    let r: Value = reqwest::Client::new()
        .get(format!("{base}/calendar/v3/calendars/primary/events"))
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["items"][0]["id"], "seeded001");
    // The binary's Google-like defaults are on: 28 days of tombstones, so an older updatedMin is 410.
    let month_ago = (chrono::Utc::now() - chrono::Duration::days(30)).to_rfc3339();
    let old = reqwest::Client::new()
        .get(format!("{base}/calendar/v3/calendars/primary/events"))
        .query(&[("updatedMin", month_ago.as_str())])
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 410);
    drop(guard);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_demo_seed_file_loads() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/seed/demo.json");
    let seed: Seed = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let t = spawn_with(EmulatorConfig {
        seed: Some(seed),
        ..Default::default()
    })
    .await;
    let (items, _, _) = t
        .list_all(&[
            ("singleEvents", "true"),
            ("timeMin", "2030-01-06T00:00:00Z"),
            ("timeMax", "2030-01-13T00:00:00Z"),
        ])
        .await;
    let names: Vec<&str> = items
        .iter()
        .map(|i| i["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.iter().filter(|n| **n == "Team standup").count(),
        5,
        "{names:?}"
    );
    assert!(names.contains(&"Dentist"));
    let list = t.get("/users/me/calendarList", &[]).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
    // Registered clients are enforced: an unknown client is refused at the token endpoint.
    let r = t
        .http
        .post(format!("{}/token", t.base))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", "someone-else"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}
