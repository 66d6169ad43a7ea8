//! Counters of the Calendar client, per outcome, as plain atomics shared by every [`super::CalendarClient`]
//! of one [`super::CalendarApi`]; [`MetricsSnapshot`] is a consistent-enough copy for health pages and
//! tests.

use std::sync::atomic::{AtomicU64, Ordering};

use super::error::ErrorClass;

/// The live counters.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    calls: AtomicU64,
    attempts: AtomicU64,
    successes: AtomicU64,
    retries: AtomicU64,
    token_refreshes: AtomicU64,
    unauthorized_refreshes: AtomicU64,
    recovered_inserts: AtomicU64,
    /// Attempts that failed, per class.
    attempt_errors: [AtomicU64; ErrorClass::ALL.len()],
    /// Calls that ended in an error, per class.
    call_errors: [AtomicU64; ErrorClass::ALL.len()],
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Metrics {
    pub(crate) fn call(&self) {
        bump(&self.calls);
    }
    pub(crate) fn attempt(&self) {
        bump(&self.attempts);
    }
    pub(crate) fn success(&self) {
        bump(&self.successes);
    }
    pub(crate) fn retry(&self) {
        bump(&self.retries);
    }
    pub(crate) fn token_refresh(&self) {
        bump(&self.token_refreshes);
    }
    pub(crate) fn unauthorized_refresh(&self) {
        bump(&self.unauthorized_refreshes);
    }
    pub(crate) fn recovered_insert(&self) {
        bump(&self.recovered_inserts);
    }
    pub(crate) fn attempt_error(&self, class: ErrorClass) {
        bump(&self.attempt_errors[class.index()]);
    }
    pub(crate) fn call_error(&self, class: ErrorClass) {
        bump(&self.call_errors[class.index()]);
    }

    pub(crate) fn snapshot(&self) -> MetricsSnapshot {
        let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
        MetricsSnapshot {
            calls: read(&self.calls),
            attempts: read(&self.attempts),
            successes: read(&self.successes),
            retries: read(&self.retries),
            token_refreshes: read(&self.token_refreshes),
            unauthorized_refreshes: read(&self.unauthorized_refreshes),
            recovered_inserts: read(&self.recovered_inserts),
            attempt_errors: self.attempt_errors.each_ref().map(read),
            call_errors: self.call_errors.each_ref().map(read),
        }
    }
}

/// A copy of the counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Calls started (one per client method call).
    pub calls: u64,
    /// HTTP requests to the Calendar API (token refreshes not included).
    pub attempts: u64,
    /// Calls that ended well.
    pub successes: u64,
    /// Waits before another attempt (backoff).
    pub retries: u64,
    /// Access tokens obtained from the token endpoint.
    pub token_refreshes: u64,
    /// Times a 401 led to a token refresh and one more attempt.
    pub unauthorized_refreshes: u64,
    /// Retried inserts whose 409 was recognised as the event the earlier attempt created.
    pub recovered_inserts: u64,
    attempt_errors: [u64; ErrorClass::ALL.len()],
    call_errors: [u64; ErrorClass::ALL.len()],
}

impl MetricsSnapshot {
    /// Failed attempts of one class (retried or not), failed token refreshes included.
    pub fn attempt_errors(&self, class: ErrorClass) -> u64 {
        self.attempt_errors[class.index()]
    }

    /// Calls that ended with an error of one class, as Google answered: a 410 that `delete_event` reports
    /// as `AlreadyDeleted` and the 409 of a recovered insert are counted here too.
    pub fn call_errors(&self, class: ErrorClass) -> u64 {
        self.call_errors[class.index()]
    }

    /// Calls that ended with an error, all classes.
    pub fn failures(&self) -> u64 {
        self.call_errors.iter().sum()
    }

    /// The counters that moved between `earlier` and `self`.
    pub fn since(&self, earlier: &MetricsSnapshot) -> MetricsSnapshot {
        let minus = |a: u64, b: u64| a.saturating_sub(b);
        let mut attempt_errors = self.attempt_errors;
        let mut call_errors = self.call_errors;
        for i in 0..attempt_errors.len() {
            attempt_errors[i] = minus(attempt_errors[i], earlier.attempt_errors[i]);
            call_errors[i] = minus(call_errors[i], earlier.call_errors[i]);
        }
        MetricsSnapshot {
            calls: minus(self.calls, earlier.calls),
            attempts: minus(self.attempts, earlier.attempts),
            successes: minus(self.successes, earlier.successes),
            retries: minus(self.retries, earlier.retries),
            token_refreshes: minus(self.token_refreshes, earlier.token_refreshes),
            unauthorized_refreshes: minus(
                self.unauthorized_refreshes,
                earlier.unauthorized_refreshes,
            ),
            recovered_inserts: minus(self.recovered_inserts, earlier.recovered_inserts),
            attempt_errors,
            call_errors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_count_per_class_and_subtract() {
        let metrics = Metrics::default();
        metrics.call();
        metrics.attempt();
        metrics.attempt_error(ErrorClass::Server);
        let before = metrics.snapshot();
        metrics.attempt();
        metrics.attempt_error(ErrorClass::Server);
        metrics.call_error(ErrorClass::Server);
        let after = metrics.snapshot();
        assert_eq!(after.attempt_errors(ErrorClass::Server), 2);
        let delta = after.since(&before);
        assert_eq!(delta.attempts, 1);
        assert_eq!(delta.calls, 0);
        assert_eq!(delta.attempt_errors(ErrorClass::Server), 1);
        assert_eq!(delta.call_errors(ErrorClass::Server), 1);
        assert_eq!(delta.failures(), 1);
    }
}
