//! Sign-out while the database is unreachable: the answer is a 503 (the client can retry), never a 200
//! that clears the cookie but leaves the session valid on the server.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;

use crate::support::app::spawn_app_with;
use crate::support::db_proxy::DbProxy;
use crate::support::wait::eventually;

#[tokio::test]
async fn sign_out_during_a_database_outage_is_503_and_the_session_stays_usable_for_a_retry() {
    let proxy: Arc<Mutex<Option<DbProxy>>> = Arc::default();
    let slot = proxy.clone();
    let app = spawn_app_with(move |settings| {
        let (started, proxied) = DbProxy::in_front_of(settings.database.uri.expose());
        settings.database.uri = compass_backend::settings::Secret::new(proxied);
        settings.database.selection_timeout = Duration::from_secs(1);
        settings.database.connect_timeout = Duration::from_secs(1);
        *slot.lock().unwrap() = Some(started);
    })
    .await;
    let (client, _, _) = app.signed_in_client().await;
    let session_status = |client: &reqwest::Client| {
        let request = client.get(app.url("/api/auth/session"));
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(session_status(&client).await, StatusCode::OK);

    proxy.lock().unwrap().as_ref().unwrap().cut();
    let status = app.signout_with(&client).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "a sign-out that could not revoke the session must not report success"
    );

    // Back online: the cookie was kept, the session is still there and a retry signs out.
    proxy.lock().unwrap().as_ref().unwrap().restore();
    let client_ref = &client;
    eventually(
        "store did not recover",
        Duration::from_secs(20),
        || async move { session_status(client_ref).await == StatusCode::OK },
    )
    .await;
    assert_eq!(app.signout_with(&client).await, StatusCode::OK);
    assert_eq!(session_status(&client).await, StatusCode::UNAUTHORIZED);
}
