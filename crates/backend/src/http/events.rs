//! `/api/event` handlers: list, read, create (one or many), update and delete with `applyTo`, reorder.
//! Thin: parse with compass-core, call [`EventService`], map errors (400 naming the field, 404 for
//! unknown and other users' ids, 409 for a reused `_id`). Writes answer `204` after the commit.

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, NaiveTime};
use compass_core::{
    DateRange, DraftMode, EventDate, EventDraft, EventError, EventId, EventQuery, PayloadOrder,
    UpdateScope,
};
use serde::Deserialize;
use serde_json::Value;

use super::error::ApiError;
use crate::accounts::SessionUser;
use crate::domain::time_zone;
use crate::events::service::EventService;
use crate::state::AppState;

/// Registers the routes (relative to `/api`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/event")
            .route("", web::get().to(list))
            .route("", web::post().to(create))
            .route("/reorder", web::put().to(reorder))
            .route("/{id}", web::get().to(get))
            .route("/{id}", web::put().to(update))
            .route("/{id}", web::delete().to(delete)),
    );
}

fn service(state: &AppState) -> EventService {
    EventService::new(&state.store, &state.hub)
}

/// 400 naming the field of an event body error; `prefix` locates the event in a batch (`[2].`).
fn draft_error(prefix: &str, error: &EventError) -> ApiError {
    let field = format!("{prefix}{}", error.field());
    let field = field.trim_end_matches('.').to_owned();
    ApiError::BadRequest {
        field: (!field.is_empty()).then_some(field),
        message: error.to_string(),
    }
}

/// Parses one submitted event: compass-core's checks, then its `timeZone` against the tz database (an
/// unknown zone is a 400 naming `timeZone`, like any other draft error). `prefix` as in [`draft_error`].
fn parse_draft(value: &Value, mode: DraftMode, prefix: &str) -> Result<EventDraft, ApiError> {
    let draft = EventDraft::parse(value, mode).map_err(|e| draft_error(prefix, &e))?;
    if let Some(name) = &draft.time_zone {
        time_zone::resolve(name).map_err(|e| ApiError::BadRequest {
            field: Some(format!("{prefix}timeZone")),
            message: e.to_string(),
        })?;
    }
    Ok(draft)
}

/// The `{id}` path segment as an event id (a malformed id is a 400 naming `id`).
fn path_id(raw: &str) -> Result<EventId, ApiError> {
    EventId::parse(raw).map_err(|e| ApiError::bad_request("id", e.to_string()))
}

/// `date`, moved into 0001-01-01 ..= 9999-12-30 (whole days), so that the range's bounds — including
/// the day after an inclusive end and the local day of a time with a large offset — stay inside the
/// years 1–9999 that can be stored. Events cannot lie outside those years, so nothing is lost.
fn storable_date(date: EventDate) -> EventDate {
    let first = NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = NaiveDate::from_ymd_opt(9999, 12, 30).unwrap_or(NaiveDate::MAX);
    let at = date.start_instant_utc();
    if at
        < first
            .succ_opt()
            .unwrap_or(first)
            .and_time(NaiveTime::MIN)
            .and_utc()
    {
        EventDate::Day(first)
    } else if at > last.and_time(NaiveTime::MIN).and_utc() {
        EventDate::Day(last)
    } else {
        date
    }
}

/// [`storable_date`] applied to both ends (monotone, so the range stays ordered).
fn storable_range(range: DateRange) -> DateRange {
    DateRange::new(storable_date(range.start()), storable_date(range.end())).unwrap_or(range)
}

/// The query of `GET /api/event`.
#[derive(Debug, Deserialize)]
struct ListQuery {
    start: Option<String>,
    end: Option<String>,
    someday: Option<String>,
}

async fn list(
    state: web::Data<AppState>,
    session: SessionUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = EventQuery::parse(
        query.start.as_deref(),
        query.end.as_deref(),
        query.someday.as_deref(),
    )
    .map_err(|e| {
        let field = match &e {
            compass_core::QueryError::MalformedDate { field, .. } => *field,
            compass_core::QueryError::HalfRange | compass_core::QueryError::EndBeforeStart => "end",
            compass_core::QueryError::InvalidSomeday => "someday",
        };
        ApiError::bad_request(field, e.to_string())
    })?;
    let query = EventQuery {
        range: query.range.map(storable_range),
        ..query
    };
    let events = service(&state).list(&session.user_id, &query).await?;
    Ok(HttpResponse::Ok().json(events))
}

async fn get(
    state: web::Data<AppState>,
    session: SessionUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let event = service(&state).get(&session.user_id, &id).await?;
    Ok(HttpResponse::Ok().json(event))
}

async fn create(
    state: web::Data<AppState>,
    session: SessionUser,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let drafts = match body.into_inner() {
        Value::Array(items) if items.is_empty() => {
            return Err(ApiError::malformed(
                "the body must be an event or a non-empty array of events",
            ))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| parse_draft(item, DraftMode::Create, &format!("[{i}].")))
            .collect::<Result<Vec<_>, _>>()?,
        single => vec![parse_draft(&single, DraftMode::Create, "")?],
    };
    service(&state).create(&session.user_id, drafts).await?;
    // The write may have recorded Google writes: the sync worker pushes them now.
    state.sync.wake();
    Ok(HttpResponse::NoContent().finish())
}

/// The `applyTo` query parameter.
#[derive(Debug, Deserialize)]
struct ScopeQuery {
    #[serde(rename = "applyTo")]
    apply_to: Option<String>,
}

fn scope_of(query: &ScopeQuery) -> Result<UpdateScope, ApiError> {
    UpdateScope::from_query(query.apply_to.as_deref())
        .map_err(|e| ApiError::bad_request("applyTo", e.to_string()))
}

async fn update(
    state: web::Data<AppState>,
    session: SessionUser,
    id: web::Path<String>,
    query: web::Query<ScopeQuery>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let scope = scope_of(&query)?;
    let draft = parse_draft(&body, DraftMode::Update, "")?;
    if draft.id.as_ref().is_some_and(|body_id| body_id != &id) {
        return Err(ApiError::bad_request(
            "_id",
            "does not match the id in the path",
        ));
    }
    service(&state)
        .update(&session.user_id, &id, draft, scope)
        .await?;
    state.sync.wake();
    Ok(HttpResponse::NoContent().finish())
}

async fn delete(
    state: web::Data<AppState>,
    session: SessionUser,
    id: web::Path<String>,
    query: web::Query<ScopeQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let scope = scope_of(&query)?;
    service(&state).delete(&session.user_id, &id, scope).await?;
    state.sync.wake();
    Ok(HttpResponse::NoContent().finish())
}

async fn reorder(
    state: web::Data<AppState>,
    session: SessionUser,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let items: Vec<PayloadOrder> = serde_json::from_value(body.into_inner()).map_err(|e| {
        ApiError::malformed(format!(
            "the body must be an array of {{_id, order}} objects: {e}"
        ))
    })?;
    if items.is_empty() {
        return Err(ApiError::malformed("No events to reorder"));
    }
    let count = service(&state).reorder(&session.user_id, items).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "acknowledged": true,
        "matchedCount": count,
        "modifiedCount": count,
    })))
}
