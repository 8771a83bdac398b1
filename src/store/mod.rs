//! The box's one SQLite file: reminders, their occurrences, settings.
//!
//! Owns durability: WAL with `synchronous=FULL`, so a power cut loses nothing that
//! was acknowledged. Schema migrations run at open, tracked in `PRAGMA user_version`.
//! Must not decide *what* is due (that is `engawa_remind`), only record it so that
//! every occurrence is shown at most once.

mod mail;
mod migrations;

pub use mail::QueuedMail;

use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use engawa_core::{OccurrenceId, ReminderId};
use engawa_remind::{DueOccurrence, Phrase, Reminder, Repeat, Schedule, WeekdaySet, plan_due};
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the database {path} is damaged ({detail}); move it aside and restart to begin with an empty one"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error("the database {path} is locked by another program (is a second engawa running?)")]
    Locked { path: PathBuf },
    #[error(
        "the database {path} has schema version {found}, newer than this engawa ({known}); install the newer engawa again"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error(
        "cannot write beside the database {path}: {source} (a read-only or full disk?); the box can show but not keep anything"
    )]
    NotWritable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("stored shop data is unreadable: {0}")]
    BadJson(#[from] serde_json::Error),
    #[error("stored reminder {id} is unreadable: {detail}")]
    BadRow { id: i64, detail: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OccurrenceState {
    Due,
    Snoozed,
    Done,
    Skipped,
}

impl OccurrenceState {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "due" => OccurrenceState::Due,
            "snoozed" => OccurrenceState::Snoozed,
            "done" => OccurrenceState::Done,
            "skipped" => OccurrenceState::Skipped,
            _ => return None,
        })
    }
}

/// How far the scheduler's "checked until" mark may lag when nothing was due.
const MARK_EVERY: chrono::Duration = chrono::Duration::seconds(60);

pub struct Store {
    pub(crate) conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Open (creating if needed) and migrate. Reports a damaged or locked file
    /// clearly instead of failing later.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let path = path.to_path_buf();
        let conn = Connection::open(&path).map_err(|source| StoreError::Open {
            path: path.clone(),
            source,
        })?;
        let mut store = Store { conn, path };
        store.init().map_err(|e| store.classify(e))?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the disk under the database takes writes: 64 KiB written and
    /// synced beside it, then removed. SQLite opens a file it cannot write
    /// read-only without a word, and a full disk shows only at the first
    /// commit; checked at start, both become one clear error instead.
    pub fn check_writable(path: &Path) -> Result<(), StoreError> {
        use std::io::Write;
        let mut probe = path.as_os_str().to_owned();
        probe.push(".write-check");
        let probe = PathBuf::from(probe);
        let written = std::fs::File::create(&probe).and_then(|mut f| {
            f.write_all(&[0u8; 64 * 1024])?;
            f.sync_all()
        });
        let removed = std::fs::remove_file(&probe);
        written
            .and(removed)
            .map_err(|source| StoreError::NotWritable {
                path: path.to_path_buf(),
                source,
            })
    }

