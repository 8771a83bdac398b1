//! The alert versions every open stream follows: one map (municipality →
//! version) in a `watch` channel, refreshed from the database after each
//! change made here and once a second by a task (changes made by another
//! head-end or the CLI), so a stream never asks the database itself.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::Db;

pub type Versions = Arc<BTreeMap<String, i64>>;

/// Cheap to clone; one per head-end process.
#[derive(Clone)]
pub struct Hub {
    versions: watch::Sender<Versions>,
    closing: CancellationToken,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            versions: watch::Sender::new(Arc::default()),
            closing: CancellationToken::new(),
        }
    }
}

impl Hub {
    pub fn subscribe(&self) -> watch::Receiver<Versions> {
        self.versions.subscribe()
    }

    /// Cancelled when the head-end stops: every stream ends, so the server's
    /// drain does not wait for them.
    pub fn closing(&self) -> CancellationToken {
        self.closing.clone()
    }

    pub fn close(&self) {
        self.closing.cancel();
    }

    /// Reads the versions; wakes the streams only when one moved.
    pub async fn refresh(&self, db: &Db) -> Result<(), sqlx::Error> {
        let now = db.alert_versions().await?;
        self.versions.send_if_modified(|old| {
            if **old == now {
                return false;
            }
            *old = Arc::new(now);
            true
        });
        Ok(())
    }

    /// How many streams are open.
    pub fn listeners(&self) -> usize {
        self.versions.receiver_count()
    }
}

/// Refreshes `hub` every `every` until `stop`.
pub async fn run(hub: Hub, db: Db, every: Duration, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        if let Err(e) = hub.refresh(&db).await {
            tracing::warn!(error = %e, "cannot read the alert versions");
        }
        tokio::select! {
            _ = &mut stop => break,
            _ = tokio::time::sleep(every) => {}
        }
    }
    hub.close();
}

/// The PostgreSQL notification channel of alert changes.
pub const CHANNEL: &str = "engawa_alerts";
/// How the Any driver names PostgreSQL.
pub const POSTGRES_BACKEND: &str = "PostgreSQL";

/// On PostgreSQL: refreshes `hub` as soon as any instance changes an alert
/// (the `CHANNEL` notification its transaction sends), so a box streaming
/// from this instance hears of an order given on another at once; the
/// reading every second stays as the fallback. On SQLite it returns at once.
pub async fn listen(hub: Hub, db: Db, stop: impl std::future::Future<Output = ()>) {
    let Some(url) = db.postgres_url() else {
        return;
    };
    tokio::pin!(stop);
    loop {
        let connected = async {
            let mut l = sqlx::postgres::PgListener::connect(&url).await?;
            l.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        };
        let mut listener = tokio::select! {
            _ = &mut stop => return,
            l = connected => match l {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for alert changes; reading them every second meanwhile");
                    tokio::select! {
                        _ = &mut stop => return,
                        _ = tokio::time::sleep(Duration::from_secs(5)) => continue,
                    }
                }
            },
        };
        loop {
            tokio::select! {
                _ = &mut stop => return,
                n = listener.recv() => match n {
                    Ok(_) => {
                        if let Err(e) = hub.refresh(&db).await {
                            tracing::warn!(error = %e, "cannot read the alert versions");
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "alert notifications lost; listening again");
                        break;
                    }
                },
            }
        }
    }
}
