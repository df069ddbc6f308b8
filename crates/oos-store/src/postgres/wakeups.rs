//! Wakeups across processes: writers `NOTIFY` [`WORK_CHANNEL`] inside their transaction (delivered
//! on commit, to every process), and each store runs one listener connection that turns
//! notifications into local [`crate::wakeups::Wakeups`] announcements. A lost listener connection is
//! re-opened, and announces once (notifications may have been missed meanwhile).

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use tokio::task::JoinHandle;

use crate::Result;
use crate::wakeups::Wakeups;

/// The channel work is announced on.
pub const WORK_CHANNEL: &str = "oos_work";

/// Local wakeups fed by the listener task; the task ends with the last clone of the store.
#[derive(Debug, Clone)]
pub(crate) struct Listening {
    pub local: Wakeups,
    task: std::sync::Arc<ListenerTask>,
}

/// Aborts the listener task when dropped.
#[derive(Debug)]
struct ListenerTask(JoinHandle<()>);

impl Drop for ListenerTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Listening {
    pub(crate) fn start(options: PgConnectOptions) -> Self {
        let local = Wakeups::default();
        let task = tokio::spawn(listen(options, local.clone()));
        Self { local, task: std::sync::Arc::new(ListenerTask(task)) }
    }

    pub(crate) fn stop(&self) {
        self.task.0.abort();
    }
}

async fn listen(options: PgConnectOptions, local: Wakeups) {
    loop {
        match subscribe(&options).await {
            Ok(mut listener) => loop {
                match listener.try_recv().await {
                    Ok(Some(_)) => local.announce(),
                    // The connection was lost (and is re-opened by the next call): look now.
                    Ok(None) => local.announce(),
                    Err(error) => {
                        tracing::warn!(%error, "work listener lost its connection; reconnecting");
                        local.announce();
                        break;
                    }
                }
            },
            Err(error) => tracing::warn!(%error, "work listener cannot connect; retrying"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn subscribe(options: &PgConnectOptions) -> Result<PgListener> {
    let pool = PgPoolOptions::new().max_connections(1).connect_lazy_with(options.clone());
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(WORK_CHANNEL).await?;
    Ok(listener)
}

/// Announces work to every process once `tx` commits.
pub(crate) async fn announce(tx: &mut Transaction<'static, Postgres>) -> Result<()> {
    sqlx::query("SELECT pg_notify($1, '')").bind(WORK_CHANNEL).execute(&mut **tx).await?;
    Ok(())
}
