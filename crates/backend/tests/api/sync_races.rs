//! Deterministic regressions for the races the convergence test (`sync_convergence.rs`) found between a push to
//! Google and a later change on either side. Each test builds the interleaving on purpose — Google's notifications
//! held, an emulator fault keeping one push failing or slow — and then checks that Compass's grid and Google's
//! expanded calendar hold the same events, each once, and that the outbox drains.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use gcal_emulator::{FaultKind, FaultSpec};
use mongodb::bson::{doc, Document};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::events_support::{timed, Calendar};
use crate::support::app::{spawn_app, TestApp};
use crate::support::google::{
    google_events, google_events_in, session_client, sign_in_with_google, wait_synced_after,
};
use crate::support::wait::eventually;
use crate::sync_convergence::{compass_keys, difference, google_keys};

const WAIT: Duration = Duration::from_secs(40);

/// A Google-connected user whose first import completed.
pub(crate) struct Connected<'a> {
    pub(crate) cal: Calendar<'a>,
    pub(crate) email: String,
}

/// Signs in with Google as `email` and waits until the first import completed.
pub(crate) async fn connect<'a>(app: &'a TestApp, email: &str) -> Connected<'a> {
    let cookie = sign_in_with_google(app, email).await;
    let client = session_client(app, &cookie);
    let who: Value = client
        .get(app.url("/api/auth/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user = Connected {
        cal: Calendar {
            app,
            client,
            user_id: who["userId"].as_str().unwrap().to_owned(),
        },
        email: email.to_owned(),
    };
    eventually("the import completes", WAIT, || async {
        let (_, metadata) = user
            .cal
            .send(reqwest::Method::GET, "/user/metadata", None)
            .await;
        metadata["sync"]["importGCal"] == "COMPLETED"
    })
    .await;
    user
}

