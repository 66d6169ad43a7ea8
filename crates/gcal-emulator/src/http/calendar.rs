//! Google Calendar v3 handlers under `/calendar/v3`: calendarList (list, get, watch), calendars.get, events
//! (list, get, insert, update, patch, delete, instances, watch) and channels.stop. Handlers are thin:
//! faults → auth → one store call → JSON.

use actix_web::{web, HttpRequest, HttpResponse};

use super::fields::Shape;
use super::{authenticate_for, begin, if_match, json_body, query, AppState};
use crate::error::ApiError;
use crate::notify::spawn_delivery;
use crate::store::channels::WatchRequest;

type State = web::Data<AppState>;
type ApiResult = Result<HttpResponse, ApiError>;

/// Registers the Calendar routes.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/calendar/v3")
            .route("/users/me/calendarList", web::get().to(calendar_list))
            .route(
                "/users/me/calendarList/watch",
                web::post().to(calendar_list_watch),
            )
            .route(
                "/users/me/calendarList/{calendarId}",
                web::get().to(calendar_list_get),
            )
            .route("/calendars/{calendarId}", web::get().to(calendars_get))
            .route("/calendars/{calendarId}/events", web::get().to(events_list))
            .route(
                "/calendars/{calendarId}/events",
                web::post().to(events_insert),
            )
            .route(
                "/calendars/{calendarId}/events/watch",
                web::post().to(events_watch),
            )
            .route(
                "/calendars/{calendarId}/events/{eventId}/instances",
                web::get().to(events_instances),
            )
            .route(
                "/calendars/{calendarId}/events/{eventId}",
                web::get().to(events_get),
            )
            .route(
                "/calendars/{calendarId}/events/{eventId}",
                web::put().to(events_update),
            )
            .route(
                "/calendars/{calendarId}/events/{eventId}",
                web::patch().to(events_patch),
            )
            .route(
                "/calendars/{calendarId}/events/{eventId}",
                web::delete().to(events_delete),
            )
            .route("/channels/stop", web::post().to(channels_stop)),
    );
}

/// 200 with `value`, shaped as the request asked (`fields`, `maxAttendees`).
fn ok(shape: &Shape, value: serde_json::Value) -> HttpResponse {
    HttpResponse::Ok().json(shape.apply(value))
}

async fn calendar_list(state: State, req: HttpRequest) -> ApiResult {
    begin(&state, &req, "calendar.calendarList.list").await?;
    let p = authenticate_for(&state, &req, "calendar.calendarList.list")?;
    let shape = Shape::requested(&query(&req))?;
    Ok(ok(
        &shape,
        state.lock().list_calendar_list(&p.user, &query(&req))?,
    ))
}

async fn calendar_list_get(state: State, req: HttpRequest, path: web::Path<String>) -> ApiResult {
    begin(&state, &req, "calendar.calendarList.get").await?;
    let p = authenticate_for(&state, &req, "calendar.calendarList.get")?;
    let shape = Shape::requested(&query(&req))?;
    let store = state.lock();
    Ok(ok(
        &shape,
        store.owned_calendar(&p.user, &path)?.list_entry_json(),
    ))
}

async fn calendars_get(state: State, req: HttpRequest, path: web::Path<String>) -> ApiResult {
    begin(&state, &req, "calendar.calendars.get").await?;
    let p = authenticate_for(&state, &req, "calendar.calendars.get")?;
    let shape = Shape::requested(&query(&req))?;
    let store = state.lock();
    Ok(ok(
        &shape,
        store.owned_calendar(&p.user, &path)?.calendar_json(),
    ))
}

async fn events_list(state: State, req: HttpRequest, path: web::Path<String>) -> ApiResult {
    begin(&state, &req, "calendar.events.list").await?;
    let p = authenticate_for(&state, &req, "calendar.events.list")?;
    let shape = Shape::requested(&query(&req))?;
    Ok(ok(
        &shape,
        state.lock().list_events(&p.user, &path, &query(&req))?,
    ))
}

