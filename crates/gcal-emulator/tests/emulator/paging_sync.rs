//! events.list paging (several page sizes), sync tokens (increments with deletes, expiry → 410, refused
//! combinations → 400), time windows, and calendarList sync with deleted entries.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::support::{spawn, timed, ALICE};

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn paging_returns_every_event_once_for_several_page_sizes() {
    let t = spawn().await;
    let mut expected = HashSet::new();
    for i in 0..23 {
        let e = t
            .insert(timed(
                &format!("e{i}"),
                &format!("2030-02-{:02}T10:00:00Z", i + 1),
                &format!("2030-02-{:02}T11:00:00Z", i + 1),
            ))
            .await;
        expected.insert(e["id"].as_str().unwrap().to_owned());
    }
    for (size, pages) in [("1", 23), ("7", 4), ("23", 1), ("250", 1), ("2500", 1)] {
        let (items, token, n) = t.list_all(&[("maxResults", size)]).await;
        let got: Vec<String> = ids(&items);
        assert_eq!(got.len(), 23, "page size {size}");
        assert_eq!(
            got.iter().cloned().collect::<HashSet<_>>(),
            expected,
            "page size {size}"
        );
        assert_eq!(n, pages, "page size {size}");
        assert!(!token.is_empty());
    }
    let too_small = t
        .get("/calendars/primary/events", &[("maxResults", "0")])
        .await;
    assert_eq!(too_small.status, 400);
    let first = t
        .get("/calendars/primary/events", &[("maxResults", "5")])
        .await;
    let page = first.body["nextPageToken"].as_str().unwrap();
    let mismatched = t
        .get(
            "/calendars/primary/events",
            &[("pageToken", page), ("showDeleted", "true")],
        )
        .await;
    assert_eq!(mismatched.status, 400, "a page token belongs to its query");
    let garbage = t
        .get("/calendars/primary/events", &[("pageToken", "garbage")])
        .await;
    assert_eq!(garbage.status, 400);
}

#[tokio::test]
async fn sync_tokens_report_changes_and_deletions() {
    let t = spawn().await;
    let keep = t
        .insert(timed(
            "keep",
            "2030-03-01T10:00:00Z",
            "2030-03-01T11:00:00Z",
        ))
        .await;
    let change = t
        .insert(timed(
            "change",
            "2030-03-02T10:00:00Z",
            "2030-03-02T11:00:00Z",
        ))
        .await;
    let remove = t
        .insert(timed(
            "remove",
            "2030-03-03T10:00:00Z",
            "2030-03-03T11:00:00Z",
        ))
        .await;
    let (items, token, _) = t.list_all(&[]).await;
    assert_eq!(items.len(), 3);

    let (nothing, same_point, _) = t.list_all(&[("syncToken", &token)]).await;
    assert!(nothing.is_empty(), "no change since the token");

    let change_id = change["id"].as_str().unwrap();
    let remove_id = remove["id"].as_str().unwrap();
    t.patch(
        &format!("/calendars/primary/events/{change_id}"),
        &json!({"summary": "changed"}),
    )
    .await;
    assert_eq!(
        t.delete(&format!("/calendars/primary/events/{remove_id}"))
            .await
            .status,
        204
    );
    let added = t
        .ctl
        .insert_event(
            ALICE,
            "primary",
            &timed(
                "added in UI",
                "2030-03-04T10:00:00Z",
                "2030-03-04T11:00:00Z",
            ),
        )
        .await
        .unwrap();

    let (delta, token2, _) = t.list_all(&[("syncToken", &same_point)]).await;
    let by_id: std::collections::HashMap<String, &Value> = delta
        .iter()
        .map(|i| (i["id"].as_str().unwrap().to_owned(), i))
        .collect();
    assert_eq!(by_id.len(), 3, "changed, deleted and added: {delta:?}");
    assert!(!by_id.contains_key(keep["id"].as_str().unwrap()));
    assert_eq!(by_id[change_id]["summary"], "changed");
    assert_eq!(by_id[remove_id]["status"], "cancelled");
    assert_eq!(
        by_id[added["id"].as_str().unwrap()]["summary"],
        "added in UI"
    );

    // Small pages on an incremental sync: still every change once, token only at the end.
    for i in 0..5 {
        t.insert(timed(
            &format!("n{i}"),
            "2030-03-05T10:00:00Z",
            "2030-03-05T11:00:00Z",
        ))
        .await;
    }
    let (paged, _, pages) = t
        .list_all(&[("syncToken", &token2), ("maxResults", "2")])
        .await;
    assert_eq!(paged.len(), 5);
    assert!(pages >= 3);

    // A full listing without showDeleted hides the deleted event; with it, shows it cancelled.
    let (live, _, _) = t.list_all(&[]).await;
    assert!(!ids(&live).contains(&remove_id.to_owned()));
    let (all, _, _) = t.list_all(&[("showDeleted", "true")]).await;
    assert!(ids(&all).contains(&remove_id.to_owned()));
}

