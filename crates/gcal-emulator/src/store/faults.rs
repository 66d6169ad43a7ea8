//! Fault injection: rules that make matching operations fail (rate limits, server errors, auth errors, dropped
//! connections), slow down (latency), fail only after the write was applied (`afterCommit`), or drop / duplicate
//! / delay / reorder push notifications — for the next N calls or for a window of virtual-clock time, optionally
//! narrowed to one user, calendar, channel or HTTP method.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::error::ApiError;

/// What a fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultKind {
    /// 429 `rateLimitExceeded`.
    RateLimit429,
    /// 403 `rateLimitExceeded`.
    RateLimit403,
    /// 403 `userRateLimitExceeded`.
    UserRateLimit403,
    /// 403 `quotaExceeded`.
    QuotaExceeded,
    /// 500 `backendError`.
    BackendError,
    /// 502 Bad Gateway (`backendError`), as Google's front ends answer when a backend is unreachable.
    BadGateway,
    /// 503 `backendError`.
    ServiceUnavailable,
    /// 504 Gateway Timeout (`backendError`).
    GatewayTimeout,
    /// The connection is closed without an answer (the client sees a transport error).
    ConnectionReset,
    /// 401 `authError` even with a valid token.
    AuthError,
    /// Delay the answer (or a notification, in virtual-clock time) by `latencyMs`.
    Latency,
    /// Do not deliver the notification (operation `notifications`).
    DropNotification,
    /// Deliver the notification twice (operation `notifications`).
    DuplicateNotification,
    /// Hold the notification for `latencyMs` of virtual-clock time (operation `notifications`).
    DelayNotification,
    /// Deliver the notification after the next one of the same channel (operation `notifications`).
    ReorderNotification,
}

/// A fault rule as the control API accepts it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultSpec {
    /// Operation it applies to: a Google method id such as `calendar.events.list`, a prefix ending in `*`
    /// (`calendar.events.*`), `*` for every operation, `oauth.token`, `oauth.userinfo`, or `notifications`.
    pub operation: String,
    /// What happens.
    pub kind: FaultKind,
    /// Applies to the next `count` matching calls only.
    #[serde(default)]
    pub count: Option<u32>,
    /// Applies for this many milliseconds from now.
    #[serde(default)]
    pub duration_ms: Option<u64>,
    /// Delay for `latency` (default 1000 ms).
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// `Retry-After` seconds sent with rate-limit errors.
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// Only calls (or notifications) of this user (email).
    #[serde(default)]
    pub user: Option<String>,
    /// Only calls on (or notifications of) this calendar id; `primary` is not resolved here, use the email.
    #[serde(default)]
    pub calendar_id: Option<String>,
    /// Only notifications of this watch channel id.
    #[serde(default)]
    pub channel_id: Option<String>,
    /// Only calls with this HTTP method (`GET`, `POST`, `PUT`, `PATCH`, `DELETE`).
    #[serde(default)]
    pub method: Option<String>,
    /// Apply the call first (the write is committed, notifications fire), then answer the error or close the
    /// connection. Only successful calls are turned into failures; a refused call keeps its own answer.
    #[serde(default)]
    pub after_commit: bool,
}

impl FaultSpec {
    /// A rule for `operation` that holds until cleared; narrow it with [`FaultSpec::times`] or
    /// [`FaultSpec::for_millis`].
    pub fn new(operation: impl Into<String>, kind: FaultKind) -> Self {
        Self {
            operation: operation.into(),
            kind,
            count: None,
            duration_ms: None,
            latency_ms: None,
            retry_after: None,
            user: None,
            calendar_id: None,
            channel_id: None,
            method: None,
            after_commit: false,
        }
    }

    /// Only the next `n` matching calls.
    pub fn times(mut self, n: u32) -> Self {
        self.count = Some(n);
        self
    }

    /// Only for the next `ms` milliseconds.
    pub fn for_millis(mut self, ms: u64) -> Self {
        self.duration_ms = Some(ms);
        self
    }

    /// Delay of a `latency` rule.
    pub fn latency(mut self, ms: u64) -> Self {
        self.latency_ms = Some(ms);
        self
    }

    /// `Retry-After` seconds on error answers.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Only calls or notifications of this user.
    pub fn for_user(mut self, email: impl Into<String>) -> Self {
        self.user = Some(email.into());
        self
    }

