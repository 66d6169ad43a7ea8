//! `/api/auth/*` handlers: email + password sign-up, sign-in, sign-out, the current session, the
//! Google sign-in/connect redirect and callback, and Google disconnect. Thin: parse, call one
//! `crate::accounts` flow, map its error; then tell the sync engine about the session change (a sign-in
//! resumes the user's Google watches, the sign-out of the last session stops them, backend spec §8.6).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use compass_core::{AuthErrorCode, SessionInfo, SignedIn, Timestamp, AUTH_ERROR_PARAM};

use super::cookie::{self, CookiePolicy};
use super::error::ApiError;
use crate::accounts::google_flow::{self, Callback, GoogleAccounts, GoogleAuthError, LIFETIME};
use crate::accounts::password_flow::{PasswordAccounts, SignIn, SignUp};
use crate::accounts::session::IssuedSession;
use crate::accounts::SessionUser;
use crate::state::AppState;
use crate::store::users::UserDoc;

/// Registers the routes (relative to `/api`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/auth")
            .route("/signup", web::post().to(sign_up))
            .route("/signin", web::post().to(sign_in))
            .route("/signout", web::post().to(sign_out))
            .route("/session", web::get().to(session))
            .route("/google", web::get().to(google_start))
            .route("/google/callback", web::get().to(google_callback))
            .route("/google/disconnect", web::post().to(google_disconnect)),
    );
}

/// A string field of a JSON body: missing → "is required", another type → "must be a string".
fn string_field(body: &serde_json::Value, field: &'static str) -> Result<String, ApiError> {
    match body.get(field) {
        None | Some(serde_json::Value::Null) => Err(ApiError::bad_request(field, "is required")),
        Some(serde_json::Value::String(value)) => Ok(value.clone()),
        Some(_) => Err(ApiError::bad_request(field, "must be a string")),
    }
}

/// The client address used for the per-IP attempt bound (the TCP peer; proxies are not trusted).
fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map_or_else(|| "unknown".to_owned(), |addr| addr.ip().to_string())
}

fn passwords(state: &AppState) -> PasswordAccounts<'_> {
    PasswordAccounts::new(
        &state.store,
        &state.hub,
        &state.passwords,
        state.settings.session_ttl,
    )
}

fn google(state: &AppState) -> GoogleAccounts<'_> {
    GoogleAccounts::new(&state.store, &state.hub, &state.settings)
}

fn cookie_policy(state: &AppState) -> CookiePolicy {
    CookiePolicy::for_base_url(&state.settings.public_url)
}

/// 200 with the user and the session cookie.
pub(crate) fn signed_in_response(
    state: &AppState,
    user: &UserDoc,
    session: &IssuedSession,
) -> HttpResponse {
    let ttl = chrono::Duration::from_std(state.settings.session_ttl)
        .unwrap_or(chrono::Duration::days(14));
    HttpResponse::Ok()
        .cookie(cookie_policy(state).session_cookie(&session.token, ttl))
        .json(SignedIn {
            status: "OK".to_owned(),
            user_id: user.user_id().to_string(),
            email: user.email.clone(),
            name: user.name.clone(),
        })
}

async fn sign_up(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let input = SignUp {
        email: string_field(&body, "email")?,
        password: string_field(&body, "password")?,
        name: string_field(&body, "name")?,
    };
    let (user, session) = passwords(&state).sign_up(input, &client_ip(&req)).await?;
    Ok(signed_in_response(&state, &user, &session))
}

async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let input = SignIn {
        email: string_field(&body, "email")?,
        password: string_field(&body, "password")?,
    };
    let (user, session) = passwords(&state).sign_in(input, &client_ip(&req)).await?;
    state.sync.resume_watches(&user.user_id()).await;
    Ok(signed_in_response(&state, &user, &session))
}

/// Revokes the current session (if any) and clears the cookie; 200 also without a valid session, so a
/// stale tab can sign out. When the session cannot be looked up (database unavailable) the answer is
/// that error, never a 200 that leaves the session valid.
async fn sign_out(
    state: web::Data<AppState>,
    session: Result<SessionUser, ApiError>,
) -> Result<HttpResponse, ApiError> {
    match session {
        Ok(session) => {
            passwords(&state).sign_out(&session).await?;
            state.sync.signed_out(&session.user_id).await;
        }
        Err(ApiError::Unauthorized { .. }) => {}
        Err(error) => return Err(error),
    }
    Ok(HttpResponse::Ok()
        .cookie(cookie_policy(&state).clear_session_cookie())
        .json(serde_json::json!({ "status": "OK" })))
}

/// `GET /api/auth/session`: who is signed in.
async fn session(session: SessionUser) -> HttpResponse {
    HttpResponse::Ok().json(SessionInfo {
        user_id: session.user_id.to_string(),
        expires_at: Some(Timestamp(session.expires_at)),
    })
}