#[tokio::test]
async fn sync_token_errors_and_expiry() {
    let t = spawn().await;
    t.insert(timed("x", "2030-03-01T10:00:00Z", "2030-03-01T11:00:00Z"))
        .await;
    let (_, token, _) = t.list_all(&[]).await;
    for extra in [
        ("timeMin", "2030-01-01T00:00:00Z"),
        ("timeMax", "2031-01-01T00:00:00Z"),
        ("q", "x"),
        ("orderBy", "updated"),
        ("updatedMin", "2020-01-01T00:00:00Z"),
        ("showDeleted", "false"),
    ] {
        let r = t
            .get("/calendars/primary/events", &[("syncToken", &token), extra])
            .await;
        assert_eq!(r.status, 400, "syncToken with {extra:?}");
    }
    let garbage = t
        .get(
            "/calendars/primary/events",
            &[("syncToken", "definitely-not-a-token")],
        )
        .await;
    assert_eq!(garbage.status, 400);

    t.ctl
        .expire_sync_tokens(Some(ALICE), Some("primary"))
        .await
        .unwrap();
    let expired = t
        .get("/calendars/primary/events", &[("syncToken", &token)])
        .await;
    assert_eq!(expired.status, 410);
    assert_eq!(expired.reason(), "fullSyncRequired");
    assert_eq!(expired.body["error"]["errors"][0]["domain"], "calendar");
    let (_, fresh, _) = t.list_all(&[]).await;
    assert_eq!(
        t.get("/calendars/primary/events", &[("syncToken", &fresh)])
            .await
            .status,
        200,
        "a full sync gives a working token"
    );
    t.ctl.expire_sync_tokens(None, None).await.unwrap();
    assert_eq!(
        t.get("/calendars/primary/events", &[("syncToken", &fresh)])
            .await
            .status,
        410
    );
}

