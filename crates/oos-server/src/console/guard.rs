//! What an unauthenticated caller can cost: sign-ins per source address in a window, and password
//! hashes (argon2 is slow on purpose) computed at once. Both are bounds on this process, on real time.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oos_acs::AcsError;
use tokio::sync::Semaphore;

use super::THROTTLED;

/// Sign-ins one source address may try per [`SOURCE_WINDOW`].
pub const SIGN_INS_PER_SOURCE: u32 = 30;
pub const SOURCE_WINDOW: Duration = Duration::from_secs(60);
/// Password hashes computed at once (each takes a core for tens of milliseconds).
const CONCURRENT_HASHES: usize = 2;
/// How long a sign-in waits for a hashing slot before it is refused.
const HASH_WAIT: Duration = Duration::from_secs(5);
/// Source addresses remembered at most; beyond, sign-ins are refused until windows pass.
const MAX_SOURCES: usize = 10_000;

/// The bounds, shared by every sign-in of the process.
#[derive(Debug)]
pub struct ConsoleGuard {
    sources: Mutex<HashMap<IpAddr, (Instant, u32)>>,
    hashing: Arc<Semaphore>,
}

impl Default for ConsoleGuard {
    fn default() -> Self {
        Self { sources: Mutex::default(), hashing: Arc::new(Semaphore::new(CONCURRENT_HASHES)) }
    }
}

fn throttled(message: &str) -> AcsError {
    AcsError::new(THROTTLED, message)
}

impl ConsoleGuard {
    /// Counts a sign-in from `source`; refused past the bound.
    pub fn admit(&self, source: IpAddr) -> Result<(), AcsError> {
        let now = Instant::now();
        let mut sources = self.sources.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if sources.len() >= MAX_SOURCES {
            sources.retain(|_, (start, _)| now.duration_since(*start) < SOURCE_WINDOW);
        }
        if sources.len() >= MAX_SOURCES && !sources.contains_key(&source) {
            return Err(throttled("Too many sign-ins are arriving; try again shortly."));
        }
        let (start, count) = sources.entry(source).or_insert((now, 0));
        if now.duration_since(*start) >= SOURCE_WINDOW {
            (*start, *count) = (now, 0);
        }
        *count += 1;
        if *count > SIGN_INS_PER_SOURCE {
            return Err(throttled(&format!("More than {SIGN_INS_PER_SOURCE} sign-ins from this address within {} s; try again later.", SOURCE_WINDOW.as_secs())));
        }
        Ok(())
    }

    /// Runs `work` (password hashing or verification) on the blocking pool, at most
    /// [`CONCURRENT_HASHES`] at once; refused when no slot frees within [`HASH_WAIT`].
    pub async fn hash<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AcsError> {
        let permit = tokio::time::timeout(HASH_WAIT, Arc::clone(&self.hashing).acquire_owned())
            .await
            .map_err(|_| throttled("Too many sign-ins are being checked at once; try again shortly."))?
            .map_err(crate::error::internal)?;
        let outcome = tokio::task::spawn_blocking(move || {
            let outcome = work();
            drop(permit);
            outcome
        });
        outcome.await.map_err(crate::error::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_refused_past_its_bound_and_others_are_not() {
        let guard = ConsoleGuard::default();
        let one: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..SIGN_INS_PER_SOURCE {
            guard.admit(one).unwrap();
        }
        assert_eq!(guard.admit(one).unwrap_err().code, THROTTLED.code);
        guard.admit("192.0.2.2".parse().unwrap()).unwrap();
    }

    #[tokio::test]
    async fn hashing_runs_at_most_two_at_once() {
        let guard = Arc::new(ConsoleGuard::default());
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (guard, running, most) = (guard.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    guard
                        .hash(move || {
                            let now = running.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                            most.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(20));
                            running.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), CONCURRENT_HASHES);
    }
}