/// `POST /api/auth/google/disconnect`: forgets Google for the signed-in user — channels stopped,
/// Google-owned events, sync state and calendars removed, the link and grant cleared (`NOT_CONNECTED`);
/// Compass-made events stay. 200 also when Google was not connected.
async fn google_disconnect(
    state: web::Data<AppState>,
    session: SessionUser,
) -> Result<HttpResponse, ApiError> {
    state.sync.disconnect(&session.user_id).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "OK" })))
}

/// `GET /api/auth/google` query.
#[derive(Debug, Deserialize)]
struct GoogleStartQuery {
    intent: Option<String>,
}

/// `GET /api/auth/google?intent=signin|connect`: redirects to Google and binds the attempt to this browser.
async fn google_start(
    state: web::Data<AppState>,
    query: web::Query<GoogleStartQuery>,
    session: Option<SessionUser>,
) -> Result<HttpResponse, ApiError> {
    let intent = google_flow::parse_intent(query.intent.as_deref())?;
    let started = google(&state).start(intent, session.as_ref()).await?;
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, started.url.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie_policy(&state).oauth_cookie(&started.nonce, LIFETIME))
        .finish())
}

/// `GET /api/auth/google/callback` query (Google also sends `scope`, `authuser`, ... which are ignored:
/// the granted scopes are read from the token response).
#[derive(Debug, Default, Deserialize)]
struct GoogleCallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /api/auth/google/callback`: finishes the flow, then sends the browser to the app. This is a
/// top-level navigation, so a failure is never answered with JSON: the browser goes to
/// `/?auth_error=<CODE>` (a [`AuthErrorCode`] the web app shows), the binding cookie cleared either way.
async fn google_callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: Result<web::Query<GoogleCallbackQuery>, actix_web::Error>,
    session: Option<SessionUser>,
) -> HttpResponse {
    // An unreadable query is a callback without `state`: it ends as GOOGLE_SIGNIN_EXPIRED, not as JSON.
    let query = query.map(web::Query::into_inner).unwrap_or_default();
    let callback = Callback {
        code: query.code,
        state: query.state,
        error: query.error,
    };
    let policy = cookie_policy(&state);
    let finished = google(&state)
        .finish(callback, cookie::oauth_nonce(&req), session.as_ref())
        .await;
    let mut home = state.settings.public_url.clone();
    home.set_path("/");
    home.set_query(None);
    let mut response = HttpResponse::SeeOther();
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(policy.clear_oauth_cookie());
    match finished {
        Ok(finished) => {
            // A linked Google account wants its import (`sync.importGCal = RESTART`) and its watches: the
            // worker starts them now.
            state.sync.resume_watches(&finished.user).await;
            state.sync.wake();
            if let Some(issued) = &finished.session {
                let ttl = chrono::Duration::from_std(state.settings.session_ttl)
                    .unwrap_or(chrono::Duration::days(14));
                response.cookie(policy.session_cookie(&issued.token, ttl));
            }
        }
        Err(error) => {
            let code = auth_error_code(&error);
            match &error {
                GoogleAuthError::Provider(_)
                | GoogleAuthError::Store(_)
                | GoogleAuthError::Crypto => {
                    tracing::warn!(%error, code = code.as_str(), "Google sign-in failed")
                }
                _ => tracing::info!(%error, code = code.as_str(), "Google sign-in refused"),
            }
            home.query_pairs_mut()
                .append_pair(AUTH_ERROR_PARAM, code.as_str());
        }
    }
    response
        .insert_header((header::LOCATION, home.to_string()))
        .finish()
}

/// The code the web app is sent for a failed Google callback.
fn auth_error_code(error: &GoogleAuthError) -> AuthErrorCode {
    match error {
        GoogleAuthError::NotConfigured => AuthErrorCode::GoogleNotConfigured,
        GoogleAuthError::StateInvalid | GoogleAuthError::InvalidIntent => {
            AuthErrorCode::GoogleSigninExpired
        }
        GoogleAuthError::Denied => AuthErrorCode::GoogleAccessDenied,
        GoogleAuthError::MissingCode => AuthErrorCode::GoogleCodeMissing,
        GoogleAuthError::CodeRejected => AuthErrorCode::GoogleCodeRejected,
        GoogleAuthError::MissingCalendarScope => AuthErrorCode::GooglePermissionsMissing,
        GoogleAuthError::MissingRefreshToken => AuthErrorCode::GoogleOfflineAccessMissing,
        GoogleAuthError::MissingEmail => AuthErrorCode::GoogleEmailMissing,
        GoogleAuthError::EmailUnverified => AuthErrorCode::GoogleEmailNotVerified,
        GoogleAuthError::AlreadyConnected => AuthErrorCode::GoogleAccountAlreadyConnected,
        GoogleAuthError::EmailMismatch => AuthErrorCode::GoogleConnectEmailMismatch,
        GoogleAuthError::Provider(_) => AuthErrorCode::GoogleUnavailable,
        GoogleAuthError::NotSignedIn | GoogleAuthError::UserMissing => AuthErrorCode::NotSignedIn,
        GoogleAuthError::Crypto | GoogleAuthError::Store(_) => AuthErrorCode::ServerError,
    }
}