#[tokio::test]
async fn time_window_bounds_and_ordering() {
    let t = spawn().await;
    t.insert(timed(
        "before",
        "2030-04-01T08:00:00Z",
        "2030-04-01T09:00:00Z",
    ))
    .await;
    t.insert(timed(
        "touching",
        "2030-04-01T09:00:00Z",
        "2030-04-01T10:00:00Z",
    ))
    .await;
    t.insert(timed(
        "inside",
        "2030-04-01T12:00:00Z",
        "2030-04-01T13:00:00Z",
    ))
    .await;
    t.insert(timed(
        "at-end",
        "2030-04-01T18:00:00Z",
        "2030-04-01T19:00:00Z",
    ))
    .await;
    t.insert(json!({"summary": "all day", "start": {"date": "2030-04-01"}, "end": {"date": "2030-04-02"}})).await;
    let window = [
        ("timeMin", "2030-04-01T09:00:00Z"),
        ("timeMax", "2030-04-01T18:00:00Z"),
        ("singleEvents", "true"),
        ("orderBy", "startTime"),
    ];
    let (items, _, _) = t.list_all(&window).await;
    let names: Vec<&str> = items
        .iter()
        .map(|i| i["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["all day", "touching", "inside"],
        "timeMin bounds the end, timeMax the start, both exclusive"
    );
    let empty = t
        .get(
            "/calendars/primary/events",
            &[
                ("timeMin", "2030-04-02T00:00:00Z"),
                ("timeMax", "2030-04-01T00:00:00Z"),
            ],
        )
        .await;
    assert_eq!(empty.status, 400);
    assert_eq!(empty.reason(), "timeRangeEmpty");
    let no_offset = t
        .get(
            "/calendars/primary/events",
            &[("timeMin", "2030-04-01T00:00:00")],
        )
        .await;
    assert_eq!(no_offset.status, 400);
    let bad_order = t
        .get("/calendars/primary/events", &[("orderBy", "startTime")])
        .await;
    assert_eq!(
        bad_order.status, 400,
        "orderBy=startTime needs singleEvents"
    );
}

#[tokio::test]
async fn calendar_list_sync_reports_new_changed_and_deleted_calendars() {
    let t = spawn().await;
    let first = t.get("/users/me/calendarList", &[]).await;
    assert_eq!(first.status, 200);
    let items = first.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], ALICE);
    let token = first.body["nextSyncToken"].as_str().unwrap().to_owned();

    let work = t.ctl.create_calendar(ALICE, "Work").await.unwrap();
    let work_id = work["id"].as_str().unwrap().to_owned();
    let hobby = t.ctl.create_calendar(ALICE, "Hobby").await.unwrap();
    let hobby_id = hobby["id"].as_str().unwrap().to_owned();
    let delta = t
        .get("/users/me/calendarList", &[("syncToken", &token)])
        .await;
    let got: Vec<&str> = delta.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [work_id.as_str(), hobby_id.as_str()]);
    let token2 = delta.body["nextSyncToken"].as_str().unwrap().to_owned();

    t.ctl.delete_calendar(ALICE, &hobby_id).await.unwrap();
    let delta2 = t
        .get("/users/me/calendarList", &[("syncToken", &token2)])
        .await;
    let items = delta2.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], hobby_id.as_str());
    assert_eq!(items[0]["deleted"], true);

    let paged1 = t
        .get("/users/me/calendarList", &[("maxResults", "1")])
        .await;
    assert_eq!(paged1.body["items"].as_array().unwrap().len(), 1);
    let next = paged1.body["nextPageToken"].as_str().unwrap();
    let paged2 = t
        .get(
            "/users/me/calendarList",
            &[("maxResults", "1"), ("pageToken", next)],
        )
        .await;
    assert_eq!(paged2.body["items"].as_array().unwrap().len(), 1);
    assert!(paged2.body["nextSyncToken"].is_string());
    assert_eq!(
        t.get(
            &format!("/calendars/{}/events", crate::support::enc(&hobby_id)),
            &[]
        )
        .await
        .status,
        404
    );

    t.ctl.expire_sync_tokens(Some(ALICE), None).await.unwrap();
    let expired = t
        .get("/users/me/calendarList", &[("syncToken", &token2)])
        .await;
    assert_eq!(expired.status, 410);
}

