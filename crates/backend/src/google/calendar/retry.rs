//! [`RetryPolicy`]: how long one request may take, how long a whole call (retries included) may take,
//! how many attempts it gets, and the backoff between them: exponential with full jitter
//! (`random(0, min(max_delay, base_delay · 2^(attempt-1)))`), never shorter than a `Retry-After` Google
//! sent. A wait that would end after the call's deadline is not started: the last error is returned.
//!
//! Production uses [`RetryPolicy::default`]; tests shrink every duration so that faults cost milliseconds.

use std::time::Duration;

use rand::Rng as _;

/// Timeouts, deadline, attempts and backoff of every Calendar call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per call, the first one included (at least 1).
    pub max_attempts: u32,
    /// Backoff ceiling before the first retry.
    pub base_delay: Duration,
    /// Largest backoff ceiling.
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured; a longer one ends the call with the error at once.
    pub max_retry_after: Duration,
    /// Longest a single HTTP request may take (connect, send, whole answer).
    pub request_timeout: Duration,
    /// Longest connection set-up.
    pub connect_timeout: Duration,
    /// Longest a whole call may take, token refresh, retries and waits included.
    pub deadline: Duration,
    /// Access tokens are refreshed this long before Google says they expire.
    pub token_refresh_margin: Duration,
}

impl Default for RetryPolicy {
    /// Google's advice (exponential backoff to about a minute) bounded so that a sync worker is never
    /// stuck: 5 attempts, 0.5 s doubling to 30 s, 20 s per request, 90 s per call.
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            request_timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(5),
            deadline: Duration::from_secs(90),
            token_refresh_margin: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The backoff ceiling before retry number `retry` (1 for the first retry).
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(31));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// The wait before retry number `retry`: full jitter under [`RetryPolicy::ceiling`], and at least
    /// `retry_after` when Google sent one.
    pub fn backoff(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let ceiling = self.ceiling(retry);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        let jittered = Duration::from_millis(rand::thread_rng().gen_range(0..=millis));
        jittered.max(retry_after.unwrap_or_default())
    }
}

/// Reads a `Retry-After` header: delay seconds, or an HTTP date (RFC 1123).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_up_to_the_cap() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            ..RetryPolicy::default()
        };
        let ceilings: Vec<_> = (1..=5).map(|n| policy.ceiling(n).as_millis()).collect();
        assert_eq!(ceilings, vec![100, 200, 400, 500, 500]);
        assert_eq!(policy.ceiling(200), Duration::from_millis(500));
    }

    #[test]
    fn backoff_is_jittered_under_the_ceiling_and_honours_retry_after() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            ..RetryPolicy::default()
        };
        for retry in 1..6 {
            assert!(policy.backoff(retry, None) <= policy.ceiling(retry));
        }
        assert!(policy.backoff(1, Some(Duration::from_secs(2))) >= Duration::from_secs(2));
        // Full jitter: not always the ceiling.
        let distinct: std::collections::BTreeSet<_> =
            (0..50).map(|_| policy.backoff(3, None)).collect();
        assert!(distinct.len() > 1);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Tue, 19 Nov 2013 01:13:52 GMT"),
            Some(Duration::ZERO)
        );
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        let wait = parse_retry_after(&soon).unwrap();
        assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30));
        assert_eq!(parse_retry_after("soon"), None);
    }
}
