//! How long the head-end keeps what it only needs for a while, and the background
//! task that deletes the rest. Orders, rides, households, boxes and contacts are
//! records of the service and are never pruned here; this is the bookkeeping
//! around them.
//!
//! | what                                   | kept for                          |
//! |----------------------------------------|-----------------------------------|
//! | console sessions                       | until they expire (12 h)          |
//! | login attempts, wrong pairing approvals| their counting window (10 min)    |
//! | pairing requests                       | 1 day after their code expired    |
//! | order and ride idempotency keys        | 90 days (a box settles within days)|
//! | sent or failed mails                   | 90 days (pending ones until sent) |
//! | refused taxi requests                  | 180 days (the operator's demand figures) |
//! | watch-over alerts, offline alerts      | 400 days (a year of history on the family page and console) |
//!
//! A box kept off for more than 90 days with an order it never settled finds the
//! key unknown and treats the order as not placed; by then it was delivered or
//! cancelled long ago.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::AppState;

pub const PAIRINGS_AFTER_EXPIRY_S: i64 = 24 * 3600;
pub const IDEMPOTENCY_KEYS_S: i64 = 90 * 24 * 3600;
pub const FINISHED_MAILS_S: i64 = 90 * 24 * 3600;
pub const RIDE_REFUSALS_S: i64 = 180 * 24 * 3600;
pub const ALERTS_S: i64 = 400 * 24 * 3600;

/// How often the task prunes.
pub const EVERY: Duration = Duration::from_secs(3600);

/// What one pass deleted, table by table.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pruned {
    pub sessions: u64,
    pub login_attempts: u64,
    pub approval_failures: u64,
    pub pairings: u64,
    pub idempotency_keys: u64,
    pub ride_keys: u64,
    pub mails: u64,
    pub ride_refusals: u64,
    pub watch_alerts: u64,
    pub offline_alerts: u64,
}

impl Pruned {
    pub fn total(&self) -> u64 {
        self.sessions
            + self.login_attempts
            + self.approval_failures
            + self.pairings
            + self.idempotency_keys
            + self.ride_keys
            + self.mails
            + self.ride_refusals
            + self.watch_alerts
            + self.offline_alerts
    }
}

/// One pass at `now`.
pub async fn prune(state: &AppState, now: DateTime<Utc>) -> Result<Pruned, sqlx::Error> {
    state.db.prune(now).await
}

/// Prunes every `every` until `shutdown` resolves; a failed pass is logged and
/// tried again at the next.
pub async fn run(
    state: AppState,
    every: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    tokio::pin!(shutdown);
    loop {
        match prune(&state, state.clock.now()).await {
            Ok(p) if p.total() > 0 => tracing::info!(?p, "old bookkeeping pruned"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "pruning old bookkeeping failed"),
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