impl Connected<'_> {
    pub(crate) fn app(&self) -> &TestApp {
        self.cal.app
    }

    /// The user's outbox entries (raw).
    pub(crate) async fn outbox(&self) -> Vec<Document> {
        use futures::TryStreamExt;
        let user = mongodb::bson::oid::ObjectId::parse_str(&self.cal.user_id).unwrap();
        self.app()
            .store()
            .collection::<Document>("outbox")
            .find(doc! { "user": user })
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    }

    /// Holds the user's outbox drains (their lease is taken) until [`Self::release_outbox`], so that the changes
    /// made meanwhile are pushed together, in order.
    pub(crate) async fn hold_outbox(&self) {
        let until = mongodb::bson::DateTime::from_millis(Utc::now().timestamp_millis() + 600_000);
        self.leases()
            .insert_one(doc! {
                "_id": self.outbox_lease(), "holder": "a test", "expiresAt": until, "renewedAt": until,
            })
            .await
            .unwrap();
    }

    /// Lets the outbox drains go and wakes the worker.
    pub(crate) async fn release_outbox(&self) {
        self.leases()
            .delete_one(doc! { "_id": self.outbox_lease() })
            .await
            .unwrap();
        self.app().app_state().sync.wake();
    }

    fn leases(&self) -> mongodb::Collection<Document> {
        self.app().store().collection::<Document>("lease")
    }

    fn outbox_lease(&self) -> String {
        format!("outbox:{}", self.cal.user_id)
    }

    /// Lets Google's held notifications go and waits until the primary calendar was synced after `since`.
    pub(crate) async fn synced_after(&self, since: DateTime<Utc>) {
        let app = self.app();
        app.control().resume_notifications().await.unwrap();
        app.control().flush_notifications().await.unwrap();
        wait_synced_after(app, &self.email, since, WAIT).await;
    }

    /// Waits until the outbox is empty and both sides hold the same events (each once); fails with both
    /// differences.
    pub(crate) async fn converged(&self) {
        self.converged_in(&self.email).await;
    }

    /// [`Self::converged`] against the Google calendar `calendar` (every Compass grid event is expected there).
    pub(crate) async fn converged_in(&self, calendar: &str) {
        let until = tokio::time::Instant::now() + WAIT;
        loop {
            let pending = self.outbox().await;
            let compass = compass_keys(&self.cal.grid().await);
            let google = google_keys(&google_events_in(self.app(), &self.email, calendar).await);
            if pending.is_empty() && compass == google {
                return;
            }
            assert!(
                tokio::time::Instant::now() < until,
                "no convergence: only in Compass {:#?}\nonly in Google {:#?}\noutbox: {:#?}",
                difference(&compass, &google),
                difference(&google, &compass),
                pending
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A weekly series of three at 12:15 UTC from Friday 2027-02-19 (the shape of seed 1011).
fn weekly_series(title: &str) -> Value {
    let mut body = timed(title, "2027-02-19T12:15:00Z", "2027-02-19T13:00:00Z");
    body["recurrence"] = json!({ "rule": ["RRULE:FREQ=WEEKLY;COUNT=3"] });
    body
}

/// Creates [`weekly_series`] `title` in Compass under a known id and waits until both sides hold it; its id
/// (also its Google id).
async fn weekly_series_pushed(gina: &Connected<'_>, title: &str) -> String {
    let mut series = weekly_series(title);
    let base = mongodb::bson::oid::ObjectId::new().to_hex();
    series["_id"] = json!(base);
    gina.cal.create_ok(&series).await;
    gina.converged().await;
    base
}

/// Seed 1011 (found by the long convergence run): an instance moved with This Event before its new series
/// reached Google, then Google changed the series before the instance's own push went through. The series
/// push left the moved instance without its Google id, so the sync of Google's change stored Google's copy
/// of that instance as a second event, and the instance's push then failed forever on the unique Google id.
#[tokio::test]
async fn an_instance_moved_before_its_series_reached_google_stays_one_event_when_google_changes_the_series(
) {
    let app = spawn_app().with_google().await;
    let gina = connect(&app, "gina@example.com").await;
    let control = app.control();
    control.pause_notifications().await.unwrap();
    // The series' insert is slow (the move lands before it) and every patch fails for now (the moved
    // instance's own push cannot go through).
    control
        .add_fault(&FaultSpec::new("calendar.events.insert", FaultKind::Latency).latency(1500))
        .await
        .unwrap();
    let patches = control
        .add_fault(
            &FaultSpec::new("calendar.events.patch", FaultKind::ServiceUnavailable).times(10_000),
        )
        .await
        .unwrap();
    let mut series = weekly_series("Standup");
    let base = mongodb::bson::oid::ObjectId::new().to_hex();
    series["_id"] = json!(base);
    gina.cal.create_ok(&series).await;
    let instances = gina.cal.list("start=2027-02-01&end=2027-03-31").await;
    assert_eq!(instances.len(), 3);
    let mut moved = instances[1].clone();
    moved["startDate"] = json!("2027-02-26T11:15:00Z");
    moved["endDate"] = json!("2027-02-26T12:00:00Z");
    let moved_id = moved["_id"].as_str().unwrap().to_owned();
    gina.cal.put_ok(&moved_id, Some("This Event"), &moved).await;
    assert!(
        gina.cal.get(&base).await.1["gEventId"].is_null(),
        "the move came before the series reached Google"
    );
    eventually("the series reaches Google", WAIT, || async {
        gina.cal.get(&base).await.1["gEventId"] == base.as_str()
    })
    .await;

    // Google renames the series while the moved instance's push keeps failing; Compass syncs it.
    let since = Utc::now();
    control
        .patch_event(
            &gina.email,
            &gina.email,
            &base,
            &json!({ "summary": "Standup (Google)" }),
        )
        .await
        .unwrap();
    gina.synced_after(since).await;
    let (_, kept) = gina.cal.get(&moved_id).await;
    assert_eq!(
        instant(&kept["startDate"]),
        instant(&json!("2027-02-26T11:15:00Z")),
        "Google's series change did not overwrite the instance's pending move: {kept}"
    );
    control.clear_fault(patches).await.unwrap();
    gina.converged().await;
    let grid = gina.cal.list("start=2027-02-01&end=2027-03-31").await;
    assert_eq!(grid.len(), 3, "one event per occurrence: {grid:#?}");
    let (status, _) = gina.cal.get(&moved_id).await;
    assert_eq!(status, StatusCode::OK, "the moved instance kept its id");
    app.stop().await;
}

fn instant(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// Seed 1058 (found by the convergence run): a This and Following delete of an instance that had been moved
/// later than its slot. Compass cut the series before the instance's new start, so the rule kept the
/// instance's own occurrence (its slot): Compass held no event there, Google showed the occurrence again
/// (its exception moved the instance, or the series restored by the later-writer rule after Google deleted it).
#[tokio::test]
async fn this_and_following_delete_of_a_moved_instance_cuts_at_its_slot() {
    let app = spawn_app().with_google().await;
    let gina = connect(&app, "gina@example.com").await;
    let (_, moved_id) = series_with_a_moved_instance(&gina).await;
    let (status, _) = gina
        .cal
        .delete(&moved_id, Some("This and Following Events"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    gina.converged().await;
    let grid = gina.cal.list("start=2027-02-01&end=2027-03-31").await;
    assert_eq!(
        grid.len(),
        1,
        "only the first occurrence is left: {grid:#?}"
    );
    app.stop().await;
}

/// Seed 1058 as it happened: an instance moved later in Compass (its push not through yet), Google deletes the
/// series, then Compass deletes the moved instance and what follows. The instance's own entry finds nothing left
/// to remove at Google (its series is cancelled there); the series' push meets 412 and the later writer (Compass) restores the series with its
/// cut, which must leave out the moved instance's occurrence, or Google shows that occurrence again.
#[tokio::test]
async fn a_later_this_and_following_delete_restores_a_series_google_deleted_without_the_cut_occurrence(
) {
    let app = spawn_app().with_google().await;
    let gina = connect(&app, "gina@example.com").await;
    let control = app.control();
    let base = weekly_series_pushed(&gina, "Review").await;
    control.pause_notifications().await.unwrap();
    let patches = control
        .add_fault(
            &FaultSpec::new("calendar.events.patch", FaultKind::ServiceUnavailable).times(10_000),
        )
        .await
        .unwrap();
    let instances = gina.cal.list("start=2027-02-01&end=2027-03-31").await;
    let mut moved = instances[1].clone();
    moved["startDate"] = json!("2027-02-26T14:15:00Z");
    moved["endDate"] = json!("2027-02-26T15:00:00Z");
    let moved_id = moved["_id"].as_str().unwrap().to_owned();
    gina.cal.put_ok(&moved_id, Some("This Event"), &moved).await;
    // Compass must not learn of Google's delete before its own change (a late notification of the series'
    // push would otherwise sync it): listings fail until Compass changed the series.
    let listings = control
        .add_fault(
            &FaultSpec::new("calendar.events.list", FaultKind::ServiceUnavailable).times(10_000),
        )
        .await
        .unwrap();
    control
        .delete_event(&gina.email, &gina.email, &base)
        .await
        .unwrap();
    let (status, _) = gina
        .cal
        .delete(&moved_id, Some("This and Following Events"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    control.clear_fault(listings).await.unwrap();
    // The instance's entry goes first (nothing left to delete at Google); the series' waits on the fault.
    eventually("only the series' entry is left", WAIT, || async {
        let entries = gina.outbox().await;
        entries.len() == 1 && entries[0].get_object_id("_id").unwrap().to_hex() == base
    })
    .await;
    control.clear_fault(patches).await.unwrap();
    gina.synced_after(Utc::now()).await;
    gina.converged().await;
    let grid = gina.cal.list("start=2027-02-01&end=2027-03-31").await;
    assert_eq!(
        grid.len(),
        1,
        "only the first occurrence is left: {grid:#?}"
    );
    app.stop().await;
}

/// A pushed weekly series whose second instance was moved two hours later (pushed too): (base, instance).
async fn series_with_a_moved_instance(gina: &Connected<'_>) -> (String, String) {
    let base = weekly_series_pushed(gina, "Review").await;
    let instances = gina.cal.list("start=2027-02-01&end=2027-03-31").await;
    let mut moved = instances[1].clone();
    moved["startDate"] = json!("2027-02-26T14:15:00Z");
    moved["endDate"] = json!("2027-02-26T15:00:00Z");
    let moved_id = moved["_id"].as_str().unwrap().to_owned();
    gina.cal.put_ok(&moved_id, Some("This Event"), &moved).await;
    gina.converged().await;
    (base, moved_id)
}

/// Seed 1092 (found by the convergence run): an instance moved and then deleted with This Event before its series
/// reached Google. The delete travels as the series' `EXDATE` (Google cannot name the instance yet), but Compass
/// excluded nothing: a moved instance was not taken for an occurrence, so its slot stayed in the rule and Google
/// showed it.
#[tokio::test]
async fn a_moved_instance_deleted_before_its_series_reached_google_excludes_its_slot() {
    let app = spawn_app().with_google().await;
    let gina = connect(&app, "gina@example.com").await;
    app.control()
        .add_fault(&FaultSpec::new("calendar.events.insert", FaultKind::Latency).latency(1500))
        .await
        .unwrap();
    let mut series = weekly_series("Retro");
    let base = mongodb::bson::oid::ObjectId::new().to_hex();
    series["_id"] = json!(base);
    gina.cal.create_ok(&series).await;
    let instances = gina.cal.list("start=2027-02-01&end=2027-03-31").await;
    let mut moved = instances[1].clone();
    moved["startDate"] = json!("2027-02-26T14:15:00Z");
    moved["endDate"] = json!("2027-02-26T15:00:00Z");
    let moved_id = moved["_id"].as_str().unwrap().to_owned();
    gina.cal.put_ok(&moved_id, Some("This Event"), &moved).await;
    let (status, _) = gina.cal.delete(&moved_id, Some("This Event")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        gina.cal.get(&base).await.1["gEventId"].is_null(),
        "both came before the series reached Google"
    );
    gina.converged().await;
    let grid = gina.cal.list("start=2027-02-01&end=2027-03-31").await;
    assert_eq!(grid.len(), 2, "{grid:#?}");
    let (_, stored) = gina.cal.get(&base).await;
    assert!(
        stored["recurrence"]["rule"]
            .as_array()
            .unwrap()
            .iter()
            .any(|line| line.as_str().unwrap().starts_with("EXDATE")),
        "the slot is excluded: {stored}"
    );
    app.stop().await;
}

/// An instance moved with This Event (its push held back by failing patches), then made the first of a new series
/// by a This and Following edit: its pending entry keeps the slot of the old series. Everything is pushed once and
/// the outbox drains. (The convergence run of seeds 2000–2129 left one such instance entry retrying "Google has no
/// instance at this occurrence" for ever; this shape does not reproduce it — the push now also looks the instance
/// up by its start, and an occurrence Google does not have is a permanent failure, not an endless retry.)
#[tokio::test]
async fn an_instance_moved_then_split_off_into_a_new_series_is_pushed_once() {
    let app = spawn_app().with_google().await;
    let gina = connect(&app, "gina@example.com").await;
    let control = app.control();
    weekly_series_pushed(&gina, "Plan").await;
    let patches = control
        .add_fault(
            &FaultSpec::new("calendar.events.patch", FaultKind::ServiceUnavailable).times(10_000),
        )
        .await
        .unwrap();
    let instances = gina.cal.list("start=2027-02-01&end=2027-03-31").await;
    let mut moved = instances[1].clone();
    moved["startDate"] = json!("2027-02-26T14:15:00Z");
    moved["endDate"] = json!("2027-02-26T15:00:00Z");
    let moved_id = moved["_id"].as_str().unwrap().to_owned();
    gina.cal.put_ok(&moved_id, Some("This Event"), &moved).await;
    let (_, mut split) = gina.cal.get(&moved_id).await;
    split["title"] = json!("Plan (new)");
    gina.cal
        .put_ok(&moved_id, Some("This and Following Events"), &split)
        .await;
    control.clear_fault(patches).await.unwrap();
    gina.converged().await;
    // The old series keeps its first occurrence; the new one starts at the moved instance and ends where the
    // old series ended (its second occurrence would come after that).
    let grid = gina.cal.list("start=2027-02-01&end=2027-03-31").await;
    assert_eq!(grid.len(), 2, "{grid:#?}");
    assert!(grid.iter().any(|e| e["title"] == "Plan (new)"));
    app.stop().await;
}

/// Seeds 17605 and 17661 of the long run: an instance moved with This Event, then made the first of a new series
/// with This and Following, then moved again with This Event, all before the outbox pushed. Its pending entry kept
/// its slot in the old series; the new series' push did not find it there, and the instance's own push matched no
/// Google instance of the new series and failed for good (Compass showed it moved, Google at the series' start).
#[tokio::test]
async fn an_instance_moved_again_after_a_split_made_it_the_first_of_a_new_series_reaches_google() {
    let app = spawn_app().with_google().await;
    let gina = connect(&app, "gina@example.com").await;
    gina.cal.create_ok(&weekly_series("Plan")).await;
    gina.converged().await;
    // The drains wait (their lease is taken) until the three changes are made.
    gina.hold_outbox().await;
    let range = "start=2027-02-01&end=2027-03-31";
    let instances = gina.cal.list(range).await;
    let second = instances[1]["_id"].as_str().unwrap().to_owned();
    let (_, mut moved) = gina.cal.get(&second).await;
    moved["startDate"] = json!("2027-02-26T10:15:00Z");
    moved["endDate"] = json!("2027-02-26T11:00:00Z");
    gina.cal.put_ok(&second, Some("This Event"), &moved).await;
    let (_, mut split) = gina.cal.get(&second).await;
    split["title"] = json!("Plan (new)");
    gina.cal
        .put_ok(&second, Some("This and Following Events"), &split)
        .await;
    let (_, mut again) = gina.cal.get(&second).await;
    again["startDate"] = json!("2027-02-26T11:15:00Z");
    again["endDate"] = json!("2027-02-26T12:00:00Z");
    gina.cal.put_ok(&second, Some("This Event"), &again).await;
    gina.release_outbox().await;
    gina.converged().await;
    let grid = gina.cal.list(range).await;
    let shown: Vec<(Value, Value)> = grid
        .iter()
        .map(|e| (e["title"].clone(), json!(instant(&e["startDate"]))))
        .collect();
    let at = |s: &str| json!(s.parse::<DateTime<Utc>>().unwrap());
    assert_eq!(
        shown,
        [
            (json!("Plan"), at("2027-02-19T12:15:00Z")),
            (json!("Plan (new)"), at("2027-02-26T11:15:00Z")),
            (json!("Plan (new)"), at("2027-03-05T10:15:00Z")),
        ],
        "{grid:#?}"
    );
    app.stop().await;
}

/// Seed 11387 of the long run: a series made in Compass (no time zone of its own) whose instances Google then
/// touched: one renamed (Compass's copy of it now carries Google's `UTC`), one deleted. An All Events rename made
/// through the renamed instance took its `UTC` for a new zone of the series and rebuilt every instance from the rule,
/// which brought the occurrence Google had deleted back in Compass only.
#[tokio::test]
async fn an_all_events_rename_through_an_instance_google_touched_keeps_the_occurrence_google_deleted(
) {
    let app = spawn_app().with_google().await;
    let gina = connect(&app, "gina@example.com").await;
    let control = app.control();
    let base = weekly_series_pushed(&gina, "Plan").await;
    let since = Utc::now();
    control
        .patch_event(
            &gina.email,
            &gina.email,
            &format!("{base}_20270219T121500Z"),
            &json!({ "summary": "Plan (first)" }),
        )
        .await
        .unwrap();
    control
        .delete_event(
            &gina.email,
            &gina.email,
            &format!("{base}_20270305T121500Z"),
        )
        .await
        .unwrap();
    gina.synced_after(since).await;
    gina.converged().await;
    let range = "start=2027-02-01&end=2027-03-31";
    let instances = gina.cal.list(range).await;
    assert_eq!(instances.len(), 2, "{instances:#?}");
    let mut first = instances[0].clone();
    assert_eq!(first["timeZone"], "UTC", "{first:#?}");
    first["title"] = json!("Plan (renamed)");
    let first_id = first["_id"].as_str().unwrap().to_owned();
    gina.cal.put_ok(&first_id, Some("All Events"), &first).await;
    gina.converged().await;
    let grid = gina.cal.list(range).await;
    let shown: Vec<(Value, Value)> = grid
        .iter()
        .map(|e| (e["title"].clone(), json!(instant(&e["startDate"]))))
        .collect();
    let at = |s: &str| json!(s.parse::<DateTime<Utc>>().unwrap());
    assert_eq!(
        shown,
        [
            (json!("Plan (renamed)"), at("2027-02-19T12:15:00Z")),
            (json!("Plan (renamed)"), at("2027-02-26T12:15:00Z")),
        ],
        "{grid:#?}"
    );
    app.stop().await;
}

/// Seed 3063 (found by the convergence run): the last instance of a bounded series moved a day later, then edited
/// with This and Following. The new part "ends where the old series ended", which was before its own start: Compass
/// kept its first occurrence, Google (a rule whose `UNTIL` is before its start) showed none.
#[tokio::test]
async fn a_series_split_after_its_old_end_keeps_its_first_occurrence_at_google() {
    let app = spawn_app().with_google().await;
    let gina = connect(&app, "gina@example.com").await;
    let mut series = timed("Demo", "2027-02-18T12:30:00Z", "2027-02-18T13:15:00Z");
    series["recurrence"] = json!({ "rule": ["RRULE:FREQ=WEEKLY;COUNT=2"] });
    gina.cal.create_ok(&series).await;
    gina.converged().await;
    let instances = gina.cal.list("start=2027-02-01&end=2027-03-31").await;
    let mut last = instances[1].clone();
    last["startDate"] = json!("2027-02-26T12:30:00Z");
    last["endDate"] = json!("2027-02-26T13:15:00Z");
    let last_id = last["_id"].as_str().unwrap().to_owned();
    gina.cal.put_ok(&last_id, Some("This Event"), &last).await;
    gina.converged().await;
    let (_, mut split) = gina.cal.get(&last_id).await;
    split["title"] = json!("Demo (new)");
    gina.cal
        .put_ok(&last_id, Some("This and Following Events"), &split)
        .await;
    gina.converged().await;
    let grid = gina.cal.list("start=2027-02-01&end=2027-03-31").await;
    assert_eq!(grid.len(), 2, "{grid:#?}");
    assert!(grid.iter().any(|e| e["title"] == "Demo (new)"));
    app.stop().await;
}

/// Seeds 15558, 10136 and others of the long run: a series created in Compass and split with This and Following
/// while its first push was reading Google's instances. The push had read the series' instances before the split
/// and recorded the old series' Google ids on all of them, the one the split had just moved to the new series
/// included. Google then deleted the old series; applying that deletion took every event linked to it, so the new
/// series was left without its instance in Compass, and its later push had nothing to match at Google.
#[tokio::test]
async fn a_this_and_following_split_during_the_series_first_push_keeps_the_new_series_instance() {
    let app = spawn_app().with_google().await;
    let gina = connect(&app, "gina@example.com").await;
    let control = app.control();
    let base = series_in_a_slow_first_push(&gina, "Sprint", "2027-03-28T11:45:00Z").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let range = "start=2027-03-01&end=2027-04-30";
    let instances = gina.cal.list(range).await;
    assert_eq!(instances.len(), 2, "{instances:#?}");
    let mut second = instances[1].clone();
    second["title"] = json!("Sprint (new)");
    let second_id = second["_id"].as_str().unwrap().to_owned();
    gina.cal
        .put_ok(&second_id, Some("This and Following Events"), &second)
        .await;
    // The split's pushes wait until the first push has recorded what it read and Google has deleted the old
    // series (later than the split: Google's deletion wins).
    let mut held = Vec::new();
    for operation in ["calendar.events.patch", "calendar.events.insert"] {
        let fault = FaultSpec::new(operation, FaultKind::ServiceUnavailable).times(10_000);
        held.push(control.add_fault(&fault).await.unwrap());
    }
    eventually("the first push recorded its instances", WAIT, || async {
        gina.cal.list(range).await[0]["gEventId"].is_string()
    })
    .await;
    control
        .delete_event(&gina.email, &gina.email, &base)
        .await
        .unwrap();
    for fault in held {
        control.clear_fault(fault).await.unwrap();
    }
    gina.synced_after(Utc::now()).await;
    gina.converged().await;
    let grid = gina.cal.list(range).await;
    assert_eq!(
        grid.len(),
        1,
        "the new series' occurrence is left: {grid:#?}"
    );
    assert_eq!(grid[0]["_id"], json!(second_id), "{grid:#?}");
    assert_eq!(grid[0]["title"], json!("Sprint (new)"), "{grid:#?}");
    app.stop().await;
}

/// Seed 15149: a series created in Compass, moved at Google while the series' first push waited on Google's
/// instances. The push found none of Google's instances at the Compass instances' slots, so they kept no Google
/// id, and the sync of Google's move inserted Google's instances beside them: every occurrence twice in Compass.
#[tokio::test]
async fn a_series_moved_at_google_during_its_first_push_keeps_each_occurrence_once() {
    let app = spawn_app().with_google().await;
    let gina = connect(&app, "gina@example.com").await;
    let control = app.control();
    let base = series_in_a_slow_first_push(&gina, "Standup", "2027-03-19T08:30:00Z").await;
    // Inside the push's 3 s wait: Google moves the series two hours later.
    control
        .patch_event(
            &gina.email,
            &gina.email,
            &base,
            &json!({
                "start": { "dateTime": "2027-03-19T10:30:00Z", "timeZone": "UTC" },
                "end": { "dateTime": "2027-03-19T11:15:00Z", "timeZone": "UTC" },
            }),
        )
        .await
        .unwrap();
    gina.synced_after(Utc::now()).await;
    gina.converged().await;
    let grid = gina.cal.list("start=2027-03-01&end=2027-04-30").await;
    let starts: Vec<DateTime<Utc>> = grid.iter().map(|e| instant(&e["startDate"])).collect();
    let moved: [DateTime<Utc>; 2] =
        ["2027-03-19T10:30:00Z", "2027-03-26T10:30:00Z"].map(|at| at.parse().unwrap());
    assert_eq!(starts, moved, "{grid:#?}");
    app.stop().await;
}

/// Seed 10710: a Compass delete of one instance of a Google series lost to a later Google edit of the series, which
/// brought the instance back to Compass; the base kept the delete's `EXDATE`, so its next push (a This and
/// Following edit made after Google's) cancelled the occurrence at Google while Compass showed it.
#[tokio::test]
async fn an_instance_delete_that_lost_to_google_leaves_no_exclusion_on_its_series() {
    let app = spawn_app().with_google().await;
    let gina = connect(&app, "gina@example.com").await;
    let control = app.control();
    let series_gid = google_series_imported(
        &gina,
        "Sync",
        "2027-03-16T06:30:00Z",
        "2027-03-16T07:00:00Z",
        3,
    )
    .await;
    control.pause_notifications().await.unwrap();
    let mut held = Vec::new();
    for operation in ["calendar.events.delete", "calendar.events.patch"] {
        let fault = FaultSpec::new(operation, FaultKind::ServiceUnavailable).times(10_000);
        held.push(control.add_fault(&fault).await.unwrap());
    }
    let range = "start=2027-03-01&end=2027-04-30";
    let instances = gina.cal.list(range).await;
    assert_eq!(instances.len(), 3, "{instances:#?}");
    let second = instances[1]["_id"].as_str().unwrap().to_owned();
    let (status, _) = gina.cal.delete(&second, Some("This Event")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    tokio::time::sleep(Duration::from_millis(20)).await;
    control
        .patch_event(
            &gina.email,
            &gina.email,
            &series_gid,
            &json!({ "summary": "Sync (Google)" }),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    // The instance's delete goes first and loses to Google's later edit (no Compass change of the series is
    // pending: one made after Google's edit would win over it); then a This and Following edit, and its push.
    control.clear_fault(held[0]).await.unwrap();
    eventually("the instance's entry is settled", WAIT, || async {
        !gina
            .outbox()
            .await
            .iter()
            .any(|e| e.get_object_id("_id").unwrap().to_hex() == second)
    })
    .await;
    let third_id = instances[2]["_id"].as_str().unwrap().to_owned();
    let (_, mut third) = gina.cal.get(&third_id).await;
    third["title"] = json!("Sync (split)");
    gina.cal
        .put_ok(&third_id, Some("This and Following Events"), &third)
        .await;
    control.clear_fault(held[1]).await.unwrap();
    gina.synced_after(Utc::now()).await;
    gina.converged().await;
    let grid = gina.cal.list(range).await;
    let starts: Vec<DateTime<Utc>> = grid.iter().map(|e| instant(&e["startDate"])).collect();
    let all: [DateTime<Utc>; 3] = [
        "2027-03-16T06:30:00Z",
        "2027-03-23T06:30:00Z",
        "2027-03-30T06:30:00Z",
    ]
    .map(|at| at.parse().unwrap());
    assert_eq!(
        starts, all,
        "Google's edit brought the second back: {grid:#?}"
    );
    app.stop().await;
}

/// Creates a weekly series of two 45-minute occurrences from `start` in Compass, with Google's notifications held
/// and the first `events.instances` answering 3 s late; returns once Google holds the series, so that the
/// series' first push is waiting on that read. The series' id.
async fn series_in_a_slow_first_push(gina: &Connected<'_>, title: &str, start: &str) -> String {
    let control = gina.app().control();
    control.pause_notifications().await.unwrap();
    control
        .add_fault(
            &FaultSpec::new("calendar.events.instances", FaultKind::Latency)
                .latency(3_000)
                .times(1),
        )
        .await
        .unwrap();
    let start: DateTime<Utc> = start.parse().unwrap();
    let end = start + chrono::Duration::minutes(45);
    let mut series = timed(title, &start.to_rfc3339(), &end.to_rfc3339());
    series["recurrence"] = json!({ "rule": ["RRULE:FREQ=WEEKLY;COUNT=2"] });
    let base = mongodb::bson::oid::ObjectId::new().to_hex();
    series["_id"] = json!(base);
    gina.cal.create_ok(&series).await;
    eventually("Google holds the series", WAIT, || async {
        !google_events(gina.app(), &gina.email).await.is_empty()
    })
    .await;
    base
}

/// Seeds 10000–10039 of the long run: the new part of a This and Following split of a Google series is
/// Google-owned and has no Google calendar until its push; the calendar-list sync, which removes the Google events
/// of calendars no longer synced, took it for one of them and deleted it before it reached Google.
#[tokio::test]
async fn a_split_of_a_google_series_waiting_for_its_push_survives_a_calendar_list_sync() {
    let app = spawn_app().with_google().await;
    let gina = connect(&app, "gina@example.com").await;
    let control = app.control();
    google_series_imported(
        &gina,
        "Retro",
        "2027-03-16T17:15:00Z",
        "2027-03-16T18:00:00Z",
        3,
    )
    .await;
    let mut held = Vec::new();
    for operation in ["calendar.events.insert", "calendar.events.patch"] {
        let fault = FaultSpec::new(operation, FaultKind::ServiceUnavailable).times(10_000);
        held.push(control.add_fault(&fault).await.unwrap());
    }
    let range = "start=2027-03-01&end=2027-04-30";
    let instances = gina.cal.list(range).await;
    assert_eq!(instances.len(), 3, "{instances:#?}");
    let second = instances[1]["_id"].as_str().unwrap().to_owned();
    let (_, mut split) = gina.cal.get(&second).await;
    split["title"] = json!("Retro (new)");
    gina.cal
        .put_ok(&second, Some("This and Following Events"), &split)
        .await;
    // A change of the calendar list makes Compass read it again and clean up after it.
    control
        .change_calendar(
            &gina.email,
            &gina.email,
            &json!({ "summary": "Gina's days" }),
        )
        .await
        .unwrap();
    eventually("the calendar list is read again", WAIT, || async {
        let (_, body) = gina
            .cal
            .send(reqwest::Method::GET, "/calendars", None)
            .await;
        body["calendars"][0]["metadata"]["summary"] == "Gina's days"
    })
    .await;
    let grid = gina.cal.list(range).await;
    assert_eq!(
        grid.len(),
        3,
        "the split waiting for its push is kept: {grid:#?}"
    );
    for fault in held {
        control.clear_fault(fault).await.unwrap();
    }
    gina.synced_after(Utc::now()).await;
    gina.converged().await;
    let titles: Vec<Value> = gina
        .cal
        .list(range)
        .await
        .iter()
        .map(|e| e["title"].clone())
        .collect();
    assert_eq!(
        titles,
        [json!("Retro"), json!("Retro (new)"), json!("Retro (new)")]
    );
    app.stop().await;
}

/// Seed 15951: an instance's Google `updated` moves whenever its series is written, by Compass's own series push
/// too. A series rename was in flight when a This and Following delete cut the series; the removal of an
/// instance the cut took then met Google's instance as the rename had left it, took it for a later Google edit,
/// and brought the instance back to Compass, beyond the end its series got next.
#[tokio::test]
async fn compass_own_series_push_never_wins_a_conflict_against_compass() {
    let app = spawn_app().with_google().await;
    let gina = connect(&app, "gina@example.com").await;
    let control = app.control();
    google_series_imported(
        &gina,
        "Gym",
        "2027-02-27T17:15:00Z",
        "2027-02-27T17:45:00Z",
        4,
    )
    .await;
    control.pause_notifications().await.unwrap();
    // Drains wait (their lease is taken) until both entries exist, so that one drain takes them in order.
    gina.hold_outbox().await;
    let range = "start=2027-02-01&end=2027-04-30";
    let instances = gina.cal.list(range).await;
    assert_eq!(instances.len(), 4, "{instances:#?}");
    let first = instances[0]["_id"].as_str().unwrap().to_owned();
    let (_, mut renamed) = gina.cal.get(&first).await;
    renamed["title"] = json!("Gym (renamed)");
    gina.cal.put_ok(&first, Some("All Events"), &renamed).await;
    let last = instances[3]["_id"].as_str().unwrap().to_owned();
    let (_, mut moved) = gina.cal.get(&last).await;
    moved["startDate"] = json!("2027-03-21T17:15:00Z");
    moved["endDate"] = json!("2027-03-21T17:45:00Z");
    gina.cal.put_ok(&last, Some("This Event"), &moved).await;
    // The series' push answers 3 s late: the cut lands while it is in flight.
    control
        .add_fault(
            &FaultSpec::new("calendar.events.patch", FaultKind::Latency)
                .latency(3_000)
                .times(1),
        )
        .await
        .unwrap();
    gina.release_outbox().await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let second = instances[1]["_id"].as_str().unwrap().to_owned();
    let (status, _) = gina
        .cal
        .delete(&second, Some("This and Following Events"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    gina.synced_after(Utc::now()).await;
    gina.converged().await;
    let grid = gina.cal.list(range).await;
    let titles: Vec<Value> = grid.iter().map(|e| e["title"].clone()).collect();
    assert_eq!(titles, [json!("Gym (renamed)")], "{grid:#?}");
    app.stop().await;
}

/// Seed 16680 of the long run: an instance of a Google series moved in Compass, Google renaming the whole series
/// after that, then Compass cutting the series before that instance (This and Following delete), all before the
/// outbox pushed. The instance's removal met Google's rename (its `updated` moved with the series) and lost to it:
/// the instance came back in Compass; the cut, later still, won at Google and took it away there only.
#[tokio::test]
async fn an_instance_change_older_than_google_s_series_edit_yields_to_a_later_compass_cut() {
    let app = spawn_app().with_google().await;
    let gina = connect(&app, "gina@example.com").await;
    let control = app.control();
    let g_base = google_series_imported(
        &gina,
        "Gym",
        "2027-03-12T12:15:00Z",
        "2027-03-12T12:45:00Z",
        4,
    )
    .await;
    control.pause_notifications().await.unwrap();
    gina.hold_outbox().await;
    let range = "start=2027-03-01&end=2027-04-30";
    let instances = gina.cal.list(range).await;
    assert_eq!(instances.len(), 4, "{instances:#?}");
    let last = instances[3]["_id"].as_str().unwrap().to_owned();
    let (_, mut moved) = gina.cal.get(&last).await;
    moved["startDate"] = json!("2027-04-02T13:15:00Z");
    moved["endDate"] = json!("2027-04-02T13:45:00Z");
    gina.cal.put_ok(&last, Some("This Event"), &moved).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    control
        .patch_event(
            &gina.email,
            &gina.email,
            &g_base,
            &json!({ "summary": "Gym (Google)" }),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let second = instances[1]["_id"].as_str().unwrap().to_owned();
    let (status, _) = gina
        .cal
        .delete(&second, Some("This and Following Events"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    gina.release_outbox().await;
    gina.synced_after(Utc::now()).await;
    gina.converged().await;
    let grid = gina.cal.list(range).await;
    assert_eq!(grid.len(), 1, "{grid:#?}");
    app.stop().await;
}

/// Seed 16845 of the long run: an instance came back to Compass (a Google edit won over its removal) while
/// Compass's cut of its series was on its way; the cut then won at Google, which dropped the instance, and Compass
/// kept it beyond its series' end. Here the instance is put back in the database the way that resolution wrote it
/// (the same document, Google id included), between the cut and its push: once Google holds the cut series, an
/// instance Google no longer lists goes from Compass too.
#[tokio::test]
async fn an_instance_google_no_longer_lists_after_compass_cut_its_series_goes_from_compass() {
    let app = spawn_app().with_google().await;
    let gina = connect(&app, "gina@example.com").await;
    google_series_imported(
        &gina,
        "Gym",
        "2027-03-12T12:15:00Z",
        "2027-03-12T12:45:00Z",
        4,
    )
    .await;
    gina.hold_outbox().await;
    let range = "start=2027-03-01&end=2027-04-30";
    let instances = gina.cal.list(range).await;
    assert_eq!(instances.len(), 4, "{instances:#?}");
    let events = gina.app().store().collection::<Document>("event");
    let last =
        mongodb::bson::oid::ObjectId::parse_str(instances[3]["_id"].as_str().unwrap()).unwrap();
    let restored = events
        .find_one(doc! { "_id": last })
        .await
        .unwrap()
        .unwrap();
    assert!(restored.get_str("gEventId").is_ok(), "{restored:#?}");
    let third = instances[2]["_id"].as_str().unwrap().to_owned();
    let (status, _) = gina
        .cal
        .delete(&third, Some("This and Following Events"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    events.insert_one(restored).await.unwrap();
    gina.release_outbox().await;
    gina.converged().await;
    let grid = gina.cal.list(range).await;
    assert_eq!(grid.len(), 2, "{grid:#?}");
    app.stop().await;
}

/// A weekly series of `count` made at Google, imported and converged; its Google id.
async fn google_series_imported(
    gina: &Connected<'_>,
    summary: &str,
    start: &str,
    end: &str,
    count: u32,
) -> String {
    let started = Utc::now();
    let series = json!({
        "summary": summary,
        "start": { "dateTime": start, "timeZone": "UTC" },
        "end": { "dateTime": end, "timeZone": "UTC" },
        "recurrence": [format!("RRULE:FREQ=WEEKLY;COUNT={count}")],
    });
    let created = gina
        .app()
        .control()
        .insert_event(&gina.email, &gina.email, &series)
        .await
        .unwrap();
    gina.synced_after(started).await;
    gina.converged().await;
    created["id"].as_str().unwrap().to_owned()
}