    /// Only calls on, or notifications of, this calendar.
    pub fn for_calendar(mut self, calendar_id: impl Into<String>) -> Self {
        self.calendar_id = Some(calendar_id.into());
        self
    }

    /// Only notifications of this channel.
    pub fn for_channel(mut self, channel_id: impl Into<String>) -> Self {
        self.channel_id = Some(channel_id.into());
        self
    }

    /// Only calls with this HTTP method.
    pub fn for_method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Apply the call, then fail it (the write stays committed).
    pub fn after_commit(mut self) -> Self {
        self.after_commit = true;
        self
    }
}

impl FaultSpec {
    /// Why the rule could never fire as written (a filter or kind that does not fit its operation), if so.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        let on_notifications = self.operation == "notifications";
        let notification_kind = matches!(
            self.kind,
            FaultKind::DropNotification
                | FaultKind::DuplicateNotification
                | FaultKind::DelayNotification
                | FaultKind::ReorderNotification
        );
        if notification_kind && !on_notifications {
            return Some("notification kinds need operation \"notifications\"");
        }
        if on_notifications && !notification_kind && self.kind != FaultKind::Latency {
            return Some(
                "operation \"notifications\" takes dropNotification, duplicateNotification, \
                 delayNotification, reorderNotification or latency",
            );
        }
        if self.channel_id.is_some() && !on_notifications {
            return Some("channelId filters operation \"notifications\" only");
        }
        if self.method.is_some() && on_notifications {
            return Some("method filters calls, not notifications");
        }
        if self.after_commit && (notification_kind || self.kind == FaultKind::Latency) {
            return Some("afterCommit needs an error kind or connectionReset");
        }
        None
    }
}

/// What the call (or notification) being checked is, for matching rules' filters.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FaultContext<'a> {
    /// Operation id (`calendar.events.insert`, `notifications`, ...).
    pub operation: &'a str,
    /// The user, when known.
    pub user: Option<&'a str>,
    /// The calendar, when known (resolved: `primary` is the email).
    pub calendar: Option<&'a str>,
    /// The channel (notifications).
    pub channel: Option<&'a str>,
    /// The HTTP method (calls).
    pub method: Option<&'a str>,
}

/// A stored rule.
#[derive(Debug, Clone)]
pub(crate) struct FaultRule {
    /// Rule id.
    pub id: u64,
    /// The spec.
    pub spec: FaultSpec,
    /// Calls left, when counted.
    pub remaining: Option<u32>,
    /// End of the window, when timed.
    pub until: Option<Instant>,
    /// Times it fired.
    pub hits: u64,
}

/// What a matching call must do.
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultEffect {
    /// Wait this long first.
    pub delay: Duration,
    /// Then fail with this error.
    pub error: Option<ApiError>,
    /// (Notifications) drop it.
    pub drop: bool,
    /// (Notifications) send it twice.
    pub duplicate: bool,
    /// (Notifications) send it after the next one of its channel.
    pub reorder: bool,
    /// (Notifications) hold it this long in virtual time.
    pub hold: Duration,
    /// Close the connection without an answer.
    pub reset: bool,
    /// Apply the call first, then fail it with `error` / `reset`.
    pub after_commit: bool,
}

/// The rule set; windows read the virtual [`Clock`].
#[derive(Debug, Default)]
pub(crate) struct Faults {
    clock: Clock,
    rules: Vec<FaultRule>,
    next_id: u64,
}

fn same(filter: Option<&String>, value: Option<&str>) -> bool {
    filter.is_none_or(|f| value.is_some_and(|v| f.eq_ignore_ascii_case(v)))
}

fn applies(spec: &FaultSpec, ctx: &FaultContext<'_>) -> bool {
    matches(&spec.operation, ctx.operation)
        && same(spec.user.as_ref(), ctx.user)
        && same(spec.calendar_id.as_ref(), ctx.calendar)
        && same(spec.channel_id.as_ref(), ctx.channel)
        && same(spec.method.as_ref(), ctx.method)
}

fn matches(pattern: &str, operation: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => {
            operation.starts_with(prefix)
                && (operation != "notifications" || prefix == "notifications")
        }
        None => pattern == operation,
    }
}

