//! Batched database reads for cold SSE stream opens ([`BatchReader`]): a reconnect storm of a thousand
//! users would otherwise cost a thousand session reads and a thousand user reads, one round trip each.
//!
//! How it batches, without waiting for a window to fill: a lookup queues its key; if fewer than
//! `max_in_flight` reads are running, a read starts at once with everything queued (at most `max_batch`
//! keys, one `$in` query); lookups that arrive while reads are in flight queue up and leave together with
//! the next read. A quiet server thus reads at once (a batch of one), and a storm costs about
//! `misses / max_batch` queries instead of `misses`.
//!
//! A read only ever carries keys queued *before* it started, so an answer is never older than its
//! question (a session deleted by sign-out before the lookup was made is never served by it). Every
//! answer goes to the lookups of its own key only. When a batched read fails (or the task running it is
//! gone), its lookups hear [`BatchFailed`] and make their own single read, which returns the real error.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use futures::future::BoxFuture;
use tokio::sync::oneshot;

use crate::store::StoreError;

/// The batched read failed or was abandoned; the caller reads on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchFailed;

/// One database read of many keys with the context `C` (the store): the found values by key (absent keys
/// are simply missing).
pub type ReadMany<C, K, V> = fn(C, Vec<K>) -> BoxFuture<'static, Result<Vec<(K, V)>, StoreError>>;

type Waiter<V> = oneshot::Sender<Result<Option<V>, BatchFailed>>;

/// Batches concurrent lookups into `$in` reads (see the module docs). Cheap to clone; clones share the
/// queue.
pub struct BatchReader<C, K, V> {
    read: ReadMany<C, K, V>,
    max_batch: usize,
    max_in_flight: usize,
    queue: Arc<Mutex<Queue<K, V>>>,
}

impl<C, K, V> Clone for BatchReader<C, K, V> {
    fn clone(&self) -> Self {
        Self {
            read: self.read,
            max_batch: self.max_batch,
            max_in_flight: self.max_in_flight,
            queue: Arc::clone(&self.queue),
        }
    }
}

impl<C, K, V> std::fmt::Debug for BatchReader<C, K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchReader")
            .field("max_batch", &self.max_batch)
            .field("max_in_flight", &self.max_in_flight)
            .finish_non_exhaustive()
    }
}

struct Queue<K, V> {
    /// Keys waiting for the next read, in arrival order.
    waiting: Vec<K>,
    /// Who waits for each of them.
    waiters: HashMap<K, Vec<Waiter<V>>>,
    /// Reads running now.
    in_flight: usize,
    /// Reads made so far, and the keys they carried.
    reads: u64,
    keys_read: u64,
}

impl<K: Eq + Hash, V> Queue<K, V> {
    /// Fails every queued lookup (they read on their own): nobody is left to read for them.
    fn fail_waiting(&mut self) {
        self.waiting.clear();
        self.waiters.clear(); // dropped senders: the lookups hear `BatchFailed`
    }
}

impl<C, K, V> BatchReader<C, K, V>
where
    C: Clone + Send + 'static,
    K: Eq + Hash + Clone + Send + 'static,
    V: Clone + Send + 'static,
{
    /// A reader that reads with `read`, at most `max_batch` keys per read and `max_in_flight` reads at a
    /// time (both at least 1).
    pub fn new(read: ReadMany<C, K, V>, max_batch: usize, max_in_flight: usize) -> Self {
        Self {
            read,
            max_batch: max_batch.max(1),
            max_in_flight: max_in_flight.max(1),
            queue: Arc::new(Mutex::new(Queue {
                waiting: Vec::new(),
                waiters: HashMap::new(),
                in_flight: 0,
                reads: 0,
                keys_read: 0,
            })),
        }
    }

    /// The value of `key` from the next read that carries it (`None`: not found), read with `context`
    /// (the store) when this lookup starts the read.
    pub async fn get(&self, context: &C, key: K) -> Result<Option<V>, BatchFailed> {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut queue = lock(&self.queue);
            let waiters = queue.waiters.entry(key.clone()).or_default();
            let first = waiters.is_empty();
            waiters.push(tx);
            if first {
                queue.waiting.push(key);
            }
            let start = queue.in_flight < self.max_in_flight;
            if start {
                queue.in_flight += 1;
            }
            start
        };
        if start {
            let driver = Driver {
                reader: self.clone(),
                done: false,
            };
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(driver.run(context.clone()));
                }
                Err(_) => drop(driver), // no runtime: fails what is queued, the lookups read alone
            }
        }
        rx.await.unwrap_or(Err(BatchFailed))
    }

    /// (reads made, keys they carried) so far.
    pub fn stats(&self) -> (u64, u64) {
        let queue = lock(&self.queue);
        (queue.reads, queue.keys_read)
    }
}

/// One running read loop: takes what is queued, reads it, answers, until the queue is empty. Dropping it
/// (also when its task is cancelled or panics) gives its slot back, and if it was the last loop, fails
/// what is still queued so that nobody waits for a read that will not come.
struct Driver<C, K: Eq + Hash, V> {
    reader: BatchReader<C, K, V>,
    /// Set when the loop ended normally (its slot already given back).
    done: bool,
}

