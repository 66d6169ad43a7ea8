//! Google OAuth 2 and identity endpoints: the authorization endpoint with its HTML consent page (or automatic
//! approval for tests), the token endpoint (authorization_code with PKCE, refresh_token), revocation,
//! userinfo (OpenID and v2 shapes), OpenID discovery, and RS256-signed ID tokens with their JWKS.

use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use super::{bearer, begin, query, AppState, AuthedUser};
use crate::error::{ApiError, OAuthError};
use crate::store::auth::{IssuedTokens, PendingCode};
use crate::store::User;
use actix_web::HttpMessage;

type State = web::Data<AppState>;
type Params = Vec<(String, String)>;

/// Registers the OAuth routes.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/o/oauth2/v2/auth", web::get().to(authorize))
        .route("/o/oauth2/auth", web::get().to(authorize))
        .route("/o/oauth2/v2/auth/approve", web::post().to(approve))
        .route("/token", web::post().to(token))
        .route("/oauth2/v4/token", web::post().to(token))
        .route("/revoke", web::post().to(revoke))
        .route("/o/oauth2/revoke", web::post().to(revoke))
        .route("/v1/userinfo", web::get().to(userinfo_oidc))
        .route("/oauth2/v3/userinfo", web::get().to(userinfo_oidc))
        .route("/oauth2/v2/userinfo", web::get().to(userinfo_v2))
        .route("/oauth2/v3/certs", web::get().to(certs))
        .route(
            "/.well-known/openid-configuration",
            web::get().to(discovery),
        );
}

fn get<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Google's error page for requests that cannot be redirected back.
fn error_page(status: u16, error: &str, detail: &str) -> HttpResponse {
    let body = format!(
        "<!doctype html><html><head><title>Error {status}: {error}</title></head><body><h1>Access blocked: \
         authorization error</h1><p>Error {status}: {error}</p><p>{}</p></body></html>",
        html_escape(detail)
    );
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST),
    )
    .content_type("text/html; charset=UTF-8")
    .body(body)
}

fn redirect_to(redirect_uri: &str, pairs: &[(&str, &str)]) -> HttpResponse {
    let location = match url::Url::parse(redirect_uri) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in pairs {
                    q.append_pair(k, v);
                }
            }
            u.to_string()
        }
        Err(_) => redirect_uri.to_owned(),
    };
    HttpResponse::Found()
        .insert_header(("Location", location))
        .finish()
}