/// Many seeded events: full sync walks every page of 2500, an incremental sync after it sees only the change.
#[tokio::test]
async fn many_events_page_and_sync() {
    const N: usize = 10_000;
    let events: Vec<Value> = (0..N)
        .map(|i| {
            let day = i % 28 + 1;
            json!({"id": format!("bulk{i:06}"), "summary": format!("e{i}"),
                   "start": {"dateTime": format!("2031-02-{day:02}T10:00:00Z")}, "end": {"dateTime": format!("2031-02-{day:02}T11:00:00Z")}})
        })
        .collect();
    let seed = gcal_emulator::Seed {
        users: vec![gcal_emulator::SeedUser {
            email: ALICE.into(),
            events,
            ..Default::default()
        }],
        clients: vec![],
    };
    let t = crate::support::spawn_with(gcal_emulator::EmulatorConfig {
        seed: Some(seed),
        listing: gcal_emulator::ListingBehaviour::exact(),
        ..Default::default()
    })
    .await;
    let (items, token, pages) = t.list_all(&[("maxResults", "2500")]).await;
    assert_eq!(items.len(), N);
    assert_eq!(pages, N / 2500);
    assert_eq!(ids(&items).into_iter().collect::<HashSet<_>>().len(), N);
    t.patch(
        "/calendars/primary/events/bulk004321",
        &json!({"summary": "touched"}),
    )
    .await;
    let (delta, _, _) = t.list_all(&[("syncToken", &token)]).await;
    assert_eq!(ids(&delta), ["bulk004321"]);
}

#[tokio::test]
async fn the_number_of_stored_events_is_bounded() {
    let t = crate::support::spawn_with(gcal_emulator::EmulatorConfig {
        max_events: 3,
        ..Default::default()
    })
    .await;
    for i in 0..3 {
        t.insert(timed(
            &format!("e{i}"),
            "2030-01-01T10:00:00Z",
            "2030-01-01T11:00:00Z",
        ))
        .await;
    }
    let over = t
        .post(
            "/calendars/primary/events",
            &timed("too many", "2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"),
        )
        .await;
    assert_eq!(over.status, 403);
    assert_eq!(over.reason(), "quotaExceeded");
    let far = t
        .post(
            "/calendars/primary/events",
            &timed("far", "9999-01-01T10:00:00Z", "9999-01-01T11:00:00Z"),
        )
        .await;
    assert_eq!(
        far.status, 400,
        "dates far outside the supported range are refused"
    );
}

/// Re-encodes a token after editing its decoded text (what a careless or hostile client could send).
fn forge(token: &str, edit: impl Fn(&str) -> String) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(token).unwrap()).unwrap();
    URL_SAFE_NO_PAD.encode(edit(&text))
}

