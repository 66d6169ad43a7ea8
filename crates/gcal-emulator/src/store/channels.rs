//! Watch channels (events.watch, calendarList.watch, channels.stop) and the queueing of push notifications.
//! Each channel keeps a bounded list of pending messages that its own delivery task (`crate::notify`) takes one
//! at a time, so the state lock is never held while a POST is in flight. Pending messages are what the control
//! API pauses, lists and flushes; a change coalesces into a pending `exists` message of its channel (Google-like,
//! switchable); notification faults (drop, duplicate, delay, reorder) apply when a message is made.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::Notify;

use super::faults::FaultContext;
use super::Store;
use crate::error::ApiError;
use crate::store::event_time::rfc3339_millis;

/// Queue length per channel; notifications beyond it are dropped (as Google may drop them).
const QUEUE: usize = 1024;
/// Delivery records kept for the control API.
const MAX_RECORDS: usize = 2000;
/// Live channels one user may hold (each has a queue and a delivery task); more answer 403 `quotaExceeded`.
pub(crate) const MAX_CHANNELS_PER_USER: usize = 1000;

/// One notification handed to a delivery task.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    /// `X-Goog-Message-Number`.
    pub number: u64,
    /// `X-Goog-Resource-State` (`sync` or `exists`).
    pub state: &'static str,
}

/// A message waiting in its channel.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    /// Store-wide increasing id (flush delivers every id up to its mark).
    pub id: u64,
    /// `X-Goog-Message-Number`.
    pub number: u64,
    /// `sync` or `exists`.
    pub state: &'static str,
    /// Changes coalesced into it.
    pub changes: u32,
    /// Not sent before this virtual time (unix ms): the coalescing window or a delay fault.
    pub due_ms: i64,
    /// Held by a delay fault: a flush does not force it before `due_ms`.
    pub held: bool,
    /// Held by a reorder fault until a later message of the channel has been sent (or a flush).
    pub reorder: bool,
}

/// What a delivery task does next.
#[derive(Debug)]
pub(crate) enum Next {
    /// Send this message.
    Send(Delivery),
    /// Nothing is ready: wait to be woken, or at most this long.
    Wait(Duration),
    /// The channel is gone: end the task.
    Stop,
}

/// Store-wide notification control.
#[derive(Debug, Clone)]
pub(crate) struct Notifier {
    /// Deliver nothing (but flushes) while set.
    pub paused: bool,
    /// Coalesce changes into a pending `exists` message.
    pub coalesce: bool,
    /// Messages with an id up to this are delivered even while paused or inside their window.
    pub flush_upto: u64,
    /// Last pending id given out.
    pub last_id: u64,
    /// Coalescing window of `exists` messages.
    pub window: Duration,
}

impl Notifier {
    /// Delivery running, with the configured coalescing.
    pub(crate) fn new(coalesce: bool, window: Duration) -> Self {
        Self {
            paused: false,
            coalesce,
            flush_upto: 0,
            last_id: 0,
            window,
        }
    }
}

/// Longest a delivery task sleeps without re-checking its channel (expiry by real time passing).
const RECHECK: Duration = Duration::from_secs(1);

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
    /// Messages not yet taken by the delivery task.
    pub pending: VecDeque<Pending>,
    /// Id of the message being sent, if any.
    pub in_flight: Option<u64>,
    /// Wakes the delivery task (also identifies it: a channel re-created with the same id has a new one).
    pub wake: Arc<Notify>,
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
    /// Time (RFC 3339, virtual clock).
    pub at: String,
    /// Owner of the channel.
    #[serde(default)]
    pub user: Option<String>,
    /// Watched calendar (events channels).
    #[serde(default)]
    pub calendar_id: Option<String>,
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

