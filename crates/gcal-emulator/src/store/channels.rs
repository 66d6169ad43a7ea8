//! Watch channels (events.watch, calendarList.watch, channels.stop) and the queueing of push notifications.
//! Each channel owns a bounded queue read by its own delivery task (`crate::notify`), so notifications of a
//! channel go out in order and the state lock is never held while a POST is in flight.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use rand::Rng;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::Store;
use crate::error::ApiError;

/// Queue length per channel; notifications beyond it are dropped (as Google may drop them).
const QUEUE: usize = 1024;
/// Delivery records kept for the control API.
const MAX_RECORDS: usize = 2000;
/// Live channels one user may hold (each has a queue and a delivery task); more answer 403 `quotaExceeded`.
pub(crate) const MAX_CHANNELS_PER_USER: usize = 1000;

/// One notification to send.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    /// `X-Goog-Message-Number`.
    pub number: u64,
    /// `X-Goog-Resource-State` (`sync` or `exists`).
    pub state: &'static str,
    /// Wait before sending (latency fault).
    pub delay: Duration,
}

/// What the delivery task needs to know about its channel.
#[derive(Debug, Clone)]
pub(crate) struct DeliveryTarget {
    /// Channel id.
    pub channel_id: String,
    /// Address to POST to.
    pub address: String,
    /// Channel token, if any.
    pub token: Option<String>,
    /// Expiration (unix ms).
    pub expiration_ms: i64,
    /// Resource id.
    pub resource_id: String,
    /// Resource URI.
    pub resource_uri: String,
    /// Set when the channel is stopped.
    pub stopped: Arc<AtomicBool>,
}

/// A live channel.
#[derive(Debug)]
pub(crate) struct Channel {
    /// Delivery details.
    pub target: DeliveryTarget,
    /// User who created it.
    pub owner: String,
    /// OAuth client that created it.
    pub client_id: String,
    /// Watched calendar (events watch).
    pub calendar_id: Option<String>,
    /// Last message number used.
    pub last_number: u64,
    /// Queue to the delivery task.
    pub sender: mpsc::Sender<Delivery>,
}

/// A delivery attempt, visible through the control API.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryRecord {
    /// Channel id.
    pub channel_id: String,
    /// Message number.
    pub number: u64,
    /// Resource state.
    pub state: String,
    /// Receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Transport error, when it did not.
    pub error: Option<String>,
    /// Whether a fault dropped it (never sent).
    pub dropped: bool,
    /// Time (RFC 3339).
    pub at: String,
}

/// A watch request, parsed.
#[derive(Debug, Clone)]
pub(crate) struct WatchRequest {
    /// Channel id.
    pub id: String,
    /// Address.
    pub address: String,
    /// Token.
    pub token: Option<String>,
    /// Requested expiration (unix ms).
    pub expiration_ms: Option<i64>,
    /// Requested ttl (seconds, `params.ttl`).
    pub ttl_secs: Option<i64>,
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn push_error(reason: &'static str, message: String) -> ApiError {
    ApiError::new(400, "push", reason, message)
}

impl WatchRequest {
    /// Parses and validates a `Channel` request body.
    pub(crate) fn parse(body: &Value, allow_http: bool) -> Result<Self, ApiError> {
        let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
        let id = text("id")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::required("id"))?;
        if id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_+/=".contains(c))
        {
            return Err(push_error(
                "channelIdInvalid",
                format!("Channel id {id} is invalid."),
            ));
        }
        let kind = text("type").ok_or_else(|| ApiError::required("type"))?;
        if kind != "web_hook" && kind != "webhook" {
            return Err(push_error(
                "channelTypeInvalid",
                format!("Channel type {kind} is not supported."),
            ));
        }
        let address = text("address").ok_or_else(|| ApiError::required("address"))?;
        let url = url::Url::parse(&address).map_err(|_| {
            push_error(
                "webhookUrlNotHttps",
                format!("WebHook callback must be HTTPS: {address}"),
            )
        })?;
        let http_ok =
            allow_http && url.scheme() == "http" && url.host_str().is_some_and(is_loopback);
        if url.scheme() != "https" && !http_ok {
            return Err(push_error(
                "webhookUrlNotHttps",
                format!("WebHook callback must be HTTPS: {address}"),
            ));
        }
        let token = text("token");
        if token.as_ref().is_some_and(|t| t.len() > 256) {
            return Err(ApiError::invalid_param(
                "token",
                "Channel token is too long.",
            ));
        }
        let expiration_ms = match body.get("expiration") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(
                s.parse()
                    .map_err(|_| ApiError::invalid_param("expiration", "Invalid expiration."))?,
            ),
            Some(Value::Number(n)) => Some(
                n.as_i64()
                    .ok_or_else(|| ApiError::invalid_param("expiration", "Invalid expiration."))?,
            ),
            Some(_) => return Err(ApiError::invalid_param("expiration", "Invalid expiration.")),
        };
        let ttl_secs = match body.get("params").and_then(|p| p.get("ttl")) {
            None => None,
            Some(Value::String(s)) => Some(
                s.parse()
                    .map_err(|_| ApiError::invalid_param("ttl", "Invalid ttl."))?,
            ),
            Some(v) => Some(
                v.as_i64()
                    .ok_or_else(|| ApiError::invalid_param("ttl", "Invalid ttl."))?,
            ),
        };
        Ok(Self {
            id,
            address,
            token,
            expiration_ms,
            ttl_secs,
        })
    }
}

