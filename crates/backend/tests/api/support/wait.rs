//! `eventually`: the one way tests wait for something that happens in the background (a store that
//! recovers, a listener that closes, a tab that registers): poll with a deadline, never a bare `sleep`.

use std::future::Future;
use std::time::Duration;

/// How often [`eventually`] checks again.
pub const POLL_EVERY: Duration = Duration::from_millis(50);

/// Polls `check` every [`POLL_EVERY`] until it returns `true`; fails the test naming `what` when
/// `deadline` passes first. A check that needs no `.await` returns `std::future::ready(..)`.
pub async fn eventually<F, Fut>(what: &str, deadline: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let until = tokio::time::Instant::now() + deadline;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < until,
            "timed out after {deadline:?} waiting for: {what}"
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
}