/// Result of creating a channel: the response JSON, the delivery task's wake-up handle, and its target.
pub(crate) type CreatedChannel = (Value, Arc<Notify>, DeliveryTarget);

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
        let now_ms = self.clock.now_ms();
        let max_ms = i64::try_from(self.config.channel_max_ttl.as_millis()).unwrap_or(i64::MAX);
        let mut expiration = now_ms.saturating_add(max_ms);
        if let Some(ttl) = request.ttl_secs {
            expiration = expiration.min(now_ms.saturating_add(ttl.max(1).saturating_mul(1000)));
        }
        if let Some(req) = request.expiration_ms {
            expiration = expiration.min(req.max(now_ms + 1000));
        }
        let wake = Arc::new(Notify::new());
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
            pending: VecDeque::new(),
            in_flight: None,
            wake: wake.clone(),
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
        Ok((body, wake, target))
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
                ch.wake.notify_one();
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
                ch.wake.notify_one();
                true
            }
            None => false,
        }
    }

    /// Removes expired channels.
    pub(crate) fn expire_channels(&mut self) {
        let now = self.clock.now_ms();
        self.channels.retain(|_, ch| {
            let alive = ch.target.expiration_ms > now;
            if !alive {
                ch.target.stopped.store(true, Ordering::SeqCst);
                ch.wake.notify_one();
            }
            alive
        });
    }

    /// Adds the next message of `channel` (or coalesces into its pending `exists` message), applying
    /// notification faults, and wakes its delivery task.
    fn enqueue(&mut self, channel: &mut Channel, state: &'static str) {
        let now = self.clock.now_ms();
        if state == "exists" && self.notifier.coalesce {
            if let Some(p) = channel
                .pending
                .iter_mut()
                .rev()
                .find(|p| p.state == "exists" && !p.held && !p.reorder)
            {
                p.changes = p.changes.saturating_add(1);
                return;
            }
        }
        channel.last_number = if state == "sync" {
            1
        } else {
            channel.last_number + rand::thread_rng().gen_range(1..=3)
        };
        let effect = self.faults.take(&FaultContext {
            operation: "notifications",
            user: Some(&channel.owner),
            calendar: channel.calendar_id.as_deref(),
            channel: Some(&channel.target.channel_id),
            method: None,
        });
        if effect.drop {
            self.record(dropped_record(channel, channel.last_number, state, now));
            return;
        }
        let hold = effect.delay.saturating_add(effect.hold);
        let window = if state == "exists" {
            self.notifier.window
        } else {
            Duration::ZERO
        };
        let wait = i64::try_from(hold.saturating_add(window).as_millis()).unwrap_or(i64::MAX);
        for _ in 0..if effect.duplicate { 2 } else { 1 } {
            self.notifier.last_id += 1;
            channel.pending.push_back(Pending {
                id: self.notifier.last_id,
                number: channel.last_number,
                state,
                changes: 1,
                due_ms: now.saturating_add(wait),
                held: !hold.is_zero(),
                reorder: effect.reorder,
            });
        }
        while channel.pending.len() > QUEUE {
            // The receiver is far behind; Google drops notifications too.
            if let Some(old) = channel.pending.pop_front() {
                self.record(dropped_record(channel, old.number, old.state, now));
            }
        }
        channel.wake.notify_one();
    }

    /// The next step of the delivery task of channel `id` (identified by its `wake` handle): the first pending
    /// message that may go now — unpaused and due, or covered by a flush — which becomes in flight.
    pub(crate) fn next_delivery(&mut self, id: &str, wake: &Arc<Notify>) -> Next {
        self.expire_channels();
        let now = self.clock.now_ms();
        let notifier = self.notifier.clone();
        let Some(ch) = self.channels.get_mut(id) else {
            return Next::Stop;
        };
        if !Arc::ptr_eq(&ch.wake, wake) || ch.target.stopped.load(Ordering::SeqCst) {
            return Next::Stop;
        }
        let mut wait = RECHECK;
        let mut ready = None;
        for (i, p) in ch.pending.iter().enumerate() {
            let forced = p.id <= notifier.flush_upto;
            let due = p.due_ms <= now;
            let go = if p.reorder {
                false
            } else if p.held {
                due && (forced || !notifier.paused)
            } else {
                forced || (due && !notifier.paused)
            };
            if go {
                ready = Some(i);
                break;
            }
            if !due && !p.reorder {
                let ms = u64::try_from(p.due_ms.saturating_sub(now)).unwrap_or(0);
                wait = wait.min(Duration::from_millis(ms));
            }
        }
        // A message held back by a reorder fault goes by itself only when a flush covers it and nothing else
        // of its channel is ready first.
        let ready = ready.or_else(|| {
            ch.pending
                .iter()
                .position(|p| p.reorder && p.id <= notifier.flush_upto)
        });
        let Some(message) = ready.and_then(|i| ch.pending.remove(i)) else {
            return Next::Wait(wait);
        };
        // A message held back by a reorder fault goes once a later one of its channel has gone.
        for p in ch.pending.iter_mut().filter(|p| p.id < message.id) {
            p.reorder = false;
        }
        ch.in_flight = Some(message.id);
        Next::Send(Delivery {
            number: message.number,
            state: message.state,
        })
    }

    /// Marks the in-flight message of channel `id` as done.
    pub(crate) fn delivery_done(&mut self, id: &str, wake: &Arc<Notify>) {
        if let Some(ch) = self.channels.get_mut(id) {
            if Arc::ptr_eq(&ch.wake, wake) {
                ch.in_flight = None;
            }
        }
    }

    /// Wakes every delivery task (after a pause, resume, flush or clock change).
    pub(crate) fn wake_deliveries(&self) {
        for ch in self.channels.values() {
            ch.wake.notify_one();
        }
    }

    /// Starts a flush: every message pending now will be delivered even while paused or inside its window
    /// (delay faults still hold theirs until due). Returns the mark to wait for with [`Store::flush_left`].
    pub(crate) fn start_flush(&mut self) -> u64 {
        self.notifier.flush_upto = self.notifier.last_id;
        self.wake_deliveries();
        self.notifier.flush_upto
    }

    /// Messages up to `mark` that a flush still has to deliver (pending and forcible, or in flight).
    pub(crate) fn flush_left(&mut self, mark: u64) -> usize {
        self.expire_channels();
        let now = self.clock.now_ms();
        self.channels
            .values()
            .map(|ch| {
                let pending = ch
                    .pending
                    .iter()
                    .filter(|p| p.id <= mark && (!p.held || p.due_ms <= now))
                    .count();
                pending + usize::from(ch.in_flight.is_some_and(|id| id <= mark))
            })
            .sum()
    }

    /// The pending messages as JSON (control API), channel by channel in delivery order.
    pub(crate) fn pending_json(&mut self) -> Value {
        self.expire_channels();
        let mut channels: Vec<&Channel> = self.channels.values().collect();
        channels.sort_by(|a, b| a.target.channel_id.cmp(&b.target.channel_id));
        let items: Vec<Value> = channels
            .into_iter()
            .flat_map(|ch| {
                ch.pending.iter().map(move |p| {
                    json!({
                        "channelId": ch.target.channel_id, "resourceId": ch.target.resource_id,
                        "user": ch.owner, "calendarId": ch.calendar_id, "state": p.state,
                        "messageNumber": p.number, "changes": p.changes,
                        "dueAt": chrono::DateTime::from_timestamp_millis(p.due_ms).map(rfc3339_millis),
                        "delayed": p.held, "reordered": p.reorder,
                    })
                })
            })
            .collect();
        json!({"items": items, "paused": self.notifier.paused, "coalescing": self.notifier.coalesce})
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

/// The record of a message a fault (or a full queue) dropped.
fn dropped_record(channel: &Channel, number: u64, state: &str, now_ms: i64) -> DeliveryRecord {
    DeliveryRecord {
        channel_id: channel.target.channel_id.clone(),
        number,
        state: state.to_owned(),
        status: None,
        error: None,
        dropped: true,
        at: chrono::DateTime::from_timestamp_millis(now_ms)
            .map(rfc3339_millis)
            .unwrap_or_default(),
        user: Some(channel.owner.clone()),
        calendar_id: channel.calendar_id.clone(),
    }
}