impl<C, K, V> Driver<C, K, V>
where
    C: Clone + Send + 'static,
    K: Eq + Hash + Clone + Send + 'static,
    V: Clone + Send + 'static,
{
    async fn run(mut self, context: C) {
        loop {
            let batch: Vec<(K, Vec<Waiter<V>>)> = {
                let mut queue = lock(&self.reader.queue);
                let n = queue.waiting.len().min(self.reader.max_batch);
                if n == 0 {
                    // Given back under the same lock that saw the queue empty: a lookup queued after
                    // this starts a loop of its own.
                    queue.in_flight -= 1;
                    self.done = true;
                    return;
                }
                let keys: Vec<K> = queue.waiting.drain(..n).collect();
                queue.reads += 1;
                queue.keys_read += n as u64;
                keys.into_iter()
                    .map(|key| {
                        let waiters = queue.waiters.remove(&key).unwrap_or_default();
                        (key, waiters)
                    })
                    .collect()
            };
            let keys = batch.iter().map(|(key, _)| key.clone()).collect();
            match (self.reader.read)(context.clone(), keys).await {
                Ok(found) => {
                    let mut found: HashMap<K, V> = found.into_iter().collect();
                    for (key, waiters) in batch {
                        let value = found.remove(&key);
                        for waiter in waiters {
                            let _ = waiter.send(Ok(value.clone()));
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, keys = batch.len(), "batched read failed; its lookups read alone");
                    for waiter in batch.into_iter().flat_map(|(_, waiters)| waiters) {
                        let _ = waiter.send(Err(BatchFailed));
                    }
                }
            }
        }
    }
}

impl<C, K: Eq + Hash, V> Drop for Driver<C, K, V> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut queue = lock(&self.reader.queue);
        queue.in_flight = queue.in_flight.saturating_sub(1);
        if queue.in_flight == 0 {
            queue.fail_waiting();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every update is a few map operations: a panic elsewhere cannot leave the queue half-updated.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// A fake database: every read is recorded, waits until `open`, and finds the even keys (value = key × 10).
    #[derive(Default)]
    struct Fake {
        reads: Mutex<Vec<Vec<u32>>>,
        open: tokio::sync::Notify,
        is_open: AtomicBool,
        fail: AtomicBool,
        panic: AtomicBool,
    }

    type Ctx = Arc<Fake>;

    fn read(fake: Ctx, keys: Vec<u32>) -> BoxFuture<'static, Result<Vec<(u32, u32)>, StoreError>> {
        Box::pin(async move {
            lock(&fake.reads).push(keys.clone());
            while !fake.is_open.load(Ordering::SeqCst) {
                fake.open.notified().await;
            }
            assert!(!fake.panic.load(Ordering::SeqCst), "the read panics");
            if fake.fail.load(Ordering::SeqCst) {
                return Err(StoreError::not_found("fake", "batch"));
            }
            Ok(keys
                .into_iter()
                .filter(|k| k % 2 == 0)
                .map(|k| (k, k * 10))
                .collect())
        })
    }

    fn open(fake: &Fake) {
        fake.is_open.store(true, Ordering::SeqCst);
        fake.open.notify_waiters();
    }

    #[tokio::test]
    async fn concurrent_lookups_share_batched_reads_and_each_gets_its_own_answer() {
        let fake = Ctx::default();
        let reader = BatchReader::new(read as ReadMany<Ctx, u32, u32>, 32, 2);
        let lookups = futures::future::join_all((0..100).map(|k| reader.get(&fake, k)));
        let opener = async {
            tokio::task::yield_now().await;
            open(&fake);
        };
        let (answers, ()) = tokio::join!(lookups, opener);
        for (k, answer) in (0..100).zip(answers) {
            let expected = (k % 2 == 0).then_some(k * 10);
            assert_eq!(answer, Ok(expected), "key {k}");
        }
        let reads = lock(&fake.reads).clone();
        assert!(reads.len() <= 6, "100 lookups, {} reads", reads.len());
        assert!(reads.iter().all(|keys| keys.len() <= 32));
        assert_eq!(reader.stats().1, 100);
        // one lookup of a quiet reader is read at once, alone
        assert_eq!(reader.get(&fake, 7).await, Ok(None));
        assert_eq!(lock(&fake.reads).last(), Some(&vec![7]));
    }

    #[tokio::test]
    async fn a_lookup_made_while_a_read_is_in_flight_waits_for_the_next_read() {
        let fake = Ctx::default();
        let reader = BatchReader::new(read as ReadMany<Ctx, u32, u32>, 32, 1);
        let first = reader.get(&fake, 2);
        let late = async {
            // the first read has started (with key 2 only) when key 2 is asked again, and key 4
            while lock(&fake.reads).is_empty() {
                tokio::task::yield_now().await;
            }
            let both = futures::future::join(reader.get(&fake, 2), reader.get(&fake, 4));
            let opener = async {
                tokio::task::yield_now().await;
                open(&fake);
            };
            tokio::join!(both, opener).0
        };
        let (first, (again, other)) = tokio::join!(first, late);
        assert_eq!(
            (first, again, other),
            (Ok(Some(20)), Ok(Some(20)), Ok(Some(40)))
        );
        assert_eq!(*lock(&fake.reads), vec![vec![2], vec![2, 4]]);
    }

    #[tokio::test]
    async fn a_failed_or_panicking_read_tells_its_lookups_to_read_alone() {
        let fake = Ctx::default();
        fake.fail.store(true, Ordering::SeqCst);
        open(&fake);
        let reader = BatchReader::new(read as ReadMany<Ctx, u32, u32>, 32, 2);
        assert_eq!(reader.get(&fake, 2).await, Err(BatchFailed));
        fake.fail.store(false, Ordering::SeqCst);
        fake.panic.store(true, Ordering::SeqCst);
        let answers = futures::future::join_all((0..10).map(|k| reader.get(&fake, k))).await;
        assert!(
            answers.iter().all(|a| *a == Err(BatchFailed)),
            "{answers:?}"
        );
        // the reader still works afterwards
        fake.panic.store(false, Ordering::SeqCst);
        assert_eq!(reader.get(&fake, 2).await, Ok(Some(20)));
        assert_eq!(lock(&reader.queue).in_flight, 0);
    }
}
