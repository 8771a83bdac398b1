//! Watch-over on the box: the activity log, the ladder's state, the alert log.
//!
//! The log holds one row per minute in which the resident pressed a key — the
//! time only, never what was watched — and is pruned after 30 days; it never
//! leaves the box. An alert row is unique per (kind, number, start of the quiet
//! time), so a restart in the middle of an escalation cannot record it twice.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// How long the activity log is kept.
pub const KEEP: Duration = Duration::days(30);

impl Store {
    /// Note a key press (minute resolution); prunes the log once a day's worth.
    pub fn record_activity(&mut self, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let minute = at.timestamp() / 60 * 60;
        let n = self.conn.execute(
            "INSERT INTO activity (at) VALUES (?1) ON CONFLICT (at) DO NOTHING",
            params![minute],
        )?;
        if n == 1 && minute % 86_400 < 60 {
            self.conn.execute(
                "DELETE FROM activity WHERE at < ?1",
                params![(at - KEEP).timestamp()],
            )?;
        }
        Ok(n == 1)
    }

    pub fn prune_activity(&mut self, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn.execute(
            "DELETE FROM activity WHERE at < ?1",
            params![(now - KEEP).timestamp()],
        )?;
        Ok(())
    }

    /// The logged minutes since `since`, oldest first.
    pub fn activity_since(&self, since: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT at FROM activity WHERE at >= ?1 ORDER BY at")?;
        let rows = stmt
            .query_map(params![since.timestamp()], |r| r.get::<_, i64>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|s| DateTime::from_timestamp(s, 0))
            .collect())
    }

    pub fn watch_state(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT state FROM watch_state WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub fn save_watch_state(&mut self, json: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO watch_state (id, state) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET state = excluded.state",
            params![json],
        )?;
        Ok(())
    }

    /// Record an alert once; false if it was already recorded.
    pub fn record_alert(
        &mut self,
        kind: &str,
        n: u32,
        at: DateTime<Utc>,
        since: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        let done = self.conn.execute(
            "INSERT INTO watch_alerts (kind, n, at, since) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (kind, n, since) DO NOTHING",
            params![kind, n, at.timestamp(), since.map(|s| s.timestamp())],
        )?;
        Ok(done == 1)
    }

    /// (kind, n, at) of every alert, oldest first.
    pub fn alerts(&self) -> Result<Vec<(String, u32, DateTime<Utc>)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT kind, n, at FROM watch_alerts ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?)))?
            .collect::<Result<Vec<(String, u32, i64)>, _>>()?;
        Ok(rows
            .into_iter()
            .map(|(k, n, at)| (k, n, DateTime::from_timestamp(at, 0).unwrap_or_default()))
            .collect())
    }
}