/// Result of creating a channel: the response JSON, the queue to hand to a delivery task, and its target.
pub(crate) type CreatedChannel = (Value, mpsc::Receiver<Delivery>, DeliveryTarget);

impl Store {
    /// Creates a channel on a calendar's events (`calendar_id` set) or on the user's calendar list.
    pub(crate) fn create_channel(
        &mut self,
        user: &str,
        client_id: &str,
        calendar_id: Option<String>,
        request: WatchRequest,
        base_url: &str,
    ) -> Result<CreatedChannel, ApiError> {
        self.expire_channels();
        if self.channels.contains_key(&request.id) {
            return Err(ApiError::new(
                400,
                "global",
                "channelIdNotUnique",
                format!("Channel id {} not unique", request.id),
            ));
        }
        if self.channels.values().filter(|c| c.owner == user).count() >= MAX_CHANNELS_PER_USER {
            return Err(ApiError::quota_exceeded());
        }
        let (resource_id, resource_uri) = match &calendar_id {
            Some(cal) => {
                let c = self.calendars.get(cal).ok_or_else(ApiError::not_found)?;
                let encoded: String =
                    url::form_urlencoded::byte_serialize(cal.as_bytes()).collect();
                (
                    c.resource_id.clone(),
                    format!("{base_url}/calendar/v3/calendars/{encoded}/events?alt=json"),
                )
            }
            None => {
                let u = self.user(user).ok_or_else(ApiError::auth_error)?;
                (
                    u.list_resource_id.clone(),
                    format!("{base_url}/calendar/v3/users/me/calendarList?alt=json"),
                )
            }
        };
        let now_ms = Utc::now().timestamp_millis();
        let max_ms = i64::try_from(self.config.channel_max_ttl.as_millis()).unwrap_or(i64::MAX);
        let mut expiration = now_ms.saturating_add(max_ms);
        if let Some(ttl) = request.ttl_secs {
            expiration = expiration.min(now_ms.saturating_add(ttl.max(1).saturating_mul(1000)));
        }
        if let Some(req) = request.expiration_ms {
            expiration = expiration.min(req.max(now_ms + 1000));
        }
        let (sender, receiver) = mpsc::channel(QUEUE);
        let target = DeliveryTarget {
            channel_id: request.id.clone(),
            address: request.address.clone(),
            token: request.token.clone(),
            expiration_ms: expiration,
            resource_id: resource_id.clone(),
            resource_uri: resource_uri.clone(),
            stopped: Arc::new(AtomicBool::new(false)),
        };
        let mut channel = Channel {
            target: target.clone(),
            owner: user.to_owned(),
            client_id: client_id.to_owned(),
            calendar_id,
            last_number: 0,
            sender,
        };
        self.enqueue(&mut channel, "sync");
        self.channels.insert(request.id.clone(), channel);
        let mut body = json!({
            "kind": "api#channel", "id": request.id, "resourceId": resource_id, "resourceUri": resource_uri,
            "expiration": expiration.to_string(),
        });
        if let Some(t) = &request.token {
            body["token"] = json!(t);
        }
        Ok((body, receiver, target))
    }

