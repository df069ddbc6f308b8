//! Wakeups across processes: after a commit that makes work, a writer wakes its own process at once
//! and asks the store's notifier to `NOTIFY` [`WORK_CHANNEL`] — one notification for each burst of
//! commits, sent outside them (a `NOTIFY` inside a transaction would serialise every committing
//! transaction on the notification queue's lock). Each store runs one listener connection that turns
//! notifications into local [`crate::wakeups::Wakeups`] announcements. A lost listener connection is
//! re-opened, and announces when it is lost and again once it listens again (notifications may have
//! been missed meanwhile). A notification lost with a process that dies right after its commit is
//! made up for by the workers' poll. The same connection listens for changed executions
//! ([`super::changes`]).

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};

use super::PgStore;
use super::background::{AbortOnDrop, Job};
use super::changes::CHANGES_CHANNEL;
use crate::changes::{Change, Changes};
use crate::Result;
use crate::wakeups::Wakeups;

/// The channel work is announced on.
pub const WORK_CHANNEL: &str = "oos_work";

/// Local wakeups and changes fed by the listener task; the task ends with the last clone of the store.
#[derive(Debug, Clone)]
pub(crate) struct Listening {
    pub local: Wakeups,
    pub changes: Changes,
    task: std::sync::Arc<AbortOnDrop>,
}

impl Listening {
    /// Listens on both channels, skipping the change notifications of `origin` (this store's own).
    pub(crate) fn start(options: PgConnectOptions, origin: Arc<str>) -> Self {
        let (local, changes) = (Wakeups::default(), Changes::default());
        let task = tokio::spawn(listen(options, local.clone(), changes.clone(), origin));
        Self { local, changes, task: std::sync::Arc::new(AbortOnDrop(task)) }
    }

    pub(crate) fn stop(&self) {
        self.task.0.abort();
    }
}

async fn listen(options: PgConnectOptions, local: Wakeups, changes: Changes, origin: Arc<str>) {
    let mut reconnecting = false;
    loop {
        match subscribe(&options).await {
            Ok(mut listener) => {
                if reconnecting {
                    // Listening again: whatever was announced meanwhile was missed.
                    local.announce();
                    changes.announce(Change::Everything);
                }
                let lost = loop {
                    match listener.try_recv().await {
                        Ok(Some(notification)) if notification.channel() == CHANGES_CHANNEL => {
                            if let Some(change) = super::changes::received(notification.payload(), &origin) {
                                changes.announce(change);
                            }
                        }
                        Ok(Some(_)) => local.announce(),
                        Ok(None) => break "the connection closed".to_owned(),
                        Err(error) => break error.to_string(),
                    }
                };
                // Look now, and again once listening again.
                tracing::warn!(error = %lost, "work listener lost its connection; reconnecting");
                local.announce();
                changes.announce(Change::Everything);
            }
            Err(error) => tracing::warn!(%error, "work listener cannot connect; retrying"),
        }
        reconnecting = true;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn subscribe(options: &PgConnectOptions) -> Result<PgListener> {
    let pool = PgPoolOptions::new().max_connections(1).connect_lazy_with(options.clone());
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen_all([WORK_CHANNEL, CHANGES_CHANNEL]).await?;
    Ok(listener)
}

/// The store's notifier: one `NOTIFY` for every burst of requests.
pub(crate) fn notifier(pool: PgPool) -> Job {
    Job::start(None, move || {
        let pool = pool.clone();
        async move {
            if let Err(error) = sqlx::query("SELECT pg_notify($1, '')").bind(WORK_CHANNEL).execute(&pool).await {
                tracing::warn!(%error, "announcing work failed; the other processes find it on their next poll");
            }
        }
    })
}

impl PgStore {
    /// Called after a commit that made work: this process's workers look at once, the others when
    /// the notification arrives.
    pub(crate) fn announce(&self) {
        self.listening.local.announce();
        self.notifier.request();
    }
}