/// Tokens issued before a control-API reset are not silently accepted afterwards (the state they point into is
/// gone: 410 `fullSyncRequired`), and edited tokens are refused with 400, never answered with a wrong delta or a
/// dropped connection.
#[tokio::test]
async fn tokens_from_before_a_reset_or_edited_by_the_client_are_refused() {
    let mut t = spawn().await;
    for i in 0..3 {
        t.insert(timed(
            &format!("e{i}"),
            "2030-05-01T10:00:00Z",
            "2030-05-01T11:00:00Z",
        ))
        .await;
    }
    let (_, token, _) = t.list_all(&[]).await;
    let list_token = t.get("/users/me/calendarList", &[]).await.body["nextSyncToken"]
        .as_str()
        .unwrap()
        .to_owned();

    // Edited sync tokens: a far-future change number, and the largest one.
    for seq in ["999999", "18446744073709551615"] {
        let forged = forge(&token, |text| {
            let mut parts: Vec<&str> = text.split('.').collect();
            assert!(parts.len() >= 3, "token text {text} has a change number");
            parts[2] = seq;
            parts.join(".")
        });
        assert_ne!(forged, token);
        let r = t
            .get("/calendars/primary/events", &[("syncToken", &forged)])
            .await;
        assert_eq!(r.status, 400, "edited sync token (seq {seq}): {:?}", r.body);
    }

    // An edited page token (ordered listing, cursor far past the end of the sequence space).
    let first = t
        .get(
            "/calendars/primary/events",
            &[
                ("maxResults", "1"),
                ("singleEvents", "true"),
                ("orderBy", "startTime"),
            ],
        )
        .await;
    let page = first.body["nextPageToken"].as_str().unwrap().to_owned();
    let forged_page = forge(&page, |text| {
        let mut cursor: Value = serde_json::from_str(text.split('.').next().unwrap_or(text))
            .unwrap_or_else(|_| json!({}));
        cursor["f"] = json!(u64::MAX);
        cursor["i"] = json!(true);
        cursor.to_string()
    });
    let r = t
        .get(
            "/calendars/primary/events",
            &[
                ("maxResults", "1"),
                ("singleEvents", "true"),
                ("orderBy", "startTime"),
                ("pageToken", &forged_page),
            ],
        )
        .await;
    assert_eq!(r.status, 400, "edited page token: {:?}", r.body);

    // After a reset, and with the same user and calendar recreated, old tokens are dead.
    t.ctl.reset().await.unwrap();
    t.ctl.create_user(ALICE, Some("Alice")).await.unwrap();
    t.token = t.ctl.mint_tokens(ALICE).await.unwrap().access_token;
    let r = t
        .get("/calendars/primary/events", &[("syncToken", &token)])
        .await;
    assert_eq!(
        r.status, 410,
        "events sync token from before the reset: {:?}",
        r.body
    );
    assert_eq!(r.reason(), "fullSyncRequired");
    let r = t
        .get("/users/me/calendarList", &[("syncToken", &list_token)])
        .await;
    assert_eq!(
        r.status, 410,
        "calendar-list sync token from before the reset: {:?}",
        r.body
    );
    let r = t
        .get(
            "/calendars/primary/events",
            &[
                ("maxResults", "1"),
                ("singleEvents", "true"),
                ("orderBy", "startTime"),
                ("pageToken", &page),
            ],
        )
        .await;
    assert_eq!(
        r.status, 400,
        "page token from before the reset: {:?}",
        r.body
    );
}

/// Ordered listings page correctly: with small pages, every item once, in order, ties included.
#[tokio::test]
async fn ordered_listings_page_every_item_once_in_order() {
    let t = spawn().await;
    for i in 0..17 {
        let day = 1 + (i % 5);
        t.insert(timed(
            &format!("o{i}"),
            &format!("2030-06-{day:02}T10:00:00Z"),
            &format!("2030-06-{day:02}T11:00:00Z"),
        ))
        .await;
    }
    for order in ["startTime", "updated"] {
        let (all, _, _) = t
            .list_all(&[("singleEvents", "true"), ("orderBy", order)])
            .await;
        for size in ["1", "4", "7"] {
            let (paged, _, pages) = t
                .list_all(&[
                    ("singleEvents", "true"),
                    ("orderBy", order),
                    ("maxResults", size),
                ])
                .await;
            assert_eq!(ids(&paged), ids(&all), "orderBy {order}, pages of {size}");
            assert!(pages > 1);
        }
        let key = if order == "startTime" {
            |i: &Value| i["start"]["dateTime"].as_str().unwrap().to_owned()
        } else {
            |i: &Value| i["updated"].as_str().unwrap().to_owned()
        };
        let keys: Vec<String> = all.iter().map(key).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "orderBy {order}");
        assert_eq!(all.len(), 17);
    }
}