async fn events_instances(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> ApiResult {
    begin(&state, &req, "calendar.events.instances").await?;
    let p = authenticate_for(&state, &req, "calendar.events.instances")?;
    let shape = Shape::requested(&query(&req))?;
    let (cal, id) = path.into_inner();
    Ok(ok(
        &shape,
        state
            .lock()
            .list_instances(&p.user, &cal, &id, &query(&req))?,
    ))
}

async fn events_get(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> ApiResult {
    begin(&state, &req, "calendar.events.get").await?;
    let p = authenticate_for(&state, &req, "calendar.events.get")?;
    let shape = Shape::requested(&query(&req))?;
    let (cal, id) = path.into_inner();
    let params = query(&req);
    let zone = params
        .iter()
        .find(|(k, _)| k == "timeZone")
        .map(|(_, v)| v.as_str());
    let event = state.lock().get_event_in(&p.user, &cal, &id, zone)?;
    let etag = event
        .get("etag")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned();
    let none_match = req
        .headers()
        .get("If-None-Match")
        .and_then(|v| v.to_str().ok());
    if none_match.is_some_and(|t| t.trim() == etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header(("ETag", etag))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag))
        .json(shape.apply(event)))
}

async fn events_insert(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult {
    begin(&state, &req, "calendar.events.insert").await?;
    let p = authenticate_for(&state, &req, "calendar.events.insert")?;
    let shape = Shape::requested(&query(&req))?;
    let body = json_body(&body)?;
    Ok(ok(
        &shape,
        state.lock().insert_event(&p.user, &path, &body)?,
    ))
}

async fn write(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
    patch: bool,
) -> ApiResult {
    let operation = if patch {
        "calendar.events.patch"
    } else {
        "calendar.events.update"
    };
    begin(&state, &req, operation).await?;
    let p = authenticate_for(&state, &req, operation)?;
    let shape = Shape::requested(&query(&req))?;
    let body = json_body(&body)?;
    let (cal, id) = path.into_inner();
    let tag = if_match(&req);
    Ok(ok(
        &shape,
        state
            .lock()
            .write_event(&p.user, &cal, &id, &body, patch, tag.as_deref())?,
    ))
}

async fn events_update(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> ApiResult {
    write(state, req, path, body, false).await
}

async fn events_patch(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> ApiResult {
    write(state, req, path, body, true).await
}

async fn events_delete(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> ApiResult {
    begin(&state, &req, "calendar.events.delete").await?;
    let p = authenticate_for(&state, &req, "calendar.events.delete")?;
    Shape::requested(&query(&req))?;
    let (cal, id) = path.into_inner();
    let tag = if_match(&req);
    state
        .lock()
        .delete_event(&p.user, &cal, &id, tag.as_deref())?;
    Ok(HttpResponse::NoContent().finish())
}

async fn events_watch(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult {
    begin(&state, &req, "calendar.events.watch").await?;
    let p = authenticate_for(&state, &req, "calendar.events.watch")?;
    let shape = Shape::requested(&query(&req))?;
    let request = WatchRequest::parse(&json_body(&body)?, state.config.allow_http_addresses)?;
    let (json, queue, target) = {
        let mut store = state.lock();
        let cal = store.resolve_calendar_id(&p.user, &path)?;
        store.create_channel(&p.user, &p.client_id, Some(cal), request, &state.base_url)?
    };
    spawn_delivery(state.clone().into_inner(), queue, target);
    Ok(ok(&shape, json))
}

async fn calendar_list_watch(state: State, req: HttpRequest, body: web::Bytes) -> ApiResult {
    begin(&state, &req, "calendar.calendarList.watch").await?;
    let p = authenticate_for(&state, &req, "calendar.calendarList.watch")?;
    let shape = Shape::requested(&query(&req))?;
    let request = WatchRequest::parse(&json_body(&body)?, state.config.allow_http_addresses)?;
    let (json, queue, target) =
        state
            .lock()
            .create_channel(&p.user, &p.client_id, None, request, &state.base_url)?;
    spawn_delivery(state.clone().into_inner(), queue, target);
    Ok(ok(&shape, json))
}

async fn channels_stop(state: State, req: HttpRequest, body: web::Bytes) -> ApiResult {
    begin(&state, &req, "calendar.channels.stop").await?;
    let p = authenticate_for(&state, &req, "calendar.channels.stop")?;
    Shape::requested(&query(&req))?;
    let body = json_body(&body)?;
    let text = |k: &str| body.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let id = text("id").ok_or_else(|| ApiError::required("id"))?;
    let resource_id = text("resourceId").ok_or_else(|| ApiError::required("resourceId"))?;
    state
        .lock()
        .stop_channel(&p.user, &p.client_id, &id, &resource_id)?;
    Ok(HttpResponse::NoContent().finish())
}