/// Expands the short scope names Google accepts.
fn normalize_scopes(scope: &str) -> String {
    scope
        .split_whitespace()
        .map(|s| match s {
            "email" => "https://www.googleapis.com/auth/userinfo.email",
            "profile" => "https://www.googleapis.com/auth/userinfo.profile",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks the authorization request; `Err` is a response to send as is.
fn check_authorize(state: &AppState, p: &Params) -> Result<(), Box<HttpResponse>> {
    let Some(client_id) = get(p, "client_id") else {
        return Err(Box::new(error_page(
            400,
            "invalid_request",
            "Missing required parameter: client_id",
        )));
    };
    let Some(redirect_uri) = get(p, "redirect_uri") else {
        return Err(Box::new(error_page(
            400,
            "invalid_request",
            "Missing required parameter: redirect_uri",
        )));
    };
    if !state.config.clients.is_empty() {
        let Some(client) = state
            .config
            .clients
            .iter()
            .find(|c| c.client_id == client_id)
        else {
            return Err(Box::new(error_page(
                401,
                "invalid_client",
                "The OAuth client was not found.",
            )));
        };
        if !client.redirect_uris.is_empty()
            && !client.redirect_uris.iter().any(|u| u == redirect_uri)
        {
            return Err(Box::new(error_page(
                400,
                "redirect_uri_mismatch",
                "The redirect URI is not registered for this client.",
            )));
        }
    }
    if url::Url::parse(redirect_uri).is_err() {
        return Err(Box::new(error_page(
            400,
            "invalid_request",
            "Invalid parameter value for redirect_uri",
        )));
    }
    let state_param = get(p, "state").unwrap_or_default();
    if get(p, "response_type") != Some("code") {
        return Err(Box::new(redirect_to(
            redirect_uri,
            &[
                ("error", "unsupported_response_type"),
                ("state", state_param),
            ],
        )));
    }
    if get(p, "scope").is_none() {
        return Err(Box::new(error_page(
            400,
            "invalid_request",
            "Missing required parameter: scope",
        )));
    }
    if let Some(method) = get(p, "code_challenge_method") {
        if method != "S256" && method != "plain" {
            return Err(Box::new(error_page(
                400,
                "invalid_request",
                "Invalid code_challenge_method",
            )));
        }
    }
    if get(p, "code_challenge_method").is_some() && get(p, "code_challenge").is_none() {
        return Err(Box::new(error_page(
            400,
            "invalid_request",
            "Missing code_challenge",
        )));
    }
    Ok(())
}

/// Issues a code for `email` and redirects back to the client.
fn approve_for(state: &AppState, p: &Params, email: &str) -> HttpResponse {
    let redirect_uri = get(p, "redirect_uri").unwrap_or_default().to_owned();
    let scope = normalize_scopes(get(p, "scope").unwrap_or_default());
    let challenge = get(p, "code_challenge").map(|c| {
        (
            get(p, "code_challenge_method")
                .unwrap_or("plain")
                .to_owned(),
            c.to_owned(),
        )
    });
    let mut store = state.lock();
    let user = match store.ensure_user(email, None, None) {
        Ok(u) => u,
        Err(_) => return error_page(400, "invalid_request", "Invalid account email."),
    };
    let code = store.auth.issue_code(PendingCode {
        user: user.email,
        client_id: get(p, "client_id").unwrap_or_default().to_owned(),
        redirect_uri: redirect_uri.clone(),
        scope: scope.clone(),
        challenge,
        offline: get(p, "access_type") == Some("offline"),
        prompt_consent: get(p, "prompt")
            .is_some_and(|v| v.split_whitespace().any(|x| x == "consent")),
        nonce: get(p, "nonce").map(str::to_owned),
        expires: state.clock.instant(),
    });
    drop(store);
    let mut pairs = vec![
        ("code", code.as_str()),
        ("scope", scope.as_str()),
        ("authuser", "0"),
    ];
    if let Some(s) = get(p, "state") {
        pairs.insert(0, ("state", s));
    }
    if let Some(prompt) = get(p, "prompt") {
        pairs.push(("prompt", prompt));
    }
    redirect_to(&redirect_uri, &pairs)
}

async fn authorize(state: State, req: HttpRequest) -> HttpResponse {
    if let Err(e) = begin(&state, &req, "oauth.authorize").await {
        return error_page(e.code, "temporarily_unavailable", &e.message);
    }
    let p = query(&req);
    if let Err(resp) = check_authorize(&state, &p) {
        return *resp;
    }
    let auto = {
        let store = state.lock();
        store.auto_approve.clone().map(|fallback| {
            get(&p, "login_hint")
                .filter(|h| store.user(h).is_some())
                .map(str::to_owned)
                .unwrap_or(fallback)
        })
    };
    if let Some(email) = auto {
        return approve_for(&state, &p, &email);
    }
    let hidden: String = p
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                html_escape(k),
                html_escape(v)
            )
        })
        .collect();
    let hint = html_escape(get(&p, "login_hint").unwrap_or_default());
    let client = html_escape(get(&p, "client_id").unwrap_or_default());
    let scopes: String = normalize_scopes(get(&p, "scope").unwrap_or_default())
        .split_whitespace()
        .map(|s| format!("<li>{}</li>", html_escape(s)))
        .collect();
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign in - Google Accounts (emulator)</title>\
         <style>body{{font-family:sans-serif;max-width:28rem;margin:3rem auto}}input[type=email],input[type=text]\
         {{width:100%;padding:.5rem;margin:.25rem 0 1rem}}button{{padding:.5rem 1rem;margin-right:.5rem}}</style></head>\
         <body><h1>Google Calendar emulator</h1><p><b>{client}</b> wants to access your Google Account:</p><ul>{scopes}</ul>\
         <form method=\"post\" action=\"/o/oauth2/v2/auth/approve\">{hidden}\
         <label>Email<input type=\"email\" name=\"emulator_email\" value=\"{hint}\" required></label>\
         <label>Name (new accounts)<input type=\"text\" name=\"emulator_name\"></label>\
         <button type=\"submit\" name=\"emulator_decision\" value=\"allow\">Allow</button>\
         <button type=\"submit\" name=\"emulator_decision\" value=\"deny\" formnovalidate>Cancel</button></form></body></html>"
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=UTF-8")
        .body(page)
}

