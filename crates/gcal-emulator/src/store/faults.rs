//! Fault injection: rules that make matching operations fail (rate limits, server errors, auth errors),
//! slow down (latency), or drop / duplicate push notifications — for the next N calls or for a time window.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

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
    /// 503 `backendError`.
    ServiceUnavailable,
    /// 401 `authError` even with a valid token.
    AuthError,
    /// Delay the answer (or a notification) by `latencyMs`.
    Latency,
    /// Do not deliver the notification (operation `notifications`).
    DropNotification,
    /// Deliver the notification twice (operation `notifications`).
    DuplicateNotification,
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
}

/// The rule set.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Vec<FaultRule>,
    next_id: u64,
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
        FaultKind::ServiceUnavailable => {
            ApiError::new(503, "global", "backendError", "Service Unavailable")
        }
        FaultKind::AuthError => ApiError::auth_error(),
        FaultKind::Latency | FaultKind::DropNotification | FaultKind::DuplicateNotification => {
            return None
        }
    };
    e.retry_after = retry_after;
    Some(e)
}

impl Faults {
    /// Adds a rule; returns its id.
    pub(crate) fn add(&mut self, spec: FaultSpec) -> u64 {
        self.next_id += 1;
        let rule = FaultRule {
            id: self.next_id,
            remaining: spec.count,
            // A window too long to represent never closes.
            until: spec
                .duration_ms
                .and_then(|ms| Instant::now().checked_add(Duration::from_millis(ms))),
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
        let now = Instant::now();
        self.rules
            .retain(|r| r.remaining != Some(0) && r.until.is_none_or(|u| u > now));
    }

    /// Applies the rules to one call of `operation`, consuming counted rules.
    pub(crate) fn take(&mut self, operation: &str) -> FaultEffect {
        self.expire();
        let mut effect = FaultEffect::default();
        for rule in self
            .rules
            .iter_mut()
            .filter(|r| matches(&r.spec.operation, operation))
        {
            if effect.error.is_some() && rule.spec.kind != FaultKind::Latency {
                continue;
            }
            rule.hits += 1;
            if let Some(n) = rule.remaining.as_mut() {
                *n -= 1;
            }
            match rule.spec.kind {
                FaultKind::Latency => {
                    effect.delay = effect
                        .delay
                        .saturating_add(Duration::from_millis(rule.spec.latency_ms.unwrap_or(1000)))
                }
                FaultKind::DropNotification => effect.drop = true,
                FaultKind::DuplicateNotification => effect.duplicate = true,
                kind => effect.error = error_for(kind, rule.spec.retry_after),
            }
        }
        effect
    }
}
