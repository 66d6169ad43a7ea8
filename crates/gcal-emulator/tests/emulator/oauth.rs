//! OAuth 2 over HTTP: authorization code + PKCE (auto-approval and the consent form), code reuse, refresh,
//! revocation, token expiry, userinfo and the ID token, and the errors Google answers.
#![allow(clippy::unwrap_used)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{spawn, TestEmu, ALICE};

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const SCOPE: &str = "openid email profile https://www.googleapis.com/auth/calendar";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn query_of(location: &str) -> Vec<(String, String)> {
    let (_, q) = location.split_once('?').expect("query in Location");
    q.split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_owned(), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn param(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// Runs the authorization endpoint with auto-approval; returns the redirect's query.
async fn authorize(t: &TestEmu, verifier: &str, state: &str) -> Vec<(String, String)> {
    let r = t
        .http
        .get(format!("{}/o/oauth2/v2/auth", t.base))
        .query(&[
            ("client_id", "compass-test"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", SCOPE),
            ("state", state),
            ("access_type", "offline"),
            ("prompt", "consent"),
            ("login_hint", ALICE),
            ("code_challenge", &challenge(verifier)),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT));
    query_of(&location)
}

async fn token(t: &TestEmu, form: &[(&str, &str)]) -> (u16, Value) {
    let r = t
        .http
        .post(format!("{}/token", t.base))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn code_flow_with_pkce_refresh_and_revoke() {
    let t = spawn().await;
    t.ctl.set_auto_approve(Some(ALICE)).await.unwrap();
    let verifier = "a-verifier-that-is-long-enough-0123456789-abcdefghijkl";

    // A wrong verifier is refused (and burns the code).
    let q = authorize(&t, verifier, "s1").await;
    assert_eq!(param(&q, "state").as_deref(), Some("s1"));
    let code = param(&q, "code").unwrap();
    let (status, body) = token(
        &t,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", "compass-test"),
            ("client_secret", "x"),
            ("redirect_uri", REDIRECT),
            (
                "code_verifier",
                "wrong-verifier-wrong-verifier-wrong-verifier-00",
            ),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");

    let q = authorize(&t, verifier, "s2").await;
    let code = param(&q, "code").unwrap();
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("client_id", "compass-test"),
        ("client_secret", "x"),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
    ];
    let (status, tokens) = token(&t, &exchange).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["expires_in"].as_u64().unwrap() > 3000);
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    assert!(tokens["scope"]
        .as_str()
        .unwrap()
        .contains("https://www.googleapis.com/auth/userinfo.email"));

    // The ID token is an RS256 JWT for this client and user, verifiable with the published JWKS.
    let id_token = tokens["id_token"].as_str().unwrap();
    let parts: Vec<&str> = id_token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["aud"], "compass-test");
    assert_eq!(claims["iss"], "https://accounts.google.com");
    assert_eq!(claims["email"], ALICE);
    let config: Value = t
        .http
        .get(format!("{}/.well-known/openid-configuration", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwks: Value = t
        .http
        .get(config["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the token's key is published");
    let public = ring::signature::RsaPublicKeyComponents {
        n: URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap(),
        e: URL_SAFE_NO_PAD.decode(jwk["e"].as_str().unwrap()).unwrap(),
    };
    let signed = format!("{}.{}", parts[0], parts[1]);
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    public
        .verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            signed.as_bytes(),
            &signature,
        )
        .expect("valid RS256 signature");
    assert!(public
        .verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            b"tampered",
            &signature
        )
        .is_err());

    // A code works once.
    let (status, body) = token(&t, &exchange).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");

    // The access token works for Calendar and userinfo.
    let list = t
        .send(
            Method::GET,
            &t.api("/calendars/primary/events"),
            Some(&access),
            &[],
            None,
            &[],
        )
        .await;
    assert_eq!(list.status, 200);
    let me = t
        .send(
            Method::GET,
            &format!("{}/v1/userinfo", t.base),
            Some(&access),
            &[],
            None,
            &[],
        )
        .await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["email"], ALICE);
    assert_eq!(me.body["email_verified"], true);
    assert_eq!(me.body["name"], "Alice");
    assert_eq!(me.body["sub"], claims["sub"]);
    assert!(me.body["picture"].is_string());

    // Refresh: a new access token, no new refresh token; Basic client authentication works too.
    let r = t
        .http
        .post(format!("{}/token", t.base))
        .basic_auth("compass-test", Some("x"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let refreshed: Value = r.json().await.unwrap();
    assert!(refreshed.get("refresh_token").is_none());
    assert_ne!(refreshed["access_token"], tokens["access_token"]);

    // Revoking the refresh token kills the grant: refresh → invalid_grant, access tokens → 401.
    let rv = t
        .http
        .post(format!("{}/revoke", t.base))
        .form(&[("token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(rv.status().as_u16(), 200);
    let (status, body) = token(
        &t,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", "compass-test"),
            ("client_secret", "x"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    let after = t
        .send(
            Method::GET,
            &t.api("/calendars/primary/events"),
            Some(&access),
            &[],
            None,
            &[],
        )
        .await;
    assert_eq!(after.status, 401);
    let twice = t
        .http
        .post(format!("{}/revoke", t.base))
        .form(&[("token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status().as_u16(), 400);
}

#[tokio::test]
async fn consent_page_approve_and_deny() {
    let t = spawn().await;
    let q = [
        ("client_id", "compass-test"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", SCOPE),
        ("state", "xyz"),
        ("access_type", "offline"),
        ("login_hint", "carol@example.com"),
    ];
    let page = t
        .http
        .get(format!("{}/o/oauth2/v2/auth", t.base))
        .query(&q)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<form") && html.contains("carol@example.com"));

    let mut form: Vec<(&str, &str)> = q.to_vec();
    form.push(("emulator_email", "carol@example.com"));
    form.push(("emulator_name", "Carol"));
    form.push(("emulator_decision", "allow"));
    let ok = t
        .http
        .post(format!("{}/o/oauth2/v2/auth/approve", t.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 303);
    let back = query_of(ok.headers()["location"].to_str().unwrap());
    assert_eq!(param(&back, "state").as_deref(), Some("xyz"));
    let code = param(&back, "code").unwrap();
    let (status, tokens) = token(
        &t,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", "compass-test"),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let me = t
        .send(
            Method::GET,
            &format!("{}/v1/userinfo", t.base),
            tokens["access_token"].as_str(),
            &[],
            None,
            &[],
        )
        .await;
    assert_eq!(me.body["email"], "carol@example.com");
    assert_eq!(me.body["name"], "Carol");
    let cal = t
        .send(
            Method::GET,
            &t.api("/calendars/primary"),
            tokens["access_token"].as_str(),
            &[],
            None,
            &[],
        )
        .await;
    assert_eq!(
        cal.body["id"], "carol@example.com",
        "a new account gets its primary calendar"
    );

    let mut deny: Vec<(&str, &str)> = q.to_vec();
    deny.push(("emulator_decision", "deny"));
    let no = t
        .http
        .post(format!("{}/o/oauth2/v2/auth/approve", t.base))
        .form(&deny)
        .send()
        .await
        .unwrap();
    let back = query_of(no.headers()["location"].to_str().unwrap());
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&back, "state").as_deref(), Some("xyz"));
}

#[tokio::test]
async fn authorization_and_token_errors() {
    let t = spawn().await;
    let auth = format!("{}/o/oauth2/v2/auth", t.base);
    let no_client = t
        .http
        .get(&auth)
        .query(&[
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", SCOPE),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(no_client.status().as_u16(), 400);
    assert!(no_client.text().await.unwrap().contains("invalid_request"));
    let bad_type = t
        .http
        .get(&auth)
        .query(&[
            ("client_id", "c"),
            ("redirect_uri", REDIRECT),
            ("response_type", "token"),
            ("scope", SCOPE),
            ("state", "s"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_type.status().as_u16(), 302);
    let back = query_of(bad_type.headers()["location"].to_str().unwrap());
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("unsupported_response_type")
    );

    let (status, body) = token(&t, &[("grant_type", "password"), ("client_id", "c")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let (status, body) = token(
        &t,
        &[
            ("grant_type", "authorization_code"),
            ("code", "4/nope"),
            ("client_id", "c"),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // Expired access tokens → 401 until refreshed; expired refresh tokens → invalid_grant.
    t.ctl.expire_access_tokens(ALICE).await.unwrap();
    assert_eq!(t.get("/calendars/primary/events", &[]).await.status, 401);
    let (status, refreshed) = token(
        &t,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &t.refresh_token),
            ("client_id", &t.client_id),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let fresh = refreshed["access_token"].as_str().unwrap();
    assert_eq!(
        t.send(
            Method::GET,
            &t.api("/calendars/primary/events"),
            Some(fresh),
            &[],
            None,
            &[]
        )
        .await
        .status,
        200
    );
    let url = format!("{}/_emulator/users/{ALICE}/expire-refresh-tokens", t.base);
    assert_eq!(
        t.http.post(url).send().await.unwrap().status().as_u16(),
        200
    );
    let (status, body) = token(
        &t,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &t.refresh_token),
            ("client_id", &t.client_id),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // Revoking the user's grant from the control API (as in Google's account settings).
    let tokens = t.ctl.mint_tokens(ALICE).await.unwrap();
    t.ctl.revoke_user(ALICE).await.unwrap();
    let (status, body) = token(
        &t,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens.refresh_token.as_deref().unwrap()),
            ("client_id", &tokens.client_id),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let me = t
        .send(
            Method::GET,
            &format!("{}/v1/userinfo", t.base),
            Some(&tokens.access_token),
            &[],
            None,
            &[],
        )
        .await;
    assert_eq!(me.status, 401);
    let discovery: Value = t
        .http
        .get(format!("{}/.well-known/openid-configuration", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["token_endpoint"], format!("{}/token", t.base));
}

/// Authorizes (auto-approved) with or without `prompt=consent` and exchanges the code; returns the tokens.
async fn consent_and_exchange(t: &TestEmu, prompt: Option<&str>) -> Value {
    let mut q = vec![
        ("client_id", "compass-test"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", SCOPE),
        ("access_type", "offline"),
    ];
    if let Some(p) = prompt {
        q.push(("prompt", p));
    }
    let r = t
        .http
        .get(format!("{}/o/oauth2/v2/auth", t.base))
        .query(&q)
        .send()
        .await
        .unwrap();
    let back = query_of(r.headers()["location"].to_str().unwrap());
    let code = param(&back, "code").unwrap();
    let (status, tokens) = token(
        t,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", "compass-test"),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(status, 200);
    tokens
}

#[tokio::test]
async fn a_new_refresh_token_needs_prompt_consent_once_the_client_has_one() {
    let t = spawn().await;
    t.ctl.set_auto_approve(Some(ALICE)).await.unwrap();
    let first = consent_and_exchange(&t, None).await;
    assert!(
        first["refresh_token"].is_string(),
        "the first offline consent mints a refresh token"
    );
    let again = consent_and_exchange(&t, None).await;
    assert!(
        again.get("refresh_token").is_none(),
        "without prompt=consent Google sends no new refresh token"
    );
    assert!(again["access_token"].is_string());
    let forced = consent_and_exchange(&t, Some("consent")).await;
    assert!(
        forced["refresh_token"].is_string(),
        "prompt=consent mints a fresh refresh token"
    );
    t.ctl.revoke_user(ALICE).await.unwrap();
    let after_revoke = consent_and_exchange(&t, None).await;
    assert!(
        after_revoke["refresh_token"].is_string(),
        "after revocation a plain consent mints one again"
    );
}

/// PKCE mismatches answer as Google does: a code issued with a challenge but exchanged without a verifier is
/// `invalid_grant` "Missing code verifier."; a verifier for a code issued without a challenge is `invalid_grant`
/// "code_verifier or verifier is not needed.".
#[tokio::test]
async fn pkce_verifier_missing_or_unexpected() {
    let t = spawn().await;
    t.ctl.set_auto_approve(Some(ALICE)).await.unwrap();
    let verifier = "another-verifier-that-is-long-enough-0123456789-abcdef";
    let q = authorize(&t, verifier, "s").await;
    let code = param(&q, "code").unwrap();
    let (status, body) = token(
        &t,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", "compass-test"),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], "Missing code verifier.");

    let r = t
        .http
        .get(format!("{}/o/oauth2/v2/auth", t.base))
        .query(&[
            ("client_id", "compass-test"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", SCOPE),
        ])
        .send()
        .await
        .unwrap();
    let back = query_of(r.headers()["location"].to_str().unwrap());
    let plain_code = param(&back, "code").unwrap();
    let (status, body) = token(
        &t,
        &[
            ("grant_type", "authorization_code"),
            ("code", &plain_code),
            ("client_id", "compass-test"),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        body["error_description"],
        "code_verifier or verifier is not needed."
    );
}

/// Configured token lifetimes far beyond any real one (e.g. `--access-token-lifetime` with a huge number) mean
/// "practically never expires": tokens are issued, ID tokens carry a valid `exp`, nothing overflows.
#[tokio::test]
async fn huge_token_lifetimes_mean_never_expiring_tokens() {
    let t = crate::support::spawn_with(gcal_emulator::EmulatorConfig {
        access_token_lifetime: std::time::Duration::from_secs(u64::MAX / 2),
        refresh_token_lifetime: Some(std::time::Duration::from_secs(u64::MAX)),
        ..Default::default()
    })
    .await;
    assert_eq!(t.get("/calendars/primary/events", &[]).await.status, 200);
    t.ctl.set_auto_approve(Some(ALICE)).await.unwrap();
    let verifier = "a-verifier-for-a-very-long-lived-token-0123456789-abc";
    let q = authorize(&t, verifier, "s").await;
    let code = param(&q, "code").unwrap();
    let (status, tokens) = token(
        &t,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", "compass-test"),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = tokens["id_token"].as_str().unwrap();
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(id_token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());
    let (status, refreshed) = token(
        &t,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", "compass-test"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
}

/// The configured access-token lifetime is announced in `expires_in` and enforced: the token stops working on
/// its own, refreshing gives a working one.
#[tokio::test]
async fn access_tokens_expire_after_the_configured_lifetime() {
    let t = crate::support::spawn_with(gcal_emulator::EmulatorConfig {
        access_token_lifetime: std::time::Duration::from_secs(1),
        ..Default::default()
    })
    .await;
    assert_eq!(t.get("/calendars/primary/events", &[]).await.status, 200);
    assert!(
        crate::support::eventually(|| async {
            t.get("/calendars/primary/events", &[]).await.status == 401
        })
        .await,
        "the access token expires by itself"
    );
    let (status, refreshed) = token(
        &t,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &t.refresh_token),
            ("client_id", &t.client_id),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(refreshed["expires_in"], 1);
    let fresh = refreshed["access_token"].as_str().unwrap();
    let r = t
        .send(
            Method::GET,
            &t.api("/calendars/primary/events"),
            Some(fresh),
            &[],
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
}