fn error_for(kind: FaultKind, retry_after: Option<u64>) -> Option<ApiError> {
    let mut e = match kind {
        FaultKind::RateLimit429 => ApiError::new(
            429,
            "usageLimits",
            "rateLimitExceeded",
            "Rate Limit Exceeded",
        ),
        FaultKind::RateLimit403 => ApiError::new(
            403,
            "usageLimits",
            "rateLimitExceeded",
            "Rate Limit Exceeded",
        ),
        FaultKind::UserRateLimit403 => ApiError::new(
            403,
            "usageLimits",
            "userRateLimitExceeded",
            "User Rate Limit Exceeded",
        ),
        FaultKind::QuotaExceeded => ApiError::quota_exceeded(),
        FaultKind::BackendError => ApiError::backend_error(),
        FaultKind::BadGateway => ApiError::new(502, "global", "backendError", "Bad Gateway"),
        FaultKind::GatewayTimeout => {
            ApiError::new(504, "global", "backendError", "Gateway Timeout")
        }
        FaultKind::ServiceUnavailable => {
            ApiError::new(503, "global", "backendError", "Service Unavailable")
        }
        FaultKind::AuthError => ApiError::auth_error(),
        FaultKind::Latency
        | FaultKind::ConnectionReset
        | FaultKind::DropNotification
        | FaultKind::DuplicateNotification
        | FaultKind::DelayNotification
        | FaultKind::ReorderNotification => return None,
    };
    e.retry_after = retry_after;
    Some(e)
}

impl Faults {
    /// No rules; windows read `clock`.
    pub(crate) fn new(clock: Clock) -> Self {
        Self {
            clock,
            ..Self::default()
        }
    }

    /// Adds a rule; returns its id.
    pub(crate) fn add(&mut self, spec: FaultSpec) -> u64 {
        self.next_id += 1;
        let rule = FaultRule {
            id: self.next_id,
            remaining: spec.count,
            // A window too long to represent never closes.
            until: spec
                .duration_ms
                .and_then(|ms| self.clock.instant().checked_add(Duration::from_millis(ms))),
            spec,
            hits: 0,
        };
        self.rules.push(rule);
        self.next_id
    }

    /// Removes one rule (or all with `None`).
    pub(crate) fn clear(&mut self, id: Option<u64>) -> bool {
        let before = self.rules.len();
        match id {
            Some(id) => self.rules.retain(|r| r.id != id),
            None => self.rules.clear(),
        }
        self.rules.len() != before
    }

    /// The rules still in force.
    pub(crate) fn list(&mut self) -> Vec<FaultRule> {
        self.expire();
        self.rules.clone()
    }

    fn expire(&mut self) {
        let now: Instant = self.clock.instant();
        self.rules
            .retain(|r| r.remaining != Some(0) && r.until.is_none_or(|u| u > now));
    }

    /// Applies the rules to one call (or notification) described by `ctx`, consuming counted rules.
    pub(crate) fn take(&mut self, ctx: &FaultContext<'_>) -> FaultEffect {
        self.expire();
        let mut effect = FaultEffect::default();
        let fatal = |e: &FaultEffect| e.error.is_some() || e.reset;
        for rule in self.rules.iter_mut().filter(|r| applies(&r.spec, ctx)) {
            if fatal(&effect) && rule.spec.kind != FaultKind::Latency {
                continue;
            }
            rule.hits += 1;
            if let Some(n) = rule.remaining.as_mut() {
                *n = n.saturating_sub(1);
            }
            let ms = Duration::from_millis(rule.spec.latency_ms.unwrap_or(1000));
            match rule.spec.kind {
                FaultKind::Latency => effect.delay = effect.delay.saturating_add(ms),
                FaultKind::DelayNotification => effect.hold = effect.hold.saturating_add(ms),
                FaultKind::DropNotification => effect.drop = true,
                FaultKind::DuplicateNotification => effect.duplicate = true,
                FaultKind::ReorderNotification => effect.reorder = true,
                FaultKind::ConnectionReset => {
                    effect.reset = true;
                    effect.after_commit = rule.spec.after_commit;
                }
                kind => {
                    effect.error = error_for(kind, rule.spec.retry_after);
                    effect.after_commit = rule.spec.after_commit;
                }
            }
        }
        effect
    }
}