/// A change between two pages of a full listing never makes an untouched entry fall through the cracks: every
/// entry is either on the pages or, having changed, in the next incremental sync.
#[tokio::test]
async fn changes_between_pages_do_not_skip_untouched_entries() {
    let t = spawn().await;
    // Calendar list: the primary calendar plus three more, one per page.
    for name in ["A", "B", "C"] {
        t.ctl.create_calendar(ALICE, name).await.unwrap();
    }
    let first = t
        .get("/users/me/calendarList", &[("maxResults", "1")])
        .await;
    let mut seen: Vec<String> = ids(first.body["items"].as_array().unwrap());
    t.ctl
        .change_calendar(ALICE, &seen[0], &json!({"summary": "renamed"}))
        .await
        .unwrap();
    let mut page = first.body["nextPageToken"].as_str().map(str::to_owned);
    let mut sync = None;
    while let Some(p) = page {
        let r = t
            .get(
                "/users/me/calendarList",
                &[("maxResults", "1"), ("pageToken", &p)],
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        seen.extend(ids(r.body["items"].as_array().unwrap()));
        page = r.body["nextPageToken"].as_str().map(str::to_owned);
        sync = r.body["nextSyncToken"].as_str().map(str::to_owned);
    }
    let delta = t
        .get("/users/me/calendarList", &[("syncToken", &sync.unwrap())])
        .await;
    seen.extend(ids(delta.body["items"].as_array().unwrap()));
    let distinct: HashSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), 4, "every calendar seen: {seen:?}");

    // Ordered events listing: the first-listed event moves after the first page.
    for i in 0..4 {
        t.insert(timed(
            &format!("o{i}"),
            &format!("2030-07-0{}T10:00:00Z", i + 1),
            &format!("2030-07-0{}T11:00:00Z", i + 1),
        ))
        .await;
    }
    let query = [
        ("singleEvents", "true"),
        ("orderBy", "startTime"),
        ("maxResults", "1"),
    ];
    let first = t.get("/calendars/primary/events", &query).await;
    let mut seen: Vec<String> = ids(first.body["items"].as_array().unwrap());
    t.patch(
        &format!("/calendars/primary/events/{}", seen[0]),
        &json!({"summary": "changed"}),
    )
    .await;
    let mut page = first.body["nextPageToken"].as_str().map(str::to_owned);
    let mut sync = None;
    while let Some(p) = page {
        let mut q = query.to_vec();
        q.push(("pageToken", &p));
        let r = t.get("/calendars/primary/events", &q).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        seen.extend(ids(r.body["items"].as_array().unwrap()));
        page = r.body["nextPageToken"].as_str().map(str::to_owned);
        sync = r.body["nextSyncToken"].as_str().map(str::to_owned);
    }
    let (delta, _, _) = t
        .list_all(&[("singleEvents", "true"), ("syncToken", &sync.unwrap())])
        .await;
    seen.extend(ids(&delta));
    let distinct: HashSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), 4, "every event seen: {seen:?}");
}

/// Page sizes: 250 by default, `maxResults` above 2500 is served as 2500.
#[tokio::test]
async fn page_size_defaults_to_250_and_is_capped_at_2500() {
    let events: Vec<Value> = (0..2600)
        .map(|i| {
            json!({"summary": format!("e{i}"), "start": {"dateTime": "2031-03-01T10:00:00Z"},
                   "end": {"dateTime": "2031-03-01T11:00:00Z"}})
        })
        .collect();
    let seed = gcal_emulator::Seed {
        users: vec![gcal_emulator::SeedUser {
            email: ALICE.into(),
            events,
            ..Default::default()
        }],
        clients: vec![],
    };
    let t = crate::support::spawn_with(gcal_emulator::EmulatorConfig {
        seed: Some(seed),
        listing: gcal_emulator::ListingBehaviour::exact(),
        ..Default::default()
    })
    .await;
    let default = t.get("/calendars/primary/events", &[]).await;
    assert_eq!(default.body["items"].as_array().unwrap().len(), 250);
    assert!(default.body["nextPageToken"].is_string());
    assert!(default.body.get("nextSyncToken").is_none());
    let capped = t
        .get("/calendars/primary/events", &[("maxResults", "100000")])
        .await;
    assert_eq!(capped.body["items"].as_array().unwrap().len(), 2500);
    let rest = t
        .get(
            "/calendars/primary/events",
            &[
                ("maxResults", "100000"),
                ("pageToken", capped.body["nextPageToken"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 100);
    assert!(rest.body["nextSyncToken"].is_string());
}
