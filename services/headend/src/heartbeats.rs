//! Heartbeats by group commit. A box's heartbeat is answered only once it is
//! in the database, but heartbeats arriving together are written together:
//! the handler puts its heartbeat into the pending batch and waits; one
//! writer per instance takes the whole batch, writes it in one transaction
//! (one disk sync for all of them), and wakes every waiter. Idle, a batch is
//! one heartbeat and costs what a single write did; under load a batch grows
//! to whatever arrived during the last write, so the writes per second stay
//! few while the heartbeats per second grow. Several heartbeats of one box
//! in a batch are one row's update (the newest wins, as one after the other
//! would). A batch the database refuses is put back (older than what came
//! since) and written with the next; its waiters give up after `WAIT`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use engawa_core::api::Heartbeat;
use tokio::sync::{Notify, watch};

use crate::db::{Beat, Db};

/// How long a heartbeat waits for its batch before the box is told to try
/// later (503): the database is down or far behind.
pub const WAIT: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Pending {
    /// The batch being filled: its number, and the newest heartbeat per box.
    batch: u64,
    beats: HashMap<i64, Beat>,
}

/// The pending batch and the number of the last one written.
pub struct Heartbeats {
    pending: Mutex<Pending>,
    wake: Notify,
    written: watch::Sender<u64>,
    /// Transactions written, for the bench and the tests.
    batches: std::sync::atomic::AtomicU64,
}

impl Default for Heartbeats {
    fn default() -> Heartbeats {
        Heartbeats {
            pending: Mutex::new(Pending {
                batch: 1,
                beats: HashMap::new(),
            }),
            wake: Notify::new(),
            written: watch::Sender::new(0),
            batches: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

/// Why a heartbeat was not written in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotWritten;

impl Heartbeats {
    /// Adds a box's heartbeat to the pending batch and waits until that batch
    /// is in the database (at most `WAIT`).
    pub async fn record(
        &self,
        box_id: i64,
        hb: &Heartbeat,
        now: DateTime<Utc>,
    ) -> Result<(), NotWritten> {
        let beat = Beat {
            software_version: hb.software_version.clone(),
            uptime_s: i64::try_from(hb.uptime_s).unwrap_or(i64::MAX),
            at: now,
            last_activity_at: hb.last_activity_at,
        };
        let mut written = self.written.subscribe();
        let mine = {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            p.beats.insert(box_id, beat);
            p.batch
        };
        self.wake.notify_one();
        match tokio::time::timeout(WAIT, written.wait_for(|w| *w >= mine)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(NotWritten),
        }
    }

    /// Writes the pending batch, if any: how many boxes it had.
    pub async fn flush(&self, db: &Db) -> Result<usize, sqlx::Error> {
        let (batch, beats) = {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            if p.beats.is_empty() {
                return Ok(0);
            }
            let batch = p.batch;
            p.batch += 1;
            (batch, std::mem::take(&mut p.beats))
        };
        let rows: Vec<(i64, &Beat)> = beats.iter().map(|(id, b)| (*id, b)).collect();
        match db.record_heartbeats(&rows).await {
            Ok(()) => {
                self.batches
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.written.send_replace(batch);
                Ok(rows.len())
            }
            Err(e) => {
                // Back into the batch being filled, unless a newer one came.
                let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                for (id, b) in beats {
                    p.beats.entry(id).or_insert(b);
                }
                // Its waiters now wait for the next batch.
                drop(p);
                Err(e)
            }
        }
    }

    /// How many batches (transactions) have been written.
    pub fn batches(&self) -> u64 {
        self.batches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether heartbeats are waiting to be written.
    pub fn is_pending(&self) -> bool {
        !self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .beats
            .is_empty()
    }
}

/// The instance's writer: a batch as soon as one is pending, until `stop`;
/// then the last one.
pub async fn run(
    heartbeats: std::sync::Arc<Heartbeats>,
    db: Db,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        if !heartbeats.is_pending() {
            tokio::select! {
                _ = &mut stop => break,
                _ = heartbeats.wake.notified() => {}
            }
        }
        if let Err(e) = heartbeats.flush(&db).await {
            tracing::error!(error = %e, "cannot write the heartbeats; trying again");
            tokio::select! {
                _ = &mut stop => break,
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
    }
    if let Err(e) = heartbeats.flush(&db).await {
        tracing::error!(error = %e, "the last heartbeats were not written");
    }
}
