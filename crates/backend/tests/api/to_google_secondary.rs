//! Compass → Google for a series in a *secondary* Google calendar: a This and Following edit cuts the series
//! there and creates its new part in the same calendar (not in the primary one).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures::TryStreamExt as _;
use mongodb::bson::{doc, Document};
use serde_json::{json, Value};

use crate::support::app::spawn_app;
use crate::sync_races::connect;

#[tokio::test]
async fn this_and_following_in_a_secondary_calendar_keeps_the_new_series_there() {
    let app = spawn_app().with_google().await;
    let email = "gina@example.com";
    let control = app.control();
    control.create_user(email, None).await.unwrap();
    let team = control.create_calendar(email, "Team").await.unwrap();
    let team = team["id"].as_str().unwrap().to_owned();
    let mut series = json!({
        "summary": "Sync",
        "start": {"dateTime": "2027-05-03T10:00:00Z", "timeZone": "UTC"},
        "end": {"dateTime": "2027-05-03T10:30:00Z", "timeZone": "UTC"},
    });
    series["recurrence"] = json!(["RRULE:FREQ=WEEKLY;COUNT=4"]);
    let master = control.insert_event(email, &team, &series).await.unwrap();
    let master = master["id"].as_str().unwrap().to_owned();
    let gina = connect(&app, email).await;
    let instances = gina.cal.list("start=2027-05-01&end=2027-06-30").await;
    assert_eq!(instances.len(), 4, "{instances:#?}");

    let mut third = instances[2].clone();
    third["title"] = json!("Sync (new)");
    let third_id = third["_id"].as_str().unwrap().to_owned();
    gina.cal
        .put_ok(&third_id, Some("This and Following Events"), &third)
        .await;
    gina.converged_in(&team).await;

    let in_team: Vec<Value> = control
        .events(email, &team)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e["status"] == "confirmed")
        .collect();
    let masters: Vec<&Value> = in_team
        .iter()
        .filter(|e| e["recurrence"].is_array())
        .collect();
    assert_eq!(
        masters.len(),
        2,
        "the cut series and its new part: {in_team:#?}"
    );
    assert!(masters
        .iter()
        .any(|m| m["id"] == master.as_str()
            && m["recurrence"][0].as_str().unwrap().contains("UNTIL")));
    assert!(masters.iter().any(|m| m["summary"] == "Sync (new)"));
    let in_primary = control.events(email, email).await.unwrap();
    assert!(
        in_primary.iter().all(|e| e["summary"] != "Sync (new)"),
        "nothing went to the primary calendar: {in_primary:#?}"
    );
    let grid = gina.cal.list("start=2027-05-01&end=2027-06-30").await;
    assert_eq!(grid.len(), 4);
    // Compass records the new series' copy in the calendar it went to.
    let stored: Vec<Document> = app
        .store()
        .collection::<Document>("event")
        .find(doc! { "title": "Sync (new)" })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(stored.len(), 1 + 2, "the new base and its two instances");
    assert!(
        stored
            .iter()
            .all(|e| e.get_str("gCalendarId").ok() == Some(team.as_str())),
        "{stored:#?}"
    );
    app.stop().await;
}
