//! The control API under `/_emulator`: users and calendars, events changed "as the user in Google's UI"
//! (these fire notifications like any change), direct token minting, grant revocation and token expiry,
//! sync-token expiry, fault rules, the request log, channels, delivery records, notification control (pause,
//! resume, flush, pending, coalescing), the virtual clock and reset.
//! Documented in `docs/gcal-emulator.md`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::AppState;
use crate::error::ControlError;
use crate::server::fresh_store;
use crate::store::calendars::CalendarChange;
use crate::store::event_time::rfc3339_millis;
use crate::store::faults::FaultSpec;
use crate::store::User;

type State = web::Data<AppState>;
type CtlResult = Result<HttpResponse, ControlError>;

/// Registers the control routes.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/_emulator")
            .route("/health", web::get().to(health))
            .route("/reset", web::post().to(reset))
            .route("/users", web::post().to(create_user))
            .route("/users", web::get().to(list_users))
            .route("/users/{email}/tokens", web::post().to(mint_tokens))
            .route("/users/{email}/revoke", web::post().to(revoke_user))
            .route(
                "/users/{email}/expire-access-tokens",
                web::post().to(expire_access),
            )
            .route(
                "/users/{email}/expire-refresh-tokens",
                web::post().to(expire_refresh),
            )
            .route("/users/{email}/calendars", web::post().to(create_calendar))
            .route(
                "/users/{email}/calendars/{cal}",
                web::patch().to(change_calendar),
            )
            .route(
                "/users/{email}/calendars/{cal}",
                web::delete().to(delete_calendar),
            )
            .route(
                "/users/{email}/calendars/{cal}/events",
                web::get().to(list_events),
            )
            .route(
                "/users/{email}/calendars/{cal}/events",
                web::post().to(insert_event),
            )
            .route(
                "/users/{email}/calendars/{cal}/events/{id}",
                web::get().to(get_event),
            )
            .route(
                "/users/{email}/calendars/{cal}/events/{id}",
                web::patch().to(patch_event),
            )
            .route(
                "/users/{email}/calendars/{cal}/events/{id}",
                web::put().to(update_event),
            )
            .route(
                "/users/{email}/calendars/{cal}/events/{id}",
                web::delete().to(delete_event),
            )
            .route("/sync-tokens/expire", web::post().to(expire_sync_tokens))
            .route("/oauth/auto-approve", web::put().to(auto_approve))
            .route("/faults", web::post().to(add_fault))
            .route("/faults", web::get().to(list_faults))
            .route("/faults", web::delete().to(clear_faults))
            .route("/faults/{id}", web::delete().to(clear_fault))
            .route("/requests", web::get().to(requests))
            .route("/requests", web::delete().to(clear_requests))
            .route("/channels", web::get().to(channels))
            .route("/channels/{id}", web::delete().to(drop_channel))
            .route("/notifications", web::get().to(notifications))
            .route("/notifications/pause", web::post().to(pause_notifications))
            .route(
                "/notifications/resume",
                web::post().to(resume_notifications),
            )
            .route("/notifications/flush", web::post().to(flush_notifications))
            .route(
                "/notifications/pending",
                web::get().to(pending_notifications),
            )
            .route("/notifications/coalescing", web::put().to(set_coalescing))
            .route("/clock", web::get().to(clock))
            .route("/clock/advance", web::post().to(advance_clock))
            .route("/avatar/{sub}", web::get().to(avatar)),
    );
}

fn body_json<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ControlError> {
    let slice = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(slice)
        .map_err(|e| ControlError::bad_request(format!("invalid JSON body: {e}")))
}

fn user_json(u: &User) -> Value {
    json!({"email": u.email, "sub": u.sub, "name": u.name, "primaryCalendarId": u.email, "calendars": u.calendars})
}