    /// channels.stop: only the creating user and client may stop a channel.
    pub(crate) fn stop_channel(
        &mut self,
        user: &str,
        client_id: &str,
        id: &str,
        resource_id: &str,
    ) -> Result<(), ApiError> {
        match self.channels.get(id) {
            Some(ch)
                if ch.target.resource_id == resource_id
                    && ch.owner == user
                    && ch.client_id == client_id =>
            {
                ch.target.stopped.store(true, Ordering::SeqCst);
                self.channels.remove(id);
                Ok(())
            }
            _ => Err(ApiError::not_found()),
        }
    }

    /// Stops (as the control API, any owner) a channel; false when unknown.
    pub(crate) fn drop_channel(&mut self, id: &str) -> bool {
        match self.channels.remove(id) {
            Some(ch) => {
                ch.target.stopped.store(true, Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    /// Removes expired channels.
    pub(crate) fn expire_channels(&mut self) {
        let now = Utc::now().timestamp_millis();
        self.channels.retain(|_, ch| {
            let alive = ch.target.expiration_ms > now;
            if !alive {
                ch.target.stopped.store(true, Ordering::SeqCst);
            }
            alive
        });
    }

    /// Puts the next notification of `channel` in its queue, applying notification faults.
    fn enqueue(&mut self, channel: &mut Channel, state: &'static str) {
        channel.last_number = if state == "sync" {
            1
        } else {
            channel.last_number + rand::thread_rng().gen_range(1..=3)
        };
        let effect = self.faults.take("notifications");
        if effect.drop {
            self.record(DeliveryRecord {
                channel_id: channel.target.channel_id.clone(),
                number: channel.last_number,
                state: state.to_owned(),
                status: None,
                error: None,
                dropped: true,
                at: Utc::now().to_rfc3339(),
            });
            return;
        }
        let delivery = Delivery {
            number: channel.last_number,
            state,
            delay: effect.delay,
        };
        let copies = if effect.duplicate { 2 } else { 1 };
        for _ in 0..copies {
            // A full queue means the receiver is far behind; Google drops notifications too.
            let _ = channel.sender.try_send(delivery.clone());
        }
    }

    /// Notifies the events channels of a calendar that something changed.
    pub(crate) fn notify_events(&mut self, calendar_id: &str) {
        self.notify_where(|ch| ch.calendar_id.as_deref() == Some(calendar_id));
    }

    /// Notifies the calendar-list channels of a user.
    pub(crate) fn notify_calendar_list(&mut self, user: &str) {
        self.notify_where(|ch| ch.calendar_id.is_none() && ch.owner == user);
    }

    fn notify_where(&mut self, wanted: impl Fn(&Channel) -> bool) {
        self.expire_channels();
        let ids: Vec<String> = self
            .channels
            .iter()
            .filter(|(_, ch)| wanted(ch))
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            if let Some(mut ch) = self.channels.remove(&id) {
                self.enqueue(&mut ch, "exists");
                self.channels.insert(id, ch);
            }
        }
    }

    /// Keeps a delivery record (bounded).
    pub(crate) fn record(&mut self, record: DeliveryRecord) {
        if self.deliveries.len() >= MAX_RECORDS {
            self.deliveries.pop_front();
        }
        self.deliveries.push_back(record);
    }

    /// The live channels as JSON (control API).
    pub(crate) fn channels_json(&mut self) -> Value {
        self.expire_channels();
        let list: Vec<Value> = self
            .channels
            .values()
            .map(|ch| {
                json!({"id": ch.target.channel_id, "resourceId": ch.target.resource_id, "resourceUri": ch.target.resource_uri,
                    "address": ch.target.address, "expiration": ch.target.expiration_ms.to_string(), "user": ch.owner,
                    "calendarId": ch.calendar_id, "lastMessageNumber": ch.last_number})
            })
            .collect();
        json!(list)
    }
}
