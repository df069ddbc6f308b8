//! StartExecution idempotency within this process: requests carrying the same ClientToken run one
//! after the other, so the second finds the first's execution instead of starting a twin. (The
//! store's unique ClientToken is the backstop across processes: its first user wins.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Mutex as TokenMutex, OwnedMutexGuard};

/// One lock per ClientToken in use; entries go away with their last holder.
#[derive(Debug, Default)]
pub struct ClientTokens {
    locks: Mutex<HashMap<String, Arc<TokenMutex<()>>>>,
}

/// Held while a StartExecution with this token checks and records its execution.
#[derive(Debug)]
pub struct TokenGuard<'a> {
    tokens: &'a ClientTokens,
    token: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl ClientTokens {
    /// Waits until no other request holds `token`, then holds it.
    pub async fn lock(&self, token: &str) -> TokenGuard<'_> {
        let lock = self.locks.lock().unwrap_or_else(PoisonError::into_inner).entry(token.to_string()).or_default().clone();
        let guard = lock.lock_owned().await;
        TokenGuard { tokens: self, token: token.to_string(), guard: Some(guard) }
    }
}

impl Drop for TokenGuard<'_> {
    fn drop(&mut self) {
        let mut locks = self.tokens.locks.lock().unwrap_or_else(PoisonError::into_inner);
        self.guard = None;
        // Only the map's own reference left: nobody holds or waits for this token.
        if locks.get(&self.token).is_some_and(|lock| Arc::strong_count(lock) == 1) {
            locks.remove(&self.token);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn same_token_waits_and_entries_are_removed() {
        let tokens = Arc::new(ClientTokens::default());
        let first = tokens.lock("t").await;
        let waiter = {
            let tokens = Arc::clone(&tokens);
            tokio::spawn(async move {
                let _second = tokens.lock("t").await;
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "the second holder must wait for the first");
        let _other = tokens.lock("u").await;
        drop(first);
        waiter.await.unwrap();
        assert_eq!(tokens.locks.lock().unwrap().keys().collect::<Vec<_>>(), vec!["u"]);
    }
}