    fn init(&mut self) -> Result<(), StoreError> {
        self.conn.busy_timeout(StdDuration::from_secs(3))?;
        // WAL + FULL: every committed transaction survives a power cut.
        self.conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0))?;
        self.conn
            .execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
        let check: String = self
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(StoreError::Corrupt {
                path: self.path.clone(),
                detail: check,
            });
        }
        migrations::run(&mut self.conn, &self.path)
    }

    fn classify(&self, e: StoreError) -> StoreError {
        if let StoreError::Sql(rusqlite::Error::SqliteFailure(f, msg)) = &e {
            let path = self.path.clone();
            return match f.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Locked { path },
                ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt => StoreError::Corrupt {
                    path,
                    detail: msg.clone().unwrap_or_else(|| f.to_string()),
                },
                _ => e,
            };
        }
        e
    }

    // ---- reminders -------------------------------------------------------

    pub fn reminders(&self) -> Result<Vec<Reminder>, StoreError> {
        Ok(self
            .reminders_with_updated_at()?
            .into_iter()
            .map(|(r, _)| r)
            .collect())
    }

    /// Insert (`id = None`) or replace a reminder. Editing a reminder retires its
    /// pending occurrences: they belonged to the old rule.
    pub fn save_reminder(
        &mut self,
        id: Option<ReminderId>,
        phrase: &Phrase,
        schedule: &Schedule,
        now: DateTime<Utc>,
    ) -> Result<ReminderId, StoreError> {
        let (kind, date, weekdays, day) = encode_repeat(&schedule.repeat);
        let time = schedule.time.format("%H:%M").to_string();
        let tx = self.conn.transaction()?;
        let id = match id {
            None => {
                tx.execute(
                    "INSERT INTO reminders (phrase, time_of_day, repeat_kind, repeat_date, repeat_weekdays, repeat_day, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                    params![phrase.as_str(), time, kind, date, weekdays, day, now.timestamp()],
                )?;
                ReminderId(tx.last_insert_rowid())
            }
            Some(id) => {
                tx.execute(
                    "UPDATE reminders SET phrase=?2, time_of_day=?3, repeat_kind=?4, repeat_date=?5,
                     repeat_weekdays=?6, repeat_day=?7, updated_at=?8 WHERE id=?1",
                    params![id.0, phrase.as_str(), time, kind, date, weekdays, day, now.timestamp()],
                )?;
                tx.execute(
                    "UPDATE occurrences SET state='skipped' WHERE reminder_id=?1 AND state IN ('due','snoozed')",
                    params![id.0],
                )?;
                id
            }
        };
        tx.commit()?;
        Ok(id)
    }

    pub fn delete_reminder(&mut self, id: ReminderId) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM reminders WHERE id=?1", params![id.0])?;
        Ok(())
    }

    // ---- the scheduler ---------------------------------------------------

    /// Look at the clock: record every occurrence that became due since the last
    /// look (in one transaction, together with the new "checked until" mark), then
    /// return what is waiting for the resident now, oldest first.
    ///
    /// Exactly-once: an occurrence row is unique per (reminder, due time) and the
    /// mark moves in the same transaction, so neither a crash nor a second call
    /// can show an occurrence twice.
    pub fn run_scheduler(&mut self, now: DateTime<Utc>) -> Result<Vec<DueOccurrence>, StoreError> {
        let reminders = self.reminders_with_updated_at()?;
        let stored: Option<i64> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key='checked_until'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        // First run ever: nothing is "missed" from before the box existed.
        let checked = stored
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .unwrap_or(now);
        let plans: Vec<_> = reminders
            .iter()
            .map(|(rem, updated_at)| {
                (
                    rem.id,
                    plan_due(&rem.schedule, checked.max(*updated_at), now),
                )
            })
            .collect();
        // A tick with nothing to record writes nothing (no fsync every second on
        // the box's flash); the mark still moves at least every MARK_EVERY. A mark
        // left a little behind is harmless: occurrence rows are unique.
        let nothing_due = plans
            .iter()
            .all(|(_, p)| p.show.is_none() && p.skipped.is_empty());
        if nothing_due && stored.is_some() && now - checked < MARK_EVERY {
            return self.pending(now);
        }
        let tx = self.conn.transaction()?;
        for (id, plan) in &plans {
            for t in &plan.skipped {
                tx.execute(
                    "INSERT OR IGNORE INTO occurrences (reminder_id, due_at, state, late, show_at)
                     VALUES (?1, ?2, 'skipped', 1, ?2)",
                    params![id.0, t.timestamp()],
                )?;
            }
            if let Some((due, late)) = plan.show {
                // One overlay per reminder: yesterday's unanswered one is retired.
                tx.execute(
                    "UPDATE occurrences SET state='skipped'
                     WHERE reminder_id=?1 AND state IN ('due','snoozed') AND due_at < ?2",
                    params![id.0, due.timestamp()],
                )?;
                tx.execute(
                    "INSERT OR IGNORE INTO occurrences (reminder_id, due_at, state, late, show_at)
                     VALUES (?1, ?2, 'due', ?3, ?2)",
                    params![id.0, due.timestamp(), late],
                )?;
            }
        }
        // Never moves backwards, even if the system clock does.
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('checked_until', ?1)
             ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            params![now.timestamp().max(checked.timestamp())],
        )?;
        tx.commit()?;
        self.pending(now)
    }

    /// Occurrences waiting for the resident at `now`.
    pub fn pending(&self, now: DateTime<Utc>) -> Result<Vec<DueOccurrence>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT o.id, o.reminder_id, r.phrase, o.due_at, o.late, o.show_at, r.remote_id IS NOT NULL
             FROM occurrences o JOIN reminders r ON r.id = o.reminder_id
             WHERE o.state IN ('due','snoozed') AND o.show_at <= ?1
             ORDER BY o.show_at, o.id",
        )?;
        let rows = stmt.query_map(params![now.timestamp()], |r| {
            Ok(DueOccurrence {
                id: OccurrenceId(r.get(0)?),
                reminder_id: ReminderId(r.get(1)?),
                phrase: r.get(2)?,
                due_at: DateTime::from_timestamp(r.get(3)?, 0).unwrap_or_default(),
                late: r.get(4)?,
                show_at: DateTime::from_timestamp(r.get(5)?, 0).unwrap_or_default(),
                from_family: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// 決定 on the overlay: done. Idempotent — a second press changes nothing.
    pub fn mark_done(&mut self, id: OccurrenceId, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE occurrences SET state='done', acked_at=?2 WHERE id=?1 AND state IN ('due','snoozed')",
            params![id.0, now.timestamp()],
        )?;
        Ok(())
    }

    /// 黄 on the overlay: show again at `until`.
    pub fn snooze(&mut self, id: OccurrenceId, until: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE occurrences SET state='snoozed', show_at=?2 WHERE id=?1 AND state IN ('due','snoozed')",
            params![id.0, until.timestamp()],
        )?;
        Ok(())
    }

    /// The state of one occurrence (for tests and the family's history later).
    pub fn occurrence_states(
        &self,
        reminder: ReminderId,
    ) -> Result<Vec<(DateTime<Utc>, OccurrenceState)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT due_at, state FROM occurrences WHERE reminder_id=?1 ORDER BY due_at",
        )?;
        let rows = stmt.query_map(params![reminder.0], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (t, s) = row?;
            let state = OccurrenceState::parse(&s).ok_or_else(|| StoreError::BadRow {
                id: reminder.0,
                detail: format!("unknown occurrence state {s:?}"),
            })?;
            out.push((DateTime::from_timestamp(t, 0).unwrap_or_default(), state));
        }
        Ok(out)
    }

    /// Every reminder with the time it was last saved, in one query.
    fn reminders_with_updated_at(&self) -> Result<Vec<(Reminder, DateTime<Utc>)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, phrase, time_of_day, repeat_kind, repeat_date, repeat_weekdays, repeat_day, updated_at,
                    remote_id IS NOT NULL
             FROM reminders ORDER BY time_of_day, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, Option<i64>>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, bool>(8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, phrase, time, kind, date, weekdays, day, updated, from_family) = row?;
            let mut reminder = decode_reminder(id, &phrase, &time, &kind, date, weekdays, day)?;
            reminder.from_family = from_family;
            out.push((
                reminder,
                DateTime::from_timestamp(updated, 0).unwrap_or_default(),
            ));
        }
        Ok(out)
    }

    // ---- settings --------------------------------------------------------

    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM settings WHERE key=?1",
                params![key],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            params![key, value],
        )?;
        Ok(())
    }
}