async fn approve(state: State, body: web::Bytes) -> HttpResponse {
    let p: Params = url::form_urlencoded::parse(&body).into_owned().collect();
    if let Err(resp) = check_authorize(&state, &p) {
        return *resp;
    }
    if get(&p, "emulator_decision") != Some("allow") {
        let redirect_uri = get(&p, "redirect_uri").unwrap_or_default();
        return redirect_to(
            redirect_uri,
            &[
                ("error", "access_denied"),
                ("state", get(&p, "state").unwrap_or_default()),
            ],
        );
    }
    let Some(email) = get(&p, "emulator_email").map(str::to_owned) else {
        return error_page(400, "invalid_request", "Missing account email.");
    };
    if let Some(name) = get(&p, "emulator_name") {
        let mut store = state.lock();
        if store.user(&email).is_none() {
            let _ = store.ensure_user(&email, Some(name), None);
        }
    }
    let mut response = approve_for(&state, &p, &email);
    if response.status() == actix_web::http::StatusCode::FOUND {
        *response.status_mut() = actix_web::http::StatusCode::SEE_OTHER;
    }
    response
}

/// Client credentials from HTTP Basic or the form.
fn client_credentials(req: &HttpRequest, form: &Params) -> (Option<String>, Option<String>) {
    if let Some(h) = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
    {
        if let Some(encoded) = h.strip_prefix("Basic ") {
            if let Some((id, secret)) = STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.split_once(':').map(|(a, b)| (a.to_owned(), b.to_owned())))
            {
                let decode = |s: &str| {
                    url::form_urlencoded::parse(format!("x={s}").as_bytes())
                        .next()
                        .map(|(_, v)| v.into_owned())
                };
                return (decode(&id), decode(&secret));
            }
        }
    }
    (
        get(form, "client_id").map(str::to_owned),
        get(form, "client_secret").map(str::to_owned),
    )
}

fn fault_to_oauth(e: ApiError) -> OAuthError {
    let error = match e.code {
        401 => "invalid_client",
        403 | 429 => "rate_limit_exceeded",
        _ => "internal_failure",
    };
    OAuthError::new(e.code, error, e.message)
}

fn id_token(state: &AppState, user: &User, tokens: &IssuedTokens) -> Option<String> {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "iss": "https://accounts.google.com", "azp": tokens.client_id, "aud": tokens.client_id, "sub": user.sub,
        "email": user.email, "email_verified": true, "name": user.name, "given_name": user.name,
        "picture": format!("{}/_emulator/avatar/{}", state.base_url, user.sub), "iat": now,
        "exp": now.saturating_add(i64::try_from(state.config.access_token_lifetime.as_secs()).unwrap_or(i64::MAX)),
    });
    if let Some(n) = &tokens.nonce {
        claims["nonce"] = json!(n);
    }
    state.signer.sign(&claims)
}

