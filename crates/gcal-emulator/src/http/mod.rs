//! HTTP layer: shared application state, the route table, the middleware that records requests (headers,
//! bodies) and applies "after commit" faults, and helpers every Google-facing handler uses (fault injection,
//! bearer-token authentication, query and body parsing).

pub(crate) mod calendar;
pub(crate) mod control;
pub(crate) mod fields;
pub(crate) mod oauth;

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpMessage, HttpRequest, ResponseError};
use serde_json::Value;

use crate::clock::Clock;
use crate::config::EmulatorConfig;
use crate::error::ApiError;
use crate::store::auth::Principal;
use crate::store::event_time::rfc3339_millis;
use crate::store::faults::FaultContext;
use crate::store::listing::Params;
use crate::store::request_log::LoggedRequest;
use crate::store::Store;

/// State shared by all handlers.
pub(crate) struct AppState {
    /// Everything mutable.
    pub store: Mutex<Store>,
    /// The virtual clock (the store holds a handle on the same one).
    pub clock: Clock,
    /// The configuration the emulator started with (seed clients merged in).
    pub config: EmulatorConfig,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Signs ID tokens.
    pub signer: crate::id_token::IdTokenSigner,
}

impl AppState {
    /// Locks the store (a panic elsewhere does not make the state unusable).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The Google operation a request was recognised as (for the request log).
#[derive(Debug, Clone)]
pub(crate) struct Operation(pub &'static str);

/// The authenticated user of a request (for the request log).
#[derive(Debug, Clone)]
pub(crate) struct AuthedUser(pub String);

/// A fault to apply once the handler has run (the write is committed): answer this error, or drop the
/// connection when `None`.
#[derive(Debug, Clone)]
pub(crate) struct AfterCommit(pub Option<ApiError>);

/// A duplicate of the connection's socket, so a `connectionReset` fault can close it without an answer.
#[derive(Debug, Clone)]
pub(crate) struct Connection(#[cfg(unix)] Arc<std::os::fd::OwnedFd>);

/// `HttpServer::on_connect` hook: remembers the socket of each connection.
pub(crate) fn remember_connection(conn: &dyn Any, ext: &mut Extensions) {
    #[cfg(unix)]
    if let Some(stream) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
        use std::os::fd::AsFd;
        if let Ok(fd) = stream.as_fd().try_clone_to_owned() {
            ext.insert(Connection(Arc::new(fd)));
        }
    }
    #[cfg(not(unix))]
    let _ = (conn, ext);
}

/// Closes the connection of `req` (both directions) so the client gets no answer.
fn drop_connection(req: &HttpRequest) {
    #[cfg(unix)]
    if let Some(Connection(fd)) = req.conn_data::<Connection>() {
        if let Ok(fd) = fd.try_clone() {
            let _ = std::net::TcpStream::from(fd).shutdown(std::net::Shutdown::Both);
        }
    }
    #[cfg(not(unix))]
    let _ = req;
}

/// Marks the request as `operation` and applies fault rules (latency, then an error or a dropped connection,
/// at once or — `afterCommit` — once the handler has run). Rules may be narrowed to the caller's user (from
/// its bearer token), the calendar of the path (`primary` resolved) and the HTTP method.
pub(crate) async fn begin(
    state: &AppState,
    req: &HttpRequest,
    operation: &'static str,
) -> Result<(), ApiError> {
    req.extensions_mut().insert(Operation(operation));
    let effect = {
        let mut store = state.lock();
        if operation.starts_with("calendar.") {
            store.purge_tombstones_now_and_then();
        }
        let user = bearer(req)
            .and_then(|t| store.auth.principal(&t))
            .map(|p| p.user);
        let calendar = req
            .match_info()
            .get("calendarId")
            .map(|c| match (&user, c) {
                (Some(u), "primary") => u.clone(),
                _ => c.to_owned(),
            });
        store.faults.take(&FaultContext {
            operation,
            user: user.as_deref(),
            calendar: calendar.as_deref(),
            channel: None,
            method: Some(req.method().as_str()),
        })
    };
    if !effect.delay.is_zero() {
        tokio::time::sleep(effect.delay).await;
    }
    if effect.after_commit && (effect.error.is_some() || effect.reset) {
        req.extensions_mut().insert(AfterCommit(effect.error));
        return Ok(());
    }
    if effect.reset {
        drop_connection(req);
        return Err(ApiError::backend_error());
    }
    match effect.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The bearer token of a request (`Authorization: Bearer`, or the `access_token` / `oauth_token` parameter).
pub(crate) fn bearer(req: &HttpRequest) -> Option<String> {
    if let Some(h) = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, token) = h.trim().split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned());
    }
    let params = query(req);
    params
        .into_iter()
        .find(|(k, _)| k == "access_token" || k == "oauth_token")
        .map(|(_, v)| v)
}