fn encode_repeat(r: &Repeat) -> (&'static str, Option<String>, Option<i64>, Option<i64>) {
    match r {
        Repeat::Once(d) => ("once", Some(d.format("%Y-%m-%d").to_string()), None, None),
        Repeat::Daily => ("daily", None, None, None),
        Repeat::Weekly(set) => ("weekly", None, Some(i64::from(set.0)), None),
        Repeat::Monthly(day) => ("monthly", None, None, Some(i64::from(*day))),
    }
}

fn decode_reminder(
    id: i64,
    phrase: &str,
    time: &str,
    kind: &str,
    date: Option<String>,
    weekdays: Option<i64>,
    day: Option<i64>,
) -> Result<Reminder, StoreError> {
    let bad = |detail: String| StoreError::BadRow { id, detail };
    let phrase = Phrase::parse(phrase).map_err(|e| bad(e.to_string()))?;
    let time =
        NaiveTime::parse_from_str(time, "%H:%M").map_err(|e| bad(format!("time {time:?}: {e}")))?;
    let repeat = match kind {
        "once" => {
            let d = date.ok_or_else(|| bad("once without a date".into()))?;
            Repeat::Once(
                NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|e| bad(format!("date {d:?}: {e}")))?,
            )
        }
        "daily" => Repeat::Daily,
        "weekly" => Repeat::Weekly(WeekdaySet(
            weekdays
                .and_then(|w| u8::try_from(w).ok())
                .ok_or_else(|| bad("weekly without weekdays".into()))?,
        )),
        "monthly" => Repeat::Monthly(
            day.and_then(|d| u32::try_from(d).ok())
                .ok_or_else(|| bad("monthly without a day".into()))?,
        ),
        other => return Err(bad(format!("unknown repeat kind {other:?}"))),
    };
    let schedule = Schedule { time, repeat };
    schedule.validate().map_err(|e| bad(e.to_string()))?;
    Ok(Reminder {
        id: ReminderId(id),
        phrase,
        schedule,
        from_family: false,
    })
}

#[cfg(test)]
mod tests;
