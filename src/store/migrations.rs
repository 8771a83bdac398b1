//! Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
//! Append only: never edit a migration that has shipped.

use std::path::Path;

use rusqlite::Connection;

use super::StoreError;

const MIGRATIONS: &[&str] = &[
    // 1: reminders, their occurrences, scheduler bookkeeping, settings.
    "CREATE TABLE reminders (
        id INTEGER PRIMARY KEY,
        phrase TEXT NOT NULL,
        time_of_day TEXT NOT NULL,
        repeat_kind TEXT NOT NULL CHECK (repeat_kind IN ('once','daily','weekly','monthly')),
        repeat_date TEXT,
        repeat_weekdays INTEGER,
        repeat_day INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE occurrences (
        id INTEGER PRIMARY KEY,
        reminder_id INTEGER NOT NULL REFERENCES reminders(id) ON DELETE CASCADE,
        due_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('due','snoozed','done','skipped')),
        late INTEGER NOT NULL,
        show_at INTEGER NOT NULL,
        acked_at INTEGER,
        UNIQUE (reminder_id, due_at)
    );
    CREATE INDEX occurrences_pending ON occurrences (state, show_at);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY NOT NULL) STRICT;
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    // 2: the shop — the cart (one row per item, the line as JSON), and the outbox
    // every request with an external effect goes through before it is sent.
    "CREATE TABLE cart (
        item_id INTEGER PRIMARY KEY,
        position INTEGER NOT NULL,
        line TEXT NOT NULL
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        key TEXT NOT NULL UNIQUE,
        body TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'void', 'refused')),
        created_at INTEGER NOT NULL,
        settled_at INTEGER,
        result TEXT
    );",
    // 3: item photos fetched from the head-end, by version.
    "CREATE TABLE photos (
        item_id INTEGER PRIMARY KEY,
        version INTEGER NOT NULL,
        png BLOB NOT NULL
    );",
    // 4: watch-over — the activity log (one row per minute with a key press; kept
    // 30 days, never uploaded), the ladder's state, and the alerts it raised.
    "CREATE TABLE activity (at INTEGER PRIMARY KEY);
    CREATE TABLE watch_state (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL);
    CREATE TABLE watch_alerts (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        n INTEGER NOT NULL,
        at INTEGER NOT NULL,
        since INTEGER,
        UNIQUE (kind, n, since)
    );",
    // 5: the mail outbox: every email is a row before it is sent; the Message-ID
    // is fixed when the row is made, so a resend after a crash is the same mail.
    "CREATE TABLE mail_outbox (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE,
        to_name TEXT NOT NULL,
        to_addr TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        last_error TEXT,
        sent_at INTEGER
    );",
    // 6: reminders the family set on the family page carry the head-end's id, so
    // each sync updates them in place.
    "ALTER TABLE reminders ADD COLUMN remote_id INTEGER;
    CREATE UNIQUE INDEX reminders_remote ON reminders (remote_id) WHERE remote_id IS NOT NULL;",
];

pub(super) fn run(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > known {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "database migrated");
    }
    Ok(())
}
