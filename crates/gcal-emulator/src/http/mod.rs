//! HTTP layer: shared application state, the route table, the request-log middleware, and helpers every
//! Google-facing handler uses (fault injection, bearer-token authentication, query and body parsing).

pub(crate) mod calendar;
pub(crate) mod control;
pub(crate) mod fields;
pub(crate) mod oauth;

use std::sync::{Mutex, MutexGuard};

use actix_web::dev::{Service, ServiceResponse};
use actix_web::{web, HttpMessage, HttpRequest};
use serde_json::Value;

use crate::config::EmulatorConfig;
use crate::error::ApiError;
use crate::store::auth::Principal;
use crate::store::event_time::rfc3339_millis;
use crate::store::listing::Params;
use crate::store::request_log::LoggedRequest;
use crate::store::Store;

/// State shared by all handlers.
pub(crate) struct AppState {
    /// Everything mutable.
    pub store: Mutex<Store>,
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

/// Marks the request as `operation` and applies fault rules (latency, then an error if any).
pub(crate) async fn begin(
    state: &AppState,
    req: &HttpRequest,
    operation: &'static str,
) -> Result<(), ApiError> {
    req.extensions_mut().insert(Operation(operation));
    let effect = state.lock().faults.take(operation);
    if !effect.delay.is_zero() {
        tokio::time::sleep(effect.delay).await;
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

/// Records a finished request in the request log (control-API calls are not logged).
pub(crate) fn log_response<B>(state: &AppState, res: &ServiceResponse<B>) {
    let req = res.request();
    if req.path().starts_with("/_emulator") {
        return;
    }
    let operation = req.extensions().get::<Operation>().map(|o| o.0.to_owned());
    let user = req.extensions().get::<AuthedUser>().map(|u| u.0.clone());
    let entry = LoggedRequest {
        seq: 0,
        at: rfc3339_millis(chrono::Utc::now()),
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: req.query_string().to_owned(),
        operation,
        user,
        status: res.status().as_u16(),
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
    let for_log = state.clone();
    actix_web::App::new()
        .app_data(state)
        .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
        .configure(configure)
        .default_service(web::to(|| async {
            actix_web::HttpResponse::NotFound()
                .content_type("text/html; charset=UTF-8")
                .body("<h1>Not Found</h1>")
        }))
        .wrap_fn(move |req, srv| {
            let state = for_log.clone();
            let fut = srv.call(req);
            async move {
                let res = fut.await?;
                log_response(&state, &res);
                Ok(res)
            }
        })
}
