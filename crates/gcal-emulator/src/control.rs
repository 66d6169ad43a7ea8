//! A small typed client for the control API (`/_emulator/...`), for tests and demos written in Rust.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::store::channels::DeliveryRecord;
use crate::store::faults::FaultSpec;
use crate::store::request_log::LoggedRequest;

/// Errors of the control client.
#[derive(Debug, thiserror::Error)]
pub enum ControlClientError {
    /// The request could not be sent or the answer not read.
    #[error("control API request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The emulator answered with an error status.
    #[error("control API answered {status}: {body}")]
    Status {
        /// HTTP status.
        status: u16,
        /// Response body.
        body: String,
    },
}

/// Tokens minted directly for a user (no OAuth round trip).
#[derive(Debug, Clone, Deserialize)]
pub struct MintedTokens {
    /// Bearer access token.
    pub access_token: String,
    /// Refresh token (when offline access was asked for, the default).
    pub refresh_token: Option<String>,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The OAuth client id the grant belongs to.
    pub client_id: String,
}

/// A push notification waiting to be delivered (`GET /_emulator/notifications/pending`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PendingNotification {
    /// Watch channel id.
    pub channel_id: String,
    /// The channel's resource id.
    pub resource_id: String,
    /// Owner of the channel.
    pub user: String,
    /// Watched calendar (events channels); `None` for calendar-list channels.
    pub calendar_id: Option<String>,
    /// `sync` or `exists`.
    pub state: String,
    /// `X-Goog-Message-Number` it will carry.
    pub message_number: u64,
    /// How many changes were coalesced into it.
    pub changes: u32,
    /// Not sent before this time (RFC 3339, virtual clock).
    pub due_at: Option<String>,
    /// Held by a delay fault.
    pub delayed: bool,
    /// Held by a reorder fault until a later message of its channel has gone.
    pub reordered: bool,
}

/// The virtual clock (`GET /_emulator/clock`, `POST /_emulator/clock/advance`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockState {
    /// The emulator's now (RFC 3339).
    pub now: String,
    /// How far it is ahead of real time, in seconds.
    pub offset_seconds: f64,
}

/// Typed access to one emulator's control API.
#[derive(Debug, Clone)]
pub struct ControlClient {
    base: String,
    http: reqwest::Client,
}

type Result<T> = std::result::Result<T, ControlClientError>;

