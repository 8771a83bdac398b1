//! Watch-over on the box: the activity log, the ladder's state, the alert log.
//!
//! The log holds one row per minute in which the resident pressed a key — the
//! time only, never what was watched — and is pruned after 30 days; it never
//! leaves the box. An alert row is unique per (kind, number, start of the quiet
//! time), so a restart in the middle of an escalation cannot record it twice.

use chrono::{DateTime, Duration, Utc};
use engawa_core::ReminderId;
use engawa_remind::Phrase;
use engawa_watch::api::{AlertKind, AlertReport, Bounce, FamilyReminder, WatchConfig};
use rusqlite::{OptionalExtension, params};

use crate::store::{Store, StoreError};

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
        kind: AlertKind,
        n: u32,
        at: DateTime<Utc>,
        since: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        let done = self.conn.execute(
            "INSERT INTO watch_alerts (kind, n, at, since) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (kind, n, since) DO NOTHING",
            params![
                kind.as_str(),
                n,
                at.timestamp(),
                since.map(|s| s.timestamp())
            ],
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

    /// The watch-over settings last fetched from the head-end.
    pub fn watch_config(&self) -> Result<Option<WatchConfig>, StoreError> {
        Ok(self
            .setting("watch_config")?
            .and_then(|j| match serde_json::from_str(&j) {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, "stored watch-over settings unreadable; fetching again");
                    None
                }
            }))
    }

    /// Keep fetched settings: family reminders first (updated in place by their
    /// head-end id, removed when gone), the settings and their version last — a
    /// crash in between fetches again and repeats the same idempotent steps.
    pub fn save_watch_config(
        &mut self,
        cfg: &WatchConfig,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.apply_family_reminders(&cfg.reminders, now)?;
        let json = serde_json::to_string(cfg).map_err(|e| StoreError::Corrupt {
            path: self.path().to_path_buf(),
            detail: e.to_string(),
        })?;
        self.set_setting("watch_config", &json)
    }

    fn apply_family_reminders(
        &mut self,
        list: &[FamilyReminder],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut keep = Vec::new();
        for r in list {
            let (Ok(phrase), Ok(())) = (Phrase::parse(&r.phrase), r.schedule.validate()) else {
                tracing::warn!(
                    id = r.id,
                    "a family reminder breaks the box's rules; skipped"
                );
                continue;
            };
            keep.push(r.id);
            let existing: Option<i64> = self
                .conn
                .query_row(
                    "SELECT id FROM reminders WHERE remote_id = ?1",
                    params![r.id],
                    |row| row.get(0),
                )
                .optional()?;
            match existing {
                Some(id) => {
                    let same = self
                        .reminders()?
                        .into_iter()
                        .any(|x| x.id.0 == id && x.phrase == phrase && x.schedule == r.schedule);
                    if !same {
                        self.save_reminder(Some(ReminderId(id)), &phrase, &r.schedule, now)?;
                    }
                }
                None => {
                    let id = self.save_reminder(None, &phrase, &r.schedule, now)?;
                    self.conn.execute(
                        "UPDATE reminders SET remote_id = ?1 WHERE id = ?2",
                        params![r.id, id.0],
                    )?;
                }
            }
        }
        let ids = keep
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        // Numbers we produced ourselves: safe to inline.
        self.conn.execute(
            &format!(
                "DELETE FROM reminders WHERE remote_id IS NOT NULL AND remote_id NOT IN ({ids})"
            ),
            [],
        )?;
        Ok(())
    }

    /// Alerts after row `after`, for the head-end's log.
    pub fn alerts_after(&self, after: i64) -> Result<Vec<AlertReport>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, kind, n, at FROM watch_alerts WHERE id > ?1 ORDER BY id LIMIT 100",
        )?;
        let rows = stmt
            .query_map(params![after], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)?))
            })?
            .collect::<Result<Vec<(i64, String, u32, i64)>, _>>()?;
        // Only the box writes these rows, always with a known kind.
        Ok(rows
            .into_iter()
            .filter_map(|(id, kind, n, at)| {
                Some(AlertReport {
                    id,
                    kind: AlertKind::parse(&kind)?,
                    n,
                    at: DateTime::from_timestamp(at, 0).unwrap_or_default(),
                })
            })
            .collect())
    }

    /// Mails refused for good after row `after`.
    pub fn bounces_after(&self, after: i64) -> Result<Vec<Bounce>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, to_addr, coalesce(last_error, ''), created_at FROM mail_outbox
             WHERE state = 'failed' AND id > ?1 ORDER BY id LIMIT 100",
        )?;
        let rows = stmt
            .query_map(params![after], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)?))
            })?
            .collect::<Result<Vec<(i64, String, String, i64)>, _>>()?;
        Ok(rows
            .into_iter()
            .map(|(id, email, reason, at)| Bounce {
                id,
                email,
                reason: reason.chars().take(500).collect(),
                at: DateTime::from_timestamp(at, 0).unwrap_or_default(),
            })
            .collect())
    }
}