/// Authenticates a request for the Calendar method `operation` (discovery id): the token must hold one of the
/// scopes the discovery document lists for it, else 403 `insufficientPermissions`.
pub(crate) fn authenticate_for(
    state: &AppState,
    req: &HttpRequest,
    operation: &str,
) -> Result<Principal, ApiError> {
    let principal = principal_of(state, req)?;
    if !crate::scopes::allows(operation, &principal.scope) {
        return Err(ApiError::insufficient_permissions());
    }
    Ok(principal)
}

/// The principal of a request's bearer token (401 without a valid one), recorded for the request log.
fn principal_of(state: &AppState, req: &HttpRequest) -> Result<Principal, ApiError> {
    let token = bearer(req).ok_or_else(|| {
        ApiError::new(401, "global", "required", "Login Required.").at("header", "Authorization")
    })?;
    let principal = state
        .lock()
        .auth
        .principal(&token)
        .ok_or_else(ApiError::auth_error)?;
    req.extensions_mut()
        .insert(AuthedUser(principal.user.clone()));
    Ok(principal)
}

/// The query parameters of a request, in order, repeated keys kept.
pub(crate) fn query(req: &HttpRequest) -> Params {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect()
}

/// Parses a JSON request body the way Google reports a bad one.
pub(crate) fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::new(400, "global", "parseError", "Parse Error"))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(ApiError::new(400, "global", "parseError", "Parse Error"))
    }
}

/// The `If-Match` header, if any.
pub(crate) fn if_match(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("If-Match")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Builds the actix application routes (Google paths, OAuth, control API) with request logging.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    calendar::configure(cfg);
    oauth::configure(cfg);
    control::configure(cfg);
}

/// Longest request body kept in the request log (bytes); longer ones are cut.
const LOGGED_BODY: usize = 64 * 1024;

/// Request headers for the log, with credentials redacted.
fn logged_headers(req: &ServiceRequest) -> BTreeMap<String, String> {
    req.headers()
        .iter()
        .map(|(k, v)| {
            let name = k.as_str().to_ascii_lowercase();
            let value = if matches!(name.as_str(), "authorization" | "cookie") {
                "[redacted]".to_owned()
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            };
            (name, value)
        })
        .collect()
}

/// A request body for the log: text (cut at [`LOGGED_BODY`]) with `client_secret` form values redacted.
fn logged_body(bytes: &[u8], form: bool) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    if form {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(bytes)
            .map(|(k, v)| {
                let v = if k == "client_secret" {
                    "[redacted]".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        return Some(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish(),
        );
    }
    let cut = &bytes[..bytes.len().min(LOGGED_BODY)];
    Some(String::from_utf8_lossy(cut).into_owned())
}

/// Middleware of every request: keeps the headers and body of Google-facing requests for the log, applies an
/// after-commit fault to a successful answer, and records the request (control-API calls are not logged).
async fn observe(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.path().starts_with("/_emulator") {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let headers = logged_headers(&req);
    let bytes = req.extract::<web::Bytes>().await?;
    let form = req
        .content_type()
        .eq_ignore_ascii_case("application/x-www-form-urlencoded");
    let body = logged_body(&bytes, form);
    req.set_payload(actix_web::dev::Payload::from(bytes));
    let mut res = next.call(req).await?.map_into_boxed_body();
    let after = res.request().extensions().get::<AfterCommit>().cloned();
    if let Some(AfterCommit(error)) = after.filter(|_| res.status().is_success()) {
        let (request, _) = res.into_parts();
        let error = error.unwrap_or_else(|| {
            drop_connection(&request);
            ApiError::backend_error()
        });
        res = ServiceResponse::new(request, error.error_response());
    }
    if let Some(state) = state {
        log_response(&state, &res, headers, body);
    }
    Ok(res)
}

/// Records a finished request in the request log.
fn log_response(
    state: &AppState,
    res: &ServiceResponse<BoxBody>,
    headers: BTreeMap<String, String>,
    body: Option<String>,
) {
    let req = res.request();
    let operation = req.extensions().get::<Operation>().map(|o| o.0.to_owned());
    let user = req.extensions().get::<AuthedUser>().map(|u| u.0.clone());
    let entry = LoggedRequest {
        seq: 0,
        at: rfc3339_millis(state.clock.now()),
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: req.query_string().to_owned(),
        operation,
        user,
        status: res.status().as_u16(),
        headers,
        body,
    };
    state.lock().log.push(entry);
}

/// Creates the actix `App` for a state.
pub(crate) fn app(
    state: web::Data<AppState>,
) -> actix_web::App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = ServiceResponse<actix_web::body::BoxBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    actix_web::App::new()
        .app_data(state)
        .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
        .configure(configure)
        .default_service(web::to(|| async {
            actix_web::HttpResponse::NotFound()
                .content_type("text/html; charset=UTF-8")
                .body("<h1>Not Found</h1>")
        }))
        .wrap(from_fn(observe))
}