impl ControlClient {
    /// A client for the emulator at `base_url` (as returned by `RunningEmulator::base_url`).
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base: base_url.into().trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/_emulator{path}", self.base)
    }

    fn enc(s: &str) -> String {
        url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Value> {
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        if status >= 400 {
            return Err(ControlClientError::Status { status, body: text });
        }
        Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        })
    }

    /// Forgets everything (state, channels, faults, log) and reloads the seed.
    pub async fn reset(&self) -> Result<()> {
        self.send(self.http.post(self.url("/reset")))
            .await
            .map(|_| ())
    }

    /// Creates a user (and its primary calendar, id = email); returns the user JSON.
    pub async fn create_user(&self, email: &str, name: Option<&str>) -> Result<Value> {
        self.send(
            self.http
                .post(self.url("/users"))
                .json(&json!({"email": email, "name": name})),
        )
        .await
    }

    /// Mints tokens for a user with the default scopes (calendar + openid email profile).
    pub async fn mint_tokens(&self, email: &str) -> Result<MintedTokens> {
        let v = self
            .send(
                self.http
                    .post(self.url(&format!("/users/{}/tokens", Self::enc(email))))
                    .json(&json!({})),
            )
            .await?;
        serde_json::from_value(v).map_err(|e| ControlClientError::Status {
            status: 200,
            body: e.to_string(),
        })
    }

    /// Revokes every grant of a user (their refresh tokens then answer `invalid_grant`).
    pub async fn revoke_user(&self, email: &str) -> Result<()> {
        self.send(
            self.http
                .post(self.url(&format!("/users/{}/revoke", Self::enc(email)))),
        )
        .await
        .map(|_| ())
    }

    /// Makes every access token of a user expire now.
    pub async fn expire_access_tokens(&self, email: &str) -> Result<()> {
        let path = format!("/users/{}/expire-access-tokens", Self::enc(email));
        self.send(self.http.post(self.url(&path))).await.map(|_| ())
    }

    /// Creates a secondary calendar; returns its calendar-list entry.
    pub async fn create_calendar(&self, email: &str, summary: &str) -> Result<Value> {
        let path = format!("/users/{}/calendars", Self::enc(email));
        self.send(
            self.http
                .post(self.url(&path))
                .json(&json!({"summary": summary})),
        )
        .await
    }

    /// Changes a calendar (`{"summary"?, "description"?, "timeZone"?, "hidden"?}`) as the user would.
    pub async fn change_calendar(
        &self,
        email: &str,
        calendar: &str,
        change: &Value,
    ) -> Result<Value> {
        let path = format!(
            "/users/{}/calendars/{}",
            Self::enc(email),
            Self::enc(calendar)
        );
        self.send(self.http.patch(self.url(&path)).json(change))
            .await
    }

    /// Deletes a secondary calendar as the user would.
    pub async fn delete_calendar(&self, email: &str, calendar: &str) -> Result<()> {
        let path = format!(
            "/users/{}/calendars/{}",
            Self::enc(email),
            Self::enc(calendar)
        );
        self.send(self.http.delete(self.url(&path)))
            .await
            .map(|_| ())
    }

    /// Makes every refresh token of a user expire now (they then answer `invalid_grant`).
    pub async fn expire_refresh_tokens(&self, email: &str) -> Result<()> {
        let path = format!("/users/{}/expire-refresh-tokens", Self::enc(email));
        self.send(self.http.post(self.url(&path))).await.map(|_| ())
    }

    /// Inserts an event as the user would in Google's UI.
    pub async fn insert_event(&self, email: &str, calendar: &str, event: &Value) -> Result<Value> {
        let path = format!(
            "/users/{}/calendars/{}/events",
            Self::enc(email),
            Self::enc(calendar)
        );
        self.send(self.http.post(self.url(&path)).json(event)).await
    }

    /// Patches an event (an instance id makes an exception) as the user would in Google's UI.
    pub async fn patch_event(
        &self,
        email: &str,
        calendar: &str,
        id: &str,
        patch: &Value,
    ) -> Result<Value> {
        let path = format!(
            "/users/{}/calendars/{}/events/{}",
            Self::enc(email),
            Self::enc(calendar),
            Self::enc(id)
        );
        self.send(self.http.patch(self.url(&path)).json(patch))
            .await
    }

    /// Deletes an event (or cancels one instance) as the user would in Google's UI.
    pub async fn delete_event(&self, email: &str, calendar: &str, id: &str) -> Result<()> {
        let path = format!(
            "/users/{}/calendars/{}/events/{}",
            Self::enc(email),
            Self::enc(calendar),
            Self::enc(id)
        );
        self.send(self.http.delete(self.url(&path)))
            .await
            .map(|_| ())
    }

    /// Every stored event of a calendar (cancelled ones included), in change order.
    pub async fn events(&self, email: &str, calendar: &str) -> Result<Vec<Value>> {
        let path = format!(
            "/users/{}/calendars/{}/events",
            Self::enc(email),
            Self::enc(calendar)
        );
        let v = self.send(self.http.get(self.url(&path))).await?;
        Ok(v.get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default())
    }

    /// Expires sync tokens: one calendar of a user, all of a user's (with `calendar` `None`), or all (`user` `None`).
    pub async fn expire_sync_tokens(
        &self,
        user: Option<&str>,
        calendar: Option<&str>,
    ) -> Result<()> {
        let body = json!({"user": user, "calendarId": calendar});
        self.send(self.http.post(self.url("/sync-tokens/expire")).json(&body))
            .await
            .map(|_| ())
    }

    /// Makes the authorization endpoint approve at once for this user (or show the consent page with `None`).
    pub async fn set_auto_approve(&self, email: Option<&str>) -> Result<()> {
        self.send(
            self.http
                .put(self.url("/oauth/auto-approve"))
                .json(&json!({"email": email})),
        )
        .await
        .map(|_| ())
    }

    /// Adds a fault rule; returns its id.
    pub async fn add_fault(&self, spec: &FaultSpec) -> Result<u64> {
        let v = self
            .send(self.http.post(self.url("/faults")).json(spec))
            .await?;
        Ok(v.get("id").and_then(Value::as_u64).unwrap_or_default())
    }

    /// Removes every fault rule.
    pub async fn clear_faults(&self) -> Result<()> {
        self.send(self.http.delete(self.url("/faults")))
            .await
            .map(|_| ())
    }

    /// The request log, optionally only one operation (e.g. `calendar.events.list`).
    pub async fn requests(&self, operation: Option<&str>) -> Result<Vec<LoggedRequest>> {
        let mut req = self.http.get(self.url("/requests"));
        if let Some(op) = operation {
            req = req.query(&[("operation", op)]);
        }
        let v = self.send(req).await?;
        serde_json::from_value(v).map_err(|e| ControlClientError::Status {
            status: 200,
            body: e.to_string(),
        })
    }

    /// Empties the request log.
    pub async fn clear_requests(&self) -> Result<()> {
        self.send(self.http.delete(self.url("/requests")))
            .await
            .map(|_| ())
    }

    /// The virtual clock's now.
    pub async fn clock(&self) -> Result<ClockState> {
        let v = self.send(self.http.get(self.url("/clock"))).await?;
        Self::parse(v)
    }

    /// Moves the virtual clock forward by `seconds` (token, channel, sync-token and fault lifetimes all read it);
    /// returns the new now.
    pub async fn advance_clock(&self, seconds: u64) -> Result<ClockState> {
        let v = self
            .send(
                self.http
                    .post(self.url("/clock/advance"))
                    .json(&json!({ "seconds": seconds })),
            )
            .await?;
        Self::parse(v)
    }

    /// Holds every push notification until [`ControlClient::resume_notifications`] (or a flush).
    pub async fn pause_notifications(&self) -> Result<()> {
        self.send(self.http.post(self.url("/notifications/pause")))
            .await
            .map(|_| ())
    }

    /// Lets held notifications go again.
    pub async fn resume_notifications(&self) -> Result<()> {
        self.send(self.http.post(self.url("/notifications/resume")))
            .await
            .map(|_| ())
    }

    /// Delivers every pending notification (even while paused) and returns once they were sent; returns how
    /// many. Messages held by a delay fault stay until the clock reaches them.
    pub async fn flush_notifications(&self) -> Result<u64> {
        let v = self
            .send(self.http.post(self.url("/notifications/flush")))
            .await?;
        Ok(v.get("flushed").and_then(Value::as_u64).unwrap_or_default())
    }

    /// The notifications waiting to be delivered, channel by channel in delivery order.
    pub async fn pending_notifications(&self) -> Result<Vec<PendingNotification>> {
        let v = self
            .send(self.http.get(self.url("/notifications/pending")))
            .await?;
        Self::parse(v.get("items").cloned().unwrap_or(Value::Null))
    }

    /// Coalescing of changes into one pending `exists` message per channel (on by default); off sends one
    /// message per change.
    pub async fn set_notification_coalescing(&self, enabled: bool) -> Result<()> {
        self.send(
            self.http
                .put(self.url("/notifications/coalescing"))
                .json(&json!({ "enabled": enabled })),
        )
        .await
        .map(|_| ())
    }

    /// The fault rules in force (`{id, spec, remaining, hits}` each).
    pub async fn faults(&self) -> Result<Vec<Value>> {
        let v = self.send(self.http.get(self.url("/faults"))).await?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    /// Removes one fault rule.
    pub async fn clear_fault(&self, id: u64) -> Result<()> {
        self.send(self.http.delete(self.url(&format!("/faults/{id}"))))
            .await
            .map(|_| ())
    }

    fn parse<T: serde::de::DeserializeOwned>(v: Value) -> Result<T> {
        serde_json::from_value(v).map_err(|e| ControlClientError::Status {
            status: 200,
            body: e.to_string(),
        })
    }

    /// Live watch channels.
    pub async fn channels(&self) -> Result<Vec<Value>> {
        let v = self.send(self.http.get(self.url("/channels"))).await?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    /// Recent notification delivery attempts.
    pub async fn notifications(&self) -> Result<Vec<DeliveryRecord>> {
        let v = self.send(self.http.get(self.url("/notifications"))).await?;
        serde_json::from_value(v).map_err(|e| ControlClientError::Status {
            status: 200,
            body: e.to_string(),
        })
    }
}