fn known_user(state: &AppState, email: &str) -> Result<String, ControlError> {
    state
        .lock()
        .user(email)
        .map(|u| u.email.clone())
        .ok_or_else(|| ControlError::not_found(format!("unknown user {email}")))
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn reset(state: State) -> CtlResult {
    let fresh = fresh_store(&state.config, state.clock.clone()).map_err(|e| ControlError {
        status: 500,
        message: e.to_string(),
    })?;
    let mut store = state.lock();
    for id in store.channels.keys().cloned().collect::<Vec<_>>() {
        store.drop_channel(&id);
    }
    *store = fresh;
    Ok(HttpResponse::Ok().json(json!({"reset": true})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewUser {
    email: String,
    name: Option<String>,
    time_zone: Option<String>,
}

async fn create_user(state: State, body: web::Bytes) -> CtlResult {
    let req: NewUser = body_json(&body)?;
    let user =
        state
            .lock()
            .ensure_user(&req.email, req.name.as_deref(), req.time_zone.as_deref())?;
    Ok(HttpResponse::Created().json(user_json(&user)))
}

async fn list_users(state: State) -> HttpResponse {
    let users: Vec<Value> = state.lock().users.values().map(user_json).collect();
    HttpResponse::Ok().json(users)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MintTokens {
    scope: Option<String>,
    client_id: Option<String>,
    offline: Option<bool>,
}

async fn mint_tokens(state: State, path: web::Path<String>, body: web::Bytes) -> CtlResult {
    let req: MintTokens = body_json(&body)?;
    let email = known_user(&state, &path)?;
    let scope = req.scope.unwrap_or_else(|| {
        "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile \
         https://www.googleapis.com/auth/calendar"
            .to_owned()
    });
    let client = req
        .client_id
        .unwrap_or_else(|| "emulator-client".to_owned());
    let issued = state.lock().auth.create_grant(
        &email,
        &client,
        &scope,
        req.offline.unwrap_or(true),
        state.config.access_token_lifetime,
        state.config.refresh_token_lifetime,
    );
    Ok(HttpResponse::Ok().json(json!({
        "access_token": issued.access_token, "refresh_token": issued.refresh_token, "expires_in": issued.expires_in,
        "scope": issued.scope, "token_type": "Bearer", "client_id": client,
    })))
}

async fn revoke_user(state: State, path: web::Path<String>) -> CtlResult {
    let email = known_user(&state, &path)?;
    let n = state.lock().auth.revoke_user(&email);
    Ok(HttpResponse::Ok().json(json!({"revoked": n})))
}

async fn expire_access(state: State, path: web::Path<String>) -> CtlResult {
    let email = known_user(&state, &path)?;
    let n = state.lock().auth.expire_access_tokens(&email);
    Ok(HttpResponse::Ok().json(json!({"expired": n})))
}

async fn expire_refresh(state: State, path: web::Path<String>) -> CtlResult {
    let email = known_user(&state, &path)?;
    let n = state.lock().auth.expire_refresh_tokens(&email);
    Ok(HttpResponse::Ok().json(json!({"expired": n})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewCalendar {
    id: Option<String>,
    summary: String,
    time_zone: Option<String>,
}

async fn create_calendar(state: State, path: web::Path<String>, body: web::Bytes) -> CtlResult {
    let req: NewCalendar = body_json(&body)?;
    let email = known_user(&state, &path)?;
    let mut store = state.lock();
    let zone = req
        .time_zone
        .or_else(|| store.calendars.get(&email).map(|c| c.time_zone.clone()))
        .unwrap_or_else(|| "UTC".to_owned());
    let entry = store.create_calendar(&email, req.id.as_deref(), &req.summary, &zone, false)?;
    Ok(HttpResponse::Created().json(entry))
}

async fn change_calendar(
    state: State,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> CtlResult {
    let change: CalendarChange = body_json(&body)?;
    let (email, cal) = path.into_inner();
    let email = known_user(&state, &email)?;
    Ok(HttpResponse::Ok().json(state.lock().change_calendar(&email, &cal, &change)?))
}

async fn delete_calendar(state: State, path: web::Path<(String, String)>) -> CtlResult {
    let (email, cal) = path.into_inner();
    let email = known_user(&state, &email)?;
    state.lock().delete_calendar(&email, &cal)?;
    Ok(HttpResponse::NoContent().finish())
}

async fn list_events(state: State, path: web::Path<(String, String)>) -> CtlResult {
    let (email, cal) = path.into_inner();
    let email = known_user(&state, &email)?;
    let store = state.lock();
    let calendar = store.owned_calendar(&email, &cal)?;
    let items: Vec<Value> = calendar
        .by_change
        .values()
        .filter_map(|id| calendar.events.get(id))
        .map(|e| e.full_json(calendar))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

async fn insert_event(
    state: State,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> CtlResult {
    let (email, cal) = path.into_inner();
    let email = known_user(&state, &email)?;
    let body: Value = body_json(&body)?;
    Ok(HttpResponse::Ok().json(state.lock().insert_event(&email, &cal, &body)?))
}

async fn get_event(state: State, path: web::Path<(String, String, String)>) -> CtlResult {
    let (email, cal, id) = path.into_inner();
    let email = known_user(&state, &email)?;
    Ok(HttpResponse::Ok().json(state.lock().get_event(&email, &cal, &id)?))
}

async fn write_event(
    state: State,
    path: web::Path<(String, String, String)>,
    body: web::Bytes,
    patch: bool,
) -> CtlResult {
    let (email, cal, id) = path.into_inner();
    let email = known_user(&state, &email)?;
    let body: Value = body_json(&body)?;
    Ok(HttpResponse::Ok().json(
        state
            .lock()
            .write_event(&email, &cal, &id, &body, patch, None)?,
    ))
}

async fn patch_event(
    state: State,
    path: web::Path<(String, String, String)>,
    body: web::Bytes,
) -> CtlResult {
    write_event(state, path, body, true).await
}

async fn update_event(
    state: State,
    path: web::Path<(String, String, String)>,
    body: web::Bytes,
) -> CtlResult {
    write_event(state, path, body, false).await
}

async fn delete_event(state: State, path: web::Path<(String, String, String)>) -> CtlResult {
    let (email, cal, id) = path.into_inner();
    let email = known_user(&state, &email)?;
    state.lock().delete_event(&email, &cal, &id, None)?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExpireTokens {
    user: Option<String>,
    calendar_id: Option<String>,
}

async fn expire_sync_tokens(state: State, body: web::Bytes) -> CtlResult {
    let req: ExpireTokens = body_json(&body)?;
    if req.calendar_id.is_some() && req.user.is_none() {
        return Err(ControlError::bad_request("calendarId needs user"));
    }
    let n = state
        .lock()
        .expire_sync_tokens(req.user.as_deref(), req.calendar_id.as_deref())?;
    Ok(HttpResponse::Ok().json(json!({"expired": n})))
}

#[derive(Deserialize)]
struct AutoApprove {
    email: Option<String>,
}

async fn auto_approve(state: State, body: web::Bytes) -> CtlResult {
    let req: AutoApprove = body_json(&body)?;
    state.lock().auto_approve = req.email.clone();
    Ok(HttpResponse::Ok().json(json!({"email": req.email})))
}

/// Longest latency a fault rule may add (one hour): longer would only wedge the caller.
const MAX_LATENCY_MS: u64 = 3_600_000;

async fn add_fault(state: State, body: web::Bytes) -> CtlResult {
    let spec: FaultSpec = body_json(&body)?;
    if spec.operation.is_empty() {
        return Err(ControlError::bad_request("operation is required"));
    }
    if spec.latency_ms.is_some_and(|ms| ms > MAX_LATENCY_MS) {
        return Err(ControlError::bad_request(format!(
            "latencyMs may be at most {MAX_LATENCY_MS}"
        )));
    }
    if let Some(problem) = spec.problem() {
        return Err(ControlError::bad_request(problem));
    }
    let id = state.lock().faults.add(spec);
    Ok(HttpResponse::Created().json(json!({"id": id})))
}

async fn list_faults(state: State) -> HttpResponse {
    let rules: Vec<Value> = state
        .lock()
        .faults
        .list()
        .into_iter()
        .map(|r| json!({"id": r.id, "spec": r.spec, "remaining": r.remaining, "hits": r.hits}))
        .collect();
    HttpResponse::Ok().json(rules)
}

async fn clear_faults(state: State) -> HttpResponse {
    state.lock().faults.clear(None);
    HttpResponse::NoContent().finish()
}

async fn clear_fault(state: State, path: web::Path<u64>) -> CtlResult {
    if state.lock().faults.clear(Some(*path)) {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ControlError::not_found("unknown fault"))
    }
}

async fn requests(state: State, req: HttpRequest) -> HttpResponse {
    let params = super::query(&req);
    let op = params
        .iter()
        .find(|(k, _)| k == "operation")
        .map(|(_, v)| v.as_str());
    HttpResponse::Ok().json(state.lock().log.entries(op))
}

async fn clear_requests(state: State) -> HttpResponse {
    state.lock().log.clear();
    HttpResponse::NoContent().finish()
}

async fn channels(state: State) -> HttpResponse {
    HttpResponse::Ok().json(state.lock().channels_json())
}

async fn drop_channel(state: State, path: web::Path<String>) -> CtlResult {
    if state.lock().drop_channel(&path) {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ControlError::not_found("unknown channel"))
    }
}

async fn notifications(state: State) -> HttpResponse {
    let records: Vec<_> = state.lock().deliveries.iter().cloned().collect();
    HttpResponse::Ok().json(records)
}

async fn pause_notifications(state: State) -> HttpResponse {
    state.lock().notifier.paused = true;
    HttpResponse::Ok().json(json!({"paused": true}))
}

async fn resume_notifications(state: State) -> HttpResponse {
    let mut store = state.lock();
    store.notifier.paused = false;
    store.wake_deliveries();
    HttpResponse::Ok().json(json!({"paused": false}))
}

/// Longest a flush waits for deliveries (each POST times out after 5 s and is tried 3 times).
const FLUSH_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

async fn flush_notifications(state: State) -> CtlResult {
    let (mark, count) = {
        let mut store = state.lock();
        let mark = store.start_flush();
        (mark, store.flush_left(mark))
    };
    let deadline = tokio::time::Instant::now() + FLUSH_DEADLINE;
    loop {
        let left = state.lock().flush_left(mark);
        if left == 0 {
            return Ok(HttpResponse::Ok().json(json!({"flushed": count})));
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ControlError {
                status: 504,
                message: format!("{left} notifications still undelivered after the flush deadline"),
            });
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

async fn pending_notifications(state: State) -> HttpResponse {
    HttpResponse::Ok().json(state.lock().pending_json())
}

#[derive(Deserialize)]
struct Coalescing {
    enabled: bool,
}

async fn set_coalescing(state: State, body: web::Bytes) -> CtlResult {
    let req: Coalescing = body_json(&body)?;
    state.lock().notifier.coalesce = req.enabled;
    Ok(HttpResponse::Ok().json(json!({"coalescing": req.enabled})))
}

fn clock_json(state: &AppState) -> Value {
    json!({"now": rfc3339_millis(state.clock.now()), "offsetSeconds": state.clock.offset().as_secs_f64()})
}

async fn clock(state: State) -> HttpResponse {
    HttpResponse::Ok().json(clock_json(&state))
}

#[derive(Deserialize)]
struct Advance {
    seconds: f64,
}

async fn advance_clock(state: State, body: web::Bytes) -> CtlResult {
    let req: Advance = body_json(&body)?;
    let max = crate::clock::MAX_ADVANCE_SECS as f64;
    if !(req.seconds.is_finite() && (0.0..=max).contains(&req.seconds)) {
        return Err(ControlError::bad_request(format!(
            "seconds must be between 0 and {max} (the clock only moves forward)"
        )));
    }
    state
        .clock
        .advance(std::time::Duration::from_secs_f64(req.seconds));
    {
        let mut store = state.lock();
        store.expire_channels();
        store.purge_tombstones();
        store.wake_deliveries();
    }
    Ok(HttpResponse::Ok().json(clock_json(&state)))
}

async fn avatar() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .body("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"96\" height=\"96\"><circle cx=\"48\" cy=\"48\" r=\"48\" fill=\"#7986cb\"/></svg>")
}
