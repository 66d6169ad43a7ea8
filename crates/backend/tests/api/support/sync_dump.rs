//! What both sides hold for one Google-connected user, as text for a failing sync test's report: the user's
//! outbox entries, Compass events (with their Google ids and etags), conflict records, sync cursors, dirty
//! marks, watches and leases, every event Google stores in the primary calendar (cancelled ones included) and
//! the user's Calendar API requests still in the emulator's bounded request log (token requests without their
//! bodies). A divergence that does not replay can then be read after the fact.

use futures::TryStreamExt as _;
use mongodb::bson::{doc, Document};
use serde_json::Value;

use super::app::TestApp;

/// The dump for `email` (see the module docs); never fails (what cannot be read says so).
pub async fn sync_dump(app: &TestApp, email: &str) -> String {
    let mut out = String::new();
    let store = app.store();
    let database = store.database();
    let user = match database
        .collection::<Document>("user")
        .find_one(doc! { "email": email })
        .await
    {
        Ok(Some(user)) => user.get_object_id("_id").ok(),
        other => {
            out.push_str(&format!("user {email} not read: {other:?}\n"));
            None
        }
    };
    if let Some(user) = user {
        // Leases are named `<kind>:<user>[:<calendar>]`.
        let leased = doc! { "_id": { "$regex": format!(":{}(:|$)", user.to_hex()) } };
        for (collection, filter, sort) in [
            ("outbox", doc! { "user": user }, doc! { "createdAt": 1 }),
            ("event", doc! { "user": user }, doc! { "startDate": 1 }),
            ("sync_conflict", doc! { "user": user }, doc! { "_id": 1 }),
            ("sync", doc! { "user": user }, doc! { "_id": 1 }),
            ("sync_dirty", doc! { "user": user }, doc! { "_id": 1 }),
            ("watch", doc! { "user": user }, doc! { "_id": 1 }),
            ("lease", leased, doc! { "_id": 1 }),
        ] {
            out.push_str(&format!("-- {collection}:\n"));
            let found = database
                .collection::<Document>(collection)
                .find(filter)
                .sort(sort)
                .await;
            match found {
                Ok(cursor) => match cursor.try_collect::<Vec<_>>().await {
                    Ok(docs) => {
                        for document in docs {
                            out.push_str(&format!("{document}\n"));
                        }
                    }
                    Err(error) => out.push_str(&format!("not read: {error}\n")),
                },
                Err(error) => out.push_str(&format!("not read: {error}\n")),
            }
        }
    }
    let control = app.control();
    out.push_str("-- Google (stored, cancelled included):\n");
    match control.events(email, email).await {
        Ok(events) => {
            for event in events {
                out.push_str(&format!("{}\n", compact(&event)));
            }
        }
        Err(error) => out.push_str(&format!("not read: {error}\n")),
    }
    out.push_str("-- Calendar API requests still logged:\n");
    match control.requests(None).await {
        Ok(requests) => {
            for request in requests.iter().filter(|r| r.user.as_deref() == Some(email)) {
                out.push_str(&format!(
                    "{} {} {} {}?{} → {} {}\n",
                    request.at,
                    request.method,
                    request.operation.as_deref().unwrap_or("?"),
                    request.path,
                    request.query,
                    request.status,
                    // Token requests carry codes and refresh tokens: left out.
                    match request.operation.as_deref() {
                        Some(operation) if operation.starts_with("oauth.") => String::new(),
                        _ => request.body.as_deref().unwrap_or("").replace('\n', " "),
                    }
                ));
            }
        }
        Err(error) => out.push_str(&format!("not read: {error}\n")),
    }
    out
}

/// An event without the fields that only add noise to a report.
fn compact(event: &Value) -> String {
    let mut event = event.clone();
    if let Some(map) = event.as_object_mut() {
        for noise in [
            "kind",
            "htmlLink",
            "creator",
            "organizer",
            "iCalUID",
            "reminders",
            "eventType",
        ] {
            map.remove(noise);
        }
    }
    event.to_string()
}