async fn token(
    state: State,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, OAuthError> {
    begin(&state, &req, "oauth.token")
        .await
        .map_err(fault_to_oauth)?;
    let form: Params = url::form_urlencoded::parse(&body).into_owned().collect();
    let (client_id, secret) = client_credentials(&req, &form);
    let client_id = client_id.ok_or_else(|| {
        OAuthError::invalid_request("Could not determine client ID from request.")
    })?;
    if !state.config.clients.is_empty() {
        let client = state
            .config
            .clients
            .iter()
            .find(|c| c.client_id == client_id)
            .ok_or_else(|| {
                OAuthError::new(401, "invalid_client", "The OAuth client was not found.")
            })?;
        if !client.client_secret.is_empty()
            && secret.as_deref() != Some(client.client_secret.as_str())
        {
            return Err(OAuthError::new(401, "invalid_client", "Unauthorized"));
        }
    }
    let access = state.config.access_token_lifetime;
    let issued = {
        let mut store = state.lock();
        match get(&form, "grant_type") {
            Some("authorization_code") => {
                let code = get(&form, "code").ok_or_else(|| {
                    OAuthError::invalid_request("Missing required parameter: code")
                })?;
                store.auth.exchange_code(
                    code,
                    &client_id,
                    get(&form, "redirect_uri"),
                    get(&form, "code_verifier"),
                    access,
                    state.config.refresh_token_lifetime,
                )?
            }
            Some("refresh_token") => {
                let rt = get(&form, "refresh_token").ok_or_else(|| {
                    OAuthError::invalid_request("Missing required parameter: refresh_token")
                })?;
                store.auth.refresh(rt, &client_id, access)?
            }
            Some(other) => {
                return Err(OAuthError::new(
                    400,
                    "unsupported_grant_type",
                    format!("Invalid grant_type: {other}"),
                ))
            }
            None => {
                return Err(OAuthError::new(
                    400,
                    "unsupported_grant_type",
                    "Invalid grant_type: ",
                ))
            }
        }
    };
    req.extensions_mut().insert(AuthedUser(issued.user.clone()));
    let mut body = json!({
        "access_token": issued.access_token, "expires_in": issued.expires_in, "scope": issued.scope, "token_type": "Bearer",
    });
    if let Some(rt) = &issued.refresh_token {
        body["refresh_token"] = json!(rt);
    }
    if issued.scope.split_whitespace().any(|s| s == "openid") {
        let user = state.lock().user(&issued.user).cloned();
        if let Some(user) = user {
            if let Some(t) = id_token(&state, &user, &issued) {
                body["id_token"] = json!(t);
            }
        }
    }
    Ok(HttpResponse::Ok()
        .insert_header((
            "Cache-Control",
            "no-cache, no-store, max-age=0, must-revalidate",
        ))
        .json(body))
}

async fn revoke(
    state: State,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, OAuthError> {
    begin(&state, &req, "oauth.revoke")
        .await
        .map_err(fault_to_oauth)?;
    let mut params: Params = url::form_urlencoded::parse(&body).into_owned().collect();
    params.extend(query(&req));
    let token = get(&params, "token")
        .ok_or_else(|| OAuthError::invalid_request("Missing required parameter: token"))?;
    if state.lock().auth.revoke_token(token) {
        Ok(HttpResponse::Ok().json(json!({})))
    } else {
        Err(OAuthError::new(
            400,
            "invalid_token",
            "Token expired or revoked",
        ))
    }
}

/// The user behind the bearer token, with the token's scopes.
fn userinfo_user(state: &AppState, req: &HttpRequest) -> Result<(User, String), Box<HttpResponse>> {
    let unauthorized = || {
        Box::new(
            HttpResponse::Unauthorized()
                .insert_header((
                    "WWW-Authenticate",
                    "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"",
                ))
                .json(
                    json!({"error": "invalid_request", "error_description": "Invalid Credentials"}),
                ),
        )
    };
    let token = bearer(req).ok_or_else(unauthorized)?;
    let store = state.lock();
    let principal = store.auth.principal(&token).ok_or_else(unauthorized)?;
    let user = store
        .user(&principal.user)
        .cloned()
        .ok_or_else(unauthorized)?;
    req.extensions_mut().insert(AuthedUser(user.email.clone()));
    Ok((user, principal.scope))
}

fn profile_fields(state: &AppState, user: &User, scope: &str, v2: bool) -> Value {
    let mut v = if v2 {
        json!({"id": user.sub})
    } else {
        json!({"sub": user.sub})
    };
    if scope.contains("userinfo.profile") || scope.split_whitespace().any(|s| s == "openid") {
        v["name"] = json!(user.name);
        v["given_name"] = json!(user.name);
        v["picture"] = json!(format!("{}/_emulator/avatar/{}", state.base_url, user.sub));
    }
    if scope.contains("userinfo.email") || scope.split_whitespace().any(|s| s == "openid") {
        v["email"] = json!(user.email);
        v[if v2 {
            "verified_email"
        } else {
            "email_verified"
        }] = json!(true);
    }
    v
}

async fn userinfo_oidc(state: State, req: HttpRequest) -> HttpResponse {
    if let Err(e) = begin(&state, &req, "oauth.userinfo").await {
        return actix_web::ResponseError::error_response(&e);
    }
    match userinfo_user(&state, &req) {
        Ok((user, scope)) => HttpResponse::Ok().json(profile_fields(&state, &user, &scope, false)),
        Err(resp) => *resp,
    }
}

async fn userinfo_v2(state: State, req: HttpRequest) -> HttpResponse {
    if let Err(e) = begin(&state, &req, "oauth.userinfo").await {
        return actix_web::ResponseError::error_response(&e);
    }
    match userinfo_user(&state, &req) {
        Ok((user, scope)) => HttpResponse::Ok().json(profile_fields(&state, &user, &scope, true)),
        Err(resp) => *resp,
    }
}

async fn certs(state: State) -> HttpResponse {
    HttpResponse::Ok().json(state.signer.jwks())
}

async fn discovery(state: State) -> HttpResponse {
    let b = &state.base_url;
    HttpResponse::Ok().json(json!({
        "issuer": "https://accounts.google.com",
        "authorization_endpoint": format!("{b}/o/oauth2/v2/auth"),
        "token_endpoint": format!("{b}/token"),
        "userinfo_endpoint": format!("{b}/v1/userinfo"),
        "revocation_endpoint": format!("{b}/revoke"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "jwks_uri": format!("{b}/oauth2/v3/certs"),
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "email", "email_verified", "exp", "iat", "iss", "name", "picture", "sub"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
    }))
}
